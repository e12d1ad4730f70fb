"""`primetui practice`: the harmless practice plan, to see how plans are shown, asked and run."""

from __future__ import annotations

import argparse

from primetui.cli.terminal import Terminal


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `practice` to the CLI."""
    practice = subparsers.add_parser(
        "practice", help="run the harmless practice plan (shows how plans work)")
    practice.add_argument("--dry-run", action="store_true", help="print the commands only")
    practice.add_argument("--yes", action="store_true", help="do not ask")
    practice.add_argument("--fail", action="store_true", help="include a failing step (to see undo)")
    practice.add_argument("--json", action="store_true",
                          help="the run as one JSON document on stdout")
    practice.set_defaults(handler=practice_command)


def practice_command(term: Terminal) -> int:
    """Show, ask and run the practice plan."""
    from primetui.plans.practice import practice_plan

    plan = practice_plan(term.settings, failing=term.args.fail)
    return term.run_plan(plan, yes=term.args.yes, dry_run=term.args.dry_run)
