"""Restore: decrypt once into staging, preview from it, and swap in, or leave everything as it was.

The preview decrypts the archive once, checking every member as it streams out of gpg and
gunzip, into a private staging directory inside the destination (the same filesystem, so
the swap is a set of renames); nothing outside that directory is written. The preview is
built from what was staged, so the preview and the files swapped in are the same bytes by
construction. Only after the person confirms are the current files moved aside and the
staged ones moved in. A preview that is not followed by a restore deletes its staging
directory (`RestorePreview.discard`, or at the latest when the preview is dropped or the
process exits); any failure moves everything back and deletes the staging directory and its
plaintext. A preview made without staging (a dry run) decrypts into nothing, and its restore
decrypts into a fresh staging directory and compares it with the preview, as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import tempfile
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from primetui.backups.archive import (
    ArchiveLimits,
    ChangePreview,
    FileState,
    diff_trees,
    restore_scope,
)
from primetui.backups.common import BackupError, remove_tree
from primetui.backups.derived_key import KeyDerivation
from primetui.backups.gpg import GpgCipher
from primetui.backups.pipeline import decrypt_and_read, fsync_dir, write_error
from primetui.backups.tar import Listing, hash_tree
from primetui.printable import printable

STAGING_PREFIX = ".primetui-restore-"
_MARK_KEY = os.urandom(32)
"""Keys the passphrase's mark kept with staged files (the passphrase itself is not kept)."""


def _discard_staging(staging: Path, created: Path | None) -> None:
    remove_tree(staging)
    if created is not None:
        try:
            created.rmdir()  # only when the restore made it and nothing else was put there
        except OSError:
            pass


def _mark(passphrase: str) -> bytes:
    return hmac.new(_MARK_KEY, passphrase.encode("utf-8", "surrogatepass"),
                    hashlib.sha256).digest()


class StagedRestore:
    """An archive decrypted (once) into `path/new`, waiting for the person to confirm.

    Owned by the preview until a restore takes it; deleted by `discard()`, or when nothing
    refers to it any more, or when the process exits. `created` is the destination when the
    preview had to make it (it is removed again with the staging directory).
    """

    def __init__(self, path: Path, created: Path | None = None, passphrase: str = "") -> None:
        self.path = path
        self.created = created
        self._mark = _mark(passphrase)
        self._finalizer = weakref.finalize(self, _discard_staging, path, created)

    def decrypted_with(self, passphrase: str) -> bool:
        """Whether these files were decrypted with `passphrase` (else gpg must judge it)."""
        return hmac.compare_digest(self._mark, _mark(passphrase))

    def ready(self) -> bool:
        """Whether the staged files are still there to be swapped in."""
        return self._finalizer.alive and (self.path / "new").is_dir()

    def take(self) -> Path:
        """Hand the staging directory to the restore, which deletes it whatever happens."""
        self._finalizer.detach()
        return self.path

    def discard(self) -> None:
        """Delete the staged plaintext (and the destination, when the preview made it)."""
        self._finalizer()


@dataclass(frozen=True)
class RestorePreview:
    """What restoring `archive` into `destination` would change, found without writing."""

    archive: Path
    destination: Path
    listing: Listing
    scope: tuple[str, ...]
    changes: ChangePreview
    notes: tuple[str, ...] = ()
    """Sentences about the destination itself (an interrupted restore found there)."""
    staged: StagedRestore | None = field(default=None, compare=False, repr=False)
    """The archive as decrypted for this preview, swapped in as is (None for a dry run)."""

    def discard(self) -> None:
        """Delete what this preview staged, when no restore is going to use it."""
        if self.staged is not None:
            self.staged.discard()

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
        notes = [printable(note) for note in self.notes]
        return head + notes + self.changes.lines() + refused


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


def stage_preview(cipher: GpgCipher, archive: Path, destination: Path, passphrase: str, *,
                  limits: ArchiveLimits | None = None, include: list[str] | None = None,
                  derived: KeyDerivation | None = None) -> RestorePreview:
    """Decrypt `archive` once into a staging directory in `destination`, and preview from it.

    Every member is checked as it streams out (`read_archive`: no links, devices, `..` or
    absolute names, sizes and ratio within the limits) before its bytes are written, and
    only inside the staging directory. On any failure (a wrong passphrase, a damaged or
    hostile archive, a full disk, an interruption) the staging directory is deleted, and the
    destination too when this made it.
    """
    dest = destination
    created: Path | None = None
    if not dest.exists():
        try:
            dest.mkdir(mode=0o700, parents=True)
        except OSError as err:
            raise write_error(err, f"the destination {dest}") from None
        created = dest
    staging: Path | None = None
    try:
        try:
            staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=dest))
            (staging / "new").mkdir(mode=0o700)
            (staging / "old").mkdir(mode=0o700)
        except OSError as err:
            raise write_error(err, f"a staging directory in {dest}") from None
        listing = decrypt_and_read(cipher, archive, passphrase, staging=staging / "new",
                                   limits=limits, include=include, derived=derived)
        staged = StagedRestore(staging, created, passphrase)
        staging = created = None  # the StagedRestore owns them from here
        try:
            preview = make_preview(listing, archive, dest.absolute())
        except BaseException:
            staged.discard()
            raise
    except BaseException:
        if staging is not None:
            _discard_staging(staging, created)
        raise
    return dataclasses.replace(preview, staged=staged)


JOURNAL = "journal.json"
"""The swap's journal in the staging directory (0600): what it moves, and how far it got."""


def _staging_owner_alive(name: str) -> bool:
    pid = name[len(STAGING_PREFIX):].split("-", 1)[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def interrupted_restores(destination: Path) -> list[Path]:
    """Staging directories left in `destination` by a restore that was killed."""
    if not destination.is_dir():
        return []
    return sorted(destination / name for name in os.listdir(destination)
                  if name.startswith(STAGING_PREFIX) and not _staging_owner_alive(name))


def recover_interrupted(destination: Path, *, dry_run: bool = False) -> list[str]:
    """Finish or roll back every restore that was killed mid-swap, from its journal.

    A journal that says "swapped" means every rename was done: only the staging directory
    (the moved-aside originals, already saved in the pre-restore backup) is left to delete.
    Any other journal is rolled back: the restored files go back to staging, the originals
    back in place. No journal means no rename had happened yet. With `dry_run` nothing is
    touched and the sentences say what the next restore will do. Returns those sentences.
    """
    said = []
    for staging in interrupted_restores(destination):
        journal = _read_journal(staging)
        if dry_run:
            what = "finish" if journal and journal.get("state") == "swapped" else "roll back"
            said.append(f"A restore into {destination} was interrupted ({staging.name}); the "
                        f"next restore will {what} it first.")
            continue
        if journal is not None and journal.get("state") != "swapped":
            try:
                _roll_back(destination, staging, journal["entries"])
            except (OSError, KeyError, TypeError) as err:
                raise BackupError(f"An interrupted restore in {staging} could not be rolled "
                                  f"back ({err}); its original files are in {staging}/old, "
                                  f"so move them back by hand.") from None
            said.append(f"rolled back the interrupted restore {staging.name}: the files are "
                        f"as they were before it")
        else:
            said.append(f"finished the interrupted restore {staging.name}")
        remove_tree(staging)
    return said


def _read_journal(staging: Path) -> dict[str, Any] | None:
    """The journal, or None when there is none; one that cannot be read is never guessed at."""
    path = staging / JOURNAL
    if not os.path.lexists(path):
        if os.path.lexists(staging / "old") and any(os.scandir(staging / "old")):
            raise BackupError(f"{staging} holds moved-aside files but no journal; nothing was "
                              f"deleted: move {staging}/old back by hand.")
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("entries"), list):
            return data
    except (OSError, ValueError):
        pass
    raise BackupError(f"The journal of an interrupted restore, {path}, cannot be read; nothing "
                      f"was deleted: move {staging}/old back by hand.")


def _write_journal(staging: Path, journal: dict[str, Any]) -> None:
    """Write the journal atomically (temp file, fsync, rename) with mode 0600."""
    tmp = staging / f".{JOURNAL}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(journal, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, staging / JOURNAL)
    fsync_dir(staging)


def restore(cipher: GpgCipher, preview: RestorePreview, passphrase: str,
            emit: Callable[[str], None] = lambda line: None, *,
            limits: ArchiveLimits | None = None, include: list[str] | None = None) -> None:
    """Swap in what the preview staged; on failure the destination is unchanged.

    When the preview staged nothing (a dry run's), its staging is gone (a plan run a second
    time) or the passphrase is not the one the preview decrypted with, the archive is
    decrypted into a fresh staging directory and compared with the preview first.
    """
    dest = preview.destination
    staged = preview.staged
    if staged is not None and not (staged.ready() and staged.decrypted_with(passphrase)):
        staged.discard()  # decrypted again below: gpg says whether this passphrase is right
        staged = None
    created = not dest.exists() or (staged is not None and staged.created is not None)
    if not dest.exists():
        try:
            dest.mkdir(mode=0o700, parents=True)
        except OSError as err:
            raise write_error(err, f"the destination {dest}") from None
    staging: Path | None = None
    try:
        for line in recover_interrupted(dest):
            emit(line)
        if staged is not None:
            staging = staged.take()
            emit(f"using {preview.archive.name} as decrypted and checked for the preview "
                 f"({staging.name}/)")
        else:
            _check_space(dest, preview.listing.total_size)
            staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=dest))
            new = staging / "new"
            new.mkdir(mode=0o700)
            (staging / "old").mkdir(mode=0o700)
            emit(f"decrypting {preview.archive.name} into {staging.name}/ (checked member by "
                 f"member)")
            again = decrypt_and_read(cipher, preview.archive, passphrase, staging=new,
                                     limits=limits, include=include,
                                     derived=KeyDerivation.of_file(preview.archive, passphrase))
            if incoming_states(again) != incoming_states(preview.listing):
                raise BackupError(f"{preview.archive.name} no longer holds what the preview "
                                  f"showed; nothing was restored.")
        emit(f"swapping in: {', '.join(preview.scope)}")
        _swap(dest, preview.scope, staging)
    except BaseException as err:
        if staging is not None:
            remove_tree(staging)
            staging = None
        if created:
            remove_tree(dest)
        if isinstance(err, OSError):
            raise write_error(err, "the restored files") from None
        raise
    finally:
        if staging is not None:
            remove_tree(staging)
    emit(f"restored {len(preview.listing.files)} file(s) into {dest}")


def _check_space(dest: Path, needed: int) -> None:
    st = os.statvfs(dest)
    free = st.f_bavail * st.f_frsize
    if needed + 1024 * 1024 > free:
        raise BackupError(f"{dest} has {free} bytes free but the restore needs about {needed}; "
                          f"nothing was changed.")


def _swap(dest: Path, scope: Iterable[str], staging: Path) -> None:
    """Move current files aside and restored ones in, journalled; undo every move on failure.

    The journal is written before the first rename and marked "swapped" after the last, so
    a restore killed in between is finished or rolled back by the next one
    (`recover_interrupted`): which renames happened is read from the disk itself.
    """
    new, old = staging / "new", staging / "old"
    entries: list[dict[str, Any]] = []
    for name in scope:
        parent = (dest / name).parent
        made = [str(p.relative_to(dest)) for p in reversed((parent, *parent.parents))
                if p != dest and p.is_relative_to(dest) and not p.exists()]
        entries.append({"name": name, "had_old": os.path.lexists(dest / name),
                        "has_new": os.path.lexists(new / name), "made": made})
    _write_journal(staging, {"state": "swapping", "entries": entries})
    try:
        for entry in entries:
            name = entry["name"]
            if entry["had_old"]:
                (old / name).parent.mkdir(parents=True, exist_ok=True)
                os.rename(dest / name, old / name)
            if entry["has_new"]:
                for directory in entry["made"]:
                    if not (dest / directory).exists():
                        (dest / directory).mkdir(mode=0o700)
                os.rename(new / name, dest / name)
        fsync_dir(dest)
        _write_journal(staging, {"state": "swapped", "entries": entries})
    except BaseException:
        _roll_back(dest, staging, entries)
        raise


def _roll_back(dest: Path, staging: Path, entries: list[dict[str, Any]]) -> None:
    """Undo whatever renames of the journal's entries were done (seen on disk), last first."""
    new, old = staging / "new", staging / "old"
    for entry in reversed(entries):
        name = str(entry["name"])
        if entry["has_new"] and not os.path.lexists(new / name) and os.path.lexists(dest / name):
            (new / name).parent.mkdir(parents=True, exist_ok=True)
            os.rename(dest / name, new / name)
        if entry["had_old"] and os.path.lexists(old / name):
            os.rename(old / name, dest / name)
        for directory in reversed(entry["made"]):
            try:
                (dest / directory).rmdir()
            except OSError:
                pass
    fsync_dir(dest)
