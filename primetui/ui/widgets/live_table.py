"""`LiveTable`: a DataTable whose rows are keyed by id and replaced by diff, with a filter.

A tab hands it every row it knows (`show`), as often as it likes; only the cells that
changed are redrawn, rows that went away are removed, new rows are added, and the cursor
stays on the same id. `set_filter` keeps the rows whose text contains the filter (any
column, case-insensitive). Cells may be `str` or Rich `Text` (for colour).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.render import measure
from textual.widgets import DataTable
from textual.widgets._data_table import default_cell_formatter
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowDoesNotExist

if TYPE_CHECKING:
    from rich.console import RenderableType

Cells = Sequence["RenderableType"]
MANY_REMOVED = 50
"""More rows than this gone at once: the table is refilled rather than emptied row by row."""


def cell_text(cell: object) -> str:
    """The plain text of a cell, for filtering and comparing."""
    return cell.plain if isinstance(cell, Text) else str(cell)


def _same(a: object, b: object) -> bool:
    """Whether two cells draw the same (Text compares its spans too)."""
    if a is b:
        return True
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain == b.plain and a.style == b.style and a.spans == b.spans
    return type(a) is type(b) and a == b


class LiveTable(DataTable):
    """Rows keyed by id, updated by diff; `columns` are (key, label) pairs."""

    def __init__(self, columns: Sequence[tuple[str, str]], *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._column_spec = tuple(columns)
        self._all: dict[str, tuple] = {}
        self._shown: dict[str, tuple] = {}
        self._filter = ""

    def on_mount(self) -> None:
        """Columns first, so rows can be shown at once."""
        for key, label in self._column_spec:
            self.add_column(label, key=key)

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
        self._apply()

    def set_filter(self, text: str) -> None:
        """Keep only the rows containing `text` in any column (case-insensitive)."""
        self._filter = text.strip().lower()
        self._apply()

    def _matches(self, cells: tuple) -> bool:
        if not self._filter:
            return True
        return any(self._filter in cell_text(cell).lower() for cell in cells)

    def _apply(self) -> None:
        """Diff what should be shown against what is shown."""
        wanted = {key: cells for key, cells in self._all.items() if self._matches(cells)}
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
            self._measure_now()
        if selected is not None and selected in wanted:
            try:
                self.move_cursor(row=self.get_row_index(selected), animate=False)
            except RowDoesNotExist:
                pass

    def _measure_now(self) -> None:
        """Size the columns for the new cells now rather than when the app next goes idle.

        DataTable measures on idle, so a frame (or a screenshot) drawn between a worker's
        rows and that idle shows header-wide columns; `show` is called once per load, so
        measuring here costs the same work once. Mirrors `DataTable._on_idle`.
        """
        if self._updated_cells:
            updated, self._updated_cells = self._updated_cells.copy(), set()
            self._update_column_widths(updated)
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows, self._new_rows = self._new_rows.copy(), set()
            self._update_dimensions(self._fit_new_rows(new_rows))

    def _fit_new_rows(self, new_rows: set) -> set:
        """Widen the columns for new one-line rows here (DataTable builds and measures a
        renderable per cell: ~30 ms per 100 rows); the rows it must measure itself."""
        plain = {key for key in new_rows if (row := self.rows.get(key)) is not None
                 and row.height == 1 and not row.auto_height and row.label is None}
        if plain:
            for column in self.columns.values():
                widest = max(self._cell_width(self._data[key].get(column.key)) for key in plain)
                column.content_width = max(column.content_width, widest)
        return new_rows - plain

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
        if isinstance(cell, str) and "[" not in cell and "\n" not in cell:
            return cell_len(cell)
        return measure(self.app.console, default_cell_formatter(cell, wrap=False, height=1), 1)

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
            column.content_width = max([label, *(self._cell_width(cells.get(column.key, ""))
                                                 for cells in self._data.values())])
        else:
            return
        self._require_update_dimensions = True

    def _remove(self, key: str) -> None:
        try:
            self.remove_row(key)
        except RowDoesNotExist:
            pass

    def _rebuild(self, wanted: dict[str, tuple]) -> None:
        """Rows came, went or moved: remove the gone, update the kept, add the new, reorder once."""
        gone = [key for key in self._shown if key not in wanted]
        if len(gone) > MANY_REMOVED:  # remove_row renumbers every row: start afresh instead
            self.clear()
            for key, cells in wanted.items():
                self.add_row(*cells, key=key)
            return
        for key in gone:
            self._remove(key)
        kept = {key: cells for key, cells in wanted.items() if key in self._shown}
        saved, self._shown = self._shown, {key: self._shown[key] for key in kept}
        self._update_cells(kept)
        self._shown = saved
        for key, cells in wanted.items():
            if key not in kept:
                self.add_row(*cells, key=key)
        self._reorder(list(wanted))

    def _reorder(self, keys: list[str]) -> None:
        """Show the rows in the order of `keys` (what `DataTable.sort` does, by our order)."""
        current = sorted(self.rows, key=lambda row_key: self._row_locations.get(row_key) or 0)
        if [row_key.value for row_key in current] == keys:
            return
        by_value = {row_key.value: row_key for row_key in self.rows}
        self._row_locations = TwoWayDict({by_value[key]: i for i, key in enumerate(keys)})
        self._update_count += 1
        self.refresh()
