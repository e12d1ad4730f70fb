"""`InstanceDetailsScreen`: what `enter` shows for one instance — tags, security groups with
their inbound rules, storage, launch time — read in a thread worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from primetui.errors import PrimeError
from primetui.instances.model import RDS, Instance, InstanceDetails
from primetui.ui.messages import WorkFailed

if TYPE_CHECKING:
    from primetui.registry import Services


def _heading(text: Text, title: str) -> None:
    text.append(f"\n{title}\n", style="bold")


def _when(moment) -> str:
    return "unknown" if moment is None else moment.astimezone().strftime("%a %Y-%m-%d %H:%M %Z")


def instance_text(instance: Instance) -> Text:
    """What is known from the row alone (shown at once, before the details arrive)."""
    text = Text()
    text.append(instance.name, style="bold")
    text.append(f"  {instance.id}  {instance.kind} {instance.type}  {instance.state}")
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


class InstanceDetailsScreen(ModalScreen[None]):
    """One instance's details over the tab; escape closes it."""

    DEFAULT_CSS = """
    InstanceDetailsScreen {
        align: center middle;
    }
    InstanceDetailsScreen > #instance-details-box {
        width: 90%;
        height: 85%;
        padding: 0 1;
        border: thick $primary;
        background: $surface;
    }
    InstanceDetailsScreen #instance-details-status {
        color: $text-muted;
        height: auto;
    }
    """

    BINDINGS = [Binding("escape", "close", "Close"), Binding("q", "close", "Close", show=False)]

    def __init__(self, instance: Instance, services: Services) -> None:
        super().__init__()
        self.instance = instance
        self.services = services
        self.details: InstanceDetails | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="instance-details-box") as box:
            box.border_title = f"{self.instance.kind} {self.instance.name}"
            yield Static("Reading the details…", id="instance-details-status", markup=False)
            with VerticalScroll(id="instance-details-scroll"):
                yield Static(instance_text(self.instance), id="instance-details-body",
                             markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Ask AWS for the details at once, off the event loop."""
        self.load_details()

    @work(thread=True, exclusive=True, group="instance-details", exit_on_error=False)
    def load_details(self) -> InstanceDetails:
        """The details (several AWS calls)."""
        return self.services.instances.details(self.instance)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the details, or the one sentence that says why they could not be read."""
        worker = event.worker
        if worker.group != "instance-details" or worker.node is not self:
            return
        status = self.query_one("#instance-details-status", Static)
        if event.state is WorkerState.SUCCESS:
            self.details = worker.result
            status.update("")
            status.display = False
            self.query_one("#instance-details-body", Static).update(details_text(worker.result))  # type: ignore[arg-type]
        elif event.state is WorkerState.ERROR:
            error = worker.error
            status.update(str(error) if isinstance(error, PrimeError) else
                          "The details could not be read.")
            self.post_message(WorkFailed(error, "instance-details"))

    def action_close(self) -> None:
        """Back to the table."""
        self.dismiss(None)
