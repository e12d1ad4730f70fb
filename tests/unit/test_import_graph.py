"""The import graph of primetui: no circle among its modules, and the areas stay below.

Every import counts, wherever it is written: at the top, inside a function (made on first
use) or under `if TYPE_CHECKING:` (never run, but still a dependency a reader follows).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "primetui"
AREAS = ("primetui.instances", "primetui.schedules", "primetui.certificates",
         "primetui.backups", "primetui.maintenance", "primetui.plans", "primetui.remote",
         "primetui.findings", "primetui.aws")
"""The headless areas and the shared base they stand on."""
ABOVE_THE_AREAS = ("primetui.registry", "primetui.overview", "primetui.ui", "primetui.cli",
                   "textual")
"""What an area never imports: the registry, the collector, the faces, Textual."""


def module_name(path: Path, root: Path = PACKAGE) -> str:
    """`primetui/backups/service.py` → `primetui.backups.service` (a package: its name)."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, module: str, known: set[str], *,
               type_checking: bool = True) -> set[str]:
    """The modules a file imports (anywhere in it; under `if TYPE_CHECKING:` too unless
    `type_checking` is false): primetui modules as the deepest known module named, other
    libraries by their top-level name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    skipped = set() if type_checking else _under_type_checking(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(_known(alias.name, known) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else _known(base, known))
    found.discard(module)
    return found


def _under_type_checking(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside `if TYPE_CHECKING:` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(n) for child in node.body for n in ast.walk(child))
    return inside


def _known(name: str, known: set[str]) -> str:
    """The deepest primetui module `name` starts with; a library's top-level name."""
    parts = name.split(".")
    if parts[0] != PACKAGE.name:
        return parts[0]
    while parts and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts) or name


def import_graph(root: Path = PACKAGE, *, type_checking: bool = True) -> dict[str, set[str]]:
    """Each module of the package → the modules it imports."""
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    known = set(paths)
    return {name: imports_of(path, name, known, type_checking=type_checking)
            for name, path in paths.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: groups of modules that import each other (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c in graph), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def within(name: str, prefixes: Iterable[str]) -> bool:
    """Whether a module is one of `prefixes` or inside one of them."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


GRAPH = import_graph()


def test_no_module_of_primetui_imports_itself_back_in_a_circle() -> None:
    assert circles(GRAPH) == []


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if within(m, AREAS)))
def test_an_area_never_imports_the_registry_the_overview_the_faces_or_textual(
        module: str) -> None:
    assert sorted(m for m in GRAPH[module] if within(m, ABOVE_THE_AREAS)) == []


def test_the_table_of_areas_imports_nothing_of_primetui() -> None:
    assert sorted(m for m in GRAPH["primetui.areas"] if m.startswith("primetui")) == []


def test_the_registry_never_imports_the_faces_and_of_the_overview_only_the_collector() -> None:
    # `services.findings` (the collector, built on the registry) is kept for the faces.
    above = sorted(m for m in GRAPH["primetui.registry"]
                   if within(m, ("primetui.ui", "primetui.cli", "primetui.overview", "textual")))
    assert above == ["primetui.overview.collector"]


def test_the_checker_sees_a_circle_and_an_import_under_type_checking(tmp_path: Path) -> None:
    root = tmp_path / "primetui"
    (root / "backups").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "backups" / "__init__.py").write_text("")
    (root / "registry.py").write_text("def f():\n    from primetui.backups import service\n")
    (root / "backups" / "service.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from primetui.registry import Services\nfrom . import model\n")
    (root / "backups" / "model.py").write_text("import textual.app\n")
    graph = import_graph(root)
    assert graph["primetui.backups.service"] == {"typing", "primetui.registry",
                                                 "primetui.backups.model"}
    assert graph["primetui.backups.model"] == {"textual"}
    assert circles(graph) == [["primetui.backups.service", "primetui.registry"]]
    assert circles(import_graph(root, type_checking=False)) == []
    assert import_graph(root, type_checking=False)["primetui.backups.service"] == {
        "typing", "primetui.backups.model"}
