"""Marked rows acted on in one plan, one step per target, against the moto server: several
instances started or stopped (a refusal part-way offers to undo the ones done), several
schedules enabled or disabled."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.app import App

from primetui.plans.plan import StepState
from primetui.sandbox.seed import SeedResult, seed_lab_account
from primetui.ui.app import PrimeApp
from primetui.ui.dialogs.confirm import ConfirmDialog
from primetui.ui.screens.plan_screen import PlanScreen
from primetui.ui.tabs.instances.tab import InstancesTab
from primetui.ui.tabs.schedules.tab import SchedulesTab
from primetui.ui.widgets.live_table import cell_text
from tests.fixtures.instances_tab import fast_services, run_plan, until
from tests.fixtures.shell import SIZE, lab_app, lab_settings, settle


@pytest.fixture
def lab(aws_settings, moto_server) -> SeedResult:
    return seed_lab_account(moto_server.endpoint_url)


@pytest.fixture
def make_app(aws_settings, tmp_path) -> Callable[[], PrimeApp]:
    def make() -> PrimeApp:
        app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
        fast_services(app)
        return app

    return make


def launch(ec2, name: str, **extra) -> str:
    """A running instance named `name` (extra: e.g. DisableApiStop)."""
    return ec2.run_instances(
        ImageId="ami-12345678", InstanceType="t3.micro", MinCount=1, MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance",
                            "Tags": [{"Key": "Name", "Value": name}]}], **extra,
    )["Instances"][0]["InstanceId"]


def state(ec2, instance_id: str) -> str:
    return ec2.describe_instances(InstanceIds=[instance_id])[
        "Reservations"][0]["Instances"][0]["State"]["Name"]


async def mark(app: App, pilot, tab_type: type, *names: str) -> None:
    """Put the cursor on each named row (first cell) and press space."""
    table = app.screen.query_one(tab_type).table
    for name in names:
        row = next(k for k in table.rows if cell_text(table.get_row(k)[0]).endswith(name))
        table.move_cursor(row=table.get_row_index(row))
        await pilot.pause()
        await pilot.press("space")


async def test_stopping_marked_instances_is_one_plan_and_a_refusal_offers_to_undo(
        make_app, lab):
    app = make_app()
    ec2 = app.services.aws.client("ec2")
    plain = launch(ec2, "lab-a")
    locked = launch(ec2, "lab-locked", DisableApiStop=True)  # AWS refuses to stop it
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        tab = app.screen.query_one(InstancesTab)
        await until(app, pilot, lambda: len(tab.instances) >= 4, "the new instances listed")
        await mark(app, pilot, InstancesTab, "lab-a", "lab-locked")
        assert tab.table.marked_keys == [plain, locked]
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        plan = screen.plan
        assert [step.title for step in plan.steps] == [f"Stop lab-a ({plain})",
                                                       f"Stop lab-locked ({locked})"]
        assert f"aws ec2 stop-instances --instance-ids {plain}" in plan.steps[0].commands
        assert f"aws ec2 stop-instances --instance-ids {locked}" in plan.steps[1].commands
        assert plan.steps[0].undo_commands == [
            f"aws ec2 start-instances --instance-ids {plain}",
            f"aws ec2 wait instance-running --instance-ids {plain}"]

        await run_plan(app, pilot)
        assert screen.result.states == [StepState.DONE, StepState.FAILED]
        assert state(ec2, plain) == "stopped" and state(ec2, locked) == "running"
        assert screen.check_action("undo", ()) is True

        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await until(app, pilot, lambda: screen.undo_result is not None, "the undo finished")
        assert screen.undo_result.ok
        assert screen.undo_result.states[0] is StepState.UNDONE
        assert state(ec2, plain) == "running"


async def test_starting_marked_instances_skips_the_ones_already_running(make_app, lab):
    app = make_app()
    ec2 = app.services.aws.client("ec2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        tab = app.screen.query_one(InstancesTab)
        await until(app, pilot, lambda: len(tab.instances) >= 2, "the instances listed")
        await mark(app, pilot, InstancesTab, "prime-staging", "prime-db")
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        assert len(screen.plan.steps) == 2
        await run_plan(app, pilot)
        assert screen.result.ok
        assert state(ec2, lab.staging_instance_id) == "running"


async def show_two_schedules(app, pilot) -> tuple[SchedulesTab, list]:
    """The Schedules tab once it lists the lab's schedules; the keys of the first two."""
    await settle(app, pilot)
    await pilot.press("3")
    await settle(app, pilot)
    tab = app.screen.query_one(SchedulesTab)
    await until(app, pilot, lambda: len(tab.schedules) >= 2, "the schedules listed")
    return tab, list(tab.schedules)[:2]


async def act_on_marked_schedules(app, pilot, tab: SchedulesTab, keys: list, key: str,
                                  scheduler, state: str) -> None:
    """Mark the schedules of `keys`, press `key`: one plan, a step each; run it, and each
    schedule is then in `state` on the scheduler."""
    names = [tab.schedules[k].name for k in keys]
    await mark(app, pilot, SchedulesTab, *names)
    await pilot.press(key)
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, PlanScreen)
    assert len(screen.plan.steps) == 2
    assert all(name in step.title for name, step in zip(names, screen.plan.steps,
                                                         strict=True))
    await run_plan(app, pilot)
    assert screen.result.ok
    for k in keys:
        schedule = tab.schedules[k]
        found = scheduler.get_schedule(Name=schedule.name, GroupName=schedule.group)
        assert found["State"] == state


async def test_disabling_marked_schedules_is_one_plan_with_a_step_each(make_app, lab):
    app = make_app()
    scheduler = app.services.aws.client("scheduler")
    async with app.run_test(size=SIZE) as pilot:
        tab, keys = await show_two_schedules(app, pilot)
        await act_on_marked_schedules(app, pilot, tab, keys, "d", scheduler, "DISABLED")


def set_state(scheduler, name: str, group: str, state: str) -> None:
    """Change a schedule's state outside primetui (as the console would)."""
    found = scheduler.get_schedule(Name=name, GroupName=group)
    scheduler.update_schedule(
        Name=name, GroupName=group, State=state,
        ScheduleExpression=found["ScheduleExpression"],
        FlexibleTimeWindow=found["FlexibleTimeWindow"], Target=found["Target"],
        **({"ScheduleExpressionTimezone": found["ScheduleExpressionTimezone"]}
           if found.get("ScheduleExpressionTimezone") else {}))


async def test_enabling_marked_schedules_is_one_plan_with_a_step_each(make_app, lab):
    app = make_app()
    scheduler = app.services.aws.client("scheduler")
    async with app.run_test(size=SIZE) as pilot:
        tab, keys = await show_two_schedules(app, pilot)
        for key in keys:
            set_state(scheduler, tab.schedules[key].name, tab.schedules[key].group,
                      "DISABLED")
        await pilot.press("r")
        await settle(app, pilot)
        await until(app, pilot, lambda: all(tab.schedules[k].state == "DISABLED"
                                            for k in keys), "the disabled states read")
        await act_on_marked_schedules(app, pilot, tab, keys, "e", scheduler, "ENABLED")


async def test_verifying_marked_backups_asks_one_passphrase_and_is_a_step_each(
        aws_settings, tmp_path, sample_project, gpg_home):
    from primetui.ui.dialogs.password import PasswordDialog
    from primetui.ui.tabs.backups.tab import BackupsTab
    from tests.fixtures.backups_world import PASSPHRASE, backups_app, make_backup

    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home)
    first = make_backup(app)
    second = first.with_name(first.name.replace(".tar.gz.gpg", "-copy.tar.gz.gpg"))
    second.write_bytes(first.read_bytes())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        tab = app.screen.query_one(BackupsTab)
        await until(app, pilot, lambda: tab.table.row_count >= 2, "both backups listed")
        await pilot.press("space", "space")
        assert len(tab.table.marked_keys) == 2
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, PasswordDialog)
        await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in PASSPHRASE], "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        assert sorted(step.title for step in screen.plan.steps) == sorted(
            [f"Verify {first.name}", f"Verify {second.name}"])
        assert all(PASSPHRASE not in cmd for cmd in screen.plan.commands())
        await run_plan(app, pilot)
        assert screen.result.ok
        assert screen.result.states == [StepState.DONE, StepState.DONE]


async def test_a_schedule_deleted_meanwhile_fails_its_step_and_undo_re_enables_the_first(
        make_app, lab):
    app = make_app()
    scheduler = app.services.aws.client("scheduler")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        tab = app.screen.query_one(SchedulesTab)
        await until(app, pilot, lambda: len(tab.schedules) >= 2, "the schedules listed")
        first, second = (tab.schedules[key] for key in tab.table.shown_keys[:2])
        await mark(app, pilot, SchedulesTab, first.name, second.name)
        await pilot.press("d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        scheduler.delete_schedule(Name=second.name, GroupName=second.group)  # by someone else
        await run_plan(app, pilot)
        assert screen.result.states == [StepState.DONE, StepState.FAILED]
        assert scheduler.get_schedule(Name=first.name, GroupName=first.group)["State"] == "DISABLED"
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        await until(app, pilot, lambda: screen.undo_result is not None, "the undo finished")
        assert screen.undo_result.ok
        assert scheduler.get_schedule(Name=first.name, GroupName=first.group)["State"] == "ENABLED"


async def test_renewing_marked_domains_shows_one_plan_with_a_step_per_domain(
        aws_settings, tmp_path) -> None:
    """certbot's side is the snapshot world's fixed listing: the plan is built, not run (the
    real renewal of two domains, one failing, is tests/services/test_certificates_partial)."""
    from primetui.plans.audit import AuditLog
    from primetui.registry import Services
    from primetui.ui.app import make_app as make_shell
    from primetui.ui.tabs.certificates.tab import CertificatesTab
    from tests.fixtures.certificates_snapshot import (
        SNAPSHOT_DOMAINS,
        install_snapshot_certificates,
    )

    settings = lab_settings(aws_settings, tmp_path)
    services = Services(settings, audit=AuditLog(tmp_path / "audit.jsonl"))
    install_snapshot_certificates(services)
    app = make_shell(settings, services=services, config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        tab = app.screen.query_one(CertificatesTab)
        await until(app, pilot, lambda: tab.table.row_count == 3, "the domains listed")
        www, api = SNAPSHOT_DOMAINS[:2]
        await mark(app, pilot, CertificatesTab, www, api)
        await pilot.press("n")
        await until(app, pilot, lambda: isinstance(app.screen, PlanScreen), "the plan shown")
        plan = app.screen.plan
        first, second = tab.table.marked_keys  # in the order the table shows them
        assert {first, second} == {www, api}
        assert plan.title == "Renew 2 certificates" and plan.target == f"{first}, {second}"
        assert len(plan.steps) == 2
        assert any(f"--cert-name {first}" in cmd for cmd in plan.steps[0].commands)
        assert any(f"--cert-name {second}" in cmd for cmd in plan.steps[1].commands)
        assert not any(second in cmd for cmd in plan.steps[0].commands)
