"""`ScheduleDetailsScreen`: one schedule's next five runs (its time zone and local time), the
full target, and the role check with the missing statement and the JSON that would fix it.

What the tab already knows is shown at once; the schedule and its role are read again in a
thread worker, so the check reflects a fix just made in IAM.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from primetui.errors import PrimeError
from primetui.instances.model import Schedule
from primetui.ui.screens.details import DetailsScreen

if TYPE_CHECKING:
    from primetui.schedules.service import SchedulesService

RUN_FORMAT = "%a %Y-%m-%d %H:%M %Z"


def _heading(text: Text, title: str) -> None:
    text.append(f"\n{title}\n", style="bold")


def schedule_text(schedule: Schedule, names: Mapping[str, str]) -> Text:
    """Every section, as plain text (never markup: names and JSON hold brackets)."""
    text = Text()
    text.append(schedule.key, style="bold")
    text.append(f"  {schedule.state.lower()}\n")
    if schedule.description:
        text.append(f"{schedule.description}\n")
    text.append(f"Expression: {schedule.expression}    Time zone: {schedule.timezone}\n")
    if schedule.start_date or schedule.end_date:
        text.append("Active " + " ".join(
            part for part in (f"from {schedule.start_date:%Y-%m-%d %H:%M %Z}" if schedule.start_date else "",
                              f"until {schedule.end_date:%Y-%m-%d %H:%M %Z}" if schedule.end_date else "")
            if part) + "\n")

    _heading(text, "Next runs (schedule's time zone → local time)")
    if schedule.expression_error:
        text.append(f"  The expression cannot be read: {schedule.expression_error}\n")
    for run in schedule.next_runs:
        text.append(f"  {run.wall.strftime(RUN_FORMAT)}  →  {run.local.strftime(RUN_FORMAT)}\n")
    if not schedule.next_runs and not schedule.expression_error:
        text.append("  none: it will not run again\n")

    _heading(text, "Target")
    target = schedule.target
    text.append(f"  {schedule.target_arn or 'none'}\n")
    text.append(f"  Action the role needs: {target.action}")
    text.append(f"    Direction: {target.direction or 'cannot tell'}\n")
    refs = [f"{names[ref]} ({ref})" if ref in names else ref for ref in target.instances]
    text.append(f"  Acts on: {', '.join(refs) or 'no instance named in its input'}\n")
    text.append(f"  Runs as: {schedule.role_arn or 'no role'}\n")

    _heading(text, "Role check")
    check = schedule.role_check
    if check is None:
        text.append("  Checking…\n")
    elif check.error:
        text.append(f"  Cannot check: {check.error}.\n", style="bold")
    for item in check.checks if check else ():
        text.append("  pass  " if item.ok else "  FAIL  ", style="bold")
        text.append(f"{item.what}: {item.detail}\n")
        if not item.ok and item.missing is not None:
            text.append("    Missing statement:\n")
            for line in json.dumps(item.missing, indent=2).splitlines():
                text.append(f"      {line}\n")
        if not item.ok and item.fix:
            text.append("    JSON that would fix it:\n")
            for line in item.fix.splitlines():
                text.append(f"      {line}\n")
    return text


class ScheduleDetailsScreen(DetailsScreen[None]):
    """One schedule's details over the tab; escape closes it."""

    BOX_ID = "schedule-details-box"

    def __init__(self, schedule: Schedule, schedules: Callable[[], SchedulesService],
                 names: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.schedule = schedule
        self.schedules = schedules
        self.names = dict(names or {})

    def box_title(self) -> str:
        """The schedule's group/name."""
        return f"Schedule {self.schedule.key}"

    def compose_details(self) -> ComposeResult:
        """A status line while reading again, then every section of the last reading."""
        yield Static("Reading the schedule and its role again…", id="schedule-details-status",
                     classes="details-status", markup=False)
        with VerticalScroll(id="schedule-details-scroll"):
            yield Static(schedule_text(self.schedule, self.names), id="schedule-details-body",
                         markup=False)

    def on_mount(self) -> None:
        """Read the schedule and check its role again, off the event loop."""
        self.run_in_thread(self.read_schedule, done=self.show_schedule, failed=self._failed,
                           group="schedule-details")

    def read_schedule(self) -> Schedule:
        """The schedule, fresh, with its role checked now."""
        service = self.schedules()
        fresh = service.get(self.schedule.name, self.schedule.group)
        return fresh.with_role_check(service.role_check(fresh))

    def show_schedule(self, schedule: Schedule) -> None:
        """The fresh reading, in place of the tab's."""
        self.schedule = schedule
        self.query_one("#schedule-details-status", Static).display = False
        self.query_one("#schedule-details-body", Static).update(
            schedule_text(self.schedule, self.names))

    def _failed(self, error: BaseException | None) -> None:
        self.query_one("#schedule-details-status", Static).update(
            str(error) if isinstance(error, PrimeError) else
            "The schedule could not be read again; this is the last reading.")
