"""The Audit tab: `/` filters every column, `enter` shows an entry's commands, output and
error, `w` writes the report of the last 7 days next to the audit log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import Static

from primetui.errors import PrimeError
from primetui.overview.report import report_filename
from primetui.plans.audit import AuditLog
from primetui.plans.plan import Plan, Step, StepContext, execute
from primetui.ui.screens.main import MainScreen
from primetui.ui.tabs.audit.details import AuditDetailsScreen
from primetui.ui.widgets.live_table import LiveTable, cell_text
from tests.fixtures.shell import (
    SIZE,
    lab_app,
    lab_settings,
    notifications,
    run_palette,
    settle,
    write_audit,
)


@pytest.fixture(autouse=True)
def utc_and_private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, utc):
    """UTC local time and a private XDG state dir."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "audit.jsonl"


def record_failed_renewal(tmp_path: Path) -> None:
    """A real failed plan run, recorded the way every plan run is."""
    def renew(ctx: StepContext) -> None:
        ctx.emit("Processing /etc/letsencrypt/renewal/prime.example.edu.conf")
        ctx.emit("Challenge failed for domain prime.example.edu")
        raise PrimeError("certbot could not renew prime.example.edu: the challenge failed.")

    plan = Plan("Renew prime.example.edu", "prod", action="certs.renew", steps=[
        Step("Renew", ["sudo certbot renew --webroot -w /var/www/certbot"], renew)])
    AuditLog(audit_path(tmp_path)).record(plan, execute(plan), context="prod-lab")


async def show_audit(app, pilot) -> LiveTable:
    await settle(app, pilot)
    await pilot.press("7")
    await settle(app, pilot)
    return app.screen.query_one("#audit-table", LiveTable)


async def test_slash_filters_over_every_column_and_escape_clears(aws_settings, tmp_path):
    write_audit(audit_path(tmp_path), 6)
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        table = await show_audit(app, pilot)
        assert table.row_count == 6
        await pilot.press("slash", *"i-0abc0003")
        await pilot.pause()
        assert [cell_text(c) for c in table.get_row_at(0)][3] == "i-0abc0003"  # target
        assert table.row_count == 1
        await pilot.press("enter", "escape")
        await pilot.pause()
        await pilot.press("slash", *"failed")
        await pilot.pause()
        assert table.row_count == 2  # entries 0 and 3 failed
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == 6 and table.filter_text == ""


async def test_enter_shows_the_commands_output_and_error_of_an_entry(aws_settings, tmp_path):
    write_audit(audit_path(tmp_path), 2)
    record_failed_renewal(tmp_path)
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        table = await show_audit(app, pilot)
        assert [cell_text(c) for c in table.get_row_at(0)][1:4] == ["certs.renew", "failed",
                                                                    "prod"]
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AuditDetailsScreen)

        def text(widget_id: str) -> str:
            return str(screen.query_one(f"#{widget_id}", Static).render())

        assert text("audit-details-title") == "Renew prime.example.edu"
        assert text("audit-details-error") == ("certbot could not renew prime.example.edu: "
                                               "the challenge failed.")
        assert text("audit-details-commands") == ("$ sudo certbot renew --webroot -w "
                                                  "/var/www/certbot")
        assert text("audit-details-output").splitlines() == [
            "Processing /etc/letsencrypt/renewal/prime.example.edu.conf",
            "Challenge failed for domain prime.example.edu"]
        assert "Action    certs.renew" in text("audit-details-facts")
        assert "Context   prod-lab" in text("audit-details-facts")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_w_writes_the_report_of_the_last_seven_days_next_to_the_log(aws_settings, tmp_path):
    record_failed_renewal(tmp_path)
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await show_audit(app, pilot)
        await pilot.press("w")
        await settle(app, pilot)
        report = tmp_path / "state" / "reports" / report_filename(time.time())
        assert report.is_file()
        assert f"Wrote the report of the last 7 days:\n{report}" in notifications(app)
        text = report.read_text()
        assert "- Error: certbot could not renew prime.example.edu: the challenge failed." in text
        assert "## What is pending" in text


async def test_the_palette_writes_the_report_from_any_tab(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await run_palette(pilot, "Audit: Write report")
        await settle(app, pilot)
        assert app.screen.query_one("TabbedContent").active == "audit"
        assert (tmp_path / "state" / "reports" / report_filename(time.time())).is_file()


async def test_the_audit_tab_shows_what_ran_and_how_it_ended_at_80_columns(aws_settings,
                                                                         tmp_path):
    import json

    path = audit_path(tmp_path)  # a real lab's names: a long host and a domain as target
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "when": 1_767_225_600, "user": "labmember", "host": "prime-admin-workstation.lab",
        "action": "certs.renew", "title": "t", "target": "www.prime.example.edu",
        "outcome": "failed", "duration": 12.5, "commands": [], "error": "", "output_tail": []})
        + "\n")
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await show_audit(app, pilot)
        keys = table.column_keys
        widths = [table.columns[k].get_render_width(table) for k in table.columns]
        right = 0
        for key, width in zip(keys, widths, strict=True):
            right += width
            if key in ("outcome", "action"):
                assert right <= 80, f"{key} ends at column {right}"
