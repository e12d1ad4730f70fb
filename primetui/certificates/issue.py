"""Issuing a certificate for a domain certbot has no lineage for, as a plan.

The same shape as a renewal: note what the domain serves now, `certbot certonly` (webroot
or standalone, its output streamed), point nginx at the new lineage where
`certificates.links` names the link nginx's site reads it through, test and reload nginx,
then probe the domain again and check it serves the new certificate's serial.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from primetui.certificates.accounts import (
    LETS_ENCRYPT,
    AccountChoice,
    choose_account,
    read_accounts,
)
from primetui.certificates.certbot import (
    RenewOutcome,
    normalise_serial,
    parse_renew_output,
)
from primetui.certificates.model import RenewalReport, RenewPlan, served_line
from primetui.certificates.renew import probe_until_served
from primetui.certificates.server import ServerCertificates
from primetui.config import CertificateSettings
from primetui.errors import RemoteError, SudoPasswordNeeded, UsageError
from primetui.plans.plan import Plan, Step, StepContext
from primetui.remote.profiles import HostProfile

if TYPE_CHECKING:
    from primetui.certificates.renew import Prober
    from primetui.remote.runners import Runner


class _Issuance:
    def __init__(self, runner: Runner, profile: HostProfile, settings: CertificateSettings,
                 status: ServerCertificates, domain: str, prober: Prober) -> None:
        self.runner, self.profile, self.settings = runner, profile, settings
        self.status, self.domain, self.probe = status, domain, prober
        existing = status.listing.for_domain(domain)
        if existing is not None:
            raise UsageError(f"certbot on {runner.host} already has a certificate for {domain} "
                             f"({existing.name}): renew it instead (primetui certs renew "
                             f"{shlex.quote(domain)}).")
        self.report = RenewalReport([domain])
        self.live = f"{status.config_dir}/live/{domain}"
        self.link = settings.links.get(domain)
        self.serial: str | None = None
        self.account = self._choose_account(planning=True)

    def _choose_account(self, *, planning: bool) -> AccountChoice | None:
        """`--account` when certbot holds several accounts for the ACME server: certonly has
        no renewal conf of its own, so the account that issued the others. None while
        planning when sudo refused to list them (chosen again when certbot runs)."""
        server = self.settings.acme_server or LETS_ENCRYPT
        confs = [c for c in self.status.renewal if (c.server or LETS_ENCRYPT) == server]
        try:
            accounts = read_accounts(self.runner, self.profile, self.status.config_dir)
        except SudoPasswordNeeded:
            if planning:
                return None
            raise
        return choose_account(configured=self.settings.account, confs=confs,
                              host=self.runner.host, server=server, accounts=accounts,
                              server_on_command_line=True)

    def _sudo(self, cmd: str) -> str:
        return f"sudo {cmd}" if self.profile.sudo else cmd

    def certbot_command(self) -> str:
        """`certbot certonly` for the domain, with the configured method and ACME server."""
        parts = [self.settings.certbot, "certonly", "--cert-name", shlex.quote(self.domain),
                 "-d", shlex.quote(self.domain)]
        if self.settings.method == "standalone":
            parts.append("--standalone")
        else:
            parts += ["--webroot", "-w", shlex.quote(self.settings.webroot or self.profile.webroot)]
        parts += ["--non-interactive", "--agree-tos"]
        if self.settings.acme_server:
            parts += ["--server", shlex.quote(self.settings.acme_server)]
        parts += self.account.options() if self.account else []
        return " ".join(parts)

    def serial_command(self) -> str:
        return f"openssl x509 -noout -serial -in {shlex.quote(self.live + '/cert.pem')}"

    def link_command(self) -> str:
        assert self.link is not None
        return f"ln -sfn {shlex.quote(self.live)} {shlex.quote(self.link)}"

    # -- steps ---------------------------------------------------------------------------

    def note_served(self, ctx: StepContext) -> None:
        self.report.before = self.probe([self.domain])
        ctx.emit(served_line(self.report.before[self.domain]))

    def issue(self, ctx: StepContext) -> None:
        if self.account is None:
            self.account = self._choose_account(planning=False) or AccountChoice()
        if self.account.reason:
            ctx.emit(self.account.reason)
        result = self.runner.run(self.certbot_command(), sudo=self.profile.sudo, warn=True,
                                 on_line=ctx.emit)
        text = result.stdout + "\n" + result.stderr
        if result.exit_code != 0:
            summary = parse_renew_output(text, result.exit_code, host=self.runner.host)
            self.report.outcome, self.report.certbot = RenewOutcome.FAILED, summary
            raise RemoteError(summary.reason.replace("certbot renew failed",
                                                     "certbot certonly failed") + ".")
        self.report.outcome = RenewOutcome.RENEWED
        serial = self.runner.run(self.serial_command(), sudo=self.profile.sudo, warn=True)
        value = serial.stdout.strip().partition("=")[2]
        self.serial = normalise_serial(value) if value else None
        ctx.emit(f"certbot issued {self.domain} into {self.live}"
                 + (f" (serial {self.serial})." if self.serial else "."))

    def point_nginx(self, ctx: StepContext) -> None:
        self.runner.run(self.link_command(), sudo=self.profile.sudo, on_line=ctx.emit)

    def test_nginx(self, ctx: StepContext) -> None:
        self.runner.run(self.profile.nginx_test, sudo=self.profile.sudo, on_line=ctx.emit,
                        timeout=60)

    def reload_nginx(self, ctx: StepContext) -> None:
        self.runner.run(self.profile.nginx_reload, sudo=self.profile.sudo, on_line=ctx.emit,
                        timeout=60)

    def check_served(self, ctx: StepContext) -> None:
        new = probe_until_served(self.probe, [self.domain],
                                 lambda _, found: found.serial == self.serial)[self.domain]
        self.report.after = {self.domain: new}
        if self.serial is None or new.serial != self.serial:
            where = (f"point ssl_certificate and ssl_certificate_key in nginx's site for "
                     f"{self.domain} at {self.live}/fullchain.pem and privkey.pem (or set "
                     f"certificates.links) and reload nginx")
            line = (f"{self.domain}: issued (serial {self.serial or '?'}), but it still "
                    f"serves {served_line(new).split(': ', 1)[1]}")
            self.report.outcomes[self.domain] = line
            self.report.failures[self.domain] = f"issued, but not served: {where}"
            self.report.changes.append(line)
            ctx.emit(line)
            raise RemoteError(f"{line}: {where}.")
        line = (f"{self.domain}: issued and served, serial {new.serial}, expires "
                f"{new.not_after:%Y-%m-%d %H:%M:%S} UTC")
        self.report.outcomes[self.domain] = line
        self.report.changes.append(line)
        ctx.emit(line)

    def plan(self) -> Plan:
        from primetui.certificates.renew import _openssl

        address = self.settings.endpoints.get(self.domain, f"{self.domain}:443")
        method = "standalone" if self.settings.method == "standalone" else "webroot"
        steps = [Step(f"Note the certificate {self.domain} serves now",
                      [_openssl(self.domain, address)], self.note_served),
                 Step(f"Issue a certificate for {self.domain} with certbot ({method})",
                      [self._sudo(self.certbot_command()), self._sudo(self.serial_command())],
                      self.issue)]
        if self.link:
            steps.append(Step(f"Point nginx's {self.link} at the new certificate",
                              [self._sudo(self.link_command())], self.point_nginx))
        if self.profile.nginx_test:
            steps.append(Step("Check nginx's configuration",
                              [self._sudo(self.profile.nginx_test)], self.test_nginx))
            steps.append(Step("Reload nginx", [self._sudo(self.profile.nginx_reload)],
                              self.reload_nginx))
        steps.append(Step(f"Check {self.domain} serves the new certificate",
                          [_openssl(self.domain, address)], self.check_served))
        return Plan(title=f"Issue a certificate for {self.domain} on {self.status.server}",
                    target=self.status.server, steps=steps, action="certs.issue")


def build_issue_plan(runner: Runner, profile: HostProfile, settings: CertificateSettings,
                     status: ServerCertificates, domain: str, prober: Prober) -> RenewPlan:
    """The plan that issues `domain`'s first certificate, and the report it fills in."""
    issuance = _Issuance(runner, profile, settings, status, domain, prober)
    return RenewPlan(issuance.plan(), issuance.report)
