"""The wizard's saved progress: which steps are done, what it created, whether maintenance is on.

Kept as TOML in the XDG state dir, written atomically with tomli-w after every step, so
quitting or a failure resumes from the first step not done. Every step records a
fingerprint with its "done" mark (e.g. the instance it configured, the hash of the page it
uploaded): a mark whose fingerprint no longer matches counts as not done.
"""

from __future__ import annotations

import hashlib
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from primetui.config import write_document
from primetui.errors import PrimeError

ON_STEPS: tuple[tuple[str, str], ...] = (
    ("preflight", "Preflight: checklist, prod over SSH, its certificates, AWS access"),
    ("page", "Write the maintenance page and its nginx conf"),
    ("security_group", "Security group: prod's inbound rules, SSH from the lab only"),
    ("launch", "Launch the maintenance instance"),
    ("install", "Install nginx and upload the page"),
    ("certificates", "Copy prod's certificates to the maintenance host"),
    ("site", "Turn on the maintenance site and check it"),
    ("switch", "Move traffic to the maintenance host"),
)
"""The `on` wizard's steps: (key, title), in order."""
STEP_TITLES = dict(ON_STEPS)


@dataclass(frozen=True)
class StepProgress:
    """One wizard step and whether it is done (as saved)."""

    key: str
    title: str
    done: bool


@dataclass(frozen=True)
class MaintenanceStatus:
    """Whether maintenance is on, since when (epoch seconds), on which instance, and progress."""

    on: bool
    since: float | None
    instance_id: str | None
    domain: str = ""
    switch: str = "elastic-ip"
    public_ip: str | None = None
    steps: tuple[StepProgress, ...] = ()
    error: str = ""
    """The last failure of the wizard, if its last run failed."""
    updated: float | None = None
    return_at: float | None = None
    """When the page says the site comes back (epoch seconds), if it says so."""

    @property
    def next_step(self) -> StepProgress | None:
        """The first step not done (where `on` resumes), or None when all are done."""
        return next((s for s in self.steps if not s.done), None)

    @property
    def started(self) -> bool:
        """Whether any step is done (the wizard has begun, or maintenance is on)."""
        return any(s.done for s in self.steps)


def digest(*parts: str | bytes) -> str:
    """A short stable fingerprint of texts or bytes."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


@dataclass
class WizardState:
    """The saved progress, as plain values; `save()` after every change."""

    path: Path
    on: bool = False
    since: float | None = None
    done: dict[str, str] = field(default_factory=dict)
    """Step key → the fingerprint it was done with."""
    resources: dict[str, str] = field(default_factory=dict)
    """What the wizard found or made: instance ids, group id, allocation id, key name…"""
    page: dict[str, str] = field(default_factory=dict)
    """The page options last written: message, return_at (ISO), contact."""
    error: str = ""
    updated: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> WizardState:
        """The saved state, or a fresh one when there is none yet."""
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise PrimeError(f"The maintenance wizard's progress file {path} cannot be read "
                             f"({err}); move it away to start over.") from None

        def strings(key: str) -> dict[str, str]:
            raw = doc.get(key, {})
            return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

        since = doc.get("since")
        updated = doc.get("updated")
        return cls(path, on=bool(doc.get("on", False)),
                   since=float(since) if isinstance(since, int | float) else None,
                   done=strings("done"), resources=strings("resources"), page=strings("page"),
                   error=str(doc.get("error", "")),
                   updated=float(updated) if isinstance(updated, int | float) else None)

    def save(self) -> None:
        """Write the state atomically (temp file, fsync, rename; mode 0600)."""
        with self._lock:
            self.updated = time.time()
            doc: dict[str, Any] = {"version": 1, "on": self.on, "updated": self.updated,
                                   "error": self.error, "done": dict(self.done),
                                   "resources": dict(self.resources), "page": dict(self.page)}
            if self.since is not None:
                doc["since"] = self.since
            write_document(doc, self.path)

    # -- small helpers the steps use ---------------------------------------------------

    def is_done(self, key: str, fingerprint: str = "") -> bool:
        """Whether step `key` is marked done with this fingerprint."""
        return key in self.done and self.done[key] == fingerprint

    def mark(self, key: str, fingerprint: str = "") -> None:
        """Mark a step done (and clear the last error), then save."""
        self.done[key] = fingerprint
        self.error = ""
        self.save()

    def unmark(self, *keys: str) -> None:
        """Forget that these steps were done, then save."""
        for key in keys:
            self.done.pop(key, None)
        self.save()

    def remember(self, **values: str | None) -> None:
        """Record (or, with None, forget) resources, then save."""
        for key, value in values.items():
            if value is None:
                self.resources.pop(key, None)
            else:
                self.resources[key] = value
        self.save()

    def get(self, key: str) -> str | None:
        """A recorded resource, or None."""
        return self.resources.get(key) or None

    def status(self, domain: str, switch: str) -> MaintenanceStatus:
        """The frozen view the tab, the CLI and the findings read."""
        steps = tuple(StepProgress(key, title, key in self.done) for key, title in ON_STEPS)
        return MaintenanceStatus(on=self.on, since=self.since if self.on else None,
                                 instance_id=self.get("instance_id"), domain=domain,
                                 switch=switch, public_ip=self.get("public_ip"), steps=steps,
                                 error=self.error, updated=self.updated,
                                 return_at=self.return_at())

    def return_at(self) -> float | None:
        """The announced return time of the page last written (epoch seconds), or None."""
        from datetime import datetime

        raw = self.page.get("return_at") or ""
        try:
            return datetime.fromisoformat(raw).timestamp() if raw else None
        except ValueError:
            return None
