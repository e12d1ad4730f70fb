"""`primetui report [--since 7d] [--out FILE]`: the maintenance report of a time window.

Markdown from the audit log and the current findings: what was done, what failed, what is
pending. Written to `primetui-report-YYYY-MM-DD.md` in the current directory (its path is
printed), to FILE, or to stdout with `--out -`.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `report` to the CLI."""
    parser = subparsers.add_parser(
        "report", help="write a Markdown report: what was done, what failed, what is pending")
    parser.add_argument("--since", default="7d", metavar="AGE",
                        help="the window, e.g. 7d, 12h, 30m (default 7d)")
    parser.add_argument("--out", default=None, metavar="FILE",
                        help="where to write it ('-' for stdout; default "
                             "./primetui-report-YYYY-MM-DD.md)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="how long collecting the current findings may take (default 20)")
    parser.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    """Build the report and write it where asked."""
    import time

    from primetui.cli.check import leave_now_if_stuck
    from primetui.cli.main import load_for_command, parse_age
    from primetui.errors import UsageError
    from primetui.overview.collector import DEFAULT_TIMEOUT
    from primetui.overview.report import build_report, report_filename, save_report
    from primetui.registry import Services

    seconds = parse_age(args.since)
    if args.timeout is not None and not 0 < args.timeout < float("inf"):
        raise UsageError("--timeout: expected a positive number of seconds.")
    settings = load_for_command(args)
    now = time.time()
    services = Services(settings, prompter=None)
    services.aws.limit_deadline(args.timeout or DEFAULT_TIMEOUT)
    before = set(threading.enumerate())
    text = build_report(services, seconds, window=args.since, timeout=args.timeout, now=now)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        print(save_report(text, Path(args.out) if args.out else Path.cwd() / report_filename(now)))
    leave_now_if_stuck(before, 0)
    return 0
