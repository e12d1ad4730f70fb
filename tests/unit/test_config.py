"""Configuration: valid files load into frozen dataclasses; every bad file is one sentence."""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from primetui.config import (
    STARTER,
    Settings,
    load_settings,
    parse_settings,
    save_settings,
    save_theme,
    write_starter,
)
from primetui.errors import ConfigError
from primetui.paths import config_path

BAD = Path(__file__).parent.parent / "data" / "bad_configs"

# file → fragments the one sentence must contain (the key or line, and what was expected)
EXPECTED = {
    "syntax_error.toml": ["line 2", "not valid TOML"],
    "unknown_key.toml": ["unknown key 'aws.regoin'", "region"],
    "unknown_section.toml": ["unknown key 'backup'", "backups"],
    "wrong_type_int.toml": ["certificates.warn_days", "an integer"],
    "wrong_type_bool.toml": ["ui.read_only", "true or false"],
    "wrong_type_list.toml": ["certificates.domains", "a list of strings"],
    "missing_required_host.toml": ["servers.prod.host", "required key is missing"],
    "bad_key_path.toml": ["servers.prod.key", "does not exist"],
    "bad_choice.toml": ["certificates.method", "webroot, standalone"],
    "unknown_server_reference.toml": ["certificates.server", "'prodd'"],
    "bad_port.toml": ["servers.prod.port", "between 1 and 65535"],
    "section_not_table.toml": ["aws", "a table"],
    "critical_above_warn.toml": ["certificates.critical_days", "at most warn_days"],
    "empty_path.toml": ["backups.destination", "a path string"],
    "list_item_wrong_type.toml": ["backups.include[1]", "a string"],
    "refresh_too_short.toml": ["ui.refresh", "at least 10 seconds"],
    "refresh_not_seconds.toml": ["ui.refresh", "a positive number"],
}


def test_every_bad_config_file_has_an_expectation() -> None:
    assert sorted(p.name for p in BAD.glob("*.toml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_config_is_one_sentence_naming_file_key_and_expectation(name: str) -> None:
    path = BAD / name
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for fragment in EXPECTED[name]:
        assert fragment in message
    assert "\n" not in message and "Traceback" not in message
    assert info.value.exit_code == 2


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_config_check_exits_2_with_one_line_on_stderr(name: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "primetui", "--config", str(BAD / name),
                           "config", "check"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and EXPECTED[name][0] in lines[0]
    assert "Traceback" not in proc.stderr


def test_starter_config_is_valid_and_written_0600(tmp_path: Path) -> None:
    path = write_starter(tmp_path / "primetui" / "config.toml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings(path)
    assert settings.aws.region == "us-east-2"
    assert settings.ui.theme == "prime-dark"
    assert settings.path == path


def test_config_init_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[ui]\ntheme = 'prime-light'\n")
    with pytest.raises(ConfigError, match="already exists"):
        write_starter(path)
    assert "prime-light" in path.read_text()


def test_settings_are_frozen() -> None:
    settings = parse_settings(STARTER, Path("x.toml"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.ui.theme = "other"  # type: ignore[misc]


def test_full_config_round_trips_through_tomli_w(tmp_path: Path) -> None:
    key = tmp_path / "prod.pem"
    key.write_text("not really a key")
    text = f"""
[aws]
profile = "prime"
region = "us-east-1"
[servers.prod]
host = "prime.example.edu"
key = "{key}"
profile = "ubuntu"
instance = "i-0abc"
[certificates]
domains = ["prime.example.edu"]
endpoints = {{ "prime.example.edu" = "127.0.0.1:8443" }}
[backups]
source = "prod:/home/ubuntu/prime"
keep = 4
[maintenance]
switch = "route53"
[ui]
read_only = true
"""
    first = parse_settings(text, tmp_path / "a.toml")
    out = tmp_path / "b.toml"
    save_settings(first, out)
    second = load_settings(out)
    assert second == first
    assert second.servers["prod"].key == key
    assert second.backups.source == "prod:/home/ubuntu/prime"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_save_theme_keeps_other_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[aws]\nregion = "eu-west-1"\n')
    save_theme(path, "prime-contrast")
    doc = tomllib.loads(path.read_text())
    assert doc == {"aws": {"region": "eu-west-1"}, "ui": {"theme": "prime-contrast"}}


def test_config_path_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("PRIMETUI_CONFIG", raising=False)
    assert config_path() == tmp_path / "xdg" / "primetui" / "config.toml"
    monkeypatch.setenv("PRIMETUI_CONFIG", str(tmp_path / "env.toml"))
    assert config_path() == tmp_path / "env.toml"
    assert config_path(tmp_path / "flag.toml") == tmp_path / "flag.toml"


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="primetui config init"):
        load_settings(tmp_path / "none.toml")


def test_unreadable_bytes_are_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe[aws]\n")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(path)


def test_defaults_when_sections_are_absent() -> None:
    settings = parse_settings("", Path("empty.toml"))
    assert settings == dataclasses.replace(Settings(), path=Path("empty.toml"))
    assert settings.certificates.warn_days == 21


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_permission_denied_is_one_sentence(tmp_path: Path) -> None:  # pragma: no cover
    path = tmp_path / "locked.toml"
    path.write_text("")
    path.chmod(0)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(path)


def test_ui_refresh_defaults_to_two_minutes_and_config_show_lists_it(tmp_path: Path) -> None:
    assert Settings().ui.refresh == 120.0
    assert parse_settings(STARTER, tmp_path / "c.toml").ui.refresh == 120.0
    config = tmp_path / "config.toml"
    config.write_text("[ui]\nrefresh = 300\n")
    config.chmod(0o600)
    assert load_settings(config).ui.refresh == 300.0
    proc = subprocess.run([sys.executable, "-m", "primetui", "--config", str(config), "config",
                           "show", "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    import json

    rows = {r["key"]: r for r in json.loads(proc.stdout)["settings"]}
    assert rows["ui.refresh"]["value"] == 300.0 and rows["ui.refresh"]["source"] == "config file"
