"""Finding prod's EC2 instance, so `servers.<prod>.instance` need not be looked up by hand.

Candidates, most telling first: the instance holding an Elastic IP that the site's domain or
prod's host resolves to; an instance whose public or private address is prod's host; the only
instance holding an Elastic IP; an instance whose Name tag is the server's name or the domain.
Nothing is saved here: the caller shows what was found and asks before writing the config.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from primetui.aws import AwsService


@dataclass(frozen=True)
class Candidate:
    """One instance that may be prod, and why."""

    instance_id: str
    name: str
    public_ip: str
    private_ip: str
    reasons: tuple[str, ...]
    rank: int
    """Lower is more telling."""

    def describe(self) -> str:
        named = f" ({self.name})" if self.name else ""
        where = ", ".join(a for a in (self.public_ip, self.private_ip) if a) or "no address"
        return f"{self.instance_id}{named} at {where}: {'; '.join(self.reasons)}"


def _addresses(name: str) -> set[str]:
    """The addresses a host name or address stands for ({} when it does not resolve)."""
    if not name:
        return set()
    try:
        return {str(ipaddress.ip_address(name))}
    except ValueError:
        pass
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(name, None)}
    except (OSError, UnicodeError):
        return set()


def discover_prod(aws: AwsService, *, server: str, host: str, domain: str) -> list[Candidate]:
    """Instances that may be prod, most telling first (several when it cannot tell)."""
    ec2 = aws.client("ec2")
    described = aws.call("ec2:DescribeInstances", ec2.describe_instances, Filters=[
        {"Name": "instance-state-name",
         "Values": ["pending", "running", "stopping", "stopped"]}])
    instances: dict[str, dict[str, Any]] = {
        i["InstanceId"]: i for r in described.get("Reservations", []) for i in r["Instances"]}
    eips = aws.call("ec2:DescribeAddresses", ec2.describe_addresses).get("Addresses", [])
    held = {a["InstanceId"]: a for a in eips if a.get("InstanceId") in instances}
    site = _addresses(domain) | _addresses(host)
    host_ips = _addresses(host)
    found: dict[str, tuple[list[str], int]] = {}

    def add(iid: str, reason: str, rank: int) -> None:
        reasons, best = found.get(iid, ([], rank))
        reasons.append(reason)
        found[iid] = (reasons, min(best, rank))

    for iid, address in held.items():
        ip = address.get("PublicIp", "")
        if ip in site:
            add(iid, f"holds the Elastic IP {ip}, the site's address", 0)
        elif len(held) == 1:
            add(iid, f"holds the account's only Elastic IP in use, {ip}", 2)
    for iid, raw in instances.items():
        own = {raw.get("PublicIpAddress", ""), raw.get("PrivateIpAddress", "")} - {""}
        if own & host_ips:
            add(iid, f"its address {sorted(own & host_ips)[0]} is servers.{server}.host", 1)
        name = _name(raw)
        if name and name in (server, domain):
            add(iid, f"its Name tag is {name!r}", 3)
    return sorted((Candidate(iid, _name(instances[iid]),
                             instances[iid].get("PublicIpAddress", ""),
                             instances[iid].get("PrivateIpAddress", ""), tuple(reasons), rank)
                   for iid, (reasons, rank) in found.items()),
                  key=lambda c: (c.rank, -len(c.reasons), c.instance_id))


def _name(raw: dict[str, Any]) -> str:
    return next((t["Value"] for t in raw.get("Tags", []) if t.get("Key") == "Name"), "")


def save_instance(config: Path, server: str, instance_id: str, *, host: str | None = None,
                  context: str | None = None) -> bool:
    """Write servers.<server>.instance (and `host`, when given: a new [servers] table needs
    one) into the config keeping its comments and layout. In a `context` that has servers of
    its own, into that context's servers (never the top-level ones of another context).

    Returns False when tomlkit (the format-preserving TOML library, a dependency) cannot
    be imported: the caller then prints the line to add instead.
    """
    try:
        import tomlkit
    except ImportError:
        return False
    from primetui.config import parse_settings

    doc = tomlkit.parse(config.read_text(encoding="utf-8"))
    root: Any = doc
    contexts = doc.get("contexts")
    own = contexts.get(context) if context and isinstance(contexts, dict) else None
    if isinstance(own, dict) and "servers" in own:
        root = own
    servers = root.setdefault("servers", tomlkit.table(is_super_table=True))
    table = servers.get(server)
    if table is None:
        table = servers[server] = tomlkit.table()
    if host:
        table["host"] = host
    table["instance"] = instance_id
    text = tomlkit.dumps(doc)
    parse_settings(text, config)  # the edited file must still be a valid config
    tmp = config.with_name(f".{config.name}.tmp-{os.getpid()}")
    mode = config.stat().st_mode & 0o777
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, config)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
