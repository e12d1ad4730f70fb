"""Restore never loses data: preview first, a safety copy, and any failure changes nothing."""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path

import pytest

from primetui.backups.common import DamagedBackupError, WrongPassphraseError
from primetui.backups.restore import STAGING_PREFIX
from primetui.backups.service import BackupService
from primetui.plans.plan import execute
from primetui.sandbox.gpg import GpgHome
from tests.fixtures.backups import (
    PASSPHRASE,
    counting_gpg,
    create,
    decryptions,
    make_service,
    member,
    run_ok,
    runbook_encrypt,
    tar_gz,
    tree_digest,
)


@pytest.fixture
def service(sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> BackupService:
    return make_service(sample_project, gpg_home, tmp_path)


def no_staging_left(root: Path) -> bool:
    return not any(name.startswith(STAGING_PREFIX) for name in os.listdir(root))


def outside_staging(digest: dict[str, tuple]) -> dict[str, tuple]:
    """A tree_digest without the preview's private staging directory."""
    return {k: v for k, v in digest.items() if not k.startswith(STAGING_PREFIX)}



def test_preview_shows_added_changed_and_removed_files_with_sizes_and_modes(
        service: BackupService, sample_project: Path) -> None:
    path = create(service)
    (sample_project / ".env").write_text("DJANGO_SECRET_KEY=rotated\n")
    (sample_project / ".env").chmod(0o600)
    (sample_project / ".env.staging").write_text("STAGING=1\n")
    (sample_project / "config" / "app.toml").unlink()
    (sample_project / "config" / "local.toml").write_text("debug = true\n")
    before = tree_digest(sample_project)
    preview = service.preview_restore(path.name, PASSPHRASE)
    # nothing is written outside the preview's private staging directory, which holds the
    # archive as decrypted once, and which discarding the preview deletes
    assert outside_staging(tree_digest(sample_project)) == before
    assert preview.staged is not None and preview.staged.path.parent == sample_project
    assert stat.S_IMODE(preview.staged.path.stat().st_mode) == 0o700
    assert (preview.staged.path / "new" / "config" / "app.toml").is_file()
    preview.discard()
    assert tree_digest(sample_project) == before
    assert [c.path for c in preview.changes.added] == ["config/app.toml"]
    assert [c.path for c in preview.changes.changed] == [".env"]
    assert [c.path for c in preview.changes.removed] == ["config/local.toml"]
    assert ".env.staging" not in {c.path for c in preview.changes.changes}  # not covered
    assert "mode 0600 → 0644" in preview.changes.changed[0].detail()
    assert any("+ config/app.toml" in line for line in preview.lines())


def test_restore_saves_the_current_files_first_then_swaps_the_backup_in(
        service: BackupService, sample_project: Path) -> None:
    path = create(service)
    original = tree_digest(sample_project)
    (sample_project / ".env").write_text("edited by hand\n")
    (sample_project / "config" / "extra.toml").write_text("x = 1\n")
    edited = tree_digest(sample_project)
    preview = service.preview_restore(path, PASSPHRASE)
    plan = service.restore_plan(preview, PASSPHRASE)
    assert plan.steps[0].title.startswith("Save the current files to prime-pre-restore-")
    assert any("gpg -d" in cmd and "tar xz" in cmd for cmd in plan.commands())
    result = execute(plan)
    assert result.ok, result.error
    assert tree_digest(sample_project) == original
    assert no_staging_left(sample_project)
    [safety] = [e for e in service.list_backups() if e.kind == "pre-restore"]
    assert safety.verified_ok is True
    # The safety copy brings the edited files back.
    back = service.preview_restore(safety.path, PASSPHRASE)
    run_ok(service.restore_plan(back, PASSPHRASE))
    assert tree_digest(sample_project) == edited


def test_restore_into_a_new_directory_creates_it(service: BackupService, tmp_path: Path) -> None:
    path = create(service)
    target = tmp_path / "fresh" / "prime"
    preview = service.preview_restore(path, PASSPHRASE, target)
    plan = service.restore_plan(preview, PASSPHRASE)
    assert plan.steps[0].done is not None and plan.steps[0].done()  # nothing to save
    run_ok(plan)
    assert stat.S_IMODE((target / ".env.production").stat().st_mode) == 0o600


def test_wrong_passphrase_writes_nothing(service: BackupService, sample_project: Path) -> None:
    path = create(service)
    before = tree_digest(sample_project)
    with pytest.raises(WrongPassphraseError):
        service.preview_restore(path, "wrong horse")
    preview = service.preview_restore(path, PASSPHRASE)
    result = execute(service.restore_plan(preview, "wrong horse"))
    assert not result.ok and "passphrase" in result.error
    assert tree_digest(sample_project) == before


@pytest.mark.parametrize("damage", ["flipped byte", "truncated"])
def test_a_damaged_backup_is_refused_and_leaves_no_plaintext(
        service: BackupService, sample_project: Path, tmp_path: Path, damage: str) -> None:
    path = create(service)
    data = bytearray(path.read_bytes())
    if damage == "flipped byte":
        data[len(data) // 2] ^= 0x01
    else:
        del data[len(data) * 2 // 3:]
    path.write_bytes(bytes(data))
    before = tree_digest(sample_project)
    target = tmp_path / "restore-here"
    target.mkdir()
    with pytest.raises(DamagedBackupError, match="changed or truncated"):
        service.preview_restore(path, PASSPHRASE, target)
    with pytest.raises(DamagedBackupError):
        service.verify(path, PASSPHRASE)
    assert os.listdir(target) == []
    assert tree_digest(sample_project) == before


HOSTILE = {
    "parent path": [(member("../evil"), b"owned")],
    "absolute path": [(member("/tmp/primetui-evil"), b"owned")],
    "symlink out": [(member("config", tarfile.DIRTYPE, 0o755), b""),
                    (member("config/link", tarfile.SYMTYPE, link="/etc/passwd"), b"")],
    "hardlink out": [(member("hard", tarfile.LNKTYPE, link="/etc/passwd"), b"")],
    "device": [(member("dev", tarfile.CHRTYPE), b"")],
    "fifo": [(member("fifo", tarfile.FIFOTYPE), b"")],
    "setuid": [(member("suid", mode=0o4755), b"#!/bin/sh\n")],
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_archive_is_refused_with_the_destination_unchanged(
        service: BackupService, sample_project: Path, gpg_home: GpgHome, kind: str) -> None:
    good = [(member(".env", mode=0o600), b"SAFE=1\n")]
    service.destination.mkdir(mode=0o700)
    # A quick S2K: what is under test here is the tar inside, not the key derivation.
    path = runbook_encrypt(gpg_home, tar_gz(good + HOSTILE[kind]),
                           service.destination / "prime-backup-2024-02-02.tar.gz.gpg",
                           PASSPHRASE, "--s2k-count", "65536")
    before = tree_digest(sample_project)
    with pytest.raises(Exception, match="was refused") as caught:
        service.preview_restore(path, PASSPHRASE)
    assert "nothing was written" in str(caught.value)
    assert tree_digest(sample_project) == before
    assert no_staging_left(sample_project)
    assert not Path("/tmp/primetui-evil").exists()


def test_a_backup_of_one_nested_file_restores_only_that_file(
        service: BackupService, sample_project: Path, gpg_home: GpgHome) -> None:
    service.destination.mkdir(mode=0o700)
    path = runbook_encrypt(gpg_home, tar_gz([(member("config/nginx/site.conf"), b"server {}\n")]),
                           service.destination / "prime-backup-2024-02-03.tar.gz.gpg",
                           PASSPHRASE, "--s2k-count", "65536")
    before = tree_digest(sample_project)
    preview = service.preview_restore(path, PASSPHRASE)
    assert preview.scope == ("config/nginx/site.conf",)
    assert [c.path for c in preview.changes.changed] == ["config/nginx/site.conf"]
    assert preview.changes.removed == [] and preview.changes.added == []
    run_ok(service.restore_plan(preview, PASSPHRASE))
    after = tree_digest(sample_project)
    assert (sample_project / "config/nginx/site.conf").read_bytes() == b"server {}\n"
    assert {k for k in after if after[k] != before.get(k)} == {"config/nginx/site.conf"}


def test_restore_decrypts_the_archive_once_and_swaps_in_what_the_preview_staged(
        service: BackupService, tmp_path: Path) -> None:
    path = create(service)
    log = counting_gpg(service, tmp_path)
    target = tmp_path / "fresh"
    preview = service.preview_restore(path, PASSPHRASE, target)
    assert decryptions(log) == 1
    staged = preview.staged.path / "new" / ".env"
    staged.write_text("EDITED IN STAGING\n")  # only to see that these very files go in
    run_ok(service.restore_plan(preview, PASSPHRASE))
    assert decryptions(log) == 1  # the real gpg ran once to decrypt, for preview and restore
    assert (target / ".env").read_text() == "EDITED IN STAGING\n"
    assert no_staging_left(target)


def test_restore_over_files_decrypts_the_archive_once_besides_checking_the_safety_copy(
        service: BackupService, sample_project: Path, tmp_path: Path) -> None:
    path = create(service)
    original = tree_digest(sample_project)
    (sample_project / ".env").write_text("edited by hand\n")
    log = counting_gpg(service, tmp_path)
    preview = service.preview_restore(path, PASSPHRASE)
    run_ok(service.restore_plan(preview, PASSPHRASE))
    # one for the archive, one to verify the pre-restore safety copy just written
    assert decryptions(log) == 2
    assert tree_digest(sample_project) == original and no_staging_left(sample_project)


def test_a_dry_run_preview_writes_nothing_and_its_restore_decrypts_again(
        service: BackupService, sample_project: Path, tmp_path: Path) -> None:
    path = create(service)
    original = tree_digest(sample_project)
    (sample_project / ".env").write_text("edited by hand\n")
    edited = tree_digest(sample_project)
    log = counting_gpg(service, tmp_path)
    preview = service.preview_restore(path, PASSPHRASE, stage=False)
    assert preview.staged is None and tree_digest(sample_project) == edited
    run_ok(service.restore_plan(preview, PASSPHRASE))
    assert decryptions(log) == 3  # preview, safety copy, and the staging the preview skipped
    assert tree_digest(sample_project) == original


def test_a_preview_nobody_restores_deletes_its_staging_when_dropped(
        service: BackupService, sample_project: Path, tmp_path: Path) -> None:
    import gc

    path = create(service)
    target = tmp_path / "never"
    preview = service.preview_restore(path, PASSPHRASE, target)
    staging = preview.staged.path
    assert staging.is_dir()
    del preview
    gc.collect()
    assert not staging.exists()
    assert not target.exists()  # made for the preview, so removed with it


def test_a_failed_swap_after_a_staged_preview_leaves_the_destination_and_no_plaintext(
        service: BackupService, sample_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import primetui.backups.restore as restore_module

    path = create(service)
    (sample_project / ".env").write_text("edited by hand\n")
    before = tree_digest(sample_project)
    preview = service.preview_restore(path, PASSPHRASE)

    def broken_swap(*args: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(restore_module, "_swap", broken_swap)
    result = execute(service.restore_plan(preview, PASSPHRASE))
    assert not result.ok and "input/output error" in (result.error or "")
    assert tree_digest(sample_project) == before and no_staging_left(sample_project)
