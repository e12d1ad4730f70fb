"""`FindingsService`: what needs attention now, across every area, for the Overview tab,
`primetui check` and the maintenance report.

Every area is checked at the same time on its own daemon thread, and the collector waits
only until the deadline: an area that fails or does not answer in time becomes a finding
itself, never an exception, so `collect()` always returns within its timeout (even with
AWS or a server unreachable) and never prompts. When the AWS account itself cannot be
reached, the instances and schedules areas say "not checked" instead of repeating it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from primetui.areas import CHECKED, checked
from primetui.backups.findings import check_backups, check_secrets
from primetui.certificates.findings import check_certificates, no_domains
from primetui.errors import AwsError, PrimeError
from primetui.findings.model import (
    AreaResult,
    AreaStatus,
    Finding,
    FindingsReport,
    by_urgency,
)
from primetui.instances.findings import check_instances
from primetui.maintenance.findings import check_maintenance
from primetui.overview.aws_account import check_aws
from primetui.overview.hosts import Outcome, check_hosts, gather
from primetui.schedules.findings import check_schedules

if TYPE_CHECKING:
    from primetui.aws import AwsService
    from primetui.backups.service import BackupService
    from primetui.certificates.service import CertificatesService
    from primetui.config import Settings
    from primetui.instances.service import InstancesService
    from primetui.maintenance.service import MaintenanceService
    from primetui.remote.runners import Prompter
    from primetui.schedules.service import SchedulesService

DEFAULT_TIMEOUT = 20.0
"""Seconds the whole check may take; an area still busy then is reported as not answering."""

AREAS: tuple[str, ...] = tuple(c.id for c in CHECKED)
"""What is checked, in the order the status is shown (titles and tabs: `primetui.areas`)."""
_AWS_AREAS = ("instances", "schedules")


class AreaServices(Protocol):
    """The services the collector reads: what `primetui.registry.Services` builds.

    Named here rather than imported, so the registry can keep offering `services.findings`
    without the two modules importing each other.
    """

    @property
    def settings(self) -> Settings: ...
    @property
    def aws(self) -> AwsService: ...
    @property
    def instances(self) -> InstancesService: ...
    @property
    def schedules(self) -> SchedulesService: ...
    @property
    def backups(self) -> BackupService: ...
    @property
    def maintenance(self) -> MaintenanceService: ...
    def make_certificates(self, prompter: Prompter | None) -> CertificatesService: ...


class FindingsService:
    """Collects the findings of every area, each area's check reading its own service.

    It sits above the registry: `services` is the registry (or anything with the same
    services), and each check is handed only the service it reads.
    """

    def __init__(self, services: AreaServices, *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.services = services
        self.now = now

    def checks(self, fresh: bool = False) -> dict[str, Callable[[], AreaResult | None]]:
        """Each area's check, ready to call (None from a check: the area does not apply);
        `fresh`: the person asked, so certbot itself is asked too (not the session's last
        read of it, see `CertbotWatch`)."""
        s, settings = self.services, self.services.settings
        return {
            "aws": lambda: check_aws(s.aws),
            "instances": self._instances,
            "schedules": self._schedules,
            "certificates": lambda: self._certificates(fresh),
            "backups": self._backups,
            "secrets": self._secrets,
            "maintenance": self._maintenance,
            "hosts": lambda: check_hosts(settings, self.services.runner),  # type: ignore[attr-defined]
        }

    def _instances(self) -> AreaResult:
        return check_instances(self.services.instances, self.services.schedules, self.now())

    def _schedules(self) -> AreaResult:
        return check_schedules(self.services.schedules)

    def _certificates(self, fresh: bool = False) -> AreaResult:
        """With a service of its own that has no prompter: a host key is never asked about.
        It shares the session's connection and last read of certbot's side."""
        if not self.services.settings.certificates.domains:
            return no_domains()  # nothing to check, and perhaps no server to check it on
        service = self.services.make_certificates(prompter=None)
        try:
            return check_certificates(service, fresh=fresh)
        finally:
            service.close()

    def _backups(self) -> AreaResult:
        return check_backups(self.services.backups)

    def _secrets(self) -> AreaResult:
        return check_secrets(self.services.backups)

    def _maintenance(self) -> AreaResult | None:
        """None when maintenance cannot be offered here (its libraries are missing)."""
        try:
            service = self.services.maintenance
        except (ImportError, AttributeError):
            return None
        return check_maintenance(service, self.now())

    def collect(self, timeout: float = DEFAULT_TIMEOUT,
                is_cancelled: Callable[[], bool] = lambda: False, *,
                fresh: bool = False) -> FindingsReport:
        """Every area's findings, most urgent first, within `timeout` seconds.

        `is_cancelled` (the caller is going away) ends the wait early; the areas not done
        by then are reported as not answering. A background refresh leaves `fresh` off, so
        certbot's side is the session's last read or its files (never `certbot
        certificates`); the person asking (`c`, `r`) turns it on.
        """
        started, t0 = time.time(), time.monotonic()
        outcomes = gather(self.checks(fresh), timeout, is_cancelled)
        results = {area: judge(area, outcomes[area], timeout) for area in AREAS}
        results = fold_aws(results, outcomes)
        shown = [r for r in (results[a] for a in AREAS) if r is not None]
        findings = by_urgency([f for r in shown for f in r.findings])
        return FindingsReport(tuple(findings), tuple(r.status for r in shown), started,
                              time.monotonic() - t0)


def judge(area: str, outcome: Outcome, timeout: float) -> AreaResult | None:
    """An area's result; a failure or a timeout is a warning finding of that area."""
    if outcome.done and outcome.error is None:
        return outcome.value
    title, tab = checked(area).title, checked(area).tab
    if not outcome.done:
        sentence = f"{title} did not answer within {timeout:g} s."
        summary = "Did not answer in time."
    else:
        err = outcome.error
        reason = str(err) if isinstance(err, PrimeError) else \
            f"unexpected {type(err).__name__}: {err}"
        sentence = f"{title} could not be checked: {reason}"
        summary = "Could not be checked."
    finding = Finding("warning", area, sentence, "", tab, f"{tab}.refresh"
                      if tab != "overview" else "overview.check_now")
    return AreaResult(AreaStatus(area, title, summary, "warning", tab), (finding,))


def fold_aws(results: dict[str, AreaResult | None],
             outcomes: dict[str, Outcome]) -> dict[str, AreaResult | None]:
    """With the account unreachable, AWS areas that failed say so once, not three times."""
    aws = results.get("aws")
    if aws is None or aws.status.severity == "ok":
        return results
    folded = dict(results)
    for area in _AWS_AREAS:
        outcome = outcomes.get(area)
        if outcome is not None and (not outcome.done or isinstance(outcome.error, AwsError)):
            title, tab = checked(area).title, checked(area).tab
            folded[area] = AreaResult(AreaStatus(area, title, "Not checked: the AWS account "
                                                 "cannot be reached.", "warning", tab))
    return folded
