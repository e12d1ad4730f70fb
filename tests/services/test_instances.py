"""InstancesService against a real moto server over HTTP, seeded with the lab's account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from primetui.aws import AwsService
from primetui.config import AwsSettings, InstanceSettings
from primetui.errors import AwsError
from primetui.instances.model import EC2, RDS, Instance, diff_rows
from primetui.instances.service import InstanceNotFoundError, InstancesService
from primetui.plans.plan import StepState, execute
from primetui.sandbox.moto import MotoServer
from primetui.sandbox.seed import SeedResult, seed_lab_account
from tests.fixtures.aws_answers import inject_errors, rewrite_answers

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def lab(aws_settings: AwsSettings, moto_server: MotoServer) -> SeedResult:
    """The sandbox's lab account, seeded fresh for each test (moto is reset after it)."""
    return seed_lab_account(moto_server.endpoint_url)


@pytest.fixture(scope="module")
def shared_aws(moto_server: MotoServer) -> AwsService:
    """One AWS session for the module: loading boto3's service models is the slow part."""
    return AwsService(AwsSettings(endpoint_url=moto_server.endpoint_url, region="us-east-2"))


@pytest.fixture
def aws(aws_settings: AwsSettings) -> AwsService:
    """A session of the test's own, for tests that hook into its clients."""
    return AwsService(aws_settings)


@pytest.fixture
def service(shared_aws: AwsService, aws_settings: AwsSettings, lab: SeedResult) -> InstancesService:
    return InstancesService(shared_aws, InstanceSettings(), poll_interval=0.01,
                            rds_poll_interval=0.01, now=lambda: NOW)


def hooked(service: InstancesService, aws: AwsService) -> InstancesService:
    """The same service on the test's own session (whose clients the test hooks into)."""
    return InstancesService(aws, service.settings, poll_interval=0.01, rds_poll_interval=0.01,
                            now=service.now)


def by_name(rows: list[Instance]) -> dict[str, Instance]:
    return {r.name: r for r in rows}


def states_sequence(field: str, states: list[str]) -> Callable[[dict[str, Any]], None]:
    """Report these states, one per answer, before letting the real state through."""
    pending = list(states)

    def change(parsed: dict[str, Any]) -> None:
        if not pending:
            return
        state = pending.pop(0)
        if field == "ec2":
            for r in parsed.get("Reservations", []):
                for i in r["Instances"]:
                    i["State"] = {"Code": 64, "Name": state}
        else:
            for db in parsed.get("DBInstances", []):
                db["DBInstanceStatus"] = state

    return change


def test_list_shows_ec2_and_rds_rows_with_addresses_and_states(service: InstancesService,
                                                             lab: SeedResult) -> None:
    rows = by_name(service.list())
    assert set(rows) == {"prime-prod", "prime-staging", "prime-db"}
    prod, staging, db = rows["prime-prod"], rows["prime-staging"], rows["prime-db"]
    assert (prod.id, prod.kind, prod.type, prod.state) == (lab.prod_instance_id, EC2, "t3.medium", "running")
    assert prod.public_address == lab.public_ip and prod.private_address
    assert prod.running_since is not None and staging.running_since is None
    assert (staging.state, staging.public_address) == ("stopped", None)
    assert (db.kind, db.type, db.state) == (RDS, "db.t3.micro", "available")
    assert db.endpoint and db.endpoint.endswith(":5432") and db.address == db.endpoint
    assert db.running_since is not None  # from the RDS "created" event
    assert prod.arn == f"arn:aws:ec2:us-east-2:{lab.account_id}:instance/{lab.prod_instance_id}"


def test_listing_reads_pages_of_100_unless_asked_for_whole_answers(service: InstancesService,
                                                                   aws: AwsService) -> None:
    """Small answers keep botocore's GIL-holding parse short for the screen; the command
    line asks as the aws CLI does (no MaxResults). One instance per reservation, as moto
    pages reservations."""
    from primetui.instances.service import PAGE_SIZE
    from primetui.sandbox.seed import AMI

    ec2 = aws.client("ec2")
    before = len([i for i in service.list() if i.kind == EC2])
    for _ in range(2 * PAGE_SIZE + 5 - before):
        ec2.run_instances(ImageId=AMI, InstanceType="t3.nano", MinCount=1, MaxCount=1)
    asked: list[int] = []
    ec2.meta.events.register("before-parameter-build.ec2.DescribeInstances",
                             lambda params, **_: asked.append(params.get("MaxResults")))
    listed = hooked(service, aws).list()
    assert len([i for i in listed if i.kind == EC2]) == 2 * PAGE_SIZE + 5
    assert asked == [PAGE_SIZE] * 3
    asked.clear()
    assert len(hooked(service, aws).list(page_size=None)) == len(listed)
    assert asked and set(asked) == {None}  # moto answers 100 reservations at a time


def test_terminated_instances_are_not_listed(service: InstancesService, aws: AwsService) -> None:
    from primetui.sandbox.seed import AMI

    ec2 = aws.client("ec2")
    gone = ec2.run_instances(ImageId=AMI, InstanceType="t3.nano", MinCount=1, MaxCount=1)
    gone_id = gone["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[gone_id])
    assert ec2.describe_instances(InstanceIds=[gone_id])["Reservations"]  # AWS still shows it
    assert gone_id not in {i.id for i in service.list()}
    assert {"prime-prod", "prime-staging", "prime-db"} <= set(by_name(service.list()))


def test_instances_tagged_environment_prod_are_protected(service: InstancesService) -> None:
    rows = by_name(service.list())
    assert rows["prime-prod"].protected and rows["prime-db"].protected
    assert not rows["prime-staging"].protected


def test_instances_listed_in_the_config_are_protected(service: InstancesService) -> None:
    settings = InstanceSettings(protected=["prime-staging"], protected_tags={})
    rows = by_name(InstancesService(service.aws, settings).list())
    assert rows["prime-staging"].protected and not rows["prime-prod"].protected


def test_find_by_name_id_or_name_in_other_case(service: InstancesService, lab: SeedResult) -> None:
    assert service.find("prime-prod").id == lab.prod_instance_id
    assert service.find(lab.staging_instance_id).name == "prime-staging"
    assert service.find("PRIME-DB").kind == RDS


def test_unknown_name_is_one_sentence(service: InstancesService) -> None:
    with pytest.raises(InstanceNotFoundError) as caught:
        service.find("prime-nope")
    assert str(caught.value) == ("No EC2 or RDS instance is named 'prime-nope' or has that id: "
                                 "see 'primetui instances list'.")
    assert caught.value.exit_code == 2


def test_ec2_details_show_tags_inbound_rules_volumes_and_launch_time(service: InstancesService) -> None:
    details = service.details(service.find("prime-prod"))
    assert dict(details.instance.tags)["Environment"] == "prod"
    [group] = details.security_groups
    assert group.name == "prime-web"
    assert {(r.ports, r.sources) for r in group.inbound} == {
        ("22", ("203.0.113.0/24",)), ("80", ("0.0.0.0/0",)), ("443", ("0.0.0.0/0",))}
    assert details.volumes and details.volumes[0].size_gib and details.volumes[0].device
    assert details.launch_time is not None
    assert dict(details.extra)["Key pair"] == "prime-prod"


def test_rds_details_show_storage_and_engine(service: InstancesService) -> None:
    details = service.details(service.find("prime-db"))
    assert details.volumes[0].size_gib == 20
    assert dict(details.extra)["Engine"].startswith("postgres")
    assert details.launch_time is not None


def test_start_plan_shows_the_aws_commands_and_starts_the_instance(
        service: InstancesService, lab: SeedResult) -> None:
    staging = service.find("prime-staging")
    service.start_plan(staging)  # building a plan changes nothing
    assert service.state_of(staging) == "stopped"
    plan = service.start_plan(staging, wait=True)
    assert plan.commands() == [f"aws ec2 start-instances --instance-ids {lab.staging_instance_id}",
                               f"aws ec2 wait instance-running --instance-ids {lab.staging_instance_id}"]
    assert plan.confirm_name is None and plan.action == "instances.start"
    result = execute(plan)
    assert result.ok, result.error
    assert "prime-staging: stopped → pending" in result.output
    assert service.state_of(staging) == "running"


def test_starting_a_running_instance_does_nothing(service: InstancesService, aws: AwsService) -> None:
    service = hooked(service, aws)
    prod = service.find("prime-prod")
    assert prod.in_state_for("start")
    starts = inject_errors(aws.client("ec2"), "StartInstances", times=0)
    result = execute(service.start_plan(prod))
    assert result.ok and result.states == [StepState.SKIPPED, StepState.SKIPPED]
    assert starts == []


def test_protected_instance_plan_asks_for_its_name(service: InstancesService) -> None:
    assert service.stop_plan(service.find("prime-prod")).confirm_name == "prime-prod"
    assert service.stop_plan(service.find("prime-db")).confirm_name == "prime-db"


def test_rds_stop_says_aws_restarts_it_after_seven_days_with_the_date(service: InstancesService) -> None:
    db = service.find("prime-db")
    plan = service.stop_plan(db)
    restart = (NOW + timedelta(days=7)).astimezone()
    assert f"after 7 days, on {restart:%Y-%m-%d %H:%M}" in plan.steps[0].title
    assert plan.commands()[0] == "aws rds stop-db-instance --db-instance-identifier prime-db"
    assert "describe-db-instances" in plan.commands()[1] and "= stopped" in plan.commands()[1]
    result = execute(plan)
    assert result.ok, result.error
    assert any("again automatically after 7 days" in line and f"{restart:%Y-%m-%d}" in line
               for line in result.output)
    assert service.state_of(db) == "stopped"


def test_stopped_rds_shows_the_restart_date_aws_reports(service: InstancesService,
                                                        aws: AwsService) -> None:
    service = hooked(service, aws)
    execute(service.stop_plan(service.find("prime-db"), wait=False))
    restart = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)

    def add_restart(parsed: dict[str, Any]) -> None:  # moto does not model AutomaticRestartTime
        for db in parsed["DBInstances"]:
            db["AutomaticRestartTime"] = restart

    rewrite_answers(aws.client("rds"), "DescribeDBInstances", add_restart)
    db = service.find("prime-db")
    assert (db.state, db.auto_restart, db.running_since) == ("stopped", restart, None)


def test_stopped_rds_restart_date_comes_from_the_stop_event_otherwise(service: InstancesService,
                                                                      aws: AwsService) -> None:
    service = hooked(service, aws)
    execute(service.stop_plan(service.find("prime-db"), wait=False))
    stopped = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=30)

    def add_stop_event(parsed: dict[str, Any]) -> None:  # moto records no stop events
        parsed["Events"].append({"SourceIdentifier": "prime-db", "SourceType": "db-instance",
                                 "Message": "DB instance stopped", "Date": stopped})

    rewrite_answers(aws.client("rds"), "DescribeEvents", add_stop_event)
    assert service.find("prime-db").auto_restart == stopped + timedelta(days=7)


def test_wait_polls_until_the_target_state_and_reports_each_state(service: InstancesService,
                                                                  aws: AwsService) -> None:
    service = hooked(service, aws)
    prod = service.find("prime-prod")
    plan = service.stop_plan(prod, wait=True)
    # AWS takes a while to stop an instance; moto is instant, so the first answers say so.
    rewrite_answers(aws.client("ec2"), "DescribeInstances",
                    states_sequence("ec2", ["running", "stopping", "stopping", "stopping"]))
    result = execute(plan)
    assert result.ok, result.error
    assert result.states == [StepState.DONE, StepState.DONE]
    assert result.output[-2:] == ["prime-prod: stopping", "prime-prod: stopped"]


def test_rds_start_waits_for_available_by_polling(service: InstancesService, aws: AwsService) -> None:
    service = hooked(service, aws)
    execute(service.stop_plan(service.find("prime-db"), wait=False))
    db = service.find("prime-db")
    plan = service.start_plan(db, wait=True)
    assert plan.commands()[1] == "aws rds wait db-instance-available --db-instance-identifier prime-db"
    rewrite_answers(aws.client("rds"), "DescribeDBInstances",
                    states_sequence("rds", ["stopped", "starting", "starting"]))
    result = execute(plan)
    assert result.ok, result.error
    assert result.output[-2:] == ["prime-db: starting", "prime-db: available"]


def test_wait_gives_up_after_its_timeout_with_one_sentence(aws: AwsService, lab: SeedResult) -> None:
    service = InstancesService(aws, poll_interval=0.01, timeout=0.2)
    prod = service.find("prime-prod")
    rewrite_answers(aws.client("ec2"), "DescribeInstances", states_sequence("ec2", ["running"] + ["stopping"] * 500))
    result = execute(service.stop_plan(prod, wait=True))
    assert not result.ok and result.failed_index == 1
    assert result.error == ("prime-prod is still 'stopping' after 0 seconds; check again later "
                            "with 'primetui instances list'.")


def test_wait_stops_when_the_person_cancels(aws: AwsService, lab: SeedResult) -> None:
    service = InstancesService(aws, poll_interval=30.0)
    prod = service.find("prime-prod")
    rewrite_answers(aws.client("ec2"), "DescribeInstances", states_sequence("ec2", ["running"] + ["stopping"] * 5))
    cancel = {"now": False}

    def on_event(event: Any) -> None:
        if event.kind == "output" and event.text == "prime-prod: stopping":
            cancel["now"] = True

    result = execute(service.stop_plan(prod, wait=True), on_event, lambda: cancel["now"])
    assert result.cancelled and result.failed_index == 1


def test_an_instance_that_cannot_be_stopped_fails_the_plan_with_one_sentence(
        service: InstancesService) -> None:
    service.aws.client("rds").create_db_instance_read_replica(
        DBInstanceIdentifier="prime-db-replica", SourceDBInstanceIdentifier="prime-db")
    result = execute(service.stop_plan(service.find("prime-db-replica")))
    assert not result.ok and result.failed_index == 0
    assert result.error.startswith("AWS refused rds:StopDBInstance (")
    assert result.error.endswith(".") and "\n" not in result.error


def test_throttling_is_retried_then_reported_as_one_sentence(aws_settings: AwsSettings,
                                                             lab: SeedResult) -> None:
    settings = AwsSettings(endpoint_url=aws_settings.endpoint_url, max_attempts=2)
    aws = AwsService(settings)
    calls = inject_errors(aws.client("ec2"), "DescribeInstances", times=10)
    with pytest.raises(AwsError) as caught:
        InstancesService(aws).list()
    assert len(calls) == 2  # the first try and one retry (standard mode, max_attempts=2)
    message = str(caught.value)
    assert message.startswith("AWS throttled ec2:DescribeInstances (RequestLimitExceeded) after 1 retr")
    assert message.endswith(": try again in a minute.") and "\n" not in message


def test_throttling_that_clears_is_retried_without_the_person_noticing(
        aws_settings: AwsSettings, lab: SeedResult) -> None:
    aws = AwsService(AwsSettings(endpoint_url=aws_settings.endpoint_url, max_attempts=2))
    calls = inject_errors(aws.client("rds"), "DescribeDBInstances", times=1)
    assert "prime-db" in by_name(InstancesService(aws).list())
    assert len(calls) == 2


def test_missing_credentials_are_one_sentence(aws_settings: AwsSettings, lab: SeedResult,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(AwsError) as caught:
        InstancesService(AwsService(aws_settings)).list()
    assert str(caught.value) == ("No AWS credentials found: set aws.profile in the config "
                                 "or run 'aws configure'.")


def test_diff_rows_updates_only_what_changed() -> None:
    a = Instance(id="i-1", name="a", kind=EC2, type="t3.nano", state="running")
    b = Instance(id="i-2", name="b", kind=EC2, type="t3.nano", state="stopped")
    c = Instance(id="i-3", name="c", kind=EC2, type="t3.nano", state="pending")
    stopping = Instance(id="i-1", name="a", kind=EC2, type="t3.nano", state="stopping")
    diff = diff_rows({"i-1": a, "i-2": b}, [stopping, b, c])
    assert diff.added == (c,) and diff.changed == (stopping,) and diff.removed == ()
    assert diff_rows({"i-1": a}, []).removed == ("i-1",)
    assert diff_rows({"i-2": b}, [b]).empty
    assert stopping.transitioning and not b.transitioning


def test_the_listing_reads_the_rows_botocore_would_from_the_same_answer(
        service: InstancesService, aws: AwsService) -> None:
    """The listing reads DescribeInstances' XML itself (listing_answer.py): its rows are the
    ones botocore's full parse of the same server's answer gives."""
    from primetui.sandbox.seed import AMI

    ec2 = aws.client("ec2")
    made = ec2.run_instances(ImageId=AMI, InstanceType="t3.nano", MinCount=3, MaxCount=3,
                             TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                 {"Key": "Name", "Value": "bench <&> é"},
                                 {"Key": "environment", "Value": "PROD"}]}])
    ec2.stop_instances(InstanceIds=[made["Instances"][0]["InstanceId"]])
    full = ec2.describe_instances()  # outside a listing: botocore's own parser
    expected = sorted((service._ec2_row(i, r.get("OwnerId", "")) for r in full["Reservations"]
                       for i in r["Instances"]), key=lambda i: (i.name.lower(), i.id))
    for page_size in (None, 5):
        listed = hooked(service, aws).ec2_instances(page_size=page_size)
        assert listed == expected and len(listed) == 5
    assert sum(dict(i.tags).get("Name") == "bench <&> é" for i in expected) == 3
    assert any(i.public_address for i in expected) and any(i.running_since for i in expected)
