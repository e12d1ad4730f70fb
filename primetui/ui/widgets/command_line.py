"""`CommandLine`: the `:` line at the bottom that jumps to tabs and runs actions by name.

What it accepts is the command palette's own list (`primetui.ui.palette`), each command with
the words it answers to (`:instances`, `:renew`, `:certificates.renew`, `:q`); the input
suggests the rest of a word as it is typed (→ accepts it) and the line above it lists the
commands that match. `enter` runs the command, `escape` closes the line, and the app
decides what runs (it gets `CommandLine.Chosen`) and closes the line after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static

from primetui.ui.palette import PaletteCommand, command_words, resolve_command


class CommandLine(Vertical):
    """A one-line input after a `:`, with the matching commands shown above it."""

    DEFAULT_CSS = """
    CommandLine {
        dock: bottom;
        height: auto;
        background: $panel;
    }
    CommandLine > #command-line-hint {
        height: auto;
        max-height: 2;
        padding: 0 1;
        color: $text-muted;
    }
    CommandLine > Horizontal {
        height: 1;
    }
    CommandLine Label {
        width: 2;
        padding: 0 0 0 1;
        color: $accent;
        text-style: bold;
    }
    CommandLine Input, CommandLine Input:focus {
        border: none;
        height: 1;
        padding: 0;
        width: 1fr;
        background: $panel;
    }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="command_line.close")]

    @dataclass
    class Chosen(Message):
        """A command was chosen (enter); the app runs it and closes the line."""

        line: CommandLine
        command: PaletteCommand

    @dataclass
    class Closed(Message):
        """The line was closed without running anything (escape)."""

        line: CommandLine

    def __init__(self, commands: list[PaletteCommand], current_tab: str = "") -> None:
        super().__init__(id="command-line")
        self.commands = commands
        self.current_tab = current_tab

    def compose(self) -> ComposeResult:
        """The hint line, then `:` and the input."""
        yield Static("", id="command-line-hint", markup=False)
        with Horizontal():
            yield Label(":")
            yield Input(placeholder="a tab or an action: instances, renew, logs, q",
                        suggester=SuggestFromList(command_words(self.commands),
                                                  case_sensitive=False),
                        id="command-line-input", select_on_focus=False)

    @property
    def input(self) -> Input:
        """The input typed into."""
        return self.query_one("#command-line-input", Input)

    def on_mount(self) -> None:
        """Take the keyboard."""
        self.input.focus()

    def matches(self, text: str) -> list[PaletteCommand]:
        """The commands whose words start with what is typed (the hint line's list)."""
        typed = text.strip().removeprefix(":").lower()
        if not typed:
            return []
        return [c for c in self.commands
                if any(w.startswith(typed) for w in c.words) or typed in c.name.lower()]

    @on(Input.Changed, "#command-line-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        found = self.matches(event.value)
        hint = " · ".join(c.name for c in found[:6]) + (" …" if len(found) > 6 else "")
        self.query_one("#command-line-hint", Static).update(hint)

    @on(Input.Submitted, "#command-line-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        found = resolve_command(event.value, self.commands, self.current_tab)
        if isinstance(found, str):
            self.query_one("#command-line-hint", Static).update(found)
            return
        self.post_message(self.Chosen(self, found))

    def action_close(self) -> None:
        """`escape`: close the line, nothing run."""
        self.post_message(self.Closed(self))
