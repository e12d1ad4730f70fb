"""The Backups tab: encrypted backups of .env and config/, verified, restored, pruned."""

from __future__ import annotations

from primetui.ui.screens.tabs.base import TabBody, planned


class BackupsTab(TabBody):
    """Create, list, verify, restore and prune gpg-encrypted backups."""

    TAB_ID = "backups"
    TITLE = "Backups"
    SUMMARY = ("The encrypted backups of .env and config/ will be listed here with their age, "
               "and a warning when the newest is more than a week old. Create one (the "
               "passphrase is asked twice), verify it, restore with a preview and a safety "
               "copy, prune old ones, and check that .env never reaches git.")
    BINDINGS = [
        planned("c", "Create", "Create an encrypted backup", mutating=True),
        planned("v", "Verify", "Verify the selected backup"),
        planned("o", "Restore", "Restore the selected backup", mutating=True),
        planned("d", "Prune", "Delete backups beyond the ones kept", mutating=True),
        planned("h", "Hygiene", "Check that .env files are ignored by git and mode 0600"),
    ]
