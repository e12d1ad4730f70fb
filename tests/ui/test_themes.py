"""Themes in the app: chosen from the palette and remembered, bad files and names fall back."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from textual.theme import BUILTIN_THEMES

from primetui.config import load_settings, write_starter
from primetui.ui.app import make_app
from primetui.ui.themes import shipped_themes_dir
from tests.fixtures.shell import (
    SIZE,
    lab_app,
    lab_settings,
    notifications,
    run_palette,
    settle,
)

PROJECT_THEMES = {"prime-dark", "prime-light", "prime-contrast"}


async def choose_theme_in_palette(pilot, name: str) -> None:
    """Textual's own theme picker: ctrl+p, "Theme", then the theme's name."""
    await run_palette(pilot, "Theme")
    await run_palette_query(pilot, name)


async def run_palette_query(pilot, text: str) -> None:
    """Type into the palette already open and take the first hit."""
    from textual.command import CommandPalette

    app = pilot.app
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*[{" ": "space", "-": "minus"}.get(ch, ch) for ch in text])
    options = app.screen.query_one("CommandList")
    for _ in range(200):
        await pilot.pause()
        if options.option_count and options.highlighted is not None:
            break
    await pilot.press("enter")
    await pilot.pause()


async def saved(config: Path, name: str) -> None:
    """Wait (a bounded number of turns) until the config file names the theme."""
    import asyncio

    for _ in range(100):
        if tomllib.loads(config.read_text()).get("ui", {}).get("theme") == name:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the theme {name} was not saved in {config}")


async def test_textuals_own_themes_and_system_commands_are_offered_and_remembered(
        aws_env, tmp_path):
    config = tmp_path / "config.toml"
    write_starter(config)
    app = make_app(load_settings(config), config_path=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        names = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Theme", "Screenshot", "Quit"} <= names
        await choose_theme_in_palette(pilot, "nord")
        assert app.theme == "nord"
        await saved(config, "nord")


async def test_theme_from_the_palette_is_saved_and_used_at_the_next_start(aws_env, tmp_path):
    config = tmp_path / "config.toml"
    write_starter(config)
    app = make_app(load_settings(config), config_path=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.theme == "prime-dark"
        await choose_theme_in_palette(pilot, "prime-light")
        assert app.theme == "prime-light"
        await saved(config, "prime-light")
    doc = tomllib.loads(config.read_text())
    assert doc["ui"]["theme"] == "prime-light"
    assert doc["certificates"]["warn_days"] == 21  # the rest of the file is kept
    again = make_app(load_settings(config), config_path=config)
    async with again.run_test(size=SIZE) as pilot:
        await settle(again, pilot)
        assert again.theme == "prime-light"


async def test_every_project_theme_is_offered_and_textuals_own_are_untouched(aws_settings, tmp_path):
    before = dict(BUILTIN_THEMES)
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert PROJECT_THEMES <= set(app.project_themes)
        assert PROJECT_THEMES <= set(app.available_themes)
    assert BUILTIN_THEMES == before and not PROJECT_THEMES & set(BUILTIN_THEMES)


async def test_bad_theme_file_is_reported_and_the_app_falls_back(aws_settings, tmp_path):
    themes = tmp_path / "themes"
    shutil.copytree(shipped_themes_dir(), themes)
    (themes / "lab-night.toml").write_text('name = "lab-night"\nprimary = "#12345G"\n')
    settings = lab_settings(aws_settings, tmp_path, theme="lab-night")
    app = lab_app(settings, tmp_path, theme_dirs=[themes])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.theme == "prime-dark"
        messages = notifications(app)
        assert any("lab-night.toml" in m and "primary" in m and "#12345G" in m for m in messages)
        assert "The theme 'lab-night' is not available, so prime-dark is used instead." in messages
        assert "lab-night" not in app.available_themes


async def test_broken_default_theme_falls_back_to_textual_dark(aws_settings, tmp_path):
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "prime-dark.toml").write_text('name = "prime-dark"\nprimary = 12\n')
    app = lab_app(lab_settings(aws_settings, tmp_path), tmp_path, theme_dirs=[themes])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.theme == "textual-dark"
        assert any("prime-dark.toml" in m for m in notifications(app))


async def test_unknown_theme_name_in_the_config_falls_back_with_a_notification(aws_settings, tmp_path):
    app = lab_app(lab_settings(aws_settings, tmp_path, theme="solarized-sunrise"), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.theme == "prime-dark"
        assert ("The theme 'solarized-sunrise' is not available, so prime-dark is used instead."
                in notifications(app))


async def test_user_themes_next_to_the_config_are_offered(aws_settings, tmp_path):
    user = tmp_path / "themes"
    user.mkdir()
    (user / "lab-night.toml").write_text(
        'name = "lab-night"\nprimary = "#88C0D0"\nbackground = "#101418"\n')
    app = lab_app(lab_settings(aws_settings, tmp_path, theme="lab-night"), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.theme == "lab-night"
        assert {"lab-night", *PROJECT_THEMES} <= set(app.project_themes)


def test_shipped_themes_dir_is_the_repository_themes_folder_here():
    assert shipped_themes_dir() == Path(__file__).resolve().parents[2] / "themes"
