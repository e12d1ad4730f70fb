"""Renewing certificates as a plan: webroot, or standalone with port 80 freed around certbot.

The plan notes what each domain serves, renews (certbot's output streams into the log),
tests and reloads nginx, then probes again and states old → new serial and expiry.
"Not due yet" and a dry run are outcomes of their own, distinct from renewed and failed.
For the standalone method, stopping the containers, certbot and starting them again are
one step, so neither a failure nor a cancel between steps can leave the site down: the
containers are started again whatever certbot did, and the sentence says so.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from primetui.certificates.accounts import (
    LETS_ENCRYPT,
    AccountChoice,
    choose_account,
    read_accounts,
)
from primetui.certificates.certbot import (
    RenewOutcome,
    name_matches,
    parse_renew_output,
)
from primetui.certificates.model import (
    PortCommands,
    RenewalReport,
    RenewPlan,
    RenewRequest,
    served_line,
)
from primetui.certificates.probe import EndpointProbe
from primetui.certificates.server import ServerCertificates
from primetui.config import CertificateSettings
from primetui.errors import PrimeError, RemoteError, SudoPasswordNeeded
from primetui.plans.plan import Plan, Step, StepContext
from primetui.remote.profiles import HostProfile

if TYPE_CHECKING:
    from primetui.certificates.certbot import CertbotCertificate
    from primetui.remote.runners import Runner

Prober = Callable[[list[str]], dict[str, EndpointProbe]]
"""Probes the given domains' live endpoints (all at once), keyed by domain."""

SERVED_WAIT = 15.0
"""Seconds to wait for nginx's new workers to serve a renewed or new certificate."""
SERVED_IN_A_ROW = 3
"""Answers in a row that must show the new certificate before it counts as served: for a
moment after a reload nginx's old workers still accept connections, so one answer from a
new worker proves little (the next check could still see the old certificate)."""
SERVED_INTERVAL = 0.1
"""Seconds between two probes while waiting for the new certificate."""
PORT_WAIT = 5.0
"""Seconds to wait for the stopped containers to let go of the challenge port."""


def _openssl(domain: str, address: str) -> str:
    return (f"openssl s_client -connect {shlex.quote(address)} -servername {shlex.quote(domain)}"
            f" </dev/null 2>/dev/null"
            f" | openssl x509 -noout -serial -enddate")


LOCK_HELD = "Another instance of Certbot is already running"
LOCK_RETRIES = 3
"""How many times a renewal waits for a lock held by another certbot run before it fails."""
LOCK_WAIT = 5.0
"""Seconds between those tries (a status read holds the lock for about a second)."""


def probe_until_served(probe: Prober, domains: list[str],
                       is_new: Callable[[str, EndpointProbe], bool], *,
                       watch: list[str] | None = None, wait: float = SERVED_WAIT,
                       interval: float = SERVED_INTERVAL) -> dict[str, EndpointProbe]:
    """Probe `domains`, then the `watch`ed ones (all by default) again until each has shown
    its new certificate (`is_new`) `SERVED_IN_A_ROW` times running, or `wait` seconds have
    passed. Returns each domain's last answer."""
    deadline = time.monotonic() + wait
    after = probe(domains)
    watched = domains if watch is None else watch
    in_a_row = {d: int(is_new(d, after[d])) for d in watched}
    pending = [d for d in watched if in_a_row[d] < SERVED_IN_A_ROW]
    while pending and time.monotonic() < deadline:
        time.sleep(interval)  # polling the endpoint, not waiting blindly
        after.update(probe(pending))
        for d in pending:
            in_a_row[d] = in_a_row[d] + 1 if is_new(d, after[d]) else 0
        pending = [d for d in pending if in_a_row[d] < SERVED_IN_A_ROW]
    return after


class _Renewal:
    """The steps of one renewal, sharing the runner, the report and the stopped containers."""

    def __init__(self, runner: Runner, profile: HostProfile, settings: CertificateSettings,
                 status: ServerCertificates, request: RenewRequest, prober: Prober,
                 commands: PortCommands) -> None:
        self.runner, self.profile, self.settings = runner, profile, settings
        self.status, self.request, self.probe, self.commands = status, request, prober, commands
        self.lineage = None
        if request.domain is not None:
            self.lineage = status.listing.for_domain(request.domain)
            if self.lineage is None:
                names = ", ".join(c.name for c in status.listing.certificates) or "none"
                raise RemoteError(f"certbot on {runner.host} has no certificate for "
                                  f"{request.domain} (it has: {names}).")
            domains = [d for d in settings.domains if name_matches(d, self.lineage.domains)]
            domains = domains or [request.domain]
        else:
            domains = list(settings.domains)
        self.report = RenewalReport(domains, dry_run=request.dry_run)
        self.standalone = settings.method == "standalone"
        names = " ".join(shlex.quote(c) for c in settings.containers)
        self.names = ", ".join(settings.containers)
        confs = [status.conf(self.lineage.name)] if self.lineage else list(status.renewal)
        self.port = max((c.http01_port or 80 for c in confs if c is not None), default=80)
        fill = lambda text: text.replace("{containers}", names).replace("{port}", str(self.port))  # noqa: E731
        self.stop_cmd, self.start_cmd = fill(commands.stop), fill(commands.start)
        self.find_cmd = fill(commands.find)
        self.confs = [c for c in confs if c is not None]
        self.account = self._choose_account(planning=True)

    def _choose_account(self, *, planning: bool) -> AccountChoice | None:
        """`--account` when certbot holds several accounts for the ACME server (else none);
        None while planning when sudo refused to list them (chosen again when certbot runs,
        where a refused sudo is handled like any failed step)."""
        confs = self.confs
        on_command_line = self.request.dry_run and bool(self.settings.acme_server)
        servers = [c.server for c in confs if c.server]
        server = (self.settings.acme_server if on_command_line else None) or (
            max(servers, key=servers.count) if servers else self.settings.acme_server
            or LETS_ENCRYPT)
        try:
            accounts = read_accounts(self.runner, self.profile, self.status.config_dir)
        except SudoPasswordNeeded:
            if planning:
                return None
            raise
        return choose_account(configured=self.settings.account, accounts=accounts,
                              server=server, confs=confs, host=self.runner.host,
                              server_on_command_line=on_command_line)

    # -- commands ------------------------------------------------------------------------

    def _sudo(self, cmd: str) -> str:
        """A privileged command as shown: sudo only where the host uses it, and which host."""
        from primetui.remote import shown

        if not self.profile.sudo:
            return cmd
        server = getattr(self.runner, "settings", None)
        where = (f"{shown.login(server)}" + (f" port {server.port}" if server.port != 22 else "")
                 if server is not None else "this machine")
        return f"{shown.sudo(cmd, True)}   # on {self.status.server} ({where})"

    def certbot_command(self) -> str:
        """The `certbot renew` command line for this request."""
        parts = [self.settings.certbot, "renew"]
        if self.lineage is not None:
            parts += ["--cert-name", shlex.quote(self.lineage.name)]
        if self.standalone:
            parts.append("--standalone")
        else:
            parts += ["--webroot", "-w", shlex.quote(self.settings.webroot or self.profile.webroot)]
        parts += ["--non-interactive", "--no-random-sleep-on-renew"]
        if self.request.force:
            parts.append("--force-renewal")
        if self.request.dry_run:
            parts.append("--dry-run")
            if self.settings.acme_server:  # without it, --dry-run switches to LE staging
                parts += ["--server", shlex.quote(self.settings.acme_server)]
        parts += self.account.options() if self.account else []
        return " ".join(parts)

    # -- steps ---------------------------------------------------------------------------

    def note_served(self, ctx: StepContext) -> None:
        self.report.before = self.probe(self.report.domains)
        for probe in self.report.before.values():
            ctx.emit(served_line(probe))

    def find_holders(self, ctx: StepContext) -> None:
        for cmd in (self.find_cmd, f"ss -ltnp 'sport = :{self.port}'"):
            ctx.emit(f"$ {cmd}")
            result = self.runner.run(cmd, warn=True, timeout=30, on_line=ctx.emit)
            if not result.ok:
                ctx.emit(f"(exit {result.exit_code})")

    def renew_around_port(self, ctx: StepContext) -> None:
        """Stop the containers, renew, start them again — whatever happened in between."""
        if self.settings.containers:
            ctx.emit(f"$ {self.stop_cmd}")
            try:
                self.runner.run(self.stop_cmd, on_line=ctx.emit)
            except PrimeError as err:
                raise RemoteError(self._restarted(ctx, err)) from None
        else:
            ctx.emit("certificates.containers is empty, so nothing is stopped.")
        try:
            self._wait_port_free(ctx)
            self.renew(ctx)
        except PrimeError as err:
            raise RemoteError(self._restarted(ctx, err)) from None
        except BaseException as err:  # interrupted, or a bug: the site still comes back up
            self._restarted(ctx, err)
            raise
        if self.settings.containers:
            ctx.emit(f"$ {self.start_cmd}")
            try:
                self.runner.run(self.start_cmd, on_line=ctx.emit)
            except PrimeError as err:
                raise RemoteError(f"certbot finished ({self.report.outcome}), but starting "
                                  f"{self.names} again failed ({_clause(err)}); run "
                                  f"`{self.start_cmd}` on {self.runner.host}.") from None

    def _wait_port_free(self, ctx: StepContext) -> None:
        port = self.port
        script = (f"command -v ss >/dev/null || exit 0; for i in $(seq {int(PORT_WAIT * 10)}); do "
                  f"ss -Hltn 'sport = :{port}' | grep -q . || exit 0; sleep 0.1; done; "
                  f"ss -Hltnp 'sport = :{port}'; exit 1")
        result = self.runner.run(script, warn=True, timeout=30)
        if not result.ok:
            holder = result.stdout.strip().splitlines()[-1:] or ["something"]
            raise RemoteError(f"Port {port} on {self.runner.host} is still in use after "
                              f"stopping the containers ({' '.join(holder[0].split())}), so "
                              f"certbot was not run")

    def _restarted(self, ctx: StepContext, err: BaseException) -> str:
        """`err` as a sentence that also says the containers were started again (or not)."""
        if not self.settings.containers:
            return f"{_clause(err)}."
        ctx.emit(f"Starting {self.names} again: the renewal did not finish.")
        ctx.emit(f"$ {self.start_cmd}")
        try:
            self.runner.run(self.start_cmd, on_line=ctx.emit)
        except PrimeError as again:
            return (f"{_clause(err)}; starting {self.names} again failed too "
                    f"({_clause(again)}), so run `{self.start_cmd}` on {self.runner.host}.")
        return f"{_clause(err)}; {self.names} started again."

    def renew(self, ctx: StepContext) -> None:
        if self.account is None:
            self.account = self._choose_account(planning=False) or AccountChoice()
        if self.account.reason:
            ctx.emit(self.account.reason)
        cmd = self.certbot_command()
        for attempt in range(LOCK_RETRIES + 1):
            result = self.runner.run(cmd, sudo=self.profile.sudo, warn=True, on_line=ctx.emit)
            held = LOCK_HELD in result.stdout + result.stderr
            if not held or attempt == LOCK_RETRIES or ctx.is_cancelled():
                break
            # a short read (`certbot certificates` from a status check) holds certbot's lock
            ctx.emit(f"certbot's lock is held by another run; trying again in {LOCK_WAIT:.0f} s.")
            time.sleep(LOCK_WAIT)
        summary = parse_renew_output(result.stdout + "\n" + result.stderr, result.exit_code,
                                     host=self.runner.host)
        self.report.certbot, self.report.outcome = summary, summary.outcome
        if summary.partial:
            # certbot renewed some lineages on disk: nginx must still load and serve them.
            self.report.outcome = RenewOutcome.RENEWED
            for name in summary.failed:
                reason = summary.reasons.get(name, summary.reason)
                for domain in self._domains_of(name):
                    self.report.failures[domain] = reason
            ctx.emit(f"certbot renewed {', '.join(summary.renewed)} but failed for "
                     f"{', '.join(summary.failed)}; nginx is still checked and reloaded so "
                     f"the renewed ones are served.")
            return
        if summary.outcome is RenewOutcome.FAILED:
            raise RemoteError(summary.reason + ".")
        ctx.emit(f"certbot: {summary.outcome}.")

    def _domains_of(self, lineage_name: str) -> list[str]:
        """The configured domains a lineage covers (its own name when none is configured)."""
        found = [d for d in self.report.domains
                 if (c := self.status.listing.for_domain(d)) is not None and c.name == lineage_name]
        return found or [lineage_name]

    def test_nginx(self, ctx: StepContext) -> None:
        self.runner.run(self.profile.nginx_test, sudo=self.profile.sudo, on_line=ctx.emit,
                        timeout=60)

    def reload_nginx(self, ctx: StepContext) -> None:
        if self.report.outcome is not RenewOutcome.RENEWED:
            ctx.emit("Nothing was renewed, so nginx keeps serving what it serves.")
            return
        self.runner.run(self.profile.nginx_reload, sudo=self.profile.sudo, on_line=ctx.emit,
                        timeout=60)

    def check_served(self, ctx: StepContext) -> None:
        report, renewed = self.report, set(self.report.certbot.renewed if self.report.certbot else ())
        lineages = {d: self.status.listing.for_domain(d) for d in report.domains}
        changed = [d for d in report.domains if report.outcome is RenewOutcome.RENEWED
                   and (lineage := lineages[d]) is not None and lineage.name in renewed]
        report.after = self._probe_until_changed(changed)
        stuck = []
        for domain in [*report.domains, *(d for d in report.failures if d not in report.domains)]:
            old, new = report.before.get(domain), report.after.get(domain)
            if domain in report.failures:
                line = f"{domain}: failed: {report.failures[domain]}"
            elif new is None:
                continue
            elif domain not in changed:
                line = self._unchanged_line(domain, lineages[domain], new)
            elif not new.has_certificate or old is None or not old.has_certificate:
                line = f"{domain}: renewed, but the endpoint could not be checked ({new.message})"
            elif new.serial == old.serial:
                stuck.append(domain)
                line = f"{domain}: renewed, but still serves the old serial {old.serial}"
            else:
                line = (f"{domain}: renewed and served, serial {old.serial} → {new.serial}, "
                        f"expires {old.not_after:%Y-%m-%d %H:%M:%S} → "
                        f"{new.not_after:%Y-%m-%d %H:%M:%S} UTC")
            report.outcomes[domain] = line
            report.changes.append(line)
            ctx.emit(line)
        problems = []
        if report.failures:
            problems.append(f"certbot could not renew {', '.join(report.failures)} "
                            f"({'; '.join(report.outcomes[d] for d in report.failures)})")
        if stuck:
            problems.append(f"certbot renewed the certificate, but {', '.join(stuck)} still "
                            f"serves the old one: nginx did not pick it up (reload it)")
        if problems:
            served = [report.outcomes[d] for d in changed if d not in stuck]
            tail = f"; meanwhile {'; '.join(served)}" if served else ""
            raise RemoteError(f"{'; '.join(problems)}{tail}.")

    def _unchanged_line(self, domain: str, lineage: CertbotCertificate | None,
                        new: EndpointProbe) -> str:
        outcome = self.report.outcome
        if outcome is RenewOutcome.SIMULATED:
            return f"{domain}: dry run, nothing changed; still {served_line(new).split(': ', 1)[1]}"
        served = served_line(new).split(": ", 1)[1]
        if lineage is None:
            return f"{domain}: certbot on {self.runner.host} has no certificate for it; {served}"
        if lineage.expiry is None:
            return f"{domain}: not renewed; {served}"
        conf = self.status.conf(lineage.name)
        window = conf.renew_before_expiry if conf and conf.renew_before_expiry else "30 days"
        days = (lineage.expiry - datetime.now(UTC)).days
        return (f"{domain}: not due yet, expires {lineage.expiry:%Y-%m-%d} ({days} days left); "
                f"certbot renews it {window} before expiry")

    def _probe_until_changed(self, changed: list[str]) -> dict[str, EndpointProbe]:
        """Probe every domain; re-probe renewed ones until nginx's new workers serve them."""
        return probe_until_served(self.probe, self.report.domains,
                                  lambda d, new: not self._same(d, new), watch=changed)

    def _same(self, domain: str, new: EndpointProbe) -> bool:
        old = self.report.before.get(domain)
        return old is not None and old.has_certificate and new.serial == old.serial

    # -- the plan ------------------------------------------------------------------------

    def plan(self) -> Plan:
        req, domains = self.request, self.report.domains
        what = self.lineage.name if self.lineage else "all due certificates"
        verb = "Dry run of renewing" if req.dry_run else ("Force-renew" if req.force else "Renew")
        targets = [(d, self.settings.endpoints.get(d, f"{d}:443")) for d in domains]
        steps = [Step(f"Note the certificate {', '.join(domains) or 'nothing'} serves now",
                      [_openssl(d, a) for d, a in targets], self.note_served)]
        certbot = self._sudo(self.certbot_command())
        if self.standalone:
            steps.append(Step(f"Find what holds port {self.port}",
                              [self.find_cmd, f"ss -ltnp 'sport = :{self.port}'"],
                              self.find_holders))
            who = self.names or "nothing (no containers configured)"
            steps.append(Step(f"Stop {who}, renew with certbot (standalone), start them again",
                              ([self.stop_cmd] if self.names else []) + [certbot]
                              + ([self.start_cmd] if self.names else []),
                              self.renew_around_port))
        else:
            steps.append(Step("Renew with certbot (webroot)", [certbot], self.renew))
        if not req.dry_run and self.profile.nginx_test:
            steps.append(Step("Check nginx's configuration", [self._sudo(self.profile.nginx_test)],
                              self.test_nginx))
            steps.append(Step("Reload nginx (only when something was renewed)",
                              [self._sudo(self.profile.nginx_reload)], self.reload_nginx))
        steps.append(Step("Check what the endpoints serve now",
                          [_openssl(d, a) for d, a in targets], self.check_served))
        return Plan(title=f"{verb} {what} on {self.status.server}", target=self.status.server,
                    steps=steps, action="certs.renew",
                    mutating=not req.dry_run or self.standalone, rehearsal=req.dry_run)


def _clause(err: BaseException) -> str:
    """An error's sentence without its final full stop, to be continued."""
    return str(err).rstrip().rstrip(".")


def build_renew_plan(runner: Runner, profile: HostProfile, settings: CertificateSettings,
                     status: ServerCertificates, request: RenewRequest, prober: Prober,
                     commands: PortCommands | None = None) -> RenewPlan:
    """The renewal plan for `request`, and the report it fills in as it runs."""
    renewal = _Renewal(runner, profile, settings, status, request, prober,
                       commands or PortCommands.from_settings(settings))
    return RenewPlan(renewal.plan(), renewal.report)
