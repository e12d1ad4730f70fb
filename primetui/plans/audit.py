"""The audit log: one JSON line per plan run, append-only, mode 0600, never a secret."""

from __future__ import annotations

import getpass
import json
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
               demo: bool = False, redact: tuple[str, ...] = ()) -> AuditEntry:
        """Append one entry for a finished run; `redact` strings are blanked from every field."""
        user, host = _who()
        entry = AuditEntry(
            when=result.started or time.time(), user=user, host=host,
            action=plan.action or plan.title, title=plan.title, target=plan.target,
            outcome=result.outcome, duration=round(result.duration, 3),
            commands=plan.commands(), error=result.error,
            output_tail=result.output[-OUTPUT_TAIL:], dry_run=dry_run, demo=demo,
        )
        line = json.dumps(entry.__dict__, ensure_ascii=False)
        for secret in redact:
            if secret:
                line = line.replace(json.dumps(secret)[1:-1], "[redacted]")
        self._append(line)
        return entry

    def _append(self, line: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as err:
            raise PrimeError(f"Cannot write the audit log {self.path}: {err.strerror}.") from None
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        except OSError as err:
            raise PrimeError(f"Cannot write the audit log {self.path}: {err.strerror}.") from None
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
                entry = AuditEntry(**{k: v for k, v in data.items() if k in known})
            except (ValueError, TypeError):
                continue
            if since is None or entry.when >= since:
                out.append(entry)
        return out
