"""The demo keeps to itself: run twice in a row, each time turning maintenance mode on with
the wizard and quitting while it is on, it leaves nothing in the real state directory (no
audit log, no wizard progress) and nothing in TMPDIR — so the second run's wizard does not
trip over the first run's maintenance host."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from primetui.sandbox.world import WWW_DOMAIN
from tests.fixtures.common import require_binary
from tests.fixtures.tmux import (
    PRIMETUI,
    Tmux,
    quit_answering_yes,
    start_demo,
    turn_maintenance_on,
)


def everything_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.e2e
def test_two_demos_with_maintenance_on_leave_the_state_directory_and_tmpdir_empty(
        tmp_path: Path) -> None:
    require_binary("tmux")
    assert PRIMETUI.exists(), "primetui is not installed in this virtual environment"
    home, tmpdir = tmp_path / "home", tmp_path / "tmp"
    state = home / "state"
    state.mkdir(parents=True)
    tmpdir.mkdir()
    for run in (1, 2):
        started = time.monotonic()
        tmux = Tmux(tmp_path / f"tmux-{run}.sock")
        try:
            start_demo(tmux, home, tmpdir)
            turn_maintenance_on(tmux, WWW_DOMAIN)
            quit_answering_yes(tmux, state / "primetui" / "crash.log")
        finally:
            tmux("kill-server")
        seconds = time.monotonic() - started
        assert everything_under(state) == [], f"run {run} wrote into the real state directory"
        assert everything_under(tmpdir) == [], f"run {run} left these in TMPDIR"
        print(f"run {run}: {seconds:.0f} s")
