"""The keys every table tab has: j/k/g/G, sort (keys, header click, remembered), marks, the
regex/fuzzy/inverted filter with its highlight, copy to the clipboard (OSC 52), and the
details pane on a large terminal only."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Static

from primetui.config import Settings, load_settings
from primetui.ui.tabs.table_tab import TableTab
from primetui.ui.widgets.live_table import MARK, cell_text, sort_key
from primetui.ui.widgets.row_filter import RowFilter

COLUMNS = (("name", "Name"), ("state", "State"), ("days", "Days left"))
ROWS = {
    "i-1": ("web-prod", "running", "12 d"),
    "i-2": ("db-staging", "stopped", "9 d"),
    "i-3": ("cache", "running", "100 d"),
    "i-4": ("batch-prod", "stopped", ""),
}


class KeysTab(TableTab):
    TAB_ID = "keys"
    TITLE = "Keys"
    COLUMNS = COLUMNS
    BINDINGS = [TableTab.FILTER_BINDING, TableTab.CLEAR_FILTER_BINDING]

    def on_mount(self) -> None:
        self.table.show(ROWS)

    def row_details(self, key: str) -> Text | None:
        name, state, _ = ROWS[key]
        return Text(f"{name} is {state}")

    def copy_values(self, key: str) -> list[tuple[str, str]]:
        return [("instance id", key), ("address", f"10.0.0.{key[-1]}")]


class KeysApp(App[None]):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        yield KeysTab(None)

    def on_mount(self) -> None:
        self.query_one(KeysTab).table.focus()


def tab(app: App) -> KeysTab:
    return app.query_one(KeysTab)


def names(app: App) -> list[str]:
    return [ROWS[key][0] for key in tab(app).table.shown_keys]


async def test_j_k_g_and_shift_g_move_like_the_arrows_home_and_end():
    app = KeysApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = tab(app).table
        await pilot.press("j", "j")
        assert table.selected_key == "i-3"
        await pilot.press("k")
        assert table.selected_key == "i-2"
        await pilot.press("G")
        assert table.selected_key == "i-4"
        await pilot.press("g")
        assert table.selected_key == "i-1"


async def test_greater_than_sorts_by_the_next_column_and_shift_o_reverses_it():
    app = KeysApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("greater_than_sign")  # by Name
        assert names(app) == ["batch-prod", "cache", "db-staging", "web-prod"]
        assert tab(app).table.columns[next(iter(tab(app).table.columns))].label.plain == "Name ▲"
        await pilot.press("O")
        assert names(app) == ["web-prod", "db-staging", "cache", "batch-prod"]
        await pilot.press("greater_than_sign", "greater_than_sign")  # State, then Days left
        assert tab(app).table.sort_column == ("days", True)
        await pilot.press("O")  # numbers by value, the empty cell last
        assert names(app) == ["db-staging", "web-prod", "cache", "batch-prod"]
        await pilot.press("greater_than_sign")  # past the last column: the tab's own order
        assert tab(app).table.sort_column is None
        assert names(app) == ["web-prod", "db-staging", "cache", "batch-prod"]
        await pilot.press("less_than_sign")
        assert tab(app).table.sort_column == ("days", False)


async def test_clicking_a_header_sorts_and_clicking_it_again_turns_the_direction_round():
    app = KeysApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#keys-table", offset=(3, 0))  # the Name header
        assert tab(app).table.sort_column == ("name", False)
        assert names(app)[0] == "batch-prod"
        await pilot.click("#keys-table", offset=(3, 0))
        assert tab(app).table.sort_column == ("name", True)
        assert names(app)[0] == "web-prod"


async def test_the_sort_is_remembered_per_tab_in_the_config_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('# mine\n[ui]\ntheme = "prime-dark"\n', encoding="utf-8")
    app = KeysApp(load_settings(config))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("greater_than_sign", "greater_than_sign", "O")  # State, descending
        await pilot.pause()
    text = config.read_text(encoding="utf-8")
    assert "# mine" in text and 'theme = "prime-dark"' in text
    assert load_settings(config).ui.sort == {"keys": "-state"}

    again = KeysApp(load_settings(config))
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert tab(again).table.sort_column == ("state", True)
        assert [ROWS[k][1] for k in tab(again).table.shown_keys] == [
            "stopped", "stopped", "running", "running"]


async def test_a_demo_sort_is_kept_for_the_session_but_not_written(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[ui]\n", encoding="utf-8")
    settings = dataclasses.replace(load_settings(config), demo=True)
    app = KeysApp(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert app.settings.ui.sort == {"keys": "name"}
    assert config.read_text(encoding="utf-8") == "[ui]\n"


async def test_space_marks_rows_visibly_and_escape_unmarks_them():
    app = KeysApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = tab(app).table
        await pilot.press("space", "j", "space")  # marks i-1, moves on; skips i-2; marks i-3
        assert table.marked_keys == ["i-1", "i-3"]
        assert cell_text(table.get_cell("i-1", "name")) == MARK + "web-prod"
        assert cell_text(table.get_cell("i-2", "name")) == "db-staging"
        assert tab(app).acted_on_keys() == ["i-1", "i-3"]
        note = app.query_one("#keys-filter-note", Static)
        assert "2 marked" in str(note.content)
        await pilot.press("escape")
        assert table.marked_keys == []
        assert cell_text(table.get_cell("i-1", "name")) == "web-prod"
        assert tab(app).acted_on_keys() == [table.selected_key]


async def test_a_mark_on_a_row_that_went_away_is_forgotten():
    app = KeysApp()
    async with app.run_test(size=(100, 30)) as pilot:
        table = tab(app).table
        await pilot.press("space")
        table.show({k: v for k, v in ROWS.items() if k != "i-1"})
        await pilot.pause()
        assert table.marked_keys == []


async def test_slash_filters_by_regex_says_so_and_highlights_the_match():
    app = KeysApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", *"prod$")
        assert names(app) == ["web-prod", "batch-prod"]
        note = str(app.query_one("#keys-filter-note", Static).content)
        assert "regex match" in note and "2 of 4 rows" in note
        cell = tab(app).table.get_cell("i-1", "name")
        assert isinstance(cell, Text)
        assert [(s.start, s.end) for s in cell.spans if "reverse" in str(s.style)] == [(4, 8)]


async def test_tilde_filters_fuzzily_and_bang_inverts():
    app = KeysApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", "~", *"dbstg")
        assert names(app) == ["db-staging"]
        assert "fuzzy match" in str(app.query_one("#keys-filter-note", Static).content)
        await pilot.press("escape")
        await pilot.press("slash", "!", *"running")
        assert names(app) == ["db-staging", "batch-prod"]
        assert "not matching" in str(app.query_one("#keys-filter-note", Static).content)


def test_a_filter_that_is_not_a_regex_matches_as_typed():
    parsed = RowFilter.parse("web(")
    assert parsed.mode == "text" and parsed.matches(["web(1)"]) and not parsed.matches(["web"])
    assert "not a valid regular expression" in parsed.describe(1, 2)


def test_sort_key_orders_numbers_by_value_and_empty_cells_last():
    texts = ["10.0.1.10", "", "10.0.1.9", "Alpha", "alpha 2"]
    assert sorted(texts, key=sort_key) == ["10.0.1.9", "10.0.1.10", "Alpha", "alpha 2", ""]


@pytest.fixture
def terminal_output(monkeypatch) -> list[str]:
    """What the app writes to the terminal (the headless driver writes nothing)."""
    written: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "write", lambda self, data: written.append(data))
    return written


async def test_y_copies_the_id_and_shift_y_the_address_with_osc_52(terminal_output):
    app = KeysApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("j", "y")
        assert f"\x1b]52;c;{base64.b64encode(b'i-2').decode()}\a" in terminal_output
        assert app.clipboard == "i-2"
        assert any("Copied the instance id: i-2" in n.message for n in app._notifications)
        await pilot.press("Y")
        assert f"\x1b]52;c;{base64.b64encode(b'10.0.0.2').decode()}\a" in terminal_output


async def test_the_details_pane_shows_at_120x36_and_follows_the_cursor():
    app = KeysApp()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert tab(app).pane_shown
        pane = app.query_one("#keys-pane")
        assert pane.display and pane.region.height > 0
        text = app.query_one("#keys-pane-text", Static)
        assert str(text.content) == "web-prod is running"
        await pilot.press("j")
        assert str(text.content) == "db-staging is stopped"


async def test_there_is_no_details_pane_at_80x24():
    app = KeysApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not tab(app).pane_shown
        assert app.query_one("#keys-pane").region.height == 0


def test_settings_read_a_sort_per_tab(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('[ui.sort]\ninstances = "-state"\n', encoding="utf-8")
    assert load_settings(config).ui.sort == {"instances": "-state"}


async def test_c_on_a_plan_screen_copies_its_commands_with_osc_52(terminal_output):
    from primetui.plans.plan import Plan, PlanResult, Step
    from primetui.ui.screens.plan_screen import PlanRunner, PlanScreen

    plan = Plan("Stop 2 instances", "a, b", [
        Step("Stop a", ["aws ec2 stop-instances --instance-ids i-a"], lambda ctx: None),
        Step("Stop b", ["aws ec2 stop-instances --instance-ids i-b"], lambda ctx: None)])
    never = PlanRunner(lambda *a: PlanResult([], ok=False), lambda *a: PlanResult([], ok=False))

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(PlanScreen(plan, never))

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        copied = ("aws ec2 stop-instances --instance-ids i-a\n"
                  "aws ec2 stop-instances --instance-ids i-b")
        assert f"\x1b]52;c;{base64.b64encode(copied.encode()).decode()}\a" in terminal_output
        assert isinstance(app.screen, PlanScreen) and app.screen.phase == "review"


async def test_a_sorted_table_stays_sorted_when_the_tab_shows_new_rows():
    app = KeysApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("greater_than_sign")  # by Name
        table = tab(app).table
        table.show({**ROWS, "i-5": ("api-prod", "pending", "1 d")})
        await pilot.pause()
        assert [cell_text(table.get_row(k)[0]) for k in table.shown_keys] == [
            "api-prod", "batch-prod", "cache", "db-staging", "web-prod"]
