"""The Instances tab (Pilot) against a moto server seeded with the lab's account: the table,
start and stop through the plan screen, protection, read-only, AWS errors, filter, details.

Also `freeze_lab`, which makes the Instances and Schedules snapshots draw the same picture
on every run (ids, addresses and clocks fixed).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.text import Text
from textual.app import App
from textual.widgets import Static

from primetui.plans.plan import StepState
from primetui.sandbox.seed import SeedResult, seed_lab_account
from primetui.ui.app import PrimeApp
from primetui.ui.screens.plan_screen import PlanScreen
from primetui.ui.tabs.instances.details import InstanceDetailsScreen
from primetui.ui.tabs.instances.tab import InstancesTab
from primetui.ui.widgets.live_table import cell_text
from primetui.ui.widgets.plan_view import PlanView
from tests.fixtures.aws_answers import inject_errors, rewrite_answers
from tests.fixtures.instances_tab import (
    fast_services,
    run_plan,
    text_of,
    type_text,
    until,
)
from tests.fixtures.shell import (
    SIZE,
    lab_app,
    lab_settings,
    notifications,
    settle,
    settle_after_failure,
)
from tests.fixtures.small_terminal import SMALL


def tab(app: App) -> InstancesTab:
    return app.screen.query_one(InstancesTab)


def cells(app: App) -> dict[str, dict[str, str]]:
    """The table as {name: {column: text}}."""
    table = tab(app).table
    keys = table.column_keys
    rows = {}
    for row_key in table.rows:
        row = [cell_text(c) for c in table.get_row(row_key)]
        rows[row[0]] = dict(zip(keys, row, strict=True))
    return rows


async def select_row(app: App, pilot, name: str) -> None:
    table = tab(app).table
    row = next(k for k in table.rows if cell_text(table.get_row(k)[0]) == name)
    table.move_cursor(row=table.get_row_index(row))
    await pilot.pause()


# -- fixtures -------------------------------------------------------------------------------

@pytest.fixture
def lab(aws_settings, moto_server) -> SeedResult:
    return seed_lab_account(moto_server.endpoint_url)


@pytest.fixture
def make_app(aws_settings, tmp_path, shared_aws) -> Callable[..., PrimeApp]:
    def make(*, read_only: bool = False, own_aws: bool = False) -> PrimeApp:
        app = lab_app(lab_settings(aws_settings, tmp_path, read_only=read_only), tmp_path)
        if not own_aws:
            app.services.aws = shared_aws
        fast_services(app)
        return app

    return make


async def open_tab(app: App, pilot) -> InstancesTab:
    await settle(app, pilot)
    await pilot.press("2")
    await settle(app, pilot)
    return tab(app)


# -- the table ------------------------------------------------------------------------------

async def test_table_lists_ec2_and_rds_with_state_address_schedules_and_protection(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        body = await open_tab(app, pilot)
        rows = cells(app)
        assert list(rows) == ["prime-prod", "prime-staging", "prime-db"]
        prod, staging, db = rows["prime-prod"], rows["prime-staging"], rows["prime-db"]
        assert (prod["kind"], prod["type"], prod["state"], prod["protected"]) == (
            "EC2", "t3.medium", "running", "yes")
        assert prod["address"] == lab.public_ip and prod["id"] == lab.prod_instance_id
        assert (staging["state"], staging["protected"], staging["since"]) == ("stopped", "", "")
        assert (db["kind"], db["type"], db["state"]) == ("RDS", "db.t3.micro", "available")
        assert db["address"] == "prime-db…:5432"  # the details show the whole endpoint
        # weekdays 07:00 → 20:00 in Detroit: 65 hours of the week's 168
        assert (prod["scheduled"], prod["schedules"]) == ("65 h/168", "prime-start-mornings +1")
        assert set(body.table.rows) == {lab.prod_instance_id, lab.staging_instance_id, "prime-db"}
        assert text_of(body.query_one("#instances-status", Static)).startswith(
            "3 instances (2 EC2, 1 RDS), 2 running.")


async def test_slash_filters_the_rows_by_any_column(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "rds")
        await pilot.pause()
        assert list(cells(app)) == ["prime-db"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(cells(app)) == 3


async def test_rows_are_updated_in_place_when_a_state_changes(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        body = await open_tab(app, pilot)
        await select_row(app, pilot, "prime-staging")
        app.services.aws.client("ec2").start_instances(InstanceIds=[lab.staging_instance_id])
        await pilot.press("r")
        await settle(app, pilot)
        assert cells(app)["prime-staging"]["state"] == "running"
        assert body.table.selected_key == lab.staging_instance_id  # the cursor stayed on it


async def test_a_transition_state_is_watched_every_few_seconds(make_app, lab):
    app = make_app(own_aws=True)

    def stopping(parsed: dict[str, Any]) -> None:
        for reservation in parsed.get("Reservations", []):
            for instance in reservation["Instances"]:
                if instance["InstanceId"] == lab.prod_instance_id:
                    instance["State"] = {"Code": 64, "Name": "stopping"}

    rewrite_answers(app.services.aws.client("ec2"), "DescribeInstances", stopping)
    async with app.run_test(size=SIZE) as pilot:
        body = await open_tab(app, pilot)
        assert cells(app)["prime-prod"]["state"] == "stopping"
        status = text_of(body.query_one("#instances-status", Static))
        assert "Watching prime-prod every 3 s." in status


# -- start and stop -------------------------------------------------------------------------

async def test_stopping_protected_prod_asks_for_its_name_and_stops_it(make_app, lab):
    app = make_app()
    ec2 = app.services.aws.client("ec2")
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await select_row(app, pilot, "prime-prod")
        await pilot.press("x")
        await pilot.pause()
        view = app.screen.query_one(PlanView)
        assert f"aws ec2 stop-instances --instance-ids {lab.prod_instance_id}" in str(
            app.screen.plan.steps[0].commands)
        assert app.screen.plan.confirm_name == "prime-prod"
        screen = await run_plan(app, pilot, name="prime-prod")
        assert screen.result.ok and view.outcome_text.startswith("Succeeded")
        state = ec2.describe_instances(InstanceIds=[lab.prod_instance_id])[
            "Reservations"][0]["Instances"][0]["State"]["Name"]
        assert state == "stopped"
        await pilot.press("enter")  # close the plan screen
        await until(app, pilot, lambda: cells(app)["prime-prod"]["state"] == "stopped",
                    "the table shows prod stopped")


async def test_starting_staging_runs_the_plan_without_typing_a_name(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await select_row(app, pilot, "prime-staging")
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.plan.confirm_name is None
        screen = await run_plan(app, pilot)
        assert screen.result.states == [StepState.DONE, StepState.SKIPPED] or screen.result.ok
        await pilot.press("enter")
        await until(app, pilot, lambda: cells(app)["prime-staging"]["state"] == "running",
                    "the table shows staging running")


async def test_stopping_rds_shows_the_date_aws_starts_it_again(make_app, lab):
    app = make_app(own_aws=True)
    restart = datetime(2026, 3, 13, 15, 0, tzinfo=UTC)

    def aws_restart_time(parsed: dict[str, Any]) -> None:  # moto does not model it
        for db in parsed.get("DBInstances", []):
            if db["DBInstanceStatus"] == "stopped":
                db["AutomaticRestartTime"] = restart

    rewrite_answers(app.services.aws.client("rds"), "DescribeDBInstances", aws_restart_time)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await select_row(app, pilot, "prime-db")
        await pilot.press("x")
        await pilot.pause()
        titles = [step.title for step in app.screen.plan.steps]
        assert "AWS starts it again by itself after 7 days, on " in titles[0]
        await run_plan(app, pilot, name="prime-db")
        await pilot.press("enter")
        expected = f"auto-start {restart.astimezone():%b %d %H:%M}"
        await until(app, pilot, lambda: cells(app)["prime-db"]["since"] == expected,
                    "the table shows the automatic restart date")
        assert cells(app)["prime-db"]["state"] == "stopped"


async def test_starting_a_running_instance_says_so_and_opens_no_plan(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await select_row(app, pilot, "prime-prod")
        await pilot.press("s")
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen)
        assert "prime-prod is already running; nothing to do." in notifications(app)


async def test_read_only_hides_start_and_stop_and_refuses_them(make_app, lab):
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        body = await open_tab(app, pilot)
        shown = {k for k, b in app.active_bindings.items() if b.binding.show}
        assert "s" not in shown and "x" not in shown and "slash" in shown
        await select_row(app, pilot, "prime-staging")
        await pilot.press("s", "x")
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen)
        body.action_start()  # as the command palette would call it
        await pilot.pause()
        assert not isinstance(app.screen, PlanScreen)
        assert "Read-only mode is on: instances cannot be started or stopped." in notifications(app)


# -- failures -------------------------------------------------------------------------------

async def test_an_aws_error_is_one_sentence_and_the_table_keeps_its_rows(make_app, lab):
    app = make_app(own_aws=True)
    async with app.run_test(size=SIZE) as pilot:
        body = await open_tab(app, pilot)
        inject_errors(app.services.aws.client("ec2"), "DescribeInstances", times=1,
                      code="UnauthorizedOperation", status=403)
        await pilot.press("r")
        await settle_after_failure(app, pilot)
        errors = [n for n in notifications(app) if "ec2:DescribeInstances" in n]
        assert len(errors) == 1 and "\n" not in errors[0] and errors[0].endswith(".")
        assert len(cells(app)) == 3
        assert "The last reading failed" in text_of(body.query_one("#instances-status", Static))
        await pilot.press("r")  # the error has passed: the tab still works
        await settle(app, pilot)
        assert text_of(body.query_one("#instances-status", Static)).startswith("3 instances")


async def test_at_80_columns_name_state_scheduled_protected_and_id_are_on_screen(make_app, lab):
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        body = await open_tab(app, pilot)
        table = body.table
        right, edges = 0, {}
        for column in table.ordered_columns:
            right += column.get_render_width(table)
            edges[column.key.value] = right
        width = table.scrollable_content_region.width
        for key in ("name", "state", "scheduled", "protected", "id"):
            assert edges[key] <= width, f"the {key} column ends at {edges[key]} of {width}"
        prod_row = table.get_row_index(lab.prod_instance_id)
        await select_row(app, pilot, "prime-db")  # prod's line is drawn as any other row
        line = "".join(s.text for s in table.render_line(prod_row + table.header_height))
        for shown in ("prime-prod", "running", "65 h/168", "yes", lab.prod_instance_id):
            assert shown in line, f"{shown!r} is not on the 80-column line {line!r}"


# -- details --------------------------------------------------------------------------------

async def test_enter_shows_tags_inbound_rules_storage_and_launch_time_of_ec2_and_rds(make_app, lab):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await select_row(app, pilot, "prime-prod")
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, InstanceDetailsScreen) and screen.details is not None
        text = text_of(screen.query_one("#instance-details-body", Static))
        for expected in ("Environment = prod", f"{lab.security_group_id}  prime-web",
                         "tcp 22 from 203.0.113.0/24  (SSH from the lab network)",
                         "tcp 443 from 0.0.0.0/0", "Launched: ", "8 GiB", "AMI: "):
            assert expected in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, InstanceDetailsScreen)
        await select_row(app, pilot, "prime-db")
        await pilot.press("enter")
        await settle(app, pilot)
        text = text_of(app.screen.query_one("#instance-details-body", Static))
        assert "Engine: postgres" in text and "storage  prime-db  20 GiB" in text


async def test_fast_table_draws_the_same_picture_as_live_table():
    from rich.segment import Segment

    from primetui.ui.tabs.instances.table import FastLiveTable
    from primetui.ui.widgets.live_table import LiveTable

    columns = (("name", "Name"), ("state", "State"), ("note", "Note"))
    rows = {f"i-{n}": (Text(f"web-{n}") if n % 4 else f"web-{n}",
                       Text("running" if n % 2 else "stopped",
                            style="green" if n % 2 else "bold red"),
                       Text("" if n % 3 else "[not markup]") if n % 5 else
                       ("" if n % 3 else "10:00:01 · [b]markup[/b]")) for n in range(40)}

    class Both(App[None]):
        def compose(self):
            yield LiveTable(columns, id="plain")
            yield FastLiveTable(columns, id="fast")

    def picture(table) -> list[list[tuple[str, object]]]:
        return [[(s.text, s.style) for s in Segment.simplify(list(table.render_line(y)))]
                for y in range(table.size.height)]

    app = Both()
    async with app.run_test(size=(60, 30)) as pilot:
        plain, fast = app.query_one("#plain", LiveTable), app.query_one("#fast", FastLiveTable)
        for table in (plain, fast):
            table.show(rows)
            table.move_cursor(row=3)
        app.set_focus(None)  # the focused table would draw its cursor in another colour
        await pilot.pause()
        assert plain.size == fast.size and picture(plain) == picture(fast)
        changed = dict(rows, **{"i-5": ("web-5", Text("stopping", style="yellow"), "")})
        for table in (plain, fast):
            table.show(changed)
        await pilot.pause()
        assert picture(plain) == picture(fast)
        assert any("stopping" in text for line in picture(fast) for text, _ in line)  # widened


def test_a_handoff_gives_its_value_once():
    from primetui.ui.tabs.instances.table import Handoff

    handoff = Handoff(["rows"])
    assert handoff.take() == ["rows"]
    with pytest.raises(LookupError):
        handoff.take()


def test_a_refresh_keeps_the_objects_of_rows_that_did_not_change():
    from dataclasses import replace

    from primetui.instances.model import EC2, Instance
    from primetui.ui.tabs.instances.tab import Listing, rows_and_cells

    colours = {"success": "green", "error": "red", "warning": "yellow"}
    first = [Instance(id=f"i-{n}", name=f"web-{n}", kind=EC2, type="t3.nano", state="running")
             for n in range(3)]
    rows, cells = rows_and_cells(first, colours, None)
    before = Listing(rows, cells, None, 0.0, "", colours)
    again = [replace(i) for i in first]
    again[1] = replace(again[1], state="stopped")
    rows2, cells2 = rows_and_cells(again, colours, before)
    assert rows2[0] is rows[0] and cells2["i-0"] is cells["i-0"]
    assert rows2[2] is rows[2] and cells2["i-2"] is cells["i-2"]
    state = [key for key, _ in InstancesTab.COLUMNS].index("state")
    assert rows2[1] is again[1] and cell_text(cells2["i-1"][state]) == "stopped"
    other = dict(colours, success="blue")  # another theme: every cell is made again
    rows3, cells3 = rows_and_cells(again, other, Listing(rows2, cells2, None, 0.0, "", colours))
    assert all(cells3[key] is not cells2[key] for key in cells2)
    assert str(cells3["i-0"][state].style) == "blue"


async def test_a_thousand_rows_keep_few_objects_for_the_garbage_collector():
    """Each full collection walks every tracked object, holding the GIL (the screen stops).
    A row's cells are untracked strings and shared coloured `Text`s, and the table drops
    DataTable's stale renders (its idle measuring of new rows alone made a `Text` of every
    `str` cell and kept them). Counted: what 1,000 rows shown add to an empty table drawn at
    120x36, their cells included: about 14 objects a row (a third of them the screen's own
    bounded caches); rows of `Text` cells kept about 45, without the dropping about 39."""
    import gc

    from primetui.instances.model import EC2, Instance
    from primetui.ui.tabs.instances.tab import rows_and_cells
    from primetui.ui.tabs.instances.table import FastLiveTable

    colours = {"success": "green", "error": "red", "warning": "yellow"}
    instances = [Instance(id=f"i-{n:017x}", name=f"web-{n}", kind=EC2, type="t3.nano",
                          state="running" if n % 2 else "stopped", protected=n % 7 == 0,
                          public_address=f"203.0.113.{n % 250}", private_address=f"10.0.{n}.1",
                          running_since=datetime(2026, 1, 1, 8, n % 60, tzinfo=UTC) if n % 2
                          else None, schedules=("lab/start",) if n % 3 else ())
                 for n in range(1000)]

    class Host(App[None]):
        def compose(self):
            yield FastLiveTable(InstancesTab.COLUMNS)

    app = Host()
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.query_one(FastLiveTable)
        await pilot.pause()
        gc.collect()
        empty = len(gc.get_objects())
        rows = list(rows_and_cells(instances, colours, None)[1].items())
        for end in range(100, 1001, 100):  # as the tab adds a big listing: in chunks
            table.show(dict(rows[:end]))
            await pilot.pause()
        table.move_cursor(row=500)
        await pilot.pause()
        await pilot.pause()
        gc.collect()
        per_row = (len(gc.get_objects()) - empty) / 1000
    assert per_row < 20, f"{per_row:.1f} tracked objects per row"
    styled = {id(cell) for _, row in rows for cell in row if isinstance(cell, Text)}
    assert len(styled) <= 4  # running, stopped, protected "yes"… shared by every row
