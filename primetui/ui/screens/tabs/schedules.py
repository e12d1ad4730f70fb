"""The Schedules tab: EventBridge Scheduler start/stop schedules and their role."""

from __future__ import annotations

from primetui.ui.screens.tabs.base import TabBody, planned


class SchedulesTab(TabBody):
    """The schedules that stop and start instances, with their next runs in local time."""

    TAB_ID = "schedules"
    TITLE = "Schedules"
    SUMMARY = ("The EventBridge schedules that stop and start instances will be listed here, "
               "with their next runs in your local time. Enable, disable or create one, and "
               "check that the scheduler's role may assume and invoke what it needs.")
    BINDINGS = [
        planned("e", "Enable/disable", "Enable or disable the selected schedule", mutating=True),
        planned("n", "New", "Create a schedule", mutating=True),
        planned("c", "Check role", "Check the scheduler role's trust and permissions"),
        planned("slash", "Filter", "Filter the table", key_display="/"),
    ]
