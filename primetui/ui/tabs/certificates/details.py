"""`CertificateDetailsScreen`: one domain's certificate seen from both sides, in full.

What the table has no room for: the served certificate's subject, names, issuer, exact
expiry and whole serial, why the chain did or did not verify; certbot's lineage with its
paths and status; the renewal conf's method; automatic renewal; and each mismatch spelled out.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from primetui.ui.screens.details import DetailsScreen
from primetui.ui.tabs.certificates.rows import days_until

if TYPE_CHECKING:
    from primetui.certificates.server import ServerCertificates
    from primetui.certificates.service import DomainStatus

Section = tuple[str, list[tuple[str, str]]]


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "—"
    days = days_until(value, now)
    left = (f"{days} day{'s' if days != 1 else ''} left" if days is None or days >= 0
            else f"expired {-days} day{'s' if days != -1 else ''} ago")
    return f"{value:%Y-%m-%d %H:%M:%S} UTC ({left})"


def detail_sections(status: DomainStatus, server: ServerCertificates | None,
                    server_error: str | None, now: datetime) -> list[Section]:
    """(heading, [(label, value)]) for the served side, certbot's side and the mismatches."""
    served = status.endpoint
    live: list[tuple[str, str]] = [("Address", served.address), ("State", served.state.value),
                                   ("", served.message)]
    if served.has_certificate:
        chain = "verified" if served.verified else f"not verified ({served.verify_error})"
        live += [("Subject", served.subject or "—"), ("Names", ", ".join(served.names) or "—"),
                 ("Issuer", served.issuer or "—"), ("Not after", _when(served.not_after, now)),
                 ("Serial", served.serial or "—"), ("Chain", chain)]
    sections: list[Section] = [("Served by the live endpoint", live)]

    disk = status.on_disk
    if server is None:
        side = [("", f"Not read: {server_error or 'certbot was not asked.'}")]
    elif disk is None:
        names = ", ".join(c.name for c in server.listing.certificates) or "none"
        side = [("", f"certbot on {server.host} has no certificate for {status.domain} "
                     f"(its lineages: {names}).")]
    else:
        conf = server.conf(disk.name)
        side = [("Lineage", disk.name), ("Domains", ", ".join(disk.domains) or "—"),
                ("Expiry", _when(disk.expiry, now)),
                ("Status", f"{'VALID' if disk.valid else 'INVALID'}: {disk.detail}"),
                ("Serial", disk.serial or "—"), ("Key type", disk.key_type or "—"),
                ("Certificate", disk.cert_path or "—"), ("Private key", disk.key_path or "—"),
                ("Method", status.authenticator or "— (no renewal conf read)")]
        if conf is not None:
            if conf.webroot_paths:
                side.append(("Webroot", ", ".join(conf.webroot_paths)))
            if conf.renew_before_expiry:
                side.append(("Renews", f"{conf.renew_before_expiry} before expiry"))
            if conf.deploy_hook:
                side.append(("Deploy hook", conf.deploy_hook))
    if server is not None:
        side += [("Config dir", f"{server.config_dir} on {server.server} ({server.host})"),
                 ("Auto-renewal", server.auto_renewal.describe())]
    sections.append(("certbot on the server", side))

    if status.mismatches:
        sections.append(("Mismatch", [("", m[0].upper() + m[1:] + ".")
                                      for m in status.mismatches]))
    return sections


def render_sections(sections: list[Section]) -> Group:
    """The sections: each heading bold, then its labels dim and aligned, values wrapped."""
    width = max((len(label) for _, rows in sections for label, _ in rows), default=0) + 2
    parts: list[Text | Table] = []
    for i, (heading, rows) in enumerate(sections):
        parts.append(Text(("\n" if i else "") + heading, style="bold"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True, width=width)
        grid.add_column(overflow="fold")
        for label, value in rows:
            grid.add_row(f"  {label}", Text(value))
        parts.append(grid)
    return Group(*parts)


class CertificateDetailsScreen(DetailsScreen[None]):
    """A scrollable panel with everything known about one domain's certificate."""

    DEFAULT_CSS = """
    CertificateDetailsScreen > #certificate-details-box {
        width: 100;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        padding: 0 2;
    }
    CertificateDetailsScreen #certificate-details-title {
        margin-bottom: 1;
    }
    CertificateDetailsScreen #certificate-details-scroll {
        height: auto;
        max-height: 1fr;
    }
    """

    BINDINGS = [Binding("enter", "close", "Close", show=False, id="details.close")]
    BOX_ID = "certificate-details-box"

    def __init__(self, status: DomainStatus, server: ServerCertificates | None,
                 server_error: str | None, now: datetime) -> None:
        super().__init__()
        self.status = status
        self.sections = detail_sections(status, server, server_error, now)

    def compose_details(self) -> ComposeResult:
        """The domain and its urgency, then every section."""
        yield Static(Text(f"{self.status.domain}: {self.status.urgency.value}"),
                     id="certificate-details-title", classes="details-title")
        with VerticalScroll(id="certificate-details-scroll"):
            yield Static(render_sections(self.sections), id="certificate-details-text")
