"""`primetui maintenance plan|on|off|status`: the maintenance wizard for the terminal and scripts.

`plan` prints every step with its commands; `on` and `off` show the plan, ask (the checklist,
then the domain typed for `on`) and run it with live output, unless `--yes`; without a
terminal to ask on they refuse. `status` reads the saved progress only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from typing import Any

from primetui.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `maintenance` and its subcommands to the CLI."""
    parser = subparsers.add_parser(
        "maintenance", help="the maintenance page: a resumable wizard that moves traffic and back")
    sub = parser.add_subparsers(dest="maintenance_command", required=True,
                                parser_class=type(parser))

    plan = sub.add_parser("plan", help="print every step of the wizard with its commands")
    _page_arguments(plan)
    plan.add_argument("--json", action="store_true", help="one JSON document on stdout")
    plan.set_defaults(handler=plan_command)

    on = sub.add_parser("on", help="run the wizard: maintenance host up, traffic moved to it")
    _page_arguments(on)
    on.add_argument("--yes", action="store_true",
                    help="do not ask (confirms the checklist: calendar checked, users told)")
    on.add_argument("--dry-run", action="store_true", help="print the commands only")
    on.set_defaults(handler=on_command)

    off = sub.add_parser("off", help="traffic back to prod, then keep, stop or remove the host")
    off.add_argument("--teardown", choices=("keep", "stop", "terminate"), default="keep",
                     help="what happens to the maintenance host afterwards (default: keep)")
    off.add_argument("--yes", action="store_true", help="do not ask")
    off.add_argument("--dry-run", action="store_true", help="print the commands only")
    off.set_defaults(handler=off_command)

    discover = sub.add_parser("discover", help="find prod's EC2 instance and offer to save it")
    discover.add_argument("--save", action="store_true",
                          help="save what was found without asking (when it is unambiguous)")
    discover.set_defaults(handler=discover_command)

    status = sub.add_parser("status", help="on or off, since when, on which instance, progress")
    status.add_argument("--json", action="store_true", help="one JSON document on stdout")
    status.set_defaults(handler=status_command)


def _page_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--message", help="what the page says (default: scheduled maintenance)")
    parser.add_argument("--back", metavar="WHEN",
                        help="expected return: e.g. 2h, 18:30 or '2025-06-01 18:00'")
    parser.add_argument("--contact", help="whom to contact (default: maintenance.contact)")


def _services(args: argparse.Namespace) -> Any:
    from primetui.cli.main import TerminalPrompter, load_for_command
    from primetui.registry import Services

    return Services(load_for_command(args), prompter=TerminalPrompter())


def _page_options(args: argparse.Namespace, service: Any) -> Any:
    """PageOptions from --message/--back/--contact, or None to keep the page already written."""
    import dataclasses

    from primetui.maintenance.page import parse_return_time

    if args.message is None and args.back is None and args.contact is None:
        return None
    saved = service.page_options()
    try:
        back = parse_return_time(args.back, datetime.now().astimezone()) if args.back else None
    except ValueError as err:
        raise UsageError(f"--back: {err}") from None
    changes: dict[str, Any] = {}
    if args.message is not None:
        changes["message"] = args.message
    if args.back is not None:
        changes["return_at"] = back
    if args.contact is not None:
        changes["contact"] = args.contact
    return dataclasses.replace(saved, **changes)


def plan_command(args: argparse.Namespace) -> int:
    """Print the `on` wizard, step by step, with each step's commands and saved progress."""
    from primetui.maintenance.service import OnOptions

    service = _services(args).maintenance
    plan = service.plan_on(OnOptions(page=_page_options(args, service)))
    status = service.status()
    if args.json:
        steps = [{"key": p.key, "title": s.title, "commands": s.commands, "done": p.done}
                 for s, p in zip(plan.steps, status.steps, strict=True)]
        print(json.dumps({"title": plan.title, "steps": steps}, indent=2))
        return 0
    print(plan.describe())
    nxt = status.next_step
    print(f"Next: {nxt.title}." if nxt else "Every step is done: maintenance is on.")
    return 0


def _ask_checklist() -> None:
    from primetui.maintenance.service import CHECKLIST

    for item in CHECKLIST:
        if input(f"{item} [y/N] ").strip().lower() not in ("y", "yes"):
            raise UsageError("The checklist is not confirmed, so nothing was done.")


def on_command(args: argparse.Namespace) -> int:
    """Run the wizard (asks the checklist and the domain unless --yes)."""
    from primetui.cli.main import run_plan_in_terminal
    from primetui.maintenance.service import OnOptions

    services = _services(args)
    read_only = services.settings.ui.read_only
    if read_only and not args.dry_run:
        raise UsageError("Read-only mode is on, so maintenance was not turned on.")
    service = services.maintenance
    page = _page_options(args, service)
    if args.dry_run:
        print(service.plan_on(OnOptions(page=page)).describe())
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("Refusing to change anything without a terminal to ask on; "
                             "pass --yes.")
        _ask_checklist()
    plan = service.plan_on(OnOptions(page=page, checklist_confirmed=True))
    code = run_plan_in_terminal(plan, services, yes=args.yes, dry_run=False, read_only=read_only)
    if code == 0:
        print(_status_line(service.status()))
    return code


def off_command(args: argparse.Namespace) -> int:
    """Traffic back to prod, then the chosen teardown."""
    from primetui.cli.main import run_plan_in_terminal
    from primetui.maintenance.service import OffOptions

    services = _services(args)
    read_only = services.settings.ui.read_only
    if read_only and not args.dry_run:
        raise UsageError("Read-only mode is on, so maintenance was not turned off.")
    plan = services.maintenance.plan_off(OffOptions(teardown=args.teardown))
    return run_plan_in_terminal(plan, services, yes=args.yes, dry_run=args.dry_run,
                                read_only=read_only)


def _status_line(status: Any) -> str:
    if status.on:
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(status.since or 0))
        return (f"Maintenance is ON for {status.domain} since {since}, "
                f"on {status.instance_id} ({status.public_ip or 'no public address'}).")
    nxt = status.next_step
    if status.started and nxt:
        return f"Maintenance is off; the wizard stopped before: {nxt.title}."
    return f"Maintenance is off for {status.domain or '(no domain configured)'}."


def status_command(args: argparse.Namespace) -> int:
    """Print whether maintenance is on, since when, on which instance, and the progress."""
    status = _services(args).maintenance.status()
    if args.json:
        print(json.dumps({
            "on": status.on, "since": status.since, "instance_id": status.instance_id,
            "domain": status.domain, "switch": status.switch, "public_ip": status.public_ip,
            "error": status.error,
            "steps": [{"key": s.key, "title": s.title, "done": s.done} for s in status.steps]},
            indent=2))
        return 0
    print(_status_line(status))
    for i, step in enumerate(status.steps, 1):
        print(f"  [{'x' if step.done else ' '}] {i}. {step.title}")
    if status.error:
        print(f"Last failure: {status.error}")
    return 0


def discover_command(args: argparse.Namespace) -> int:
    """Find servers.<prod>.instance: show the candidates, then save or print the line."""
    from primetui.maintenance.discovery import discover_prod, save_instance

    services = _services(args)
    settings = services.settings
    name = settings.maintenance.prod
    server = settings.servers.get(name)
    if server is None:
        raise UsageError(f"maintenance.prod names '{name}', which is not a [servers] table.")
    found = discover_prod(services.aws, server=name, host=server.host,
                          domain=settings.maintenance.domain)
    if not found:
        print(f"No instance matches prod: none holds an Elastic IP of the site, has the "
              f"address {server.host}, or is named {name!r}.")
        return 1
    print("Found:")
    for candidate in found:
        print(f"  {candidate.describe()}")
    best = found[0]
    if len(found) > 1 and found[1].rank == best.rank:
        print(f"More than one instance fits equally; set servers.{name}.instance yourself.")
        return 1
    line = f'instance = "{best.instance_id}"'
    if server.instance == best.instance_id:
        print(f"servers.{name}.instance is already {best.instance_id}.")
        return 0
    if settings.path is None or settings.ui.read_only:
        print(f"Add to [servers.{name}]: {line}")
        return 0
    if not args.save:
        if not sys.stdin.isatty():
            print(f"Add to [servers.{name}] in {settings.path}: {line}  (or pass --save)")
            return 0
        if input(f"Save {line} in [servers.{name}] of {settings.path}? [y/N] "
                 ).strip().lower() not in ("y", "yes"):
            print("Nothing was saved.")
            return 0
    if save_instance(settings.path, name, best.instance_id):
        print(f"Saved servers.{name}.instance = {best.instance_id} in {settings.path}.")
    else:
        print(f"tomlkit is not installed, so the config was not edited; add to "
              f"[servers.{name}] in {settings.path}: {line}")
    return 0
