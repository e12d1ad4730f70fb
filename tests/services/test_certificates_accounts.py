"""Two ACME accounts on one server (real sshd, nginx, certbot and pebble).

certbot asks "Please choose an account" whenever it holds two accounts for the ACME server
and `--server` is on its command line (a dry run against a custom server, an issuance),
even though the renewal conf names the account; without a terminal that fails the run.
pebble registers both accounts for real: the second in a scratch config dir, moved in
beside the first, as a copied /etc/letsencrypt or a second `certbot register` leaves it.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from primetui.certificates.certbot import RenewOutcome
from primetui.errors import RemoteError
from primetui.plans.plan import StepContext, execute
from primetui.sandbox.acme import certbot_base
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    make_service,
    served_lineage,
    server_settings,
)
from tests.fixtures.sshd import MustNotAsk

pytestmark = pytest.mark.services
DOMAIN = "www.accounts.example.test"
NEW = "new.accounts.example.test"


def register_second_account(lineage: Lineage) -> str:
    """Register another account with pebble and put it beside the lineage's own; its id."""
    scratch = lineage.root / "second-account"
    for d in ("config", "work", "logs"):
        (scratch / d).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "REQUESTS_CA_BUNDLE": str(lineage.pebble.listener_ca)}
    done = subprocess.run([*certbot_base(scratch, lineage.pebble.directory_url), "register",
                           "--agree-tos", "--register-unsafely-without-email"],
                          env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    (regr,) = (scratch / "config" / "accounts").rglob("regr.json")
    (first,) = (lineage.le_dir / "config" / "accounts").rglob("regr.json")
    shutil.copytree(regr.parent, first.parent.parent / regr.parent.name)
    return regr.parent.name


@pytest.fixture(scope="module")
def lineage(nginx, pebble) -> Iterator[Lineage]:
    with served_lineage(nginx, pebble, DOMAIN, "primetui-accounts-") as issued:
        yield issued


@pytest.fixture(scope="module")
def accounts(lineage: Lineage) -> tuple[str, str]:
    """(the account that issued the lineage, the second one)."""
    conf = (lineage.le_dir / "config" / "renewal" / f"{DOMAIN}.conf").read_text()
    issuer = next(line.split("=", 1)[1].strip() for line in conf.splitlines()
                  if line.startswith("account ="))
    return issuer, register_second_account(lineage)


def service_for(ssh_server_settings, nginx, lineage, **changes):
    return make_service(server_settings(ssh_server_settings, nginx, lineage),
                        cert_settings(nginx, lineage, **changes), MustNotAsk())


def run(plan) -> tuple[object, list[str]]:
    lines: list[str] = []
    result = execute(plan, lambda e: lines.append(e.text) if e.kind == "output" else None)
    return result, lines


def test_dry_run_with_two_accounts_passes_the_issuing_account(
        ssh_server_settings, nginx, lineage, accounts) -> None:
    issuer, _ = accounts
    service = service_for(ssh_server_settings, nginx, lineage)
    try:
        renewal = service.renew_plan(DOMAIN, dry_run=True)
        result, lines = run(renewal.plan)
    finally:
        service.close()
    assert not any("Please choose an account" in line for line in lines)
    assert result.ok, result.error
    assert renewal.report.outcome is RenewOutcome.SIMULATED
    certbot = next(c for c in renewal.plan.commands() if " renew " in c)
    assert certbot.endswith(f"--account {issuer}")
    host = f"127.0.0.1:{ssh_server_settings.port}"
    assert (f"certbot on {host} has 2 ACME accounts for {lineage.pebble.directory_url}; "
            f"using {issuer}, the one that issued {DOMAIN} (its renewal conf), so certbot "
            f"does not ask which.") in lines


def test_configured_account_wins_and_an_unknown_one_is_refused_before_running(
        ssh_server_settings, nginx, lineage, accounts) -> None:
    _, second = accounts
    service = service_for(ssh_server_settings, nginx, lineage, account=second)
    try:
        renewal = service.renew_plan(DOMAIN, dry_run=True)
        assert f"--account {second}" in " ".join(renewal.plan.commands())
        result, lines = run(renewal.plan)
        assert result.ok, result.error
        assert f"certbot uses the ACME account {second} (certificates.account)." in lines
        service.settings = dataclasses.replace(service.settings, account="0123abcd")
        with pytest.raises(RemoteError) as caught:
            service.renew_plan(DOMAIN, dry_run=True)
    finally:
        service.close()
    assert str(caught.value).startswith(f"certificates.account is 0123abcd, but certbot on "
                                        f"127.0.0.1:{ssh_server_settings.port} has no such "
                                        f"ACME account (it has: ")


def test_issuing_with_two_accounts_uses_the_one_that_issued_the_others(
        ssh_server_settings, nginx, lineage, accounts) -> None:
    issuer, _ = accounts
    service = service_for(ssh_server_settings, nginx, lineage, domains=[DOMAIN, NEW])
    try:
        issuance = service.issue_plan(NEW)
        step = next(s for s in issuance.plan.steps if s.title.startswith("Issue a certificate"))
        assert f"--account {issuer}" in step.commands[0]
        lines: list[str] = []
        step.run(StepContext(lines.append))  # certbot certonly for real; nginx is not asked
    finally:
        service.close()
    assert Path(lineage.le_dir / "config" / "live" / NEW / "cert.pem").exists()
    conf = (lineage.le_dir / "config" / "renewal" / f"{NEW}.conf").read_text()
    assert f"account = {issuer}" in conf
    assert any(line.startswith(f"certbot on 127.0.0.1:{ssh_server_settings.port} has 2 ACME "
                               f"accounts") for line in lines)
