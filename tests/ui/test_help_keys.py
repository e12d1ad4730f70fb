"""`?` leads with the tab's own keys, then everywhere, then the table; `[keymap]` moves keys."""

from __future__ import annotations

import dataclasses

from textual.widgets import Static

from primetui.ui.screens.help import HelpScreen
from tests.fixtures.shell import SIZE, lab_app, lab_settings, notifications, settle


def headings(app) -> list[str]:
    return [str(s.content) for s in app.screen.query(".help--heading")
            if s.id != "help-keymap"]


def section_text(app, index: int) -> str:
    table = app.screen.query_one(f"#help-section-{index}", Static).content
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(table)
    return console.export_text()


async def test_help_leads_with_the_tabs_own_actions_then_global_then_table_keys(
        aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert headings(app) == ["Certificates: what this tab does", "Everywhere",
                                 "In the table"]
        own, everywhere, table = (section_text(app, i) for i in range(3))
        assert "certificates.renew" in own and "Renew the selected domain" in own
        assert "table.filter" not in own and "app.refresh" not in own
        assert "app.command_line" in everywhere and "app.ssh_shell" in everywhere
        assert "tabs.<tab id>" in everywhere and "Maintenance, Audit" in " ".join(everywhere.split())
        assert "table.filter" in table
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_help_on_the_overview_has_no_table_section_and_escape_closes(aws_settings,
                                                                          tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert headings(app) == ["Overview: what this tab does", "Everywhere"]
        assert "overview.check_now" in section_text(app, 0)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_help_marks_changing_keys_off_in_read_only_mode(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path, read_only=True), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        own = " ".join(section_text(app, 0).split())
        assert "twice) (off: read-only)" in own  # Create
        assert "checksums (off" not in own  # Verify changes nothing


async def test_keymap_moves_keys_and_help_shows_where_they_are_now(aws_settings, tmp_path):
    settings = dataclasses.replace(lab_settings(aws_settings, tmp_path),
                                   keymap={"tabs.audit": "A", "app.help": "f1"})
    app = lab_app(settings, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("7")  # moved away: nothing happens
        await settle(app, pilot)
        assert app.shell.active_tab == "overview"
        await pilot.press("A")
        await settle(app, pilot)
        assert app.shell.active_tab == "audit"
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        everywhere = section_text(app, 1)
        assert "1 2 3 4 5 6 A " in everywhere  # the number keys' row, Audit on A now


async def test_bad_keymap_entries_are_one_sentence_each_and_the_good_ones_still_apply(
        aws_settings, tmp_path):
    settings = dataclasses.replace(lab_settings(aws_settings, tmp_path),
                                   keymap={"tabs.audt": "A", "app.refresh": "ctrl+",
                                           "tabs.backups": "B"})
    app = lab_app(settings, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        said = notifications(app)
        assert ("[keymap]: 'tabs.audt' is not a key's id (did you mean 'tabs.audit'?); it was "
                "ignored.") in said
        assert any(s.startswith("[keymap]: app.refresh = 'ctrl+' cannot be used") for s in said)
        await pilot.press("B")
        await settle(app, pilot)
        assert app.shell.active_tab == "backups"
        refreshes = [k for k, b in app.active_bindings.items() if b.binding.action == "refresh"]
        assert refreshes == ["r"]  # the default stays


async def test_help_on_the_first_run_screen_leads_with_its_own_keys(tmp_path):
    from primetui.ui.app import make_app

    app = make_app(config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert headings(app) == ["First run: what this screen does", "Everywhere"]
        assert "first_run.write_starter" in section_text(app, 0)
        everywhere = section_text(app, 1)
        assert "app.quit" in everywhere
        assert "app.ssh_shell" not in everywhere and "tabs.<tab id>" not in everywhere


async def test_a_keymap_key_taken_from_another_binding_is_said_once(aws_settings, tmp_path):
    settings = dataclasses.replace(lab_settings(aws_settings, tmp_path),
                                   keymap={"certificates.renew": "d"})
    app = lab_app(settings, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        said = [n for n in notifications(app) if "certificates.dry_run" in n]
        assert said == ["[keymap]: certificates.renew = 'd' takes d from "
                        "certificates.dry_run, which has no key now; give it one in [keymap]."]
        active = {k: b.binding.action for k, b in app.active_bindings.items()}
        assert active["d"] == "renew"
