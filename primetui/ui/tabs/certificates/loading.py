"""What the Certificates tab's workers read off the event loop: both sides, or the endpoints.

When the service cannot be made (certificates.server names no server) or certbot's side is
not to be asked this time (a poll after the person refused the host key), the endpoints are
still probed and judged, so the endpoint columns always show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from primetui.errors import PrimeError

if TYPE_CHECKING:
    from primetui.certificates.service import CertificatesOverview, CertificatesService
    from primetui.config import CertificateSettings


def endpoints_only(settings: CertificateSettings, service: CertificatesService | None,
                   error: str | None, *, host_key_unknown: bool = False) -> CertificatesOverview:
    """The endpoints alone (certbot's side unread, for the reason `error`), most urgent first."""
    from primetui.certificates.probe import probe_endpoints
    from primetui.certificates.service import CertificatesOverview, by_urgency, judge

    if service is not None:
        probes = list(service.probe().values())
    else:
        targets = [(d, settings.endpoints.get(d, f"{d}:443")) for d in settings.domains]
        probes = probe_endpoints(targets, timeout=settings.timeout, ca_file=settings.ca_file)
    rows = [judge(p.domain, p, None, None, settings) for p in probes]
    return CertificatesOverview(tuple(by_urgency(rows)), None, error, datetime.now(UTC),
                                host_key_unknown)


def read_overview(certificates: Callable[[], CertificatesService],
                  configured: CertificateSettings, ask_server: bool,
                  kept_error: str | None, *, fresh: bool = False) -> CertificatesOverview | None:
    """Both sides of every domain (None: no domains); the endpoints alone when the
    service cannot be made (then `configured` names the domains) or certbot's side is not
    to be asked this time. `fresh`: certbot itself is asked (the person pressed `r`)."""
    try:
        service, error = certificates(), None
    except PrimeError as err:  # e.g. certificates.server names no configured server
        service, error = None, str(err)
    settings = service.settings if service is not None else configured
    if not settings.domains:
        return None
    if service is not None and ask_server:
        return service.overview(fresh=fresh)
    # not asked only after the person refused the host key: that is still the reason
    return endpoints_only(settings, service, error or kept_error,
                          host_key_unknown=service is not None and not ask_server)

