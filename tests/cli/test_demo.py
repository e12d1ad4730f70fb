"""Installed without the `demo` extra (no moto), `--demo` and the first-run screen say exactly
what to install instead of failing with "No module named 'moto'"."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from primetui.sandbox.tools import DEMO_INSTALL
from tests.cli.cli_helpers import Home, one_sentence, run_on_pty

HIDE_MOTO = "import sys\nsys.modules['moto'] = None  # as on a machine without the demo extra\n"


@pytest.fixture
def without_moto(home: Home, tmp_path: Path) -> Home:
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(HIDE_MOTO)
    home.env["PYTHONPATH"] = str(inject)
    return home


def test_demo_without_moto_says_what_to_install(without_moto: Home) -> None:
    done = without_moto.run("--demo")
    assert done.returncode == 2
    sentence = one_sentence(done.stderr)
    assert sentence == DEMO_INSTALL and "primetui[demo]" in sentence
    assert "No module named" not in done.stderr


def test_demo_on_a_terminal_without_moto_says_it_before_drawing(without_moto: Home) -> None:
    code, shown = run_on_pty(["--demo"], without_moto.env, timeout=30)
    assert code == 2
    assert b"pipx install 'primetui[demo]'" in shown


async def test_first_run_demo_button_without_moto_names_the_extra(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from primetui.ui.app import make_app

    monkeypatch.setitem(sys.modules, "moto", None)
    app = make_app(None, config_path=tmp_path / "config.toml")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert app.is_running  # stays on the first-run screen
        messages = [n.message for n in app._notifications]
        assert DEMO_INSTALL in messages


def test_pyproject_ships_a_demo_extra_and_the_repo_a_license() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("moto[server]") for d in project["optional-dependencies"]["demo"])
    license_text = (root / "LICENSE").read_text()
    assert license_text.startswith("MIT License") and project["license"] == {"text": "MIT"}
