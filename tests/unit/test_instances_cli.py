"""`primetui instances …` and `primetui schedules …` as scripts and cron call them, run as
subprocesses against the moto server (AWS_ENDPOINT_URL and dummy keys in the environment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from primetui.sandbox.moto import MotoServer
from primetui.sandbox.seed import SeedResult, seed_lab_account

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def lab(aws_env: dict[str, str], moto_server: MotoServer) -> SeedResult:
    return seed_lab_account(moto_server.endpoint_url)


@pytest.fixture
def env(aws_env: dict[str, str], tmp_path: Path, lab: SeedResult) -> dict[str, str]:
    """A private config (no endpoint in it: AWS_ENDPOINT_URL does that) and state dir."""
    config = tmp_path / "config.toml"
    config.write_text('[aws]\nregion = "us-east-2"\n')
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PRIMETUI_")}
    environment.update(PRIMETUI_CONFIG=str(config), XDG_STATE_HOME=str(tmp_path / "state"),
                       PYTHONPATH=str(REPO))
    return environment


def cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "primetui", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120, cwd=REPO)


def state(lab: SeedResult, ref: str) -> str:
    import boto3

    if ref == "prime-db":
        rds = boto3.client("rds")
        return rds.describe_db_instances(DBInstanceIdentifier=ref)["DBInstances"][0]["DBInstanceStatus"]
    ec2 = boto3.client("ec2")
    return ec2.describe_instances(InstanceIds=[ref])["Reservations"][0]["Instances"][0]["State"]["Name"]


def one_sentence(err: str) -> str:
    assert err.startswith("primetui: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err.removeprefix("primetui: ").strip()


def test_list_json_is_one_document_with_schedules_and_hours(env: dict[str, str], lab: SeedResult) -> None:
    done = cli(env, "instances", "list", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    rows = {i["name"]: i for i in doc["instances"]}
    assert set(rows) == {"prime-prod", "prime-staging", "prime-db"}
    prod = rows["prime-prod"]
    assert (prod["id"], prod["kind"], prod["state"], prod["protected"]) == (
        lab.prod_instance_id, "EC2", "running", True)
    assert prod["tags"]["Environment"] == "prod"
    assert prod["schedules"] == ["prime/prime-start-mornings", "prime/prime-stop-evenings"]
    assert prod["scheduled_hours"] == 65.0
    assert rows["prime-db"]["endpoint"].endswith(":5432")
    assert doc["schedules_error"] is None


def test_list_prints_a_table(env: dict[str, str], lab: SeedResult) -> None:
    done = cli(env, "instances", "list")
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:5] == ["NAME", "ID", "KIND", "TYPE", "STATE"]
    assert any(r.startswith("prime-prod") and "protected" in r and "65 h/wk" in r for r in rows)


def test_stop_and_start_ec2_with_yes_and_wait(env: dict[str, str], lab: SeedResult) -> None:
    stopped = cli(env, "instances", "stop", "prime-staging", "--yes", "--wait")
    assert stopped.returncode == 0 and "already stopped; nothing to do" in stopped.stdout
    started = cli(env, "instances", "start", "prime-staging", "--yes", "--wait")
    assert started.returncode == 0, started.stderr
    assert f"$ aws ec2 start-instances --instance-ids {lab.staging_instance_id}" in started.stdout
    assert "prime-staging: stopped → pending" in started.stdout
    assert "Done: Start EC2 instance prime-staging" in started.stdout
    assert state(lab, lab.staging_instance_id) == "running"


def test_stop_and_start_rds_says_when_aws_restarts_it(env: dict[str, str], lab: SeedResult) -> None:
    stopped = cli(env, "instances", "stop", "prime-db", "--yes", "--confirm", "prime-db", "--wait")
    assert stopped.returncode == 0, stopped.stderr
    assert "$ aws rds stop-db-instance --db-instance-identifier prime-db" in stopped.stdout
    assert "AWS starts a stopped RDS instance again automatically after 7 days: on " in stopped.stdout
    assert state(lab, "prime-db") == "stopped"
    started = cli(env, "instances", "start", "prime-db", "--yes", "--confirm", "prime-db")
    assert started.returncode == 0, started.stderr
    assert state(lab, "prime-db") == "available"


def test_starting_a_running_instance_says_so_and_does_nothing(env: dict[str, str], lab: SeedResult) -> None:
    done = cli(env, "instances", "start", "prime-prod")
    assert done.returncode == 0
    assert done.stdout == "prime-prod is already running; nothing to do.\n"


def test_refuses_without_yes_when_stdin_is_not_a_terminal(env: dict[str, str], lab: SeedResult) -> None:
    done = cli(env, "instances", "stop", "prime-prod")
    assert done.returncode == 2
    assert one_sentence(done.stderr) == ("Refusing to change anything without a terminal to ask "
                                         "on; pass --yes --confirm prime-prod (prime-prod is "
                                         "protected).")
    assert state(lab, lab.prod_instance_id) == "running"


def test_protected_instance_needs_its_name_typed_on_the_terminal(env: dict[str, str],
                                                                 lab: SeedResult) -> None:
    def on_terminal(typed: str) -> subprocess.CompletedProcess[str]:
        controller, terminal = os.openpty()
        try:
            os.write(controller, typed.encode())
            return subprocess.run([sys.executable, "-m", "primetui", "instances", "stop", "prime-prod"],
                                  env=env, stdin=terminal, capture_output=True, text=True,
                                  timeout=120, cwd=REPO)
        finally:
            os.close(terminal)
            os.close(controller)

    wrong = on_terminal("prime-staging\n")
    assert wrong.returncode == 2
    assert one_sentence(wrong.stderr) == "The name did not match, so nothing was done."
    assert state(lab, lab.prod_instance_id) == "running"
    right = on_terminal("prime-prod\n")
    assert right.returncode == 0, right.stderr
    assert "prime-prod is protected: type its name to go on:" in right.stdout
    assert state(lab, lab.prod_instance_id) in ("stopping", "stopped")


def test_read_only_refuses_to_start_or_stop(env: dict[str, str], lab: SeedResult) -> None:
    done = cli(env, "--read-only", "instances", "stop", "prime-prod", "--yes")
    assert done.returncode == 2
    assert one_sentence(done.stderr) == "Read-only mode is on, so nothing was stopped."
    assert state(lab, lab.prod_instance_id) == "running"


def test_dry_run_prints_the_commands_and_changes_nothing(env: dict[str, str], lab: SeedResult) -> None:
    done = cli(env, "instances", "stop", "prime-prod", "--dry-run", "--wait")
    assert done.returncode == 0, done.stderr
    assert f"aws ec2 wait instance-stopped --instance-ids {lab.prod_instance_id}" in done.stdout
    assert state(lab, lab.prod_instance_id) == "running"


def test_unknown_instance_is_a_usage_error(env: dict[str, str], lab: SeedResult) -> None:
    done = cli(env, "instances", "start", "prime-nope", "--yes")
    assert done.returncode == 2
    assert "No EC2 or RDS instance is named 'prime-nope'" in one_sentence(done.stderr)


def test_missing_credentials_fail_with_one_sentence(env: dict[str, str]) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(name)
    done = cli(env, "instances", "list", "--json")
    assert done.returncode == 1 and done.stdout == ""
    assert one_sentence(done.stderr) == ("No AWS credentials found: set aws.profile in the config "
                                         "or run 'aws configure'.")


def test_show_lists_inbound_rules(env: dict[str, str], lab: SeedResult) -> None:
    done = cli(env, "instances", "show", "prime-prod")
    assert done.returncode == 0, done.stderr
    assert "in tcp 22 from 203.0.113.0/24  (SSH from the lab network)" in done.stdout


def test_schedules_list_json_has_next_runs_and_role_checks(env: dict[str, str], lab: SeedResult) -> None:
    done = cli(env, "schedules", "list", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    schedules = {s["name"]: s for s in doc["schedules"]}
    stop = schedules["prime-stop-evenings"]
    assert (stop["group"], stop["timezone"], stop["direction"]) == ("prime", "America/Detroit", "stop")
    assert len(stop["next_runs"]) == 5
    assert all(r["schedule_time"][11:16] == "20:00" for r in stop["next_runs"])
    assert stop["role_check"]["ok"] is True
    assert doc["running_hours"][lab.prod_instance_id] == 65.0


def test_schedules_disable_and_enable(env: dict[str, str], lab: SeedResult) -> None:
    off = cli(env, "schedules", "disable", "prime-stop-evenings", "--yes")
    assert off.returncode == 0, off.stderr
    listed = cli(env, "schedules", "list")
    assert "prime/prime-stop-evenings  DISABLED" in listed.stdout
    assert "disabled: none of these runs will happen" in listed.stdout
    on = cli(env, "schedules", "enable", "prime/prime-stop-evenings", "--yes")
    assert on.returncode == 0, on.stderr
    assert cli(env, "schedules", "enable", "prime-stop-evenings").stdout == (
        "prime/prime-stop-evenings is already enabled; nothing to do.\n")
