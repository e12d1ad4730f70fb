"""Switching contexts in the app (Pilot) against moto with two accounts: ctrl+o and the palette
rebuild every tab for the chosen context, the header names it and shows its banner, and a
pinned account that the credentials do not belong to refuses every change."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Static

from primetui.config import parse_settings
from primetui.sandbox.moto import MotoServer
from primetui.sandbox.seed import SeedResult, seed_lab_account
from primetui.ui.app import PrimeApp
from primetui.ui.screens.plan_screen import PlanScreen
from primetui.ui.tabs.instances.tab import InstancesTab
from primetui.ui.widgets.account_bar import AccountBar
from primetui.ui.widgets.live_table import cell_text
from primetui.ui.widgets.plan_view import PlanView
from tests.fixtures.contexts import (
    OTHER_ACCOUNT,
    OTHER_PROFILE,
    add_other_account_profile,
    contexts_config,
    launch_in_profile,
)
from tests.fixtures.instances_tab import text_of, type_text, until
from tests.fixtures.shell import SIZE, lab_app, settle


@pytest.fixture
def lab(aws_env: dict[str, str], moto_server: MotoServer) -> SeedResult:
    seeded = seed_lab_account(moto_server.endpoint_url)
    add_other_account_profile(aws_env)
    launch_in_profile(aws_env, OTHER_PROFILE, "other-web")
    return seeded


@pytest.fixture
def app(lab: SeedResult, moto_server: MotoServer, tmp_path: Path) -> PrimeApp:
    project = tmp_path / "project"
    project.mkdir()
    file = tmp_path / "config.toml"
    settings = parse_settings(contexts_config(moto_server.endpoint_url, project), file)
    return lab_app(settings, tmp_path)


def instance_names(app: PrimeApp) -> list[str]:
    table = app.shell.query_one(InstancesTab).table
    return sorted(cell_text(table.get_row(key)[0]) for key in table.rows)


def header(app: PrimeApp) -> str:
    return app.screen.query_one(AccountBar).text


async def choose(app: PrimeApp, pilot, text: str) -> None:
    """In the open palette: type `text`, wait until the first hit is that very command (the
    palette answers each keystroke in a task), press enter, wait for the palette to go."""
    await pilot.pause()
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    await type_text(pilot, text)
    options = palette.query_one("CommandList")
    for _ in range(200):
        await pilot.pause()
        if (options.option_count and options.highlighted == 0
                and str(options.get_option_at_index(0).prompt).startswith(text)):
            break
    else:
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        raise AssertionError(f"the palette never offered {text!r} first: {shown}, "
                             f"{options.highlighted}")
    await pilot.press("enter")
    await until(app, pilot, lambda: app.screen is app.shell, "the palette closed")


async def instances_shown(app: PrimeApp, pilot, expected: list[str]) -> None:
    await until(app, pilot, lambda: instance_names(app) == expected, f"instances {expected}")


async def test_ctrl_o_switches_every_tab_to_the_other_account_and_back(app: PrimeApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await instances_shown(app, pilot, ["prime-db", "prime-prod", "prime-staging"])
        assert "context default" in header(app) and "123456789012" in header(app)
        first_services = app.services
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await choose(app, pilot, "other")
        await instances_shown(app, pilot, ["other-web"])
        await until(app, pilot, lambda: OTHER_ACCOUNT in header(app), "the other account shown")
        bar = header(app)
        assert "context other" in bar and f"profile {OTHER_PROFILE}" in bar
        assert bar.splitlines()[0].strip() == "PRODUCTION"  # the banner, a line of its own
        assert "WRONG ACCOUNT" not in bar  # pinned to the other account, and it is that one
        assert app.theme == "prime-contrast"
        assert app.services is not first_services and app.settings.context == "other"
        # the Overview, built before the switch, was given the new context too
        assert app.screen.query_one("#overview-body").wiring.settings.context == "other"

        await pilot.press("ctrl+p")
        await choose(app, pilot, "Context: default")
        await instances_shown(app, pilot, ["prime-db", "prime-prod", "prime-staging"])
        assert "PRODUCTION" not in header(app) and app.theme == "prime-dark"
        await pilot.pause(0.6)  # a theme chosen by hand is saved after 0.4 s; a context's is not
        assert not app.settings.path.exists()


async def test_a_wrong_pinned_account_shows_its_instances_but_refuses_to_start_one(
        app: PrimeApp, lab: SeedResult) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await choose(app, pilot, "Context: pinned-elsewhere")
        await pilot.press("2")
        await instances_shown(app, pilot, ["prime-db", "prime-prod", "prime-staging"])
        await until(app, pilot, lambda: "WRONG ACCOUNT" in header(app), "the header warns")
        assert ("The credentials belong to AWS account 123456789012, not 999999999999 that "
                "context 'pinned-elsewhere' expects") in header(app)
        table = app.shell.query_one(InstancesTab).table
        row = next(k for k in table.rows if cell_text(table.get_row(k)[0]) == "prime-staging")
        table.move_cursor(row=table.get_row_index(row))
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        await pilot.press("enter")
        await until(app, pilot, lambda: screen.phase == "finished", "the plan finished")
        outcome = screen.query_one("#plan-outcome", Static)
        assert text_of(outcome) == ("Refused: context 'pinned-elsewhere' expects AWS account "
                           "999999999999, but the credentials belong to account 123456789012; "
                           "nothing was changed.")
        assert {row.state_text for row in screen.query_one(PlanView).rows} == {"pending"}
        ec2 = app.services.aws.client("ec2")
        answer = ec2.describe_instances(InstanceIds=[lab.staging_instance_id])
        assert answer["Reservations"][0]["Instances"][0]["State"]["Name"] == "stopped"


async def test_a_right_pinned_account_shows_no_warning(app: PrimeApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await choose(app, pilot, "Context: pinned-here")
        await until(app, pilot, lambda: "123456789012" in header(app), "the account shown")
        assert "context pinned-here" in header(app) and "WRONG ACCOUNT" not in header(app)


async def test_the_switcher_is_hidden_without_contexts(aws_settings, tmp_path: Path) -> None:
    from tests.fixtures.shell import lab_settings

    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.check_action("switch_context", ()) is False
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert not isinstance(app.screen, CommandPalette)
        assert "context" not in header(app)
