"""Asks whether to trust a server whose host key is not in known_hosts yet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from primetui.errors import HostKeyUnknownError


def sha256_text(fingerprint: str) -> str:
    """The fingerprint as ssh prints it: `SHA256:…`."""
    return fingerprint if fingerprint.startswith("SHA256:") else f"SHA256:{fingerprint}"


class HostKeyDialog(ModalScreen[bool]):
    """Shows host:port, key type and SHA256 fingerprint; True accepts, refuse is the default."""

    DEFAULT_CSS = """
    HostKeyDialog {
        align: center middle;
    }
    HostKeyDialog > #host-key-box {
        width: 84;
        max-width: 95%;
        height: auto;
        padding: 1 2;
        border: thick $warning;
        background: $surface;
    }
    HostKeyDialog #host-key-title {
        text-style: bold;
    }
    HostKeyDialog #host-key-fingerprint {
        margin: 1 0;
        text-style: bold;
        color: $text-warning;
    }
    HostKeyDialog #host-key-advice {
        color: $text-muted;
    }
    HostKeyDialog #host-key-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    HostKeyDialog Button {
        margin-left: 2;
    }
    """

    BINDINGS = [Binding("escape", "refuse", "Refuse", id="host_key.refuse")]

    def __init__(self, err: HostKeyUnknownError) -> None:
        super().__init__()
        self.host = err.host
        self.port = err.port
        self.key_type = err.key_type
        self.fingerprint = sha256_text(err.fingerprint)

    def compose(self) -> ComposeResult:
        with Vertical(id="host-key-box"):
            yield Static(f"{self.host}:{self.port} is not in known_hosts.", id="host-key-title",
                         markup=False)
            yield Static(f"It offers this {self.key_type} key:", id="host-key-type", markup=False)
            yield Static(self.fingerprint, id="host-key-fingerprint", markup=False)
            yield Static("Compare it with the fingerprint the server's owner gave you "
                         "(ssh-keygen -lf on the server); accept only if they match.",
                         id="host-key-advice", markup=False)
            with Horizontal(id="host-key-buttons"):
                yield Button("Accept and save to known_hosts", id="host-key-accept",
                             variant="warning")
                yield Button("Refuse", id="host-key-refuse", variant="primary")

    def on_mount(self) -> None:
        """Focus "Refuse" so that enter alone never trusts a key."""
        self.query_one("#host-key-refuse", Button).focus()

    @on(Button.Pressed, "#host-key-accept")
    def _accept(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#host-key-refuse")
    def _refuse(self) -> None:
        self.dismiss(False)

    def action_refuse(self) -> None:
        """Dismiss without trusting the key."""
        self.dismiss(False)
