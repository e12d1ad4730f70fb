"""What needs attention about the instances: running outside their schedule, and stopped
RDS instances that AWS will start again by itself.

"Outside their schedule" is judged simply: for an instance with enabled start and stop
schedules, the schedule that fired last (looking back a week) says whether it should be
running; a running instance whose last switch was a stop (more than `GRACE` ago) is a
warning, and a stopped one whose last switch was a start is worth a note. A stopped RDS
instance says when AWS starts it again by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from primetui.errors import PrimeError
from primetui.findings.model import AreaResult, Finding, Severity
from primetui.findings.wording import duration, local_time, plural, status
from primetui.instances.model import RDS, Instance, Schedule
from primetui.schedules.expressions import ScheduleExpressionError, iter_runs

if TYPE_CHECKING:
    from primetui.instances.service import InstancesService
    from primetui.schedules.service import SchedulesService

GRACE = timedelta(minutes=15)
"""How long after a schedule fired an instance may still be on its way (not yet a finding)."""
LOOKBACK = timedelta(days=8)
"""How far back the last run of a start or stop schedule is looked for."""
RESTART_SOON = timedelta(days=2)
"""A stopped RDS instance that AWS restarts sooner than this is a warning, not a note."""
RUNNING = {"running", "available"}


def last_run(schedule: Schedule, now: datetime) -> datetime | None:
    """When the schedule last fired before `now` (within `LOOKBACK`), if it did."""
    last = None
    try:
        for instant in iter_runs(schedule.expression, schedule.timezone, now - LOOKBACK,
                                 start=schedule.start_date, end=schedule.end_date,
                                 anchor=schedule.start_date or schedule.created):
            if instant > now:
                break
            last = instant
    except ScheduleExpressionError:
        return None
    return last


def last_switch(schedules: list[Schedule], ref: str, direction: str,
                now: datetime) -> tuple[datetime, Schedule] | None:
    """The most recent run of an enabled schedule that switches `ref` in `direction`."""
    best: tuple[datetime, Schedule] | None = None
    for s in schedules:
        if not s.enabled or s.expression_error or s.target.direction != direction \
                or ref not in s.target.instances:
            continue
        when = last_run(s, now)
        if when is not None and (best is None or when > best[0]):
            best = (when, s)
    return best


def schedule_finding(instance: Instance, schedules: list[Schedule], now: datetime) -> Finding | None:
    """A running instance its schedule stopped, or a stopped one its schedule started."""
    start = last_switch(schedules, instance.id, "start", now)
    stop = last_switch(schedules, instance.id, "stop", now)
    if instance.state in RUNNING and stop and (start is None or stop[0] > start[0]) \
            and now - stop[0] > GRACE:
        when, schedule = stop
        return Finding("warning", "instances", f"{instance.name} is running outside its "
                       f"schedule: {schedule.key} stopped it at {local_time(when)}.",
                       f"{instance.kind} {instance.id} has run for {duration((now - when).total_seconds())} "
                       f"since then; stop it, or check the schedule's role if it should have.",
                       "instances", "instances.stop", instance.id)
    if instance.state == "stopped" and start and (stop is None or start[0] > stop[0]) \
            and now - start[0] > GRACE:
        when, schedule = start
        return Finding("info", "instances", f"{instance.name} is stopped, though {schedule.key} "
                       f"started it at {local_time(when)}.",
                       f"{instance.kind} {instance.id}: someone stopped it, or the start "
                       f"failed; start it if it should run.", "instances", "instances.start", instance.id)
    return None


def restart_finding(instance: Instance, now: datetime) -> Finding | None:
    """A stopped RDS instance: AWS starts it again by itself after 7 days."""
    if instance.kind != RDS or instance.state != "stopped":
        return None
    if instance.auto_restart is None:
        return Finding("info", "instances", f"{instance.name} is stopped; AWS starts it again "
                       f"by itself 7 days after it was stopped.",
                       "When it stopped is not known (AWS keeps RDS events for 14 days).",
                       "instances", "instances.details", instance.id)
    left = instance.auto_restart - now
    severity: Severity = "warning" if left < RESTART_SOON else "info"
    return Finding(severity, "instances", f"{instance.name} is stopped; AWS starts it again by "
                   f"itself on {local_time(instance.auto_restart)} (in "
                   f"{duration(max(0.0, left.total_seconds()))}).",
                   "A stopped RDS instance restarts after 7 days; stop it again after that "
                   "if it should stay off.", "instances", "instances.details", instance.id)


def check_instances(service: InstancesService, schedules: SchedulesService,
                    now: datetime) -> AreaResult:
    """Instances running outside their schedule and stopped RDS instances that will restart."""
    instances = service.list()
    note = ""
    try:
        found = schedules.list(role_checks=False)
    except PrimeError as err:
        found, note = [], f" Schedules unreadable: {err}"
    findings = [f for i in instances
                for f in (schedule_finding(i, found, now), restart_finding(i, now)) if f]
    running = sum(1 for i in instances if i.state in RUNNING)
    summary = (f"{plural(len(instances), 'instance')}: {running} running, "
               f"{len(instances) - running} not." if instances else "No instances.") + note
    return status("instances", summary, findings)
