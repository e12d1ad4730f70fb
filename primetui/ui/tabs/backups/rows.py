"""What the Backups tab's workers hand back, and how a backup is drawn as a table row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from primetui.backups.archive import human_size
from primetui.printable import printable

if TYPE_CHECKING:
    from primetui.backups.catalog import BackupEntry, BackupStatus
    from primetui.backups.restore import RestorePreview
    from primetui.plans.plan import Plan

COLUMNS = (("name", "Name"), ("date", "Date"), ("size", "Size"), ("age", "Age"),
           ("where", "Where"), ("verified", "Last verified"))
"""(key, label) of the Backups table's columns."""


@dataclass(frozen=True)
class BackupListing:
    """What the list worker found: the entries, the status line, and an S3 problem if any."""

    entries: list[BackupEntry]
    status: BackupStatus
    note: str = ""


@dataclass(frozen=True)
class RestoreOffer:
    """A previewed restore: what would change, and the plan that does it (None: no change)."""

    preview: RestorePreview
    plan: Plan | None
    safety: str
    """Where the current files are saved before anything changes, as a sentence."""


def age_text(days: float) -> str:
    """A backup's age in the largest unit that fits: `12 min`, `5 h`, `3 d`."""
    minutes = days * 1440
    if minutes < 60:
        return f"{int(minutes)} min"
    if minutes < 1440:
        return f"{int(minutes // 60)} h"
    return f"{int(days)} d"


def verified_text(entry: BackupEntry) -> str:
    """When the file was last verified (local time), `FAILED` when that check failed."""
    if entry.last_verified is None:
        return "never"
    when = datetime.fromtimestamp(entry.last_verified).strftime("%Y-%m-%d %H:%M")
    return when if entry.verified_ok else f"{when} FAILED"


def entry_row(entry: BackupEntry) -> tuple[str, ...]:
    """One backup as table cells, in the order of `COLUMNS`."""
    return (printable(entry.name), entry.date, human_size(entry.size), age_text(entry.age_days),
            "S3" if entry.location == "s3" else "local", verified_text(entry))


def safety_sentence(preview: RestorePreview, plan: Plan, destination: object) -> str:
    """What the restore plan's first step (the pre-restore backup) will do, in words."""
    save = plan.steps[0]
    if save.done is not None and save.done():
        return (f"Nothing the backup covers exists in {preview.destination} now, so there is "
                f"nothing to save first.")
    return f"Before anything changes: {save.title[0].lower()}{save.title[1:]} in {destination}."
