"""A server directory as a backup source: `tar czf -` runs there, its bytes stream back here.

The runner (Fabric, strict host keys, the person asked about an unknown key) checks the
source first: which include patterns match, and that they hold only regular files and
directories. The archive itself travels over a paramiko channel opened here with the same
strict host-key rules (the runner's API is line-oriented text; a backup is bytes), and goes
straight into gpg's stdin through a pipe: no plaintext touches the local disk.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from typing import Any

from primetui.backups.common import BackupError
from primetui.config import ServerSettings
from primetui.errors import RemoteError

_SAFE_PATTERN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-*?[]/@+")


def check_patterns(include: Iterable[str]) -> list[str]:
    """Include patterns safe to expand in a remote shell (no quoting tricks, no `..`)."""
    patterns = []
    for raw in include:
        pattern = raw.strip().rstrip("/")
        if (not pattern or pattern.startswith("/") or ".." in pattern.split("/")
                or not set(pattern) <= _SAFE_PATTERN):
            raise BackupError(f"The include pattern '{raw}' cannot be used for a server source; "
                              f"use relative names made of letters, digits, . _ - / and globs.")
        patterns.append(pattern)
    return patterns


def shell_path(path: str) -> str:
    """`path` quoted for a remote shell, keeping a leading `~/` (the login's home) working."""
    if path == "~":
        return "~"
    if path.startswith("~/"):
        return "~/" + shlex.quote(path[2:])
    return shlex.quote(path)


def preflight_command(path: str, include: Iterable[str]) -> str:
    """The shell command that lists the matching names and any special file among them."""
    words = " ".join(check_patterns(include))
    return (f"cd {shell_path(path)} && for p in {words}; do [ -e \"$p\" ] && "
            f"printf 'top %s\\n' \"$p\"; done; for p in {words}; do [ -e \"$p\" ] && "
            f"find \"$p\" ! -type f ! -type d -printf 'special %p\\n'; done; true")


def tar_command(path: str, tops: list[str]) -> str:
    """The command that streams the archive: the runbook's `tar czf - .env config/`."""
    names = " ".join(shlex.quote(t) for t in tops)
    return f"cd {shell_path(path)} && tar czf - -- {names}"


def parse_preflight(output: str, where: str) -> list[str]:
    """The top-level names to archive; a special file or nothing at all is refused."""
    tops: list[str] = []
    special: list[str] = []
    for line in output.splitlines():
        kind, _, name = line.partition(" ")
        (tops if kind == "top" else special if kind == "special" else []).append(name)
    if special:
        raise BackupError(f"{where}/{special[0]} is a symbolic link or special file; backups "
                          f"hold regular files and directories only.")
    if not tops:
        raise BackupError(f"Nothing to back up in {where}: no file matches the include list.")
    return sorted(set(tops))


def open_client(settings: ServerSettings) -> Any:
    """A connection to the server found the way ssh finds it (ssh_config, ProxyJump
    bastions), host keys strict at every hop, asking nothing: `transport()`, `close()`."""
    from primetui.remote.runners import SshRunner

    return SshRunner(settings.host, settings, None)


def stream_command(settings: ServerSettings, command: str, write: Callable[[bytes], object],
                   is_cancelled: Callable[[], bool] = lambda: False, runner: Any = None) -> None:
    """Run `command` on the server and hand its stdout bytes to `write` as they come.

    With `runner` (the session's runner for the server), its connection is reused."""
    client = runner if runner is not None and hasattr(runner, "transport") \
        else open_client(settings)
    transport = client.transport()
    where = f"{settings.host}:{settings.port}"
    try:
        channel = transport.open_session(timeout=settings.connect_timeout)
        channel.settimeout(settings.command_timeout)
        channel.exec_command(command)
        errors = bytearray()
        while True:
            if is_cancelled():
                channel.close()
                from primetui.plans.plan import PlanCancelled

                raise PlanCancelled("Stopped by you before the backup was complete.")
            data = channel.recv(1 << 20)
            while channel.recv_stderr_ready():
                errors += channel.recv_stderr(65536)[: 4096 - len(errors)]
            if not data:
                break
            write(data)
        status = channel.recv_exit_status()
        while channel.recv_stderr_ready():
            errors += channel.recv_stderr(65536)[: 4096 - len(errors)]
    except TimeoutError:
        raise RemoteError(f"The archive from {where} stalled for {settings.command_timeout:g} s.") \
            from None
    finally:
        client.close()
    if status != 0:
        lines = [ln for ln in errors.decode("utf-8", "replace").splitlines() if ln.strip()]
        detail = f": {lines[-1].strip()}" if lines else "."
        raise RemoteError(f"tar on {where} failed (exit {status}){detail}")
