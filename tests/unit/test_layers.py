"""The layer rules: ui → services → core, and nothing heavy imported at start-up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "primetui"
IO_LIBRARIES = {"boto3", "botocore", "fabric", "paramiko", "invoke", "gnupg"}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports, anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("path", files("ui"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_ui_never_imports_aws_ssh_or_gpg_libraries(path: Path) -> None:
    assert imported_modules(path) & IO_LIBRARIES == set()


@pytest.mark.parametrize("path", files("core") + files("services") + files("sandbox"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_services_and_sandbox_never_import_textual(path: Path) -> None:
    assert "textual" not in imported_modules(path)


@pytest.mark.parametrize("path", files("core"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_is_pure(path: Path) -> None:
    forbidden = IO_LIBRARIES | {"subprocess", "socket", "ssl", "textual", "primetui.services"}
    imported = imported_modules(path)
    assert imported & forbidden == set()
    text = path.read_text(encoding="utf-8")
    assert "primetui.services" not in text and "primetui.ui" not in text


def test_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("def f():\n    import boto3\n    from fabric import Connection\n")
    assert imported_modules(sample) >= {"boto3", "fabric"}


def test_starting_the_app_imports_no_heavy_library() -> None:
    code = (
        "import sys, primetui.cli.main, primetui.ui.app\n"
        "heavy = {'boto3','botocore','fabric','paramiko','invoke','gnupg','moto','cryptography'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
