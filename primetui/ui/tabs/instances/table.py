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
from typing import Generic, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from primetui.ui.widgets.live_table import LiveTable

T = TypeVar("T")


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
        if key in cache:  # type: ignore[operator]
            return cache[key]  # type: ignore[index]
        cell = self._data[row_key].get(column_key)  # type: ignore[index, arg-type]
        row = self.rows.get(row_key)  # type: ignore[arg-type]
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
        cache[key] = lines  # type: ignore[arg-type]
        return lines


class HeapQuieter:
    """Keeps the garbage collector from freezing the screen while instances are read.

    A collection of the oldest generation walks every object it tracks while holding the
    GIL, in whichever thread triggers it: with boto3's service models and 1,000 rows alive
    that froze the screen for 50-500 ms, most often in the middle of a listing (the worker
    allocates a page of parsed XML at a time). So the collector is paused while a listing
    is read, and when it ends the young objects are collected (the cycles the listing made
    are freed; a few milliseconds). After the first listing, what is alive (models,
    clients, the app's widgets) is also frozen out of sight of later passes, which then walk
    only what came after: the current rows and the screen's caches. Freezing once, not
    after every listing (which kept ~700 objects per refresh), bounds what it can keep: a
    cycle among frozen objects that becomes garbage later is never freed (measured: 2,400
    objects after one refresh, 2,200-6,700 after ten; mostly render caches and widgets that
    existed at the first listing).
    """

    paused = False
    frozen = False

    @classmethod
    def pause(cls) -> None:
        """A listing starts: no collection until it ends."""
        if not cls.paused and gc.isenabled():
            gc.disable()
            cls.paused = True

    @classmethod
    def settle(cls) -> None:
        """A listing ended (or its tab went away): free its cycles, resume collecting."""
        if cls.paused:
            cls.paused = False
            gc.collect(0)
            if not cls.frozen:
                gc.freeze()
                cls.frozen = True
            gc.enable()


class Handoff(Generic[T]):
    """A worker's result that the tab takes out once, so the finished Worker keeps nothing.

    A Textual Worker and its asyncio Task refer to each other (through the task's context),
    so a finished worker is freed only by the garbage collector; a listing left in it
    would keep 1,000 rows (25,000 objects) alive for the collector to walk, or, once
    frozen, for good.
    """

    def __init__(self, value: T) -> None:
        self._value: T | None = value

    def take(self) -> T:
        """The value; afterwards the handoff is empty."""
        value, self._value = self._value, None
        if value is None:
            raise LookupError("the result was already taken")
        return value
