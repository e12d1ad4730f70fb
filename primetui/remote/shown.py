"""Commands as a person would type them to do a step by hand: `ssh`/`scp` lines that carry the
server's port and key, and `sudo` only where the host uses it, wrapping the whole pipeline.

Pure string building (no I/O): plans show these lines, the runners run the commands inside.
"""

from __future__ import annotations

import shlex

from primetui.config import ServerSettings


def login(server: ServerSettings) -> str:
    """`user@host`."""
    return f"{server.user}@{server.host}"


def _key(server: ServerSettings) -> str:
    return f" -i {shlex.quote(str(server.key))}" if server.key is not None else ""


def ssh(server: ServerSettings, command: str) -> str:
    """`ssh [-p PORT] [-i KEY] user@host 'COMMAND'`: one quoted argument, so the remote shell
    gets the command whole (pipes, `&&` and quotes included)."""
    port = f" -p {server.port}" if server.port != 22 else ""
    return f"ssh{port}{_key(server)} {login(server)} {_one_argument(command)}"


def _one_argument(command: str) -> str:
    """The command as one shell word: in double quotes when nothing in it would expand there
    (the easier read: `"sudo sh -c 'a && b'"`), else single-quoted."""
    if command and not any(ch in command for ch in '"$`\\!'):
        return f'"{command}"'
    return shlex.quote(command)


def scp(server: ServerSettings, *paths: str) -> str:
    """`scp [-P PORT] [-i KEY] PATHS…`; remote paths written as `REMOTE:path` (quoted here),
    local ones given already quoted."""
    port = f" -P {server.port}" if server.port != 22 else ""
    where = login(server)
    shown = [shlex.quote(f"{where}:{p.removeprefix('REMOTE:')}") if p.startswith("REMOTE:") else p
             for p in paths]
    return f"scp{port}{_key(server)} {' '.join(shown)}"


def sudo(command: str, uses_sudo: bool) -> str:
    """The command through sudo where the host uses it; a pipeline is wrapped whole
    (`sudo sh -c '… && …'`), a single command is prefixed (`sudo certbot renew`)."""
    if not uses_sudo:
        return command
    if any(token in command for token in ("&&", "||", "|", ";", ">", "<", "$(", "`")):
        return f"sudo sh -c {shlex.quote(command)}"
    return f"sudo {command}"
