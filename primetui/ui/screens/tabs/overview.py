"""The Overview tab: what needs attention across the lab, and the practice plan."""

from __future__ import annotations

from textual.binding import Binding

from primetui.ui.messages import OpenPlan
from primetui.ui.screens.tabs.base import TabBody


class OverviewTab(TabBody):
    """What needs attention today; for now it explains the shell and offers the practice plan."""

    TAB_ID = "overview"
    TITLE = "Overview"
    SUMMARY = ("What needs attention across the lab will appear here: certificates close to "
               "expiry, backups older than a week, instances that are stopped, and schedules "
               "about to fire. Press 1–7 to move between tabs, ctrl+p for every action, ? for "
               "the keys. To see how every change is shown, confirmed, run and undone, try the "
               "practice plan: it only writes a notice in a scratch folder.")
    BINDINGS = [
        Binding("p", "practice", "Practice plan",
                tooltip="Run the practice plan (harmless: a notice in a scratch folder)"),
        Binding("c", "planned('Checking everything now', False)", "Check now",
                tooltip="Check certificates, backups and instances now"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The practice plan needs settings and is off in read-only mode."""
        if action == "practice":
            return self.services is not None and not self.read_only
        return super().check_action(action, parameters)

    def key_lines(self) -> list[tuple[str, str]]:
        """The keys, saying when the practice plan is off."""
        lines = super().key_lines()
        if self.read_only:
            lines = [(k, w + " (off: read-only)" if k == "p" else w) for k, w in lines]
        return lines

    def action_practice(self) -> None:
        """Ask the app to show the practice plan."""
        if self.services is None:
            return
        from primetui.services.practice import practice_plan

        self.post_message(OpenPlan(practice_plan(self.services.settings)))
