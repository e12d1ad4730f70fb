"""What needs attention about the backups and the project's `.env` files.

`check_backups`: no backup, the newest too old, never verified or failed its verification.
`check_secrets`: the `.env` hygiene of a local project (modes, git ignore, tracked, history).
Each reads the backup service only, and never prompts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from primetui.findings.model import AreaResult, Finding, Severity
from primetui.findings.wording import plural, status

if TYPE_CHECKING:
    from primetui.backups.service import BackupService


def check_backups(backups: BackupService) -> AreaResult:
    """The newest backup: none, too old, never verified, or failed its verification."""
    entries = backups.list_backups(include_s3=False)
    state = backups.status(entries)
    findings = []
    if state.level != "ok":
        findings.append(Finding("critical" if state.level == "critical" else "warning",
                                "backups", state.message,
                                f"Backups go to {backups.destination}; the newest should be at "
                                f"most {backups.config.max_age_days} days old.", "backups",
                                "backups.create"))
    newest = state.newest
    if newest is not None and newest.verified_ok is False:
        findings.append(Finding("critical", "backups", f"The newest backup, {newest.name}, "
                                f"failed its last verification.", newest.path, "backups",
                                "backups.verify", newest.name))
    elif newest is not None and newest.last_verified is None:
        findings.append(Finding("warning", "backups", f"The newest backup, {newest.name}, was "
                                f"never verified.", "Verifying decrypts it and reads every "
                                "member, so a restore will work.", "backups", "backups.verify",
                                newest.name))
    count = sum(1 for e in entries if e.kind != "pre-restore")
    summary = (f"{plural(count, 'backup')}; the newest is {newest.date}." if newest
               else "No backup yet.")
    return status("backups", summary, findings)


def check_secrets(backups: BackupService) -> AreaResult:
    """The .env hygiene of the local project: modes, git ignore, tracked, history."""
    if backups.source.server:
        return status("secrets", "Checked on a local project only.")
    report = backups.hygiene()
    findings = []

    def add(severity: Severity, title: str, detail: str, subject: str) -> None:
        findings.append(Finding(severity, "secrets", title, detail, "backups",
                                "backups.hygiene", subject))

    for f in report.files:
        if not f.mode_ok:
            add("warning", f"{f.name} has mode {f.mode:04o}; it should be 0600.",
                f"In {report.project}: only its owner should read it.", f.name)
        if f.tracked:
            add("critical", f"{f.name} is tracked by git.", "Stop tracking it and rotate its "
                "secrets.", f.name)
        elif f.ignored is False:
            add("warning", f"{f.name} is not ignored by git.", "Add it to .gitignore.", f.name)
    if report.in_history:
        add("critical", f"git history contains {', '.join(report.in_history)}.",
            "Rotate those secrets: rewriting history does not un-leak them.", "history")
    summary = (f"{plural(len(report.files), '.env file')} in {report.project.name}/"
               + ("" if report.is_git else " (not a git repository)") + ".")
    return status("secrets", summary, findings)
