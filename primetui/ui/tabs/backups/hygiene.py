"""Secret hygiene of the project (`.env*` out of git, mode 0600): the report, its fix plan,
and the Backups tab's part that checks it in thread workers (`HygieneActions`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from primetui.errors import PrimeError
from primetui.ui.messages import OpenPlan
from primetui.ui.screens.details import DetailsScreen

if TYPE_CHECKING:
    from primetui.backups.hygiene import HygieneReport
    from primetui.plans.plan import Plan
    from primetui.ui.tabs.wiring import BackupsWiring


def _yes_no(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")


def hygiene_summary(report: HygieneReport) -> str:
    """One line for the tab's status line: each secret file's state, or what is wrong."""
    if not report.files and not report.in_history:
        return "Secret hygiene: no .env file in the project."
    parts = []
    for f in report.files:
        where = ("" if f.tracked is None else " TRACKED by git" if f.tracked
                 else " ignored by git" if f.ignored else " NOT ignored by git")
        parts.append(f"{f.name} {f.mode:04o}{where}")
    if not report.is_git:
        parts.append("not a git repository")
    if report.in_history:
        parts.append(f"in git history: {', '.join(report.in_history)}")
    problems = len(report.problems())
    verdict = "well kept" if not problems else \
        f"{problems} problem{'s' if problems != 1 else ''}, press h"
    return f"Secret hygiene ({verdict}): {'; '.join(parts)}."


def file_rows(report: HygieneReport) -> list[tuple[str, str, str, str]]:
    """(file, mode, ignored by git, tracked by git) for each secret file."""
    return [(f.name, f"{f.mode:04o}" + ("" if f.mode_ok else " (should be 0600)"),
             _yes_no(f.ignored), _yes_no(f.tracked)) for f in report.files]


def report_text(report: HygieneReport, plan: Plan | None, read_only: bool) -> str:
    """The problems as sentences, then what the fix plan would do (or why there is none)."""
    lines = [] if report.is_git else ["The project is not a git repository, so only the "
                                      "modes are checked."]
    problems = report.problems()
    lines += [f"• {p}" for p in problems] or ["Every secret file is readable by its owner only "
                                              "and kept out of git."]
    if plan is not None and plan.steps:
        lines += ["", "The fix plan:"]
        for step in plan.steps:
            lines.append(f"  {step.title}")
            lines += [f"    $ {cmd}" for cmd in step.commands]
        lines.append("" if not read_only else "Read-only mode is on, so the fix is off.")
    elif problems:
        lines += ["", "Nothing here can be fixed by a plan: rotate the secrets named above."]
    return "\n".join(lines).rstrip()


class HygieneScreen(DetailsScreen[bool]):
    """The report; dismisses True when the person asks for the fix plan (`f`)."""

    DEFAULT_CSS = """
    HygieneScreen > #backup-hygiene-box {
        width: 96%;
    }
    HygieneScreen #backup-hygiene-files {
        height: auto;
        max-height: 8;
        margin-bottom: 1;
    }
    """

    BINDINGS = [
        Binding("f", "fix", "Fix", tooltip="Show the plan that fixes modes and .gitignore",
                id="hygiene.fix"),
    ]
    BOX_ID = "backup-hygiene-box"
    CLOSED = False

    def __init__(self, report: HygieneReport, plan: Plan | None, *, read_only: bool) -> None:
        super().__init__()
        self.report = report
        self.plan = plan
        self.read_only = read_only

    @property
    def can_fix(self) -> bool:
        """Whether a fix plan exists and may run."""
        return bool(self.plan is not None and self.plan.steps and not self.read_only)

    def box_title(self) -> str:
        """Which project."""
        return f"Secret hygiene of {self.report.project}"

    def compose_details(self) -> ComposeResult:
        """The files' table, then the problems and the fix plan (scrolling)."""
        yield DataTable(id="backup-hygiene-files", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="backup-hygiene-scroll"):
            yield Static(report_text(self.report, self.plan, self.read_only),
                         id="backup-hygiene-report", markup=False)

    def on_mount(self) -> None:
        """The files' table (hidden when the project has no secret file)."""
        table = self.query_one(DataTable)
        for key, label in (("file", "File"), ("mode", "Mode"), ("ignored", "Ignored by git"),
                           ("tracked", "Tracked by git")):
            table.add_column(label, key=key)
        rows = file_rows(self.report)
        for row in rows:
            table.add_row(*row, key=row[0])
        table.display = bool(rows)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`f` only when there is something a plan can fix and it may run."""
        if action == "fix":
            return self.can_fix
        return True

    def action_fix(self) -> None:
        """Close, asking the tab to open the fix plan."""
        if self.can_fix:
            self.dismiss(True)


class HygieneActions:
    """The Backups tab's hygiene: the status-line check, and `h` with its report and fix.

    Mixed into the tab (a `TableTab` with `wiring`, `read_only`, `run_in_thread` and
    `put_line`).
    """

    # Provided by the tab (annotations only: nothing here shadows the widget's own).
    wiring: BackupsWiring | None
    read_only: bool
    app: Any
    put_line: Callable[..., None]
    post_message: Callable[[Any], bool]
    run_in_thread: Callable[..., Any]

    def load_hygiene(self) -> None:
        """Check the project's secret hygiene in a thread worker, for the status line."""
        self.run_in_thread(self.hygiene_line, done=lambda line: self.put_line("hygiene", *line),
                           group="backups-hygiene")

    def hygiene_line(self) -> tuple[str, bool]:
        """The hygiene line for the status: (text, whether something is wrong)."""
        assert self.wiring is not None
        try:
            report = self.wiring.backups().hygiene()
        except PrimeError as err:
            return f"Secret hygiene was not checked: {err}", True
        return hygiene_summary(report), not report.ok

    def action_show_hygiene(self) -> None:
        """`h`: the hygiene report (and its fix plan) of the project directory."""
        if self.wiring is not None:
            self.run_in_thread(self.hygiene_report, done=lambda found: self.show_hygiene(*found),
                               group="backups-report")

    def hygiene_report(self) -> tuple[HygieneReport, Plan]:
        """The report and the plan that fixes what a plan can (git runs here)."""
        assert self.wiring is not None
        service = self.wiring.backups()
        report = service.hygiene()
        return report, service.hygiene_plan(report)

    def show_hygiene(self, report: HygieneReport, plan: Plan) -> None:
        """Push the report; `f` there opens the fix plan."""
        self.put_line("hygiene", hygiene_summary(report), not report.ok)

        def answered(fix: bool | None) -> None:
            if fix and not self.read_only:
                self.post_message(OpenPlan(plan))

        self.app.push_screen(HygieneScreen(report, plan, read_only=self.read_only), answered)
