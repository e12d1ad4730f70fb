"""Small helpers for the sandbox: free loopback ports, finding binaries, stopping by pid."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time

# The Debian package that provides each service binary, for "which package is missing" messages.
PACKAGES = {
    "sshd": "openssh-server",
    "nginx": "nginx",
    "certbot": "certbot",
    "pebble": "pebble",
    "pebble-challtestsrv": "pebble",
    "gpg": "gnupg",
    "tmux": "tmux",
    "sudo": "sudo",
}
_SBIN = ("/usr/sbin", "/sbin", "/usr/local/sbin")


def find_binary(name: str) -> str | None:
    """The full path of a service binary, looking in sbin directories too."""
    found = shutil.which(name)
    if found:
        return found
    for d in _SBIN:
        path = os.path.join(d, name)
        if os.access(path, os.X_OK):
            return path
    return None


def missing_message(name: str) -> str:
    """One sentence saying which package provides a missing binary."""
    package = PACKAGES.get(name, name)
    return f"{name} is not installed; install the '{package}' package (apt-get install {package})."


DEMO_INSTALL = ("The demo needs moto, which is not installed: run "
                "pipx install 'primetui[demo]' (or pip install 'primetui[demo]'), then "
                "primetui --demo again.")
"""What to install when the practice world cannot start."""


def demo_missing() -> str | None:
    """The sentence saying what to install for the demo, or None when moto is there.

    Looks moto up without importing it (the first-run screen calls this on the UI thread).
    """
    import importlib.util

    try:
        found = importlib.util.find_spec("moto") is not None
    except (ImportError, ValueError):
        found = False
    return None if found else DEMO_INSTALL


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> bool:
    """Wait until something accepts connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def stop_pid(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM a process, then SIGKILL it if it is still there after `timeout`."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
        except ChildProcessError:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
