"""The shell's tabs, one small module each, imported only when a tab is first shown.

`TABS` is the order of the tabs and of their number keys 1–7.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from primetui.ui.tabs.base import TabBody


@dataclass(frozen=True)
class TabSpec:
    """One tab: its id (also its module's name), its title and its number key."""

    id: str
    title: str
    key: str
    class_name: str

    @property
    def label(self) -> str:
        """The tab's label: the number key, dimmed, then the title."""
        return f"[dim]{self.key}[/] {self.title}"

    def load(self) -> type[TabBody]:
        """Import the tab's module (first use only) and return its body class."""
        module = importlib.import_module(f"primetui.ui.tabs.{self.id}.tab")
        return getattr(module, self.class_name)


TABS: tuple[TabSpec, ...] = (
    TabSpec("overview", "Overview", "1", "OverviewTab"),
    TabSpec("instances", "Instances", "2", "InstancesTab"),
    TabSpec("schedules", "Schedules", "3", "SchedulesTab"),
    TabSpec("certificates", "Certificates", "4", "CertificatesTab"),
    TabSpec("backups", "Backups", "5", "BackupsTab"),
    TabSpec("maintenance", "Maintenance", "6", "MaintenanceTab"),
    TabSpec("audit", "Audit", "7", "AuditTab"),
)
"""Every tab, in order."""
