"""Issuing a first certificate for a domain certbot has no lineage for (real stack).

The domain is served by nginx through a link (`certificates.links`) to a certificate from
elsewhere that expires in 4 days, the demo's critical finding. Issuing runs `certbot
certonly` against pebble, points the link at certbot's live directory, tests and reloads
nginx and checks that the domain now serves the new certificate's serial.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from primetui.certificates.findings import check_certificates
from primetui.certificates.probe import probe_endpoint
from primetui.errors import UsageError
from primetui.plans.plan import execute
from primetui.sandbox.nginx import NginxService, tls_site
from primetui.sandbox.tls import cert_pem, make_ca, write_leaf
from primetui.sandbox.tools import free_port, wait_for_port
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    eventually,
    make_service,
    served_lineage,
    server_settings,
)
from tests.fixtures.sshd import MustNotAsk

pytestmark = pytest.mark.services
HAS = "www.issue.example.test"
NEW = "new.issue.example.test"


@pytest.fixture(scope="module")
def lineage(nginx, pebble) -> Iterator[Lineage]:
    with served_lineage(nginx, pebble, HAS, "primetui-issue-") as issued:
        yield issued


@pytest.fixture
def new_site(nginx: NginxService, lineage: Lineage) -> Iterator[tuple[str, str]]:
    """NEW served by nginx through a link to a 4-day certificate from another CA."""
    old = lineage.root / "old-cert"
    old.mkdir(exist_ok=True)
    ca_key, ca_cert = make_ca("Old CA")
    files = write_leaf(old, ca_key, ca_cert, [NEW],
                       dt.datetime.now(dt.UTC) + dt.timedelta(days=4), stem="fullchain")
    files.cert_file.rename(old / "fullchain.pem")
    files.key_file.rename(old / "privkey.pem")
    (lineage.root / "old-ca.pem").write_bytes(cert_pem(ca_cert))
    link = lineage.root / "nginx-certs" / NEW
    link.parent.mkdir(exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(old)
    port = free_port()
    site = nginx.write_site("issue-new", tls_site(port=port, domain=NEW, live=link,
                                                  root=nginx.webroot, webroot=nginx.webroot))
    nginx.reload()
    assert wait_for_port(port, 10)
    try:
        yield str(link), f"127.0.0.1:{port}"
    finally:
        site.unlink(missing_ok=True)
        nginx.reload()


def test_issuing_a_new_domain_serves_certbots_certificate(
        ssh_server_settings, nginx, lineage, new_site) -> None:
    link, address = new_site
    certs = cert_settings(nginx, lineage, domains=[HAS, NEW], warn_days=5, critical_days=5,
                          endpoints={HAS: lineage.address, NEW: address}, links={NEW: link})
    with open(certs.ca_file, "ab") as bundle:  # trust the old CA too, as the demo does
        bundle.write((lineage.root / "old-ca.pem").read_bytes())
    service = make_service(server_settings(ssh_server_settings, nginx, lineage), certs,
                           MustNotAsk())
    try:
        # The finding names the action that fixes it: issue, not renew.
        result = check_certificates(service)
        finding = next(f for f in result.findings if NEW in f.title)
        assert finding.action == "certificates.issue"
        assert "certbot has no certificate" in finding.detail
        with pytest.raises(UsageError, match="already has a certificate"):
            service.issue_plan(HAS)
        issuance = service.issue_plan(NEW)
        assert any(" certonly --cert-name " + NEW in c for c in issuance.plan.commands())
        lines: list[str] = []
        done = execute(issuance.plan, lambda e: lines.append(e.text) if e.kind == "output"
                       else None)
        assert done.ok, done.error
        served = eventually(lambda: probe_endpoint(NEW, address,
                                                   ca_file=lineage.root / "issuer-root.pem"),
                            lambda p: p.days_left == 9)
        assert served.verified and served.days_left == 9  # pebble's 10-day certificate
        assert issuance.report.outcomes[NEW] == (
            f"{NEW}: issued and served, serial {served.serial}, expires "
            f"{served.not_after:%Y-%m-%d %H:%M:%S} UTC")
        assert (lineage.le_dir / "config" / "renewal" / f"{NEW}.conf").exists()
        assert service.server_certificates().listing.for_domain(NEW) is not None
    finally:
        service.close()


def test_the_demos_critical_certificate_is_fixed_inside_the_demo(tmp_path) -> None:
    from primetui.registry import Services
    from primetui.sandbox.world import DOMAIN, Sandbox

    world = Sandbox.start(tmp_path / "world")
    try:
        world.restore_environment()
        services = Services(world.settings, prompter=MustNotAsk())
        service = services.certificates
        try:
            result = check_certificates(service)
            critical = next(f for f in result.findings if f.severity == "critical")
            assert critical.title == f"The certificate of {DOMAIN} expires in 4 days."
            assert critical.action == "certificates.issue" and critical.subject == DOMAIN
            issuance = service.issue_plan(DOMAIN)
            # As the tab and the command line run it: through the registry, which also
            # tells the session's certbot watch that certbot's side changed.
            done = services.run_plan(issuance.plan, lambda e: None)
            assert done.ok, done.error
            after = check_certificates(service)
            assert not any(f.severity == "critical" for f in after.findings), after.findings
            assert issuance.report.outcomes[DOMAIN].startswith(f"{DOMAIN}: issued and served")
        finally:
            service.close()
    finally:
        world.stop()
