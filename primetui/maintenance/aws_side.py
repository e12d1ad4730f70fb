"""The wizard's AWS side: prod's facts, the maintenance group, key pair, AMI, instance, switch.

Every call goes through the injected `AwsService`, so failures are one sentence. boto3 is
never imported here. Waiting polls with an injected interval and deadline, checking for
cancellation between polls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from primetui.aws import AwsService
from primetui.errors import AwsError, PrimeError

AL2023_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
AL2023_NAME = "al2023-ami-2023.*-kernel-*-x86_64"
GROUP_NAME = "primetui-maintenance"
INSTANCE_NAME = "prime-maintenance"


@dataclass(frozen=True)
class ProdFacts:
    """What the wizard needs to know about the prod instance."""

    instance_id: str
    vpc_id: str | None
    subnet_id: str | None
    group_ids: tuple[str, ...]
    public_ip: str | None
    allocation_id: str | None
    """The Elastic IP associated with prod, if any."""


def tags(domain: str, name: str) -> list[dict[str, str]]:
    """The tags on everything the wizard creates (how it finds them again)."""
    return [{"Key": "Name", "Value": name}, {"Key": "Purpose", "Value": "maintenance"},
            {"Key": "ManagedBy", "Value": "primetui"},
            {"Key": "primetui:maintenance", "Value": domain}]


class MaintenanceAws:
    """The AWS calls of the wizard, each one explained as a sentence when it fails."""

    def __init__(self, aws: AwsService, *, poll_interval: float = 5.0,
                 timeout: float = 900.0) -> None:
        self.aws = aws
        self.poll_interval = poll_interval
        self.timeout = timeout

    @property
    def ec2(self) -> Any:
        """The EC2 client."""
        return self.aws.client("ec2")

    # -- prod --------------------------------------------------------------------------

    def prod_facts(self, instance_id: str) -> ProdFacts:
        """Prod's network, groups, address and Elastic IP."""
        raw = self.instance(instance_id)
        if raw is None:
            raise AwsError(f"The prod instance {instance_id} does not exist in "
                           f"{self.aws.region}; check servers.prod.instance.")
        found = self.aws.call("ec2:DescribeAddresses", self.ec2.describe_addresses,
                              Filters=[{"Name": "instance-id", "Values": [instance_id]}])
        addresses = found.get("Addresses", [])
        return ProdFacts(instance_id, raw.get("VpcId"), raw.get("SubnetId"),
                         tuple(g["GroupId"] for g in raw.get("SecurityGroups", [])),
                         raw.get("PublicIpAddress"),
                         addresses[0].get("AllocationId") if addresses else None)

    def inbound(self, group_ids: tuple[str, ...]) -> list[dict[str, Any]]:
        """Every inbound rule of these groups."""
        if not group_ids:
            return []
        answer = self.aws.call("ec2:DescribeSecurityGroups", self.ec2.describe_security_groups,
                               GroupIds=list(group_ids))
        return [p for g in answer.get("SecurityGroups", []) for p in g.get("IpPermissions", [])]

    # -- security group ----------------------------------------------------------------

    def find_group(self, vpc_id: str | None) -> str | None:
        """The maintenance group's id in this VPC, if it exists."""
        filters = [{"Name": "group-name", "Values": [GROUP_NAME]}]
        if vpc_id:
            filters.append({"Name": "vpc-id", "Values": [vpc_id]})
        answer = self.aws.call("ec2:DescribeSecurityGroups", self.ec2.describe_security_groups,
                               Filters=filters)
        groups = answer.get("SecurityGroups", [])
        return groups[0]["GroupId"] if groups else None

    def create_group(self, vpc_id: str | None, domain: str,
                     permissions: list[dict[str, Any]]) -> str:
        """Create the maintenance group with these inbound rules; returns its id."""
        kwargs: dict[str, Any] = {"VpcId": vpc_id} if vpc_id else {}
        group = self.aws.call(
            "ec2:CreateSecurityGroup", self.ec2.create_security_group, GroupName=GROUP_NAME,
            Description=f"Maintenance page for {domain} (primetui)",
            TagSpecifications=[{"ResourceType": "security-group",
                                "Tags": tags(domain, GROUP_NAME)}], **kwargs)["GroupId"]
        try:
            self.aws.call("ec2:AuthorizeSecurityGroupIngress",
                          self.ec2.authorize_security_group_ingress, GroupId=group,
                          IpPermissions=permissions)
        except PrimeError:
            self.delete_group(group)
            raise
        return group

    def delete_group(self, group_id: str) -> None:
        """Delete the maintenance group (gone already is fine)."""
        try:
            self.aws.call("ec2:DeleteSecurityGroup", self.ec2.delete_security_group,
                          GroupId=group_id)
        except AwsError as err:
            if getattr(err, "code", "") != "InvalidGroup.NotFound":
                raise

    # -- key pair and image ------------------------------------------------------------

    def create_key(self, name: str, domain: str) -> str:
        """Create a key pair; returns its private key material (shown to nobody)."""
        answer = self.aws.call("ec2:CreateKeyPair", self.ec2.create_key_pair, KeyName=name,
                               KeyType="ed25519", TagSpecifications=[
                                   {"ResourceType": "key-pair", "Tags": tags(domain, name)}])
        return str(answer["KeyMaterial"])

    def import_key(self, name: str, public_key: bytes, domain: str) -> None:
        """Register an existing public key as the key pair `name`."""
        self.aws.call("ec2:ImportKeyPair", self.ec2.import_key_pair, KeyName=name,
                      PublicKeyMaterial=public_key, TagSpecifications=[
                          {"ResourceType": "key-pair", "Tags": tags(domain, name)}])

    def key_exists(self, name: str) -> bool:
        """Whether the key pair `name` exists."""
        answer = self.aws.call("ec2:DescribeKeyPairs", self.ec2.describe_key_pairs,
                               Filters=[{"Name": "key-name", "Values": [name]}])
        return bool(answer.get("KeyPairs"))

    def delete_key(self, name: str) -> None:
        """Delete the key pair `name` (gone already is fine)."""
        self.aws.call("ec2:DeleteKeyPair", self.ec2.delete_key_pair, KeyName=name)

    def latest_al2023(self) -> tuple[str, str]:
        """The newest Amazon Linux 2023 AMI: (image id, where it came from)."""
        ssm = self.aws.client("ssm")
        try:
            answer = self.aws.call("ssm:GetParameter", ssm.get_parameter, Name=AL2023_PARAMETER)
            return str(answer["Parameter"]["Value"]), f"SSM parameter {AL2023_PARAMETER}"
        except AwsError:
            pass  # no ssm:GetParameter permission, or no such parameter: ask EC2 instead
        answer = self.aws.call("ec2:DescribeImages", self.ec2.describe_images, Owners=["amazon"],
                               Filters=[{"Name": "name", "Values": [AL2023_NAME]},
                                        {"Name": "architecture", "Values": ["x86_64"]},
                                        {"Name": "state", "Values": ["available"]}])
        images = sorted(answer.get("Images", []), key=lambda i: i.get("CreationDate", ""))
        if not images:
            raise AwsError(f"No Amazon Linux 2023 image was found in {self.aws.region} "
                           f"(neither the SSM parameter nor describe-images).")
        return str(images[-1]["ImageId"]), "describe-images (newest al2023)"

    # -- the instance ------------------------------------------------------------------

    def launch(self, *, ami: str, instance_type: str, key_name: str, group_id: str,
               subnet_id: str | None, domain: str) -> str:
        """Run one tagged instance; returns its id."""
        kwargs: dict[str, Any] = {"SubnetId": subnet_id} if subnet_id else {}
        answer = self.aws.call(
            "ec2:RunInstances", self.ec2.run_instances, ImageId=ami, InstanceType=instance_type,
            MinCount=1, MaxCount=1, KeyName=key_name, SecurityGroupIds=[group_id],
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": tags(domain, INSTANCE_NAME)}], **kwargs)
        return str(answer["Instances"][0]["InstanceId"])

    def instance(self, instance_id: str) -> dict[str, Any] | None:
        """The instance as EC2 describes it, or None when it does not exist."""
        try:
            answer = self.aws.call("ec2:DescribeInstances", self.ec2.describe_instances,
                                   InstanceIds=[instance_id])
        except AwsError as err:
            if getattr(err, "code", "") in ("InvalidInstanceID.NotFound",
                                            "InvalidInstanceID.Malformed"):
                return None
            raise
        found = [i for r in answer.get("Reservations", []) for i in r.get("Instances", [])]
        return found[0] if found else None

    def console_output(self, instance_id: str) -> str:
        """The instance's console output (its boot log) as text; "" when there is none yet."""
        answer = self.aws.call("ec2:GetConsoleOutput", self.ec2.get_console_output,
                               InstanceId=instance_id, Latest=True)
        text = answer.get("Output") or ""
        return text if isinstance(text, str) else ""

    def state(self, instance_id: str) -> str:
        """The instance's state name ("terminated" when it is gone)."""
        raw = self.instance(instance_id)
        return raw["State"]["Name"] if raw else "terminated"

    def checks_ok(self, instance_id: str) -> bool:
        """Whether both status checks (system and instance) pass."""
        answer = self.aws.call("ec2:DescribeInstanceStatus", self.ec2.describe_instance_status,
                               InstanceIds=[instance_id], IncludeAllInstances=True)
        for s in answer.get("InstanceStatuses", []):
            if (s.get("InstanceStatus", {}).get("Status") == "ok"
                    and s.get("SystemStatus", {}).get("Status") == "ok"):
                return True
        return False

    def change(self, instance_id: str, action: str) -> None:
        """start, stop or terminate the instance."""
        api = {"start": "start_instances", "stop": "stop_instances",
               "terminate": "terminate_instances"}[action]
        self.aws.call(f"ec2:{action.capitalize()}Instances", getattr(self.ec2, api),
                      InstanceIds=[instance_id])

    def wait(self, what: str, ready: Callable[[], bool], emit: Callable[[str], None],
             is_cancelled: Callable[[], bool], status: Callable[[], str] | None = None) -> None:
        """Poll `ready` until true; report changes of `status`; give up after the timeout."""
        deadline = time.monotonic() + self.timeout
        last = None
        while True:
            if status is not None and (now := status()) != last:
                emit(f"{what}: {now}")
                last = now
            if ready():
                return
            if time.monotonic() >= deadline:
                raise AwsError(f"Gave up waiting: {what} was not ready after "
                               f"{self.timeout:g} s.")
            pause_until = min(deadline, time.monotonic() + self.poll_interval)
            while time.monotonic() < pause_until:
                if is_cancelled():
                    from primetui.plans.plan import PlanCancelled

                    raise PlanCancelled("Stopped by you before the plan finished.")
                time.sleep(min(0.1, max(0.0, pause_until - time.monotonic())))

    # -- the switch --------------------------------------------------------------------

    def address_target(self, allocation_id: str) -> str | None:
        """The instance the Elastic IP is associated with now."""
        answer = self.aws.call("ec2:DescribeAddresses", self.ec2.describe_addresses,
                               AllocationIds=[allocation_id])
        found = answer.get("Addresses", [])
        return found[0].get("InstanceId") if found else None

    def move_address(self, allocation_id: str, instance_id: str) -> None:
        """Associate the Elastic IP with `instance_id` (taking it from wherever it is)."""
        self.aws.call("ec2:AssociateAddress", self.ec2.associate_address,
                      AllocationId=allocation_id, InstanceId=instance_id, AllowReassociation=True)

    def record(self, zone_id: str, domain: str) -> tuple[str | None, int | None]:
        """The A record of `domain`: (its first value, its TTL), or (None, None)."""
        r53 = self.aws.client("route53")
        name = domain.rstrip(".") + "."
        answer = self.aws.call("route53:ListResourceRecordSets", r53.list_resource_record_sets,
                               HostedZoneId=zone_id, StartRecordName=name, StartRecordType="A",
                               MaxItems="1")
        for rs in answer.get("ResourceRecordSets", []):
            if rs.get("Name") == name and rs.get("Type") == "A" and rs.get("ResourceRecords"):
                return str(rs["ResourceRecords"][0]["Value"]), int(rs.get("TTL", 300))
        return None, None

    def upsert(self, zone_id: str, domain: str, value: str, ttl: int) -> None:
        """Point the A record of `domain` at `value`."""
        r53 = self.aws.client("route53")
        self.aws.call("route53:ChangeResourceRecordSets", r53.change_resource_record_sets,
                      HostedZoneId=zone_id, ChangeBatch={
                          "Comment": "primetui maintenance switch",
                          "Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                              "Name": domain, "Type": "A", "TTL": ttl,
                              "ResourceRecords": [{"Value": value}]}}]})
