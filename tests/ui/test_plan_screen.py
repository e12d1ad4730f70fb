"""PlanScreen: shown first, confirmed, run live, failure and undo, resume, protection, audit."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest
from textual.app import App

from primetui.config import Settings, UiSettings
from primetui.plans.audit import AuditLog
from primetui.plans.plan import Plan, PlanResult
from primetui.plans.practice import NOTICE, practice_plan
from primetui.registry import Services
from primetui.ui.dialogs.confirm import ConfirmDialog
from primetui.ui.dialogs.password import PasswordDialog
from primetui.ui.dialogs.type_name import TypeNameDialog
from primetui.ui.prompter import UiPrompter
from primetui.ui.screens.plan_screen import PlanRunner, PlanScreen
from primetui.ui.widgets.plan_view import PlanView

SIZE = (120, 36)


class PlanHost(App[None]):
    """A bare app that pushes one PlanScreen and keeps what it was dismissed with."""

    def __init__(self, screen: PlanScreen) -> None:
        super().__init__()
        self.plan_screen = screen
        self.dismissed: list[PlanResult | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.plan_screen, self.dismissed.append)


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "audit.jsonl"


def services(audit_path: Path, *, read_only: bool = False) -> PlanRunner:
    """What the app hands the plan screen: the registry's run and undo, and read-only mode."""
    return runner_of(Services(Settings(ui=UiSettings(read_only=read_only)),
                              audit=AuditLog(audit_path)))


def runner_of(registry: Services) -> PlanRunner:
    return PlanRunner(registry.run_plan, registry.undo_plan,
                      read_only=registry.settings.ui.read_only)


async def settle(app: App, pilot) -> None:
    """Wait for the plan's worker, then for the messages it posted."""
    await app.workers.wait_for_complete()
    await pilot.pause()


def view(app: PlanHost) -> PlanView:
    return app.plan_screen.query_one(PlanView)


def states(app: PlanHost) -> list[str]:
    return [row.state_text for row in view(app).rows]


async def test_plan_shows_every_command_before_running_anything(tmp_path, audit_path):
    plan = practice_plan(Settings(), tmp_path / "work")
    app = PlanHost(PlanScreen(plan, services(audit_path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = view(app).rows
        assert [row.step.title for row in rows] == [s.title for s in plan.steps]
        shown = "\n".join(str(row.query_one(".step-commands").content) for row in rows)
        for cmd in plan.commands():
            assert f"$ {cmd}" in shown
        assert states(app) == ["pending"] * len(plan.steps)
        assert not (tmp_path / "work").exists()


async def test_escape_cancels_without_running_or_auditing(tmp_path, audit_path):
    app = PlanHost(PlanScreen(practice_plan(Settings(), tmp_path / "work"), services(audit_path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.dismissed == [None]
        assert not isinstance(app.screen, PlanScreen)
    assert not (tmp_path / "work").exists()
    assert not audit_path.exists()


async def test_enter_runs_the_plan_and_streams_its_output(tmp_path, audit_path):
    app = PlanHost(PlanScreen(practice_plan(Settings(), tmp_path / "work"), services(audit_path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert states(app) == ["done", "done", "done"]
        log = view(app).log_text()
        assert NOTICE in log
        assert any(line.startswith("▶ 3. Check the disk") for line in log)
        assert view(app).outcome_text.startswith("Succeeded")
        await pilot.press("enter")
        await pilot.pause()
        assert len(app.dismissed) == 1 and app.dismissed[0].ok
    assert (tmp_path / "work" / "notice.txt").read_text() == NOTICE + "\n"


async def test_failure_shows_the_error_and_marks_later_steps_not_run(tmp_path, audit_path):
    plan = practice_plan(Settings(), tmp_path / "work", failing=True)
    app = PlanHost(PlanScreen(plan, services(audit_path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert states(app) == ["done", "done", "failed", "not run"]
        outcome = view(app).outcome_text
        assert outcome.startswith("Failed at step 3: `test -f ")
        assert "exit 1" in outcome
        assert "Traceback" not in "\n".join(view(app).log_text())


async def test_u_undoes_the_completed_steps_after_a_failure(tmp_path, audit_path):
    plan = practice_plan(Settings(), tmp_path / "work", failing=True)
    notice = tmp_path / "work" / "notice.txt"
    app = PlanHost(PlanScreen(plan, services(audit_path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert notice.exists()
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(app, pilot)
        assert not notice.exists()
        assert states(app)[0] == "undone"
        assert view(app).outcome_text.startswith("Undone")
        await pilot.press("escape")
        await pilot.pause()
        assert app.dismissed and app.dismissed[0].failed_index == 2
    actions = [json.loads(line)["action"] for line in audit_path.read_text().splitlines()]
    assert actions == ["practice.notice", "practice.notice.undo"]


async def test_second_run_shows_the_written_notice_as_already_done(tmp_path, audit_path):
    svc = services(audit_path)
    for expected in (["done", "done", "done"], ["already done", "done", "done"]):
        app = PlanHost(PlanScreen(practice_plan(Settings(), tmp_path / "work"), svc))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await settle(app, pilot)
            assert states(app) == expected


async def test_protected_plan_runs_only_after_its_name_is_typed(tmp_path, audit_path):
    plan = practice_plan(Settings(), tmp_path / "work", confirm_name="prod")
    app = PlanHost(PlanScreen(plan, services(audit_path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TypeNameDialog)
        await pilot.press("p", "r", "o", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TypeNameDialog)
        assert not (tmp_path / "work").exists()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        assert not audit_path.exists()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("p", "r", "o", "d", "enter")
        await settle(app, pilot)
        assert states(app) == ["done", "done", "done"]


async def test_read_only_refuses_to_run_a_mutating_plan(tmp_path, audit_path):
    app = PlanHost(PlanScreen(practice_plan(Settings(), tmp_path / "work"),
                              services(audit_path, read_only=True)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Read-only" in view(app).outcome_text
        assert states(app) == ["pending"] * 3
    assert not (tmp_path / "work").exists()
    assert not audit_path.exists()


async def test_dry_run_shows_commands_and_runs_nothing(tmp_path, audit_path):
    app = PlanHost(PlanScreen(practice_plan(Settings(), tmp_path / "work"), services(audit_path),
                              dry_run=True))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.dismissed == [None]
    assert not (tmp_path / "work").exists()
    assert not audit_path.exists()


async def wait_until(pilot, condition, what: str) -> None:
    """Let frames pass until `condition()` holds (the worker thread is doing its part)."""
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"timed out waiting until {what}")


def gated_practice_plan(tmp_path: Path) -> tuple[Plan, threading.Event]:
    """The practice plan whose first step waits until the test sets the returned gate."""
    plan = practice_plan(Settings(), tmp_path / "work")
    gate = threading.Event()
    first_run = plan.steps[0].run

    def run_when_released(ctx):
        assert gate.wait(timeout=10), "the test never released the step"
        first_run(ctx)

    plan.steps[0].run = run_when_released
    return plan, gate


@pytest.mark.parametrize("key", ["x", "ctrl+c", "escape"])
async def test_stop_key_while_running_cancels_the_steps_after_the_current_one(
        tmp_path, audit_path, key):
    plan, gate = gated_practice_plan(tmp_path)
    screen = PlanScreen(plan, services(audit_path))
    app = PlanHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: states(app)[0] == "running", "step 1 runs")
        await pilot.press(key)
        gate.set()
        await settle(app, pilot)
        assert states(app) == ["done", "not run", "not run"]
        assert view(app).outcome_text.startswith("Cancelled before step 2")
        assert screen.result is not None and screen.result.cancelled
    assert json.loads(audit_path.read_text())["outcome"] == "cancelled"


async def test_a_runner_question_during_a_run_is_asked_in_a_dialog_above_the_plan(
        tmp_path, audit_path):
    plan = practice_plan(Settings(), tmp_path / "work")
    app: PlanHost

    def ask_sudo(ctx):
        password = UiPrompter(app).sudo_password("127.0.0.1:2222")
        ctx.emit(f"got a password of {len(password or '')} characters")

    plan.steps[1].run = ask_sudo
    app = PlanHost(PlanScreen(plan, services(audit_path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordDialog), "asked")
        assert states(app)[1] == "running"
        await pilot.press("p", "w", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        assert states(app) == ["done", "done", "done"]
        assert "got a password of 2 characters" in view(app).log_text()
    assert "pw" not in audit_path.read_text()


async def test_every_run_appends_one_private_audit_line(tmp_path, audit_path):
    svc = services(audit_path)
    for failing in (False, True):
        app = PlanHost(PlanScreen(practice_plan(Settings(), tmp_path / f"w{failing}",
                                                failing=failing), svc))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await settle(app, pilot)
    entries = [json.loads(line) for line in audit_path.read_text().splitlines()]
    assert [e["outcome"] for e in entries] == ["succeeded", "failed"]
    assert entries[1]["commands"][0].startswith("mkdir -p ")
    assert stat.S_IMODE(audit_path.stat().st_mode) == 0o600


async def test_an_audit_log_that_cannot_be_written_keeps_the_outcome_and_says_so(tmp_path):
    unwritable = runner_of(Services(Settings(), audit=AuditLog(tmp_path)))  # a directory
    app = PlanHost(PlanScreen(practice_plan(Settings(), tmp_path / "work"), unwritable))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        text = view(app).outcome_text
        assert text.startswith("Succeeded in ")  # the run's real outcome
        assert text.endswith(f"Cannot write the audit log {tmp_path}: is a directory. "
                             f"This run was not recorded in the audit log.")
        assert (tmp_path / "work" / "notice.txt").is_file()


async def test_q_while_a_plan_runs_says_why_it_does_not_quit(tmp_path, audit_path):
    plan, gate = gated_practice_plan(tmp_path)
    app = PlanHost(PlanScreen(plan, services(audit_path)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: states(app)[0] == "running", "step 1 runs")
        await pilot.press("q")
        await pilot.pause()
        said = [n.message for n in app._notifications]
        gate.set()
        await settle(app, pilot)
        assert app.is_running
        assert any("running" in m and "x" in m for m in said), said


async def test_a_long_step_title_is_cut_with_an_ellipsis(tmp_path, audit_path):
    plan = practice_plan(Settings(), tmp_path / "work")
    plan.steps[0].title = "Copy the production certificates to the maintenance host " * 3
    app = PlanHost(PlanScreen(plan, services(audit_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        title = view(app).rows[0].query_one(".step-title")
        line = "".join(s.text for s in title.render_line(0)).rstrip()
        assert line.endswith("…"), line
