"""`CertbotWatch`: what the session last read of certbot's side, per server, and when.

The Overview and the Certificates tab both poll; they share this, so a server's certbot
side is read at most once per `ui.refresh` seconds however many screens ask, and certbot
itself is run only for the first read of a session, when the person asks (`r`, `c`), and
after a plan changed something (`forget`). In between, a stale entry is refreshed from
certbot's files in the directory certbot named (one short command over the session's
connection). The clock is injected so tests can let an hour pass in a moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from primetui.certificates.server import ServerCertificates

DEFAULT_REFRESH = 120.0
"""Seconds a read stays fresh when nobody says otherwise (the default `ui.refresh`)."""
JITTER = 5.0
"""Seconds of timer jitter forgiven: a poll every `ui.refresh` seconds finds the previous
poll's read stale even when its timer fires a moment early."""


@dataclass(frozen=True)
class SeenStatus:
    """One read of a server's certbot side, and when it started (on the watch's clock)."""

    status: ServerCertificates
    read_at: float


class CertbotWatch:
    """The session's last read of each server's certbot side (thread-safe)."""

    def __init__(self, refresh: float = DEFAULT_REFRESH,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.refresh = refresh
        self.clock = clock
        self._seen: dict[str, SeenStatus] = {}
        self._dirs: dict[str, str] = {}
        self._lock = threading.Lock()
        self._reading: dict[str, threading.Lock] = {}

    def reading(self, server: str) -> threading.Lock:
        """Held while one caller reads `server`, so a second caller waits and reuses it."""
        with self._lock:
            return self._reading.setdefault(server, threading.Lock())

    def fresh(self, server: str) -> ServerCertificates | None:
        """The last read of `server` while it is younger than `refresh` seconds."""
        with self._lock:
            seen = self._seen.get(server)
        if seen is None or self.clock() - seen.read_at + JITTER >= self.refresh:
            return None
        return seen.status

    def config_dir(self, server: str) -> str | None:
        """The configuration directory certbot itself named for `server` this session."""
        with self._lock:
            return self._dirs.get(server)

    def remember(self, status: ServerCertificates, read_at: float) -> None:
        """Keep a read (started at `read_at`); one by certbot also names its directory."""
        with self._lock:
            self._seen[status.server] = SeenStatus(status, read_at)
            if status.by_certbot:
                self._dirs[status.server] = status.config_dir

    def forget(self, server: str) -> None:
        """Something changed on `server` (a renewal, an issuance, a new hook): the next
        read asks certbot itself again."""
        with self._lock:
            self._seen.pop(server, None)
            self._dirs.pop(server, None)
