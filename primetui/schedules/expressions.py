"""EventBridge Scheduler expressions: `cron(…)`, `rate(…)`, `at(…)` → the next runs.

AWS's six-field cron syntax (`?`, `L`, `W`, `#`, ranges, lists, steps, day names) is
parsed by the aws-croniter library, which only knows UTC. Scheduler evaluates a cron
expression in the schedule's wall-clock time, so the library is fed wall-clock times
dressed as UTC and every result is placed in the real time zone with zoneinfo. Like AWS:
a run that falls in the spring-forward gap is skipped, and a run in the repeated autumn
hour happens once (at its first occurrence). Rate expressions are fixed durations
("1 day" is 24 hours even across a DST change); `at(…)` is one wall-clock moment.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from primetui.errors import PrimeError

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$", re.IGNORECASE)
_AT = re.compile(r"^at\(\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\(\s*(.+?)\s*\)$", re.IGNORECASE)
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
_MAX_SKIPS = 2000
"""Cron candidates examined per run found, so an expression that never fires cannot spin."""


class ScheduleExpressionError(PrimeError):
    """A schedule expression or time zone that cannot be understood."""


@dataclass(frozen=True)
class ScheduleRun:
    """One future run of a schedule, as one instant seen in three places."""

    at: datetime
    """The instant, in UTC."""
    wall: datetime
    """The same instant in the schedule's time zone."""
    local: datetime
    """The same instant in this computer's local time zone."""


@dataclass(frozen=True)
class Expression:
    """A parsed schedule expression."""

    kind: str
    """cron, rate or at."""
    text: str
    """The expression as AWS stores it."""
    cron: str = ""
    """The six cron fields (cron only)."""
    every: timedelta | None = None
    """The interval (rate only)."""
    when: datetime | None = None
    """The naive wall-clock moment (at only)."""


def zone(name: str | None) -> tzinfo:
    """The time zone named by a schedule (`UTC` when it names none)."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ScheduleExpressionError(f"'{name}' is not a time zone name "
                                      f"(expected one like America/Detroit).") from err


@lru_cache(maxsize=256)
def _croniter(fields: str) -> Any:
    from aws_croniter import AwsCroniter

    return AwsCroniter(fields)


def parse_expression(text: str) -> Expression:
    """Parse `cron(…)`, `rate(…)` or `at(…)`; a bad one is a `ScheduleExpressionError`."""
    text = text.strip()
    if m := _RATE.match(text):
        value, unit = int(m.group(1)), m.group(2).lower().rstrip("s")
        if value < 1:
            raise ScheduleExpressionError(f"'{text}': a rate must be at least 1 {unit}.")
        return Expression("rate", text, every=timedelta(seconds=value * _UNIT[unit]))
    if m := _AT.match(text):
        try:
            when = datetime.fromisoformat(m.group(1))
        except ValueError as err:
            raise ScheduleExpressionError(f"'{text}' is not a real date and time.") from err
        return Expression("at", text, when=when)
    if m := _CRON.match(text):
        fields = " ".join(m.group(1).split())
        try:
            _croniter(fields)
        except Exception as err:  # the library raises its own family, and ValueError
            reason = str(err).rstrip(".") or type(err).__name__
            raise ScheduleExpressionError(f"'{text}' is not a valid AWS cron expression: "
                                          f"{reason}.") from err
        return Expression("cron", text, cron=fields)
    raise ScheduleExpressionError(f"'{text}' is not a schedule expression "
                                  f"(expected cron(…), rate(…) or at(…)).")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(UTC)


def _wall_instant(wall: datetime, tz: tzinfo) -> datetime | None:
    """The instant of a naive wall-clock time in `tz`; None when DST skips it."""
    aware = wall.replace(tzinfo=tz, fold=0)
    instant = aware.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        return None  # the spring-forward gap: this wall-clock time never happens
    return instant


def _cron_instants(fields: str, tz: tzinfo, after: datetime) -> Iterator[datetime]:
    cron = _croniter(fields)
    cursor = after.astimezone(tz).replace(tzinfo=UTC, fold=0)  # wall clock dressed as UTC
    skips = 0
    while skips < _MAX_SKIPS:
        found = cron.get_next(cursor, 1)[0]
        if found is None:
            return
        cursor = found
        instant = _wall_instant(found.replace(tzinfo=None), tz)
        if instant is None or instant <= after:
            skips += 1  # in the gap, or the repeated hour's first pass is already behind us
            continue
        skips = 0
        yield instant


def _rate_instants(every: timedelta, after: datetime, anchor: datetime | None) -> Iterator[datetime]:
    anchor = _utc(anchor) if anchor else after
    if anchor > after:
        steps = 0
    else:
        steps = math.floor((after - anchor) / every) + 1
    while True:
        yield anchor + steps * every
        steps += 1


def iter_runs(expression: str, timezone: str | None, after: datetime, *,
              start: datetime | None = None, end: datetime | None = None,
              anchor: datetime | None = None) -> Iterator[datetime]:
    """Every run (UTC instants) strictly after `after`, within the schedule's start/end dates.

    `anchor` is where a rate schedule counts from (its start date or creation time).
    """
    parsed = parse_expression(expression)
    tz = zone(timezone)
    after = _utc(after)
    if start is not None and _utc(start) - timedelta(seconds=1) > after:
        after = _utc(start) - timedelta(seconds=1)  # whole seconds: the library rounds to ms
    if parsed.kind == "cron":
        runs: Iterator[datetime] = _cron_instants(parsed.cron, tz, after)
    elif parsed.kind == "rate":
        assert parsed.every is not None
        runs = _rate_instants(parsed.every, after, anchor or start)
    else:
        assert parsed.when is not None
        instant = parsed.when.replace(tzinfo=tz, fold=0).astimezone(UTC)
        runs = iter([instant] if instant > after else [])
    for instant in runs:
        if end is not None and instant > _utc(end):
            return
        if start is None or instant >= _utc(start):
            yield instant


def next_runs(expression: str, timezone: str | None, after: datetime, count: int = 5, *,
              start: datetime | None = None, end: datetime | None = None,
              anchor: datetime | None = None,
              local_tz: tzinfo | None = None) -> tuple[ScheduleRun, ...]:
    """The next `count` runs after `after`, each in UTC, the schedule's zone and local time."""
    tz = zone(timezone)
    runs = []
    for instant in iter_runs(expression, timezone, after, start=start, end=end, anchor=anchor):
        local = instant.astimezone(local_tz) if local_tz else instant.astimezone()
        runs.append(ScheduleRun(at=instant, wall=instant.astimezone(tz), local=local))
        if len(runs) >= count:
            break
    return tuple(runs)


@dataclass(frozen=True)
class Switch:
    """A schedule that starts or stops an instance: its expression and time zone."""

    expression: str
    timezone: str | None
    start: datetime | None = None
    end: datetime | None = None


WEEK = timedelta(days=7)


def running_hours(starts: Sequence[Switch], stops: Sequence[Switch], now: datetime,
                  span: timedelta = WEEK) -> float | None:
    """Hours the instance is scheduled to run in the `span` after `now` (e.g. 60 of 168).

    The span is counted on the wall clock of the first start's time zone, so a week with
    a DST change still ends at the same clock time. The state at `now` comes from the
    last switch in the week before it (or, when there is none, from the first switch
    after it). None without both a start and a stop.
    """
    if not starts or not stops:
        return None
    now = _utc(now)
    since, until = now - WEEK, (now.astimezone(zone(starts[0].timezone)) + span).astimezone(UTC)
    events: list[tuple[datetime, int]] = []
    for switches, on in ((starts, 1), (stops, 0)):
        for s in switches:
            for instant in iter_runs(s.expression, s.timezone, since, start=s.start, end=s.end):
                if instant > until:
                    break
                events.append((instant, on))
    if not events:
        return 0.0
    events.sort()
    before = [on for when, on in events if when <= now]
    running = bool(before[-1]) if before else not events[0][1]
    total = timedelta()
    mark = now
    for when, on in events:
        if when <= now:
            continue
        if running:
            total += when - mark
        running, mark = bool(on), when
    if running:
        total += until - mark
    return round(total.total_seconds() / 3600, 1)
