"""SchedulesService against a real moto server over HTTP: listing, role checks, plans."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from primetui.aws import AwsService
from primetui.config import AwsSettings
from primetui.errors import UsageError
from primetui.instances.model import PairRequest, attach_schedules
from primetui.instances.service import InstancesService
from primetui.plans.plan import StepContext, StepState, execute
from primetui.sandbox.moto import MotoServer
from primetui.sandbox.seed import SCHEDULE_GROUP, SeedResult, seed_lab_account
from primetui.schedules.service import SchedulesService
from tests.fixtures.schedules import SCHEDULER_TRUST, make_role, retarget

NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)  # Friday 07:00 in Detroit (EST)


@pytest.fixture(scope="module")
def shared_aws(moto_server: MotoServer) -> AwsService:
    """One AWS session for the module: loading boto3's service models is the slow part."""
    return AwsService(AwsSettings(endpoint_url=moto_server.endpoint_url, region="us-east-2"))


@pytest.fixture
def lab(aws_settings: AwsSettings, moto_server: MotoServer) -> SeedResult:
    return seed_lab_account(moto_server.endpoint_url)


@pytest.fixture
def service(shared_aws: AwsService, lab: SeedResult) -> SchedulesService:
    return SchedulesService(shared_aws, now=lambda: NOW, local_tz=UTC)


def one(service: SchedulesService, name: str) -> Any:
    [found] = [s for s in service.list() if s.name == name]
    return found


def test_list_shows_every_schedule_in_every_group(service: SchedulesService, lab: SeedResult) -> None:
    retarget(service, lab, "nightly-report", lab.scheduler_role_arn)
    schedules = {s.key: s for s in service.list()}
    assert set(schedules) == {"default/nightly-report", "prime/prime-start-mornings",
                              "prime/prime-stop-evenings"}
    stop = schedules["prime/prime-stop-evenings"]
    assert (stop.expression, stop.timezone, stop.state) == ("cron(0 20 ? * MON-FRI *)",
                                                            "America/Detroit", "ENABLED")
    assert stop.target_arn == lab.lambda_arn and stop.role_arn == lab.scheduler_role_arn
    assert stop.target.direction == "stop" and not stop.target.universal
    assert stop.target.instances == (lab.prod_instance_id, lab.staging_instance_id, lab.db_instance_id)


def test_next_five_runs_are_in_the_schedule_zone_and_local_time(service: SchedulesService) -> None:
    stop = one(service, "prime-stop-evenings")
    assert [r.wall.strftime("%a %d %H:%M %Z") for r in stop.next_runs] == [
        "Fri 06 20:00 EST", "Mon 09 20:00 EDT", "Tue 10 20:00 EDT", "Wed 11 20:00 EDT",
        "Thu 12 20:00 EDT"]  # the clocks go forward on Sunday 8 March 2026
    assert [r.local.strftime("%d %H:%M") for r in stop.next_runs[:2]] == ["07 01:00", "10 00:00"]


def test_role_check_passes_for_the_seeded_scheduler_role(service: SchedulesService) -> None:
    check = one(service, "prime-stop-evenings").role_check
    assert check.ok and check.summary == "pass"
    assert [c.ok for c in check.checks] == [True, True]


def test_role_check_fails_without_scheduler_trust_and_shows_the_fix(
        service: SchedulesService, lab: SeedResult) -> None:
    lambda_only = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = make_role(service.aws, "wrong-trust", lambda_only,
                     inline=[{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}])
    retarget(service, lab, "s", role)
    check = one(service, "s").role_check
    trust, permission = check.checks
    assert not check.ok and not trust.ok and permission.ok
    assert check.summary.startswith("fail: the trust policy does not let scheduler.amazonaws.com")
    assert json.loads(trust.fix)["Statement"] == [SCHEDULER_TRUST["Statement"][0]]


def test_role_check_fails_without_invoke_and_names_the_missing_statement(
        service: SchedulesService, lab: SeedResult) -> None:
    role = make_role(service.aws, "no-invoke", SCHEDULER_TRUST,
                     inline=[{"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "*"}])
    retarget(service, lab, "s", role)
    trust, permission = one(service, "s").role_check.checks
    assert trust.ok and not permission.ok
    assert permission.missing == {"Effect": "Allow", "Action": "lambda:InvokeFunction",
                                  "Resource": [lab.lambda_arn, f"{lab.lambda_arn}:*"]}
    assert json.loads(permission.fix)["Statement"] == [permission.missing]


def test_deny_in_an_attached_policy_overrides_the_inline_allow(service: SchedulesService,
                                                               lab: SeedResult) -> None:
    role = make_role(service.aws, "denied", SCHEDULER_TRUST,
                     inline=[{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}],
                     attached=[{"Effect": "Deny", "Action": "lambda:*", "Resource": lab.lambda_arn}])
    retarget(service, lab, "s", role)
    permission = one(service, "s").role_check.checks[1]
    assert not permission.ok
    assert "a Deny in attached policy denied-managed-0 overrides" in permission.detail


def test_wildcard_action_in_an_attached_policy_passes(service: SchedulesService,
                                                       lab: SeedResult) -> None:
    role = make_role(service.aws, "wide", SCHEDULER_TRUST,
                     attached=[{"Effect": "Allow", "Action": "lambda:Invoke*",
                                "Resource": "arn:aws:lambda:*:*:function:prime-*"}])
    retarget(service, lab, "s", role)
    assert one(service, "s").role_check.ok


def test_universal_ec2_target_needs_the_ec2_action_on_its_instances(service: SchedulesService,
                                                                    lab: SeedResult) -> None:
    start_only = make_role(service.aws, "start-only", SCHEDULER_TRUST,
                           inline=[{"Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*"}])
    retarget(service, lab, "u", start_only, "arn:aws:scheduler:::aws-sdk:ec2:stopInstances",
             {"InstanceIds": [lab.prod_instance_id]})
    schedule = one(service, "u")
    assert schedule.target.universal and schedule.target.action == "ec2:StopInstances"
    assert schedule.target.direction == "stop"
    permission = schedule.role_check.checks[1]
    assert not permission.ok
    assert permission.missing["Resource"] == (
        f"arn:aws:ec2:us-east-2:{lab.account_id}:instance/{lab.prod_instance_id}")


def test_missing_role_is_reported_not_raised(service: SchedulesService, lab: SeedResult) -> None:
    retarget(service, lab, "s", f"arn:aws:iam::{lab.account_id}:role/gone")
    check = one(service, "s").role_check
    assert not check.ok and check.error == "the role gone does not exist"


def test_a_schedule_with_a_bad_expression_still_lists(service: SchedulesService,
                                                      lab: SeedResult) -> None:
    service.aws.client("scheduler").create_schedule(
        Name="broken", ScheduleExpression="cron(0 25 * * ? *)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": lab.lambda_arn, "RoleArn": lab.scheduler_role_arn})
    broken = one(service, "broken")
    assert broken.next_runs == () and "not a valid AWS cron expression" in broken.expression_error


def test_disable_then_undo_enables_it_again(service: SchedulesService) -> None:
    stop = one(service, "prime-stop-evenings")
    plan = service.set_state_plan(stop, enabled=False)
    assert "--state DISABLED" in plan.commands()[-1]
    result = execute(plan)
    assert result.ok and service.get("prime-stop-evenings", SCHEDULE_GROUP).state == "DISABLED"
    again = execute(service.set_state_plan(stop, enabled=False))
    assert again.states == [StepState.SKIPPED]
    plan.steps[0].undo(StepContext(emit=lambda line: None))
    fresh = service.get("prime-stop-evenings", SCHEDULE_GROUP)
    assert fresh.state == "ENABLED" and fresh.expression == stop.expression
    assert fresh.target.instances == stop.target.instances  # the target survived the update


def test_weekly_running_hours_come_from_start_stop_pairs(service: SchedulesService,
                                                         lab: SeedResult) -> None:
    schedules = service.list(role_checks=False)
    hours = service.running_hours(schedules)
    assert hours[lab.prod_instance_id] == 65.0  # 07:00–20:00, Monday to Friday
    instances = InstancesService(service.aws).list()
    rows = {i.name: i for i in attach_schedules(instances, schedules, hours)}
    assert rows["prime-prod"].schedules == ("prime/prime-start-mornings", "prime/prime-stop-evenings")
    assert rows["prime-db"].scheduled_hours == 65.0


def test_create_pair_with_the_universal_target(service: SchedulesService, lab: SeedResult) -> None:
    role = make_role(service.aws, "switcher", SCHEDULER_TRUST, inline=[{
        "Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"], "Resource": "*"}])
    staging = InstancesService(service.aws).find("prime-staging")
    plan = service.create_pair_plan(PairRequest(instance=staging, days="MON-FRI", start_time="8:00",
                                                stop_time="20:00", timezone="America/Detroit",
                                                role_arn=role, group="lab"))
    assert "aws-sdk:ec2:stopInstances" in plan.commands()[-2]
    result = execute(plan)
    assert result.ok, result.error
    made = {s.name: s for s in service.list() if s.group == "lab"}
    assert set(made) == {"prime-staging-start", "prime-staging-stop"}
    assert made["prime-staging-start"].expression == "cron(0 8 ? * MON-FRI *)"
    assert made["prime-staging-start"].target.ec2_ids == (lab.staging_instance_id,)
    assert all(s.role_check.ok for s in made.values())
    assert service.running_hours(made.values())[lab.staging_instance_id] == 60.0
    assert execute(plan).states[1:] == [StepState.SKIPPED] * 3  # group and both schedules exist


def test_create_pair_for_rds_with_the_lambda(service: SchedulesService, lab: SeedResult) -> None:
    db = InstancesService(service.aws).find("prime-db")
    plan = service.create_pair_plan(PairRequest(instance=db, days="SAT,SUN", start_time="09:00",
                                                stop_time="17:30", timezone="UTC",
                                                role_arn=lab.scheduler_role_arn,
                                                lambda_arn=lab.lambda_arn))
    assert execute(plan).ok
    stop = one(service, "prime-db-stop")
    assert (stop.expression, stop.target.direction, stop.target.rds_ids) == (
        "cron(30 17 ? * SAT,SUN *)", "stop", ("prime-db",))


def test_create_pair_stops_before_creating_anything_when_the_role_cannot_run_it(
        service: SchedulesService, lab: SeedResult) -> None:
    staging = InstancesService(service.aws).find("prime-staging")
    plan = service.create_pair_plan(PairRequest(instance=staging, role_arn=lab.scheduler_role_arn))
    result = execute(plan)  # the seeded role may invoke the Lambda, not call EC2 itself
    assert not result.ok and result.failed_index == 0
    assert result.error.startswith("The role cannot run prime-staging-stop: none of the role's "
                                   "policies allows ec2:StopInstances")
    assert any('"ec2:StopInstances"' in line for line in result.output)  # the fix, as JSON
    assert [s.name for s in service.list(role_checks=False) if s.group == "default"] == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("start_time", "25:00", "The start time '25:00' is not a time like 07:30."),
    ("days", "MONDAY", "The days 'MONDAY' are not valid"),
    ("role_arn", "", "Choose the execution role"),
])
def test_create_pair_rejects_bad_input_before_any_call(service: SchedulesService, lab: SeedResult,
                                                      field: str, value: str, message: str) -> None:
    staging = InstancesService(service.aws).find("prime-staging")
    request = PairRequest(instance=staging, role_arn=lab.scheduler_role_arn)
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        service.create_pair_plan(type(request)(**{**request.__dict__, field: value}))
