"""Where primetui keeps its files (XDG base directories through platformdirs).

The XDG rules on every system, macOS included, so the files are where the README says.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs.unix import Unix

APP = "primetui"


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file: `--config`, else `PRIMETUI_CONFIG`, else XDG config dir."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("PRIMETUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return Unix(APP).user_config_path / "config.toml"


def state_dir(*, create: bool = True) -> Path:
    """The XDG state dir (audit log, wizard progress), created with mode 0700 unless
    `create` is False (the crash log's folder is made only when there is a crash to log)."""
    path = Unix(APP).user_state_path
    if create:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def audit_log_path() -> Path:
    """The append-only JSONL audit log."""
    return state_dir() / "audit.jsonl"
