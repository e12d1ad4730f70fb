"""Standalone renewal: the "container" holding the challenge port is stopped, certbot binds
the port itself, and the container is started again — also when the renewal fails.

The container is a stand-in (Docker cannot run here): a `python3 -m http.server` holding
the port pebble validates on, stopped and started by the configured commands. This module
has its own sshd, because some tests drop its connections or kill it outright.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from primetui.certificates.certbot import RenewOutcome
from primetui.certificates.model import PortCommands
from primetui.certificates.probe import probe_endpoint
from primetui.config import ServerSettings
from primetui.plans.plan import PlanEvent, execute
from primetui.sandbox.nginx import NginxService, child_pids
from primetui.sandbox.sshd import SshdService, start_sshd
from primetui.sandbox.tools import find_binary, free_port
from tests.fixtures.certificates_world import (
    Lineage,
    StandIn,
    cert_settings,
    eventually,
    issue_and_serve,
    make_service,
    make_standin,
    server_settings,
    start_strict_pebble,
    unserve,
)
from tests.fixtures.common import require_binary
from tests.fixtures.sshd import FakePrompter, MustNotAsk

pytestmark = pytest.mark.services
DOMAIN = "www.standalone.example.test"


@dataclass
class World:
    lineage: Lineage
    standin: StandIn
    sshd: SshdService


def _sshd(workdir: Path) -> SshdService:
    require_binary(find_binary("sshd") or "sshd")
    workdir.mkdir(parents=True, exist_ok=True)
    return start_sshd(workdir, users=[getpass.getuser()])


@pytest.fixture(scope="module")
def world(nginx: NginxService) -> Iterator[World]:
    root = Path(tempfile.mkdtemp(prefix="primetui-certs-standalone-"))
    root.chmod(0o755)
    port = free_port()
    pebble = start_strict_pebble(root / "pebble", http_port=port, cert_validity=864000)
    sshd = None
    try:
        lineage = issue_and_serve(nginx, pebble, root / "site", DOMAIN, standalone_port=port)
        sshd = _sshd(root / "sshd")
        try:
            yield World(lineage, make_standin(root / "containers", port), sshd)
        finally:
            unserve(nginx, lineage)
    finally:
        if sshd is not None:
            sshd.stop()
        pebble.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def standin(world: World) -> Iterator[StandIn]:
    """The "web" container, running and holding the challenge port."""
    world.standin.start("web")
    try:
        yield world.standin
    finally:
        world.standin.stop_all()


def base_settings(sshd: SshdService) -> ServerSettings:
    return ServerSettings(host=sshd.host, port=sshd.port, user=getpass.getuser(),
                          key=sshd.client_key, known_hosts=sshd.known_hosts, profile="sandbox",
                          connect_timeout=5.0, command_timeout=60.0)


def service_for(world: World, nginx: NginxService, sshd: SshdService | None = None):
    server = server_settings(base_settings(sshd or world.sshd), nginx, world.lineage)
    certs = cert_settings(nginx, world.lineage, method="standalone", containers=["web"])
    return make_service(server, certs, MustNotAsk(), commands=world.standin.commands)


def served(world: World) -> str | None:
    lineage = world.lineage
    return probe_endpoint(DOMAIN, lineage.address, ca_file=lineage.root / "issuer-root.pem").serial


def run(plan, when_certbot_speaks=None) -> tuple[object, list[str]]:
    """Execute a plan; `when_certbot_speaks` runs once, at certbot's first output line."""
    lines: list[str] = []

    def on_event(event: PlanEvent) -> None:
        if event.kind != "output":
            return
        lines.append(event.text)
        nonlocal when_certbot_speaks
        if when_certbot_speaks and event.text.startswith(("Saving debug log", "Processing ")):
            action, when_certbot_speaks = when_certbot_speaks, None
            action()

    return execute(plan, on_event), lines


def descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        kids = child_pids(stack.pop())
        found += kids
        stack += kids
    return found


def drop_connections(sshd: SshdService) -> None:
    """Kill every session of the sshd (and what runs in them); the listener stays."""
    for pid in descendants(sshd.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_standalone_renewal_stops_the_container_and_starts_it_again(world, standin, nginx) -> None:
    service = service_for(world, nginx)
    before, pid_before = served(world), standin.pid("web")
    renewal = service.renew_plan(DOMAIN)
    commands = renewal.plan.commands()
    assert commands[1] == f"ls {standin.directory}"
    assert f"sh {standin.script} stop web" in commands
    assert any(" renew --cert-name " in c and "--standalone" in c for c in commands)
    result, lines = run(renewal.plan)
    service.close()
    assert result.ok, result.error
    assert renewal.report.outcome is RenewOutcome.RENEWED
    assert "web.pid" in lines  # what holds the port was looked for first
    assert lines.index("web stopped") < lines.index("certbot: renewed.") < lines.index("web started")
    assert standin.running("web") and standin.pid("web") != pid_before
    assert eventually(lambda: served(world), lambda s: s != before) != before


def test_held_lock_fails_in_one_sentence_with_the_container_started_again(
        world, standin, nginx) -> None:
    service = service_for(world, nginx)
    renewal = service.renew_plan(DOMAIN)
    with open(world.lineage.le_dir / "config" / ".certbot.lock", "a") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        result, lines = run(renewal.plan)
    service.close()
    assert not result.ok
    assert result.error == (f"certbot is already running on {service.runner.host} (another "
                            f"run holds its lock); try again when it has finished; web started "
                            f"again.")
    assert "web stopped" in lines and lines[-1] == "web started"
    assert standin.running("web")


def test_dropped_connection_fails_in_one_sentence_with_the_container_started_again(
        world, standin, nginx) -> None:
    service = service_for(world, nginx)
    renewal = service.renew_plan(DOMAIN)
    result, lines = run(renewal.plan, when_certbot_speaks=lambda: drop_connections(world.sshd))
    service.close()
    assert not result.ok
    assert result.error.startswith(f"The connection to {service.runner.host} dropped while "
                                   f"running `")
    assert result.error.endswith("; web started again.")
    assert standin.running("web")


def test_sshd_killed_during_renewal_says_the_container_may_still_be_stopped(
        world, standin, nginx, tmp_path) -> None:
    sshd = _sshd(tmp_path / "sshd")
    try:
        service = service_for(world, nginx, sshd)
        renewal = service.renew_plan(DOMAIN)

        def kill_sshd() -> None:
            drop_connections(sshd)
            sshd.stop()

        result, _ = run(renewal.plan, when_certbot_speaks=kill_sshd)
        service.close()
    finally:
        sshd.stop()
    host = service.runner.host
    assert not result.ok
    assert result.error.startswith(f"The connection to {host} dropped while running `")
    assert (f"; starting web again failed too (Cannot reach {host}: connection refused), so "
            f"run `sh {standin.script} start web` on {host}.") in result.error
    assert not standin.running("web")


@pytest.fixture(scope="module")
def sudo_user(world: World) -> Iterator[tuple[str, str]]:
    """A throwaway user whose sudo rule asks for its password (needs root, useradd, sudo)."""
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("sudo") is None:
        pytest.skip("needs root, useradd and sudo to make a user with a sudo password")
    name = "ptcert" + secrets.token_hex(3)
    password = "pw-" + secrets.token_urlsafe(12)
    rule = Path(f"/etc/sudoers.d/primetui-test-{name}")
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True)
    try:
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
        rule.write_text(f"Defaults:{name} !lecture\n{name} ALL=(ALL) ALL\n")
        rule.chmod(0o440)
        world.sshd.authorize(name)
        yield name, password
    finally:
        rule.unlink(missing_ok=True)
        subprocess.run(["userdel", "--force", "--remove", name], capture_output=True)


def test_wrong_sudo_password_fails_in_one_sentence_with_the_container_started_again(
        world, standin, nginx, sudo_user) -> None:
    name, password = sudo_user
    status = service_for(world, nginx).server_certificates()  # as the tab has it already
    standin.stop_all()  # the user's own "web" holds the port this time
    for leftover in ("web.pid", "web.log"):
        (standin.directory / leftover).unlink(missing_ok=True)
    wrong = "wrong-" + secrets.token_urlsafe(8)
    server = server_settings(base_settings(world.sshd), nginx, world.lineage, user=name,
                             profile="ubuntu", sudo=True)
    certs = cert_settings(nginx, world.lineage, method="standalone", containers=["web"])
    service = make_service(server, certs, FakePrompter(password=wrong),
                           commands=standin.commands)
    service.runner.run(f"sh {standin.script} start web")
    renewal = service.renew_plan(DOMAIN, status=status)
    assert any(c.startswith("sudo ") and " renew " in c for c in renewal.plan.commands())
    result, lines = run(renewal.plan)
    service.close()
    assert not result.ok
    assert result.error == f"sudo on {service.runner.host} refused the password; web started again."
    assert wrong not in "\n".join(lines) + result.error
    assert lines.index("web stopped") < lines.index("web started")
    assert standin.running("web")


def test_a_port_still_held_after_stopping_is_named_and_certbot_is_not_run(
        world, standin, nginx, monkeypatch) -> None:
    monkeypatch.setattr("primetui.certificates.renew.PORT_WAIT", 0.3)
    service = service_for(world, nginx)
    service.commands = PortCommands(stop="echo pretending to stop {containers}",
                                    start="echo pretending to start {containers}",
                                    find=standin.commands.find)
    renewal = service.renew_plan(DOMAIN)
    result, lines = run(renewal.plan)
    service.close()
    assert not result.ok and renewal.report.outcome is None  # certbot never ran
    assert result.error.startswith(f"Port {standin.port} on {service.runner.host} is still in "
                                   f"use after stopping the containers (LISTEN ")
    assert '"python3"' in result.error  # ss names the process that holds it
    assert result.error.endswith(", so certbot was not run; web started again.")
    assert lines[-1] == "pretending to start web"
