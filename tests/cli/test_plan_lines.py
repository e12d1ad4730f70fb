"""Commands shown in plans are the commands that run, ready to copy: ssh/scp with the server's
port and key, sudo only where the host uses it and wrapping a whole pipeline, the backup file
really written, the description update-schedule keeps, the key pair call really made."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from primetui.sandbox.moto import MotoServer
from primetui.sandbox.seed import SeedResult, seed_lab_account
from tests.cli.cli_helpers import Home


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "lab key"  # a space, to see it quoted
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


def maintenance_steps(home: Home, key: Path, *, prod_sudo: bool) -> dict[str, list[str]]:
    home.config.write_text(
        f'[servers.prod]\nhost = "prime.example.edu"\nport = 2222\nkey = "{key}"\n'
        f'sudo = {str(prod_sudo).lower()}\ninstance = "i-0123456789abcdef0"\n'
        f'[servers.maint]\nhost = "203.0.113.9"\nuser = "ec2-user"\nkey = "{key}"\n'
        f'profile = "al2023"\n'
        f'[maintenance]\ndomain = "prime.example.edu"\nprod = "prod"\nadmin_cidr = "203.0.113.0/24"\nserver = "maint"\n')
    done = home.run("maintenance", "plan", "--json")
    assert done.returncode == 0, done.stderr
    return {s["key"]: s["commands"] for s in json.loads(done.stdout)["steps"]}


def test_ssh_and_scp_lines_carry_port_and_key_and_parse_as_one_remote_command(
        home: Home, key: Path) -> None:
    steps = maintenance_steps(home, key, prod_sudo=False)
    quoted_key = shlex.quote(str(key))
    tar, fetch, *_ = steps["certificates"]
    assert tar.startswith(f"ssh -p 2222 -i {quoted_key} ubuntu@prime.example.edu ")
    assert fetch.startswith(f"scp -P 2222 -i {quoted_key} ubuntu@prime.example.edu:")
    words = shlex.split(tar)
    assert len(words) == 7  # ssh -p 2222 -i KEY user@host 'the whole remote command'
    assert words[6].startswith("umask 077 && tar czf ")
    assert steps["preflight"][2].startswith(f"ssh -p 2222 -i {quoted_key} ubuntu@prime.example.edu")


def test_sudo_is_not_shown_where_the_host_has_sudo_false(home: Home, key: Path) -> None:
    without = maintenance_steps(home, key, prod_sudo=False)
    prod_lines = [without["certificates"][0], without["certificates"][2], without["preflight"][2]]
    assert not any("sudo" in shlex.split(line)[-1] for line in prod_lines)
    with_sudo = maintenance_steps(home, key, prod_sudo=True)
    remote = shlex.split(with_sudo["preflight"][2])[-1]
    assert remote.startswith("sudo sh -c ") and "&&" in shlex.split(remote)[-1]


def test_sudo_lines_name_their_host_and_wrap_whole_pipelines(home: Home, key: Path) -> None:
    steps = maintenance_steps(home, key, prod_sudo=True)
    for line in steps["install"] + steps["site"]:
        if not line.startswith("curl "):  # the check from here, not a command on a host
            assert line.startswith(("ssh ", "scp ")), line  # each says which host it runs on
    remote = [shlex.split(line)[-1] for line in steps["install"] if line.startswith("ssh ")]
    pipeline = next(r for r in remote if "&&" in r)
    assert pipeline.startswith("sudo sh -c ") and len(shlex.split(pipeline)) == 4
    single = next(r for r in remote if "systemctl" in r)
    assert single == "sudo systemctl enable --now nginx"


def test_the_key_pair_line_is_the_call_really_made(home: Home, key: Path) -> None:
    launch = maintenance_steps(home, key, prod_sudo=True)["launch"]
    assert any(line.startswith("aws ec2 import-key-pair ") for line in launch)  # key imported
    assert any(f"ssh-keygen -y -f {shlex.quote(str(key))}" in line for line in launch)
    assert not any("create-key-pair" in line for line in launch)
    home.config.write_text('[servers.prod]\nhost = "prime.example.edu"\ninstance = "i-0abc"\n'
                           '[maintenance]\ndomain = "prime.example.edu"\nprod = "prod"\nadmin_cidr = "203.0.113.0/24"\n')
    done = home.run("maintenance", "plan", "--json")
    created = {s["key"]: s["commands"] for s in json.loads(done.stdout)["steps"]}["launch"][0]
    assert created.startswith("aws ec2 create-key-pair ")


@pytest.fixture
def project(home: Home, tmp_path: Path) -> tuple[Path, Path, Path]:
    source, dest = tmp_path / "prime", tmp_path / "backups"
    (source / "config").mkdir(parents=True)
    (source / ".env").write_text("A=1\n")
    (source / "config" / "app.toml").write_text("x = 1\n")
    home.config.write_text(f'[backups]\nsource = "{source}"\ndestination = "{dest}"\n'
                           f'include = [".env", ".env.*", "config/"]\n')
    passphrase = tmp_path / "pass"
    passphrase.write_text("a long practice passphrase for tests\n")
    passphrase.chmod(0o600)
    return source, dest, passphrase


def test_backup_plan_lists_only_globs_that_exist(home: Home, project) -> None:
    done = home.run("backup", "create", "--dry-run", "--json")
    pipeline = json.loads(done.stdout)["steps"][0]["commands"][1]
    assert "tar czf - .env config/)" in pipeline and ".env.*" not in pipeline


def test_a_second_backup_the_same_day_is_shown_under_the_name_it_gets(home: Home, project) -> None:
    _source, dest, passphrase = project
    first = home.run("backup", "create", "--passphrase-file", str(passphrase), "--json")
    assert first.returncode == 0, first.stderr
    plan = home.run("backup", "create", "--dry-run", "--json")
    shown = json.loads(plan.stdout)["steps"][0]["commands"][1].rsplit("> ", 1)[1]
    before = {p.name for p in dest.iterdir()}
    assert Path(shlex.split(shown)[0]).name not in before  # not shown as overwriting the first
    second = home.run("backup", "create", "--passphrase-file", str(passphrase), "--json")
    assert second.returncode == 0, second.stderr
    written = {p.name for p in dest.iterdir()} - before
    ran = json.loads(second.stdout)["steps"][0]["commands"][1].rsplit("> ", 1)[1]
    assert written == {Path(shlex.split(ran)[0]).name}


@pytest.fixture
def lab(aws_env: dict[str, str], moto_server: MotoServer) -> SeedResult:
    return seed_lab_account(moto_server.endpoint_url)


def test_update_schedule_keeps_the_description(home: Home, aws_env: dict[str, str],
                                               lab: SeedResult) -> None:
    home.env.update(aws_env)
    home.config.write_text('[aws]\nregion = "us-east-2"\n')
    done = home.run("schedules", "disable", "prime-stop-evenings", "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    update = json.loads(done.stdout)["steps"][0]["commands"][1]
    assert update.startswith("aws scheduler update-schedule ")
    assert "--description 'Stop the prime instances on weekdays'" in update
