"""Faults around the edges: `report --out` never replaces a FIFO, a device or a symlink with
a regular file (a device node is refused the same way; it is not tested here, where the
tests run as root and a regression would replace /dev/null), and the practice plan's scratch directory in $TMPDIR cannot be planted
beforehand by another user (its name is not predictable)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from primetui.config import BackupSettings, Settings
from primetui.plans import practice
from primetui.plans.plan import execute
from primetui.plans.practice import practice_dir, practice_plan
from tests.hostile.rest_helpers import assert_one_sentence, private_env, run_primetui


def report(tmp_path: Path, out: Path):
    config = tmp_path / "config.toml"
    config.write_text('[aws]\nendpoint_url = "http://127.0.0.1:9"\nmax_attempts = 1\n'
                      f'deadline = 2\n[backups]\nsource = "{tmp_path}"\n')
    return run_primetui("--config", str(config), "report", "--timeout", "3", "--out",
                        str(out), env=private_env(tmp_path))


def test_report_out_refuses_a_fifo_and_leaves_it_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    out = report(tmp_path, fifo)
    assert out.returncode == 1
    assert_one_sentence(out.stderr)
    assert f"Refusing to write the report to {fifo}: it is a named pipe (FIFO)" in out.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".pipe"))  == []


def test_report_out_refuses_a_symlink_and_leaves_its_target_alone(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    link = tmp_path / "report.md"
    link.symlink_to(target)
    out = report(tmp_path, link)
    assert out.returncode == 1
    assert_one_sentence(out.stderr)
    assert "it is a symbolic link" in out.stderr
    assert link.is_symlink() and target.read_text() == "keep me\n"


def test_report_out_still_replaces_a_regular_file_and_makes_new_ones(tmp_path):
    old = tmp_path / "old.md"
    old.write_text("old\n")
    assert report(tmp_path, old).returncode == 0
    assert old.read_text().startswith("#") and not old.is_symlink()
    new = tmp_path / "new.md"
    assert report(tmp_path, new).returncode == 0 and new.is_file()


def test_a_planted_practice_directory_is_not_used(tmp_path, monkeypatch):
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # $TMPDIR for this test
    monkeypatch.setattr(practice, "_SCRATCH", [])
    # Another user plants the old predictable name as a link to somewhere that matters.
    victim = tmp_path / "victim"
    victim.mkdir()
    planted = temp / f"primetui-practice-{os.getuid()}"
    planted.symlink_to(victim)
    settings = Settings(backups=BackupSettings(source=str(tmp_path / "missing")))
    folder = practice_dir(settings)
    assert folder.parent == temp and folder != planted and not folder.is_symlink()
    result = execute(practice_plan(settings))
    assert result.ok, result.error
    assert (folder / "notice.txt").is_file()
    assert list(victim.iterdir()) == []
