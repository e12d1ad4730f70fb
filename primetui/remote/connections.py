"""`Connections`: one SSH connection per server for a whole session.

Every step of every plan, and every poll, asks the session for a server's runner and gets
the same one, so a server (and each bastion in front of it) is connected to once. A step
that closes its runner when it is done closes nothing: the session closes every connection
on quit (`close`), and forgets the unlocked keys and sudo passwords then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from primetui.config import Settings
from primetui.remote.keys import Keyring
from primetui.remote.runners import CommandResult, Prompter, Runner, SshRunner, runner_for


class SessionRunner:
    """A server's runner shared by the session: `close` (and `with`) leave it open."""

    def __init__(self, runner: Runner, *, ask: bool = True) -> None:
        self.runner = runner
        self.name = runner.name
        self.ask = ask
        """False: a view for polls that never asks (host keys, sudo, passphrases)."""

    @property
    def host(self) -> str:
        """How sentences name the server (`alias (address:port)` once it is resolved)."""
        return self.runner.host

    def run(self, cmd: str, *, sudo: bool = False, timeout: float | None = None,
            on_line: Callable[[str], None] | None = None, warn: bool = False) -> CommandResult:
        """Run a command over the shared connection."""
        run = self.runner.run if self.ask else getattr(self.runner, "run_quietly", self.runner.run)
        return run(cmd, sudo=sudo, timeout=timeout, on_line=on_line, warn=warn)

    def put(self, local: Path | BinaryIO, remote: str) -> None:
        """Copy a file over the shared connection."""
        self.runner.put(local, remote)

    def get(self, remote: str, local: Path | BinaryIO) -> None:
        """Copy a file back over the shared connection."""
        self.runner.get(remote, local)

    def check(self, timeout: float | None = None) -> None:
        """Connect without asking anything and run `true` (for polls)."""
        if isinstance(self.runner, SshRunner):
            self.runner.check(timeout)
        else:
            self.runner.run("true", timeout=timeout)

    def close(self) -> None:
        """Nothing: the session closes its connections on quit."""

    def __enter__(self) -> SessionRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:  # settings, resolved, connections_opened...
        return getattr(self.runner, name)


class Connections:
    """The session's runners, one per server name, made on first use."""

    def __init__(self, settings: Settings, prompter: Prompter | None = None) -> None:
        self.settings = settings
        self.prompter = prompter
        self.keyring = Keyring()
        self._runners: dict[str, SessionRunner] = {}
        self._lock = threading.Lock()

    def runner(self, server: str, *, ask: bool = True) -> SessionRunner:
        """The shared runner for a configured server name, or "local"; with `ask=False`, a
        view of the same connection that never asks anything (for polls)."""
        with self._lock:
            shared = self._runners.get(server)
            if shared is None:
                made = runner_for(self.settings, server, self.prompter, keyring=self.keyring)
                shared = self._runners[server] = SessionRunner(made)
            return shared if ask else SessionRunner(shared.runner, ask=False)

    def close(self) -> None:
        """Close every connection and forget unlocked keys and sudo passwords."""
        with self._lock:
            runners, self._runners = list(self._runners.values()), {}
        for shared in runners:
            try:
                shared.runner.close()
            except Exception:  # closing on quit must not stop the others from closing
                pass
        self.keyring.forget()


__all__ = ["Connections", "SessionRunner"]
