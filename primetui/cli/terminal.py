"""One command's terminal context: its settings, prompter, services and output.

`primetui.cli.main` parses the command line, makes one `Terminal` from the parsed args and
hands it to the command's handler; every command module reaches settings, services and the
screen through it, so the CLI builds services one way and prints JSON, plans and errors one
way. Only light modules are imported here at start-up (the start-up time is budgeted).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from primetui.errors import UsageError

if TYPE_CHECKING:
    from primetui.config import Settings
    from primetui.plans.plan import Plan
    from primetui.registry import Services

# ---------------------------------------------------------------------------- plain data


def iso_time(value: float | datetime | None) -> str | None:
    """A moment as ISO 8601 with its zone: epoch seconds in UTC, naive datetimes as local."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.astimezone()).isoformat()
    return datetime.fromtimestamp(value, UTC).isoformat()


def plain(value: Any) -> Any:
    """Frozen results as JSON-ready data: times in ISO 8601 with zone, enums and paths as text."""
    if isinstance(value, datetime):
        return iso_time(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    import dataclasses  # here: `backup create` starts gpg before it is needed

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def parse_age(text: str) -> float:
    """'7d', '12h', '30m', '45s' → seconds."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    if len(text) >= 2 and text[-1] in units and text[:-1].isdigit():
        return int(text[:-1]) * units[text[-1]]
    raise UsageError(f"--since: expected an age like 7d, 12h or 30m, not '{text}'.")


def is_terminal() -> bool:
    """Whether there is a person at a terminal to ask (stdin is a tty)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # stdin closed
        return False


# ---------------------------------------------------------------------------- settings

CONTEXT_ENVIRONMENT = "PRIMETUI_CONTEXT"
"""The environment variable that names the context when --context does not."""


def context_choice(args: argparse.Namespace, settings: Settings,
                   environ: dict[str, str] | os._Environ[str] | None = None) -> tuple[str | None, str]:
    """The context to use and where its name came from.

    `--context` wins, then `PRIMETUI_CONTEXT`, then the file's `default_context`; with none
    of them, the top-level settings (None).
    """
    environ = os.environ if environ is None else environ
    flag = getattr(args, "context", None)
    if flag:
        return flag, "--context"
    if environ.get(CONTEXT_ENVIRONMENT):
        return environ[CONTEXT_ENVIRONMENT], CONTEXT_ENVIRONMENT
    if settings.default_context:
        return settings.default_context, "default_context"
    return None, "default"


def aws_sources(args: argparse.Namespace, file_keys: dict[str, Any],
                environ: dict[str, str] | os._Environ[str] | None = None, *,
                context_keys: dict[str, Any] | None = None,
                context: str | None = None) -> dict[str, tuple[Any, str]]:
    """The effective `aws.region` and `aws.profile` with where each came from.

    The AWS CLI's order: the command-line flag, then the environment, then the config file,
    then primetui's default. A context's own value comes right after the flag: naming a
    context is as deliberate as a flag, and an AWS_PROFILE left in the shell must not send
    the staging context to production.
    """
    from primetui.config import AWS_ENVIRONMENT, AwsSettings

    environ = os.environ if environ is None else environ
    chosen: dict[str, tuple[Any, str]] = {}
    for key, names in AWS_ENVIRONMENT.items():
        flag = getattr(args, key, None)
        if flag:
            chosen[key] = (flag, f"--{key}")
            continue
        if context_keys and key in context_keys:
            chosen[key] = (context_keys[key], f"context {context}")
            continue
        named = next((n for n in names if environ.get(n)), None)
        if named:
            chosen[key] = (environ[named], f"environment ({named})")
        elif key in file_keys:
            chosen[key] = (file_keys[key], "config file")
        else:
            chosen[key] = (getattr(AwsSettings(), key), "default")
    return chosen


def _file_aws_keys(path: Path | None) -> dict[str, Any]:
    """The `[aws]` keys written in the file itself (to tell a file's value from a default)."""
    import tomllib

    if path is None:
        return {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    section = doc.get("aws")
    return section if isinstance(section, dict) else {}


def effective_settings(args: argparse.Namespace) -> Settings:
    """The config file's chosen context with the command line and the environment on top."""
    from primetui.config import load_settings

    settings = load_settings(getattr(args, "config", None))
    return apply_overrides(settings, args)


def apply_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    """The context (--context > PRIMETUI_CONTEXT > default_context), `--read-only`, and
    region/profile by flag > the context's own > environment > config file."""
    import dataclasses

    from primetui.config import select_context

    if getattr(args, "read_only", False):
        settings = dataclasses.replace(settings, forced_read_only=True)
    name, origin = context_choice(args, settings)
    if name is not None or settings.context is not None:
        settings = select_context(settings, name, origin=origin)
    sources = aws_sources(args, _file_aws_keys(settings.path), **_context_aws(settings))
    aws = dataclasses.replace(settings.aws, region=sources["region"][0],
                              profile=sources["profile"][0])
    settings = dataclasses.replace(settings, aws=aws)
    if getattr(args, "read_only", False):
        settings = dataclasses.replace(settings, ui=dataclasses.replace(settings.ui, read_only=True))
    return settings


def _context_aws(settings: Settings) -> dict[str, Any]:
    """The `[contexts.NAME.aws]` keys of the chosen context, for `aws_sources`."""
    if settings.context is None or settings.context not in settings.contexts:
        return {}
    return {"context_keys": settings.contexts[settings.context].aws, "context": settings.context}


# ---------------------------------------------------------------------------- prompter


class TerminalPrompter:
    """The runner's questions asked on the terminal; with no terminal, refuse."""

    def confirm_host_key(self, err: Any) -> bool:
        """Ask whether to trust an unknown host key (never without a terminal)."""
        if not is_terminal():
            return False
        print(f"The host key of {err.host}:{err.port} is not known.\n"
              f"  {err.key_type} {err.fingerprint}", file=sys.stderr)
        return input("Accept it and save it to known_hosts? [y/N] ").strip().lower() in ("y", "yes")

    def sudo_password(self, host: str) -> str | None:
        """Ask for a sudo password (never without a terminal)."""
        if not is_terminal():
            return None
        import getpass

        from primetui.secrets import forbid_core_dumps

        forbid_core_dumps()
        return getpass.getpass(f"sudo password for {host}: ") or None

    def key_passphrase(self, key: Any) -> str | None:
        """Ask for a passphrase-protected SSH key's passphrase (never without a terminal)."""
        if not is_terminal():
            return None
        import getpass

        return getpass.getpass(f"Passphrase for the SSH key {key}: ") or None


# ---------------------------------------------------------------------------- the context


class Terminal:
    """What one command runs with: settings, a prompter, services, and where output goes.

    `args.prompts` (set by a parser's defaults) is False for commands that must never ask,
    such as `check` and `report`; `args.json` sends progress to stderr so that stdout holds
    one JSON document.
    """

    def __init__(self, args: argparse.Namespace,
                 parser: argparse.ArgumentParser | None = None) -> None:
        self.args = args
        self._reporting = True
        self.parser = parser
        """The whole grammar (for `completion`), as main built it."""
        self.json = bool(getattr(args, "json", False))

    @cached_property
    def settings(self) -> Settings:
        """The effective settings (config file, then environment and flags on top)."""
        return effective_settings(self.args)

    @cached_property
    def prompter(self) -> TerminalPrompter | None:
        """Questions on the terminal, or none for commands that never ask."""
        return TerminalPrompter() if getattr(self.args, "prompts", True) else None

    @cached_property
    def services(self) -> Services:
        """Every area's service, built one way for every command."""
        from primetui.registry import Services

        return Services(self.settings, prompter=self.prompter)

    def close(self, wait: float = 2.0) -> None:
        """Close every SSH connection the command opened (when it made any services).

        A server that never answered may still hold its connection's lock in an abandoned
        thread (`check` gives up on it at its deadline), so closing waits at most `wait`
        seconds: leaving must never hang on it.
        """
        if "services" not in self.__dict__:
            return
        import threading

        closing = threading.Thread(target=self.services.close, name="close-connections",
                                   daemon=True)
        closing.start()
        closing.join(wait)

    def warn_if_other_account(self) -> None:
        """After a command that read AWS in a pinned context: say on stderr when the answers
        came from another account than the pinned one (it was shown, nothing was changed)."""
        if "services" in self.__dict__:
            sentence = self.services.other_account()
            if sentence:
                self.warn(sentence)

    @property
    def read_only(self) -> bool:
        """Whether `--read-only` or the config turned every mutating action off."""
        return self.settings.ui.read_only

    # -- output

    def say(self, text: str = "") -> None:
        """A line for the person: stdout, or stderr when stdout is kept for JSON.

        Names in it come from outside (tags, file names, server output): never raw escapes.
        """
        from primetui.printable import printable

        print(printable(text, keep_newlines=True), file=sys.stderr if self.json else sys.stdout,
              flush=self.json)

    def warn(self, sentence: str) -> None:
        """One sentence on stderr, prefixed like every primetui error."""
        from primetui.printable import printable

        print(f"primetui: {printable(sentence)}", file=sys.stderr)

    def print_json(self, document: Any) -> None:
        """One JSON document on stdout (times in ISO 8601 with zone)."""
        print(json.dumps(plain(document), indent=2))

    # -- plans

    def confirm_protected(self, plan: Plan, *, yes: bool) -> None:
        """A protected target needs its name: `--confirm NAME`, or typed at the terminal.

        `--yes` never stands in for the name.
        """
        name = plan.confirm_name
        if not name:
            return
        given = getattr(self.args, "confirm", None)
        if given is not None:
            if given != name:
                raise UsageError(f"--confirm {given} does not name {name}, so nothing was done.")
            return
        if yes:
            raise UsageError(f"{name} is protected: pass --confirm {name} to go on.")
        if not is_terminal():
            raise UsageError("Refusing to change anything without a terminal to ask on; "
                             f"pass --yes --confirm {name} ({name} is protected).")
        typed = input(f"{plan.target} is protected: type its name to go on: ").strip()
        if typed != name:
            raise UsageError("The name did not match, so nothing was done.")

    def run_plan(self, plan: Plan, *, yes: bool, dry_run: bool, report: bool = True) -> int:
        """Show a plan, ask (unless --yes), run it with live output, offer undo on failure.

        A failure is one sentence on stderr and exit 1; with `--json` the run is one JSON
        document on stdout (what ran, the outcome, the error), unless `report` is False
        because the command prints its own document.
        """
        from primetui.plans.plan import StepState

        self._reporting = report
        self.say(plan.describe())
        if dry_run:
            self._report(plan, "dry run", None)
            return 0
        if self.read_only and plan.mutating:
            raise UsageError("Read-only mode is on, so this plan was not run.")
        if plan.mutating:
            if not plan.action.startswith("practice."):
                self.services.confirm_account()  # before asking anything
            self.confirm_protected(plan, yes=yes)
        if not yes and not plan.confirm_name:
            if not is_terminal():
                raise UsageError("Refusing to change anything without a terminal to ask on; "
                                 "pass --yes.")
            if input("Run this plan? [y/N] ").strip().lower() not in ("y", "yes"):
                self.say("Nothing was done.")
                self._report(plan, "not run", None)
                return 1

        def on_event(event: Any) -> None:
            step = plan.steps[event.index]
            if event.kind == "output":
                self.say(f"    {event.text}")
            elif event.state in (StepState.RUNNING, StepState.SKIPPED, StepState.FAILED):
                self.say(f"[{event.state.value}] {event.index + 1}. {step.title}")

        result = self.services.run_plan(plan, on_event)
        if result.audit_error:
            self.warn(result.audit_error)
        if result.ok:
            self.say(f"Done: {plan.title} ({result.duration:.1f}s).")
            self._report(plan, result.outcome, result)
            return 0
        self.warn(_failure_sentence(plan, result.error))
        if result.can_undo(plan) and is_terminal() and not yes:
            if input("Undo the steps that were completed? [y/N] ").strip().lower() in ("y", "yes"):
                undone = self.services.undo_plan(plan, result, on_event)
                if undone.ok:
                    self.say("Undone.")
                else:
                    self.warn(f"The undo failed too: {undone.error}")
        self._report(plan, result.outcome, result)
        return 1

    def _report(self, plan: Plan, outcome: str, result: Any) -> None:
        """With --json: the run as one document."""
        if not self.json or not self._reporting:
            return
        steps = [{"title": s.title, "commands": list(s.commands),
                  "state": result.states[i].value if result is not None else None}
                 for i, s in enumerate(plan.steps)]
        started = result.started if result is not None and result.started else None
        self.print_json({
            "action": plan.action, "title": plan.title, "target": plan.target,
            "outcome": outcome, "error": (result.error or None) if result is not None else None,
            "started_at": iso_time(started),
            "duration_seconds": round(result.duration, 3) if result is not None else None,
            "steps": steps})


def _failure_sentence(plan: Plan, error: str) -> str:
    """`<title> failed: <reason>` as one sentence ending in a full stop."""
    reason = " ".join((error or "no reason given").split())
    if not reason.endswith((".", "!", "?")):
        reason += "."
    return f"{plan.title} failed: {reason}"


