"""Themes: `themes/*.toml` read with tomllib into Textual `Theme` objects.

A theme file mirrors `textual.theme.Theme`: a name, colours, `dark`, and an optional
`[variables]` table of design tokens. Every colour is checked with `Color.parse`; a file
with a problem is skipped and reported (one sentence naming the file), so a bad theme
never stops the app from starting. Textual's `BUILTIN_THEMES` is never touched: themes are
registered on the app instance.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "prime-dark"
"""The theme used when the config names none, or names one that cannot be used."""
FALLBACK_THEME = "textual-dark"
"""Textual's own dark theme: the last resort when even prime-dark is broken."""

COLOUR_KEYS = ("primary", "secondary", "accent", "foreground", "background", "surface",
               "panel", "boost", "warning", "error", "success")
_NUMBER_KEYS = ("luminosity_spread", "text_alpha")
_KNOWN_KEYS = {"name", "dark", "variables", *COLOUR_KEYS, *_NUMBER_KEYS}


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the problem."""


@dataclass
class ThemeLoad:
    """What loading the theme directories gave: usable themes and one sentence per bad file."""

    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def shipped_themes_dir() -> Path:
    """The shipped themes: inside the package when installed from a wheel, else the repo's."""
    import primetui

    package = Path(primetui.__file__).parent
    inside = package / "themes"
    return inside if inside.is_dir() else package.parent / "themes"


def _check_colour(file: Path, key: str, value: object) -> str:
    """A colour value, or `ThemeFileError` saying which key is wrong and why."""
    if not isinstance(value, str):
        raise ThemeFileError(f"{file}: {key}: expected a colour string such as \"#3FA7D6\".")
    colour, _, alpha = value.strip().partition(" ")
    try:
        Color.parse(colour)
    except ColorParseError:
        raise ThemeFileError(f"{file}: {key}: '{value}' is not a colour.") from None
    if alpha and not (alpha.endswith("%") and alpha[:-1].isdigit() and int(alpha[:-1]) <= 100):
        raise ThemeFileError(f"{file}: {key}: expected a colour with an optional "
                             f"percentage such as \"#3FA7D6 35%\", not '{value}'.")
    return value


def parse_theme(text: str, file: Path) -> Theme:
    """One theme file's text → `Theme`; `ThemeFileError` names the file and the problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ThemeFileError(f"{file}: not valid TOML ({err}).") from None
    unknown = sorted(set(doc) - _KNOWN_KEYS)
    if unknown:
        raise ThemeFileError(f"{file}: unknown key '{unknown[0]}' (expected one of: "
                             f"{', '.join(sorted(_KNOWN_KEYS))}).")
    name = doc.get("name", file.stem)
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{file}: name: expected a non-empty string.")
    if "primary" not in doc:
        raise ThemeFileError(f"{file}: primary: required key is missing.")
    colours = {key: _check_colour(file, key, doc[key]) for key in COLOUR_KEYS if key in doc}
    dark = doc.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError(f"{file}: dark: expected true or false.")
    numbers: dict[str, float] = {}
    for key in _NUMBER_KEYS:
        if key in doc:
            value = doc[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ThemeFileError(f"{file}: {key}: expected a number between 0 and 1.")
            numbers[key] = float(value)
    variables = doc.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{file}: variables: expected a table.")
    checked: dict[str, str] = {}
    for key, value in variables.items():
        where = f"variables.{key}"
        if key.endswith("-style"):  # a text style such as "bold" or "none", not a colour
            if not isinstance(value, str):
                raise ThemeFileError(f"{file}: {where}: expected a text style string.")
            checked[key] = value
        else:
            checked[key] = _check_colour(file, where, value)
    return Theme(name=name.strip(), dark=dark, variables=checked, **colours, **numbers)  # type: ignore[arg-type]


def load_theme_file(file: Path) -> Theme:
    """Read and parse one theme file."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or "not UTF-8 text"
        raise ThemeFileError(f"{file}: cannot be read ({reason}).") from None
    return parse_theme(text, file)


def load_themes(directories: Iterable[Path]) -> ThemeLoad:
    """Every `*.toml` theme in the directories, in order (a later file of the same name wins)."""
    load = ThemeLoad()
    for directory in directories:
        if not directory.is_dir():
            continue
        for file in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(file)
            except ThemeFileError as err:
                load.problems.append(f"Theme skipped: {err}")
                continue
            load.themes[theme.name] = theme
    return load


def choose_theme(wanted: str | None, available: Iterable[str]) -> tuple[str, str | None]:
    """The theme to use and, when `wanted` could not be used, the sentence saying so."""
    names = set(available)
    if wanted and wanted in names:
        return wanted, None
    fallback = DEFAULT_THEME if DEFAULT_THEME in names else FALLBACK_THEME
    if not wanted or wanted == fallback:
        return fallback, None
    return fallback, f"The theme '{wanted}' is not available, so {fallback} is used instead."
