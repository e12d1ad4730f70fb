"""The tar side of backups: collect and archive local files, and read archives back safely.

Writing: `collect_local` walks what `include` names and refuses anything that is not a
regular file or a directory (a restore would refuse it later); `write_local_tar` streams a
PAX tar through `ParallelGzip` (gzip on every core, see backup_gzip.py).
Reading: `read_archive` takes a plaintext `.tar.gz` stream, checks every member with
`primetui.backups.archive`, hashes every file, and (when given a staging directory) extracts
with tarfile's `data` filter.
"""

from __future__ import annotations

import glob
import hashlib
import io
import os
import stat
import tarfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from isal import isal_zlib

from primetui.backups.archive import (
    MAX_DEPTH,
    ArchiveLimits,
    HostileArchiveError,
    Member,
    MemberChecker,
    include_verdict,
)
from primetui.backups.common import BackupError
from primetui.printable import is_printable, printable

_INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, isal_zlib.error)  # type: ignore[assignment]
"""What zlib's and ISA-L's inflate raise on damaged data (ISA-L's stubs do not say it)."""

CHUNK = 1 << 20
READ = 256 * 1024
"""How much is decompressed at a time when reading an archive: small, so memory stays flat
(256 KiB: at 64 KiB, Python's per-call overhead was a tenth of a verify's CPU time)."""


@dataclass(frozen=True)
class Listing:
    """What an archive holds: its checked members (files with a sha256), in archive order."""

    members: tuple[Member, ...]
    refused: tuple[Member, ...] = ()
    """Members left out because `backups.include` does not name them (restore only)."""

    @property
    def files(self) -> list[Member]:
        """The regular files."""
        return [m for m in self.members if not m.is_dir]

    @property
    def total_size(self) -> int:
        """The sum of the files' sizes."""
        return sum(m.size for m in self.members)


def expand_include(source: Path, include: Iterable[str]) -> list[str]:
    """The top-level names under `source` that `include` names (globs allowed), sorted."""
    found: set[str] = set()
    for pattern in include:
        pattern = pattern.strip().rstrip("/")
        if not pattern or pattern.startswith("/") or ".." in pattern.split("/"):
            raise BackupError(f"The include pattern '{pattern}' must be a relative path inside "
                              f"the project.")
        for match in glob.glob(pattern, root_dir=source, include_hidden=True):
            found.add(match)
    return sorted(found)


def collect_local(source: Path, include: Iterable[str]) -> list[str]:
    """Every path to archive (directories before their contents), refusing special files."""
    if not source.is_dir():
        raise BackupError(f"The backup source {source} is not a directory.")
    tops = expand_include(source, include)
    if not tops:
        raise BackupError(f"Nothing to back up in {source}: no file matches "
                          f"{', '.join(include)}.")
    paths: list[str] = []
    # A stack, not recursion: a tree thousands of directories deep is walked like any other.
    pending = list(reversed(tops))
    while pending:
        rel = pending.pop()
        full = source / rel
        if rel.count("/") >= MAX_DEPTH:
            raise BackupError(f"{source / rel.split('/')[0]} is nested deeper than {MAX_DEPTH} "
                              f"directories, more than a backup holds; leave it out of include.")
        if not is_printable(rel):
            raise BackupError(f"{printable(str(full))} has a name with control characters or "
                              f"bytes that are not UTF-8; rename it or leave it out of include.")
        try:
            st = os.lstat(full)
            children = sorted(os.listdir(full)) if stat.S_ISDIR(st.st_mode) else []
        except OSError as err:
            raise BackupError(f"Cannot read {printable(str(full))[:300]}: "
                              f"{(err.strerror or str(err)).lower()}.") from None
        if stat.S_ISDIR(st.st_mode):
            paths.append(rel)
            pending.extend(f"{rel}/{child}" for child in reversed(children))
        elif stat.S_ISREG(st.st_mode):
            paths.append(rel)
        else:
            what = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "a special file"
            raise BackupError(f"{printable(str(full))} is {what}; backups hold regular files "
                              f"and directories only, so replace it with a copy or leave it "
                              f"out of include.")
    return paths


def write_local_tar(source: Path, paths: list[str], out: BinaryIO,
                    on_path: Callable[[str], None] = lambda p: None) -> None:
    """Write `paths` (from `collect_local`) as a PAX tar stream to `out`."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT, bufsize=CHUNK) as tar:
        for rel in paths:
            on_path(rel)
            full = source / rel
            try:
                if stat.S_ISDIR(os.lstat(full).st_mode):
                    tar.addfile(tar.gettarinfo(str(full), arcname=rel))
                    continue
                fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except OSError as err:
                raise BackupError(f"Cannot read {full}: {(err.strerror or str(err)).lower()}.") \
                    from None
            with os.fdopen(fd, "rb") as f:
                info = tar.gettarinfo(arcname=rel, fileobj=f)
                if not info.isreg():  # replaced by something else since it was collected
                    raise BackupError(f"{full} changed into a special file while it was "
                                      f"being backed up.")
                tar.addfile(info, f)


def read_archive(stream: BinaryIO, *, limits: ArchiveLimits | None = None,
                 staging: Path | None = None,
                 include: Iterable[str] | None = None) -> Listing:
    """Check and hash every member of a `.tar.gz` stream; extract into `staging` if given.

    With `include` (a restore), members it does not name are still checked but never
    extracted, and come back in `Listing.refused`; directories on the way to a pattern are
    neither restored nor refused.

    The stream is read to its end even after the tar's end marker, so the decrypting side
    never blocks. Refusals are `HostileArchiveError`; an unreadable stream is `BackupError`.
    """
    limits = limits or ArchiveLimits()
    checker = MemberChecker(limits)
    members: list[Member] = []
    refused: list[Member] = []
    patterns = list(include) if include is not None else None
    gunzip = BoundedGunzip(stream, limits)
    try:
        with tarfile.open(fileobj=gunzip, mode="r|", bufsize=READ) as tar:
            for info in tar:
                member = checker.check(info)
                if member is None:
                    continue
                if patterns is not None:
                    verdict = include_verdict(member.name, patterns)
                    if verdict == "container":
                        continue
                    if verdict == "refuse":
                        refused.append(member)
                        continue
                if member.is_dir:
                    if staging is not None:
                        tar.extract(info, staging, set_attrs=False, filter="data")
                    members.append(member)
                    continue
                if staging is not None:
                    tar.extract(info, staging, filter="data")
                    digest = _hash_file(staging / member.name)
                else:
                    digest = _hash_stream(tar.extractfile(info), member.size)
                members.append(Member(member.name, False, member.size, member.mode,
                                      member.mtime, digest))
    except HostileArchiveError:
        raise
    except tarfile.FilterError as err:  # the data filter's own refusal: one more safety net
        raise HostileArchiveError(f"The archive was refused: {err}; nothing was written.") \
            from None
    except (tarfile.TarError, EOFError, OSError, ValueError) + _INFLATE_ERRORS as err:
        if isinstance(err, OSError) and err.errno is not None:
            raise
        raise BackupError(f"The decrypted data is not a readable .tar.gz archive ({err}).") \
            from None
    finally:
        while stream.read(CHUNK):
            pass
    if staging is not None:
        _set_directory_modes(staging, members)
    return Listing(tuple(members), tuple(refused))


class BoundedGunzip(io.RawIOBase):
    """A gzip stream read back a little at a time, refusing a decompression bomb early.

    tarfile's own `r|gz` inflates a whole input buffer at once (1 MiB of zeros is 1 GiB of
    output) and copies it on every read. Here at most `READ` bytes are inflated per call
    (by ISA-L's inflate, python-isal's zlib-compatible one: a third less CPU than zlib's),
    concatenated gzip members are followed as gzip does, and the stream is refused as soon
    as it grows beyond what `limits` allow or expands more than `max_ratio` times.
    """

    def __init__(self, raw: BinaryIO, limits: ArchiveLimits) -> None:
        super().__init__()
        self._raw = raw
        self._limits = limits
        self._inflate = isal_zlib.decompressobj(16 + isal_zlib.MAX_WBITS)
        self._tail = b""
        self._started = False
        self._next_member = False
        self.consumed = 0
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        """Up to `size` (at most `READ`) decompressed bytes; b"" at the end of the stream."""
        want = READ if size is None or size < 0 else min(size, READ)
        while True:
            if not self._tail:
                if self._inflate.eof:
                    self._tail = self._inflate.unused_data
                    if not self._tail:
                        self._tail = self._raw.read(READ)
                        self.consumed += len(self._tail)
                    if not self._tail:
                        return b""
                    self._inflate = isal_zlib.decompressobj(16 + isal_zlib.MAX_WBITS)  # next member
                    self._next_member = True
                else:
                    self._tail = self._raw.read(READ)
                    self.consumed += len(self._tail)
                    if not self._tail:
                        if self._started:
                            raise EOFError("the compressed stream ends too early")
                        return b""
            self._started = True
            try:
                out = self._inflate.decompress(self._tail, want)
            except _INFLATE_ERRORS:
                if self._next_member:  # padding after the last member: ignored, as gzip does
                    self._tail = b""
                    return b""
                raise
            self._tail = self._inflate.unconsumed_tail
            if out:
                self._next_member = False
                self.produced += len(out)
                self._check()
                return out

    def _check(self) -> None:
        limits = self._limits
        if self.produced > limits.max_stream_size:
            raise HostileArchiveError(
                f"The archive was refused: it expands beyond {limits.max_total_size} bytes, "
                f"the limit set by backups.max_archive_mb; nothing was written.")
        if limits.max_ratio and self.produced > limits.ratio_after and \
                self.produced > limits.max_ratio * max(1, self.consumed):
            raise HostileArchiveError(
                f"The archive was refused: it expands more than {limits.max_ratio} times its "
                f"compressed size (a decompression bomb, or very repetitive files; "
                f"backups.max_expansion_ratio sets the limit); nothing was written.")


def _hash_stream(f: IO[bytes] | None, size: int) -> str:
    digest = hashlib.sha256()
    got = 0
    if f is not None:
        while block := f.read(CHUNK):
            digest.update(block)
            got += len(block)
    if got != size:
        raise BackupError(f"The archive ends inside a file ({got} of {size} bytes).")
    return digest.hexdigest()


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _set_directory_modes(root: Path, members: list[Member]) -> None:
    """Give directories their archived mode within the data filter's rules, deepest first."""
    for member in sorted((m for m in members if m.is_dir), key=lambda m: -m.name.count("/")):
        os.chmod(root / member.name, member.restored_mode, follow_symlinks=False)


def hash_tree(root: Path, tops: Iterable[str]) -> dict[str, tuple[bool, int, int, str]]:
    """(is_dir, size, mode, sha256) of every path under the given top-level names of `root`.

    Symbolic links and special files are reported as files with an empty hash, so a
    preview shows them as changed or removed rather than silently following them.
    """
    found: dict[str, tuple[bool, int, int, str]] = {}
    pending = list(reversed(list(tops)))
    while pending:  # a stack, not recursion: any depth
        rel = pending.pop()
        full = root / rel
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode):
            found[rel] = (True, 0, stat.S_IMODE(st.st_mode), "")
            pending.extend(f"{rel}/{child}" for child in sorted(os.listdir(full), reverse=True))
        elif stat.S_ISREG(st.st_mode):
            found[rel] = (False, st.st_size, stat.S_IMODE(st.st_mode), _hash_file(full))
        else:
            found[rel] = (False, st.st_size, stat.S_IMODE(st.st_mode), "")
    return found
