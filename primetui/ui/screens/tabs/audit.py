"""The Audit tab: the latest entries of the audit log — when, who, what, on what, how it went."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from primetui.ui.messages import WorkFailed
from primetui.ui.screens.tabs.base import TabBody, planned

if TYPE_CHECKING:
    from primetui.services.audit import AuditEntry

SHOWN = 200
"""How many of the newest entries the table shows."""
COLUMNS = ("When", "Who", "Action", "Target", "Outcome", "Duration")


def entry_row(entry: AuditEntry) -> tuple[str, ...]:
    """One audit entry as table cells (local time, user@host, seconds)."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.when))
    outcome = entry.outcome + (" (dry run)" if entry.dry_run else "")
    return (when, f"{entry.user}@{entry.host}", entry.action, entry.target, outcome,
            f"{entry.duration:.1f} s")


class AuditTab(TabBody):
    """Every recorded action, newest first, read from the audit log in a thread worker."""

    TAB_ID = "audit"
    TITLE = "Audit"
    SUMMARY = "Every action primetui ran: who, when, what, on what, and how it ended."
    BINDINGS = [
        planned("slash", "Filter", "Filter the table", key_display="/"),
        planned("e", "Export", "Export the audit log"),
    ]

    def compose(self) -> ComposeResult:
        """A one-line summary above the table."""
        yield Static("", id="audit-summary")
        table: DataTable[str] = DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        for column in COLUMNS:
            table.add_column(column, key=column.lower())
        yield table

    def on_mount(self) -> None:
        """Read the log as soon as the tab is first shown."""
        self.reload()

    def focus_content(self) -> None:
        """The table takes the keyboard (this tab's keys stay in the footer)."""
        self.query_one(DataTable).focus()

    def set_services(self, services) -> None:
        """New services: read their audit log."""
        self.services = services
        self.reload()

    def reload(self) -> None:
        """Read the audit log again."""
        if self.services is None:
            self.query_one("#audit-summary", Static).update(
                "The audit log appears here once primetui is configured.")
            return
        self.load_entries()

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False, name="audit")
    def load_entries(self) -> list[AuditEntry]:
        """The newest entries, newest first (file I/O, off the event loop)."""
        assert self.services is not None
        return list(reversed(self.services.audit.entries()[-SHOWN:]))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Fill the table when the worker answers; a failure goes up to the app."""
        worker = event.worker
        if worker.group != "audit" or worker.node is not self:
            return
        if event.state is WorkerState.SUCCESS:
            self.show_entries(worker.result or [])
        elif event.state is WorkerState.ERROR:
            self.post_message(WorkFailed(worker.error, worker.group))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: the entry's details are still to come."""
        self.action_planned("Showing an entry's commands and output")

    def show_entries(self, entries: list[AuditEntry]) -> None:
        """Replace the rows with these entries."""
        table = self.query_one(DataTable)
        with self.app.batch_update():
            table.clear()
            for i, entry in enumerate(entries):
                table.add_row(*entry_row(entry), key=f"{entry.when}-{i}")
        summary = self.query_one("#audit-summary", Static)
        if len(entries) >= SHOWN:
            summary.update(f"The {SHOWN} most recent actions, newest first.")
        elif entries:
            count = len(entries)
            summary.update(f"{count} action{'s' if count != 1 else ''} recorded, newest first.")
        else:
            summary.update("Nothing recorded yet: every plan primetui runs is written here.")
