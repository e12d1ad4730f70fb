"""`--context` and the pinned account through the installed console script, against moto with
two accounts: the lab's own (123456789012) and another reached through its own AWS profile."""

from __future__ import annotations

import json

import boto3
import pytest

from primetui.sandbox.moto import MotoServer
from primetui.sandbox.seed import SeedResult, seed_lab_account
from tests.cli.cli_helpers import Home, one_sentence
from tests.fixtures.contexts import (
    OTHER_ACCOUNT,
    OTHER_PROFILE,
    account_of,
    add_other_account_profile,
    contexts_config,
    launch_in_profile,
)


@pytest.fixture
def lab(aws_env: dict[str, str], moto_server: MotoServer) -> SeedResult:
    return seed_lab_account(moto_server.endpoint_url)


@pytest.fixture
def ctx_home(home: Home, aws_env: dict[str, str], moto_server: MotoServer, lab: SeedResult,
             tmp_path) -> Home:
    """The private home with moto's environment, a second account and the contexts' config."""
    home.env.update(aws_env)
    add_other_account_profile(aws_env)
    launch_in_profile(aws_env, OTHER_PROFILE, "other-web")
    project = tmp_path / "project"
    project.mkdir()
    home.config.write_text(contexts_config(moto_server.endpoint_url, project))
    return home


def names(done) -> list[str]:
    assert done.returncode == 0, done.stderr
    return sorted(i["name"] for i in json.loads(done.stdout)["instances"])


def ec2_state(instance_id: str) -> str:
    ec2 = boto3.client("ec2")
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0][
        "State"]["Name"]


def test_context_before_or_after_the_command_lists_that_accounts_instances(
        ctx_home: Home, aws_env: dict[str, str]) -> None:
    assert account_of(aws_env, None) == "123456789012"  # two moto accounts, really
    assert account_of(aws_env, OTHER_PROFILE) == OTHER_ACCOUNT
    assert names(ctx_home.run("instances", "list", "--json")) == [
        "prime-db", "prime-prod", "prime-staging"]
    assert names(ctx_home.run("--context", "other", "instances", "list", "--json")) == ["other-web"]
    # a profile left in the shell must not send the "other" context to another account
    assert names(ctx_home.run("instances", "list", "--json", "--context", "other",
                              extra={"AWS_PROFILE": "left-in-the-shell"})) == ["other-web"]


def test_the_flag_wins_over_primetui_context(ctx_home: Home) -> None:
    env = {"PRIMETUI_CONTEXT": "other"}
    assert names(ctx_home.run("instances", "list", "--json", extra=env)) == ["other-web"]
    assert names(ctx_home.run("instances", "list", "--json", "--context", "default",
                              extra=env)) == ["prime-db", "prime-prod", "prime-staging"]


def test_config_show_names_the_context_and_where_each_key_came_from(ctx_home: Home) -> None:
    done = ctx_home.run("config", "show", "--json", extra={"PRIMETUI_CONTEXT": "other"})
    assert done.returncode == 0, done.stderr
    rows = {r["key"]: (r["value"], r["source"]) for r in json.loads(done.stdout)["settings"]}
    assert rows["context"] == ("other", "environment (PRIMETUI_CONTEXT)")
    assert rows["contexts"][0] == "default, other, pinned-here, pinned-elsewhere"
    assert rows["aws.profile"] == (OTHER_PROFILE, "context other")
    assert rows["aws.account"] == (OTHER_ACCOUNT, "context other")
    assert rows["ui.banner"] == ("PRODUCTION", "context other")
    assert rows["aws.region"] == ("us-east-2", "environment (AWS_DEFAULT_REGION)")
    plain = ctx_home.run("config", "show", "--context", "pinned-here")
    assert plain.stdout.splitlines()[1].split() == ["context", "pinned-here", "(--context)"]


def test_an_unknown_context_is_one_sentence_and_exit_2(ctx_home: Home) -> None:
    done = ctx_home.run("instances", "list", "--context", "stagin")
    assert done.returncode == 2
    assert one_sentence(done.stderr) == (
        f"--context names the context 'stagin', which {ctx_home.config} does not define (its "
        f"contexts are: default, other, pinned-here, pinned-elsewhere).")


def test_a_pinned_account_that_differs_refuses_to_act(ctx_home: Home, lab: SeedResult) -> None:
    done = ctx_home.run("instances", "start", "prime-staging", "--yes",
                        "--context", "pinned-elsewhere")
    assert done.returncode == 1
    assert one_sentence(done.stderr) == (
        "Refused: context 'pinned-elsewhere' expects AWS account 999999999999, but the "
        "credentials belong to account 123456789012; nothing was changed.")
    assert ec2_state(lab.staging_instance_id) == "stopped"
    rehearsal = ctx_home.run("instances", "start", "prime-staging", "--dry-run",
                             "--context", "pinned-elsewhere")
    assert rehearsal.returncode == 0, rehearsal.stderr  # a dry run changes nothing: shown
    assert "aws ec2 start-instances" in rehearsal.stdout


def test_a_pinned_account_that_matches_acts(ctx_home: Home, lab: SeedResult) -> None:
    done = ctx_home.run("instances", "start", "prime-staging", "--yes", "--context", "pinned-here")
    assert done.returncode == 0, done.stderr
    assert ec2_state(lab.staging_instance_id) in ("pending", "running")
    # The audit log says which context the change was made in.
    audit = ctx_home.run("audit", "--json")
    assert audit.returncode == 0, audit.stderr
    assert json.loads(audit.stdout)[-1]["context"] == "pinned-here"
    listed = ctx_home.run("audit")
    assert "[pinned-here]  instances.start" in listed.stdout.splitlines()[-1]


def test_a_read_only_view_in_the_wrong_account_shows_and_says_so(ctx_home: Home) -> None:
    done = ctx_home.run("instances", "list", "--json", "--context", "pinned-elsewhere")
    assert names(done) == ["prime-db", "prime-prod", "prime-staging"]
    assert one_sentence(done.stderr) == (
        "The credentials belong to AWS account 123456789012, not 999999999999 that context "
        "'pinned-elsewhere' expects: what is shown is account 123456789012's, and every "
        "change is refused.")
