"""Protected instances, AWS region/profile precedence and JSON of action commands, through the
installed console script against the moto server (AWS_ENDPOINT_URL and dummy keys)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from primetui.sandbox.moto import MotoServer
from primetui.sandbox.seed import SeedResult, seed_lab_account
from tests.cli.cli_helpers import Home, one_sentence


@pytest.fixture
def lab(aws_env: dict[str, str], moto_server: MotoServer) -> SeedResult:
    return seed_lab_account(moto_server.endpoint_url)


@pytest.fixture
def aws_home(home: Home, aws_env: dict[str, str], lab: SeedResult) -> Home:
    """The private home with moto's environment (region us-east-2 from AWS_DEFAULT_REGION)."""
    home.env.update(aws_env)
    home.config.write_text('[aws]\nregion = "us-east-2"\n')
    return home


def ec2_state(instance_id: str) -> str:
    import boto3

    ec2 = boto3.client("ec2")
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0][
        "State"]["Name"]


def test_yes_does_not_stop_a_protected_instance_without_confirm(aws_home: Home,
                                                               lab: SeedResult) -> None:
    done = aws_home.run("instances", "stop", "prime-prod", "--yes")
    assert done.returncode == 2
    assert one_sentence(done.stderr) == "prime-prod is protected: pass --confirm prime-prod to go on."
    assert ec2_state(lab.prod_instance_id) == "running"


def test_a_wrong_confirm_name_changes_nothing(aws_home: Home, lab: SeedResult) -> None:
    done = aws_home.run("instances", "stop", "prime-prod", "--yes", "--confirm", "prime-staging")
    assert done.returncode == 2
    assert "does not name prime-prod" in one_sentence(done.stderr)
    assert ec2_state(lab.prod_instance_id) == "running"


def test_confirm_with_its_name_stops_it_and_json_says_what_ran(aws_home: Home,
                                                              lab: SeedResult) -> None:
    done = aws_home.run("instances", "stop", "prime-prod", "--yes", "--confirm", "prime-prod",
                        "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # stdout holds only the JSON document
    assert (doc["action"], doc["target"], doc["outcome"], doc["error"]) == (
        "instances.stop", "prime-prod", "succeeded", None)
    assert datetime.fromisoformat(doc["started_at"]).tzinfo is not None
    assert any("aws ec2 stop-instances" in c for s in doc["steps"] for c in s["commands"])
    assert "Plan: " in done.stderr  # the plan and progress went to stderr
    assert ec2_state(lab.prod_instance_id) in ("stopping", "stopped")


def test_an_unprotected_instance_needs_only_yes(aws_home: Home, lab: SeedResult) -> None:
    assert ec2_state(lab.staging_instance_id) == "stopped"
    done = aws_home.run("instances", "start", "prime-staging", "--yes")
    assert done.returncode == 0, done.stderr
    assert ec2_state(lab.staging_instance_id) in ("pending", "running")


def show(home: Home, *args: str, extra: dict[str, str] | None = None) -> dict[str, tuple]:
    done = home.run("config", "show", "--json", *args, extra=extra)
    assert done.returncode == 0, done.stderr
    return {row["key"]: (row["value"], row["source"]) for row in json.loads(done.stdout)["settings"]}


def test_region_follows_flag_then_environment_then_config(home: Home) -> None:
    home.config.write_text('[aws]\nregion = "us-east-2"\nprofile = "prime"\n')
    assert show(home)["aws.region"] == ("us-east-2", "config file")
    assert show(home)["aws.profile"] == ("prime", "config file")
    env = {"AWS_DEFAULT_REGION": "ca-central-1"}
    assert show(home, extra=env)["aws.region"] == ("ca-central-1", "environment (AWS_DEFAULT_REGION)")
    env["AWS_REGION"] = "eu-west-1"
    assert show(home, extra=env)["aws.region"] == ("eu-west-1", "environment (AWS_REGION)")
    assert show(home, "--region", "ap-south-1", extra=env)["aws.region"] == ("ap-south-1", "--region")
    assert show(home, extra={"AWS_PROFILE": "lab"})["aws.profile"] == ("lab", "environment (AWS_PROFILE)")
    flagged = home.run("--profile", "other", "config", "show")
    assert flagged.returncode == 0 and "aws.profile" in flagged.stdout
    assert "other  (--profile)" in flagged.stdout


def test_region_after_the_subcommand_reaches_aws(aws_home: Home, lab: SeedResult) -> None:
    here = aws_home.run("instances", "list", "--json")
    elsewhere = aws_home.run("instances", "list", "--region", "eu-west-1", "--json")
    assert here.returncode == 0 and elsewhere.returncode == 0, elsewhere.stderr
    assert {i["name"] for i in json.loads(here.stdout)["instances"]} >= {"prime-prod"}
    assert json.loads(elsewhere.stdout)["instances"] == []  # the lab lives in us-east-2


def test_environment_region_wins_over_the_config_file(aws_home: Home, lab: SeedResult) -> None:
    done = aws_home.run("instances", "list", "--json", extra={"AWS_REGION": "eu-west-1"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["instances"] == []
