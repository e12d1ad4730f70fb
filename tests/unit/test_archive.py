"""Pure checks of archive members and the restore preview model."""

from __future__ import annotations

import tarfile
from collections.abc import Iterable

import pytest

from primetui.backups.archive import (
    ArchiveLimits,
    FileState,
    HostileArchiveError,
    Member,
    MemberChecker,
    diff_trees,
    human_size,
    normalize_name,
    restore_scope,
    restored_mode,
)


def check_members(infos: Iterable[tarfile.TarInfo],
                  limits: ArchiveLimits | None = None) -> list[Member]:
    """Check every member of an archive listing as a restore does; the first bad one raises."""
    checker = MemberChecker(limits or ArchiveLimits())
    return [m for m in (checker.check(i) for i in infos) if m is not None]


def info(name: str, kind: bytes = tarfile.REGTYPE, *, size: int = 0, mode: int = 0o644,
         link: str = "") -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.size = size
    member.mode = mode
    member.linkname = link
    return member


def test_regular_files_and_directories_pass_with_clean_names() -> None:
    members = check_members([info("./", tarfile.DIRTYPE), info("./.env", size=12, mode=0o600),
                             info("config/", tarfile.DIRTYPE, mode=0o700),
                             info("config/app.toml", size=3)])
    assert [(m.name, m.kind, m.size, m.mode) for m in members] == [
        (".env", "file", 12, 0o600), ("config", "dir", 0, 0o700), ("config/app.toml", "file", 3, 0o644)]


@pytest.mark.parametrize(("member", "words"), [
    (info("../escape"), "contains '..'"),
    (info("config/../../x"), "contains '..'"),
    (info("/etc/passwd"), "absolute path"),
    (info("link", tarfile.SYMTYPE, link="/etc/passwd"), "symbolic link pointing outside"),
    (info("config/link", tarfile.SYMTYPE, link="../../x"), "symbolic link pointing outside"),
    (info("config/link", tarfile.SYMTYPE, link="app.toml"), "symbolic link pointing inside"),
    (info("hard", tarfile.LNKTYPE, link="/etc/shadow"), "hard link pointing outside"),
    (info("hard", tarfile.LNKTYPE, link="../x"), "hard link pointing outside"),
    (info("dev", tarfile.CHRTYPE), "character device"),
    (info("blk", tarfile.BLKTYPE), "block device"),
    (info("fifo", tarfile.FIFOTYPE), "FIFO"),
    (info("suid", mode=0o4755), "setuid"),
    (info("sgid-dir", tarfile.DIRTYPE, mode=0o2755), "special mode bits"),
    (info("a\nb"), "line break"),
    (info(""), "empty"),
])
def test_hostile_member_is_refused_with_its_name_and_reason(member: tarfile.TarInfo,
                                                            words: str) -> None:
    with pytest.raises(HostileArchiveError, match=words) as caught:
        check_members([member])
    assert "nothing was written" in str(caught.value)


def test_oversized_member_and_total_are_refused() -> None:
    limits = ArchiveLimits(max_member_size=100, max_total_size=150, max_members=10)
    with pytest.raises(HostileArchiveError, match="beyond the limit of 100"):
        check_members([info("big", size=101)], limits)
    with pytest.raises(HostileArchiveError, match="total beyond 150"):
        check_members([info("a", size=100), info("b", size=100)], limits)
    with pytest.raises(HostileArchiveError, match="limit of 10 members"):
        check_members([info(f"f{i}") for i in range(11)], limits)


def test_duplicate_file_and_file_used_as_directory_are_refused() -> None:
    with pytest.raises(HostileArchiveError, match="more than once"):
        check_members([info(".env"), info("./.env")])
    with pytest.raises(HostileArchiveError, match="which is a file"):
        check_members([info("config"), info("config/app.toml")])
    # A directory listed twice (tar does that with overlapping arguments) is fine.
    assert len(check_members([info("d", tarfile.DIRTYPE), info("d/", tarfile.DIRTYPE)])) == 2


def test_normalize_name_strips_dot_slash_and_trailing_slash() -> None:
    assert normalize_name("./config/") == "config"
    assert normalize_name("././a") == "a"
    assert normalize_name("./") is None and normalize_name(".") is None


@pytest.mark.parametrize(("mode", "is_dir", "expected"), [
    (0o600, False, 0o600), (0o644, False, 0o644), (0o664, False, 0o644), (0o400, False, 0o600),
    (0o755, False, 0o755), (0o655, False, 0o644), (0o777, False, 0o755),
    (0o700, True, 0o700), (0o500, True, 0o700), (0o777, True, 0o755),
])
def test_restored_mode_follows_the_data_filter(mode: int, is_dir: bool, expected: int) -> None:
    assert restored_mode(mode, is_dir=is_dir) == expected


def test_diff_sorts_paths_into_added_changed_removed_and_unchanged() -> None:
    current = {".env": FileState(".env", 10, 0o644, "aa"),
               "config/old.toml": FileState("config/old.toml", 5, 0o644, "bb"),
               "config/same.toml": FileState("config/same.toml", 7, 0o600, "cc")}
    incoming = {".env": FileState(".env", 12, 0o600, "dd"),
                "config/new.toml": FileState("config/new.toml", 2048, 0o600, "ee"),
                "config/same.toml": FileState("config/same.toml", 7, 0o600, "cc")}
    preview = diff_trees(current, incoming)
    assert [c.path for c in preview.added] == ["config/new.toml"]
    assert [c.path for c in preview.changed] == [".env"]
    assert [c.path for c in preview.removed] == ["config/old.toml"]
    assert [c.path for c in preview.of("unchanged")] == ["config/same.toml"]
    assert preview.summary() == "1 added, 1 changed, 1 removed, 1 unchanged"
    assert preview.changed[0].detail() == "10 B → 12 B, mode 0644 → 0600"
    assert preview.added[0].detail() == "2.0 kB, 0600"
    assert preview.lines() == ["  ~ .env  (10 B → 12 B, mode 0644 → 0600)",
                               "  + config/new.toml  (2.0 kB, 0600)",
                               "  - config/old.toml  (5 B, 0644)"]


def test_same_size_different_content_is_a_change() -> None:
    preview = diff_trees({"a": FileState("a", 3, 0o600, "x")}, {"a": FileState("a", 3, 0o600, "y")})
    assert preview.changed[0].detail() == "content differs"


def test_restore_scope_is_what_the_archive_covers() -> None:
    assert restore_scope([".env", "config", "config/app.toml", "config/nginx",
                          "config/nginx/site.conf"]) == [".env", "config"]


def test_a_file_archived_without_its_directory_replaces_only_itself() -> None:
    assert restore_scope(["config/nginx/site.conf", ".env"]) == [".env", "config/nginx/site.conf"]


def test_human_size() -> None:
    assert [human_size(n) for n in (0, 999, 1000, 1_500_000, 3 * 10**9)] == [
        "0 B", "999 B", "1.0 kB", "1.5 MB", "3.0 GB"]
