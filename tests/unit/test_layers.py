"""The import contracts of the layout, and nothing heavy imported at start-up.

The areas (and the shared base they stand on) are headless: they never reach up into the
faces (textual, ui, cli), the registry or the overview above it. The UI never talks to AWS,
SSH or gpg itself. The pure model/parsing modules do no I/O. Only the entry points import
`primetui.cli.main`. Every contract has a twin test that plants a breaking file and sees it
caught, so none of them can pass by looking at nothing.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "primetui"

AREAS = ("instances", "schedules", "certificates", "backups", "maintenance", "plans", "remote",
         "findings")
"""The headless packages; `aws.py` is one more area module."""

ABOVE_THE_AREAS = ("textual", "primetui.ui", "primetui.cli", "primetui.registry",
                   "primetui.overview")
"""What an area never imports: the faces, the registry that wires the areas, the overview."""

IO_LIBRARIES = ("boto3", "botocore", "fabric", "paramiko", "invoke", "gnupg")
"""The libraries that talk to AWS, over SSH or to gpg: never imported by the UI."""

PURE_MODULES = (
    "instances/model.py",
    "schedules/expressions.py",
    "schedules/iam_policy.py",
    "certificates/certbot.py",
    "backups/archive.py",
    "maintenance/page.py",
    "maintenance/rules.py",
    "findings/model.py",
    "plans/plan.py",
    "printable.py",
)
"""The model and parsing modules: data in, data out, no I/O of any kind. Of primetui they
import only each other, `primetui.errors` and `primetui.areas` (the table of areas, plain
data). (certificates/model.py is not among them: it
holds `EndpointProbe` from probe.py, which opens sockets, and the settings of config.py.)"""

NOT_PURE_FOR_IO = (
    "subprocess", "socket", "ssl", "http", "urllib", "shutil", "tempfile", "threading",
    "concurrent", "asyncio", "tarfile", "gzip", "zlib", "sqlite3", "selectors", "signal",
    "primetui.aws", "primetui.remote", "primetui.sandbox", *IO_LIBRARIES, *ABOVE_THE_AREAS,
)
"""What a pure module never imports (besides the `*/service.py` and other I/O modules)."""

CLI_MAIN_ENTRY_POINTS = ("__main__.py",)
"""The files allowed to import `primetui.cli.main` (with pyproject's `primetui` script)."""

KNOWN_BREACHES: dict[str, set[str]] = {
    # The CLI's area modules reach back into cli/main until the terminal context exists.
    "cli/backup.py": {"primetui.cli.main"},
    "cli/certs.py": {"primetui.cli.main"},
    "cli/check.py": {"primetui.cli.main"},
    "cli/instances.py": {"primetui.cli.main"},
    "cli/maintenance.py": {"primetui.cli.main"},
    "cli/report.py": {"primetui.cli.main"},
    "cli/schedules.py": {"primetui.cli.main"},
}
"""Breaches the layout still has, each to be removed by the change that mends it (a breach
mended but still listed fails `test_every_known_breach_is_still_there`)."""


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (functions, TYPE_CHECKING blocks included).

    `from a.b import c` counts as both `a.b` and `a.b.c` (c may be a module). Relative imports
    are resolved against the file's place under primetui/.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = ["primetui", *path.relative_to(PACKAGE).parent.parts]
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def reaches(imported: set[str], forbidden: tuple[str, ...]) -> set[str]:
    """The forbidden packages (or their submodules) among the imported modules."""
    return {f for f in forbidden for name in imported if name == f or name.startswith(f + ".")}


def rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def breaches(path: Path, forbidden: tuple[str, ...]) -> set[str]:
    """The forbidden imports of a file, less its known breaches."""
    return reaches(imported_modules(path), forbidden) - KNOWN_BREACHES.get(rel(path), set())


def area_files() -> list[Path]:
    files = [p for area in AREAS for p in sorted((PACKAGE / area).rglob("*.py"))]
    return [*files, PACKAGE / "aws.py"]


def ui_files() -> list[Path]:
    return sorted((PACKAGE / "ui").rglob("*.py"))


def every_file() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def ids(path: Path) -> str:
    return rel(path)


def test_the_contracts_look_at_real_files() -> None:
    """A renamed folder would leave a contract checking nothing."""
    for area in AREAS:
        assert list((PACKAGE / area).glob("*.py")), f"primetui/{area}/ has no modules"
    assert len(area_files()) > 40 and len(ui_files()) > 30
    for module in PURE_MODULES:
        assert (PACKAGE / module).is_file(), f"primetui/{module} is gone: update PURE_MODULES"


@pytest.mark.parametrize("path", area_files(), ids=ids)
def test_areas_never_import_the_faces_the_registry_or_the_overview(path: Path) -> None:
    assert breaches(path, ABOVE_THE_AREAS) == set()


@pytest.mark.parametrize("path", ui_files(), ids=ids)
def test_ui_never_imports_aws_ssh_or_gpg_libraries(path: Path) -> None:
    assert breaches(path, IO_LIBRARIES) == set()


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_modules_import_no_io(module: str) -> None:
    path = PACKAGE / module
    assert breaches(path, NOT_PURE_FOR_IO) == set()
    pure = {"primetui.errors", "primetui.areas", *("primetui." + m.removesuffix(".py").replace("/", ".")
                                 for m in PURE_MODULES)}
    own = {n for n in imported_modules(path) if n.startswith("primetui.")}
    assert {n for n in own if not any(n == p or n.startswith(p + ".") for p in pure)} == set()
    text = path.read_text(encoding="utf-8")
    assert "open(" not in text and ".read_text(" not in text and ".write_text(" not in text


@pytest.mark.parametrize("path", every_file(), ids=ids)
def test_only_the_entry_points_import_cli_main(path: Path) -> None:
    if rel(path) in CLI_MAIN_ENTRY_POINTS or rel(path) == "cli/main.py":
        return
    assert breaches(path, ("primetui.cli.main",)) == set()


def test_every_known_breach_is_still_there() -> None:
    """A mended breach leaves the list, so the contract covers that file again."""
    for name, modules in KNOWN_BREACHES.items():
        path = PACKAGE / name
        assert path.is_file(), f"{name} is gone: remove it from KNOWN_BREACHES"
        still = reaches(imported_modules(path), tuple(modules))
        assert still == modules, f"{name} no longer imports {modules - still}: remove it from KNOWN_BREACHES"


# ------------------------------------------------------------ each contract can fail


def plant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> Path:
    """A file at `name` under a stand-in primetui/ that the checks read instead."""
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path)
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_checker_sees_a_forbidden_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = plant(tmp_path, monkeypatch, "ui/bad.py",
                   "def f():\n    import boto3\n    from fabric import Connection\n")
    assert breaches(sample, IO_LIBRARIES) == {"boto3", "fabric"}


def test_checker_sees_an_area_reaching_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = plant(tmp_path, monkeypatch, "backups/bad.py",
                   "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                   "    from primetui.registry import Services\n"
                   "from textual.widgets import Static\nfrom ..ui import app\n"
                   "import primetui.overview.collector\n")
    assert breaches(sample, ABOVE_THE_AREAS) == {"primetui.registry", "textual", "primetui.ui",
                                                 "primetui.overview"}


def test_checker_sees_a_pure_module_doing_io(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = plant(tmp_path, monkeypatch, "plans/plan.py",
                   "import subprocess\nfrom primetui.remote.runners import SshRunner\n")
    assert breaches(sample, NOT_PURE_FOR_IO) == {"subprocess", "primetui.remote"}
    with pytest.raises(AssertionError):
        test_pure_modules_import_no_io("plans/plan.py")
    plant(tmp_path, monkeypatch, "plans/plan.py", "from primetui.certificates.probe import probe\n")
    with pytest.raises(AssertionError):
        test_pure_modules_import_no_io("plans/plan.py")
    plant(tmp_path, monkeypatch, "plans/plan.py", "from primetui.errors import PrimeError\n")
    test_pure_modules_import_no_io("plans/plan.py")


def test_checker_sees_cli_main_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = plant(tmp_path, monkeypatch, "cli/extra.py",
                   "def f():\n    from primetui.cli.main import main\n")
    with pytest.raises(AssertionError):
        test_only_the_entry_points_import_cli_main(sample)
    relative = plant(tmp_path, monkeypatch, "cli/other.py", "from .main import main\n")
    assert breaches(relative, ("primetui.cli.main",)) == {"primetui.cli.main"}


def test_starting_the_app_imports_no_heavy_library() -> None:
    code = (
        "import sys, primetui.cli.main, primetui.ui.app\n"
        "heavy = {'boto3','botocore','fabric','paramiko','invoke','gnupg','moto','cryptography'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
