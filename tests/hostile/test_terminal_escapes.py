"""Names that hold terminal controls are refused or shown escaped, never printed raw."""

from __future__ import annotations

from pathlib import Path

import pytest

from primetui.backups.archive import HostileArchiveError
from primetui.backups.service import BackupService
from primetui.printable import printable
from primetui.sandbox.gpg import GpgHome
from tests.hostile.backup_helpers import (
    PASSPHRASE,
    cli,
    encrypt_by_hand,
    file_info,
    one_sentence,
    tar_gz,
    tree,
)

FAKE_SUMMARY = "x\x1b[1A\x1b[2K\r0 added, 1 changed, 0 removed"
CONTROLS = {"ESC": "a\x1b]0;owned\x07b", "C0": "a\x08\x08b", "C1 CSI": "a\x9b2Kb",
            "DEL": "a\x7fb", "bidi override": "a\u202eb"}
RAW = ("\x1b", "\x9b", "\x7f", "\x08", "\x07", "\u202e", "\r")


def has_raw_control(data: bytes) -> bool:
    text = data.decode("utf-8", "replace")
    return any(ch in text for ch in RAW)


@pytest.mark.parametrize("kind", sorted(CONTROLS))
def test_printable_shows_every_control_as_a_visible_escape(kind: str) -> None:
    shown = printable(CONTROLS[kind])
    assert not any(ch in shown for ch in RAW) and shown.startswith("a\\") and shown.endswith("b")


@pytest.mark.parametrize("kind", sorted(CONTROLS))
def test_an_archive_member_with_controls_is_refused_with_the_name_escaped(
        service: BackupService, gpg_home: GpgHome, tmp_path: Path, kind: str) -> None:
    project = Path(service.config.source)
    before = tree(project)
    archive = encrypt_by_hand(gpg_home, tar_gz([(file_info(f"config/{CONTROLS[kind]}"), b"x")]),
                              tmp_path / "names.tar.gz.gpg")
    with pytest.raises(HostileArchiveError) as refused:
        service.preview_restore(archive, PASSPHRASE)
    assert not any(ch in str(refused.value) for ch in RAW)
    assert tree(project) == before


def test_the_cli_never_prints_a_forged_summary(cli_env: dict[str, str], gpg_home: GpgHome,
                                               tmp_path: Path, secret_file: Path) -> None:
    archive = encrypt_by_hand(gpg_home, tar_gz([(file_info(f".env.{FAKE_SUMMARY}"), b"x")]),
                              tmp_path / "forged.tar.gz.gpg")
    for command in (["restore", str(archive), "--dry-run"], ["verify", str(archive)]):
        out = cli(cli_env, "backup", *command, "--passphrase-file", str(secret_file))
        assert out.returncode == 1 and one_sentence(out.stderr), out.stderr
        assert not has_raw_control(out.stdout + out.stderr)
        assert b"\\x1b[1A" in out.stderr


def test_a_backup_file_name_with_controls_is_listed_escaped(
        cli_env: dict[str, str], tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / f"{FAKE_SUMMARY}.tar.gz.gpg").write_bytes(b"not really")
    out = cli(cli_env, "backup", "list")
    assert out.returncode == 0, out.stderr
    assert not has_raw_control(out.stdout + out.stderr)
    assert b"x\\x1b[1A\\x1b[2K\\x0d0 added" in out.stdout


def test_the_tabs_rows_show_names_escaped() -> None:
    from primetui.backups.catalog import BackupEntry
    from primetui.ui.tabs.backups.rows import entry_row

    entry = BackupEntry(name=f"{FAKE_SUMMARY}.gpg", location="local", path="/x", kind="other",
                        created=0.0, size=1, age_days=1.0)
    assert not any(ch in cell for cell in entry_row(entry) for ch in RAW)
