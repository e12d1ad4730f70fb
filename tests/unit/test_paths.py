"""Where the files go: the XDG base directories, whatever the system."""

from __future__ import annotations

from pathlib import Path

import pytest

from primetui.paths import audit_log_path, config_path, state_dir


def test_files_follow_xdg_config_and_state_homes(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.delenv("PRIMETUI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert config_path() == tmp_path / "config" / "primetui" / "config.toml"
    assert state_dir() == tmp_path / "state" / "primetui"
    assert (tmp_path / "state" / "primetui").stat().st_mode & 0o777 == 0o700
    assert audit_log_path() == tmp_path / "state" / "primetui" / "audit.jsonl"


def test_files_default_to_dot_config_and_dot_local_state(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.delenv("PRIMETUI_CONFIG", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_path() == tmp_path / ".config" / "primetui" / "config.toml"
    assert state_dir() == tmp_path / ".local" / "state" / "primetui"


def test_the_crash_log_folder_is_made_only_when_there_is_a_crash(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from primetui.cli.main import _crash_log, crash_log_path

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = crash_log_path()
    assert path == tmp_path / "state" / "primetui" / "crash.log"
    assert not (tmp_path / "state").exists()  # a clean run (the demo) leaves nothing behind
    assert _crash_log("boom") == path and path.read_text() == "boom\n"
    assert path.parent.stat().st_mode & 0o777 == 0o700 and path.stat().st_mode & 0o777 == 0o600
