"""Test modules never import each other: helpers live in tests/fixtures/, fixtures come from
a folder's conftest.py (so running one test file never runs another's module code)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def imports_of_other_tests(path: Path) -> set[str]:
    """The `tests.*` modules a file imports that are not under tests.fixtures."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.ImportFrom):
            names = [f"(relative) {node.module or ''}"]
        else:
            continue
        found.update(n for n in names if n.startswith("(relative)")
                     or (n.split(".")[0] == "tests" and not n.startswith("tests.fixtures")))
    return found


def modules_of_tests() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "fixtures" not in p.relative_to(TESTS).parts)


@pytest.mark.parametrize("path", modules_of_tests(), ids=lambda p: p.relative_to(TESTS).as_posix())
def test_a_test_module_imports_helpers_only_from_tests_fixtures(path: Path) -> None:
    assert imports_of_other_tests(path) == set()


def test_the_check_sees_one_test_module_importing_another(tmp_path: Path) -> None:
    bad = tmp_path / "test_bad.py"
    bad.write_text("from tests.ui.test_shell import SIZE\nimport tests.services.test_backups\n"
                   "from tests.fixtures.shell import settle\nfrom .test_dialogs import DialogHost\n")
    assert imports_of_other_tests(bad) == {"tests.ui.test_shell", "tests.services.test_backups",
                                           "(relative) test_dialogs"}
