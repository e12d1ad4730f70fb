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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, Self

from primetui.config import ServerSettings, Settings
from primetui.errors import (
    HostKeyUnknownError,
    RemoteError,
    SudoPasswordNeeded,
)
from primetui.remote.keys import Keyring
from primetui.remote.ssh_config import ResolvedHost, resolve_server
from primetui.remote.streams import (
    SUDO_PROMPT,
    LineStreams,
    accept_host_key,
    copy_file,
    decoding_runner,
    hop_error,
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

    # Optional: `key_passphrase(key: Path) -> str | None`, the passphrase of a key file
    # (None to give up); a prompter without it cannot unlock passphrase-protected keys.


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
        self._quiet = threading.local()  # set by run_quietly: this thread asks nothing

    def run_quietly(self, cmd: str, **kwargs: Any) -> CommandResult:
        """`run` without asking anything (a poll): an unknown host key or a sudo password
        not already given raises instead of opening a dialog."""
        self._quiet.on = True
        try:
            return self.run(cmd, **kwargs)
        finally:
            self._quiet.on = False

    def _asks(self) -> bool:
        return self._prompter is not None and not getattr(self._quiet, "on", False)

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
        password = self._prompter.sudo_password(self.host) if self._asks() else None  # type: ignore[union-attr]
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
    """Runs commands on a server over SSH with Fabric, with strictly checked host keys.

    The server is found the way `ssh` finds it (ssh_config aliases, HostName, User, Port,
    IdentityFile, ProxyJump bastions), primetui's own keys winning where set. The chain of
    connections (bastions, then the server) is opened once and reused by every command
    until `close`; each hop is checked strictly against its known_hosts. A connection found
    dropped before a command is opened again once, and the command's output says so.
    """

    def __init__(self, server_name: str, settings: ServerSettings,
                 prompter: Prompter | None = None, *, keyring: Keyring | None = None) -> None:
        super().__init__(prompter, settings.command_timeout)
        self.name = server_name
        self.settings = settings
        self.host = f"{settings.host}:{settings.port}"
        self.keyring = keyring or Keyring()
        self._conn: Any = None
        self._hops: list[Any] = []
        self._resolved: ResolvedHost | None = None
        self._lock = threading.RLock()
        self._notes: list[str] = []
        self.connections_opened = 0
        """How many times the chain was opened (1 for a whole session, 2 after a drop)."""

    @property
    def resolved(self) -> ResolvedHost:
        """Where and how this server is reached (ssh_config merged with primetui's keys)."""
        if self._resolved is None:
            self._resolved = resolve_server(self.name, self.settings)
            self.host = self._resolved.where
            self._notes.extend(self._resolved.notes)
        return self._resolved

    def _sudo_enabled(self) -> bool:
        return self.settings.sudo

    def run(self, cmd: str, *, sudo: bool = False, timeout: float | None = None,
            on_line: Callable[[str], None] | None = None, warn: bool = False) -> CommandResult:
        """Run `cmd` on the server; notes about the connection go to `on_line` first."""
        self._context(ask=self._asks())
        if on_line is not None:
            while self._notes:
                on_line(self._notes.pop(0))
        return super().run(cmd, sudo=sudo, timeout=timeout, on_line=on_line, warn=warn)

    def check(self, timeout: float | None = None) -> None:
        """Connect without asking anything (an unknown host key raises) and run `true`.

        For polls: the connection opened here is the one every later command reuses.
        """
        self._context(ask=False)
        self.run("true", timeout=timeout)

    def transport(self) -> Any:
        """The open connection's paramiko transport (connecting first, asking nothing), for
        streams that do not fit `run` (a backup's tar stream)."""
        return self._context(ask=False).transport

    @property
    def is_connected(self) -> bool:
        """Whether the connection is open now."""
        conn = self._conn
        return conn is not None and conn.is_connected and conn.transport.is_active()

    def _context(self, ask: bool = True) -> Any:
        with self._lock:
            if self.is_connected:
                return self._conn
            dropped = self._conn is not None
            if dropped:  # dropped since the last call: start afresh, once
                self._close_connection()
            self._conn = self._open(ask)
            if dropped:
                self._notes.append(f"The connection to {self.host} had dropped; it was "
                                   f"opened again.")
            return self._conn

    def _open(self, ask: bool = True) -> Any:
        """Open every hop in order, then the server; each hop's host key checked strictly."""
        resolved = self.resolved
        hops: list[Any] = []
        try:
            for hop in (*resolved.jumps, resolved):
                key = hop.identity_files[0] if hop.identity_files else None
                if hop is resolved and key is not None and not key.is_file() \
                        and resolved.sources.get("identity_files", "").startswith("servers."):
                    raise RemoteError(f"The SSH key {key} for {self.name} does not exist.")
                via = resolved.jumps[len(hops) - 1].where if hops else None
                hops.append(self._open_hop(hop, hops[-1] if hops else None, ask, via))
        except BaseException:
            for conn in reversed(hops):
                _quietly_close(conn)
            raise
        self._hops = hops
        self.connections_opened += 1
        return hops[-1]

    def _open_hop(self, hop: ResolvedHost, gateway: Any, ask: bool = True,
                  bastion: str | None = None) -> Any:
        """Connect to one hop (through `gateway`), asking once about an unknown host key."""
        via = f" (through the bastion {bastion})" if bastion else ""
        for attempt in (1, 2):
            conn = self._connection(hop, gateway)
            started = time.monotonic()
            try:
                conn.open()
                conn.transport.set_keepalive(max(1, int(hop.keepalive)))
                return conn
            except Exception as exc:
                conn.client.close()  # Fabric only closes what it finished opening
                err = hop_error(exc, hop, self.name, time.monotonic() - started)
                if (isinstance(err, HostKeyUnknownError) and attempt == 1 and ask
                        and self._asks() and self._prompter.confirm_host_key(err)):  # type: ignore[union-attr]
                    accept_host_key(hop.known_hosts[0], hop.hostname, hop.port, err.key_type,
                                    err.key_base64)
                    continue
                if via and type(err) is RemoteError and str(err).startswith("Cannot reach"):
                    err = RemoteError(f"{str(err).rstrip('.')}{via}.")
                raise err from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self, hop: ResolvedHost, gateway: Any) -> Any:
        from fabric import Config, Connection
        from fabric.runners import Remote
        from paramiko.config import SSHConfig

        connect_kwargs = self.keyring.auth_kwargs(hop, self._prompter if self._asks() else None)
        connect_kwargs.update(banner_timeout=hop.connect_timeout,
                              auth_timeout=hop.connect_timeout)
        # lazy + an empty SSHConfig: ssh_config was already read (strictly) by
        # resolve_server; Fabric's own reading would follow a ProxyJump with its lax policy.
        config = Config(lazy=True, ssh_config=SSHConfig(),
                        overrides={"runners": {"remote": decoding_runner(Remote)}})
        conn = Connection(hop.hostname, user=hop.user, port=hop.port, config=config,
                          connect_timeout=hop.connect_timeout, connect_kwargs=connect_kwargs,
                          gateway=gateway if gateway is not None else False)
        conn.client.set_missing_host_key_policy(strict_policy())
        for known_hosts in hop.known_hosts:
            if not known_hosts.is_file():
                continue
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
        self._close_connection()
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

    def _close_connection(self) -> None:
        with self._lock:
            hops, self._hops, self._conn = self._hops, [], None
            for conn in reversed(hops):
                _quietly_close(conn)

    def close(self) -> None:
        """Close the SSH connection (and its bastions) and forget the sudo password."""
        super().close()
        self._close_connection()


def _quietly_close(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # closing a dead connection must not hide the real error
        conn.client.close()


def runner_for(settings: Settings, server: str, prompter: Prompter | None = None, *,
               keyring: Keyring | None = None) -> Runner:
    """The runner for a configured server name, or for "local" (this machine)."""
    if server == "local":
        return LocalRunner(prompter)
    if server in settings.servers:
        return SshRunner(server, settings.servers[server], prompter, keyring=keyring)
    known = ", ".join(sorted(settings.servers)) or "none"
    raise RemoteError(f"There is no server named '{server}'; the configured servers are: "
                      f"{known} (or 'local' for this machine).")
