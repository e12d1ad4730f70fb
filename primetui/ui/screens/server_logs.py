"""`ServerLogsScreen`: the tail of nginx's and certbot's logs on a server, read over SSH.

The read is one read-only command per log (`tail -n 60 -- FILE`, through sudo where the host
uses it) on the session's connection to the server, in a thread; a log that is missing or
unreadable says so in its own section and the others still show. Output is plain text in a
`RichLog` (markup off), control characters made visible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import RichLog, Static

from primetui.ui.screens.details import DetailsScreen

if TYPE_CHECKING:
    from primetui.config import ServerSettings


@dataclass(frozen=True)
class LogTail:
    """One log's last lines, or why they could not be read."""

    title: str
    path: str
    command: str
    lines: tuple[str, ...]
    problem: str = ""


def read_logs(runner: Any, server: ServerSettings) -> list[LogTail]:
    """Tail each of the server's logs with `runner` (off the event loop: it waits on SSH)."""
    from primetui.errors import RemoteError
    from primetui.printable import printable
    from primetui.remote.profiles import profile_for
    from primetui.remote.server_logs import server_logs, tail_command

    profile = profile_for(server)
    tails = []
    for log in server_logs(profile):
        command = tail_command(log)
        try:
            result = runner.run(command, sudo=profile.sudo, timeout=30, warn=True)
        except RemoteError as err:
            tails.append(LogTail(log.title, log.path, command, (), str(err)))
            continue
        lines = tuple(printable(line) for line in result.stdout.splitlines())
        problem = "" if result.ok else (printable(result.stderr.strip().splitlines()[-1])
                                        if result.stderr.strip() else
                                        f"tail exited with code {result.exit_code}")
        tails.append(LogTail(log.title, log.path, command, lines, problem))
    return tails


class ServerLogsScreen(DetailsScreen[None]):
    """nginx's and certbot's recent log lines on one server; escape closes, `r` reads again."""

    DEFAULT_CSS = """
    ServerLogsScreen #server-logs-output {
        height: 1fr;
    }
    """
    BINDINGS = [Binding("r", "reload", "Read again", id="server_logs.reload")]
    BOX_ID = "server-logs"

    def __init__(self, name: str, read: Callable[[], list[LogTail]]) -> None:
        super().__init__()
        self.server_name = name
        self._read = read

    def box_title(self) -> str:
        """The server's name."""
        return f"Logs on {self.server_name}"

    def compose_details(self) -> ComposeResult:
        """A status line and the log lines."""
        yield Static(f"Reading the logs on {self.server_name}…", id="server-logs-status",
                     classes="details-status", markup=False)
        yield RichLog(id="server-logs-output", markup=False, highlight=False, wrap=False,
                      max_lines=2000)

    def on_mount(self) -> None:
        """Read the logs in a thread."""
        self.action_reload()

    def action_reload(self) -> None:
        """`r`: read the logs again."""
        self.run_in_thread(self._read, done=self.show_logs, group="server-logs",
                           failed=self._failed, tell_app=False)

    def show_logs(self, tails: list[LogTail]) -> None:
        """Each log under its title and command."""
        out = self.query_one("#server-logs-output", RichLog)
        out.clear()
        for tail in tails:
            out.write(f"── {tail.title}: {tail.path}  ($ {tail.command})")
            if tail.problem:
                out.write(f"   (not read: {tail.problem})")
            for line in tail.lines or (() if tail.problem else ("(empty)",)):
                out.write(line)
            out.write("")
        read = sum(1 for t in tails if not t.problem)
        self.query_one("#server-logs-status", Static).update(
            f"{read} of {len(tails)} logs read on {self.server_name} (r reads them again).")

    def _failed(self, error: BaseException | None) -> None:
        from primetui.errors import PrimeError

        text = str(error) if isinstance(error, PrimeError) else \
            f"The logs could not be read ({type(error).__name__})."
        self.query_one("#server-logs-status", Static).update(text)
