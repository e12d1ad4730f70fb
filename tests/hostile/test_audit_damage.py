"""The audit log under damage: short writes and a full disk never tear or glue entries, a
line that is valid JSON but not an entry never crashes `audit` or `report`, and a run
stopped by ctrl+c is recorded as cancelled.

A full disk cannot be made here without root mounts, so `os.write` on the audit file only
(found through /proc/self/fd) is replaced by one that writes short or fails with ENOSPC, as
a full disk does; everything else (the plan, its commands, the log file) is real.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import time
from pathlib import Path

import pytest

from primetui.cli.main import main
from primetui.config import Settings
from primetui.plans.audit import AuditLog
from primetui.plans.plan import Plan, PlanInterrupted, Step
from primetui.registry import Services
from tests.hostile.rest_helpers import assert_one_sentence, private_env, run_primetui


def plan(title: str = "Post the notice", run=lambda ctx: ctx.emit("done")) -> Plan:
    return Plan(title=title, target="local: test", steps=[Step(title="Write it", commands=["echo done"], run=run)],
                action="test.notice")


def damaged_writes(monkeypatch, log: Path, *, chunk: int = 7, fail_after: int | None = None):
    """os.write on the audit file writes at most `chunk` bytes; after `fail_after` bytes it
    fails with ENOSPC (the disk is full). Other files are written as usual."""
    real = os.write
    written = [0]

    def write(fd: int, data) -> int:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if target != str(log):
            return real(fd, data)
        if fail_after is not None and written[0] >= fail_after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = real(fd, bytes(data[:chunk]))
        written[0] += n
        return n

    monkeypatch.setattr(os, "write", write)


def test_short_writes_still_write_the_whole_entry(tmp_path, monkeypatch):
    log = tmp_path / "audit.jsonl"
    damaged_writes(monkeypatch, log, chunk=7)
    audit = AuditLog(log)
    services = Services(Settings(), audit=audit)
    for title in ("First", "Second"):
        assert services.run_plan(plan(title)).audit_error == ""
    monkeypatch.undo()
    lines = log.read_text().splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["First", "Second"]


def test_a_full_disk_keeps_the_runs_outcome_and_says_it_was_not_recorded(tmp_path,
                                                                          monkeypatch):
    log = tmp_path / "audit.jsonl"
    audit = AuditLog(log)
    services = Services(Settings(), audit=audit)
    services.run_plan(plan("Before"))
    damaged_writes(monkeypatch, log, chunk=10, fail_after=30)  # a torn entry is left
    result = services.run_plan(plan("During"))
    assert result.ok and result.outcome == "succeeded"
    assert result.audit_error.startswith(f"Cannot write the audit log {log}: the disk is full.")
    assert result.audit_error.endswith("This run was not recorded in the audit log.")
    monkeypatch.undo()
    services.run_plan(plan("After"))  # the disk has room again
    assert [e.title for e in audit.entries()] == ["Before", "After"]
    assert log.read_text().endswith("\n")


def test_a_full_disk_in_the_cli_prints_done_and_the_missing_record(tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    config = tmp_path / "config.toml"
    config.write_text(f'[backups]\nsource = "{tmp_path}"\n')
    log = tmp_path / "state" / "primetui" / "audit.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text("")
    damaged_writes(monkeypatch, log, fail_after=0)
    code = main(["--config", str(config), "practice", "--yes"])
    monkeypatch.undo()
    out = capsys.readouterr()
    assert code == 0
    assert "Done: Practice: post a maintenance notice" in out.out
    assert out.err.count("\n") == 1 and "not recorded in the audit log" in out.err
    assert "the disk is full" in out.err


def test_an_append_after_a_torn_line_starts_on_a_fresh_line(tmp_path):
    log = tmp_path / "audit.jsonl"
    audit = AuditLog(log)
    Services(Settings(), audit=audit).run_plan(plan("Whole"))
    with open(log, "a") as out:
        out.write('{"when": 1, "title": "torn')  # what a full disk left behind
    Services(Settings(), audit=audit).run_plan(plan("Next"))
    assert [e.title for e in audit.entries()] == ["Whole", "Next"]


DAMAGE = ['[1, 2, 3]', '"just a string"', "42", "null", "true", '{"when": 1, "title": "to',
          '{"when": "yesterday", "user": "x", "host": "h", "action": "a", "title": "t", '
          '"target": "t", "outcome": "succeeded", "duration": 1, "commands": [], '
          '"error": "", "output_tail": []}',
          '{"when": 1, "user": "x", "host": "h", "action": "a", "title": "t", "target": "t", '
          '"outcome": "succeeded", "duration": 1, "commands": "not a list", "error": "", '
          '"output_tail": []}', "\x00\x01garbage", "",
          *(json.dumps({"when": when, "user": "x", "host": "h", "action": "a", "title": "t",
                        "target": "t", "outcome": "succeeded", "duration": 1, "error": "",
                        "commands": commands, "output_tail": []})
            for when, commands in ((1e400, []), (-1e20, []), (1e300, []), (1.0, [1, 2]),
                                   (1.0, [None])))]


def damaged_log(state: Path) -> Path:
    log = state / "primetui" / "audit.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    good = AuditLog(tmp := log.with_name("good.jsonl"))
    Services(Settings(), audit=good).run_plan(plan("The good one"))
    log.write_text("\n".join([*DAMAGE, tmp.read_text().strip(), *DAMAGE]) + "\n")
    log.chmod(0o600)
    tmp.unlink()
    return log


def test_lines_that_are_not_entries_are_skipped(tmp_path):
    log = damaged_log(tmp_path)
    assert [e.title for e in AuditLog(log).entries()] == ["The good one"]


@pytest.mark.parametrize("command", [["audit"], ["audit", "--json"], ["audit", "--since", "1d"],
                                     ["report", "--out", "-", "--timeout", "3"]])
def test_audit_and_report_read_a_damaged_log(tmp_path, command):
    env = private_env(tmp_path)
    damaged_log(Path(env["XDG_STATE_HOME"]))
    config = tmp_path / "config.toml"
    config.write_text('[aws]\nendpoint_url = "http://127.0.0.1:9"\nmax_attempts = 1\n'
                      f'deadline = 2\n[backups]\nsource = "{tmp_path}"\n')
    out = run_primetui("--config", str(config), *command, env=env)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "unexpected error" not in out.stderr
    assert "The good one" in out.stdout or "test.notice" in out.stdout


@pytest.fixture
def ctrl_c_raises():
    """Python's own ctrl+c handler for the test, whatever the test run inherited.

    A shell without job control starts background commands with SIGINT ignored (`make test
    &` in a script), and Python then keeps it ignored: ctrl+c would never arrive.
    """
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_a_run_stopped_by_ctrl_c_is_audited_as_cancelled(tmp_path):
    log = tmp_path / "audit.jsonl"
    audit = AuditLog(log)

    def interrupted(ctx) -> None:
        ctx.emit("half way")
        os.kill(os.getpid(), signal.SIGINT)  # a real ctrl+c: Python raises KeyboardInterrupt
        time.sleep(5)

    steps = [Step(title="First", commands=[], run=lambda ctx: None), Step(title="Second", commands=[], run=interrupted),
             Step(title="Third", commands=[], run=lambda ctx: None)]
    with pytest.raises(KeyboardInterrupt) as caught:
        Services(Settings(), audit=audit).run_plan(
            Plan(title="Long one", target="local", steps=steps, action="test.long"))
    assert isinstance(caught.value, PlanInterrupted)
    [entry] = audit.entries()
    assert entry.outcome == "cancelled" and entry.title == "Long one"
    assert entry.error == "Interrupted (ctrl+c) during 'Second'."
    assert entry.output_tail == ["half way"]


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_in_the_cli_exits_130_with_one_sentence_and_an_audit_entry(tmp_path,
                                                                          monkeypatch, capsys):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    config = tmp_path / "config.toml"
    config.write_text(f'[backups]\nsource = "{tmp_path}"\n')
    from primetui.remote import runners

    def ctrl_c(self, cmd, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)

    monkeypatch.setattr(runners.LocalRunner, "run", ctrl_c)
    code = main(["--config", str(config), "practice", "--yes"])
    err = capsys.readouterr().err
    assert code == 130
    assert_one_sentence(err)
    entries = AuditLog(tmp_path / "state" / "primetui" / "audit.jsonl").entries()
    assert [(e.action, e.outcome) for e in entries] == [("practice.notice", "cancelled")]
