"""What needs attention, as data: findings, each area's status, and the whole report.

Light on purpose (no boto3, no paramiko): the Overview tab, `primetui check` and the
report all read these; the work that produces them is in each area's `findings.py`.
A finding names the action that fixes it by id (`certificates.renew`, see
`primetui.areas.ACTIONS`), never by key: the Overview tab looks the key up in the tab's own
bindings, the command line shows the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from primetui.areas import ACTIONS, action, title

Severity = Literal["critical", "warning", "info", "ok"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info", "ok")
"""Most urgent first."""


def rank(severity: str) -> int:
    """0 for the most urgent severity (critical), 3 for ok."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def worst(severities: Sequence[str]) -> Severity:
    """The most urgent of some severities ("ok" when there are none)."""
    return min(severities, key=rank, default="ok")  # type: ignore[return-value, arg-type]


@dataclass(frozen=True)
class Finding:
    """One thing that needs attention, with where and how to fix it."""

    severity: Severity
    """critical, warning, info (worth knowing) or ok."""
    area: str
    """The area it belongs to: aws, instances, schedules, certificates, backups, secrets,
    maintenance, hosts."""
    title: str
    """One line that says what is wrong."""
    detail: str = ""
    """More about it: the numbers, the reason, what else to know."""
    tab: str = "overview"
    """The tab that fixes it (a tab id: instances, certificates, …)."""
    action: str = ""
    """The id of the action that fixes it there, e.g. "certificates.renew" ("" for none)."""
    subject: str = ""
    """What it is about: a domain, an instance id, a schedule, a server name."""

    def __post_init__(self) -> None:
        if self.action and self.action not in _ACTION_IDS:
            raise ValueError(f"A finding names an unknown action {self.action!r} "
                             f"(not in primetui.areas.ACTIONS).")

    def to_json(self) -> dict[str, str]:
        """The finding as a JSON-ready dict, with `fix`: the command (or words) that fix it."""
        return {**asdict(self), "fix": fix_text(self)}


@dataclass(frozen=True)
class AreaStatus:
    """One area at a glance: its worst severity and a one-line summary."""

    area: str
    title: str
    """How the area is named on screen ("Certificates")."""
    summary: str
    """One line: "2 domains; the soonest expires in 4 days"."""
    severity: Severity = "ok"
    tab: str = "overview"

    def to_json(self) -> dict[str, str]:
        """The status as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class AreaResult:
    """What checking one area found: its status line and its findings."""

    status: AreaStatus
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class FindingsReport:
    """Everything that needs attention now, most urgent first, and every area's status."""

    findings: tuple[Finding, ...]
    areas: tuple[AreaStatus, ...]
    checked_at: float
    """When the check started (seconds since the epoch)."""
    duration: float = 0.0

    @property
    def worst(self) -> Severity:
        """The most urgent severity of any finding ("ok" when there is none)."""
        return worst([f.severity for f in self.findings])

    @property
    def exit_code(self) -> int:
        """`primetui check`'s exit code: 2 anything critical, 1 warnings, 0 all well."""
        return {"critical": 2, "warning": 1}.get(self.worst, 0)

    def count(self, severity: str) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.severity == severity)

    def headline(self) -> str:
        """One sentence: all well, or how many critical findings and warnings."""
        parts = []
        for severity, word in (("critical", "critical"), ("warning", "warning"),
                               ("info", "note")):
            n = self.count(severity)
            if n:
                plural = "" if n == 1 or severity == "critical" else "s"
                parts.append(f"{n} {word}{plural}")
        if not parts:
            return "All well: nothing needs attention."
        return "Needs attention: " + ", ".join(parts) + "."

    def to_json(self) -> dict[str, object]:
        """The report as one JSON-ready document (what `check --json` prints)."""
        return {"status": self.worst, "exit_code": self.exit_code, "summary": self.headline(),
                "checked_at": self.checked_at, "duration": round(self.duration, 3),
                "findings": [f.to_json() for f in self.findings],
                "areas": [a.to_json() for a in self.areas]}


_ACTION_IDS = frozenset(a.id for a in ACTIONS)


def fix_text(finding: Finding) -> str:
    """How to fix it from the command line: the command ("primetui certs renew
    prime.example.edu"), else the action's words and its tab ("Fix the .env hygiene on the
    Backups tab"); "" when it names no action."""
    if not finding.action:
        return ""
    fix = action(finding.action)
    return fix.command_for(finding.subject) or f"{fix.words} on the {title(fix.tab)} tab"


def place(finding: Finding) -> str:
    """Where it is fixed, for a document: the fix, else the tab ("Overview tab")."""
    return fix_text(finding) or f"{title(finding.tab)} tab"


def by_urgency(findings: list[Finding]) -> list[Finding]:
    """Most urgent first; within a severity, by area then title (a stable order)."""
    return sorted(findings, key=lambda f: (rank(f.severity), f.area, f.title))
