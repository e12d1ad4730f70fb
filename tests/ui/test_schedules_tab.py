"""The Schedules tab (Pilot) against a moto server seeded with the lab's account: the table,
details with next runs and the role check, enable/disable and a new pair through the UI."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from textual.app import App
from textual.widgets import Input, Select, Static

from primetui.sandbox.seed import SCHEDULE_GROUP, SeedResult, seed_lab_account
from primetui.ui.screens.plan_screen import PlanScreen
from primetui.ui.tabs.schedules.details import ScheduleDetailsScreen
from primetui.ui.tabs.schedules.pair_form import SchedulePairDialog
from primetui.ui.tabs.schedules.tab import SchedulesTab
from primetui.ui.widgets.live_table import cell_text
from tests.fixtures.instances_tab import (
    fast_services,
    run_plan,
    text_of,
    type_text,
    until,
)
from tests.fixtures.schedules import SCHEDULER_TRUST, make_role, retarget
from tests.fixtures.shell import SIZE, lab_app, lab_settings, notifications, settle

NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
"""Friday 07:00 in Detroit; the clocks go forward there on Sunday 8 March 2026."""


@pytest.fixture
def lab(aws_settings, moto_server) -> SeedResult:
    return seed_lab_account(moto_server.endpoint_url)


@pytest.fixture
def make_app(aws_settings, tmp_path, shared_aws):
    def make(*, read_only: bool = False):
        app = lab_app(lab_settings(aws_settings, tmp_path, read_only=read_only), tmp_path)
        app.services.aws = shared_aws
        fast_services(app, lambda: NOW)
        return app

    return make


def tab(app: App) -> SchedulesTab:
    return app.screen.query_one(SchedulesTab)


def cells(app: App) -> dict[str, dict[str, str]]:
    """The table as {name: {column: text}}."""
    table = tab(app).table
    rows = {}
    for row_key in table.rows:
        row = [cell_text(c) for c in table.get_row(row_key)]
        rows[row[0]] = dict(zip(table.column_keys, row, strict=True))
    return rows


async def open_tab(app: App, pilot) -> SchedulesTab:
    await settle(app, pilot)
    await pilot.press("3")
    await settle(app, pilot)
    return tab(app)


async def select_row(app: App, pilot, name: str) -> None:
    table = tab(app).table
    row = next(k for k in table.rows if cell_text(table.get_row(k)[0]) == name)
    table.move_cursor(row=table.get_row_index(row))
    await pilot.pause()


def state_in_moto(app, name: str, group: str = SCHEDULE_GROUP) -> str:
    return app.services.aws.client("scheduler").get_schedule(Name=name, GroupName=group)["State"]


async def test_table_lists_schedules_with_next_runs_acted_on_instances_and_role_check(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        body = await open_tab(app, pilot)
        rows = cells(app)
        assert list(rows) == ["prime-start-mornings", "prime-stop-evenings"]
        stop = rows["prime-stop-evenings"]
        assert (stop["group"], stop["expression"], stop["timezone"], stop["state"]) == (
            "prime", "cron(0 20 ? * MON-FRI *)", "America/Detroit", "enabled")
        assert stop["target"] == "lambda:prime-instance-switch"
        assert stop["instances"] == "prime-prod, prime-staging +1"
        assert (stop["next"], stop["local"]) == ("Fri 06 20:00 EST", "Sat 07 01:00 UTC")
        assert stop["role"] == "pass"
        assert text_of(body.query_one("#schedules-status", Static)) == "2 schedules, 2 enabled."


async def test_details_show_five_runs_in_both_zones_and_the_full_target(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await select_row(app, pilot, "prime-stop-evenings")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ScheduleDetailsScreen)
        text = text_of(app.screen.query_one("#schedule-details-body", Static))
        assert ("Fri 2026-03-06 20:00 EST  →  Sat 2026-03-07 01:00 UTC\n"
                "  Mon 2026-03-09 20:00 EDT  →  Tue 2026-03-10 00:00 UTC") in text
        assert text.count(" → ") == 5 + 1  # five runs, and the heading's arrow
        assert lab.lambda_arn in text and f"prime-prod ({lab.prod_instance_id})" in text
        assert "pass  trust: " in text and "pass  permission: lambda:InvokeFunction" in text


async def test_a_role_without_invoke_fails_with_the_missing_statement_and_its_fix(make_app, lab):
    app = make_app()
    role = make_role(app.services.aws, "no-invoke", SCHEDULER_TRUST,
                     inline=[{"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "*"}])
    retarget(app.services.schedules, lab, "broken-stop", role)
    async with app.run_test(size=SIZE) as pilot:
        body = await open_tab(app, pilot)
        assert cells(app)["broken-stop"]["role"] == "FAIL"
        assert "The role check fails for broken-stop" in text_of(
            body.query_one("#schedules-status", Static))
        await select_row(app, pilot, "broken-stop")
        await pilot.press("enter")
        await settle(app, pilot)
        text = text_of(app.screen.query_one("#schedule-details-body", Static))
        assert "FAIL  permission: lambda:InvokeFunction" in text
        missing = text.split("Missing statement:\n", 1)[1].split("JSON that would fix it:\n")[0]
        assert json.loads(missing) == {"Effect": "Allow", "Action": "lambda:InvokeFunction",
                                       "Resource": [lab.lambda_arn, f"{lab.lambda_arn}:*"]}
        fix = json.loads(text.split("JSON that would fix it:\n", 1)[1])
        assert fix["Statement"] == [json.loads(missing)]


async def test_disable_then_enable_through_the_plan_screen(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await select_row(app, pilot, "prime-stop-evenings")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        assert "--state DISABLED" in app.screen.plan.steps[0].commands[-1]
        assert (await run_plan(app, pilot)).result.ok
        assert state_in_moto(app, "prime-stop-evenings") == "DISABLED"
        await pilot.press("enter")
        await until(app, pilot, lambda: cells(app)["prime-stop-evenings"]["state"] == "disabled",
                    "the table shows it disabled")
        await pilot.press("d")
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen)
        assert "prime/prime-stop-evenings is already disabled; nothing to do." in notifications(app)
        await pilot.press("e")
        await pilot.pause()
        assert (await run_plan(app, pilot)).result.ok
        assert state_in_moto(app, "prime-stop-evenings") == "ENABLED"


async def test_new_pair_form_creates_stop_and_start_schedules_through_the_plan(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await select_row(app, pilot, "prime-stop-evenings")
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SchedulePairDialog)
        assert dialog.query_one("#pair-instance", Select).value == lab.prod_instance_id
        dialog.query_one("#pair-instance", Select).value = lab.staging_instance_id
        dialog.query_one("#pair-target", Select).value = "universal"
        for field, value in (("days", "MON,WED,FRI"), ("start", "09:30"), ("stop", "18:00")):
            dialog.query_one(f"#pair-{field}", Input).value = ""
            dialog.query_one(f"#pair-{field}", Input).focus()
            await type_text(pilot, value)
        role = make_role(app.services.aws, "ec2-switcher", SCHEDULER_TRUST, inline=[{
            "Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"], "Resource": "*"}])
        dialog.query_one("#pair-role", Input).value = role
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        assert (await run_plan(app, pilot)).result.ok
        scheduler = app.services.aws.client("scheduler")
        stop = scheduler.get_schedule(Name="prime-staging-stop", GroupName="default")
        assert stop["ScheduleExpression"] == "cron(0 18 ? * MON,WED,FRI *)"
        assert stop["ScheduleExpressionTimezone"] == "America/Detroit"
        assert stop["Target"]["Arn"] == "arn:aws:scheduler:::aws-sdk:ec2:stopInstances"
        start = scheduler.get_schedule(Name="prime-staging-start", GroupName="default")
        assert start["ScheduleExpression"] == "cron(30 9 ? * MON,WED,FRI *)"
        await pilot.press("enter")
        await until(app, pilot, lambda: "prime-staging-start" in cells(app), "the new pair is listed")
        assert cells(app)["prime-staging-stop"]["role"] == "pass"


async def test_a_wrong_time_in_the_form_says_so_and_brings_the_form_back(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one("#pair-start", Input).value = "25:00"
        await pilot.press("enter")
        await pilot.pause()
        assert "The start time '25:00' is not a time like 07:30." in notifications(app)
        assert isinstance(app.screen, SchedulePairDialog)
        assert app.screen.query_one("#pair-start", Input).value == "25:00"


async def test_read_only_hides_enable_disable_and_new(make_app, lab):
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        body = await open_tab(app, pilot)
        shown = {k for k, b in app.active_bindings.items() if b.binding.show}
        assert not {"e", "d", "n"} & shown and "slash" in shown
        await pilot.press("d", "n")
        await pilot.pause()
        assert isinstance(app.screen.query_one(SchedulesTab), SchedulesTab)
        body.action_disable()  # as the command palette would call it
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen)
        assert "Read-only mode is on: schedules cannot be changed." in notifications(app)


async def test_new_pair_form_shows_every_field_and_button_at_80x24(make_app, lab):
    from tests.fixtures.small_terminal import SMALL, walk_focus_and_check_each_is_on_screen

    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await open_tab(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SchedulePairDialog)
        await walk_focus_and_check_each_is_on_screen(app, pilot, dialog)
