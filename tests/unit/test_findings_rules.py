"""The findings' own rules, without any service: severity order and exit codes, failures and
timeouts as findings, one AWS finding instead of three, and "outside its schedule"."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from primetui.errors import AwsError, PrimeError
from primetui.findings.model import (
    AreaResult,
    AreaStatus,
    Finding,
    FindingsReport,
    by_urgency,
)
from primetui.instances.findings import schedule_finding
from primetui.instances.model import EC2, Instance, Schedule, target_info
from primetui.overview.collector import fold_aws, judge
from primetui.overview.hosts import Outcome, gather

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("utc")


def finding(severity: str, area: str = "backups", title: str = "t") -> Finding:
    return Finding(severity, area, title)  # type: ignore[arg-type]


def report(*severities: str) -> FindingsReport:
    return FindingsReport(tuple(by_urgency([finding(s) for s in severities])), (), 0.0)


def test_most_urgent_first_then_by_area_and_title():
    ordered = by_urgency([finding("info", "a"), finding("warning", "b", "y"),
                          finding("critical", "z"), finding("warning", "b", "x")])
    assert [(f.severity, f.title) for f in ordered] == [
        ("critical", "t"), ("warning", "x"), ("warning", "y"), ("info", "t")]


def test_exit_code_is_2_critical_1_warning_0_otherwise():
    assert report("info", "critical", "warning").exit_code == 2
    assert report("info", "warning").exit_code == 1
    assert report("info").exit_code == report().exit_code == 0
    assert report().headline() == "All well: nothing needs attention."
    assert report("critical", "critical", "warning", "info").headline() == \
        "Needs attention: 2 critical, 1 warning, 1 note."


def test_a_failed_or_late_area_is_a_warning_finding_of_that_area():
    failed = judge("backups", Outcome(True, error=PrimeError("The disk is gone.")), 20)
    assert failed.findings[0].title == "Backups could not be checked: The disk is gone."
    assert failed.status.severity == "warning"
    bug = judge("backups", Outcome(True, error=KeyError("x")), 20)
    assert bug.findings[0].title == "Backups could not be checked: unexpected KeyError: 'x'"
    late = judge("certificates", Outcome(False), 7.5)
    assert late.findings[0].title == "Certificates did not answer within 7.5 s."
    assert late.findings[0].tab == "certificates"


def test_with_the_account_unreachable_the_aws_areas_only_say_not_checked():
    account = AreaResult(AreaStatus("aws", "AWS account", "Unreachable.", "warning"),
                         (finding("warning", "aws"),))
    outcomes = {"instances": Outcome(True, error=AwsError("Cannot reach AWS.")),
                "schedules": Outcome(False)}
    results = {"aws": account,
               "instances": judge("instances", outcomes["instances"], 5),
               "schedules": judge("schedules", outcomes["schedules"], 5)}
    folded = fold_aws(results, outcomes)
    assert folded["aws"] is account
    for area in ("instances", "schedules"):
        assert folded[area].findings == ()
        assert folded[area].status.summary == "Not checked: the AWS account cannot be reached."


def test_gather_returns_by_its_deadline_and_leaves_a_hung_call_behind():
    release = threading.Event()
    started = time.monotonic()
    out = gather({"quick": lambda: 42, "hung": lambda: release.wait(30)}, 0.3)
    assert time.monotonic() - started < 5
    assert out["quick"] == Outcome(True, 42) and out["hung"] == Outcome(False)
    release.set()


def switch(name: str, direction: str, cron: str, state: str = "ENABLED") -> Schedule:
    target = target_info("arn:aws:scheduler:::aws-sdk:ec2:" + f"{direction}Instances",
                         '{"InstanceIds": ["i-1"]}')
    return Schedule(name=name, group="prime", expression=cron, timezone="UTC", state=state,
                    target_arn="", role_arn="", target=target)


def server(state: str) -> Instance:
    return Instance(id="i-1", name="prime-prod", kind=EC2, type="t3.medium", state=state)


PAIR = [switch("stop", "stop", "cron(0 20 ? * MON-FRI *)"),
        switch("start", "start", "cron(0 7 ? * MON-FRI *)")]


def test_running_after_the_stop_fired_is_a_warning_and_at_noon_is_fine():
    evening = MONDAY_NOON + timedelta(hours=9)  # 21:00, an hour after the stop
    late = schedule_finding(server("running"), PAIR, evening)
    assert late is not None and late.severity == "warning"
    assert late.title.startswith("prime-prod is running outside its schedule: prime/stop "
                                 "stopped it at Mon 2026-03-02")
    assert schedule_finding(server("running"), PAIR, MONDAY_NOON) is None
    assert schedule_finding(server("running"), PAIR, MONDAY_NOON.replace(hour=20, minute=5)) \
        is None  # within the grace period: the stop may still be on its way


def test_stopped_after_the_start_fired_is_a_note_and_disabled_schedules_do_not_count():
    note = schedule_finding(server("stopped"), PAIR, MONDAY_NOON)
    assert note is not None and note.severity == "info" and note.action == "instances.start"
    disabled = [switch("stop", "stop", PAIR[0].expression, "DISABLED"), PAIR[1]]
    assert schedule_finding(server("running"), disabled, MONDAY_NOON + timedelta(hours=9)) \
        is None


def test_gather_gives_running_calls_only_a_grace_period_once_cancelled():
    release = threading.Event()
    started = time.monotonic()
    out = gather({"quick": lambda: time.sleep(0.05) or 1, "hung": lambda: release.wait(30)},
                 30, is_cancelled=lambda: True, grace=0.5)
    assert time.monotonic() - started < 5
    assert out == {"quick": Outcome(True, 1), "hung": Outcome(False)}
    release.set()
