"""SVG snapshots of the shell: every tab and every form or dialog at 80x24 (an SSH terminal)
and 120x36, the keys panel and the first-run screen.

Theme prime-dark, the header's account from the moto server, the audit log written with
fixed times into tmp_path and shown in UTC, the "Checked at" and "read" times fixed, so
every run draws the same picture. The dialogs are drawn over the first-run screen (the real
app's styles, nothing to read first). Review a diff before accepting it with
`pytest --snapshot-update`.
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
from tests.fixtures.small_terminal import SMALL

FIRST_RUN_CONFIG = Path("/home/ada/.config/primetui/config.toml")
"""Shown on the first-run screen; never written (the test only draws the screen)."""
SNAPSHOT_BACKUPS = "/srv/lab/secure-backups"
"""The backup destination the pictures name; it does not exist, so there is no backup yet."""


SIZES = {"80x24": SMALL, "120x36": SIZE}
"""An 80-column SSH terminal, and the size the screenshots are taken at."""


@pytest.fixture(autouse=True)
def fixed_check_time(monkeypatch):
    """The Overview says when it last checked, each table tab when it was read: the
    pictures show one fixed time."""
    monkeypatch.setattr("primetui.ui.tabs.overview.tab.clock", lambda when: "12:00:00")
    monkeypatch.setattr("primetui.ui.tabs.table_tab.clock", lambda when: "12:00:00")


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


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("tab", TABS, ids=lambda t: t.id)
def test_tab_snapshot(snap_compare, shell, tab, size, tmp_path, moto_server):
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

    assert snap_compare(shell, terminal_size=size, run_before=show)


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


# -- the forms and dialogs --------------------------------------------------------------------

def maintenance_form():
    from primetui.maintenance.page import PageOptions
    from primetui.maintenance.steps import CHECKLIST
    from primetui.ui.tabs.maintenance.dialogs import MaintenanceFormDialog

    return MaintenanceFormDialog(PageOptions(contact="it@lab.example.edu"), "prime.example.edu",
                                 CHECKLIST)


def schedule_pair_form():
    from primetui.instances.model import Instance, PairRequest
    from primetui.ui.tabs.schedules.pair_form import SchedulePairDialog

    prod = Instance("i-0abc1234def567890", "prime-prod", "EC2", "t3.medium", "running")
    role = "arn:aws:iam::123456789012:role/lab-scheduler"
    return SchedulePairDialog(PairRequest(prod, timezone="America/Chicago", role_arn=role),
                              [prod], [])


def passphrase_dialog():
    from primetui.ui.dialogs.password import PasswordDialog

    return PasswordDialog("New passphrase for the backups", confirm=True, strength_hint=True)


def confirm_dialog():
    from primetui.ui.dialogs.confirm import ConfirmDialog

    return ConfirmDialog("Force-renew the certificate for www.lab.example.test now?",
                         "certbot --force-renewal asks Let's Encrypt for a new certificate even "
                         "though this one is not due. Let's Encrypt issues at most 5 duplicate "
                         "certificates per week, so each forced renewal uses up one of them.")


def typed_name_confirm():
    from primetui.ui.dialogs.type_name import TypeNameDialog

    return TypeNameDialog("prime-prod", "Stop prime-prod")


DIALOGS = {"maintenance-form": maintenance_form, "schedule-pair-form": schedule_pair_form,
           "passphrase": passphrase_dialog, "confirm": confirm_dialog,
           "typed-name": typed_name_confirm}


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("make", DIALOGS.values(), ids=DIALOGS.keys())
def test_dialog_snapshot(snap_compare, make, size):
    app = make_app(None, config_path=FIRST_RUN_CONFIG)

    async def shown(pilot) -> None:
        await settle(pilot.app, pilot)
        await pilot.app.push_screen(make())
        await settle(pilot.app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=shown)
