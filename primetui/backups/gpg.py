"""Symmetric gpg, streamed: no plaintext or ciphertext held in memory.

AES256, no second compression (the stream is already gzip), a strong S2K (iterated and
salted SHA512, the largest count) and no passphrase caching. The passphrase goes to gpg on
its stdin (a loopback pinentry) as UTF-8, never in argv or the environment. gpg's output is
handed chunk by chunk to a sink, so the caller decides where bytes go: an 0600 temporary
file for ciphertext, a pipe into the tar reader for plaintext. Decryption goes through
python-gnupg, whose status lines tell a wrong passphrase from a damaged file; encryption
is the one gpg `encryption.py` starts, early when it can.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from primetui.backups.common import (
    BackupError,
    DamagedBackupError,
    WrongPassphraseError,
    check_passphrase,
)
from primetui.backups.derived_key import PACKET_BYTES, KeyDerivation
from primetui.backups.encryption import (
    CHUNK,
    S2K_COUNT,
    Encryption,
    Settings,
    gpg_home,
    take_started,
)
from primetui.errors import MissingToolError
from primetui.secrets import ENCODING, forbid_core_dumps


class SinkFailed(Exception):
    """The sink raised; kept until gpg is done, then reported."""


class DerivedKeyRefused(Exception):
    """gpg did not decrypt with the key derived here: verify with the passphrase instead."""


class _Sink:
    """Wraps a chunk sink so that its failure stops deliveries but never blocks gpg.

    An interruption (ctrl+c, or SIGTERM raised as one) is not a failure of the sink: it
    passes through, so that the run ends as cancelled rather than as a failed write.
    """

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self._sink = sink
        self.error: BaseException | None = None
        self.bytes = 0

    def __call__(self, chunk: bytes) -> bool:
        if self.error is None:
            try:
                self._sink(chunk)
                self.bytes += len(chunk)
            except Exception as err:  # noqa: BLE001 - re-raised in the caller's thread
                self.error = err
        return False  # never let python-gnupg keep the data in memory


_HANDLES: dict[tuple[str, str | None], Any] = {}
_HANDLES_LOCK = threading.Lock()


def _handle(binary: str, home: str | None) -> Any:
    """python-gnupg's handle for a gpg binary and home, made once per process.

    Making one imports python-gnupg and runs `gpg --list-config` to learn gpg's version.
    """
    with _HANDLES_LOCK:
        made = _HANDLES.get((binary, home))
        if made is None:
            import gnupg

            try:
                made = gnupg.GPG(gpgbinary=binary, gnupghome=home)
            except (OSError, ValueError):
                raise MissingToolError("gpg is not installed or does not run; install the "
                                       "'gnupg' package (apt-get install gnupg).") from None
            made.buffer_size = CHUNK
            _HANDLES[(binary, home)] = made
        return made


def prepare_gpg(binary: str = "gpg", home: Path | None = None) -> None:
    """Make gpg's handle on a thread of its own, so it is ready when a backup needs it.

    A command that will encrypt or decrypt calls this first: python-gnupg's start-up (its
    import and `gpg --list-config`) then runs while the rest of primetui loads. A failure
    is left to the call that needs the handle, which reports it.
    """
    def make() -> None:
        try:
            _handle(binary, str(home) if home else None)
        except Exception:  # noqa: BLE001 - said by the call that needs the handle
            pass

    threading.Thread(target=make, name="gpg-start", daemon=True).start()


class GpgCipher:
    """Encrypts and decrypts backup streams with gpg (one gpg process per call)."""

    def __init__(self, gnupghome: Path | None = None, *, binary: str = "gpg",
                 s2k_count: int = S2K_COUNT) -> None:
        self.gnupghome = gnupghome
        self.binary = binary
        self.s2k_count = s2k_count

    @property
    def settings(self) -> Settings:
        """What decides how gpg encrypts: its binary, its home and the S2K count."""
        return self.binary, self.gnupghome, self.s2k_count

    def _gpg(self) -> Any:
        """A python-gnupg handle of its own for one call.

        The handle is made once per binary and home (see `_handle`) and each call gets a
        copy (its own `on_data`), so a backup's encrypt and verify start one gpg process
        each, not two.
        """
        forbid_core_dumps()  # a passphrase is in this process: a core file must not show it
        gpg = copy.copy(_handle(self.binary, gpg_home(self.gnupghome)))
        gpg.on_data = None
        return gpg

    def encrypt(self, source: BinaryIO, sink: Callable[[bytes], None], passphrase: str) -> int:
        """Encrypt everything `source` yields; ciphertext goes to `sink`. Returns its size.

        The gpg `start_encryption` started on the same passphrase and settings is used when
        there is one (it has then derived its key already); otherwise gpg starts now.
        """
        check_passphrase(passphrase)
        encryption = (take_started(self.settings, passphrase)
                      or Encryption(self.settings, passphrase))
        out = _Sink(sink)
        code, messages = encryption.finish(source, out)
        if out.error is not None:
            raise SinkFailed() from out.error
        if code != 0:
            raise BackupError(f"gpg could not encrypt the backup: {_reason(messages)}.")
        return out.bytes

    def decrypt(self, source: Path | BinaryIO, sink: Callable[[bytes], None], passphrase: str,
                *, label: str = "the backup", derived: KeyDerivation | None = None) -> None:
        """Decrypt `source` into `sink`; a wrong passphrase or a damaged file raises.

        gpg writes plaintext before it notices tampering (the integrity check comes last),
        so the caller must treat everything `sink` got as garbage when this raises.
        With `derived` (the key derived here from the same passphrase and the file's first
        packet, see `derived_key`) gpg is given that key and does not derive it itself;
        when the file's key packet is not the one it was derived from, or gpg refuses the
        key, DerivedKeyRefused is raised and the caller decrypts again with the
        passphrase, for gpg's own verdict.
        """
        check_passphrase(passphrase)
        gpg = self._gpg()
        out = _Sink(sink)
        gpg.on_data = out
        if derived is not None and isinstance(source, Path):
            result = _decrypt_with_key(gpg, source, derived)
            if not result.ok or result.returncode != 0:
                raise DerivedKeyRefused()
        else:
            arg = str(source) if isinstance(source, Path) else source
            result = gpg.decrypt_file(arg, passphrase=_wire(passphrase),
                                      extra_args=["--no-symkey-cache"])
            if not result.ok or result.returncode != 0:
                raise _decrypt_error(result.stderr, label)
        if out.error is not None:
            raise SinkFailed() from out.error


class _KeyThenFile:
    """What gpg reads on its stdin: the derived key's line, then the file.

    python-gnupg's writer thread reads it, so gpg is started while the key is still being
    derived and the first read waits for it. No key (the derivation failed): nothing at
    all, and gpg, finding neither key nor data, fails.
    """

    def __init__(self, derivation: KeyDerivation, file: BinaryIO) -> None:
        self._derivation: KeyDerivation | None = derivation
        self._file = file

    def read(self, size: int = -1) -> bytes:
        if self._derivation is not None:
            key, self._derivation = self._derivation.key(), None
            if key is None:
                return b""
            return f"{key}\n".encode("ascii")
        return self._file.read(size)


def _decrypt_with_key(gpg: Any, source: Path, derivation: KeyDerivation) -> Any:
    """Decrypt `source` with a derived key: gpg reads it from stdin's first line.

    Refused (DerivedKeyRefused, no gpg run) when the file does not start with the packet
    the key is derived from: the file on disk, not the stream gpg wrote, is what is checked.
    """
    with open(source, "rb") as file:
        if derivation.packet is None or file.read(PACKET_BYTES) != derivation.packet.raw:
            raise DerivedKeyRefused()
        file.seek(0)
        try:
            return gpg.decrypt_file(_KeyThenFile(derivation, file),
                                    extra_args=["--override-session-key-fd", "0",
                                                "--no-symkey-cache"])
        except BrokenPipeError:  # gpg stopped reading: it refused the key before the end
            raise DerivedKeyRefused() from None


def _wire(passphrase: str) -> str:
    """The passphrase as python-gnupg must be given it so that gpg reads its UTF-8 bytes.

    python-gnupg writes the passphrase encoded with its `encoding` (Latin-1, which also
    decodes gpg's stderr whatever its bytes). Handing it the UTF-8 bytes spelt as Latin-1
    characters makes it write exactly those bytes: what `gpg -d` typed in a UTF-8 terminal
    sends, for every character (a Latin-1 encoder would mangle `ä` and refuse `€`).
    """
    return passphrase.encode(ENCODING).decode("latin-1")


def _reason(stderr: str) -> str:
    """gpg's last message: not a status line, and without its `gpg: ` (some have none)."""
    lines = [line.removeprefix("gpg: ").strip() for line in stderr.splitlines()
             if line.strip() and not line.startswith("[GNUPG:]")]
    return (lines[-1] if lines else "no reason given").rstrip(".")


def _decrypt_error(stderr: str, label: str) -> BackupError:
    """Why gpg could not decrypt, from its status lines (which do not depend on the locale)."""
    if "BAD_PASSPHRASE" in stderr or "Bad session key" in stderr:
        return WrongPassphraseError(f"The passphrase does not decrypt {label}.")
    if any(mark in stderr for mark in ("BEGIN_DECRYPTION", "BADMDC", "NEED_PASSPHRASE_SYM")):
        return DamagedBackupError(f"Refused {label}: it was changed or truncated after it was "
                                  f"written (gpg's integrity check failed).")
    if "NODATA" in stderr:
        return DamagedBackupError(f"Refused {label}: it is not a gpg-encrypted file.")
    return DamagedBackupError(f"Refused {label}: gpg cannot decrypt it ({_reason(stderr)}).")


def open_private(path: Path) -> int:
    """Create `path` exclusively with mode 0600 (whatever the umask) and return its fd."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)
    return fd
