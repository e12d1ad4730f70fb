"""The seeded lab account, checked with describe calls against the moto server over HTTP.

Seeding is done once for the module (the tests only read) and the fake account is emptied
afterwards, so other modules start from a clean moto.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from primetui.sandbox.moto import DUMMY_KEY, MotoServer
from primetui.sandbox.seed import SeedResult, seed_lab_account


@pytest.fixture(scope="module")
def seeded(moto_server: MotoServer) -> Iterator[SeedResult]:
    moto_server.reset()
    try:
        yield seed_lab_account(moto_server.endpoint_url, "us-east-2")
    finally:
        moto_server.reset()


def client(moto_server: MotoServer, name: str) -> Any:
    return boto3.client(name, endpoint_url=moto_server.endpoint_url, region_name="us-east-2",
                        aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY)


def tags(resource: dict[str, Any], key: str = "Tags") -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get(key, [])}


def test_seed_makes_the_web_security_group_with_the_runbook_rules(
        seeded: SeedResult, moto_server: MotoServer) -> None:
    group = client(moto_server, "ec2").describe_security_groups(
        GroupIds=[seeded.security_group_id])["SecurityGroups"][0]
    assert group["GroupName"] == "prime-web"
    rules = {(p["FromPort"], r["CidrIp"]) for p in group["IpPermissions"] for r in p["IpRanges"]}
    assert rules == {(22, "203.0.113.0/24"), (80, "0.0.0.0/0"), (443, "0.0.0.0/0")}


def test_seed_makes_prod_running_and_staging_stopped(seeded: SeedResult,
                                                     moto_server: MotoServer) -> None:
    reservations = client(moto_server, "ec2").describe_instances(
        InstanceIds=[seeded.prod_instance_id, seeded.staging_instance_id])["Reservations"]
    found = {i["InstanceId"]: i for r in reservations for i in r["Instances"]}
    prod, staging = found[seeded.prod_instance_id], found[seeded.staging_instance_id]
    assert (prod["InstanceType"], prod["State"]["Name"]) == ("t3.medium", "running")
    assert tags(prod) == {"Name": "prime-prod", "Environment": "prod", "Project": "prime"}
    assert (staging["InstanceType"], staging["State"]["Name"]) == ("t3.small", "stopped")
    assert tags(staging)["Environment"] == "staging"
    assert prod["SecurityGroups"][0]["GroupId"] == seeded.security_group_id


def test_seed_associates_the_elastic_ip_with_prod(seeded: SeedResult,
                                                 moto_server: MotoServer) -> None:
    address = client(moto_server, "ec2").describe_addresses(
        AllocationIds=[seeded.allocation_id])["Addresses"][0]
    assert address["InstanceId"] == seeded.prod_instance_id
    assert address["PublicIp"] == seeded.public_ip


def test_seed_makes_the_postgres_database(seeded: SeedResult, moto_server: MotoServer) -> None:
    rds = client(moto_server, "rds")
    db = rds.describe_db_instances(DBInstanceIdentifier=seeded.db_instance_id)["DBInstances"][0]
    assert (db["Engine"], db["DBInstanceClass"]) == ("postgres", "db.t3.micro")
    assert tags(db, "TagList")["Environment"] == "prod"


def test_seed_lets_the_scheduler_role_invoke_the_lambda(seeded: SeedResult,
                                                        moto_server: MotoServer) -> None:
    iam = client(moto_server, "iam")
    role = iam.get_role(RoleName="prime-scheduler-role")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    policy = iam.get_role_policy(RoleName="prime-scheduler-role",
                                 PolicyName="invoke-instance-switch")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    statement = policy["Statement"][0]
    assert statement["Action"] == "lambda:InvokeFunction"
    assert seeded.lambda_arn in statement["Resource"]
    function = client(moto_server, "lambda").get_function(
        FunctionName="prime-instance-switch")["Configuration"]
    assert (function["Runtime"], function["Role"]) == ("python3.12", seeded.lambda_role_arn)


def test_seed_makes_weekday_stop_and_start_schedules_in_detroit_time(
        seeded: SeedResult, moto_server: MotoServer) -> None:
    scheduler = client(moto_server, "scheduler")
    listed = scheduler.list_schedules(GroupName="prime")["Schedules"]
    assert {s["Name"] for s in listed} == {"prime-stop-evenings", "prime-start-mornings"}
    expected = {"prime-stop-evenings": ("cron(0 20 ? * MON-FRI *)", "stop"),
                "prime-start-mornings": ("cron(0 7 ? * MON-FRI *)", "start")}
    for name, (cron, action) in expected.items():
        schedule = scheduler.get_schedule(Name=name, GroupName="prime")
        assert schedule["ScheduleExpression"] == cron
        assert schedule["ScheduleExpressionTimezone"] == "America/Detroit"
        assert schedule["Target"]["Arn"] == seeded.lambda_arn
        assert schedule["Target"]["RoleArn"] == seeded.scheduler_role_arn
        payload = json.loads(schedule["Target"]["Input"])
        assert payload["action"] == action
        assert payload["instances"] == [seeded.prod_instance_id, seeded.staging_instance_id]


def test_seed_makes_a_private_backups_bucket(seeded: SeedResult, moto_server: MotoServer) -> None:
    assert seeded.bucket == f"prime-backups-{seeded.account_id}"
    block = client(moto_server, "s3").get_public_access_block(Bucket=seeded.bucket)
    assert all(block["PublicAccessBlockConfiguration"].values())


def test_seeding_twice_reuses_what_is_there(seeded: SeedResult, moto_server: MotoServer) -> None:
    again = seed_lab_account(moto_server.endpoint_url, "us-east-2")
    assert again == seeded
    reservations = client(moto_server, "ec2").describe_instances(
        Filters=[{"Name": "tag:Project", "Values": ["prime"]}])["Reservations"]
    assert sum(len(r["Instances"]) for r in reservations) == 2
