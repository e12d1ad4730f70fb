"""`LiveTable` and `TableTab`: rows replaced by diff, the cursor kept on its id, the filter."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from primetui.ui.tabs.table_tab import TableTab
from primetui.ui.widgets.live_table import LiveTable

COLUMNS = (("name", "Name"), ("state", "State"))


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS)


class DemoTab(TableTab):
    TAB_ID = "demo"
    TITLE = "Demo"
    COLUMNS = COLUMNS
    BINDINGS = [TableTab.FILTER_BINDING, TableTab.CLEAR_FILTER_BINDING]


class TabApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DemoTab(None)


def rows(*pairs: tuple[str, str, str]) -> dict[str, tuple[str, str]]:
    return {key: (name, state) for key, name, state in pairs}


async def test_changed_cell_is_updated_without_rebuilding_the_rows():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LiveTable)
        table.show(rows(("a", "web", "running"), ("b", "db", "stopped")))
        await pilot.pause()
        first_keys = list(table.rows)
        table.show(rows(("a", "web", "stopping"), ("b", "db", "stopped")))
        await pilot.pause()
        assert list(table.rows) == first_keys  # the same row objects, not new ones
        assert table.get_cell("a", "state") == "stopping"
        assert table.row_count == 2


async def test_rows_that_went_away_are_removed_and_new_ones_added():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LiveTable)
        table.show(rows(("a", "web", "running"), ("b", "db", "stopped")))
        table.show(rows(("b", "db", "stopped"), ("c", "cache", "pending")))
        await pilot.pause()
        assert table.shown_keys == ["b", "c"]
        assert table.get_cell("c", "name") == "cache"


async def test_cursor_stays_on_the_same_id_when_rows_move():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LiveTable)
        table.show(rows(("a", "web", "running"), ("b", "db", "stopped"), ("c", "x", "y")))
        await pilot.pause()
        table.move_cursor(row=1)
        assert table.selected_key == "b"
        table.show(rows(("z", "new", "pending"), ("a", "web", "running"), ("b", "db", "s"),
                        ("c", "x", "y")))
        await pilot.pause()
        assert table.selected_key == "b"


async def test_styled_cells_compare_by_style_too():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LiveTable)
        table.show({"a": ("web", Text("running", style="green"))})
        table.show({"a": ("web", Text("running", style="red"))})
        await pilot.pause()
        assert table.get_cell("a", "state").style == "red"


async def test_slash_filters_by_any_column_and_escape_clears():
    app = TabApp()
    async with app.run_test() as pilot:
        tab = app.query_one(DemoTab)
        tab.table.show(rows(("a", "web", "running"), ("b", "db", "stopped")))
        tab.focus_content()
        await pilot.press("slash", "s", "t", "o", "p")
        await pilot.pause()
        assert tab.table.shown_keys == ["b"]
        await pilot.press("enter")
        assert app.focused is tab.table
        await pilot.press("escape")
        await pilot.pause()
        assert tab.table.shown_keys == ["a", "b"]
        assert not tab.filter_input.has_class("-shown")


async def test_filtered_table_still_takes_new_rows_that_match():
    app = TabApp()
    async with app.run_test() as pilot:
        tab = app.query_one(DemoTab)
        tab.table.show(rows(("a", "web", "running")))
        tab.table.set_filter("db")
        tab.table.show(rows(("a", "web", "running"), ("b", "db", "stopped")))
        await pilot.pause()
        assert tab.table.shown_keys == ["b"]
        assert tab.table.total == 2


async def test_rows_reordered_and_removed_from_the_middle_keep_their_cells():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LiveTable)
        table.show({str(i): (f"n{i}", "s") for i in range(200)})
        await pilot.pause()
        order = [str(i) for i in range(199, -1, -1) if i % 3]
        table.show({key: (f"n{key}", "t") for key in order})
        await pilot.pause()
        assert table.shown_keys == order
        assert table.get_cell("100", "name") == "n100" and table.get_cell("100", "state") == "t"
        many_gone = order[::7]
        table.show({key: (f"n{key}", "t") for key in many_gone})
        assert table.shown_keys == many_gone


def content_widths(table: DataTable) -> dict[str, int]:
    return {column.key.value: column.content_width for column in table.columns.values()}


async def test_columns_are_as_wide_as_datatable_makes_them_for_the_same_cells():
    """New rows and changed cells (widening, narrowing when the widest cell shrank; plain,
    Text and markup cells) are measured by LiveTable itself: the widths match DataTable's."""
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LiveTable)
        before = {str(i): (f"web-{i}", Text("running", style="green")) for i in range(300)}
        before["7"] = ("a-rather-long-instance-name", Text("shutting-down", style="red"))
        table.show(before)
        await pilot.pause()
        after = dict(before)
        after["7"] = ("db", Text("stopped", style="red"))  # the widest cell of both columns
        after["8"] = ("[b]x[/b]", "pending")  # markup: measured as the text it shows
        table.show(after)
        await pilot.pause()
        reference = DataTable()
        await app.mount(reference)
        for key, label in COLUMNS:
            reference.add_column(label, key=key)
        for key, cells in after.items():
            reference.add_row(*cells, key=key)
        await pilot.pause()
        assert content_widths(table) == content_widths(reference)
        assert content_widths(table)["name"] == len("web-299")
        assert content_widths(table)["state"] == len("running")


async def test_a_longer_value_widens_its_column():
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LiveTable)
        table.show({"a": ("web", "up")})
        await pilot.pause()
        table.show({"a": ("web", "stopping")})
        await pilot.pause()
        state = next(c for c in table.columns.values() if c.key.value == "state")
        assert state.content_width >= len("stopping")


async def test_rows_holding_the_very_same_cells_still_take_the_order_asked():
    """A reorder knows a row by its cell objects; rows sharing all of them are refilled."""
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(LiveTable)
        same = ("web", "up")
        table.show({"a": same, "b": same, "c": ("db", "down")})
        await pilot.pause()
        table.move_cursor(row=1)
        table.show({"c": ("db", "down"), "b": same, "a": same})
        await pilot.pause()
        assert table.shown_keys == ["c", "b", "a"]
        assert table.selected_key == "b"


async def test_columns_are_fitted_before_the_next_frame():
    """No frame shows header-wide columns: the widths and the scrollable size are set by
    `show` itself, not when the app next goes idle."""
    app = TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(LiveTable)
        await pilot.pause()
        table.show({"a": ("a-rather-long-instance-name-indeed", "stopped")})
        widths = content_widths(table)
        assert widths == {"name": len("a-rather-long-instance-name-indeed"), "state": len("stopped")}
        assert table.virtual_size.width == sum(w + 2 for w in widths.values())
        assert table.virtual_size.height == 2  # the header and the row
