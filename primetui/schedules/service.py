"""EventBridge Scheduler schedules: list them all with their next runs, check their roles,
enable or disable them and create start/stop pairs, as plans.

moto cannot evaluate IAM, and a lab member often cannot call the policy simulator, so the
role check reads the role's trust and permission policies and evaluates them itself
(primetui.schedules.iam_policy). boto3 is never imported here: clients come from `AwsService`.
"""

from __future__ import annotations

import builtins
import json
import re
import shlex
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, tzinfo
from typing import Any

from primetui.aws import AwsCallError, AwsService
from primetui.errors import AwsError, PlanError, UsageError
from primetui.instances.model import EC2, UNIVERSAL_PREFIX, PairRequest, Schedule, target_info
from primetui.plans.plan import Plan, Step, StepContext, bulk_plan
from primetui.schedules.expressions import (
    ScheduleExpressionError,
    ScheduleRun,
    Switch,
    next_runs,
    parse_expression,
    running_hours,
    zone,
)
from primetui.schedules.iam_policy import PolicySource, RoleCheck, check_permission, check_trust

SCHEDULER = "scheduler.amazonaws.com"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_NAME_OK = re.compile(r"[^0-9A-Za-z_.-]")


class SchedulesService:
    """Reads and changes EventBridge Scheduler schedules and checks their execution roles."""

    def __init__(self, aws: AwsService, *, now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 local_tz: tzinfo | None = None, runs: int = 5) -> None:
        self.aws = aws
        self.now = now
        self.local_tz = local_tz
        self.runs = runs

    # ------------------------------------------------------------------ listing

    def list(self, *, role_checks: bool = True) -> list[Schedule]:
        """Every schedule in every group, with next runs (and role checks), by group and name."""
        scheduler = self.aws.client("scheduler")
        with self.aws.translating("scheduler:ListSchedules"):
            pages = scheduler.get_paginator("list_schedules").paginate()
            keys = [(s["GroupName"], s["Name"]) for page in pages for s in page.get("Schedules", [])]
        with ThreadPoolExecutor(max_workers=min(8, max(1, len(keys)))) as pool:
            schedules = list(pool.map(lambda k: self.get(k[1], k[0]), keys))
        if role_checks:
            cache: dict[str, Any] = {}
            schedules = [s.with_role_check(self.role_check(s, cache)) for s in schedules]
        return sorted(schedules, key=lambda s: (s.group, s.name))

    def get(self, name: str, group: str = "default") -> Schedule:
        """One schedule, read fresh, with its next runs."""
        scheduler = self.aws.client("scheduler")
        raw = self.aws.call("scheduler:GetSchedule", scheduler.get_schedule, Name=name,
                            GroupName=group)
        return self._schedule(raw)

    def _schedule(self, raw: dict[str, Any]) -> Schedule:
        target = raw.get("Target") or {}
        expression = raw.get("ScheduleExpression", "")
        tz = raw.get("ScheduleExpressionTimezone") or "UTC"
        start, end, created = (_utc(raw.get(k)) for k in ("StartDate", "EndDate", "CreationDate"))
        runs: tuple[ScheduleRun, ...] = ()
        error = None
        try:
            runs = next_runs(expression, tz, self.now(), self.runs, start=start, end=end,
                             anchor=start or created, local_tz=self.local_tz)
        except ScheduleExpressionError as err:
            error = str(err)
        return Schedule(
            name=raw["Name"], group=raw.get("GroupName") or "default", expression=expression,
            timezone=tz, state=raw.get("State", "ENABLED"), target_arn=target.get("Arn", ""),
            role_arn=target.get("RoleArn", ""), target=target_info(target.get("Arn", ""),
                                                                   target.get("Input")),
            arn=raw.get("Arn", ""), description=raw.get("Description") or "", start_date=start,
            end_date=end, created=created, next_runs=runs, expression_error=error)

    def running_hours(self, schedules: Iterable[Schedule]) -> dict[str, float | None]:
        """Weekly scheduled running hours per instance, from its enabled start/stop schedules."""
        switches: dict[str, tuple[list[Switch], list[Switch]]] = {}
        for s in schedules:
            if not s.enabled or s.expression_error or s.target.direction is None:
                continue
            for ref in s.target.instances:
                starts, stops = switches.setdefault(ref, ([], []))
                (starts if s.target.direction == "start" else stops).append(
                    Switch(s.expression, s.timezone, s.start_date, s.end_date))
        now = self.now()
        return {ref: running_hours(starts, stops, now) for ref, (starts, stops) in switches.items()}

    # ------------------------------------------------------------------ role check

    def role_check(self, schedule: Schedule, cache: dict[str, Any] | None = None) -> RoleCheck:
        """Whether the schedule's role trusts the scheduler and may do the target's action."""
        role = schedule.role_arn
        if not role:
            return RoleCheck(role_arn="", error="the schedule names no execution role")
        cache = {} if cache is None else cache
        if role not in cache:
            try:
                cache[role] = self._role_documents(role)
            except AwsError as err:
                cache[role] = err
        found = cache[role]
        if isinstance(found, AwsError):
            return RoleCheck(role_arn=role, error=str(found).rstrip("."))
        trust_doc, sources = found
        return RoleCheck(role_arn=role, checks=(
            check_trust(trust_doc, SCHEDULER),
            check_permission(schedule.target.action, schedule.resources(), sources)))

    def _role_documents(self, role_arn: str) -> tuple[Any, builtins.list[PolicySource]]:
        iam = self.aws.client("iam")
        name = role_arn.rsplit("/", 1)[-1]
        try:
            role = self.aws.call("iam:GetRole", iam.get_role, RoleName=name)["Role"]
        except AwsCallError as err:
            if err.code == "NoSuchEntity":
                raise AwsError(f"the role {name} does not exist") from err
            raise
        sources: list[PolicySource] = []
        with self.aws.translating("iam:ListRolePolicies"):
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
                for policy in page.get("PolicyNames", []):
                    doc = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
                    sources.append(PolicySource(f"inline policy {policy}", _document(doc)))
        with self.aws.translating("iam:ListAttachedRolePolicies"):
            for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
                for attached in page.get("AttachedPolicies", []):
                    arn = attached["PolicyArn"]
                    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                    doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)
                    sources.append(PolicySource(f"attached policy {attached['PolicyName']}",
                                                _document(doc["PolicyVersion"]["Document"])))
        return _document(role.get("AssumeRolePolicyDocument")), sources

    # ------------------------------------------------------------------ plans

    def set_state_plan(self, schedule: Schedule, enabled: bool) -> Plan:
        """Enable or disable a schedule (undo: the other way); already so → skipped."""
        state, other = ("ENABLED", "DISABLED") if enabled else ("DISABLED", "ENABLED")
        verb = "Enable" if enabled else "Disable"
        return Plan(
            title=f"{verb} schedule {schedule.key}", target=schedule.key,
            action=f"schedules.{verb.lower()}",
            steps=[Step(title=f"{verb} {schedule.key}",
                        commands=_update_commands(schedule, state),
                        run=lambda ctx: self._set_state(schedule, state, ctx),
                        done=lambda: self.get(schedule.name, schedule.group).state == state,
                        undo=lambda ctx: self._set_state(schedule, other, ctx),
                        undo_commands=_update_commands(schedule, other))])

    def set_states_plan(self, schedules: Sequence[Schedule], enabled: bool) -> Plan:
        """Enable or disable several schedules in one plan: one step per schedule, each
        undone the other way when a later one fails; those already so are skipped."""
        if len(schedules) == 1:
            return self.set_state_plan(schedules[0], enabled)
        verb = "Enable" if enabled else "Disable"
        return bulk_plan(f"{verb} {len(schedules)} schedules",
                         [self.set_state_plan(s, enabled) for s in schedules],
                         f"schedules.{verb.lower()}")

    def _set_state(self, schedule: Schedule, state: str, ctx: StepContext) -> None:
        scheduler = self.aws.client("scheduler")
        raw = self.aws.call("scheduler:GetSchedule", scheduler.get_schedule,
                            Name=schedule.name, GroupName=schedule.group)
        keys = ("Name", "GroupName", "ScheduleExpression", "ScheduleExpressionTimezone",
                "FlexibleTimeWindow", "Target", "Description", "StartDate", "EndDate",
                "KmsKeyArn", "ActionAfterCompletion")
        update = {k: raw[k] for k in keys if raw.get(k) not in (None, "")}
        self.aws.call("scheduler:UpdateSchedule", scheduler.update_schedule, **update, State=state)
        ctx.emit(f"{schedule.key}: {state}")

    def create_pair_plan(self, request: PairRequest) -> Plan:
        """Check the role, then create the stop and the start schedule for one instance."""
        inst = request.instance
        zone(request.timezone)
        if not request.role_arn.startswith("arn:"):
            raise UsageError("Choose the execution role (its ARN) the schedules will run as.")
        prefix = _NAME_OK.sub("-", request.prefix or inst.name)[:56]
        definitions = [self._definition(request, action, prefix) for action in ("stop", "start")]
        steps = [Step(title=f"Check that {request.role_arn.rsplit('/', 1)[-1]} may run them",
                      commands=[f"aws iam get-role --role-name {request.role_arn.rsplit('/', 1)[-1]}"],
                      run=lambda ctx: self._check_new(definitions, ctx))]
        if request.group != "default":
            steps.append(self._group_step(request.group))
        steps.extend(self._create_step(d) for d in definitions)
        return Plan(title=f"Create start/stop schedules for {inst.name}", target=inst.name,
                    steps=steps, action="schedules.create-pair")

    def _definition(self, request: PairRequest, action: str, prefix: str) -> dict[str, Any]:
        text = request.start_time if action == "start" else request.stop_time
        m = _TIME.match(text.strip())
        if not m:
            raise UsageError(f"The {action} time '{text}' is not a time like 07:30.")
        expression = f"cron({int(m.group(2))} {int(m.group(1))} ? * {request.days.strip().upper()} *)"
        try:
            parse_expression(expression)
        except ScheduleExpressionError as err:
            raise UsageError(f"The days '{request.days}' are not valid: {err}") from err
        inst = request.instance
        if request.lambda_arn:
            key = "instances" if inst.kind == EC2 else "db_instances"
            target = {"Arn": request.lambda_arn, "Input": json.dumps({"action": action, key: [inst.id]})}
        elif inst.kind == EC2:
            target = {"Arn": f"{UNIVERSAL_PREFIX}ec2:{action}Instances",
                      "Input": json.dumps({"InstanceIds": [inst.id]})}
        else:
            target = {"Arn": f"{UNIVERSAL_PREFIX}rds:{action}DBInstance",
                      "Input": json.dumps({"DbInstanceIdentifier": inst.id})}
        target["RoleArn"] = request.role_arn
        return {"Name": f"{prefix}-{action}", "GroupName": request.group,
                "ScheduleExpression": expression, "ScheduleExpressionTimezone": request.timezone,
                "FlexibleTimeWindow": {"Mode": "OFF"}, "State": "ENABLED", "Target": target,
                "Description": f"{action.capitalize()} {inst.name} ({request.days} "
                               f"{text} {request.timezone}); made by primetui"}

    def _check_new(self, definitions: builtins.list[dict[str, Any]], ctx: StepContext) -> None:
        identity = self.aws.identity()
        for d in definitions:
            target = d["Target"]
            schedule = Schedule(name=d["Name"], group=d["GroupName"], expression=d["ScheduleExpression"],
                                timezone=d["ScheduleExpressionTimezone"], state="ENABLED",
                                target_arn=target["Arn"], role_arn=target["RoleArn"],
                                target=target_info(target["Arn"], target["Input"]),
                                arn=f"arn:aws:scheduler:{self.aws.region}:{identity.account}:"
                                    f"schedule/{d['GroupName']}/{d['Name']}")
            check = self.role_check(schedule)
            ctx.emit(f"{d['Name']}: role check {check.summary}")
            if check.error:
                raise PlanError(f"The role of {d['Name']} cannot be checked: {check.error}.")
            for failed in (c for c in check.checks if not c.ok):
                if failed.fix:
                    ctx.emit(failed.fix)
                raise PlanError(f"The role cannot run {d['Name']}: {failed.detail}.")

    def _group_step(self, group: str) -> Step:
        scheduler = self.aws.client("scheduler")

        def exists() -> bool:
            try:
                self.aws.call("scheduler:GetScheduleGroup", scheduler.get_schedule_group, Name=group)
            except AwsCallError as err:
                if err.code == "ResourceNotFoundException":
                    return False
                raise
            return True

        return Step(title=f"Create the schedule group {group}",
                    commands=[f"aws scheduler create-schedule-group --name {shlex.quote(group)}"],
                    run=lambda ctx: self.aws.call("scheduler:CreateScheduleGroup",
                                                  scheduler.create_schedule_group, Name=group),
                    done=exists)

    def _create_step(self, d: dict[str, Any]) -> Step:
        scheduler = self.aws.client("scheduler")
        name, group = d["Name"], d["GroupName"]

        def exists() -> bool:
            try:
                self.get(name, group)
            except AwsCallError as err:
                if err.code == "ResourceNotFoundException":
                    return False
                raise
            return True

        def create(ctx: StepContext) -> None:
            arn = self.aws.call("scheduler:CreateSchedule", scheduler.create_schedule, **d)["ScheduleArn"]
            ctx.emit(f"created {arn}")

        return Step(title=f"Create schedule {group}/{name}: {d['ScheduleExpression']} {d['ScheduleExpressionTimezone']}",
                    commands=[_create_command(d)], run=create, done=exists,
                    undo=lambda ctx: self.aws.call("scheduler:DeleteSchedule", scheduler.delete_schedule,
                                                   Name=name, GroupName=group),
                    undo_commands=[f"aws scheduler delete-schedule --name {name} --group-name {group}"])


def _utc(value: Any) -> datetime | None:
    return value.astimezone(UTC) if isinstance(value, datetime) else None


def _document(doc: Any) -> Any:
    """A policy document as a dict (botocore decodes them; URL-encoded JSON is handled too)."""
    if isinstance(doc, str):
        try:
            return json.loads(urllib.parse.unquote(doc))
        except json.JSONDecodeError:
            return {}
    return doc or {}


def _update_commands(schedule: Schedule, state: str) -> list[str]:
    where = f"--name {shlex.quote(schedule.name)} --group-name {shlex.quote(schedule.group)}"
    return [f"aws scheduler get-schedule {where} --query Target > target.json",
            f"aws scheduler update-schedule {where} "
            f"--schedule-expression {shlex.quote(schedule.expression)} "
            f"--schedule-expression-timezone {shlex.quote(schedule.timezone)} "
            f"--flexible-time-window Mode=OFF --target file://target.json --state {state}"
            + (f" --description {shlex.quote(schedule.description)}" if schedule.description
               else "")]  # update-schedule drops what it is not given: the description is kept


def _create_command(d: dict[str, Any]) -> str:
    return (f"aws scheduler create-schedule --name {shlex.quote(d['Name'])} "
            f"--group-name {shlex.quote(d['GroupName'])} "
            f"--schedule-expression {shlex.quote(d['ScheduleExpression'])} "
            f"--schedule-expression-timezone {shlex.quote(d['ScheduleExpressionTimezone'])} "
            f"--flexible-time-window Mode=OFF --target {shlex.quote(json.dumps(d['Target']))}")
