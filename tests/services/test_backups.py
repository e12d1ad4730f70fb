"""BackupService against the real gpg: create, verify, restore with preview, prune, interop."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest

from primetui.backups.common import WrongPassphraseError
from primetui.backups.service import BackupService
from primetui.config import BackupSettings, Settings
from primetui.errors import PrimeError
from primetui.plans.plan import execute
from primetui.sandbox.gpg import GpgHome
from tests.fixtures.backups import (
    PASSPHRASE,
    counting_gpg,
    create,
    make_service,
    run_ok,
    runbook_encrypt,
    shell_gpg,
)


@pytest.fixture
def service(sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> BackupService:
    return make_service(sample_project, gpg_home, tmp_path)


# ----------------------------------------------------------------------- create and list


def test_create_writes_an_owner_only_verified_file_under_the_runbook_name(
        service: BackupService) -> None:
    plan = service.create_plan(PASSPHRASE)
    assert "tar czf - .env .env.* config/" in plan.commands()[1]
    assert all(PASSPHRASE not in cmd for cmd in plan.commands())
    result = execute(plan)
    assert result.ok, result.error
    assert all(PASSPHRASE not in line for line in result.output)
    files = os.listdir(service.destination)
    assert len(files) == 1 and files[0].startswith("prime-backup-")
    assert files[0].endswith(".tar.gz.gpg")
    path = service.destination / files[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [entry] = service.list_backups()
    assert entry.name == files[0] and entry.kind == "backup" and entry.verified_ok is True
    assert entry.size == path.stat().st_size and entry.age_days < 0.01


def test_a_second_backup_the_same_day_gets_a_time_in_its_name(service: BackupService) -> None:
    first = create(service)
    run_ok(service.create_plan(PASSPHRASE))
    names = sorted(os.listdir(service.destination))
    assert len(names) == 2 and first.name in names
    assert service.list_backups()[0].name != first.name  # the newer one is listed first


def test_list_packets_show_aes256_strong_s2k_and_no_compressed_packet(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    settings = Settings(backups=BackupSettings(source=str(sample_project),
                                               destination=tmp_path / "backups"))
    path = create(BackupService(settings, gnupghome=gpg_home.path,
                                state_file=tmp_path / "verified.json"))
    out = shell_gpg(gpg_home, "--list-packets", str(path), input=PASSPHRASE.encode() + b"\n")
    packets = out.stdout.decode()
    assert "symkey enc packet: version 4, cipher 9" in packets  # 9 = AES256
    assert "s2k 3, hash 10" in packets  # iterated+salted, SHA512
    assert "count 65011712" in packets
    assert "mdc_method: 2" in packets
    assert "compressed packet" not in packets


def test_create_refuses_a_symbolic_link_in_the_source(service: BackupService,
                                                      sample_project: Path) -> None:
    (sample_project / "config" / "current").symlink_to("/etc/hostname")
    result = execute(service.create_plan(PASSPHRASE))
    assert not result.ok and "config/current is a symbolic link" in result.error
    assert not service.destination.exists() or os.listdir(service.destination) == []


def test_create_says_when_nothing_matches(service: BackupService, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = execute(service.create_plan(PASSPHRASE, source=str(empty)))
    assert not result.ok and "Nothing to back up" in result.error


def test_status_warns_when_the_newest_backup_is_older_than_max_age(service: BackupService) -> None:
    assert service.status().level == "critical"
    path = create(service)
    assert service.status().level == "ok"
    old = path.with_name("prime-backup-2020-01-01.tar.gz.gpg")
    path.rename(old)
    os.utime(old, (1577880000, 1577880000))
    status = service.status()
    assert status.level == "warning" and "older than 7 days" in status.message


# ----------------------------------------------------------------------- verify


def test_verify_lists_every_member_with_a_checksum_and_records_it(
        service: BackupService, sample_project: Path) -> None:
    path = create(service)
    report = service.verify(path.name, PASSPHRASE)
    files = {m.name: m.sha256 for m in report.listing.files}
    assert files[".env"] == hashlib.sha256((sample_project / ".env").read_bytes()).hexdigest()
    assert set(files) == {".env", ".env.production", "config/app.toml", "config/nginx/site.conf"}
    assert service.list_backups()[0].last_verified == report.verified_at
    with pytest.raises(WrongPassphraseError, match="does not decrypt"):
        service.verify(path, "not the passphrase")
    # a typo says nothing about the file: the last good check stands
    assert service.list_backups()[0].verified_ok is True
    assert service.list_backups()[0].last_verified == report.verified_at
    with path.open("r+b") as damaged:
        damaged.seek(-40, os.SEEK_END)
        byte = damaged.read(1)
        damaged.seek(-40, os.SEEK_END)
        damaged.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(PrimeError):
        service.verify(path, PASSPHRASE)
    assert service.list_backups()[0].verified_ok is False


# ----------------------------------------------------------------------- interoperability


def test_a_primetui_backup_restores_with_the_runbook_pipeline(
        service: BackupService, sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    path = create(service)
    out = tmp_path / "by-hand"
    out.mkdir()
    pipeline = (f"gpg --homedir {gpg_home.path} --batch --pinentry-mode loopback "
                f"--passphrase-fd 3 -d {path} 3<&0 | tar xz -C {out}")
    done = subprocess.run(["bash", "-c", pipeline], input=PASSPHRASE.encode() + b"\n",
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for name in (".env", ".env.production", "config/app.toml", "config/nginx/site.conf"):
        assert (out / name).read_bytes() == (sample_project / name).read_bytes()


def test_a_runbook_backup_is_listed_verified_and_restored(
        service: BackupService, sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    made = subprocess.run(["tar", "czf", "-", ".env", "config/"], cwd=sample_project,
                          capture_output=True, check=True).stdout
    service.destination.mkdir(mode=0o700)
    path = runbook_encrypt(gpg_home, made, service.destination / "prime-backup-2024-05-06.tar.gz.gpg")
    [entry] = service.list_backups()
    assert entry.name == path.name and entry.kind == "backup" and entry.last_verified is None
    names = [m.name for m in service.verify(entry.name, PASSPHRASE).listing.members]
    assert names[:2] == [".env", "config"]
    target = tmp_path / "restored"
    preview = service.preview_restore(path, PASSPHRASE, target)
    assert {c.path for c in preview.changes.added} >= {".env", "config/app.toml"}
    run_ok(service.restore_plan(preview, PASSPHRASE))
    assert (target / "config/app.toml").read_bytes() == (sample_project / "config/app.toml").read_bytes()


# ----------------------------------------------------------------------- prune


def test_prune_keeps_exactly_the_newest_n_and_names_each_file(service: BackupService) -> None:
    service.destination.mkdir(mode=0o700)
    days = [f"2024-01-{d:02d}" for d in range(1, 7)]
    for day in days:
        (service.destination / f"prime-backup-{day}.tar.gz.gpg").write_bytes(b"x")
    (service.destination / "someone-elses.tar.gz.gpg").write_bytes(b"x")
    plan = service.prune_plan(keep=4)
    assert [s.title for s in plan.steps] == [f"Delete prime-backup-{d}.tar.gz.gpg" for d in days[:2]]
    assert all(cmd.startswith("rm ") for cmd in plan.commands())
    run_ok(plan)
    assert sorted(os.listdir(service.destination)) == sorted(
        [f"prime-backup-{d}.tar.gz.gpg" for d in days[2:]] + ["someone-elses.tar.gz.gpg"])
    assert service.prune_plan(keep=4).steps == []


def test_a_backup_starts_gpg_twice_encrypt_and_verify_and_a_verify_once(
        service: BackupService, tmp_path: Path) -> None:
    """gpg's version is asked once per cipher (python-gnupg runs `gpg --list-config` for
    each handle it makes), not before every encryption and decryption."""
    log = counting_gpg(service, tmp_path)
    path = create(service)
    service.verify(path, PASSPHRASE)
    calls = log.read_text().splitlines()
    assert sum("--list-config" in c for c in calls) == 1
    assert sum("--symmetric" in c.split() for c in calls) == 1
    assert sum("--decrypt" in c.split() for c in calls) == 2  # the create's check, the verify
    assert len(calls) == 4
