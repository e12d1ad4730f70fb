"""`MainScreen`: the shell — the account bar, the seven tabs on keys 1–7, the footer.

Only the Overview tab is built for the first frame; every other tab's module is imported
and mounted the first time its tab is shown, which keeps start-up fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from primetui.ui.messages import ShowSubject
from primetui.ui.tabs import TABS
from primetui.ui.tabs.base import TabBody
from primetui.ui.widgets.account_bar import AccountBar

if TYPE_CHECKING:
    from primetui.config import Settings
    from primetui.registry import Services
    from primetui.ui.tabs.wiring import TabWiring


def tab_wiring(tab_id: str, services: Services | None) -> TabWiring | None:
    """What one tab is given: the settings and its own service(s), never the registry.

    Each service is handed over as a function that returns it, so it is made in the tab's
    thread worker the first time it is needed (see `primetui.ui.tabs.wiring`).
    """
    if services is None:
        return None
    from primetui.ui.tabs import wiring

    s, settings = services, services.settings
    if tab_id == "overview":
        return wiring.OverviewWiring(settings, findings=lambda: s.findings, runner=s.runner)
    if tab_id == "instances":
        return wiring.InstancesWiring(settings, instances=lambda: s.instances,
                                      schedules=lambda: s.schedules)
    if tab_id == "schedules":
        return wiring.SchedulesWiring(settings, schedules=lambda: s.schedules,
                                      instances=lambda: s.instances)
    if tab_id == "certificates":
        return wiring.CertificatesWiring(settings, certificates=lambda: s.certificates)
    if tab_id == "backups":
        return wiring.BackupsWiring(settings, backups=lambda: s.backups)
    if tab_id == "maintenance":
        return wiring.MaintenanceWiring(settings, maintenance=lambda: s.maintenance)
    if tab_id == "audit":
        def report(seconds: float, window: str, now: float) -> str:
            from primetui.overview.report import build_report

            return build_report(s, seconds, window=window, now=now)

        return wiring.AuditWiring(settings, audit=lambda: s.audit, report=report)
    return wiring.TabWiring(settings)


class MainScreen(Screen[None]):
    """The tabs, the header and the footer; the app hands it settings and services."""

    AUTO_FOCUS = None
    BINDINGS = [
        Binding(tab.key, f"show_tab({tab.id!r})", tab.title, show=False,
                id=f"tabs.{tab.id}") for tab in TABS
    ]

    def __init__(self, settings: Settings | None, services: Services | None) -> None:
        super().__init__(id="main")
        self.settings = settings
        self.services = services
        self._after_tab_shown: tuple[str, str] | None = None
        self._subject_to_select: tuple[str, str] | None = None
        """(tab id, action) the command palette asked for, run once that tab is shown."""

    def compose(self) -> ComposeResult:
        """The header, one pane per tab (only the first filled), the footer."""
        yield AccountBar(id="account-bar")
        with TabbedContent(id="tabs", initial=TABS[0].id):
            for i, tab in enumerate(TABS):
                with TabPane(tab.label, id=tab.id):
                    if i == 0:
                        yield tab.load()(self.tab_wiring(tab.id))
        yield Footer(id="footer")

    NARROW = 100
    """Below this many columns the tabs use their short titles and the footer is compact."""

    def on_resize(self, event: events.Resize) -> None:
        """Fit the tab bar and the footer to the terminal (80×24 SSH sessions included)."""
        narrow = event.size.width < self.NARROW
        tabs = self.query_one(TabbedContent)
        for spec in TABS:
            tab = tabs.get_tab(spec.id)
            tab.label = spec.short_label if narrow else spec.label
        footer = self.query_one(Footer)
        footer.compact = narrow
        footer.show_command_palette = not narrow

    @property
    def header(self) -> AccountBar:
        """The account bar."""
        return self.query_one(AccountBar)

    @property
    def active_tab(self) -> str:
        """The id of the tab being shown."""
        return self.query_one(TabbedContent).active

    def on_mount(self) -> None:
        """Show what is known now; ask AWS for the account in the background."""
        self.header.show_settings(self.settings)
        if self.services is not None:
            self.header.load_account(self.services.account_summary)

    def body(self, tab_id: str) -> TabBody | None:
        """The body of a tab, if it has been shown (and so built) already."""
        try:
            return self.query_one(f"#{tab_id}-body", TabBody)
        except NoMatches:
            return None

    def tab_wiring(self, tab_id: str) -> TabWiring | None:
        """What the tab `tab_id` is given now (None until primetui is configured)."""
        return tab_wiring(tab_id, self.services)

    def mounted_bodies(self) -> list[TabBody]:
        """Every tab body built so far."""
        return list(self.query(TabBody))

    async def _build(self, tab_id: str, pane: TabPane) -> TabBody | None:
        """Build a tab's body into its pane; None if quitting already took the pane apart."""
        if not pane.is_attached:
            return None
        spec = next(tab for tab in TABS if tab.id == tab_id)
        body = spec.load()(self.tab_wiring(tab_id))
        await pane.mount(body)
        return body

    @on(TabbedContent.TabActivated)
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        """Build a tab the first time it is shown, then give it the keyboard."""
        tab_id = event.pane.id or ""
        body = self.body(tab_id)
        if body is None:
            body = await self._build(tab_id, event.pane)
            if body is None:
                return
        if getattr(self.app, "closing", False):
            return  # quitting while the tab was being built: it is being taken apart again
        try:
            body.focus_content()
        except NoMatches:  # quitting while the tab was being built took it apart again
            return
        subject, self._subject_to_select = self._subject_to_select, None
        if subject is not None and subject[0] == tab_id:
            body.select_subject(subject[1])
        pending, self._after_tab_shown = self._after_tab_shown, None
        if pending is not None and pending[0] == tab_id:
            await body.run_action(pending[1])

    @on(ShowSubject)
    def _show_subject(self, message: ShowSubject) -> None:
        message.stop()
        self.show_subject(message.tab, message.subject)

    def show_subject(self, tab_id: str, subject: str) -> None:
        """Show a tab with the cursor on one of its rows (a finding's subject)."""
        body = self.body(tab_id)
        if self.query_one(TabbedContent).active == tab_id and body is not None:
            body.select_subject(subject)
            body.focus_content()
            return
        if body is not None:
            body.select_subject(subject)
        else:
            self._subject_to_select = (tab_id, subject)
        self.action_show_tab(tab_id)

    def action_show_tab(self, tab_id: str) -> None:
        """Show a tab (keys 1–7 and the command palette)."""
        tabs = self.query_one(TabbedContent)
        if tabs.active == tab_id:
            body = self.body(tab_id)
            if body is not None:
                body.focus_content()
        tabs.active = tab_id

    async def run_tab_action(self, tab_id: str, action: str) -> None:
        """Show a tab (building it if needed) and run one of its actions (command palette)."""
        body = self.body(tab_id)
        if body is None:
            body = await self._build(tab_id, self.query_one(f"#{tab_id}", TabPane))
            if body is None:
                return
        tabs = self.query_one(TabbedContent)
        if tabs.active == tab_id:
            body.focus_content()
            await body.run_action(action)
        else:  # run it once the tab is shown, so the tab's own focus does not undo the action's
            self._after_tab_shown = (tab_id, action)
            tabs.active = tab_id

    def services_changed(self, settings: Settings | None, services: Services | None) -> None:
        """New settings and services: the header and every built tab read them again."""
        self.settings, self.services = settings, services
        self.header.show_settings(settings)
        if services is not None:
            self.header.load_account(services.account_summary)
        for body in self.mounted_bodies():
            body.set_wiring(self.tab_wiring(body.TAB_ID))
        self.refresh_bindings()

    def refresh_current(self) -> None:
        """`r`: the account and the tab being shown, read again."""
        if self.services is not None:
            self.header.load_account(self.services.account_summary)
        body = self.body(self.active_tab)
        if body is not None:
            body.reload_asked()

    def reload_tab(self, tab_id: str) -> None:
        """Read one tab's data again, if that tab has been built."""
        body = self.body(tab_id)
        if body is not None:
            body.reload()
