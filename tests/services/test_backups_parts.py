"""The backup service's parts: parallel gzip, file names, prune selection, passphrase rules."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import tarfile
from datetime import datetime

import pytest

from primetui.backups.catalog import BackupEntry, select_prune, status_of
from primetui.backups.common import (
    backup_name,
    is_temp_name,
    parse_name,
    passphrase_problem,
    temp_name,
)
from primetui.backups.compression import BLOCK, ParallelGzip


def pgzip(data: bytes, **kwargs: object) -> bytes:
    out: list[bytes] = []
    gz = ParallelGzip(out.append, **kwargs)  # type: ignore[arg-type]
    for start in range(0, len(data), 300_000):
        gz.write(data[start:start + 300_000])
    gz.close()
    return b"".join(out)


@pytest.mark.parametrize("size", [0, 1, BLOCK - 1, BLOCK, 3 * BLOCK + 12345])
def test_parallel_gzip_is_one_standard_gzip_stream(size: int) -> None:
    text = b"".join(b"line %d of a config file\n" % i for i in range(size // 20 + 1))[: size // 2]
    data = text + os.urandom(size - len(text))
    blob = pgzip(data, workers=3)
    assert gzip.decompress(blob) == data
    assert subprocess.run(["gzip", "-dc"], input=blob, capture_output=True,
                          check=True).stdout == data


def test_parallel_gzip_compresses_text_and_stores_random_data() -> None:
    text = b"DATABASE_URL=postgres://prime@db:5432/prime\n" * 100_000
    assert len(pgzip(text)) < len(text) / 50
    noise = os.urandom(2 * BLOCK)
    assert len(noise) <= len(pgzip(noise)) < len(noise) * 1.01


def test_a_tar_written_through_parallel_gzip_reads_as_a_tar_gz_stream() -> None:
    buf = io.BytesIO()
    gz = ParallelGzip(buf.write)
    with tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        for i in range(3):
            data = os.urandom(BLOCK // 2) * 2
            info = tarfile.TarInfo(f"config/f{i}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    gz.close()
    buf.seek(0)
    with tarfile.open(fileobj=buf, mode="r|gz") as tar:
        assert [m.name for m in tar] == ["config/f0", "config/f1", "config/f2"]


def test_names_follow_the_runbook_and_add_a_time_when_taken() -> None:
    when = datetime(2025, 1, 31, 14, 30, 5)
    assert backup_name("prime", when, set()) == "prime-backup-2025-01-31.tar.gz.gpg"
    taken = {"prime-backup-2025-01-31.tar.gz.gpg"}
    assert backup_name("prime", when, taken) == "prime-backup-2025-01-31-143005.tar.gz.gpg"
    assert backup_name("prime", when, set(), "pre-restore") == \
        "prime-pre-restore-2025-01-31-143005.tar.gz.gpg"
    parsed = parse_name("my-lab-backup-2025-01-31-143005.tar.gz.gpg")
    assert parsed and (parsed.prefix, parsed.kind, parsed.when) == ("my-lab", "backup", when)
    assert parse_name("notes.txt.gpg") is None and parse_name("x-backup-2025-13-40.tar.gz.gpg") is None
    tmp = temp_name("prime-backup-2025-01-31.tar.gz.gpg")
    assert tmp.startswith(".prime-backup-2025-01-31.tar.gz.gpg.tmp-") and is_temp_name(tmp)


def entry(name: str, day: int, kind: str = "backup") -> BackupEntry:
    created = datetime(2025, 1, day).timestamp()
    return BackupEntry(name, "local", f"/b/{name}", kind, created, 10, 40.0 - day)


def test_prune_selects_beyond_the_newest_n_of_each_kind_and_only_our_names() -> None:
    entries = [entry(f"prime-backup-2025-01-{d:02d}.tar.gz.gpg", d) for d in range(1, 6)]
    entries += [entry(f"prime-pre-restore-2025-01-{d:02d}-120000.tar.gz.gpg", d, "pre-restore")
                for d in (2, 3)]
    entries += [entry("other-backup-2025-01-01.tar.gz.gpg", 1), entry("manual.gpg", 1, "other")]
    doomed = sorted(e.name for e in select_prune(entries, "prime", 2))
    assert doomed == ["prime-backup-2025-01-01.tar.gz.gpg", "prime-backup-2025-01-02.tar.gz.gpg",
                      "prime-backup-2025-01-03.tar.gz.gpg"]


def test_status_ignores_pre_restore_copies() -> None:
    status = status_of([entry("prime-pre-restore-2025-01-09-000000.tar.gz.gpg", 30, "pre-restore"),
                        entry("prime-backup-2025-01-01.tar.gz.gpg", 1)], max_age_days=7)
    assert status.level == "warning" and "39 days old" in status.message


@pytest.mark.parametrize(("passphrase", "problem"), [
    ("", "empty"), ("a\nb", "line breaks"), ("a\rb", "line breaks"), ("a\0b", "NUL"),
    ("fine passphrase", None)])
def test_passphrase_rules(passphrase: str, problem: str | None) -> None:
    found = passphrase_problem(passphrase)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_passphrase_hint_grades_strength() -> None:
    from primetui.secrets import strength_hint

    assert strength_hint("hunter2").startswith("Weak")
    assert strength_hint("Tr0ub4dor&3x").startswith("Fair")
    assert strength_hint("correct horse battery staple") == "Strong."
