"""A private gpg home for the sandbox and the tests, so nothing touches ~/.gnupg.

Passphrases go to gpg through loopback pinentry (python-gnupg feeds them on a pipe), and
the agent caches nothing: every backup or restore asks for its passphrase again.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from primetui.sandbox import tools

GPG_CONF = """\
# primetui sandbox gpg home
pinentry-mode loopback
no-greeting
no-symkey-cache
personal-cipher-preferences AES256
s2k-cipher-algo AES256
s2k-digest-algo SHA512
"""

AGENT_CONF = """\
# primetui sandbox agent: loopback pinentry, no passphrase caching
allow-loopback-pinentry
default-cache-ttl 0
max-cache-ttl 0
"""


@dataclass(frozen=True)
class GpgHome:
    """A gpg home directory (mode 0700) whose agent `stop()` shuts down."""

    path: Path

    def env(self) -> dict[str, str]:
        """The environment entry that points gpg at this home."""
        return {"GNUPGHOME": str(self.path)}

    def daemon_pids(self) -> list[int]:
        """The gpg daemons (agent, dirmngr, keyboxd, scdaemon) running for this home."""
        home = os.fsencode(self.path)
        found = []
        for entry in _proc_entries():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if os.path.basename(argv[0]) in _DAEMONS and home in argv and _alive(int(entry)):
                found.append(int(entry))
        return found

    def stop(self, timeout: float = 5.0) -> None:
        """Kill every gpg daemon started for this home and wait until they have exited."""
        pids = self.daemon_pids()
        gpgconf = tools.find_binary("gpgconf")
        if gpgconf and self.path.exists():
            subprocess.run([gpgconf, "--homedir", str(self.path), "--kill", "all"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=10, check=False)
        deadline = time.monotonic() + timeout
        while pids and time.monotonic() < deadline:
            pids = [pid for pid in pids if _alive(pid)]
            if pids:
                time.sleep(0.02)
        for pid in pids:
            tools.stop_pid(pid, timeout=1)


_DAEMONS = {b"gpg-agent", b"dirmngr", b"keyboxd", b"scdaemon"}


def _proc_entries() -> list[str]:
    try:
        return [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:][:1] != b"Z"


def make_gpg_home(path: Path) -> GpgHome:
    """Create (or reuse) a gpg home at `path` with mode 0700 and sandbox-friendly configs."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    for name, text in (("gpg.conf", GPG_CONF), ("gpg-agent.conf", AGENT_CONF)):
        file = path / name
        file.write_text(text, encoding="utf-8")
        file.chmod(0o600)
    return GpgHome(path)
