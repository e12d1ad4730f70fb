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
