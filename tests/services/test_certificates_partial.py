"""A renewal where one of two due domains fails its HTTP-01 challenge (real stack).

certbot renews the good lineage on disk and exits non-zero for the broken one. primetui
must still test and reload nginx, check that the good domain now serves its new serial,
say each domain's own outcome, and fail the plan (exit 1) because one domain failed.
The broken domain's challenge is broken the way it breaks for real: nginx answers 404
for its /.well-known/acme-challenge/ on the port the ACME server validates.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from primetui.certificates.probe import probe_endpoint
from primetui.plans.plan import PlanEvent, StepState, execute
from primetui.sandbox.acme import issue_certificate
from primetui.sandbox.nginx import NginxService, tls_site
from primetui.sandbox.tools import free_port, wait_for_port
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    make_service,
    server_settings,
    start_strict_pebble,
)
from tests.fixtures.sshd import MustNotAsk

pytestmark = pytest.mark.services
GOOD = "good.partial.example.test"
BROKEN = "broken.partial.example.test"


@pytest.fixture(scope="module")
def two_lineages(nginx: NginxService) -> Iterator[dict[str, Lineage]]:
    root = Path(tempfile.mkdtemp(prefix="primetui-partial-"))
    root.chmod(0o755)
    pebble = start_strict_pebble(root / "pebble", http_port=nginx.acme_port, cert_validity=864000)
    le_dir = root / "le"
    sites, lineages = [], {}
    try:
        for domain in (GOOD, BROKEN):
            live = issue_certificate(pebble, le_dir, nginx.webroot, [domain])
            port = free_port()
            sites.append(nginx.write_site(f"partial-{domain}", tls_site(
                port=port, domain=domain, live=live, root=nginx.webroot, webroot=nginx.webroot)))
            lineages[domain] = Lineage(domain, le_dir, live, port, sites[-1], pebble, root)
        # The broken domain's challenge: nginx answers 404 for it on the validation port.
        sites.append(nginx.write_site("partial-broken-challenge", (
            f"server {{\n    listen 127.0.0.1:{nginx.acme_port};\n    server_name {BROKEN};\n"
            f"    location /.well-known/acme-challenge/ {{ return 404; }}\n}}\n")))
        nginx.reload()
        for lineage in lineages.values():
            assert wait_for_port(lineage.tls_port, 10)
        yield lineages
    finally:
        for site in sites:
            site.unlink(missing_ok=True)
        nginx.reload()
        pebble.stop()
        shutil.rmtree(root, ignore_errors=True)


def served(lineage: Lineage) -> str | None:
    return probe_endpoint(lineage.domain, lineage.address,
                          ca_file=lineage.root / "issuer-root.pem").serial


def served_soon(lineage: Lineage, wanted, seconds: float = 15.0) -> str | None:
    """The served serial once `wanted(serial)` holds: nginx's old workers finish a reload
    gracefully, so a connection made at once may still meet one of them."""
    import time

    deadline = time.monotonic() + seconds
    serial = served(lineage)
    while not wanted(serial) and time.monotonic() < deadline:
        time.sleep(0.2)
        serial = served(lineage)
    return serial


def test_partial_renewal_reloads_nginx_serves_the_good_one_and_fails_the_broken_one(
        ssh_server_settings, nginx, two_lineages) -> None:
    good, broken = two_lineages[GOOD], two_lineages[BROKEN]
    certs = cert_settings(nginx, good, domains=[GOOD, BROKEN],
                          endpoints={GOOD: good.address, BROKEN: broken.address})
    service = make_service(server_settings(ssh_server_settings, nginx, good), certs, MustNotAsk())
    try:
        good_before, broken_before = served(good), served(broken)
        renewal = service.renew_plan()  # both are due: pebble issues 10-day certificates
        lines: list[str] = []

        def on_event(event: PlanEvent) -> None:
            if event.kind == "output":
                lines.append(event.text)

        result = execute(renewal.plan, on_event)
    finally:
        service.close()
    assert not result.ok  # one domain failed: the run fails (the CLI exits 1)
    titles = [step.title for step in renewal.plan.steps]
    # Every step ran: nginx was checked and reloaded; only the last (what is served) failed.
    assert result.failed_index == len(titles) - 1, (titles, result.states, result.error)
    assert any("nginx" in t for t in titles[:-1])
    # nginx was tested and reloaded, and the good domain serves its new certificate.
    assert served_soon(good, lambda serial: serial != good_before) != good_before
    assert served(broken) == broken_before
    report = renewal.report
    outcomes = dict(report.outcomes)
    assert outcomes[GOOD].startswith(f"{GOOD}: renewed and served, serial {good_before} → ")
    assert outcomes[BROKEN].startswith(f"{BROKEN}: failed: ")
    # The reason names the domain's HTTP address, not the SSH endpoint.
    assert f"http://{BROKEN}" in outcomes[BROKEN]
    assert str(ssh_server_settings.port) not in outcomes[BROKEN]
    assert GOOD in str(result.error) and BROKEN in str(result.error)
    assert outcomes[GOOD] in report.summary() and outcomes[BROKEN] in report.summary()


def test_renewing_several_marked_domains_is_one_plan_with_a_step_each(
        ssh_server_settings, nginx, two_lineages) -> None:
    good, broken = two_lineages[GOOD], two_lineages[BROKEN]
    certs = cert_settings(nginx, good, domains=[GOOD, BROKEN],
                          endpoints={GOOD: good.address, BROKEN: broken.address})
    service = make_service(server_settings(ssh_server_settings, nginx, good), certs, MustNotAsk())
    try:
        plan = service.renew_many_plan([GOOD, BROKEN])
        result = execute(plan)
    finally:
        service.close()
    assert len(plan.steps) == 2
    assert GOOD in plan.steps[0].title and BROKEN in plan.steps[1].title
    assert any(GOOD in cmd for cmd in plan.steps[0].commands)
    assert any(BROKEN in cmd for cmd in plan.steps[1].commands)
    assert not any(BROKEN in cmd for cmd in plan.steps[0].commands)
    # the good domain renews (or, renewed by the test before, is not due); the broken fails
    assert result.states[0] in (StepState.DONE, StepState.SKIPPED), result.error
    assert result.states[1] is StepState.FAILED
