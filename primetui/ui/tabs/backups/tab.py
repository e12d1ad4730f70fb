"""The Backups tab: encrypted backups of .env and config/ — listed, created, verified, restored.

Everything slow (listing, gpg, git) runs in thread workers. A passphrase goes from the
password dialog's result straight into the service call that needs it (a plan's closures, or
a worker's arguments, whose description is fixed so it never shows the arguments): it is
never kept on the tab, in a reactive, a log line or a notification.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from primetui.errors import PrimeError
from primetui.printable import printable
from primetui.ui.dialogs.password import PasswordDialog
from primetui.ui.messages import OpenPlan
from primetui.ui.tabs.backups.hygiene import HygieneActions
from primetui.ui.tabs.backups.preview import RestorePreviewDialog
from primetui.ui.tabs.backups.rows import (
    COLUMNS,
    BackupListing,
    RestoreOffer,
    entry_row,
    safety_sentence,
)
from primetui.ui.tabs.backups.verify import VerifyReportScreen
from primetui.ui.tabs.table_tab import TableTab
from primetui.ui.tabs.wiring import BackupsWiring

if TYPE_CHECKING:
    from primetui.backups.catalog import BackupEntry
    from primetui.backups.service import VerifyReport


class BackupsTab(HygieneActions, TableTab[BackupsWiring]):
    """Create, list, verify, restore and prune gpg-encrypted backups; check secret hygiene."""

    TAB_ID = "backups"
    SUMMARY = ("The encrypted backups of .env and config/, with their age and last "
               "verification.")
    COLUMNS = COLUMNS
    READ_GROUPS = frozenset({"backups-list"})
    BINDINGS = [
        Binding("c", "create_backup", "Create",
                tooltip="Create an encrypted, verified backup (the passphrase is asked twice)",
                id="backups.create_backup"),
        Binding("v", "verify_backup", "Verify",
                tooltip="Decrypt and read the selected backup: its members and checksums",
                id="backups.verify_backup"),
        Binding("R", "restore_backup", "Restore", key_display="R",
                tooltip="Restore the selected backup (also enter): preview first, "
                        "the current files saved first", id="backups.restore_backup"),
        Binding("p", "prune_backups", "Prune",
                tooltip="Delete all but the newest backups (the plan names each file)",
                id="backups.prune_backups"),
        Binding("h", "show_hygiene", "Hygiene",
                tooltip="Check that .env files are kept out of git and mode 0600, and fix it",
                id="backups.show_hygiene"),
        TableTab.FILTER_BINDING,
        TableTab.CLEAR_FILTER_BINDING,
    ]
    MUTATING = frozenset({"create_backup", "restore_backup", "prune_backups"})
    """Verify and the hygiene report stay in read-only mode."""
    READ_ONLY = "Read-only mode is on, so backups cannot be created, restored or pruned."

    def __init__(self, wiring: BackupsWiring | None) -> None:
        super().__init__(wiring)
        self._entries: dict[str, BackupEntry] = {}
        self._lines: dict[str, tuple[str, bool]] = {"backups": ("Reading the backups…", False)}
        """The status line's parts: backups (or the work in progress), hygiene, S3."""

    def on_mount(self) -> None:
        """Read the backups and the project's hygiene as soon as the tab is first shown."""
        self.reload()

    # -- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        """List the backups and check the project's secret hygiene again (two workers)."""
        if self.wiring is None:
            self.set_status("Backups appear here once primetui is configured.")
            return
        self.load_backups()
        self.load_hygiene()

    def load_backups(self) -> None:
        """List the backups in a thread worker."""
        self.run_in_thread(self.read_listing, done=self.show_listing, group="backups-list",
                           failed=self._listing_failed)

    def _listing_failed(self, error: BaseException | None) -> None:
        self.put_line("backups", "The backups could not be listed.", True)

    def read_listing(self) -> BackupListing:
        """The backups here and in S3 (an unreachable S3 still shows the local ones)."""
        assert self.wiring is not None
        service = self.wiring.backups()
        note = ""
        try:
            entries = service.list_backups()
        except PrimeError as err:
            if not service.config.s3_bucket:
                raise
            entries = service.list_backups(include_s3=False)
            note = f"The S3 copies could not be listed: {err}"
        return BackupListing(entries, service.status(entries), note)

    def show_listing(self, listing: BackupListing) -> None:
        """Fill the table and the status line from a listing."""
        self._entries = {e.path: e for e in listing.entries}
        self.table.show({key: entry_row(e) for key, e in self._entries.items()})
        self.put_line("s3", listing.note, True)
        self.put_line("backups", listing.status.message, listing.status.level != "ok")

    def put_line(self, part: str, text: str, warn: bool = False) -> None:
        """Set one part of the status line ("busy" stands in for "backups" while set)."""
        self._lines[part] = (text, warn)
        parts = [self._lines.get(p, ("", False)) for p in ("backups", "hygiene", "s3")]
        busy = self._lines.get("busy", ("", False))
        if busy[0]:
            parts[0] = busy
        self.set_status("\n".join(text for text, _ in parts if text),
                        "warning" if any(warn for text, warn in parts if text) else "")

    # -- the selected backup ----------------------------------------------------------------

    def selected_entry(self, verb: str) -> BackupEntry | None:
        """The backup under the cursor, or None after saying why there is none to `verb`."""
        entry = self._entries.get(self.table.selected_key or "")
        if entry is None:
            self.notify(f"There is no backup to {verb}: create one first (c)."
                        if not self._entries else f"Select a backup to {verb}.",
                        title=self.TITLE)
            return None
        if entry.location != "local":
            self.notify(f"{entry.name} is the copy in S3; {verb} the local file of that name.",
                        title=self.TITLE, severity="warning")
            return None
        return entry

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a backup restores it (with its preview first; refused when read-only)."""
        if event.data_table is not self.table:
            return
        event.stop()
        self.action_restore_backup()

    # -- create -----------------------------------------------------------------------------

    def action_create_backup(self) -> None:
        """`c`: ask for the passphrase twice, then show the plan that writes the backup."""
        if self.wiring is None:
            return
        source = self.wiring.settings.backups.source
        self.app.push_screen(PasswordDialog(f"Passphrase for a new backup of {source}",
                                            confirm=True, strength_hint=True),
                             self._create_with)

    def _create_with(self, passphrase: str | None) -> None:
        """The dialog's answer goes straight into the plan (captured by its closures only)."""
        if passphrase is None or self.wiring is None:
            return
        try:
            plan = self.wiring.backups().create_plan(passphrase)
        except PrimeError as err:
            self.notify(str(err), title=self.TITLE, severity="error")
            return
        self.post_message(OpenPlan(plan))

    # -- verify -----------------------------------------------------------------------------

    def action_verify_backup(self) -> None:
        """`v`: ask for the passphrase, decrypt and read the backup, list its members; with
        marked rows, one passphrase and one plan verifying each marked local backup."""
        marked = [self._entries[k] for k in self.table.marked_keys if k in self._entries]
        if len(marked) > 1:
            self._verify_marked(marked)
            return
        entry = self.selected_entry("verify")
        if entry is None:
            return
        path = Path(entry.path)

        def asked(passphrase: str | None) -> None:
            if passphrase is not None:
                self.put_line("busy", f"Verifying {entry.name}: decrypting and reading "
                                      f"every member…")
                self.run_in_thread(
                    self.verify_backup, path, passphrase, done=self.show_verified,
                    failed=lambda _: self.load_backups(),  # the failed check shows in "Last verified"
                    after=self._not_busy, group="backups-decrypt",
                    description="verify a backup (decrypt and read every member)")

        self.app.push_screen(PasswordDialog(f"Passphrase of {entry.name}"), asked)

    def _verify_marked(self, entries: list[BackupEntry]) -> None:
        """One passphrase for the marked backups, then the plan with a step per file."""
        local = [e for e in entries if e.location == "local"]
        if len(local) < len(entries):
            self.notify(f"{len(entries) - len(local)} marked backup(s) are copies in S3; "
                        f"only the local files are verified.", title=self.TITLE,
                        severity="warning")
        if not local or self.wiring is None:
            return

        def asked(passphrase: str | None) -> None:
            if passphrase is None or self.wiring is None:
                return
            try:
                plan = self.wiring.backups().verify_plan([e.path for e in local], passphrase)
            except PrimeError as err:
                self.notify(str(err), title=self.TITLE, severity="error")
                return
            self.post_message(OpenPlan(plan))

        self.app.push_screen(PasswordDialog(f"Passphrase of the {len(local)} marked backups"),
                             asked)

    def row_details(self, key: str) -> Text | None:
        """The pane: the backup's date, size, age, where it is and its last verification."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        cells = dict(zip((k for k, _ in self.COLUMNS), entry_row(entry), strict=False))
        text = Text(printable(entry.name), style="bold")
        text.append("\n")  # its full path: y copies it
        for column, label in self.COLUMNS[1:]:
            text.append(f"{label}: ", style="dim")
            text.append(f"{cells.get(column, '')}\n")
        return text

    def copy_values(self, key: str) -> list[tuple[str, str]]:
        """`y` the backup file's path (S3: its key)."""
        return [("backup path", key)]

    def verify_backup(self, path: Path, passphrase: str) -> VerifyReport:
        """Decrypt and read the whole archive (gpg: seconds for a large one)."""
        assert self.wiring is not None
        return self.wiring.backups().verify(path, passphrase)

    def show_verified(self, report: VerifyReport) -> None:
        """The members and checksums; the table shows the new "Last verified"."""
        self.app.push_screen(VerifyReportScreen(report))
        self.load_backups()

    def _not_busy(self) -> None:
        self.put_line("busy", "")

    # -- restore ----------------------------------------------------------------------------

    def action_restore_backup(self) -> None:
        """`R` or enter: passphrase, preview in a worker, then the preview to confirm."""
        entry = self.selected_entry("restore")
        if entry is None:
            return
        path = Path(entry.path)

        def asked(passphrase: str | None) -> None:
            if passphrase is not None:
                self.put_line("busy", f"Checking {entry.name}: decrypting it and comparing "
                                      f"with the files now (nothing changes until you confirm)…")
                self.run_in_thread(
                    self.preview_restore, path, passphrase, done=self.offer_restore,
                    after=self._not_busy, group="backups-decrypt",
                    description="preview a restore (decrypt and check every member)")

        self.app.push_screen(PasswordDialog(f"Passphrase of {entry.name} (to preview the "
                                            f"restore)"), asked)

    def preview_restore(self, path: Path, passphrase: str) -> RestoreOffer:
        """Decrypt and check every member, compare with the disk; the plan when it changes."""
        assert self.wiring is not None
        service = self.wiring.backups()
        preview = service.preview_restore(path, passphrase)
        changes = preview.changes
        if not (changes.added or changes.changed or changes.removed):
            preview.discard()  # nothing to swap in: the staged copy goes now
            return RestoreOffer(preview, None, "")
        plan = service.restore_plan(preview, passphrase)
        safety = safety_sentence(preview, plan, service.destination)
        return RestoreOffer(preview, plan, safety)

    def offer_restore(self, offer: RestoreOffer) -> None:
        """Show the preview; yes opens the restore plan."""
        preview = offer.preview
        plan = offer.plan
        if plan is None:
            refused = (f" ({len(preview.refused)} member(s) outside backups.include were "
                       f"left out: {printable(', '.join(preview.refused[:5]))}"
                       f"{', …' if len(preview.refused) > 5 else ''})") if preview.refused else ""
            self.notify(printable(f"Nothing to restore: {preview.destination} already matches "
                                  f"{preview.archive.name}") + refused + ".", title=self.TITLE)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.post_message(OpenPlan(plan))
            else:
                preview.discard()  # the files decrypted for the preview are deleted

        self.app.push_screen(RestorePreviewDialog(preview, offer.safety), answered)

    # -- prune ------------------------------------------------------------------------------

    def action_prune_backups(self) -> None:
        """`p`: the plan that deletes all but the newest `keep` backups, or a sentence."""
        if self.wiring is None:
            return
        service = self.wiring.backups()
        try:
            plan = service.prune_plan()
        except PrimeError as err:
            self.notify(str(err), title=self.TITLE, severity="error")
            return
        if not plan.steps:
            keep = service.config.keep
            self.notify(f"Nothing to prune: there are no more than {keep} backups of each "
                        f"kind.", title=self.TITLE)
            return
        self.post_message(OpenPlan(plan))
