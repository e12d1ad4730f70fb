"""Test modules never import each other: shared helpers live in helper modules (tests/fixtures/
or a folder's own), fixtures come from a folder's conftest.py. So running one test file never
runs another's module code, and a helper's home says it is shared."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def is_test_module(name: str) -> bool:
    """Whether a dotted module name is a test module or a conftest."""
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def imported_test_modules(path: Path) -> set[str]:
    """The test modules (test_*.py, conftest.py) a file imports, by their dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if is_test_module(a.name))
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if module.strip(".") and is_test_module(module):
                found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names if is_test_module(a.name))
    return found


def every_module() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


@pytest.mark.parametrize("path", every_module(), ids=lambda p: p.relative_to(TESTS).as_posix())
def test_no_module_imports_a_test_module(path: Path) -> None:
    assert imported_test_modules(path) == set()


def test_the_check_sees_one_test_module_importing_another(tmp_path: Path) -> None:
    bad = tmp_path / "test_bad.py"
    bad.write_text("from tests.ui.test_shell import SIZE\nimport tests.services.test_backups\n"
                   "from tests.fixtures.shell import settle\nfrom .test_dialogs import DialogHost\n"
                   "from tests.ui import test_themes\nfrom tests.ui.conftest import world\n"
                   "from tests.hostile.rest_helpers import run_primetui\n")
    assert imported_test_modules(bad) == {"tests.ui.test_shell", "tests.services.test_backups",
                                          ".test_dialogs", "tests.ui.test_themes",
                                          "tests.ui.conftest"}
