"""Shared pieces of the hostile-input and fault suite: a small project, a gpg home, archives.

Every test here feeds primetui something an attacker or a bad day could produce, and checks
three things: nothing the person had was lost, nothing was written outside the target, and
no secret showed up anywhere it could be read back.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from primetui.backups.archive import ArchiveLimits
from primetui.backups.service import BackupService
from primetui.config import BackupSettings, Settings
from primetui.sandbox.gpg import GpgHome
from tests.fixtures.backups import shell_gpg

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"
QUICK_S2K = 65536
"""A low key-derivation count keeps each gpg call fast; the strong default is tested elsewhere."""


def make_service(project: Path, home: GpgHome, tmp: Path, *, limits: ArchiveLimits | None = None,
                 **backups: object) -> BackupService:
    """A service backing up `project` into tmp/backups, with a private gpg home and state."""
    settings = Settings(backups=BackupSettings(source=str(project), destination=tmp / "backups",
                                               **backups))  # type: ignore[arg-type]
    return BackupService(settings, gnupghome=home.path, state_file=tmp / "state" / "verified.json",
                         s2k_count=QUICK_S2K, limits=limits)


def tree(root: Path) -> dict[str, tuple]:
    """Every path under `root` with its type, mode and content hash (or link target)."""
    found: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            if stat.S_ISREG(st.st_mode):
                found[rel] = ("file", stat.S_IMODE(st.st_mode),
                              hashlib.sha256(path.read_bytes()).hexdigest())
            elif stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", os.readlink(path))
            else:
                found[rel] = ("dir", stat.S_IMODE(st.st_mode))
    return found


def encrypt_by_hand(home: GpgHome, data: bytes, target: Path,
                    passphrase: str = PASSPHRASE) -> Path:
    """`… | gpg -c > target` as the runbook does it; the passphrase goes in as UTF-8."""
    out = shell_gpg(home, "-c", "--s2k-count", str(QUICK_S2K), "-o", str(target),
                    input=passphrase.encode("utf-8") + b"\n" + data)
    assert out.returncode == 0, out.stderr
    return target


def tar_gz(entries: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    """A .tar.gz holding exactly these members (hostile ones included)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for member, data in entries:
            member.size = len(data) if member.isreg() else 0
            tar.addfile(member, io.BytesIO(data) if member.isreg() else None)
    return buf.getvalue()


def file_info(name: str, mode: int = 0o600) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info


def dir_info(name: str, mode: int = 0o700) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    return info


def cli(env: dict[str, str], *args: str, stdin: bytes = b"",
        timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """`primetui ARGS…` as cron runs it: no terminal, output captured as bytes."""
    return subprocess.run([sys.executable, "-m", "primetui", *args], env=env, input=stdin,
                          capture_output=True, timeout=timeout, cwd=REPO)


def one_sentence(err: bytes) -> bool:
    """stderr is one line starting `primetui: `, with no traceback and no raw escape."""
    text = err.decode("utf-8", "replace")
    return (text.startswith("primetui: ") and text.count("\n") == 1 and "Traceback" not in text
            and "\x1b" not in text)


@pytest.fixture
def cli_env(tmp_path: Path, sample_project: Path, gpg_home: GpgHome) -> dict[str, str]:
    """A private config (the sample project → tmp/backups), state dir and gpg home.

    Extra `[backups]` lines can be appended to tmp/config.toml by a test.
    """
    config = tmp_path / "config.toml"
    config.write_text(f'[backups]\nsource = "{sample_project}"\n'
                      f'destination = "{tmp_path / "backups"}"\n')
    config.chmod(0o600)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PRIMETUI_")}
    environment.update(PRIMETUI_CONFIG=str(config), XDG_STATE_HOME=str(tmp_path / "state"),
                       GNUPGHOME=str(gpg_home.path), PYTHONPATH=str(REPO), LANG="C.UTF-8")
    return environment


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """The passphrase in an 0600 file."""
    path = tmp_path / "passphrase"
    path.write_text(PASSPHRASE + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def service(sample_project: Path, gpg_home: GpgHome, tmp_path: Path) -> BackupService:
    """The sample project's backup service with a private gpg home."""
    return make_service(sample_project, gpg_home, tmp_path)
