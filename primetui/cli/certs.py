"""`primetui certs list|renew|auto-renew`: the Certificates tab for cron and scripts.

Only argparse and light modules are imported at start-up; the service (and with it
Fabric, paramiko and cryptography) is imported by the handlers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import datetime
from enum import Enum
from typing import Any

from primetui.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `certs` and its subcommands to the CLI."""
    parser = subparsers.add_parser("certs", help="TLS certificates: expiry from both sides, renew")
    sub = parser.add_subparsers(dest="certs_command", required=True, parser_class=type(parser))

    listing = sub.add_parser("list", help="each domain's certificate as served and on the server")
    listing.add_argument("--json", action="store_true", help="one JSON document on stdout")
    listing.set_defaults(handler=list_command)

    renew = sub.add_parser("renew", help="renew with certbot over SSH, then verify what is served")
    renew.add_argument("domain", nargs="?", metavar="DOMAIN",
                       help="renew only the certificate covering DOMAIN (default: all that are due)")
    renew.add_argument("--dry-run", action="store_true",
                       help="certbot renew --dry-run: try it against the ACME server, change nothing")
    renew.add_argument("--force", action="store_true", help="renew even when not due (--force-renewal)")
    renew.add_argument("--yes", action="store_true", help="do not ask")
    renew.set_defaults(handler=renew_command)

    issue = sub.add_parser("issue", help="issue a first certificate for a domain certbot has "
                           "none for (certbot certonly), then verify what is served")
    issue.add_argument("domain", metavar="DOMAIN", help="the domain to issue a certificate for")
    issue.add_argument("--yes", action="store_true", help="do not ask")
    issue.set_defaults(handler=issue_command)

    auto = sub.add_parser("auto-renew", help="install a renewal timer (or cron entry) if none is on")
    auto.add_argument("--yes", action="store_true", help="do not ask")
    auto.set_defaults(handler=auto_renew_command)


def _service(args: argparse.Namespace) -> tuple[Any, Any]:
    from primetui.cli.main import TerminalPrompter, load_for_command
    from primetui.registry import Services

    settings = load_for_command(args)
    if not settings.certificates.domains:
        raise UsageError(f"No domains are configured: add them to [certificates] domains in "
                         f"{settings.path}.")
    return settings, Services(settings, prompter=TerminalPrompter()).certificates


def plain(value: Any) -> Any:
    """Frozen results as JSON-ready data: times in ISO 8601, enums as their values."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def overview_document(overview: Any) -> dict[str, Any]:
    """The overview as the one JSON document `certs list --json` prints."""
    server = None
    if overview.server is not None:
        s = overview.server
        server = {"name": s.server, "host": s.host, "config_dir": s.config_dir,
                  "certificates": plain(s.listing.certificates),
                  "invalid_configs": list(s.listing.invalid_configs),
                  "renewal": plain(s.renewal),
                  "auto_renewal": {**plain(s.auto_renewal), "active": s.auto_renewal.active,
                                   "description": s.auto_renewal.describe()}}
    domains = [{**plain(d), "note": d.note} for d in overview.domains]
    return {"checked_at": plain(overview.checked_at), "worst": overview.worst.value,
            "domains": domains, "server": server, "server_error": overview.server_error}


def format_table(overview: Any) -> str:
    """The domains as an aligned text table, most urgent first."""
    header = ("DOMAIN", "STATE", "DAYS", "SERVED UNTIL", "SERIAL", "ISSUER", "ON SERVER",
              "AUTH", "NOTE")
    rows = [header]
    for d in overview.domains:
        e, disk = d.endpoint, d.on_disk
        until = f"{e.not_after:%Y-%m-%d %H:%M}" if e.not_after else "-"
        if disk is not None and disk.expiry is not None:
            on_server = f"{disk.expiry:%Y-%m-%d} ({'VALID' if disk.valid else 'INVALID'}: {disk.detail})"
        else:
            on_server = "-"
        state = d.urgency.value if e.state.value == "ok" else f"{d.urgency.value}: {e.state.value}"
        rows.append((d.domain, state, "-" if d.days_left is None else str(d.days_left), until,
                     e.serial or "-", e.issuer or "-", on_server, d.authenticator or "-", d.note))
    widths = [max(len(str(r[c])) for r in rows) for c in range(len(header))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def list_command(args: argparse.Namespace) -> int:
    """Print every domain from both sides; exit 1 when certbot's side could not be read."""
    _settings, service = _service(args)
    try:
        overview = service.overview()
    finally:
        service.close()
    if args.json:
        print(json.dumps(overview_document(overview), indent=2))
    else:
        print(format_table(overview))
        if overview.server is not None:
            print(f"\n{overview.server.server} ({overview.server.host}): "
                  f"{overview.server.auto_renewal.describe()}")
    if overview.server_error:
        print(f"primetui: certbot's side is not shown: {overview.server_error}", file=sys.stderr)
        return 1
    return 0


def renew_command(args: argparse.Namespace) -> int:
    """Renew as a plan (asks unless --yes or a webroot dry run), then say what changed."""
    from primetui.cli.main import TerminalPrompter, run_plan_in_terminal
    from primetui.registry import Services

    settings, service = _service(args)
    try:
        renewal = service.renew_plan(args.domain, dry_run=args.dry_run, force=args.force)
        read_only = settings.ui.read_only
        if read_only and renewal.plan.mutating:
            raise UsageError("Read-only mode is on, so nothing was renewed.")
        services = Services(settings, prompter=TerminalPrompter())
        code = run_plan_in_terminal(renewal.plan, services, dry_run=False, read_only=read_only,
                                    yes=args.yes or not renewal.plan.mutating)
    finally:
        service.close()
    if code == 0 or renewal.report.failures:  # a partial renewal: each domain's own outcome
        print(renewal.report.summary())
    return code


def issue_command(args: argparse.Namespace) -> int:
    """Issue a first certificate as a plan (asks unless --yes), then say what is served."""
    from primetui.cli.main import TerminalPrompter, run_plan_in_terminal
    from primetui.registry import Services

    settings, service = _service(args)
    try:
        if settings.ui.read_only:
            raise UsageError("Read-only mode is on, so no certificate was issued.")
        issuance = service.issue_plan(args.domain)
        services = Services(settings, prompter=TerminalPrompter())
        code = run_plan_in_terminal(issuance.plan, services, dry_run=False, read_only=False,
                                    yes=args.yes)
    finally:
        service.close()
    if issuance.report.outcomes:
        print("; ".join(issuance.report.outcomes.values()) + ".")
    return code


def auto_renew_command(args: argparse.Namespace) -> int:
    """Install automatic renewal when none is on; say so when it already is."""
    from primetui.cli.main import TerminalPrompter, run_plan_in_terminal
    from primetui.registry import Services

    settings, service = _service(args)
    try:
        status = service.server_certificates()
        if status.auto_renewal.active:
            print(status.auto_renewal.describe())
            return 0
        if settings.ui.read_only:
            raise UsageError("Read-only mode is on, so no renewal timer was installed.")
        plan = service.auto_renewal_plan(status)
        services = Services(settings, prompter=TerminalPrompter())
        return run_plan_in_terminal(plan, services, yes=args.yes, dry_run=False)
    finally:
        service.close()
