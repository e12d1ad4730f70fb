"""`[maintenance]` settings: the admin network must be a real CIDR, and is needed for `on`."""

from __future__ import annotations

from pathlib import Path

import pytest

from primetui.config import parse_settings
from primetui.errors import ConfigError
from primetui.maintenance.admin_network import check_admin_network

FILE = Path("/etc/primetui.toml")


def _load(cidr: str):
    return parse_settings(f'[maintenance]\ndomain = "prime.example.test"\n'
                          f'admin_cidr = "{cidr}"\n', FILE)


@pytest.mark.parametrize("cidr", ["the lab", "203.0.113.0/33", "2001:db8::/129", "10.0.0.0/x"])
def test_an_admin_cidr_that_is_not_a_network_fails_the_config_load(cidr):
    with pytest.raises(ConfigError, match="maintenance.admin_cidr: expected a network in CIDR"):
        _load(cidr)


def test_an_admin_cidr_with_host_bits_names_the_network_meant():
    with pytest.raises(ConfigError, match='host bits set; the network is "203.0.113.0/24"'):
        _load("203.0.113.7/24")


@pytest.mark.parametrize("cidr", ["203.0.113.0/24", "198.51.100.7/32", "2001:db8:42::/48"])
def test_ipv4_and_ipv6_networks_are_accepted(cidr):
    assert _load(cidr).maintenance.admin_cidr == cidr


def test_admin_cidr_has_no_default():
    loaded = parse_settings('[maintenance]\ndomain = "prime.example.test"\n', FILE)
    assert loaded.maintenance.admin_cidr == ""


def test_without_an_echo_service_the_check_warns_and_names_the_risk():
    # The route to loopback leaves from 127.0.0.1: not the address AWS would see.
    found = check_admin_network("203.0.113.0/24", "127.0.0.1")
    assert found.inside is None
    assert "maintenance.public_ip_url" in found.message and "step 5 fails" in found.message


TEMPLATE = ('[servers.prod]\nhost = "203.0.113.10"\ninstance = "i-0123456789abcdef0"\n'
            '[servers.maintenance]\nuser = "ec2-user"\nprofile = "al2023"\n')


def test_the_maintenance_template_needs_no_host():
    loaded = parse_settings(TEMPLATE + '[maintenance]\ndomain = "prime.example.test"\n', FILE)
    assert loaded.servers["maintenance"].host == ""


def test_another_server_without_host_is_still_refused():
    with pytest.raises(ConfigError, match="servers.web.host"):
        parse_settings(TEMPLATE + '[servers.web]\nuser = "ubuntu"\n', FILE)


def test_a_template_port_that_a_new_instance_cannot_answer_on_is_refused_clearly():
    text = TEMPLATE + 'port = 2222\n[maintenance]\ndomain = "prime.example.test"\n'
    with pytest.raises(ConfigError, match=r"servers.maintenance.port: a new maintenance "
                                          r"instance's sshd listens on 22"):
        parse_settings(text, FILE)
    routed = text + 'addresses = { maintenance = "10.0.0.12:2222" }\n'
    assert parse_settings(routed, FILE).servers["maintenance"].port == 2222


def test_the_verification_wait_is_a_setting(tmp_path):
    from primetui.aws import AwsService
    from primetui.maintenance.service import MaintenanceService

    loaded = parse_settings('[maintenance]\ndomain = "prime.example.test"\n'
                            'verify_timeout = 300\n', FILE)
    service = MaintenanceService(loaded, AwsService(loaded.aws), lambda *a: None, tmp_path)
    assert service.timing.verify_timeout == 300.0
    default = parse_settings('[maintenance]\ndomain = "prime.example.test"\n', FILE)
    assert MaintenanceService(default, AwsService(default.aws), lambda *a: None,
                              tmp_path).timing.verify_timeout == 120.0


def _context(addresses: str, tmp_path):
    from primetui.maintenance.context import Timing, WizardContext
    from primetui.maintenance.progress import WizardState

    loaded = parse_settings(f'[maintenance]\ndomain = "prime.example.test"\n'
                            f'addresses = {{ {addresses} }}\n', FILE)
    state = WizardState(tmp_path / "m.toml", resources={"public_ip": "198.51.100.20"})
    return WizardContext(loaded, state, None, None, tmp_path, Timing())  # type: ignore[arg-type]


def test_one_https_port_is_enough_for_the_probe_and_the_verification(tmp_path):
    ctx = _context('listen_https = "8443"', tmp_path)
    assert ctx.maintenance_https() == "198.51.100.20:8443"
    assert ctx.verify_address() == "prime.example.test:8443"


def test_a_listen_address_is_where_the_host_is_probed(tmp_path):
    ctx = _context('listen_https = "127.0.0.1:9443"', tmp_path)
    assert ctx.maintenance_https() == "127.0.0.1:9443"
    plain = _context('listen_http = "8080"', tmp_path)
    assert plain.maintenance_https() == "198.51.100.20:443"
    assert plain.verify_address() == "prime.example.test:443"
