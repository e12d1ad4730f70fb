"""The shipped themes parse and every colour in them is valid; bad theme files are refused."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from textual.color import Color

from primetui.ui.themes import (
    COLOUR_KEYS,
    ThemeFileError,
    choose_theme,
    load_themes,
    parse_theme,
    shipped_themes_dir,
)

THEMES = Path(__file__).resolve().parents[2] / "themes"
FILES = sorted(THEMES.glob("*.toml"))


def luminance(colour: str) -> float:
    """WCAG relative luminance of a colour."""
    r, g, b = Color.parse(colour).rgb

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two colours."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_project_ships_dark_light_and_high_contrast_themes():
    assert {f.stem for f in FILES} >= {"prime-dark", "prime-light", "prime-contrast"}
    assert shipped_themes_dir() == THEMES


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.name)
def test_shipped_theme_parses_and_every_colour_is_valid(file: Path):
    doc = tomllib.loads(file.read_text(encoding="utf-8"))
    theme = parse_theme(file.read_text(encoding="utf-8"), file)
    assert theme.name == file.stem == doc["name"]
    for key in COLOUR_KEYS:
        if key in doc:
            Color.parse(doc[key])  # raises on a bad colour
    for key, value in doc.get("variables", {}).items():
        if not key.endswith("-style"):
            Color.parse(value.split(" ")[0])
    assert {"primary", "foreground", "background", "warning", "error", "success"} <= set(doc)


@pytest.mark.parametrize("file", FILES, ids=lambda f: f.name)
def test_shipped_theme_text_is_readable_on_its_background(file: Path):
    doc = tomllib.loads(file.read_text(encoding="utf-8"))
    assert contrast(doc["foreground"], doc["background"]) >= 7
    for key in ("primary", "warning", "error", "success"):
        assert contrast(doc[key], doc["background"]) >= 3, key


def test_high_contrast_theme_is_black_and_white_with_strong_status_colours():
    doc = tomllib.loads((THEMES / "prime-contrast.toml").read_text(encoding="utf-8"))
    assert contrast(doc["foreground"], doc["background"]) == pytest.approx(21, abs=0.1)
    for key in ("primary", "warning", "error", "success", "accent"):
        assert contrast(doc[key], doc["background"]) >= 7, key


@pytest.mark.parametrize("text, problem", [
    ('primary = "#12345G"', "primary: '#12345G' is not a colour."),
    ('primary = 12', "primary: expected a colour string"),
    ('primary = "#123456"\ncolour = "#ffffff"', "unknown key 'colour'"),
    ('background = "#000000"', "primary: required key is missing."),
    ('primary = "#123456"\ndark = "yes"', "dark: expected true or false."),
    ('primary = "#123456"\ntext_alpha = 3', "text_alpha: expected a number between 0 and 1."),
    ('primary = "#123456"\nvariables = 1', "variables: expected a table."),
    ('primary = "#123456"\n[variables]\nborder = "#ffffff 140%"', "variables.border: expected a colour"),
    ('primary = "#123456"\n[variables]\nborder = "nope"', "variables.border: 'nope' is not a colour."),
    ('primary = "#123456"\nname = ""', "name: expected a non-empty string."),
    ('primary = "#1234', "not valid TOML"),
])
def test_bad_theme_is_refused_with_the_file_and_the_problem(text: str, problem: str):
    file = Path("/themes/lab.toml")
    with pytest.raises(ThemeFileError) as caught:
        parse_theme(text, file)
    assert str(caught.value).startswith(f"{file}: ") and problem in str(caught.value)


def test_theme_name_defaults_to_the_file_name_and_styles_are_not_colours():
    theme = parse_theme('primary = "#123456"\n[variables]\nblock-cursor-text-style = "bold"\n'
                       'input-selection-background = "#123456 35%"\n', Path("lab-night.toml"))
    assert theme.name == "lab-night" and theme.dark
    assert theme.variables == {"block-cursor-text-style": "bold",
                               "input-selection-background": "#123456 35%"}


def test_loading_skips_a_bad_file_reports_it_and_keeps_the_rest(tmp_path: Path):
    (tmp_path / "good.toml").write_text('primary = "#123456"\n')
    (tmp_path / "bad.toml").write_text('primary = "blue-ish"\n')
    (tmp_path / "notes.txt").write_text("not a theme")
    loaded = load_themes([tmp_path, tmp_path / "missing"])
    assert list(loaded.themes) == ["good"]
    assert loaded.problems == [f"Theme skipped: {tmp_path / 'bad.toml'}: primary: "
                               "'blue-ish' is not a colour."]


def test_a_later_directory_overrides_a_theme_of_the_same_name(tmp_path: Path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "x.toml").write_text('primary = "#111111"\n')
    (second / "x.toml").write_text('primary = "#222222"\n')
    assert load_themes([first, second]).themes["x"].primary == "#222222"


@pytest.mark.parametrize("wanted, available, expected", [
    ("prime-light", {"prime-dark", "prime-light"}, ("prime-light", None)),
    (None, {"prime-dark", "textual-dark"}, ("prime-dark", None)),
    (None, {"textual-dark"}, ("textual-dark", None)),
    ("nope", {"prime-dark"}, ("prime-dark", "The theme 'nope' is not available, so prime-dark "
                                           "is used instead.")),
    ("prime-dark", {"textual-dark"}, ("textual-dark", "The theme 'prime-dark' is not available, "
                                                      "so textual-dark is used instead.")),
])
def test_choose_theme_falls_back_and_says_so(wanted, available, expected):
    assert choose_theme(wanted, available) == expected
