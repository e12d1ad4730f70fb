"""Dialogs: password, confirm, host key, type-the-name, and the UiPrompter that pushes them."""

from __future__ import annotations

import threading
from typing import Any

from textual import work
from textual.app import App
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from primetui.errors import HostKeyUnknownError
from primetui.ui.dialogs.confirm import ConfirmDialog
from primetui.ui.dialogs.host_key import HostKeyDialog
from primetui.ui.dialogs.password import PasswordDialog
from primetui.ui.dialogs.type_name import TypeNameDialog
from primetui.ui.prompter import UiPrompter
from tests.fixtures.dialogs import DialogHost

SIZE = (120, 36)
FINGERPRINT = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"


def host_key_error() -> HostKeyUnknownError:
    return HostKeyUnknownError("127.0.0.1:2222 is not in known_hosts.", host="127.0.0.1",
                               port=2222, key_type="ssh-ed25519", fingerprint=FINGERPRINT,
                               key_base64="AAAAC3NzaC1lZDI1NTE5AAAAIA==")


def text_of(screen: ModalScreen[Any]) -> str:
    return "\n".join(str(s.content) for s in screen.query(Static) if isinstance(s.content, str))


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def test_password_dialog_returns_the_typed_value_and_clears_its_input():
    dialog = PasswordDialog("Passphrase for the backup")
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        field = dialog.query_one("#password-input", Input)
        assert field.password
        await type_text(pilot, "c0rrect")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == ["c0rrect"]
        assert field.value == ""


async def test_password_confirmation_mismatch_is_refused_in_place():
    dialog = PasswordDialog("New passphrase", confirm=True, strength_hint=True)
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "horse")
        await pilot.press("enter")
        await type_text(pilot, "horsey")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        assert app.screen is dialog
        assert "differ" in str(dialog.query_one("#password-error", Static).content)
        assert dialog.query_one("#password-again", Input).value == ""
        assert dialog.query_one("#password-input", Input).value == ""  # both, to type again
        await type_text(pilot, "horse")
        await pilot.press("enter")
        await type_text(pilot, "horse")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == ["horse"]


async def test_password_with_a_newline_is_refused():
    dialog = PasswordDialog("sudo password for prod")
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog.query_one("#password-input", Input).value = "first\nsecond"
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        assert "line break" in str(dialog.query_one("#password-error", Static).content)
        assert dialog.query_one("#password-input", Input).value == ""


async def test_password_escape_returns_none():
    app = DialogHost(PasswordDialog("Passphrase"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "half")
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_host_key_dialog_shows_the_fingerprint_and_escape_refuses():
    dialog = HostKeyDialog(host_key_error())
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = text_of(dialog)
        assert "127.0.0.1:2222" in shown and "ssh-ed25519" in shown and FINGERPRINT in shown
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [False]


async def test_host_key_dialog_enter_alone_refuses_and_accept_needs_its_button():
    for keys, expected in ((["enter"], False), (["shift+tab", "enter"], True)):
        app = DialogHost(HostKeyDialog(host_key_error()))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press(*keys)
            await pilot.pause()
            assert app.results == [expected]


async def test_confirm_dialog_answers_yes_and_no():
    for key, expected in (("y", True), ("n", False), ("escape", False), ("enter", False)):
        app = DialogHost(ConfirmDialog("Undo the completed steps?", "$ rm -f notice.txt"))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            assert app.results == [expected], key


async def test_type_name_dialog_needs_the_exact_name():
    dialog = TypeNameDialog("prod", "Stop prod")
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "Prod")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        assert "exactly" in str(dialog.query_one("#type-name-error", Static).content)
        await type_text(pilot, "prod")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [True]


async def test_type_name_dialog_for_several_targets_says_they_are_protected():
    dialog = TypeNameDialog("prime-prod, prime-db", "Stop 2 instances")
    app = DialogHost(dialog)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        question = str(dialog.query_one("#type-name-question", Static).content)
        assert question == "prime-prod, prime-db are protected."
        await type_text(pilot, "prime-prod, prime-db")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [True]


class PrompterHost(App[None]):
    """An app whose thread worker asks through a UiPrompter, as a runner would."""

    def __init__(self) -> None:
        super().__init__()
        self.prompter = UiPrompter(self)
        self.answers: list[Any] = []
        self.answered = threading.Event()

    @work(thread=True, group="ask")
    def ask_password(self) -> None:
        self.answers.append(self.prompter.sudo_password("127.0.0.1:2222"))
        self.answered.set()

    @work(thread=True, group="ask")
    def ask_host_key(self) -> None:
        self.answers.append(self.prompter.confirm_host_key(host_key_error()))


async def wait_for_screen(app: App, pilot, kind: type) -> None:
    """Wait, frame by frame, until the worker's dialog is on top (it is pushed from a thread)."""
    for _ in range(200):
        if isinstance(app.screen, kind):
            return
        await pilot.pause(0.01)
    raise AssertionError(f"{kind.__name__} never appeared")


async def test_ui_prompter_from_a_worker_thread_returns_the_typed_password():
    app = PrompterHost()
    async with app.run_test(size=SIZE) as pilot:
        worker = app.ask_password()
        await wait_for_screen(app, pilot, PasswordDialog)
        assert "127.0.0.1:2222" in text_of(app.screen)
        assert worker.is_running
        await type_text(pilot, "s3cret")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert app.answers == ["s3cret"]


async def test_ui_prompter_host_key_refused_with_escape():
    app = PrompterHost()
    async with app.run_test(size=SIZE) as pilot:
        app.ask_host_key()
        await wait_for_screen(app, pilot, HostKeyDialog)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        assert app.answers == [False]


async def test_ui_prompter_gives_up_when_the_app_closes():
    app = PrompterHost()
    async with app.run_test(size=SIZE) as pilot:
        app.ask_password()
        await wait_for_screen(app, pilot, PasswordDialog)
    assert app.answered.wait(timeout=5), "the worker was left blocked after the app closed"
    assert app.answers == [None]


def test_ui_prompter_answers_no_at_once_when_the_app_is_not_running():
    app = PrompterHost()
    assert app.prompter.sudo_password("prod") is None
    assert app.prompter.confirm_host_key(host_key_error()) is False
