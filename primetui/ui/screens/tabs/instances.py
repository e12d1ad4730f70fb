"""The Instances tab: EC2 instances and RDS databases, their state live, start and stop."""

from __future__ import annotations

from primetui.ui.screens.tabs.base import TabBody, planned


class InstancesTab(TabBody):
    """EC2 and RDS, started and stopped as plans."""

    TAB_ID = "instances"
    TITLE = "Instances"
    SUMMARY = ("The lab's EC2 instances and RDS databases will be listed here with their state, "
               "updated live: start and stop them as a plan you confirm first. A protected "
               "instance (prod) asks you to type its name. A stopped RDS database starts again "
               "by itself after 7 days; this tab will say when.")
    BINDINGS = [
        planned("s", "Start", "Start the selected instance", mutating=True),
        planned("x", "Stop", "Stop the selected instance", mutating=True),
        planned("enter", "Details", "Show the selected instance's details", key_display="enter"),
        planned("slash", "Filter", "Filter the table", key_display="/"),
    ]
