"""`LiveTable`: a DataTable whose rows are keyed by id and replaced by diff, with a filter.

A tab hands it every row it knows (`show`), as often as it likes; only the cells that
changed are redrawn, rows that went away are removed, new rows are added, and the cursor
stays on the same id. `set_filter` keeps the rows whose text contains the filter (any
column, case-insensitive). Cells may be `str` or Rich `Text` (for colour).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

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
        return [row.key.value for row in self.ordered_rows]

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
            self._update_dimensions(new_rows)

    def _update_cells(self, wanted: dict[str, tuple]) -> None:
        """Same rows in the same order: redraw only the cells that changed."""
        keys = self.column_keys
        for row_key, cells in wanted.items():
            old = self._shown[row_key]
            for column, (before, after) in enumerate(zip(old, cells, strict=True)):
                if not _same(before, after):
                    self.update_cell(row_key, keys[column], after, update_width=True)

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
        current = sorted(self.rows, key=lambda row_key: self._row_locations.get(row_key))
        if [row_key.value for row_key in current] == keys:
            return
        by_value = {row_key.value: row_key for row_key in self.rows}
        self._row_locations = TwoWayDict({by_value[key]: i for i, key in enumerate(keys)})
        self._update_count += 1
        self.refresh()
