"""What the shell hands each tab: the settings, and the tab's own service(s), nothing more.

`MainScreen` builds these from the registry (`primetui/ui/screens/main.py`, `tab_wiring`);
a tab never sees the registry itself. Each service is handed over as a function that
returns it, so it is made (and its modules imported) the first time the tab's thread
worker asks for it, off the event loop — and a service that cannot be made (a server the
config does not name) fails there, as one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from primetui.backups.service import BackupService
    from primetui.certificates.service import CertificatesService
    from primetui.config import Settings
    from primetui.instances.service import InstancesService
    from primetui.maintenance.service import MaintenanceService
    from primetui.overview.collector import FindingsService
    from primetui.plans.audit import AuditLog
    from primetui.remote.runners import Runner
    from primetui.schedules.service import SchedulesService


@dataclass(frozen=True)
class TabWiring:
    """What every tab is given: the settings (read-only mode among them)."""

    settings: Settings

    @property
    def read_only(self) -> bool:
        """Whether actions that change something are off."""
        return self.settings.ui.read_only


@dataclass(frozen=True)
class OverviewWiring(TabWiring):
    """The findings of every area, and a runner to meet a server's host key (`k`)."""

    findings: Callable[[], FindingsService]
    runner: Callable[[str], Runner]


@dataclass(frozen=True)
class InstancesWiring(TabWiring):
    """The instances, and the schedules that act on them (the Scheduled column)."""

    instances: Callable[[], InstancesService]
    schedules: Callable[[], SchedulesService]


@dataclass(frozen=True)
class SchedulesWiring(TabWiring):
    """The schedules, and the instances they act on (named in the rows and the form)."""

    schedules: Callable[[], SchedulesService]
    instances: Callable[[], InstancesService]


@dataclass(frozen=True)
class CertificatesWiring(TabWiring):
    """The certificates service (it raises a PrimeError when its server is not configured)."""

    certificates: Callable[[], CertificatesService]


@dataclass(frozen=True)
class BackupsWiring(TabWiring):
    """The backup service."""

    backups: Callable[[], BackupService]


@dataclass(frozen=True)
class MaintenanceWiring(TabWiring):
    """The maintenance-page wizard."""

    maintenance: Callable[[], MaintenanceService]


@dataclass(frozen=True)
class AuditWiring(TabWiring):
    """The audit log, and the maintenance report of a window (`w`).

    `report(seconds, window, now)` is the report's Markdown text.
    """

    audit: Callable[[], AuditLog]
    report: Callable[[float, str, float], str]

    def reports_dir(self) -> Path:
        """Where the reports are written: next to the audit log."""
        return Path(self.audit().path).parent / "reports"
