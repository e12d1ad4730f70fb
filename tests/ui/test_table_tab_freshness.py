"""Every table tab says when its data was last read: "reading…" while a read is on its way,
"read HH:MM:SS" (local time) once it came back, the last time kept when a read fails."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static
from textual.worker import WorkerFailed

from primetui.config import Settings
from primetui.errors import PrimeError
from primetui.ui.tabs import TABS
from primetui.ui.tabs.table_tab import TableTab, clock
from primetui.ui.tabs.wiring import TabWiring
from tests.fixtures.shell import lab_app, lab_settings, settle
from tests.fixtures.small_terminal import SMALL


class LabTab(TableTab[TabWiring]):
    """A table tab whose read waits for the test to let it answer."""

    TAB_ID = "lab"
    TITLE = "Lab"
    COLUMNS = (("name", "Name"),)

    def __init__(self) -> None:
        super().__init__(TabWiring(Settings()))
        self.gate = threading.Event()
        self.answer: Exception | None = None

    def read_rows(self) -> dict[str, tuple[str]]:
        assert self.gate.wait(10), "the test never let the read answer"
        if self.answer is not None:
            raise self.answer
        return {"ws1": ("ws1",)}

    def reload(self) -> None:
        self.gate.clear()
        self.run_in_thread(self.read_rows, done=self.table.show, group="lab")


class TabHost(App[None]):
    def __init__(self, body: TableTab[Any]) -> None:
        super().__init__()
        self.body = body

    def compose(self) -> ComposeResult:
        yield self.body


def read_label(tab: TableTab[Any]) -> str:
    return str(tab.query_one(f"#{tab.TAB_ID}-read", Static).content)


async def finish(app: App[Any], pilot) -> None:
    await pilot.pause()
    try:
        await app.workers.wait_for_complete()
    except WorkerFailed:
        pass
    await pilot.pause()


async def test_a_read_shows_reading_then_the_local_time_it_came_back():
    tab = LabTab()
    app = TabHost(tab)
    async with app.run_test(size=SMALL) as pilot:
        assert read_label(tab) == ""  # never read yet: nothing to say
        tab.reload()
        await pilot.pause()
        assert read_label(tab) == "reading…"
        before = time.time()
        tab.gate.set()
        await finish(app, pilot)
        assert tab.read_at is not None and tab.read_at >= before
        assert read_label(tab) == f"read {clock(tab.read_at)}"
        assert time.strftime("%H:%M:%S", time.localtime(tab.read_at)) == clock(tab.read_at)
        assert tab.table.shown_keys == ["ws1"]


async def test_a_failed_read_keeps_the_time_of_the_last_good_one():
    tab = LabTab()
    app = TabHost(tab)
    async with app.run_test(size=SMALL) as pilot:
        tab.reload()
        tab.gate.set()
        await finish(app, pilot)
        shown = read_label(tab)
        assert shown.startswith("read ")
        tab.answer = PrimeError("The lab is closed.")
        tab.reload()
        await pilot.pause()
        assert read_label(tab) == "reading…"
        tab.gate.set()
        await finish(app, pilot)
        assert read_label(tab) == shown


async def test_a_read_replaced_by_a_newer_one_keeps_saying_reading():
    tab = LabTab()
    app = TabHost(tab)
    async with app.run_test(size=SMALL) as pilot:
        tab.reload()
        await pilot.pause()
        tab.run_in_thread(lambda: {}, done=tab.table.show, group="lab-other")  # not a read
        await pilot.pause()
        tab.reload()  # cancels the first (exclusive group): the second is still on its way
        await pilot.pause()
        await pilot.pause()
        assert read_label(tab) == "reading…"
        tab.gate.set()
        await finish(app, pilot)
        assert read_label(tab).startswith("read ")


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr("primetui.ui.tabs.table_tab.clock", lambda when: "09:41:07")


async def test_every_table_tab_says_when_it_was_read(aws_settings, tmp_path, fixed_clock):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    table_tabs = [tab for tab in TABS if issubclass(tab.load(), TableTab)]
    assert {t.id for t in table_tabs} == {"instances", "schedules", "certificates", "backups",
                                          "maintenance", "audit"}
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        for tab in table_tabs:
            await pilot.press(tab.key)
            await settle(app, pilot)
            label = app.screen.query_one(f"#{tab.id}-read", Static)
            assert str(label.content) == "read 09:41:07", tab.id
            assert label.region.width > 0 and label.region.right <= SMALL[0], tab.id
