"""The wizard's happy path, run once for the module: on (every step), then off with teardown.

moto plays AWS (the "t3.nano" it launches is fake: its SSH goes to the loopback sshd through
`addresses.maintenance`); the page is served by a real nginx the wizard started; the
front door follows the Elastic IP, so the domain is probed the way a visitor reaches it.
The tests run in file order: the last one turns maintenance off.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from primetui.maintenance.page import PageOptions
from primetui.maintenance.service import OffOptions, OnOptions
from primetui.maintenance.verify import fetch
from primetui.plans.plan import PlanResult, execute
from tests.fixtures.maintenance_world import DOMAIN, World, fresh_host, make_world

BACK = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
ON = OnOptions(page=PageOptions(message="Upgrading the database.", return_at=BACK,
                                contact="it@lab.example.edu"), checklist_confirmed=True)


@pytest.fixture(scope="module")
def switched_on(module_aws, sshd, prod_host, tmp_path_factory
                ) -> Iterator[tuple[World, PlanResult, float]]:
    """The wizard run once: (the world, how the run ended, when it started)."""
    with fresh_host() as host, make_world(module_aws, sshd, prod_host, host,
                                          tmp_path_factory.mktemp("state")) as world:
        started = time.time()
        result = execute(world.service().plan_on(ON))
        yield world, result, started


def test_on_serves_the_page_with_503_and_retry_after_and_moves_the_elastic_ip(switched_on):
    world, result, started = switched_on
    assert result.ok, result.error
    status = world.service().status()
    assert status.on and status.since is not None and status.since >= started
    assert status.instance_id and world.eip_instance() == status.instance_id
    assert all(step.done for step in status.steps) and status.next_step is None

    answer = fetch(DOMAIN, world.door.address, path="/some/deep/path?x=1")
    assert answer.status == 503 and answer.maintenance
    assert answer.retry_after == BACK.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert "Upgrading the database." in answer.body


def test_on_launches_a_tagged_t3_nano_with_prods_rules_and_ssh_from_the_lab_only(switched_on):
    world, result, _ = switched_on
    assert result.ok, result.error
    ec2 = world.ec2()
    iid = world.service().status().instance_id
    instance = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert instance["InstanceType"] == "t3.nano"  # moto's fake instance
    assert {"Key": "Purpose", "Value": "maintenance"} in instance["Tags"]
    group = ec2.describe_security_groups(
        GroupIds=[instance["SecurityGroups"][0]["GroupId"]])["SecurityGroups"][0]
    assert {p.get("FromPort") for p in group["IpPermissions"]} == {22, 80, 443}
    ssh = next(p for p in group["IpPermissions"] if p.get("FromPort") == 22)
    assert [r["CidrIp"] for r in ssh["IpRanges"]] == ["203.0.113.0/24"]


def test_copied_certificates_keep_their_symlinks_and_the_page_is_world_readable(switched_on):
    world, result, _ = switched_on
    assert result.ok, result.error
    live = world.host.root / "letsencrypt" / "live" / DOMAIN
    for name in ("cert", "chain", "fullchain", "privkey"):
        assert (live / f"{name}.pem").is_symlink()
        assert (live / f"{name}.pem").resolve().parent.name == DOMAIN
    assert (world.host.root / "letsencrypt" / "renewal" / f"{DOMAIN}.conf").is_file()
    page = world.host.root / "www" / "maintenance" / "index.html"
    assert page.stat().st_mode & 0o777 == 0o444  # a=rX


def test_a_second_on_skips_every_step_already_done(switched_on):
    world, result, _ = switched_on
    assert result.ok, result.error
    again = execute(world.service().plan_on(OnOptions(checklist_confirmed=True)))
    assert again.ok and {s.value for s in again.states} == {"already done"}


def test_off_moves_the_elastic_ip_back_prod_answers_and_the_host_is_removed(switched_on):
    world, result, _ = switched_on
    assert result.ok, result.error
    iid = world.service().status().instance_id
    off = execute(world.service().plan_off(OffOptions(teardown="terminate")))
    assert off.ok, off.error
    assert world.eip_instance() == world.seed.prod_instance_id
    answer = fetch(DOMAIN, world.door.address)
    assert answer.status == 200 and not answer.maintenance and "the real site" in answer.body
    ec2 = world.ec2()
    state = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert state["State"]["Name"] == "terminated"
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["primetui-maintenance"]}])["SecurityGroups"]
    assert groups == []
    status = world.service().status()
    assert not status.on and status.since is None and status.instance_id is None
    assert not status.started
