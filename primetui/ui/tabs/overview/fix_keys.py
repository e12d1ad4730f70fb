"""The key that does a finding's action, read from the fixing tab's own bindings.

A finding names its action by id (`certificates.renew`, see `primetui.areas.ACTIONS`);
the key and the word shown beside it ("n Renew") come from the binding of that tab whose
action is the one named, so a key rebound in the tab is the key the Overview shows.
Loading a tab's class imports its module: call this from a worker thread.
"""

from __future__ import annotations

from textual.binding import Binding

from primetui.areas import Action, action
from primetui.ui.tabs import TABS


def find_binding(owner: type, name: str) -> Binding | None:
    """The binding of `owner` (or of a class it inherits from) whose action is `name`."""
    for cls in owner.__mro__:
        for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", ())):
            if binding.action.partition("(")[0] == name:
                return binding
    return None


def binding_for(fix: Action, app_class: type) -> Binding | None:
    """The binding that does `fix`: the app's own for an app-wide action, else its tab's."""
    if fix.app_wide:
        return find_binding(app_class, fix.binding)
    spec = next((tab for tab in TABS if tab.id == fix.tab), None)
    return find_binding(spec.load(), fix.binding) if spec else None


def key_text(action_id: str, app_class: type) -> str:
    """"n Renew": the key, then what its binding says; the action's words when unbound."""
    fix = action(action_id)
    binding = binding_for(fix, app_class)
    if binding is None:
        return fix.words
    return f"{binding.key_display or binding.key} {binding.description}"


def fix_keys(action_ids: set[str], app_class: type) -> dict[str, str]:
    """The key text of each action id."""
    return {a: key_text(a, app_class) for a in sorted(action_ids) if a}
