"""What the Certificates tab draws from a `CertificatesOverview`: cells, flags, the status line.

Plain functions over the service's frozen results, so the tab stays small and the wording
is testable without a screen. Days are counted from the overview's `checked_at` (the
moment the data was true), not from the clock at drawing time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text

from primetui.certificates.certbot import Urgency, name_matches

if TYPE_CHECKING:
    from primetui.certificates.server import ServerCertificates
    from primetui.certificates.service import CertificatesOverview, DomainStatus

COLUMNS: tuple[tuple[str, str], ...] = (
    ("domain", "Domain"),
    ("state", "Served"),
    ("days", "Days"),
    ("on_server", "certbot"),
    ("valid", "Status"),
    ("mismatch", "Mismatch"),
    ("not_after", "Not after"),
    ("serial", "Serial"),
    ("issuer", "Issuer"),
    ("chain", "Chain"),
    ("method", "Method"),
)
"""(key, label) of the tab's columns, the most important first so that an 80-column
terminal shows them: the domain, what the endpoint serves and its days left, certbot's days
left and VALID/INVALID, and whether the two sides disagree; then the served certificate's
details and certbot's method, for wider terminals (the details dialog shows everything).

Automatic renewal is one fact for the whole server, so the status line says it (and the
details), not a column repeating it on every row."""

NONE = "—"
UNKNOWN = "?"
"""Shown where certbot's side could not be read."""

SERIAL_CHARS = 6
"""Hex digits of the served serial shown (enough to see it change; details show all)."""
ISSUER_CHARS = 10
NARROW_DOMAIN_CHARS = 24
"""A narrow table (an 80-column terminal) cuts longer domains with an ellipsis, so the
certbot and mismatch columns stay on screen (the filter and the details have it whole)."""

URGENT = (Urgency.EXPIRED, Urgency.ERROR, Urgency.CRITICAL)


def days_until(when: datetime | None, now: datetime) -> int | None:
    """Whole days from `now` until `when` (negative once past), as the probe counts them."""
    if when is None:
        return None
    return math.floor((when - now).total_seconds() / 86400)


def clip(text: str, width: int) -> str:
    """`text`, cut to `width` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def mismatch_flag(status: DomainStatus) -> str:
    """A short flag for what disagrees: "wrong name", "stale" (renewed, nginx not reloaded),
    "differs" (another serial than certbot's newest), or "" when both sides agree."""
    served, disk = status.endpoint, status.on_disk
    if not served.has_certificate:
        return ""
    if not name_matches(status.domain, served.names):
        return "wrong name"
    if disk is None or disk.serial is None or disk.serial == served.serial:
        return ""
    if served.not_after and disk.expiry and served.not_after < disk.expiry:
        return "stale"
    return "differs"


def row_cells(status: DomainStatus, server: ServerCertificates | None, now: datetime,
              styles: Mapping[Urgency, str], *, narrow: bool = False) -> tuple[Text | str, ...]:
    """One domain's cells, in `COLUMNS` order; domain, state and days coloured by urgency.

    Both sides' expiry is counted in days from `now` (the served one in Days, certbot's in
    its own column); `narrow` cuts a long domain (see `NARROW_DOMAIN_CHARS`).
    """
    served, disk = status.endpoint, status.on_disk
    style = styles.get(status.urgency, "")
    days = days_until(served.not_after, now) if served.has_certificate else None
    if not served.has_certificate:
        chain = NONE
    else:
        chain = "yes" if served.verified else "no"
    if server is None:
        on_server, valid = UNKNOWN, UNKNOWN
    elif disk is None:
        on_server, valid = "none", NONE
    else:
        disk_days = days_until(disk.expiry, now)
        on_server = UNKNOWN if disk_days is None else str(disk_days)
        valid = "VALID" if disk.valid else "INVALID"
    flag = mismatch_flag(status)
    domain = clip(status.domain, NARROW_DOMAIN_CHARS) if narrow else status.domain
    return (
        Text(domain, style=style),
        Text(served.state.value, style=style),
        Text(NONE if days is None else str(days), style=style, justify="right"),
        Text(on_server, justify="right"),
        Text(valid, style=styles.get(Urgency.ERROR, "") if valid == "INVALID" else ""),
        Text(flag, style=styles.get(Urgency.WARNING, "")),
        f"{served.not_after:%Y-%m-%d}" if served.not_after else NONE,
        clip(served.serial, SERIAL_CHARS + 1) if served.serial else NONE,
        clip(served.issuer, ISSUER_CHARS) if served.issuer else NONE,
        Text(chain, style="" if chain != "no" else styles.get(Urgency.ERROR, "")),
        (status.authenticator or NONE) if server is not None else UNKNOWN,
    )


def why(status: DomainStatus, now: datetime) -> str:
    """Why a domain is where it is, in a few words: its state, a mismatch, or days left."""
    served = status.endpoint
    if served.state.value != "ok":
        return served.state.value
    flag = mismatch_flag(status)
    if flag == "stale":
        return "renewed on the server, but nginx still serves the old certificate"
    if flag:
        return f"served certificate differs from certbot's ({flag})"
    days = days_until(served.not_after, now)
    return f"{days} day{'s' if days != 1 else ''} left"


def status_line(overview: CertificatesOverview) -> tuple[str, str]:
    """The status line (worst state, automatic renewal, certbot's side) and its severity.

    When both sides were read, the table tab's own "read 09:41:07" says beside it."""
    rows, now = overview.domains, overview.checked_at
    count = len(rows)
    worst = overview.worst
    attention = [r for r in rows if r.urgency not in (Urgency.OK, Urgency.UNKNOWN)]
    if not attention:
        soonest = min((d for r in rows if r.endpoint.not_after
                       if (d := days_until(r.endpoint.not_after, now)) is not None), default=None)
        head = (f"All {count} certificate{'s' if count != 1 else ''} are fine" if count != 1
                else "The certificate is fine")
        parts = [head + (f" (the soonest expires in {soonest} days)." if soonest is not None
                         else ".")]
    else:
        first = attention[0]
        parts = [f"{len(attention)} of {count} need attention; worst: {worst.value} "
                 f"({first.domain}: {why(first, now)})."]
    if overview.server is not None:
        parts.append(overview.server.auto_renewal.describe())
    elif overview.server_error:
        parts.append(f"certbot's side is not shown: {overview.server_error}")
    if worst in URGENT or overview.server_error:
        severity = "error"
    elif worst is Urgency.WARNING or (overview.server is not None
                                      and not overview.server.auto_renewal.active):
        severity = "warning"
    else:
        severity = ""
    return " ".join(parts), severity
