"""The command palette (ctrl+p): every action of the shell, found by typing part of its name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from primetui.registry import Services
    from primetui.ui.screens.main import MainScreen
    from primetui.ui.tabs.base import TabBody


class PaletteHost(Protocol):
    """What the palette reads of the app (`PrimeApp`, which imports the palette itself)."""

    @property
    def shell(self) -> MainScreen | None: ...
    @property
    def services(self) -> Services | None: ...
    @property
    def project_themes(self) -> list[str]: ...
    @property
    def config_path(self) -> Path: ...
    def context_choices(self) -> list[tuple[str, str]]: ...
    def run_action(self, action: str) -> Any: ...
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None: ...


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: its name, a line of help, and what it does."""

    name: str
    help: str
    run: Callable[[], Any]
    words: tuple[str, ...] = ()
    """What the command line (`:`) accepts for it: `instances`, `renew`, `certificates.renew`."""
    tab: str = ""
    """The tab it belongs to ("" for the app's own), so `:details` means this tab's details."""


def palette_commands(app: PaletteHost) -> list[PaletteCommand]:
    """The commands that make sense right now (the shell's ones only once it is shown)."""
    from primetui.ui.tabs import TABS

    commands: list[PaletteCommand] = []
    act = app.run_action
    if app.shell is not None:
        commands += [PaletteCommand(f"Show {tab.title}", f"Switch to the {tab.title} tab "
                                    f"(key {tab.key}).", partial(act, f"show_tab({tab.id!r})"),
                                    _tab_words(tab.id, tab.title, tab.short))
                     for tab in TABS]
        commands += tab_commands(app)
        commands.append(PaletteCommand("Refresh", "Read the account and the current tab "
                                       "again (key r).", partial(act, "refresh"),
                                       ("refresh", "app.refresh")))
        contexts = app.context_choices()  # (check_action says no while the palette is up)
        if contexts:
            commands.append(PaletteCommand("Switch context", "Pick another context of the "
                                           "config; every tab reads it again (key ctrl+o).",
                                           partial(act, "switch_context"),
                                           ("context", "switch-context", "app.switch_context")))
            commands += [PaletteCommand(f"Context: {name}", f"Switch every tab to {name}: "
                                        f"{about}.", partial(act, f"switch_context({name!r})"),
                                        (f"context {name}",))
                         for name, about in contexts]
        if app.check_action("run_practice_plan", ()):
            commands.append(PaletteCommand(
                "Run the practice plan", "See how a change is shown, confirmed, run and "
                "undone; it only writes a notice in a scratch folder.",
                partial(act, "run_practice_plan"), ("practice",)))
        commands += handoff_commands(app)
    else:
        commands.append(PaletteCommand("Open the demo", "Quit this screen and open the "
                                       "practice lab (key d).", partial(act, "open_demo"),
                                       ("demo",)))
    commands.append(PaletteCommand("Write a starter config", f"Write a commented starter "
                                   f"config to {app.config_path}.", partial(act, "write_starter"),
                                   ("starter", "init")))
    return commands  # Textual's own commands add Theme (every theme), Keys, Screenshot, Quit


HANDOFFS = (
    ("ssh_shell", "Open an SSH shell on the server",
     "Suspend primetui and run ssh on the selected server (strict host keys); back on exit",
     ("ssh", "shell", "app.ssh_shell")),
    ("server_logs", "Show the server's nginx and certbot logs",
     "The last lines of nginx's and certbot's logs on the selected server (read-only)",
     ("logs", "app.server_logs")),
    ("edit_config", "Edit the config in $EDITOR",
     "Open the config file in your editor; it is checked when you come back",
     ("edit", "config", "app.edit_config")),
    ("pager", "Open in $PAGER",
     "The selected audit entry (Audit tab) or the report of the last 7 days, in your pager",
     ("pager", "page", "app.pager")),
)
"""(action, name, help, command-line words) of the hand-offs to other programs."""


def handoff_commands(app: PaletteHost) -> list[PaletteCommand]:
    """The hand-offs that make sense now (see `primetui.ui.handoff`)."""
    return [PaletteCommand(name, f"{help_} (key {_app_key(app, action)}).",
                           partial(app.run_action, action), words)
            for action, name, help_, words in HANDOFFS if app.check_action(action, ()) is not False]


def _app_key(app: PaletteHost, action: str) -> str:
    found = [b for b in getattr(type(app), "BINDINGS", [])
             if isinstance(b, Binding) and b.action == action]
    return (found[0].key_display or found[0].key) if found else "none"


def _tab_words(tab_id: str, title: str, short: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w.lower() for w in (tab_id, title, short) if w))


def _binding_words(binding: Binding) -> tuple[str, ...]:
    """A tab key's names on the command line: its action, its description, its id."""
    action = binding.action.partition("(")[0]
    words = [action, action.replace("_", "-"),
             binding.description.lower().replace(" ", "-"), binding.id or ""]
    return tuple(dict.fromkeys(w for w in words if w))


def tab_commands(app: PaletteHost) -> list[PaletteCommand]:
    """Every shown key of every tab, as "<Tab>: <what it does>" (hidden when not allowed now).

    Keys the tab refuses right now (read-only) are left out; a tab not shown yet is asked
    through a body that is made but not mounted, and is built when its command runs.
    """
    from primetui.ui.tabs import TABS

    shell = app.shell
    if shell is None:
        return []
    commands = []
    for tab in TABS:
        body_class = tab.load()
        body = shell.body(tab.id)
        for binding in body_class.BINDINGS:
            if not isinstance(binding, Binding) or not binding.show:
                continue
            name, _, args = binding.action.partition("(")
            parameters = _literal_args(args)
            if not _allowed(body or body_class(shell.tab_wiring(tab.id)), name, parameters):
                continue
            key = binding.key_display or binding.key
            commands.append(PaletteCommand(
                f"{tab.title}: {binding.description}",
                f"{binding.tooltip or binding.description} (key {key} on the {tab.title} tab).",
                partial(shell.run_tab_action, tab.id, binding.action),
                _binding_words(binding), tab.id))
    return commands


def _allowed(body: TabBody, action: str, parameters: tuple[object, ...]) -> bool:
    """Whether the tab allows the action now; a body not built yet answers from its settings."""
    try:
        return body.check_action(action, parameters) is not False
    except Exception:  # noqa: BLE001 - an unbuilt body may need its widgets to answer
        return not body.read_only


def _literal_args(args: str) -> tuple[object, ...]:
    """The parameters of an action string such as `open_plan('x', True)`."""
    import ast

    if not args.rstrip(")"):
        return ()
    try:
        value = ast.literal_eval(f"({args.rstrip(')')},)")
    except (ValueError, SyntaxError):
        return ()
    return tuple(value)


class PrimeCommandsProvider(Provider):
    """Offers `palette_commands` to Textual's command palette."""

    def _commands(self) -> list[PaletteCommand]:
        return palette_commands(self.app)  # type: ignore[arg-type]

    async def discover(self) -> Hits:
        """Everything, in the order above, before anything is typed."""
        for command in self._commands():
            yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        """The commands whose names match what was typed, best first."""
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, help=command.help)


# -- the command line (`:`) -----------------------------------------------------------------


def command_line_commands(app: PaletteHost) -> list[PaletteCommand]:
    """The palette's commands, plus what a command line is expected to know: quit and help."""
    act = app.run_action
    return [*palette_commands(app),
            PaletteCommand("Keys and what they do", "Show the keys of this tab, then every "
                           "other key (key ?).", partial(act, "help"),
                           ("help", "keys", "?", "app.help")),
            PaletteCommand("Quit", "Leave primetui (key q).", partial(act, "quit"),
                           ("q", "quit", "exit", "app.quit"))]


def command_words(commands: list[PaletteCommand]) -> list[str]:
    """Every word the command line accepts, for its suggestions (shortest first)."""
    return sorted({w for c in commands for w in c.words}, key=lambda w: (len(w), w))


def resolve_command(text: str, commands: list[PaletteCommand],
                    current_tab: str = "") -> PaletteCommand | str:
    """The command `text` names (`instances`, `renew`, `q`), or the sentence saying why none.

    An exact word wins over a word it starts, which wins over part of a command's name; when
    several tabs have the same word (`details`), the current tab's is meant.
    """
    typed = " ".join(text.strip().removeprefix(":").split()).lower()
    if not typed:
        return "Type a command: a tab (instances), an action (renew), q to quit, help."
    tiers = (
        [c for c in commands if typed in c.words],
        [c for c in commands if any(w.startswith(typed) for w in c.words)],
        [c for c in commands if typed in c.name.lower()],
    )
    for found in tiers:
        if not found:
            continue
        if len(found) > 1:
            here = [c for c in found if c.tab == current_tab and current_tab]
            found = here or found
        if len({c.name for c in found}) == 1:
            return found[0]
        names = ", ".join(dict.fromkeys(c.name for c in found[:4]))
        more = " …" if len(found) > 4 else ""
        return f"':{typed}' could mean {names}{more}; type more of it."
    return f"':{typed}' is not a command here (ctrl+p lists every action; :help the keys)."
