"""Typing ahead in the passphrase dialog: fast keys after enter or tab go to the next field."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from primetui.ui.dialogs.password import PasswordDialog
from tests.fixtures.dialogs import DialogHost
from tests.fixtures.shell import SIZE


def burst(app, text: str) -> None:
    """Queue keys as a fast typist or a paste over SSH does: no pause between them."""
    names = {"\r": "enter", "\t": "tab"}
    for ch in text:
        key = names.get(ch, ch)
        app.post_message(events.Key(key, None if ch in names else ch))


async def test_keys_typed_right_after_enter_land_in_the_second_field():
    dialog = PasswordDialog("New passphrase", confirm=True)
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "horse battery\rhorse battery\r")
        for _ in range(5):
            await pilot.pause()
        assert app.results == ["horse battery"]


async def test_keys_typed_right_after_tab_land_in_the_second_field():
    dialog = PasswordDialog("New passphrase", confirm=True)
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "staple\tstaple\r")
        for _ in range(5):
            await pilot.pause()
        assert app.results == ["staple"]


async def test_a_mismatch_clears_both_fields_and_focuses_the_first():
    dialog = PasswordDialog("New passphrase", confirm=True)
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "horse\rhorsey\r")
        for _ in range(5):
            await pilot.pause()
        first = dialog.query_one("#password-input", Input)
        second = dialog.query_one("#password-again", Input)
        assert app.results == []
        assert (first.value, second.value) == ("", "")
        assert dialog.focused is first
