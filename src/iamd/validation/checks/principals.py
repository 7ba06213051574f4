"""Checks on Principal and NotPrincipal, and on role trust policies.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html
"""

from __future__ import annotations

from collections.abc import Iterator

from iamd.policy import Effect, PolicyKind, Statement
from iamd.policy.errors import pointer_join
from iamd.policy.wildcard import compile_glob, has_wildcards
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding

GITHUB = "token.actions.githubusercontent.com"
_SOURCE_KEYS = ("aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths")
_ROLES_ANYWHERE = "rolesanywhere.amazonaws.com"
_ROLES_ANYWHERE_ACTIONS = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")
_ASSUME = {
    "sts:assumerole": "AWS or Service",
    "sts:assumerolewithsaml": "a SAML provider",
    "sts:assumerolewithwebidentity": "an OIDC provider",
}


def check(ctx: CheckContext) -> Iterator[Finding]:
    for statement in ctx.policy.statements:
        yield from _not_principal(ctx, statement)
        yield from _unique_ids(ctx, statement)
        if ctx.kind is PolicyKind.RESOURCE:
            yield from _service_principals(statement)
        if ctx.kind is PolicyKind.TRUST:
            yield from _trust(statement)


def _not_principal(ctx: CheckContext, statement: Statement) -> Iterator[Finding]:
    if statement.not_principal is None:
        return
    where = pointer_join(statement.pointer, "NotPrincipal")
    if ctx.kind is PolicyKind.TRUST:
        yield finding(
            "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL",
            "Role trust policies do not support NotPrincipal: name the principals that may "
            "assume the role in Principal.",
            where,
        )
    elif statement.effect is Effect.ALLOW:
        yield finding(
            "ALLOW_WITH_NOTPRINCIPAL",
            "Allow with NotPrincipal can be overly permissive: it grants access to every "
            "principal not listed, anonymous ones included. Use Principal instead.",
            where,
        )


def _unique_ids(ctx: CheckContext, statement: Statement) -> Iterator[Finding]:
    """``AROA...`` and ``AIDA...`` are unique IDs of a role and a user: a re-created role or
    user gets a new one, so the policy silently stops naming it."""
    for element in ("Principal", "NotPrincipal"):
        for pointer, value in ctx.entries(statement, element, "AWS"):
            if value.startswith("AROA"):
                yield finding(
                    "INVALID_ROLE_REFERENCE",
                    f"{value} is the unique ID of an IAM role: use the role's ARN instead.",
                    pointer,
                )
            elif value.startswith("AIDA"):
                yield finding(
                    "INVALID_USER_REFERENCE",
                    f"{value} is the unique ID of an IAM user: use the user's ARN instead.",
                    pointer,
                )


def _condition_keys(statement: Statement) -> set[str]:
    return {c.key.lower() for c in statement.conditions}


def _service_principals(statement: Statement) -> Iterator[Finding]:
    """A service acting for anyone can be a confused deputy without aws:Source* conditions."""
    if statement.effect is not Effect.ALLOW or statement.principal is None:
        return
    if not statement.principal.service:
        return
    if _condition_keys(statement) & set(_SOURCE_KEYS):
        return
    yield finding(
        "RECOMMENDED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL",
        "Access for the service principal "
        + ", ".join(statement.principal.service)
        + " should be limited with aws:SourceArn, aws:SourceAccount, aws:SourceOrgID or "
        "aws:SourceOrgPaths, so the service acts only for your resources.",
        pointer_join(statement.pointer, "Principal"),
    )


def _grants(statement: Statement, action: str) -> bool:
    if statement.action is not None:
        return any(compile_glob(a, fold=True).fullmatch(action) for a in statement.action)
    if statement.not_action is not None:
        return not any(compile_glob(a, fold=True).fullmatch(action) for a in statement.not_action)
    return False


def _provider_host(value: str) -> str | None:
    """The issuer of an OIDC Federated principal, or ``None`` for SAML and the like."""
    if ":oidc-provider/" in value:
        return value.split(":oidc-provider/", 1)[1]
    if ":saml-provider/" in value or "." not in value:
        return None
    return value


def _trust(statement: Statement) -> Iterator[Finding]:
    spec = statement.principal
    if spec is None or statement.effect is not Effect.ALLOW:
        return
    where = pointer_join(statement.pointer, "Principal")
    yield from _mismatched_actions(statement, where)
    if _ROLES_ANYWHERE in spec.service:
        missing = [a for a in _ROLES_ANYWHERE_ACTIONS if not _grants(statement, a)]
        if missing:
            yield finding(
                "MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY",
                "IAM Roles Anywhere needs sts:AssumeRole, sts:TagSession and "
                f"sts:SetSourceIdentity; this statement lacks {', '.join(missing)}.",
                pointer_join(statement.pointer, "Action"),
            )
    keys = _condition_keys(statement)
    for value in spec.federated:
        host = _provider_host(value)
        if host is None:
            continue
        if host.lower() == GITHUB:
            yield from _github(statement, keys, where)
        elif not any(k.startswith(host.lower() + ":") for k in keys):
            yield finding(
                "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL",
                f"Anyone with a token from {host} can assume this role: add conditions on the "
                f"token's claims, such as {host}:aud and {host}:sub.",
                where,
            )


def _github(statement: Statement, keys: set[str], where: str) -> Iterator[Finding]:
    sub = f"{GITHUB}:sub"
    if sub not in keys:
        yield finding(
            "MISSING_GITHUB_REPO_CONDITION_KEY",
            f"Any GitHub repository can assume this role: add a condition on {sub} that names "
            "your repository and branch.",
            where,
        )
        return
    for clause in statement.conditions:
        if clause.key.lower() == sub and any(has_wildcards(v) for v in clause.values):
            yield finding(
                "SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED",
                f"The {sub} condition uses wildcards: name a specific repository and branch, "
                "such as repo:my-org/my-repo:ref:refs/heads/main.",
                clause.pointer,
            )


def _principal_kinds(statement: Statement) -> set[str]:
    spec = statement.principal
    if spec is None:
        return set()
    kinds = set()
    if spec.aws or spec.service or spec.wildcard:
        kinds.add("sts:assumerole")
    for value in spec.federated:
        if ":saml-provider/" in value:
            kinds.add("sts:assumerolewithsaml")
        elif _provider_host(value) is not None:
            kinds.add("sts:assumerolewithwebidentity")
    return kinds


def _mismatched_actions(statement: Statement, where: str) -> Iterator[Finding]:
    """Each way of assuming a role takes its own kind of principal."""
    if statement.action is None:
        return
    if statement.principal is not None and statement.principal.wildcard:
        return
    kinds = _principal_kinds(statement)
    if not kinds:
        return
    for action in statement.action:
        lowered = action.lower()
        if has_wildcards(action) or lowered not in _ASSUME or lowered in kinds:
            continue
        yield finding(
            "MISMATCHED_ACTION_FOR_PRINCIPAL",
            f"{action} is for principals of {_ASSUME[lowered]}, which this statement does not "
            "name.",
            where,
        )
