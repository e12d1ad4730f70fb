"""A private OpenSSH server on loopback, for the sandbox and the tests.

A port of the shared `sshd_start.sh` recipe: its own host key, a client key, one
authorized_keys file per user and a known_hosts line, all in one work directory, so
the system's sshd configuration is never touched. The server runs in the foreground
(`-D`) so that its pid is the real server's, and is stopped by that pid.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from primetui.errors import MissingToolError, PrimeError
from primetui.sandbox.tools import find_binary, free_port, missing_message, stop_pid, wait_for_port

_HOST = "127.0.0.1"
_PRIVSEP_DIR = Path("/run/sshd")


@dataclass(frozen=True)
class SshdService:
    """A running private sshd: where it listens and the files a client needs to reach it."""

    port: int
    client_key: Path
    known_hosts: Path
    host_key_pub: Path
    pid: int
    workdir: Path
    host: str = _HOST
    users: tuple[str, ...] = ()
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    def authorize(self, user: str) -> None:
        """Let `user` log in with the client key (sshd reads the file at each login)."""
        _write_authorized_keys(self.workdir, self.client_key, user)

    def stop(self) -> None:
        """Stop the server by its pid; calling it again does nothing."""
        if self._process is not None and self._process.poll() is not None:
            return
        stop_pid(self.pid)
        # Connections still being served (a port probe, a session) are forked children in
        # sshd's own process group; they would outlive the server by LoginGraceTime.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if self._process is not None:
            self._process.poll()


def start_sshd(workdir: Path, *, users: list[str] | None = None,
               port: int | None = None, environment: dict[str, str] | None = None) -> SshdService:
    """Start a private sshd on 127.0.0.1 (a free port unless given) serving `users`;
    `environment` is set in every session (sshd's SetEnv, which wins over its own PATH)."""
    sshd = find_binary("sshd")
    keygen = find_binary("ssh-keygen")
    if sshd is None or keygen is None:
        raise MissingToolError(missing_message("sshd"))
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    # sshd reads authorized_keys as the target user, so the directory must be traversable.
    workdir.chmod(0o755)
    try:
        _PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    except PermissionError:
        pass  # not root: sshd says what is missing when it starts
    host_key = workdir / "ssh_host_ed25519_key"
    client_key = workdir / "client_ed25519"
    _keygen(keygen, host_key, "primetui-sandbox-host")
    _keygen(keygen, client_key, "primetui-sandbox-client")
    names = tuple(users) if users else (getpass.getuser(),)
    for user in names:
        _write_authorized_keys(workdir, client_key, user)
    attempts = 1 if port is not None else 3
    for attempt in range(attempts):
        chosen = port if port is not None else free_port()
        process = _launch(sshd, workdir, host_key, chosen, environment or {})
        if wait_for_port(chosen, timeout=10.0) and process.poll() is None:
            break
        stop_pid(process.pid)
        process.poll()
        if attempt == attempts - 1:
            raise PrimeError(f"sshd did not start on {_HOST}:{chosen}: {_last_log_line(workdir)}.")
    known_hosts = workdir / "known_hosts"
    try:
        key_type, key_b64 = (host_key.with_suffix(".pub")).read_text().split()[:2]
        known_hosts.write_text(f"[{_HOST}]:{chosen} {key_type} {key_b64}\n")
        known_hosts.chmod(0o644)
    except BaseException:
        # the sandbox was stopped (its folder removed) while sshd started: leave nothing behind
        stop_pid(process.pid)
        raise
    return SshdService(port=chosen, client_key=client_key, known_hosts=known_hosts,
                       host_key_pub=host_key.with_suffix(".pub"), pid=process.pid,
                       workdir=workdir, users=names, _process=process)


def _keygen(keygen: str, path: Path, comment: str) -> None:
    """Make an ed25519 key pair without a passphrase, unless it is already there."""
    if path.exists():
        return
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True)


def _write_authorized_keys(workdir: Path, client_key: Path, user: str) -> None:
    target = workdir / f"authorized_keys.{user}"
    shutil.copyfile(client_key.with_suffix(".pub"), target)
    target.chmod(0o644)


def _launch(sshd: str, workdir: Path, host_key: Path, port: int,
            environment: dict[str, str]) -> subprocess.Popen[bytes]:
    """Write the config for `port`, check it with `sshd -t`, and start sshd in the foreground."""
    config = workdir / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        f"ListenAddress {_HOST}\n"
        f"HostKey {host_key}\n"
        f"PidFile {workdir / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {workdir}/authorized_keys.%u\n"
        # Keys kept under world-writable /tmp would be rejected by StrictModes.
        "StrictModes no\n"
        "PermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\n"
        "UsePAM no\n"
        "Subsystem sftp internal-sftp\n"
        "LogLevel VERBOSE\n"
        + "".join(f"SetEnv {key}={value}\n" for key, value in environment.items())
    )
    check = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
    if check.returncode != 0:
        reason = (check.stderr.strip().splitlines() or ["invalid configuration"])[-1]
        raise PrimeError(f"sshd refused its sandbox configuration: {reason}.")
    log = workdir / "sshd.log"
    return subprocess.Popen([sshd, "-D", "-f", str(config), "-E", str(log)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _last_log_line(workdir: Path) -> str:
    try:
        lines = (workdir / "sshd.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        lines = []
    return lines[-1] if lines else "no log output"


__all__ = ["SshdService", "start_sshd"]
