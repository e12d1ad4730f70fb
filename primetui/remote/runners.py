"""Runners: one interface to run commands here (invoke) or on a server over SSH (Fabric).

Every call has a command timeout, never forwards local stdin (a TUI owns it), captures
output instead of printing it, streams complete lines to `on_line` as they arrive and
decodes non-UTF-8 bytes with replacement. Host keys are checked strictly against the
server's known_hosts file; an unknown key is shown to the user (through a `Prompter`) or
refused. sudo passwords are asked for only when sudo says it needs one, kept in memory for
the open connection and passed straight to sudo's stdin.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, Self

from primetui.config import ServerSettings, Settings
from primetui.errors import HostKeyUnknownError, RemoteError, SudoPasswordNeeded
from primetui.remote.streams import (
    SUDO_PROMPT,
    LineStreams,
    accept_host_key,
    connect_error,
    copy_file,
    decoding_runner,
    label,
    last_line,
    short_command,
    strict_policy,
    transfer_error,
)
from primetui.secrets import secret_problem

__all__ = ["CommandResult", "LocalRunner", "Prompter", "Runner", "SshRunner",
           "accept_host_key", "runner_for"]

# What sudo -n prints when it would have to ask for a password.
_PASSWORD_REQUIRED = ("a password is required", "a terminal is required")
# What sudo prints when it stops asking after wrong passwords ("3 incorrect password attempts").
_WRONG_PASSWORD = "incorrect password attempt"


@dataclass(frozen=True)
class CommandResult:
    """What a finished command left behind: its exit code, output and duration in seconds."""

    command: str
    exit_code: int
    stdout: str
    stderr: str
    duration: float

    @property
    def ok(self) -> bool:
        """True when the command exited with status 0."""
        return self.exit_code == 0


class Prompter(Protocol):
    """Asks the person at the keyboard; the TUI answers with dialogs, the CLI on the terminal."""

    def confirm_host_key(self, err: HostKeyUnknownError) -> bool:
        """Whether to trust (and save) the unknown host key described by `err`."""
        ...

    def sudo_password(self, host: str) -> str | None:
        """The sudo password for `host`, or None to give up."""
        ...


class Runner(Protocol):
    """Runs commands and copies files on one machine; `name` is the server's name or "local"."""

    name: str
    host: str

    def run(self, cmd: str, *, sudo: bool = False, timeout: float | None = None,
            on_line: Callable[[str], None] | None = None, warn: bool = False) -> CommandResult:
        """Run a shell command; a non-zero exit raises `RemoteError` unless `warn`."""
        ...

    def put(self, local: Path | BinaryIO, remote: str) -> None:
        """Copy a local file (or the whole of a binary stream) to `remote`."""
        ...

    def get(self, remote: str, local: Path | BinaryIO) -> None:
        """Copy `remote` into a local file or binary stream."""
        ...

    def close(self) -> None:
        """Close the connection and forget any sudo password."""
        ...


class _InvokeRunner:
    """What both runners share: invoke's run/sudo on a context, sudo passwords, error sentences."""

    name: str
    host: str

    def __init__(self, prompter: Prompter | None, command_timeout: float) -> None:
        self._prompter = prompter
        self._command_timeout = command_timeout
        self._sudo_password: str | None = None
        self._sudo_asks_password: bool | None = None

    # Hooks for the two implementations.
    def _context(self) -> Any:
        raise NotImplementedError

    def _sudo_enabled(self) -> bool:
        raise NotImplementedError

    def _lost(self, exc: BaseException | None, cmd: str) -> RemoteError | None:
        """The sentence for a lost connection, if that is what happened."""
        return None

    def _forget_sudo(self) -> None:
        self._sudo_password = None
        self._sudo_asks_password = None

    def run(self, cmd: str, *, sudo: bool = False, timeout: float | None = None,
            on_line: Callable[[str], None] | None = None, warn: bool = False) -> CommandResult:
        """Run `cmd` (through sudo when asked and the host wants it), streaming lines to `on_line`."""
        limit = self._command_timeout if timeout is None else timeout
        ctx = self._context()
        use_sudo = sudo and self._sudo_enabled()
        password = self._sudo_password_for(ctx, limit) if use_sudo else None
        streams = LineStreams(on_line)
        kwargs: dict[str, Any] = {"hide": True, "warn": True, "in_stream": False,
                                  "timeout": limit, **streams.kwargs()}
        started = time.monotonic()
        try:
            if use_sudo and password is not None:
                raw = ctx.sudo(f"sh -c {shlex.quote(cmd)}", password=password, **kwargs)
            elif use_sudo:
                raw = ctx.run(f"sudo -n -- sh -c {shlex.quote(cmd)}", **kwargs)
            else:
                raw = ctx.run(cmd, **kwargs)
        except Exception as exc:  # every failure becomes one sentence, without the password
            raise self._run_error(exc, cmd, limit, password) from None
        finally:
            streams.finish()
        streams.raise_handler_error()
        result = CommandResult(cmd, raw.exited, raw.stdout, raw.stderr.replace(SUDO_PROMPT, ""),
                               time.monotonic() - started)
        if not result.ok and result.duration >= limit:
            # invoke's own timeout check races with the timer thread that killed the command.
            raise self._timed_out(cmd, limit)
        if result.exit_code == -1 and (lost := self._lost(None, cmd)) is not None:
            raise lost
        if password is not None and not result.ok and _WRONG_PASSWORD in result.stderr:
            self._sudo_password = None  # sudo gave up before the command ran (passwd_tries)
            raise SudoPasswordNeeded(f"sudo on {self.host} refused the password.")
        if not (result.ok or warn):
            detail = last_line(result.stderr) or last_line(result.stdout)
            tail = f": {detail}" if detail else "."
            raise RemoteError(f"`{short_command(cmd)}` failed on {self.host} "
                              f"(exit {result.exit_code}){tail}")
        return result

    def _run_error(self, exc: Exception, cmd: str, limit: float,
                   password: str | None = None) -> RemoteError:
        from invoke.exceptions import AuthFailure, CommandTimedOut

        if isinstance(exc, CommandTimedOut):
            return self._timed_out(cmd, limit)
        if isinstance(exc, AuthFailure):
            self._sudo_password = None
            return SudoPasswordNeeded(f"sudo on {self.host} refused the password.")
        if isinstance(exc, RemoteError):
            return exc
        lost = self._lost(exc, cmd)
        if lost is not None:
            return lost
        reason = str(exc) or type(exc).__name__
        if password:  # nothing is known to echo it, but a sentence must never carry it
            reason = reason.replace(password, "***")
        return RemoteError(f"`{short_command(cmd)}` could not be run on {self.host}: {reason}.")

    def _timed_out(self, cmd: str, limit: float) -> RemoteError:
        return RemoteError(f"`{short_command(cmd)}` on {self.host} did not finish "
                           f"within {limit:g} s.")

    def _sudo_password_for(self, ctx: Any, limit: float) -> str | None:
        """None when sudo works without a password; otherwise the password, asked for once."""
        if self._sudo_password is not None:
            return self._sudo_password
        if self._sudo_asks_password is None:
            try:
                probe = ctx.run("sudo -n true", hide=True, warn=True, in_stream=False,
                                timeout=limit)
            except Exception as exc:
                raise self._run_error(exc, "sudo -n true", limit) from None
            if probe.exited == 0:
                self._sudo_asks_password = False
            elif any(text in probe.stderr for text in _PASSWORD_REQUIRED):
                self._sudo_asks_password = True
            elif probe.exited == 127:
                raise RemoteError(f"sudo is not installed on {self.host}; install it, or set "
                                  f"sudo = false for this server if it needs none.")
            else:
                reason = last_line(probe.stderr) or f"exit {probe.exited}"
                raise RemoteError(f"sudo does not work on {self.host}: {reason}.")
        if not self._sudo_asks_password:
            return None
        password = self._prompter.sudo_password(self.host) if self._prompter else None
        if not password:
            raise SudoPasswordNeeded(f"sudo on {self.host} needs a password and none was given.")
        problem = secret_problem(password, "sudo password")
        if problem:
            raise SudoPasswordNeeded(problem)
        self._sudo_password = password
        return password

    def close(self) -> None:
        """Forget the sudo password; subclasses also close their connection."""
        self._forget_sudo()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalRunner(_InvokeRunner):
    """Runs commands on this machine with invoke; put and get are file copies."""

    def __init__(self, prompter: Prompter | None = None, *,
                 command_timeout: float = 900.0) -> None:
        super().__init__(prompter, command_timeout)
        self.name = "local"
        self.host = "localhost"
        self._ctx: Any = None

    def _context(self) -> Any:
        if self._ctx is None:
            from invoke import Config, Context
            from invoke.runners import Local

            overrides = {"runners": {"local": decoding_runner(Local)}}
            self._ctx = Context(config=Config(lazy=True, overrides=overrides))
        return self._ctx

    def _sudo_enabled(self) -> bool:
        return os.geteuid() != 0  # root needs no sudo here

    def put(self, local: Path | BinaryIO, remote: str) -> None:
        """Copy `local` to the path `remote` on this machine."""
        copy_file(local, Path(remote), f"{label(local)} to {remote}")

    def get(self, remote: str, local: Path | BinaryIO) -> None:
        """Copy the path `remote` on this machine into `local`."""
        copy_file(Path(remote), local, f"{remote} to {label(local)}")


class SshRunner(_InvokeRunner):
    """Runs commands on a server over SSH with Fabric, with strictly checked host keys."""

    def __init__(self, server_name: str, settings: ServerSettings,
                 prompter: Prompter | None = None) -> None:
        super().__init__(prompter, settings.command_timeout)
        self.name = server_name
        self.settings = settings
        self.host = f"{settings.host}:{settings.port}"
        self._conn: Any = None

    def _sudo_enabled(self) -> bool:
        return self.settings.sudo

    def _context(self) -> Any:
        if self._conn is not None and self._conn.is_connected:
            return self._conn
        if self._conn is not None:  # dropped since the last call: start afresh
            self.close()
        self._conn = self._open()
        return self._conn

    def _open(self) -> Any:
        """Connect, asking the prompter once about an unknown host key."""
        s = self.settings
        known_hosts = s.known_hosts.expanduser()
        for attempt in (1, 2):
            conn = self._connection(known_hosts)
            started = time.monotonic()
            try:
                conn.open()
                return conn
            except Exception as exc:
                conn.client.close()  # Fabric only closes what it finished opening
                err = connect_error(exc, self.name, s, known_hosts, time.monotonic() - started)
                if (isinstance(err, HostKeyUnknownError) and attempt == 1
                        and self._prompter is not None and self._prompter.confirm_host_key(err)):
                    accept_host_key(known_hosts, s.host, s.port, err.key_type, err.key_base64)
                    continue
                raise err from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self, known_hosts: Path) -> Any:
        from fabric import Config, Connection
        from fabric.runners import Remote
        from paramiko.config import SSHConfig

        s = self.settings
        connect_kwargs: dict[str, Any] = {"banner_timeout": s.connect_timeout,
                                          "auth_timeout": s.connect_timeout}
        if s.key is not None:
            key = s.key.expanduser()
            if not key.is_file():
                raise RemoteError(f"The SSH key {key} for {self.name} does not exist.")
            connect_kwargs.update(key_filename=str(key), look_for_keys=False, allow_agent=False)
        # lazy + an empty SSHConfig: only this server's settings count, no ssh_config or
        # Fabric config files (a ProxyJump there would connect with Fabric's lax policy).
        config = Config(lazy=True, ssh_config=SSHConfig(),
                        overrides={"runners": {"remote": decoding_runner(Remote)}})
        conn = Connection(s.host, user=s.user, port=s.port, config=config,
                          connect_timeout=s.connect_timeout, connect_kwargs=connect_kwargs)
        conn.client.set_missing_host_key_policy(strict_policy())
        if known_hosts.is_file():
            try:
                conn.client.load_host_keys(str(known_hosts))
            except OSError as exc:
                raise RemoteError(f"{known_hosts} cannot be read: {exc.strerror}.") from None
            except Exception as exc:  # paramiko's InvalidHostKey names the bad line
                line = getattr(exc, "line", "")
                raise RemoteError(f"{known_hosts} has a line that is not a valid host key "
                                  f"({line[:40]!r}); fix or remove it.") from None
        return conn

    def _lost(self, exc: BaseException | None, cmd: str) -> RemoteError | None:
        if exc is not None:
            from invoke.exceptions import ThreadException
            from paramiko import SSHException

            if not isinstance(exc, OSError | EOFError | SSHException | ThreadException):
                return None
        elif self._conn is not None and self._conn.is_connected:
            return None
        self.close()
        return RemoteError(f"The connection to {self.host} dropped while running "
                           f"`{short_command(cmd)}`.")

    def put(self, local: Path | BinaryIO, remote: str) -> None:
        """Upload a local file (or a whole binary stream) to `remote` over SFTP."""
        conn = self._context()
        source = str(local) if isinstance(local, Path) else local
        try:
            conn.put(source, remote)
        except Exception as exc:
            raise transfer_error(exc, f"{label(local)} to {self.host}:{remote}") from None

    def get(self, remote: str, local: Path | BinaryIO) -> None:
        """Download `remote` over SFTP into a local file or binary stream."""
        conn = self._context()
        target = str(local) if isinstance(local, Path) else local
        try:
            conn.get(remote, target)
        except Exception as exc:
            raise transfer_error(exc, f"{self.host}:{remote} to {label(local)}") from None

    def close(self) -> None:
        """Close the SSH connection and forget the sudo password."""
        super().close()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except Exception:  # closing a dead connection must not hide the real error
                conn.client.close()


def runner_for(settings: Settings, server: str, prompter: Prompter | None = None) -> Runner:
    """The runner for a configured server name, or for "local" (this machine)."""
    if server == "local":
        return LocalRunner(prompter)
    if server in settings.servers:
        return SshRunner(server, settings.servers[server], prompter)
    known = ", ".join(sorted(settings.servers)) or "none"
    raise RemoteError(f"There is no server named '{server}'; the configured servers are: "
                      f"{known} (or 'local' for this machine).")
