"""What needs attention about the schedules: a role check that fails (the schedule will
not fire) or an expression AWS cannot run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from primetui.findings.model import AreaResult, Finding, Severity
from primetui.findings.wording import plural, status

if TYPE_CHECKING:
    from primetui.schedules.service import SchedulesService


def check_schedules(service: SchedulesService) -> AreaResult:
    """Schedules whose role check fails (they will not fire) or whose expression is wrong."""
    schedules = service.list(role_checks=True)
    findings = []
    for s in schedules:
        if s.expression_error:
            findings.append(Finding("warning", "schedules", f"Schedule {s.key} has an "
                                    f"expression AWS cannot run: {s.expression_error}",
                                    s.expression, "schedules", "schedules.details", s.key))
        check = s.role_check
        if check is None or check.ok:
            continue
        if check.error:
            findings.append(Finding("warning", "schedules", f"The role of schedule {s.key} "
                                    f"cannot be checked: {check.error}.", check.role_arn,
                                    "schedules", "schedules.details", s.key))
            continue
        failed = next(c for c in check.checks if not c.ok)
        severity: Severity = "critical" if s.enabled else "info"
        findings.append(Finding(severity, "schedules", f"Schedule {s.key} will fail: its role "
                                f"check fails ({failed.detail}).",
                                f"Role {check.role_arn}." + (f" Fix: {failed.fix}" if failed.fix
                                                             else ""),
                                "schedules", "schedules.details", s.key))
    enabled = sum(1 for s in schedules if s.enabled)
    summary = (f"{plural(len(schedules), 'schedule')} ({enabled} enabled)." if schedules
               else "No schedules.")
    return status("schedules", summary, findings)
