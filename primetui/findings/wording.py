"""The wording every area's findings share: an area's status line, counts, times.

The checks themselves live in each area's `findings.py` (`primetui/certificates/findings.py`,
…), each reading its own service; the collector in `primetui/overview/` runs them all.
"""

from __future__ import annotations

from datetime import datetime

from primetui.areas import checked
from primetui.findings.model import AreaResult, AreaStatus, Finding, Severity, worst


def status(area: str, summary: str, findings: list[Finding] | tuple[Finding, ...] = (),
           floor: Severity = "ok") -> AreaResult:
    """An area's result under its title and tab from the table of areas; its worst
    severity comes from its findings."""
    about = checked(area)
    severity = worst([f.severity for f in findings] + [floor])
    summary = summary[:1].upper() + summary[1:]
    return AreaResult(AreaStatus(area, about.title, summary, severity, about.tab),
                      tuple(findings))


def plural(n: int, word: str) -> str:
    """`no domains`, `1 domain`, `2 domains`."""
    return f"{n or 'no'} {word}{'' if n == 1 else 's'}"


def local_time(moment: datetime) -> str:
    """A moment in this computer's local time, e.g. `Fri 2026-03-06 20:00`."""
    return f"{moment.astimezone():%a %Y-%m-%d %H:%M}"


def duration(seconds: float) -> str:
    """A rough duration: `40 min`, `5 h`, `3 days`."""
    if seconds < 3600:
        return f"{max(1, int(seconds // 60))} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"
