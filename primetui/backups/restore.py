"""Restore: preview first, then stage, compare, and swap in, or leave everything as it was.

The preview decrypts the archive once and checks every member without writing anything.
The restore decrypts it again into a private staging directory inside the destination (the
same filesystem, so the swap is a set of renames), checks that what was staged is exactly
what was previewed, then moves the current files aside and the restored ones in. Any
failure moves everything back and deletes the staging directory and its plaintext.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from primetui.backups.archive import (
    ArchiveLimits,
    ChangePreview,
    FileState,
    diff_trees,
    restore_scope,
)
from primetui.backups.common import BackupError
from primetui.backups.gpg import GpgCipher
from primetui.backups.pipeline import decrypt_and_read, fsync_dir, write_error
from primetui.backups.tar import Listing, hash_tree
from primetui.printable import printable

STAGING_PREFIX = ".primetui-restore-"


@dataclass(frozen=True)
class RestorePreview:
    """What restoring `archive` into `destination` would change, found without writing."""

    archive: Path
    destination: Path
    listing: Listing
    scope: tuple[str, ...]
    changes: ChangePreview

    @property
    def refused(self) -> tuple[str, ...]:
        """Members the restore leaves out: `backups.include` does not name them."""
        return tuple(m.name + ("/" if m.is_dir else "") for m in self.listing.refused)

    def summary(self) -> str:
        """`2 added, 1 changed, 0 removed, 5 unchanged` (and `, 3 refused` when some are)."""
        refused = f", {len(self.refused)} refused" if self.refused else ""
        return self.changes.summary() + refused

    def lines(self) -> list[str]:
        """The preview as text for the CLI and the plan screen (names shown escaped)."""
        head = [printable(f"Restore {self.archive.name} into {self.destination}: "
                          f"{self.summary()}.")]
        refused = [f"  ! {printable(name)}  (refused: not in backups.include)"
                   for name in self.refused]
        return head + self.changes.lines() + refused


def incoming_states(listing: Listing) -> dict[str, FileState]:
    """The archive's members as they will be on disk (modes as the restore sets them)."""
    return {m.name: FileState(m.name, m.size, m.restored_mode, m.sha256, m.is_dir)
            for m in listing.members}


def current_states(destination: Path, scope: Iterable[str]) -> dict[str, FileState]:
    """The files in the destination that the restore would replace."""
    if not destination.is_dir():
        return {}
    return {path: FileState(path, size, mode, digest, is_dir)
            for path, (is_dir, size, mode, digest) in hash_tree(destination, scope).items()}


def make_preview(listing: Listing, archive: Path, destination: Path) -> RestorePreview:
    """Compare the archive with the destination, within what the backup covers.

    `listing` comes from `read_archive(…, include=…)`: members outside the include list
    are already set aside in `listing.refused` and never reach the scope.
    """
    scope = restore_scope(m.name for m in listing.members)
    changes = diff_trees(current_states(destination, scope), incoming_states(listing), scope)
    return RestorePreview(archive, destination, listing, tuple(scope), changes)


def remove_stale_staging(destination: Path) -> None:
    """Delete staging directories left by a restore that was killed (their plaintext too)."""
    if not destination.is_dir():
        return
    for name in os.listdir(destination):
        if not name.startswith(STAGING_PREFIX):
            continue
        pid = name[len(STAGING_PREFIX):].split("-", 1)[0]
        alive = False
        if pid.isdigit():
            try:
                os.kill(int(pid), 0)
                alive = True
            except ProcessLookupError:
                alive = False
            except PermissionError:
                alive = True
        if not alive:
            shutil.rmtree(destination / name, ignore_errors=True)


def restore(cipher: GpgCipher, preview: RestorePreview, passphrase: str,
            emit: Callable[[str], None] = lambda line: None, *,
            limits: ArchiveLimits | None = None, include: list[str] | None = None) -> None:
    """Stage, compare with the preview, swap in; on failure the destination is unchanged."""
    dest = preview.destination
    created = not dest.exists()
    if created:
        try:
            dest.mkdir(mode=0o700, parents=True)
        except OSError as err:
            raise write_error(err, f"the destination {dest}") from None
    staging: Path | None = None
    try:
        _check_space(dest, preview.listing.total_size)
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=dest))
        new, old = staging / "new", staging / "old"
        new.mkdir(mode=0o700)
        old.mkdir(mode=0o700)
        emit(f"decrypting {preview.archive.name} into {staging.name}/ (checked member by member)")
        staged = decrypt_and_read(cipher, preview.archive, passphrase, staging=new,
                                  limits=limits, include=include)
        if incoming_states(staged) != incoming_states(preview.listing):
            raise BackupError(f"{preview.archive.name} no longer holds what the preview showed; "
                              f"nothing was restored.")
        emit(f"swapping in: {', '.join(preview.scope)}")
        _swap(dest, preview.scope, new, old)
    except BaseException as err:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            staging = None
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        if isinstance(err, OSError):
            raise write_error(err, "the restored files") from None
        raise
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    emit(f"restored {len(preview.listing.files)} file(s) into {dest}")


def _check_space(dest: Path, needed: int) -> None:
    st = os.statvfs(dest)
    free = st.f_bavail * st.f_frsize
    if needed + 1024 * 1024 > free:
        raise BackupError(f"{dest} has {free} bytes free but the restore needs about {needed}; "
                          f"nothing was changed.")


def _swap(dest: Path, scope: Iterable[str], new: Path, old: Path) -> None:
    """Move current files aside and restored ones in; undo every move on failure."""
    done: list[tuple[str, bool, bool]] = []
    made: list[Path] = []
    try:
        for name in scope:
            moved_old = placed = False
            if os.path.lexists(dest / name):
                (old / name).parent.mkdir(parents=True, exist_ok=True)
                os.rename(dest / name, old / name)
                moved_old = True
            done.append((name, moved_old, False))
            if os.path.lexists(new / name):
                parent = (dest / name).parent
                missing = [p for p in (parent, *parent.parents) if not p.exists()]
                for directory in reversed(missing):
                    directory.mkdir(mode=0o700)
                    made.append(directory)
                os.rename(new / name, dest / name)
                placed = True
            done[-1] = (name, moved_old, placed)
        fsync_dir(dest)
    except BaseException:
        for name, moved_old, placed in reversed(done):
            if placed:
                os.rename(dest / name, new / name)
            if moved_old:
                os.rename(old / name, dest / name)
        for directory in reversed(made):
            directory.rmdir()
        raise
