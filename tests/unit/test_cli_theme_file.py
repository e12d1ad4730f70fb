"""Choosing a theme edits the user's config file in place: comments, order and spacing survive."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from primetui.config import parse_settings, save_theme
from primetui.errors import ConfigError

USERS_FILE = """\
# The lab's primetui config — keep this comment.
[aws]
region = "eu-west-1"   # where the lab lives

[backups]
# weekly, as the runbook says
keep = 8

[ui]
read_only = false  # trust me
theme = "prime-dark"
"""


def test_theme_choice_keeps_comments_and_order(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text(USERS_FILE)
    save_theme(file, "prime-light")
    expected = USERS_FILE.replace('theme = "prime-dark"', 'theme = "prime-light"')
    assert file.read_text() == expected
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert parse_settings(file.read_text(), file).ui.theme == "prime-light"


def test_theme_choice_adds_a_ui_table_at_the_end_when_there_is_none(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('# mine\n[aws]\nregion = "us-east-2"  # here\n')
    save_theme(file, "nord")
    text = file.read_text()
    assert text.startswith('# mine\n[aws]\nregion = "us-east-2"  # here\n')
    assert tomllib.loads(text)["ui"] == {"theme": "nord"}


def test_theme_choice_refuses_a_broken_file_and_leaves_it_alone(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text("[ui\ntheme = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        save_theme(file, "nord")
    assert file.read_text() == "[ui\ntheme = 1\n"
