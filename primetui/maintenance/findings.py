"""What needs attention about maintenance: maintenance mode left on, and for how long.

Reads the wizard's saved progress through the service (no network), so it answers at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from primetui.findings.model import AreaResult, Finding
from primetui.findings.wording import duration, status

if TYPE_CHECKING:
    from primetui.maintenance.service import MaintenanceService


def check_maintenance(service: MaintenanceService, now: datetime) -> AreaResult:
    """Maintenance mode on, and for how long."""
    state = service.status()
    on, since = bool(state.on), state.since
    instance = getattr(state, "instance_id", None)
    if not on:
        return status("maintenance", "Off: traffic goes to production.")
    how_long = f" for {duration(now.timestamp() - since)}" if since else ""
    where = f" on {instance}" if instance else ""
    back = getattr(state, "return_at", None)
    promised = f"; back by {return_time(back)}" if back else ""
    if back and now.timestamp() > back:
        finding = Finding("critical", "maintenance",
                          f"Maintenance runs past its announced return time ({return_time(back)})"
                          f" by {duration(now.timestamp() - back)}.",
                          f"The page{where} still tells visitors the site is back at "
                          f"{return_time(back)}; move traffic back to production, or run the "
                          f"wizard again with a later --back.", "maintenance", "maintenance.off",
                          instance or "")
    else:
        finding = Finding("warning", "maintenance", f"Maintenance mode is on{how_long}.",
                          f"Visitors see the maintenance page{where}; move traffic back to "
                          f"production when the work is done.", "maintenance",
                          "maintenance.off", instance or "")
    return status("maintenance", f"On{how_long}{where}{promised}.", [finding])


def return_time(epoch: float) -> str:
    """The announced return time as local date and time."""
    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M")
