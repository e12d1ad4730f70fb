"""Helpers for the command-line tests: the installed console script, run as cron and shells do."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

PRIMETUI = Path(sys.executable).with_name("primetui")
"""The installed console script (the venv's `primetui`), not `python -m primetui`."""


@dataclass
class Home:
    """A private config and state dir for one test, and the environment that points at them."""

    env: dict[str, str]
    config: Path
    state: Path

    def run(self, *args: str, stdin: str | None = None,
            extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run `primetui ARGS` with no terminal: stdin from /dev/null unless text is given."""
        return subprocess.run([str(PRIMETUI), *args], env={**self.env, **(extra or {})},
                              input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    """A starter config in a private XDG config dir, and a private state dir."""
    assert PRIMETUI.is_file(), f"{PRIMETUI} is not installed: run 'make .venv/.installed'"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PRIMETUI_", "AWS_")) and k not in ("TERM",)}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"),
               HOME=str(tmp_path))
    config = tmp_path / "config" / "primetui" / "config.toml"
    state = tmp_path / "state" / "primetui"
    state.mkdir(parents=True, mode=0o700)
    made = Home(env, config, state)
    done = made.run("config", "init")
    assert done.returncode == 0, done.stderr
    return made


def one_sentence(err: str) -> str:
    """The single `primetui: …` line of stderr, without its prefix."""
    assert err.startswith("primetui: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.removeprefix("primetui: ").strip()


def run_on_pty(args: list[str], env: dict[str, str], *, typed: bytes = b"",
               timeout: float = 60) -> tuple[int, bytes]:
    """Run the console script on a real pseudo-terminal; what it showed, and its exit code."""
    controller, terminal = os.openpty()
    os.set_blocking(controller, False)
    proc = subprocess.Popen([str(PRIMETUI), *args], env={**env, "TERM": "xterm-256color"},
                            stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True,
                            start_new_session=True)
    os.close(terminal)
    shown = bytearray()
    deadline = time.monotonic() + timeout
    try:
        if typed:
            os.write(controller, typed)
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the other side closed
                    chunk = b""
                shown += chunk
                if not chunk and proc.poll() is not None:
                    break
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise AssertionError(f"primetui {' '.join(args)} did not end within {timeout} s")
        return proc.wait(timeout=10), bytes(shown)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(controller)
