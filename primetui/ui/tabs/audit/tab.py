"""The Audit tab: every action from the audit log — when, who, what, on what, how it ended.

`/` filters over every column, `enter` shows an entry's commands, output tail and error,
and `w` writes the maintenance report of the last 7 days (what was done, what failed, what
is pending) next to the audit log. The log is read in a thread worker.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import DataTable

from primetui.printable import printable
from primetui.ui.tabs.table_tab import TableTab
from primetui.ui.tabs.wiring import AuditWiring

if TYPE_CHECKING:
    from pathlib import Path

    from primetui.plans.audit import AuditEntry

SHOWN = 200
"""How many of the newest entries the table shows."""
REPORT_DAYS = 7
"""The window of the report `w` writes."""


def entry_row(entry: AuditEntry) -> tuple[str, ...]:
    """One audit entry as table cells (local time, user@host, seconds); plain text."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.when))
    outcome = entry.outcome + (" (dry run)" if entry.dry_run else "")
    return (when, escape(entry.action), outcome, escape(entry.target),
            f"{entry.duration:.1f} s", escape(f"{entry.user}@{entry.host}"))


class AuditTab(TableTab[AuditWiring]):
    """Every recorded action, newest first."""

    TAB_ID = "audit"
    SUMMARY = "Every action primetui ran: who, when, what, on what, and how it ended."
    COLUMNS = (("when", "When"), ("action", "Action"), ("outcome", "Outcome"),
               ("target", "Target"), ("duration", "Duration"), ("who", "Who"))
    """Most telling first, so an 80-column terminal shows what ran and how it ended."""
    BINDINGS = [
        Binding("enter", "details", "Details", tooltip="Show the selected action's commands, "
                "output and error", id="audit.details"),
        TableTab.FILTER_BINDING,
        TableTab.CLEAR_FILTER_BINDING,
        Binding("w", "write_report", "Write report",
                tooltip=f"Write a Markdown report of the last {REPORT_DAYS} days: what was "
                        "done, what failed, what is pending", id="audit.write_report"),
    ]

    def __init__(self, wiring: AuditWiring | None) -> None:
        super().__init__(wiring)
        self._entries: dict[str, AuditEntry] = {}

    def on_mount(self) -> None:
        """Read the log as soon as the tab is first shown."""
        self.reload()

    def reload(self) -> None:
        """Read the audit log again."""
        if self.wiring is None:
            self.set_status("The audit log appears here once primetui is configured.")
            return
        self.run_in_thread(self.read_entries, done=self.show_entries, group="audit")

    def read_entries(self) -> list[tuple[str, AuditEntry]]:
        """The newest entries with stable keys (their place in the log), newest first."""
        assert self.wiring is not None
        entries = self.wiring.audit().entries()
        start = max(0, len(entries) - SHOWN)
        return [(f"entry-{start + i}", e) for i, e in enumerate(entries[start:])][::-1]

    def show_entries(self, keyed: list[tuple[str, AuditEntry]]) -> None:
        """Show these entries (newest first), keeping the cursor on the same entry."""
        keyed = keyed or []
        self._entries = dict(keyed)
        self.table.show({key: self._cells(entry) for key, entry in keyed})
        count = len(keyed)
        if count >= SHOWN:
            self.set_status(f"The {SHOWN} most recent actions, newest first. enter shows one; "
                            f"w writes a report.")
        elif keyed:
            self.set_status(f"{count} action{'s' if count != 1 else ''} recorded, newest "
                            f"first. enter shows one; w writes a report.")
        else:
            self.set_status("Nothing recorded yet: every plan primetui runs is written here.")

    def _cells(self, entry: AuditEntry) -> tuple:
        cells = entry_row(entry)
        if entry.outcome == "succeeded":
            return cells
        colour = self.app.theme_variables.get("error" if entry.outcome == "failed"
                                              else "warning", "")
        return (*cells[:2], Text(cells[2], style=f"bold {colour}".strip(), end=""), *cells[3:])

    @property
    def selected(self) -> AuditEntry | None:
        """The entry under the cursor, if any."""
        key = self.table.selected_key
        return self._entries.get(key) if key else None

    def row_details(self, key: str) -> Text | None:
        """The pane: the entry's facts, error and commands (enter shows its output too)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        from primetui.ui.tabs.audit.details import facts

        commands = "\n".join(f"$ {c}" for c in entry.commands) or "(no commands recorded)"
        error = f"\n{entry.error}" if entry.error else ""
        return Text(printable(f"{facts(entry)}{error}\n{commands}", keep_newlines=True))

    def copy_values(self, key: str) -> list[tuple[str, str]]:
        """`y` the commands the action ran, `Y` its target."""
        entry = self._entries.get(key)
        if entry is None:
            return []
        return [("commands", "\n".join(entry.commands)), ("target", entry.target)]

    # -- keys -----------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#audit-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    def action_details(self) -> None:
        """`enter`: the selected entry's commands, output tail and error."""
        entry = self.selected
        if entry is None:
            return
        from primetui.ui.tabs.audit.details import AuditDetailsScreen

        self.app.push_screen(AuditDetailsScreen(entry))

    def action_write_report(self) -> None:
        """`w`: write the report of the last 7 days next to the audit log."""
        if self.wiring is None:
            self.notify("Nothing to report until primetui is configured.", severity="warning")
            return
        self.notify("Writing the report (checking every area first)…", title=self.TITLE)
        self.run_in_thread(self.write_report, done=self.report_written, group="audit-report")

    def write_report(self) -> Path:
        """Build the report (reads the log, collects the findings) and save it."""
        from primetui.overview.report import report_filename, save_report

        assert self.wiring is not None
        now = time.time()
        text = self.wiring.report(REPORT_DAYS * 86400, f"{REPORT_DAYS} days", now)
        return save_report(text, self.wiring.reports_dir() / report_filename(now))

    def report_written(self, path: Path) -> None:
        """Say where the report went."""
        from pathlib import Path

        home = str(Path.home())
        shown = "~" + str(path)[len(home):] if str(path).startswith(home + "/") else str(path)
        # the path on a line of its own: a toast wraps a sentence at spaces, and a path has none
        self.notify(f"Wrote the report of the last {REPORT_DAYS} days:\n{shown}",
                    title=self.TITLE, timeout=12)
