"""The wizard with `maintenance.switch = "route53"`: the domain's A record moves, then moves back.

prod and the maintenance host are two real sshd servers on loopback (prod is the session's
`sshd`; the maintenance host gets its own). moto plays AWS and Route 53: a hosted zone holds
the domain's A record, first pointing at prod's public address. A front door on loopback
follows that A record (prod's address leads to prod's nginx, the maintenance instance's to
the nginx the wizard starts), so the switch and the switch back are verified the way a
visitor reaches the domain. The tests run in file order: the last one turns maintenance off.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from primetui.aws import AwsService
from primetui.config import AwsSettings, CertificateSettings, MaintenanceSettings, Settings
from primetui.maintenance.page import PageOptions
from primetui.maintenance.service import OffOptions, OnOptions
from primetui.maintenance.verify import fetch
from primetui.plans.plan import PlanResult, execute
from primetui.sandbox.front_door import FrontDoor, Route, start_front_door
from primetui.sandbox.seed import ADMIN_CIDR, seed_lab_account
from primetui.sandbox.sshd import SshdService
from tests.fixtures.maintenance_world import DOMAIN, World, fresh_host, server_settings
from tests.fixtures.sshd import private_sshd

TTL = 60
BACK = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
ON = OnOptions(page=PageOptions(message="Moving the lab to new storage.", return_at=BACK,
                                contact="it@lab.example.edu"), checklist_confirmed=True)


@pytest.fixture(scope="module")
def maintenance_sshd() -> Iterator[SshdService]:
    """A second private sshd on loopback, standing in for the maintenance instance's SSH."""
    with private_sshd("primetui-maint-sshd-") as service:
        yield service


def a_record(aws: AwsSettings, zone_id: str) -> tuple[str | None, int | None]:
    """The domain's A record in the fake Route 53, read directly: (its value, its TTL)."""
    r53 = AwsService(aws).client("route53")
    for rs in r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]:
        if rs["Name"].rstrip(".") == DOMAIN and rs["Type"] == "A":
            return rs["ResourceRecords"][0]["Value"], rs.get("TTL")
    return None, None


def record_route(aws: AwsSettings, zone_id: str, prod_ip: str, prod: tuple[str, int],
                 maintenance: tuple[str, int]) -> Route:
    """Where the domain's A record leads now: prod's nginx for prod's address, else the
    maintenance host's (any other address is the instance the wizard launched)."""

    def route() -> tuple[str, int] | None:
        value, _ = a_record(aws, zone_id)
        if value is None:
            return None
        return prod if value == prod_ip else maintenance

    return route


def make_zone(aws: AwsSettings, prod_ip: str) -> str:
    """A hosted zone whose A record for the domain points at prod, with a short TTL."""
    r53 = AwsService(aws).client("route53")
    zone = r53.create_hosted_zone(Name="example.test.", CallerReference="primetui-route53-test")
    zone_id = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
        "Action": "CREATE", "ResourceRecordSet": {
            "Name": f"{DOMAIN}.", "Type": "A", "TTL": TTL,
            "ResourceRecords": [{"Value": prod_ip}]}}]})
    return zone_id


@dataclasses.dataclass
class Route53World:
    """The shared World plus the hosted zone the switch edits."""

    world: World
    zone_id: str
    prod_ip: str
    door: FrontDoor

    def record(self) -> tuple[str | None, int | None]:
        """The domain's A record now."""
        return a_record(self.world.settings.aws, self.zone_id)


@contextlib.contextmanager
def route53_world(aws: AwsSettings, prod_sshd: SshdService, maint_sshd: SshdService,
                  prod, host, state_dir: Path) -> Iterator[Route53World]:
    """Seeded account, a zone on prod, prod and maintenance on two sshds, a door on the record."""
    seed = seed_lab_account(aws.endpoint_url or "", aws.region)
    zone_id = make_zone(aws, seed.public_ip)
    door = start_front_door(record_route(aws, zone_id, seed.public_ip,
                                         ("127.0.0.1", prod.tls_port),
                                         ("127.0.0.1", host.https_port)))
    addresses = {**host.addresses(), "maintenance": f"127.0.0.1:{maint_sshd.port}",
                 "verify": door.address}
    maintenance = dataclasses.replace(
        MaintenanceSettings(domain=DOMAIN, prod="prod", admin_cidr=ADMIN_CIDR,
                            contact="it@lab.example.edu", addresses=addresses),
        switch="route53", hosted_zone_id=zone_id)
    settings = Settings(
        aws=aws,
        servers={"prod": server_settings(prod_sshd, prod.paths(), seed.prod_instance_id),
                 "maintenance": server_settings(maint_sshd, host.paths())},
        certificates=CertificateSettings(ca_file=prod.ca_file), maintenance=maintenance)
    try:
        yield Route53World(World(seed, settings, door, host, prod, state_dir), zone_id,
                           seed.public_ip, door)
    finally:
        door.stop()


@pytest.fixture(scope="module")
def switched_on(module_aws, sshd, maintenance_sshd, prod_host, tmp_path_factory
                ) -> Iterator[tuple[Route53World, PlanResult]]:
    """The wizard run once with the Route 53 switch: (the world, how the run ended)."""
    with fresh_host() as host, route53_world(module_aws, sshd, maintenance_sshd, prod_host,
                                             host, tmp_path_factory.mktemp("state")) as r53:
        yield r53, execute(r53.world.service().plan_on(ON))


def test_on_points_the_a_record_at_the_maintenance_host_and_warns_about_the_ttl(switched_on):
    r53, result = switched_on
    assert result.ok, result.error
    servers = r53.world.settings.servers
    assert servers["prod"].port != servers["maintenance"].port  # two SSH hosts, two keys
    status = r53.world.service().status()
    assert status.on and status.switch == "route53"
    assert status.public_ip and status.public_ip != r53.prod_ip
    assert r53.record() == (status.public_ip, TTL)  # the TTL is kept
    assert any(f"Route 53 TTL is {TTL} s" in line for line in result.output), result.output
    assert r53.world.eip_instance() == r53.world.seed.prod_instance_id  # the EIP is untouched

    answer = fetch(DOMAIN, r53.door.address, path="/any/page")
    assert answer.status == 503 and answer.maintenance
    assert "Moving the lab to new storage." in answer.body


def test_off_points_the_a_record_back_at_prod_and_prod_answers(switched_on):
    r53, result = switched_on
    assert result.ok, result.error
    off = execute(r53.world.service().plan_off(OffOptions(teardown="terminate")))
    assert off.ok, off.error
    assert r53.record() == (r53.prod_ip, TTL)
    answer = fetch(DOMAIN, r53.door.address)
    assert answer.status == 200 and not answer.maintenance and "the real site" in answer.body
    assert not r53.world.service().status().on
