"""The Schedules tab: EventBridge Scheduler schedules, their next runs and their role.

A thread worker reads every schedule (all groups) with its next runs and role check, and
the instances, to name what each schedule acts on. Enable, disable and a new start/stop
pair are plans shown on the plan screen; `enter` shows the next five runs, the full
target and the role check with the JSON that would fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from primetui.errors import PrimeError
from primetui.instances.model import UNIVERSAL_PREFIX, Instance, PairRequest, Schedule
from primetui.ui.messages import OpenPlan
from primetui.ui.tabs.table_tab import TableTab
from primetui.ui.tabs.wiring import SchedulesWiring

if TYPE_CHECKING:
    from primetui.plans.plan import Plan

POLL = 60.0
"""Seconds between readings (next runs move on, others may change schedules)."""
RUN_FORMAT = "%a %d %H:%M %Z"


@dataclass(frozen=True)
class ScheduleListing:
    """What the worker read: the schedules, their cells, and the instances they may act on."""

    schedules: tuple[Schedule, ...]
    cells: dict[str, tuple[Text, ...]]
    instances: tuple[Instance, ...]
    note: str = ""


def short_target(schedule: Schedule) -> str:
    """The target in a few words: `lambda:NAME`, `ec2:stopInstances`, or the ARN's last part."""
    arn = schedule.target_arn
    if arn.startswith(UNIVERSAL_PREFIX):
        return arn[len(UNIVERSAL_PREFIX):]
    if ":lambda:" in arn:
        return "lambda:" + arn.split(":function:", 1)[-1]
    return arn.rsplit(":", 1)[-1] or "none"


def acted_on(schedule: Schedule, names: Mapping[str, str]) -> str:
    """The instances the target acts on, by name where known."""
    refs = [names.get(ref, ref) for ref in schedule.target.instances]
    if not refs:
        return ""
    return ", ".join(refs[:2]) + (f" +{len(refs) - 2}" if len(refs) > 2 else "")


def role_cell(schedule: Schedule, colours: Mapping[str, str]) -> Text:
    """pass, FAIL or "cannot check", coloured."""
    check = schedule.role_check
    if check is None:
        return Text("")
    if check.error:
        return Text("cannot check", style=colours.get("warning", ""))
    return Text("pass", style=colours.get("success", "")) if check.ok else Text(
        "FAIL", style=f"bold {colours.get('error', '')}".strip())


def schedule_cells(schedule: Schedule, names: Mapping[str, str],
                   colours: Mapping[str, str]) -> tuple[Text, ...]:
    """One row's cells, as plain Text (never markup)."""
    if not schedule.enabled:
        wall = local = "none (disabled)"
    elif schedule.next_runs:
        run = schedule.next_runs[0]
        wall, local = run.wall.strftime(RUN_FORMAT), run.local.strftime(RUN_FORMAT)
    else:
        wall = local = "invalid expression" if schedule.expression_error else "none"
    state = Text(schedule.state.lower(), style="" if schedule.enabled else colours.get("warning", ""))
    cells = {"name": Text(schedule.name), "group": Text(schedule.group), "state": state,
             "role": role_cell(schedule, colours), "local": Text(local), "next": Text(wall),
             "expression": Text(schedule.expression), "timezone": Text(schedule.timezone),
             "instances": Text(acted_on(schedule, names)), "target": Text(short_target(schedule))}
    return tuple(cells[key] for key, _label in COLUMNS)


COLUMNS = (("name", "Name"), ("state", "State".ljust(len("disabled"))),
           ("local", "Next run (local)"), ("role", "Role check".ljust(len("cannot check"))),
           ("instances", "Acts on"), ("next", "Next run (zone)"), ("expression", "Expression"),
           ("group", "Group"), ("timezone", "Time zone"), ("target", "Target"))
"""What an 80-column terminal must show first (name, state, next run, role check, what it
acts on); the schedule's own zone, expression, group and target further right."""


class SchedulesTab(TableTab[SchedulesWiring]):
    """The schedules that stop and start instances, with their next runs in local time."""

    TAB_ID = "schedules"
    SUMMARY = ("The EventBridge schedules that stop and start instances, with their next runs "
               "in your local time and a check of the role they run as.")
    COLUMNS = COLUMNS
    MUTATING = frozenset({"enable", "disable", "new_pair"})
    READ_ONLY = "Read-only mode is on: schedules cannot be changed."
    BINDINGS = [
        Binding("enter", "details", "Details",
                tooltip="Next 5 runs, the full target and the role check with its fix",
                id="schedules.details"),
        Binding("e", "enable", "Enable", tooltip="Enable the selected schedule (as a plan)",
                id="schedules.enable"),
        Binding("d", "disable", "Disable", tooltip="Disable the selected schedule (as a plan)",
                id="schedules.disable"),
        Binding("n", "new_pair", "New pair",
                tooltip="Create a start/stop schedule pair for an instance (as a plan)",
                id="schedules.new_pair"),
        TableTab.FILTER_BINDING,
        TableTab.CLEAR_FILTER_BINDING,
    ]

    def __init__(self, wiring: SchedulesWiring | None) -> None:
        super().__init__(wiring)
        self.schedules: dict[str, Schedule] = {}
        self.instances: tuple[Instance, ...] = ()

    def on_mount(self) -> None:
        """Read the schedules as soon as the tab is first shown."""
        self.reload()

    def set_wiring(self, wiring: SchedulesWiring | None) -> None:
        """New services: forget the old account's schedules."""
        self.schedules, self.instances = {}, ()
        super().set_wiring(wiring)

    # -- loading --------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the schedules again (`r`, the poll, and after a plan)."""
        if self.wiring is None:
            self.set_status("Schedules appear here once primetui is configured.")
            return
        if not self.schedules:
            self.set_status("Reading the schedules and checking their roles…")
        theme = self.app.current_theme
        colours = {name: getattr(theme, name, None) or fallback for name, fallback in
                   (("success", "green"), ("error", "red"), ("warning", "yellow"))}
        self.run_in_thread(self.read_schedules, colours, done=self._loaded,
                           failed=self._failed, group="schedules", quiet_repeats=True)

    def read_schedules(self, colours: dict[str, str]) -> ScheduleListing:
        """Schedules with next runs and role checks, and the instances' names (off the loop)."""
        assert self.wiring is not None
        schedules = tuple(self.wiring.schedules().list(role_checks=True))
        note = ""
        instances: tuple[Instance, ...] = ()
        try:
            instances = tuple(self.wiring.instances().list())
        except PrimeError as err:
            note = f"Instances could not be read, so they are shown by id: {err}"
        names = {i.id: i.name for i in instances}
        cells = {s.key: schedule_cells(s, names, colours) for s in schedules}
        return ScheduleListing(schedules, cells, instances, note)

    def _failed(self, error: BaseException | None) -> None:
        """A failed reading: the rows stay, the status line says so (the app says why, once)."""
        self.set_status("The schedules could not be read; r tries again."
                        if not self.schedules else
                        "The last reading failed; the rows show the reading before it.",
                        "error")
        self.poll_after(POLL)

    def _loaded(self, listing: ScheduleListing) -> None:
        self.schedules = {s.key: s for s in listing.schedules}
        self.instances = listing.instances
        self.table.show(listing.cells)
        self.set_status(self._summary(listing), "warning" if listing.note else "")
        self.poll_after(POLL)

    def _summary(self, listing: ScheduleListing) -> str:
        schedules = listing.schedules
        if not schedules:
            text = "No EventBridge schedules in this account and region: n creates a start/stop pair."
        else:
            enabled = sum(1 for s in schedules if s.enabled)
            failing = [s.name for s in schedules if s.role_check is not None and not s.role_check.ok]
            text = (f"{len(schedules)} schedule{'s' if len(schedules) != 1 else ''}, "
                    f"{enabled} enabled.")
            if failing:
                text += (f" The role check fails for {', '.join(failing[:3])}"
                         f"{'…' if len(failing) > 3 else ''}: enter shows why and the fix.")
        return f"{text} {listing.note}".strip()

    # -- actions --------------------------------------------------------------------------

    @property
    def selected(self) -> Schedule | None:
        """The schedule under the cursor, if any."""
        key = self.table.selected_key
        return self.schedules.get(key) if key is not None else None

    def action_enable(self) -> None:
        """`e`: enable the selected schedule, as a plan."""
        self._set_state(True)

    def action_disable(self) -> None:
        """`d`: disable the selected schedule, as a plan."""
        self._set_state(False)

    def _set_state(self, enabled: bool) -> None:
        chosen = [self.schedules[k] for k in self.acted_on_keys() if k in self.schedules]
        if len(chosen) > 1 and self.wiring is not None:  # the marked rows: one plan
            to_do = [s for s in chosen if s.enabled != enabled]
            if not to_do:
                self.notify(f"The {len(chosen)} marked schedules are already "
                            f"{'enabled' if enabled else 'disabled'}; nothing to do.",
                            title=self.TITLE)
                return
            self._open(self.wiring.schedules().set_states_plan(to_do, enabled))
            return
        schedule = chosen[0] if chosen else None
        if schedule is None or self.wiring is None:
            self.notify("Select a schedule first.", severity="warning")
            return
        if schedule.enabled == enabled:
            self.notify(f"{schedule.key} is already {'enabled' if enabled else 'disabled'}; "
                        f"nothing to do.", title=self.TITLE)
            return
        self._open(self.wiring.schedules().set_state_plan(schedule, enabled))

    def _open(self, plan: Plan) -> None:
        self.post_message(OpenPlan(plan))
        self.poll_after(1.0)  # waits while the plan screen is on top, then reads at once

    def action_new_pair(self, request: PairRequest | None = None) -> None:
        """`n`: a start/stop pair for an instance — a form, then the plan."""
        if self.wiring is None:
            return
        if not self.instances:
            self.notify("No instances are known yet to schedule; r reads them again.",
                        severity="warning")
            return
        from primetui.ui.tabs.schedules.pair_form import SchedulePairDialog, pair_defaults

        request = request or pair_defaults(self.selected, tuple(self.schedules.values()),
                                           self.instances)
        lambdas = tuple(dict.fromkeys(s.target_arn for s in self.schedules.values()
                                      if ":lambda:" in s.target_arn))
        self.app.push_screen(SchedulePairDialog(request, self.instances, lambdas),
                             self._pair_asked)

    def _pair_asked(self, request: PairRequest | None) -> None:
        if request is None or self.wiring is None:
            return
        try:
            plan = self.wiring.schedules().create_pair_plan(request)
        except PrimeError as err:
            self.notify(str(err), severity="error", timeout=10)
            self.action_new_pair(request)  # the form again, as it was, to correct it
            return
        self._open(plan)

    def row_details(self, key: str) -> Text | None:
        """The pane: the schedule's next runs, target and role check, as enter shows them."""
        schedule = self.schedules.get(key)
        if schedule is None:
            return None
        from primetui.ui.tabs.schedules.details import schedule_text

        return schedule_text(schedule, {i.id: i.name for i in self.instances})

    def copy_values(self, key: str) -> list[tuple[str, str]]:
        """`y` the schedule's group/name, `Y` its ARN."""
        schedule = self.schedules.get(key)
        return [("schedule", key), ("ARN", schedule.arn if schedule is not None else "")]

    def action_details(self) -> None:
        """`enter`: next runs, full target and role check of the selected schedule."""
        schedule = self.selected
        if schedule is None or self.wiring is None:
            return
        from primetui.ui.tabs.schedules.details import ScheduleDetailsScreen

        names = {i.id: i.name for i in self.instances}
        self.app.push_screen(ScheduleDetailsScreen(schedule, self.wiring.schedules, names))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (the table has the keyboard) opens its details."""
        event.stop()
        self.action_details()
