"""`HelpScreen` (`?`): the keys that matter here first — the tab's own actions, then the keys
that work everywhere, then the keys every table shares — each with its binding id, the name
`[keymap]` moves it by. Keys moved by the keymap are shown where they are now.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from primetui.ui.keys import KeyRow
from primetui.ui.screens.details import DetailsScreen

Section = tuple[str, list[KeyRow]]


def key_table(rows: list[KeyRow]) -> Table:
    """A section's keys: key, what it does, its id (plain text, never markup)."""
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    table.add_column("key", no_wrap=True, style="bold")
    table.add_column("what", ratio=1)
    table.add_column("id", no_wrap=True, style="dim")
    for row in rows:
        table.add_row(Text(row.keys), Text(row.what), Text(row.id))
    return table


def help_sections(tab_title: str, tab_rows: list[KeyRow], global_rows: list[KeyRow],
                  table_rows: list[KeyRow], *, kind: str = "tab") -> list[Section]:
    """The sections in the order a person needs them: this tab, everywhere, tables."""
    sections: list[Section] = []
    global_rows = _tabs_in_one_row(global_rows)
    if tab_rows:
        sections.append((f"{tab_title}: what this {kind} does", tab_rows))
    sections.append(("Everywhere", global_rows))
    if table_rows:
        sections.append(("In the table", table_rows))
    return sections


def _tabs_in_one_row(rows: list[KeyRow]) -> list[KeyRow]:
    """The number keys of the tabs as one row: `1 2 3 …  Show a tab: Overview, …  tabs.<tab>`."""
    tabs = [r for r in rows if r.id.startswith("tabs.")]
    if len(tabs) < 2:
        return rows
    one = KeyRow(keys=" ".join(r.keys for r in tabs), id="tabs.<tab id>",
                 what="Show a tab: " + ", ".join(r.what for r in tabs))
    first = rows.index(tabs[0])
    rest = [r for r in rows if r not in tabs]
    return [*rest[:first], one, *rest[first:]]


class HelpScreen(DetailsScreen[None]):
    """Every key of the current tab and screen, most useful first; escape closes it."""

    DEFAULT_CSS = """
    HelpScreen > #help-box {
        width: 100;
        max-width: 95%;
    }
    HelpScreen .help--heading {
        margin-top: 1;
        text-style: bold;
        color: $primary;
    }
    """
    BINDINGS = [Binding("question_mark", "close", "Close", show=False, id="help.close")]
    BOX_ID = "help-box"

    def __init__(self, sections: list[Section], keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.sections = sections
        self.keymap = dict(keymap or {})

    def box_title(self) -> str:
        """The box's title."""
        return "Keys"

    def compose_details(self) -> ComposeResult:
        """Each section's heading and table, then how to move a key."""
        with VerticalScroll(id="help-scroll"):
            for i, (title, rows) in enumerate(self.sections):
                yield Static(title, classes="help--heading", id=f"help-heading-{i}",
                             markup=False)
                yield Static(key_table(rows), id=f"help-section-{i}")
            moved = ", ".join(f"{k} = {v}" for k, v in sorted(self.keymap.items()))
            yield Static(
                "Move any key from the config: [keymap] \"certificates.renew\" = \"N\" "
                "(the id is in the right-hand column). "
                + (f"Moved here: {moved}." if moved else ""),
                classes="help--heading", id="help-keymap", markup=False)
