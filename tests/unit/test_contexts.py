"""Named contexts in the config: each `[contexts.NAME]` over the top-level settings, the
choice of context (flag > PRIMETUI_CONTEXT > default_context), and one sentence per mistake."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from primetui.cli.terminal import apply_overrides, aws_sources, context_choice
from primetui.config import (
    STARTER,
    config_problems,
    context_names,
    parse_settings,
    save_settings,
    select_context,
    to_document,
    with_aws_environment,
)
from primetui.errors import ConfigError

FILE = Path("/lab/config.toml")

LAB = """
[aws]
profile = "lab"
region = "us-east-2"

[servers.prod]
host = "prod.example.edu"
user = "deploy"
instance = "i-0prod"

[servers.web]
host = "web.example.edu"

[certificates]
domains = ["prime.example.edu"]
server = "prod"
warn_days = 30

[contexts.staging]
account = "210987654321"
banner = "STAGING"
description = "the staging copy"

[contexts.staging.aws]
profile = "lab-staging"
region = "eu-west-1"

[contexts.staging.servers.prod]
host = "staging.example.edu"

[contexts.staging.certificates]
domains = ["staging.example.edu"]

[contexts.prod]
account = "123456789012"
theme = "prime-contrast"
banner = "PRODUCTION"
"""


def lab() -> object:
    return parse_settings(LAB, FILE)


def problem(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_settings(text, FILE)
    return str(info.value)


# -- reading -------------------------------------------------------------------------------

def test_a_config_without_contexts_reads_as_before() -> None:
    settings = parse_settings(STARTER, FILE)
    assert settings.contexts == {} and settings.default_context is None
    assert settings.context is None and settings.aws.account is None and settings.ui.banner is None
    assert "contexts" not in to_document(settings)


def test_the_top_level_settings_are_the_default_context() -> None:
    settings = lab()
    assert settings.context is None
    assert (settings.aws.profile, settings.aws.region, settings.aws.account) == (
        "lab", "us-east-2", None)
    assert context_names(settings) == ["default", "staging", "prod"]
    assert select_context(settings, "default") == settings


def test_a_context_overrides_section_keys_one_by_one() -> None:
    staging = select_context(lab(), "staging")
    assert staging.context == "staging"
    assert (staging.aws.profile, staging.aws.region) == ("lab-staging", "eu-west-1")
    assert staging.certificates.domains == ["staging.example.edu"]
    assert staging.certificates.warn_days == 30  # not set by the context: the top level's
    assert staging.certificates.server == "prod"


def test_a_contexts_servers_replace_the_top_level_ones_whole() -> None:
    staging = select_context(lab(), "staging")
    assert list(staging.servers) == ["prod"]  # no top-level "web" in staging
    prod = staging.servers["prod"]
    # nothing of production's server leaks in: its user and instance are not carried over
    assert (prod.host, prod.user, prod.instance) == ("staging.example.edu", "ubuntu", None)


def test_a_context_without_servers_uses_the_top_level_ones() -> None:
    prod = select_context(lab(), "prod")
    assert sorted(prod.servers) == ["prod", "web"]
    assert prod.servers["prod"].host == "prod.example.edu"


def test_account_banner_and_theme_set_the_pin_the_banner_and_the_theme() -> None:
    prod = select_context(lab(), "prod")
    assert (prod.aws.account, prod.ui.banner, prod.ui.theme) == (
        "123456789012", "PRODUCTION", "prime-contrast")
    back = select_context(prod, "default")
    assert (back.aws.account, back.ui.banner, back.ui.theme, back.context) == (
        None, None, "prime-dark", None)


def test_switching_keeps_the_contexts_and_a_forced_read_only() -> None:
    forced = dataclasses.replace(lab(), forced_read_only=True)
    staging = select_context(forced, "staging")
    assert staging.ui.read_only and list(staging.contexts) == ["staging", "prod"]
    assert select_context(staging, "prod").ui.read_only


def test_the_aws_environment_applies_except_where_the_context_sets_its_own() -> None:
    environ = {"AWS_REGION": "ap-south-1", "AWS_PROFILE": "shell-profile"}
    staging = with_aws_environment(select_context(lab(), "staging"), environ)
    assert (staging.aws.profile, staging.aws.region) == ("lab-staging", "eu-west-1")
    prod = with_aws_environment(select_context(lab(), "prod"), environ)
    assert (prod.aws.profile, prod.aws.region) == ("shell-profile", "ap-south-1")


def test_contexts_survive_a_save_and_a_read(tmp_path: Path) -> None:
    settings = lab()
    out = tmp_path / "config.toml"
    save_settings(settings, out)
    again = parse_settings(out.read_text(), out)
    assert again.contexts == settings.contexts
    assert select_context(again, "staging").servers["prod"].host == "staging.example.edu"


# -- one sentence per mistake ----------------------------------------------------------------

def test_an_unknown_context_names_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        select_context(lab(), "stagin", origin="--context")
    assert str(info.value) == ("--context names the context 'stagin', which /lab/config.toml "
                               "does not define (its contexts are: default, staging, prod).")


def test_a_context_in_a_file_without_contexts_says_how_to_add_one() -> None:
    with pytest.raises(ConfigError) as info:
        select_context(parse_settings(STARTER, FILE), "prod", origin="PRIMETUI_CONTEXT")
    assert str(info.value) == ("PRIMETUI_CONTEXT names the context 'prod', but /lab/config.toml "
                               "defines no contexts (add a [contexts.prod] table).")


@pytest.mark.parametrize(("value", "expected"), [
    ('"12345"', "expected a 12-digit AWS account id such as \"123456789012\", not '12345'."),
    ('"12345678901a"', "not '12345678901a'."),
    ("12345678901", "expected the 12-digit AWS account id as a quoted string, such as "
                    "\"012345678901\" (a number loses its leading zeros)."),
])
def test_a_bad_account_id_is_one_sentence_naming_the_key(value: str, expected: str) -> None:
    message = problem(f"[contexts.prod]\naccount = {value}\n")
    assert message.startswith("/lab/config.toml: contexts.prod.account: ")
    assert message.endswith(expected)
    assert problem(f"[aws]\naccount = {value}\n").startswith("/lab/config.toml: aws.account: ")


def test_default_context_must_name_a_context() -> None:
    assert problem('default_context = "prdo"\n[contexts.prod]\n') == (
        "/lab/config.toml: default_context: expected the name of a [contexts] table "
        "(default, prod), 'prdo' is not one.")


def test_default_context_picks_the_context_when_nothing_else_does() -> None:
    settings = parse_settings('default_context = "prod"\n[contexts.prod]\nbanner = "P"\n', FILE)
    args = argparse.Namespace(context=None, read_only=False, region=None, profile=None)
    assert context_choice(args, settings, {}) == ("prod", "default_context")
    assert context_choice(args, settings, {"PRIMETUI_CONTEXT": "default"}) == (
        "default", "PRIMETUI_CONTEXT")
    args.context = "other"
    assert context_choice(args, settings, {"PRIMETUI_CONTEXT": "default"}) == (
        "other", "--context")


def test_the_flag_wins_over_the_context_which_wins_over_the_environment() -> None:
    environ = {"AWS_REGION": "ap-south-1"}
    args = argparse.Namespace(region=None, profile=None)
    keys = {"region": "eu-west-1"}
    assert aws_sources(args, {}, environ, context_keys=keys, context="staging")["region"] == (
        "eu-west-1", "context staging")
    args.region = "sa-east-1"
    assert aws_sources(args, {}, environ, context_keys=keys, context="staging")["region"] == (
        "sa-east-1", "--region")


def test_apply_overrides_selects_the_flagged_context(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "PRIMETUI_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    args = argparse.Namespace(context="staging", read_only=True, region=None, profile=None)
    staging = apply_overrides(lab(), args)
    assert (staging.context, staging.aws.region, staging.ui.read_only) == (
        "staging", "eu-west-1", True)


def test_a_context_named_default_is_refused() -> None:
    assert problem("[contexts.default]\n") == (
        "/lab/config.toml: contexts.default: 'default' names the top-level settings; give "
        "this context another name.")


def test_an_unknown_key_in_a_context_is_named_with_its_context() -> None:
    assert problem('[contexts.prod]\nacount = "123456789012"\n').startswith(
        "/lab/config.toml: unknown key 'contexts.prod.acount' (expected one of: account, ")
    assert problem('[contexts.prod.aws]\nregoin = "x"\n').startswith(
        "/lab/config.toml: unknown key 'contexts.prod.aws.regoin'")
    assert problem('[contexts.prod.certificates]\nmethod = "dns"\n') == (
        "/lab/config.toml: contexts.prod.certificates.method: expected one of webroot, "
        "standalone.")


def test_a_shorthand_and_its_section_key_together_are_refused() -> None:
    assert problem('[contexts.prod]\ntheme = "a"\n[contexts.prod.ui]\ntheme = "b"\n') == (
        "/lab/config.toml: contexts.prod.theme and contexts.prod.ui.theme: set only one of them.")


def test_a_broken_reference_inside_a_context_says_which_context() -> None:
    text = LAB + '\n[contexts.bare]\nservers = { web = { host = "w" } }\n'
    assert problem(text) == (
        "/lab/config.toml: certificates.server: expected the name of a [servers] table, 'prod' "
        "is not one (in context 'bare').")


def test_a_banner_must_be_one_printable_line() -> None:
    assert problem('[contexts.prod]\nbanner = "PROD\\u001b[2J"\n') == (
        "/lab/config.toml: contexts.prod.banner: expected one printable line of at most 60 "
        "characters.")


def test_config_check_lists_a_mistake_in_each_context() -> None:
    text = ('[contexts.a]\naccount = "1"\n[contexts.b.aws]\nregoin = "x"\n'
            '[contexts.c]\nservers = { web = { port = 0 } }\n')
    problems = config_problems(text, FILE)
    assert any(p.startswith("/lab/config.toml: contexts.a.account: ") for p in problems)
    assert any("unknown key 'contexts.b.aws.regoin' (did you mean 'region'?)" in p
               for p in problems)
    assert any(p.endswith("(in context 'c').") and "servers.web" in p for p in problems), problems
    assert config_problems(LAB, FILE) == []


def test_context_with_the_demo_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    from primetui.cli.main import main

    assert main(["--demo", "--context", "prod"]) == 2
    assert capsys.readouterr().err == (
        "primetui: --context prod: the practice world defines no contexts.\n")


def test_a_discovered_instance_is_saved_in_the_contexts_own_servers(tmp_path: Path) -> None:
    from primetui.maintenance.discovery import save_instance

    file = tmp_path / "config.toml"
    file.write_text(LAB)
    assert save_instance(file, "prod", "i-0staging", context="staging")
    settings = parse_settings(file.read_text(), file)
    assert settings.servers["prod"].instance == "i-0prod"  # production's entry untouched
    assert select_context(settings, "staging").servers["prod"].instance == "i-0staging"
    assert save_instance(file, "web", "i-0web", context="prod")  # prod uses the top level's
    assert parse_settings(file.read_text(), file).servers["web"].instance == "i-0web"
