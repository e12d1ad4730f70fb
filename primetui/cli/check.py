"""`primetui check [--json]`: what needs attention now, for cron and scripts.

Exit 0 when all is well, 1 with warnings, 2 with anything critical, 3 when the state is
unknown (a bad config file: nothing could be checked), as monitoring plugins do; a wrong
option is a usage error (2) like everywhere else. Never prompts: an unknown host key is a finding, not a
question; finishes within `--timeout` even when AWS or a server does not answer.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from primetui.cli.terminal import Terminal

if TYPE_CHECKING:
    from primetui.findings.model import FindingsReport

LABELS = {"critical": "CRITICAL", "warning": "WARNING", "info": "note", "ok": "ok"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `check` to the CLI."""
    parser = subparsers.add_parser(
        "check", help="what needs attention now; exit 0 fine, 1 warning, 2 critical, 3 unknown")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--quiet", action="store_true",
                        help="print nothing when all is well (for cron mail)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="how long the whole check may take (default 20)")
    parser.set_defaults(handler=check_command, prompts=False)  # nothing is ever asked


UNKNOWN = 3
"""The exit code when nothing could be checked (the monitoring plugins' UNKNOWN)."""


def check_command(term: Terminal) -> int:
    """Collect the findings, print them (text or JSON) and exit with their severity."""
    from primetui.errors import ConfigError, UsageError
    from primetui.overview.collector import DEFAULT_TIMEOUT

    args = term.args
    if args.timeout is not None and not 0 < args.timeout < float("inf"):
        raise UsageError("--timeout: expected a positive number of seconds.")  # usage: 2
    try:
        services = term.services  # reads the config now: a bad one is UNKNOWN
    except ConfigError as err:
        term.warn(str(err))
        if term.json:
            term.print_json({"status": "unknown", "exit_code": UNKNOWN, "error": str(err)})
        return UNKNOWN
    timeout = args.timeout or DEFAULT_TIMEOUT
    services.aws.limit_deadline(timeout)
    before = set(threading.enumerate())
    report = services.findings.collect(timeout=timeout)
    if term.json:
        term.print_json(_iso_times(report.to_json()))
    elif not (args.quiet and report.exit_code == 0):
        print_report(report)
    leave_now_if_stuck(before, report.exit_code)
    return report.exit_code


def _iso_times(document: object) -> object:
    """The report's epoch-second fields (`*_at`, `when`, `since`) as ISO 8601 with zone."""
    from primetui.cli.terminal import iso_time

    if isinstance(document, dict):
        return {k: iso_time(v) if _is_time_key(k) and isinstance(v, int | float)
                and not isinstance(v, bool) else _iso_times(v) for k, v in document.items()}
    if isinstance(document, list):
        return [_iso_times(v) for v in document]
    return document


def _is_time_key(key: str) -> bool:
    return key.endswith("_at") or key in ("when", "since", "collected", "checked")


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
