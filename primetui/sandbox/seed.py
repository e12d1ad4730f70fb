"""Seed a moto server with a believable lab account: the runbook's resources, by name.

Each step looks for what it is about to make first, so seeding twice (or after a partial
run) reuses what is there instead of failing or duplicating it. Credentials are the
sandbox's dummy keys, passed explicitly, so seeding can never reach a real account.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from dataclasses import dataclass
from typing import Any

from primetui.sandbox.moto import DUMMY_KEY

AMI = "ami-0ea3c35c5c3284d82"  # Ubuntu 24.04 in us-east-2 (moto accepts any id)
ADMIN_CIDR = "203.0.113.0/24"
SCHEDULE_GROUP = "prime"
SCHEDULE_TZ = "America/Detroit"
STOP_SCHEDULE, START_SCHEDULE = "prime-stop-evenings", "prime-start-mornings"
LAMBDA_NAME = "prime-instance-switch"
SCHEDULER_ROLE = "prime-scheduler-role"
LAMBDA_ROLE = "prime-instance-switch-role"

_LAMBDA_CODE = '''\
"""Start or stop the lab's EC2 and RDS instances; called by EventBridge Scheduler."""
import boto3


def lambda_handler(event, context):
    ec2, rds = boto3.client("ec2"), boto3.client("rds")
    ids, dbs = event.get("instances", []), event.get("db_instances", [])
    if event["action"] == "stop":
        ec2.stop_instances(InstanceIds=ids)
        for db in dbs:
            rds.stop_db_instance(DBInstanceIdentifier=db)
    else:
        ec2.start_instances(InstanceIds=ids)
        for db in dbs:
            rds.start_db_instance(DBInstanceIdentifier=db)
    return {"action": event["action"], "instances": ids, "db_instances": dbs}
'''


@dataclass(frozen=True)
class SeedResult:
    """The ids and names of everything the seed made (or found already there)."""

    account_id: str
    region: str
    security_group_id: str
    prod_instance_id: str
    staging_instance_id: str
    db_instance_id: str
    allocation_id: str
    public_ip: str
    lambda_arn: str
    lambda_role_arn: str
    scheduler_role_arn: str
    schedule_group: str
    schedules: tuple[str, ...]
    bucket: str


def _tags(name: str, environment: str) -> list[dict[str, str]]:
    return [{"Key": "Name", "Value": name}, {"Key": "Environment", "Value": environment},
            {"Key": "Project", "Value": "prime"}]


_sessions: dict[str, Any] = {}
_clients: dict[tuple[str, str, str], Any] = {}
_clients_lock = threading.Lock()


def _client(endpoint_url: str, region: str, name: str) -> Any:
    """A boto3 client for the fake AWS; sessions and clients are reused across seedings,
    because loading the service models is most of the cost of a reseed."""
    import boto3
    from botocore.config import Config

    with _clients_lock:
        key = (endpoint_url, region, name)
        if key not in _clients:
            if region not in _sessions:
                _sessions[region] = boto3.session.Session(
                    aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY,
                    region_name=region)
            config = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5)
            _clients[key] = _sessions[region].client(name, endpoint_url=endpoint_url,
                                                     config=config)
        return _clients[key]


def seed_lab_account(endpoint_url: str, region: str = "us-east-2") -> SeedResult:
    """Create the lab's resources in the fake AWS at `endpoint_url`; returns their ids."""

    def client(name: str) -> Any:
        return _client(endpoint_url, region, name)

    account = client("sts").get_caller_identity()["Account"]
    ec2 = client("ec2")
    group = _security_group(ec2)
    _key_pair(ec2, "prime-prod")
    prod = _instance(ec2, "prime-prod", "t3.medium", "prod", group, running=True)
    staging = _instance(ec2, "prime-staging", "t3.small", "staging", group, running=False)
    allocation, public_ip = _elastic_ip(ec2, prod)
    db = _database(client("rds"))
    iam = client("iam")
    lambda_role = _role(iam, LAMBDA_ROLE, "lambda.amazonaws.com", "instance-switch", {
        "Effect": "Allow",
        "Action": ["ec2:StartInstances", "ec2:StopInstances", "ec2:DescribeInstances",
                   "rds:StartDBInstance", "rds:StopDBInstance", "rds:DescribeDBInstances"],
        "Resource": "*"})
    lambda_arn = _function(client("lambda"), lambda_role)
    scheduler_role = _role(iam, SCHEDULER_ROLE, "scheduler.amazonaws.com", "invoke-instance-switch",
                           {"Effect": "Allow", "Action": "lambda:InvokeFunction",
                            "Resource": [lambda_arn, f"{lambda_arn}:*"]})
    schedules = _schedules(client("scheduler"), lambda_arn, scheduler_role, [prod, staging], [db])
    bucket = _bucket(client("s3"), f"prime-backups-{account}", region)
    return SeedResult(account, region, group, prod, staging, db, allocation, public_ip, lambda_arn,
                      lambda_role, scheduler_role, SCHEDULE_GROUP, schedules, bucket)


def _security_group(ec2: Any) -> str:
    """The `prime-web` group: SSH from the lab's network, HTTP and HTTPS from anywhere."""
    found = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["prime-web"]}])["SecurityGroups"]
    if found:
        return found[0]["GroupId"]
    group = ec2.create_security_group(
        GroupName="prime-web", Description="prime web server: SSH from the lab, web from anywhere",
        TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags("prime-web", "prod")}],
    )["GroupId"]

    def rule(port: int, cidr: str, what: str) -> dict[str, Any]:
        return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                "IpRanges": [{"CidrIp": cidr, "Description": what}]}

    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        rule(22, ADMIN_CIDR, "SSH from the lab network"),
        rule(80, "0.0.0.0/0", "HTTP"), rule(443, "0.0.0.0/0", "HTTPS")])
    return group


def _key_pair(ec2: Any, name: str) -> None:
    if not ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [name]}])["KeyPairs"]:
        ec2.create_key_pair(KeyName=name)


def _instance(ec2: Any, name: str, kind: str, environment: str, group: str, *, running: bool) -> str:
    """An EC2 instance by its Name tag, launched (and stopped, if asked) when it is not there."""
    reservations = ec2.describe_instances(Filters=[
        {"Name": "tag:Name", "Values": [name]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
    ])["Reservations"]
    found = [i["InstanceId"] for r in reservations for i in r["Instances"]]
    if found:
        return found[0]
    instance = ec2.run_instances(
        ImageId=AMI, InstanceType=kind, MinCount=1, MaxCount=1, KeyName="prime-prod",
        SecurityGroupIds=[group],
        TagSpecifications=[{"ResourceType": "instance", "Tags": _tags(name, environment)}],
    )["Instances"][0]["InstanceId"]
    if not running:
        ec2.stop_instances(InstanceIds=[instance])
    return instance


def _elastic_ip(ec2: Any, instance: str) -> tuple[str, str]:
    """The prod server's Elastic IP (tagged `prime-web-ip`), associated with it."""
    found = ec2.describe_addresses(
        Filters=[{"Name": "tag:Name", "Values": ["prime-web-ip"]}])["Addresses"]
    if found:
        address = found[0]
    else:
        address = ec2.allocate_address(Domain="vpc", TagSpecifications=[
            {"ResourceType": "elastic-ip", "Tags": _tags("prime-web-ip", "prod")}])
    if address.get("InstanceId") != instance:
        ec2.associate_address(AllocationId=address["AllocationId"], InstanceId=instance)
    return address["AllocationId"], address["PublicIp"]


def _database(rds: Any) -> str:
    """The `prime-db` PostgreSQL instance."""
    try:
        rds.describe_db_instances(DBInstanceIdentifier="prime-db")
    except rds.exceptions.DBInstanceNotFoundFault:
        rds.create_db_instance(
            DBInstanceIdentifier="prime-db", Engine="postgres", DBInstanceClass="db.t3.micro",
            AllocatedStorage=20, MasterUsername="prime", DBName="prime",
            MasterUserPassword="FAKE-sandbox-password",  # a fake account, not a secret
            Tags=_tags("prime-db", "prod"))
    return "prime-db"


def _role(iam: Any, name: str, service: str, policy_name: str, statement: dict[str, Any]) -> str:
    """A role `service` may assume, with one inline policy (rewritten every time)."""
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                              Description=f"primetui sandbox: assumed by {service}",
                              Tags=[{"Key": "Project", "Value": "prime"}])["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}))
    return arn


def _function(lam: Any, role: str) -> str:
    """The instance-switch Lambda (moto stores it without Docker; invoking it would need one)."""
    try:
        return lam.get_function(FunctionName=LAMBDA_NAME)["Configuration"]["FunctionArn"]
    except lam.exceptions.ResourceNotFoundException:
        pass
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lambda_function.py", _LAMBDA_CODE)
    return lam.create_function(
        FunctionName=LAMBDA_NAME, Runtime="python3.12", Role=role,
        Handler="lambda_function.lambda_handler", Code={"ZipFile": package.getvalue()},
        Description="Start or stop the prime EC2 and RDS instances", Timeout=60,
        Tags={"Project": "prime"})["FunctionArn"]


def _schedules(scheduler: Any, lambda_arn: str, role: str, instances: list[str],
               databases: list[str]) -> tuple[str, ...]:
    """The evening stop and morning start schedules, weekdays, Detroit time."""
    try:
        scheduler.get_schedule_group(Name=SCHEDULE_GROUP)
    except scheduler.exceptions.ResourceNotFoundException:
        scheduler.create_schedule_group(Name=SCHEDULE_GROUP)
    for name, cron, action in ((STOP_SCHEDULE, "cron(0 20 ? * MON-FRI *)", "stop"),
                               (START_SCHEDULE, "cron(0 7 ? * MON-FRI *)", "start")):
        try:
            scheduler.get_schedule(Name=name, GroupName=SCHEDULE_GROUP)
            continue
        except scheduler.exceptions.ResourceNotFoundException:
            pass
        payload = {"action": action, "instances": instances, "db_instances": databases}
        scheduler.create_schedule(
            Name=name, GroupName=SCHEDULE_GROUP, ScheduleExpression=cron,
            ScheduleExpressionTimezone=SCHEDULE_TZ, FlexibleTimeWindow={"Mode": "OFF"},
            State="ENABLED", Description=f"{action.capitalize()} the prime instances on weekdays",
            Target={"Arn": lambda_arn, "RoleArn": role, "Input": json.dumps(payload)})
    return (STOP_SCHEDULE, START_SCHEDULE)


def _bucket(s3: Any, name: str, region: str) -> str:
    """The private backups bucket, with every public access blocked."""
    try:
        s3.head_bucket(Bucket=name)
    except s3.exceptions.ClientError:
        extra = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **extra)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    return name
