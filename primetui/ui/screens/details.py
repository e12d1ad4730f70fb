"""`DetailsScreen`: the one frame of every details modal (an instance, a schedule, a
certificate, an audit entry, a verified backup, the secret-hygiene report, the maintenance
page): a bordered box over the tab, the keys in the footer, escape or q closes, ctrl+c quits.

A subclass gives the box's id (`BOX_ID`, kebab-case, also the prefix of its own widgets'
ids), its title (`box_title`) and its content (`compose_details`); long content goes in a
`VerticalScroll` (or a table), which takes the keyboard, so the arrows and page keys scroll.
Slow reads go through `run_in_thread` (see `primetui.ui.work`).
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer

from primetui.ui.work import ThreadWork

R = TypeVar("R")


class DetailsScreen(ThreadWork, ModalScreen[R]):
    """A details modal: `compose_details()` inside a bordered box, the footer below."""

    DEFAULT_CSS = """
    DetailsScreen {
        align: center middle;
    }
    DetailsScreen > .details-box {
        width: 90%;
        height: 85%;
        padding: 0 1;
        border: thick $primary;
        background: $surface;
    }
    DetailsScreen .details-status {
        color: $text-muted;
        height: auto;
    }
    DetailsScreen .details-title {
        text-style: bold;
        color: $primary;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="details.close"),
        Binding("q", "close", "Close", show=False, id="details.close"),
        Binding("ctrl+c", "app.interrupt", "Quit", show=False, id="details.quit"),
    ]
    BOX_ID: ClassVar[str] = "details-box"
    """The box's id; its widgets' ids start with the same words."""
    CLOSED: ClassVar[object] = None
    """What the screen dismisses with when closed (escape, q)."""

    def box_title(self) -> str:
        """The title on the box's border ("" for none)."""
        return ""

    def compose_details(self) -> ComposeResult:
        """The content of the box; subclasses yield their widgets."""
        yield from ()

    def compose(self) -> ComposeResult:
        """The box with the content, then the footer."""
        with Vertical(id=self.BOX_ID, classes="details-box") as box:
            box.border_title = self.box_title() or None
            yield from self.compose_details()
        yield Footer()

    def action_close(self) -> None:
        """Back to the tab."""
        self.dismiss(self.CLOSED)  # type: ignore[arg-type]
