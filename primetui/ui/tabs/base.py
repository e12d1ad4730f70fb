"""`TabBody`: what every tab shares — its services, its keys in the footer, read-only rules.

A tab body is focusable so that, while its tab is shown, its own `BINDINGS` are in the
focus chain and the footer shows them. Keys of features still to come answer with a
notification that says so; the ones that would change something are hidden in read-only mode.
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
            if self.read_only and _is_mutating(binding.action):
                what += " (off: read-only)"
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the keys that would change something while read-only."""
        if self.read_only and _is_mutating(action, parameters):
            return False
        return True

    def action_planned(self, what: str, mutating: bool = False) -> None:
        """A key of a feature still to come: say so rather than do nothing."""
        self.notify(f"{what} is not available yet; it comes in a later version of primetui.",
                    title=self.TITLE)


def _is_mutating(action: str, parameters: tuple[object, ...] | None = None) -> bool:
    """`planned('…', True)` marks a key that will change something."""
    if parameters is None:
        return action.startswith("planned(") and action.replace(" ", "").endswith(",True)")
    return action == "planned" and len(parameters) > 1 and parameters[1] is True


def planned(key: str, description: str, what: str, *, mutating: bool = False,
            key_display: str | None = None) -> Binding:
    """A binding for a feature still to come; `what` is the longer sentence fragment."""
    return Binding(key, f"planned({what!r}, {mutating})", description, tooltip=what,
                   key_display=key_display)
