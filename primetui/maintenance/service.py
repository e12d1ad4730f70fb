"""`MaintenanceService`: the maintenance-page wizard as plans, and where it stands.

`plan_on` is the runbook's "Scheduled Maintenance" as eight resumable steps (preflight,
page, security group, launch, nginx and page, certificates, site, switch); `plan_off` moves
traffic back to prod and optionally stops or removes the maintenance host; `status` reads
the saved progress only (no network), so the tab, the CLI and the findings can ask often.
Progress lives in the XDG state dir (beside the audit log) as `maintenance.toml`; the page
files the person may edit live in `maintenance/` there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from primetui.aws import AwsService
from primetui.config import ServerSettings, Settings
from primetui.errors import ConfigError
from primetui.maintenance.aws_side import MaintenanceAws
from primetui.maintenance.context import Timing, WizardContext
from primetui.maintenance.discovery import Candidate, discover_prod, save_instance
from primetui.maintenance.host_steps import (
    TEARDOWNS,
    OffOptions,
    certificates,
    install,
    site,
    stop_instance,
    switch,
    switch_back,
    terminate,
)
from primetui.maintenance.page import PageOptions, page_text, render_index
from primetui.maintenance.progress import MaintenanceStatus, WizardState
from primetui.maintenance.ssh_side import RunnerFactory
from primetui.maintenance.steps import (
    CHECKLIST,
    OnOptions,
    launch,
    page,
    page_from_saved,
    preflight,
    security_group,
)
from primetui.plans.plan import Plan

if TYPE_CHECKING:
    from primetui.remote.runners import Prompter

__all__ = ["CHECKLIST", "TEARDOWNS", "MaintenanceService", "MaintenanceStatus", "OffOptions",
           "OnOptions", "PagePreview", "Timing"]

STATE_FILE = "maintenance.toml"
WORK_DIR = "maintenance"


@dataclass(frozen=True)
class PagePreview:
    """The page as it would be uploaded: its file (if written yet), HTML and plain text."""

    path: Path | None
    html: str
    text: str


class MaintenanceService:
    """The maintenance wizard: plans for on and off, its saved progress, a page preview."""

    def __init__(self, settings: Settings, aws: AwsService, runner_factory: RunnerFactory,
                 state_dir: Path, *, timing: Timing | None = None,
                 poll_interval: float = 5.0, aws_timeout: float = 900.0,
                 certbot_dir: Callable[[str], str | None] | None = None) -> None:
        self.settings = settings
        self.certbot_dir = certbot_dir
        """certbot's configuration directory on a server, as certbot names it (the
        registry's; without it the host profile's `paths.letsencrypt` is used)."""
        self.aws = aws
        self.runner_factory = runner_factory
        self.state_path = state_dir / STATE_FILE
        self.work_dir = state_dir / WORK_DIR
        self.timing = timing or Timing(verify_timeout=settings.maintenance.verify_timeout)
        self.poll_interval = poll_interval
        self.aws_timeout = aws_timeout

    # -- reading -------------------------------------------------------------------------

    def state(self) -> WizardState:
        """The saved progress, read now."""
        return WizardState.load(self.state_path)

    def status(self) -> MaintenanceStatus:
        """On or off, since when, on which instance, and each step's progress (no network)."""
        m = self.settings.maintenance
        return self.state().status(m.domain, m.switch)

    def page_options(self) -> PageOptions:
        """The page options last written (the defaults, with the config's contact, if none)."""
        return page_from_saved(self.state().page, self.settings.maintenance.contact)

    def preview(self, options: PageOptions | None = None) -> PagePreview:
        """The page to show before `on`: the given options, else the local (edited) file."""
        index = self._context(self.state()).index_file
        if options is None and index.exists():
            html = index.read_text(encoding="utf-8", errors="replace")
            return PagePreview(index, html, page_text(html))
        html = render_index(options or self.page_options(), self.settings.maintenance.domain)
        return PagePreview(None, html, page_text(html))

    # -- prod's instance -------------------------------------------------------------------

    def prod_instance_missing(self) -> bool:
        """Whether the wizard cannot tell prod's EC2 instance yet (not in the config, and no
        earlier run recorded it): the preflight then offers to look for it."""
        server = self.settings.servers.get(self.settings.maintenance.prod)
        return not (server and server.instance) and not self.state().get("prod_instance_id")

    def discover_prod(self) -> list[Candidate]:
        """Instances that may be prod, most telling first (nothing is saved)."""
        m = self.settings.maintenance
        server = self.settings.servers.get(m.prod)
        return discover_prod(self.aws, server=m.prod, host=server.host if server else "",
                             domain=m.domain)

    def adopt_prod_instance(self, candidate: Candidate) -> Path | None:
        """Use `candidate` as prod from now on and save it in the config file (keeping its
        comments); returns the file written, or None when there is no file to write."""
        m = self.settings.maintenance
        server = self.settings.servers.get(m.prod)
        host = None if server and server.host else (candidate.public_ip or candidate.private_ip)
        written = None
        if self.settings.path is not None and save_instance(
                self.settings.path, m.prod, candidate.instance_id, host=host,
                context=self.settings.context):
            written = self.settings.path
        adopted = dataclasses.replace(server or ServerSettings(host=host or ""),
                                      instance=candidate.instance_id)
        self.settings = dataclasses.replace(self.settings,
                                            servers={**self.settings.servers, m.prod: adopted})
        return written

    # -- plans -----------------------------------------------------------------------------

    def _context(self, state: WizardState) -> WizardContext:
        aws = MaintenanceAws(self.aws, poll_interval=self.poll_interval, timeout=self.aws_timeout)
        return WizardContext(self.settings, state, aws, self.runner_factory, self.work_dir,
                             self.timing, certbot_dir=self.certbot_dir)

    def _check(self) -> None:
        m = self.settings.maintenance
        if not m.domain:
            raise ConfigError("maintenance.domain is not set in the config: set the site's "
                              "domain (and servers.prod.instance) first.")
        if m.prod not in self.settings.servers:
            raise ConfigError(f"maintenance.prod names '{m.prod}', which is not a [servers] "
                              f"table in the config.")

    def plan_on(self, options: OnOptions | None = None) -> Plan:
        """The wizard: steps already done (as saved and still in place) are skipped."""
        self._check()
        if not self.settings.maintenance.admin_cidr:
            raise ConfigError("maintenance.admin_cidr is not set in the config: set it to the "
                              "lab network allowed to SSH into the maintenance host, e.g. "
                              "\"203.0.113.0/24\".")
        options = options or OnOptions()
        ctx = self._context(self.state())
        steps = [preflight(ctx, options), page(ctx, options), security_group(ctx), launch(ctx),
                 install(ctx), certificates(ctx), site(ctx), switch(ctx)]
        domain = self.settings.maintenance.domain
        return Plan(title=f"Maintenance on: {domain} to the maintenance page", target=domain,
                    steps=steps, action="maintenance.on", confirm_name=domain)

    def plan_off(self, options: OffOptions | None = None) -> Plan:
        """Traffic back to prod, verified; then keep, stop or terminate the maintenance host."""
        self._check()
        options = options or OffOptions()
        if options.teardown not in TEARDOWNS:
            raise ConfigError(f"Unknown teardown '{options.teardown}' (expected one of: "
                              f"{', '.join(TEARDOWNS)}).")
        ctx = self._context(self.state())
        steps = [switch_back(ctx)]
        has_instance = bool(ctx.state.get("instance_id"))
        if options.teardown == "stop" and has_instance:
            steps.append(stop_instance(ctx))
        elif options.teardown == "terminate":
            steps.extend(terminate(ctx))
        domain = self.settings.maintenance.domain
        what = {"keep": "", "stop": ", stop the maintenance host",
                "terminate": ", remove the maintenance host"}[options.teardown]
        return Plan(title=f"Maintenance off: {domain} back to prod{what}", target=domain,
                    steps=steps, action="maintenance.off")


def ssh_factory(prompter: Prompter | None) -> RunnerFactory:
    """Runners over SSH with strict host keys, asking `prompter` about unknown keys."""

    def make(name: str, server: ServerSettings):  # noqa: ANN202 - a Runner
        from primetui.remote.runners import SshRunner

        return SshRunner(name, server, prompter)

    return make
