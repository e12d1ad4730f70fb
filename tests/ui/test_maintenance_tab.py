"""The Maintenance tab: status and steps, the page preview, read-only, and on/off through the TUI."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual.widgets import Checkbox, Input

from primetui.config import MaintenanceSettings, ServerSettings
from primetui.maintenance.progress import WizardState
from primetui.plans.audit import AuditLog
from primetui.registry import Services
from primetui.ui.app import make_app
from primetui.ui.dialogs.type_name import TypeNameDialog
from primetui.ui.screens.plan_screen import PlanScreen
from primetui.ui.tabs.maintenance.dialogs import (
    MaintenanceFormDialog,
    PagePreviewScreen,
    TeardownDialog,
)
from primetui.ui.tabs.maintenance.tab import MaintenanceTab
from tests.fixtures.maintenance_world import DOMAIN, World
from tests.fixtures.shell import SIZE, lab_app, lab_settings, settle


def _configured(aws_settings, tmp_path: Path, **ui):
    settings = lab_settings(aws_settings, tmp_path, **ui)
    return dataclasses.replace(
        settings, servers={"prod": ServerSettings(host="prod.example.test", instance="i-0abc")},
        maintenance=MaintenanceSettings(domain=DOMAIN, contact="it@lab.example.edu"))


def _status_text(app) -> str:
    return str(app.screen.query_one("#maintenance-status").render())


def _step_states(app) -> list[str]:
    table = app.screen.query_one("#maintenance-table")
    return [str(table.get_row_at(i)[2]) for i in range(table.row_count)]


async def test_tab_asks_for_a_domain_when_none_is_configured(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(app, pilot)
        assert "Set maintenance.domain" in _status_text(app)
        assert _step_states(app) == ["pending"] * 8


async def test_tab_shows_maintenance_on_since_when_and_on_which_instance(aws_settings, tmp_path):
    state = WizardState(tmp_path / "state" / "maintenance.toml", on=True, since=1_767_225_600,
                        done={"preflight": "", "page": "", "switch": ""},
                        resources={"instance_id": "i-0maint", "public_ip": "198.51.100.7"})
    state.save()
    app = lab_app(_configured(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(app, pilot)
        text = _status_text(app)
        assert "Maintenance is ON" in text and "i-0maint" in text and "198.51.100.7" in text
        tab = app.screen.query_one(MaintenanceTab)
        assert tab.clock(1_767_225_600) in text
        assert _step_states(app)[:4] == ["done", "done", "next", "pending"]


async def test_p_previews_the_page_text(aws_settings, tmp_path):
    app = lab_app(_configured(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PagePreviewScreen)
        text = str(app.screen.query_one("#page-preview-text").render())
        assert "Scheduled maintenance" in text and "it@lab.example.edu" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PagePreviewScreen)


async def test_read_only_hides_on_and_off(aws_settings, tmp_path):
    app = lab_app(_configured(aws_settings, tmp_path, read_only=True), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(app, pilot)
        tab = app.screen.query_one(MaintenanceTab)
        assert tab.check_action("maintenance_on", ()) is False
        assert tab.check_action("maintenance_off", ()) is False
        assert tab.check_action("preview_page", ()) is True
        await pilot.press("o")
        await pilot.pause()
        assert not isinstance(app.screen, MaintenanceFormDialog)


async def test_enter_on_a_ticked_checklist_box_submits_and_keeps_it_ticked(aws_settings,
                                                                          tmp_path):
    app = lab_app(_configured(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, MaintenanceFormDialog)
        boxes = list(form.query(Checkbox))
        for box in boxes:
            box.focus()
            await pilot.pause()
            await pilot.press("space")
            await pilot.pause()
        assert all(box.value for box in boxes)
        await pilot.press("enter")  # on the last box: submits the form, never un-ticks it
        await pilot.pause()
        assert all(box.value for box in boxes)
        assert not isinstance(app.screen, MaintenanceFormDialog)


async def test_form_refuses_until_the_checklist_is_ticked(aws_settings, tmp_path):
    app = lab_app(_configured(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, MaintenanceFormDialog)
        await pilot.click("#form-go")
        await pilot.pause()
        assert isinstance(app.screen, MaintenanceFormDialog)
        assert "checklist" in str(app.screen.query_one("#form-error").render())


async def test_on_then_off_through_the_tui(world: World, tmp_path):
    settings = world.settings
    services = Services(settings, audit=AuditLog(world.state_dir / "audit.jsonl"))
    services.__dict__["maintenance"] = world.service()  # the world's short timeouts
    app = make_app(settings, services=services, config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, MaintenanceFormDialog)
        form.query_one("#form-message", Input).value = "Moving to a bigger database."
        for box in form.query(Checkbox):
            box.value = True
        await pilot.click("#form-go")
        await settle(app, pilot)
        plan_screen = app.screen
        assert isinstance(plan_screen, PlanScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TypeNameDialog)
        app.screen.query_one(Input).value = DOMAIN
        await pilot.press("enter")
        await settle(app, pilot)
        assert plan_screen.result is not None and plan_screen.result.ok, plan_screen.result
        assert world.eip_instance() == world.service().status().instance_id
        await pilot.press("enter")  # close the plan screen
        await settle(app, pilot)
        assert "Maintenance is ON" in _status_text(app)
        assert _step_states(app) == ["done"] * 8

        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, TeardownDialog)
        await pilot.press("k")
        await settle(app, pilot)
        plan_screen = app.screen
        assert isinstance(plan_screen, PlanScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        assert plan_screen.result is not None and plan_screen.result.ok, plan_screen.result
        assert world.eip_instance() == world.seed.prod_instance_id
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Maintenance is off" in _status_text(app)


async def test_on_without_prods_instance_offers_the_one_found_and_saves_it(world: World,
                                                                          tmp_path):
    """The wizard's preflight: prod's instance is not in the config, so `o` looks for it in
    AWS, shows what it found before saving, and on yes saves it (comments kept) and goes on
    to the form."""
    from primetui.config import load_settings, to_document, write_document
    from primetui.ui.dialogs.confirm import ConfirmDialog

    path = tmp_path / "lab.toml"
    prod = dataclasses.replace(world.settings.servers["prod"], instance=None)
    settings = dataclasses.replace(world.settings, path=path,
                                   servers={**world.settings.servers, "prod": prod})
    write_document(to_document(settings), path)
    path.write_text("# the lab's own words\n" + path.read_text())
    services = Services(settings, audit=AuditLog(world.state_dir / "audit.jsonl"))
    services.__dict__["maintenance"] = world.service(settings)
    app = make_app(settings, services=services, config_path=path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("6")
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog)
        shown = str(app.screen.query_one("#confirm-detail").render())
        assert world.seed.prod_instance_id in str(app.screen.query_one("#confirm-question")
                                                  .render())
        assert "Elastic IP" in shown and str(path) in shown
        assert load_settings(str(path)).servers["prod"].instance is None  # asked first
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, MaintenanceFormDialog)
        assert load_settings(str(path)).servers["prod"].instance == world.seed.prod_instance_id
        assert path.read_text().startswith("# the lab's own words\n")
