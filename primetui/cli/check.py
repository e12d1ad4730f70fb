"""`primetui check [--json]`: what needs attention now, for cron and scripts.

Exit 0 when all is well, 1 with warnings, 2 with anything critical (a bad config file is
also 2, with its one sentence). Never prompts: an unknown host key is a finding, not a
question; finishes within `--timeout` even when AWS or a server does not answer.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
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

    if args.timeout is not None and not 0 < args.timeout < float("inf"):
        raise UsageError("--timeout: expected a positive number of seconds.")
    settings = load_for_command(args)
    services = Services(settings, prompter=None)  # no prompter: nothing is ever asked
    timeout = args.timeout or DEFAULT_TIMEOUT
    services.aws.limit_deadline(timeout)
    before = set(threading.enumerate())
    report = services.findings.collect(timeout=timeout)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    elif not (args.quiet and report.exit_code == 0):
        print_report(report)
    leave_now_if_stuck(before, report.exit_code)
    return report.exit_code


def leave_now_if_stuck(before: set[threading.Thread], code: int) -> None:
    """Exit the process now when the check left work behind that would hold it open.

    An area that did not answer in time is abandoned, but a call it started (a trickling
    AWS endpoint, a server that never answers) may sit on a thread the interpreter waits
    for at exit. The answer is printed and flushed, so nothing is lost by not waiting.
    """
    stuck = [t for t in threading.enumerate()
             if t not in before and t.is_alive() and not t.daemon]
    for thread in stuck:
        thread.join(0.05)
    if any(t.is_alive() for t in stuck):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


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
