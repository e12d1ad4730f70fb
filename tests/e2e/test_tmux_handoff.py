"""The installed `primetui` under tmux: `S` hands the terminal to ssh on the real sshd and the
app comes back when the shell exits, as a person would see it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.common import require_binary
from tests.fixtures.tmux import Tmux

PRIMETUI = Path(sys.executable).with_name("primetui")


@pytest.mark.e2e
def test_ssh_shell_hand_off_suspends_and_comes_back(tmp_path: Path, ssh_server_settings) -> None:
    require_binary("tmux")
    s = ssh_server_settings
    config = tmp_path / "config.toml"
    config.write_text(
        '[aws]\nregion = "us-east-2"\nendpoint_url = "http://127.0.0.1:9"\n\n'
        f'[servers.prod]\nhost = "{s.host}"\nport = {s.port}\nuser = "{s.user}"\n'
        f'key = "{s.key}"\nknown_hosts = "{s.known_hosts}"\nprofile = "sandbox"\n\n'
        '[certificates]\nserver = "prod"\n')
    config.chmod(0o600)
    home = tmp_path / "home"
    env = (f"env HOME={home} XDG_CONFIG_HOME={home}/config XDG_STATE_HOME={home}/state "
           f"TMPDIR={tmp_path} TERM=xterm-256color AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x")
    tmux = Tmux(tmp_path / "tmux.sock")
    tmux("new-session", "-d", "-s", "tui", "-x", "120", "-y", "36",
         f"{env} {PRIMETUI} --config {config}; echo EXITED-$?; sleep 30")
    try:
        tmux.wait_for("Overview")
        tmux("send-keys", "-t", "tui", "4")
        tmux.wait_for("No domains are configured")
        tmux("send-keys", "-t", "tui", "S")
        gone_by = time.monotonic() + 30
        while "No domains are configured" in tmux.screen():  # the app hands the terminal over
            assert time.monotonic() < gone_by, tmux.screen()
            time.sleep(0.2)
        time.sleep(1.0)  # ssh connects; what is typed now is the remote shell's
        tmux("send-keys", "-t", "tui", "echo HANDOFF-$((6*7)) on $(hostname)", "Enter")
        shell = tmux.wait_for("HANDOFF-42 on", timeout=30)
        assert "Overview" not in shell  # the app is suspended: the shell has the terminal
        tmux("send-keys", "-t", "tui", "exit", "Enter")
        tmux.wait_for("Back from prod.", timeout=30)
        tmux("send-keys", "-t", "tui", "q")
        tmux.wait_for("EXITED-0", timeout=30)
    finally:
        tmux("kill-server")
