"""The maintenance wizard's failures and resumes: moto (the "t3.nano" is fake), real sshd, nginx.

Both hosts are paths on one loopback sshd; the page is served by a real nginx the wizard
starts; a front door follows the Elastic IP in moto so that the switch is verified through
the same TLS connection a visitor would make. The happy path is test_maintenance_on_off.py.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from primetui.errors import RemoteError
from primetui.maintenance.page import PageOptions
from primetui.maintenance.service import OffOptions, OnOptions, Timing, ssh_factory
from primetui.plans.plan import StepState, execute
from tests.fixtures.maintenance_world import World

BACK = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
ON = OnOptions(page=PageOptions(message="Upgrading the database.", return_at=BACK,
                                contact="it@lab.example.edu"), checklist_confirmed=True)


def _run_on(world: World, options: OnOptions = ON, factory=None):
    plan = world.service(factory=factory).plan_on(options)
    return plan, execute(plan)


class FailOnce:
    """Runners that fail the first command containing `needle`, like a dropped connection."""

    def __init__(self, needle: str) -> None:
        self.needle = needle
        self.failed = False
        self.real = ssh_factory(None)

    def __call__(self, name, server):
        runner = self.real(name, server)
        original = runner.run

        def run(cmd, **kwargs):
            if self.needle in cmd and not self.failed:
                self.failed = True
                raise RemoteError(f"`{cmd[:20]}` failed on {runner.host} (injected).")
            return original(cmd, **kwargs)

        runner.run = run
        return runner


def test_a_failure_at_step_5_leaves_traffic_on_prod_and_a_rerun_skips_done_steps(world: World):
    _plan, failed = _run_on(world, factory=FailOnce("install -m 0644"))
    assert not failed.ok and "injected" in failed.error
    assert failed.failed_index == 4
    assert world.eip_instance() == world.seed.prod_instance_id
    first = world.service().status()
    assert not first.on and first.next_step and first.next_step.key == "install"
    assert "injected" in first.error

    _plan, resumed = _run_on(world, OnOptions(checklist_confirmed=True))
    assert resumed.ok, resumed.error
    assert resumed.states[:4] == [StepState.SKIPPED] * 4
    assert resumed.states[4:] == [StepState.DONE] * 4
    second = world.service().status()
    assert second.instance_id == first.instance_id  # no second instance was launched
    reservations = world.ec2().describe_instances(Filters=[
        {"Name": "tag:Purpose", "Values": ["maintenance"]}])["Reservations"]
    assert len([i for r in reservations for i in r["Instances"]]) == 1


def test_nginx_refusing_the_conf_stops_the_plan_with_its_error(world: World):
    _plan, failed = _run_on(world, factory=FailOnce("install -m 0644"))
    assert not failed.ok
    conf = world.state_dir / "maintenance" / "nginx" / "maintenance.conf"
    conf.write_text(conf.read_text().replace("return 503;", "return 503;\n        bogus on;"))
    _plan, refused = _run_on(world, OnOptions(checklist_confirmed=True))
    assert not refused.ok
    assert refused.failed_index == 6
    assert 'unknown directive "bogus"' in refused.error
    assert not (world.host.prefix / "conf" / "conf.d" / "maintenance.conf").exists()
    assert world.eip_instance() == world.seed.prod_instance_id


def test_switch_not_verified_moves_traffic_back_to_prod(world: World):
    # The domain is "verified" at prod's own nginx, which never shows the maintenance page.
    m = world.settings.maintenance
    wrong = dataclasses.replace(m, addresses={**m.addresses,
                                              "verify": f"127.0.0.1:{world.prod.tls_port}"})
    settings = dataclasses.replace(world.settings, maintenance=wrong)
    quick = Timing(verify_timeout=1.5, verify_interval=0.1, probe_timeout=2.0)
    plan = world.service(settings, timing=quick).plan_on(ON)
    result = execute(plan)
    assert not result.ok and result.failed_index == 7
    assert "moved back to prod" in result.error
    assert world.eip_instance() == world.seed.prod_instance_id
    assert not world.service().status().on


def test_on_refuses_until_the_checklist_is_confirmed(world: World):
    _plan, result = _run_on(world, OnOptions())
    assert not result.ok and result.failed_index == 0
    assert "checklist" in result.error


def test_off_stopping_the_host_lets_on_start_it_again_and_reuse_it(world: World):
    teardown = "stop"
    _plan, result = _run_on(world)
    assert result.ok, result.error
    instance = world.service().status().instance_id
    off = execute(world.service().plan_off(OffOptions(teardown=teardown)))
    assert off.ok, off.error
    state = world.ec2().describe_instances(InstanceIds=[instance])
    assert state["Reservations"][0]["Instances"][0]["State"]["Name"] == "stopped"
    _plan, again = _run_on(world, OnOptions(checklist_confirmed=True))
    assert again.ok, again.error
    assert world.service().status().instance_id == instance
    assert world.eip_instance() == instance


def test_after_a_terminate_teardown_a_failed_rerun_says_truly_where_it_resumes(world: World):
    from primetui.cli.maintenance import _status_line
    from primetui.ui.tabs.maintenance.tab import status_sentence

    _plan, result = _run_on(world)
    assert result.ok, result.error
    off = execute(world.service().plan_off(OffOptions(teardown="terminate")))
    assert off.ok, off.error
    # The page files stay, so the next run skips step 2: it must still count as done.
    _plan, failed = _run_on(world, OnOptions(checklist_confirmed=True),
                            factory=FailOnce("install -m 0644"))
    assert not failed.ok and failed.failed_index == 4
    assert failed.states[1] == StepState.SKIPPED
    status = world.service().status()
    assert [s.done for s in status.steps] == [True] * 4 + [False] * 4
    assert status.next_step and status.next_step.key == "install"
    install = "Install nginx and upload the page"
    assert install in _status_line(status) or "injected" in _status_line(status)
    assert "Write the maintenance page" not in _status_line(status)
    assert "Write the maintenance page" not in status_sentence(status, str)

    _plan, resumed = _run_on(world, OnOptions(checklist_confirmed=True))
    assert resumed.ok, resumed.error
    assert resumed.states[:4] == [StepState.SKIPPED] * 4
    final = world.service().status()
    assert final.on and all(step.done for step in final.steps) and final.next_step is None


def test_on_without_admin_cidr_refuses_in_one_sentence_naming_the_key(world: World):
    import pytest

    from primetui.errors import ConfigError

    m = dataclasses.replace(world.settings.maintenance, admin_cidr="")
    settings = dataclasses.replace(world.settings, maintenance=m)
    with pytest.raises(ConfigError, match=r"^maintenance\.admin_cidr is not set"):
        world.service(settings).plan_on(ON)


class _Echo:
    """A checkip-style echo on loopback answering `address` as plain text."""

    def __init__(self, address: str) -> None:
        import http.server
        import threading

        body = f"{address}\n".encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _preflight_with_echo(world: World, address: str):
    echo = _Echo(address)
    try:
        m = dataclasses.replace(world.settings.maintenance, public_ip_url=echo.url)
        settings = dataclasses.replace(world.settings, maintenance=m)
        plan = world.service(settings).plan_on(ON)
        plan.steps[1:] = []  # preflight only
        lines: list[str] = []
        result = execute(plan, lambda e: lines.append(e.text))
        return result, lines
    finally:
        echo.close()


def test_preflight_refuses_when_this_machine_connects_from_outside_admin_cidr(world: World):
    result, _lines = _preflight_with_echo(world, "198.51.100.7")
    assert not result.ok and result.failed_index == 0
    assert "198.51.100.7" in result.error and "outside maintenance.admin_cidr" in result.error


def test_preflight_passes_when_the_echoed_address_is_inside_admin_cidr(world: World):
    result, lines = _preflight_with_echo(world, "203.0.113.9")
    assert result.ok, result.error
    assert any("203.0.113.9" in line and "inside maintenance.admin_cidr" in line
               for line in lines)
    assert world.service().status().steps[0].done
