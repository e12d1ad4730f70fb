"""The renewal's small data: what was asked, how port 80 is freed, and what happened.

Kept apart from the plan itself so the tab and the command line can use them without the
steps; `RenewalReport` is filled in by the plan while it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from primetui.certificates.certbot import RenewOutcome, RenewSummary
from primetui.certificates.probe import EndpointProbe
from primetui.config import CertificateSettings
from primetui.plans.plan import Plan

DEFAULT_STOP = "docker stop {containers}"
DEFAULT_START = "docker start {containers}"
DEFAULT_FIND = "docker ps --format 'table {{.Names}}\t{{.Ports}}'"


@dataclass(frozen=True)
class PortCommands:
    """How the standalone method frees the challenge port and gives it back.

    `{containers}` becomes the quoted container names and `{port}` the port; the default is
    `docker stop`/`docker start`, for hosts without Docker these are any commands.
    """

    stop: str = DEFAULT_STOP
    start: str = DEFAULT_START
    find: str = DEFAULT_FIND

    @classmethod
    def from_settings(cls, settings: CertificateSettings) -> PortCommands:
        """The commands from the config (`stop_command`, `start_command`, `find_command`)."""
        return cls(getattr(settings, "stop_command", None) or DEFAULT_STOP,
                   getattr(settings, "start_command", None) or DEFAULT_START,
                   getattr(settings, "find_command", None) or DEFAULT_FIND)


@dataclass(frozen=True)
class RenewRequest:
    """What the person asked for: one domain's certificate or all, dry run, forced."""

    domain: str | None = None
    dry_run: bool = False
    force: bool = False


@dataclass
class RenewalReport:
    """Filled in while the plan runs: certbot's outcome and what the endpoints served."""

    domains: list[str]
    dry_run: bool = False
    outcome: RenewOutcome | None = None
    certbot: RenewSummary | None = None
    before: dict[str, EndpointProbe] = field(default_factory=dict)
    after: dict[str, EndpointProbe] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    """One line per domain: old → new serial and expiry, or why it did not change."""
    outcomes: dict[str, str] = field(default_factory=dict)
    """The same lines keyed by domain: renewed and served, failed with its reason, …"""
    failures: dict[str, str] = field(default_factory=dict)
    """Domains certbot failed to renew while it renewed others, with each one's reason."""

    def summary(self) -> str:
        """The result in one sentence: renewed, not due yet, dry run, or failed."""
        if self.outcome is None:
            return "The renewal did not run to the end."
        if self.failures:
            return ("Renewal partly failed: " + "; ".join(self.changes or [
                f"{d}: failed: {why}" for d, why in self.failures.items()]) + ".")
        if self.outcome is RenewOutcome.FAILED:
            return f"Renewal failed: {self.certbot.reason if self.certbot else 'see the log'}."
        if self.outcome is RenewOutcome.NOT_DUE:
            return "Not due yet: nothing was renewed and nothing changed."
        if self.outcome is RenewOutcome.SIMULATED:
            return "Dry run succeeded: the renewal would work; nothing was changed."
        return "Renewed: " + "; ".join(self.changes) + "."


@dataclass(frozen=True)
class RenewPlan:
    """The plan to run and the report it fills in."""

    plan: Plan
    report: RenewalReport


def served_line(p: EndpointProbe) -> str:
    """One line: `domain: serial …, expires … (N days left)`, or why nothing was seen."""
    if not p.has_certificate:
        return f"{p.domain}: {p.message}"
    when = f"{p.not_after:%Y-%m-%d %H:%M} UTC" if p.not_after else "?"
    return f"{p.domain}: serial {p.serial}, expires {when} ({p.days_left} days left)"
