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
import os
import stat
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from primetui.backups.archive import ArchiveLimits, HostileArchiveError, Member, MemberChecker
from primetui.backups.common import BackupError

CHUNK = 1 << 20


@dataclass(frozen=True)
class Listing:
    """What an archive holds: its checked members (files with a sha256), in archive order."""

    members: tuple[Member, ...]

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

    def visit(rel: str) -> None:
        full = source / rel
        st = os.lstat(full)
        if stat.S_ISDIR(st.st_mode):
            paths.append(rel)
            for child in sorted(os.listdir(full)):
                visit(f"{rel}/{child}")
        elif stat.S_ISREG(st.st_mode):
            paths.append(rel)
        else:
            what = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "a special file"
            raise BackupError(f"{full} is {what}; backups hold regular files and directories "
                              f"only, so replace it with a copy or leave it out of include.")

    for top in tops:
        visit(top)
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
                 staging: Path | None = None) -> Listing:
    """Check and hash every member of a `.tar.gz` stream; extract into `staging` if given.

    The stream is read to its end even after the tar's end marker, so the decrypting side
    never blocks. Refusals are `HostileArchiveError`; an unreadable stream is `BackupError`.
    """
    checker = MemberChecker(limits or ArchiveLimits())
    members: list[Member] = []
    try:
        with tarfile.open(fileobj=stream, mode="r|gz", bufsize=CHUNK) as tar:
            for info in tar:
                member = checker.check(info)
                if member is None:
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
    except (tarfile.TarError, EOFError, OSError, ValueError) as err:
        if isinstance(err, OSError) and err.errno is not None:
            raise
        raise BackupError(f"The decrypted data is not a readable .tar.gz archive ({err}).") \
            from None
    finally:
        while stream.read(CHUNK):
            pass
    if staging is not None:
        _set_directory_modes(staging, members)
    return Listing(tuple(members))


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

    def visit(rel: str) -> None:
        full = root / rel
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            found[rel] = (True, 0, stat.S_IMODE(st.st_mode), "")
            for child in sorted(os.listdir(full)):
                visit(f"{rel}/{child}")
        elif stat.S_ISREG(st.st_mode):
            found[rel] = (False, st.st_size, stat.S_IMODE(st.st_mode), _hash_file(full))
        else:
            found[rel] = (False, st.st_size, stat.S_IMODE(st.st_mode), "")

    for top in tops:
        visit(top)
    return found
