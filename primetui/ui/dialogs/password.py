"""Asks for a passphrase or sudo password, kept only until it is handed back."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from primetui.secrets import forbid_core_dumps, secret_problem, strength_hint


def refusal(first: str, second: str | None) -> str:
    """Why a typed value is refused, or "" when it is acceptable."""
    if not first:
        return "Type a password, or press escape to cancel."
    problem = secret_problem(first, "password")
    if problem:
        return problem
    if second is not None and second != first:
        return "The two entries differ; type the second one again."
    return ""



class SecretField(Input):
    """A password input that hands keys typed ahead of a focus change to the next field.

    Over SSH (or in a paste) keys typed right after enter or tab reach this field before the
    focus has moved: they belong to the next field, in the order they were typed.
    """

    next_field: Input | None = None
    next_field_takes_keys = False

    async def on_key(self, event: events.Key) -> None:
        """Before Input's own handling: keys typed ahead go to the next field."""
        target = self.next_field
        if target is not None and self.next_field_takes_keys:
            event.stop()
            event.prevent_default()
            if event.key == "enter":
                await target.action_submit()
            elif event.key == "backspace":
                target.action_delete_left()
            elif event.is_printable and event.character:
                target.insert_text_at_cursor(event.character)
            return
        if target is not None and event.key in ("enter", "tab") and self.value:
            self.next_field_takes_keys = True

    def on_focus(self, event: events.Focus) -> None:
        """Back in this field: keys are its own again."""
        self.next_field_takes_keys = False


class PasswordDialog(ModalScreen[str | None]):
    """Dismisses with the typed secret, or None on escape; the inputs are cleared first."""

    DEFAULT_CSS = """
    PasswordDialog {
        align: center middle;
    }
    PasswordDialog > #password-box {
        width: 72;
        max-width: 90%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    PasswordDialog #password-prompt {
        text-style: bold;
        margin-bottom: 1;
    }
    PasswordDialog #password-error {
        color: $error;
        height: auto;
    }
    PasswordDialog #password-hint, PasswordDialog #password-keys {
        color: $text-muted;
        height: auto;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, prompt: str, *, confirm: bool = False, strength_hint: bool = False) -> None:
        super().__init__()
        self.prompt = prompt
        self.confirm = confirm
        self.show_strength = strength_hint

    def on_mount(self) -> None:
        """A secret is about to be typed: from now on no core file may hold it."""
        forbid_core_dumps()

    def compose(self) -> ComposeResult:
        with Vertical(id="password-box"):
            yield Static(self.prompt, id="password-prompt", markup=False)
            first = SecretField(password=True, placeholder="password", id="password-input")
            yield first
            if self.confirm:
                second = SecretField(password=True, placeholder="the same again",
                                     id="password-again")
                first.next_field = second
                yield second
            if self.show_strength:
                yield Static(strength_hint(""), id="password-hint", markup=False)
            yield Static("", id="password-error", markup=False)
            yield Static("enter accept · escape cancel", id="password-keys", markup=False)

    def _inputs(self) -> list[Input]:
        return list(self.query(Input))

    @on(Input.Changed, "#password-input")
    def _changed(self, event: Input.Changed) -> None:
        if self.show_strength:
            self.query_one("#password-hint", Static).update(strength_hint(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        first = self.query_one("#password-input", Input)
        problem = refusal(first.value, None)
        if problem:
            self._refuse(problem, first)
            return
        if self.confirm:
            second = self.query_one("#password-again", Input)
            if event.input is first:
                second.focus()
                return
            problem = refusal(first.value, second.value)
            if problem:
                self._refuse(problem, second)
                return
        value = first.value
        self._clear()
        self.dismiss(value)

    def _refuse(self, problem: str, field: Input) -> None:
        """Say why in place, blank both fields and start again from the first.

        Both, because after a mismatch nobody knows which of the two was mistyped.
        """
        self.query_one("#password-error", Static).update(problem)
        self._clear()
        first = self.query_one("#password-input", SecretField)
        first.next_field_takes_keys = False
        self.set_focus(first)

    def _clear(self) -> None:
        """Blank every input so the secret does not outlive the dialog."""
        for field in self._inputs():
            field.value = ""

    def action_cancel(self) -> None:
        """Dismiss with None, leaving nothing typed behind."""
        self._clear()
        self.dismiss(None)
