"""`InstanceDetailsScreen`: what `enter` shows for one instance — tags, security groups with
their inbound rules, storage, launch time — read in a thread worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from primetui.errors import PrimeError
from primetui.instances.model import RDS, Instance, InstanceDetails
from primetui.ui.screens.details import DetailsScreen

if TYPE_CHECKING:
    from primetui.instances.service import InstancesService


def _heading(text: Text, title: str) -> None:
    text.append(f"\n{title}\n", style="bold")


def _when(moment) -> str:
    return "unknown" if moment is None else moment.astimezone().strftime("%a %Y-%m-%d %H:%M %Z")


def instance_text(instance: Instance) -> Text:
    """What is known from the row alone (shown at once, before the details arrive)."""
    text = Text()
    text.append(instance.name, style="bold")
    ident = f"  {instance.id}" if instance.id != instance.name else ""  # RDS: name is the id
    text.append(f"{ident}  {instance.kind} {instance.type}  {instance.state}")
    if instance.protected:
        text.append("  protected: starting or stopping asks for its name", style="bold")
    text.append("\n")
    if instance.kind == RDS:
        text.append(f"Endpoint: {instance.endpoint or 'none while stopped'}\n")
    else:
        text.append(f"Public address: {instance.public_address or 'none'}    "
                    f"Private address: {instance.private_address or 'none'}\n")
    if instance.running_since is not None:
        text.append(f"Running since: {_when(instance.running_since)}\n")
    if instance.auto_restart is not None:
        text.append(f"AWS starts it again by itself on {_when(instance.auto_restart)} "
                    f"unless it is stopped again.\n", style="bold")
    if instance.schedules:
        hours = instance.scheduled_hours
        text.append(f"Schedules: {', '.join(instance.schedules)}"
                    + (f" (running {hours:.1f} h of 168 a week)" if hours is not None else "")
                    + "\n")
    return text


def details_text(details: InstanceDetails) -> Text:
    """Every section of the details, as plain text (never markup: tags may hold brackets)."""
    instance = details.instance
    text = instance_text(instance)
    label = "Created" if instance.kind == RDS else "Launched"
    text.append(f"{label}: {_when(details.launch_time)}\n")
    for key, value in details.extra:
        if key == "Endpoint" and instance.kind == RDS:
            continue  # already said under the name
        text.append(f"{key}: {value}\n")
    _heading(text, "Tags")
    for key, value in instance.tags or ():
        text.append(f"  {key} = {value}\n")
    if not instance.tags:
        text.append("  none\n")
    _heading(text, "Security groups and inbound rules")
    for group in details.security_groups:
        text.append(f"  {group.id}  {group.name}\n")
        for rule in group.inbound:
            sources = ", ".join(rule.sources) or "nowhere"
            line = f"    {rule.protocol} {rule.ports} from {sources}"
            text.append(line + (f"  ({rule.description})" if rule.description else "") + "\n")
        if not group.inbound:
            text.append("    no inbound rules\n")
    if not details.security_groups:
        text.append("  none\n")
    _heading(text, "Storage")
    for volume in details.volumes:
        size = f"{volume.size_gib} GiB" if volume.size_gib is not None else "size unknown"
        parts = [f"  {volume.device}", volume.id, size, volume.type]
        if volume.encrypted is not None:
            parts.append("encrypted" if volume.encrypted else "not encrypted")
        if volume.delete_on_termination is not None:
            parts.append("deleted with the instance" if volume.delete_on_termination
                         else "kept after termination")
        text.append("  ".join(p for p in parts if p) + "\n")
    if not details.volumes:
        text.append("  none\n")
    return text


class InstanceDetailsScreen(DetailsScreen[None]):
    """One instance's details over the tab; escape closes it."""

    BOX_ID = "instance-details-box"

    def __init__(self, instance: Instance, instances: Callable[[], InstancesService]) -> None:
        super().__init__()
        self.instance = instance
        self.instances = instances
        self.details: InstanceDetails | None = None

    def box_title(self) -> str:
        """The kind and name of the instance."""
        return f"{self.instance.kind} {self.instance.name}"

    def compose_details(self) -> ComposeResult:
        """A status line while reading, then what the row knows (the details replace it)."""
        yield Static("Reading the details…", id="instance-details-status",
                     classes="details-status", markup=False)
        with VerticalScroll(id="instance-details-scroll"):
            yield Static(instance_text(self.instance), id="instance-details-body", markup=False)

    def on_mount(self) -> None:
        """Ask AWS for the details at once, off the event loop."""
        self.run_in_thread(self.read_details, done=self.show_details, failed=self._failed,
                           group="instance-details")

    def read_details(self) -> InstanceDetails:
        """The details (several AWS calls)."""
        return self.instances().details(self.instance)

    def show_details(self, details: InstanceDetails) -> None:
        """Every section, in place of what the row knew."""
        self.details = details
        status = self.query_one("#instance-details-status", Static)
        status.update("")
        status.display = False
        self.query_one("#instance-details-body", Static).update(details_text(details))

    def _failed(self, error: BaseException | None) -> None:
        self.query_one("#instance-details-status", Static).update(
            str(error) if isinstance(error, PrimeError) else "The details could not be read.")
