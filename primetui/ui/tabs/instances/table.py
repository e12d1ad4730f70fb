"""The Instances tab's table, made to stay responsive with 1,000 rows.

`FastLiveTable`: a `LiveTable` that draws its plain rows itself (the Line API's
`render_line`), so redrawing a screenful of a 1,000-row table stays well under 100 ms.

DataTable forgets every rendered cell whenever any cell changes (adding a chunk of rows
during the first load, a state that changed), then renders each visible cell through
Padding → Styled → Console.render_lines: about a quarter of a millisecond per cell, ~100 ms
per frame at 120x36 with 9 columns. A row whose cells are all `Text` with one style and no
line break, and which is neither under the cursor nor the mouse, is a line of padded
segments, built here with the styles DataTable gives such a row (its zebra stripe). So is a
row of plain `str` cells (what the Instances tab mostly hands it: strings are not tracked by
the garbage collector) mixed with such `Text` cells; the header, the cursor's and the
mouse's rows and anything else are drawn by DataTable itself.
The output is the same picture.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from primetui.ui.widgets.live_table import LiveTable, drawn_as_is

T = TypeVar("T")
NO_STYLE = Style()


def _plain(cell: object) -> bool:
    """Whether a cell is drawn here: a `str` that DataTable would not read as markup, or a
    `Text` with one style; either on one line."""
    if type(cell) is str:
        return drawn_as_is(cell)
    return isinstance(cell, Text) and not cell.spans and "\n" not in cell.plain


class FastLiveTable(LiveTable):
    """A LiveTable that draws its plain one-line rows without Rich's layout machinery."""

    def render_line(self, y: int) -> Strip:
        """Line `y` of the widget: a plain body row drawn here, anything else by DataTable."""
        header = self.header_height if self.show_header else 0
        row_index = y + self.scroll_offset.y - header
        if (y < header or row_index >= self.row_count or self.fixed_rows or self.fixed_columns
                or self.cursor_type != "row" or row_index in (self.cursor_row, self.hover_row)):
            return super().render_line(y)
        cells = self.get_row_at(row_index)
        if not all(_plain(cell) for cell in cells):
            return super().render_line(y)
        base_style = self.rich_style
        if self.zebra_stripes:
            row_style = self.get_component_styles(
                "datatable--odd-row" if row_index % 2 else "datatable--even-row").rich_style
        else:
            row_style = base_style
        pad = self.cell_padding
        segments: list[Segment] = []
        table_width = 0
        for column_index, (cell, column) in enumerate(zip(cells, self.ordered_columns,
                                                          strict=False)):
            width = column.get_render_width(self)
            table_width += width
            outer = row_style + Style.from_meta({"row": row_index, "column": column_index})
            if isinstance(cell, Text):
                text = cell.plain
                style = cell.style if isinstance(cell.style, Style) else Style.parse(
                    cell.style or "none")
            else:
                text, style = cell, NO_STYLE
            inner = max(0, width - 2 * pad)
            body = set_cell_size(text, inner).rstrip(" ") if text.strip() else ""
            fill = inner - cell_len(body)  # Rich pads a cell without the text's own style
            if pad:
                segments.append(Segment(" " * pad, outer))
            if body:
                segments.append(Segment(body, outer + style))
            if pad or fill:
                segments.append(Segment(" " * (fill + pad), outer))
        width = self.size.width
        extend = row_style + Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        segments.append(Segment(" " * max(0, width - table_width), extend))
        scroll_x = self.scroll_offset.x
        return Strip(segments).crop(scroll_x, scroll_x + width).adjust_cell_length(
            width, base_style).simplify()


class Handoff(Generic[T]):
    """A worker's result that the tab takes out once, so the finished Worker keeps nothing.

    A Textual Worker and its asyncio Task refer to each other (through the task's context),
    so a finished worker is freed only by the garbage collector; a listing left in it
    would keep 1,000 rows (25,000 objects) alive until then, for every collection to walk.
    """

    def __init__(self, value: T) -> None:
        self._value: T | None = value

    def take(self) -> T:
        """The value; afterwards the handoff is empty."""
        value, self._value = self._value, None
        if value is None:
            raise LookupError("the result was already taken")
        return value
