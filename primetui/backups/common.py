"""What every part of the backup service shares: its errors, passphrase rules and file names.

Light on purpose (no gnupg, no boto3). The passphrase rules themselves live in
`primetui.secrets`, shared with the dialog, the CLI and the sudo password.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from primetui.errors import PrimeError
from primetui.secrets import secret_problem


class BackupError(PrimeError):
    """A backup, verification, restore or prune could not be done."""


class WrongPassphraseError(BackupError):
    """gpg could not decrypt with the passphrase given."""


class DamagedBackupError(BackupError):
    """The encrypted file was changed, truncated, or is not a gpg file at all."""


SUFFIX = ".tar.gz.gpg"
_NAME_RE = re.compile(r"^(?P<name>.+?)-(?P<kind>backup|pre-restore)-(?P<date>\d{4}-\d{2}-\d{2})"
                      r"(?:-(?P<time>\d{6}))?\.tar\.gz\.gpg$")
TEMP_MARK = ".tmp-"


@dataclass(frozen=True)
class ParsedName:
    """What a backup file's name says: prefix, kind and when it was made."""

    prefix: str
    kind: str  # "backup" or "pre-restore"
    when: datetime


def parse_name(filename: str) -> ParsedName | None:
    """`prime-backup-2025-01-31.tar.gz.gpg` → its prefix, kind and date; None for other names."""
    m = _NAME_RE.match(filename)
    if m is None:
        return None
    stamp = m["date"] + (m["time"] or "000000")
    try:
        when = datetime.strptime(stamp, "%Y-%m-%d%H%M%S")
    except ValueError:
        return None
    return ParsedName(m["name"], m["kind"], when)


def backup_name(prefix: str, when: datetime, taken: set[str], kind: str = "backup") -> str:
    """The runbook's `NAME-backup-YYYY-MM-DD.tar.gz.gpg`; the time is added when that is taken."""
    day = f"{prefix}-{kind}-{when:%Y-%m-%d}{SUFFIX}"
    if kind == "backup" and day not in taken:
        return day
    name = f"{prefix}-{kind}-{when:%Y-%m-%d-%H%M%S}{SUFFIX}"
    n = 1
    while name in taken:
        n += 1
        name = f"{prefix}-{kind}-{when:%Y-%m-%d-%H%M%S}-{n}{SUFFIX}"
    return name


def is_temp_name(filename: str) -> bool:
    """Whether a file is an unfinished write (never listed, never pruned)."""
    return filename.startswith(".") and TEMP_MARK in filename


def temp_name(final: str) -> str:
    """The hidden name an archive is written under until it is complete and verified."""
    return f".{final}{TEMP_MARK}{os.getpid()}-{os.urandom(4).hex()}"


def stale_temp(filename: str) -> bool:
    """A temporary file whose writer is no longer running (killed mid-write)."""
    if not is_temp_name(filename):
        return False
    pid_text = filename.rsplit(TEMP_MARK, 1)[1].split("-", 1)[0]
    if not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def passphrase_problem(passphrase: str) -> str | None:
    """Why a passphrase cannot be used (see `primetui.secrets`), or None when it can."""
    return secret_problem(passphrase, "passphrase")


def check_passphrase(passphrase: str) -> None:
    """Raise `BackupError` with the reason when a passphrase cannot be used."""
    problem = passphrase_problem(passphrase)
    if problem:
        raise BackupError(problem)


def remove_tree(root: Path) -> None:
    """Delete `root` and everything under it, at any depth, ignoring what is already gone.

    shutil.rmtree recurses once per directory level (Python 3.11), so a hostile tree a few
    thousand levels deep would end in RecursionError and leave plaintext behind.
    """
    stack: list[tuple[str, bool]] = [(str(root), False)]
    while stack:
        path, emptied = stack.pop()
        try:
            if emptied:
                os.rmdir(path)
                continue
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                os.unlink(path)
                continue
            os.chmod(path, 0o700)  # a directory restored read-only must still be emptied
            stack.append((path, True))
            stack.extend((os.path.join(path, name), False) for name in os.listdir(path))
        except FileNotFoundError:
            continue
        except OSError:
            continue  # best effort, like rmtree(ignore_errors=True)

