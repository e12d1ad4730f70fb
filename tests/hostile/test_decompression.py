"""Archives built to eat the machine are refused early, with small inputs and low caps."""

from __future__ import annotations

import gzip
import io
import tarfile
import time
import tracemalloc
from pathlib import Path

import pytest

from primetui.backups.archive import ArchiveLimits, HostileArchiveError
from primetui.backups.common import BackupError
from primetui.backups.tar import BoundedGunzip, read_archive
from primetui.config import BackupSettings, Settings
from primetui.sandbox.gpg import GpgHome
from tests.hostile.backup_helpers import (
    PASSPHRASE,
    encrypt_by_hand,
    file_info,
    make_service,
    tar_gz,
    tree,
)

MiB = 1024 * 1024


def zeros_archive(size: int, name: str = "config/zeros.bin") -> bytes:
    """A .tar.gz with one file of `size` zero bytes, streamed (never `size` in memory)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        info = file_info(name)
        info.size = size
        tar.addfile(info, _Zeros(size))
    return buf.getvalue()


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return bytes(n)


def test_the_member_count_cap_refuses_before_reading_further() -> None:
    many = tar_gz([(file_info(f"config/f{i}"), b"") for i in range(50)])
    with pytest.raises(HostileArchiveError, match="beyond the limit of 20 members"):
        read_archive(io.BytesIO(many), limits=ArchiveLimits(max_members=20))


def test_the_total_size_cap_refuses_an_archive_claiming_too_much() -> None:
    data = zeros_archive(3 * MiB)
    with pytest.raises(HostileArchiveError, match="beyond the limit of 1048576"):
        read_archive(io.BytesIO(data), limits=ArchiveLimits.from_settings(100, 1, 100000))


def test_the_expansion_ratio_cap_refuses_a_few_megabytes_of_zeros() -> None:
    data = zeros_archive(4 * MiB)
    assert len(data) < 10_000
    stream = io.BytesIO(data)
    with pytest.raises(HostileArchiveError, match="more than 10 times"):
        read_archive(stream, limits=ArchiveLimits(max_ratio=10))


def test_a_bomb_is_refused_after_a_bounded_amount_of_output() -> None:
    gunzip = BoundedGunzip(io.BytesIO(gzip.compress(bytes(8 * MiB))), ArchiveLimits(max_ratio=10))
    with pytest.raises(HostileArchiveError):
        while gunzip.read(MiB):
            pass
    assert gunzip.produced <= 2 * MiB


def test_not_gzip_at_all_is_one_sentence() -> None:
    with pytest.raises(BackupError, match="not a readable .tar.gz archive"):
        read_archive(io.BytesIO(b"this is not gzip" * 100))


def test_verifying_a_50_mb_file_of_zeros_keeps_memory_flat(
        gpg_home: GpgHome, tmp_path: Path) -> None:
    archive = encrypt_by_hand(gpg_home, zeros_archive(50 * MiB), tmp_path / "zeros.tar.gz.gpg")
    service = make_service(tmp_path, gpg_home, tmp_path, limits=ArchiveLimits(max_ratio=0))
    tracemalloc.start()
    started = time.monotonic()
    try:
        report = service.verify(archive, PASSPHRASE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.listing.total_size == 50 * MiB
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert time.monotonic() - started < 30


def test_a_restore_of_a_bomb_writes_nothing(sample_project: Path, gpg_home: GpgHome,
                                            tmp_path: Path) -> None:
    before = tree(sample_project)
    archive = encrypt_by_hand(gpg_home, zeros_archive(4 * MiB, "config/app.yml"),
                              tmp_path / "bomb.tar.gz.gpg")
    service = make_service(sample_project, gpg_home, tmp_path, max_expansion_ratio=10)
    with pytest.raises(HostileArchiveError, match="more than 10 times"):
        service.preview_restore(archive, PASSPHRASE)
    assert tree(sample_project) == before


def test_the_caps_are_settings_with_sane_defaults() -> None:
    backups = Settings(backups=BackupSettings()).backups
    assert (backups.max_archive_members, backups.max_archive_mb,
            backups.max_expansion_ratio) == (100_000, 16_384, 1000)
