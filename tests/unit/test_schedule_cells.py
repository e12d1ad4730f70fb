"""A disabled schedule shows no next run in the Schedules tab: it will not fire."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from primetui.instances.model import Schedule, TargetInfo
from primetui.schedules.expressions import ScheduleRun
from primetui.ui.tabs.schedules.tab import COLUMNS, schedule_cells


def schedule(state: str) -> Schedule:
    at = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)
    run = ScheduleRun(at=at, wall=at.astimezone(ZoneInfo("America/Chicago")),
                      local=at.astimezone(ZoneInfo("America/Chicago")))
    return Schedule(name="stop-prod", group="default", expression="cron(0 19 ? * MON-FRI *)",
                    timezone="America/Chicago", state=state, target_arn="", role_arn="",
                    target=TargetInfo("lambda:InvokeFunction", "stop"), next_runs=(run,))


def by_column(one: Schedule) -> dict[str, str]:
    return {key: str(cell) for (key, _label), cell in zip(COLUMNS, schedule_cells(one, {}, {}),
                                                          strict=True)}


def test_an_enabled_schedule_shows_its_next_run() -> None:
    cells = by_column(schedule("ENABLED"))
    assert "13:00" in cells["local"] and "13:00" in cells["next"]


def test_a_disabled_schedule_shows_no_next_run() -> None:
    cells = by_column(schedule("DISABLED"))
    assert "13:00" not in cells["local"] + cells["next"]
    assert "disabled" in cells["local"]
