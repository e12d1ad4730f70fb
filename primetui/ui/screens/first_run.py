"""`FirstRunScreen`: what primetui is, that no config exists yet, and the three ways on."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

INTRO = ("primetui turns the lab's maintenance runbook into keyboard-driven actions: "
         "EC2 and RDS instances, their schedules, TLS certificates, encrypted backups of "
         ".env and config/, the maintenance page, and an audit log of everything done. "
         "Every change is shown with its commands first, confirmed, run with live output "
         "and written to the audit log.")
CHOICES = ("Write a starter config to fill in with your account, servers and domains, or "
           "open the demo: a practice lab on this machine (fake AWS, local servers) where "
           "nothing you do can touch anything real.")


class FirstRunScreen(Screen[None]):
    """Shown when there is no config file and no demo: explain, then write one or open the demo."""

    BINDINGS = [
        Binding("w", "app.write_starter", "Write a starter config", id="first_run.write_starter"),
        Binding("d", "app.open_demo", "Open the demo", id="first_run.open_demo"),
        Binding("q", "app.quit", "Quit", id="first_run.quit"),
    ]

    def __init__(self, config_path: Path) -> None:
        super().__init__(id="first-run")
        self.config_path = config_path

    def compose(self) -> ComposeResult:
        """The explanation, where the config was looked for, and three buttons."""
        with Vertical(id="first-run-box"):
            yield Static("Welcome to primetui", id="first-run-title")
            yield Static(Text(INTRO), classes="first-run-text")
            yield Static(Text(f"No configuration file exists at {self.config_path}."),
                         id="first-run-path", classes="first-run-text")
            yield Static(Text(CHOICES), classes="first-run-text")
            with Horizontal(id="first-run-buttons"):
                yield Button("Write a starter config (w)", id="write-starter", variant="primary")
                yield Button("Open the demo (d)", id="open-demo")
                yield Button("Quit (q)", id="quit", variant="default")
        yield Footer()

    @on(Button.Pressed, "#write-starter")
    async def _write(self) -> None:
        await self.app.run_action("write_starter")

    @on(Button.Pressed, "#open-demo")
    async def _demo(self) -> None:
        await self.app.run_action("open_demo")

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit()
