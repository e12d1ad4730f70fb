"""The Maintenance tab: whether the site is on the maintenance page, and the wizard's steps.

The status line says on or off, since when and on which instance; the table lists the
wizard's steps as done or pending (a failed run says where it stopped and why). `p` shows
the page as a visitor reads it, `o` asks for the page's words and the checklist and opens
the `on` plan, `f` asks what happens to the host and opens the `off` plan. The saved
progress is read in a thread worker; the plans are built in one too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from primetui.ui.messages import OpenPlan, WorkFailed
from primetui.ui.tabs.table_tab import TableTab

if TYPE_CHECKING:
    from primetui.maintenance.service import MaintenanceStatus

_MUTATING = {"maintenance_on", "maintenance_off"}


def status_sentence(status: MaintenanceStatus, when: Callable[[float], str]) -> str:
    """The status line: on since when on which instance, or off and where the wizard stands."""
    if not status.domain:
        return ("Set maintenance.domain (and servers.prod.instance) in the config to use the "
                "wizard.")
    if status.on:
        return (f"Maintenance is ON for {status.domain} since {when(status.since or 0)}, "
                f"on {status.instance_id} ({status.public_ip or 'no public address'}). "
                f"f moves traffic back to prod.")
    if status.error:
        return f"Maintenance is off. The last run stopped: {status.error} o resumes it."
    nxt = status.next_step
    if status.started and nxt is not None:
        return f"Maintenance is off for {status.domain}; o resumes at: {nxt.title}."
    return (f"Maintenance is off: {status.domain} is served by prod. p previews the page; "
            f"o starts the wizard.")


def local_time(epoch: float) -> str:
    """Seconds since the epoch as local date and time."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


class MaintenanceTab(TableTab):
    """Stand up the maintenance host, move traffic to it and back, tear it down."""

    TAB_ID = "maintenance"
    SUMMARY = ("The maintenance-page wizard, step by step and resumable: a t3.nano with "
               "nginx, the production certificates and the same inbound rules, then traffic "
               "moved to it and back again.")
    COLUMNS = (("n", "#"), ("step", "Step"), ("state", "State"))
    BINDINGS = [
        Binding("p", "preview_page", "Preview",
                tooltip="Show the maintenance page as a visitor would read it"),
        Binding("o", "maintenance_on", "Turn on",
                tooltip="Ask for the page's words and the checklist, then run the wizard "
                        "(resumes where it stopped)"),
        Binding("f", "maintenance_off", "Turn off",
                tooltip="Move traffic back to prod, then keep, stop or remove the host"),
        TableTab.FILTER_BINDING,
        TableTab.CLEAR_FILTER_BINDING,
    ]

    clock: Callable[[float], str] = staticmethod(local_time)
    """How times are shown (a test may fix it)."""

    def on_mount(self) -> None:
        """Show the saved progress at once: a small local file, read before the first frame
        so the steps appear with the tab (`r` and later reloads read it in a worker)."""
        if self.services is None:
            self.reload()
            return
        try:
            self.show_status(self.services.maintenance.status())
        except Exception:  # noqa: BLE001 - the worker reports it as one sentence
            self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide on and off while read-only."""
        if action in _MUTATING and self.read_only:
            return False
        return super().check_action(action, parameters)

    def reload(self) -> None:
        """Read the wizard's saved progress again."""
        if self.services is None:
            self.set_status("The maintenance wizard appears here once primetui is configured.")
            return
        self.load_status()

    @work(thread=True, exclusive=True, group="maintenance", exit_on_error=False,
          name="maintenance-status")
    def load_status(self) -> MaintenanceStatus:
        """The saved progress (a small local file, no network)."""
        assert self.services is not None
        return self.services.maintenance.status()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the progress; open a plan built by a worker; failures go up."""
        worker = event.worker
        if worker.node is not self or not str(worker.group).startswith("maintenance"):
            return
        if event.state is WorkerState.SUCCESS and worker.group == "maintenance":
            self.show_status(worker.result)  # type: ignore[arg-type]
        elif event.state is WorkerState.SUCCESS and worker.group == "maintenance-plan":
            self.post_message(OpenPlan(worker.result))  # type: ignore[arg-type]
        elif event.state is WorkerState.SUCCESS and worker.group == "maintenance-preview":
            from primetui.ui.tabs.maintenance.dialogs import PagePreviewDialog

            preview: Any = worker.result
            where = (f"Uploaded as written in {preview.path} (edit it to change the page)."
                     if preview.path else "Not written yet: the wizard writes it in its "
                                          "second step, from the form's answers.")
            self.app.push_screen(PagePreviewDialog(preview.text, where))
        elif event.state is WorkerState.ERROR:
            self.post_message(WorkFailed(worker.error, str(worker.group)))

    def show_status(self, status: MaintenanceStatus) -> None:
        """The status line and one row per step."""
        severity = "warning" if status.on else ("error" if status.error else "")
        self.set_status(status_sentence(status, self.clock), severity)
        nxt = status.next_step
        rows: dict[str, tuple[Any, ...]] = {}
        for i, step in enumerate(status.steps, 1):
            if step.done:
                state = Text("done", style="bold")
            elif nxt is not None and step.key == nxt.key and status.error:
                state = Text("failed: resumes here", style="bold")
            elif nxt is not None and step.key == nxt.key and status.started:
                state = Text("next")
            else:
                state = Text("pending", style="dim")
            rows[step.key] = (str(i), step.title, state)
        self.table.show(rows)

    # -- keys -----------------------------------------------------------------------------

    def _service(self) -> Any | None:
        if self.services is None:
            self.notify("Configure primetui first.", severity="warning", title=self.TITLE)
            return None
        if not self.services.settings.maintenance.domain:
            self.notify("Set maintenance.domain in the config first.", severity="warning",
                        title=self.TITLE)
            return None
        return self.services.maintenance

    def action_preview_page(self) -> None:
        """`p`: the page as it would be uploaded."""
        if self._service() is not None:
            self.load_preview()

    @work(thread=True, exclusive=True, group="maintenance-preview", exit_on_error=False,
          name="maintenance-preview")
    def load_preview(self) -> Any:
        """The page preview (reads the local file, if written)."""
        assert self.services is not None
        return self.services.maintenance.preview()

    def action_maintenance_on(self) -> None:
        """`o`: the form (page's words, checklist), then the `on` plan."""
        service = self._service()
        if service is None or self.read_only:
            return
        from primetui.maintenance.service import CHECKLIST
        from primetui.ui.tabs.maintenance.dialogs import MaintenanceFormDialog

        def chosen(form: Any) -> None:
            if form is not None:
                self.build_plan("on", form)

        self.app.push_screen(MaintenanceFormDialog(service.page_options(),
                                                   self.services.settings.maintenance.domain,  # type: ignore[union-attr]
                                                   CHECKLIST), chosen)

    def action_maintenance_off(self) -> None:
        """`f`: keep, stop or terminate the host afterwards, then the `off` plan."""
        if self._service() is None or self.read_only:
            return
        from primetui.ui.tabs.maintenance.dialogs import TeardownDialog

        def chosen(teardown: str | None) -> None:
            if teardown is not None:
                self.build_plan("off", teardown)

        self.app.push_screen(TeardownDialog(self.services.settings.maintenance.domain), chosen)  # type: ignore[union-attr]

    @work(thread=True, exclusive=True, group="maintenance-plan", exit_on_error=False,
          name="maintenance-plan")
    def build_plan(self, which: str, choice: Any) -> Any:
        """The on or off plan (reads the saved progress)."""
        from primetui.maintenance.service import OffOptions, OnOptions

        assert self.services is not None
        service = self.services.maintenance
        if which == "on":
            return service.plan_on(OnOptions(page=choice.page,
                                             checklist_confirmed=choice.checklist_confirmed))
        return service.plan_off(OffOptions(teardown=choice))
