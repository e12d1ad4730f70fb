"""Every key of the app, by binding id: the `[keymap]` check, the help screen and the README.

Every `Binding` primetui declares has an `id` (`app.refresh`, `certificates.renew`,
`table.filter`, `plan.run`), so a person can move any key from the config:

    [keymap]
    "certificates.renew" = "N"
    "app.ssh_shell" = "ctrl+s,S"

(or `[keymap.certificates]` with `renew = "N"`). Textual applies the map itself
(`App.set_keymap`); this module says which ids exist, which keys are well formed, and lays the
keys out for the help screen (`?`) and for the README's tables, which a test compares with
what this module writes from the same bindings.

The owners of bindings are found by importing `primetui.ui` and reading each class's own
`BINDINGS`; nothing here runs at start-up.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding
from textual.keys import (
    KEY_NAME_REPLACEMENTS,
    REPLACED_KEYS,
    Keys,
    format_key,
    key_to_character,
)

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
_NAMED_KEYS = frozenset(k.value for k in Keys if "+" not in k.value and not k.value.startswith("<"))


@dataclass(frozen=True)
class KeyRow:
    """One key as the help screen and the README show it."""

    keys: str
    """The key(s) as typed: `n`, `enter`, `ctrl+c` (the keymap's when it moves them)."""
    id: str
    """The binding id to move it with."""
    what: str
    """What it does, in a sentence or less."""


# -- which bindings exist -------------------------------------------------------------------


def owners() -> list[type]:
    """Every primetui class that declares its own BINDINGS (imports all of `primetui.ui`)."""
    import primetui.ui

    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(primetui.ui.__path__, "primetui.ui."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and value.__module__ == module.__name__
                    and "BINDINGS" in value.__dict__):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def own_bindings(owner: type) -> list[Binding]:
    """The `Binding`s a class declares itself (tuples and strings are not used in primetui)."""
    return [b for b in owner.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]


def all_bindings() -> list[tuple[type, Binding]]:
    """(owner, binding) for every binding primetui declares."""
    return [(owner, b) for owner in owners() for b in own_bindings(owner)]


def binding_ids() -> frozenset[str]:
    """Every binding id there is to remap."""
    return frozenset(b.id for _, b in all_bindings() if b.id)


# -- the [keymap] table -----------------------------------------------------------------------


def key_problem(keys: str) -> str:
    """Why `keys` (comma-separated, as in a keymap) is not a key Textual can bind; "" if fine."""
    parts = [k.strip() for k in keys.split(",")]
    if not keys.strip() or any(not p for p in parts):
        return "an empty key"
    for part in parts:
        *mods, base = part.split("+") if len(part) > 1 else [part]
        bad = [m for m in mods if m.lower() not in MODIFIERS]
        if bad:
            return f"'{part}' has an unknown modifier '{bad[0]}' (expected {', '.join(MODIFIERS)})"
        if not base:
            return f"'{part}' names no key after its modifier"
        if len(base) == 1:
            if not base.isprintable() or base.isspace():
                return f"'{part}' is not a printable key"
            continue
        if base not in _NAMED_KEYS and key_to_character(REPLACED_KEYS.get(base, base)) is None:
            return f"'{part}' is not a key name (e.g. n, N, ctrl+r, f5, enter, space, slash)"
    return ""


def check_keymap(keymap: Mapping[str, str], known: Iterable[str] | None = None,
                 source: str = "[keymap]") -> tuple[dict[str, str], list[str]]:
    """The entries that can be applied, and one sentence per entry that cannot.

    `known` is the set of binding ids (all of primetui's by default). A bad entry is left out
    and said; every good one is kept, so one mistake loses nothing else.
    """
    ids = frozenset(known) if known is not None else binding_ids()
    good: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in keymap.items():
        if binding_id not in ids:
            import difflib

            close = difflib.get_close_matches(binding_id, sorted(ids), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else \
                " (`primetui config show` and the README list the ids)"
            problems.append(f"{source}: '{binding_id}' is not a key's id{hint}; it was ignored.")
            continue
        why = key_problem(keys)
        if why:
            problems.append(f"{source}: {binding_id} = '{keys}' cannot be used: {why}; the "
                            f"default key stays.")
            continue
        good[binding_id] = keys
    return good, problems + clashes(good)


def clashes(keymap: Mapping[str, str]) -> list[str]:
    """One sentence per default key a keymap entry takes from another binding of the same
    screen or tab (Textual then drops that binding's key without a word)."""
    said: list[str] = []
    for owner in owners():
        merged = _class_bindings(owner)
        for binding_id, keys in keymap.items():
            if not any(b.id == binding_id for b in merged):
                continue
            for key in (_normal(k) for k in keys.split(",")):
                for other in merged:
                    if other.id == binding_id or (other.id in keymap):
                        continue
                    if key in (_normal(k) for k in other.key.split(",")):
                        sentence = (f"[keymap]: {binding_id} = '{keys}' takes {key} from "
                                    f"{other.id}, which has no key now; give it one in "
                                    f"[keymap].")
                        if sentence not in said:
                            said.append(sentence)
    return said


def _normal(key: str) -> str:
    """A key as Textual compares it: `?` is `question_mark`, `/` is `slash`."""
    import unicodedata

    key = key.strip()
    if len(key) != 1 or key.isalnum():
        return key
    try:
        name = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        return key
    return KEY_NAME_REPLACEMENTS.get(name, name)


def syntax_checked(keymap: Mapping[str, str]) -> dict[str, str]:
    """The entries whose keys are well formed (cheap: no import of the tabs, for start-up)."""
    return {k: v for k, v in keymap.items() if not key_problem(v)}


# -- showing keys --------------------------------------------------------------------------


def shown_keys(binding: Binding, keymap: Mapping[str, str] | None = None) -> str:
    """The key(s) of a binding as a person types them, the keymap's when it moves them."""
    if keymap and binding.id and binding.id in keymap:
        return ", ".join(_display(k) for k in keymap[binding.id].split(","))
    if binding.key_display:
        return binding.key_display
    return ", ".join(_display(k) for k in binding.key.split(","))


def _display(key: str) -> str:
    """`?` for question_mark, `/` for slash; every other key by its name (`enter`, `ctrl+r`)."""
    key = key.strip()
    if "+" in key and len(key) > 1:
        return key
    shown = format_key(key)
    return shown if len(shown) == 1 and shown.isascii() and shown.isprintable() else key


def rows(bindings: Iterable[Binding], keymap: Mapping[str, str] | None = None,
         *, hidden: bool = True) -> list[KeyRow]:
    """One row per binding id (keys sharing an id are listed together), in declared order."""
    out: dict[str, KeyRow] = {}
    for b in bindings:
        if not b.id or (not hidden and not b.show):
            continue
        what = b.tooltip or b.description or b.action
        keys = shown_keys(b, keymap)
        if b.id in out:
            known = out[b.id]
            if keys not in known.keys.split(" / "):
                out[b.id] = KeyRow(f"{known.keys} / {keys}", b.id, known.what)
            continue
        out[b.id] = KeyRow(keys, b.id, what)
    return list(out.values())


def is_table_key(binding: Binding) -> bool:
    """Keys that every table shares (`table.*`), shown in their own section."""
    return bool(binding.id and binding.id.startswith("table."))


def table_bindings() -> list[Binding]:
    """The keys every table shares: the table tab's and the live table's own."""
    from primetui.ui.tabs.table_tab import TableTab
    from primetui.ui.widgets.live_table import LiveTable

    found: list[Binding] = []
    for cls in (TableTab, LiveTable):
        for value in vars(cls).values():
            if isinstance(value, Binding) and is_table_key(value):
                found.append(value)
        found += [b for b in own_bindings(cls) if is_table_key(b)]
    unique: dict[str, Binding] = {}
    for b in found:
        unique.setdefault(f"{b.id}:{b.key}", b)
    return list(unique.values())


def global_bindings(*shell: type) -> list[Binding]:
    """The keys that work on every tab: the app's own and the shell's number keys.

    `shell` is the app's class and the shell screen's; without them they are found by name
    among the `owners()` (the README's tables).
    """
    if not shell:
        by_name = {o.__name__: o for o in owners()}
        shell = (by_name["PrimeApp"], by_name["MainScreen"])
    return [b for owner in shell for b in own_bindings(owner)]


# -- the README ------------------------------------------------------------------------------

README_BEGIN = "<!-- keys: generated from the bindings by scripts/readme_keys.py -->"
README_END = "<!-- keys: end -->"


def _table(rows_: list[KeyRow], first: str = "") -> list[str]:
    """A Markdown table of `rows_`; `first` names a leading column (its value before `|`)."""
    head = f"| {first} " if first else ""
    lines = [f"{head}| key | id | what |", "|---" * (4 if first else 3) + "|"]
    for r in rows_:
        where, _, what = r.what.rpartition("\0")
        keys = " / ".join(f"`{k.strip()}`" for k in r.keys.split(" / "))
        what = what.replace("|", "\\|")
        lines.append(f"{'| ' + where + ' ' if first else ''}| {keys} | `{r.id}` | {what} |")
    return lines


def _with_where(where: str, rows_: list[KeyRow]) -> list[KeyRow]:
    return [KeyRow(r.keys, r.id, f"{where}\0{r.what}") for r in rows_]


def readme_keys() -> str:
    """The README's key tables: everywhere, every table, each tab's own, the screens over them."""
    from primetui.ui.tabs import TABS
    from primetui.ui.tabs.base import TabBody

    tab_rows = [row for tab in TABS
                for row in _with_where(f"{tab.title} (`{tab.key}`)",
                                       rows(tab_bindings(tab.load())))]
    screen_rows: dict[tuple[str, str], KeyRow] = {}
    for owner in owners():
        if issubclass(owner, TabBody) or owner.__name__ in _SHELL_OWNERS:
            continue
        for row in rows(own_bindings(owner)):
            where = owner_name(owner)
            known = screen_rows.get((row.id, row.keys))
            if known is not None:
                where = f"{known.what.partition(chr(0))[0]}, {where}"
            screen_rows[(row.id, row.keys)] = KeyRow(row.keys, row.id, f"{where}\0{row.what}")
    lines = ["Everywhere in the shell:", "", *_table(rows(global_bindings())), "",
             "In every table:", "", *_table(rows(table_bindings())), "",
             "Each tab's own keys:", "", *_table(tab_rows, "tab"), "",
             "On the screens and dialogs over the tabs:", "",
             *_table(sorted(screen_rows.values(), key=lambda r: r.id), "where")]
    return "\n".join(lines) + "\n"


_SHELL_OWNERS = ("PrimeApp", "MainScreen", "TableTab", "LiveTable")


def owner_name(owner: type) -> str:
    """`PlanScreen` → "plan", `TypeNameDialog` → "type name", `ChecklistBox` → "checklist box"."""
    import re

    name = re.sub(r"(Screen|Dialog)$", "", owner.__name__) or owner.__name__
    return " ".join(w.lower() for w in re.findall(r"[A-Z][a-z]*", name))


def _class_bindings(cls: type) -> list[Binding]:
    """A class's bindings with those it inherits (base classes first, as Textual merges)."""
    found: list[Binding] = []
    for base in reversed(cls.__mro__):
        found += own_bindings(base)
    return found


def tab_bindings(body_class: type) -> list[Binding]:
    """A tab's own keys (not the table keys it shares)."""
    return [b for b in _class_bindings(body_class) if not is_table_key(b)]
