"""`LiveTable`: a DataTable whose rows are keyed by id and replaced by diff, with a filter.

A tab hands it every row it knows (`show`), as often as it likes; only the cells that
changed are redrawn, rows that went away are removed, new rows are added, and the cursor
stays on the same id. `set_filter` keeps the rows matching the filter (a regular
expression, `~` fuzzy, `!` inverted: see `row_filter`), with the matches highlighted.
Cells may be `str` or Rich `Text` (for colour).

A cell is best a plain `str` (drawn as markup, as DataTable draws a `str`): Python's garbage
collector does not track strings, and a tuple of them stops being tracked too, while each
`Text` is three tracked objects. A table of 1,000 rows of `Text` cells kept ~30,000 more
objects for every full collection to walk (it holds the GIL: the screen stops meanwhile).
So: `str` for plain cells, `Text` only where a cell needs a colour (one shared `Text` per
value and colour serves every row) or holds text that must not be read as markup.
DataTable's own caches of rendered rows (kept per change, up to thousands of entries) are
emptied once the table has taken new rows or cells (`notify_style_update`).

A person can also sort the rows by a column (`sort_by`, or a click on its header, again to
turn the direction round) and mark rows (`toggle_mark`) to act on several at once; both are
drawn over the tab's own cells (`_arranged`), which stay as the tab gave them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.render import measure
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist

from primetui.ui.widgets.row_filter import RowFilter

if TYPE_CHECKING:
    from rich.console import RenderableType

Cells = Sequence["RenderableType"]
MANY_REMOVED = 50
"""More rows than this gone at once: the table is refilled rather than emptied row by row."""
MARK = "✓ "
"""Drawn before the first cell of a marked row."""
SORT_ARROWS = {False: " ▲", True: " ▼"}
"""Drawn after the label of the column the rows are sorted by (ascending, descending)."""
_NUMBER = re.compile(r"(\d+)")


def cell_text(cell: object) -> str:
    """The plain text of a cell, for filtering and comparing."""
    return cell.plain if isinstance(cell, Text) else str(cell)


def drawn_as_is(text: str) -> bool:
    """Whether DataTable draws this `str` cell as the very text: no markup bracket, no
    `:emoji:` code (it needs two colons), one line."""
    return "[" not in text and "\n" not in text and text.count(":") < 2


def plain_cell(text: str) -> str | Text:
    """A cell that shows `text` as it is: the `str` itself when DataTable draws it unchanged
    (untracked by the garbage collector), else a `Text` (brackets and colons kept)."""
    return text if drawn_as_is(text) else Text(text)


def _as_drawn(cell: object) -> RenderableType:
    """What DataTable draws for a one-line cell: a str is markup, a float shows 2 decimals,
    other non-renderables their `str` (as DataTable's own cell formatter does)."""
    if isinstance(cell, str):
        return Text.from_markup(cell.split("\n", 1)[0], end="")
    if isinstance(cell, float):
        return Text(f"{cell:.2f}", end="")
    if isinstance(cell, Text) or hasattr(cell, "__rich_console__") or hasattr(cell, "__rich__"):
        return cell  # type: ignore[return-value]
    return Text(str(cell).split("\n", 1)[0], end="")


def sort_key(text: str) -> tuple:
    """A cell's text in the order a person expects: case ignored, numbers by value
    (`9 d` before `12 d`, `10.0.1.9` before `10.0.1.10`), empty cells last."""
    parts = _NUMBER.split(text.strip().lower())
    return (not parts or parts == [""],
            tuple((0, int(part), "") if i % 2 else (1, 0, part)
                  for i, part in enumerate(parts) if part))


def _same(a: object, b: object) -> bool:
    """Whether two cells draw the same (Text compares its spans too)."""
    if a is b:
        return True
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain == b.plain and a.style == b.style and a.spans == b.spans
    return type(a) is type(b) and a == b


class LiveTable(DataTable):
    """Rows keyed by id, updated by diff; `columns` are (key, label) pairs."""

    class Arranged(Message):
        """The rows shown, their order or their marks changed (the details pane follows)."""

    class SortChanged(Message):
        """A person sorted the table (`column` None: back to the tab's own order)."""

        def __init__(self, column: str | None, descending: bool) -> None:
            super().__init__()
            self.column = column
            self.descending = descending

    def __init__(self, columns: Sequence[tuple[str, str]], *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._column_spec = tuple(columns)
        self._all: dict[str, tuple] = {}
        self._shown: dict[str, tuple] = {}
        self._filter = ""
        self._drawn_stale = False
        self._row_filter = RowFilter()
        self._sort: tuple[str, bool] | None = None
        """(column, descending), or None for the tab's own order."""
        self._marked: set[str] = set()

    def on_mount(self) -> None:
        """Columns first, so rows can be shown at once."""
        for key, label in self._column_spec:
            self.add_column(label, key=key)
        self._label_sorted_column()

    def on_idle(self) -> None:
        """After a change, once DataTable has measured its new rows (its own idle handler runs
        after this one), forget what it rendered for the rows and cells as they were."""
        if self._drawn_stale:
            self._drawn_stale = False
            self.call_next(self.notify_style_update)

    @property
    def column_keys(self) -> tuple[str, ...]:
        """The columns' keys, in order."""
        return tuple(key for key, _ in self._column_spec)

    @property
    def filter_text(self) -> str:
        """The current filter ("" when none)."""
        return self._filter

    @property
    def total(self) -> int:
        """How many rows the table knows, filtered or not."""
        return len(self._all)

    @property
    def shown_keys(self) -> list[str]:
        """The ids of the rows shown, top to bottom."""
        return [str(row.key.value) for row in self.ordered_rows]

    @property
    def selected_key(self) -> str | None:
        """The id of the row under the cursor, if any."""
        if not self._shown or self.cursor_row < 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return row_key.value

    def show(self, rows: Mapping[str, Cells]) -> None:
        """Every row, keyed by id, in the order to show; the table changes only where needed."""
        self._all = {key: tuple(cells) for key, cells in rows.items()}
        if self._marked:
            self._forget_gone_marks()
        self._apply()

    def set_filter(self, text: str) -> None:
        """Keep only the rows matching `text` (see `RowFilter`), their matches highlighted."""
        self._filter = text.strip()
        self._row_filter = RowFilter.parse(text)
        self._apply()

    @property
    def row_filter(self) -> RowFilter:
        """The filter in force (its `describe` says which match it is)."""
        return self._row_filter

    def _matches(self, cells: tuple) -> bool:
        if not self._row_filter.active:
            return True
        return self._row_filter.matches([cell_text(cell) for cell in cells])

    def _apply(self) -> None:
        """Diff what should be shown against what is shown."""
        wanted = self._arranged()
        selected = self.selected_key
        same_keys = list(wanted) == list(self._shown)
        with self.app.batch_update():
            if same_keys:
                self._update_cells(wanted)
            elif set(self._shown) - set(wanted) and list(self._shown)[: len(wanted)] == list(
                    wanted):
                for key in list(self._shown)[len(wanted):]:
                    self._remove(key)
            else:
                self._rebuild(wanted)
            self._shown = wanted
            self._fit_table()
            self._drawn_stale = True
        if selected is not None and selected in wanted:
            try:
                self.move_cursor(row=self.get_row_index(selected), animate=False)
            except RowDoesNotExist:
                pass
        self.post_message(self.Arranged())

    def _fit_table(self) -> None:
        """Give the table its new scrollable size now, from the columns' widths.

        DataTable sizes itself when the app next goes idle, so a frame (or a screenshot)
        drawn between a worker's rows and that idle would show header-wide columns: the
        columns are widened as rows come (`_fit_new_rows`, `_fit_column`) and the size set
        here. Every row LiveTable adds is one line high and has no label.
        """
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        size = Size(width, self.row_count + header)
        if self.virtual_size != size:
            self.virtual_size = size

    def _fit_new_rows(self, new: Mapping[str, tuple]) -> None:
        """Widen the columns for newly added rows now, measuring plain one-line cells by their
        length. (DataTable measures new rows again when the app next goes idle, building a
        renderable per cell: ~30 ms per 100 rows, hence a big first load comes in chunks.)"""
        if not new:
            return
        for index, column in enumerate(self.columns.values()):
            widest = max(self._cell_width(cells[index]) if index < len(cells) else 0
                         for cells in new.values())
            column.content_width = max(column.content_width, widest)

    def _update_cells(self, wanted: dict[str, tuple]) -> None:
        """Same rows in the same order: redraw only the cells that changed."""
        keys = self.column_keys
        changed: dict[str, list[tuple[object, object]]] = {}
        for row_key, cells in wanted.items():
            old = self._shown[row_key]
            if old is cells:  # the tab handed the same row again: nothing to compare
                continue
            for column, (before, after) in enumerate(zip(old, cells, strict=True)):
                if not _same(before, after):
                    self.update_cell(row_key, keys[column], after)
                    changed.setdefault(keys[column], []).append((before, after))
        for key, pairs in changed.items():
            self._fit_column(key, pairs)

    def _cell_width(self, cell: object) -> int:
        """The width DataTable measures for a one-line cell, without building a renderable
        for the usual plain ones (a full measure costs ~60 µs; a column has 1,000 cells)."""
        if cell is None:
            return 0
        if isinstance(cell, Text) and "\n" not in cell.plain:
            return cell.cell_len
        if isinstance(cell, str) and drawn_as_is(cell):
            return cell_len(cell)
        return measure(self.app.console, _as_drawn(cell), 1)

    def _fit_column(self, key: str, pairs: list[tuple[object, object]]) -> None:
        """Widen or narrow a column for its changed cells, once per column.

        DataTable's `update_width` measures the whole column again for every cell that got
        narrower: 50 changed states in a 1,000-row table froze the screen for 3-4 s. Here
        the column is measured again only when its widest cell may have narrowed.
        """
        column = self.columns.get(ColumnKey(key))
        if column is None:
            return
        label = measure(self.app.console, column.label, 1)
        widest_new = max(self._cell_width(after) for _, after in pairs)
        if widest_new >= column.content_width:
            column.content_width = max(widest_new, label)
        elif any(self._cell_width(before) >= column.content_width for before, _ in pairs):
            column.content_width = max([label, *(self._cell_width(cell)
                                                 for cell in self.get_column(key))])

    def _remove(self, key: str) -> None:
        try:
            self.remove_row(key)
        except RowDoesNotExist:
            pass

    def _refill(self, wanted: dict[str, tuple]) -> None:
        """Empty the table and add the rows in order."""
        self.clear()
        for key, cells in wanted.items():
            self.add_row(*cells, key=key)
        self._fit_new_rows(wanted)

    def _rebuild(self, wanted: dict[str, tuple]) -> None:
        """Rows came, went or moved: remove the gone, update the kept, add the new, reorder once."""
        gone = [key for key in self._shown if key not in wanted]
        if len(gone) > MANY_REMOVED:  # remove_row renumbers every row: start afresh instead
            self._refill(wanted)
            return
        for key in gone:
            self._remove(key)
        kept = {key: cells for key, cells in wanted.items() if key in self._shown}
        saved, self._shown = self._shown, {key: self._shown[key] for key in kept}
        self._update_cells(kept)
        self._shown = saved
        new = {key: cells for key, cells in wanted.items() if key not in kept}
        for key, cells in new.items():
            self.add_row(*cells, key=key)
        self._fit_new_rows(new)
        self._reorder(wanted)

    def _reorder(self, wanted: dict[str, tuple]) -> None:
        """Show the rows in the order of `wanted`, renumbering them once (`DataTable.sort`).

        `sort` hands its key function a row's cells, not its key: a row is known by which
        cell objects it holds (the ones `show` was given). Two rows holding the very same
        objects cannot be told apart; then the table is refilled instead.
        """
        if self.shown_keys == list(wanted):
            return
        columns = self.column_keys
        place: dict[tuple[int, ...], int] = {}
        for index, key in enumerate(wanted):
            place[tuple(map(id, self.get_row(key)))] = index
        if len(place) != len(wanted):
            self._refill(wanted)
            return

        def position(cells: Any) -> int:
            """`sort` hands one column's cell alone, several columns' cells as a tuple."""
            return place[tuple(map(id, cells if len(columns) > 1 else (cells,)))]

        self.sort(*columns, key=position)

    # -- what a person arranges: filter, sort, marks (drawn over the tab's cells) ---------

    def _arranged(self) -> dict[str, tuple]:
        """The rows to show: filtered, sorted, marked rows and matches drawn as such.

        With no filter, sort or mark this is the tab's own rows, the very same cell objects
        (so an unchanged row costs nothing to compare).
        """
        keep = self._matches
        wanted = {key: cells for key, cells in self._all.items() if keep(cells)}
        if self._sort is not None and self._sort[0] in self.column_keys:
            column, descending = self._sort
            index = self.column_keys.index(column)
            order = sorted(wanted, key=lambda key: sort_key(cell_text(wanted[key][index]))
                           if index < len(wanted[key]) else (True, ()), reverse=descending)
            wanted = {key: wanted[key] for key in order}
        if not self._marked and not (self._row_filter.active and not self._row_filter.inverted):
            return wanted
        return {key: self._decorated(key, cells) for key, cells in wanted.items()}

    def _decorated(self, key: str, cells: tuple) -> tuple:
        """A row's cells with the filter's matches highlighted and its mark drawn."""
        row_filter = self._row_filter
        out = list(cells)
        if row_filter.active:
            for i, cell in enumerate(cells):
                lit = row_filter.highlight(_as_text(cell))
                if lit is not None:
                    out[i] = lit
        if key in self._marked and out:
            out[0] = Text.assemble((MARK, "bold"), _as_text(out[0]), end="")
            out[0].stylize("bold")
        return tuple(out)

    # sort

    @property
    def sort_column(self) -> tuple[str, bool] | None:
        """(column, descending) the rows are sorted by, or None for the tab's own order."""
        return self._sort

    def sort_by(self, column: str | None, descending: bool = False, *,
                announce: bool = True) -> None:
        """Sort the rows by `column` (None: the tab's own order); says so with `SortChanged`."""
        if column is not None and column not in self.column_keys:
            return
        self._sort = None if column is None else (column, descending)
        self._label_sorted_column()
        if self.is_mounted:
            self._apply()
        if announce:
            self.post_message(self.SortChanged(column, descending))

    def sort_step(self, step: int) -> None:
        """`>` / `<`: sort by the next / previous column; past the last, the tab's own order."""
        keys = self.column_keys
        if not keys:
            return
        places = [None, *keys]
        now = places.index(self._sort[0]) if self._sort else 0
        column = places[(now + step) % len(places)]
        self.sort_by(column, bool(self._sort and self._sort[1]) if column else False)

    def reverse_sort(self) -> None:
        """`O`: turn the direction round (sorting by the first column when unsorted)."""
        if self._sort is None:
            self.sort_by(self.column_keys[0] if self.column_keys else None, True)
        else:
            self.sort_by(self._sort[0], not self._sort[1])

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header: sort by that column; on the sorted one, the other way."""
        event.stop()
        column = str(event.column_key.value)
        if self._sort is not None and self._sort[0] == column:
            self.sort_by(column, not self._sort[1])
        else:
            self.sort_by(column)

    def _label_sorted_column(self) -> None:
        """An arrow after the sorted column's label, none after the others."""
        if not self.columns:
            return
        for key, label in self._column_spec:
            column = self.columns.get(ColumnKey(key))
            if column is None:
                continue
            arrow = SORT_ARROWS[self._sort[1]] if self._sort and self._sort[0] == key else ""
            text = Text.from_markup(label) if isinstance(label, str) else Text(str(label))
            if arrow:  # in the label's own padding where it has some: the column keeps its width
                width = text.cell_len
                text.rstrip()
                text.append(arrow)
                text.pad_right(max(0, width - text.cell_len))
            if column.label.plain != text.plain:
                column.label = text
                widest = max((self._cell_width(cell) for cell in self.get_column(key)), default=0)
                column.content_width = max(widest, text.cell_len)
        if self.is_mounted:
            self._fit_table()
            self.notify_style_update()  # public: empties the drawn-line caches, header included

    # marks

    @property
    def marked_keys(self) -> list[str]:
        """The ids of the marked rows that are still there, in the order shown
        (marked rows the filter hides come after)."""
        if not self._marked:
            return []
        shown = [key for key in self._shown if key in self._marked]
        hidden = [key for key in self._all if key in self._marked and key not in self._shown]
        return shown + hidden

    def toggle_mark(self, key: str | None = None) -> bool:
        """Mark the row (the one under the cursor by default), or unmark it; True if marked."""
        key = key if key is not None else self.selected_key
        if key is None:
            return False
        if key in self._marked:
            self._marked.discard(key)
        else:
            self._marked.add(key)
        self._apply()
        return key in self._marked

    def clear_marks(self) -> int:
        """Unmark every row; how many were marked."""
        count = len(self._marked)
        if count:
            self._marked.clear()
            self._apply()
        return count

    def _forget_gone_marks(self) -> None:
        """A row that went away is no longer marked (nothing acts on what is not there)."""
        self._marked &= set(self._all)


def _as_text(cell: object) -> Text:
    """A cell as Text (a copy when it already was one), to draw over."""
    drawn = _as_drawn(cell)
    if isinstance(drawn, Text):
        return drawn.copy()
    return Text(cell_text(cell), end="")
