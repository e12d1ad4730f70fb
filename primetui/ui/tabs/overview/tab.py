"""The Overview tab: what needs attention across the lab, most urgent first, and every area.

It is built for the first frame, so it imports nothing heavy and starts its thread worker
only after it is mounted; the findings come from the findings service's `collect()` (every
area at once, each within a timeout, never prompting) and are read again every two
minutes, or every `ui.refresh` seconds (not while a dialog is open), and on `r` or `c`;
a background refresh reuses the session's last read of certbot's side (or its files),
`r` and `c` ask certbot itself again. `enter` on a finding shows the
tab that fixes it; its line says which key does it there, read from that tab's own
bindings (a finding names its action by id, never by key).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from primetui.ui.messages import OpenPlan, ShowSubject
from primetui.ui.tabs import TABS
from primetui.ui.tabs.base import TabBody
from primetui.ui.tabs.wiring import OverviewWiring

if TYPE_CHECKING:
    from rich.text import Text
    from textual.widgets import DataTable

    from primetui.findings.model import AreaStatus, Finding, FindingsReport
    from primetui.ui.widgets.live_table import LiveTable

REFRESH_SECONDS = 120.0
"""How often the findings are read again in the background unless `ui.refresh` says."""
LABELS = {"critical": "● CRITICAL", "warning": "▲ WARNING", "info": "● NOTE", "ok": "✓ OK"}
COLOURS = {"critical": "error", "warning": "warning", "info": "accent", "ok": "success"}
"""Theme variables that colour each severity."""
TAB_KEYS = {tab.id: f"{tab.key} {tab.title}" for tab in TABS}
HINT = "enter shows the tab that fixes the finding · 1–7 tabs · ctrl+p every action"
"""Fits an 80-column terminal; `?` and `p` are in the footer just below it."""


def where(finding: Finding, keys: dict[str, str]) -> str:
    """The fix column: the tab's number and title, then the key there ("4 Certificates · n Renew");
    `keys` holds the key text of each action (see `fix_keys`)."""
    tab = TAB_KEYS.get(finding.tab, finding.tab)
    return f"{tab} · {keys.get(finding.action, finding.action)}" if finding.action else tab


def shorten_home(text: str) -> str:
    """Paths under the home directory shown with `~` (shorter, and the same on every machine)."""
    home = str(Path.home())
    return text.replace(home + "/", "~/") if home not in ("/", "") else text


SHORT = 30
"""Below this many lines (an 80×24 terminal) the Overview packs its parts tighter."""


def every_words(seconds: float) -> str:
    """How often, in words: `2 minutes`, `90 seconds`, `1 minute`."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


def clock(when: float) -> str:
    """A moment today as the lab's clock shows it: `14:05:09`."""
    import time

    return time.strftime("%H:%M:%S", time.localtime(when))


class OverviewTab(TabBody[OverviewWiring]):
    """The findings (one line each, coloured by severity) above each area's status."""

    TAB_ID = "overview"
    SUMMARY = ("What needs attention across the lab appears here once primetui is configured: "
               "certificates close to expiry, old or unverified backups, .env hygiene, "
               "instances running outside their schedule, schedules whose role fails, "
               "unknown SSH host keys. Press 1–7 to move between tabs, ctrl+p for every "
               "action, ? for the keys.")
    DEFAULT_CSS = """
    OverviewTab > .overview--headline {
        height: auto;
        padding: 0 1;
        text-style: bold;
    }
    OverviewTab > #overview-findings {
        height: auto;
        max-height: 60%;
    }
    OverviewTab > .overview--detail {
        height: auto;
        max-height: 3;
        padding: 0 1;
        color: $foreground-muted;
    }
    OverviewTab > .overview--heading {
        height: 1;
        padding: 0 1;
        margin-top: 1;
        color: $primary;
        text-style: bold;
    }
    OverviewTab > #overview-areas {
        height: auto;
    }
    OverviewTab.-short > #overview-findings {
        max-height: 30%;
    }
    OverviewTab.-short > .overview--detail {
        max-height: 2;
    }
    OverviewTab.-short > .overview--heading {
        margin-top: 0;
    }
    OverviewTab > .overview--hint {
        dock: bottom;
        height: 1;
        padding: 0 1;
        color: $foreground-muted;
    }
    """
    BINDINGS = [
        Binding("enter", "go_to_fix", "Go to fix", show=False,
                tooltip="Show the tab that fixes the selected finding", id="overview.go_to_fix"),
        Binding("c", "check_now", "Check now",
                tooltip="Check every area again now (certificates, backups, instances, …)",
                id="overview.check_now"),
        Binding("k", "trust_host_key", "Trust host key",
                tooltip="Connect to the selected finding's server and decide on its host key",
                id="overview.trust_host_key"),
        Binding("p", "practice", "Practice plan",
                tooltip="Run the practice plan (harmless: a notice in a scratch folder)",
                id="overview.practice"),
    ]
    MUTATING = frozenset({"practice", "trust_host_key"})

    def __init__(self, wiring: OverviewWiring | None) -> None:
        super().__init__(wiring)
        self.report: FindingsReport | None = None
        self._room = 1000
        """How many cells a finding's title may take in the table now."""
        self._keys: dict[str, str] = {}
        self._findings: dict[str, Finding] = {}
        self._timer: Timer | None = None

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """The headline and a hint; the tables come with the first findings (`_add_tables`)."""
        if self.wiring is None:
            yield from super().compose()
            return
        yield Static("Checking every area…", id="overview-headline",
                     classes="overview--headline", markup=False)
        yield Static(HINT, id="overview-hint", classes="overview--hint", markup=False)

    async def _add_tables(self) -> None:
        """The findings, the selected one's detail and the areas, once there is something.

        Not composed for the first frame: DataTable's import alone would cost the start-up
        budget a third of its 150 ms, and there is nothing to show before the first check.
        """
        if self.query("#overview-findings"):
            return
        from primetui.ui.widgets.live_table import LiveTable

        findings = LiveTable((("severity", "Severity"), ("finding", "Finding"), ("fix", "Fix")),
                             id="overview-findings")
        areas = LiveTable((("area", "Area"), ("status", "Status"), ("summary", "Summary")),
                          id="overview-areas")
        areas.can_focus = False
        areas.show_cursor = False
        took_focus = self.has_focus
        await self.mount_all([
            findings, Static("", id="overview-detail", classes="overview--detail", markup=False),
            Static("Areas", classes="overview--heading", markup=False), areas],
            before="#overview-hint")
        if took_focus:
            findings.focus()

    @property
    def refresh_seconds(self) -> float:
        """Seconds between background checks: `ui.refresh` (two minutes unless set)."""
        return self.wiring.settings.ui.refresh if self.wiring is not None else REFRESH_SECONDS

    def on_mount(self) -> None:
        """Start checking after the first frame, then every `ui.refresh` seconds."""
        self.call_after_refresh(self.reload)
        self._timer = self.set_interval(self.refresh_seconds, self._tick)
        self.watch(self.app, "theme", lambda: self.show_report(self.report), init=False)

    def focus_content(self) -> None:
        """The findings take the keyboard (this tab's keys stay in the footer)."""
        found = self.query("#overview-findings")
        (found.first() if found else self).focus()

    def set_wiring(self, wiring: OverviewWiring | None) -> None:
        """New settings and services: rebuild, then check again."""
        self.report = None
        super().set_wiring(wiring)
        if self._timer is not None:  # the new settings' ui.refresh
            self._timer.stop()
            self._timer = self.set_interval(self.refresh_seconds, self._tick)
        self.call_after_refresh(self.reload)

    # -- keys -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Every key needs services; trusting a key needs a finding about one."""
        if self.wiring is None and action in ("check_now", "go_to_fix", "practice",
                                              "trust_host_key"):
            return False
        if action == "trust_host_key" and not self.read_only:
            return (self.selected is not None
                    and self.selected.action == "overview.trust_host_key")
        return super().check_action(action, parameters)

    @property
    def selected(self) -> Finding | None:
        """The finding under the cursor, if any."""
        found = self.query("#overview-findings")
        if not found:
            return None
        key = found.first().selected_key  # type: ignore[attr-defined]
        return self._findings.get(key) if key else None

    async def action_go_to_fix(self) -> None:
        """Show the tab that fixes the selected finding."""
        finding = self.selected
        if finding is None or finding.tab == self.TAB_ID:
            return
        if finding.subject:
            self.post_message(ShowSubject(finding.tab, finding.subject))
        else:
            await self.app.run_action(f"show_tab({finding.tab!r})")

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """`enter` on a finding: show the tab that fixes it."""
        if event.data_table.id == "overview-findings":
            event.stop()
            await self.action_go_to_fix()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The cursor moved: show that finding's detail (and whether `k` applies)."""
        if event.data_table.id == "overview-findings":
            self._show_detail()
            self.refresh_bindings()

    def action_check_now(self) -> None:
        """`c`: check every area again now (certbot itself asked again too)."""
        self.reload(fresh=True)

    def reload_asked(self) -> None:
        """`r`: the same as `c`."""
        self.reload(fresh=True)

    def action_practice(self) -> None:
        """Ask the app to show the practice plan."""
        if self.wiring is None:
            return
        from primetui.plans.practice import practice_plan

        self.post_message(OpenPlan(practice_plan(self.wiring.settings)))

    def action_trust_host_key(self) -> None:
        """`k`: connect to the selected finding's server; the host-key dialog decides."""
        finding = self.selected
        if finding is None or self.wiring is None or not finding.subject:
            return
        self.notify(f"Connecting to {finding.subject}…", title=self.TITLE)
        self.run_in_thread(self.connect_server, finding.subject, done=self._connected,
                           group="overview-trust")

    def connect_server(self, name: str) -> str:
        """Connect once with the app's prompter (which shows the host key and asks)."""
        assert self.wiring is not None
        runner = self.wiring.runner(name)
        try:
            runner.run("true", timeout=30)
        finally:
            runner.close()
        return name

    def _connected(self, name: str) -> None:
        self.notify(f"{name} answered with a trusted host key.", title=self.TITLE)
        self.reload(fresh=True)

    # -- data -----------------------------------------------------------------------------

    def reload(self, fresh: bool = False) -> None:
        """Check every area again (in a thread: it waits on AWS, servers and gpg); `fresh`:
        the person asked, so certbot's side is not taken from the session's last read."""
        if self.wiring is None or not self.is_attached:
            return
        headline = self.query_one("#overview-headline", Static)
        if self.report is None:
            headline.update("Checking every area…")
        else:  # the findings stay on screen while the new check runs, and say so
            headline.update(f"Checking every area again… (last checked at "
                            f"{clock(self.report.checked_at)})")
        self.run_in_thread(self.collect, fresh, done=self._collected, group="overview")

    def _tick(self) -> None:
        """The background refresh (`ui.refresh`); it waits while a dialog or plan is on top."""
        if self.wiring is not None and self.app.screen is self.screen:
            self.reload()

    def collect(self, fresh: bool = False) -> tuple[FindingsReport, dict[str, str]]:
        """Every area's findings (each area within its timeout; never prompts), and the
        key of each action they name, from the fixing tabs' bindings."""
        from primetui.ui.tabs.overview.fix_keys import fix_keys

        assert self.wiring is not None
        worker = get_current_worker()
        report = self.wiring.findings().collect(is_cancelled=lambda: worker.is_cancelled,
                                                fresh=fresh)
        return report, fix_keys({f.action for f in report.findings}, type(self.app))

    async def _collected(self, found: tuple[FindingsReport, dict[str, str]]) -> None:
        """The findings arrived: the tables (the first time), then the report."""
        if self.wiring is not None and self.query("#overview-headline"):
            await self._add_tables()
        report, self._keys = found
        self.show_report(report)

    def show_report(self, report: FindingsReport | None) -> None:
        """Draw the headline, the findings and the areas."""
        if report is None or not self.query("#overview-findings"):
            return
        self.report = report
        every = "" if self.has_class("-short") else f" again every {every_words(self.refresh_seconds)}"
        self.query_one("#overview-headline", Static).update(
            f"{report.headline()} Checked at {clock(report.checked_at)}{every}; c checks now.")
        rows: dict[str, tuple] = {}
        self._findings = {}
        fixes = [where(finding, self._keys) for finding in report.findings]
        room = self._room = self._title_room(max((len(fix) for fix in fixes), default=0))
        for finding, fix in zip(report.findings, fixes, strict=True):
            key = f"{finding.area}:{finding.subject}:{finding.action}"
            while key in rows:
                key += "+"
            title = finding.title
            if len(title) > room:  # a narrow terminal: the Fix column stays on screen
                title = title[:room - 1].rstrip() + "…"
            rows[key] = (self._label(finding.severity), title, fix)
            self._findings[key] = finding
        findings_table: LiveTable = self.query_one("#overview-findings")  # type: ignore[assignment]
        areas_table: LiveTable = self.query_one("#overview-areas")  # type: ignore[assignment]
        findings_table.show(rows)
        areas_table.show(
            {a.area: self._area_row(a) for a in report.areas})
        self._show_detail()
        self.refresh_bindings()

    def _title_room(self, fix_width: int) -> int:
        """How many cells a finding's title may take so that its Fix column still shows."""
        width = self.size.width or self.app.size.width
        severity, padding, scrollbar = 10, 6, 2  # three columns of one cell's padding each side
        return max(24, width - severity - fix_width - padding - scrollbar)

    def on_resize(self) -> None:
        """A new size: in a short terminal (80×24) the findings give way to the areas, and
        the findings' titles are cut again so each row's fix stays on screen."""
        self.set_class(self.size.height < SHORT, "-short")
        if self.report is not None:
            self.show_report(self.report)

    def _area_row(self, area: AreaStatus) -> tuple:
        return (area.title, self._label(area.severity), area.summary)

    def _label(self, severity: str) -> Text:
        from rich.text import Text

        colour = self.app.theme_variables.get(COLOURS.get(severity, "foreground"), "")
        return Text(LABELS.get(severity, severity), style=f"bold {colour}".strip(), end="")

    def _show_detail(self) -> None:
        detail = self.query("#overview-detail")
        if not detail:
            return
        finding = self.selected
        text = shorten_home(finding.detail) if finding is not None else ""
        if finding is not None and len(finding.title) > self._room:
            text = f"{finding.title} {text}"  # the title was cut in the table: here in full
        detail.first(Static).update(text)
