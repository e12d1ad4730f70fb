"""`primetui schedules list|enable|disable`: the Schedules tab for cron and scripts.

`list` shows every EventBridge Scheduler schedule with its next runs (in the schedule's
time zone and local time) and the check of its execution role.
"""

from __future__ import annotations

import argparse
from typing import Any

from primetui.cli.terminal import Terminal
from primetui.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `schedules` and its subcommands to the CLI."""
    parser = subparsers.add_parser("schedules", help="EventBridge Scheduler schedules")
    sub = parser.add_subparsers(dest="schedules_command", required=True, parser_class=type(parser))

    listing = sub.add_parser("list", help="every schedule: next runs and role check")
    listing.add_argument("--json", action="store_true", help="one JSON document on stdout")
    listing.set_defaults(handler=list_command)

    for verb in ("enable", "disable"):
        p = sub.add_parser(verb, help=f"{verb} a schedule")
        p.add_argument("name", metavar="NAME", help="the schedule's name (or GROUP/NAME)")
        p.add_argument("--group", default=None, help="its schedule group (default: found by name)")
        p.add_argument("--yes", action="store_true", help="do not ask")
        p.add_argument("--dry-run", action="store_true", help="print the commands only")
        p.add_argument("--json", action="store_true", help="the run as one JSON document on stdout")
        p.set_defaults(handler=set_state_command, enabled=verb == "enable")


def schedule_json(schedule: Any) -> dict[str, Any]:
    """One schedule as JSON-ready data."""
    check = schedule.role_check
    return {
        "name": schedule.name, "group": schedule.group, "expression": schedule.expression,
        "timezone": schedule.timezone, "state": schedule.state, "description": schedule.description,
        "target_arn": schedule.target_arn, "universal_target": schedule.target.universal,
        "action": schedule.target.action, "direction": schedule.target.direction,
        "instances": list(schedule.target.instances), "role_arn": schedule.role_arn,
        "next_runs": [{"utc": r.at.isoformat(), "schedule_time": r.wall.isoformat(),
                       "local_time": r.local.isoformat()} for r in schedule.next_runs],
        "expression_error": schedule.expression_error,
        "role_check": None if check is None else {
            "ok": check.ok, "summary": check.summary, "error": check.error,
            "checks": [{"what": c.what, "ok": c.ok, "detail": c.detail, "missing": c.missing,
                        "fix": c.fix} for c in check.checks]},
    }


def list_command(term: Terminal) -> int:
    """Print every schedule with its next runs and role check."""
    service = term.services.schedules
    schedules = service.list()
    hours = service.running_hours(schedules)
    if term.json:
        term.print_json({"schedules": [schedule_json(s) for s in schedules],
                         "running_hours": hours})
        return 0
    if not schedules:
        print("No EventBridge Scheduler schedules in this region.")
        return 0
    for s in schedules:
        print(format_schedule(s))
    for ref, value in sorted(hours.items()):
        if value is not None:
            print(f"{ref}: scheduled to run {value:g} h of the next 168 h")
    return 0


def format_schedule(s: Any) -> str:
    """One schedule as a few lines of text."""
    lines = [f"{s.key}  {s.state}  {s.expression}  {s.timezone}",
             f"  target: {s.target_arn}" + (f" ({s.target.direction})" if s.target.direction else "")]
    if s.target.instances:
        lines.append(f"  acts on: {', '.join(s.target.instances)}")
    if s.expression_error:
        lines.append(f"  next runs: unknown: {s.expression_error}")
    for r in s.next_runs:
        lines.append(f"  next: {r.wall:%a %Y-%m-%d %H:%M %Z}  (local {r.local:%a %Y-%m-%d %H:%M %Z})")
    if not s.enabled:
        lines.append("  disabled: none of these runs will happen until it is enabled")
    check = s.role_check
    if check is not None:
        lines.append(f"  role {check.role_arn.rsplit('/', 1)[-1] or '-'}: {check.summary}")
        for c in check.checks:
            if not c.ok and c.fix:
                lines.extend(f"    {line}" for line in c.fix.splitlines())
    return "\n".join(lines)


def set_state_command(term: Terminal) -> int:
    """Enable or disable one schedule as a plan."""
    args = term.args
    service = term.services.schedules
    if term.read_only and not args.dry_run:
        raise UsageError("Read-only mode is on, so the schedule was not changed.")
    group, _, name = args.name.rpartition("/")
    group = args.group or group
    if not group:
        matches = [s for s in service.list(role_checks=False) if s.name == name]
        if not matches:
            raise UsageError(f"No schedule is named '{name}': see 'primetui schedules list'.")
        if len(matches) > 1:
            groups = ", ".join(s.group for s in matches)
            raise UsageError(f"Schedules named '{name}' are in several groups ({groups}): "
                             f"pass --group.")
        schedule = matches[0]
    else:
        schedule = service.get(name, group)
    state = "ENABLED" if args.enabled else "DISABLED"
    if schedule.state == state:
        term.say(f"{schedule.key} is already {state.lower()}; nothing to do.")
        return 0
    plan = service.set_state_plan(schedule, args.enabled)
    return term.run_plan(plan, yes=args.yes, dry_run=args.dry_run)
