"""`primetui paths`: where primetui keeps its files (config, state, audit, logs, themes)."""

from __future__ import annotations

import argparse

from primetui.cli.terminal import Terminal


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `paths` to the CLI."""
    parser = subparsers.add_parser(
        "paths", help="where the config, state, audit log, crash log and themes are")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.set_defaults(handler=paths_command)


def known_paths(config: str | None) -> dict[str, str]:
    """Every file and folder primetui reads or writes, by what it is."""
    from primetui.cli.logs import LOG_NAME
    from primetui.paths import audit_log_path, config_path, state_dir

    state = state_dir()
    return {
        "config": str(config_path(config)),
        "state": str(state),
        "audit": str(audit_log_path()),
        "crash_log": str(state / "crash.log"),
        "debug_log": str(state / LOG_NAME),
        "completion_cache": str(state / "completion.json"),
        "themes": str(config_path(config).parent / "themes"),
        "shipped_themes": str(themes_dir()),
    }


def themes_dir() -> str:
    """The shipped themes' folder (the user's own go in `themes/` next to the config)."""
    from pathlib import Path

    import primetui

    package = Path(primetui.__file__).resolve().parent
    for candidate in (package / "themes", package.parent / "themes"):
        if candidate.is_dir():
            return str(candidate)
    return str(package / "themes")


def paths_command(term: Terminal) -> int:
    """Print each path with what it is for."""
    paths = known_paths(term.args.config)
    if term.json:
        term.print_json(paths)
        return 0
    width = max(len(k) for k in paths)
    for key, value in paths.items():
        print(f"{key:<{width}}  {value}")
    return 0
