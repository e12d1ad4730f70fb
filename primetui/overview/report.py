"""The maintenance report: a Markdown document of a time window, from the audit log and
the current findings — what was done, what failed, what is pending.

This is the document the runbook's "Incident Response & Reporting" section asks for.
`render_report` is a pure function (entries and findings in, text out); `build_report`
gathers its inputs and `save_report` writes it. The audit log holds no secrets, so
neither does the report; it is still written with mode 0600, like the log.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from primetui.errors import PrimeError
from primetui.findings.model import FindingsReport, place

if TYPE_CHECKING:
    from primetui.plans.audit import AuditEntry
    from primetui.registry import Services

OUTPUT_LINES = 12
"""Lines of a failed action's output quoted in the report."""
SEVERITY_WORDS = {"critical": "**critical**", "warning": "warning", "info": "note", "ok": "ok"}


def report_filename(now: float) -> str:
    """`primetui-report-YYYY-MM-DD.md` for the local date of `now`."""
    return f"primetui-report-{time.strftime('%Y-%m-%d', time.localtime(now))}.md"


def stamp(moment: float) -> str:
    """A moment in local time: `2026-03-06 20:00`."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))


def cell(text: object) -> str:
    """Text made safe for one Markdown table cell (one line, pipes escaped)."""
    return " ".join(str(text).split()).replace("|", "\\|") or " "


def fenced(lines: Sequence[str]) -> list[str]:
    """A fenced block that no backtick run inside it can close early."""
    fence = "`" * max([3] + [_backticks(line) + 1 for line in lines])
    return [fence, *lines, fence]


def _backticks(line: str) -> int:
    best = run = 0
    for ch in line:
        run = run + 1 if ch == "`" else 0
        best = max(best, run)
    return best


def render_report(entries: Sequence[AuditEntry], findings: FindingsReport | None, *,
                  since: float, until: float, window: str = "", author: str = "",
                  maintenance: str = "") -> str:
    """The whole report as Markdown; `entries` are the audit entries inside the window."""
    chosen = sorted((e for e in entries if since <= e.when <= until), key=lambda e: e.when)
    failed = [e for e in chosen if e.outcome != "succeeded"]
    lines = [f"# Maintenance report, {stamp(since)[:10]} to {stamp(until)[:10]}", ""]
    label = f" (the last {window})" if window else ""
    lines.append(f"Period: {stamp(since)} to {stamp(until)}{label}, local time.  ")
    lines.append(f"Written {stamp(until)}" + (f" by {author}" if author else "")
                 + " with primetui.")
    lines += ["", "## Summary", ""]
    lines.append(f"- Actions: {_counts(chosen)}.")
    if findings is not None:
        lines.append(f"- Now: {findings.headline()}")
    if maintenance:
        lines.append(f"- Maintenance: {maintenance}")
    lines += ["", "## What was done", ""]
    if chosen:
        lines += ["| When | Who | Action | Target | Result | Duration |",
                  "|---|---|---|---|---|---|"]
        for e in chosen:
            result = e.outcome + (" (dry run)" if e.dry_run else "") + (" (demo)" if e.demo
                                                                         else "")
            lines.append(f"| {stamp(e.when)} | {cell(f'{e.user}@{e.host}')} | "
                         f"{cell(e.title or e.action)} ({cell(e.action)}) | {cell(e.target)} | "
                         f"{result} | {e.duration:.1f} s |")
    else:
        lines.append("Nothing was done through primetui in this period.")
    lines += ["", "## What failed", ""]
    if not failed:
        lines.append("Nothing failed in this period.")
    for e in failed:
        lines += [f"### {stamp(e.when)}: {cell(e.title or e.action)}", "",
                  f"- Action: {e.action} on {cell(e.target)}, by {e.user}@{e.host}",
                  f"- Result: {e.outcome} after {e.duration:.1f} s",
                  f"- Error: {' '.join(e.error.split()) or 'no error was recorded'}"]
        if e.commands:
            lines += ["", "Commands:", "", *fenced(e.commands)]
        if e.output_tail:
            tail = e.output_tail[-OUTPUT_LINES:]
            lines += ["", f"Last {len(tail)} line{'s' if len(tail) != 1 else ''} of output:",
                      "", *fenced(tail)]
        lines.append("")
    lines += ["", "## What is pending", ""]
    lines += _pending(findings)
    lines += ["", "## Notes", "",
              "_For an incident: what happened, who was affected and for how long, what was "
              "done, and what will change so it does not happen again._", ""]
    return "\n".join(_squeeze(lines))


def _counts(entries: Sequence[AuditEntry]) -> str:
    if not entries:
        return "none"
    parts = []
    for outcome in ("succeeded", "failed", "cancelled"):
        n = sum(1 for e in entries if e.outcome == outcome)
        if n:
            parts.append(f"{n} {outcome}")
    dry = sum(1 for e in entries if e.dry_run)
    extra = f"; {dry} dry run{'s' if dry != 1 else ''}" if dry else ""
    return f"{len(entries)} ({', '.join(parts)}){extra}"


def _pending(findings: FindingsReport | None) -> list[str]:
    if findings is None:
        return ["The current findings were not collected."]
    lines: list[str] = []
    if findings.findings:
        lines += ["| Severity | Area | Finding | Where to fix it |", "|---|---|---|---|"]
        for f in findings.findings:
            lines.append(f"| {SEVERITY_WORDS[f.severity]} | {cell(f.area)} | {cell(f.title)} | "
                         f"{cell(place(f))} |")
    else:
        lines.append("Nothing needs attention.")
    lines += ["", "Status of each area:", "", "| Area | Status | Summary |", "|---|---|---|"]
    lines += [f"| {cell(a.title)} | {SEVERITY_WORDS[a.severity]} | {cell(a.summary)} |"
              for a in findings.areas]
    return lines


def _squeeze(lines: list[str]) -> list[str]:
    """No two blank lines in a row."""
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return out


def build_report(services: Services, seconds: float, *, window: str = "",
                 timeout: float | None = None, now: float | None = None) -> str:
    """The report of the last `seconds`: the audit log read, the findings collected now."""
    until = time.time() if now is None else now
    since = until - seconds
    entries = services.audit.entries(since)
    findings = services.findings.collect(**({"timeout": timeout} if timeout else {}))  # type: ignore[arg-type]
    return render_report(entries, findings, since=since, until=until, window=window,
                         author=_author(), maintenance=_maintenance_line(services))


def _maintenance_line(services: Services) -> str:
    """Maintenance on since when, and its announced return time ("" when it is off)."""
    from primetui.maintenance.findings import return_time

    try:
        state = services.maintenance.status()
    except Exception:  # noqa: BLE001 - the report is written even when this cannot be read
        return ""
    if not state.on:
        return ""
    since = f" since {stamp(state.since)}" if state.since else ""
    back = (f"; announced return {return_time(state.return_at)}" if state.return_at
            else "; no return time announced")
    return f"on for {state.domain}{since}{back}."


def _author() -> str:
    """user@host of whoever writes the report."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def _refuse_special(path: Path) -> None:
    """The report replaces only a regular file (or makes a new one): never a symlink, a
    FIFO or a device node, which the rename would otherwise swap for a plain file."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    except OSError as err:
        raise PrimeError(f"Cannot write the report to {path}: "
                         f"{(err.strerror or str(err)).lower()}.") from None
    if stat.S_ISLNK(info.st_mode):
        what = "a symbolic link"
    elif stat.S_ISDIR(info.st_mode):
        what = "a directory"
    elif stat.S_ISFIFO(info.st_mode):
        what = "a named pipe (FIFO)"
    elif stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        what = "a device"
    elif not stat.S_ISREG(info.st_mode):
        what = "not a regular file"
    else:
        return
    raise PrimeError(f"Refusing to write the report to {path}: it is {what}; give a new "
                     f"file name or a regular file, or '--out -' for stdout.")


def save_report(text: str, path: Path) -> Path:
    """Write the report atomically (temp file, fsync, rename) with mode 0600."""
    path = Path(path).expanduser()
    _refuse_special(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise PrimeError(f"Cannot write the report to {path}: "
                         f"{(err.strerror or str(err)).lower()}.") from None
    return path
