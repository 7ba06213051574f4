"""Checks on statements that grant more than they seem to: iam:PassRole and
iam:CreateServiceLinkedRole on every role, and Allow with NotAction or NotResource.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from iamd.catalog import globs
from iamd.catalog.arns import RESOURCE, SERVICE, ArnPattern
from iamd.policy import Effect, Statement
from iamd.policy.errors import pointer_join
from iamd.policy.wildcard import compile_glob, has_wildcards
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding


@dataclass(frozen=True, slots=True)
class _Risky:
    action: str
    prefix: str
    """Issue-code prefix: ``PASS_ROLE`` or ``CREATE_SLR``."""
    narrowing_key: str
    """A condition key that limits the grant enough for Access Analyzer to stay quiet."""
    what: str


_RISKY = (
    _Risky(
        "iam:PassRole",
        "PASS_ROLE",
        "iam:passedtoservice",
        "iam:PassRole lets a service act with the permissions of every matching role",
    ),
    _Risky(
        "iam:CreateServiceLinkedRole",
        "CREATE_SLR",
        "iam:awsservicename",
        "iam:CreateServiceLinkedRole can create unintended service-linked roles",
    ),
)


def check(ctx: CheckContext) -> Iterator[Finding]:
    for statement in ctx.policy.statements:
        if statement.effect is not Effect.ALLOW:
            continue
        for risky in _RISKY:
            yield from _risky(ctx, statement, risky)
        if statement.not_action is not None:
            yield finding(
                "ALLOW_WITH_NOTACTION",
                "Allow with NotAction grants every other action, including actions AWS adds "
                "later. List the actions to allow instead.",
                pointer_join(statement.pointer, "NotAction"),
            )
        if statement.not_resource is not None:
            yield finding(
                "ALLOW_WITH_NOTRESOURCE",
                "Allow with NotResource grants access to every other resource, including "
                "resources created later. List the resources to allow instead.",
                pointer_join(statement.pointer, "NotResource"),
            )


def _matches(patterns: tuple[str, ...], action: str) -> list[str]:
    return [p for p in patterns if compile_glob(p, fold=True).fullmatch(action)]


def _every_role(text: str, variables: bool) -> bool:
    """Whether a Resource entry matches every IAM role (of its account)."""
    if text == "*":
        return True
    pattern = ArnPattern.parse(text, variables=variables)
    if pattern is None:
        return False
    return globs.contains(pattern.field(SERVICE), globs.literal("iam"), fold=True) and (
        globs.contains(pattern.field(RESOURCE), globs.glob("role/*"))
    )


def _risky(ctx: CheckContext, statement: Statement, risky: _Risky) -> Iterator[Finding]:
    if any(c.key.lower() == risky.narrowing_key for c in statement.conditions):
        return
    if statement.action is not None:
        named = _matches(statement.action, risky.action)
        if not named:
            return
        star_action = all(has_wildcards(p) for p in named)
        element, subject = "Action", "star in action" if star_action else ""
    elif statement.not_action is not None:
        if _matches(statement.not_action, risky.action):
            return
        element, subject = "NotAction", "NotAction"
    else:
        return
    if statement.resource is not None:
        star = [
            (p, t) for p, t in ctx.entries(statement, "Resource") if _every_role(t, ctx.variables)
        ]
        if not star:
            return
        pointer = star[0][0]
        code = {
            "": "WITH_STAR_IN_RESOURCE",
            "star in action": "WITH_STAR_IN_ACTION_AND_RESOURCE",
            "NotAction": "WITH_STAR_IN_RESOURCE_AND_NOTACTION",
        }[subject]
        detail = f"on the resource {star[0][1]}"
    elif statement.not_resource is not None:
        if any(_every_role(t, ctx.variables) for t in statement.not_resource):
            return
        pointer = pointer_join(statement.pointer, "NotResource")
        code = {
            "": "WITH_NOTRESOURCE",
            "star in action": "WITH_STAR_IN_ACTION_AND_NOTRESOURCE",
            "NotAction": "WITH_NOTACTION_AND_NOTRESOURCE",
        }[subject]
        detail = "with NotResource"
    else:
        return
    via = {
        "": risky.action,
        "star in action": f"{risky.action} (through a wildcard in {element})",
        "NotAction": f"{risky.action} (through NotAction)",
    }[subject]
    yield finding(
        f"{risky.prefix}_{code}",
        f"This statement allows {via} {detail}: {risky.what}. Specify the role ARNs, or add "
        f"the {_key_name(risky)} condition key.",
        pointer,
    )


def _key_name(risky: _Risky) -> str:
    return {"iam:passedtoservice": "iam:PassedToService"}.get(
        risky.narrowing_key, "iam:AWSServiceName"
    )
