"""`backup create` starts gpg on the passphrase before the rest of primetui loads.

gpg turns the passphrase into its key (the S2K, the slowest step of a small backup) before
it reads any data, so the command line starts the encrypting gpg as soon as it has a
passphrase it did not have to ask for and hands it the archive later (and `backup verify`
derives the key of the file it was given, likewise). Against the real gpg: the gpg started
early is the one that encrypts, only for the same passphrase and settings; one that no
backup uses is stopped; gpg's refusal is one sentence.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from primetui.backups import encryption
from primetui.backups.common import BackupError
from primetui.backups.encryption import discard_started, start_encryption
from primetui.backups.gpg import GpgCipher
from primetui.sandbox.gpg import GpgHome
from tests.fixtures.backups import PASSPHRASE, counting_gpg, create, make_service, shell_gpg
from tests.hostile.backup_helpers import REPO, cli, cli_env, one_sentence, secret_file

__all__ = ["cli_env", "secret_file"]  # fixtures

SPY = """
import json, os, subprocess, sys
seen = []
real = subprocess.Popen.__init__
def spy(self, args, *rest, **options):
    if "--symmetric" in args:
        seen.append({"args": list(args),
                     "loaded": sorted(m for m in sys.modules if m.startswith("primetui"))})
    real(self, args, *rest, **options)
subprocess.Popen.__init__ = spy
from primetui.cli.main import main
code = main(sys.argv[1:])
with open(os.environ["SPY_OUT"], "w") as out:
    json.dump(seen, out)
sys.exit(code)
"""


DERIVATION_SPY = """
import json, os, sys
from primetui.backups import derived_key
seen = []
real = derived_key.KeyDerivation._run
def spy(self):
    seen.append(sorted(m for m in sys.modules if m.startswith("primetui")))
    real(self)
derived_key.KeyDerivation._run = spy
from primetui.cli.main import main
code = main(sys.argv[1:])
with open(os.environ["SPY_OUT"], "w") as out:
    json.dump(seen, out)
sys.exit(code)
"""


def gpg_processes(parent: int | None = None, home: Path | None = None) -> list[int]:
    """Running gpg processes (not the long-lived gpg-agent): children of `parent`, or those
    whose environment names `home` as GNUPGHOME."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            environment = (entry / "environ").read_bytes().split(b"\0") if home else []
        except OSError:  # ended while looked at
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if name != "gpg" or state == "Z":
            continue
        if parent is not None and int(ppid) == parent:
            found.append(int(entry.name))
        if home is not None and f"GNUPGHOME={home}".encode() in environment:
            found.append(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def nothing_left_started() -> Iterator[None]:
    """A test that fails leaves no started gpg to the next one."""
    yield
    discard_started()


def symmetric_calls(log: Path) -> int:
    if not log.exists():
        return 0
    return sum("--symmetric" in line.split() for line in log.read_text().splitlines())


def wait_until_started(log: Path) -> None:
    """Until the logging wrapper has run for the gpg just started (it could otherwise be
    stopped before it writes its line)."""
    deadline = time.monotonic() + 30
    while symmetric_calls(log) < 1:
        assert time.monotonic() < deadline, "the started gpg never ran"
        time.sleep(0.01)


def test_backup_create_starts_gpg_before_loading_the_backups_area(
        cli_env: dict[str, str], secret_file: Path, tmp_path: Path, gpg_home: GpgHome) -> None:
    spied = tmp_path / "spied.json"
    done = subprocess.run([sys.executable, "-c", SPY, "backup", "create", "--passphrase-file",
                           str(secret_file)], env={**cli_env, "SPY_OUT": str(spied)},
                          capture_output=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    [started] = json.loads(spied.read_text())  # one gpg encrypts, the one started first
    assert "primetui.config" not in started["loaded"]
    assert "primetui.backups.service" not in started["loaded"]
    assert "gnupg" not in started["loaded"]
    assert PASSPHRASE not in " ".join(started["args"])  # on its stdin, never in argv
    [made] = (tmp_path / "backups").iterdir()
    out = shell_gpg(gpg_home, "-o", "/dev/null", "-d", str(made),
                    input=PASSPHRASE.encode() + b"\n")  # the runbook's `gpg -d` reads it
    assert out.returncode == 0, out.stderr


def test_backup_verify_derives_the_key_before_loading_the_backups_area(
        cli_env: dict[str, str], secret_file: Path, tmp_path: Path) -> None:
    made = cli(cli_env, "backup", "create", "--passphrase-file", str(secret_file))
    assert made.returncode == 0, made.stderr
    [backup] = (tmp_path / "backups").iterdir()
    spied = tmp_path / "spied.json"
    done = subprocess.run([sys.executable, "-c", DERIVATION_SPY, "backup", "verify", str(backup),
                           "--passphrase-file", str(secret_file)],
                          env={**cli_env, "SPY_OUT": str(spied)}, capture_output=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert b"every member checked" in done.stdout
    [loaded] = json.loads(spied.read_text())  # one derivation, begun first
    assert "primetui.config" not in loaded and "primetui.backups.service" not in loaded


def test_a_create_that_fails_before_encrypting_stops_the_gpg_it_started(
        cli_env: dict[str, str], secret_file: Path, tmp_path: Path, gpg_home: GpgHome) -> None:
    missing = tmp_path / "no-such-project"
    done = cli(cli_env, "backup", "create", "--source", str(missing), "--passphrase-file",
               str(secret_file))
    assert done.returncode != 0 and one_sentence(done.stderr), done.stderr
    assert gpg_processes(home=gpg_home.path) == []  # not left deriving a key for nothing
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").iterdir())


def test_a_started_gpg_that_no_backup_uses_is_stopped(gpg_home: GpgHome) -> None:
    start_encryption(PASSPHRASE, ("gpg", gpg_home.path, 65011712))
    assert gpg_processes(parent=os.getpid())  # deriving its key: the largest count takes a while
    discard_started()
    assert gpg_processes(parent=os.getpid()) == []


def test_the_started_gpg_encrypts_the_backup(
        sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    service = make_service(sample_project, gpg_home, tmp_path)
    log = counting_gpg(service, tmp_path)
    start_encryption(PASSPHRASE, service.cipher.settings)
    wait_until_started(log)
    path = create(service)
    assert symmetric_calls(log) == 1
    out = shell_gpg(gpg_home, "-o", "/dev/null", "-d", str(path),
                    input=PASSPHRASE.encode() + b"\n")
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("started_with", ["another passphrase entirely", "settings"])
def test_a_gpg_started_for_something_else_is_not_used(
        started_with: str, sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> None:
    service = make_service(sample_project, gpg_home, tmp_path)
    log = counting_gpg(service, tmp_path)
    binary, home, count = service.cipher.settings
    if started_with == "settings":  # the same passphrase, another S2K count
        start_encryption(PASSPHRASE, (binary, home, count * 2))
    else:
        start_encryption(started_with, service.cipher.settings)
    wait_until_started(log)
    path = create(service)
    assert symmetric_calls(log) == 2  # the one started, then the backup's own
    assert gpg_processes(parent=os.getpid()) == []  # the unused one was stopped
    out = shell_gpg(gpg_home, "-o", "/dev/null", "-d", str(path),
                    input=PASSPHRASE.encode() + b"\n")
    assert out.returncode == 0, out.stderr


def test_gpg_refusing_to_encrypt_is_one_sentence_with_its_reason(gpg_home: GpgHome) -> None:
    cipher = GpgCipher(gpg_home.path, s2k_count=10**12)  # more than gpg accepts
    with open(os.devnull, "rb") as nothing, pytest.raises(BackupError) as refused:
        cipher.encrypt(nothing, lambda chunk: None, PASSPHRASE)
    assert str(refused.value).startswith("gpg could not encrypt the backup: ")
    assert "s2k-count" in str(refused.value) and "\n" not in str(refused.value)


def test_only_the_last_of_gpgs_messages_are_kept() -> None:
    read, write = os.pipe()
    lines = b"".join(b"gpg: line %d\n" % n for n in range(20000)) + b"gpg: the reason\n"
    kept: list[bytes] = []

    def send() -> None:
        with os.fdopen(write, "wb") as out:
            out.write(lines)

    sender = threading.Thread(target=send)
    sender.start()
    with os.fdopen(read, "rb") as stream:
        encryption._keep_last(stream, kept)
    sender.join()
    text = b"".join(kept)
    assert text.endswith(b"gpg: the reason\n")
    assert len(lines) > 2 * encryption.STDERR_KEPT
    assert encryption.STDERR_KEPT <= len(text) <= encryption.STDERR_KEPT + encryption.CHUNK
