"""The Certificates service: each domain seen from the live endpoint and from certbot.

`overview()` probes every endpoint (all at once, each with its own timeout) while one SSH
command reads certbot's side, then joins them per domain: urgency from `warn_days` and
`critical_days`, mismatches between what is served and what is on disk, and the order
the tab and `certs list` show (most urgent first). certbot's side comes through the
session's `CertbotWatch`: `certbot certificates` for the first read and whenever the
person asks (`fresh`), otherwise the last read while it is fresh, or certbot's files
read again. Renewal and automatic renewal are plans (see renew and auto_renew).
Blocking: the UI calls it from a worker thread.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from primetui.certificates.auto_renew import (
    AutoRenewalChoice,
    RenewalLocations,
    plan_auto_renewal,
)
from primetui.certificates.certbot import CertbotCertificate, Urgency, classify, find_mismatches
from primetui.certificates.model import PortCommands, RenewPlan, RenewRequest
from primetui.certificates.probe import EndpointProbe, ProbeState, probe_endpoints
from primetui.certificates.renew import build_renew_plan
from primetui.certificates.server import ServerCertificates, read_server_certificates
from primetui.certificates.watch import CertbotWatch
from primetui.config import CertificateSettings
from primetui.errors import HostKeyUnknownError, PrimeError
from primetui.remote.profiles import HostProfile
from primetui.remote.runners import Runner

_PROBE_URGENCY = {
    ProbeState.EXPIRED: Urgency.EXPIRED,
    ProbeState.UNREACHABLE: Urgency.ERROR,
    ProbeState.TIMED_OUT: Urgency.ERROR,
    ProbeState.TLS_FAILED: Urgency.ERROR,
    ProbeState.WRONG_NAME: Urgency.ERROR,
    ProbeState.UNTRUSTED: Urgency.ERROR,
}


@dataclass(frozen=True)
class DomainStatus:
    """One domain from both sides: the served certificate and certbot's newest on disk."""

    domain: str
    address: str
    endpoint: EndpointProbe
    on_disk: CertbotCertificate | None
    authenticator: str | None
    """webroot, standalone, … from the lineage's renewal conf."""
    urgency: Urgency
    days_left: int | None
    """Days left of the served certificate (of the one on disk when none was served)."""
    mismatches: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        """What needs saying beyond the numbers: a probe problem or a mismatch."""
        if self.endpoint.state is not ProbeState.OK:
            return self.endpoint.message
        return "; ".join(self.mismatches)


@dataclass(frozen=True)
class CertificatesOverview:
    """Every configured domain, most urgent first, and certbot's side of the server."""

    domains: tuple[DomainStatus, ...]
    server: ServerCertificates | None
    server_error: str | None
    checked_at: datetime
    host_key_unknown: bool = False
    """certbot's side was not read because the server's host key is not known (or refused)."""

    @property
    def worst(self) -> Urgency:
        """The most urgent state of any domain (OK when there are none)."""
        return min((d.urgency for d in self.domains), key=lambda u: u.rank, default=Urgency.OK)


def judge(domain: str, probe: EndpointProbe, on_disk: CertbotCertificate | None,
          authenticator: str | None, settings: CertificateSettings,
          now: datetime | None = None) -> DomainStatus:
    """Join the two sides of one domain into its status and urgency."""
    now = now or datetime.now(UTC)
    mismatches = find_mismatches(domain, served_serial=probe.serial,
                                 served_not_after=probe.not_after, served_names=probe.names,
                                 on_disk=on_disk)
    if probe.has_certificate:
        days_left = probe.days_left
    elif on_disk is not None and on_disk.expiry is not None:
        days_left = (on_disk.expiry - now).days
    else:
        days_left = None
    urgency = _PROBE_URGENCY.get(probe.state) or classify(days_left, settings.warn_days,
                                                          settings.critical_days)
    if mismatches and urgency is Urgency.OK:
        urgency = Urgency.WARNING
    return DomainStatus(domain, probe.address, probe, on_disk, authenticator, urgency,
                        days_left, mismatches)


def by_urgency(rows: list[DomainStatus]) -> list[DomainStatus]:
    """Most urgent first; within a level, fewest days left first, then by name."""
    return sorted(rows, key=lambda r: (r.urgency.rank,
                                       r.days_left if r.days_left is not None else 10**6,
                                       r.domain))


class CertificatesService:
    """Checks and renews the configured domains' certificates on the certbot server."""

    def __init__(self, settings: CertificateSettings, runner: Runner, profile: HostProfile, *,
                 locations: RenewalLocations | None = None,
                 commands: PortCommands | None = None,
                 watch: CertbotWatch | None = None) -> None:
        self.settings = settings
        self.runner = runner
        self.profile = profile
        self.locations = locations or RenewalLocations()
        self.commands = commands or PortCommands.from_settings(settings)
        self.watch = watch or CertbotWatch()
        """The session's last reads of certbot's side (shared by every service it makes)."""

    # -- reading -------------------------------------------------------------------------

    def targets(self, domains: list[str] | None = None) -> list[tuple[str, str]]:
        """(domain, address probed) for each domain: `endpoints[domain]` or domain:443."""
        chosen = self.settings.domains if domains is None else domains
        return [(d, self.settings.endpoints.get(d, f"{d}:443")) for d in chosen]

    def probe(self, domains: list[str] | None = None) -> dict[str, EndpointProbe]:
        """Probe the live endpoints concurrently, each within `certificates.timeout`."""
        results = probe_endpoints(self.targets(domains), timeout=self.settings.timeout,
                                  ca_file=self.settings.ca_file)
        return {p.domain: p for p in results}

    def server_certificates(self) -> ServerCertificates:
        """certbot's certificates, renewal confs and automatic renewal on the server, as
        `certbot certificates` lists them now (remembered for the polls that follow)."""
        return self._read(None)

    def watched_certificates(self, *, fresh: bool = False) -> ServerCertificates:
        """certbot's side for a screen that polls: the session's last read while it is
        younger than `ui.refresh`, else certbot's files read again in the directory certbot
        named; `certbot certificates` itself only for the first read, or with `fresh` (the
        person asked)."""
        name = self.runner.name
        with self.watch.reading(name):  # a second screen asking meanwhile reuses this read
            if not fresh and (seen := self.watch.fresh(name)) is not None:
                return seen
            return self._read(None if fresh else self.watch.config_dir(name))

    def _read(self, known_dir: str | None) -> ServerCertificates:
        extra = (self.locations.cron_dir,) if self.locations.practice else ()
        started = self.watch.clock()
        status = read_server_certificates(self.runner, self.profile, self.settings,
                                          cron_dirs=extra, known_dir=known_dir)
        self.watch.remember(status, started)
        return status

    def overview(self, *, fresh: bool = False) -> CertificatesOverview:
        """Both sides of every domain, read at the same time, most urgent first; certbot's
        side as `watched_certificates(fresh=fresh)` gives it."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="certbot-status") as pool:
            server_job = pool.submit(self.watched_certificates, fresh=fresh)
            probes = self.probe()
            server, error, unknown = None, None, False
            try:
                server = server_job.result()
            except HostKeyUnknownError as err:
                error, unknown = str(err), True
            except PrimeError as err:
                error = str(err)
        rows = []
        for domain, probe in probes.items():
            on_disk = server.listing.for_domain(domain) if server else None
            conf = server.conf(on_disk.name) if server and on_disk else None
            rows.append(judge(domain, probe, on_disk, conf.authenticator if conf else None,
                              self.settings))
        return CertificatesOverview(tuple(by_urgency(rows)), server, error, datetime.now(UTC),
                                    unknown)

    # -- plans ---------------------------------------------------------------------------

    def renew_plan(self, domain: str | None = None, *, dry_run: bool = False,
                   force: bool = False, status: ServerCertificates | None = None) -> RenewPlan:
        """The renewal plan (reads certbot's side first unless `status` is given)."""
        status = status or self.server_certificates()
        return build_renew_plan(self.runner, self.profile, self.settings, status,
                                RenewRequest(domain, dry_run, force), self.probe, self.commands)

    def issue_plan(self, domain: str, *, status: ServerCertificates | None = None) -> RenewPlan:
        """The plan that issues a first certificate for `domain` (certbot has none for it)."""
        from primetui.certificates.issue import build_issue_plan

        status = status or self.server_certificates()
        return build_issue_plan(self.runner, self.profile, self.settings, status, domain,
                                self.probe)

    def plan_auto_renewal(self, status: ServerCertificates | None = None) -> AutoRenewalChoice:
        """What turning on automatic renewal does here: only the missing parts (the deploy
        hook beside an existing timer, or a timer or cron entry and the hook), or nothing;
        raises before writing anything where no scheduler could run it."""
        status = status or self.server_certificates()
        return plan_auto_renewal(self.runner, self.profile, self.settings, status,
                                 self.locations, self.commands)

    def close(self) -> None:
        """Close the SSH connection (and forget any sudo password)."""
        self.runner.close()
