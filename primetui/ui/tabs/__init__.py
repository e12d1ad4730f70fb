"""The shell's tabs, one small module each, imported only when a tab is first shown.

`TABS` is the order of the tabs and of their number keys 1–7, from the table of areas
(`primetui.areas`); each tab's body class is `<Title>Tab` in `primetui/ui/tabs/<id>/tab.py`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from primetui.areas import AREAS

if TYPE_CHECKING:
    from primetui.ui.tabs.base import TabBody


@dataclass(frozen=True)
class TabSpec:
    """One tab: its id (also its module's name), its title and its number key."""

    id: str
    title: str
    key: str
    class_name: str
    short: str = ""

    @property
    def label(self) -> str:
        """The tab's label: the number key, dimmed, then the title."""
        return f"[dim]{self.key}[/] {self.title}"

    @property
    def short_label(self) -> str:
        """The label in a narrow terminal: the short title where there is one."""
        return f"[dim]{self.key}[/] {self.short or self.title}"

    def load(self) -> type[TabBody]:
        """Import the tab's module (first use only) and return its body class."""
        module = importlib.import_module(f"primetui.ui.tabs.{self.id}.tab")
        return getattr(module, self.class_name)


TABS: tuple[TabSpec, ...] = tuple(
    TabSpec(area.id, area.title, area.key, f"{area.title}Tab", area.short) for area in AREAS)
"""Every tab, in order."""
