"""Which logs a server keeps for nginx and certbot, and the read-only command that tails them.

The paths follow the host profile: the system's `/var/log/nginx` and
`/var/log/letsencrypt` on Ubuntu and Amazon Linux, the private nginx's `logs/` and certbot's
`--logs-dir` beside its config on the sandbox's hosts. Pure: nothing is read here.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath

from primetui.remote.profiles import HostProfile

TAIL_LINES = 60
"""How many lines of each log are shown."""


@dataclass(frozen=True)
class ServerLog:
    """One log file on a server."""

    title: str
    """What it is, in the lab's words: "nginx errors"."""
    path: str


def server_logs(profile: HostProfile) -> tuple[ServerLog, ...]:
    """nginx's error and access logs and certbot's log on a host of this profile."""
    if profile.nginx_prefix is not None:
        nginx = f"{profile.nginx_prefix}/logs"
    else:
        nginx = "/var/log/nginx"
    if profile.name == "sandbox":
        certbot = f"{PurePosixPath(profile.letsencrypt).parent}/logs/letsencrypt.log"
    else:
        certbot = "/var/log/letsencrypt/letsencrypt.log"
    return (ServerLog("nginx errors", f"{nginx}/error.log"),
            ServerLog("nginx requests", f"{nginx}/access.log"),
            ServerLog("certbot", certbot))


def tail_command(log: ServerLog, lines: int = TAIL_LINES) -> str:
    """`tail -n LINES -- PATH`: reads the file, changes nothing."""
    return f"tail -n {int(lines)} -- {shlex.quote(log.path)}"
