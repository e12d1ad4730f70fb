"""`TableTab`: a tab whose content is one live table — a status line, a filter, the table.

What it shares: `/` opens the filter (typing filters at once, `enter` returns to the table,
`escape` clears it), a status line above the table, and a poll timer that waits while a
dialog or another screen is on top and starts again after each load. Subclasses set
`COLUMNS`, fill the table with `self.table.show(rows)` from their worker's result, and call
`self.poll_after(seconds)` when they want to be asked again.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Input, Static

from primetui.ui.tabs.base import TabBody, W
from primetui.ui.widgets.live_table import LiveTable


class TableTab(TabBody[W]):
    """A status line, a hidden filter input and a `LiveTable`."""

    DEFAULT_CSS = """
    TableTab > .table-tab--status {
        height: auto;
        max-height: 3;
        padding: 0 1;
    }
    TableTab > Input.table-tab--filter {
        display: none;
    }
    TableTab > Input.table-tab--filter.-shown {
        display: block;
    }
    TableTab > LiveTable {
        height: 1fr;
    }
    """

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()
    """(key, label) of each column."""

    FILTER_BINDING = Binding("slash", "open_filter", "Filter", key_display="/",
                             tooltip="Filter the table by any column's text", id="table.filter")
    CLEAR_FILTER_BINDING = Binding("escape", "clear_filter", "Clear filter", show=False,
    id="table.clear_filter")

    def __init__(self, wiring: W | None) -> None:
        super().__init__(wiring)
        self._poll: Timer | None = None
        self.polling = False
        """True while `reload()` runs for a poll rather than for a person (`r`, a plan)."""

    def compose(self) -> ComposeResult:
        """The status line, the filter (hidden until `/`) and the table."""
        yield Static("", classes="table-tab--status", id=f"{self.TAB_ID}-status", markup=False)
        yield Input(placeholder="Filter: type to keep the rows containing this text",
                    classes="table-tab--filter", id=f"{self.TAB_ID}-filter")
        yield LiveTable(self.COLUMNS, id=f"{self.TAB_ID}-table")

    @property
    def table(self) -> LiveTable:
        """This tab's table."""
        return self.query_one(LiveTable)

    @property
    def filter_input(self) -> Input:
        """This tab's filter input."""
        return self.query_one(f"#{self.TAB_ID}-filter", Input)

    def set_status(self, text: str, severity: str = "") -> None:
        """Put a sentence on the status line (severity: "", "warning" or "error")."""
        status = self.query_one(f"#{self.TAB_ID}-status", Static)
        status.update(text)
        status.set_class(severity == "warning", "-warning")
        status.set_class(severity == "error", "-error")

    def focus_content(self) -> None:
        """The table takes the keyboard (this tab's keys stay in the footer)."""
        self.table.focus()

    def select_subject(self, subject: str, tries: int = 100) -> None:
        """Put the cursor on the row a finding is about, once its row is there.

        A tab shown for the first time is still reading its rows, so this looks again a few
        times a second for a while (about 30 s) instead of landing on whatever row is first.
        """
        table = self.table
        for key in list(table.rows):
            value = str(key.value)
            if value == subject or value.endswith(("/" + subject, ":" + subject)):
                table.move_cursor(row=table.get_row_index(key), animate=False)
                return
        if tries > 0:
            self.set_timer(0.3, lambda: self.select_subject(subject, tries - 1))

    def set_wiring(self, wiring: W | None) -> None:
        """New settings and services: forget the rows of the old ones and load again."""
        self.wiring = wiring
        self.table.show({})
        self.refresh_bindings()
        self.reload()

    # -- the filter -----------------------------------------------------------------------

    def action_open_filter(self) -> None:
        """`/`: show the filter and type into it."""
        self.filter_input.add_class("-shown")
        self.filter_input.focus()

    def action_clear_filter(self) -> None:
        """`escape`: clear and hide the filter, back to the table."""
        if not self.filter_input.has_class("-shown") and not self.table.filter_text:
            return
        self.filter_input.value = ""
        self.filter_input.remove_class("-shown")
        self.table.set_filter("")
        self.table.focus()

    @on(Input.Changed, ".table-tab--filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)

    @on(Input.Submitted, ".table-tab--filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.filter_input.remove_class("-shown")
        self.table.focus()

    # -- polling --------------------------------------------------------------------------

    def poll_after(self, seconds: float) -> None:
        """Call `reload()` in `seconds`; while a dialog is on top, wait for it to close."""
        if self._poll is not None:
            self._poll.stop()
        self._poll = self.set_timer(seconds, self._poll_due)

    def _poll_due(self) -> None:
        self._poll = None
        if not self.is_attached or self.wiring is None:
            return
        if self.app.screen is not self.screen or not self.display_visible():
            self.poll_after(1.0)
            return
        self.polling = True
        try:
            self.reload()
        finally:
            self.polling = False

    def display_visible(self) -> bool:
        """Whether this tab is the one being shown."""
        return self.parent is not None and self.parent.display and self.region.area > 0
