"""SVG snapshots of the shell: every tab, the keys panel and the first-run screen.

Theme prime-dark, 120x36, the header's account from the moto server, the audit log written
with fixed times into tmp_path and shown in UTC, so every run draws the same picture.
Review a diff before accepting it with `pytest --snapshot-update`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from primetui.config import Settings
from primetui.ui.app import make_app
from primetui.ui.tabs import TABS
from tests.fixtures.backups_world import install_snapshot_backups
from tests.fixtures.certificates_snapshot import install_snapshot_certificates
from tests.fixtures.instances_tab import freeze_lab
from tests.fixtures.shell import SIZE, lab_app, lab_settings, settle, write_audit

FIRST_RUN_CONFIG = Path("/home/ada/.config/primetui/config.toml")
"""Shown on the first-run screen; never written (the test only draws the screen)."""
SNAPSHOT_BACKUPS = "/srv/lab/secure-backups"
"""The backup destination the pictures name; it does not exist, so there is no backup yet."""


@pytest.fixture(autouse=True)
def fixed_check_time(monkeypatch):
    """The Overview says when it last checked: the pictures show one fixed time."""
    monkeypatch.setattr("primetui.ui.tabs.overview.tab.clock", lambda when: "12:00:00")


@pytest.fixture
def shell(aws_settings, tmp_path, utc):
    """The shell on the moto account, with a small audit log."""
    write_audit(tmp_path / "state" / "audit.jsonl", 6)
    return lab_app(snapshot_settings(aws_settings, tmp_path), tmp_path)


def snapshot_settings(aws_settings, tmp_path: Path, **kwargs) -> Settings:
    """`lab_settings` whose backup destination (named by the Overview) is not in tmp_path."""
    settings = lab_settings(aws_settings, tmp_path, **kwargs)
    backups = dataclasses.replace(settings.backups, destination=SNAPSHOT_BACKUPS)
    return dataclasses.replace(settings, backups=backups)


@pytest.mark.parametrize("tab", TABS, ids=lambda t: t.id)
def test_tab_snapshot(snap_compare, shell, tab, tmp_path, moto_server):
    if tab.id == "backups":
        install_snapshot_backups(shell.services, tmp_path)
    elif tab.id == "certificates":
        install_snapshot_certificates(shell.services)
    elif tab.id in ("instances", "schedules"):
        freeze_lab(shell, moto_server.endpoint_url)

    async def show(pilot) -> None:
        await settle(pilot.app, pilot)
        await pilot.press(tab.key)
        await settle(pilot.app, pilot)
        if tab.id == "instances":
            # The details pane shows the selected row's id: moto's EC2 ids change with what
            # ran before in the process, an RDS instance's id is its name.
            await pilot.press("G")
            await settle(pilot.app, pilot)

    assert snap_compare(shell, terminal_size=SIZE, run_before=show)


def test_keys_panel_snapshot(snap_compare, shell):
    async def keys(pilot) -> None:
        await settle(pilot.app, pilot)
        await pilot.press("question_mark")
        await settle(pilot.app, pilot)

    assert snap_compare(shell, terminal_size=SIZE, run_before=keys)


def test_read_only_demo_header_snapshot(snap_compare, aws_settings, tmp_path, utc):
    settings = dataclasses.replace(snapshot_settings(aws_settings, tmp_path, read_only=True),
                                   demo=True)
    app = lab_app(settings, tmp_path)

    async def ready(pilot) -> None:
        await settle(pilot.app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_first_run_snapshot(snap_compare):
    assert not FIRST_RUN_CONFIG.exists()
    app = make_app(None, config_path=FIRST_RUN_CONFIG)

    async def ready(pilot) -> None:
        await settle(pilot.app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
