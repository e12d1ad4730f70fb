"""The runners' plumbing: line streaming, UTF-8 decoding, strict host keys, error sentences.

Kept apart from `remote.py` so that the runners read as what they do; nothing here is
meant to be used outside the runners except `accept_host_key`. paramiko, Fabric and
invoke are imported inside functions, never at import time.
"""

from __future__ import annotations

import base64
import codecs
import errno
import hashlib
import os
import shlex
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from primetui.errors import HostKeyChangedError, HostKeyUnknownError, RemoteError

# invoke's default sudo prompt (`sudo -S -p PROMPT`): it lands in stderr, so it is removed.
SUDO_PROMPT = "[sudo] password: "


def short_command(cmd: str, limit: int = 60) -> str:
    """A command shortened to one line for a sentence."""
    one = " ".join(cmd.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def last_line(text: str) -> str:
    """The last non-blank line of some output."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


class _LineWriter:
    """A file-like sink for one of invoke's output streams that splits it into lines."""

    def __init__(self, streams: LineStreams) -> None:
        self._streams = streams
        self._partial = ""

    def write(self, text: str) -> int:
        self._partial += text
        *lines, self._partial = self._partial.split("\n")
        for line in lines:
            self._streams.deliver(line)
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered beyond the unfinished line."""

    def finish(self) -> None:
        if self._partial:
            self._streams.deliver(self._partial)
            self._partial = ""


class LineStreams:
    """Hands each complete output line to `on_line`, one at a time, from both output threads."""

    def __init__(self, on_line: Callable[[str], None] | None) -> None:
        self._on_line = on_line
        self._lock = threading.Lock()
        self._error: Exception | None = None
        self._writers = [] if on_line is None else [_LineWriter(self), _LineWriter(self)]

    def kwargs(self) -> dict[str, Any]:
        """invoke's out_stream/err_stream arguments (none when nobody listens)."""
        if not self._writers:
            return {}
        return {"out_stream": self._writers[0], "err_stream": self._writers[1]}

    def deliver(self, line: str) -> None:
        if self._on_line is None:
            return
        line = line.removesuffix("\r").replace(SUDO_PROMPT, "")
        with self._lock:
            if self._error is not None:
                return
            try:
                self._on_line(line)
            except Exception as exc:  # raised again in the caller's thread after the run
                self._error = exc

    def finish(self) -> None:
        """Deliver what is left of unfinished last lines."""
        for writer in self._writers:
            writer.finish()

    def raise_handler_error(self) -> None:
        """Raise what `on_line` raised, now that the command is over."""
        if self._error is not None:
            raise self._error


_DECODING: dict[type, type] = {}


def decoding_runner(base: type) -> type:
    """`base` (an invoke runner class) decoding output as UTF-8 incrementally.

    invoke decodes each 1000-byte read on its own, which garbles a character split between
    two reads; here undecodable bytes become U+FFFD and nothing else is touched.
    """
    cls = _DECODING.get(base)
    if cls is None:
        def read_proc_output(self: Any, reader: Callable[[int], bytes]) -> Iterator[str]:
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            while data := reader(self.read_chunk_size):
                if text := decoder.decode(data):
                    yield text
            if tail := decoder.decode(b"", final=True):
                yield tail

        cls = type(f"Utf8{base.__name__}", (base,), {"read_proc_output": read_proc_output})
        _DECODING[base] = cls
    return cls


class _UnknownHostKey(Exception):
    """Raised by the strict policy with the key the server presented."""

    def __init__(self, key: Any) -> None:
        super().__init__("host key not in known_hosts")
        self.key = key


def strict_policy() -> Any:
    """paramiko's RejectPolicy, keeping the rejected key so the user can be shown it."""
    import logging

    import paramiko

    # paramiko logs handshake failures with tracebacks; without a handler of its own,
    # Python's last-resort handler would print them over the terminal application.
    logger = logging.getLogger("paramiko")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())

    class RejectAndRemember(paramiko.RejectPolicy):
        def missing_host_key(self, _client: Any, _hostname: str, key: Any) -> None:
            raise _UnknownHostKey(key)

    return RejectAndRemember()


def fingerprint(key: Any) -> str:
    """OpenSSH's SHA256 fingerprint of a paramiko key: `SHA256:` + unpadded base64."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(host: str, port: int) -> str:
    """How known_hosts names a host: plain on port 22, `[host]:port` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


def accept_host_key(known_hosts: Path, host: str, port: int, key_type: str,
                    key_base64: str) -> None:
    """Append one known_hosts line (creating the file 0600 and its directory 0700)."""
    for part in (host, key_type, key_base64):
        if not part or any(ch.isspace() or ch == "\0" for ch in part):
            raise RemoteError(f"Refusing to save a malformed host key for {host}:{port}.")
    known_hosts = Path(known_hosts).expanduser()
    line = f"{known_hosts_name(host, port)} {key_type} {key_base64}\n"
    try:
        if not known_hosts.parent.is_dir():
            known_hosts.parent.mkdir(mode=0o700, parents=True)
        fd = os.open(known_hosts, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "r+b") as f:
            size = f.seek(0, os.SEEK_END)
            if size and os.pread(f.fileno(), 1, size - 1) != b"\n":
                line = "\n" + line
            f.write(line.encode())
    except OSError as exc:
        raise RemoteError(f"Cannot save the host key to {known_hosts}: "
                          f"{(exc.strerror or str(exc)).lower()}.") from None


def host_key_facts(host: str, port: int, key: Any,
                   known_hosts: Path | None = None) -> HostKeyUnknownError:
    """The unknown-host error for a key the server presented, with its fingerprint and the
    command that trusts exactly this key (for the command line, where nothing is asked)."""
    fp = fingerprint(key)
    how, command = "accept it to connect", ""
    if known_hosts is not None:
        line = f"{known_hosts_name(host, port)} {key.get_name()} {key.get_base64()}"
        command = f"echo '{line}' >> {shlex.quote(str(known_hosts))}"
        how = f"if the server's administrator confirms that fingerprint, trust it with: {command}"
    return HostKeyUnknownError(
        f"The host key of {host}:{port} is not known ({key.get_name()} {fp}); {how}.",
        host=host, port=port, key_type=key.get_name(), fingerprint=fp,
        key_base64=key.get_base64(), trust_command=command)


def hop_error(exc: BaseException, hop: Any, name: str, elapsed: float = 0.0) -> RemoteError:
    """The same sentence for one hop of a chain (a `ResolvedHost`: a bastion or the server)."""
    key = hop.identity_files[0] if hop.identity_files else None
    return _connect_sentence(exc, name, hop.hostname, hop.port, hop.user, key,
                             hop.known_hosts[0], hop.connect_timeout, elapsed)


def _connect_sentence(exc: BaseException, name: str, host: str, port: int, user: str,
                      key: Path | None, known_hosts: Path, connect_timeout: float,
                      elapsed: float) -> RemoteError:
    """paramiko reports a silent server in several ways ("timed out", "No existing session",
    a banner error), so `elapsed` reaching the connect timeout is what says it timed out.
    """
    import paramiko
    from paramiko.ssh_exception import NoValidConnectionsError

    where = f"{host}:{port}"
    if isinstance(exc, RemoteError):
        return exc
    if isinstance(exc, _UnknownHostKey):
        return host_key_facts(host, port, exc.key, known_hosts)
    if isinstance(exc, paramiko.BadHostKeyException):
        return HostKeyChangedError(
            f"The host key of {where} has CHANGED (it now presents {fingerprint(exc.key)}), so "
            f"the connection was refused; remove the old line from {known_hosts} if the change "
            f"is expected.")
    if isinstance(exc, paramiko.PasswordRequiredException):
        return RemoteError(f"The SSH key {key} is protected by a passphrase and nothing can ask "
                           f"for it here; load it into ssh-agent (ssh-add {key}).")
    if isinstance(exc, paramiko.AuthenticationException):
        keys = f"the key {key}" if key else "every SSH key offered (agent and ~/.ssh)"
        return RemoteError(f"{user}@{where} refused {keys}: authentication failed.")
    if isinstance(exc, paramiko.ChannelException):
        return RemoteError(f"Cannot reach {where}: the bastion could not open a connection to "
                           f"it ({exc.text or 'refused'}).")
    if isinstance(exc, NoValidConnectionsError):
        codes = {getattr(e, "errno", None) for e in exc.errors.values()}
        reason = "connection refused" if errno.ECONNREFUSED in codes else "host unreachable"
        return RemoteError(f"Cannot reach {where}: {reason}.")
    if isinstance(exc, socket.gaierror):
        return RemoteError(f"Cannot reach {where}: the name {host} does not resolve.")
    if isinstance(exc, TimeoutError) or elapsed >= connect_timeout * 0.95:
        return RemoteError(f"Cannot reach {where}: no SSH answer within {connect_timeout:g} s.")
    if "banner" in str(exc).lower():
        return RemoteError(f"Cannot reach {where}: the server closed the connection before "
                           f"speaking SSH.")
    if isinstance(exc, OSError):
        reason = (exc.strerror or str(exc) or "connection failed").lower()
        return RemoteError(f"Cannot reach {where}: {reason}.")
    if isinstance(exc, EOFError):
        return RemoteError(f"Cannot reach {where}: the server closed the connection.")
    return RemoteError(f"SSH to {where} failed: {exc or type(exc).__name__}.")


def transfer_error(exc: BaseException, what: str) -> RemoteError:
    """One sentence for a failed copy (`what` is "SOURCE to TARGET")."""
    if isinstance(exc, RemoteError):
        return exc
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return RemoteError(f"Cannot copy {what}: {reason[0].lower() + reason[1:]}.")


def label(local: Path | BinaryIO) -> str:
    """How a copy's local side is named in a sentence."""
    return str(local) if isinstance(local, Path) else "the data"


def copy_file(src: Path | BinaryIO, dst: Path | BinaryIO, what: str) -> None:
    """Copy between paths and binary streams; a stream source is copied from its start."""
    try:
        if isinstance(src, Path) and isinstance(dst, Path):
            shutil.copyfile(src, dst)
        elif isinstance(src, Path):
            with src.open("rb") as f:
                shutil.copyfileobj(f, dst)  # type: ignore[arg-type]
        else:
            position = src.tell()
            src.seek(0)
            try:
                if isinstance(dst, Path):
                    with dst.open("wb") as f:
                        shutil.copyfileobj(src, f)
                else:
                    shutil.copyfileobj(src, dst)
            finally:
                src.seek(position)
    except OSError as exc:
        raise transfer_error(exc, what) from None
