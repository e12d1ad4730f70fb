"""`primetui check [--json]`: what needs attention now, for cron and scripts.

Exit 0 when all is well, 1 with warnings, 2 with anything critical (a bad config file is
also 2, with its one sentence). Never prompts: an unknown host key is a finding, not a
question; finishes within `--timeout` even when AWS or a server does not answer.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from primetui.findings.model import FindingsReport

LABELS = {"critical": "CRITICAL", "warning": "WARNING", "info": "note", "ok": "ok"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `check` to the CLI."""
    parser = subparsers.add_parser(
        "check", help="what needs attention now; exit 0 fine, 1 warning, 2 critical")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--quiet", action="store_true",
                        help="print nothing when all is well (for cron mail)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="how long the whole check may take (default 20)")
    parser.set_defaults(handler=check_command)


def check_command(args: argparse.Namespace) -> int:
    """Collect the findings, print them (text or JSON) and exit with their severity."""
    from primetui.cli.main import load_for_command
    from primetui.errors import UsageError
    from primetui.overview.collector import DEFAULT_TIMEOUT
    from primetui.registry import Services

    if args.timeout is not None and not args.timeout > 0:
        raise UsageError("--timeout: expected a positive number of seconds.")
    settings = load_for_command(args)
    services = Services(settings, prompter=None)  # no prompter: nothing is ever asked
    report = services.findings.collect(timeout=args.timeout or DEFAULT_TIMEOUT)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    elif not (args.quiet and report.exit_code == 0):
        print_report(report)
    return report.exit_code


def print_report(report: FindingsReport, out: Callable[[str], None] = print) -> None:
    """The findings, most urgent first, then each area's status, then the summary line."""
    from primetui.findings.model import fix_text

    for f in report.findings:
        fix = f"  → {fix_text(f)}" if f.action else ""
        out(f"{LABELS[f.severity]:<9} {f.title}{fix}")
        if f.detail:
            out(f"          {f.detail}")
    if report.findings:
        out("")
    for a in report.areas:
        out(f"  {a.title:<14} {LABELS[a.severity]:<9} {a.summary}")
    out("")
    out(report.headline())
