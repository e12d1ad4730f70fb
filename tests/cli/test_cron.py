"""The command line as cron and shell pipelines run it: no terminal, stdin from /dev/null,
errors on stderr, a reader that closes early, a crash inside the terminal application."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.cli.cli_helpers import PRIMETUI, Home, one_sentence, run_on_pty


def test_failed_plan_is_one_sentence_on_stderr_not_stdout(home: Home) -> None:
    done = home.run("practice", "--fail", "--yes")
    assert done.returncode == 1
    sentence = one_sentence(done.stderr)
    assert sentence.startswith("Practice: post a maintenance notice failed: ")
    assert sentence.endswith(".")
    assert "Failed:" not in done.stdout and "failed:" not in done.stdout


def test_cron_run_of_the_tui_refuses_in_one_sentence_with_exit_2(home: Home) -> None:
    cron_env = {k: v for k, v in home.env.items() if k in ("PATH", "HOME", "XDG_CONFIG_HOME",
                                                            "XDG_STATE_HOME", "LANG")}
    done = subprocess.run([str(PRIMETUI)], env=cron_env, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == b""  # no escape codes written into the pipe
    assert b"\x1b" not in done.stderr
    assert "needs a terminal" in one_sentence(done.stderr.decode())


def test_tui_into_a_pipe_refuses_even_with_a_terminal_on_stdin(home: Home) -> None:
    controller, terminal = os.openpty()
    try:
        done = subprocess.run([str(PRIMETUI)], env=home.env, stdin=terminal,
                              capture_output=True, timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 2 and done.stdout == b""
    assert "needs a terminal" in one_sentence(done.stderr.decode())


def _audit_entries(home: Home, count: int) -> None:
    home.state.mkdir(parents=True, exist_ok=True)
    entry = {"when": 1_700_000_000.0, "user": "lab", "host": "ws1", "action": "practice.notice",
             "title": "Practice", "target": "local", "outcome": "succeeded", "duration": 0.1,
             "commands": ["true"], "error": "", "output_tail": []}
    with open(home.state / "audit.jsonl", "w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps({**entry, "when": entry["when"] + i}) + "\n")
    os.chmod(home.state / "audit.jsonl", 0o600)


def test_a_reader_closing_the_pipe_early_ends_quietly(home: Home) -> None:
    _audit_entries(home, 3000)  # more than a pipe buffer holds
    script = f"'{PRIMETUI}' audit 2>err.txt | head -1; echo \"status=${{PIPESTATUS[0]}}\""
    done = subprocess.run(["bash", "-c", script], env=home.env, cwd=home.state,
                          capture_output=True, text=True, timeout=60)
    first, status = done.stdout.splitlines()
    assert "practice.notice" in first
    assert (home.state / "err.txt").read_text() == ""
    assert status == "status=141"  # as a Unix tool ended by SIGPIPE
    assert not (home.state / "crash.log").exists()


def test_json_reader_closing_early_is_quiet_too(home: Home) -> None:
    _audit_entries(home, 3000)
    script = f"'{PRIMETUI}' audit --json 2>err.txt | head -c 10 >/dev/null"
    subprocess.run(["bash", "-c", script], env=home.env, cwd=home.state, timeout=60, check=True)
    assert (home.state / "err.txt").read_text() == ""
    assert not (home.state / "crash.log").exists()


CRASHING_APP = '''
import primetui.ui.app as app_module

def on_ready(self):
    passphrase = "correct-horse-battery-staple-42"
    raise RuntimeError("the Instances tab fell over " + str(len(passphrase)))

app_module.PrimeApp.on_ready = on_ready
'''


CRASHING_DEMO = '''
import primetui.ui.app as app_module

def _demo_ready(self, settings):
    raise RuntimeError("the demo fell over once its world was up")

app_module.PrimeApp._demo_ready = _demo_ready
'''


@pytest.mark.services
def test_a_crash_in_the_demo_is_logged_where_it_stays_not_in_the_deleted_sandbox(
        home: Home, tmp_path: Path) -> None:
    """The sandbox points the state directory into itself and deletes it on the way out:
    the crash log must go to the user's own state directory, which the message names."""
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(CRASHING_DEMO)
    env = {**home.env, "PYTHONPATH": str(inject), "TMPDIR": str(tmp_path)}
    code, shown = run_on_pty(["--demo"], env, timeout=120)
    assert code == 1, shown.decode(errors="replace")[-2000:]
    crash = home.state / "crash.log"
    assert "the demo fell over once its world was up" in crash.read_text()
    assert str(crash).encode() in shown.replace(b"\r\n", b"").replace(b"\n", b"")


def test_a_crash_inside_the_tui_writes_crash_log_and_exits_non_zero(home: Home,
                                                                     tmp_path: Path) -> None:
    """A fault injected through sitecustomize (test-only): the app raises once it is ready."""
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(CRASHING_APP)
    env = {**home.env, "PYTHONPATH": str(inject)}
    code, shown = run_on_pty([], env)
    assert code == 1, shown.decode(errors="replace")[-2000:]
    crash = home.state / "crash.log"
    assert stat.S_IMODE(crash.stat().st_mode) == 0o600
    text = crash.read_text()
    assert "RuntimeError" in text and "the Instances tab fell over 31" in text
    assert "correct-horse-battery-staple-42" not in text  # locals are left out
    assert b"correct-horse-battery-staple-42" not in shown
    assert b"stopped on an unexpected error" in shown
