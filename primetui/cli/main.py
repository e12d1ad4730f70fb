"""The command line: the TUI by default, subcommands for cron and scripts (DESIGN.md contract).

Every error reaches stderr as one sentence with exit code 1 (the operation failed) or 2
(usage or configuration); a traceback goes only to the crash log in the state directory.
A reader that closes the pipe early ends the command quietly.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from primetui import __version__
from primetui.errors import PrimeError, UsageError

HOUSE_COMMANDS = ("config", "practice", "paths", "completion")
"""Command modules that belong to primetui itself rather than to one area (the areas' own
come from the table of areas, `primetui.areas.CLI_MODULES`)."""
WHOLE_GRAMMAR = ("completion",)
"""Commands that read the whole grammar they were parsed with (the completion scripts)."""

EXAMPLES = {
    "": "primetui --config ~/lab.toml            # open the terminal application",
    "config init": "primetui config init --force",
    "config check": "primetui config check",
    "config path": "primetui config path",
    "config show": "primetui config show --context staging",
    "audit": "primetui audit --since 7d --json",
    "practice": "primetui practice --dry-run",
    "paths": "primetui paths --json",
    "completion": "primetui completion bash > ~/.local/share/bash-completion/completions/primetui",
    "instances list": "primetui instances list --region eu-west-1 --json",
    "instances show": "primetui instances show prime-prod",
    "instances start": "primetui instances start prime-staging --yes --wait",
    "instances stop": "primetui instances stop prime-prod --yes --confirm prime-prod",
    "schedules list": "primetui schedules list --json",
    "schedules enable": "primetui schedules enable prime-start-mornings --yes",
    "schedules disable": "primetui schedules disable prime/prime-stop-evenings --dry-run",
    "certs list": "primetui certs list --json",
    "certs renew": "primetui certs renew prime.example.edu --dry-run",
    "certs issue": "primetui certs issue prime.example.edu",
    "certs auto-renew": "primetui certs auto-renew --yes",
    "backup create": "primetui backup create --passphrase-file ~/.config/primetui/passphrase",
    "backup list": "primetui backup list --json",
    "backup verify": "primetui backup verify prime-2025-06-01.tar.gz.gpg --passphrase-fd 3 3<pass",
    "backup restore": "primetui backup restore prime-2025-06-01.tar.gz.gpg --to /tmp/restore",
    "backup prune": "primetui backup prune --keep 8 --dry-run",
    "backup hygiene": "primetui backup hygiene --fix",
    "maintenance plan": "primetui maintenance plan --back 2h",
    "maintenance on": "primetui maintenance on --yes --confirm prime.example.edu --back 18:30",
    "maintenance off": "primetui maintenance off --yes --confirm prime.example.edu --teardown stop",
    "maintenance status": "primetui maintenance status --json",
    "maintenance discover": "primetui maintenance discover --save",
    "check": "primetui check --quiet || mail -s 'primetui check' lab@example.edu",
    "report": "primetui report --since 30d --out -",
}
"""One example per command, shown at the end of its --help."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as our one-sentence UsageError."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message[0].upper()}{message[1:]} (see '{self.prog} --help').")


def _global_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    """--context, --profile, --region, --debug, --log-file: on the top parser, and again on
    each command."""
    parser.add_argument("--context", default=default, metavar="NAME",
                        help="a [contexts.NAME] of the config (wins over PRIMETUI_CONTEXT and "
                             "default_context; 'default' is the top-level settings)")
    parser.add_argument("--profile", default=default, metavar="NAME",
                        help="AWS profile (wins over AWS_PROFILE and the config file)")
    parser.add_argument("--region", default=default, metavar="REGION",
                        help="AWS region (wins over AWS_REGION, AWS_DEFAULT_REGION and the config)")
    parser.add_argument("--debug", action="store_true", default=default,
                        help="write a debug log (AWS and SSH at debug level, secrets redacted)")
    parser.add_argument("--log-file", default=default, metavar="PATH",
                        help="where the debug log goes (default: primetui.log in the state dir)")


VALUE_OPTIONS = frozenset({"--config", "--context", "--profile", "--region", "--log-file"})
"""The top-level options that take a value: the word after one is never a command."""


def named_command(argv: Sequence[str]) -> str | None:
    """The command `argv` names (`backup` in `--context lab backup verify F`), if any.

    Only that command's module is then imported and its parser built: a command run from
    cron or a script does not pay for the other commands' imports. Anything this reading
    gets wrong is caught by `main`, which then builds the whole grammar.
    """
    names = _command_modules()
    words = iter(argv)
    for word in words:
        if word in ("--", "-h", "--help"):  # the top-level help lists every command
            return None
        if word in VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word if word in names else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command-line grammar, or with `only` the grammar of that one command."""
    p = _Parser(prog="primetui", description="The lab's maintenance runbook as a terminal app.",
                epilog=f"Example:\n  {EXAMPLES['']}",
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"primetui {__version__}")
    p.add_argument("--config", metavar="PATH", help="config file (default: $PRIMETUI_CONFIG or "
                   "~/.config/primetui/config.toml)")
    p.add_argument("--demo", action="store_true", help="run against the local practice sandbox")
    p.add_argument("--read-only", action="store_true", help="turn every mutating action off")
    _global_options(p, default=None)
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    _register_commands(sub, only)
    for path, leaf in _leaves(sub):
        _global_options(leaf, default=argparse.SUPPRESS)
        example = EXAMPLES.get(path)
        if example:
            leaf.epilog = f"Example:\n  {example}"
            leaf.formatter_class = argparse.RawDescriptionHelpFormatter
    return p


def _register_commands(sub: argparse._SubParsersAction, only: str | None = None) -> None:
    """primetui's own commands, then each area's, from primetui/cli/<name>.py (each module
    registers the command of its own name)."""
    import importlib

    for name in [only] if only else _command_modules():
        try:
            module = importlib.import_module(f"primetui.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"primetui.cli.{name}":
                raise
            continue
        module.register(sub)


def _command_modules() -> tuple[str, ...]:
    """Every command module's name (each is also its command's name), primetui's own first."""
    from primetui.areas import CLI_MODULES

    return tuple(dict.fromkeys((*HOUSE_COMMANDS, *CLI_MODULES)))


def _leaves(sub: argparse._SubParsersAction, prefix: str = "") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command parser that takes no further subcommand, with its path ("instances list")."""
    seen: set[int] = set()
    for name, parser in sub.choices.items():
        if id(parser) in seen:
            continue
        seen.add(id(parser))
        path = f"{prefix} {name}".strip()
        nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            yield from _leaves(nested[0], path)
        else:
            yield path, parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and `python -m primetui`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["__complete"]:  # a shell's tab press: cached names only, no parser, no AWS
        from primetui.cli.completion import answer

        return answer(argv[1:])
    try:
        parser, args = _parse(argv)
        _start_logging(args)
        code = _dispatch(args, parser)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _quiet_after_broken_pipe()
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
        import traceback

        log = _crash_log("".join(traceback.format_exception(err)))
        print(f"primetui: unexpected error: {type(err).__name__}: {err} (details in {log}).",
              file=sys.stderr)
        return 1


def _parse(argv: list[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The parser and the parsed arguments: the named command's grammar alone when that
    parses, else the whole grammar (whose messages then name every command)."""
    only = named_command(argv)
    if only is not None and only not in WHOLE_GRAMMAR:
        parser = build_parser(only)
        try:
            return parser, parser.parse_args(argv)
        except UsageError:
            pass
    parser = build_parser()
    return parser, parser.parse_args(argv)


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
        raise Terminated("SIGTERM")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_term)


def _quiet_after_broken_pipe() -> int:
    """The reader went away (`primetui audit | head -1`): stop quietly, as Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's own last flush must not complain
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a tool ended by a closed pipe


def crash_log_path() -> Path:
    """Where unexpected errors are written (mode 0600); its folder is made with the first."""
    from primetui.paths import state_dir

    return state_dir(create=False) / "crash.log"


def _crash_log(text: str, path: Path | None = None) -> Path:
    from primetui.cli.logs import redact

    path = path or crash_log_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(redact(text).rstrip("\n") + "\n")
    os.chmod(path, 0o600)
    return path


def _start_logging(args: argparse.Namespace) -> None:
    if getattr(args, "debug", None) or getattr(args, "log_file", None):
        from primetui.cli.logs import start_debug_log

        start_debug_log(Path(args.log_file).expanduser() if args.log_file else None)


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    handler = getattr(args, "handler", None)
    if handler is not None:
        from primetui.cli.terminal import Terminal

        _terminate_like_ctrl_c()
        term = Terminal(args, parser)
        try:
            code = handler(term)
            term.warn_if_other_account()
            return code
        finally:
            term.close()
    return run_tui(args)


def run_tui(args: argparse.Namespace) -> int:
    """Open the terminal application (first-run screen, configured, or the demo)."""
    from primetui.paths import config_path

    path = config_path(args.config)
    settings = None
    if path.exists() and not args.demo:  # a bad config is told first, terminal or not
        from primetui.cli.terminal import effective_settings

        settings = effective_settings(args)
    if getattr(args, "context", None) and (args.demo or not path.exists()):
        where = "the practice world" if args.demo else f"{path}, which does not exist yet,"
        raise UsageError(f"--context {args.context}: {where} defines no contexts.")
    if args.demo:
        from primetui.sandbox.tools import demo_missing

        missing = demo_missing()
        if missing:
            raise UsageError(missing)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("The terminal application needs a terminal; from cron or a script, use "
                         "a command such as 'primetui check' (see 'primetui --help').")
    if args.demo:
        return _run_demo(args)
    from primetui.ui.app import make_app

    app = make_app(settings, config_path=path)
    result, code = _run_app(app)
    if code == 0 and result == "demo":
        return _run_demo(args)
    return code


def _run_demo(args: argparse.Namespace) -> int:
    """The TUI against the sandbox; every server it started is stopped on the way out."""
    started: list = []

    def start(progress: Callable[[str], None]):
        from primetui.sandbox.world import Sandbox

        sandbox = Sandbox.start(on_progress=progress)
        started.append(sandbox)
        settings = sandbox.settings
        if args.read_only and settings is not None:
            import dataclasses

            settings = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, read_only=True))
        return settings

    def cancel() -> None:
        world = sys.modules.get("primetui.sandbox.world")
        if world is not None:
            world.Sandbox.stop_all_started()

    start.cancel = cancel  # type: ignore[attr-defined]
    from primetui.paths import config_path
    from primetui.ui.app import make_app

    app = make_app(None, demo_starter=start, config_path=config_path(args.config))
    try:
        _result, code = _run_app(app)
    finally:
        for sandbox in started:
            sandbox.stop()
        if "primetui.sandbox.world" in sys.modules:  # also one still starting when the app closed
            sys.modules["primetui.sandbox.world"].Sandbox.stop_all_started()
    return code


def _run_app(app) -> tuple[object, int]:
    """Run a Textual app with SIGTERM and SIGHUP asking it to exit cleanly.

    Returns its result and the exit code: a crash inside the app is written to crash.log
    (without the local variables Textual would print) and ends with exit code 1.
    """
    import io
    import signal
    import threading

    from rich.console import Console

    def ask_exit(_signum, _frame) -> None:
        threading.Thread(target=lambda: _exit_from_thread(app), daemon=True).start()

    crash_log = crash_log_path()  # before the demo points the state directory into its sandbox
    crash = io.StringIO()
    app.error_console = Console(file=crash, width=100, color_system=None, markup=False,
                                highlight=False)
    previous = {s: signal.signal(s, ask_exit) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        result = app.run()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        services = getattr(app, "services", None)
        if services is not None and hasattr(services, "close"):
            services.close()  # every SSH connection of the session, on quit
    code = app.return_code or 0
    if code != 0:
        from primetui.cli.logs import without_locals

        log = _crash_log("The terminal application stopped on an unexpected error:\n"
                         + without_locals(crash.getvalue()), crash_log)
        print(f"primetui: the terminal application stopped on an unexpected error "
              f"(details in {log}).", file=sys.stderr)
    return result, code


def _exit_from_thread(app) -> None:
    try:
        app.call_from_thread(app.exit)
    except RuntimeError:
        pass


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
