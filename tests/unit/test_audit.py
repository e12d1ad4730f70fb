"""The audit log: append-only JSONL, mode 0600, readable back, no secrets."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from primetui.errors import PrimeError
from primetui.plans.audit import AuditLog
from primetui.plans.plan import Plan, Step, StepContext, execute


def _plan(fail: bool = False) -> Plan:
    def ok(ctx: StepContext) -> None:
        ctx.emit("hello")

    def bad(ctx: StepContext) -> None:
        raise PrimeError("The disk is full.")

    return Plan(title="Practice", target="local", action="practice.run",
                steps=[Step("Say hello", ["echo hello"], ok)]
                + ([Step("Fail", ["false"], bad)] if fail else []))


def test_each_run_appends_one_line_with_mode_0600(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "state" / "audit.jsonl")
    plan = _plan()
    log.record(plan, execute(plan))
    log.record(plan, execute(plan))
    lines = log.path.read_text().splitlines()
    assert len(lines) == 2
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    first = json.loads(lines[0])
    assert first["action"] == "practice.run" and first["outcome"] == "succeeded"
    assert first["commands"] == ["echo hello"] and first["output_tail"] == ["hello"]


def test_failed_run_is_recorded_with_its_sentence(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    plan = _plan(fail=True)
    log.record(plan, execute(plan))
    (entry,) = log.entries()
    assert entry.outcome == "failed" and entry.error == "The disk is full."


def test_redacted_strings_never_reach_the_file(tmp_path: Path) -> None:
    secret = "correct horse battery staple"

    def leaky(ctx: StepContext) -> None:
        ctx.emit(f"password was {secret}")

    plan = Plan("Leaky", "local", [Step("Leak", ["true"], leaky)])
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record(plan, execute(plan), redact=(secret,))
    assert secret not in log.path.read_text()
    assert "[redacted]" in log.path.read_text()


def test_damaged_lines_are_skipped_and_since_filters(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    plan = _plan()
    result = execute(plan)
    log.record(plan, result)
    with open(log.path, "a") as out:
        out.write("{not json\n")
    assert len(log.entries()) == 1
    assert log.entries(since=result.started + 3600) == []


def test_the_context_is_recorded_and_entries_from_before_contexts_still_read(
        tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    plan = _plan()
    log.record(plan, execute(plan), context="staging")
    old = json.loads(log.path.read_text().splitlines()[0])
    del old["context"]  # an entry written before contexts existed
    with log.path.open("a") as out:
        out.write(json.dumps(old) + "\n")
    first, second = log.entries()
    assert first.context == "staging"
    assert second.context == "" and second.action == "practice.run"
