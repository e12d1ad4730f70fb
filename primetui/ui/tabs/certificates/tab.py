"""The Certificates tab: each domain's certificate seen from the live endpoint and from certbot.

A thread worker asks the service for its overview (the endpoints are probed at once, each
within its timeout, while one SSH command reads certbot's side), so the screen never
waits; the rows come back most urgent first and the tab polls again every `ui.refresh`
seconds. A poll reuses the session's last read of certbot's side (the Overview's too) or
reads certbot's files; `r` asks certbot itself (`certbot certificates`) again.
Renewing (n), a dry run (d), a forced renewal (f, asked first: it spends one of Let's
Encrypt's duplicate certificates) and automatic renewal (a) are plans: built in a worker
(they read certbot's side first), shown and run by the plan screen, then the tab reads
both sides again and says what changed. When the server cannot be reached, the endpoint
columns still show and the status line says why in one sentence.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding

from primetui.certificates.certbot import RenewOutcome, Urgency
from primetui.errors import PrimeError
from primetui.ui.messages import OpenPlan
from primetui.ui.tabs.certificates.loading import read_overview
from primetui.ui.tabs.certificates.rows import COLUMNS, row_cells, status_line
from primetui.ui.tabs.table_tab import TableTab
from primetui.ui.tabs.wiring import CertificatesWiring
from primetui.ui.widgets.live_table import LiveTable

if TYPE_CHECKING:
    from rich.console import RenderableType

    from primetui.certificates.model import RenewalReport
    from primetui.certificates.service import CertificatesOverview
    from primetui.plans.plan import Plan

AFTER_PLAN_SECONDS = 1.0
"""How soon after a plan closes both sides are read again (waits while the plan is open)."""
LOAD_GROUP = "certificates"
PLAN_GROUP = "certificates-plan"
NARROW_BELOW = 100
"""A tab narrower than this many columns (an 80-column SSH terminal) draws narrow cells."""
NO_DOMAINS = ("No domains are configured: add them to [certificates] domains in the config "
              "file, with the server where certbot runs.")


class CertificatesTab(TableTab[CertificatesWiring]):
    """Expiry from the live endpoint and from certbot; renew, dry run, force, auto-renewal."""

    TAB_ID = "certificates"
    SUMMARY = ("Each domain's certificate with the days left, seen from the live TLS endpoint "
               "and from certbot on the server; renew, dry-run and automatic renewal.")
    COLUMNS = COLUMNS
    BINDINGS = [
        Binding("enter", "show_details", "Details",
                tooltip="Show the selected domain's certificate from both sides in full",
                id="certificates.show_details"),
        Binding("n", "renew", "Renew", tooltip="Renew the selected domain's certificate with "
                "certbot over SSH, then check what the endpoint serves", id="certificates.renew"),
        Binding("d", "dry_run", "Dry run", tooltip="Try the selected domain's renewal "
                "(certbot --dry-run): nothing changes", id="certificates.dry_run"),
        Binding("f", "force_renew", "Force", tooltip="Renew even though it is not due "
                "(--force-renewal); asks first, as it uses up a Let's Encrypt rate limit",
                id="certificates.force_renew"),
        Binding("i", "issue", "Issue", tooltip="Issue a first certificate for the selected "
                "domain (certbot certonly) when certbot has none for it, then check it is served",
                id="certificates.issue"),
        Binding("a", "install_auto_renewal", "Auto-renew", tooltip="Install what automatic "
                "renewal lacks: the deploy hook that reloads nginx beside an existing timer, "
                "or a timer (or cron entry) and the hook", id="certificates.install_auto_renewal"),
        TableTab.FILTER_BINDING,
        TableTab.CLEAR_FILTER_BINDING,
    ]
    MUTATING = frozenset({"renew", "dry_run", "force_renew", "install_auto_renewal", "issue"})
    """A standalone dry run stops containers, too."""
    READ_ONLY = "Read-only mode is on, so certificates cannot be renewed from here."

    def __init__(self, wiring: CertificatesWiring | None) -> None:
        super().__init__(wiring)
        self._lock = threading.Lock()
        """One user of the service's SSH connection at a time (reading, building plans)."""
        self._forget()

    def _forget(self) -> None:
        self.overview: CertificatesOverview | None = None
        self._notified_error: str | None = None
        self._refused = False
        self._report: RenewalReport | None = None
        self._narrow: bool | None = None
        """Whether the rows were last drawn narrow (None: not drawn yet)."""

    def on_mount(self) -> None:
        """Read both sides as soon as the tab is first shown; redraw when the theme changes."""
        self.watch(self.app, "theme", lambda _: self.call_after_refresh(self._draw), init=False)  # type: ignore[arg-type]
        self.reload()

    def set_wiring(self, wiring: CertificatesWiring | None) -> None:
        """New services: forget what the old ones showed, then read again."""
        self._forget()
        super().set_wiring(wiring)

    # -- reading ---------------------------------------------------------------------------

    def reload_asked(self) -> None:
        """`r`: both sides again, certbot's side from certbot itself."""
        self.reload(fresh=True)

    def reload(self, fresh: bool = False) -> None:
        """Read both sides again (`r`, a poll, a plan that closed); `fresh`: the person
        asked, so `certbot certificates` runs rather than a reuse of the session's last read."""
        if self.wiring is None:
            self.set_status("Certificates appear here once primetui is configured.")
            return
        self._announce_report()
        self.poll_after(self.wiring.settings.ui.refresh)
        if self.overview is None:
            self.set_status("Checking each domain's certificate…")
        ask_server = not (self.polling and self._refused)  # a poll never asks again
        self.run_in_thread(self.read_overview, ask_server, self._notified_error, fresh,
                           done=self.show_overview, failed=self._overview_failed,
                           group=LOAD_GROUP)

    def read_overview(self, ask_server: bool, kept_error: str | None,
                      fresh: bool = False) -> CertificatesOverview | None:
        """The overview, off the event loop (probes, SSH, perhaps a host-key question)."""
        assert self.wiring is not None
        with self._lock:
            return read_overview(self.wiring.certificates, self.wiring.settings.certificates,
                                 ask_server, kept_error, fresh=fresh)

    def show_overview(self, overview: CertificatesOverview | None) -> None:
        """Fill the table and the status line; say a new server failure once."""
        self.overview = overview
        if overview is None:
            self.table.show({})
            self.set_status(NO_DOMAINS, "warning")
            return
        self._draw()
        error = overview.server_error
        self._refused = overview.host_key_unknown
        if error and error != self._notified_error:
            self.notify(error, title=self.TITLE, severity="error", timeout=12)
        self._notified_error = error

    def _draw(self) -> None:
        overview = self.overview
        if overview is None or not self.is_attached:
            return
        styles = self._styles()
        self._narrow = narrow = self.size.width < NARROW_BELOW
        self.table.show({d.domain: row_cells(d, overview.server, overview.checked_at, styles,
                                             narrow=narrow)
                         for d in overview.domains})
        text, severity = status_line(overview)
        if overview.host_key_unknown:
            text += " Press r to be asked about the host key again."
        self.set_status(text, severity)

    def on_resize(self) -> None:
        """A terminal made narrower or wider: draw the cells that have a narrow variant again."""
        if self._narrow is not None and self._narrow != (self.size.width < NARROW_BELOW):
            self._draw()

    def _styles(self) -> dict[Urgency, str]:
        """Rich styles per urgency, from the theme's colours."""
        colours = getattr(self.app, "theme_variables", {}) or {}
        error, warning = colours.get("error", "red"), colours.get("warning", "yellow")
        return {Urgency.EXPIRED: f"bold {error}", Urgency.ERROR: error,
                Urgency.CRITICAL: f"bold {error}", Urgency.WARNING: warning,
                Urgency.OK: colours.get("success", "green"),
                Urgency.UNKNOWN: colours.get("foreground-muted", "")}

    def _overview_failed(self, error: BaseException | None) -> None:
        self.set_status(str(error) if isinstance(error, PrimeError)
                        else "The certificates could not be read.", "error")

    def _plan_failed(self, error: BaseException | None) -> None:
        if self.overview is not None:
            self._draw()  # the status line again, instead of "Reading certbot's side…"

    # -- details ---------------------------------------------------------------------------

    @on(LiveTable.RowSelected)
    def _row_selected(self, event: LiveTable.RowSelected) -> None:
        event.stop()
        self.action_show_details()

    def action_show_details(self) -> None:
        """`enter`: everything about the selected domain, both sides, in a dialog."""
        domain = self._selected_domain()
        if domain is None or self.overview is None:
            return
        from primetui.ui.tabs.certificates.details import CertificateDetailsScreen

        status = next(d for d in self.overview.domains if d.domain == domain)
        self.app.push_screen(CertificateDetailsScreen(status, self.overview.server,
                                                      self.overview.server_error,
                                                      self.overview.checked_at))

    def _selected_domain(self) -> str | None:
        """The domain under the cursor, or None after saying why there is none."""
        key = self.table.selected_key if self.is_mounted else None
        if self.overview is not None and key is not None:
            if any(d.domain == key for d in self.overview.domains):
                return key
        if self.wiring is None:
            self.notify("Nothing can run until primetui is configured.", severity="warning")
        elif self.overview is None:
            self.notify("No certificate is shown yet: the check is still running, or no "
                        "domains are configured.", severity="warning")
        else:
            self.notify("Select a domain first (the filter hides every row).",
                        severity="warning")
        return None

    # -- plans -----------------------------------------------------------------------------

    def action_renew(self) -> None:
        """`n`: the renewal plan for the selected domain."""
        self._prepare("renew")

    def action_issue(self) -> None:
        """`i`: the plan that issues a first certificate for the selected domain."""
        self._prepare("issue")

    def action_dry_run(self) -> None:
        """`d`: the dry-run plan (certbot --dry-run) for the selected domain."""
        self._prepare("dry-run")

    def action_force_renew(self) -> None:
        """`f`: ask, then the forced renewal plan for the selected domain."""
        domain = self._selected_domain()
        if domain is None:
            return
        from primetui.ui.dialogs.confirm import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self._prepare("force", domain)

        self.app.push_screen(ConfirmDialog(
            f"Force-renew the certificate for {domain} now?",
            "certbot --force-renewal asks Let's Encrypt for a new certificate even though this "
            "one is not due. Let's Encrypt issues at most 5 duplicate certificates per week, "
            "so each forced renewal uses up one of them."), answered)

    def action_install_auto_renewal(self) -> None:
        """`a`: the plan that installs what automatic renewal lacks (the deploy hook beside an
        existing timer, or a timer or cron entry and the hook); a sentence when nothing is."""
        if self.wiring is None:
            self.notify("Nothing can run until primetui is configured.", severity="warning")
            return
        self.set_status("Asking the server what renews its certificates…")
        self.prepare_plan("auto", None)

    def _marked_domains(self) -> list[str]:
        """The marked domains still shown (none marked: [])."""
        known = {d.domain for d in self.overview.domains} if self.overview else set()
        return [key for key in self.table.marked_keys if key in known]

    def _prepare(self, kind: str, domain: str | None = None) -> None:
        marked = self._marked_domains() if kind in ("renew", "dry-run") and not domain else []
        if len(marked) > 1:  # the marked rows: one plan, one step per domain
            self.set_status(f"Reading certbot's side to plan the {len(marked)} domains…")
            self.run_in_thread(self.make_many_plan, kind, marked, done=self._plan_ready,
                               failed=self._plan_failed, group=PLAN_GROUP)
            return
        domain = domain or self._selected_domain()
        if domain is None:
            return
        what = {"renew": "renewal", "dry-run": "dry run", "force": "forced renewal",
                "issue": "issuance"}[kind]
        self.set_status(f"Reading certbot's side to plan the {what} of {domain}…")
        self.prepare_plan(kind, domain)

    def prepare_plan(self, kind: str, domain: str | None) -> None:
        """Build the plan in a thread worker; open it when it is ready."""
        self.run_in_thread(self.make_plan, kind, domain, done=self._plan_ready,
                           failed=self._plan_failed, group=PLAN_GROUP)

    def make_plan(self, kind: str,
                  domain: str | None) -> tuple[Plan, RenewalReport | None] | str:
        """Build the plan (SSH: certbot's side is read first); a sentence when there is none."""
        assert self.wiring is not None
        with self._lock:
            service = self.wiring.certificates()
            if kind == "auto":  # only what is missing: never a second timer
                choice = service.plan_auto_renewal()
                return choice.sentence if choice.plan is None else (choice.plan, None)
            if kind == "issue":
                issuance = service.issue_plan(domain or "")  # no row selected: one sentence
                return issuance.plan, issuance.report
            renewal = service.renew_plan(domain, dry_run=kind == "dry-run",
                                         force=kind == "force")
            return renewal.plan, renewal.report

    def make_many_plan(self, kind: str, domains: list[str]) -> tuple[Plan, None]:
        """One plan renewing (or dry-running) every marked domain (SSH: read once)."""
        assert self.wiring is not None
        with self._lock:
            plan = self.wiring.certificates().renew_many_plan(domains,
                                                              dry_run=kind == "dry-run")
            return plan, None

    def row_details(self, key: str) -> RenderableType | None:
        """The pane: the domain seen from both sides, as enter shows it."""
        overview = self.overview
        status = next((d for d in overview.domains if d.domain == key), None) if overview else None
        if overview is None or status is None:
            return None
        from primetui.ui.tabs.certificates.details import detail_sections, render_sections

        return render_sections(detail_sections(status, overview.server, overview.server_error,
                                               overview.checked_at))

    def copy_values(self, key: str) -> list[tuple[str, str]]:
        """`y` the domain, `Y` the address its certificate is served from."""
        overview = self.overview
        status = next((d for d in overview.domains if d.domain == key), None) if overview else None
        return [("domain", key), ("address", status.endpoint.address if status else "")]

    def _plan_ready(self, result: tuple[Plan, RenewalReport | None] | str) -> None:
        if self.overview is not None:
            self._draw()  # the status line again, instead of "Reading certbot's side…"
        if isinstance(result, str):
            self.notify(result, title=self.TITLE)
            return
        plan, self._report = result
        self.post_message(OpenPlan(plan))
        self.poll_after(AFTER_PLAN_SECONDS)

    def _announce_report(self) -> None:
        """After a renewal plan closed: its result in one sentence (old → new serial…)."""
        report = self._report
        if report is None or not self.is_attached or self.app.screen is not self.screen:
            return
        self._report = None
        if report.outcome is None:
            return  # cancelled before certbot ran: the plan screen said so
        failed = report.outcome is RenewOutcome.FAILED or bool(report.failures)
        self.notify(report.summary(), title=self.TITLE,
                    severity="error" if failed else "information", timeout=12)

