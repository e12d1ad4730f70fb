"""The rest of the command-line contract: ISO 8601 times in JSON, --json on action commands,
`check` exit 3 for unknown, `paths`, `config init --force`, examples in --help, the debug log."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime
from pathlib import Path

import pytest

from tests.cli.cli_helpers import Home, one_sentence


def zoned(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


def test_action_json_says_what_ran_the_outcome_and_the_error(home: Home) -> None:
    ok = home.run("practice", "--yes", "--json")
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert (doc["action"], doc["outcome"], doc["error"]) == ("practice.notice", "succeeded", None)
    assert [s["state"] for s in doc["steps"]][-1] == "done"
    zoned(doc["started_at"])
    failed = home.run("practice", "--yes", "--fail", "--json")
    assert failed.returncode == 1
    doc = json.loads(failed.stdout)
    assert doc["outcome"] == "failed" and doc["error"]
    last = failed.stderr.splitlines()[-1]  # with --json the plan and progress go to stderr
    assert last.startswith("primetui: Practice: post a maintenance notice failed:")
    dry = home.run("practice", "--dry-run", "--json")
    assert json.loads(dry.stdout)["outcome"] == "dry run"


def test_audit_json_times_are_iso_8601_with_zone(home: Home) -> None:
    assert home.run("practice", "--yes").returncode == 0
    done = home.run("audit", "--json")
    entries = json.loads(done.stdout)
    assert len(entries) == 1 and entries[0]["action"] == "practice.notice"
    assert abs(zoned(entries[0]["when"]).timestamp() - datetime.now().timestamp()) < 120


def test_backup_list_json_times_are_iso_8601_with_zone(home: Home, tmp_path: Path) -> None:
    source, dest = tmp_path / "prime", tmp_path / "backups"
    source.mkdir()
    (source / ".env").write_text("SECRET=1\n")
    home.config.write_text(f'[backups]\nsource = "{source}"\ndestination = "{dest}"\n')
    passphrase = tmp_path / "pass"
    passphrase.write_text("a long practice passphrase for tests\n")
    passphrase.chmod(0o600)
    made = home.run("backup", "create", "--passphrase-file", str(passphrase))
    assert made.returncode == 0, made.stderr
    done = home.run("backup", "list", "--json")
    backups = json.loads(done.stdout)["backups"]
    assert len(backups) == 1
    zoned(backups[0]["created"])
    assert backups[0]["last_verified"] is None or zoned(backups[0]["last_verified"])


def test_check_exits_3_unknown_on_a_bad_config(home: Home) -> None:
    home.config.write_text("[backups]\nkeep = 'many'\n")
    done = home.run("check")
    assert done.returncode == 3
    assert "backups.keep" in one_sentence(done.stderr)
    as_json = home.run("check", "--json")
    assert as_json.returncode == 3
    assert json.loads(as_json.stdout)["status"] == "unknown"


def test_check_json_time_is_iso_8601(home: Home, tmp_path: Path) -> None:
    home.config.write_text(f'[backups]\nsource = "{tmp_path}"\ndestination = "{tmp_path / "b"}"\n')
    done = home.run("check", "--json", "--timeout", "5",
                    extra={"AWS_EC2_METADATA_DISABLED": "true",
                           "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert done.returncode in (0, 1, 2), done.stderr
    zoned(json.loads(done.stdout)["checked_at"])


def test_readme_documents_check_exit_codes() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "3 unknown" in readme


def test_paths_names_every_file(home: Home) -> None:
    done = home.run("paths", "--json")
    paths = json.loads(done.stdout)
    assert paths["config"] == str(home.config)
    assert paths["audit"] == str(home.state / "audit.jsonl")
    assert paths["crash_log"] == str(home.state / "crash.log")
    assert {"state", "themes", "shipped_themes", "debug_log"} <= set(paths)
    assert Path(paths["shipped_themes"]).is_dir()


def test_config_init_force_replaces_the_file(home: Home) -> None:
    home.config.write_text("# mine\n")
    again = home.run("config", "init")
    assert again.returncode == 2 and "already exists" in one_sentence(again.stderr)
    assert home.config.read_text() == "# mine\n"
    forced = home.run("config", "init", "--force")
    assert forced.returncode == 0 and "[backups]" in home.config.read_text()


@pytest.mark.parametrize("command", [
    [], ["config", "show"], ["audit"], ["paths"], ["instances", "stop"], ["maintenance", "on"],
    ["backup", "create"], ["check"], ["certs", "renew"], ["schedules", "list"], ["report"],
])
def test_help_ends_with_an_example(home: Home, command: list[str]) -> None:
    done = home.run(*command, "--help")
    assert done.returncode == 0
    example = done.stdout.split("Example:\n", 1)[1].strip()
    assert example.startswith("primetui" if command else "primetui --config")
    assert " ".join(command) in example


def test_debug_log_rotates_under_the_state_dir_and_hides_secrets(home: Home) -> None:
    done = home.run("instances", "list", "--debug",
                    extra={"AWS_ACCESS_KEY_ID": "AKIAABCDEFGHIJKLMNOP",
                           "AWS_SECRET_ACCESS_KEY": "s3cr3t-key-that-must-not-leak",
                           "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
                           "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert done.returncode == 1  # nothing answers on port 9
    log = home.state / "primetui.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert "botocore" in text and "DEBUG" in text
    assert "s3cr3t-key-that-must-not-leak" not in text and "AKIAABCDEFGHIJKLMNOP" not in text


def test_log_file_puts_the_log_where_asked(home: Home, tmp_path: Path) -> None:
    target = tmp_path / "logs" / "run.log"
    done = home.run("audit", "--log-file", str(target))
    assert done.returncode == 0
    assert target.is_file() and "debug log started" in target.read_text()
    assert not os.path.exists(home.state / "primetui.log")


def test_config_check_lists_every_problem_with_did_you_mean(home: Home) -> None:
    home.config.write_text('[aws]\nregoin = "eu-west-1"\nmax_attempts = "four"\n'
                           '[servers.prod]\nhost = "prime.example.edu"\nprot = 22\n'
                           '[certificates]\nmethod = "magic"\n[ui]\ntheem = "nord"\n')
    done = home.run("config", "check")
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 5 and all(line.startswith(f"primetui: {home.config}: ") for line in lines)
    assert "unknown key 'aws.regoin' (did you mean 'region'?)" in lines[0]
    assert "aws.max_attempts: expected an integer" in lines[1]
    assert "unknown key 'servers.prod.prot' (did you mean 'port'?)" in lines[2]
    assert "certificates.method: expected one of webroot, standalone" in lines[3]
    assert "unknown key 'ui.theem' (did you mean 'theme'?)" in lines[4]


def test_config_check_reports_references_once_keys_are_well_formed(home: Home) -> None:
    home.config.write_text('[certificates]\ndomains = ["prime.example.edu"]\nserver = "prdo"\n')
    done = home.run("config", "check")
    assert done.returncode == 2
    assert "certificates.server" in one_sentence(done.stderr)


def test_config_show_says_where_each_value_came_from(home: Home) -> None:
    done = home.run("config", "show", extra={"AWS_DEFAULT_REGION": "sa-east-1"})
    assert done.returncode == 0
    rows = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert rows["aws.region"].endswith("sa-east-1  (environment (AWS_DEFAULT_REGION))")
    assert "(default)" in rows["aws.profile"]
    assert str(home.config) in rows["config"]
    assert rows["backups.keep"].endswith("(config file)")  # the starter writes it
    home.config.write_text("[ui]\nread_only = true\n")
    rows = {line.split()[0]: line for line in home.run("config", "show").stdout.splitlines()}
    assert rows["ui.read_only"].endswith("true  (config file)")
    assert rows["backups.keep"].endswith("8  (default)")


def test_every_command_has_an_example_in_its_help() -> None:
    import argparse

    from primetui.cli.main import _leaves, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for path, leaf in _leaves(sub):
        assert leaf.epilog and leaf.epilog.startswith("Example:\n  primetui "), path
        assert path.split()[0] in leaf.epilog, path


def test_no_command_module_imports_cli_main() -> None:
    """main parses and dispatches; every command module reaches the rest through terminal.py."""
    import ast

    folder = Path(__file__).resolve().parents[2] / "primetui" / "cli"
    for module in folder.glob("*.py"):
        if module.name == "main.py":
            continue
        tree = ast.parse(module.read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "primetui.cli.main" not in imported, module.name


def test_the_cli_builds_services_one_way() -> None:
    """Only terminal.py makes a Services; the command modules take term.services."""
    folder = Path(__file__).resolve().parents[2] / "primetui" / "cli"
    makers = [m.name for m in folder.glob("*.py")
              if "Services(" in m.read_text() or "from_settings(" in m.read_text()
              or "from_services(" in m.read_text()]
    assert makers == ["terminal.py"]


@pytest.mark.parametrize(("argv", "named"), [
    (["backup", "verify", "F"], "backup"),
    (["--context", "audit", "--region", "eu-west-1", "instances", "list"], "instances"),
    (["--config", "check", "report"], "report"),
    (["--debug", "certs", "list", "audit"], "certs"),
    (["--help", "backup"], None),  # the top-level help lists every command
    (["-h"], None),
    (["frob"], None),
    ([], None),
])
def test_named_command_reads_the_command_past_option_values(argv: list[str],
                                                              named: str | None) -> None:
    from primetui.cli.main import named_command

    assert named_command(argv) == named


def test_a_command_builds_only_its_own_grammar(home: Home) -> None:
    """`backup list` neither imports nor parses the other commands' modules; a usage error
    still names every command when the word was no command."""
    import subprocess
    import sys

    code = ("import sys\nfrom primetui.cli.main import main\ncode = main(['backup', 'list'])\n"
            "print(code, sorted(m for m in sys.modules if m.startswith('primetui.cli.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=home.env, timeout=60)
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("0 "), done.stderr
    assert "'primetui.cli.backup'" in last
    for other in ("instances", "certs", "maintenance", "schedules", "report", "check"):
        assert f"'primetui.cli.{other}'" not in last
    wrong = home.run("--region", "backup", "frob")
    assert wrong.returncode == 2
    assert "choose from 'config'" in wrong.stderr and "'maintenance'" in wrong.stderr
