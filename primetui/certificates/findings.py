"""What needs attention about the certificates: close to expiry, unreachable, served ≠
renewed, nothing renewing them automatically.

`check_certificates` reads its own service (one made without a prompter, so an unknown
host key is a finding, never a question) and returns the area's status and findings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from primetui.certificates.certbot import Urgency, classify
from primetui.findings.model import AreaResult, Finding, Severity
from primetui.findings.wording import plural, status

if TYPE_CHECKING:
    from primetui.certificates.service import CertificatesService


def no_domains() -> AreaResult:
    """The status when no domain is configured (no service is needed to say so)."""
    return status("certificates", "No domains configured.")


def check_certificates(service: CertificatesService, *, fresh: bool = False) -> AreaResult:
    """Certificates inside warn/critical days, unreachable, or served ≠ renewed (`fresh`:
    certbot itself is asked, not the session's last read; see `CertbotWatch`)."""
    cs = service.settings
    if not cs.domains:
        return no_domains()
    overview = service.overview(fresh=fresh)
    findings = []
    for d in overview.domains:
        days = d.days_left
        left = "unknown" if days is None else (f"{days} day{'s' if days != 1 else ''} left"
                                               if days >= 0 else "expired")
        by_days = classify(days, cs.warn_days, cs.critical_days)
        if d.urgency is Urgency.ERROR:
            findings.append(Finding("critical", "certificates", f"{d.domain}: {d.note}",
                                    f"Probed at {d.address}.", "certificates",
                                    "certificates.details", d.domain))
        elif by_days in (Urgency.EXPIRED, Urgency.CRITICAL, Urgency.WARNING):
            severity: Severity = "warning" if by_days is Urgency.WARNING else "critical"
            what = "has expired" if by_days is Urgency.EXPIRED else f"expires in {days} days"
            # certbot has no lineage for it: renewing cannot help, issuing a first one does.
            issue = overview.server is not None and d.on_disk is None
            fix = (f" certbot has no certificate for {d.domain} on {cs.server}: issue one "
                   f"(primetui certs issue {d.domain})." if issue else "")
            findings.append(Finding(severity, "certificates", f"The certificate of {d.domain} "
                                    f"{what}.", f"{left}; warn at {cs.warn_days} days, critical "
                                    f"at {cs.critical_days}.{fix}", "certificates",
                                    "certificates.issue" if issue else "certificates.renew",
                                    d.domain))
        elif by_days is Urgency.UNKNOWN:
            findings.append(Finding("warning", "certificates", f"The expiry of {d.domain}'s "
                                    f"certificate is unknown.", d.note, "certificates",
                                    "certificates.details", d.domain))
        if d.mismatches:
            findings.append(Finding("warning", "certificates", f"{d.domain} serves another "
                                    f"certificate than the renewed one on disk.",
                                    "; ".join(d.mismatches) + ". Reload nginx; automatic "
                                    "renewal (primetui certs auto-renew) adds the deploy hook "
                                    "that reloads it after each renewal if none does.",
                                    "certificates",
                                    "certificates.auto_renew", d.domain))
    if overview.server_error and overview.host_key_unknown:
        # The SSH hosts finding names the key and the command that trusts it: once is enough.
        findings.append(Finding("warning", "certificates", f"certbot's certificates on "
                                f"{cs.server} could not be read: its host key is not known "
                                f"yet.", "The SSH hosts finding says how to trust it.",
                                "certificates", "certificates.refresh", cs.server))
    elif overview.server_error:
        findings.append(Finding("warning", "certificates", f"certbot's certificates on "
                                f"{cs.server} could not be read: {overview.server_error}",
                                "", "certificates", "certificates.refresh", cs.server))
    elif overview.server is not None and not overview.server.auto_renewal.active:
        findings.append(Finding("warning", "certificates", f"Nothing renews the certificates "
                                f"on {cs.server} automatically.",
                                overview.server.auto_renewal.describe(), "certificates",
                                "certificates.auto_renew", cs.server))
    elif overview.server is not None and not overview.server.auto_renewal.deploy_hooks:
        # a stock Ubuntu certbot.timer renews on disk, but nothing makes nginx serve it
        findings.append(Finding("warning", "certificates", f"Nothing reloads nginx after "
                                f"certbot renews on {cs.server}.",
                                f"{overview.server.auto_renewal.describe()} A renewed "
                                f"certificate is not served until nginx reloads; install the "
                                f"deploy hook (primetui certs auto-renew).", "certificates",
                                "certificates.auto_renew", cs.server))
    known = [d.days_left for d in overview.domains if d.days_left is not None]
    soonest = f"; the soonest expires in {min(known)} days" if known else ""
    summary = f"{plural(len(overview.domains), 'domain')}{soonest}."
    return status("certificates", summary, findings)
