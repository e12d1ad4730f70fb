"""`primetui audit [--since 7d] [--json]`: what was done, from the audit log."""

from __future__ import annotations

import argparse

from primetui.cli.terminal import Terminal


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `audit` to the CLI."""
    audit = subparsers.add_parser("audit", help="show what was done, from the audit log")
    audit.add_argument("--since", default=None, metavar="AGE", help="e.g. 7d, 12h, 30m")
    audit.add_argument("--json", action="store_true", help="one JSON document on stdout")
    audit.set_defaults(handler=audit_command)


def audit_command(term: Terminal) -> int:
    """Print the audit log's entries (text, or JSON with ISO 8601 times)."""
    import dataclasses
    import time

    from primetui.cli.terminal import iso_time, parse_age
    from primetui.paths import audit_log_path
    from primetui.plans.audit import AuditLog

    args = term.args
    since = time.time() - parse_age(args.since) if args.since else None
    entries = AuditLog(audit_log_path()).entries(since)
    if term.json:
        term.print_json([{**dataclasses.asdict(e), "when": iso_time(e.when)} for e in entries])
        return 0
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.when))
        outcome = e.outcome + (" (dry run)" if e.dry_run else "") + (" (demo)" if e.demo else "")
        where = f" [{e.context}]" if e.context else ""
        print(f"{when}  {e.user}@{e.host}{where}  {e.action}  {e.target}  {outcome}  "
              f"{e.duration:.1f}s")
        if e.error:
            print(f"    {e.error}")
    if not entries:
        print("No actions recorded" + (f" in the last {args.since}." if args.since else "."))
    return 0
