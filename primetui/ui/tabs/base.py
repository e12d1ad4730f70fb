"""`TabBody`: what every tab shares — what it is given, its keys, the read-only rule, its workers.

A tab body is focusable so that, while its tab is shown, its own `BINDINGS` are in the
focus chain and the footer shows them. It is given a `TabWiring` (the settings and its own
service, never the registry), or None until primetui is configured.

The read-only rule lives here once: the actions named in `MUTATING` are hidden from the
footer and the palette in read-only mode, and if one is invoked anyway (enter on a row, the
palette, a test) it is refused with the tab's `READ_ONLY` sentence instead of running.
Thread workers go through `run_in_thread` (see `primetui.ui.work`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical

from primetui.areas import title
from primetui.ui.tabs.wiring import TabWiring
from primetui.ui.widgets.empty_state import EmptyState
from primetui.ui.work import ThreadWork

W = TypeVar("W", bound=TabWiring)


class TabBody(ThreadWork, Vertical, Generic[W], can_focus=True):
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
    MUTATING: ClassVar[frozenset[str]] = frozenset()
    """The actions that change something: hidden, and refused, in read-only mode."""
    READ_ONLY: ClassVar[str] = "Read-only mode is on, so nothing can be changed from here."
    """The refusal when one of `MUTATING` is invoked in read-only mode."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.TAB_ID and "TITLE" not in cls.__dict__:
            cls.TITLE = title(cls.TAB_ID)
        for name in cls.MUTATING:  # also an action a mixin or a parent class defines
            method = getattr(cls, f"action_{name}", None)
            if method is not None and not hasattr(method, "__refuses_read_only__"):
                setattr(cls, f"action_{name}", _refused_when_read_only(method))

    def __init__(self, wiring: W | None) -> None:
        super().__init__(id=f"{self.TAB_ID}-body", classes="tab-body")
        self.wiring: W | None = wiring

    @property
    def read_only(self) -> bool:
        """Whether mutating actions are off (read-only mode)."""
        return self.wiring is not None and self.wiring.read_only

    def refuse_read_only(self) -> bool:
        """In read-only mode, say so (the one refusal) and return True; else False."""
        if self.read_only:
            self.notify(self.READ_ONLY, title=self.TITLE, severity="warning")
            return True
        return False

    def key_lines(self) -> list[tuple[str, str]]:
        """(key, what it does) for this tab's own bindings, as the empty state lists them."""
        lines = []
        for binding in type(self).BINDINGS:
            if not isinstance(binding, Binding) or not binding.show:
                continue
            what = binding.tooltip or binding.description
            if self.read_only and binding.action in self.MUTATING:
                what += " (off: read-only)"
            lines.append((binding.key_display or binding.key, what))
        return lines

    def compose(self) -> ComposeResult:
        """By default, the empty state: what will appear here and which keys will act."""
        yield EmptyState(self.TITLE, self.SUMMARY, self.key_lines())

    def set_wiring(self, wiring: W | None) -> None:
        """New settings and services (the demo finished starting, a config was written)."""
        self.wiring = wiring
        self.refresh(recompose=True)
        self.refresh_bindings()

    def reload(self) -> None:
        """Read this tab's data again (a poll, a plan that closed); tabs with data override it."""

    def reload_asked(self) -> None:
        """`r`: the person asked to read again (a tab may then read more than a poll does)."""
        self.reload()

    def select_subject(self, subject: str) -> None:
        """Put the cursor on what a finding is about (a tab without rows ignores it)."""

    def focus_content(self) -> None:
        """Give this tab the keyboard, so its keys are live and in the footer."""
        self.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the keys that would change something while read-only."""
        if self.read_only and action in self.MUTATING:
            return False
        return True


def _refused_when_read_only(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method` (an action in MUTATING), refused with the tab's sentence while read-only."""
    if inspect.iscoroutinefunction(method):
        @functools.wraps(method)
        async def refusing_async(self: TabBody[Any], *args: Any, **kwargs: Any) -> Any:
            if self.refuse_read_only():
                return None
            return await method(self, *args, **kwargs)

        refusing_async.__refuses_read_only__ = True  # type: ignore[attr-defined]
        return refusing_async

    @functools.wraps(method)
    def refusing(self: TabBody[Any], *args: Any, **kwargs: Any) -> Any:
        if self.refuse_read_only():
            return None
        return method(self, *args, **kwargs)

    refusing.__refuses_read_only__ = True  # type: ignore[attr-defined]
    return refusing
