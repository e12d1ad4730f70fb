"""Turning on automatic renewal where something may already renew (real sshd, certbot,
pebble, nginx; systemd is the one thing that cannot run here, so a NAMED FAKE `systemctl`
answers on the server's PATH: see tests/fixtures/systemd.py).

A stock Ubuntu server: certbot.timer is active, but no deploy hook reloads nginx, so a
renewal by the timer is never served. Installing automatic renewal must add only the hook
(no second scheduler), and the timer's own renewal must then be served. A server with no
scheduler at all is told so, with what to install, before anything is written.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from primetui.certificates.auto_renew import RenewalLocations
from primetui.certificates.probe import probe_endpoint
from primetui.certificates.schedule import Install
from primetui.certificates.server import CRON_FILE_NAME, DEPLOY_HOOK_NAME, TIMER_UNIT
from primetui.config import ServerSettings, Settings, to_document, write_document
from primetui.errors import RemoteError
from primetui.plans.plan import execute
from tests.fixtures.certificates_world import (
    Lineage,
    cert_settings,
    make_service,
    served_lineage,
    server_settings,
)
from tests.fixtures.sshd import MustNotAsk, private_sshd
from tests.fixtures.systemd import FakeSystemd, certbot_units, make_fake_systemd

pytestmark = pytest.mark.services
DOMAIN = "www.timer.example.test"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.fixture(scope="module")
def fake_systemd() -> Iterator[FakeSystemd]:
    root = Path(tempfile.mkdtemp(prefix="primetui-fake-systemd-"))
    root.chmod(0o755)
    yield make_fake_systemd(root)
    for f in sorted(root.rglob("*"), reverse=True):
        f.rmdir() if f.is_dir() else f.unlink()
    root.rmdir()


@pytest.fixture(scope="module")
def ubuntu_sshd(fake_systemd: FakeSystemd):
    """An sshd whose sessions find the fake systemctl first, as a systemd server's would
    find the real one."""
    with private_sshd("primetui-ubuntu-sshd-",
                      environment={"PATH": f"{fake_systemd.bin}:{SYSTEM_PATH}"}) as service:
        yield service


@pytest.fixture(scope="module")
def lineage(nginx, pebble) -> Iterator[Lineage]:
    with served_lineage(nginx, pebble, DOMAIN, "primetui-timer-") as issued:
        yield issued


@pytest.fixture
def ubuntu(ubuntu_sshd, nginx, lineage, fake_systemd) -> Iterator[ServerSettings]:
    """The server with certbot's packaged units installed (not enabled) and no hook yet."""
    base = ServerSettings(host=ubuntu_sshd.host, port=ubuntu_sshd.port, user=getpass.getuser(),
                          key=ubuntu_sshd.client_key, known_hosts=ubuntu_sshd.known_hosts,
                          profile="sandbox", connect_timeout=5.0, command_timeout=30.0)
    fake_systemd.reset()
    timer, service = certbot_units(f"/usr/bin/env {lineage.certbot}")
    fake_systemd.unit("certbot.timer", timer)
    fake_systemd.unit("certbot.service", service)
    hook(lineage).unlink(missing_ok=True)
    yield server_settings(base, nginx, lineage)
    hook(lineage).unlink(missing_ok=True)


def hook(lineage: Lineage) -> Path:
    return lineage.le_dir / "config" / "renewal-hooks" / "deploy" / DEPLOY_HOOK_NAME


def served_serial(lineage: Lineage) -> str | None:
    return probe_endpoint(DOMAIN, lineage.address, ca_file=lineage.root / "issuer-root.pem").serial


def run(plan) -> tuple[object, list[str]]:
    lines: list[str] = []
    result = execute(plan, lambda e: lines.append(e.text) if e.kind == "output" else None)
    return result, lines


def test_active_certbot_timer_gets_only_the_deploy_hook_and_its_renewals_are_served(
        ubuntu, nginx, lineage, fake_systemd) -> None:
    fake_systemd.enable("certbot.timer")
    service = make_service(ubuntu, cert_settings(nginx, lineage), MustNotAsk())
    try:
        choice = service.plan_auto_renewal()
        assert choice.decision.install is Install.HOOK
        assert choice.sentence == (
            "The systemd timer certbot.timer already runs certbot renew on prod, but no deploy "
            "hook reloads nginx after a renewal: only the hook is added (no second timer).")
        commands = "\n".join(choice.plan.commands())
        assert str(hook(lineage)) in commands
        assert CRON_FILE_NAME not in commands and TIMER_UNIT not in commands
        assert "systemctl enable" not in commands
        result, lines = run(choice.plan)
        assert result.ok, result.error
        assert lines[0] == choice.sentence  # said before anything was written
        assert hook(lineage).exists()
        assert not (lineage.root / "cron.d" / CRON_FILE_NAME).exists()
        # The timer fires: systemd runs certbot.service. The renewed certificate is served.
        before = served_serial(lineage)
        done = subprocess.run(["sh", "-c", fake_systemd.exec_start("certbot.service")],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 10
        while served_serial(lineage) == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert served_serial(lineage) != before
        again = service.plan_auto_renewal()
    finally:
        service.close()
    assert again.plan is None
    assert again.sentence == ("Automatic renewal is already on: the systemd timer certbot.timer "
                              f"runs certbot renew on prod, and after a renewal {DEPLOY_HOOK_NAME} "
                              f"reloads nginx.")


def auto_renew_cli(server: ServerSettings, nginx, lineage: Lineage,
                   tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`primetui certs auto-renew --yes` as a script runs it (no terminal)."""
    config = tmp_path / "config.toml"
    write_document(to_document(Settings(servers={"prod": server},
                                        certificates=cert_settings(nginx, lineage))), config)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "primetui", "--config", str(config), "certs",
                           "auto-renew", "--yes"], capture_output=True, text=True, timeout=180,
                          env=env, stdin=subprocess.DEVNULL)


def test_cli_adds_only_the_deploy_hook_beside_an_active_timer(
        ubuntu, nginx, lineage, fake_systemd, tmp_path) -> None:
    fake_systemd.enable("certbot.timer")
    done = auto_renew_cli(ubuntu, nginx, lineage, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith("The systemd timer certbot.timer already runs")
    assert hook(lineage).exists()
    assert TIMER_UNIT not in done.stdout and CRON_FILE_NAME not in done.stdout
    assert "systemctl enable" not in done.stdout
    again = auto_renew_cli(ubuntu, nginx, lineage, tmp_path)
    assert again.returncode == 0 and again.stdout.startswith("Automatic renewal is already on")


def test_cli_enables_certbots_packaged_timer_instead_of_adding_another(
        ubuntu, nginx, lineage, fake_systemd, tmp_path) -> None:
    done = auto_renew_cli(ubuntu, nginx, lineage, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first == ("certbot's own certbot.timer is installed on prod but not active: it is "
                     "enabled and a deploy hook that reloads nginx is added.")
    assert "$ systemctl enable --now certbot.timer" in done.stdout  # the plan shows its commands
    assert fake_systemd.active("certbot.timer") and hook(lineage).exists()
    assert TIMER_UNIT not in done.stdout and not (lineage.root / "cron.d").exists()


def test_server_with_no_scheduler_is_told_what_to_install_before_anything_is_written(
        ssh_server_settings, nginx, lineage) -> None:
    # The shared sshd: the real systemctl answers "offline" here, and no cron daemon runs.
    server = server_settings(ssh_server_settings, nginx, lineage)
    cron_file = lineage.root / "lab-cron.d" / CRON_FILE_NAME
    locations = RenewalLocations(systemd_dir=None, cron_file=str(cron_file),
                                 cron_user=server.user, practice=False)
    service = make_service(server, cert_settings(nginx, lineage), MustNotAsk())
    service.locations = locations
    try:
        with pytest.raises(RemoteError) as caught:
            service.plan_auto_renewal()
    finally:
        service.close()
    sentence = str(caught.value)
    assert sentence.startswith("Nothing on prod can run certbot renew on a schedule: systemd is "
                               "not running there and ")
    assert "cron" in sentence and sentence.endswith(
        "on prod, then turn on automatic renewal again (nothing was written).")
    assert not cron_file.exists() and not hook(lineage).exists()
