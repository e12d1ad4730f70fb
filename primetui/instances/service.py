"""EC2 and RDS instances: list them as frozen rows, show details, start and stop them as plans.

Every AWS call goes through `AwsService`, so failures are one sentence. RDS has no
"stopped" waiter, so both kinds are waited for by polling the state; a stopped RDS
instance is started again by AWS after 7 days, which the stop plan says with the date.
boto3 is never imported here: clients come from the injected `AwsService`.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from primetui.aws import AwsService
from primetui.config import InstanceSettings
from primetui.errors import AwsError, UsageError
from primetui.instances.model import (
    EC2,
    RDS,
    RDS_STOP_LIMIT,
    TARGET_STATE,
    Instance,
    InstanceDetails,
    Rule,
    SecurityGroup,
    Volume,
    is_protected,
    restart_notice,
    tag_dict,
)
from primetui.plans.plan import Plan, Step, StepContext

_LIVE_EC2 = ["pending", "running", "shutting-down", "stopping", "stopped"]
_DEAD = {"terminated", "shutting-down", "failed", "deleting", "deleted", "storage-full",
         "incompatible-parameters", "incompatible-restore", "inaccessible-encryption-credentials"}
_EVENT_WINDOW_MINUTES = 14 * 24 * 60  # RDS keeps events for 14 days
PAGE_SIZE = 100
"""EC2 instances per describe_instances answer, unless asked otherwise. botocore parses each
answer in one call that holds the GIL (150-200 ms for 1,000 instances), which freezes a
screen drawn by another thread; pages of 100 bound that to a few milliseconds."""


class InstanceNotFoundError(UsageError):
    """No instance has that name or id (or more than one has that name)."""


def _utc(value: Any) -> datetime | None:
    return value.astimezone(UTC) if isinstance(value, datetime) else None


class InstancesService:
    """Lists, describes, starts and stops the lab's EC2 and RDS instances."""

    def __init__(self, aws: AwsService, settings: InstanceSettings | None = None, *,
                 poll_interval: float = 5.0, rds_poll_interval: float = 15.0,
                 timeout: float = 900.0, rds_timeout: float = 2700.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.aws = aws
        self.settings = settings or InstanceSettings()
        self.poll_interval = {EC2: poll_interval, RDS: rds_poll_interval}
        self.timeout = {EC2: timeout, RDS: rds_timeout}
        self.now = now

    # ------------------------------------------------------------------ listing

    def list(self, *, page_size: int | None = PAGE_SIZE) -> list[Instance]:
        """Every EC2 instance (not terminated) and RDS DB instance, EC2 first, by name.

        `page_size`: EC2 instances per describe_instances answer (5-1000; see PAGE_SIZE), or
        None for answers as large as AWS makes them (no MaxResults, as the aws CLI asks: the
        fewest calls, for a command that draws nothing while it waits).
        """
        with ThreadPoolExecutor(max_workers=2) as pool:
            ec2 = pool.submit(self.ec2_instances, page_size=page_size)
            rds = pool.submit(self.rds_instances)
            return ec2.result() + rds.result()

    def ec2_instances(self, *, page_size: int | None = PAGE_SIZE) -> builtins.list[Instance]:
        """The EC2 instances, as rows sorted by name."""
        from primetui.aws import reading_answers
        from primetui.instances.listing_answer import OPERATION, read_listing_answer

        ec2 = self.aws.client("ec2")
        rows: list[Instance] = []
        # the rows' eight fields are read from the XML directly (see listing_answer.py)
        with self.aws.translating("ec2:DescribeInstances"), \
                reading_answers(OPERATION, read_listing_answer):
            # terminated instances are left out here rather than by a filter, which makes
            # the server check every instance (the aws CLI's describe-instances asks none)
            pages = ec2.get_paginator("describe_instances").paginate(
                PaginationConfig={"PageSize": page_size} if page_size else {})
            for page in pages:
                for reservation in page.get("Reservations", []):
                    owner = reservation.get("OwnerId", "")
                    rows.extend(self._ec2_row(i, owner) for i in reservation.get("Instances", [])
                                if i.get("State", {}).get("Name") in _LIVE_EC2)
        return sorted(rows, key=lambda i: (i.name.lower(), i.id))

    def _ec2_row(self, raw: dict[str, Any], owner: str) -> Instance:
        tags = tag_dict(raw.get("Tags"))
        iid = raw["InstanceId"]
        name = tags.get("Name") or iid
        state = raw.get("State", {}).get("Name", "unknown")
        return Instance(
            id=iid, name=name, kind=EC2, type=raw.get("InstanceType", ""), state=state,
            public_address=raw.get("PublicIpAddress"), private_address=raw.get("PrivateIpAddress"),
            running_since=_utc(raw.get("LaunchTime")) if state in ("running", "pending") else None,
            protected=self._protected(iid, name, tags), tags=tuple(sorted(tags.items())),
            arn=f"arn:aws:ec2:{self.aws.region}:{owner}:instance/{iid}" if owner else None)

    def rds_instances(self) -> builtins.list[Instance]:
        """The RDS DB instances, with start and automatic-restart times where AWS says them."""
        rds = self.aws.client("rds")
        raws: list[dict[str, Any]] = []
        with self.aws.translating("rds:DescribeDBInstances"):
            for page in rds.get_paginator("describe_db_instances").paginate():
                raws.extend(page.get("DBInstances", []))
        events = self._rds_events() if raws else {}
        rows = [self._rds_row(raw, events.get(raw["DBInstanceIdentifier"], {})) for raw in raws]
        return sorted(rows, key=lambda i: (i.name.lower(), i.id))

    def _rds_events(self) -> dict[str, dict[str, datetime]]:
        """The latest start and stop of each DB instance in the last 14 days (best effort)."""
        found: dict[str, dict[str, datetime]] = {}
        rds = self.aws.client("rds")
        try:
            with self.aws.translating("rds:DescribeEvents"):
                pages = rds.get_paginator("describe_events").paginate(
                    SourceType="db-instance", Duration=_EVENT_WINDOW_MINUTES)
                events = [e for page in pages for e in page.get("Events", [])]
        except AwsError:
            return found  # these facts are extras: the listing works without them
        for event in events:
            message = str(event.get("Message", "")).lower()
            kind = ("started" if "start" in message or "created" in message
                    else "stopped" if "stopped" in message else None)
            when = _utc(event.get("Date"))
            if kind and when:
                mine = found.setdefault(str(event.get("SourceIdentifier")), {})
                if kind not in mine or mine[kind] < when:
                    mine[kind] = when
        return found

    def _rds_row(self, raw: dict[str, Any], events: dict[str, datetime]) -> Instance:
        tags = tag_dict(raw.get("TagList"))
        ident = raw["DBInstanceIdentifier"]
        state = raw.get("DBInstanceStatus", "unknown")
        endpoint = raw.get("Endpoint") or {}
        address = f"{endpoint['Address']}:{endpoint.get('Port', '')}" if endpoint.get("Address") else None
        restart = _utc(raw.get("AutomaticRestartTime"))
        started, stopped = events.get("started"), events.get("stopped")
        if state == "stopped" and restart is None and stopped and (not started or stopped > started):
            restart = stopped + RDS_STOP_LIMIT
        running = started if state == "available" and (not stopped or started and started > stopped) else None
        return Instance(
            id=ident, name=ident, kind=RDS, type=raw.get("DBInstanceClass", ""), state=state,
            endpoint=address, running_since=running, protected=self._protected(ident, ident, tags),
            auto_restart=restart if state == "stopped" else None,
            tags=tuple(sorted(tags.items())), arn=raw.get("DBInstanceArn"))

    def _protected(self, iid: str, name: str, tags: dict[str, str]) -> bool:
        return is_protected(iid, name, tags, self.settings.protected, self.settings.protected_tags)

    def find(self, ref: str) -> Instance:
        """The instance with this id, or this name (exact, then ignoring case)."""
        rows = self.list()
        for same in (lambda i: ref in (i.id, i.name),
                     lambda i: ref.lower() in (i.id.lower(), i.name.lower())):
            matches = [i for i in rows if same(i)]
            if len(matches) == 1:
                return matches[0]
            if matches:
                ids = ", ".join(i.id for i in matches)
                raise InstanceNotFoundError(f"'{ref}' names {len(matches)} instances ({ids}): "
                                            f"use the instance id instead.")
        raise InstanceNotFoundError(f"No EC2 or RDS instance is named '{ref}' or has that id: "
                                    f"see 'primetui instances list'.")

    def state_of(self, instance: Instance) -> str:
        """The instance's current state, asked of AWS now."""
        if instance.kind == EC2:
            ec2 = self.aws.client("ec2")
            answer = self.aws.call("ec2:DescribeInstances", ec2.describe_instances,
                                   InstanceIds=[instance.id])
            found = [i for r in answer.get("Reservations", []) for i in r.get("Instances", [])]
            return found[0]["State"]["Name"] if found else "terminated"
        rds = self.aws.client("rds")
        answer = self.aws.call("rds:DescribeDBInstances", rds.describe_db_instances,
                               DBInstanceIdentifier=instance.id)
        return answer["DBInstances"][0]["DBInstanceStatus"]

    # ------------------------------------------------------------------ details

    def details(self, instance: Instance) -> InstanceDetails:
        """Tags, security groups with inbound rules, storage and launch time of one instance."""
        if instance.kind == EC2:
            ec2 = self.aws.client("ec2")
            answer = self.aws.call("ec2:DescribeInstances", ec2.describe_instances,
                                   InstanceIds=[instance.id])
            raw = answer["Reservations"][0]["Instances"][0]
            groups = self._groups([g["GroupId"] for g in raw.get("SecurityGroups", [])])
            extra: tuple[tuple[str, Any], ...] = (("AMI", raw.get("ImageId", "")), ("Subnet", raw.get("SubnetId", "")),
                     ("VPC", raw.get("VpcId", "")), ("Key pair", raw.get("KeyName", "")),
                     ("Zone", raw.get("Placement", {}).get("AvailabilityZone", "")))
            return InstanceDetails(instance=instance, launch_time=_utc(raw.get("LaunchTime")),
                                   security_groups=groups, volumes=self._volumes(raw),
                                   extra=tuple((k, v) for k, v in extra if v))
        rds = self.aws.client("rds")
        raw = self.aws.call("rds:DescribeDBInstances", rds.describe_db_instances,
                            DBInstanceIdentifier=instance.id)["DBInstances"][0]
        groups = self._groups([g["VpcSecurityGroupId"] for g in raw.get("VpcSecurityGroups", [])])
        storage = Volume(id=instance.id, device="storage", size_gib=raw.get("AllocatedStorage"),
                         type=raw.get("StorageType", ""), encrypted=raw.get("StorageEncrypted"))
        extra = (("Engine", f"{raw.get('Engine', '')} {raw.get('EngineVersion', '')}".strip()),
                 ("Zone", raw.get("AvailabilityZone", "")),
                 ("Multi-AZ", "yes" if raw.get("MultiAZ") else "no"),
                 ("Endpoint", instance.endpoint or ""))
        return InstanceDetails(instance=instance, launch_time=_utc(raw.get("InstanceCreateTime")),
                               security_groups=groups, volumes=(storage,),
                               extra=tuple((k, v) for k, v in extra if v))

    def _groups(self, ids: builtins.list[str]) -> tuple[SecurityGroup, ...]:
        if not ids:
            return ()
        ec2 = self.aws.client("ec2")
        answer = self.aws.call("ec2:DescribeSecurityGroups", ec2.describe_security_groups,
                               GroupIds=ids)
        return tuple(SecurityGroup(id=g["GroupId"], name=g.get("GroupName", ""),
                                   inbound=tuple(_rule(p) for p in g.get("IpPermissions", [])))
                     for g in answer.get("SecurityGroups", []))

    def _volumes(self, raw: dict[str, Any]) -> tuple[Volume, ...]:
        devices = {m["Ebs"]["VolumeId"]: m for m in raw.get("BlockDeviceMappings", []) if "Ebs" in m}
        if not devices:
            return ()
        ec2 = self.aws.client("ec2")
        answer = self.aws.call("ec2:DescribeVolumes", ec2.describe_volumes, VolumeIds=list(devices))
        return tuple(Volume(id=v["VolumeId"], device=devices[v["VolumeId"]].get("DeviceName", ""),
                            size_gib=v.get("Size"), type=v.get("VolumeType", ""),
                            encrypted=v.get("Encrypted"),
                            delete_on_termination=devices[v["VolumeId"]]["Ebs"].get("DeleteOnTermination"))
                     for v in answer.get("Volumes", []))

    # ------------------------------------------------------------------ plans

    def start_plan(self, instance: Instance, *, wait: bool = True) -> Plan:
        """Start the instance (and wait until it runs); nothing happens if it already runs."""
        return self._plan(instance, "start", wait)

    def stop_plan(self, instance: Instance, *, wait: bool = True) -> Plan:
        """Stop the instance (and wait until it is stopped); RDS: says when AWS restarts it."""
        return self._plan(instance, "stop", wait)

    @staticmethod
    def already(instance: Instance, action: str) -> str | None:
        """The sentence to show instead of a plan when it is already where `action` goes."""
        if not instance.in_state_for(action):
            return None
        return f"{instance.name} is already {TARGET_STATE[(instance.kind, action)]}; nothing to do."

    def restart_notice(self, instance: Instance) -> str | None:
        """For an RDS stop: the sentence about AWS starting it again after 7 days, with the date."""
        return restart_notice(self.now()) if instance.kind == RDS else None

    def _plan(self, instance: Instance, action: str, wait: bool) -> Plan:
        target = TARGET_STATE[(instance.kind, action)]
        moving = {"start": ("pending", "starting"), "stop": ("stopping",)}[action]
        call, title = self._action(instance, action)
        notice = self.restart_notice(instance) if action == "stop" else None

        def run(ctx: StepContext) -> None:
            call(ctx)
            if notice:
                ctx.emit(notice)

        steps = [Step(title=title, commands=[_command(instance, action)], run=run,
                      done=lambda: self.state_of(instance) in (target, *moving))]
        if wait:
            steps.append(Step(title=f"Wait until {instance.name} is {target}",
                              commands=[_wait_command(instance, target)],
                              run=lambda ctx: self._wait(instance, target, ctx),
                              done=lambda: self.state_of(instance) == target))
        return Plan(title=f"{action.capitalize()} {instance.kind} instance {instance.name}",
                    target=instance.name, steps=steps, action=f"instances.{action}",
                    confirm_name=instance.name if instance.protected else None)

    def _action(self, instance: Instance, action: str) -> tuple[Callable[[StepContext], None], str]:
        if instance.kind == EC2:
            api = "start_instances" if action == "start" else "stop_instances"
            iam = "ec2:StartInstances" if action == "start" else "ec2:StopInstances"

            def ec2_call(ctx: StepContext) -> None:
                answer = self.aws.call(iam, getattr(self.aws.client("ec2"), api),
                                       InstanceIds=[instance.id])
                key = "StartingInstances" if action == "start" else "StoppingInstances"
                for change in answer.get(key, []):
                    ctx.emit(f"{instance.name}: {change['PreviousState']['Name']} → "
                             f"{change['CurrentState']['Name']}")

            return ec2_call, f"{action.capitalize()} {instance.name} ({instance.id})"
        api = "start_db_instance" if action == "start" else "stop_db_instance"
        iam = "rds:StartDBInstance" if action == "start" else "rds:StopDBInstance"

        def rds_call(ctx: StepContext) -> None:
            answer = self.aws.call(iam, getattr(self.aws.client("rds"), api),
                                   DBInstanceIdentifier=instance.id)
            ctx.emit(f"{instance.name}: {answer['DBInstance'].get('DBInstanceStatus', '?')}")

        title = f"{action.capitalize()} {instance.name}"
        if action == "stop":
            when = (self.now() + RDS_STOP_LIMIT).astimezone()
            title += f" (AWS starts it again by itself after 7 days, on {when:%Y-%m-%d %H:%M %Z})"
        return rds_call, title

    def _wait(self, instance: Instance, target: str, ctx: StepContext) -> None:
        """Poll the state until it is `target`; report each change; give up after the timeout."""
        interval, timeout = self.poll_interval[instance.kind], self.timeout[instance.kind]
        deadline = time.monotonic() + timeout
        last = None
        while True:
            state = self.state_of(instance)
            if state != last:
                ctx.emit(f"{instance.name}: {state}")
                last = state
            if state == target:
                return
            if state in _DEAD:
                raise AwsError(f"{instance.name} went to '{state}' instead of '{target}'.")
            if time.monotonic() >= deadline:
                waited = f"{timeout / 60:.0f} minutes" if timeout >= 120 else f"{timeout:.0f} seconds"
                raise AwsError(f"{instance.name} is still '{state}' after {waited}; check "
                               f"again later with 'primetui instances list'.")
            pause_until = min(deadline, time.monotonic() + interval)
            while time.monotonic() < pause_until:
                ctx.check_cancelled()
                time.sleep(min(0.2, max(0.0, pause_until - time.monotonic())))


def _rule(permission: dict[str, Any]) -> Rule:
    protocol = str(permission.get("IpProtocol", "-1"))
    low, high = permission.get("FromPort"), permission.get("ToPort")
    ports = "all" if protocol == "-1" or low is None else str(low) if low == high else f"{low}-{high}"
    sources = ([r["CidrIp"] for r in permission.get("IpRanges", [])]
               + [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])]
               + [g["GroupId"] for g in permission.get("UserIdGroupPairs", []) if "GroupId" in g]
               + [p["PrefixListId"] for p in permission.get("PrefixListIds", [])])
    descriptions = [r.get("Description", "") for r in permission.get("IpRanges", [])]
    return Rule(protocol="all" if protocol == "-1" else protocol, ports=ports,
                sources=tuple(sources), description=next((d for d in descriptions if d), ""))


def _command(instance: Instance, action: str) -> str:
    if instance.kind == EC2:
        return f"aws ec2 {action}-instances --instance-ids {instance.id}"
    return f"aws rds {action}-db-instance --db-instance-identifier {instance.id}"


def _wait_command(instance: Instance, target: str) -> str:
    if instance.kind == EC2:
        return f"aws ec2 wait instance-{target} --instance-ids {instance.id}"
    if target == "available":
        return f"aws rds wait db-instance-available --db-instance-identifier {instance.id}"
    return (f"until [ \"$(aws rds describe-db-instances --db-instance-identifier {instance.id} "
            f"--query 'DBInstances[0].DBInstanceStatus' --output text)\" = {target} ]; "
            f"do sleep 15; done")
