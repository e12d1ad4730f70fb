"""The Backups tab's test world: the app on a real project and gpg home, and fixed backups.

Shared by tests/ui/test_backups_tab.py and the Backups snapshot in tests/ui/test_snapshots.py
(`install_snapshot_backups`), so it holds no tests itself.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from primetui.backups.service import BackupService
from primetui.config import BackupSettings, Settings, UiSettings
from primetui.plans.audit import AuditLog
from primetui.registry import Services
from primetui.ui.app import PrimeApp, make_app
from tests.services.test_backups import QUICK_S2K

PASSPHRASE = "amber falcon quietly crosses seven rivers"
WRONG = "not the passphrase at all"


def backups_app(aws_settings, tmp_path: Path, project: Path, gpg_home, *, read_only: bool = False,
                keep: int = 8) -> PrimeApp:
    """The app on `project`, backing up into tmp_path/backups with the test's gpg home."""
    settings = Settings(aws=aws_settings,
                        backups=BackupSettings(source=str(project), destination=tmp_path / "backups",
                                               keep=keep),
                        ui=UiSettings(theme="prime-dark", read_only=read_only),
                        path=tmp_path / "config.toml")
    services = Services(settings, audit=AuditLog(tmp_path / "state" / "audit.jsonl"))
    services.backups = BackupService(settings, gnupghome=gpg_home.path,  # type: ignore[misc]
                                     state_file=tmp_path / "state" / "verified.json",
                                     s2k_count=QUICK_S2K)
    return make_app(settings, services=services, config_path=tmp_path / "config.toml")


def make_backup(app: PrimeApp) -> Path:
    """A real backup written by the service before the test drives the tab."""
    assert app.services is not None
    return app.services.backups.create(PASSPHRASE)


def git(project: Path, *args: str) -> str:
    """Run git in `project` with a fixed identity and no user or system config."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.test",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(["git", "-C", str(project), *args], env=env, check=True,
                          capture_output=True, text=True).stdout


def fake_backups(directory: Path, days: list[int]) -> list[str]:
    """Backup files named for 2026-01-DD (contents irrelevant: prune and list never decrypt)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    names = []
    for day in days:
        name = f"prime-backup-2026-01-{day:02d}.tar.gz.gpg"
        path = directory / name
        path.write_bytes(b"\x8c" + bytes(1000 + 10 * day))
        stamp = datetime(2026, 1, day, 3, 0).timestamp()
        os.utime(path, (stamp, stamp))
        names.append(name)
    return names


SNAPSHOT_NOW = datetime(2026, 1, 9, 12, 0, tzinfo=UTC).timestamp()
"""The snapshot's "now": the newest backup is 2 days old."""


def install_snapshot_backups(services: Services, tmp_path: Path) -> None:
    """Fixed backups in tmp_path/snapshot-backups, ages against SNAPSHOT_NOW, two verified.

    Times are UTC (the snapshot fixture sets TZ=UTC); nothing is decrypted, so the files
    only need the right names, sizes and times. The project gets a `.env` readable by
    others, so the hygiene line has a problem to show.
    """
    destination = tmp_path / "snapshot-backups"
    destination.mkdir(mode=0o700, exist_ok=True)
    files = [("prime-backup-2026-01-07.tar.gz.gpg", 5123, (7, 2, 30)),
             ("prime-pre-restore-2026-01-05-141502.tar.gz.gpg", 4980, (5, 14, 15)),
             ("prime-backup-2025-12-31.tar.gz.gpg", 4877, (-31, 2, 30)),
             ("prime-backup-2025-12-24.tar.gz.gpg", 4790, (-24, 2, 30))]
    settings = services.settings
    backups = dataclasses.replace(settings.backups, destination=destination)
    service = BackupService(dataclasses.replace(settings, backups=backups),
                            state_file=tmp_path / "state" / "snapshot-verified.json",
                            clock=lambda: SNAPSHOT_NOW)
    for name, size, (day, hour, minute) in files:
        path = destination / name
        path.write_bytes(bytes(size))
        month = (2025, 12) if day < 0 else (2026, 1)
        stamp = datetime(*month, abs(day), hour, minute, tzinfo=UTC).timestamp()
        os.utime(path, (stamp, stamp))
    service.verifications.record(destination / files[0][0], True, 7, SNAPSHOT_NOW - 2 * 86400)
    service.verifications.record(destination / files[2][0], True, 7, SNAPSHOT_NOW - 8 * 86400)
    env = Path(settings.backups.source) / ".env"
    env.write_text("DJANGO_SECRET_KEY=FAKE-snapshot-value\n")
    env.chmod(0o644)
    services.backups = service  # type: ignore[misc]


