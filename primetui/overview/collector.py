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
from typing import TYPE_CHECKING

from primetui.errors import AwsError, PrimeError
from primetui.findings.model import (
    AreaResult,
    AreaStatus,
    Finding,
    FindingsReport,
    by_urgency,
)
from primetui.findings.wording import (
    check_backups,
    check_certificates,
    check_maintenance,
    check_secrets,
)
from primetui.overview.aws_areas import check_aws, check_instances, check_schedules
from primetui.overview.hosts import Outcome, check_hosts, gather

if TYPE_CHECKING:
    from primetui.registry import Services

DEFAULT_TIMEOUT = 20.0
"""Seconds the whole check may take; an area still busy then is reported as not answering."""

AREAS: tuple[tuple[str, str, str], ...] = (
    ("aws", "AWS account", "overview"),
    ("instances", "Instances", "instances"),
    ("schedules", "Schedules", "schedules"),
    ("certificates", "Certificates", "certificates"),
    ("backups", "Backups", "backups"),
    ("secrets", ".env hygiene", "backups"),
    ("maintenance", "Maintenance", "maintenance"),
    ("hosts", "SSH hosts", "overview"),
)
"""(area, title, tab) in the order the status is shown."""
_AWS_AREAS = ("instances", "schedules")


class FindingsService:
    """Collects the findings of every area from the other services."""

    def __init__(self, services: Services, *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.services = services
        self.now = now

    def checks(self) -> dict[str, Callable[[], AreaResult | None]]:
        """Each area's check, ready to call (None from a check: the area does not apply)."""
        s, settings = self.services, self.services.settings
        return {
            "aws": lambda: check_aws(s),
            "instances": lambda: check_instances(s, self.now()),
            "schedules": lambda: check_schedules(s),
            "certificates": lambda: check_certificates(settings),
            "backups": lambda: check_backups(s),
            "secrets": lambda: check_secrets(s),
            "maintenance": lambda: check_maintenance(s, self.now()),
            "hosts": lambda: check_hosts(settings, s.runner),
        }

    def collect(self, timeout: float = DEFAULT_TIMEOUT,
                is_cancelled: Callable[[], bool] = lambda: False) -> FindingsReport:
        """Every area's findings, most urgent first, within `timeout` seconds.

        `is_cancelled` (the caller is going away) ends the wait early; the areas not done
        by then are reported as not answering.
        """
        started, t0 = time.time(), time.monotonic()
        outcomes = gather(self.checks(), timeout, is_cancelled)
        results = {area: judge(area, outcomes[area], timeout) for area, _, _ in AREAS}
        results = fold_aws(results, outcomes)
        shown = [r for r in (results[a] for a, _, _ in AREAS) if r is not None]
        findings = by_urgency([f for r in shown for f in r.findings])
        return FindingsReport(tuple(findings), tuple(r.status for r in shown), started,
                              time.monotonic() - t0)


def _meta(area: str) -> tuple[str, str]:
    return next((title, tab) for a, title, tab in AREAS if a == area)


def judge(area: str, outcome: Outcome, timeout: float) -> AreaResult | None:
    """An area's result; a failure or a timeout is a warning finding of that area."""
    if outcome.done and outcome.error is None:
        return outcome.value
    title, tab = _meta(area)
    if not outcome.done:
        sentence = f"{title} did not answer within {timeout:g} s."
        summary = "Did not answer in time."
    else:
        err = outcome.error
        reason = str(err) if isinstance(err, PrimeError) else \
            f"unexpected {type(err).__name__}: {err}"
        sentence = f"{title} could not be checked: {reason}"
        summary = "Could not be checked."
    finding = Finding("warning", area, sentence, "", tab, "r Check again")
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
            title, tab = _meta(area)
            folded[area] = AreaResult(AreaStatus(area, title, "Not checked: the AWS account "
                                                 "cannot be reached.", "warning", tab))
    return folded
