"""`TabBody`: what every tab shares — its services, its keys in the footer, read-only rules.

A tab body is focusable so that, while its tab is shown, its own `BINDINGS` are in the
focus chain and the footer shows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical

from primetui.areas import title
from primetui.ui.widgets.empty_state import EmptyState

if TYPE_CHECKING:
    from primetui.registry import Services


class TabBody(Vertical, can_focus=True):
    """The content of one tab; subclasses set the class variables and their BINDINGS."""

    DEFAULT_CSS = """
    TabBody {
        height: 1fr;
    }
    """

    TAB_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    """Set from the table of areas (`primetui.areas`) by the tab's `TAB_ID`."""
    SUMMARY: ClassVar[str] = ""
    """What this tab will show, in the lab's words."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]
        if cls.TAB_ID and "TITLE" not in cls.__dict__:
            cls.TITLE = title(cls.TAB_ID)

    def __init__(self, services: Services | None) -> None:
        super().__init__(id=f"{self.TAB_ID}-body", classes="tab-body")
        self.services = services

    @property
    def read_only(self) -> bool:
        """Whether mutating actions are off (read-only mode)."""
        return bool(self.services and self.services.settings.ui.read_only)

    def key_lines(self) -> list[tuple[str, str]]:
        """(key, what it does) for this tab's own bindings, as the empty state lists them."""
        lines = []
        for binding in type(self).BINDINGS:
            if not isinstance(binding, Binding) or not binding.show:
                continue
            what = binding.tooltip or binding.description
            lines.append((binding.key_display or binding.key, what))
        return lines

    def compose(self) -> ComposeResult:
        """By default, the empty state: what will appear here and which keys will act."""
        yield EmptyState(self.TITLE, self.SUMMARY, self.key_lines())

    def set_services(self, services: Services | None) -> None:
        """New settings and services (the demo finished starting, a config was written)."""
        self.services = services
        self.refresh(recompose=True)
        self.refresh_bindings()

    def reload(self) -> None:
        """Read this tab's data again (`r`); tabs with data override it."""

    def select_subject(self, subject: str) -> None:
        """Put the cursor on what a finding is about (a tab without rows ignores it)."""

    def focus_content(self) -> None:
        """Give this tab the keyboard, so its keys are live and in the footer."""
        self.focus()
