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
from textual.binding import Binding

from primetui.ui.messages import OpenPlan
from primetui.ui.tabs.table_tab import TableTab
from primetui.ui.tabs.wiring import MaintenanceWiring

if TYPE_CHECKING:
    from pathlib import Path

    from primetui.maintenance.discovery import Candidate
    from primetui.maintenance.service import MaintenanceService, MaintenanceStatus, PagePreview
    from primetui.plans.plan import Plan


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


class MaintenanceTab(TableTab[MaintenanceWiring]):
    """Stand up the maintenance host, move traffic to it and back, tear it down."""

    TAB_ID = "maintenance"
    SUMMARY = ("The maintenance-page wizard, step by step and resumable: a t3.nano with "
               "nginx, the production certificates and the same inbound rules, then traffic "
               "moved to it and back again.")
    COLUMNS = (("n", "#"), ("step", "Step"), ("state", "State"))
    BINDINGS = [
        Binding("p", "preview_page", "Preview",
                tooltip="Show the maintenance page as a visitor would read it",
                id="maintenance.preview_page"),
        Binding("o", "maintenance_on", "Turn on",
                tooltip="Ask for the page's words and the checklist, then run the wizard "
                        "(resumes where it stopped)", id="maintenance.maintenance_on"),
        Binding("f", "maintenance_off", "Turn off",
                tooltip="Move traffic back to prod, then keep, stop or remove the host",
                id="maintenance.maintenance_off"),
        TableTab.FILTER_BINDING,
        TableTab.CLEAR_FILTER_BINDING,
    ]
    MUTATING = frozenset({"maintenance_on", "maintenance_off"})
    READ_ONLY = "Read-only mode is on, so maintenance cannot be switched on or off from here."

    clock: Callable[[float], str] = staticmethod(local_time)
    """How times are shown (a test may fix it)."""

    def on_mount(self) -> None:
        """Show the saved progress at once: a small local file, read before the first frame
        so the steps appear with the tab (`r` and later reloads read it in a worker)."""
        if self.wiring is None:
            self.reload()
            return
        try:
            self.show_status(self.wiring.maintenance().status())
            self.mark_read()
        except Exception:  # noqa: BLE001 - the worker reports it as one sentence
            self.reload()

    def reload(self) -> None:
        """Read the wizard's saved progress again."""
        if self.wiring is None:
            self.set_status("The maintenance wizard appears here once primetui is configured.")
            return
        self.run_in_thread(self.read_status, done=self.show_status, group="maintenance")

    def read_status(self) -> MaintenanceStatus:
        """The saved progress (a small local file, no network)."""
        assert self.wiring is not None
        return self.wiring.maintenance().status()

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

    def _service(self) -> MaintenanceService | None:
        if self.wiring is None:
            self.notify("Configure primetui first.", severity="warning", title=self.TITLE)
            return None
        if not self.wiring.settings.maintenance.domain:
            self.notify("Set maintenance.domain in the config first.", severity="warning",
                        title=self.TITLE)
            return None
        return self.wiring.maintenance()

    def action_preview_page(self) -> None:
        """`p`: the page as it would be uploaded."""
        if self._service() is not None:
            self.run_in_thread(self.read_preview, done=self.show_preview,
                               group="maintenance-preview")

    def read_preview(self) -> PagePreview:
        """The page preview (reads the local file, if written)."""
        assert self.wiring is not None
        return self.wiring.maintenance().preview()

    def show_preview(self, preview: PagePreview) -> None:
        """The page as a visitor reads it, and where its file is."""
        from primetui.ui.tabs.maintenance.dialogs import PagePreviewScreen

        where = (f"Uploaded as written in {preview.path} (edit it to change the page)."
                 if preview.path else "Not written yet: the wizard writes it in its "
                                      "second step, from the form's answers.")
        self.app.push_screen(PagePreviewScreen(preview.text, where))

    def action_maintenance_on(self) -> None:
        """`o`: the form (page's words, checklist), then the `on` plan; when prod's instance
        is not known yet, first offer the one found in AWS."""
        service = self._service()
        if service is None or self.wiring is None:
            return
        if service.prod_instance_missing():
            self.set_status("Looking in AWS for prod's EC2 instance (servers."
                            f"{self.wiring.settings.maintenance.prod}.instance is not set)…")
            self.run_in_thread(service.discover_prod, done=self.offer_prod_instance,
                               after=self.reload, group="maintenance-discover")
            return
        self.open_form(service)

    def open_form(self, service: MaintenanceService) -> None:
        """The page's words and the checklist; submitted, the `on` plan."""
        assert self.wiring is not None
        from primetui.maintenance.service import CHECKLIST
        from primetui.ui.tabs.maintenance.dialogs import MaintenanceFormDialog

        def chosen(form: Any) -> None:
            if form is not None:
                self.build_plan("on", form)

        self.app.push_screen(MaintenanceFormDialog(service.page_options(),
                                                   self.wiring.settings.maintenance.domain,
                                                   CHECKLIST), chosen)

    def offer_prod_instance(self, found: list[Candidate]) -> None:
        """What discovery found, shown before anything is saved: one clear candidate is
        offered (yes saves it in the config and goes on to the form); none or a tie says
        what to set by hand."""
        assert self.wiring is not None
        prod = self.wiring.settings.maintenance.prod
        if not found or (len(found) > 1 and found[1].rank == found[0].rank):
            what = ("No instance in this account looks like prod" if not found else
                    "More than one instance fits equally (" +
                    ", ".join(c.instance_id for c in found[:3]) + ")")
            self.notify(f"{what}: set servers.{prod}.instance in the config to prod's EC2 "
                        f"instance id.", severity="warning", title=self.TITLE, timeout=15)
            return
        from primetui.ui.dialogs.confirm import ConfirmDialog

        best = found[0]
        path = self.wiring.settings.path
        where = (f"Saved as servers.{prod}.instance in {path}, keeping its comments." if path
                 else "Used for this session (there is no config file to save it in).")
        question = ConfirmDialog(f"Use {best.instance_id} as prod?",
                                 f"Found {best.describe()}.\n{where}")

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_in_thread(self.adopt_prod_instance, best, done=self.prod_adopted,
                                   group="maintenance-discover")

        self.app.push_screen(question, answered)

    def adopt_prod_instance(self, candidate: Candidate) -> Path | None:
        """Save the chosen instance (a small file edit) for this and later sessions."""
        assert self.wiring is not None
        return self.wiring.maintenance().adopt_prod_instance(candidate)

    def prod_adopted(self, written: Path | None) -> None:
        """Say where it was saved, then go on to the form."""
        assert self.wiring is not None
        service = self.wiring.maintenance()
        prod = service.settings.servers[service.settings.maintenance.prod]
        if written is not None:
            self.notify(f"Saved servers.{service.settings.maintenance.prod}.instance = "
                        f"{prod.instance} in {written}.", title=self.TITLE)
        self.open_form(service)

    def action_maintenance_off(self) -> None:
        """`f`: keep, stop or terminate the host afterwards, then the `off` plan."""
        if self._service() is None or self.wiring is None:
            return
        from primetui.ui.tabs.maintenance.dialogs import TeardownDialog

        def chosen(teardown: str | None) -> None:
            if teardown is not None:
                self.build_plan("off", teardown)

        self.app.push_screen(TeardownDialog(self.wiring.settings.maintenance.domain), chosen)

    def build_plan(self, which: str, choice: Any) -> None:
        """Build the on or off plan in a thread worker, then open it."""
        self.run_in_thread(self.make_plan, which, choice, done=self.open_plan,
                           group="maintenance-plan")

    def open_plan(self, plan: Plan) -> None:
        """Show a plan on the plan screen."""
        self.post_message(OpenPlan(plan))

    def make_plan(self, which: str, choice: Any) -> Plan:
        """The on or off plan (reads the saved progress)."""
        from primetui.maintenance.service import OffOptions, OnOptions

        assert self.wiring is not None
        service = self.wiring.maintenance()
        if which == "on":
            return service.plan_on(OnOptions(page=choice.page,
                                             checklist_confirmed=choice.checklist_confirmed))
        return service.plan_off(OffOptions(teardown=choice))
