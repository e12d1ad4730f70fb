"""The maintenance group's inbound rules: prod's, copied, with SSH limited to the lab's network.

Pure: takes EC2's IpPermissions as dicts and returns the rules to authorize and the diff
the wizard shows (lines starting "-" are prod's and not copied as they are, "+" are new).
"""

from __future__ import annotations

from typing import Any

SSH_PORT = 22


def _covers_ssh(permission: dict[str, Any]) -> bool:
    if str(permission.get("IpProtocol")) == "-1":
        return True
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return low is not None and high is not None and low <= SSH_PORT <= high


def _sources(permission: dict[str, Any]) -> list[str]:
    return ([r["CidrIp"] for r in permission.get("IpRanges", [])]
            + [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])]
            + [g["GroupId"] for g in permission.get("UserIdGroupPairs", []) if "GroupId" in g]
            + [p["PrefixListId"] for p in permission.get("PrefixListIds", [])])


def _ports(permission: dict[str, Any]) -> str:
    protocol = str(permission.get("IpProtocol", "-1"))
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if protocol == "-1":
        return "all traffic"
    return f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"


def admin_ranges(admin_cidr: str) -> dict[str, Any]:
    """The rule's source for the lab network: IpRanges for IPv4, Ipv6Ranges for IPv6."""
    if ":" in admin_cidr:
        return {"Ipv6Ranges": [{"CidrIpv6": admin_cidr,
                                "Description": "SSH from the lab network"}]}
    return {"IpRanges": [{"CidrIp": admin_cidr, "Description": "SSH from the lab network"}]}


def maintenance_permissions(prod: list[dict[str, Any]], admin_cidr: str,
                            ) -> tuple[list[dict[str, Any]], list[str]]:
    """Prod's inbound rules for the maintenance group, and the diff as lines.

    Rules are copied as they are, except that any rule letting SSH in is limited to
    `admin_cidr`; group references are dropped (the maintenance group is standalone).
    """
    rules: list[dict[str, Any]] = []
    diff: list[str] = []
    for p in prod:
        base: dict[str, Any] = {k: p[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in p}
        sources = ", ".join(_sources(p)) or "-"
        if _covers_ssh(p):
            rules.append({**base, **admin_ranges(admin_cidr)})
            if sources != admin_cidr:
                diff.append(f"- {_ports(p)} from {sources}")
                diff.append(f"+ {_ports(p)} from {admin_cidr} (SSH: the lab network only)")
            else:
                diff.append(f"  {_ports(p)} from {sources}")
            continue
        kept = {k: p[k] for k in ("IpRanges", "Ipv6Ranges", "PrefixListIds") if p.get(k)}
        if not kept:
            diff.append(f"- {_ports(p)} from {sources} (a group reference, not copied)")
            continue
        rules.append({**base, **kept})
        dropped = [g["GroupId"] for g in p.get("UserIdGroupPairs", []) if "GroupId" in g]
        diff.append(f"  {_ports(p)} from {', '.join(_sources({**base, **kept}))}")
        diff.extend(f"- {_ports(p)} from {g} (a group reference, not copied)" for g in dropped)
    if not any(_covers_ssh(r) for r in rules):
        rules.append({"IpProtocol": "tcp", "FromPort": SSH_PORT, "ToPort": SSH_PORT,
                      **admin_ranges(admin_cidr)})
        diff.append(f"+ tcp 22 from {admin_cidr} (SSH for the wizard)")
    return rules, diff
