"""A new backup is verified with the key derived here, not by gpg deriving it a second time.

Against the real gpg: the key primetui derives from a backup's first packet must be the
session key gpg itself shows; the verification must give gpg that key (never in argv) and
still refuse a damaged file; a key gpg refuses must fall back to the passphrase.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from primetui.backups import derived_key
from primetui.backups.common import BackupError, DamagedBackupError, WrongPassphraseError
from primetui.backups.derived_key import PACKET_BYTES, KeyDerivation, derive, read_packet
from primetui.backups.gpg import GpgCipher, prepare_gpg
from primetui.backups.pipeline import decrypt_and_read, encrypt_to_temp
from primetui.backups.service import BackupService
from primetui.errors import MissingToolError
from primetui.sandbox.gpg import GpgHome
from tests.fixtures.backups import (
    PASSPHRASE,
    QUICK_S2K,
    counting_gpg,
    create,
    make_service,
    member,
    runbook_encrypt,
    shell_gpg,
    tar_gz,
)


def gpg_encrypt(home: GpgHome, tmp_path: Path, passphrase: str, *options: str) -> Path:
    """A file encrypted by gpg itself with `options` (its key packet is what is tested)."""
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"a line of a config file\n" * 100)
    target = tmp_path / "encrypted.gpg"
    target.unlink(missing_ok=True)
    out = shell_gpg(home, "--passphrase-fd", "0", "--symmetric", "--no-symkey-cache",
                    "--compress-algo", "none", *options, "-o", str(target), str(plain),
                    input=passphrase.encode() + b"\n")
    assert out.returncode == 0, out.stderr
    return target


def session_key_gpg_shows(home: GpgHome, path: Path, passphrase: str) -> str:
    out = shell_gpg(home, "--passphrase-fd", "0", "--no-symkey-cache", "--status-fd", "1",
                    "--show-session-key", "-o", "/dev/null", "-d", str(path),
                    input=passphrase.encode() + b"\n")
    [line] = [ln for ln in out.stdout.decode().splitlines() if "SESSION_KEY" in ln]
    return line.split()[-1]


@pytest.mark.parametrize(("digest", "count", "passphrase"), [
    ("SHA512", QUICK_S2K, PASSPHRASE),
    ("SHA512", 65011712, PASSPHRASE),  # the count every real backup uses
    ("SHA256", 1_000_000, "Päßwörter für das Labor €"),
    ("SHA384", QUICK_S2K, "x"),
    # gpg's smallest count (1024 asks for its default): 1088 bytes, less than the salt and
    # this passphrase, which are then hashed once
    ("SHA512", 1025, "long " * 300),
])
def test_the_key_derived_here_is_the_session_key_gpg_shows(
        gpg_home: GpgHome, tmp_path: Path, digest: str, count: int, passphrase: str) -> None:
    path = gpg_encrypt(gpg_home, tmp_path, passphrase, "--cipher-algo", "AES256",
                       "--s2k-mode", "3", "--s2k-digest-algo", digest, "--s2k-count", str(count))
    packet = read_packet(path.read_bytes()[:PACKET_BYTES])
    assert packet is not None and count <= packet.count < count * 1.1  # the count asked for
    assert derive(packet, passphrase) == session_key_gpg_shows(gpg_home, path, passphrase)


@pytest.mark.parametrize("options", [
    ("--cipher-algo", "AES256", "--s2k-mode", "1"),  # salted, not iterated
    ("--cipher-algo", "TWOFISH", "--s2k-mode", "3"),  # a cipher backups never use
    ("--cipher-algo", "AES256", "--s2k-digest-algo", "SHA1"),  # a digest shorter than the key
])
def test_a_key_packet_not_in_the_plain_form_is_left_to_gpg(
        gpg_home: GpgHome, tmp_path: Path, options: tuple[str, ...]) -> None:
    path = gpg_encrypt(gpg_home, tmp_path, PASSPHRASE, *options)
    assert read_packet(path.read_bytes()[:PACKET_BYTES]) is None


def test_bytes_that_are_not_a_key_packet_give_none() -> None:
    assert read_packet(b"") is None
    assert read_packet(b"\x8c\x0d\x04\x09\x03") is None  # cut short
    assert read_packet(b"PK\x03\x04" + b"\x00" * 20) is None  # a zip file
    assert read_packet(b"\x8c\x0d\x05\x09\x03\x0a" + b"\x00" * 9) is None  # version 5
    assert read_packet(b"\x8c\x0d\x04\x09\x03\x0a" + b"\x00" * 9) is not None


def test_verifying_a_new_backup_does_not_make_gpg_derive_the_key_again(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    service = make_service(sample_project, gpg_home, tmp_path)
    log = counting_gpg(service, tmp_path)
    path = create(service)
    calls = [line.split() for line in log.read_text().splitlines() if "--list-config" not in line]
    [encrypting, verifying] = calls
    assert "--symmetric" in encrypting and "--passphrase-fd" in encrypting
    assert "--decrypt" in verifying and "--override-session-key-fd" in verifying
    assert "--passphrase-fd" not in verifying  # gpg was handed the key, not the passphrase
    packet = read_packet(path.read_bytes()[:PACKET_BYTES])
    assert packet is not None
    key = derive(packet, PASSPHRASE)
    assert key.split(":")[1] not in log.read_text().upper()  # the key is never in argv
    # and the file is what the runbook reads: `gpg -d FILE` with the passphrase
    out = shell_gpg(gpg_home, "--passphrase-fd", "0", "-o", "/dev/null", "-d", str(path),
                    input=PASSPHRASE.encode() + b"\n")
    assert out.returncode == 0, out.stderr


def test_a_key_gpg_refuses_is_checked_again_with_the_passphrase(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    service = make_service(sample_project, gpg_home, tmp_path)
    log = counting_gpg(service, tmp_path)
    wrong = "9:" + "00" * 32
    monkeypatch.setattr(derived_key, "derive", lambda packet, passphrase: wrong)
    path = create(service)  # still written and verified
    verifying = [line.split() for line in log.read_text().splitlines() if "--decrypt" in line]
    assert len(verifying) == 2
    assert "--override-session-key-fd" in verifying[0]
    assert "--passphrase-fd" in verifying[1]
    [entry] = service.list_backups()
    assert Path(entry.path) == path and entry.verified_ok


def damaged_after_writing(project: Path, home: GpgHome, tmp_path: Path,
                          offset: int) -> tuple[BackupService, Path, KeyDerivation, Path]:
    """A backup written by the pipeline as create writes one, then one byte of it flipped.

    Returns the service, the file, the derivation made while writing and gpg's call log.
    """
    service = make_service(project, home, tmp_path)
    log = counting_gpg(service, tmp_path)
    blob = tar_gz([(member("config/app.conf"), b"KEY=value\n" * 5000)])
    derivation = KeyDerivation(PASSPHRASE)
    final = tmp_path / "out" / "prime-backup-2026-12-03.tar.gz.gpg"
    final.parent.mkdir()
    tmp = encrypt_to_temp(service.cipher, lambda out: out.write(blob), final, PASSPHRASE,
                          derivation)
    assert derivation.packet is not None
    data = bytearray(tmp.read_bytes())
    data[offset if offset >= 0 else len(data) // 2] ^= 0x40
    tmp.write_bytes(bytes(data))
    return service, tmp, derivation, log


def decryptions_logged(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "--decrypt" in line]


def test_a_new_backup_damaged_after_writing_is_still_refused_with_the_derived_key(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    service, tmp, derivation, log = damaged_after_writing(sample_project, gpg_home, tmp_path,
                                                          -1)
    with pytest.raises(DamagedBackupError, match="integrity check failed"):
        decrypt_and_read(service.cipher, tmp, PASSPHRASE, derived=derivation)
    decrypts = decryptions_logged(log)
    assert len(decrypts) == 2  # the derived key first, then gpg's own verdict
    assert "--override-session-key-fd" in decrypts[0] and "--passphrase-fd" in decrypts[1]


def test_a_key_packet_changed_on_disk_is_not_checked_with_the_derived_key(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    # byte 8 is in the salt: the passphrase no longer gives the file's key
    service, tmp, derivation, log = damaged_after_writing(sample_project, gpg_home, tmp_path, 8)
    with pytest.raises(BackupError) as refused:
        decrypt_and_read(service.cipher, tmp, PASSPHRASE, derived=derivation)
    assert "\n" not in str(refused.value)
    [decrypting] = decryptions_logged(log)
    assert "--override-session-key-fd" not in decrypting


def test_a_backup_the_runbook_wrote_is_verified_with_the_key_from_its_first_packet(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    service = make_service(sample_project, gpg_home, tmp_path)
    log = counting_gpg(service, tmp_path)
    path = tmp_path / "by-hand.tar.gz.gpg"
    runbook_encrypt(gpg_home, tar_gz([(member("config/a.conf"), b"A=1\n")]), path)
    report = service.verify(path, PASSPHRASE)
    assert [m.name for m in report.listing.members] == ["config/a.conf"]
    [decrypting] = decryptions_logged(log)
    assert "--override-session-key-fd" in decrypting and "--passphrase-fd" not in decrypting


def test_a_file_whose_key_packet_has_another_form_is_read_with_the_passphrase(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    service = make_service(sample_project, gpg_home, tmp_path)
    log = counting_gpg(service, tmp_path)
    path = tmp_path / "by-hand.tar.gz.gpg"
    runbook_encrypt(gpg_home, tar_gz([(member("config/a.conf"), b"A=1\n")]), path,
                    PASSPHRASE, "--s2k-digest-algo", "SHA1")
    report = service.verify(path, PASSPHRASE)
    assert [m.name for m in report.listing.members] == ["config/a.conf"]
    [decrypting] = decryptions_logged(log)
    assert "--passphrase-fd" in decrypting and "--override-session-key-fd" not in decrypting


@pytest.fixture
def big_project(sample_project: Path) -> Path:
    """The sample project with 2 MiB that do not compress: gpg's input is more than a pipe
    holds, so a gpg that stops early leaves its writer with nowhere to write."""
    (sample_project / "config" / "random.bin").write_bytes(os.urandom(2 << 20))
    return sample_project


def test_a_refused_key_on_a_backup_bigger_than_a_pipe_is_checked_with_the_passphrase(
        big_project: Path, gpg_home: GpgHome, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    service = make_service(big_project, gpg_home, tmp_path)
    log = counting_gpg(service, tmp_path)
    monkeypatch.setattr(derived_key, "derive", lambda packet, passphrase: "9:" + "00" * 32)
    create(service)  # gpg refuses the key at once: written and verified all the same
    decrypts = decryptions_logged(log)
    assert len(decrypts) == 2 and "--passphrase-fd" in decrypts[1]
    [entry] = service.list_backups()
    assert entry.verified_ok


def test_verify_hands_gpg_the_key_derived_from_the_files_first_packet(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    service = make_service(sample_project, gpg_home, tmp_path)
    path = create(service)
    log = counting_gpg(service, tmp_path)
    report = service.verify(path, PASSPHRASE)
    assert report.listing.files
    [decrypting] = decryptions_logged(log)
    assert "--override-session-key-fd" in decrypting and "--passphrase-fd" not in decrypting
    key = derive(read_packet(path.read_bytes()[:PACKET_BYTES]), PASSPHRASE)  # type: ignore[arg-type]
    assert key.split(":")[1] not in log.read_text().upper()


def test_a_restore_preview_hands_gpg_the_derived_key(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    service = make_service(sample_project, gpg_home, tmp_path)
    path = create(service)
    log = counting_gpg(service, tmp_path)
    target = tmp_path / "restored"
    preview = service.preview_restore(path, PASSPHRASE, target)
    try:
        assert {m.name for m in preview.listing.members} >= {".env", "config"}
        [decrypting] = decryptions_logged(log)
        assert "--override-session-key-fd" in decrypting and "--passphrase-fd" not in decrypting
    finally:
        preview.discard()


def test_a_refused_key_leaves_nothing_of_its_attempt_in_the_staging_directory(
        big_project: Path, gpg_home: GpgHome, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    service = make_service(big_project, gpg_home, tmp_path)
    path = create(service)
    log = counting_gpg(service, tmp_path)
    monkeypatch.setattr(derived_key, "derive", lambda packet, passphrase: "9:" + "00" * 32)
    target = tmp_path / "restored"
    preview = service.preview_restore(path, PASSPHRASE, target)
    try:
        assert len(decryptions_logged(log)) == 2  # the refused key, then the passphrase
        assert preview.staged is not None
        staging = preview.staged.path / "new"
        staged = sorted(str(p.relative_to(staging)) for p in staging.rglob("*"))
        archived = sorted(m.name for m in preview.listing.members)
        assert staged == archived
    finally:
        preview.discard()


@pytest.mark.parametrize("how", ["verify", "restore"])
def test_a_wrong_passphrase_on_a_big_backup_is_still_said_as_such(
        how: str, big_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    service = make_service(big_project, gpg_home, tmp_path)
    path = create(service)
    target = tmp_path / "restored"
    target.mkdir()
    with pytest.raises(WrongPassphraseError, match="passphrase does not decrypt"):
        if how == "verify":
            service.verify(path, "not the passphrase at all")
        else:
            service.preview_restore(path, "not the passphrase at all", target)
    assert list(target.iterdir()) == []  # nothing staged is left


def test_without_gpg_the_backup_says_which_package_after_an_early_start(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-gpg")
    prepare_gpg(missing)  # its failure is left to the call that needs gpg
    cipher = GpgCipher(binary=missing)
    with open(os.devnull, "rb") as nothing, \
            pytest.raises(MissingToolError, match=r"apt-get install gnupg"):
        cipher.encrypt(nothing, lambda chunk: None, PASSPHRASE)
