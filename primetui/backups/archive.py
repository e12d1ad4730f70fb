"""Pure checks of backup archive members, and the model of what a restore would change.

A restore trusts nothing in an archive: every member is checked here before a single byte is
written (regular files and directories only, relative names, no `..`, no links, no special
mode bits, sane sizes). The preview compares what the archive holds with what is on disk now,
so a person sees every added, changed and removed file with its size and mode first.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from primetui.errors import PrimeError
from primetui.printable import is_printable, printable

GiB = 1024**3


class HostileArchiveError(PrimeError):
    """An archive member that a restore must never write: the message names it and why."""


MiB = 1024**2
MAX_DEPTH = 256
"""The deepest path a backup holds: deeper trees cost a restore's safety checks time that
grows with the cube of the depth, and no project's .env or config/ is that deep."""


@dataclass(frozen=True)
class ArchiveLimits:
    """What counts as a sane archive: refusing beyond these stops decompression bombs.

    The member count, total size and expansion ratio come from the `[backups]` settings
    (`max_archive_members`, `max_archive_mb`, `max_expansion_ratio`); the ratio is judged
    once `ratio_after` bytes have come out, so small archives of tiny files never trip it.
    """

    max_member_size: int = 4 * GiB
    max_total_size: int = 16 * GiB
    max_members: int = 100_000
    max_name_length: int = 4096
    max_ratio: int = 1000
    ratio_after: int = MiB

    @classmethod
    def from_settings(cls, members: int, total_mb: int, ratio: int) -> ArchiveLimits:
        """The limits the `[backups]` settings ask for."""
        total = total_mb * MiB
        return cls(max_member_size=min(4 * GiB, total), max_total_size=total,
                   max_members=members, max_ratio=ratio)

    @property
    def max_stream_size(self) -> int:
        """The most decompressed bytes a sane archive can hold: its files plus headers."""
        return (self.max_total_size + self.max_members * (4 * 512 + 2 * self.max_name_length)
                + 20 * 512)


@dataclass(frozen=True)
class Member:
    """One checked archive member: a regular file or a directory with a clean relative name."""

    name: str
    is_dir: bool
    size: int
    mode: int
    mtime: float = 0.0
    sha256: str = ""

    @property
    def kind(self) -> str:
        """"dir" or "file"."""
        return "dir" if self.is_dir else "file"

    @property
    def restored_mode(self) -> int:
        """The mode this member gets on disk (see `restored_mode`)."""
        return restored_mode(self.mode, is_dir=self.is_dir)


def restored_mode(mode: int, *, is_dir: bool) -> int:
    """The mode a restore gives a member: tarfile's `data` filter rules, kept for directories.

    No group or other write; the owner can always read and write (and enter directories);
    a file keeps its execute bits only when its owner could execute it.
    """
    mode &= 0o755
    if is_dir:
        return mode | 0o700
    if not mode & 0o100:
        mode &= ~0o111
    return mode | 0o600


def _kind_of(info: Any) -> str:
    """What a tarfile.TarInfo-like member is, in words."""
    for test, word in (("isreg", "file"), ("isdir", "dir"), ("issym", "symbolic link"),
                       ("islnk", "hard link"), ("ischr", "character device"),
                       ("isblk", "block device"), ("isfifo", "FIFO")):
        if getattr(info, test)():
            return word
    return "special member"


def normalize_name(name: str) -> str | None:
    """The member name without `./` and trailing slashes; None for the archive root itself."""
    text = name
    while text.startswith("./"):
        text = text[2:]
    text = text.rstrip("/")
    return None if text in ("", ".") else text


def _refuse(raw: str, why: str) -> HostileArchiveError:
    shown = printable(raw[:200])
    return HostileArchiveError(f"The archive was refused because member '{shown}' {why}; "
                               f"nothing was written.")


@dataclass
class MemberChecker:
    """Checks members one by one, remembering what it needs to judge the next ones."""

    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    total: int = 0
    count: int = 0
    kinds: dict[str, bool] = field(default_factory=dict)  # name -> is_dir

    def check(self, info: Any) -> Member | None:
        """Check a tarfile.TarInfo-like member; the archive root gives None, a bad one raises."""
        raw = str(info.name)
        kind = _kind_of(info)
        if kind in ("symbolic link", "hard link"):
            target = str(getattr(info, "linkname", ""))
            where = "outside the archive" if _link_escapes(raw, target, kind) else "inside the archive"
            raise _refuse(raw, f"is a {kind} pointing {where} (to '{target}'), and only regular "
                               f"files and directories are restored")
        if kind not in ("file", "dir"):
            raise _refuse(raw, f"is a {kind}, and only regular files and directories are restored")
        name = self._check_name(raw)
        self.count += 1
        if self.count > self.limits.max_members:
            raise _refuse(raw, f"is beyond the limit of {self.limits.max_members} members")
        if name is None:
            if kind != "dir":
                raise _refuse(raw, "names the archive root but is not a directory")
            return None
        mode = int(info.mode)
        if mode & 0o7000:
            raise _refuse(raw, f"has special mode bits ({oct(mode & 0o7777)}: setuid, setgid or "
                               f"sticky)")
        size = int(info.size) if kind == "file" else 0
        if size < 0 or size > self.limits.max_member_size:
            raise _refuse(raw, f"claims {size} bytes, beyond the limit of "
                               f"{self.limits.max_member_size}")
        self.total += size
        if self.total > self.limits.max_total_size:
            raise _refuse(raw, f"brings the total beyond {self.limits.max_total_size} bytes")
        is_dir = kind == "dir"
        if name in self.kinds and not (is_dir and self.kinds[name]):
            raise _refuse(raw, "appears more than once")
        parent = posixpath.dirname(name)
        while parent:  # up to the nearest directory already seen: its own ancestors were checked
            seen = self.kinds.get(parent)
            if seen is False:
                raise _refuse(raw, f"lies under '{parent}', which is a file")
            if seen is True:
                break
            parent = posixpath.dirname(parent)
        self.kinds[name] = is_dir
        return Member(name=name, is_dir=is_dir, size=size, mode=mode & 0o777,
                      mtime=float(getattr(info, "mtime", 0) or 0))

    def _check_name(self, raw: str) -> str | None:
        if not raw or "\0" in raw:
            raise _refuse(raw, "has an empty or NUL-containing name")
        if len(raw) > self.limits.max_name_length:
            raise _refuse(raw, "has an overlong name")
        if raw.startswith("/"):
            raise _refuse(raw, "has an absolute path")
        name = normalize_name(raw)
        if name is None:
            return None
        parts = name.split("/")
        if len(parts) > MAX_DEPTH:
            raise _refuse(raw[:200] + "…", f"is nested deeper than {MAX_DEPTH} directories")
        if ".." in parts:
            raise _refuse(raw, "contains '..'")
        if any(p in ("", ".") for p in parts) or "\\" in name:
            raise _refuse(raw, "has an irregular path")
        if any(ch in name for ch in "\n\r"):
            raise _refuse(raw, "has a line break in its name")
        if not is_printable(name):
            raise _refuse(raw, "has control characters or bytes that are not UTF-8 in its name "
                               "(a terminal would act on them instead of showing them)")
        return name


def _link_escapes(name: str, target: str, kind: str) -> bool:
    """Whether a link's target resolves outside the archive tree."""
    if not target or target.startswith("/"):
        return True
    base = "" if kind == "hard link" else posixpath.dirname(normalize_name(name) or "")
    resolved = posixpath.normpath(posixpath.join(base, target))
    return resolved == ".." or resolved.startswith("../")


# ---------------------------------------------------------------- the restore preview


@dataclass(frozen=True)
class FileState:
    """A file as it is (on disk or in an archive): enough to say whether it changed."""

    path: str
    size: int
    mode: int
    sha256: str
    is_dir: bool = False


@dataclass(frozen=True)
class Change:
    """One path's fate in a restore."""

    path: str
    kind: str  # "added", "changed", "removed" or "unchanged"
    old: FileState | None
    new: FileState | None

    def detail(self) -> str:
        """Sizes and modes in words: `1.2 kB, 0600`, or `120 B → 140 B, 0644 → 0600`."""
        def one(s: FileState) -> str:
            return f"{'dir' if s.is_dir else human_size(s.size)}, {s.mode:04o}"

        if self.kind == "added" and self.new:
            return one(self.new)
        if self.kind in ("removed", "unchanged") and self.old:
            return one(self.old)
        assert self.old and self.new
        parts = []
        if self.old.is_dir != self.new.is_dir:
            parts.append(f"{'dir' if self.old.is_dir else 'file'} → "
                         f"{'dir' if self.new.is_dir else 'file'}")
        if self.old.size != self.new.size or self.old.sha256 != self.new.sha256:
            parts.append(f"{human_size(self.old.size)} → {human_size(self.new.size)}"
                         if self.old.size != self.new.size else "content differs")
        if self.old.mode != self.new.mode:
            parts.append(f"mode {self.old.mode:04o} → {self.new.mode:04o}")
        return ", ".join(parts)


@dataclass(frozen=True)
class ChangePreview:
    """Every change a restore would make, sorted by path."""

    changes: tuple[Change, ...]
    scope: tuple[str, ...] = ()

    def of(self, kind: str) -> list[Change]:
        """The changes of one kind."""
        return [c for c in self.changes if c.kind == kind]

    @property
    def added(self) -> list[Change]:
        return self.of("added")

    @property
    def changed(self) -> list[Change]:
        return self.of("changed")

    @property
    def removed(self) -> list[Change]:
        return self.of("removed")

    def summary(self) -> str:
        """One line: `2 added, 1 changed, 0 removed, 5 unchanged`."""
        return ", ".join(f"{len(self.of(k))} {k}" for k in ("added", "changed", "removed",
                                                            "unchanged"))

    def lines(self) -> list[str]:
        """The preview as text, one path per line, unchanged ones left out."""
        marks = {"added": "+", "changed": "~", "removed": "-"}
        return [f"  {marks[c.kind]} {printable(c.path)}  ({c.detail()})" for c in self.changes
                if c.kind in marks]


def diff_trees(current: Mapping[str, FileState], incoming: Mapping[str, FileState],
               scope: Iterable[str] = ()) -> ChangePreview:
    """Compare the files on disk (within the restore's scope) with the archive's."""
    changes = []
    for path in sorted(set(current) | set(incoming)):
        old, new = current.get(path), incoming.get(path)
        if old is None:
            kind = "added"
        elif new is None:
            kind = "removed"
        elif (old.is_dir, old.mode, old.sha256, old.size) == (new.is_dir, new.mode, new.sha256,
                                                                new.size):
            kind = "unchanged"
        else:
            kind = "changed"
        changes.append(Change(path, kind, old, new))
    return ChangePreview(tuple(changes), tuple(sorted(scope)))


def restore_scope(archive_names: Iterable[str]) -> list[str]:
    """The paths a restore replaces: exactly what the archive covers, nothing else.

    Each member is covered by its shortest ancestor that is itself a member: with
    `tar czf - .env config/` that is `config`, replaced as a whole (files only on disk
    are removed); a file archived without its directory (`config/nginx/site.conf` alone)
    replaces only itself. A file the archive does not cover is never touched.
    """
    names = set(archive_names)
    covered: set[str] = set()
    for name in names:
        parts = name.split("/")
        covered.add(next(p for p in ("/".join(parts[:i]) for i in range(1, len(parts) + 1))
                         if p in names))
    return sorted(covered)


def include_verdict(name: str, patterns: Iterable[str]) -> str:
    """What a restore does with a member, given `backups.include`.

    "restore" when a pattern names it or one of its ancestors (`config/` covers
    `config/app.toml`; globs match within one path component, as the backup's own glob
    does); "container" when it is only a directory on the way to a pattern
    (`config` for `config/nginx/*.conf`), restored through its contents only; "refuse"
    for everything else (`.bashrc`, `.git/hooks/…`, an `app/` the lab never backs up).
    """
    parts = name.split("/")
    container = False
    for pattern in patterns:
        want = [p for p in pattern.strip().strip("/").split("/") if p not in ("", ".")]
        if not want:
            continue
        if len(parts) >= len(want) and all(fnmatchcase(have, p) for have, p in zip(parts, want, strict=False)):
            return "restore"
        if len(parts) < len(want) and all(fnmatchcase(have, p) for have, p in zip(parts, want, strict=False)):
            container = True
    return "container" if container else "refuse"


def human_size(size: float) -> str:
    """Bytes in words: 999 B, 1.2 kB, 3.4 MB."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"  # pragma: no cover
