"""`PrimeApp` and `make_app`: the Textual shell shared by the CLI, the tests and the screenshots.

Start-up is budgeted (a bare Textual app + 150 ms to the first frame), so this module imports
only Textual and small primetui modules; services, the sandbox and the plan screen are
imported when first needed, and the demo's practice world starts in a thread worker after
the first frame is on screen.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Input

from primetui.errors import PrimeError
from primetui.ui.handoff import HandOffActions
from primetui.ui.messages import DemoProgress, OpenPlan, WorkFailed
from primetui.ui.screens.main import MainScreen
from primetui.ui.themes import choose_theme, load_themes, shipped_themes_dir
from primetui.ui.work import ThreadWork

if TYPE_CHECKING:
    from textual.command import Provider

    from primetui.config import Settings
    from primetui.plans.plan import Plan, PlanResult
    from primetui.registry import Services
    from primetui.ui.widgets.command_line import CommandLine

DemoStarter = Callable[[Callable[[str], None]], "Settings"]
"""Starts the practice world, reporting progress sentences; returns its settings."""


def _palette_provider() -> type[Provider]:
    """The command palette's provider, imported when the palette first opens."""
    from primetui.ui.palette import PrimeCommandsProvider

    return PrimeCommandsProvider


def error_sentence(err: BaseException | None) -> str:
    """What a person sees for a failure: a PrimeError's own sentence, else a short summary."""
    if isinstance(err, PrimeError):
        return str(err)
    name = type(err).__name__ if err is not None else "Error"
    detail = str(err).strip().splitlines()[0] if err is not None and str(err).strip() else ""
    return f"Unexpected error: {name}{': ' + detail if detail else ''}."


class PrimeApp(HandOffActions, ThreadWork, App[str | None]):
    """The shell: first-run screen or the tabs, themes, palette, keys, and worker failures."""

    TITLE = "primetui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {_palette_provider}
    """Textual's own system commands (theme picker with live preview, screenshot, maximize,
    keys, quit) and primetui's actions beside them."""
    BINDINGS = [
        Binding("r", "refresh", "Refresh", tooltip="Read the account and the current tab again",
                id="app.refresh"),
        Binding("question_mark", "help", "Keys", key_display="?",
                tooltip="This tab's keys, then every other key, each with its id", id="app.help"),
        Binding("q", "quit", "Quit", tooltip="Leave primetui", id="app.quit"),
        Binding("ctrl+o", "switch_context", "Context", id="app.switch_context",
                tooltip="Switch to another context of the config (account, region, servers)"),
        Binding("ctrl+c", "interrupt", "Quit", show=False, id="app.interrupt"),
        # priority: handled as the key arrives, so the keys typed after it reach the line
        Binding("colon", "command_line", "Command", key_display=":", show=False,
                priority=True, id="app.command_line",
                tooltip="Type a tab or an action by name: :instances, :renew, :logs, :q"),
        Binding("S", "ssh_shell", "SSH shell", show=False, id="app.ssh_shell",
                tooltip="Open an SSH shell on the selected server (strict host keys); "
                "primetui comes back when it ends"),
        Binding("L", "server_logs", "Server logs", show=False, id="app.server_logs",
                tooltip="The last lines of nginx's and certbot's logs on the selected server"),
        Binding("E", "edit_config", "Edit config", show=False, id="app.edit_config",
                tooltip="Open the config in $EDITOR; it is checked when you come back"),
        Binding("V", "pager", "Pager", show=False, id="app.pager",
                tooltip="The selected audit entry (Audit tab), else the report of the last "
                "7 days, in $PAGER"),
    ]

    def __init__(self, settings: Settings | None = None, *, services: Services | None = None,
                 demo_starter: DemoStarter | None = None, config_path: Path | None = None,
                 theme_dirs: Sequence[Path] | None = None) -> None:
        super().__init__()
        if config_path is None:
            from primetui.paths import config_path as default_config_path

            config_path = default_config_path()
        self.settings = settings
        self.services = services
        self.demo_starter = demo_starter
        self._theme_timer: Timer | None = None
        self._notes_lock = threading.Lock()
        self.closing = False
        """Set once the app is leaving: work that ends now has no screen left to show it on."""
        self._shown_until: dict[tuple[str, str, str], float] = {}
        self.config_path = config_path
        self._notes: list[tuple[str, str]] = []
        """(message, severity) to notify once the app is running."""
        self._load_themes(theme_dirs)
        self._apply_keymap(settings)

    # -- themes ----------------------------------------------------------------------------

    def _load_themes(self, theme_dirs: Sequence[Path] | None) -> None:
        """Register the shipped themes (and the user's, next to the config); pick one."""
        dirs = list(theme_dirs) if theme_dirs is not None else [
            shipped_themes_dir(), self.config_path.parent / "themes"]
        loaded = load_themes(dirs)
        for theme in loaded.themes.values():
            self.register_theme(theme)
        self.project_themes = sorted(loaded.themes)
        self._notes += [(problem, "error") for problem in loaded.problems]
        self._apply_theme(self.settings.ui.theme if self.settings else None)

    def _apply_theme(self, wanted: str | None) -> None:
        """Use `wanted`, or fall back (with a notification) when it is not available."""
        name, problem = choose_theme(wanted, self.available_themes)
        if problem:
            self._notes.append((problem, "warning"))
            if self.is_running:
                self._flush_notes()
        self.theme = name

    def action_use_theme(self, name: str) -> None:
        """Switch theme (command palette) and remember it in the config file."""
        if name not in self.available_themes:
            self.notify(f"The theme '{name}' is not available.", severity="error")
            return
        self.theme = name
        settings = self.settings
        if settings is None or settings.path is None:
            self.notify(f"Theme {name} (not saved: there is no config file yet).")
            return
        context = settings.contexts.get(settings.context or "")
        if context is not None and (context.theme or context.ui.get("theme")):
            self.settings = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, theme=name))
            self.notify(f"Theme {name} for now (not saved: the context {settings.context} sets "
                        f"its own theme in {settings.path}).")
            return
        from primetui.config import save_theme

        try:
            save_theme(settings.path, name)
        except (PrimeError, OSError) as err:
            self.notify(error_sentence(err), severity="error")
            return
        ui = dataclasses.replace(settings.ui, theme=name)
        self.settings = dataclasses.replace(settings, ui=ui)
        self.notify(f"Theme {name}, saved in {settings.path}.")

    # -- keys ------------------------------------------------------------------------------

    def _apply_keymap(self, settings: Settings | None) -> None:
        """Move the keys the config's `[keymap]` moves (well-formed keys only; the ids are
        checked after the first frame, see `_check_keymap`)."""
        from primetui.ui.keys import syntax_checked

        keymap = settings.keymap if settings is not None else {}
        self.keymap_in_use = syntax_checked(keymap)
        """The keys moved from their defaults, as the help screen shows them."""
        self.set_keymap(self.keymap_in_use)

    def _check_keymap(self) -> None:
        """Say, one sentence each, the `[keymap]` entries that were left out."""
        settings = self.settings
        if settings is None or not settings.keymap:
            return
        from primetui.ui.keys import check_keymap

        def check() -> list[str]:
            return check_keymap(settings.keymap)[1]

        self.run_in_thread(check, done=self._say_keymap_problems, group="keymap",
                           description="keymap-check")

    def _say_keymap_problems(self, problems: list[str]) -> None:
        for problem in problems:
            self.notify(problem, severity="warning", timeout=15)

    # -- screens ---------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        """The first-run screen when there is nothing to show yet, else the shell."""
        if self.settings is None and self.demo_starter is None:
            from primetui.ui.screens.first_run import FirstRunScreen

            return FirstRunScreen(self.config_path)
        return MainScreen(self.settings, self.services)

    @property
    def shell(self) -> MainScreen | None:
        """The shell, once it is on the screen stack."""
        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    def on_mount(self) -> None:
        """Draw the first frame first; then report what could not be loaded, start the demo."""
        self.call_after_refresh(self._after_first_frame)
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: object) -> None:
        """A theme chosen anywhere (Textual's picker included) is remembered once it settles.

        The picker previews each theme it passes over; the choice is saved once the palette
        has closed and the theme stayed the same for a moment, never on every preview.
        """
        if self._theme_timer is not None:
            self._theme_timer.stop()
        self._theme_timer = self.set_timer(0.4, self._remember_theme)

    def _remember_theme(self) -> None:
        from textual.command import CommandPalette

        self._theme_timer = None
        if isinstance(self.screen, CommandPalette):
            self._theme_timer = self.set_timer(0.4, self._remember_theme)
            return
        settings = self.settings
        if settings is not None and settings.ui.theme != self.theme:
            self.action_use_theme(self.theme)

    def _after_first_frame(self) -> None:
        """Work that must not delay the first frame: notifications, the demo's start."""
        self._flush_notes()
        self._check_keymap()
        if self.demo_starter is not None and self.settings is None:
            self._status("Starting the practice world…")
            self.start_demo()

    def _flush_notes(self) -> None:
        """Notify what was noted before the app could show notifications."""
        notes, self._notes = self._notes, []
        for message, severity in notes:
            self.notify(message, severity=severity, timeout=12)  # type: ignore[arg-type]

    def _status(self, text: str, severity: str = "information") -> None:
        """Put a line on the header's status line."""
        if self.shell is not None:
            self.shell.header.set_status(text, severity)

    def install(self, settings: Settings, services: Services | None = None) -> None:
        """Use new settings (demo ready, config written): services, theme, header and tabs."""
        if services is None:
            from primetui.registry import Services
            from primetui.ui.prompter import UiPrompter

            services = Services(settings, prompter=UiPrompter(self))
        self.settings, self.services = settings, services
        self._apply_theme(settings.ui.theme)
        self._apply_keymap(settings)
        if self.is_running:
            self._check_keymap()
        if self.shell is not None:
            self.shell.services_changed(settings, services)
        self.refresh_bindings()

    # -- contexts --------------------------------------------------------------------------

    def context_choices(self) -> list[tuple[str, str]]:
        """(name, one line about it) for every context of the config, the current one first."""
        settings = self.settings
        if settings is None or not settings.contexts:
            return []
        from primetui.config import DEFAULT_CONTEXT, context_names

        current = settings.context or DEFAULT_CONTEXT
        choices = []
        for name in context_names(settings):
            context = settings.contexts.get(name)
            aws = context.aws if context is not None else settings.document.get("aws", {})
            parts = [f"profile {aws.get('profile') or 'default'}"]
            if aws.get("region"):
                parts.append(f"region {aws['region']}")
            account = (context.account or aws.get("account")) if context else aws.get("account")
            if account:
                parts.append(f"account {account}")
            about = context.description if context is not None and context.description else (
                "the top-level settings" if context is None else "")
            line = ", ".join(parts) + (f" — {about}" if about else "")
            choices.append((name, f"{line} (current)" if name == current else line))
        choices.sort(key=lambda choice: choice[0] != current)
        return choices

    def action_switch_context(self, name: str | None = None) -> None:
        """ctrl+o: pick a context (or go to `name`); every tab is rebuilt for it."""
        if not self.check_action("switch_context", ()):
            return
        if name is not None:
            self.switch_context(name)
            return
        from functools import partial

        commands = [(choice, partial(self.switch_context, choice), about)
                    for choice, about in self.context_choices()]
        self.search_commands(commands, placeholder="Switch to the context…")

    def switch_context(self, name: str) -> None:
        """Use context `name`: new settings and services for the header and every tab; the
        old services' SSH connections are closed (in a thread: closing never freezes)."""
        from primetui.config import DEFAULT_CONTEXT, select_context, with_aws_environment
        from primetui.registry import Services
        from primetui.ui.prompter import UiPrompter

        settings, old = self.settings, self.services
        if settings is None:
            return
        if (settings.context or DEFAULT_CONTEXT) == name:
            self.notify(f"Already in the context {name}.")
            return
        try:
            chosen = with_aws_environment(select_context(settings, name, origin="The switcher"))
        except PrimeError as err:
            self.notify(error_sentence(err), severity="error", timeout=12)
            return
        audit = old.audit if old is not None else None
        self.install(chosen, Services(chosen, prompter=UiPrompter(self), audit=audit))
        if old is not None:
            threading.Thread(target=old.close, name="close-old-context", daemon=True).start()
        where = f"profile {chosen.aws.profile or 'default'}, region {chosen.aws.region}"
        self.notify(f"Context {name}: {where}; every tab reads it again.", timeout=6)

    # -- the demo --------------------------------------------------------------------------

    def start_demo(self) -> None:
        """Start the practice world (seconds of work) in a thread worker."""
        self.run_in_thread(self._start_demo, done=self._demo_ready, group="demo",
                           description="demo-start")

    def _start_demo(self) -> Settings:
        """The practice world's settings, once it is running (off the event loop)."""
        assert self.demo_starter is not None
        settings = self.demo_starter(lambda text: self.post_message(DemoProgress(text)))  # type: ignore[arg-type]
        import primetui.registry  # noqa: F401  (imported here, not on the event loop)
        import primetui.ui.prompter  # noqa: F401

        return settings if settings.demo else dataclasses.replace(settings, demo=True)

    def exit(self, result: str | None = None, return_code: int = 0,
             message: object | None = None) -> None:
        """Leave; a practice world still starting is told to stop, so quitting never waits."""
        self.closing = True
        cancel = getattr(self.demo_starter, "cancel", None)
        if callable(cancel) and any(w.group == "demo" and not w.is_finished for w in self.workers):
            threading.Thread(target=cancel, name="demo-cancel", daemon=True).start()
        super().exit(result, return_code, message)  # type: ignore[arg-type]

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Textual's notify, but a sentence already on screen is not piled up again.

        Every tab that reads AWS says the same thing when credentials are missing; switching
        tabs would stack the same toast once per switch while the banner already says it.
        """
        seconds = self.NOTIFICATION_TIMEOUT if timeout is None else timeout
        now = time.monotonic()
        key = (str(message), title, severity)
        with self._notes_lock:
            if self._shown_until.get(key, 0.0) > now:
                return
            self._shown_until = {k: v for k, v in self._shown_until.items() if v > now}
            self._shown_until[key] = now + seconds
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_demo_progress(self, message: DemoProgress) -> None:
        """A progress sentence from the practice world goes on the status line."""
        self._status(message.text)

    def _demo_ready(self, settings: Settings) -> None:
        """The practice world is running: its settings and services for every tab."""
        self.install(settings)
        self._status("")
        self.notify("The practice world is ready: nothing you do here touches anything real.")

    # -- failures --------------------------------------------------------------------------

    def on_work_failed(self, message: WorkFailed) -> None:
        """A worker failed (see `primetui.ui.work`): one sentence for the person."""
        self.report_failure(message.error, message.group)

    def report_failure(self, error: BaseException | None, group: str) -> None:
        """The one place where failures become a one-sentence notification, never a traceback.

        A PrimeError says what went wrong in its own words; anything else is a bug: a short
        sentence here, its traceback in the log.
        """
        if error is not None and not isinstance(error, PrimeError):
            self.log.error(f"{group} failed:\n" + "".join(traceback.format_exception(error)))
        text = error_sentence(error)
        if group == "demo":
            text = f"The practice world could not start: {text}"
            self._status(text, "error")
        self.notify(text, severity="error", timeout=12)

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what makes no sense here: shell keys outside the shell, practice when read-only."""
        on_modal = isinstance(self.screen, ModalScreen)
        if action == "run_practice_plan":
            settings = self.settings
            return (self.services is not None and settings is not None
                    and not settings.ui.read_only and self.shell is not None)
        if action in ("refresh", "show_tab"):
            return self.shell is not None and not on_modal
        if action == "command_line":  # a `:` typed into a field is the field's
            return (self.shell is not None and self.screen is self.shell
                    and not isinstance(self.focused, Input))
        if action in ("ssh_shell", "server_logs", "pager"):
            return self.shell is not None and self.screen is self.shell
        if action == "edit_config":
            return not on_modal and self.settings is not None and self.settings.path is not None
        if action == "help":
            return not on_modal
        if action == "switch_context":
            return (self.shell is not None and not on_modal and self.settings is not None
                    and bool(self.settings.contexts))
        if action == "quit":
            return not on_modal
        return True

    def action_show_tab(self, tab_id: str) -> None:
        """Show a tab of the shell."""
        if self.shell is not None:
            if self.screen is not self.shell:
                return
            self.shell.action_show_tab(tab_id)

    def action_refresh(self) -> None:
        """`r`: read the account and the current tab again."""
        if self.shell is not None:
            self.shell.refresh_current()

    def action_toggle_keys(self) -> None:
        """`?`: show or hide the keys panel of the current screen."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_help(self) -> None:
        """`?`: this tab's keys first, then the keys of everywhere, then the table's."""
        from primetui.ui.keys import (
            global_bindings,
            own_bindings,
            owner_name,
            rows,
            tab_bindings,
            table_bindings,
        )
        from primetui.ui.screens.help import HelpScreen, help_sections
        from primetui.ui.tabs.table_tab import TableTab

        keymap = dict(self.keymap_in_use)
        kind = "tab"
        shell = self.shell
        if shell is not None and self.screen is shell:
            body = shell.body(shell.active_tab)
            title = body.TITLE if body is not None else shell.active_tab
            here = rows(tab_bindings(type(body)), keymap) if body is not None else []
            if body is not None and body.read_only:
                here = [r if r.id.partition(".")[2] not in body.MUTATING else
                        dataclasses.replace(r, what=r.what + " (off: read-only)") for r in here]
            table = rows(table_bindings(), keymap) if isinstance(body, TableTab) else []
        else:
            title, kind = owner_name(type(self.screen)).capitalize(), "screen"
            here, table = rows(own_bindings(type(self.screen)), keymap), []
        live = [b for b in global_bindings(type(self), MainScreen)
                if self.check_action(b.action.partition("(")[0], ()) is not False]
        everywhere = rows(live, keymap)
        self.push_screen(HelpScreen(help_sections(title, here, everywhere, table, kind=kind),
                                    keymap))

    # -- the command line ----------------------------------------------------------------------

    async def action_command_line(self) -> None:
        """`:`: open the command line at the bottom of the shell (once).

        A priority binding, so the app runs this as the `:` arrives, before it hands the
        next key to the focused widget: the line is mounted and has the keyboard by then,
        and keys typed right after the `:` (a fast typist, a paste over SSH) reach the
        line, never the tab's own keys (`c` is Create on Backups).
        """
        shell = self.shell
        if shell is None or self.screen is not shell:
            return
        found = shell.query("#command-line")
        if found:
            found.first().query_one("Input").focus()
            return
        from primetui.ui.palette import command_line_commands
        from primetui.ui.widgets.command_line import CommandLine

        self._focus_before_command_line = self.focused
        line = CommandLine(command_line_commands(self), shell.active_tab)  # type: ignore[arg-type]
        await shell.mount(line)
        shell.set_focus(line.input)  # now: `focus()` would wait for the app's next turn

    async def _close_command_line(self, line: CommandLine, *, refocus: bool) -> None:
        """Remove the line; give the keyboard back to what had it (escape) or, after a
        command, to the shown tab unless the command gave it elsewhere."""
        await line.remove()
        before = getattr(self, "_focus_before_command_line", None)
        self._focus_before_command_line = None
        if refocus and before is not None and before.is_attached:
            before.focus()
        else:
            self.call_later(self._focus_shown_tab)

    def _focus_shown_tab(self) -> None:
        shell = self.shell
        if shell is None or self.screen is not shell:
            return
        if self.focused is None or not self.focused.is_attached:
            body = shell.body(shell.active_tab)
            if body is not None:
                body.focus_content()

    async def on_command_line_chosen(self, message: CommandLine.Chosen) -> None:
        """A command typed on the command line: run it, then close the line.

        In that order: a tab switch hides the old tab before the line lets go of the
        keyboard. Closed first, the line handed the keyboard back to a widget of the tab
        it was typed on, and that tab's "I was focused" message, arriving after the
        command's switch, switched back (and the two tabs then took the keyboard from each
        other in turn). Nor is the keyboard handed back to the widget that had it first,
        for the same reason.
        """
        import inspect

        result = message.command.run()
        if inspect.isawaitable(result):
            await result
        await self._close_command_line(message.line, refocus=False)

    async def on_command_line_closed(self, message: CommandLine.Closed) -> None:
        """escape on the command line."""
        await self._close_command_line(message.line, refocus=True)

    async def action_quit(self) -> None:
        """`q`: leave; in the demo, first say so when its maintenance mode is still on."""
        if self.settings is not None and self.settings.demo and self._demo_maintenance_on():
            from primetui.ui.dialogs.confirm import ConfirmDialog

            question = ConfirmDialog(
                "Maintenance mode is on in the practice world. Quit anyway?",
                "Quitting stops the practice world and deletes everything in it, the "
                "maintenance host included; nothing real is touched.")
            self.push_screen(question, lambda yes: self.exit() if yes else None)
            return
        self.exit()

    def _demo_maintenance_on(self) -> bool:
        """Whether the demo's wizard says maintenance is on (a local file; never raises)."""
        try:
            return self.services is not None and bool(self.services.maintenance.status().on)
        except Exception:  # noqa: BLE001 - a question before quitting must never stop the quit
            return False

    def action_interrupt(self) -> None:
        """ctrl+c: leave at once (a running plan's screen takes ctrl+c first, to stop it)."""
        self.exit()

    def action_open_demo(self) -> None:
        """Leave with "demo": the CLI relaunches the shell against the practice world.

        When moto is not installed, stay and say exactly what to install.
        """
        from primetui.sandbox.tools import demo_missing

        missing = demo_missing()
        if missing:
            self.notify(missing, title="The demo cannot start", severity="error", timeout=30)
            return
        self.exit("demo")

    def action_write_starter(self) -> None:
        """Write the starter config at the config path; from the first-run screen, go on into it."""
        from primetui.config import load_settings, write_starter

        try:
            write_starter(self.config_path)
            settings = load_settings(self.config_path)
        except PrimeError as err:
            self.notify(str(err), severity="error", timeout=12)
            return
        self.notify(f"Wrote a starter config to {self.config_path}; edit it to add your "
                    "servers and domains.", timeout=12)
        if self.shell is None:  # from the first-run screen: into the shell, on top of it
            self.install(settings)
            self.push_screen(MainScreen(self.settings, self.services))

    def action_run_practice_plan(self) -> None:
        """Show the practice plan (harmless: it writes a notice in a scratch folder)."""
        if self.settings is None or not self.check_action("run_practice_plan", ()):
            return
        from primetui.plans.practice import practice_plan

        self.open_plan(practice_plan(self.settings))

    def on_open_plan(self, message: OpenPlan) -> None:
        """A tab asked for a plan to be shown and run."""
        self.open_plan(message.plan)

    def open_plan(self, plan: Plan) -> None:
        """Push the plan screen; when it closes, the audit tab reads the log again."""
        if self.services is None:
            self.notify("Nothing can run until primetui is configured.", severity="warning")
            return
        from primetui.ui.screens.plan_screen import PlanRunner, PlanScreen

        services = self.services
        runner = PlanRunner(services.run_plan, services.undo_plan,
                            read_only=services.settings.ui.read_only)
        self.push_screen(PlanScreen(plan, runner), self._plan_closed)

    def _plan_closed(self, result: PlanResult | None) -> None:
        """A plan screen closed: its run is in the audit log, and what it changed is read again.

        The audit tab, the tab shown and, when the plan ran, the Overview (so it never says
        "maintenance is on" for two more minutes after it was turned off).
        """
        if self.shell is None:
            return
        tabs = {"audit", self.shell.active_tab}
        if result is not None:
            tabs.add("overview")
        for tab in sorted(tabs):
            self.shell.reload_tab(tab)


def make_app(settings: Settings | None = None, *, services: Services | None = None,
             demo_starter: DemoStarter | None = None, config_path: Path | None = None,
             theme_dirs: Sequence[Path] | None = None) -> PrimeApp:
    """The one way to build the app (CLI, tests, screenshots).

    - `settings` given: the shell, with `services` (default: `Services(settings)` whose
      prompter asks with dialogs).
    - `demo_starter` given: the shell at once; the practice world starts in a worker and its
      settings are installed when it is ready. If the starter has a `cancel()` attribute, it
      is called (in a thread) when the app closes before the starter returns, because the
      app's exit waits for its worker threads.
    - neither: the first-run screen for `config_path`.
    `theme_dirs` replaces the theme directories (shipped + the user's) — for tests.
    """
    app = PrimeApp(settings, services=services, demo_starter=demo_starter,
                   config_path=config_path, theme_dirs=theme_dirs)
    if settings is not None and services is None:
        from primetui.registry import Services
        from primetui.ui.prompter import UiPrompter

        app.services = Services(settings, prompter=UiPrompter(app))
    return app
