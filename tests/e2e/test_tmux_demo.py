"""The installed `primetui --demo` under tmux, driven by keys as a person would."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.common import require_binary
from tests.fixtures.tmux import PRIMETUI, Tmux


@pytest.mark.e2e
def test_demo_switches_tabs_with_number_keys_and_quits_cleanly(tmp_path: Path) -> None:
    require_binary("tmux")
    assert PRIMETUI.exists(), "primetui is not installed in this virtual environment"
    home = tmp_path / "home"
    env = (f"env XDG_CONFIG_HOME={home}/config XDG_STATE_HOME={home}/state "
           f"TMPDIR={tmp_path} TERM=xterm-256color")
    tmux = Tmux(tmp_path / "tmux.sock")
    tmux("new-session", "-d", "-s", "tui", "-x", "120", "-y", "36",
         f"{env} {PRIMETUI} --demo; echo EXITED-$?; sleep 30")
    try:
        tmux.wait_for("Overview")
        tmux.wait_for("123456789012", timeout=90)  # the sandbox's account id in the header
        tmux("send-keys", "-t", "tui", "2")
        tmux.wait_for("EC2 instances and RDS databases")
        tmux("send-keys", "-t", "tui", "7")
        tmux.wait_for("Audit")
        tmux("send-keys", "-t", "tui", "q")
        try:
            tmux.wait_for("EXITED-0", timeout=30)
        except AssertionError as failed:  # say why: the crash log stays in the real state dir
            crash = home / "state" / "primetui" / "crash.log"
            raise AssertionError(f"{failed}\ncrash.log:\n"
                                 f"{crash.read_text() if crash.exists() else '(none)'}") from None
    finally:
        tmux("kill-server")
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith("primetui")]
    assert leftovers == [], f"the demo left {leftovers} behind"


@pytest.mark.e2e
def test_demo_stops_on_sigterm(tmp_path: Path) -> None:
    require_binary("tmux")
    home = tmp_path / "home"
    env = dict(os.environ, XDG_CONFIG_HOME=f"{home}/config", XDG_STATE_HOME=f"{home}/state",
               TMPDIR=str(tmp_path), TERM="xterm-256color")
    tmux = Tmux(tmp_path / "tmux.sock")
    cmd = f"{PRIMETUI} --demo; echo EXITED-$?; sleep 30"
    subprocess.run(tmux.base + ["new-session", "-d", "-s", "tui", "-x", "120", "-y", "36", cmd],
                   env=env, check=True, timeout=20)
    try:
        tmux.wait_for("123456789012", timeout=90)
        shell = tmux("list-panes", "-t", "tui", "-F", "#{pane_pid}").strip()
        pids = subprocess.run(["pgrep", "-P", shell], capture_output=True,
                              text=True).stdout.split()
        assert pids
        for pid in pids:
            subprocess.run(["kill", "-TERM", pid])
        tmux.wait_for("EXITED-", timeout=30)
    finally:
        tmux("kill-server")
    assert [p for p in tmp_path.iterdir() if p.name.startswith("primetui")] == []
    assert shutil.which("tmux")
