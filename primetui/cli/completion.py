"""`primetui completion bash|zsh|fish`: shell completion of commands, options and names.

Instance names, domains and backup names come from a small cache in the state directory
(`completion.json`), written whenever `instances list`, `certs list` or `backup list` runs
(and domains from the config file): a tab press never calls AWS or a server. The shell asks
`primetui __complete KIND`, which main() answers before building the parser, so a tab press
costs a bare Python start.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterable
from pathlib import Path

from primetui.cli.terminal import Terminal

KINDS = ("instances", "domains", "backups")
"""What the cache holds, by kind."""

NAME_ARGUMENTS = {
    "instances show": "instances", "instances start": "instances", "instances stop": "instances",
    "certs renew": "domains", "backup verify": "backups", "backup restore": "backups",
}
"""Which command's positional argument completes from which kind of name."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `completion` to the CLI."""
    parser = subparsers.add_parser(
        "completion", help="print a shell completion script (bash, zsh or fish)")
    parser.add_argument("shell", choices=("bash", "zsh", "fish"))
    parser.set_defaults(handler=completion_command)


def cache_path() -> Path:
    """The completion cache in the state directory."""
    from primetui.paths import state_dir

    return state_dir() / "completion.json"


def remember(kind: str, names: Iterable[str]) -> None:
    """Replace one kind of name in the cache (best effort: completion is never worth a failure)."""
    try:
        path = cache_path()
        try:
            cache = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(cache, dict):
                cache = {}
        except (OSError, ValueError):
            cache = {}
        cache[kind] = sorted({n for n in names if n and not any(c.isspace() for c in n)})
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(cache, out)
        os.replace(tmp, path)
    except OSError:
        pass


def names(kind: str) -> list[str]:
    """The cached names of one kind (domains also from the config file, read locally)."""
    try:
        cache = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    found = set(cache.get(kind, [])) if isinstance(cache, dict) else set()
    if kind == "domains":
        try:
            from primetui.config import load_settings

            found.update(load_settings(os.environ.get("PRIMETUI_CONFIG")).certificates.domains)
        except Exception:  # noqa: BLE001 - a bad config must not break a tab press
            pass
    return sorted(found)


def answer(argv: list[str]) -> int:
    """`primetui __complete KIND`: one cached name per line, nothing else, never an error."""
    kind = argv[0] if argv else ""
    if kind in KINDS:
        for name in names(kind):
            print(name)
    return 0


# ---------------------------------------------------------------------------- scripts


def _tree(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Command path ("", "instances", "instances stop") → the words that may follow it."""
    tree: dict[str, list[str]] = {}

    def walk(p: argparse.ArgumentParser, path: str) -> None:
        options = [o for a in p._actions for o in a.option_strings if o.startswith("--")]
        subs = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        choices = [str(c) for a in p._actions if not a.option_strings and a.choices
                   and not isinstance(a, argparse._SubParsersAction) for c in a.choices]
        words = choices + options
        if subs:
            children = [n for n in subs[0].choices if not n.startswith("_")]
            words = children + words
            for name in children:
                walk(subs[0].choices[name], f"{path} {name}".strip())
        tree[path] = words

    walk(parser, "")
    return tree


def bash_script(tree: dict[str, list[str]]) -> str:
    """A bash completion function for the whole grammar."""
    cases = "\n".join(f'        "{path}") words="{" ".join(words)}" ;;'
                      for path, words in sorted(tree.items()))
    names = "\n".join(f'        "{path}") kind={kind} ;;' for path, kind in NAME_ARGUMENTS.items())
    return f"""# primetui completion for bash: eval "$(primetui completion bash)"
_primetui() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" path="" word i words="" kind=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        case "$word" in
            --config|--context|--profile|--region|--log-file) ((i++)) ;;
            -*) ;;
            *) path="${{path:+$path }}$word" ;;
        esac
    done
    case "$path" in
{names}
    esac
    if [[ -n "$kind" && "$cur" != -* ]]; then
        COMPREPLY=($(compgen -W "$(command primetui __complete "$kind" 2>/dev/null)" -- "$cur"))
        return
    fi
    case "$path" in
{cases}
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -F _primetui primetui
"""


def zsh_script(tree: dict[str, list[str]]) -> str:
    """zsh through its bash-completion layer (the same function)."""
    return ("# primetui completion for zsh: eval \"$(primetui completion zsh)\"\n"
            "autoload -U +X compinit && compinit\n"
            "autoload -U +X bashcompinit && bashcompinit\n"
            + bash_script(tree).split("\n", 1)[1])


def fish_script(tree: dict[str, list[str]]) -> str:
    """fish `complete` lines: subcommands, options, and the cached names."""
    lines = ["# primetui completion for fish: primetui completion fish | source",
             "complete -c primetui -f"]
    for path, words in sorted(tree.items()):
        parts = path.split()
        children = [w for w in words if not w.startswith("-")]
        options = [w[2:] for w in words if w.startswith("--")]
        if not parts:
            cond = "__fish_use_subcommand"
        else:
            cond = " ; and ".join(f"__fish_seen_subcommand_from {p}" for p in parts)
            if children:
                cond += f" ; and not __fish_seen_subcommand_from {' '.join(children)}"
        if children:
            lines.append(f"complete -c primetui -n '{cond}' -a '{' '.join(children)}'")
        for option in options:
            lines.append(f"complete -c primetui -n '{cond}' -l {option}")
    for path, kind in NAME_ARGUMENTS.items():
        cond = " ; and ".join(f"__fish_seen_subcommand_from {p}" for p in path.split())
        lines.append(f"complete -c primetui -n '{cond}' -a '(primetui __complete {kind} 2>/dev/null)'")
    return "\n".join(lines) + "\n"


def completion_command(term: Terminal) -> int:
    """Print the script for the shell asked for (from the grammar main parsed with)."""
    assert term.parser is not None, "completion is answered from the parsed grammar"
    tree = _tree(term.parser)
    script = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}[term.args.shell](tree)
    print(script, end="")
    return 0
