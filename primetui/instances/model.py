"""EC2 and RDS instances and the schedules that switch them, as frozen rows; pure helpers.

The services turn boto3 answers into these; the Instances and Schedules tabs and the CLI
only ever see them. Also here: which states are transitions, which instances are protected,
reading the instances a schedule acts on from its target input, and diffing two listings
by id so a live table updates only the rows that changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from primetui.schedules.expressions import ScheduleRun
from primetui.schedules.iam_policy import RoleCheck

EC2, RDS = "EC2", "RDS"
RDS_STOP_LIMIT = timedelta(days=7)
"""AWS starts a stopped RDS instance again by itself after this long."""

TARGET_STATE = {(EC2, "start"): "running", (EC2, "stop"): "stopped",
                (RDS, "start"): "available", (RDS, "stop"): "stopped"}
TRANSITIONS = {"pending", "stopping", "shutting-down", "starting", "rebooting", "modifying",
               "backing-up", "configuring-enhanced-monitoring", "upgrading", "resetting-master-credentials",
               "renaming", "creating", "deleting", "storage-optimization"}
"""States that change by themselves soon: the table polls faster while one is shown."""


@dataclass(frozen=True)
class Instance:
    """One row of the Instances tab: an EC2 instance or an RDS DB instance."""

    id: str
    """The instance id (i-…) or the DB instance identifier."""
    name: str
    """The Name tag, or the id when there is none (RDS: the identifier)."""
    kind: str
    """EC2 or RDS."""
    type: str
    """Instance type (t3.medium) or DB instance class (db.t3.micro)."""
    state: str
    """AWS's state name: running, stopped, pending, available, stopping, …"""
    public_address: str | None = None
    private_address: str | None = None
    endpoint: str | None = None
    """RDS: host:port clients connect to."""
    running_since: datetime | None = None
    """When it last started (EC2 launch time, RDS start event), if running and known."""
    protected: bool = False
    """Starting or stopping asks for the name to be typed."""
    auto_restart: datetime | None = None
    """RDS, stopped: when AWS starts it again by itself."""
    tags: tuple[tuple[str, str], ...] = ()
    schedules: tuple[str, ...] = ()
    """group/name of the schedules that start or stop it."""
    scheduled_hours: float | None = None
    """Hours per week its start/stop schedules keep it running."""
    arn: str | None = None

    @property
    def transitioning(self) -> bool:
        """Whether the state is on its way somewhere (poll faster)."""
        return self.state in TRANSITIONS

    @property
    def address(self) -> str:
        """What the table shows in its address column."""
        if self.kind == RDS:
            return self.endpoint or ""
        return " / ".join(a for a in (self.public_address, self.private_address) if a)

    def in_state_for(self, action: str) -> bool:
        """Whether it is already where `action` (start or stop) would take it."""
        return self.state == TARGET_STATE[(self.kind, action)]


@dataclass(frozen=True)
class Rule:
    """One inbound rule of a security group."""

    protocol: str
    ports: str
    sources: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class SecurityGroup:
    """A security group with its inbound rules."""

    id: str
    name: str
    inbound: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Volume:
    """An EBS volume of an EC2 instance, or the storage of an RDS instance."""

    id: str
    device: str
    size_gib: int | None
    type: str
    encrypted: bool | None = None
    delete_on_termination: bool | None = None


@dataclass(frozen=True)
class InstanceDetails:
    """What `enter` shows: the row plus tags, security groups, storage and launch time."""

    instance: Instance
    launch_time: datetime | None
    security_groups: tuple[SecurityGroup, ...] = ()
    volumes: tuple[Volume, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    """Kind-specific facts (AMI, subnet, engine, availability zone, …)."""


def tag_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """AWS's [{Key, Value}] list as a dict."""
    return {str(t.get("Key")): str(t.get("Value", "")) for t in tags or () if "Key" in t}


def is_protected(instance_id: str, name: str, tags: Mapping[str, str],
                 protected: Iterable[str], protected_tags: Mapping[str, str]) -> bool:
    """Listed by name or id in the config, or carrying a protected tag (value case-insensitive)."""
    listed = set(protected)
    if instance_id in listed or name in listed:
        return True
    return any(str(tags.get(k, "")).lower() == str(v).lower() and k in tags
               for k, v in protected_tags.items())


def restart_notice(stopped_at: datetime) -> str:
    """What stopping an RDS instance must say: AWS starts it again after 7 days, and when."""
    when = (stopped_at + RDS_STOP_LIMIT).astimezone()
    return (f"AWS starts a stopped RDS instance again automatically after 7 days: "
            f"on {when:%a %Y-%m-%d %H:%M %Z} unless it is stopped again.")


@dataclass(frozen=True)
class RowDiff:
    """What changed between two listings, by id."""

    added: tuple[Instance, ...] = ()
    changed: tuple[Instance, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing to redraw."""
        return not (self.added or self.changed or self.removed)


def diff_rows(old: Mapping[str, Instance], new: Iterable[Instance]) -> RowDiff:
    """Rows to add, update and remove so a table showing `old` shows `new`."""
    fresh = {i.id: i for i in new}
    added = tuple(i for k, i in fresh.items() if k not in old)
    changed = tuple(i for k, i in fresh.items() if k in old and old[k] != i)
    removed = tuple(k for k in old if k not in fresh)
    return RowDiff(added, changed, removed)


# ---------------------------------------------------------------------------- schedules

UNIVERSAL_PREFIX = "arn:aws:scheduler:::aws-sdk:"
_EC2_KEYS = {"instanceids", "instance_ids", "instances", "instanceid", "instance_id", "ec2_instances"}
_RDS_KEYS = {"dbinstanceidentifier", "db_instance_identifier", "db_instances", "dbinstances",
             "db_instance", "rds_instances", "databases"}


@dataclass(frozen=True)
class TargetInfo:
    """What a schedule's target does, read from its ARN and input."""

    action: str
    """The IAM action the scheduler role needs (lambda:InvokeFunction, ec2:StopInstances, …)."""
    direction: str | None
    """start, stop, or None when it cannot be told."""
    ec2_ids: tuple[str, ...] = ()
    rds_ids: tuple[str, ...] = ()
    universal: bool = False

    @property
    def instances(self) -> tuple[str, ...]:
        """Every instance id or DB identifier the target acts on."""
        return self.ec2_ids + self.rds_ids


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def _direction(word: str) -> str | None:
    word = word.lower()
    if word == "on" or word.startswith(("start", "resume")):
        return "start"
    if word == "off" or word.startswith(("stop", "hibernate", "pause")):
        return "stop"
    return None


def target_info(arn: str, input_text: str | None) -> TargetInfo:
    """The action, direction and instances of a target (Lambda ARN or universal target)."""
    try:
        payload = json.loads(input_text) if input_text else {}
    except json.JSONDecodeError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    lowered = {str(k).lower(): v for k, v in payload.items()}
    ec2 = tuple(dict.fromkeys(v for k in _EC2_KEYS for v in _strings(lowered.get(k))))
    rds = tuple(dict.fromkeys(v for k in _RDS_KEYS for v in _strings(lowered.get(k))))
    if arn.startswith(UNIVERSAL_PREFIX):
        service, _, api = arn[len(UNIVERSAL_PREFIX):].partition(":")
        action = f"{service}:{api[:1].upper()}{api[1:]}"
        return TargetInfo(action=action, direction=_direction(api), ec2_ids=ec2, rds_ids=rds,
                          universal=True)
    if ":lambda:" in arn:
        word = str(lowered.get("action") or lowered.get("operation") or "")
        return TargetInfo(action="lambda:InvokeFunction", direction=_direction(word) if word else None,
                          ec2_ids=ec2, rds_ids=rds)
    service = arn.split(":")[2] if arn.count(":") >= 2 else "unknown"
    return TargetInfo(action=f"{service}:*", direction=None, ec2_ids=ec2, rds_ids=rds)


@dataclass(frozen=True)
class Schedule:
    """One row of the Schedules tab: an EventBridge Scheduler schedule."""

    name: str
    group: str
    expression: str
    timezone: str
    state: str
    """ENABLED or DISABLED."""
    target_arn: str
    role_arn: str
    target: TargetInfo
    arn: str = ""
    description: str = ""
    start_date: datetime | None = None
    end_date: datetime | None = None
    created: datetime | None = None
    next_runs: tuple[ScheduleRun, ...] = ()
    expression_error: str | None = None
    """Why the next runs could not be computed."""
    role_check: RoleCheck | None = None

    @property
    def key(self) -> str:
        """group/name: unique across groups."""
        return f"{self.group}/{self.name}"

    @property
    def enabled(self) -> bool:
        """Whether the schedule will fire."""
        return self.state.upper() == "ENABLED"

    def resources(self) -> list[str]:
        """The ARNs the execution role must be allowed to act on (IAM's Resource)."""
        parts = self.arn.split(":") if self.arn.count(":") >= 5 else []
        partition, region, account = (parts[1], parts[3], parts[4]) if parts else ("aws", "*", "*")
        if not self.target.universal:
            return [self.target_arn]
        service = self.target.action.split(":")[0]
        if service == "ec2" and self.target.ec2_ids:
            return [f"arn:{partition}:ec2:{region}:{account}:instance/{i}" for i in self.target.ec2_ids]
        if service == "rds" and self.target.rds_ids:
            return [f"arn:{partition}:rds:{region}:{account}:db:{i}" for i in self.target.rds_ids]
        return ["*"]

    def with_role_check(self, check: RoleCheck) -> Schedule:
        """A copy carrying its role check."""
        return replace(self, role_check=check)


@dataclass(frozen=True)
class PairRequest:
    """What the person asks for when creating a start/stop pair for one instance."""

    instance: Instance
    days: str = "MON-FRI"
    """Cron day-of-week field: MON-FRI, MON,WED,FRI, *, …"""
    start_time: str = "08:00"
    stop_time: str = "20:00"
    timezone: str = "UTC"
    role_arn: str = ""
    lambda_arn: str | None = None
    """Invoke this function; None uses the universal EC2/RDS target instead."""
    group: str = "default"
    prefix: str = field(default="")
    """Name prefix of the two schedules (default: the instance's name)."""


def attach_schedules(instances: Iterable[Instance], schedules: Iterable[Schedule],
                     hours: Mapping[str, float | None] | None = None) -> list[Instance]:
    """Each instance with the schedules acting on it (and its weekly scheduled hours)."""
    acting: dict[str, list[str]] = {}
    for s in schedules:
        for ref in s.target.instances:
            acting.setdefault(ref, []).append(s.key)
    hours = hours or {}
    return [replace(i, schedules=tuple(acting.get(i.id, ())),
                    scheduled_hours=hours.get(i.id, i.scheduled_hours)) for i in instances]
