"""Shell completion: the bash script completes commands and cached names; a tab press reads the
cache and never calls AWS."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from primetui.sandbox.moto import MotoServer
from primetui.sandbox.seed import SeedResult, seed_lab_account
from tests.cli.cli_helpers import PRIMETUI, Home


def complete_in_bash(home: Home, *words: str) -> list[str]:
    """What bash offers after `primetui WORDS…<TAB>` (the last word is the one being typed)."""
    array = " ".join(f"'{w}'" for w in ("primetui", *words))
    script = (f'eval "$(primetui completion bash)"\n'
              f"COMP_WORDS=({array}); COMP_CWORD={len(words)}\n"
              '_primetui; printf "%s\\n" "${COMPREPLY[@]}"\n')
    env = {**home.env, "PATH": f"{PRIMETUI.parent}:{home.env['PATH']}"}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_commands_and_subcommands(home: Home) -> None:
    assert {"instances", "backup", "certs", "check", "completion"} <= set(complete_in_bash(home, ""))
    assert complete_in_bash(home, "inst") == ["instances"]
    assert set(complete_in_bash(home, "instances", "")) >= {"list", "show", "start", "stop"}
    assert "--confirm" in complete_in_bash(home, "instances", "stop", "--c")
    assert complete_in_bash(home, "completion", "") [:3] == ["bash", "zsh", "fish"]
    # an option's value is not a command word: --context NAME is skipped like --profile NAME
    assert set(complete_in_bash(home, "--context", "staging", "instances", "")) >= {
        "list", "show", "start", "stop"}


@pytest.fixture
def lab(aws_env: dict[str, str], moto_server: MotoServer) -> SeedResult:
    return seed_lab_account(moto_server.endpoint_url)


def test_instance_names_come_from_the_cache_without_calling_aws(
        home: Home, aws_env: dict[str, str], lab: SeedResult) -> None:
    home.env.update(aws_env)
    assert complete_in_bash(home, "instances", "stop", "prime-") == []  # nothing cached yet
    listed = home.run("instances", "list")
    assert listed.returncode == 0, listed.stderr
    cache = json.loads((home.state / "completion.json").read_text())
    assert {"prime-prod", "prime-staging", "prime-db", lab.prod_instance_id} <= set(cache["instances"])
    home.env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # AWS is gone: a tab press must not care
    started = time.monotonic()
    offered = complete_in_bash(home, "instances", "stop", "prime-")
    assert offered == ["prime-db", "prime-prod", "prime-staging"]
    assert time.monotonic() - started < 10


def test_domains_complete_from_the_config_and_backups_from_the_cache(home: Home) -> None:
    home.config.write_text('[servers.prod]\nhost = "prime.example.edu"\n'
                           '[certificates]\ndomains = ["prime.example.edu", "lab.example.edu"]\n')
    assert complete_in_bash(home, "certs", "renew", "") == ["lab.example.edu", "prime.example.edu"]
    (home.state / "completion.json").write_text(
        json.dumps({"backups": ["prime-2026-01-01-0300.tar.gz.gpg"]}))
    assert complete_in_bash(home, "backup", "restore", "prime") == ["prime-2026-01-01-0300.tar.gz.gpg"]


def test_complete_answers_nothing_for_an_unknown_kind_and_never_fails(home: Home) -> None:
    (home.state / "completion.json").write_text("not json")
    done = home.run("__complete", "instances")
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    assert home.run("__complete", "nonsense").stdout == ""


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts(home: Home, shell: str) -> None:
    done = home.run("completion", shell)
    assert done.returncode == 0
    assert "primetui __complete" in done.stdout
    binary = shutil.which(shell)
    if binary:  # when the shell is installed, it must accept the script
        check = ["-n"] if shell == "zsh" else ["--no-execute"]
        script = home.state / f"completion.{shell}"
        script.write_text(done.stdout)
        assert subprocess.run([binary, *check, str(script)], timeout=30).returncode == 0


def test_bash_script_is_valid_bash(home: Home) -> None:
    script = home.state / "completion.bash"
    script.write_text(home.run("completion", "bash").stdout)
    assert subprocess.run(["bash", "-n", str(script)], timeout=30).returncode == 0
