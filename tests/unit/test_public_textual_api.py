"""primetui uses only Textual's public API and leaves the garbage collector alone.

Textual's private modules (`textual._*`, `textual.widgets._*`) and a DataTable's private
attributes change between releases without notice; a process-wide switch of the garbage
collector (`gc.disable`, `gc.freeze`) changes every library's memory behaviour. Either
would hold Textual back at one version again.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "primetui"

PRIVATE_IMPORT = re.compile(
    r"^\s*(?:from\s+textual(?:\.widgets)?\._\w*|import\s+textual(?:\.widgets)?\._\w*)", re.M)
"""`from textual._x import …`, `from textual.widgets._x import …`, `import textual._x`."""

GC_SWITCH = re.compile(r"\bgc\.(?:disable|enable|freeze|unfreeze|set_threshold)\s*\(")

PRIVATE_NAMES = ("_row_locations", "_column_locations", "_render_cell", "_thread_id",
                 "TwoWayDict", "default_cell_formatter", "_update_dimensions",
                 "_require_update_dimensions", "_cell_render_cache", "_line_cache")
"""Textual internals the tables once reached into."""


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def offending(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    return found


def test_the_sources_are_found():
    assert len(sources()) > 50


def test_no_private_textual_module_is_imported():
    assert offending(PRIVATE_IMPORT) == []


def test_no_private_textual_attribute_is_used():
    names = re.compile(r"\b(?:" + "|".join(map(re.escape, PRIVATE_NAMES)) + r")\b")
    assert offending(names) == []


def test_the_garbage_collector_is_never_switched():
    assert offending(GC_SWITCH) == []
    assert offending(re.compile(r"^\s*(?:import\s+gc\b|from\s+gc\s+import)", re.M)) == []


def test_the_patterns_catch_what_they_are_for():
    """The checks above would see the imports and calls they forbid."""
    assert PRIVATE_IMPORT.search("from textual._two_way_dict import TwoWayDict")
    assert PRIVATE_IMPORT.search("from textual.widgets._data_table import default_cell_formatter")
    assert PRIVATE_IMPORT.search("    import textual._context")
    assert not PRIVATE_IMPORT.search("from textual.widgets.data_table import RowKey")
    assert GC_SWITCH.search("            gc.disable()") and GC_SWITCH.search("gc.freeze()")
    assert not GC_SWITCH.search("# the collector is never paused (no gc switch)")
