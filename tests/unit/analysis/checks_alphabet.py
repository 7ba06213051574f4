"""Small alphabets, random policies over them, and an exhaustive grid of concrete requests.

The soundness tests of the custom policy checks draw policies from these alphabets and, when a
check says PASS, decide *every* request of the grid with the real engine: actions, resources,
callers and context values all come from the same alphabets, so patterns, variables,
``NotAction`` / ``NotResource`` complements and conditions meet the requests often.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from iamd.policy import Evaluator, Outcome, PolicyKind, PolicySet, Request, parse_policy

ACCOUNT = "111122223333"
OTHER = "444455556666"
STRANGER = "999988887777"

ACTION_PATTERNS = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:GetObjectAcl",
    "iam:CreateUser",
    "s3:Get*",
    "s3:*Object",
    "s3:?etObject",
    "s3:*",
    "iam:*",
    "*:Get*",
    "s*:Put*",
    "*",
)
REQUEST_ACTIONS = (
    "s3:GetObject",
    "S3:getobjectacl",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:GetBucketPolicy",
    "iam:CreateUser",
    "iam:GetUser",
    "sts:AssumeRole",
)
S3_REQUEST_ACTIONS = tuple(a for a in REQUEST_ACTIONS if a.lower().startswith("s3:"))

RESOURCE_PATTERNS = (
    "*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/x*",
    "arn:aws:s3:::b/x/y",
    "arn:aws:s3:::*",
    "arn:aws:s3:::?/x",
    "arn:aws:s3:::${aws:username}/*",
    "arn:aws:s3:::b/${aws:username}",
    f"arn:aws:iam::{ACCOUNT}:user/*",
    f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}",
    "arn:aws:iam::*:user/bob",
    f"arn:aws:iam::{ACCOUNT}:*",
    f"arn:aws:IAM::{ACCOUNT}:us*/bob",
    "arn:aws:s3",
)
REQUEST_RESOURCES = (
    "*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::b/x",
    "arn:aws:s3:::b/x/y",
    "arn:aws:s3:::b/bob",
    "arn:aws:s3:::c/x",
    "arn:aws:s3:::bob/k",
    f"arn:aws:iam::{ACCOUNT}:user/bob",
    f"arn:aws:iam::{ACCOUNT}:us*/bob",
    f"arn:aws:iam::{OTHER}:user/bob",
    f"arn:aws:iam::{ACCOUNT}:role/r",
)

_STRING_VALUES = ("a", "b", "a*", "ab")
CLAUSES: tuple[tuple[str, str, tuple[str, ...]], ...] = tuple(
    [
        (op, "s3:prefix", values)
        for op in (
            "StringEquals",
            "StringLike",
            "StringNotEquals",
            "StringNotLike",
            "StringEqualsIfExists",
            "StringEqualsIgnoreCase",
            "ForAnyValue:StringEquals",
            "ForAllValues:StringLike",
        )
        for values in (("a",), ("b",), ("a", "b"), ("a*",), ("ab", "a"))
    ]
    + [
        ("IpAddress", "aws:SourceIp", ("10.0.0.0/8",)),
        ("IpAddress", "aws:SourceIp", ("10.1.0.0/16",)),
        ("NotIpAddress", "aws:SourceIp", ("10.1.0.0/16",)),
        ("Bool", "aws:MultiFactorAuthPresent", ("true",)),
        ("BoolIfExists", "aws:MultiFactorAuthPresent", ("true",)),
        ("Null", "aws:MultiFactorAuthPresent", ("false",)),
        ("Null", "aws:MultiFactorAuthPresent", ("true",)),
        ("StringEquals", "aws:PrincipalTag/team", ("a",)),
        ("StringEquals", "aws:PrincipalTag/team", ("${aws:username}",)),
        ("NumericLessThan", "s3:max-keys", ("10",)),
        ("NumericLessThanEquals", "s3:max-keys", ("5", "7")),
        ("NumericGreaterThan", "s3:max-keys", ("5",)),
        ("StringEquals", "aws:PrincipalOrgID", ("o-1",)),
        ("StringNotEquals", "aws:PrincipalOrgID", ("o-1",)),
    ]
)

CONTEXT_VALUES: dict[str, tuple[str | tuple[str, ...] | None, ...]] = {
    "s3:prefix": (None, "a", "ab", "A", "bob", ("a", "zz"), ("a", "b")),
    "aws:username": (None, "bob"),
    "aws:SourceIp": (None, "10.1.2.3", "10.1.9.9", "10.9.0.1", "192.0.2.1"),
    "aws:MultiFactorAuthPresent": (None, "true", "false"),
    "aws:PrincipalTag/team": (None, "a", "bob"),
    "aws:PrincipalOrgID": (None, "o-1"),
    "s3:max-keys": (None, "5", "6", "7", "10", "many"),
}
"""Every key a generated condition mentions, with the values a request may carry."""

RESTRICTING_CONTEXT_KEYS = frozenset({"aws:SourceIp", "aws:PrincipalOrgID"})
"""Keys an outsider cannot set to a value a policy names (see ``restrictions``)."""

PRINCIPALS: tuple[Any, ...] = (
    "*",
    {"AWS": "*"},
    {"AWS": ACCOUNT},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:role/r"},
    {"AWS": OTHER},
    {"AWS": f"arn:aws:iam::{OTHER}:user/eve"},
    {"Service": "s3.amazonaws.com"},
    {"AWS": [ACCOUNT, f"arn:aws:iam::{OTHER}:user/eve"]},
)

ALLOW_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@dataclass(frozen=True)
class Caller:
    """A caller of the grid and the identity-side policies it brings along."""

    principal: str | None
    identity: bool
    """Whether the caller's own account allows it everything (cross-account callers)."""


SAME_ACCOUNT_USER = Caller(f"arn:aws:iam::{ACCOUNT}:user/bob", False)
RESOURCE_CALLERS = (
    SAME_ACCOUNT_USER,
    Caller(f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", False),
    Caller(f"arn:aws:iam::{OTHER}:user/eve", True),
    Caller(None, False),
    Caller("s3.amazonaws.com", False),
)
OUTSIDERS = (Caller(None, False), Caller(f"arn:aws:iam::{STRANGER}:user/x", True))


# --- strategies ----------------------------------------------------------------------------


def _one_or_many(values: Sequence[Any]) -> st.SearchStrategy[Any]:
    many = st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)
    return st.one_of(st.sampled_from(values), many)


def conditions() -> st.SearchStrategy[dict[str, dict[str, list[str]]]]:
    def build(clauses: list[tuple[str, str, tuple[str, ...]]]) -> dict[str, dict[str, list[str]]]:
        out: dict[str, dict[str, list[str]]] = {}
        for op, key, values in clauses:
            out.setdefault(op, {})[key] = list(values)
        return out

    return st.lists(st.sampled_from(CLAUSES), max_size=2).map(build)


@st.composite
def statement(draw: st.DrawFn, effect: str, resource_policy: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect}
    if draw(st.integers(0, 4)) == 0:
        out["NotAction"] = draw(_one_or_many(ACTION_PATTERNS))
    else:
        out["Action"] = draw(_one_or_many(ACTION_PATTERNS))
    if draw(st.integers(0, 5)) == 0:
        out["NotResource"] = draw(_one_or_many(RESOURCE_PATTERNS))
    else:
        out["Resource"] = draw(_one_or_many(RESOURCE_PATTERNS))
    if resource_policy:
        if draw(st.integers(0, 7)) == 0:
            out["NotPrincipal"] = {"AWS": OTHER}
        else:
            out["Principal"] = draw(st.sampled_from(PRINCIPALS))
    condition = draw(conditions())
    if condition:
        out["Condition"] = condition
    if draw(st.booleans()):
        out["Sid"] = f"S{draw(st.integers(0, 99))}"
    return out


@st.composite
def policies(
    draw: st.DrawFn, resource_policy: bool = False, max_statements: int = 3
) -> dict[str, Any]:
    allows = draw(
        st.lists(statement("Allow", resource_policy), min_size=1, max_size=max_statements)
    )
    denies = draw(st.lists(statement("Deny", resource_policy), max_size=1))
    statements = allows + denies
    draw(st.randoms(use_true_random=False)).shuffle(statements)
    seen: set[str] = set()
    for item in statements:  # Sids must be unique
        if "Sid" in item and item["Sid"] in seen:
            del item["Sid"]
        seen.add(item.get("Sid", ""))
    version = draw(st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17"]))
    return {"Version": version, "Statement": statements}


# --- the grid ------------------------------------------------------------------------------


def contexts(keys: Sequence[str], *, outsider: bool = False) -> Iterator[dict[str, Any]]:
    """Every combination of the keys' values (absent included); an outsider never carries
    a restricting key."""
    choices = [
        (None,) if outsider and key in RESTRICTING_CONTEXT_KEYS else CONTEXT_VALUES[key]
        for key in keys
    ]
    for combo in itertools.product(*choices):
        yield {k: v for k, v in zip(keys, combo, strict=True) if v is not None}


def mentioned_keys(*documents: dict[str, Any]) -> list[str]:
    """The context keys the documents' conditions and variables mention (grid dimensions)."""
    text = json.dumps(documents).lower()
    return [k for k in CONTEXT_VALUES if k.lower() in text]


def evaluator(document: dict[str, Any], resource_policy: bool, caller: Caller) -> Evaluator:
    if not resource_policy:
        return Evaluator(PolicySet(identity=[parse_policy(document, PolicyKind.IDENTITY)]))
    identity = [parse_policy(ALLOW_ALL, PolicyKind.IDENTITY)] if caller.identity else []
    resource = parse_policy(_with_resources(document), PolicyKind.RESOURCE)
    return Evaluator(PolicySet(identity=identity, resource=resource))


def _with_resources(document: dict[str, Any]) -> dict[str, Any]:
    statements = [
        s if "Resource" in s or "NotResource" in s else {**s, "Resource": "*"}
        for s in document["Statement"]
    ]
    return {**document, "Statement": statements}


def requests(
    caller: Caller,
    actions: Sequence[str],
    resources: Sequence[str],
    keys: Sequence[str],
    *,
    outsider: bool = False,
) -> Iterator[Request]:
    for context in list(contexts(keys, outsider=outsider)):
        for action in actions:
            for resource in resources:
                yield Request.build(
                    caller.principal, action, resource, context, resource_account=ACCOUNT
                )


def allowed(engine: Evaluator, request: Request) -> bool:
    return engine.evaluate(request).outcome is Outcome.ALLOWED
