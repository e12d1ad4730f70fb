"""pyproject's dependencies are what primetui/ imports: nothing missing, nothing left over."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "primetui"

SANDBOX_ONLY = {"moto", "cryptography"}
"""The practice world (primetui/sandbox) may also import these: moto runs the practice AWS
account, cryptography makes its certificates."""


def third_party_imports(files: list[Path]) -> dict[str, set[str]]:
    """Top-level non-stdlib, non-primetui imports → the files (relative) importing them."""
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("primetui", "__future__"):
                    found.setdefault(top, set()).add(path.relative_to(PACKAGE.parent).as_posix())
    return found


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(extra: str | None = None) -> set[str]:
    """The distribution names of pyproject's dependencies (or of one extra)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {normalize(re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0]) for spec in specs}


def distributions(imports: dict[str, set[str]]) -> dict[str, set[str]]:
    """Import names mapped to the installed distributions that provide them."""
    providers = packages_distributions()
    return {name: {normalize(d) for d in providers.get(name, [name])} for name in imports}


def undeclared(files: list[Path], allowed: set[str]) -> dict[str, set[str]]:
    imports = third_party_imports(files)
    return {name: where for name, where in imports.items()
            if not distributions({name: where})[name] & allowed}


def outside_sandbox() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "sandbox" not in p.relative_to(PACKAGE).parts]


def test_every_import_outside_the_sandbox_is_a_declared_dependency() -> None:
    assert undeclared(outside_sandbox(), declared()) == {}


def test_the_sandbox_imports_only_declared_dependencies_and_its_own() -> None:
    sandbox = sorted((PACKAGE / "sandbox").rglob("*.py"))
    assert sandbox, "primetui/sandbox has no modules"
    allowed = declared() | {normalize(d) for d in SANDBOX_ONLY}
    assert undeclared(sandbox, allowed) == {}


def test_every_declared_dependency_is_imported() -> None:
    imports = third_party_imports(sorted(PACKAGE.rglob("*.py")))
    provided = set().union(*distributions(imports).values())
    assert declared() - provided == set()


def test_check_sees_an_undeclared_import(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path)
    bad = tmp_path / "bad.py"
    bad.write_text("import yaml\nfrom requests.adapters import HTTPAdapter\nimport os, json\n"
                   "from primetui.errors import PrimeError\nimport textual\n")
    assert set(undeclared([bad], declared())) == {"yaml", "requests"}
