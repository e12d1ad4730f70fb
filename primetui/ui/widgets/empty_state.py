"""`EmptyState`: what a tab will show and which keys act there, before it has anything to show."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widget import Widget


class EmptyState(Widget):
    """A title, a sentence or two, and a small table of keys (key, what it does).

    One widget that renders its own lines (the Overview's is on the budgeted first frame);
    its colours are component classes styled in app.tcss. All text is plain, never markup.
    """

    DEFAULT_CSS = """
    EmptyState {
        height: auto;
        width: 1fr;
        max-width: 96;
        padding: 1 2;
    }
    """
    COMPONENT_CLASSES = {"empty-state--title", "empty-state--key", "empty-state--what"}

    def __init__(self, title: str, text: str, keys: Sequence[tuple[str, str]] = (),
                 *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.heading = title
        self.text = text
        self.keys = list(keys)

    def render(self) -> Content:
        """Title, blank line, text, blank line, one line per key."""
        title = self.get_visual_style("empty-state--title")
        key_style = self.get_visual_style("empty-state--key")
        what_style = self.get_visual_style("empty-state--what")
        lines = [Content.styled(self.heading, title), Content(""), Content(self.text)]
        if self.keys:
            width = max(len(key) for key, _ in self.keys)
            lines.append(Content(""))
            lines += [Content.assemble((f"  {key.ljust(width)}  ", key_style), (what, what_style))
                      for key, what in self.keys]
        return Content("\n").join(lines)
