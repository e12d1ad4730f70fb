"""The command line: the TUI by default, subcommands for cron and scripts (DESIGN.md contract).

Every error reaches stderr as one sentence with exit code 1 (the operation failed) or 2
(usage or configuration); a traceback goes only to the crash log in the state directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from primetui import __version__
from primetui.errors import PrimeError, UsageError
from primetui.paths import config_path, state_dir


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as our one-sentence UsageError."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message[0].upper()}{message[1:]} (see '{self.prog} --help').")


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line grammar."""
    p = _Parser(prog="primetui", description="The lab's maintenance runbook as a terminal app.")
    p.add_argument("--version", action="version", version=f"primetui {__version__}")
    p.add_argument("--config", metavar="PATH", help="config file (default: $PRIMETUI_CONFIG or "
                   "~/.config/primetui/config.toml)")
    p.add_argument("--demo", action="store_true", help="run against the local practice sandbox")
    p.add_argument("--read-only", action="store_true", help="turn every mutating action off")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    cfg = sub.add_parser("config", help="write, check or locate the config file")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True, parser_class=_Parser)
    init = cfg_sub.add_parser("init", help="write a starter config file")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    cfg_sub.add_parser("check", help="validate the config file")
    cfg_sub.add_parser("path", help="print the config file's path")

    audit = sub.add_parser("audit", help="show what was done, from the audit log")
    audit.add_argument("--since", default=None, metavar="AGE", help="e.g. 7d, 12h, 30m")
    audit.add_argument("--json", action="store_true", help="one JSON document on stdout")

    practice = sub.add_parser("practice", help="run the harmless practice plan (shows how plans work)")
    practice.add_argument("--dry-run", action="store_true", help="print the commands only")
    practice.add_argument("--yes", action="store_true", help="do not ask")
    practice.add_argument("--fail", action="store_true", help="include a failing step (to see undo)")
    _register_areas(sub)
    return p


def _register_areas(sub: argparse._SubParsersAction) -> None:
    """Each area's commands, from primetui/cli/<module>.py when that module exists."""
    import importlib

    from primetui.areas import CLI_MODULES

    for area in CLI_MODULES:
        try:
            module = importlib.import_module(f"primetui.cli.{area}")
        except ModuleNotFoundError as err:
            if err.name != f"primetui.cli.{area}":
                raise
            continue
        module.register(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and `python -m primetui`."""
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except PrimeError as err:
        print(f"primetui: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as err:
        if _by_sigterm(err):
            print("primetui: terminated; temporary files were removed.", file=sys.stderr)
            return 143
        print("primetui: interrupted.", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the last line of defence: no traceback on stderr
        log = _crash_log(err)
        print(f"primetui: unexpected error: {type(err).__name__}: {err} (details in {log}).",
              file=sys.stderr)
        return 1


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like ctrl+c so that every `finally` removes temporary and staged files."""


def _by_sigterm(err: BaseException) -> bool:
    """Whether an interruption started as SIGTERM (the executor re-raises it as its own)."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, Terminated):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _terminate_like_ctrl_c() -> None:
    """Turn SIGTERM into `Terminated` for a CLI command (kill, systemd, cron's timeout).

    Without it the process dies on the spot: a create leaves its temporary file, a restore
    its decrypted staging directory. A second SIGTERM during that cleanup is ignored.
    """
    import signal

    def on_term(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_term)


def _crash_log(err: BaseException) -> Path:
    path = state_dir() / "crash.log"
    with open(path, "a", encoding="utf-8") as out:
        out.write("".join(traceback.format_exception(err)))
    os.chmod(path, 0o600)
    return path


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "config":
        return _config_command(args)
    if args.command == "audit":
        return _audit_command(args)
    if args.command == "practice":
        return _practice_command(args)
    if getattr(args, "handler", None) is not None:
        _terminate_like_ctrl_c()
        return args.handler(args)
    return run_tui(args)


def load_for_command(args: argparse.Namespace):
    """The settings a subcommand runs with (`--config`, `--read-only` applied)."""
    return _load(args)


def _load(args: argparse.Namespace):
    from primetui.config import load_settings

    settings = load_settings(args.config)
    if getattr(args, "read_only", False):
        settings = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, read_only=True))
    return settings


def _config_command(args: argparse.Namespace) -> int:
    from primetui.config import load_settings, write_starter

    path = config_path(args.config)
    if args.config_command == "path":
        print(path)
    elif args.config_command == "init":
        write_starter(path, force=args.force)
        print(f"Wrote a starter config to {path}; edit it, then run 'primetui config check'.")
    else:
        settings = load_settings(args.config)
        print(f"{path}: OK ({len(settings.servers)} server(s), "
              f"{len(settings.certificates.domains)} domain(s)).")
    return 0


def parse_age(text: str) -> float:
    """'7d', '12h', '30m', '45s' → seconds."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    if len(text) >= 2 and text[-1] in units and text[:-1].isdigit():
        return int(text[:-1]) * units[text[-1]]
    raise UsageError(f"--since: expected an age like 7d, 12h or 30m, not '{text}'.")


def _audit_command(args: argparse.Namespace) -> int:
    import time

    from primetui.paths import audit_log_path
    from primetui.plans.audit import AuditLog

    since = time.time() - parse_age(args.since) if args.since else None
    entries = AuditLog(audit_log_path()).entries(since)
    if args.json:
        print(json.dumps([e.__dict__ for e in entries], indent=2))
        return 0
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.when))
        outcome = e.outcome + (" (dry run)" if e.dry_run else "") + (" (demo)" if e.demo else "")
        print(f"{when}  {e.user}@{e.host}  {e.action}  {e.target}  {outcome}  {e.duration:.1f}s")
        if e.error:
            print(f"    {e.error}")
    if not entries:
        print("No actions recorded" + (f" in the last {args.since}." if args.since else "."))
    return 0


def _practice_command(args: argparse.Namespace) -> int:
    from primetui.plans.practice import practice_plan
    from primetui.registry import Services

    settings = _load(args)
    plan = practice_plan(settings, failing=args.fail)
    services = Services(settings, prompter=TerminalPrompter())
    return run_plan_in_terminal(plan, services, yes=args.yes, dry_run=args.dry_run,
                                read_only=settings.ui.read_only)


def run_plan_in_terminal(plan, services, *, yes: bool, dry_run: bool, read_only: bool = False,
                         out: Callable[[str], None] = print) -> int:
    """Show a plan, ask (unless --yes), run it with live output, offer undo on failure."""
    from primetui.plans.plan import StepState
    from primetui.printable import printable

    raw_out = out

    def show(text: str) -> None:  # names in a plan come from outside: never raw escapes
        raw_out(printable(text, keep_newlines=True))

    out = show

    out(plan.describe())
    if dry_run:
        return 0
    if read_only and plan.mutating:
        raise UsageError("Read-only mode is on, so this plan was not run.")
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("Refusing to change anything without a terminal to ask on; pass --yes.")
        if plan.confirm_name:
            typed = input(f"{plan.target} is protected: type its name to go on: ").strip()
            if typed != plan.confirm_name:
                raise UsageError("The name did not match, so nothing was done.")
        elif input("Run this plan? [y/N] ").strip().lower() not in ("y", "yes"):
            out("Nothing was done.")
            return 1

    def on_event(event) -> None:
        step = plan.steps[event.index]
        if event.kind == "output":
            out(f"    {event.text}")
        elif event.state in (StepState.RUNNING, StepState.SKIPPED, StepState.FAILED):
            out(f"[{event.state.value}] {event.index + 1}. {step.title}")

    result = services.run_plan(plan, on_event)
    if result.audit_error:
        print(f"primetui: {result.audit_error}", file=sys.stderr)
    if result.ok:
        out(f"Done: {plan.title} ({result.duration:.1f}s).")
        return 0
    out(f"Failed: {result.error}")
    if result.can_undo(plan) and sys.stdin.isatty() and not yes:
        if input("Undo the steps that were completed? [y/N] ").strip().lower() in ("y", "yes"):
            undone = services.undo_plan(plan, result, on_event)
            out("Undone." if undone.ok else f"Undo failed: {undone.error}")
    return 1


class TerminalPrompter:
    """The runner's questions asked on the terminal; with no terminal, refuse."""

    def confirm_host_key(self, err) -> bool:
        if not sys.stdin.isatty():
            return False
        print(f"The host key of {err.host}:{err.port} is not known.\n"
              f"  {err.key_type} {err.fingerprint}", file=sys.stderr)
        return input("Accept it and save it to known_hosts? [y/N] ").strip().lower() in ("y", "yes")

    def sudo_password(self, host: str) -> str | None:
        if not sys.stdin.isatty():
            return None
        import getpass

        from primetui.secrets import forbid_core_dumps

        forbid_core_dumps()
        return getpass.getpass(f"sudo password for {host}: ") or None

    def key_passphrase(self, key) -> str | None:
        if not sys.stdin.isatty():
            return None
        import getpass

        return getpass.getpass(f"Passphrase for the SSH key {key}: ") or None


def run_tui(args: argparse.Namespace) -> int:
    """Open the terminal application (first-run screen, configured, or the demo)."""
    path = config_path(args.config)
    if args.demo:
        return _run_demo(args)
    settings = _load(args) if path.exists() else None
    from primetui.ui.app import make_app

    app = make_app(settings, config_path=path)
    result = _run_app(app)
    if result == "demo":
        return _run_demo(args)
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    """The TUI against the sandbox; every server it started is stopped on the way out."""
    started: list = []

    def start(progress: Callable[[str], None]):
        from primetui.sandbox.world import Sandbox

        sandbox = Sandbox.start(on_progress=progress)
        started.append(sandbox)
        settings = sandbox.settings
        if args.read_only and settings is not None:
            settings = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, read_only=True))
        return settings

    def cancel() -> None:
        world = sys.modules.get("primetui.sandbox.world")
        if world is not None:
            world.Sandbox.stop_all_started()

    start.cancel = cancel  # type: ignore[attr-defined]
    from primetui.ui.app import make_app

    app = make_app(None, demo_starter=start, config_path=config_path(args.config))
    try:
        _run_app(app)
    finally:
        for sandbox in started:
            sandbox.stop()
        if "primetui.sandbox.world" in sys.modules:  # also one still starting when the app closed
            sys.modules["primetui.sandbox.world"].Sandbox.stop_all_started()
    return 0


def _run_app(app) -> object:
    """Run a Textual app with SIGTERM and SIGHUP asking it to exit cleanly."""
    import signal
    import threading

    def ask_exit(_signum, _frame) -> None:
        threading.Thread(target=lambda: _exit_from_thread(app), daemon=True).start()

    previous = {s: signal.signal(s, ask_exit) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return app.run()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        services = getattr(app, "services", None)
        if services is not None and hasattr(services, "close"):
            services.close()  # every SSH connection of the session, on quit


def _exit_from_thread(app) -> None:
    try:
        app.call_from_thread(app.exit)
    except RuntimeError:
        pass


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
