"""Where primetui keeps its files (XDG base directories through platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "primetui"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file: `--config`, else `PRIMETUI_CONFIG`, else XDG config dir."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("PRIMETUI_CONFIG")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP / "config.toml"


def state_dir() -> Path:
    """The XDG state dir (audit log, wizard progress), created with mode 0700."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    path = Path(base) / APP
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def audit_log_path() -> Path:
    """The append-only JSONL audit log."""
    return state_dir() / "audit.jsonl"
