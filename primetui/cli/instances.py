"""`primetui instances list|show|start|stop`: the Instances tab for cron and scripts.

Only argparse and light modules are imported at start-up; the services (and boto3 through
them) are imported by the handlers.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from primetui.cli.terminal import Terminal, iso_time, plain
from primetui.errors import PrimeError, UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `instances` and its subcommands to the CLI."""
    parser = subparsers.add_parser("instances", help="EC2 and RDS instances: list, start, stop")
    sub = parser.add_subparsers(dest="instances_command", required=True, parser_class=type(parser))

    listing = sub.add_parser("list", help="every EC2 and RDS instance with its state")
    listing.add_argument("--json", action="store_true", help="one JSON document on stdout")
    listing.set_defaults(handler=list_command)

    show = sub.add_parser("show", help="one instance: tags, security groups, storage")
    show.add_argument("name", metavar="NAME_OR_ID")
    show.add_argument("--json", action="store_true", help="one JSON document on stdout")
    show.set_defaults(handler=show_command)

    for action, target in (("start", "running"), ("stop", "stopped")):
        p = sub.add_parser(action, help=f"{action} an EC2 or RDS instance")
        p.add_argument("name", metavar="NAME_OR_ID", help="the Name tag, instance id or DB identifier")
        p.add_argument("--yes", action="store_true", help="do not ask")
        p.add_argument("--wait", action="store_true", help=f"wait until it is {target}")
        p.add_argument("--dry-run", action="store_true", help="print the commands only")
        p.add_argument("--confirm", metavar="NAME",
                       help="the instance's name, needed for a protected one (even with --yes)")
        p.add_argument("--json", action="store_true", help="the run as one JSON document on stdout")
        p.set_defaults(handler=start_stop_command, action=action)


def _instance_json(instance: Any) -> dict[str, Any]:
    data = plain(instance)
    data["tags"] = dict(instance.tags)
    return data


def _row_json(instance: Any, names: list[str]) -> dict[str, Any]:
    """`_instance_json` for a listing's rows, without the generic walk (1,000 rows)."""
    data: dict[str, Any] = {}
    for name in names:
        value = getattr(instance, name)
        if isinstance(value, datetime):
            value = iso_time(value)
        elif isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        data[name] = value
    data["tags"] = dict(instance.tags)
    return data


def list_command(term: Terminal) -> int:
    """Print every instance (with the schedules acting on it)."""
    from concurrent.futures import ThreadPoolExecutor

    from primetui.instances.model import attach_schedules

    service, schedules_service = term.services.instances, term.services.schedules
    with ThreadPoolExecutor(max_workers=1) as pool:  # the schedules while the instances come
        reading = pool.submit(schedules_service.list, role_checks=False)
        instances = service.list(page_size=None)  # nothing to keep drawing: the fewest calls
    schedules_error = None
    try:
        schedules = reading.result()
        instances = attach_schedules(instances, schedules, schedules_service.running_hours(schedules))
    except PrimeError as err:  # the instances are still worth showing
        schedules_error = str(err)
    from primetui.cli.completion import remember

    remember("instances", [n for i in instances for n in (i.name, i.id)])
    if term.json:
        import dataclasses
        import json

        from primetui.instances.model import Instance

        names = [f.name for f in dataclasses.fields(Instance)]
        # what term.print_json prints (the rows are already plain data)
        print(json.dumps({"instances": [_row_json(i, names) for i in instances],
                          "schedules_error": schedules_error}, indent=2))
        return 0
    if schedules_error:
        term.warn(f"schedules not shown: {schedules_error}")
    print(format_table(instances))
    return 0


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def format_table(instances: list[Any]) -> str:
    """The instances as an aligned text table."""
    if not instances:
        return "No EC2 or RDS instances in this region."
    header = ("NAME", "ID", "KIND", "TYPE", "STATE", "ADDRESS", "SINCE", "SCHEDULED", "NOTE")
    rows = [header]
    for i in instances:
        note = ["protected"] if i.protected else []
        if i.auto_restart:
            note.append(f"AWS restarts it {_when(i.auto_restart)}")
        hours = f"{i.scheduled_hours:g} h/wk" if i.scheduled_hours is not None else "-"
        rows.append((i.name, i.id, i.kind, i.type, i.state, i.address or "-",
                     _when(i.running_since), hours, ", ".join(note)))
    widths = [max(len(str(r[c])) for r in rows) for c in range(len(header))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def show_command(term: Terminal) -> int:
    """Print one instance's details."""
    service = term.services.instances
    details = service.details(service.find(term.args.name))
    if term.json:
        data = plain(details)
        data["instance"] = _instance_json(details.instance)
        term.print_json(data)
        return 0
    i = details.instance
    print(f"{i.name} ({i.id}), {i.kind} {i.type}, {i.state}")
    print(f"  launched: {_when(details.launch_time)}")
    for key, value in details.extra:
        print(f"  {key}: {value}")
    for key, value in i.tags:
        print(f"  tag {key} = {value}")
    for group in details.security_groups:
        print(f"  security group {group.name} ({group.id})")
        for rule in group.inbound:
            print(f"    in {rule.protocol} {rule.ports} from {', '.join(rule.sources) or '-'}"
                  + (f"  ({rule.description})" if rule.description else ""))
    for v in details.volumes:
        print(f"  storage {v.device} {v.id}: {v.size_gib} GiB {v.type}"
              + (", encrypted" if v.encrypted else ""))
    return 0


def start_stop_command(term: Terminal) -> int:
    """Start or stop one instance as a plan (asks unless --yes; protected: --confirm NAME)."""
    args = term.args
    service = term.services.instances
    if term.read_only and not args.dry_run:
        done = {"start": "started", "stop": "stopped"}[args.action]
        raise UsageError(f"Read-only mode is on, so nothing was {done}.")
    instance = service.find(args.name)
    already = service.already(instance, args.action)
    if already:
        term.say(already)
        if term.json:
            term.print_json({"action": f"instances.{args.action}", "target": instance.name,
                             "outcome": "already", "error": None, "message": already})
        return 0
    plan = (service.start_plan if args.action == "start" else service.stop_plan)(
        instance, wait=args.wait)
    return term.run_plan(plan, yes=args.yes, dry_run=args.dry_run)
