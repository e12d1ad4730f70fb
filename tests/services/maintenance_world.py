"""The maintenance wizard's test world: prod and a maintenance host on one real sshd, real nginx.

prod is the sshd's user with its own paths: a certbot-shaped lineage for the domain and a
private nginx serving the domain over TLS. The maintenance host is a second set of paths
on the same sshd (another home, letsencrypt dir and nginx prefix): nginx installed, not
started until the wizard starts it. The "t3.nano" the wizard launches exists only in moto;
`addresses.maintenance` sends its SSH to the loopback host instead. A front door on
loopback follows the Elastic IP in moto, so the switch is verified for real.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from primetui.aws import AwsService
from primetui.config import (
    AwsSettings,
    CertificateSettings,
    MaintenanceSettings,
    ServerSettings,
    Settings,
)
from primetui.maintenance.service import MaintenanceService, Timing, ssh_factory
from primetui.sandbox.front_door import FrontDoor, elastic_ip_route, start_front_door
from primetui.sandbox.maintenance_host import (
    MaintenanceHost,
    make_lineage,
    prepare_maintenance_host,
)
from primetui.sandbox.moto import MotoServer, dummy_aws_env
from primetui.sandbox.nginx import NginxService, start_nginx, tls_site
from primetui.sandbox.seed import ADMIN_CIDR, SeedResult, seed_lab_account
from primetui.sandbox.sshd import SshdService
from primetui.sandbox.tls import cert_pem
from primetui.sandbox.tools import find_binary, free_port
from tests.fixtures.common import require_binary

DOMAIN = "prime.example.test"
FAST = Timing(verify_timeout=6.0, verify_interval=0.1, probe_timeout=3.0)


@dataclass
class Prod:
    """The prod stand-in: its paths, its nginx serving the domain over TLS, the CA file."""

    root: Path
    nginx: NginxService
    tls_port: int
    ca_file: Path

    @property
    def letsencrypt(self) -> Path:
        return self.root / "letsencrypt"

    def paths(self) -> dict[str, str]:
        return {"root": str(self.root), "letsencrypt": str(self.letsencrypt),
                "home": str(self.root / "home"), "nginx_prefix": str(self.nginx.prefix),
                "webroot": str(self.nginx.webroot), "www_root": str(self.root / "www")}


@pytest.fixture(scope="module")
def prod_host() -> Iterator[Prod]:
    """prod's certificates (live/ links into archive/) and its nginx serving the domain."""
    require_binary(find_binary("nginx") or "nginx")
    root = Path(tempfile.mkdtemp(prefix="primetui-prod-"))
    root.chmod(0o755)
    try:
        for d in ("home", "www"):
            (root / d).mkdir(mode=0o755)
        (root / "www" / "index.html").write_text("<h1>prime</h1><p>the real site</p>\n")
        ca_key, ca_cert = make_lineage(root / "letsencrypt", DOMAIN)
        ca_file = root / "ca.pem"
        ca_file.write_bytes(cert_pem(ca_cert))
        nginx = start_nginx(root / "nginx")
        try:
            port = free_port()
            nginx.write_site("prime-prod", tls_site(
                port=port, domain=DOMAIN, live=root / "letsencrypt" / "live" / DOMAIN,
                root=root / "www", webroot=nginx.webroot))
            nginx.reload()
            yield Prod(root, nginx, port, ca_file)
        finally:
            nginx.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def fresh_host() -> Iterator[MaintenanceHost]:
    """A maintenance host in a new directory; the nginx the wizard starts there is stopped."""
    require_binary(find_binary("nginx") or "nginx")
    root = Path(tempfile.mkdtemp(prefix="primetui-maint-"))
    root.chmod(0o755)
    host = prepare_maintenance_host(root)
    try:
        yield host
    finally:
        host.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def maintenance_host() -> Iterator[MaintenanceHost]:
    """A fresh maintenance host per test."""
    with fresh_host() as host:
        yield host


@dataclass
class World:
    """Everything one test needs: the seeded account, the settings, the front door."""

    seed: SeedResult
    settings: Settings
    door: FrontDoor
    host: MaintenanceHost
    prod: Prod
    state_dir: Path

    def service(self, settings: Settings | None = None, factory=None,
                timing: Timing = FAST) -> MaintenanceService:
        settings = settings or self.settings
        return MaintenanceService(settings, AwsService(settings.aws),
                                  factory or ssh_factory(None), self.state_dir, timing=timing,
                                  poll_interval=0.05, aws_timeout=20.0)

    def ec2(self):
        return AwsService(self.settings.aws).client("ec2")

    def eip_instance(self) -> str | None:
        found = self.ec2().describe_addresses(AllocationIds=[self.seed.allocation_id])
        return found["Addresses"][0].get("InstanceId")


def server_settings(sshd: SshdService, paths: dict[str, str], instance: str | None = None) -> ServerSettings:
    return ServerSettings(host=sshd.host, port=sshd.port, user=getpass.getuser(),
                          key=sshd.client_key, known_hosts=sshd.known_hosts, profile="sandbox",
                          sudo=False, instance=instance, paths=paths, connect_timeout=5.0,
                          command_timeout=30.0)


@contextlib.contextmanager
def make_world(aws_settings: AwsSettings, sshd: SshdService, prod: Prod,
               host: MaintenanceHost, state_dir: Path) -> Iterator[World]:
    """A seeded lab account, prod and maintenance reachable, the front door on the EIP."""
    seed = seed_lab_account(aws_settings.endpoint_url or "", aws_settings.region)
    ec2 = AwsService(aws_settings).client("ec2")
    door = start_front_door(elastic_ip_route(
        ec2, seed.allocation_id, seed.prod_instance_id,
        ("127.0.0.1", prod.tls_port), ("127.0.0.1", host.https_port)))
    addresses = {**host.addresses(), "maintenance": f"127.0.0.1:{sshd.port}",
                 "verify": door.address}
    settings = Settings(
        aws=aws_settings,
        servers={"prod": server_settings(sshd, prod.paths(), seed.prod_instance_id),
                 "maintenance": server_settings(sshd, host.paths())},
        certificates=CertificateSettings(ca_file=prod.ca_file),
        maintenance=MaintenanceSettings(domain=DOMAIN, prod="prod", admin_cidr=ADMIN_CIDR,
                                        contact="it@lab.example.edu", addresses=addresses))
    try:
        yield World(seed, settings, door, host, prod, state_dir)
    finally:
        door.stop()


@pytest.fixture
def world(aws_settings: AwsSettings, sshd: SshdService, prod_host: Prod,
          maintenance_host: MaintenanceHost, tmp_path: Path) -> Iterator[World]:
    """A fresh world per test (moto is reset after it by `aws_env`)."""
    with make_world(aws_settings, sshd, prod_host, maintenance_host, tmp_path / "state") as w:
        yield w


@pytest.fixture(scope="module")
def module_aws(moto_server: MotoServer, tmp_path_factory) -> Iterator[AwsSettings]:
    """`aws_settings` for a whole module: moto with dummy keys, reset when the module ends."""
    home = tmp_path_factory.mktemp("aws")
    (home / "empty").write_text("")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                mp.delenv(name)
        env = dummy_aws_env(moto_server.endpoint_url, "us-east-2")
        env |= {"AWS_CONFIG_FILE": str(home / "empty"),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / "empty")}
        for name, value in env.items():
            mp.setenv(name, value)
        try:
            yield AwsSettings(endpoint_url=moto_server.endpoint_url, region="us-east-2")
        finally:
            moto_server.reset()
