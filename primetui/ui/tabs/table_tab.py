"""`TableTab`: a tab whose content is one live table — a status line, a filter, the table.

What it shares: `/` opens the filter (typing filters at once, `enter` returns to the table,
`escape` clears it), a status line above the table, and a poll timer that waits while a
dialog or another screen is on top and starts again after each load. Subclasses set
`COLUMNS`, fill the table with `self.table.show(rows)` from their worker's result, and call
`self.poll_after(seconds)` when they want to be asked again.

Every table tab says when its data was last read, at the right of its status line: "read
09:41:07" (local time) once a worker of its `READ_GROUPS` has brought its answer,
"reading…" while one is on its way. A tab that reads without a worker calls `mark_read()`.

The table keys every table tab has (README, "Keys"): `j`/`k`/`g`/`G` beside the arrows and
home/end; `>`/`<` sort by the next/previous column and `O` turns the direction round (a
click on a header too), remembered per tab in `[ui.sort]` of the config file; `space` marks
a row, and a tab's actions then act on every marked row in one plan (`acted_on_keys`);
`escape` clears the filter, then the marks; `y` copies the selected row's id and `Y` its
ARN or address (`copy_values`) to the clipboard with OSC 52, which works over SSH.

The details pane: on a terminal at least `PANE_MIN_WIDTH` columns wide and
`PANE_MIN_HEIGHT` rows high, the selected row's details (`row_details`, each tab's own
rendering) show under the table; enter still opens the full view.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker

from primetui.ui.tabs.base import TabBody, W
from primetui.ui.widgets.live_table import LiveTable

if TYPE_CHECKING:
    from rich.console import RenderableType

PANE_MIN_WIDTH = 100
"""The details pane shows on a terminal at least this many columns wide…"""
PANE_MIN_HEIGHT = 36
"""…and at least this many rows high (80x24 and 100x30 have no pane; 120x36 has one)."""

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
    TableTab > .table-tab--filter-note {
        display: none;
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    TableTab > .table-tab--filter-note.-shown {
        display: block;
    }
    TableTab > .table-tab--pane {
        display: none;
        height: 11;
        border-top: solid $primary;
        padding: 0 1;
    }
    TableTab.-pane > .table-tab--pane {
        display: block;
    }
    """

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()
    """(key, label) of each column."""

    FILTER_BINDING = Binding("slash", "open_filter", "Filter", key_display="/",
                             tooltip="Filter the rows: a regular expression, ~ fuzzy, ! inverted",
                             id="table.filter")
    CLEAR_FILTER_BINDING = Binding("escape", "clear_filter", "Clear filter", show=False,
                                   id="table.clear_filter")
    BINDINGS = [
        Binding("j", "table_cursor('down')", "Down", show=False, id="table.down"),
        Binding("k", "table_cursor('up')", "Up", show=False, id="table.up"),
        Binding("g", "table_cursor('top')", "First row", show=False, id="table.first"),
        Binding("G", "table_cursor('bottom')", "Last row", key_display="G", show=False,
                id="table.last"),
        Binding("space", "mark_row", "Mark", show=False, id="table.mark",
                tooltip="Mark or unmark the selected row: actions then act on every marked row"),
        Binding("greater_than_sign", "sort_step(1)", "Sort by next column", key_display=">",
                show=False, id="table.sort-next"),
        Binding("less_than_sign", "sort_step(-1)", "Sort by previous column",
                key_display="<", show=False, id="table.sort-previous"),
        Binding("O", "reverse_sort", "Reverse sort", key_display="O", show=False,
                id="table.sort-reverse"),
        Binding("y", "copy_row(0)", "Copy id", show=False, id="table.copy",
                tooltip="Copy the selected row's id to the clipboard"),
        Binding("Y", "copy_row(1)", "Copy ARN/address", key_display="Y", show=False,
                id="table.copy-more",
                tooltip="Copy the selected row's ARN or address to the clipboard"),
    ]

    READ_GROUPS: ClassVar[frozenset[str]] = frozenset()
    """The worker groups that read this tab's data (its `TAB_ID` when none are named)."""

    def __init__(self, wiring: W | None) -> None:
        super().__init__(wiring)
        self._poll: Timer | None = None
        self.polling = False
        """True while `reload()` runs for a poll rather than for a person (`r`, a plan)."""
        self._filter_note = ""
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
        yield Input(placeholder="Filter: a regex (~ first: fuzzy, ! first: the rows NOT matching)",
                    classes="table-tab--filter", id=f"{self.TAB_ID}-filter")
        yield Static("", classes="table-tab--filter-note", id=f"{self.TAB_ID}-filter-note",
                     markup=False)
        yield LiveTable(self.COLUMNS, id=f"{self.TAB_ID}-table")
        yield VerticalScroll(Static("", id=f"{self.TAB_ID}-pane-text", markup=False),
                             id=f"{self.TAB_ID}-pane", classes="table-tab--pane")

    def on_mount(self) -> None:
        """The last sort of this tab, and the pane if the terminal is large enough
        (a subclass's own `on_mount` runs as well)."""
        self.restore_sort()
        self._place_pane()

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
        """`escape`: clear and hide the filter, back to the table; with no filter, unmark."""
        if not self.filter_input.has_class("-shown") and not self.table.filter_text:
            count = self.table.clear_marks()
            if count:
                self.notify(f"Unmarked {count} row{'s' if count != 1 else ''}.",
                            title=self.TITLE)
            return
        self.filter_input.value = ""
        self.filter_input.remove_class("-shown")
        self.table.set_filter("")
        self._show_filter_note()
        self.table.focus()

    @on(Input.Changed, ".table-tab--filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._show_filter_note()

    def _show_filter_note(self) -> None:
        """The filter's status line: which match (regex, fuzzy, plain), how many rows kept,
        and how many rows are marked."""
        table = self.table
        shown = table.row_count if table.row_filter.active else 0
        parts = [table.row_filter.describe(shown, table.total)]
        marked = len(table.marked_keys)
        if marked:
            parts.append(f"{marked} marked: the tab's actions act on all of them "
                         f"(escape unmarks).")
        text = " ".join(part for part in parts if part)
        if text == self._filter_note:
            return
        self._filter_note = text
        note = self.query_one(f"#{self.TAB_ID}-filter-note", Static)
        note.update(text)
        note.set_class(bool(text), "-shown")

    @on(Input.Submitted, ".table-tab--filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.filter_input.remove_class("-shown")
        self.table.focus()

    # -- the table keys ---------------------------------------------------------------------

    def action_table_cursor(self, where: str) -> None:
        """`j`/`k`/`g`/`G`: down, up, the first row, the last row."""
        table = self.table
        if where == "down":
            table.action_cursor_down()
        elif where == "up":
            table.action_cursor_up()
        elif table.row_count:
            table.move_cursor(row=0 if where == "top" else table.row_count - 1, animate=False)

    def action_mark_row(self) -> None:
        """`space`: mark or unmark the selected row, then go to the next one."""
        if self.table.selected_key is None:
            return
        self.table.toggle_mark()
        self.table.action_cursor_down()
        self._show_filter_note()

    def acted_on_keys(self) -> list[str]:
        """What an action acts on: the marked rows, else the selected one (none: [])."""
        marked = self.table.marked_keys
        if marked:
            return marked
        key = self.table.selected_key
        return [key] if key is not None else []

    def action_sort_step(self, step: int) -> None:
        """`>` / `<`: sort by the next / previous column."""
        self.table.sort_step(step)

    def action_reverse_sort(self) -> None:
        """`O`: turn the sort's direction round."""
        self.table.reverse_sort()

    @on(LiveTable.SortChanged)
    def _sort_changed(self, event: LiveTable.SortChanged) -> None:
        """Remember a person's sort for this tab in the config file (as the theme is)."""
        event.stop()
        value = None if event.column is None else ("-" if event.descending else "") + event.column
        settings = getattr(self.app, "settings", None)
        if settings is None:
            return
        import dataclasses

        from primetui.config import save_table_sort
        from primetui.errors import PrimeError

        sort = {k: v for k, v in settings.ui.sort.items() if k != self.TAB_ID}
        if value is not None:
            sort[self.TAB_ID] = value
        ui = dataclasses.replace(settings.ui, sort=sort)
        self.app.settings = dataclasses.replace(settings, ui=ui)  # type: ignore[attr-defined]
        if settings.path is None or settings.demo:
            return  # remembered until primetui quits
        try:
            save_table_sort(settings.path, self.TAB_ID, value)
        except (PrimeError, OSError) as err:
            self.notify(str(err), title=self.TITLE, severity="warning")

    def restore_sort(self) -> None:
        """Sort the table as this tab was last sorted (`[ui.sort]`), without saving again."""
        settings = getattr(self.app, "settings", None)
        value = settings.ui.sort.get(self.TAB_ID) if settings is not None else None
        if not value:
            return
        column = value.lstrip("-")
        if column in self.table.column_keys:
            self.table.sort_by(column, value.startswith("-"), announce=False)

    def copy_values(self, key: str) -> list[tuple[str, str]]:
        """(what it is, the text) a person may copy from the row `key`: `y` copies the first,
        `Y` the second. By default the row's id; tabs name theirs (ARN, address…)."""
        return [("id", key)]

    def action_copy_row(self, which: int) -> None:
        """`y` / `Y`: copy the selected row's id (or ARN, address) to the clipboard."""
        key = self.table.selected_key
        if key is None:
            self.notify("Select a row to copy from first.", title=self.TITLE,
                        severity="warning")
            return
        values = [(what, text) for what, text in self.copy_values(key) if text]
        if not values:
            self.notify("This row has nothing to copy.", title=self.TITLE, severity="warning")
            return
        what, text = values[min(which, len(values) - 1)]
        self.app.copy_to_clipboard(text)
        shown = text if len(text) <= 60 else text[:57] + "…"
        self.notify(f"Copied the {what}: {shown}", title="Clipboard")

    # -- the details pane -----------------------------------------------------------------

    def row_details(self, key: str) -> RenderableType | None:
        """What the details pane shows for the row `key` (no I/O: what the row knows);
        None shows no pane. Tabs reuse their details view's rendering."""
        return None

    def on_resize(self) -> None:
        """Show or hide the details pane for the terminal's size."""
        self._place_pane()

    def _place_pane(self) -> None:
        size = self.app.size
        wanted = (size.width >= PANE_MIN_WIDTH and size.height >= PANE_MIN_HEIGHT
                  and type(self).row_details is not TableTab.row_details)  # a tab with details
        if wanted != self.has_class("-pane"):
            self.set_class(wanted, "-pane")
        if wanted:
            self.refresh_pane()

    @property
    def pane_shown(self) -> bool:
        """Whether the details pane is on the screen now."""
        return self.has_class("-pane")

    def refresh_pane(self) -> None:
        """Draw the selected row's details in the pane (when the pane is shown)."""
        if not self.has_class("-pane") or not self.is_mounted:
            return
        key = self.table.selected_key
        details = self.row_details(key) if key is not None else None
        text = self.query_one(f"#{self.TAB_ID}-pane-text", Static)
        text.update("" if details is None else details)

    @on(DataTable.RowHighlighted)
    def _pane_follows_cursor(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_pane()

    @on(LiveTable.Arranged)
    def _pane_follows_rows(self, event: LiveTable.Arranged) -> None:
        event.stop()
        self.refresh_pane()
        self._show_filter_note()

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
