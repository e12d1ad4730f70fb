"""The audit log: one JSON line per plan run, append-only, mode 0600, never a secret."""

from __future__ import annotations

import errno
import getpass
import json
import math
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from primetui.errors import PrimeError
from primetui.plans.plan import Plan, PlanResult

OUTPUT_TAIL = 40
"""Lines of a plan's output kept in its audit record."""


@dataclass(frozen=True)
class AuditEntry:
    """One recorded action."""

    when: float
    user: str
    host: str
    action: str
    title: str
    target: str
    outcome: str
    duration: float
    commands: list[str]
    error: str
    output_tail: list[str]
    dry_run: bool = False
    demo: bool = False
    context: str = ""
    """The config's context it ran in (`--context`); "" for the top-level settings."""


class AuditNotWritten(PrimeError):
    """The audit log could not take an entry (full disk, permissions); the run itself stands."""


def _reason(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "the disk is full"
    return (err.strerror or type(err).__name__).lower()


def _write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written; a write that makes no progress is ENOSPC."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


_TYPES: dict[str, tuple[type, ...]] = {
    "when": (int, float), "duration": (int, float), "user": (str,), "host": (str,),
    "action": (str,), "title": (str,), "target": (str,), "outcome": (str,), "error": (str,),
    "commands": (list,), "output_tail": (list,), "dry_run": (bool,), "demo": (bool,),
    "context": (str,),
}


def _well_formed(entry: AuditEntry) -> bool:
    """Whether every field has the type the readers (audit, report, the tab) rely on: a
    time that is a real date, lists of strings, no true/false where a number belongs."""
    if not all(isinstance(getattr(entry, name), types) and not
               (isinstance(getattr(entry, name), bool) and bool not in types)
               for name, types in _TYPES.items()):
        return False
    return (0 <= entry.when < _LATEST and math.isfinite(entry.duration)
            and all(isinstance(line, str) for line in [*entry.commands, *entry.output_tail]))


_LATEST = 253402300800  # 10000-01-01: later "times" are damage, and no clock can show them


def _who() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return user, socket.gethostname()


class AuditLog:
    """Appends plan runs to a JSONL file and reads them back."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, plan: Plan, result: PlanResult, *, dry_run: bool = False,
               demo: bool = False, redact: tuple[str, ...] = (),
               context: str = "") -> AuditEntry:
        """Append one entry for a finished run; `redact` strings are blanked from every field."""
        user, host = _who()
        entry = AuditEntry(
            when=result.started or time.time(), user=user, host=host,
            action=plan.action or plan.title, title=plan.title, target=plan.target,
            outcome=result.outcome, duration=round(result.duration, 3),
            commands=plan.commands(), error=result.error,
            output_tail=result.output[-OUTPUT_TAIL:], dry_run=dry_run, demo=demo,
            context=context,
        )
        line = json.dumps(entry.__dict__, ensure_ascii=False)
        for secret in redact:
            if secret:
                line = line.replace(json.dumps(secret)[1:-1], "[redacted]")
        self._append(line)
        return entry

    def _append(self, line: str) -> None:
        """Append one line, whole: every short write is continued, and a file whose last
        line was torn (no final newline) gets one first, so this entry starts a line."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as err:
            raise AuditNotWritten(f"Cannot write the audit log {self.path}: "
                                  f"{_reason(err)}.") from None
        try:
            os.fchmod(fd, 0o600)
            data = (line + "\n").encode("utf-8")
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data
            _write_all(fd, data)
            os.fsync(fd)
        except OSError as err:
            raise AuditNotWritten(f"Cannot write the audit log {self.path}: "
                                  f"{_reason(err)}.") from None
        finally:
            os.close(fd)

    def entries(self, since: float | None = None) -> list[AuditEntry]:
        """Every readable entry, oldest first; damaged lines are skipped."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        known = set(AuditEntry.__dataclass_fields__)
        out: list[AuditEntry] = []
        for raw in text.splitlines():
            try:
                data = json.loads(raw)
            except ValueError:
                continue  # a torn or damaged line
            if not isinstance(data, dict):
                continue  # valid JSON, but not an entry
            try:
                entry = AuditEntry(**{k: v for k, v in data.items() if k in known})
            except TypeError:
                continue
            if not _well_formed(entry):
                continue
            if since is None or entry.when >= since:
                out.append(entry)
        return out
