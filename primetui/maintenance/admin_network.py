"""Whether this machine's SSH will be let in by the maintenance host's security group.

The group lets port 22 in only from `maintenance.admin_cidr`. Preflight checks that the
address this machine connects from is inside it: when the route to prod leaves from a
public address, that is the one AWS sees; otherwise only an echo service can say (asked
only when `maintenance.public_ip_url` is set), and without one the wizard warns instead.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class AdminNetworkCheck:
    """The answer: inside (True), outside (False) or unknown (None), and one sentence."""

    inside: bool | None
    message: str


def local_source_address(host: str, port: int = 22) -> str | None:
    """The local address the route to `host` leaves from (no packet is sent), or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except OSError:
        return None
    for family, kind, proto, _name, address in infos:
        try:
            with socket.socket(family, kind, proto) as probe:
                probe.connect(address)
                return str(probe.getsockname()[0])
        except OSError:
            continue
    return None


def echoed_address(url: str, timeout: float) -> str:
    """The public address an echo service (checkip-style: the address as text) reports."""
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - the user's URL
        text = answer.read(200).decode("ascii", errors="replace").strip()
    return str(ipaddress.ip_address(text.split()[0] if text else ""))


def check_admin_network(admin_cidr: str, prod_host: str, echo_url: str = "",
                        timeout: float = 5.0) -> AdminNetworkCheck:
    """Whether the address this machine connects from is inside `admin_cidr`, if it can tell."""
    network = ipaddress.ip_network(admin_cidr, strict=False)
    risk = (f"if this machine is outside {admin_cidr}, the maintenance host's security group "
            f"refuses its SSH and step 5 fails with a timeout")
    seen, how = None, ""
    local = local_source_address(prod_host)
    if local is not None and ipaddress.ip_address(local).is_global:
        seen, how = local, "this machine's own public address"
    elif echo_url:
        try:
            seen, how = echoed_address(echo_url, timeout), f"as {echo_url} sees it"
        except (OSError, ValueError) as err:
            return AdminNetworkCheck(None, f"Could not ask {echo_url} for this machine's "
                                           f"public address ({err}): {risk}.")
    if seen is None:
        return AdminNetworkCheck(None, f"Cannot tell which public address this machine "
                                       f"connects from (set maintenance.public_ip_url, e.g. "
                                       f"\"https://checkip.amazonaws.com\", to ask): {risk}.")
    address = ipaddress.ip_address(seen)
    if address.version == network.version and address in network:
        return AdminNetworkCheck(True, f"This machine connects from {seen} ({how}), inside "
                                       f"maintenance.admin_cidr {admin_cidr}.")
    return AdminNetworkCheck(False, f"This machine connects from {seen} ({how}), outside "
                                    f"maintenance.admin_cidr {admin_cidr}: the maintenance "
                                    f"host would refuse its SSH. Set admin_cidr to the lab "
                                    f"network this machine is on, or run from that network.")
