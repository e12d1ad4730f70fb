"""The Backups tab with Pilot, the real gpg and a real sample project: every flow end to end."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest
from textual.widgets import DataTable, Static

from primetui.ui.app import PrimeApp
from primetui.ui.dialogs.password import PasswordDialog
from primetui.ui.screens.main import MainScreen
from primetui.ui.screens.plan_screen import PlanScreen
from primetui.ui.tabs.backups.hygiene import HygieneScreen
from primetui.ui.tabs.backups.preview import RestorePreviewDialog
from primetui.ui.tabs.backups.tab import BackupsTab
from primetui.ui.tabs.backups.verify import VerifyReportScreen
from tests.fixtures.backups import tree_digest
from tests.fixtures.backups_world import (
    PASSPHRASE,
    WRONG,
    backups_app,
    fake_backups,
    git,
    install_snapshot_backups,
    make_backup,
)
from tests.fixtures.shell import (
    SIZE,
    lab_app,
    lab_settings,
    notifications,
    settle,
    settle_after_failure,
)

# -- helpers ---------------------------------------------------------------------------------

async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def open_tab(app: PrimeApp, pilot) -> BackupsTab:
    await settle(app, pilot)
    await pilot.press("5")
    await settle(app, pilot)
    return app.screen.query_one(BackupsTab)


async def answer_password(app: PrimeApp, pilot, passphrase: str) -> None:
    assert isinstance(app.screen, PasswordDialog)
    await type_text(pilot, passphrase)
    await pilot.press("enter")
    await pilot.pause()


async def run_open_plan(app: PrimeApp, pilot) -> None:
    """Run the plan screen on top, check it succeeded, close it and wait for the reload."""
    assert isinstance(app.screen, PlanScreen)
    await pilot.press("enter")
    await settle(app, pilot)
    assert app.screen.phase == "finished" and app.screen.result.ok, app.screen.result
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, MainScreen)


def status_text(tab: BackupsTab) -> str:
    return str(tab.query_one("#backups-status", Static).content)


def table_names(tab: BackupsTab) -> list[str]:
    return [str(tab.table.get_row_at(i)[0]) for i in range(tab.table.row_count)]


# -- the list and the status line ------------------------------------------------------------

async def test_empty_destination_says_there_is_no_backup_and_shows_the_hygiene(
        aws_settings, tmp_path, sample_project, gpg_home):
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_tab(app, pilot)
        text = status_text(tab)
        assert "There is no backup yet" in text
        assert ".env 0644 ignored by git" in text and ".env.production 0600 ignored by git" in text
        assert tab.table.row_count == 0


async def test_list_shows_every_backup_newest_first_and_warns_when_the_newest_is_old(
        aws_settings, tmp_path, sample_project, gpg_home):
    fake_backups(tmp_path / "backups", [1, 5, 3])
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_tab(app, pilot)
        assert table_names(tab) == [f"prime-backup-2026-01-0{d}.tar.gz.gpg" for d in (5, 3, 1)]
        name, date, size, age, where, verified = tab.table.get_row_at(0)
        assert (date, size, where, verified) == ("2026-01-05 03:00", "1.1 kB", "local", "never")
        assert age.endswith(" d")
        assert "older than 7 days, so create a new one" in status_text(tab)
        assert tab.query_one("#backups-status").has_class("-warning")


# -- create ----------------------------------------------------------------------------------

async def test_create_asks_twice_refuses_a_mismatch_then_writes_a_listed_backup_and_leaks_nothing(
        aws_settings, tmp_path, sample_project, gpg_home):
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_tab(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PasswordDialog) and dialog.confirm and dialog.show_strength
        await type_text(pilot, PASSPHRASE)
        assert "Strong" in str(dialog.query_one("#password-hint", Static).content)
        await pilot.press("enter")
        await type_text(pilot, PASSPHRASE + "x")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog  # the mismatch is refused in place
        assert "differ" in str(dialog.query_one("#password-error", Static).content)
        await type_text(pilot, PASSPHRASE)  # both fields were cleared: type it twice again
        await pilot.press("enter")
        await type_text(pilot, PASSPHRASE)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen)
        assert app.screen.plan.action == "backup.create"
        await run_open_plan(app, pilot)
        files = os.listdir(tmp_path / "backups")
        assert len(files) == 1 and files[0].startswith("prime-backup-")
        assert table_names(tab) == files
        assert tab.table.get_row_at(0)[5] != "never"  # verified as it was written
        assert "was made today" in status_text(tab)
        leftovers = [value for value in vars(tab).values() if PASSPHRASE in repr(value)]
        assert leftovers == []
    audit = (tmp_path / "state" / "audit.jsonl").read_text()
    assert "backup.create" in audit and PASSPHRASE not in audit


# -- verify ----------------------------------------------------------------------------------

async def test_verify_lists_every_member_with_its_checksum(
        aws_settings, tmp_path, sample_project, gpg_home):
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home)
    backup = make_backup(app)
    service = app.services.backups
    descriptions: list[str] = []
    during: list[str] = []
    real_verify = service.verify

    def verify(file, passphrase):  # records what the running worker and the tab show
        descriptions.extend(w.description for w in app.workers)
        during.append(app.call_from_thread(status_text, app.screen.query_one(BackupsTab)))
        return real_verify(file, passphrase)

    service.verify = verify
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_tab(app, pilot)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, PasswordDialog) and not app.screen.confirm
        await answer_password(app, pilot, PASSPHRASE)
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, VerifyReportScreen)
        members = screen.query_one(DataTable)
        rows = {str(r[0]): r for r in (members.get_row_at(i) for i in range(members.row_count))}
        assert {".env", ".env.production", "config/", "config/app.toml",
                "config/nginx/site.conf"} <= set(rows)
        env = (sample_project / ".env").read_bytes()
        assert rows[".env"][3] == hashlib.sha256(env).hexdigest()
        assert backup.name in str(screen.query_one("#backup-verify-summary", Static).content)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen) and tab.table.get_row_at(0)[5] != "never"
    assert descriptions and all(PASSPHRASE not in d for d in descriptions)
    assert during == [f"Verifying {backup.name}: decrypting and reading every member…\n"
                      f"Secret hygiene (1 problem, press h): .env 0644 ignored by git; "
                      f".env.production 0600 ignored by git."]


async def test_wrong_passphrase_on_verify_is_one_sentence_and_writes_nothing(
        aws_settings, tmp_path, sample_project, gpg_home):
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home)
    backup = make_backup(app)
    before = (tree_digest(sample_project), tree_digest(tmp_path / "backups"))
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_tab(app, pilot)
        await pilot.press("v")
        await pilot.pause()
        await answer_password(app, pilot, WRONG)
        await settle_after_failure(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert notifications(app) == [f"The passphrase does not decrypt the backup {backup.name}."]
        assert "Verifying" not in status_text(tab)
    assert (tree_digest(sample_project), tree_digest(tmp_path / "backups")) == before


# -- restore ---------------------------------------------------------------------------------

@pytest.mark.parametrize("refusal", ["wrong passphrase", "tampered file"])
async def test_a_refused_restore_is_one_sentence_and_changes_nothing(
        aws_settings, tmp_path, sample_project, gpg_home, refusal):
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home)
    backup = make_backup(app)
    if refusal == "tampered file":
        data = bytearray(backup.read_bytes())
        data[len(data) // 2] ^= 0x01
        backup.write_bytes(bytes(data))
    (sample_project / ".env").write_text("CHANGED=1\n")
    before = (tree_digest(sample_project), tree_digest(tmp_path / "backups"))
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await pilot.press("R")
        await pilot.pause()
        await answer_password(app, pilot, WRONG if refusal == "wrong passphrase" else PASSPHRASE)
        await settle_after_failure(app, pilot)
        assert isinstance(app.screen, MainScreen)
        [sentence] = notifications(app)
        if refusal == "wrong passphrase":
            assert sentence == f"The passphrase does not decrypt the backup {backup.name}."
        else:
            assert sentence.startswith("Refused the backup") and backup.name in sentence
        assert sentence.endswith(".") and "\n" not in sentence and PASSPHRASE not in sentence
    assert (tree_digest(sample_project), tree_digest(tmp_path / "backups")) == before


async def test_restore_through_preview_and_confirm_puts_the_project_files_back(
        aws_settings, tmp_path, sample_project, gpg_home):
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home)
    backup = make_backup(app)
    original = tree_digest(sample_project)
    (sample_project / ".env").write_text("DJANGO_SECRET_KEY=oops\n")
    (sample_project / "config" / "app.toml").unlink()
    (sample_project / "config" / "extra.conf").write_text("stray\n")
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_tab(app, pilot)
        await pilot.press("enter")  # enter on the selected backup restores it
        await pilot.pause()
        assert isinstance(app.screen, PasswordDialog)
        await answer_password(app, pilot, PASSPHRASE)
        await settle(app, pilot)
        preview = app.screen
        assert isinstance(preview, RestorePreviewDialog)
        table = preview.query_one(DataTable)
        rows = {str(table.get_row_at(i)[1]): str(table.get_row_at(i)[0])
                for i in range(table.row_count)}
        assert rows == {"config/app.toml": "added", ".env": "changed",
                        "config/extra.conf": "removed"}
        summary = str(preview.query_one("#backup-preview-summary", Static).content)
        assert str(sample_project) in summary and backup.name in summary
        safety = str(preview.query_one("#backup-preview-safety", Static).content)
        assert "prime-pre-restore-" in safety and str(tmp_path / "backups") in safety
        assert tree_digest(sample_project) != original  # the preview wrote nothing
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen) and app.screen.plan.action == "backup.restore"
        await run_open_plan(app, pilot)
        names = table_names(tab)
        assert any(n.startswith("prime-pre-restore-") for n in names) and backup.name in names
    assert tree_digest(sample_project) == original
    assert PASSPHRASE not in (tmp_path / "state" / "audit.jsonl").read_text()


async def test_a_matching_backup_is_one_sentence_and_declining_the_preview_changes_nothing(
        aws_settings, tmp_path, sample_project, gpg_home):
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home)
    backup = make_backup(app)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await pilot.press("R")
        await pilot.pause()
        await answer_password(app, pilot, PASSPHRASE)
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert notifications(app) == [f"Nothing to restore: {sample_project} already matches "
                                      f"{backup.name}."]
        (sample_project / ".env").write_text("CHANGED=1\n")
        before = (tree_digest(sample_project), tree_digest(tmp_path / "backups"))
        await pilot.press("R")
        await pilot.pause()
        await answer_password(app, pilot, PASSPHRASE)
        await settle(app, pilot)
        assert isinstance(app.screen, RestorePreviewDialog)
        await pilot.press("enter")  # "Cancel" has the focus: a stray enter restores nothing
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
    assert (tree_digest(sample_project), tree_digest(tmp_path / "backups")) == before


# -- prune -----------------------------------------------------------------------------------

async def test_prune_keeps_exactly_the_newest_n_and_names_each_deleted_file(
        aws_settings, tmp_path, sample_project, gpg_home):
    fake_backups(tmp_path / "backups", [2, 6, 4, 1, 5])
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home, keep=2)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_tab(app, pilot)
        await pilot.press("p")
        await pilot.pause()
        plan = app.screen.plan
        doomed = sorted(f"prime-backup-2026-01-0{d}.tar.gz.gpg" for d in (1, 2, 4))
        assert plan.action == "backup.prune"
        assert sorted(s.title.removeprefix("Delete ") for s in plan.steps) == doomed
        await run_open_plan(app, pilot)
        kept = ["prime-backup-2026-01-06.tar.gz.gpg", "prime-backup-2026-01-05.tar.gz.gpg"]
        assert sorted(os.listdir(tmp_path / "backups")) == sorted(kept)
        assert table_names(tab) == kept
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert notifications(app)[-1] == ("Nothing to prune: there are no more than 2 backups "
                                          "of each kind.")


# -- read-only -------------------------------------------------------------------------------

async def test_read_only_hides_create_restore_and_prune_but_verifies(
        aws_settings, tmp_path, sample_project, gpg_home):
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home, read_only=True)
    make_backup(app)
    before = tree_digest(tmp_path / "backups")
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        live = set(app.active_bindings)
        assert {"v", "h", "slash"} <= live and not {"c", "R", "p"} & live
        for key in ("c", "R", "p"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert notifications(app) == [
            "Read-only mode is on, so backups cannot be created, restored or pruned."]
        await pilot.press("v")
        await pilot.pause()
        await answer_password(app, pilot, PASSPHRASE)
        await settle(app, pilot)
        assert isinstance(app.screen, VerifyReportScreen)
    assert tree_digest(tmp_path / "backups") == before


# -- secret hygiene --------------------------------------------------------------------------

async def test_hygiene_shows_a_tracked_unignored_env_and_the_fix_plan_fixes_it(
        aws_settings, tmp_path, sample_project, gpg_home):
    (sample_project / ".gitignore").write_text("__pycache__/\n")
    git(sample_project, "add", ".env", ".gitignore")
    git(sample_project, "commit", "-q", "-m", "oops")
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_tab(app, pilot)
        text = status_text(tab)
        assert ".env 0644 TRACKED by git" in text
        assert ".env.production 0600 NOT ignored by git" in text
        await pilot.press("h")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, HygieneScreen)
        files = screen.query_one(DataTable)
        assert files.get_row_at(0) == [".env", "0644 (should be 0600)", "no", "yes"]
        report = str(screen.query_one("#backup-hygiene-report", Static).content)
        assert ".env has mode 0644" in report and "chmod 600" in report
        assert "f" in app.active_bindings
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, PlanScreen) and app.screen.plan.action == "backup.hygiene"
        await run_open_plan(app, pilot)
        assert "0600 ignored by git" in status_text(tab)
    assert stat.S_IMODE((sample_project / ".env").stat().st_mode) == 0o600
    assert ".env" in (sample_project / ".gitignore").read_text().splitlines()
    assert ".env" not in git(sample_project, "ls-files").splitlines()


async def test_read_only_hygiene_report_offers_no_fix(
        aws_settings, tmp_path, sample_project, gpg_home):
    app = backups_app(aws_settings, tmp_path, sample_project, gpg_home, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_tab(app, pilot)
        await pilot.press("h")
        await settle(app, pilot)
        assert isinstance(app.screen, HygieneScreen)
        assert "f" not in app.active_bindings
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, HygieneScreen)
    assert stat.S_IMODE((sample_project / ".env").stat().st_mode) == 0o644




async def test_snapshot_world_shows_fixed_rows_and_ages(aws_settings, tmp_path,
                                                        utc):
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    install_snapshot_backups(app.services, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        tab = await open_tab(app, pilot)
        assert [tab.table.get_row_at(i)[3] for i in range(4)] == ["2 d", "3 d", "9 d", "16 d"]
        assert tab.table.get_row_at(0)[5] == "2026-01-07 12:00"
        assert status_text(tab) == (
            "The newest backup, prime-backup-2026-01-07.tar.gz.gpg, is 2 days old.\n"
            "Secret hygiene (1 problem, press h): .env 0644; not a git repository.")
