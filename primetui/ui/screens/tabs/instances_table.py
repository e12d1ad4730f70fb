"""The Instances tab's table, made to stay responsive with 1,000 rows.

`FastLiveTable`: a `LiveTable` that draws one-line plain `Text` cells without Rich's
layout machinery, so redrawing a screenful of a 1,000-row table stays well under 100 ms.

DataTable forgets every rendered cell whenever any cell changes, then renders each visible
cell (every column of each visible row) through Padding → Styled → Console.render_lines:
about a quarter of a millisecond per cell, ~100 ms per frame at 120x36 with 9 columns. A
cell that is a `Text` with one style and no line break is exactly one padded segment, built
here directly with the same styles the DataTable would apply; anything else (headers,
labels, spans, wrapped rows) goes the usual way. The output is the same picture.
"""

from __future__ import annotations

import gc

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from primetui.ui.widgets.live_table import LiveTable


def _unlink(cache) -> None:
    """Break an LRUCache's ring of links before it is dropped, so the links are freed at
    once instead of becoming thousands of cycles for the garbage collector to find."""
    for link in getattr(cache, "_cache", {}).values():
        link[:2] = (None, None)


class FastLiveTable(LiveTable):
    """A LiveTable with a direct path for one-line, single-style `Text` body cells."""

    def _drop_rings(self) -> None:
        for cache in (self._row_render_cache, self._cell_render_cache, self._line_cache):
            _unlink(cache)

    def _clear_caches(self) -> None:
        self._drop_rings()
        super()._clear_caches()

    def notify_style_update(self) -> None:
        self._drop_rings()
        super().notify_style_update()

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False):
        """DataTable._render_cell (same cache key), without Rich layout for plain cells."""
        if row_index < self.fixed_rows or column_index < self.fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
               self._update_count, self._pseudo_class_state, width)
        cache = self._cell_render_cache
        if key in cache:
            return cache[key]
        cell = self._data[row_key].get(column_key)
        row = self.rows.get(row_key)
        if (not isinstance(cell, Text) or cell.spans or "\n" in cell.plain or row is None
                or row.height != 1):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        outer = base_style + Style.from_meta({"row": row_index, "column": column_index})
        outer += component_style
        style = cell.style if isinstance(cell.style, Style) else Style.parse(cell.style or "none")
        pad = self.cell_padding
        inner = max(0, width - 2 * pad)
        body = set_cell_size(cell.plain, inner).rstrip(" ") if cell.plain.strip() else ""
        fill = inner - cell_len(body)  # Rich pads a cell without the text's own style
        segments = [Segment(body, outer + style + post_style)] if body else []
        if pad or fill:
            segments = [Segment(" " * pad, outer + post_style), *segments,
                        Segment(" " * (fill + pad), outer + post_style)]
        lines = [segments]
        cache[key] = lines
        return lines


class HeapQuieter:
    """Keeps the garbage collector's full passes short once the instances are known.

    With boto3's service models and 1,000 rows alive, a full collection walks millions of
    objects and holds the GIL for 200-500 ms, in whichever thread triggers it: the screen
    freezes. So the collector is paused during the first listing, and what is alive after
    it (long-lived: models, clients, rows) is frozen out of its sight; later passes only
    walk what is new. Done once per process; nothing is freed late except cycles that
    were already garbage at that moment.
    """

    state = "idle"
    """idle → paused (first load running) → done."""

    @classmethod
    def pause(cls) -> None:
        if cls.state == "idle" and gc.isenabled():
            gc.disable()
            cls.state = "paused"

    @classmethod
    def settle(cls) -> None:
        if cls.state == "paused":
            gc.freeze()
            gc.enable()
            cls.state = "done"
