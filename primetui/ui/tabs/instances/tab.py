"""The Instances tab: EC2 instances and RDS databases, their state live, start and stop.

A thread worker reads the instances (and, about once a minute, the schedules acting on
them) and builds every cell there, so the event loop only diffs and draws. While a row is
on its way somewhere (pending, stopping, starting…) the tab asks again every few seconds,
otherwise once a minute. Start and stop are plans shown on the plan screen; a big first
listing is added to the table a chunk per frame so the screen never freezes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from primetui.errors import PrimeError
from primetui.instances.model import RDS, Instance, attach_schedules
from primetui.ui.messages import OpenPlan
from primetui.ui.tabs.instances.table import FastLiveTable, Handoff
from primetui.ui.tabs.table_tab import TableTab
from primetui.ui.tabs.wiring import InstancesWiring
from primetui.ui.widgets.live_table import LiveTable, plain_cell

if TYPE_CHECKING:
    from primetui.instances.model import Schedule

FAST_POLL = 3.0
"""Seconds between readings while a row is in a transition (or just after a plan)."""
SLOW_POLL = 60.0
"""Seconds between readings otherwise."""
AFTER_PLAN = 60.0
"""How long after a start or stop is asked for the tab keeps polling fast."""
SCHEDULES_EVERY = 55.0
"""The schedules acting on instances change rarely: read them again after this long."""
CHUNK = 50
"""New rows added to the table per frame (each frame redraws the visible rows: ~40 ms)."""

STATE_COLOURS = {"running": "success", "available": "success", "stopped": "error",
                 "terminated": "error", "failed": "error"}
"""State → theme colour name; every other state is a transition and takes `warning`."""


STATE_LABEL = "State".ljust(len("backing-up"))
"""Wide enough for the longer states: a cell that changes does not widen its column."""


Cells = tuple["str | Text", ...]
"""A row's cells: plain `str` (not tracked by the garbage collector), `Text` only for colour
or for text DataTable would read as markup."""


@dataclass(frozen=True)
class Listing:
    """What the worker read: the rows, their cells, and the schedules it used."""

    instances: tuple[Instance, ...]
    cells: dict[str, Cells]
    schedules: tuple[tuple[Schedule, ...], dict[str, float | None]] | None
    schedules_read: float
    note: str = ""
    colours: Mapping[str, str] = field(default_factory=dict)
    """The theme colours the cells were made with."""


def short_endpoint(endpoint: str) -> str:
    """An RDS endpoint short enough for a column: `name…:5432` (the details show it all)."""
    host, _, port = endpoint.rpartition(":")
    if not host:
        host, port = endpoint, ""
    labels = host.split(".")
    if len(labels) <= 3:
        return endpoint
    return f"{labels[0]}…" + (f":{port}" if port else "")


def local_time(moment: datetime, fmt: str = "%b %d %H:%M") -> str:
    """A moment in this computer's local time zone."""
    return moment.astimezone().strftime(fmt)


def scheduled_cell(instance: Instance) -> str:
    """Narrow: the weekly hours its start/stop schedules keep it running ("65 h/168"), "yes"
    when schedules act on it but the hours are not known, "" when none does."""
    if not instance.schedules:
        return ""
    hours = instance.scheduled_hours
    if hours is None:
        return "yes"
    return f"{hours:.0f} h/168" if hours == int(hours) else f"{hours:.1f} h/168"


def schedules_cell(instance: Instance) -> str:
    """The schedules acting on the instance: the first one's name, and how many more."""
    names = [key.rsplit("/", 1)[-1] for key in instance.schedules]
    return names[0] + (f" +{len(names) - 1}" if len(names) > 1 else "") if names else ""


def short_address(instance: Instance) -> str:
    """Narrow: the address people connect to (public if any, else private; RDS: the endpoint,
    shortened). The details show them all."""
    if instance.kind == RDS:
        return short_endpoint(instance.endpoint or "")
    return instance.public_address or instance.private_address or ""


@lru_cache(maxsize=256)
def coloured(text: str, colour: str) -> Text:
    """One shared `Text` per value and colour ("running" in green…) for every row showing it:
    a table of 1,000 rows keeps a handful of these, not 1,000. Never changed once made."""
    return Text(text, style=colour)


def instance_cells(instance: Instance, colours: Mapping[str, str]) -> Cells:
    """One row's cells in the order of `InstancesTab.COLUMNS` (never markup: tags may
    contain brackets)."""
    state = coloured(instance.state, colours.get(STATE_COLOURS.get(instance.state, "warning"), ""))
    if instance.kind == RDS and instance.auto_restart is not None:
        since: str | Text = coloured(f"auto-start {local_time(instance.auto_restart)}",
                                     colours.get("warning", ""))
    elif instance.running_since is not None:
        since = local_time(instance.running_since)
    else:
        since = ""
    protected = coloured("yes", colours.get("error", "")) if instance.protected else ""
    return (plain_cell(instance.name), state, scheduled_cell(instance), protected,
            plain_cell(instance.id), plain_cell(instance.type), plain_cell(short_address(instance)),
            since, plain_cell(schedules_cell(instance)), instance.kind)


def rows_and_cells(instances: list[Instance], colours: Mapping[str, str],
                   before: Listing | None) -> tuple[tuple[Instance, ...], dict[str, Cells]]:
    """The rows and their cells, keeping the previous reading's objects where nothing changed.

    Reused rows are not new objects for the garbage collector to walk (a 1,000-row
    listing is ~30,000 of them; a refresh usually changes a few rows), and the table sees
    the very same cells.
    """
    old_rows: dict[str, Instance] = {}
    old_cells: dict[str, Cells] = {}
    if before is not None and before.colours == colours:  # another theme: every cell anew
        old_rows, old_cells = {i.id: i for i in before.instances}, before.cells
    rows: list[Instance] = []
    cells: dict[str, Cells] = {}
    for instance in instances:
        old = old_rows.get(instance.id)
        if old is not None and old == instance:
            rows.append(old)
            cells[old.id] = old_cells[old.id]
        else:
            rows.append(instance)
            cells[instance.id] = instance_cells(instance, colours)
    return tuple(rows), cells


class InstancesTab(TableTab[InstancesWiring]):
    """EC2 and RDS, their state live, started and stopped as plans."""

    TAB_ID = "instances"
    SUMMARY = ("The lab's EC2 instances and RDS databases with their state, updated live: "
               "start and stop them as a plan you confirm first.")
    COLUMNS = (("name", "Name"), ("state", STATE_LABEL), ("scheduled", "Scheduled"),
               ("protected", "Protected"), ("id", "ID"), ("type", "Type"), ("address", "Address"),
               ("since", "Running since"), ("schedules", "Schedules"), ("kind", "Kind"))
    """What an 80-column terminal shows first: name, state, scheduled hours, protection, id;
    then the rest (the table scrolls sideways; the details show everything)."""
    MUTATING = frozenset({"start", "stop"})
    READ_ONLY = "Read-only mode is on: instances cannot be started or stopped."
    BINDINGS = [
        Binding("s", "start", "Start", tooltip="Start the selected instance (shows the plan first)",
                id="instances.start"),
        Binding("x", "stop", "Stop", tooltip="Stop the selected instance (shows the plan first)",
                id="instances.stop"),
        Binding("enter", "details", "Details",
                tooltip="Tags, security groups and inbound rules, storage, launch time",
                id="instances.details"),
        TableTab.FILTER_BINDING,
        TableTab.CLEAR_FILTER_BINDING,
    ]

    def __init__(self, wiring: InstancesWiring | None) -> None:
        super().__init__(wiring)
        self.instances: dict[str, Instance] = {}
        self._schedules: tuple[tuple[Schedule, ...], dict[str, float | None]] | None = None
        self._schedules_read = 0.0
        self._fast_until = 0.0
        self._generation = 0
        self._known: set[str] = set()
        self._listing: Listing | None = None

    def compose(self) -> ComposeResult:
        """TableTab's widgets, with the table that draws plain cells fast (1,000 rows)."""
        for widget in super().compose():
            yield FastLiveTable(self.COLUMNS,
            id=widget.id) if isinstance(widget, LiveTable) else widget

    def on_mount(self) -> None:
        """Read the instances as soon as the tab is first shown."""
        self.reload()

    def set_wiring(self, wiring: InstancesWiring | None) -> None:
        """New services: forget the old account's rows and schedules."""
        self.instances, self._schedules, self._schedules_read = {}, None, 0.0
        self._known, self._listing = set(), None
        self._generation += 1
        super().set_wiring(wiring)

    # -- loading --------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the instances again (`r`, the poll, and after a plan)."""
        if self.wiring is None:
            self.set_status("Instances appear here once primetui is configured.")
            return
        if not self.instances:
            self.set_status("Reading the EC2 instances and RDS databases…")
        theme = self.app.current_theme
        colours = {name: getattr(theme, name, None) or fallback for name, fallback in
                   (("success", "green"), ("error", "red"), ("warning", "yellow"))}
        stale = time.monotonic() - self._schedules_read > SCHEDULES_EVERY or self._schedules is None
        self.run_in_thread(self.read_instances, colours, None if stale else self._schedules,
                           self._schedules_read, self._listing, done=self._handed_over,
                           failed=self._failed, group="instances", quiet_repeats=True)

    def read_instances(self, colours: dict[str, str],
                       schedules: tuple[tuple[Schedule, ...], dict[str, float | None]] | None,
                       schedules_read: float, before: Listing | None) -> Handoff[Listing]:
        """The rows and their cells (AWS calls and formatting, off the event loop)."""
        assert self.wiring is not None
        instances = self.wiring.instances().list()
        note = ""
        if schedules is None:
            try:
                service = self.wiring.schedules()
                found = tuple(service.list(role_checks=False))
                schedules = (found, service.running_hours(found))
                schedules_read = time.monotonic()
            except PrimeError as err:
                note = f"Schedules could not be read: {err}"
        if schedules is not None:
            instances = attach_schedules(instances, *schedules)
        rows, cells = rows_and_cells(instances, colours, before)
        return Handoff(Listing(rows, cells, schedules, schedules_read, note, colours))

    def _handed_over(self, handoff: Handoff[Listing]) -> None:
        self.call_later(self._loaded, handoff.take())

    def _loaded(self, listing: Listing) -> None:
        self._listing = listing
        self.instances = {i.id: i for i in listing.instances}
        self._schedules, self._schedules_read = listing.schedules, listing.schedules_read
        self._generation += 1
        self._show_chunked(listing.cells, self._generation)
        self.set_status(self._summary(listing), "warning" if listing.note else "")
        moving = any(i.transitioning for i in listing.instances)
        self.poll_after(FAST_POLL if moving or time.monotonic() < self._fast_until else SLOW_POLL)

    def _failed(self, error: BaseException | None) -> None:
        """A failed reading: the rows stay, the status line says so (the app says why, once)."""
        if self.instances:
            self.set_status("The last reading failed; the rows show the reading before it. "
                            "r reads again.", "error")
        else:
            self.set_status("The instances could not be read; r tries again.", "error")
        self.poll_after(FAST_POLL if time.monotonic() < self._fast_until else SLOW_POLL)

    def _show_chunked(self, cells: dict[str, Cells], generation: int) -> None:
        """Show the rows, adding at most CHUNK new ones per frame (a newer reading wins)."""
        if generation != self._generation or not self.is_attached:
            return
        new = [key for key in cells if key not in self._known]
        if len(new) <= CHUNK:
            self._table_show(cells)
            return
        allowed = set(new[:CHUNK])
        self._table_show({k: v for k, v in cells.items() if k in self._known or k in allowed})
        self.set_timer(0.01, lambda: self._show_chunked(cells, generation))

    def _table_show(self, cells: dict[str, Cells]) -> None:
        self.table.show(cells)
        self._known = set(cells)

    def _summary(self, listing: Listing) -> str:
        rows = listing.instances
        if not rows:
            text = "No EC2 instances or RDS databases in this account and region."
        else:
            ec2 = sum(1 for i in rows if i.kind != RDS)
            up = sum(1 for i in rows if i.state in ("running", "available"))
            moving = [i.name for i in rows if i.transitioning]
            text = (f"{len(rows)} instance{'s' if len(rows) != 1 else ''} ({ec2} EC2, "
                    f"{len(rows) - ec2} RDS), {up} running.")
            if moving:
                text += f" Watching {', '.join(moving[:3])}{'…' if len(moving) > 3 else ''} every {FAST_POLL:.0f} s."
        return f"{text} {listing.note}".strip()

    # -- actions --------------------------------------------------------------------------

    @property
    def selected(self) -> Instance | None:
        """The instance under the cursor, if any."""
        key = self.table.selected_key
        return self.instances.get(key) if key is not None else None

    def action_start(self) -> None:
        """`s`: start the selected instance, as a plan."""
        self._switch("start")

    def action_stop(self) -> None:
        """`x`: stop the selected instance, as a plan."""
        self._switch("stop")

    def _switch(self, action: str) -> None:
        chosen = [self.instances[key] for key in self.acted_on_keys() if key in self.instances]
        if not chosen or self.wiring is None:
            self.notify("Select an instance first.", severity="warning")
            return
        service = self.wiring.instances()
        if len(chosen) > 1:  # the marked rows: one plan, one step per instance
            to_do = [i for i in chosen if not service.already(i, action)]
            if not to_do:
                self.notify(f"The {len(chosen)} marked instances are already "
                            f"{'running' if action == 'start' else 'stopped'}; nothing to do.",
                            title=self.TITLE)
                return
            plan = service.switch_plan(to_do, action)
            self._fast_until = time.monotonic() + AFTER_PLAN
            self.post_message(OpenPlan(plan))
            self.poll_after(1.0)
            return
        instance = chosen[0]
        already = service.already(instance, action)
        if already:
            self.notify(already, title=self.TITLE)
            return
        plan = service.start_plan(instance) if action == "start" else service.stop_plan(instance)
        self._fast_until = time.monotonic() + AFTER_PLAN
        self.post_message(OpenPlan(plan))
        self.poll_after(1.0)  # waits while the plan screen is on top, then reads at once

    def row_details(self, key: str) -> Text | None:
        """The pane: what the row knows (the full view, enter, reads the rest)."""
        instance = self.instances.get(key)
        if instance is None:
            return None
        from primetui.ui.tabs.instances.details import instance_text

        return instance_text(instance)

    def copy_values(self, key: str) -> list[tuple[str, str]]:
        """`y` the instance id, `Y` its ARN (or its address when AWS gave no ARN)."""
        instance = self.instances.get(key)
        if instance is None:
            return [("id", key)]
        more = ("ARN", instance.arn) if instance.arn else ("address", instance.address)
        return [("instance id", instance.id), more]

    def action_details(self) -> None:
        """`enter`: the selected instance's details."""
        instance = self.selected
        if instance is None or self.wiring is None:
            return
        from primetui.ui.tabs.instances.details import InstanceDetailsScreen

        self.app.push_screen(InstanceDetailsScreen(instance, self.wiring.instances))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (the table has the keyboard) opens its details."""
        event.stop()
        self.action_details()

