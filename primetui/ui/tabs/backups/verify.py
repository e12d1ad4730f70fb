"""The result of verifying a backup: every member it holds, with a sha256 per file."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from primetui.backups.archive import human_size
from primetui.printable import printable
from primetui.ui.screens.details import DetailsScreen

if TYPE_CHECKING:
    from primetui.backups.service import VerifyReport

NO_DIGEST = "—"
"""What the checksum column shows for a directory (it has no content to hash)."""


def verify_summary(report: VerifyReport) -> str:
    """One sentence: which file, how many files and bytes, when it was checked."""
    listing = report.listing
    count = len(listing.files)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(report.verified_at))
    return (f"{printable(report.file.name)} decrypts with this passphrase and every member was read and "
            f"checked: {count} file{'s' if count != 1 else ''}, "
            f"{human_size(listing.total_size)}, verified {when}.")


def member_rows(report: VerifyReport) -> list[tuple[str, str, str, str]]:
    """(name, mode, size, sha256) per member, in archive order."""
    rows = []
    for m in report.listing.members:
        name = printable(m.name) + ("/" if m.is_dir else "")
        size = "dir" if m.is_dir else human_size(m.size)
        rows.append((name, f"{m.mode:04o}", size, m.sha256 or NO_DIGEST))
    return rows


class VerifyReportScreen(DetailsScreen[None]):
    """A verified backup's members and checksums; escape or enter closes it."""

    DEFAULT_CSS = """
    VerifyReportScreen > #backup-verify-box {
        width: 96%;
        border: thick $success;
    }
    VerifyReportScreen #backup-verify-summary {
        height: auto;
        margin-bottom: 1;
    }
    VerifyReportScreen #backup-verify-members {
        height: 1fr;
    }
    """

    BINDINGS = [Binding("enter", "close", "Close", show=False, id="details.close")]
    BOX_ID = "backup-verify-box"

    def __init__(self, report: VerifyReport) -> None:
        super().__init__()
        self.report = report

    def box_title(self) -> str:
        """Which backup was verified."""
        return f"Verified {printable(self.report.file.name)}"

    def compose_details(self) -> ComposeResult:
        """The summary, then the members' table (which scrolls)."""
        yield Static(verify_summary(self.report), id="backup-verify-summary", markup=False)
        table: DataTable[str] = DataTable(id="backup-verify-members", cursor_type="row",
                                          zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        """Fill the member table and give it the keyboard (to scroll long listings)."""
        table = self.query_one(DataTable)
        for key, label in (("name", "Member"), ("mode", "Mode"), ("size", "Size"),
                           ("sha256", "SHA-256")):
            table.add_column(label, key=key)
        for i, row in enumerate(member_rows(self.report)):
            table.add_row(*row, key=str(i))
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on the table closes, as it does anywhere else on this screen."""
        event.stop()
        self.dismiss(None)
