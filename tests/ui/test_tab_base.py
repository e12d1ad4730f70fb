"""What every tab shares: its wiring (never the registry), the one read-only rule, the one
worker route, the one details frame, and the names of modal screens."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import WorkerFailed

import primetui.ui
from primetui.config import Settings, UiSettings
from primetui.errors import PrimeError
from primetui.registry import Services
from primetui.ui.messages import WorkFailed
from primetui.ui.screens.details import DetailsScreen
from primetui.ui.screens.main import tab_wiring
from primetui.ui.tabs import TABS
from primetui.ui.tabs.base import TabBody
from primetui.ui.tabs.wiring import TabWiring

UI = Path(primetui.ui.__file__).parent
SIZE = (100, 30)


# -- wiring ----------------------------------------------------------------------------------

def test_no_tab_module_imports_the_registry():
    offenders = []
    for path in sorted((UI / "tabs").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if any(n == "primetui.registry" for n in names):
                offenders.append(str(path.relative_to(UI)))
    assert offenders == []


def test_each_tab_is_given_its_own_services_and_never_the_registry(tmp_path):
    services = Services(Settings(ui=UiSettings(read_only=True)))
    for tab in TABS:
        wiring = tab_wiring(tab.id, services)
        assert isinstance(wiring, TabWiring) and wiring.read_only
        given = vars(wiring).values()
        assert not any(isinstance(v, Services) for v in given), tab.id
        body = tab.load()(wiring)
        assert body.wiring is wiring and body.read_only
    assert tab_wiring("backups", None) is None


def test_a_tab_with_no_wiring_is_not_read_only_and_shows_its_keys():
    body = TABS[4].load()(None)
    assert not body.read_only
    assert ("c", body.BINDINGS[0].tooltip) in body.key_lines()


# -- the one read-only rule ------------------------------------------------------------------

class SwitchTab(TabBody[TabWiring]):
    """A tab with one key that changes something and one that only reads."""

    TAB_ID = "switch"
    TITLE = "Switch"
    BINDINGS = [Binding("s", "switch", "Switch"), Binding("l", "look", "Look")]
    MUTATING = frozenset({"switch"})
    READ_ONLY = "Read-only mode is on, so nothing is switched."

    def __init__(self, wiring: TabWiring | None) -> None:
        super().__init__(wiring)
        self.done: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("switch")

    def action_switch(self) -> None:
        self.done.append("switch")

    def action_look(self) -> None:
        self.done.append("look")


class TabHost(App[None]):
    def __init__(self, body: TabBody[Any]) -> None:
        super().__init__()
        self.body = body

    def compose(self) -> ComposeResult:
        yield self.body

    def on_mount(self) -> None:
        self.body.focus()


def messages(app: App[Any]) -> list[str]:
    return [n.message for n in app._notifications]


async def test_read_only_hides_a_mutating_key_and_refuses_the_action_once():
    tab = SwitchTab(TabWiring(Settings(ui=UiSettings(read_only=True))))
    app = TabHost(tab)
    async with app.run_test(size=SIZE) as pilot:
        assert "l" in app.active_bindings and "s" not in app.active_bindings
        await pilot.press("s", "l")
        await pilot.pause()
        assert tab.done == ["look"] and messages(app) == []
        tab.action_switch()  # as enter on a row or the palette would call it
        await pilot.pause()
        assert tab.done == ["look"]
        assert messages(app) == ["Read-only mode is on, so nothing is switched."]
        assert ("s", "Switch (off: read-only)") in tab.key_lines()


async def test_without_read_only_the_mutating_action_runs():
    tab = SwitchTab(TabWiring(Settings()))
    app = TabHost(tab)
    async with app.run_test(size=SIZE) as pilot:
        assert "s" in app.active_bindings
        await pilot.press("s")
        await pilot.pause()
        assert tab.done == ["switch"] and messages(app) == []


class LookLockedTab(SwitchTab):
    """Marks an inherited action as changing something."""

    MUTATING = frozenset({"switch", "look"})


async def test_an_inherited_action_named_in_mutating_is_refused_too():
    tab = LookLockedTab(TabWiring(Settings(ui=UiSettings(read_only=True))))
    app = TabHost(tab)
    async with app.run_test(size=SIZE) as pilot:
        tab.action_look()
        await pilot.pause()
        assert tab.done == [] and len(messages(app)) == 1
    plain = SwitchTab(TabWiring(Settings(ui=UiSettings(read_only=True))))
    plain.action_look()  # the parent class is left as it was
    assert plain.done == ["look"]


# -- the one worker route --------------------------------------------------------------------

class WorkHost(TabHost):
    """Records what reaches the app: every WorkFailed."""

    def __init__(self, body: TabBody[Any]) -> None:
        super().__init__(body)
        self.failures: list[tuple[str, str]] = []

    def on_work_failed(self, message: WorkFailed) -> None:
        self.failures.append((type(message.error).__name__, message.group))


async def settle(app: App[Any], pilot) -> None:
    """Wait for the workers (a failed one re-raises in wait: expected here), then the messages."""
    await pilot.pause()
    try:
        await app.workers.wait_for_complete()
    except WorkerFailed:
        pass
    await pilot.pause()
    await pilot.pause()


async def test_a_result_goes_to_its_handler_and_a_failure_to_the_widget_and_the_app():
    tab = SwitchTab(TabWiring(Settings()))
    app = WorkHost(tab)
    seen: list[object] = []

    def fail() -> None:
        raise PrimeError("The lab is closed.")

    async with app.run_test(size=SIZE) as pilot:
        tab.run_in_thread(lambda: 42, done=seen.append, group="answer")
        await settle(app, pilot)
        assert seen == [42] and app.failures == []
        tab.run_in_thread(fail, done=seen.append, failed=lambda e: seen.append(str(e)),
                          after=lambda: seen.append("after"), group="closed")
        await settle(app, pilot)
        assert seen == [42, "after", "The lab is closed."]
        assert app.failures == [("PrimeError", "closed")]


async def test_a_repeated_failure_is_told_once_until_the_group_succeeds():
    tab = SwitchTab(TabWiring(Settings()))
    app = WorkHost(tab)
    answers = iter([PrimeError("Throttled."), PrimeError("Throttled."), None,
                    PrimeError("Throttled.")])

    def poll() -> str:
        answer = next(answers)
        if answer is not None:
            raise answer
        return "fine"

    async with app.run_test(size=SIZE) as pilot:
        for _ in range(4):
            tab.run_in_thread(poll, done=lambda _: None, group="poll", quiet_repeats=True)
            await settle(app, pilot)
        assert app.failures == [("PrimeError", "poll"), ("PrimeError", "poll")]


async def test_an_unexpected_error_reaches_the_app_as_one_generic_sentence():
    from primetui.ui.app import error_sentence

    tab = SwitchTab(TabWiring(Settings()))
    app = WorkHost(tab)

    def broken() -> None:
        raise KeyError("region")

    async with app.run_test(size=SIZE) as pilot:
        tab.run_in_thread(broken, done=lambda _: None, group="broken")
        await settle(app, pilot)
        assert app.failures == [("KeyError", "broken")]
    assert error_sentence(KeyError("region")) == "Unexpected error: KeyError: 'region'."


# -- the one details frame and the names of modal screens ------------------------------------

def ui_modules() -> list[Any]:
    return [importlib.import_module(m.name) for m in
            pkgutil.walk_packages([str(UI)], prefix="primetui.ui.")]


def modal_screens() -> set[type]:
    found: set[type] = set()
    for module in ui_modules():
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, ModalScreen)
                    and value.__module__ == module.__name__):
                found.add(value)
    return found


def test_modal_screens_are_named_dialog_or_screen():
    names = {cls.__name__ for cls in modal_screens()}
    assert names and all(n.endswith(("Dialog", "Screen")) for n in names), sorted(names)


def test_the_nine_details_modals_share_one_frame():
    details = {cls.__name__ for cls in modal_screens()
               if issubclass(cls, DetailsScreen) and cls is not DetailsScreen}
    assert details == {"InstanceDetailsScreen", "ScheduleDetailsScreen",
                       "CertificateDetailsScreen", "AuditDetailsScreen", "VerifyReportScreen",
                       "HygieneScreen", "PagePreviewScreen", "HelpScreen", "ServerLogsScreen"}
    questions = {cls.__name__ for cls in modal_screens()} - details - {"DetailsScreen"}
    assert all(n.endswith("Dialog") for n in questions - {"PlanScreen"}), sorted(questions)


class PageHost(App[None]):
    BINDINGS = [Binding("ctrl+c", "interrupt", "Quit", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.results: list[object] = []
        self.interrupted = False

    def on_mount(self) -> None:
        from primetui.ui.tabs.maintenance.dialogs import PagePreviewScreen

        self.push_screen(PagePreviewScreen("Back soon.\n" * 60, "Not written yet."),
                         self.results.append)

    def action_interrupt(self) -> None:
        self.interrupted = True


async def test_a_details_screen_scrolls_closes_on_escape_or_q_and_passes_ctrl_c_up():
    from textual.containers import VerticalScroll

    for key in ("escape", "q"):
        app = PageHost()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            scroll = app.screen.query_one(VerticalScroll)
            assert scroll.max_scroll_y > 0
            scroll.focus()
            await pilot.press("pagedown")
            await pilot.pause()
            assert scroll.scroll_y > 0
            await pilot.press(key)
            await pilot.pause()
            assert app.results == [None]
    app = PageHost()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.interrupted and app.results == []
