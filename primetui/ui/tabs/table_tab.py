"""`TableTab`: a tab whose content is one live table — a status line, a filter, the table.

What it shares: `/` opens the filter (typing filters at once, `enter` returns to the table,
`escape` clears it), a status line above the table, and a poll timer that waits while a
dialog or another screen is on top and starts again after each load. Subclasses set
`COLUMNS`, fill the table with `self.table.show(rows)` from their worker's result, and call
`self.poll_after(seconds)` when they want to be asked again.

Every table tab says when its data was last read, at the right of its status line: "read
09:41:07" (local time) once a worker of its `READ_GROUPS` has brought its answer,
"reading…" while one is on its way. A tab that reads without a worker calls `mark_read()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker

from primetui.ui.tabs.base import TabBody, W
from primetui.ui.widgets.live_table import LiveTable

T = TypeVar("T")
READING = "reading…"


def clock(when: float) -> str:
    """A moment as the lab's clock shows it, for "read 09:41:07" (a test may fix it)."""
    return time.strftime("%H:%M:%S", time.localtime(when))


class TableTab(TabBody[W]):
    """A status line, a hidden filter input and a `LiveTable`."""

    DEFAULT_CSS = """
    TableTab > .table-tab--head {
        height: auto;
    }
    TableTab .table-tab--status {
        width: 1fr;
        height: auto;
        max-height: 4;
        padding: 0 1;
    }
    TableTab .table-tab--read {
        width: auto;
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

    READ_GROUPS: ClassVar[frozenset[str]] = frozenset()
    """The worker groups that read this tab's data (its `TAB_ID` when none are named)."""

    def __init__(self, wiring: W | None) -> None:
        super().__init__(wiring)
        self._poll: Timer | None = None
        self.polling = False
        """True while `reload()` runs for a poll rather than for a person (`r`, a plan)."""
        self.read_at: float | None = None
        """When this tab's data was last read (epoch seconds), None before the first read."""
        self._reads: set[Worker[Any]] = set()

    def compose(self) -> ComposeResult:
        """The status line with when it was read, the filter (hidden until `/`), the table."""
        yield Horizontal(
            Static("", classes="table-tab--status", id=f"{self.TAB_ID}-status", markup=False),
            Static(self._read_text(), classes="table-tab--read", id=f"{self.TAB_ID}-read",
                   markup=False),
            classes="table-tab--head")
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

    # -- when it was read ------------------------------------------------------------------

    def run_in_thread(self, job: Callable[..., T], *args: Any, done: Callable[[T], Any],
                      group: str, **kwargs: Any) -> Worker[T]:
        """`ThreadWork.run_in_thread`; a read (a worker of `READ_GROUPS`) shows "reading…"
        until it ends, and its answer "read HH:MM:SS"."""
        if group not in (self.READ_GROUPS or {self.TAB_ID}):
            return super().run_in_thread(job, *args, done=done, group=group, **kwargs)
        after = kwargs.pop("after", None)
        worker: Worker[T] | None = None

        def ended() -> Any:
            self._reads.discard(worker)  # type: ignore[arg-type]
            self._show_read()
            return after() if after is not None else None

        def answered(result: T) -> Any:
            self.mark_read()
            return done(result)

        worker = super().run_in_thread(job, *args, done=answered, group=group, after=ended,
                                       **kwargs)
        self._reads.add(worker)
        self._show_read()
        return worker

    def mark_read(self, when: float | None = None) -> None:
        """Say this tab's data was read now (or at `when`)."""
        self.read_at = time.time() if when is None else when
        self._show_read()

    def _show_read(self) -> None:
        try:
            label = self.query_one(f"#{self.TAB_ID}-read", Static)
        except NoMatches:  # not composed yet: the label is drawn from `read_at` when it is
            return
        label.update(self._read_text())

    def _read_text(self) -> str:
        if self._reads:  # each is taken out when it ends, whichever way
            return READING
        return "" if self.read_at is None else f"read {clock(self.read_at)}"

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
