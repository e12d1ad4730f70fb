"""The Maintenance tab's dialogs: the page form with the checklist, the page preview, the teardown.

`MaintenanceFormDialog` asks what the page says (message, expected return, contact) and for
the checklist (calendar checked, users told); it dismisses with a `MaintenanceForm`, or
None when cancelled. `PagePreviewScreen` (a details screen) shows the page's text as a
visitor would read it.
`TeardownDialog` asks what happens to the maintenance host after traffic is back on prod.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from primetui.maintenance.page import PageOptions, page_text, parse_return_time, render_index
from primetui.ui.screens.details import DetailsScreen

DIALOG_CSS = """
    {name} {{
        align: center middle;
    }}
    {name} > Vertical, {name} > VerticalScroll {{
        width: 84;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }}
    {name} .dialog-title {{
        text-style: bold;
        margin-bottom: 1;
    }}
    {name} .dialog-error {{
        color: $error;
    }}
    {name} .dialog-buttons {{
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }}
    {name} Button {{
        margin-left: 2;
    }}
"""


@dataclass(frozen=True)
class MaintenanceForm:
    """What the form collected: the page's words and whether the checklist is confirmed."""

    page: PageOptions
    checklist_confirmed: bool


class PagePreviewScreen(DetailsScreen[None]):
    """The page's text as a visitor reads it, and where the file is."""

    DEFAULT_CSS = """
    PagePreviewScreen > #page-preview-box {
        width: 84;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        padding: 1 2;
    }
    PagePreviewScreen .dialog-title {
        text-style: bold;
        margin-bottom: 1;
    }
    PagePreviewScreen VerticalScroll {
        height: auto;
        max-height: 20;
        border: round $primary-darken-2;
        padding: 0 1;
    }
    PagePreviewScreen .dialog-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    """
    BINDINGS = [Binding("enter", "close", "Close", show=False, id="details.close")]
    BOX_ID = "page-preview-box"

    def __init__(self, text: str, where: str) -> None:
        super().__init__()
        self.text = text
        self.where = where

    def compose_details(self) -> ComposeResult:
        """The title, the page's text (scrolling), where it is, and a Close button."""
        yield Static("Maintenance page preview", classes="dialog-title")
        with VerticalScroll():
            yield Static(self.text, id="page-preview-text", markup=False)
        yield Static(self.where, id="page-preview-where", markup=False)
        with Horizontal(classes="dialog-buttons"):
            yield Button("Close", id="preview-close")

    @on(Button.Pressed, "#preview-close")
    def _close_pressed(self) -> None:
        self.action_close()


class ChecklistBox(Checkbox):
    """A checklist item: space ticks it; enter submits the form, as in every other field."""

    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False,
    id="maintenance_form.toggle"),
                Binding("enter", "screen.submit_form", "Submit", show=False,
                        id="maintenance_form.submit")]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many lines as the wrapped sentence needs (Checkbox alone is one line)."""
        return max(1, len(self.render().wrap(max(1, width))))


class MaintenanceFormDialog(ModalScreen[MaintenanceForm | None]):
    """The page's message, return time and contact, and the checklist, before `on`."""

    DEFAULT_CSS = DIALOG_CSS.format(name="MaintenanceFormDialog") + """
    MaintenanceFormDialog Input {
        margin-bottom: 1;
    }
    MaintenanceFormDialog Checkbox {
        width: 100%;
        height: auto;
        text-wrap: wrap;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, page: PageOptions, domain: str, checklist: tuple[str, ...]) -> None:
        super().__init__()
        self.page = page
        self.domain = domain
        self.checklist = checklist

    def compose(self) -> ComposeResult:
        back = self.page.return_at.astimezone().strftime("%Y-%m-%d %H:%M") \
            if self.page.return_at else ""
        with VerticalScroll():
            yield Static(f"Maintenance on for {self.domain}", classes="dialog-title",
                         markup=False)
            yield Label("What the page says")
            yield Input(self.page.message, id="form-message")
            yield Label("Expected back (2h, 18:30, 2025-06-01 18:00; empty: soon)")
            yield Input(back, id="form-back")
            yield Label("Contact (an e-mail address or a sentence)")
            yield Input(self.page.contact, id="form-contact")
            for i, item in enumerate(self.checklist):
                yield ChecklistBox(item, id=f"form-check-{i}")
            yield Static("", id="form-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Preview", id="form-preview")
                yield Button("Cancel", id="form-cancel")
                yield Button("Show the plan", id="form-go", variant="primary")

    def on_mount(self) -> None:
        """The keyboard starts in the page's message (not on the scrolling frame around it),
        with the form shown from its title."""
        self.set_focus(self.query_one("#form-message", Input), scroll_visible=False)

    def _collect(self) -> PageOptions | None:
        error = self.query_one("#form-error", Static)
        try:
            back = parse_return_time(self.query_one("#form-back", Input).value,
                                     datetime.now().astimezone())
        except ValueError as err:
            error.update(str(err))
            return None
        error.update("")
        return replace(self.page, message=self.query_one("#form-message", Input).value,
                       contact=self.query_one("#form-contact", Input).value, return_at=back)

    @on(Button.Pressed, "#form-preview")
    def _preview(self) -> None:
        page = self._collect()
        if page is not None:
            text = page_text(render_index(page, self.domain))
            self.app.push_screen(PagePreviewScreen(text, "Not written yet: the wizard writes "
                                                         "it in its second step."))

    @on(Button.Pressed, "#form-go")
    @on(Input.Submitted)
    def action_submit_form(self) -> None:
        """Show the plan, once the form reads well and the checklist is ticked."""
        page = self._collect()
        if page is None:
            return
        if not all(box.value for box in self.query(Checkbox)):
            self.query_one("#form-error", Static).update(
                "Tick the checklist first: check the lab calendar and tell the users.")
            return
        self.dismiss(MaintenanceForm(page, checklist_confirmed=True))

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        """Close without doing anything."""
        self.dismiss(None)


class TeardownDialog(ModalScreen[str | None]):
    """After traffic is back on prod: keep, stop or terminate the maintenance host."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TeardownDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
                Binding("k", "choose('keep')", "Keep", id="teardown.keep"),
                Binding("s", "choose('stop')", "Stop", id="teardown.stop"),
                Binding("t", "choose('terminate')", "Terminate", id="teardown.terminate")]

    def __init__(self, domain: str) -> None:
        super().__init__()
        self.domain = domain

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Move {self.domain} back to prod", classes="dialog-title",
                         markup=False)
            yield Static("Then, the maintenance host: keep it running for next time, stop it "
                         "(no compute cost, its disk stays), or terminate it and remove its "
                         "security group and key pair.", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep it", id="teardown-keep")
                yield Button("Stop it", id="teardown-stop")
                yield Button("Terminate it", id="teardown-terminate", variant="error")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id).removeprefix("teardown-"))

    def action_choose(self, teardown: str) -> None:
        """A key chose the teardown."""
        self.dismiss(teardown)

    def action_cancel(self) -> None:
        """Close without doing anything."""
        self.dismiss(None)
