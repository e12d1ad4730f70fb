"""IAM policy documents evaluated here, because moto (and a read-only user) cannot simulate them.

Covers what a scheduler role needs: identity policies (Allow/Deny, `Action`/`NotAction`,
`Resource`/`NotResource`, `*` and `?` wildcards, single strings or lists) and trust
policies (`Principal`/`NotPrincipal` with a service). An explicit Deny beats any Allow.
Conditions are not evaluated: a statement with one counts as applying, and the decision
says so, since a condition can only narrow what the statement does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Statement = dict[str, Any]


@dataclass(frozen=True)
class PolicySource:
    """One policy document and where it came from (for messages)."""

    name: str
    """E.g. "inline policy invoke-instance-switch" or "attached policy arn:aws:iam::…"."""
    document: dict[str, Any]


@dataclass(frozen=True)
class Decision:
    """Whether an action on a resource is allowed, and by which statements."""

    allowed: bool
    allowed_by: tuple[tuple[str, Statement], ...] = ()
    """(policy name, statement) pairs that allow it."""
    denied_by: tuple[tuple[str, Statement], ...] = ()
    """(policy name, statement) pairs that deny it explicitly."""
    conditional: bool = False
    """A deciding statement has a Condition that was not evaluated."""

    @property
    def explicitly_denied(self) -> bool:
        """Whether a Deny statement matched (it overrides every Allow)."""
        return bool(self.denied_by)


def as_list(value: Any) -> list[Any]:
    """A policy field as a list (IAM allows a single string or a list)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(document: Any) -> list[Statement]:
    """The statements of a document (a JSON string or an already-decoded dict)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return []
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


@lru_cache(maxsize=1024)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """IAM action match: case-insensitive, `*` and `?` wildcards."""
    return bool(_pattern(str(pattern), True).match(action))


def resource_matches(pattern: str, resource: str) -> bool:
    """IAM resource match: case-sensitive, `*` and `?` wildcards (`*` spans colons too)."""
    return bool(_pattern(str(pattern), False).match(resource))


def _matches_any(patterns: Iterable[Any], value: str, match: Any) -> bool:
    return any(match(str(p), value) for p in patterns)


def statement_applies(statement: Statement, action: str, resource: str) -> bool:
    """Whether a statement covers `action` on `resource` (its Effect aside)."""
    if "NotAction" in statement:
        if _matches_any(as_list(statement["NotAction"]), action, action_matches):
            return False
    elif not _matches_any(as_list(statement.get("Action")), action, action_matches):
        return False
    if "NotResource" in statement:
        return not _matches_any(as_list(statement["NotResource"]), resource, resource_matches)
    if "Resource" not in statement:
        return True  # trust policies have no Resource
    return _matches_any(as_list(statement["Resource"]), resource, resource_matches)


def _effect(statement: Statement) -> str:
    return str(statement.get("Effect", "")).capitalize()


def evaluate(sources: Sequence[PolicySource], action: str, resource: str) -> Decision:
    """Whether identity policies allow `action` on `resource` (explicit Deny wins)."""
    allows: list[tuple[str, Statement]] = []
    denies: list[tuple[str, Statement]] = []
    for source in sources:
        for statement in statements(source.document):
            if not statement_applies(statement, action, resource):
                continue
            if _effect(statement) == "Deny":
                denies.append((source.name, statement))
            elif _effect(statement) == "Allow":
                allows.append((source.name, statement))
    deciding = denies or allows
    conditional = any("Condition" in s for _n, s in deciding)
    return Decision(allowed=bool(allows) and not denies, allowed_by=tuple(allows),
                    denied_by=tuple(denies), conditional=conditional)


def principal_matches(principal: Any, service: str) -> bool:
    """Whether a Principal block names the service (or everyone)."""
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if any(p == "*" for p in as_list(principal.get("AWS"))):
        return True
    return any(str(p).lower() == service.lower() for p in as_list(principal.get("Service")))


def trust_allows(document: Any, service: str, action: str = "sts:AssumeRole") -> Decision:
    """Whether a role's trust policy lets `service` perform `action` (assume the role)."""
    allows: list[tuple[str, Statement]] = []
    denies: list[tuple[str, Statement]] = []
    for statement in statements(document):
        if not statement_applies(statement, action, "*"):
            continue
        if "NotPrincipal" in statement:
            names = not principal_matches(statement["NotPrincipal"], service)
        else:
            names = principal_matches(statement.get("Principal"), service)
        if not names:
            continue
        target = denies if _effect(statement) == "Deny" else allows
        if _effect(statement) in ("Allow", "Deny"):
            target.append(("trust policy", statement))
    deciding = denies or allows
    return Decision(allowed=bool(allows) and not denies, allowed_by=tuple(allows),
                    denied_by=tuple(denies),
                    conditional=any("Condition" in s for _n, s in deciding))


def allow_statement(actions: str | Sequence[str], resources: str | Sequence[str],
                    sid: str | None = None) -> Statement:
    """An Allow statement, as the fix for a missing permission."""
    statement: Statement = {}
    if sid:
        statement["Sid"] = sid
    statement["Effect"] = "Allow"
    statement["Action"] = actions if isinstance(actions, str) else list(actions)
    items = [resources] if isinstance(resources, str) else list(resources)
    statement["Resource"] = items[0] if len(items) == 1 else items
    return statement


def trust_statement(service: str) -> Statement:
    """The trust statement that lets `service` assume the role."""
    return {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}


def policy_json(*statement_list: Statement) -> str:
    """A whole policy document around the statements, as indented JSON."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statement_list)}, indent=2)


@dataclass(frozen=True)
class Check:
    """One line of a role check: what was checked, pass or fail, and how to fix it."""

    what: str
    ok: bool
    detail: str
    missing: Statement | None = None
    """The statement that would make it pass (fail only)."""
    fix: str | None = None
    """The JSON that would fix it: a policy document to add, or what to remove."""


@dataclass(frozen=True)
class RoleCheck:
    """The execution role of a schedule, checked: trust, then each permission needed."""

    role_arn: str
    checks: tuple[Check, ...] = field(default_factory=tuple)
    error: str | None = None
    """Why the role could not be read (then there are no checks)."""

    @property
    def ok(self) -> bool:
        """Every check passed (and the role could be read)."""
        return self.error is None and all(c.ok for c in self.checks)

    @property
    def summary(self) -> str:
        """One line: pass, or the first failure."""
        if self.error:
            return f"cannot check: {self.error}"
        failed = [c for c in self.checks if not c.ok]
        return "pass" if not failed else f"fail: {failed[0].detail}"


def check_trust(document: Any, service: str) -> Check:
    """Whether a trust policy lets `service` assume the role; a failure carries its fix."""
    decision = trust_allows(document, service)
    what = f"trust: {service} may sts:AssumeRole"
    if decision.allowed:
        return Check(what, True, f"the trust policy lets {service} assume the role")
    if decision.explicitly_denied:
        statement = decision.denied_by[0][1]
        return Check(what, False, f"a Deny in the trust policy stops {service} from assuming "
                     f"the role; remove it", missing=trust_statement(service),
                     fix=json.dumps(statement, indent=2))
    statement = trust_statement(service)
    return Check(what, False, f"the trust policy does not let {service} assume the role; "
                 f"add this statement to it", missing=statement, fix=policy_json(statement))


def _unqualified_lambda(arn: str) -> bool:
    return ":lambda:" in arn and arn.count(":") == 6


def check_permission(action: str, resources: Sequence[str],
                     sources: Sequence[PolicySource]) -> Check:
    """Whether the policies allow `action` on every resource; a failure carries its fix."""
    what = f"permission: {action} on {', '.join(resources)}"
    decisions = {r: evaluate(sources, action, r) for r in resources}
    denied = [(r, d) for r, d in decisions.items() if d.explicitly_denied]
    if denied:
        name, statement = denied[0][1].denied_by[0]
        return Check(what, False, f"a Deny in {name} overrides any Allow of {action} on "
                     f"{denied[0][0]}; remove or narrow it", fix=json.dumps(statement, indent=2))
    missing = [r for r, d in decisions.items() if not d.allowed]
    if not missing:
        names = sorted({n for d in decisions.values() for n, _s in d.allowed_by})
        return Check(what, True, f"{action} is allowed by {', '.join(names)}")
    # A function ARN with ":*" also covers its versions and aliases.
    fix_resources = [x for r in missing for x in ((r, f"{r}:*") if _unqualified_lambda(r) else (r,))]
    statement = allow_statement(action, fix_resources)
    where = "the role has no permission policy that" if not sources else "none of the role's policies"
    return Check(what, False, f"{where} allows {action} on {', '.join(missing)}; add this "
                 f"policy to the role", missing=statement, fix=policy_json(statement))
