"""A new maintenance instance's SSH host keys, read from its boot log and pinned.

Every maintenance instance is new, so its host key is never in known_hosts. cloud-init
prints the instance's public host keys to the console between `-----BEGIN SSH HOST KEY
KEYS-----` and `-----END SSH HOST KEY KEYS-----`; EC2 returns that log through
GetConsoleOutput, over the AWS API (not over the network path SSH takes), so the keys can
be pinned before the first connection and the connection made strictly.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from primetui.errors import RemoteError
from primetui.remote.streams import known_hosts_name

BEGIN = "-----BEGIN SSH HOST KEY KEYS-----"
END = "-----END SSH HOST KEY KEYS-----"
KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
             "ecdsa-sha2-nistp521", "ssh-rsa")


def console_host_keys(console: str) -> list[tuple[str, str]]:
    """(type, base64) of each host key between the markers of the last boot; [] if none."""
    start = console.rfind(BEGIN)
    if start < 0:
        return []
    end = console.find(END, start)
    if end < 0:
        return []
    keys: list[tuple[str, str]] = []
    for line in console[start + len(BEGIN):end].splitlines():
        parts = line.strip().split()
        if len(parts) < 2 or parts[0] not in KEY_TYPES:
            continue
        try:
            blob = base64.b64decode(parts[1], validate=True)
        except (binascii.Error, ValueError):
            continue
        # The key's own blob starts with its type: a line cut short or garbled is skipped.
        if blob[4:4 + len(parts[0])] == parts[0].encode():
            keys.append((parts[0], parts[1]))
    return keys


def pin_host_keys(known_hosts: Path, host: str, port: int,
                  keys: list[tuple[str, str]]) -> bool:
    """Make `keys` the only keys known for host:port (lines for that name are replaced).

    Returns whether the file changed. Other hosts' lines are kept as they are; the file
    is rewritten through a temporary file and a rename (mode 0600 when it is created).
    """
    name = known_hosts_name(host, port)
    path = Path(known_hosts).expanduser()
    try:
        old = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    except (OSError, UnicodeDecodeError) as exc:
        raise RemoteError(f"{path} cannot be read: {exc}.") from None
    kept = [line for line in old if line.split(" ", 1)[0] != name]
    wanted = [f"{name} {kind} {blob}" for kind, blob in keys]
    if [line for line in old if line.split(" ", 1)[0] == name] == wanted:
        return False
    text = "\n".join([*kept, *wanted]) + "\n"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
        tmp = path.with_name(f".{path.name}.primetui")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise RemoteError(f"Cannot pin the maintenance host's keys in {path}: "
                          f"{(exc.strerror or str(exc)).lower()}.") from None
    return True
