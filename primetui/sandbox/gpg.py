"""A private gpg home for the sandbox and the tests, so nothing touches ~/.gnupg.

Passphrases go to gpg through loopback pinentry (python-gnupg feeds them on a pipe), and
the agent caches nothing: every backup or restore asks for its passphrase again.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from primetui.sandbox.tools import find_binary

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

    def stop(self) -> None:
        """Kill every gpg daemon (agent, dirmngr, keyboxd) started for this home."""
        gpgconf = find_binary("gpgconf")
        if gpgconf and self.path.exists():
            subprocess.run([gpgconf, "--homedir", str(self.path), "--kill", "all"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=10, check=False)


def make_gpg_home(path: Path) -> GpgHome:
    """Create (or reuse) a gpg home at `path` with mode 0700 and sandbox-friendly configs."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    for name, text in (("gpg.conf", GPG_CONF), ("gpg-agent.conf", AGENT_CONF)):
        file = path / name
        file.write_text(text, encoding="utf-8")
        file.chmod(0o600)
    return GpgHome(path)
