"""Policy evaluation for the role check: trust, Allow/Deny, wildcards, NotAction, fixes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from primetui.schedules.iam_policy import (
    PolicySource,
    action_matches,
    check_permission,
    check_trust,
    evaluate,
    resource_matches,
    trust_allows,
)

FUNCTION = "arn:aws:lambda:us-east-2:123456789012:function:prime-instance-switch"
INSTANCE = "arn:aws:ec2:us-east-2:123456789012:instance/i-0abc"
SCHEDULER = "scheduler.amazonaws.com"


def policy(*statements: dict) -> PolicySource:
    return PolicySource("inline policy p", {"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(principal, action="sts:AssumeRole", effect="Allow") -> dict:
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Principal": principal, "Action": action}]}


def test_invoke_allowed_on_the_exact_function() -> None:
    assert evaluate([policy(allow("lambda:InvokeFunction", FUNCTION))],
                    "lambda:InvokeFunction", FUNCTION).allowed


def test_nothing_is_allowed_without_a_matching_statement() -> None:
    decision = evaluate([policy(allow("lambda:GetFunction", FUNCTION))],
                        "lambda:InvokeFunction", FUNCTION)
    assert not decision.allowed and not decision.explicitly_denied


def test_deny_overrides_allow_even_in_another_policy() -> None:
    sources = [policy(allow("lambda:*")),
               PolicySource("attached policy guard", {"Statement": deny("lambda:InvokeFunction", FUNCTION)})]
    decision = evaluate(sources, "lambda:InvokeFunction", FUNCTION)
    assert not decision.allowed
    assert decision.denied_by[0][0] == "attached policy guard"


@pytest.mark.parametrize("pattern", ["lambda:*", "lambda:Invoke*", "*", "lambda:invokefunction",
                                     "lambda:Invoke?unction", "LAMBDA:INVOKEFUNCTION"])
def test_wildcard_and_case_insensitive_actions_match(pattern: str) -> None:
    assert action_matches(pattern, "lambda:InvokeFunction")


@pytest.mark.parametrize("pattern", ["lambda:Get*", "ec2:*", "lambda:Invoke", "lambda:InvokeFunctionUrl"])
def test_other_actions_do_not_match(pattern: str) -> None:
    assert not action_matches(pattern, "lambda:InvokeFunction")


def test_resources_match_wildcards_and_are_case_sensitive() -> None:
    assert resource_matches("arn:aws:lambda:*:*:function:prime-*", FUNCTION)
    assert resource_matches("*", FUNCTION)
    assert not resource_matches("arn:aws:lambda:*:*:function:PRIME-*", FUNCTION)
    assert not resource_matches(FUNCTION, FUNCTION + ":live")
    assert resource_matches(FUNCTION + ":*", FUNCTION + ":live")


def test_statements_and_fields_may_be_single_values_or_lists() -> None:
    single = PolicySource("p", {"Statement": allow("lambda:InvokeFunction", FUNCTION)})
    listed = policy(allow(["ec2:StopInstances", "lambda:InvokeFunction"], ["arn:x", FUNCTION]))
    for source in (single, listed):
        assert evaluate([source], "lambda:InvokeFunction", FUNCTION).allowed


def test_not_action_allows_everything_but_the_listed_actions() -> None:
    source = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate([source], "lambda:InvokeFunction", FUNCTION).allowed
    assert not evaluate([source], "iam:PassRole", "*").allowed


def test_not_resource_excludes_the_listed_resources() -> None:
    source = policy({"Effect": "Allow", "Action": "ec2:StopInstances", "NotResource": INSTANCE})
    assert not evaluate([source], "ec2:StopInstances", INSTANCE).allowed
    assert evaluate([source], "ec2:StopInstances", INSTANCE + "x").allowed


def test_a_deny_with_not_action_denies_everything_else() -> None:
    sources = [policy(allow("*"), {"Effect": "Deny", "NotAction": "ec2:*", "Resource": "*"})]
    assert not evaluate(sources, "lambda:InvokeFunction", FUNCTION).allowed
    assert evaluate(sources, "ec2:StopInstances", INSTANCE).allowed


def test_conditions_are_reported_as_not_evaluated() -> None:
    source = policy(allow("lambda:InvokeFunction", FUNCTION,
                          Condition={"StringEquals": {"aws:SourceAccount": "123456789012"}}))
    decision = evaluate([source], "lambda:InvokeFunction", FUNCTION)
    assert decision.allowed and decision.conditional


def test_policy_documents_given_as_json_text_are_read() -> None:
    text = json.dumps({"Statement": [allow("lambda:InvokeFunction", FUNCTION)]})
    assert evaluate([PolicySource("p", text)], "lambda:InvokeFunction", FUNCTION).allowed  # type: ignore[arg-type]


@pytest.mark.parametrize("principal", [{"Service": SCHEDULER}, {"Service": ["lambda.amazonaws.com", SCHEDULER]},
                                       "*", {"AWS": "*"}])
def test_trust_allows_the_scheduler_service(principal) -> None:
    assert trust_allows(trust(principal), SCHEDULER).allowed


@pytest.mark.parametrize("document", [
    trust({"Service": "lambda.amazonaws.com"}),
    trust({"Service": SCHEDULER}, action="sts:TagSession"),
    trust({"AWS": "arn:aws:iam::123456789012:root"}),
    {"Statement": []},
    {},
])
def test_trust_fails_without_the_scheduler_assume_role_statement(document) -> None:
    assert not trust_allows(document, SCHEDULER).allowed


def test_trust_deny_overrides_allow() -> None:
    document = trust({"Service": SCHEDULER})
    document["Statement"].append({"Effect": "Deny", "Principal": {"Service": SCHEDULER},
                                  "Action": "sts:*"})
    assert trust_allows(document, SCHEDULER).explicitly_denied


def test_trust_with_not_principal_allows_services_not_listed() -> None:
    document = {"Statement": [{"Effect": "Allow", "NotPrincipal": {"Service": "ec2.amazonaws.com"},
                               "Action": "sts:AssumeRole"}]}
    assert trust_allows(document, SCHEDULER).allowed
    assert not trust_allows(document, "ec2.amazonaws.com").allowed


def test_failed_trust_check_offers_the_statement_that_fixes_it() -> None:
    check = check_trust(trust({"Service": "lambda.amazonaws.com"}), SCHEDULER)
    assert not check.ok
    assert check.missing == {"Effect": "Allow", "Principal": {"Service": SCHEDULER},
                             "Action": "sts:AssumeRole"}
    assert json.loads(check.fix)["Statement"] == [check.missing]


def test_trust_check_passes_for_the_scheduler() -> None:
    assert check_trust(trust({"Service": SCHEDULER}), SCHEDULER).ok


def test_missing_invoke_offers_a_policy_for_the_function_and_its_versions() -> None:
    check = check_permission("lambda:InvokeFunction", [FUNCTION], [policy(allow("lambda:GetFunction"))])
    assert not check.ok
    assert check.missing == {"Effect": "Allow", "Action": "lambda:InvokeFunction",
                             "Resource": [FUNCTION, FUNCTION + ":*"]}
    fixed = [policy(allow("lambda:GetFunction")), PolicySource("fix", json.loads(check.fix))]
    assert check_permission("lambda:InvokeFunction", [FUNCTION], fixed).ok


def test_missing_universal_target_action_names_only_the_uncovered_instances() -> None:
    other = "arn:aws:ec2:us-east-2:123456789012:instance/i-0def"
    check = check_permission("ec2:StopInstances", [INSTANCE, other],
                             [policy(allow("ec2:StopInstances", INSTANCE))])
    assert not check.ok and check.missing is not None
    assert check.missing["Resource"] == other
    assert "i-0abc" not in check.detail and "i-0def" in check.detail


def test_permission_check_with_no_policies_says_so() -> None:
    check = check_permission("lambda:InvokeFunction", [FUNCTION], [])
    assert not check.ok and "no permission policy" in check.detail


def test_denied_permission_points_at_the_deny_statement() -> None:
    guard = deny("lambda:*", FUNCTION)
    check = check_permission("lambda:InvokeFunction", [FUNCTION],
                             [policy(allow("lambda:InvokeFunction", FUNCTION), guard)])
    assert not check.ok and "Deny" in check.detail
    assert json.loads(check.fix) == guard


def test_passing_permission_names_the_policy_that_allows_it() -> None:
    check = check_permission("lambda:InvokeFunction", [FUNCTION], [policy(allow("lambda:Invoke*"))])
    assert check.ok and "inline policy p" in check.detail


actions = st.sampled_from(["lambda:InvokeFunction", "ec2:StopInstances", "rds:StopDBInstance"])
patterns = st.sampled_from(["*", "lambda:*", "ec2:Stop*", "rds:*DBInstance", "iam:PassRole"])


@given(allow_pattern=patterns, deny_pattern=patterns, action=actions)
def test_an_applicable_deny_always_wins(allow_pattern: str, deny_pattern: str, action: str) -> None:
    decision = evaluate([policy(allow(allow_pattern), deny(deny_pattern))], action, "arn:x")
    if action_matches(deny_pattern, action):
        assert not decision.allowed
    else:
        assert decision.allowed == action_matches(allow_pattern, action)
