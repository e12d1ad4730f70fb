"""Binding ids, the `[keymap]` check, and the README's key tables against the bindings."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from primetui.config import config_problems, parse_settings
from primetui.errors import ConfigError
from primetui.ui.keys import (
    README_BEGIN,
    README_END,
    all_bindings,
    binding_ids,
    check_keymap,
    key_problem,
    readme_keys,
    rows,
)

ROOT = Path(__file__).resolve().parents[2]


def test_every_binding_primetui_declares_has_an_id() -> None:
    found = all_bindings()
    assert len(found) > 40  # the walk reached the tabs, the screens and the dialogs
    missing = [f"{owner.__qualname__}: {b.key} → {b.action}" for owner, b in found if not b.id]
    assert missing == []


def test_ids_name_one_action_each() -> None:
    """Two bindings share an id only when they do the same thing (enter and y both run)."""
    actions: dict[str, set[str]] = {}
    for _, b in all_bindings():
        actions.setdefault(b.id or "", set()).add(b.action)
    shared = {i: a for i, a in actions.items() if len(a) > 1}
    assert shared == {}


def test_the_ids_people_remap_most_are_there() -> None:
    ids = binding_ids()
    assert {"app.refresh", "app.help", "app.command_line", "app.ssh_shell", "app.server_logs",
            "app.edit_config", "app.pager", "tabs.certificates", "certificates.renew",
            "table.filter", "plan.run", "confirm.yes"} <= ids


@pytest.mark.parametrize("keys", ["n", "N", "ctrl+r", "f5", "enter", "space", "slash",
                                  "question_mark", "?", "ctrl+s,S", "shift+tab", "alt+x"])
def test_well_formed_keys_are_accepted(keys: str) -> None:
    assert key_problem(keys) == ""


@pytest.mark.parametrize("keys, why", [
    ("", "an empty key"),
    ("n,", "an empty key"),
    ("ctrl+", "names no key"),
    ("hyperctrl+x", "unknown modifier"),
    ("ctlr+r", "unknown modifier 'ctlr'"),
    ("frobnicate", "not a key name"),
    ("\x07", "not a printable key"),
])
def test_malformed_keys_are_named(keys: str, why: str) -> None:
    assert why in key_problem(keys)


def test_check_keymap_keeps_every_good_entry_and_says_each_bad_one() -> None:
    good, problems = check_keymap({"certificates.renew": "N", "certificates.renw": "M",
                                   "app.refresh": "ctrl+", "app.quit": "Q"})
    assert good == {"certificates.renew": "N", "app.quit": "Q"}
    assert problems == [
        "[keymap]: 'certificates.renw' is not a key's id (did you mean "
        "'certificates.renew'?); it was ignored.",
        "[keymap]: app.refresh = 'ctrl+' cannot be used: 'ctrl+' names no key after its "
        "modifier; the default key stays.",
    ]


def test_rows_show_the_keymaps_key_in_place_of_the_default() -> None:
    from primetui.ui.tabs.certificates.tab import CertificatesTab

    shown = {r.id: r.keys for r in rows(CertificatesTab.BINDINGS, {"certificates.renew": "N"})}
    assert shown["certificates.renew"] == "N" and shown["certificates.dry_run"] == "d"


def test_config_reads_keymap_as_dotted_keys_or_a_table_per_scope(tmp_path: Path) -> None:
    text = ('[keymap]\n"certificates.renew" = "N"\n'
            '[keymap.instances]\nstop = "X"\n')
    settings = parse_settings(text, tmp_path / "config.toml")
    assert settings.keymap == {"certificates.renew": "N", "instances.stop": "X"}
    assert config_problems(text, tmp_path / "config.toml") == []


def test_config_keymap_value_that_is_not_text_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"keymap\.app\.refresh: expected a string"):
        parse_settings("[keymap]\n\"app.refresh\" = 5\n", tmp_path / "config.toml")


def test_readme_key_tables_are_the_bindings() -> None:
    """The README's tables are exactly what the bindings say (scripts/readme_keys.py)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index(README_BEGIN) + len(README_BEGIN):text.index(README_END)]
    assert block.strip() == readme_keys().strip()


def test_readme_check_script_sees_a_changed_key(tmp_path: Path, monkeypatch) -> None:
    """The comparison can fail: a README whose key differs from the binding is caught."""
    spec = importlib.util.spec_from_file_location("readme_keys", ROOT / "scripts" / "readme_keys.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    readme.write_text(text.replace("| `n` | `certificates.renew` |", "| `N` | `certificates.renew` |"))
    monkeypatch.setattr(module, "README", readme)
    assert module.main(["--check"]) == 1
    readme.write_text(text)
    assert module.main(["--check"]) == 0


def test_a_key_taken_from_another_binding_of_the_same_tab_is_said() -> None:
    good, problems = check_keymap({"certificates.renew": "d", "app.help": "f1"})
    assert good == {"certificates.renew": "d", "app.help": "f1"}  # kept: it is what was asked
    assert problems == ["[keymap]: certificates.renew = 'd' takes d from "
                        "certificates.dry_run, which has no key now; give it one in [keymap]."]


def test_swapping_two_keys_is_no_clash() -> None:
    assert check_keymap({"certificates.renew": "d", "certificates.dry_run": "n"})[1] == []
    # The app's key and a tab's are not one screen's: the tab's is found first, no key lost.
    assert check_keymap({"app.help": "slash"})[1] == []
