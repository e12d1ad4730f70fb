"""Cheap watching: an hour of Overview and Certificates tab refreshes logs into the
certbot server once and runs `certbot certificates` only for the first read, while each
refresh still sees certbot's files as they are (real sshd, nginx, pebble and certbot).

Logins are counted in the test sshd's own log ("Accepted publickey"), commands in its
"Starting session: command" lines, and certbot runs by the lab's kind of wrapper script
(`certificates.certbot`), which notes each run's arguments before it execs certbot
(certbot's own log cannot count them: Debian's cli.ini turns its rotation off). Only the
clock of the session's cache is a fake, so an hour passes in a moment; every SSH command
and every certbot run is real.

The files read is also checked against certbot's own listing on odd lineages that
certbot itself wrote: one expired, one whose cert link is broken, one whose renewal conf
is gone.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from primetui.certificates.server import read_server_certificates
from primetui.certificates.watch import CertbotWatch
from primetui.config import Settings, UiSettings
from primetui.overview.collector import FindingsService
from primetui.plans.audit import AuditLog
from primetui.registry import Services
from primetui.sandbox.acme import certbot_dirs, issue_certificate, start_pebble
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    make_service,
    served_lineage,
    server_settings,
)
from tests.fixtures.sshd import MustNotAsk

pytestmark = pytest.mark.services
DOMAIN = "www.watch.example.test"
EXPIRED = "old.watch.example.test"
BROKEN = "broken.watch.example.test"
NO_CONF = "orphan.watch.example.test"
REFRESH = 120.0


class FakeClock:
    """The cache's clock: an hour passes when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def lineage(nginx, pebble) -> Iterator[Lineage]:
    with served_lineage(nginx, pebble, DOMAIN, "primetui-watch-") as issued:
        yield issued


def counting_wrapper(lineage: Lineage) -> Path:
    """certbot through a wrapper that writes one line per run (its arguments)."""
    wrapper = lineage.root / "certbot-counted"
    if not wrapper.exists():
        wrapper.write_text(
            "#!/bin/sh\n"
            f"echo \"$*\" >> {shlex.quote(str(lineage.root / 'certbot-runs'))}\n"
            f"export REQUESTS_CA_BUNDLE={shlex.quote(str(lineage.pebble.listener_ca))}\n"
            f"exec {shlex.join(certbot_dirs(lineage.le_dir))} \"$@\"\n")
        wrapper.chmod(0o755)
    return wrapper


def certbot_runs(lineage: Lineage, verb: str = "") -> int:
    """How many times certbot ran through the wrapper (with `verb` among its arguments)."""
    try:
        lines = (lineage.root / "certbot-runs").read_text().splitlines()
    except FileNotFoundError:
        return 0
    return sum(verb in line.split() for line in lines) if verb else len(lines)


def sshd_lines(sshd, text: str) -> int:
    return sum(text in line for line in (sshd.workdir / "sshd.log").read_text(
        errors="replace").splitlines())


def lab_services(ssh_server_settings, nginx, lineage: Lineage, clock: FakeClock,
                 audit: Path) -> Services:
    server = server_settings(ssh_server_settings, nginx, lineage)
    certs = cert_settings(nginx, lineage, certbot=str(counting_wrapper(lineage)))
    settings = Settings(servers={"prod": server}, certificates=certs,
                        ui=UiSettings(refresh=REFRESH))
    services = Services(settings, prompter=MustNotAsk(), audit=AuditLog(audit))
    services.__dict__["certbot_watch"] = CertbotWatch(REFRESH, clock=clock)  # the fake clock
    return services


def renew_behind_primetuis_back(lineage: Lineage) -> None:
    """What the nightly timer does: certbot renews on disk (its log elsewhere, so the
    count of certbot runs stays primetui's own); nginx is not reloaded."""
    argv = certbot_dirs(lineage.le_dir)
    logs = argv.index("--logs-dir") + 1
    argv[logs] = str(lineage.root / "timer-logs")
    env = {**os.environ, "REQUESTS_CA_BUNDLE": str(lineage.pebble.listener_ca)}
    done = subprocess.run([*argv, "renew", "--force-renewal", "--cert-name", lineage.domain,
                           "--non-interactive", "--no-random-sleep-on-renew"], env=env,
                          capture_output=True, text=True,
                          timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_hour_of_refreshes_logs_in_once_and_runs_certbot_only_for_the_first_read(
        sshd, ssh_server_settings, nginx, lineage, tmp_path) -> None:
    clock = FakeClock()
    services = lab_services(ssh_server_settings, nginx, lineage, clock, tmp_path / "audit.jsonl")
    findings = FindingsService(services)
    logins, commands = (sshd_lines(sshd, "Accepted publickey"),
                        sshd_lines(sshd, "Starting session: command"))
    runs = certbot_runs(lineage, "certificates")
    try:
        def overview_refresh() -> None:
            checks = findings.checks()
            checks["certificates"]()
            checks["hosts"]()

        overview_refresh()  # the first read: certbot names its directory
        first = services.certificates.overview()  # the Certificates tab shown meanwhile
        assert first.server is not None and first.server.by_certbot
        assert certbot_runs(lineage, "certificates") == runs + 1
        served_at_start = first.domains[0].on_disk.serial
        after_first = certbot_runs(lineage)  # every certbot run, of any kind
        polls = int(3600 // REFRESH)
        renewed_at = polls // 2
        seen_renewal = False
        for poll in range(1, polls + 1):
            clock.now += REFRESH
            if poll == renewed_at:
                renew_behind_primetuis_back(lineage)
            overview_refresh()
            tab = services.certificates.overview()  # the tab's poll, at the same moment
            assert tab.server is not None and not tab.server.by_certbot
            on_disk = tab.domains[0].on_disk
            if poll >= renewed_at:
                # the files read sees the renewal certbot did behind primetui's back
                assert on_disk.serial != served_at_start
                assert any("nginx was not reloaded" in m for m in tab.domains[0].mismatches)
                seen_renewal = True
            else:
                assert on_disk.serial == served_at_start
        assert seen_renewal
        assert certbot_runs(lineage) == after_first  # no certbot run at all after the first
        assert sshd_lines(sshd, "Accepted publickey") - logins == 1
        # per refresh: the hosts check's `true` and one files read; the tab's poll reused it
        sessions = sshd_lines(sshd, "Starting session: command") - commands
        assert sessions == 2 * (polls + 1), sessions
    finally:
        services.close()
        nginx.reload()  # serve the renewed certificate again for whoever comes next


def test_pressing_r_asks_certbot_itself_and_a_renewal_plan_forgets_the_last_read(
        ssh_server_settings, nginx, lineage, tmp_path) -> None:
    clock = FakeClock()
    services = lab_services(ssh_server_settings, nginx, lineage, clock, tmp_path / "audit.jsonl")
    runs = certbot_runs(lineage)
    try:
        service = services.certificates
        service.overview()
        service.overview()  # fresh for ui.refresh seconds: no read at all
        assert certbot_runs(lineage) == runs + 1
        assert service.overview(fresh=True).server.by_certbot  # `r`
        assert certbot_runs(lineage) == runs + 2
        plan = service.renew_plan(DOMAIN, dry_run=True)  # reads certbot's side first
        assert certbot_runs(lineage) == runs + 3
        assert services.run_plan(plan.plan).ok
        assert certbot_runs(lineage, "renew") == 1  # the dry run's own certbot run
        runs = certbot_runs(lineage, "certificates")
        after = service.overview()  # a plan ran: certbot is asked again, cache or not
        assert after.server.by_certbot and certbot_runs(lineage, "certificates") == runs + 1
    finally:
        services.close()


# -- the files read against certbot's own listing, on odd lineages -------------------------

@pytest.fixture(scope="module")
def odd_lineages(nginx, pebble, lineage) -> Iterator[Lineage]:
    """Beside the good lineage, certbot-written ones made odd: expired (a pebble that
    issues two-second certificates), a cert link broken, a renewal conf removed."""
    root = Path(tempfile.mkdtemp(prefix="primetui-watch-odd-"))
    brief = start_pebble(root / "pebble", http_port=nginx.acme_port, cert_validity=2)
    try:
        issue_certificate(brief, lineage.le_dir, nginx.webroot, [EXPIRED])
        for domain in (BROKEN, NO_CONF):
            issue_certificate(pebble, lineage.le_dir, nginx.webroot, [domain])
        config = lineage.le_dir / "config"
        target = (config / "live" / BROKEN / "cert.pem").resolve()
        target.unlink()  # live/BROKEN/cert.pem now points at nothing
        (config / "renewal" / f"{NO_CONF}.conf").unlink()
        time.sleep(3.0)  # the two-second certificates have expired
        yield lineage
    finally:
        brief.stop()
        config = lineage.le_dir / "config"
        for domain in (EXPIRED, BROKEN, NO_CONF):
            for part in ("live", "archive"):
                shutil.rmtree(config / part / domain, ignore_errors=True)
            (config / "renewal" / f"{domain}.conf").unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)


def test_the_files_read_lists_what_certbot_lists_for_odd_lineages(
        ssh_server_settings, nginx, odd_lineages) -> None:
    lineage = odd_lineages
    service = make_service(server_settings(ssh_server_settings, nginx, lineage),
                           cert_settings(nginx, lineage), MustNotAsk())
    try:
        by_certbot = service.server_certificates()
        by_files = read_server_certificates(service.runner, service.profile, service.settings,
                                            known_dir=by_certbot.config_dir)
        assert by_certbot.by_certbot and not by_files.by_certbot
    finally:
        service.close()
    assert by_files.config_dir == by_certbot.config_dir
    certbot_side = {c.name: c for c in by_certbot.listing.certificates}
    files_side = {c.name: c for c in by_files.listing.certificates}
    assert set(files_side) == set(certbot_side) == {DOMAIN, EXPIRED}  # no conf: not a lineage
    for name, listed in certbot_side.items():
        assert dataclasses.asdict(files_side[name]) == dataclasses.asdict(listed), name
    assert not files_side[EXPIRED].valid and files_side[EXPIRED].detail == "EXPIRED"
    broken = str(lineage.le_dir / "config" / "renewal" / f"{BROKEN}.conf")
    assert by_certbot.listing.invalid_configs == by_files.listing.invalid_configs == (broken,)
