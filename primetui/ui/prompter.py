"""`UiPrompter`: the runner's questions (host keys, sudo passwords, key passphrases) asked
with dialogs.

A runner asks from a worker thread while a plan runs. The dialog must be pushed on the
app's own thread, and the worker must wait for the answer without freezing the screen.
The push is posted with `App.call_later` (a thread-safe message, so it never blocks on an
event loop that may be shutting down) and the worker waits on a `threading.Event`,
looking up now and then whether the app is closing or the worker was cancelled.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any, TypeVar

from textual.screen import ModalScreen
from textual.worker import NoActiveWorker, Worker, get_current_worker

from primetui.ui.dialogs.host_key import HostKeyDialog
from primetui.ui.dialogs.password import PasswordDialog

if TYPE_CHECKING:
    from textual.app import App

    from primetui.errors import HostKeyUnknownError

T = TypeVar("T")


class UiPrompter:
    """Implements the runner `Prompter` by pushing dialogs and blocking the calling thread."""

    def __init__(self, app: App[Any], *, poll_interval: float = 0.1) -> None:
        self.app = app
        self.poll_interval = poll_interval

    def confirm_host_key(self, err: HostKeyUnknownError) -> bool:
        """Ask whether to trust an unknown host key; False when refused or the app is closing."""
        return bool(self._ask(HostKeyDialog(err), False))

    def sudo_password(self, host: str) -> str | None:
        """Ask for the sudo password of `host`; None when cancelled or the app is closing."""
        return self._ask(PasswordDialog(f"sudo password for {host}"), None)

    def key_passphrase(self, key: object) -> str | None:
        """Ask for the passphrase of an SSH key file; None when cancelled or closing."""
        return self._ask(PasswordDialog(f"passphrase for the SSH key {key}"), None)

    def _ask(self, dialog: ModalScreen[T], default: T) -> T:
        """Push `dialog` on the app's thread and wait here for its result."""
        app = self.app
        if _on_event_loop():
            return default  # the app's own thread cannot wait for a dialog it has to draw
        if self._closing(None):
            return default
        answered = threading.Event()
        answer: list[T] = [default]

        def on_dismiss(value: T | None) -> None:
            if value is not None:
                answer[0] = value
            answered.set()

        def push() -> None:
            app.push_screen(dialog, on_dismiss)

        if not app.call_later(push):
            return default
        worker = _current_worker()
        while not answered.wait(self.poll_interval):
            if self._closing(worker):
                return default
        return answer[0]

    def _closing(self, worker: Worker[Any] | None) -> bool:
        """Whether the answer can no longer come: the app is exiting or the worker cancelled."""
        app = self.app
        if not app.is_running or app.return_code is not None:  # stopped, or exit() was called
            return True
        return worker is not None and worker.is_cancelled


def _on_event_loop() -> bool:
    """Whether this thread runs an event loop (the app's does; a runner's worker thread not)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _current_worker() -> Worker[Any] | None:
    try:
        return get_current_worker()
    except NoActiveWorker:
        return None
