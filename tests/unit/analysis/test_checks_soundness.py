"""Soundness of the custom policy checks, tested against the real engine.

Whenever a check answers PASS, every request of an exhaustive grid (each action, resource,
caller and combination of context values of :mod:`checks_alphabet`) is decided by
:class:`iamd.policy.Evaluator`; a single request that contradicts the PASS fails the test.
The policies are random, or close variants of one another (:mod:`refinements`), so that PASS
answers are common.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamd.analysis.access_checks import (
    check_access_not_granted,
    check_no_new_access,
    check_no_public_access,
)
from iamd.analysis.exposure import exposures
from iamd.policy import wildcard

from .checks_alphabet import (
    ACCOUNT,
    OUTSIDERS,
    REQUEST_ACTIONS,
    REQUEST_RESOURCES,
    RESOURCE_CALLERS,
    RESOURCE_PATTERNS,
    S3_REQUEST_ACTIONS,
    SAME_ACCOUNT_USER,
    Caller,
    allowed,
    evaluator,
    mentioned_keys,
    policies,
    requests,
)
from .refinements import mutate, split_by_any_values

EXAMPLES = int(os.environ.get("IAMD_SOUNDNESS_EXAMPLES", "150"))
"""Examples per test; raise it for a longer hunt (``IAMD_SOUNDNESS_EXAMPLES=5000``)."""

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def policy_pairs(draw: st.DrawFn, resource_policy: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    shape = draw(st.integers(0, 7))
    if shape == 0:  # one condition each: operator and values against operator and values
        return draw(focused(resource_policy, "Condition")), draw(
            focused(resource_policy, "Condition")
        )
    if shape == 1:  # one Resource or NotResource element each
        return draw(focused(resource_policy, "Resource")), draw(
            focused(resource_policy, "Resource")
        )
    existing = draw(policies(resource_policy))
    if shape == 2:
        return draw(policies(resource_policy)), existing
    if shape == 3:  # the new policy merges what the existing one splits by condition values
        return existing, split_by_any_values(existing)
    return draw(mutate(existing)), existing


@st.composite
def focused(
    draw: st.DrawFn, resource_policy: bool, element: str, key: str | None = None
) -> dict[str, Any]:
    """A one-statement policy that differs from its likes only in ``element``."""
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    if resource_policy:
        statement["Principal"] = "*"
    if element == "Principal":
        field = draw(st.sampled_from(["Principal", "NotPrincipal"]))
        statement.pop("Principal", None)
        statement[field] = {
            "AWS": draw(st.lists(st.sampled_from(AWS_NAMES), min_size=1, max_size=2, unique=True))
        }
    elif element == "Condition":
        key = key or draw(st.sampled_from(sorted(FAMILIES)))
        operators, pool = FAMILIES[key]
        clauses = draw(st.lists(st.sampled_from(operators), min_size=1, max_size=2, unique=True))
        statement["Condition"] = {
            op: {key: draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))}
            for op in clauses
        }
    else:
        field = draw(st.sampled_from(["Resource", "NotResource"]))
        del statement["Resource"]
        statement[field] = draw(
            st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2, unique=True)
        )
    version = draw(st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17"]))
    return {"Version": version, "Statement": [statement]}


_STRING_OPS = [
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringNotLike",
    "StringEqualsIfExists",
    "StringLikeIfExists",
    "StringEqualsIgnoreCase",
    "ForAnyValue:StringEquals",
    "ForAnyValue:StringLike",
    "ForAllValues:StringEquals",
    "ForAllValues:StringLike",
    "ForAnyValue:StringNotEquals",
    "ForAllValues:StringNotLike",
]
FAMILIES: dict[str, tuple[list[str], list[str]]] = {
    "s3:prefix": (_STRING_OPS, ["a", "b", "a*", "ab", "A", "${aws:username}"]),
    "aws:SourceIp": (
        ["IpAddress", "NotIpAddress", "IpAddressIfExists"],
        ["10.0.0.0/8", "10.1.0.0/16", "10.9.0.0/16", "10.1.2.3/32"],
    ),
    "s3:max-keys": (
        [
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
            "NumericEquals",
            "NumericNotEquals",
        ],
        ["5", "7", "10", "6.5"],
    ),
    "aws:MultiFactorAuthPresent": (["Bool", "BoolIfExists", "Null"], ["true", "false"]),
}


def _assert_no_new_access(
    new: dict[str, Any], existing: dict[str, Any], resource_policy: bool
) -> None:
    keys = mentioned_keys(new, existing)
    callers = RESOURCE_CALLERS if resource_policy else (SAME_ACCOUNT_USER,)
    for caller in callers:
        new_engine = evaluator(new, resource_policy, caller)
        old_engine = evaluator(existing, resource_policy, caller)
        for request in requests(caller, REQUEST_ACTIONS, REQUEST_RESOURCES, keys):
            if allowed(new_engine, request):
                assert allowed(old_engine, request), (
                    f"PASS, but the new policy alone allows {request.principal.arn or 'anonymous'} "
                    f"{request.action} on {request.resource} with {dict(request.context)}"
                )


@SETTINGS
@given(policy_pairs(resource_policy=False))
def test_no_new_access_pass_is_sound_for_identity_policies(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    new, existing = pair
    if check_no_new_access(new, existing, "IDENTITY_POLICY").result == "PASS":
        _assert_no_new_access(new, existing, resource_policy=False)


@SETTINGS
@given(policy_pairs(resource_policy=True))
def test_no_new_access_pass_is_sound_for_resource_policies(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    new, existing = pair
    if check_no_new_access(new, existing, "RESOURCE_POLICY").result == "PASS":
        _assert_no_new_access(new, existing, resource_policy=True)


ACCESS_ACTIONS = (*REQUEST_ACTIONS, "s3:Get*", "iam:*")
ACCESS_RESOURCES = tuple(r for r in REQUEST_RESOURCES if "*" not in r)


@st.composite
def access_objects(draw: st.DrawFn) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    shape = draw(st.sampled_from(["actions", "resources", "both"]))
    if shape in ("actions", "both"):
        out["actions"] = draw(st.lists(st.sampled_from(ACCESS_ACTIONS), min_size=1, max_size=3))
    if shape in ("resources", "both"):
        out["resources"] = draw(st.lists(st.sampled_from(ACCESS_RESOURCES), min_size=1, max_size=2))
    return out


def _forbidden(access: dict[str, list[str]], action: str, resource: str) -> bool:
    actions = access.get("actions")
    resources = access.get("resources")
    action_hit = actions is None or any(
        wildcard.compile_glob(a, fold=True).fullmatch(action) for a in actions
    )
    return action_hit and (resources is None or resource in resources)


@SETTINGS
@given(
    st.booleans().flatmap(lambda r: st.tuples(st.just(r), policies(r))),
    access_objects(),
)
def test_access_not_granted_pass_is_sound(
    drawn: tuple[bool, dict[str, Any]], access: dict[str, list[str]]
) -> None:
    resource_policy, document = drawn
    policy_type = "RESOURCE_POLICY" if resource_policy else "IDENTITY_POLICY"
    if check_access_not_granted(document, [access], policy_type).result != "PASS":
        return
    keys = mentioned_keys(document)
    callers = RESOURCE_CALLERS if resource_policy else (SAME_ACCOUNT_USER,)
    for caller in callers:
        engine = evaluator(document, resource_policy, caller)
        for request in requests(caller, REQUEST_ACTIONS, REQUEST_RESOURCES, keys):
            if _forbidden(access, request.action, request.resource):
                assert not allowed(engine, request), (
                    f"PASS, but {request.action} on {request.resource} is allowed "
                    f"with {dict(request.context)}"
                )


@SETTINGS
@given(policies(resource_policy=True))
def test_no_public_access_pass_is_sound(document: dict[str, Any]) -> None:
    if check_no_public_access(document, "AWS::S3::Bucket").result != "PASS":
        return
    keys = mentioned_keys(document)
    for caller in OUTSIDERS:
        engine = evaluator(document, True, caller)
        for request in requests(caller, S3_REQUEST_ACTIONS, REQUEST_RESOURCES, keys, outsider=True):
            assert not allowed(engine, request), (
                f"PASS, but an outsider ({request.principal.arn or 'anonymous'}) may "
                f"{request.action} on {request.resource} with {dict(request.context)}"
            )


AWS_NAMES = [
    "111122223333",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::111122223333:user/bob",
    "arn:aws:iam::111122223333:role/r",
    "444455556666",
    "arn:aws:iam::444455556666:user/eve",
]

FOCUSED = settings(SETTINGS, max_examples=EXAMPLES * 3)


@st.composite
def condition_pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    key = draw(st.sampled_from(sorted(FAMILIES)))
    return draw(focused(False, "Condition", key)), draw(focused(False, "Condition", key))


@FOCUSED
@given(condition_pairs())
def test_condition_implication_is_sound(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Operators and values of one key against operators and values of the same key."""
    new, existing = pair
    if check_no_new_access(new, existing, "IDENTITY_POLICY").result == "PASS":
        _assert_no_new_access(new, existing, resource_policy=False)


@FOCUSED
@given(st.sampled_from(sorted(FAMILIES)).flatmap(lambda k: focused(False, "Condition", k)))
def test_sharing_values_out_is_sound(new: dict[str, Any]) -> None:
    """The new statement's values split between two existing statements."""
    existing = split_by_any_values(new)
    if check_no_new_access(new, existing, "IDENTITY_POLICY").result == "PASS":
        _assert_no_new_access(new, existing, resource_policy=False)


@FOCUSED
@given(focused(False, "Resource"), focused(False, "Resource"))
def test_resource_inclusion_is_sound(new: dict[str, Any], existing: dict[str, Any]) -> None:
    if check_no_new_access(new, existing, "IDENTITY_POLICY").result == "PASS":
        _assert_no_new_access(new, existing, resource_policy=False)


@FOCUSED
@given(focused(True, "Principal"), focused(True, "Principal"))
def test_principal_inclusion_is_sound(new: dict[str, Any], existing: dict[str, Any]) -> None:
    if check_no_new_access(new, existing, "RESOURCE_POLICY").result == "PASS":
        _assert_no_new_access(new, existing, resource_policy=True)


EXTERNAL = (*OUTSIDERS, Caller("arn:aws:iam::444455556666:user/eve", True))


@SETTINGS
@given(policies(resource_policy=True))
def test_no_exposure_means_no_outsider_gets_in(document: dict[str, Any]) -> None:
    """When :func:`exposures` reports nothing, no caller outside the account (anonymous, or
    another account's user with every identity permission) is allowed any action of the
    bucket's service (other services' actions never reach a bucket)."""
    if exposures(document, ACCOUNT, resource_type="AWS::S3::Bucket"):
        return
    keys = mentioned_keys(document)
    for caller in EXTERNAL:
        engine = evaluator(document, True, caller)
        for request in requests(caller, S3_REQUEST_ACTIONS, REQUEST_RESOURCES, keys, outsider=True):
            assert not allowed(engine, request), (
                f"no finding, but {request.principal.arn or 'anonymous'} may {request.action} "
                f"on {request.resource} with {dict(request.context)}"
            )
