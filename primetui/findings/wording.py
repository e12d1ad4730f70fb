"""The checks behind the findings, one function per area, each reading one service.

Each returns an `AreaResult` (its status line and its findings) or raises a `PrimeError`
that the collector turns into a finding; none of them ever prompts. Here: certificates,
backups, .env hygiene and maintenance, and the helpers every area shares; the AWS areas
are in `findings_aws.py`, the SSH hosts in `findings_hosts.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from primetui.certificates.certbot import Urgency, classify
from primetui.findings.model import AreaResult, AreaStatus, Finding, Severity, worst

if TYPE_CHECKING:
    from primetui.config import Settings
    from primetui.registry import Services

def status(area: str, title: str, summary: str, findings: list[Finding], tab: str,
           floor: Severity = "ok") -> AreaResult:
    """An area's result: its worst severity comes from its findings."""
    severity = worst([f.severity for f in findings] + [floor])
    summary = summary[:1].upper() + summary[1:]
    return AreaResult(AreaStatus(area, title, summary, severity, tab), tuple(findings))


def plural(n: int, word: str) -> str:
    """`no domains`, `1 domain`, `2 domains`."""
    return f"{n or 'no'} {word}{'' if n == 1 else 's'}"


def local_time(moment: datetime) -> str:
    """A moment in this computer's local time, e.g. `Fri 2026-03-06 20:00`."""
    return f"{moment.astimezone():%a %Y-%m-%d %H:%M}"


def duration(seconds: float) -> str:
    """A rough duration: `40 min`, `5 h`, `3 days`."""
    if seconds < 3600:
        return f"{max(1, int(seconds // 60))} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


# ---------------------------------------------------------------------------- certificates

def check_certificates(settings: Settings) -> AreaResult:
    """Certificates inside warn/critical days, unreachable, or served ≠ renewed."""
    cs = settings.certificates
    if not cs.domains:
        return status("certificates", "Certificates", "No domains configured.", [],
                      "certificates")
    from primetui.certificates.service import CertificatesService

    service = CertificatesService.from_settings(settings, None)  # None: never prompt
    try:
        overview = service.overview()
    finally:
        service.close()
    findings = []
    for d in overview.domains:
        days = d.days_left
        left = "unknown" if days is None else (f"{days} day{'s' if days != 1 else ''} left"
                                               if days >= 0 else "expired")
        by_days = classify(days, cs.warn_days, cs.critical_days)
        if d.urgency is Urgency.ERROR:
            findings.append(Finding("critical", "certificates", f"{d.domain}: {d.note}",
                                    f"Probed at {d.address}.", "certificates", "enter Details",
                                    d.domain))
        elif by_days in (Urgency.EXPIRED, Urgency.CRITICAL, Urgency.WARNING):
            severity: Severity = "warning" if by_days is Urgency.WARNING else "critical"
            what = "has expired" if by_days is Urgency.EXPIRED else f"expires in {days} days"
            findings.append(Finding(severity, "certificates", f"The certificate of {d.domain} "
                                    f"{what}.", f"{left}; warn at {cs.warn_days} days, critical "
                                    f"at {cs.critical_days}.", "certificates", "n Renew",
                                    d.domain))
        elif by_days is Urgency.UNKNOWN:
            findings.append(Finding("warning", "certificates", f"The expiry of {d.domain}'s "
                                    f"certificate is unknown.", d.note, "certificates",
                                    "enter Details", d.domain))
        if d.mismatches:
            findings.append(Finding("warning", "certificates", f"{d.domain} serves another "
                                    f"certificate than the renewed one on disk.",
                                    "; ".join(d.mismatches) + ". Reload nginx (the renewal's "
                                    "deploy hook does it).", "certificates", "a Auto-renewal",
                                    d.domain))
    if overview.server_error:
        findings.append(Finding("warning", "certificates", f"certbot's certificates on "
                                f"{cs.server} could not be read: {overview.server_error}",
                                "", "certificates", "r Refresh", cs.server))
    elif overview.server is not None and not overview.server.auto_renewal.active:
        findings.append(Finding("warning", "certificates", f"Nothing renews the certificates "
                                f"on {cs.server} automatically.",
                                overview.server.auto_renewal.describe(), "certificates",
                                "a Auto-renewal", cs.server))
    known = [d.days_left for d in overview.domains if d.days_left is not None]
    soonest = f"; the soonest expires in {min(known)} days" if known else ""
    summary = f"{plural(len(overview.domains), 'domain')}{soonest}."
    return status("certificates", "Certificates", summary, findings, "certificates")


# ---------------------------------------------------------------------------- backups

def check_backups(services: Services) -> AreaResult:
    """The newest backup: none, too old, never verified, or failed its verification."""
    backups = services.backups
    entries = backups.list_backups(include_s3=False)
    state = backups.status(entries)
    findings = []
    if state.level != "ok":
        findings.append(Finding("critical" if state.level == "critical" else "warning",
                                "backups", state.message,
                                f"Backups go to {backups.destination}; the newest should be at "
                                f"most {backups.config.max_age_days} days old.", "backups",
                                "c Create"))
    newest = state.newest
    if newest is not None and newest.verified_ok is False:
        findings.append(Finding("critical", "backups", f"The newest backup, {newest.name}, "
                                f"failed its last verification.", newest.path, "backups",
                                "v Verify", newest.name))
    elif newest is not None and newest.last_verified is None:
        findings.append(Finding("warning", "backups", f"The newest backup, {newest.name}, was "
                                f"never verified.", "Verifying decrypts it and reads every "
                                "member, so a restore will work.", "backups", "v Verify",
                                newest.name))
    count = sum(1 for e in entries if e.kind != "pre-restore")
    summary = (f"{plural(count, 'backup')}; the newest is {newest.date}." if newest
               else "No backup yet.")
    return status("backups", "Backups", summary, findings, "backups")


def check_secrets(services: Services) -> AreaResult:
    """The .env hygiene of the local project: modes, git ignore, tracked, history."""
    backups = services.backups
    if backups.source.server:
        return status("secrets", ".env hygiene", "Checked on a local project only.", [],
                      "backups")
    report = backups.hygiene()
    findings = []

    def add(severity: Severity, title: str, detail: str, subject: str) -> None:
        findings.append(Finding(severity, "secrets", title, detail, "backups", "h Hygiene",
                                subject))

    for f in report.files:
        if not f.mode_ok:
            add("warning", f"{f.name} has mode {f.mode:04o}; it should be 0600.",
                f"In {report.project}: only its owner should read it.", f.name)
        if f.tracked:
            add("critical", f"{f.name} is tracked by git.", "Stop tracking it and rotate its "
                "secrets.", f.name)
        elif f.ignored is False:
            add("warning", f"{f.name} is not ignored by git.", "Add it to .gitignore.", f.name)
    if report.in_history:
        add("critical", f"git history contains {', '.join(report.in_history)}.",
            "Rotate those secrets: rewriting history does not un-leak them.", "history")
    summary = (f"{plural(len(report.files), '.env file')} in {report.project.name}/"
               + ("" if report.is_git else " (not a git repository)") + ".")
    return status("secrets", ".env hygiene", summary, findings, "backups")


# ---------------------------------------------------------------------------- maintenance

def check_maintenance(services: Services, now: datetime) -> AreaResult | None:
    """Maintenance mode on, and for how long; None when maintenance is not available."""
    try:
        state = services.maintenance.status()
        on, since = bool(state.on), state.since
        instance = getattr(state, "instance_id", None)
    except (ImportError, AttributeError):
        return None
    if not on:
        return status("maintenance", "Maintenance", "Off: traffic goes to production.", [],
                      "maintenance")
    how_long = f" for {duration(now.timestamp() - since)}" if since else ""
    where = f" on {instance}" if instance else ""
    finding = Finding("warning", "maintenance", f"Maintenance mode is on{how_long}.",
                      f"Visitors see the maintenance page{where}; move traffic back to "
                      f"production when the work is done.", "maintenance", "f Maintenance off",
                      instance or "")
    return status("maintenance", "Maintenance", f"On{how_long}{where}.", [finding],
                  "maintenance")
