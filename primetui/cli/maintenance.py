"""`primetui maintenance plan|on|off|status`: the maintenance wizard for the terminal and scripts.

`plan` prints every step with its commands; `on` and `off` show the plan, ask (the checklist,
then the domain typed for `on`) and run it with live output, unless `--yes`; without a
terminal to ask on they refuse. `status` reads the saved progress only.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from typing import Any

from primetui.cli.terminal import Terminal, is_terminal, iso_time
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
    _confirm_arguments(on)
    on.set_defaults(handler=on_command)

    off = sub.add_parser("off", help="traffic back to prod, then keep, stop or remove the host")
    off.add_argument("--teardown", choices=("keep", "stop", "terminate"), default="keep",
                     help="what happens to the maintenance host afterwards (default: keep)")
    off.add_argument("--yes", action="store_true", help="do not ask")
    off.add_argument("--dry-run", action="store_true", help="print the commands only")
    _confirm_arguments(off)
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


def _confirm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--confirm", metavar="DOMAIN",
                        help="the maintenance domain, needed to go on (even with --yes)")
    parser.add_argument("--json", action="store_true", help="the run as one JSON document on stdout")


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


def plan_command(term: Terminal) -> int:
    """Print the `on` wizard, step by step, with each step's commands and saved progress."""
    from primetui.maintenance.service import OnOptions

    service = term.services.maintenance
    plan = service.plan_on(OnOptions(page=_page_options(term.args, service)))
    status = service.status()
    if term.json:
        steps = [{"key": p.key, "title": s.title, "commands": s.commands, "done": p.done}
                 for s, p in zip(plan.steps, status.steps, strict=True)]
        term.print_json({"title": plan.title, "steps": steps})
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


def on_command(term: Terminal) -> int:
    """Run the wizard (asks the checklist and the domain; --yes needs --confirm DOMAIN)."""
    from primetui.maintenance.service import OnOptions

    args = term.args
    if term.read_only and not args.dry_run:
        raise UsageError("Read-only mode is on, so maintenance was not turned on.")
    service = term.services.maintenance
    page = _page_options(args, service)
    if args.dry_run:
        return term.run_plan(service.plan_on(OnOptions(page=page)), yes=True, dry_run=True)
    plan = service.plan_on(OnOptions(page=page, checklist_confirmed=True))
    if args.yes:
        term.confirm_protected(plan, yes=True)  # before anything is asked or run
    else:
        if not is_terminal():
            raise UsageError("Refusing to change anything without a terminal to ask on; "
                             "pass --yes.")
        _ask_checklist()
    code = term.run_plan(plan, yes=args.yes, dry_run=False)
    if code == 0:
        term.say(_status_line(service.status()))
    return code


def off_command(term: Terminal) -> int:
    """Traffic back to prod, then the chosen teardown (the domain confirms it, as for `on`)."""
    from primetui.maintenance.service import OffOptions

    args = term.args
    if term.read_only and not args.dry_run:
        raise UsageError("Read-only mode is on, so maintenance was not turned off.")
    service = term.services.maintenance
    plan = service.plan_off(OffOptions(teardown=args.teardown))
    if not plan.confirm_name:
        plan.confirm_name = service.status().domain or term.settings.maintenance.domain or None
    return term.run_plan(plan, yes=args.yes, dry_run=args.dry_run)


def _status_line(status: Any) -> str:
    if status.on:
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(status.since or 0))
        return (f"Maintenance is ON for {status.domain} since {since}, "
                f"on {status.instance_id} ({status.public_ip or 'no public address'}).")
    nxt = status.next_step
    if status.started and nxt:
        return f"Maintenance is off; the wizard stopped before: {nxt.title}."
    return f"Maintenance is off for {status.domain or '(no domain configured)'}."


def status_command(term: Terminal) -> int:
    """Print whether maintenance is on, since when, on which instance, and the progress."""
    status = term.services.maintenance.status()
    if term.json:
        term.print_json({
            "on": status.on, "since": iso_time(status.since), "instance_id": status.instance_id,
            "domain": status.domain, "switch": status.switch, "public_ip": status.public_ip,
            "error": status.error,
            "steps": [{"key": s.key, "title": s.title, "done": s.done} for s in status.steps]})
        return 0
    print(_status_line(status))
    for i, step in enumerate(status.steps, 1):
        print(f"  [{'x' if step.done else ' '}] {i}. {step.title}")
    if status.error:
        print(f"Last failure: {status.error}")
    return 0


def discover_command(term: Terminal) -> int:
    """Find servers.<prod>.instance: show the candidates, then save or print the line."""
    settings = term.services.settings
    name = settings.maintenance.prod
    if settings.servers.get(name) is None:
        raise UsageError(f"maintenance.prod names '{name}', which is not a [servers] table.")
    return offer_prod_instance(term, save=term.args.save)


def offer_prod_instance(term: Terminal, *, save: bool) -> int:
    """Look for prod's EC2 instance, show what was found, and save it (`save`, or yes on a
    terminal) in the config keeping its comments; else print the line to add. Shared by
    `maintenance discover` and `config init --discover`."""
    import sys

    services = term.services
    settings = services.settings
    wizard = services.maintenance
    name = settings.maintenance.prod
    server = settings.servers.get(name)
    found = wizard.discover_prod()
    if not found:
        where = f", has the address {server.host}" if server and server.host else ""
        print(f"No instance matches prod: none holds an Elastic IP of the site{where}, or "
              f"is named {name!r}.")
        return 1
    print("Found:")
    for candidate in found:
        print(f"  {candidate.describe()}")
    best = found[0]
    if len(found) > 1 and found[1].rank == best.rank:
        print(f"More than one instance fits equally; set servers.{name}.instance yourself.")
        return 1
    line = f'instance = "{best.instance_id}"'
    if server is not None and server.instance == best.instance_id:
        print(f"servers.{name}.instance is already {best.instance_id}.")
        return 0
    if settings.path is None or settings.ui.read_only:
        print(f"Add to [servers.{name}]: {line}")
        return 0
    if not save:
        if not sys.stdin.isatty():
            print(f"Add to [servers.{name}] in {settings.path}: {line}  (or pass --save)")
            return 0
        if input(f"Save {line} in [servers.{name}] of {settings.path}? [y/N] "
                 ).strip().lower() not in ("y", "yes"):
            print("Nothing was saved.")
            return 0
    if wizard.adopt_prod_instance(best) is not None:
        print(f"Saved servers.{name}.instance = {best.instance_id} in {settings.path}.")
    else:
        print(f"tomlkit is not installed, so the config was not edited; add to "
              f"[servers.{name}] in {settings.path}: {line}")
    return 0
