"""`primetui config init|check|path|show`: write, check, locate and explain the config file."""

from __future__ import annotations

import argparse
import sys

from primetui.cli.terminal import Terminal


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `config` and its subcommands to the CLI."""
    cfg = subparsers.add_parser("config", help="write, check, show or locate the config file")
    sub = cfg.add_subparsers(dest="config_command", required=True, parser_class=type(cfg))
    init = sub.add_parser("init", help="write a starter config file")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.add_argument("--discover", action="store_true",
                      help="then look in AWS for prod's EC2 instance and save it (asked on a "
                           "terminal)")
    init.set_defaults(handler=init_command)
    check = sub.add_parser("check", help="validate the config file")
    check.set_defaults(handler=check_command)
    path = sub.add_parser("path", help="print the config file's path")
    path.set_defaults(handler=path_command)
    show = sub.add_parser("show", help="the effective settings and where each came from")
    show.add_argument("--json", action="store_true", help="one JSON document on stdout")
    show.set_defaults(handler=show_command)


def path_command(term: Terminal) -> int:
    """Print the config file's path."""
    from primetui.paths import config_path

    print(config_path(term.args.config))
    return 0


def init_command(term: Terminal) -> int:
    """Write the starter config (`--force` replaces an existing one)."""
    from primetui.config import write_starter
    from primetui.paths import config_path

    path = config_path(term.args.config)
    write_starter(path, force=term.args.force)
    print(f"Wrote a starter config to {path}; edit it, then run 'primetui config check'.")
    if not term.args.discover and not (sys.stdin.isatty() and sys.stdout.isatty()):
        return 0
    if not term.args.discover and input(
            "Look in AWS for prod's EC2 instance now (the maintenance wizard needs it)? [y/N] "
            ).strip().lower() not in ("y", "yes"):
        return 0
    from primetui.cli.maintenance import offer_prod_instance

    offer_prod_instance(term, save=term.args.discover)
    return 0


def check_command(term: Terminal) -> int:
    """Validate the file: exit 0 and a summary when it is good; otherwise every problem in it
    (a "did you mean" for a misspelt key) on stderr, one sentence a line, and exit 2."""
    from primetui.config import check_config_ownership, config_problems, load_settings
    from primetui.paths import config_path

    path = config_path(term.args.config)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        load_settings(term.args.config)  # the one sentence for a missing or unreadable file
        raise
    check_config_ownership(path)  # a file others could write is refused before it is read
    problems = config_problems(text, path)
    if problems:
        for problem in problems:
            term.warn(problem)
        return 2
    settings = load_settings(term.args.config)
    contexts = f", {len(settings.contexts)} context(s)" if settings.contexts else ""
    print(f"{path}: OK ({len(settings.servers)} server(s), "
          f"{len(settings.certificates.domains)} domain(s){contexts}).")
    return 0


def show_command(term: Terminal) -> int:
    """Print the effective AWS settings and every other key, each with where it came from."""
    from primetui.cli.terminal import _context_aws, _file_aws_keys, aws_sources, context_choice
    from primetui.config import DEFAULT_CONTEXT, load_settings, to_document

    settings = load_settings(term.args.config)
    effective = term.settings
    sources = aws_sources(term.args, _file_aws_keys(settings.path), **_context_aws(effective))
    _chosen, origin = context_choice(term.args, settings)
    rows: list[tuple[str, object, str]] = [
        ("config", str(settings.path), _config_source(term.args.config)),
        ("context", effective.context or DEFAULT_CONTEXT,
         {"PRIMETUI_CONTEXT": "environment (PRIMETUI_CONTEXT)",
          "default_context": "config file, default_context"}.get(origin, origin)),
    ]
    if settings.contexts:
        rows.append(("contexts", ", ".join([DEFAULT_CONTEXT, *settings.contexts]), "config file"))
    rows += [
        ("aws.profile", sources["profile"][0], sources["profile"][1]),
        ("aws.region", sources["region"][0], sources["region"][1]),
        ("aws.endpoint_url", *_endpoint(effective.aws.endpoint_url)),
    ]
    written = _written_keys(settings.path)
    by_context = _context_keys(effective)
    if term.args.read_only:
        rows.append(("ui.read_only", True, "--read-only"))
    document = to_document(effective)
    for section, values in document.items():
        if not isinstance(values, dict) or section == "contexts":
            continue
        for key, value in values.items():
            name = f"{section}.{key}"
            if name not in {r[0] for r in rows}:
                source = (f"context {effective.context}" if name in by_context
                          else "config file" if name in written else "default")
                rows.append((name, value, source))
    problems = _keymap_problems(settings.keymap)
    if term.json:
        shown: dict[str, object] = {
            "settings": [{"key": k, "value": v, "source": s} for k, v, s in rows]}
        if problems:
            shown["problems"] = problems
        term.print_json(shown)
        return 0
    width = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        print(f"{key:<{width}}  {_show(value)}  ({source})")
    for problem in problems:
        term.warn(problem)
    return 0


def _keymap_problems(keymap: dict[str, str]) -> list[str]:
    """One sentence per `[keymap]` entry the app leaves out (an unknown id, a bad key)."""
    if not keymap:
        return []
    from primetui.ui.keys import check_keymap

    return check_keymap(keymap)[1]


def _written_keys(path: object) -> set[str]:
    """`section.key` (and `servers.NAME`) for every key written in the file itself."""
    import tomllib
    from pathlib import Path

    try:
        doc = tomllib.loads(Path(str(path)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {f"{section}.{key}" for section, values in doc.items() if isinstance(values, dict)
            for key in values}


def _context_keys(settings: object) -> set[str]:
    """`section.key` for every key the chosen context sets itself (servers: each one)."""
    from primetui.config import CONTEXT_SECTIONS, CONTEXT_SHORTHANDS

    name = getattr(settings, "context", None)
    context = getattr(settings, "contexts", {}).get(name) if name else None
    if context is None:
        return set()
    keys = {f"{section}.{key}" for section in CONTEXT_SECTIONS
            for key in getattr(context, section)}
    keys |= {f"{section}.{inner}" for item, (section, inner) in CONTEXT_SHORTHANDS.items()
             if getattr(context, item) is not None}
    return keys


def _show(value: object) -> str:
    if value is None:
        return "-"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _config_source(flag: str | None) -> str:
    import os

    if flag:
        return "--config"
    return "environment (PRIMETUI_CONFIG)" if os.environ.get("PRIMETUI_CONFIG") else "default"


def _endpoint(configured: str | None) -> tuple[object, str]:
    import os

    env = os.environ.get("AWS_ENDPOINT_URL")
    if env:
        return env, "environment (AWS_ENDPOINT_URL)"
    return configured, "config file" if configured else "default"
