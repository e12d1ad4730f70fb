"""The `:` command line: tabs and actions by name, suggestions from the palette's list, escape."""

from __future__ import annotations

from textual.widgets import Static

from primetui.ui.widgets.command_line import CommandLine
from tests.fixtures.command_line import type_command
from tests.fixtures.shell import SIZE, lab_app, lab_settings, settle


async def test_colon_opens_the_line_and_escape_closes_it_giving_the_keyboard_back(
        aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        before = app.focused
        line = await type_command(pilot, "")
        assert app.focused is line.input
        await pilot.press("escape")
        await pilot.pause()
        assert not app.screen.query(CommandLine)
        assert app.focused is before
        assert app.shell.active_tab == "backups"


async def test_typed_tab_name_jumps_to_that_tab(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        # One command after another, each from the tab the last one showed.
        for typed, tab in (("instances", "instances"), ("certs", "certificates"),
                           ("audit", "audit"), ("certs", "certificates"),
                           ("backups", "backups"), ("audit", "audit")):
            await type_command(pilot, typed)
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.shell.active_tab == tab, typed
            assert not app.screen.query(CommandLine)
            body = app.shell.body(tab)
            assert app.focused is body or app.focused in body.query("*")  # its keys are live


async def test_typed_action_runs_the_current_tabs_own_action(aws_settings, tmp_path):
    """`filter` is every table's: the tab shown is the one meant."""
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("7")
        await settle(app, pilot)
        await type_command(pilot, "filter")
        await pilot.press("enter")
        await settle(app, pilot)
        body = app.shell.body("audit")
        assert app.shell.active_tab == "audit"
        assert app.focused is body.filter_input


async def test_typed_binding_id_runs_that_tabs_action_from_anywhere(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_command(pilot, "backups.show_hygiene")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.shell.active_tab == "backups"
        assert type(app.screen).__name__ == "HygieneScreen"


async def test_q_on_the_command_line_quits(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_command(pilot, "q")
        await pilot.press("enter")
        await pilot.pause()
        assert app.return_code == 0  # exit() was called: the app is on its way out


async def test_suggestions_and_matches_come_from_the_palettes_list(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        line = await type_command(pilot, "inst")
        hint = str(line.query_one("#command-line-hint", Static).render())
        assert "Show Instances" in hint
        assert await line.input.suggester.get_suggestion("inst") == "instances"
        await pilot.press("right")  # accepts the suggestion
        assert line.input.value == "instances"


async def test_unknown_command_says_so_and_keeps_the_line_open(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        line = await type_command(pilot, "frobnicate")
        await pilot.press("enter")
        await pilot.pause()
        hint = str(line.query_one("#command-line-hint", Static).render())
        assert "':frobnicate' is not a command here" in hint
        assert app.screen.query(CommandLine) and app.shell.active_tab == "overview"


async def test_read_only_leaves_changing_actions_off_the_command_line(aws_settings, tmp_path):
    settings = lab_settings(aws_settings, tmp_path, read_only=True)
    app = lab_app(settings, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        line = await type_command(pilot, "create-backup")
        await pilot.press("enter")
        await settle(app, pilot)
        hint = str(line.query_one("#command-line-hint", Static).render())
        assert "not a command here" in hint
        assert app.shell.active_tab == "overview" and settings.ui.read_only


async def test_keys_typed_right_after_the_colon_land_on_the_line_not_the_tab(
        aws_settings, tmp_path):
    """A fast typist (or a paste over SSH): `:certs` with no pause. On the Backups tab `c`
    is Create; the keys must all reach the line as it opens."""
    from textual import events

    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        app.post_message(events.Key("colon", ":"))
        for ch in "certs":
            app.post_message(events.Key(ch, ch))
        for _ in range(5):
            await pilot.pause()
        assert app.screen is app.shell  # no Create dialog
        line = app.screen.query_one(CommandLine)
        assert line.input.value == "certs"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.shell.active_tab == "certificates"


async def test_a_colon_typed_into_a_field_is_the_fields(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("7")
        await settle(app, pilot)
        await pilot.press("slash")
        await pilot.pause()
        body = app.shell.body("audit")
        assert app.focused is body.filter_input
        await pilot.press("1", "0", "colon", "3", "0")
        await pilot.pause()
        assert body.filter_input.value == "10:30"
        assert not app.screen.query(CommandLine)
