"""The first-run screen: shown without a config, writes a starter config or opens the demo."""

from __future__ import annotations

import stat

import pytest
from textual.widgets import Static

from primetui.config import load_settings
from primetui.ui.app import make_app
from primetui.ui.screens.first_run import FirstRunScreen
from primetui.ui.screens.main import MainScreen
from tests.fixtures.shell import SIZE, notifications, settle


async def test_first_run_screen_explains_primetui_and_names_the_missing_config(tmp_path):
    config = tmp_path / "xdg" / "primetui" / "config.toml"
    app = make_app(None, config_path=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, FirstRunScreen)
        text = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "maintenance runbook" in text
        assert f"No configuration file exists at {config}." in text
        shown = {k for k, b in app.active_bindings.items() if b.binding.show}
        assert {"w", "d", "q"} <= shown and "r" not in shown and "1" not in app.active_bindings


@pytest.mark.parametrize("how", ["key", "button"])
async def test_write_a_starter_config_writes_a_valid_file_and_enters_the_shell(aws_env, tmp_path, how):
    config = tmp_path / "xdg" / "primetui" / "config.toml"
    app = make_app(None, config_path=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        if how == "key":
            await pilot.press("w")
        else:
            await pilot.click("#write-starter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.settings is not None and app.settings.path == config
        assert app.services is not None
        assert any(str(config) in m for m in notifications(app))
        await pilot.press("5")  # the shell is live: its keys work
        await settle(app, pilot)
        assert app.screen.active_tab == "backups"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert load_settings(config).ui.theme == "prime-dark"


async def test_write_a_starter_config_never_overwrites_one(aws_env, tmp_path):
    config = tmp_path / "config.toml"
    app = make_app(None, config_path=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        config.write_text("# mine\n")
        await pilot.press("w")
        await settle(app, pilot)
        assert isinstance(app.screen, FirstRunScreen)
        assert f"{config}: already exists; edit it, or remove it first." in notifications(app)
    assert config.read_text() == "# mine\n"


@pytest.mark.parametrize("key, result", [("d", "demo"), ("q", None)])
async def test_open_the_demo_or_quit_from_the_first_run_screen(tmp_path, key, result):
    app = make_app(None, config_path=tmp_path / "config.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(key)
        await pilot.pause()
        assert app._exit and app.return_value == result
    assert not (tmp_path / "config.toml").exists()
