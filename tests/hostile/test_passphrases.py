"""Passphrases are UTF-8 both ways, as the gpg command line in a UTF-8 terminal takes them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from primetui.backups.common import WrongPassphraseError
from primetui.backups.service import BackupService
from primetui.plans.plan import execute
from primetui.sandbox.gpg import GpgHome
from primetui.secrets import SecretError, decode_secret, secret_problem, strength_hint
from tests.hostile.backup_helpers import encrypt_by_hand, file_info, shell_gpg, tar_gz

NON_ASCII = ["pässwörd and more words", "€ for the euro sign", "密码 is not latin-1 at all"]


@pytest.mark.parametrize("passphrase", NON_ASCII)
def test_a_backup_with_a_non_ascii_passphrase_opens_with_the_runbooks_gpg_d(
        service: BackupService, gpg_home: GpgHome, passphrase: str) -> None:
    result = execute(service.create_plan(passphrase))
    assert result.ok, result.error
    archive = next(service.destination.iterdir())
    out = shell_gpg(gpg_home, "-d", str(archive), input=passphrase.encode("utf-8") + b"\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout[:2] == b"\x1f\x8b"  # the gzip stream the runbook pipes into tar xz


@pytest.mark.parametrize("passphrase", NON_ASCII)
def test_a_hand_made_gpg_c_archive_with_a_non_ascii_passphrase_is_readable(
        service: BackupService, gpg_home: GpgHome, tmp_path: Path, passphrase: str) -> None:
    archive = encrypt_by_hand(gpg_home, tar_gz([(file_info(".env"), b"KEY=1\n")]),
                              tmp_path / "by-hand.tar.gz.gpg", passphrase)
    report = service.verify(archive, passphrase)
    assert [m.name for m in report.listing.members] == [".env"]


def test_the_latin1_spelling_of_a_passphrase_does_not_open_a_utf8_archive(
        service: BackupService, gpg_home: GpgHome, tmp_path: Path) -> None:
    archive = encrypt_by_hand(gpg_home, tar_gz([(file_info(".env"), b"KEY=1\n")]),
                              tmp_path / "by-hand.tar.gz.gpg", "pässwörd")
    with pytest.raises(WrongPassphraseError):
        service.verify(archive, "pässwörd".encode().decode("latin-1"))


def test_non_utf8_bytes_in_a_passphrase_file_are_one_sentence() -> None:
    with pytest.raises(SecretError, match=r"^The passphrase in pw.txt is not UTF-8 text; .*\.$"):
        decode_secret(b"p\xe4sswort", "pw.txt")


def test_the_rules_are_one_set_for_passphrases_and_sudo_passwords() -> None:
    assert secret_problem("a\nb") == "A passphrase cannot contain line breaks or NUL characters."
    assert secret_problem("a\0b", "sudo password") == \
        "A sudo password cannot contain line breaks or NUL characters."
    assert secret_problem("\udc80x") is not None
    assert secret_problem("密码 ok") is None
    assert strength_hint("hunter2").startswith("Weak")


def test_reading_a_passphrase_disables_core_dumps() -> None:
    import subprocess
    import sys

    code = ("import ctypes, resource; from primetui.secrets import forbid_core_dumps; "
            "forbid_core_dumps(); print(resource.getrlimit(resource.RLIMIT_CORE)); "
            "print(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))")  # PR_GET_DUMPABLE
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=30, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["(0, 0)", "0"]
