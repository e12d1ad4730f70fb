"""The extra confirmation for a protected target (prod): type its name exactly."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from primetui.plans.plan import names_several


class TypeNameDialog(ModalScreen[bool]):
    """Dismisses True only when the exact name is typed; escape dismisses False."""

    DEFAULT_CSS = """
    TypeNameDialog {
        align: center middle;
    }
    TypeNameDialog > #type-name-box {
        width: 72;
        max-width: 90%;
        height: auto;
        padding: 1 2;
        border: thick $error;
        background: $surface;
    }
    TypeNameDialog #type-name-question {
        text-style: bold;
    }
    TypeNameDialog #type-name-input {
        margin-top: 1;
    }
    TypeNameDialog #type-name-error {
        color: $error;
        height: auto;
    }
    TypeNameDialog #type-name-keys {
        color: $text-muted;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, name: str, action: str) -> None:
        super().__init__()
        self.target_name = name
        self.action_text = action

    def compose(self) -> ComposeResult:
        with Vertical(id="type-name-box"):
            verb = "are" if names_several(self.target_name) else "is"
            yield Static(f"{self.target_name} {verb} protected.",
                         id="type-name-question", markup=False)
            yield Static(f"Type {self.target_name} to confirm: {self.action_text}",
                         id="type-name-prompt", markup=False)
            yield Input(placeholder=self.target_name, id="type-name-input")
            yield Static("", id="type-name-error", markup=False)
            yield Static("enter confirm · escape cancel", id="type-name-keys", markup=False)

    @on(Input.Submitted, "#type-name-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value == self.target_name:
            self.dismiss(True)
            return
        self.query_one("#type-name-error", Static).update(
            f"That is not {self.target_name}; type the name exactly, or press escape."
        )
        event.input.value = ""

    def action_cancel(self) -> None:
        """Dismiss without confirming."""
        self.dismiss(False)
