"""The Maintenance tab: the maintenance-page wizard and the traffic switch."""

from __future__ import annotations

from primetui.ui.screens.tabs.base import TabBody, planned


class MaintenanceTab(TabBody):
    """Stand up the maintenance host, move traffic to it and back, tear it down."""

    TAB_ID = "maintenance"
    TITLE = "Maintenance"
    SUMMARY = ("The maintenance-page wizard will run here, step by step and resumable: a "
               "t3.nano with nginx, the production certificates and the same inbound rules, "
               "then traffic moved to it (Elastic IP or Route 53) and back again, and the "
               "host torn down. Every step shows its commands first.")
    BINDINGS = [
        planned("m", "Maintenance on", "Start the wizard and move traffic to the maintenance page",
                mutating=True),
        planned("b", "Back to prod", "Move traffic back to production", mutating=True),
        planned("t", "Tear down", "Remove the maintenance host", mutating=True),
        planned("s", "Status", "Show where traffic goes now"),
    ]
