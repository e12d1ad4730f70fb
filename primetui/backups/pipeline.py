"""Streams between tar and gpg: plaintext only ever in a pipe, ciphertext in an 0600 file.

`encrypt_to_temp` runs a producer (which writes a `.tar.gz` stream) on a thread, pipes it
into gpg, and writes gpg's output to a hidden 0600 temporary file that is fsynced.
`decrypt_and_read` pipes gpg's plaintext into `read_archive` on a thread. `publish`
links the verified temporary file to its final name, never replacing an existing file.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from primetui.backups.archive import ArchiveLimits
from primetui.backups.common import BackupError, remove_tree, temp_name
from primetui.backups.derived_key import KeyDerivation
from primetui.backups.encryption import CHUNK
from primetui.backups.gpg import DerivedKeyRefused, GpgCipher, SinkFailed, open_private
from primetui.backups.tar import Listing, read_archive
from primetui.errors import PrimeError


def write_error(err: BaseException, what: str) -> BackupError:
    """One sentence for a failed write: a full disk says so."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return BackupError(f"There is not enough space to write {what} (the disk or a size "
                           f"limit is full); nothing was kept.")
    if isinstance(err, PrimeError):
        return BackupError(str(err))
    reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return BackupError(f"Cannot write {what}: {reason[0].lower() + reason[1:]}.")


class _Producer(threading.Thread):
    """Runs `produce(pipe)` and remembers how it ended."""

    def __init__(self, produce: Callable[[BinaryIO], None], out: BinaryIO) -> None:
        super().__init__(name="backup-producer", daemon=True)
        self._produce = produce
        self._out = out
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._produce(self._out)
        except BaseException as err:  # noqa: BLE001 - reported by the caller
            self.error = err
        finally:
            try:
                self._out.close()
            except OSError as err:
                self.error = self.error or err


def encrypt_to_temp(cipher: GpgCipher, produce: Callable[[BinaryIO], None], final: Path,
                    passphrase: str, derivation: KeyDerivation | None = None) -> Path:
    """Encrypt what `produce` writes into a 0600 temporary file beside `final`; fsynced.

    On any failure the temporary file is removed and the producer's, the disk's or gpg's
    problem is raised as one sentence (PlanCancelled passes through). A `derivation` is
    shown the ciphertext's first bytes, so that the key is derived while the rest is written.
    """
    tmp = final.with_name(temp_name(final.name))
    lock = threading.Lock()
    closed = [False]
    fd = -1
    ok = False

    def sink(chunk: bytes) -> None:
        # gpg's reader thread may still deliver after an interruption (SIGTERM, ctrl+c) has
        # closed the file: never write to a descriptor number that may now be another file.
        with lock:
            if closed[0]:
                raise OSError(errno.EBADF, "the backup file was closed")
            if derivation is not None:
                derivation.feed(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]

    # One try from the moment the file may exist: an interruption anywhere removes it.
    try:
        try:
            fd = open_private(tmp)
        except OSError as err:
            raise write_error(err, f"the backup in {final.parent}") from None
        read_fd, write_fd = os.pipe()
        reader = os.fdopen(read_fd, "rb", buffering=CHUNK)
        producer = _Producer(produce, os.fdopen(write_fd, "wb", buffering=CHUNK))
        producer.start()
        try:
            cipher.encrypt(reader, sink, passphrase)
        except SinkFailed as failed:
            raise write_error(failed.__cause__ or failed, f"the backup {final.name}") from None
        finally:
            reader.close()  # a producer blocked on a dead gpg gets EPIPE and stops
            producer.join()
        if producer.error is not None:
            failure = producer.error
            if isinstance(failure, PrimeError):
                raise failure
            raise write_error(failure, f"the backup {final.name}") from None
        try:
            os.fsync(fd)
        except OSError as err:
            raise write_error(err, f"the backup {final.name}") from None
        ok = True
        return tmp
    finally:
        with lock:
            closed[0] = True
            if fd >= 0:
                os.close(fd)
        if not ok:
            tmp.unlink(missing_ok=True)


def decrypt_and_read(cipher: GpgCipher, source: Path, passphrase: str, *,
                     staging: Path | None = None, limits: ArchiveLimits | None = None,
                     label: str | None = None, include: list[str] | None = None,
                     derived: KeyDerivation | None = None) -> Listing:
    """Decrypt `source` and read (and, with `staging`, extract) the archive inside.

    gpg's verdict comes first: a wrong passphrase or a damaged file is reported as such
    even when the garbage it produced also failed to parse. With `derived` (the key derived
    here from the passphrase and the file's first packet, see `derived_key`) gpg does not
    derive the key itself; should gpg refuse that key, whatever was staged is removed and
    the file is read once more with the passphrase, and gpg's verdict on that is the answer.
    """
    if derived is not None and derived.packet is not None:
        try:
            return _decrypt_and_read(cipher, source, passphrase, staging, limits, label,
                                     include, derived)
        except DerivedKeyRefused:
            if staging is not None:  # what the refused attempt wrote goes first
                remove_tree(staging)
                staging.mkdir(mode=0o700)
    return _decrypt_and_read(cipher, source, passphrase, staging, limits, label, include, None)


def _decrypt_and_read(cipher: GpgCipher, source: Path, passphrase: str, staging: Path | None,
                      limits: ArchiveLimits | None, label: str | None,
                      include: list[str] | None,
                      derived: KeyDerivation | None) -> Listing:
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "rb", buffering=CHUNK)
    writer = os.fdopen(write_fd, "wb", buffering=CHUNK)
    box: dict[str, object] = {}

    def consume() -> None:
        try:
            box["listing"] = read_archive(reader, limits=limits, staging=staging,
                                          include=include)
        except BaseException as err:  # noqa: BLE001 - reported by the caller
            box["error"] = err
        finally:
            reader.close()

    thread = threading.Thread(target=consume, name="backup-reader", daemon=True)
    thread.start()

    def sink(chunk: bytes) -> None:
        if chunk:
            writer.write(chunk)
        else:
            writer.close()

    try:
        cipher.decrypt(source, sink, passphrase, label=label or f"the backup {source.name}",
                       derived=derived)
    except SinkFailed:
        pass  # the reader stopped early; its own error says why
    finally:
        try:
            writer.close()
        except OSError:
            pass
        thread.join()
    error = box.get("error")
    if isinstance(error, BaseException):
        if isinstance(error, OSError) and error.errno is not None:
            raise write_error(error, "the restored files") from None
        raise error
    listing = box.get("listing")
    assert isinstance(listing, Listing)
    return listing


def publish(tmp: Path, directory: Path, choose_name: Callable[[set[str]], str]) -> Path:
    """Give the verified temporary file its final name without ever replacing a file."""
    for _ in range(20):
        taken = set(os.listdir(directory))
        final = directory / choose_name(taken)
        try:
            os.link(tmp, final)
        except FileExistsError:
            continue
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise write_error(err, f"the backup {final.name}") from None
        tmp.unlink()
        fsync_dir(directory)
        return final
    tmp.unlink(missing_ok=True)
    raise BackupError(f"Could not find a free name for the backup in {directory}.")


def fsync_dir(directory: Path) -> None:
    """Make a rename or link in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
