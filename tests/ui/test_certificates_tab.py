"""The Certificates tab against the real world: sshd as the server, nginx serving the
certificate pebble issued to certbot. One lineage is shared by the module; each test states
what it saw before and after on its own. The last helpers draw the tab's snapshot from
a fixed certbot listing and endpoints on a closed loopback port.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable

from primetui.certificates.probe import probe_endpoint
from primetui.config import CertificateSettings, ServerSettings, Settings
from primetui.plans.audit import AuditLog
from primetui.registry import Services
from primetui.sandbox.acme import PebbleService
from primetui.sandbox.nginx import NginxService
from primetui.sandbox.tools import free_port
from primetui.ui.app import PrimeApp, make_app
from primetui.ui.dialogs.confirm import ConfirmDialog
from primetui.ui.dialogs.host_key import HostKeyDialog
from primetui.ui.prompter import UiPrompter
from primetui.ui.screens.main import MainScreen
from primetui.ui.screens.plan_screen import PlanScreen
from primetui.ui.tabs.certificates.details import CertificateDetailsScreen
from primetui.ui.tabs.certificates.tab import CertificatesTab
from primetui.ui.widgets.live_table import LiveTable, cell_text
from tests.fixtures.certificates_snapshot import (
    SNAPSHOT_DOMAINS,
    SNAPSHOT_NOW,
    install_snapshot_certificates,
)
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    served_lineage,
    server_settings,
)
from tests.fixtures.shell import SIZE, lab_settings, notifications, settle

DOMAIN = "www.tab.example.test"
DOWN = "down.tab.example.test"


WORLD = pytest.mark.services


def served_serial(lineage: Lineage) -> str | None:
    """The serial the endpoint serves for DOMAIN right now."""
    return probe_endpoint(DOMAIN, lineage.address,
                          ca_file=lineage.root / "issuer-root.pem").serial


def disk_serial(lineage: Lineage) -> str:
    """The serial of certbot's current certificate on disk."""
    from cryptography import x509

    cert = x509.load_pem_x509_certificate((lineage.live / "cert.pem").read_bytes())
    return format(cert.serial_number, "x")


@pytest.fixture(scope="module")
def lineage(nginx: NginxService, pebble: PebbleService) -> Iterator[Lineage]:
    with served_lineage(nginx, pebble, DOMAIN, "primetui-certs-tab-") as issued:
        yield issued


def certs_app(aws_settings, tmp_path: Path, server: ServerSettings,
              certs: CertificateSettings, *, read_only: bool = False) -> PrimeApp:
    """The app on these servers and certificates, its runner asking with dialogs."""
    settings = dataclasses.replace(lab_settings(aws_settings, tmp_path, read_only=read_only),
                                   servers={"prod": server}, certificates=certs)
    services = Services(settings, audit=AuditLog(tmp_path / "state" / "audit.jsonl"))
    app = make_app(settings, services=services, config_path=tmp_path / "config.toml")
    services.prompter = UiPrompter(app)
    return app


@pytest.fixture
def world_app(aws_settings, tmp_path, ssh_server_settings, nginx, lineage) -> PrimeApp:
    return certs_app(aws_settings, tmp_path, server_settings(ssh_server_settings, nginx, lineage),
                     cert_settings(nginx, lineage))


def tab(app: PrimeApp) -> CertificatesTab:
    return app.screen.query_one(CertificatesTab)


def row(app: PrimeApp, domain: str) -> dict[str, str]:
    """A row's cells as text, by column key."""
    table = app.screen.query_one("#certificates-table", LiveTable)
    return dict(zip(table.column_keys, map(cell_text, table.get_row(domain)), strict=True))


def status_text(app: PrimeApp) -> str:
    return str(app.screen.query_one("#certificates-status").content)


async def show_tab(app: PrimeApp, pilot) -> None:
    await settle(app, pilot)
    await pilot.press("4")
    await settle(app, pilot)


async def until(pilot, condition, seconds: float = 30.0) -> None:
    """Let the app run until `condition()` holds (a dialog a worker waits on, say)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await pilot.pause(0.05)


async def run_plan_from_tab(app: PrimeApp, pilot, key: str) -> PlanScreen:
    """Press `key` on the tab, run the plan it opens, and return its (finished) screen."""
    await pilot.press(key)
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, PlanScreen)
    await pilot.press("enter")
    await settle(app, pilot)
    assert screen.phase == "finished"
    return screen


@WORLD
async def test_tab_shows_both_sides_an_unreachable_endpoint_apart_and_asks_before_forcing(
        aws_settings, tmp_path, ssh_server_settings, nginx, lineage) -> None:
    certs = cert_settings(nginx, lineage, domains=[DOMAIN, DOWN],
                          endpoints={DOMAIN: lineage.address, DOWN: f"127.0.0.1:{free_port()}"})
    app = certs_app(aws_settings, tmp_path, server_settings(ssh_server_settings, nginx, lineage),
                    certs)
    async with app.run_test(size=SIZE) as pilot:
        await show_tab(app, pilot)
        table = app.screen.query_one("#certificates-table", LiveTable)
        assert [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(2)] == [
            DOWN, DOMAIN]  # the error first, then the 9-day certificate (a warning)
        served = served_serial(lineage)
        live = row(app, DOMAIN)
        overview = tab(app).overview
        expiry = overview.server.listing.for_domain(DOMAIN).expiry
        assert live["state"] == "ok" and live["days"] == "9" and live["chain"] == "yes"
        assert live["serial"] == served[:6] + "…" and disk_serial(lineage) == served
        assert live["not_after"] == f"{expiry:%Y-%m-%d}"
        assert live["on_server"] == live["days"] == "9"  # both sides: the same certificate
        assert (live["valid"], live["method"], live["mismatch"]) == ("VALID", "webroot", "")
        down = row(app, DOWN)
        assert (down["state"], down["days"], down["serial"], down["on_server"]) == (
            "unreachable", "—", "—", "none")
        status = status_text(app)
        assert f"worst: error ({DOWN}: unreachable)" in status
        assert "Automatic renewal is off" in status
        assert notifications(app) == []

        table.move_cursor(row=table.get_row_index(DOMAIN))
        await pilot.press("enter")
        await pilot.pause()
        details = app.screen
        assert isinstance(details, CertificateDetailsScreen)
        (_, live_side), (_, certbot_side) = details.sections
        assert dict(live_side)["Serial"] == dict(certbot_side)["Serial"] == served
        assert dict(live_side)["Names"] == DOMAIN and dict(certbot_side)["Method"] == "webroot"
        assert dict(certbot_side)["Certificate"].endswith(f"/live/{DOMAIN}/fullchain.pem")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)

        await pilot.press("f")  # force asks first: it spends a Let's Encrypt rate limit
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "uses up one of them" in app.screen.detail
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("a")  # no timer or cron entry yet: its plan is offered
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        assert app.screen.plan.title.startswith("Turn on automatic certificate renewal")
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen) and notifications(app) == []


@WORLD
async def test_dry_run_from_the_tab_changes_nothing(world_app, lineage) -> None:
    app = world_app
    before = served_serial(lineage)
    async with app.run_test(size=SIZE) as pilot:
        await show_tab(app, pilot)
        screen = await run_plan_from_tab(app, pilot, "d")
        assert screen.plan.title.startswith("Dry run of renewing")
        assert screen.result.ok, screen.view.outcome_text
        assert any(line.startswith(f"{DOMAIN}: dry run, nothing changed")
                   for line in screen.view.log_text())
        await pilot.press("enter")
        await settle(app, pilot)
        assert row(app, DOMAIN)["serial"] == before[:6] + "…"
        assert served_serial(lineage) == before
        assert any(m.startswith("Dry run succeeded") for m in notifications(app))


@WORLD
async def test_renew_from_the_tab_shows_the_new_served_serial(world_app, lineage) -> None:
    app = world_app
    before = served_serial(lineage)
    async with app.run_test(size=SIZE) as pilot:
        await show_tab(app, pilot)
        assert row(app, DOMAIN)["serial"] == before[:6] + "…"
        screen = await run_plan_from_tab(app, pilot, "n")
        assert screen.result.ok, screen.view.outcome_text
        after = served_serial(lineage)
        assert after != before
        # The log wraps long lines: compare without the whitespace it breaks them at.
        log = "".join("".join(line.split()) for line in screen.view.log_text())
        assert "".join(f"{DOMAIN}: renewed and served, serial {before} → {after}, expires "
                       .split()) in log
        await pilot.press("enter")  # close: the tab reads both sides again
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert row(app, DOMAIN)["serial"] == after[:6] + "…"
        assert row(app, DOMAIN)["mismatch"] == ""
        assert any(m.startswith(f"Renewed: {DOMAIN}: renewed and served, serial {before} → {after}")
                   for m in notifications(app))


@WORLD
async def test_refused_host_key_is_one_sentence_and_the_endpoint_still_shows(
        aws_settings, tmp_path, ssh_server_settings, nginx, lineage) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    server = server_settings(ssh_server_settings, nginx, lineage, known_hosts=empty)
    app = certs_app(aws_settings, tmp_path, server, cert_settings(nginx, lineage))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await until(pilot, lambda: isinstance(app.screen, HostKeyDialog))
        await pilot.press("escape")  # refuse
        await settle(app, pilot)
        (sentence,) = notifications(app)
        assert sentence.startswith("The host key of ") and "SHA256:" in sentence
        assert sentence.count(". ") == 0 and sentence.endswith(".")
        assert row(app, DOMAIN)["state"] == "ok" and row(app, DOMAIN)["on_server"] == "?"
        assert "certbot's side is not shown: The host key of " in status_text(app)
        assert status_text(app).endswith("Press r to be asked about the host key again.")
        assert empty.read_text() == ""
        # A poll reads the endpoints again without asking about the key again.
        shown = tab(app).overview
        tab(app).poll_after(0.01)
        await until(pilot, lambda: tab(app).overview is not shown
                    or isinstance(app.screen, HostKeyDialog))
        assert isinstance(app.screen, MainScreen) and len(notifications(app)) == 1
        assert tab(app).overview.server_error == shown.server_error
        # The tab keeps working: its details open, and a renewal asks again.
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CertificateDetailsScreen)
        await pilot.press("escape")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, HostKeyDialog))
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen) and len(notifications(app)) == 2
        assert app.screen.query_one("#certificates-table", DataTable).row_count == 1


# -- the snapshot: fixed certbot listing, endpoints on a closed loopback port -----------------


async def test_snapshot_world_shows_closed_endpoints_beside_certbots_listing(
        aws_settings, tmp_path) -> None:
    settings: Settings = lab_settings(aws_settings, tmp_path)
    services = Services(settings, audit=AuditLog(tmp_path / "audit.jsonl"))
    install_snapshot_certificates(services)
    app = make_app(settings, services=services, config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await show_tab(app, pilot)
        www, api, old = (row(app, d) for d in SNAPSHOT_DOMAINS)
        assert {www["state"], api["state"], old["state"]} == {"unreachable"}
        assert (www["on_server"], www["valid"], www["method"]) == (
            "18", "VALID", "webroot")  # days left per certbot, from the overview's moment
        assert (api["on_server"], api["valid"], api["method"]) == (
            "-6", "INVALID", "standalone")  # counted as the served Days are
        assert (old["on_server"], old["method"]) == ("none", "—")
        status = status_text(app)
        assert "Automatic renewal is on: a cron entry runs certbot renew" in status
        assert "Checked at" not in status  # the tab says when it read, beside the status line
        assert str(app.screen.query_one("#certificates-read").content).startswith("read ")


async def test_read_only_hides_the_renewal_keys(aws_settings, tmp_path) -> None:
    settings = lab_settings(aws_settings, tmp_path, read_only=True)
    services = Services(settings, audit=AuditLog(tmp_path / "audit.jsonl"))
    install_snapshot_certificates(services)
    app = make_app(settings, services=services, config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await show_tab(app, pilot)
        shown = {key for key, b in app.active_bindings.items() if b.binding.show}
        assert {"slash", "r"} <= shown and not {"n", "d", "f", "a"} & shown
        await pilot.press("n", "d", "f", "a")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen) and notifications(app) == []
        assert row(app, SNAPSHOT_DOMAINS[0])["state"] == "unreachable"


# -- the words of the rows and the status line -------------------------------------------------

def _status(served_serial: str | None, disk_serial: str | None, *, names=("a.example.test",),
            served_days: int = 40, disk_days: int = 40):
    """A judged domain whose endpoint serves one serial and certbot holds another."""
    from datetime import timedelta

    from primetui.certificates.certbot import CertbotCertificate
    from primetui.certificates.probe import EndpointProbe, ProbeState
    from primetui.certificates.service import judge

    served_until = SNAPSHOT_NOW + timedelta(days=served_days, hours=1)
    probe = EndpointProbe("a.example.test", "127.0.0.1:443", ProbeState.OK, "fine",
                          names=tuple(names), not_after=served_until, days_left=served_days,
                          serial=served_serial, verified=True)
    disk = CertbotCertificate("a.example.test", ("a.example.test",),
                              SNAPSHOT_NOW + timedelta(days=disk_days, hours=1), True,
                              f"{disk_days} days", disk_serial)
    return judge("a.example.test", probe, disk, "webroot", CertificateSettings(),
                 now=SNAPSHOT_NOW)


def test_mismatch_flags_say_stale_differs_or_nothing() -> None:
    from primetui.ui.tabs.certificates.rows import mismatch_flag, why

    agreed = _status("abc", "abc")
    stale = _status("abc", "def", served_days=5, disk_days=89)
    assert (mismatch_flag(agreed), mismatch_flag(stale)) == ("", "stale")
    assert mismatch_flag(_status("abc", "def", disk_days=10)) == "differs"
    assert why(stale, SNAPSHOT_NOW).endswith("nginx still serves the old certificate")
    assert why(agreed, SNAPSHOT_NOW) == "40 days left"


def test_status_line_says_all_is_fine_and_the_soonest_expiry() -> None:
    from primetui.certificates.service import CertificatesOverview
    from primetui.ui.tabs.certificates.rows import status_line

    overview = CertificatesOverview((_status("abc", "abc"),), None, None, SNAPSHOT_NOW)
    assert status_line(overview) == (
        "The certificate is fine (the soonest expires in 40 days).", "")


async def test_no_domains_status_keeps_the_config_table_name(aws_settings, tmp_path) -> None:
    app = make_app(lab_settings(aws_settings, tmp_path), config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await show_tab(app, pilot)
        status = app.screen.query_one("#certificates-status")
        assert "[certificates] domains" in str(status.render())


async def test_polls_reuse_the_last_read_and_r_asks_certbot_again(aws_settings, tmp_path,
                                                                  monkeypatch) -> None:
    import primetui.ui.tabs.certificates.tab as tab_module

    asked: list[bool] = []
    original = tab_module.read_overview

    def recording(*args, fresh: bool = False, **kwargs):
        asked.append(fresh)
        return original(*args, fresh=fresh, **kwargs)

    monkeypatch.setattr(tab_module, "read_overview", recording)
    settings = lab_settings(aws_settings, tmp_path)
    services = Services(settings, audit=AuditLog(tmp_path / "audit.jsonl"))
    install_snapshot_certificates(services)
    app = make_app(settings, services=services, config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await show_tab(app, pilot)
        tab = app.screen.query_one(CertificatesTab)
        tab._poll_due()  # the poll, every ui.refresh seconds
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert asked == [False, False, True]
        assert row(app, SNAPSHOT_DOMAINS[0])["state"] == "unreachable"


# -- an 80-column terminal -------------------------------------------------------------------

async def test_at_80_columns_certbots_side_and_the_mismatch_are_on_screen(
        aws_settings, tmp_path) -> None:
    from tests.fixtures.small_terminal import SMALL

    settings: Settings = lab_settings(aws_settings, tmp_path)
    services = Services(settings, audit=AuditLog(tmp_path / "audit.jsonl"))
    install_snapshot_certificates(services)
    app = make_app(settings, services=services, config_path=tmp_path / "config.toml")
    async with app.run_test(size=SMALL) as pilot:
        await show_tab(app, pilot)
        table = app.screen.query_one("#certificates-table", LiveTable)
        right = 0
        for key, column in table.columns.items():
            right += column.get_render_width(table)
            if key.value == "mismatch":
                break
        assert right <= table.scrollable_content_region.width, (
            f"the columns up to Mismatch need {right} columns")
        assert list(table.column_keys[:6]) == ["domain", "state", "days", "on_server", "valid",
                                               "mismatch"]


def test_a_narrow_table_cuts_a_long_domain_and_a_wide_one_keeps_it_whole() -> None:
    from primetui.ui.tabs.certificates.rows import NARROW_DOMAIN_CHARS, row_cells

    status = dataclasses.replace(_status("abc", "abc"),
                                 domain="intranet-services.chemistry.lab.example.test")
    wide = row_cells(status, None, SNAPSHOT_NOW, {})
    narrow = row_cells(status, None, SNAPSHOT_NOW, {}, narrow=True)
    assert wide[0].plain == status.domain
    assert len(narrow[0].plain) == NARROW_DOMAIN_CHARS and narrow[0].plain.endswith("…")
    assert [cell_text(c) for c in narrow[1:]] == [cell_text(c) for c in wide[1:]]
