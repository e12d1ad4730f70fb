"""`primetui certs list|renew|auto-renew`: the Certificates tab for cron and scripts.

Only argparse and light modules are imported at start-up; the service (and with it
Fabric, paramiko and cryptography) is imported by the handlers.
"""

from __future__ import annotations

import argparse
from typing import Any

from primetui.cli.terminal import Terminal, plain
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
    renew.add_argument("--json", action="store_true", help="the run as one JSON document on stdout")
    renew.set_defaults(handler=renew_command)

    issue = sub.add_parser("issue", help="issue a first certificate for a domain certbot has "
                           "none for (certbot certonly), then verify what is served")
    issue.add_argument("domain", metavar="DOMAIN", help="the domain to issue a certificate for")
    issue.add_argument("--yes", action="store_true", help="do not ask")
    issue.set_defaults(handler=issue_command)

    auto = sub.add_parser("auto-renew", help="install what automatic renewal lacks: the deploy "
                          "hook that reloads nginx, and a timer or cron entry if none renews")
    auto.add_argument("--yes", action="store_true", help="do not ask")
    auto.add_argument("--json", action="store_true", help="the run as one JSON document on stdout")
    auto.set_defaults(handler=auto_renew_command)


def _service(term: Terminal) -> Any:
    """The certificates service, once domains are configured."""
    settings = term.settings
    if not settings.certificates.domains:
        raise UsageError(f"No domains are configured: add them to [certificates] domains in "
                         f"{settings.path}.")
    return term.services.certificates


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


def list_command(term: Terminal) -> int:
    """Print every domain from both sides; exit 1 when certbot's side could not be read."""
    service = _service(term)
    try:
        overview = service.overview()
    finally:
        service.close()
    from primetui.cli.completion import remember

    remember("domains", [d.domain for d in overview.domains])
    if term.json:
        term.print_json(overview_document(overview))
    else:
        print(format_table(overview))
        if overview.server is not None:
            print(f"\n{overview.server.server} ({overview.server.host}): "
                  f"{overview.server.auto_renewal.describe()}")
    if overview.server_error:
        term.warn(f"certbot's side is not shown: {overview.server_error}")
        return 1
    return 0


def renew_command(term: Terminal) -> int:
    """Renew as a plan (asks unless --yes or a webroot dry run), then say what changed."""
    args = term.args
    service = _service(term)
    try:
        renewal = service.renew_plan(args.domain, dry_run=args.dry_run, force=args.force)
        if term.read_only and renewal.plan.mutating:
            raise UsageError("Read-only mode is on, so nothing was renewed.")
        code = term.run_plan(renewal.plan, dry_run=False, yes=args.yes or not renewal.plan.mutating)
    finally:
        service.close()
    if code == 0 or renewal.report.failures:  # a partial renewal: each domain's own outcome
        term.say(renewal.report.summary())
    return code


def issue_command(term: Terminal) -> int:
    """Issue a first certificate as a plan (asks unless --yes), then say what is served."""
    args = term.args
    if term.read_only:
        raise UsageError("Read-only mode is on, so no certificate was issued.")
    service = _service(term)
    try:
        issuance = service.issue_plan(args.domain)
        code = term.run_plan(issuance.plan, dry_run=False, yes=args.yes)
    finally:
        service.close()
    if issuance.report.outcomes:
        term.say("; ".join(issuance.report.outcomes.values()) + ".")
    return code


def auto_renew_command(term: Terminal) -> int:
    """Install what automatic renewal lacks (the deploy hook beside an existing timer, or a
    timer or cron entry and the hook); say so when nothing is missing, and say what to
    install, before writing anything, when the server has no scheduler at all."""
    service = _service(term)
    try:
        choice = service.plan_auto_renewal()
        term.say(choice.sentence)
        if choice.plan is None:
            return 0
        if term.read_only:
            raise UsageError("Read-only mode is on, so nothing was installed.")
        return term.run_plan(choice.plan, yes=term.args.yes, dry_run=False)
    finally:
        service.close()
