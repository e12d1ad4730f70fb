"""What a restore would change, shown before anything is written, with a yes/no question."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Static

from primetui.printable import printable

if TYPE_CHECKING:
    from primetui.backups.restore import RestorePreview

KINDS = (("added", "added"), ("changed", "changed"), ("removed", "removed"))
"""The changes listed, in this order (unchanged files are only counted)."""


def preview_rows(preview: RestorePreview) -> list[tuple[str, str, str]]:
    """(what happens, path, sizes and modes) for every file the restore adds, changes or removes."""
    rows = []
    for kind, word in KINDS:
        for change in preview.changes.of(kind):
            state = change.new or change.old
            path = change.path + ("/" if state is not None and state.is_dir else "")
            rows.append((word, printable(path), change.detail()))
    for name in preview.refused:
        rows.append(("refused", printable(name), "not in backups.include: left out"))
    return rows


def preview_summary(preview: RestorePreview) -> str:
    """One sentence: the archive, the destination and the counts of each kind of change."""
    return printable(f"Restoring {preview.archive.name} into {preview.destination} would "
                     f"change: {preview.summary()}.")


class RestorePreviewDialog(ModalScreen[bool]):
    """The restore preview; dismisses True for "restore", False for no or escape."""

    DEFAULT_CSS = """
    RestorePreviewDialog {
        align: center middle;
    }
    RestorePreviewDialog > #backup-preview-box {
        width: 96%;
        height: 85%;
        padding: 0 1;
        border: thick $warning;
        background: $surface;
    }
    RestorePreviewDialog #backup-preview-summary {
        text-style: bold;
        height: auto;
    }
    RestorePreviewDialog #backup-preview-safety {
        color: $text-muted;
        height: auto;
        margin-bottom: 1;
    }
    RestorePreviewDialog #backup-preview-changes {
        height: 1fr;
    }
    RestorePreviewDialog #backup-preview-buttons {
        height: auto;
        align-horizontal: right;
    }
    RestorePreviewDialog Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Restore", id="restore_preview.restore"),
        Binding("n", "answer(False)", "Cancel", id="restore_preview.cancel"),
        Binding("escape", "answer(False)", "Cancel", show=False, id="restore_preview.cancel"),
    ]

    def __init__(self, preview: RestorePreview, safety: str) -> None:
        super().__init__()
        self.preview = preview
        self.safety = safety

    def compose(self) -> ComposeResult:
        with Vertical(id="backup-preview-box") as box:
            box.border_title = printable(f"Restore {self.preview.archive.name}?")
            yield Static(preview_summary(self.preview), id="backup-preview-summary",
                         markup=False)
            yield Static(self.safety, id="backup-preview-safety", markup=False)
            yield DataTable(id="backup-preview-changes", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="backup-preview-buttons"):
                yield Button("Restore (y)", id="backup-preview-yes", variant="warning")
                yield Button("Cancel (n)", id="backup-preview-no")
        yield Footer()

    def on_mount(self) -> None:
        """Fill the table; focus "Cancel" so that a stray enter restores nothing."""
        table = self.query_one(DataTable)
        for key, label in (("kind", "Change"), ("path", "Path"), ("detail", "Size, mode")):
            table.add_column(label, key=key)
        for i, row in enumerate(preview_rows(self.preview)):
            table.add_row(*row, key=str(i))
        self.query_one("#backup-preview-no", Button).focus()

    @on(Button.Pressed, "#backup-preview-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#backup-preview-no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, yes: bool) -> None:
        """Dismiss with the answer."""
        self.dismiss(yes)
