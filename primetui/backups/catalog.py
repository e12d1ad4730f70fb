"""The backups that exist: listing with age and last verification, status, and what prune drops.

Verification records live in a small JSON state file (mode 0600) keyed by the archive's
path, size and modification time, so a file that changed since it was verified shows as
never verified again.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from primetui.backups.common import SUFFIX, is_temp_name, parse_name


@dataclass(frozen=True)
class BackupEntry:
    """One backup file, here or in S3."""

    name: str
    location: str  # "local" or "s3"
    path: str  # the local path, or the s3:// URL
    kind: str  # "backup", "pre-restore" or "other" (a name primetui did not give)
    created: float  # seconds since the epoch
    size: int
    age_days: float
    last_verified: float | None = None
    verified_ok: bool | None = None

    @property
    def date(self) -> str:
        """The creation date and time as `YYYY-MM-DD HH:MM`."""
        return datetime.fromtimestamp(self.created).strftime("%Y-%m-%d %H:%M")

    def to_json(self) -> dict[str, object]:
        """The entry as a JSON-ready dict."""
        data = asdict(self)
        data["date"] = self.date
        data["age_days"] = round(self.age_days, 2)
        return data


@dataclass(frozen=True)
class BackupStatus:
    """How old the newest backup is, and whether that needs attention."""

    level: str  # "ok", "warning" (older than max_age_days) or "critical" (none at all)
    message: str
    newest: BackupEntry | None


class VerificationLog:
    """When each backup file was last verified, kept in a small JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _stamp(file: Path) -> tuple[int, int]:
        st = file.stat()
        return st.st_size, st.st_mtime_ns

    def record(self, file: Path, ok: bool, members: int, when: float) -> None:
        """Remember that `file` was verified at `when` (one writer at a time, under a lock)."""
        size, mtime = self._stamp(file)
        with self._locked():
            data = self._load()
            data[str(file.resolve())] = {"size": size, "mtime_ns": mtime, "verified_at": when,
                                         "ok": ok, "members": members}
            self._save(data)

    def forget(self, file: Path) -> None:
        """Drop the record of a deleted file."""
        with self._locked():
            data = self._load()
            if data.pop(str(file.resolve()), None) is not None:
                self._save(data)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock beside the state file: two verifies never lose each other's update."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_name(f".{self.path.name}.lock"),
                     os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def lookup(self, file: Path) -> tuple[float, bool] | None:
        """(when, ok) of the last verification of this very file, if any."""
        entry = self._load().get(str(file.resolve()))
        if not isinstance(entry, dict):
            return None
        try:
            if (entry.get("size"), entry.get("mtime_ns")) != self._stamp(file):
                return None
            return float(entry["verified_at"]), bool(entry["ok"])  # type: ignore[arg-type]
        except (OSError, KeyError, TypeError, ValueError):
            return None

    def _save(self, data: dict[str, dict[str, object]]) -> None:
        """Write the whole record atomically; on failure (a full disk) no `.tmp` is left."""
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _created(filename: str, mtime: float) -> tuple[str, float]:
    parsed = parse_name(filename)
    if parsed is None:
        return "other", mtime
    named = parsed.when.timestamp()
    # The name says the day (or the second); the file's own time is more precise when it
    # agrees, which keeps two backups made the same day in the right order.
    span = 86400 if parsed.when.hour == parsed.when.minute == parsed.when.second == 0 else 1
    return parsed.kind, mtime if 0 <= mtime - named < span else named


def list_local(directory: Path, now: float, log: VerificationLog) -> list[BackupEntry]:
    """Every finished backup file in `directory`, newest first."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    entries = []
    for filename in names:
        if is_temp_name(filename) or not filename.endswith((SUFFIX, ".gpg")):
            continue
        path = directory / filename
        try:
            st = path.stat()
        except OSError:
            continue
        if not path.is_file():
            continue
        kind, created = _created(filename, st.st_mtime)
        verified = log.lookup(path)
        entries.append(BackupEntry(
            name=filename, location="local", path=str(path), kind=kind, created=created,
            size=st.st_size, age_days=max(0.0, (now - created) / 86400),
            last_verified=verified[0] if verified else None,
            verified_ok=verified[1] if verified else None))
    return sort_newest_first(entries)


def sort_newest_first(entries: list[BackupEntry]) -> list[BackupEntry]:
    """Newest first, by creation time then name."""
    return sorted(entries, key=lambda e: (e.created, e.name), reverse=True)


def status_of(entries: list[BackupEntry], max_age_days: int) -> BackupStatus:
    """The status line: how old the newest backup is, warning past `max_age_days`."""
    backups = [e for e in entries if e.kind != "pre-restore"]
    if not backups:
        return BackupStatus("critical", "There is no backup yet; create one now.", None)
    newest = backups[0]
    days = newest.age_days
    age = "today" if days < 1 else f"{int(days)} day{'s' if int(days) != 1 else ''} old"
    if days > max_age_days:
        return BackupStatus("warning", f"The newest backup, {newest.name}, is {age}: older "
                                       f"than {max_age_days} days, so create a new one.", newest)
    when = "was made today" if days < 1 else f"is {age}"
    return BackupStatus("ok", f"The newest backup, {newest.name}, {when}.", newest)


def select_prune(entries: list[BackupEntry], prefix: str, keep: int) -> list[BackupEntry]:
    """The files prune deletes: beyond the newest `keep` of each kind primetui names.

    Only files named `PREFIX-backup-…` or `PREFIX-pre-restore-…` are ever candidates; a
    file with any other name is someone else's and stays.
    """
    doomed: list[BackupEntry] = []
    for kind in ("backup", "pre-restore"):
        mine = [e for e in entries if e.location == "local" and e.kind == kind
                and (parsed := parse_name(e.name)) is not None and parsed.prefix == prefix]
        doomed.extend(sort_newest_first(mine)[keep:])
    return doomed
