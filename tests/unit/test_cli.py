"""The command line contract: exit codes, one-sentence errors, config and audit commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from primetui import __version__
from primetui.cli.terminal import parse_age
from primetui.errors import UsageError


def primetui(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
             cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "primetui", *args], capture_output=True,
                          text=True, timeout=120, env=env, input=stdin, cwd=cwd)


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """An environment whose XDG dirs are private to the test."""
    env = dict(os.environ)
    env.pop("PRIMETUI_CONFIG", None)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    return env


def test_version() -> None:
    out = primetui("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"primetui {__version__}"


def test_config_path_follows_xdg_and_env(home: dict[str, str], tmp_path: Path) -> None:
    assert primetui("config", "path", env=home).stdout.strip() == str(
        tmp_path / "config" / "primetui" / "config.toml")
    home["PRIMETUI_CONFIG"] = str(tmp_path / "elsewhere.toml")
    assert primetui("config", "path", env=home).stdout.strip() == str(tmp_path / "elsewhere.toml")
    flag = primetui("--config", str(tmp_path / "flag.toml"), "config", "path", env=home)
    assert flag.stdout.strip() == str(tmp_path / "flag.toml")


def test_config_init_then_check(home: dict[str, str], tmp_path: Path) -> None:
    init = primetui("config", "init", env=home)
    assert init.returncode == 0, init.stderr
    path = tmp_path / "config" / "primetui" / "config.toml"
    assert path.is_file() and oct(path.stat().st_mode & 0o777) == "0o600"
    check = primetui("config", "check", env=home)
    assert check.returncode == 0 and "OK" in check.stdout
    again = primetui("config", "init", env=home)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_config_check_without_a_file_is_exit_2(home: dict[str, str]) -> None:
    out = primetui("config", "check", env=home)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "config init" in out.stderr


def test_usage_error_is_one_sentence_exit_2() -> None:
    out = primetui("config", "frobnicate")
    assert out.returncode == 2
    assert out.stderr.startswith("primetui: ") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


def test_audit_json_is_one_document(home: dict[str, str]) -> None:
    out = primetui("audit", "--json", "--since", "7d", env=home)
    assert out.returncode == 0
    assert json.loads(out.stdout) == []


def test_audit_rejects_a_bad_age(home: dict[str, str]) -> None:
    out = primetui("audit", "--since", "a week", env=home)
    assert out.returncode == 2 and "--since" in out.stderr


def test_parse_age_units() -> None:
    assert parse_age("7d") == 7 * 86400
    assert parse_age("12h") == 43200
    assert parse_age("30m") == 1800
    with pytest.raises(UsageError):
        parse_age("7w")


def test_a_bad_config_stops_the_tui_before_it_starts(home: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[ui]\ntheme = 3\n")
    out = primetui("--config", str(bad), env=home)
    assert out.returncode == 2
    assert "ui.theme" in out.stderr and "a string" in out.stderr and "Traceback" not in out.stderr
