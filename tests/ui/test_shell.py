"""The shell: tabs on 1–7, keys, the command palette, the header, read-only, the demo start, quit."""

from __future__ import annotations

import asyncio
import threading

import pytest
from textual.widgets import DataTable, TabbedContent, TabPane

from primetui.config import AwsSettings, Settings
from primetui.errors import PrimeError
from primetui.plans.audit import AuditLog
from primetui.plans.practice import NOTICE
from primetui.registry import Services
from primetui.sandbox.tools import free_port
from primetui.ui.app import make_app
from primetui.ui.palette import palette_commands
from primetui.ui.screens.help import HelpScreen
from primetui.ui.screens.main import MainScreen
from primetui.ui.screens.plan_screen import PlanScreen
from primetui.ui.tabs import TABS
from primetui.ui.widgets.account_bar import AccountBar
from tests.fixtures.shell import (
    SIZE,
    lab_app,
    lab_settings,
    notifications,
    run_palette,
    settle,
    settle_after_failure,
    write_audit,
)

MOTO_ACCOUNT = "123456789012"


# -- tabs and keys ---------------------------------------------------------------------------

async def test_number_keys_switch_tabs_and_give_the_tab_the_keyboard(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.active == "overview"
        for tab in reversed(TABS):
            await pilot.press(tab.key)
            await settle(app, pilot)
            assert tabs.active == tab.id
            body = app.screen.query_one(f"#{tab.id}-body")
            assert app.focused is body or app.focused in body.query("*")


async def test_footer_shows_the_current_tabs_own_keys(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        shown = {k: b.binding.description for k, b in app.active_bindings.items() if b.binding.show}
        assert shown["s"] == "Start" and shown["x"] == "Stop"
        assert "c" not in shown  # Backups' Create is not live on Instances
        await pilot.press("5")
        await settle(app, pilot)
        shown = {k: b.binding.description for k, b in app.active_bindings.items() if b.binding.show}
        assert shown["c"] == "Create" and "s" not in shown
        assert {"r", "question_mark", "q"} <= set(shown)


async def test_palette_runs_a_tab_key_on_a_tab_not_shown_yet(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.shell.body("audit") is None
        await run_palette(pilot, "Audit: Filter")
        await settle(app, pilot)
        body = app.shell.body("audit")
        assert app.shell.active_tab == "audit" and body is not None
        assert app.focused is body.filter_input


async def test_palette_leaves_out_tab_keys_that_change_things_when_read_only(aws_settings,
                                                                           tmp_path):
    for read_only in (False, True):
        app = lab_app(lab_settings(aws_settings, tmp_path, read_only=read_only), tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            names = {c.name for c in palette_commands(app)}
        assert "Audit: Filter" in names and "Certificates: Details" in names
        mutating = {"Backups: Create", "Certificates: Renew", "Instances: Start"}
        assert (mutating & names) == (set() if read_only else mutating)


async def test_question_mark_shows_and_hides_every_key(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        keys = {k for k, _ in app.active_bindings.items()}
        assert {"p", "r", "q", "1", "7"} <= keys
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_palette_command_switches_tabs(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await run_palette(pilot, "Backups")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one(TabbedContent).active == "backups"


async def test_palette_reaches_every_action(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        names = [c.name for c in palette_commands(app)]
        assert [f"Show {t.title}" for t in TABS] == names[:7]
        for name in ("Refresh", "Run the practice plan", "Write a starter config"):
            assert name in names


async def test_practice_plan_runs_from_the_overview_and_lands_in_the_audit_tab(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.phase == "finished" and app.screen.result.ok
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert (tmp_path / "project" / "practice" / "notice.txt").read_text() == NOTICE + "\n"
        await pilot.press("7")
        await settle(app, pilot)
        table = app.screen.query_one("#audit-table", DataTable)
        assert table.row_count == 1
        assert table.get_row_at(0)[1:4] == ["practice.notice", "succeeded",
                                            f"local: {tmp_path / 'project' / 'practice'}"]


async def test_a_plan_run_from_another_tab_makes_the_overview_check_again(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        overview = app.screen.query_one("OverviewTab")
        before = overview.report
        assert before is not None
        await pilot.press("7")
        await settle(app, pilot)
        await app.run_action("run_practice_plan")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert overview.report is not None and overview.report is not before


# -- read-only, quit -------------------------------------------------------------------------

async def test_read_only_shows_its_badge_and_hides_the_practice_plan(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path, read_only=True), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        bar = app.screen.query_one(AccountBar)
        assert bar.read_only and " READ-ONLY " in bar.text
        assert not bar.demo and " DEMO " not in bar.text
        assert "Run the practice plan" not in [c.name for c in palette_commands(app)]
        assert "p" not in app.active_bindings
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("2")
        await settle(app, pilot)
        assert "s" not in app.active_bindings and "slash" in app.active_bindings


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
async def test_q_and_ctrl_c_quit(aws_settings, tmp_path, key):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(key)
        await pilot.pause()
        assert app._exit and app.return_value is None


# -- the header ------------------------------------------------------------------------------

async def test_header_shows_profile_region_and_the_account_id_from_aws(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        bar = app.screen.query_one(AccountBar)
        text = bar.text
        assert bar.account == MOTO_ACCOUNT and f"account {MOTO_ACCOUNT}" in text
        assert "region us-east-2" in text and "profile default" in text
        assert bar.status == ""


async def test_unreachable_endpoint_is_one_sentence_in_the_header(aws_env, tmp_path):
    aws = AwsSettings(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1,
                      connect_timeout=1.0, read_timeout=1.0)
    app = lab_app(lab_settings(aws, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        bar = app.screen.query_one(AccountBar)
        assert bar.account == "unknown" and "account unknown" in bar.text
        status = bar.status
        assert bar.severity == "error" and status in bar.text
        assert status and "\n" not in status and "Traceback" not in status
        assert status.endswith(".") and status.count(". ") == 0


# -- failures --------------------------------------------------------------------------------

async def test_a_failing_worker_becomes_one_sentence_notification(aws_settings, tmp_path):
    settings = lab_settings(aws_settings, tmp_path)
    broken = tmp_path / "audit-is-a-directory"
    broken.mkdir()
    app = make_app(settings, services=Services(settings, audit=AuditLog(broken)),
                   config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("7")
        await settle_after_failure(app, pilot)
        errors = [m for m in notifications(app) if m.startswith("Unexpected error:")]
        assert errors == [errors[0]] and "IsADirectoryError" in errors[0] and "\n" not in errors[0]


# -- the demo --------------------------------------------------------------------------------

async def test_demo_shell_is_drawn_before_the_practice_world_is_ready(aws_settings, tmp_path):
    release = threading.Event()
    reached = threading.Event()
    settings = lab_settings(aws_settings, tmp_path)

    def starter(progress):
        progress("Starting the fake AWS account (moto)…")
        reached.set()
        release.wait(10)
        progress("The practice world is ready.")
        return settings

    app = make_app(None, demo_starter=starter, config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.services is None
        for _ in range(1000):  # the worker's thread starts once the loop runs: poll, bounded
            if reached.is_set():
                break
            await pilot.pause(0.01)
        assert reached.is_set()
        await pilot.pause()
        bar = app.screen.query_one(AccountBar)
        assert bar.status == "Starting the fake AWS account (moto)…"
        release.set()
        await settle(app, pilot)
        assert app.settings is not None and app.settings.demo and app.services is not None
        assert bar.demo and " DEMO " in bar.text and bar.status == ""
        assert bar.account == MOTO_ACCOUNT
        assert "p" in app.active_bindings  # the overview now has services: practice is live


async def test_quitting_while_the_practice_world_starts_tells_it_to_stop(tmp_path):
    stop = threading.Event()
    started = threading.Event()

    def starter(progress):
        started.set()
        if stop.wait(10):
            raise PrimeError("The practice world was stopped before it finished starting.")
        return Settings()

    starter.cancel = stop.set
    app = make_app(None, demo_starter=starter, config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(1000):
            if started.is_set():
                break
            await pilot.pause(0.01)
        await pilot.press("q")
        await pilot.pause()
        assert app._exit
    assert stop.is_set() and app.settings is None


@pytest.mark.parametrize("error, sentence", [
    (PrimeError("sshd could not be started."),
     "The practice world could not start: sshd could not be started."),
    (OSError("No space left on device"),
     "The practice world could not start: Unexpected error: OSError: No space left on device."),
])
async def test_demo_start_failure_is_one_sentence(tmp_path, error, sentence):
    def starter(progress):
        raise error

    app = make_app(None, demo_starter=starter, config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle_after_failure(app, pilot)
        assert app.screen.query_one(AccountBar).status == sentence
        assert sentence in notifications(app)
        assert app.services is None and isinstance(app.screen, MainScreen)


# -- the audit tab ---------------------------------------------------------------------------

async def test_audit_tab_lists_newest_first_and_r_reads_again(aws_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    log = tmp_path / "state" / "audit.jsonl"
    write_audit(log, 3)
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("7")
        await settle(app, pilot)
        table = app.screen.query_one("#audit-table", DataTable)
        assert table.row_count == 3
        assert table.get_row_at(0) == ["2026-01-01 02:00:00", "instances.start", "succeeded",
                                       "i-0abc0002", "3.5 s", "ada@lab-ws1"]
        write_audit(log, 5)
        await pilot.press("r")
        await settle(app, pilot)
        assert table.row_count == 5 and table.get_row_at(0)[3] == "i-0abc0004"
    monkeypatch.delenv("TZ")
    time.tzset()



async def test_quitting_while_a_tab_is_being_built_for_the_first_time_is_clean(aws_settings,
                                                                               tmp_path):
    """Seen in a real run: `7` then `q` at once; the app took the new Audit tab apart while
    it was being built, and giving it the keyboard crashed the quit."""
    for delay in (0, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08):
        app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            app.simulate_key("7")
            await asyncio.sleep(delay)
            app.exit()
            await pilot.pause()
        assert app.return_code == 0, delay


async def test_a_tab_shown_after_its_pane_was_taken_apart_is_not_built(aws_settings, tmp_path):
    """Seen in CI: quitting took the Audit pane apart before its TabActivated was handled,
    and building the tab into the detached pane raised MountError during the quit."""
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        tabs = screen.query_one(TabbedContent)
        event = TabbedContent.TabActivated(tabs, tabs.get_tab("audit"))
        # What the quit leaves: a pane cut off from the app whose own removal has not begun.
        event.pane = TabPane("Audit", id="audit")
        await screen._tab_shown(event)
        assert screen.body("audit") is None and not event.pane.children
        await pilot.press("7")
        await settle(app, pilot)
        assert screen.body("audit") is not None
