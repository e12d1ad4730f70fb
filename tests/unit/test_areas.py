"""The table of areas: every face reads it, and every action a finding names has a key.

A finding names its action by id (`certificates.renew`); the Overview tab shows the key of
the binding for it in the fixing tab's own BINDINGS, the command line shows the command.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from textual.binding import Binding

from primetui.areas import ACTIONS, AREAS, CHECKED, CLI_MODULES, action
from primetui.findings.model import Finding, fix_text, place
from primetui.ui.app import PrimeApp
from primetui.ui.tabs import TABS
from primetui.ui.tabs.overview.fix_keys import binding_for, key_text

PACKAGE = Path(__file__).resolve().parents[2] / "primetui"
AREA_IDS = {a.id for a in AREAS}


def test_the_tabs_are_the_areas_in_order_on_keys_1_to_7():
    assert [(t.id, t.title, t.key) for t in TABS] == [(a.id, a.title, a.key) for a in AREAS]
    assert [t.title for t in TABS] == ["Overview", "Instances", "Schedules", "Certificates",
                                       "Backups", "Maintenance", "Audit"]
    assert [t.key for t in TABS] == [str(n) for n in range(1, 8)]
    for tab in TABS:
        body = tab.load()
        assert (body.TAB_ID, body.TITLE) == (tab.id, tab.title)


def test_every_command_module_is_an_areas_and_every_check_points_at_a_tab():
    assert set(CLI_MODULES) >= {"instances", "schedules", "certs", "backup", "maintenance",
                                "check", "report"}
    for name in CLI_MODULES:
        if (PACKAGE / "cli" / f"{name}.py").exists():
            assert "def register(" in (PACKAGE / "cli" / f"{name}.py").read_text()
    assert {c.tab for c in CHECKED} <= AREA_IDS
    # an area that could not be checked points at reading its tab again
    assert {f"{c.tab}.refresh" for c in CHECKED if c.tab != "overview"} <= {a.id for a in ACTIONS}


@pytest.mark.parametrize("fix", ACTIONS, ids=lambda a: a.id)
def test_every_action_a_finding_can_name_has_a_binding_on_its_tab(fix):
    assert fix.tab in AREA_IDS
    binding = binding_for(fix, PrimeApp)
    assert binding is not None, f"{fix.id}: no binding for action_{fix.binding}"
    owner = PrimeApp if fix.app_wide else next(t for t in TABS if t.id == fix.tab).load()
    assert callable(getattr(owner, f"action_{fix.binding}", None))


def _named_actions() -> set[str]:
    """Every action id written in a findings module or the collector: `Finding(...)`'s
    action and any "<area>.<what>" string there."""
    sources = [*PACKAGE.glob("*/findings.py"), *(PACKAGE / "overview").glob("*.py")]
    found = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.fullmatch(r"[a-z]+\.[a-z_]+", node.value) and \
                    node.value.partition(".")[0] in AREA_IDS:
                found.add(node.value)
    return found


def test_every_action_named_in_the_findings_is_in_the_table():
    named = _named_actions()
    assert {"certificates.renew", "backups.create", "instances.stop", "maintenance.off",
            "overview.trust_host_key"} <= named
    assert named <= {a.id for a in ACTIONS}


def test_a_finding_naming_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="unknown action 'n Renew'"):
        Finding("warning", "certificates", "t", "", "certificates", "n Renew")


def test_the_key_shown_is_the_tabs_own_binding_even_when_rebound(monkeypatch):
    assert key_text("certificates.renew", PrimeApp) == "n Renew"
    assert key_text("backups.create", PrimeApp) == "c Create"
    assert key_text("certificates.refresh", PrimeApp) == "r Refresh"
    tab = next(t for t in TABS if t.id == "certificates").load()
    rebound = [Binding("N", "renew", "Renew now") if isinstance(b, Binding)
               and b.action == "renew" else b for b in tab.BINDINGS]
    monkeypatch.setattr(tab, "BINDINGS", rebound)
    assert key_text("certificates.renew", PrimeApp) == "N Renew now"


def test_the_command_line_shows_the_command_or_the_actions_words():
    renew = Finding("critical", "certificates", "Expires.", "", "certificates",
                    "certificates.renew", "prime.example.edu")
    assert fix_text(renew) == "primetui certs renew prime.example.edu"
    odd = Finding("critical", "backups", "t", "", "backups", "backups.verify", "a b.gpg")
    assert fix_text(odd) == "primetui backup verify 'a b.gpg'"
    hygiene = Finding("warning", "secrets", "t", "", "backups", "backups.hygiene", ".env")
    assert fix_text(hygiene) == "Fix the .env hygiene on the Backups tab"
    changed = Finding("critical", "hosts", "t", "", "overview")
    assert fix_text(changed) == "" and place(changed) == "Overview tab"
    assert action("maintenance.off").command_for() == "primetui maintenance off"
