"""Certificates end to end: real sshd, nginx serving the webroot and TLS, certbot and pebble.

pebble issues 10-day certificates, so a plain `certbot renew` finds them due. The lineage
is shared by the module; each test states what it saw before and after on its own.
"""

from __future__ import annotations

import dataclasses
import fcntl
import shlex
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from primetui.certificates import renew as cert_renew
from primetui.certificates.certbot import RenewOutcome, Urgency
from primetui.certificates.probe import ProbeState, probe_endpoint
from primetui.certificates.server import DEPLOY_HOOK_NAME
from primetui.errors import HostKeyUnknownError
from primetui.plans.plan import PlanEvent, StepState, execute
from primetui.sandbox.acme import PebbleService
from primetui.sandbox.nginx import NginxService
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    eventually,
    make_service,
    served_lineage,
    server_settings,
)
from tests.fixtures.sshd import FakePrompter, MustNotAsk

pytestmark = pytest.mark.services
DOMAIN = "www.renew.example.test"


@pytest.fixture(scope="module")
def lineage(nginx: NginxService, pebble: PebbleService) -> Iterator[Lineage]:
    with served_lineage(nginx, pebble, DOMAIN, "primetui-certs-") as issued:
        yield issued


@pytest.fixture
def service(ssh_server_settings, nginx, lineage):
    svc = make_service(server_settings(ssh_server_settings, nginx, lineage),
                       cert_settings(nginx, lineage), MustNotAsk())
    yield svc
    svc.close()


def run(plan) -> tuple[object, list[str]]:
    """Execute a plan, collecting its live output lines."""
    lines: list[str] = []

    def on_event(event: PlanEvent) -> None:
        if event.kind == "output":
            lines.append(event.text)

    return execute(plan, on_event), lines


def served_serial(lineage: Lineage) -> str | None:
    return probe_endpoint(DOMAIN, lineage.address, ca_file=lineage.root / "issuer-root.pem").serial


def disk_serial(lineage: Lineage) -> str:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate((lineage.live / "cert.pem").read_bytes())
    return format(cert.serial_number, "x")


def test_overview_shows_expiry_from_the_endpoint_and_from_certbot(service, lineage) -> None:
    overview = service.overview()
    assert overview.server_error is None
    (row,) = overview.domains
    assert row.endpoint.state is ProbeState.OK and row.endpoint.verified
    assert row.endpoint.names == (DOMAIN,)
    assert row.endpoint.days_left == 9  # a 10-day certificate issued moments ago
    assert row.on_disk is not None and row.on_disk.name == DOMAIN and row.on_disk.valid
    assert row.on_disk.serial == row.endpoint.serial
    assert abs((row.on_disk.expiry - row.endpoint.not_after).total_seconds()) < 1
    assert row.authenticator == "webroot"
    assert row.urgency is Urgency.WARNING and row.mismatches == ()
    assert overview.server.auto_renewal.active is False


def test_webroot_renewal_changes_the_served_serial(service, lineage, tls_endpoint) -> None:
    # A second domain whose certificate certbot does not manage is left alone and said so.
    other = tls_endpoint.domain
    service.settings = dataclasses.replace(
        service.settings, domains=[DOMAIN, other],
        endpoints={**service.settings.endpoints, other: tls_endpoint.address})
    before = served_serial(lineage)
    renewal = service.renew_plan()  # every due certificate, as the runbook's `certbot renew`
    assert f"--webroot -w {service.settings.webroot} " in " ".join(renewal.plan.commands())
    result, lines = run(renewal.plan)
    assert result.ok, result.error
    report = renewal.report
    assert report.outcome is RenewOutcome.RENEWED
    assert any("Congratulations, all renewals succeeded" in line for line in lines)
    after = eventually(lambda: served_serial(lineage), lambda s: s != before)
    assert after != before and report.after[DOMAIN].serial == after
    assert report.before[DOMAIN].serial == before
    assert report.changes[0] == next(line for line in lines if "→" in line)
    assert report.changes[1].startswith(f"{other}: certbot on {service.runner.host} has no "
                                        f"certificate for it; serial ")
    assert report.after[other].serial == report.before[other].serial
    assert report.summary().startswith(f"Renewed: {DOMAIN}: renewed and served, serial {before} → {after}")
    assert disk_serial(lineage) == after


def test_dry_run_changes_nothing(service, lineage) -> None:
    disk_before = (lineage.live / "cert.pem").read_bytes()
    served_before = served_serial(lineage)
    renewal = service.renew_plan(DOMAIN, dry_run=True)
    certbot = next(c for c in renewal.plan.commands() if " renew " in c)
    assert f"--dry-run --server {service.settings.acme_server}" in certbot
    assert not renewal.plan.mutating
    result, lines = run(renewal.plan)
    assert result.ok, result.error
    assert renewal.report.outcome is RenewOutcome.SIMULATED
    assert any("simulated renewals succeeded" in line for line in lines)
    assert served_serial(lineage) == served_before
    assert (lineage.live / "cert.pem").read_bytes() == disk_before
    assert renewal.report.summary().startswith("Dry run succeeded")


def test_held_certbot_lock_fails_with_one_sentence(service, lineage, monkeypatch) -> None:
    monkeypatch.setattr(cert_renew, "LOCK_WAIT", 0.1)
    served_before = served_serial(lineage)
    renewal = service.renew_plan(DOMAIN)
    with open(lineage.le_dir / "config" / ".certbot.lock", "a") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        result, lines = run(renewal.plan)
    assert sum("trying again" in line for line in lines) == cert_renew.LOCK_RETRIES
    assert not result.ok
    assert result.error == (f"certbot is already running on {service.runner.host} (another run "
                            "holds its lock); try again when it has finished.")
    assert result.states[result.failed_index] is StepState.FAILED
    assert renewal.report.outcome is RenewOutcome.FAILED
    assert served_serial(lineage) == served_before


def test_renewal_waits_for_a_lock_released_by_a_short_certbot_run(service, lineage,
                                                                  monkeypatch) -> None:
    monkeypatch.setattr(cert_renew, "LOCK_WAIT", 2.0)
    served_before = served_serial(lineage)
    renewal = service.renew_plan(DOMAIN)
    lock = open(lineage.le_dir / "config" / ".certbot.lock", "a")  # noqa: SIM115
    fcntl.lockf(lock, fcntl.LOCK_EX)
    waiting = threading.Event()

    def on_event(event: PlanEvent) -> None:
        if event.kind == "output" and "trying again" in event.text:
            waiting.set()

    runner = threading.Thread(target=lambda: results.append(execute(renewal.plan, on_event)))
    results: list = []
    runner.start()
    try:
        assert waiting.wait(timeout=120)
    finally:
        lock.close()  # what a status read does when it finishes
    runner.join(timeout=180)
    (result,) = results
    assert result.ok, result.error
    assert renewal.report.outcome is RenewOutcome.RENEWED
    deadline = time.monotonic() + 10  # nginx's old workers finish their connections first
    while served_serial(lineage) == served_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert served_serial(lineage) != served_before


def test_renewed_but_not_reloaded_is_flagged_as_a_mismatch(service, lineage, nginx) -> None:
    argv, env = lineage.certbot_argv("renew", "--non-interactive", "--no-random-sleep-on-renew",
                                     "--cert-name", DOMAIN)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (row,) = service.overview().domains
    assert row.on_disk.serial != row.endpoint.serial
    assert any("nginx was not reloaded" in m for m in row.mismatches)
    assert row.urgency is Urgency.WARNING and "nginx was not reloaded" in row.note
    nginx.reload()


def test_auto_renewal_plan_installs_cron_whose_deploy_hook_reloads_nginx(service, lineage) -> None:
    status = service.server_certificates()
    assert not status.auto_renewal.cron_lines and not status.auto_renewal.systemd
    choice = service.plan_auto_renewal(status)
    assert choice.sentence.startswith("The practice sandbox runs no cron daemon")
    result, lines = run(choice.plan)
    assert result.ok, result.error
    installed = service.server_certificates()
    after = installed.auto_renewal
    assert after.deploy_hooks == (DEPLOY_HOOK_NAME,)
    (line,) = after.cron_lines
    assert "renew --no-random-sleep-on-renew" in line
    assert any("no cron daemon" in text for text in lines)
    # Each run first sleeps a random delay, so labs do not all reach the CA at one minute.
    command = line.split(None, 6)[6]
    delay, _, renew = command.partition(" && ")
    assert delay == "sleep $(shuf -i 0-3599 -n 1)"
    seconds = {int(subprocess.run(["sh", "-c", delay.replace("sleep", "echo", 1)],
                                  capture_output=True, text=True).stdout) for _ in range(5)}
    assert all(0 <= s < 3600 for s in seconds) and len(seconds) > 1
    # Run what cron would run: the due certificate is renewed and the hook reloads nginx.
    before = served_serial(lineage)
    done = subprocess.run(["sh", "-c", renew.replace("\\%", "%")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 10
    while served_serial(lineage) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert served_serial(lineage) != before
    # Again: the hook is there (nothing to add), and the cron entry is already in place.
    again = service.plan_auto_renewal(installed).plan
    assert not any(DEPLOY_HOOK_NAME in c for c in again.commands())
    result, _ = run(again)
    assert result.ok and result.states[1] is StepState.SKIPPED


def test_unknown_host_key_is_refused_and_the_endpoint_still_shows(
        ssh_server_settings, nginx, lineage, tmp_path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    server = server_settings(ssh_server_settings, nginx, lineage, known_hosts=empty)
    prompter = FakePrompter(accept=False)
    service = make_service(server, cert_settings(nginx, lineage), prompter)
    overview = service.overview()
    assert overview.server is None
    assert "is not known" in overview.server_error and "SHA256:" in overview.server_error
    assert overview.domains[0].endpoint.state is ProbeState.OK
    with pytest.raises(HostKeyUnknownError):
        service.renew_plan(DOMAIN)
    assert len(prompter.host_keys) == 2
    assert empty.read_text() == ""


def test_renew_plan_shows_the_runbook_commands(service) -> None:
    renewal = service.renew_plan(DOMAIN, force=True)
    text = renewal.plan.describe()
    certbot = next(c for c in renewal.plan.commands() if " renew " in c)
    assert certbot.startswith(service.settings.certbot + " renew --cert-name " + shlex.quote(DOMAIN))
    assert "--non-interactive --no-random-sleep-on-renew --force-renewal" in certbot
    assert "-s reload" in text and " -t" in text and "openssl s_client" in text
