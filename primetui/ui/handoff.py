"""Handing the terminal to another program: an SSH shell, `$EDITOR` on the config, `$PAGER`.

The app suspends itself (`App.suspend()`), the program owns the terminal until it exits, and
the app comes back as it was. What is handed over is chosen here:

- the server of the row under the cursor (an SSH host finding on the Overview, an instance
  that is a configured server, the Certificates tab's certbot server, the Maintenance tab's
  production server), reached with the `ssh` command primetui's own connections match
  (`primetui.remote.ssh_command`: strict host keys against primetui's known_hosts);
- the config file, read again on return: a broken edit is said in one sentence and either
  edited again or put back as it was (the broken edit kept beside it), never half-applied;
- a text (an audit entry, the report) given to the pager on its standard input.

`TerminalProgram` is how a program is run: the app's own suspends and runs it; the tests
put a recording one in its place, since a headless test has no terminal to hand over.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from primetui.errors import PrimeError

if TYPE_CHECKING:
    from textual.app import App

    from primetui.config import Settings
    from primetui.registry import Services
    from primetui.ui.screens.main import MainScreen


class TerminalProgram(Protocol):
    """Runs a program on the terminal; its exit code, or None when it could not be run."""

    def __call__(self, argv: list[str], *, input_text: str | None = None) -> int | None: ...


class SuspendedProgram:
    """Runs a program with the app suspended: the program owns the terminal until it exits."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app

    def __call__(self, argv: list[str], *, input_text: str | None = None) -> int | None:
        from textual.app import SuspendNotSupported

        try:
            with self.app.suspend():
                return subprocess.run(argv, input=input_text, text=input_text is not None,
                                      check=False).returncode
        except SuspendNotSupported:
            self.app.notify("This terminal cannot be handed to another program (the app "
                            "cannot suspend here).", severity="error")
        except FileNotFoundError:
            self.app.notify(f"{argv[0]} is not installed here (not found on the PATH).",
                            severity="error")
        except OSError as err:
            self.app.notify(f"{argv[0]} could not start: {err.strerror or err}.",
                            severity="error")
        return None


# -- which server ------------------------------------------------------------------------------


def selected_server(shell: MainScreen, settings: Settings) -> str:
    """The configured server the current tab's selection is about; PrimeError when none is.

    Overview: an SSH host finding's server. Instances: the server whose `instance` is the
    selected instance. Certificates: the server certbot runs on. Maintenance: the production
    server. Anywhere else, the only server there is.
    """
    tab = shell.active_tab
    body = shell.body(tab)
    servers = settings.servers
    name: str | None = None
    if tab == "overview" and body is not None:
        finding = getattr(body, "selected", None)
        subject = getattr(finding, "subject", "")
        if getattr(finding, "area", "") == "hosts" and subject in servers:
            name = subject
    elif tab == "instances" and body is not None:
        selected = _selected_key(body)
        name = next((n for n, s in servers.items() if selected and s.instance == selected),
                    None)
        if name is None and selected:
            raise PrimeError(f"The instance {selected} is not one of the configured servers "
                             f"(no [servers.NAME] has instance = \"{selected}\").")
    elif tab == "certificates":
        name = settings.certificates.server
    elif tab == "maintenance":
        name = settings.maintenance.prod
    remote = [n for n, s in servers.items() if s.host.strip() and n != "local"]
    if name is None and len(remote) == 1:
        name = remote[0]
    if name is None:
        raise PrimeError("Select a server first: an SSH host on the Overview, an instance "
                         "that is a configured server, or use the Certificates or "
                         "Maintenance tab.")
    if name == "local" and name not in servers:
        raise PrimeError("That server is this machine (\"local\"): there is no SSH server to "
                         "hand off to; use this terminal.")
    if name not in servers:
        raise PrimeError(f"The server '{name}' is not in the config's [servers].")
    if not servers[name].host.strip():
        raise PrimeError(f"The server '{name}' has no address yet (it is made by the "
                         f"maintenance wizard).")
    return name


def _selected_key(body: object) -> str | None:
    table = getattr(body, "table", None)
    key = getattr(table, "selected_key", None)
    return str(key) if key else None


# -- the SSH shell -------------------------------------------------------------------------


def shell_argv(settings: Settings, name: str, command: str | None = None) -> list[str]:
    """The `ssh` argv for server `name` (reads ssh_config: call it off the event loop)."""
    from primetui.remote.ssh_command import ssh_argv
    from primetui.remote.ssh_config import resolve_server

    return ssh_argv(resolve_server(name, settings.servers[name]), command)


def after_shell(app: App[Any], name: str, code: int | None) -> None:
    """Say how the shell ended: nothing for a normal exit, the code and a hint otherwise."""
    if code is None or code == 0:
        if code == 0:
            app.notify(f"Back from {name}.")
        return
    hint = (" ssh refused or could not connect: an unknown or changed host key is decided "
            "on the Overview (k on its SSH host finding)." if code == 255 else "")
    app.notify(f"The shell on {name} ended with exit code {code}.{hint}", severity="warning")


# -- the editor ------------------------------------------------------------------------------


def editor_argv(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    """`$VISUAL`, else `$EDITOR`, else `vi`, with the file as the last argument."""
    env = os.environ if environ is None else environ
    command = env.get("VISUAL") or env.get("EDITOR") or "vi"
    try:
        words = shlex.split(command)
    except ValueError:
        raise PrimeError(f"$EDITOR ({command!r}) is not a command line (unbalanced "
                         f"quotes).") from None
    return [*(words or ["vi"]), str(path)]


def pager_argv(environ: dict[str, str] | None = None) -> list[str]:
    """`$PAGER` (with its arguments), else `less`."""
    env = os.environ if environ is None else environ
    command = env.get("PAGER") or "less"
    try:
        words = shlex.split(command)
    except ValueError:
        raise PrimeError(f"$PAGER ({command!r}) is not a command line (unbalanced "
                         f"quotes).") from None
    return words or ["less"]


class ConfigEdit:
    """One edit of the config file: the text before it, so a broken edit can be undone."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.before = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PrimeError(f"{path}: there is no config file to edit yet; write the starter "
                             f"config first.") from None
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or "not UTF-8 text"
            raise PrimeError(f"{path} cannot be read ({reason}).") from None

    @property
    def rejected_path(self) -> Path:
        """Where a broken edit is kept when the old config is put back."""
        return self.path.with_name(self.path.name + ".rejected")

    def problem(self) -> tuple[str | None, str]:
        """(the first problem of the edited file or None, its text)."""
        from primetui.config import config_problems, parse_settings

        try:
            after = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            return f"{self.path} cannot be read ({getattr(err, 'strerror', None) or err}).", ""
        if after == self.before:
            return None, after
        problems = config_problems(after, self.path)
        if not problems:
            try:
                parse_settings(after, self.path)
            except PrimeError as err:
                problems = [str(err)]
        return (problems[0] if problems else None), after

    def keep_old(self, broken: str) -> Path:
        """Put the config back as it was; the broken edit is kept beside it (mode 0600)."""
        from primetui.config import _write_text

        rejected = self.rejected_path
        fd = os.open(rejected, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(broken)
        _write_text(self.before, self.path)
        return rejected


def audit_entry_text(entry: Any) -> str:
    """An audit entry as plain text for the pager (control characters made visible)."""
    from primetui.printable import printable
    from primetui.ui.tabs.audit.details import facts

    parts = [entry.title or entry.action, "", facts(entry)]
    if entry.error:
        parts += ["", f"Error     {entry.error}"]
    parts += ["", "Commands", *(f"$ {c}" for c in entry.commands or ["(none recorded)"])]
    parts += ["", "Output", *(entry.output_tail or ["(no output)"])]
    return "\n".join(printable(p) for p in parts) + "\n"


# -- the app's hand-off keys -------------------------------------------------------------------


class HandOffActions:
    """The app's hand-off actions (`S`, `L`, `E`, `V`), mixed into `PrimeApp`."""

    terminal_program: TerminalProgram | None = None
    """Runs a program on the terminal; None: the app suspends itself and runs it. Tests put
    a recording one here (a headless test has no terminal to hand over)."""

    # Provided by the app this is mixed into.
    settings: Settings | None
    services: Services | None
    notify: Callable[..., None]
    push_screen: Callable[..., Any]
    run_in_thread: Callable[..., Any]
    install: Callable[..., None]

    def run_program(self, argv: list[str], *, input_text: str | None = None) -> int | None:
        """Run a program on the terminal, the app suspended meanwhile; its exit code."""
        program = self.terminal_program or SuspendedProgram(self)  # type: ignore[arg-type]
        return program(argv, input_text=input_text)

    if TYPE_CHECKING:
        @property
        def shell(self) -> MainScreen | None:
            """The shell screen, once it is on the stack (the app's property)."""

    def _handoff_server(self) -> str | None:
        """The selected server's name, or None after saying why there is none."""
        shell = self.shell
        if shell is None or self.settings is None:
            return None
        try:
            return selected_server(shell, self.settings)
        except PrimeError as err:
            self.notify(str(err), severity="warning")
            return None

    def action_ssh_shell(self) -> None:
        """`S`: an SSH shell on the selected server; primetui comes back when it ends."""
        name = self._handoff_server()
        if name is None or self.settings is None:
            return
        self.run_in_thread(shell_argv, self.settings, name,
                           done=lambda argv: self._open_shell(name, argv), group="handoff",
                           description="ssh-command")

    def _open_shell(self, name: str, argv: list[str]) -> None:
        after_shell(self, name, self.run_program(argv))  # type: ignore[arg-type]

    def action_server_logs(self) -> None:
        """`L`: the tail of nginx's and certbot's logs on the selected server."""
        name = self._handoff_server()
        if name is None or self.services is None or self.settings is None:
            return
        from primetui.ui.screens.server_logs import ServerLogsScreen, read_logs

        services, server = self.services, self.settings.servers[name]
        self.push_screen(ServerLogsScreen(name, lambda: read_logs(services.runner(name),
                                                                  server)))

    def action_edit_config(self) -> None:
        """`E`: the config in $EDITOR; checked on return, put back as it was if it is broken."""
        settings = self.settings
        if settings is None or settings.path is None:
            self.notify("There is no config file to edit yet.", severity="warning")
            return
        try:
            edit = ConfigEdit(settings.path)
            argv = editor_argv(settings.path)
        except PrimeError as err:
            self.notify(str(err), severity="error")
            return
        self._edit_config(edit, argv)

    def _edit_config(self, edit: ConfigEdit, argv: list[str]) -> None:
        from primetui.ui.dialogs.confirm import ConfirmDialog

        code = self.run_program(argv)
        if code is None:
            return
        problem, text = edit.problem()
        if text == edit.before:
            self.notify("The config is unchanged.")
            return
        if problem is None:
            self._config_edited(edit)
            return

        def answered(again: bool | None) -> None:
            if again:
                self._edit_config(edit, argv)
                return
            try:
                kept = edit.keep_old(text)
            except OSError as err:
                self.notify(f"The old config could not be put back: {err.strerror or err}.",
                            severity="error")
                return
            self.notify(f"The config is as it was; your edit is kept in {kept}.",
                        severity="warning", timeout=12)

        self.push_screen(ConfirmDialog(
            f"The edited config has a problem: {problem} Edit it again?",
            f"No puts the old config back (your edit is kept in {edit.rejected_path})."),
            answered)

    def _config_edited(self, edit: ConfigEdit) -> None:
        """A good edit: primetui reads the config again and every tab with it."""
        from primetui.config import load_settings

        try:
            settings = load_settings(edit.path)
        except PrimeError as err:  # changed again under us: say it, keep what runs
            self.notify(str(err), severity="error")
            return
        demo = self.settings.demo if self.settings is not None else False
        old = self.services
        self.install(dataclasses.replace(settings, demo=demo))
        if old is not None and old is not self.services:
            threading.Thread(target=old.close, name="close-old-services", daemon=True).start()
        self.notify(f"Read {edit.path} again.")

    def action_pager(self) -> None:
        """`V`: the selected audit entry (Audit tab), else the report of the last 7 days."""
        try:
            argv = pager_argv()
        except PrimeError as err:
            self.notify(str(err), severity="error")
            return
        shell = self.shell
        if shell is None or self.services is None:
            return
        body = shell.body(shell.active_tab)
        entry = getattr(body, "selected", None) if shell.active_tab == "audit" else None
        if entry is not None:
            self.run_program(argv, input_text=audit_entry_text(entry))
            return
        services = self.services

        def report() -> str:
            from primetui.overview.report import build_report

            return build_report(services, 7 * 86400, window="7 days", now=time.time())

        self.notify("Building the report of the last 7 days…")
        self.run_in_thread(report, done=lambda text: self.run_program(argv, input_text=text),
                           group="handoff", description="report-for-pager")
