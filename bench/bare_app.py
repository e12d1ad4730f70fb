"""The peer for the start-up benchmark: a bare Textual app with a header, a label and a footer."""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Label


class BareApp(App):
    """As little as a Textual app can be while still drawing a real screen."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("bare textual app")
        yield Footer()


if __name__ == "__main__":
    BareApp().run()
