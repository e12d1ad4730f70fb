"""The Overview tab: findings most urgent first, `enter` to the tab that fixes one, the areas'
status, refresh on `c`, no prompts (an unknown host key is a finding; `k` asks), read-only."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from primetui.config import AwsSettings, BackupSettings, Settings
from primetui.sandbox.tools import free_port
from primetui.ui.dialogs.host_key import HostKeyDialog
from primetui.ui.prompter import UiPrompter
from primetui.ui.screens.main import MainScreen
from primetui.ui.widgets.live_table import LiveTable, cell_text
from tests.fixtures.shell import SIZE, lab_app, lab_settings, notifications, settle


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Backup verifications and maintenance progress live in tmp_path."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def settings_for(aws: AwsSettings, tmp_path: Path, **parts: object) -> Settings:
    """The shell's test settings with the backups inside tmp_path."""
    base = lab_settings(aws, tmp_path)
    backups = BackupSettings(source=str(tmp_path / "project"), destination=tmp_path / "backups")
    return dataclasses.replace(base, backups=backups, **parts)


def rows(app, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}", LiveTable)
    return [[cell_text(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def insecure_env(tmp_path: Path) -> None:
    env = tmp_path / "project" / ".env"
    env.write_text("SECRET=1\n")
    env.chmod(0o644)


async def test_findings_are_listed_most_urgent_first_and_enter_shows_the_fixing_tab(
        aws_settings, tmp_path):
    app = lab_app(settings_for(aws_settings, tmp_path), tmp_path)
    insecure_env(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert rows(app, "overview-findings") == [
            ["● CRITICAL", "There is no backup yet; create one now.", "5 Backups · c Create"],
            ["▲ WARNING", ".env has mode 0644; it should be 0600.", "5 Backups · h Hygiene"]]
        headline = str(app.screen.query_one("#overview-headline").render())
        assert headline.startswith("Needs attention: 1 critical, 1 warning.")
        detail = str(app.screen.query_one("#overview-detail").render())
        assert detail.startswith(f"Backups go to {tmp_path / 'backups'}")
        areas = {r[0]: r[1:] for r in rows(app, "overview-areas")}
        assert areas["AWS account"] == ["✓ OK", "123456789012 in us-east-2, default "
                                                "credentials."]
        assert areas["Backups"] == ["● CRITICAL", "No backup yet."]
        assert areas[".env hygiene"][0] == "▲ WARNING"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one("TabbedContent").active == "backups"


async def test_c_checks_again_and_shows_what_changed(aws_settings, tmp_path):
    app = lab_app(settings_for(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert [r[1] for r in rows(app, "overview-findings")] == [
            "There is no backup yet; create one now."]
        headline = app.screen.query_one("#overview-headline")
        assert "Checked at " in str(headline.render())  # when it was last read
        insecure_env(tmp_path)
        app.screen.query_one("OverviewTab").action_check_now()  # what `c` does
        assert str(headline.render()).startswith("Checking every area again")  # in progress
        await settle(app, pilot)
        assert [r[1] for r in rows(app, "overview-findings")] == [
            "There is no backup yet; create one now.", ".env has mode 0644; it should be 0600."]
        assert "Checked at " in str(headline.render())


async def test_an_unknown_host_key_is_a_finding_and_k_asks_before_trusting_it(
        aws_settings, tmp_path, ssh_server_settings):
    known = tmp_path / "known_hosts"
    known.write_text("")
    servers = {"prod": dataclasses.replace(ssh_server_settings, known_hosts=known)}
    app = lab_app(settings_for(aws_settings, tmp_path, servers=servers), tmp_path)
    app.services.prompter = UiPrompter(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)  # collecting never asked
        found = rows(app, "overview-findings")
        host = next(i for i, r in enumerate(found) if "is not in known_hosts" in r[1])
        assert found[host][2] == "1 Overview · k Trust host key"
        table = app.screen.query_one("#overview-findings", LiveTable)
        table.move_cursor(row=host)
        await pilot.pause()
        assert "k" in app.active_bindings
        await pilot.press("k")
        for _ in range(400):  # the worker connects, then the prompter pushes the dialog
            if isinstance(app.screen, HostKeyDialog):
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, HostKeyDialog)
        await pilot.pause()  # let the dialog compose its buttons
        await pilot.click("#host-key-accept")
        await settle(app, pilot)
        await settle(app, pilot)
        assert known.read_text().startswith(f"[{ssh_server_settings.host}]:")
        assert not any("known_hosts" in r[1] for r in rows(app, "overview-findings"))
        assert any("answered with a trusted host key" in m for m in notifications(app))


async def test_with_aws_unreachable_the_overview_says_so_and_reports_no_error(aws_env, tmp_path):
    aws = AwsSettings(endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1,
                      connect_timeout=1.0, read_timeout=1.0)
    app = lab_app(settings_for(aws, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        titles = [r[1] for r in rows(app, "overview-findings")]
        assert any(t.startswith("AWS account: Cannot reach AWS at") for t in titles)
        areas = {r[0]: r[2] for r in rows(app, "overview-areas")}
        assert areas["Instances"] == "Not checked: the AWS account cannot be reached."
        assert not any(m.startswith("Unexpected error") for m in notifications(app))


async def test_read_only_hides_the_practice_plan_but_keeps_check_now(aws_settings, tmp_path):
    settings = dataclasses.replace(settings_for(aws_settings, tmp_path),
                                   ui=dataclasses.replace(lab_settings(aws_settings, tmp_path).ui,
                                                          read_only=True))
    app = lab_app(settings, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "p" not in app.active_bindings and "k" not in app.active_bindings
        assert "c" in app.active_bindings


def test_the_overview_imports_nothing_heavy():
    code = ("import sys, primetui.ui.tabs.overview.tab\n"
            "heavy = {'boto3', 'botocore', 'fabric', 'paramiko', 'invoke', 'gnupg', 'moto'}\n"
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n")
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]"
    assert "primetui.services" not in out.stderr


async def test_enter_on_a_finding_selects_its_subject_in_the_fixing_tab(aws_settings, tmp_path):
    from datetime import date, timedelta

    backups = tmp_path / "backups"
    backups.mkdir()
    today = date.today()
    names = [f"prime-backup-{today - timedelta(days=d):%Y-%m-%d}.tar.gz.gpg" for d in (3, 2, 0)]
    for name in names:  # the newest is listed last by age, never verified: the finding's subject
        (backups / name).write_bytes(b"not checked here")
    app = lab_app(settings_for(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("5")  # the cursor is left on another backup, as a person might
        await settle(app, pilot)
        backups_table = app.screen.query_one("#backups-table", LiveTable)
        backups_table.move_cursor(row=backups_table.row_count - 1)
        await pilot.pause()
        assert not (backups_table.selected_key or "").endswith(names[-1])
        await pilot.press("1")
        await settle(app, pilot)
        findings = rows(app, "overview-findings")
        index = next(i for i, r in enumerate(findings) if "never verified" in r[1])
        table = app.screen.query_one("#overview-findings", LiveTable)
        table.move_cursor(row=index)
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        for _ in range(100):
            await pilot.pause()
            backups_table = app.screen.query("#backups-table")
            if backups_table and backups_table.first().row_count == len(names):
                break
        await settle(app, pilot)
        assert app.screen.query_one("TabbedContent").active == "backups"
        selected = app.screen.query_one("#backups-table", LiveTable).selected_key
        assert selected is not None and selected.endswith(names[-1]), selected


async def test_at_80x24_every_area_and_each_findings_fix_are_on_screen(aws_settings, tmp_path):
    settings = settings_for(aws_settings, tmp_path)
    insecure_env(tmp_path)
    for name in (".env.production", ".env.local", ".env.test"):  # more findings, as in the demo
        (tmp_path / "project" / name).write_text("SECRET=1\n")
        (tmp_path / "project" / name).chmod(0o644)
    app = lab_app(settings, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        findings = app.screen.query_one("#overview-findings", LiveTable)
        assert findings.row_count >= 4
        right = sum(findings.columns[k].get_render_width(findings) for k in findings.columns)
        assert right <= 80, f"the Fix column ends at column {right}"
        cut = next(r for r in rows(app, "overview-findings") if r[1].endswith("…"))
        findings.move_cursor(row=rows(app, "overview-findings").index(cut))
        await pilot.pause()
        detail = str(app.screen.query_one("#overview-detail").render())
        assert detail.startswith(cut[1][:-1]), "a cut title is shown whole under the table"
        areas = app.screen.query_one("#overview-areas", LiveTable)
        region = areas.region
        assert region.bottom <= 24 - 2, region  # above the hint and the footer
        assert region.height >= areas.row_count + 1, (
            f"{areas.row_count} areas in {region.height} lines")


async def test_the_refresh_follows_ui_refresh_and_only_c_and_r_ask_certbot_again(
        aws_settings, tmp_path, monkeypatch):
    from primetui.config import UiSettings
    from primetui.overview.collector import FindingsService

    asked: list[bool] = []
    collect = FindingsService.collect

    def recording(self, *args, fresh: bool = False, **kwargs):
        asked.append(fresh)
        return collect(self, *args, fresh=fresh, **kwargs)

    monkeypatch.setattr(FindingsService, "collect", recording)
    settings = settings_for(aws_settings, tmp_path, ui=UiSettings(refresh=300))
    app = lab_app(settings, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        headline = str(app.screen.query_one("#overview-headline").render())
        assert "again every 5 minutes" in headline
        tab = app.screen.query_one("OverviewTab")
        tab._tick()  # the background refresh
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert asked == [False, False, True, True]
