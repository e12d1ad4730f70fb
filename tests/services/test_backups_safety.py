"""Failure safety and secret hygiene of the backup pipeline, with real processes and limits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from primetui.backups.derived_key import KeyDerivation
from primetui.backups.service import BackupService
from primetui.plans.plan import PlanInterrupted, execute
from primetui.sandbox.gpg import GpgHome
from tests.fixtures.backups import PASSPHRASE, create, make_service, run_ok, tree_digest

REPO = Path(__file__).resolve().parents[2]

# Runs one plan in a child process whose files may not grow beyond a size limit
# (RLIMIT_FSIZE: a write past it fails with EFBIG, as on a full disk).
LIMITED = """
import json, resource, sys
from pathlib import Path
from primetui.config import BackupSettings, Settings
from primetui.plans.plan import execute
from primetui.backups.service import BackupService
mode, source, dest, home, state, limit, archive = sys.argv[1:8]
passphrase = sys.stdin.readline().rstrip("\\n")
settings = Settings(backups=BackupSettings(source=source, destination=Path(dest)))
service = BackupService(settings, gnupghome=Path(home), state_file=Path(state), s2k_count=65536)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), int(limit)))
if mode == "create":
    plan = service.create_plan(passphrase)
else:
    from primetui.backups.common import BackupError
    try:  # the preview decrypts into staging: a full disk may already stop it there
        preview = service.preview_restore(archive, passphrase)
    except BackupError as err:
        print(json.dumps({"ok": False, "error": str(err), "during": "preview"}))
        raise SystemExit(0)
    plan = service.restore_plan(preview, passphrase)
result = execute(plan)
print(json.dumps({"ok": result.ok, "error": result.error}))
"""


def child(*args: str, stdin: str = PASSPHRASE + "\n") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", LIMITED, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=REPO)


def run_limited(service: BackupService, home: GpgHome, mode: str, limit: int,
                archive: str = "") -> dict[str, object]:
    proc = child(mode, service.config.source, str(service.destination), str(home.path),
                 str(service.verifications.path), str(limit), archive)
    out, err = proc.communicate(PASSPHRASE + "\n", timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def service(sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> BackupService:
    return make_service(sample_project, gpg_home, tmp_path)


def test_a_full_disk_during_create_leaves_no_partial_backup(
        service: BackupService, sample_project: Path, gpg_home: GpgHome) -> None:
    (sample_project / "config" / "blob.bin").write_bytes(os.urandom(1 << 20))
    outcome = run_limited(service, gpg_home, "create", 256 * 1024)
    assert outcome["ok"] is False and "not enough space" in str(outcome["error"])
    assert os.listdir(service.destination) == []


def test_a_full_disk_during_restore_leaves_the_destination_as_it_was(
        service: BackupService, sample_project: Path, gpg_home: GpgHome) -> None:
    (sample_project / "config" / "blob.bin").write_bytes(os.urandom(1 << 20))
    path = create(service)
    (sample_project / "config" / "blob.bin").unlink()
    (sample_project / ".env").write_text("CURRENT=1\n")
    before = tree_digest(sample_project)
    outcome = run_limited(service, gpg_home, "restore", 256 * 1024, str(path))
    assert outcome["ok"] is False and "not enough space" in str(outcome["error"])
    assert tree_digest(sample_project) == before  # no staging directory, nothing swapped


def test_sigkill_during_create_leaves_nothing_under_a_final_name(
        service: BackupService, sample_project: Path, gpg_home: GpgHome) -> None:
    # Hex text deflates slowly enough that the child is killed while it writes.
    (sample_project / "config" / "big.txt").write_text(os.urandom(16 << 20).hex())
    proc = child("create", service.config.source, str(service.destination), str(gpg_home.path),
                 str(service.verifications.path), str(1 << 40), "")
    assert proc.stdin is not None
    proc.stdin.write(PASSPHRASE + "\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    writing = []
    while time.monotonic() < deadline and not writing:
        if service.destination.is_dir():
            writing = [n for n in os.listdir(service.destination)
                       if n.startswith(".") and (service.destination / n).stat().st_size > 0]
        time.sleep(0.005)
    assert writing, "the child never started writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout and proc.stdout.close()
    proc.stderr and proc.stderr.close()
    proc.stdin.close()
    names = os.listdir(service.destination)
    assert not [n for n in names if not n.startswith(".")], names
    assert service.list_backups() == []
    # The next create clears the dead writer's temporary file.
    (sample_project / "config" / "big.txt").unlink()
    create(service)
    assert [n for n in os.listdir(service.destination) if n.startswith(".")] == []


def _scan(secret: bytes, seen: list[str], leaks: list[str], stop: threading.Event) -> None:
    """Read every process's argv and environment until told to stop."""
    while not stop.is_set():
        for pid in (p for p in os.listdir("/proc") if p.isdigit()):
            for part in ("cmdline", "environ"):
                try:
                    with open(f"/proc/{pid}/{part}", "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                if secret in data:
                    leaks.append(f"{pid}/{part}")
                if part == "cmdline" and data.split(b"\0")[0].endswith(b"gpg"):
                    args = data.split(b"\0")
                    if b"--symmetric" in args:
                        seen.append("encrypt")
                    if b"--decrypt" in args:
                        seen.append("decrypt")


def test_the_passphrase_never_appears_in_any_process_argv_or_environment(
        service: BackupService, sample_project: Path) -> None:
    secret = f"pp-{uuid.uuid4()}"
    for i in range(4):
        (sample_project / "config" / f"data{i}.bin").write_bytes(os.urandom(1 << 20))
    seen: list[str] = []
    leaks: list[str] = []
    stop = threading.Event()
    scanner = threading.Thread(target=_scan, args=(secret.encode(), seen, leaks, stop))
    scanner.start()
    try:
        result = execute(service.create_plan(secret))
        service.verify(service.list_backups()[0].path, secret)
    finally:
        stop.set()
        scanner.join()
    assert result.ok, result.error
    assert "encrypt" in seen and "decrypt" in seen  # gpg was seen running, both ways
    assert leaks == []
    assert all(secret not in line for line in result.output)
    assert secret not in service.verifications.path.read_text()


def test_a_cancelled_create_leaves_no_file(service: BackupService) -> None:
    plan = service.create_plan(PASSPHRASE)
    result = execute(plan, is_cancelled=iter([False, False, True, True, True, True, True,
                                              True, True, True]).__next__)
    assert result.cancelled and not result.ok
    assert os.listdir(service.destination) == []
    run_ok(service.create_plan(PASSPHRASE))


def test_an_interruption_while_the_ciphertext_is_written_stays_an_interruption(
        service: BackupService, monkeypatch: pytest.MonkeyPatch) -> None:
    # SIGTERM's handler raises in the main thread wherever it is; during a create that is
    # mostly inside the sink writing gpg's output (which also feeds the key derivation).
    # CI: the sink kept the interruption as a failed write, and create ended as a failure.
    feed = KeyDerivation.feed

    def interrupted(self: KeyDerivation, chunk: bytes) -> None:
        feed(self, chunk)
        raise KeyboardInterrupt("SIGTERM")

    monkeypatch.setattr(KeyDerivation, "feed", interrupted)
    with pytest.raises(PlanInterrupted) as caught:
        execute(service.create_plan(PASSPHRASE))
    result = caught.value.result
    assert result.cancelled and not result.ok
    assert result.error.startswith("Interrupted (SIGTERM)"), result.error
    assert os.listdir(service.destination) == []
