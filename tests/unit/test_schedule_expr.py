"""Schedule expressions: AWS cron syntax, rate and at, evaluated in the schedule's wall-clock
time, with America/Detroit's DST changes (2025: spring forward Sun 9 March 02:00 → 03:00,
fall back Sun 2 November 02:00 → 01:00)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from primetui.schedules.expressions import (
    ScheduleExpressionError,
    Switch,
    next_runs,
    parse_expression,
    running_hours,
)

DETROIT = "America/Detroit"
DET = ZoneInfo(DETROIT)


def walls(expression: str, after: datetime, count: int = 5, tz: str = DETROIT, **kw) -> list[str]:
    """The next runs as wall-clock strings in the schedule's zone, with their UTC offset."""
    return [r.wall.strftime("%Y-%m-%d %a %H:%M %z") for r in
            next_runs(expression, tz, after, count, **kw)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekday_evening_cron_runs_monday_to_friday_at_eight_pm_detroit_time() -> None:
    assert walls("cron(0 20 ? * MON-FRI *)", utc(2025, 6, 6, 12)) == [
        "2025-06-06 Fri 20:00 -0400", "2025-06-09 Mon 20:00 -0400", "2025-06-10 Tue 20:00 -0400",
        "2025-06-11 Wed 20:00 -0400", "2025-06-12 Thu 20:00 -0400"]


def test_run_instants_are_the_wall_clock_time_converted_to_utc() -> None:
    [run] = next_runs("cron(0 7 ? * MON-FRI *)", DETROIT, utc(2025, 1, 6, 0), 1)
    assert run.at == utc(2025, 1, 6, 12)  # 07:00 EST is 12:00 UTC
    assert run.wall.tzinfo == DET


def test_local_time_is_the_same_instant_in_the_given_local_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    [run] = next_runs("cron(0 20 ? * MON-FRI *)", DETROIT, utc(2025, 6, 6, 12), 1, local_tz=tokyo)
    assert run.local == run.at and run.local.tzinfo == tokyo
    assert run.local.strftime("%a %H:%M") == "Sat 09:00"


def test_run_in_the_spring_forward_gap_is_skipped_that_day() -> None:
    # 02:30 does not exist in Detroit on 9 March 2025: AWS skips that invocation.
    assert walls("cron(30 2 * * ? *)", utc(2025, 3, 7, 12), 3) == [
        "2025-03-08 Sat 02:30 -0500", "2025-03-10 Mon 02:30 -0400", "2025-03-11 Tue 02:30 -0400"]


def test_hourly_cron_on_spring_forward_day_has_no_two_oclock_run() -> None:
    runs = next_runs("cron(0 * * * ? *)", DETROIT, utc(2025, 3, 9, 5, 30), 3)  # 00:30 EST
    assert [r.wall.strftime("%H:%M %z") for r in runs] == ["01:00 -0500", "03:00 -0400",
                                                             "04:00 -0400"]
    assert runs[1].at - runs[0].at == timedelta(hours=1)


def test_run_in_the_repeated_fall_back_hour_happens_once() -> None:
    assert walls("cron(0/30 1 * * ? *)", utc(2025, 11, 1, 12), 4) == [
        "2025-11-02 Sun 01:00 -0400", "2025-11-02 Sun 01:30 -0400",
        "2025-11-03 Mon 01:00 -0500", "2025-11-03 Mon 01:30 -0500"]


def test_inside_the_second_pass_of_the_repeated_hour_the_first_pass_is_not_repeated() -> None:
    second_pass = datetime(2025, 11, 2, 1, 10, tzinfo=DET, fold=1)  # 01:10 EST, after 01:10 EDT
    assert walls("cron(30 1 * * ? *)", second_pass.astimezone(UTC), 1) == [
        "2025-11-03 Mon 01:30 -0500"]


def test_daily_cron_keeps_its_wall_clock_time_across_the_dst_change() -> None:
    runs = next_runs("cron(0 7 * * ? *)", DETROIT, utc(2025, 3, 8, 0), 3)
    assert [r.wall.strftime("%H:%M") for r in runs] == ["07:00"] * 3
    assert [r.at.hour for r in runs] == [12, 11, 11]


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("cron(0 10 L * ? *)", utc(2025, 1, 1), ["2025-01-31", "2025-02-28", "2025-03-31"]),
    ("cron(0 10 L * ? 2024)", utc(2024, 1, 1), ["2024-01-31", "2024-02-29", "2024-03-31"]),
    ("cron(0 10 15W * ? *)", utc(2025, 1, 1), ["2025-01-15", "2025-02-14", "2025-03-14"]),
    ("cron(0 10 1W * ? *)", utc(2025, 5, 20), ["2025-06-02", "2025-07-01", "2025-08-01"]),
    ("cron(0 10 ? * 6#3 *)", utc(2025, 1, 1), ["2025-01-17", "2025-02-21", "2025-03-21"]),
    ("cron(0 10 ? * 6L *)", utc(2025, 1, 1), ["2025-01-31", "2025-02-28", "2025-03-28"]),
    ("cron(0 10 ? * MON,WED,FRI *)", utc(2025, 1, 1), ["2025-01-01", "2025-01-03", "2025-01-06"]),
    ("cron(0 10 1,15 JAN-MAR ? *)", utc(2025, 2, 2), ["2025-02-15", "2025-03-01", "2025-03-15"]),
    ("cron(0 10 */10 * ? *)", utc(2025, 1, 5), ["2025-01-11", "2025-01-21", "2025-01-31"]),
    ("cron(0 10 ? * 2-6 *)", utc(2025, 1, 3, 12), ["2025-01-06", "2025-01-07", "2025-01-08"]),
])
def test_aws_cron_syntax_special_characters(expression: str, after: datetime,
                                            expected: list[str]) -> None:
    runs = next_runs(expression, "UTC", after, 3)
    assert [r.wall.strftime("%Y-%m-%d") for r in runs] == expected


def test_minute_steps_and_hour_ranges() -> None:
    assert walls("cron(0/20 8-9 ? * MON *)", utc(2025, 1, 6), 7, tz="UTC") == [
        f"2025-01-{d} Mon {t} +0000" for d, t in
        [("06", "08:00"), ("06", "08:20"), ("06", "08:40"), ("06", "09:00"), ("06", "09:20"),
         ("06", "09:40"), ("13", "08:00")]]


def test_cron_limited_to_a_past_year_has_no_next_runs() -> None:
    assert next_runs("cron(0 10 * * ? 2020)", "UTC", utc(2025, 1, 1), 5) == ()


def test_rate_counts_from_its_anchor_in_fixed_durations_across_dst() -> None:
    anchor = datetime(2025, 3, 1, 12, 0, tzinfo=DET)  # noon EST
    runs = next_runs("rate(1 day)", DETROIT, utc(2025, 3, 8, 18), 3, anchor=anchor)
    # "1 day" is 24 hours: after spring forward the wall clock shows 13:00.
    assert [r.wall.strftime("%m-%d %H:%M") for r in runs] == ["03-09 13:00", "03-10 13:00",
                                                             "03-11 13:00"]


def test_rate_without_anchor_starts_one_interval_from_now() -> None:
    runs = next_runs("rate(15 minutes)", "UTC", utc(2025, 1, 1, 10), 2)
    assert [r.at for r in runs] == [utc(2025, 1, 1, 10, 15), utc(2025, 1, 1, 10, 30)]


def test_rate_with_future_start_date_first_runs_at_the_start_date() -> None:
    start = utc(2025, 1, 2, 9)
    runs = next_runs("rate(2 hours)", "UTC", utc(2025, 1, 1), 2, start=start)
    assert [r.at for r in runs] == [start, start + timedelta(hours=2)]


def test_at_is_one_wall_clock_moment_in_the_schedule_zone() -> None:
    [run] = next_runs("at(2025-07-04T09:00:00)", DETROIT, utc(2025, 7, 1), 5)
    assert run.at == utc(2025, 7, 4, 13)
    assert next_runs("at(2025-07-04T09:00:00)", DETROIT, utc(2025, 7, 5), 5) == ()


def test_end_date_stops_the_runs() -> None:
    runs = next_runs("cron(0 12 * * ? *)", "UTC", utc(2025, 1, 1), 5, end=utc(2025, 1, 3, 12))
    assert [r.at.day for r in runs] == [1, 2, 3]


def test_start_date_skips_earlier_runs() -> None:
    runs = next_runs("cron(0 12 * * ? *)", "UTC", utc(2025, 1, 1), 2, start=utc(2025, 1, 10, 12))
    assert [r.at.day for r in runs] == [10, 11]


@pytest.mark.parametrize("expression", [
    "cron(0 20 * * * *)",        # day-of-month and day-of-week both set: one must be ?
    "cron(0 20 ? * MON-FRI)",    # five fields
    "cron(61 20 ? * MON *)",
    "rate(0 minutes)",
    "rate(5 weeks)",
    "at(2025-02-30T10:00:00)",
    "every day at noon",
])
def test_invalid_expressions_are_one_sentence_errors(expression: str) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        parse_expression(expression)
    message = str(caught.value)
    assert message.endswith(".") and "\n" not in message and expression in message


def test_unknown_time_zone_is_an_error_that_names_it() -> None:
    with pytest.raises(ScheduleExpressionError, match="'Mars/Olympus' is not a time zone"):
        next_runs("cron(0 7 * * ? *)", "Mars/Olympus", utc(2025, 1, 1))


def test_parse_reports_kinds() -> None:
    assert parse_expression("cron(0 7 ? * MON-FRI *)").cron == "0 7 ? * MON-FRI *"
    assert parse_expression("rate(1 hour)").every == timedelta(hours=1)
    assert parse_expression("at(2025-01-01T00:00:00)").when == datetime(2025, 1, 1)


def test_weekday_seven_to_eight_pm_is_65_of_168_hours() -> None:
    starts = [Switch("cron(0 7 ? * MON-FRI *)", DETROIT)]
    stops = [Switch("cron(0 20 ? * MON-FRI *)", DETROIT)]
    assert running_hours(starts, stops, utc(2025, 6, 4, 15)) == 65.0


def test_weekday_eight_to_eight_is_60_hours_whenever_the_week_starts() -> None:
    starts = [Switch("cron(0 8 ? * MON-FRI *)", DETROIT)]
    stops = [Switch("cron(0 20 ? * MON-FRI *)", DETROIT)]
    for hour in (0, 13, 23):  # starting the window while running or while stopped
        assert running_hours(starts, stops, utc(2025, 6, 4, hour)) == 60.0


def test_running_hours_need_both_a_start_and_a_stop() -> None:
    assert running_hours([Switch("cron(0 8 * * ? *)", "UTC")], [], utc(2025, 1, 1)) is None


def test_running_over_a_weekend_spanning_the_fall_back_counts_the_extra_hour() -> None:
    # Start Friday 18:00, stop Monday 06:00 Detroit time: 60 wall-clock hours, 61 real ones
    # the weekend the clocks go back.
    starts = [Switch("cron(0 18 ? * FRI *)", DETROIT)]
    stops = [Switch("cron(0 6 ? * MON *)", DETROIT)]
    assert running_hours(starts, stops, utc(2025, 10, 30)) == 61.0
    assert running_hours(starts, stops, utc(2025, 6, 4)) == 60.0


def test_aware_times_in_any_zone_are_accepted() -> None:
    after = datetime(2025, 6, 6, 8, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert walls("cron(0 20 ? * MON-FRI *)", after, 1) == ["2025-06-06 Fri 20:00 -0400"]
