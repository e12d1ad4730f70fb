"""Renewal of long-lived certificates: "not due yet" is its own outcome; --force-renewal
renews; a challenge nginx cannot serve fails with the CA's own reason.

A second pebble issues 90-day certificates (as Let's Encrypt does) and validates every
challenge (no reuse of earlier authorizations), against the same session nginx; certbot
renews only within 30 days of expiry.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from primetui.certificates.certbot import RenewOutcome, Urgency
from primetui.certificates.probe import probe_endpoint
from primetui.plans.plan import PlanEvent, execute
from primetui.sandbox.nginx import NginxService
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    eventually,
    issue_and_serve,
    make_service,
    server_settings,
    start_strict_pebble,
    unserve,
)
from tests.fixtures.sshd import MustNotAsk

pytestmark = pytest.mark.services
DOMAIN = "www.longlived.example.test"
NINETY_DAYS = 90 * 86400


@pytest.fixture(scope="module")
def lineage(nginx: NginxService) -> Iterator[Lineage]:
    root = Path(tempfile.mkdtemp(prefix="primetui-certs-long-"))
    pebble = start_strict_pebble(root / "pebble", http_port=nginx.acme_port, cert_validity=NINETY_DAYS)
    try:
        issued = issue_and_serve(nginx, pebble, root / "site", DOMAIN)
        try:
            yield issued
        finally:
            unserve(nginx, issued)
    finally:
        pebble.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def service(ssh_server_settings, nginx, lineage):
    svc = make_service(server_settings(ssh_server_settings, nginx, lineage),
                       cert_settings(nginx, lineage), MustNotAsk())
    yield svc
    svc.close()


def served(lineage: Lineage) -> str | None:
    return probe_endpoint(DOMAIN, lineage.address, ca_file=lineage.root / "issuer-root.pem").serial


def run(plan) -> tuple[object, list[str]]:
    lines: list[str] = []

    def on_event(event: PlanEvent) -> None:
        if event.kind == "output":
            lines.append(event.text)

    return execute(plan, on_event), lines


def test_not_due_is_reported_as_not_due_and_changes_nothing(service, lineage) -> None:
    status = service.server_certificates()
    before = served(lineage)
    renewal = service.renew_plan(status=status)  # every certificate, as cron would
    assert "--cert-name" not in " ".join(renewal.plan.commands())
    result, lines = run(renewal.plan)
    assert result.ok, result.error
    report = renewal.report
    assert report.outcome is RenewOutcome.NOT_DUE
    assert report.certbot.not_due == (DOMAIN,) and report.certbot.renewed == ()
    assert "No renewals were attempted." in lines
    assert "Nothing was renewed, so nginx keeps serving what it serves." in lines
    (change,) = report.changes
    assert change.startswith(f"{DOMAIN}: not due yet, expires ") and "(89 days left)" in change
    assert report.summary() == "Not due yet: nothing was renewed and nothing changed."
    assert served(lineage) == before
    row = judge_row(service)
    assert row.urgency is Urgency.OK and row.days_left == 89


def judge_row(service):
    (row,) = service.overview().domains
    return row


def test_force_renews_a_certificate_that_is_not_due(service, lineage) -> None:
    before = served(lineage)
    renewal = service.renew_plan(DOMAIN, force=True)
    assert renewal.plan.title.startswith("Force-renew")
    result, _ = run(renewal.plan)
    assert result.ok, result.error
    assert renewal.report.outcome is RenewOutcome.RENEWED
    after = eventually(lambda: served(lineage), lambda s: s != before)
    assert after != before and renewal.report.after[DOMAIN].serial == after


def test_failed_challenge_names_the_problem(service, lineage, tmp_path) -> None:
    unserved = tmp_path / "not-served"  # exists, but nginx serves another webroot
    unserved.mkdir()
    service.settings = dataclasses.replace(service.settings, webroot=str(unserved))
    renewal = service.renew_plan(DOMAIN, force=True)
    result, _ = run(renewal.plan)
    assert not result.ok
    assert result.error.startswith("The ACME server could not fetch the HTTP-01 challenge")
    assert "404" in result.error and result.error.endswith(".")
    assert renewal.report.outcome is RenewOutcome.FAILED
