"""The command palette (ctrl+p): every action of the shell, found by typing part of its name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

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


def palette_commands(app: PaletteHost) -> list[PaletteCommand]:
    """The commands that make sense right now (the shell's ones only once it is shown)."""
    from primetui.ui.tabs import TABS

    commands: list[PaletteCommand] = []
    act = app.run_action
    if app.shell is not None:
        commands += [PaletteCommand(f"Show {tab.title}", f"Switch to the {tab.title} tab "
                                    f"(key {tab.key}).", partial(act, f"show_tab({tab.id!r})"))
                     for tab in TABS]
        commands += tab_commands(app)
        commands.append(PaletteCommand("Refresh", "Read the account and the current tab "
                                       "again (key r).", partial(act, "refresh")))
        contexts = app.context_choices()  # (check_action says no while the palette is up)
        if contexts:
            commands.append(PaletteCommand("Switch context", "Pick another context of the "
                                           "config; every tab reads it again (key ctrl+o).",
                                           partial(act, "switch_context")))
            commands += [PaletteCommand(f"Context: {name}", f"Switch every tab to {name}: "
                                        f"{about}.", partial(act, f"switch_context({name!r})"))
                         for name, about in contexts]
        if app.check_action("run_practice_plan", ()):
            commands.append(PaletteCommand(
                "Run the practice plan", "See how a change is shown, confirmed, run and "
                "undone; it only writes a notice in a scratch folder.",
                partial(act, "run_practice_plan")))
    else:
        commands.append(PaletteCommand("Open the demo", "Quit this screen and open the "
                                       "practice lab (key d).", partial(act, "open_demo")))
    commands.append(PaletteCommand("Write a starter config", f"Write a commented starter "
                                   f"config to {app.config_path}.", partial(act, "write_starter")))
    return commands  # Textual's own commands add Theme (every theme), Keys, Screenshot, Quit


def tab_commands(app: PaletteHost) -> list[PaletteCommand]:
    """Every shown key of every tab, as "<Tab>: <what it does>" (hidden when not allowed now).

    Keys the tab refuses right now (read-only) are left out; a tab not shown yet is asked
    through a body that is made but not mounted, and is built when its command runs.
    """
    from textual.binding import Binding

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
                partial(shell.run_tab_action, tab.id, binding.action)))
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
