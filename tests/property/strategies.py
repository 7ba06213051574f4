"""Hypothesis strategies for policy documents and requests that actually meet.

Random strings almost never match a policy, so a naive generator would test little beyond
"implicitly denied".  Everything here is drawn from small alphabets shared by both sides - two
accounts, a handful of users, roles, buckets, tables and functions, a few tag values, IP
addresses from a few CIDR blocks, dates a few seconds to a day around one pivot - and policy
values are built by *mutating* the same concrete values that requests carry (wildcards, case
changes, policy variables, escapes).  So Actions, Resources, Principals and Conditions match
often, and the interesting edges (type mismatches, missing keys, multivalued keys, unresolvable
variables, cross-account callers) come up in every run.

Documents are generated only in forms that AWS accepts, since the point is to compare
decisions; the parser fuzz (:mod:`tests.property.test_parser_fuzz`) covers everything else.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from tests.property.reference import RawPolicySet, RawRequest

Document = dict[str, Any]

ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
ACCOUNTS = (ACCOUNT_A, ACCOUNT_B)

USERS = (
    f"arn:aws:iam::{ACCOUNT_A}:user/alice",
    f"arn:aws:iam::{ACCOUNT_A}:user/bob",
    f"arn:aws:iam::{ACCOUNT_B}:user/carol",
)
SESSIONS = (
    f"arn:aws:sts::{ACCOUNT_A}:assumed-role/Admin/build",
    f"arn:aws:sts::{ACCOUNT_A}:assumed-role/Admin/alice",
    f"arn:aws:sts::{ACCOUNT_B}:assumed-role/Reader/audit",
)
PRINCIPALS = USERS + SESSIONS
ROLES = (
    f"arn:aws:iam::{ACCOUNT_A}:role/Admin",
    f"arn:aws:iam::{ACCOUNT_B}:role/Reader",
    f"arn:aws:iam::{ACCOUNT_A}:role/Reader",
)

ACTIONS: dict[str, tuple[str, ...]] = {
    "s3": ("GetObject", "PutObject", "ListBucket", "DeleteObject"),
    "dynamodb": ("GetItem", "PutItem", "Query"),
    "iam": ("GetUser", "ListUsers"),
    "lambda": ("InvokeFunction",),
    "ec2": ("DescribeInstances",),
}
RESOURCES: dict[str, tuple[str, ...]] = {
    "s3": (
        "arn:aws:s3:::app-data",
        "arn:aws:s3:::app-data/alice/notes.txt",
        "arn:aws:s3:::app-data/bob/a:b",
        "arn:aws:s3:::app-logs/2024/x?y$z",
        "arn:aws:s3:::App-Data/alice/report",
    ),
    "dynamodb": (
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT_A}:table/orders",
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT_A}:table/orders/index/by-date",
        f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_B}:table/alice",
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT_A}:table/Orders",
    ),
    "iam": (
        f"arn:aws:iam::{ACCOUNT_A}:user/alice",
        f"arn:aws:iam::{ACCOUNT_A}:user/ops/bob",
        f"arn:aws:iam::{ACCOUNT_B}:user/carol",
    ),
    "lambda": (
        f"arn:aws:lambda:us-east-1:{ACCOUNT_A}:function:proc",
        f"arn:aws:lambda:us-east-1:{ACCOUNT_A}:function:proc:live",
    ),
    "ec2": ("*",),
}
CONCRETE_ARNS = tuple(arn for arns in RESOURCES.values() for arn in arns if arn != "*")

VARIABLES = (
    "${aws:username}",
    "${AWS:UserName}",
    "${aws:PrincipalTag/team}",
    "${aws:username, 'alice'}",
    "${aws:PrincipalTag/team, 'orders'}",
    "${aws:TagKeys}",
    "${aws:TagKeys, 'team'}",
    "${test:Missing}",
    "${test:Missing, 'bob'}",
    "${aws:RequestedRegion}",
)
"""Variables over keys that resolve, are missing, or are multivalued, with and without defaults."""
ESCAPES = ("${*}", "${?}", "${$}")

# --------------------------------------------------------------------------------------------
# Typed value pools: what requests carry, and what policies compare them with
# --------------------------------------------------------------------------------------------

PIVOT = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
_SHIFTS = (-86400, -3600, -1, 0, 1, 3600, 86400)


def _render_dates() -> tuple[str, ...]:
    """The same few instants in every format AWS accepts: ISO 8601 with ``Z``, with an offset,
    with fractional seconds, minute precision, a date alone, and epoch seconds."""
    out: list[str] = []
    plus_two = timezone(timedelta(hours=2))
    for shift in _SHIFTS:
        moment = PIVOT + timedelta(seconds=shift)
        out.append(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
        out.append(moment.astimezone(plus_two).strftime("%Y-%m-%dT%H:%M:%S+02:00"))
        out.append(moment.strftime("%Y-%m-%dT%H:%M:%S.500Z"))
        out.append(moment.strftime("%Y-%m-%dT%H:%MZ"))
        out.append(moment.strftime("%Y-%m-%d"))
        out.append(str(int(moment.timestamp())))
    return tuple(dict.fromkeys(out))


DATES = _render_dates()
NUMBERS = ("0", "5", "5.0", "7", "10", "-3", "2.5", "100")
BOOLS = ("true", "false")
BLOBS = tuple(base64.b64encode(b).decode() for b in (b"abc", b"xyz", b"\x00\xff", b"hello"))
ADDRESSES = (
    "10.1.2.3",
    "10.200.0.1",
    "192.168.1.7",
    "192.168.2.1",
    "8.8.8.8",
    "2001:db8::1",
    "2001:db9::5",
)
NETWORKS = (
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.2.3",
    "10.1.2.3/32",
    "192.168.1.0/24",
    "192.168.1.7/16",
    "0.0.0.0/0",
    "2001:db8::/32",
    "2001:db8::1/128",
    "::/0",
)
ARN_VALUES = PRINCIPALS + ROLES + CONCRETE_ARNS
NOT_OF_ANY_TYPE = ("not-a-value", "yes")

STRING_POOLS: dict[str, tuple[str, ...]] = {
    "aws:username": ("alice", "bob", "carol", "orders", "Alice"),
    "aws:PrincipalTag/team": ("red", "blue", "alice", "orders"),
    "aws:ResourceTag/team": ("red", "blue", "Red"),
    "aws:PrincipalAccount": ACCOUNTS,
    "aws:RequestedRegion": ("us-east-1", "eu-west-1"),
    "s3:prefix": ("home/alice/", "home/bob/docs", "public/", "home/"),
    "aws:TagKeys": ("team", "env", "owner", "Team", "cost-center"),
    "aws:CalledVia": ("cloudformation.amazonaws.com", "athena.amazonaws.com"),
}
TYPED_POOLS: dict[str, tuple[str, ...]] = {
    "numeric": NUMBERS,
    "date": DATES,
    "bool": BOOLS,
    "binary": BLOBS,
    "ip": ADDRESSES,
    "arn": ARN_VALUES,
}


@dataclass(frozen=True)
class Key:
    """A condition key: its name, the type of its values and whether it is multivalued."""

    name: str
    kind: str
    multi: bool = False

    def pool(self) -> tuple[str, ...]:
        if self.kind == "string":
            return STRING_POOLS[self.name]
        return TYPED_POOLS[self.kind]


KEYS = (
    Key("aws:username", "string"),
    Key("aws:PrincipalTag/team", "string"),
    Key("aws:ResourceTag/team", "string"),
    Key("aws:PrincipalAccount", "string"),
    Key("aws:RequestedRegion", "string"),
    Key("s3:prefix", "string"),
    Key("aws:TagKeys", "string", multi=True),
    Key("aws:CalledVia", "string", multi=True),
    Key("aws:SourceIp", "ip"),
    Key("aws:CurrentTime", "date"),
    Key("aws:EpochTime", "date"),
    Key("aws:MultiFactorAuthPresent", "bool"),
    Key("aws:SecureTransport", "bool"),
    Key("s3:max-keys", "numeric"),
    Key("aws:MultiFactorAuthAge", "numeric"),
    Key("aws:PrincipalArn", "arn"),
    Key("aws:SourceArn", "arn"),
    Key("test:Blob", "binary"),
)

FAMILIES: dict[str, tuple[str, ...]] = {
    "string": (
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
    ),
    "numeric": (
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
    ),
    "date": (
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
    ),
    "bool": ("Bool",),
    "binary": ("BinaryEquals",),
    "ip": ("IpAddress", "NotIpAddress"),
    "arn": ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"),
}

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


@st.composite
def recased(draw: st.DrawFn, text: str) -> str:
    """Usually ``text``; sometimes in another case, to test case-(in)sensitivity."""
    how = draw(st.sampled_from(("same", "same", "same", "lower", "upper", "flip-one")))
    if how == "lower":
        return text.lower()
    if how == "upper":
        return text.upper()
    if how == "flip-one" and text:
        index = draw(st.integers(0, len(text) - 1))
        return text[:index] + text[index].swapcase() + text[index + 1 :]
    return text


@st.composite
def wildcarded(draw: st.DrawFn, text: str, variables: bool) -> str:
    """``text`` with wildcards, a policy variable or an escape worked in."""
    how = draw(
        st.sampled_from(
            (
                "same",
                "same",
                "truncate-star",
                "star",
                "qmark",
                "prefix-star",
                "variable",
                "escape",
                "recase",
            )
        )
    )
    if how == "star":
        return "*"
    if how == "recase":
        return draw(recased(text))
    if not text:
        return text
    index = draw(st.integers(0, len(text) - 1))
    if how == "truncate-star":
        return text[:index] + "*"
    if how == "prefix-star":
        return "*" + text[index + 1 :]
    if how == "qmark":
        return text[:index] + "?" + text[index + 1 :]
    if how == "variable" and variables:
        end = draw(st.integers(index, len(text)))
        return text[:index] + draw(st.sampled_from(VARIABLES)) + text[end:]
    if how == "escape" and variables:
        # ${?} and ${$} stand for a literal character that requests may carry.
        escaped = "".join("${" + ch + "}" if ch in "?$" else ch for ch in text)
        if escaped != text:
            return escaped
        return text[:index] + draw(st.sampled_from(ESCAPES)) + text[index:]
    return text


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


def _account_of(arn: str) -> str | None:
    fields = arn.split(":")
    return fields[4] if len(fields) >= 6 and fields[4] else None


@st.composite
def context_value(draw: st.DrawFn, key: Key) -> str | list[str]:
    """Mostly a value of the key's own type; sometimes another type's (a type mismatch); lists
    for multivalued keys, and now and then for single-valued ones too."""

    def one() -> str:
        if draw(st.integers(0, 9)) == 0:
            kind = draw(st.sampled_from(sorted(TYPED_POOLS)))
            return draw(st.sampled_from(TYPED_POOLS[kind] + NOT_OF_ANY_TYPE))
        return draw(st.sampled_from(key.pool()))

    as_list = draw(st.integers(0, 9)) < (8 if key.multi else 1)
    if as_list:
        return list(dict.fromkeys(one() for _ in range(draw(st.integers(1, 3)))))
    return one()


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, str | list[str]]:
    """A request context over a random subset of the known keys, key names in any case."""
    chosen = draw(st.lists(st.sampled_from(KEYS), max_size=7, unique=True))
    out: dict[str, str | list[str]] = {}
    for key in chosen:
        out[draw(recased(key.name))] = draw(context_value(key))
    return out


@st.composite
def requests(draw: st.DrawFn, principal: str | None = None) -> RawRequest:
    """A request: mostly a resource of the action's own service, sometimes any resource."""
    caller = principal or draw(st.sampled_from(PRINCIPALS))
    service = draw(st.sampled_from(sorted(ACTIONS)))
    action = f"{service}:{draw(st.sampled_from(ACTIONS[service]))}"
    pool = RESOURCES[service] if draw(st.integers(0, 4)) else (*CONCRETE_ARNS, "*")
    resource = draw(st.sampled_from(pool))
    account = _account_of(resource)
    if account is None:
        account = draw(st.sampled_from(ACCOUNTS))
    return RawRequest(
        principal=caller,
        action=draw(recased(action)),
        resource=resource,
        resource_account=account,
        context=draw(contexts()),
    )


# --------------------------------------------------------------------------------------------
# Policy elements
# --------------------------------------------------------------------------------------------


@st.composite
def action_patterns(draw: st.DrawFn, near: str | None = None) -> str:
    """``*``, or an action with wildcards in its service prefix or name, in any case; mostly
    built from ``near`` (the request's own action) so that it is likely to match."""
    if draw(st.integers(0, 19)) == 0:
        return "*"
    if near is not None and draw(st.integers(0, 3)) > 0:
        service, _, name = near.partition(":")
    else:
        service = draw(st.sampled_from(sorted(ACTIONS)))
        name = draw(st.sampled_from(ACTIONS[service]))
    vendor_how = draw(st.sampled_from(("same", "same", "same", "same", "star", "qmark")))
    if vendor_how == "star":
        service = "*"
    elif vendor_how == "qmark":
        service = service[:-1] + "?"
    name = draw(wildcarded(name, variables=False))
    return draw(recased(f"{service}:{name}"))


def _resource_type_length(service: str, resource_field: str) -> int:
    """Length of the literal resource-type prefix (``table/``, ``function:``); 0 for S3."""
    if service == "s3":
        return 0
    cuts = [i for i in (resource_field.find("/"), resource_field.find(":")) if i >= 0]
    return min(cuts) + 1 if cuts else 0


@st.composite
def resource_patterns(draw: st.DrawFn, variables: bool, near: str | None = None) -> str:
    """``*``, or a concrete ARN (mostly ``near``, the request's own resource) with its
    fields mutated: wildcards and case changes in the first five (never variables: AWS allows
    them only after the fifth colon), and wildcards, variables and escapes after the resource
    type, which itself is rarely touched."""
    if draw(st.integers(0, 9)) == 0:
        return "*"
    if near is not None and near != "*" and draw(st.integers(0, 3)) > 0:
        arn = near
    else:
        arn = draw(st.sampled_from(CONCRETE_ARNS))
    fields = arn.split(":", 5)
    for index in range(1, 5):
        how = draw(st.sampled_from(("same",) * 5 + ("star", "recase", "recase", "qmark")))
        if how == "star":
            fields[index] = "*"
        elif how == "recase":
            fields[index] = draw(st.sampled_from((fields[index].upper(), fields[index].title())))
        elif how == "qmark" and fields[index]:
            position = draw(st.integers(0, len(fields[index]) - 1))
            fields[index] = fields[index][:position] + "?" + fields[index][position + 1 :]
    cut = _resource_type_length(arn.split(":")[2], fields[5])
    resource_type, rest = fields[5][:cut], fields[5][cut:]
    if resource_type and draw(st.integers(0, 9)) == 0:
        resource_type = draw(wildcarded(resource_type, variables=False))
    fields[5] = resource_type + draw(wildcarded(rest, variables))
    return ":".join(fields)


@st.composite
def arn_condition_values(draw: st.DrawFn, variables: bool, near: Sequence[str] = ()) -> str:
    """ARNs for Arn* operators: wildcards in any field, variables only in the last one."""
    use_near = bool(near) and draw(st.booleans())
    arn = draw(st.sampled_from(tuple(near) if use_near else ARN_VALUES))
    fields = arn.split(":", 5)
    for index in range(6):
        how = draw(st.sampled_from(("same",) * 5 + ("star", "qmark")))
        if how == "star":
            fields[index] = "*"
        elif how == "qmark" and fields[index]:
            position = draw(st.integers(0, len(fields[index]) - 1))
            fields[index] = fields[index][:position] + "?" + fields[index][position + 1 :]
    fields[5] = draw(wildcarded(fields[5], variables))
    return ":".join(fields)


@st.composite
def condition_value(
    draw: st.DrawFn, family: str, key: Key, variables: bool, near: Sequence[str] = ()
) -> Any:
    """One policy value valid for ``family`` (so that the document parses), drawn from the pool
    the key's request values come from, or from ``near`` (the request's own values)."""
    seen = [v for v in near if v in TYPED_POOLS.get(family, ())]
    if family == "string":
        pool = key.pool() if key.kind == "string" else STRING_POOLS["aws:username"]
        base = draw(st.sampled_from(tuple(near) or pool)) if draw(st.booleans()) else None
        base = base if base is not None else draw(st.sampled_from(pool))
        return draw(wildcarded(base, variables))
    if seen and family != "arn" and draw(st.booleans()):
        return draw(st.sampled_from(seen))
    if family == "numeric":
        return draw(st.sampled_from((*NUMBERS, 5, 7, 2.5, -3)))
    if family == "date":
        return draw(st.sampled_from((*DATES, int(PIVOT.timestamp()))))
    if family == "bool":
        options: tuple[Any, ...] = (*BOOLS, True, False)
        if variables:
            options += ("${aws:SecureTransport}", "${test:Missing, 'true'}")
        return draw(st.sampled_from(options))
    if family == "binary":
        return draw(st.sampled_from(BLOBS))
    if family == "ip":
        return draw(st.sampled_from(NETWORKS))
    if family == "arn":
        return draw(arn_condition_values(variables, tuple(v for v in near if v in ARN_VALUES)))
    raise AssertionError(family)


def _values_of(context: Mapping[str, str | list[str]], key: Key) -> list[str]:
    """The request's values for ``key`` (whatever the case of its name), as a list."""
    for name, value in context.items():
        if name.lower() == key.name.lower():
            return [value] if isinstance(value, str) else list(value)
    return []


@st.composite
def condition_blocks(
    draw: st.DrawFn, variables: bool, context: Mapping[str, str | list[str]] | None = None
) -> dict[str, dict[str, Any]]:
    """A Condition element: one or two operators, each over one or two keys, each with one to
    three values; set operators, ``IfExists`` and ``Null`` included.  Keys are mostly ones the
    request carries, and values mostly built from the request's own."""
    context = context or {}
    present = [k for k in KEYS if _values_of(context, k)]
    block: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(1, 2))):
        use_present = present and draw(st.integers(0, 3)) > 0
        key = draw(st.sampled_from(present if use_present else KEYS))
        near = _values_of(context, key)
        if draw(st.integers(0, 11)) == 0:
            block.setdefault("Null", {})[draw(recased(key.name))] = draw(
                st.sampled_from(("true", "false", True, False))
            )
            continue
        family = (
            key.kind if draw(st.integers(0, 9)) < 7 else draw(st.sampled_from(sorted(FAMILIES)))
        )
        operator = draw(st.sampled_from(FAMILIES[family]))
        qualifier = draw(st.sampled_from(("", "", "", "ForAllValues:", "ForAnyValue:")))
        suffix = draw(st.sampled_from(("", "", "", "IfExists")))
        name = f"{qualifier}{operator}{suffix}"
        values = [
            draw(condition_value(family, key, variables, near))
            for _ in range(draw(st.integers(1, 3)))
        ]
        raw: Any = values[0] if len(values) == 1 and draw(st.booleans()) else values
        block.setdefault(name, {})[draw(recased(key.name))] = raw
        for other in draw(st.lists(st.sampled_from(KEYS), max_size=1)):
            extra = draw(condition_value(family, other, variables, _values_of(context, other)))
            block[name].setdefault(other.name, extra)
    return block


def _principal_chain(principal: str) -> list[str]:
    """Everything AWS may check a NotPrincipal against for ``principal``: account, role, self."""
    fields = principal.split(":")
    chain = [f"arn:aws:iam::{fields[4]}:root"]
    if ":assumed-role/" in principal:
        chain.append(f"arn:aws:iam::{fields[4]}:role/{fields[5].split('/')[1]}")
    return [*chain, principal]


@st.composite
def principal_elements(draw: st.DrawFn, caller: str | None = None) -> Any:
    """``"*"``, or ``{"AWS": ...}`` naming accounts (by ID or root ARN), users, roles,
    sessions or everyone, sometimes with a Service principal beside them; half the time one
    of the names is one of ``caller``'s own (itself, its role, its account)."""
    if draw(st.integers(0, 7)) == 0:
        return "*"
    candidates = (
        "*",
        *ACCOUNTS,
        *(f"arn:aws:iam::{a}:root" for a in ACCOUNTS),
        *PRINCIPALS,
        *ROLES,
        f"arn:aws:iam::{ACCOUNT_A}:user/zed",
    )
    values = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3, unique=True))
    if caller is not None and draw(st.booleans()):
        own = [*_principal_chain(caller), caller.split(":")[4]]
        values[0] = draw(st.sampled_from(own))
        values = list(dict.fromkeys(values))
    element: dict[str, Any] = {"AWS": values[0] if len(values) == 1 else values}
    if draw(st.integers(0, 7)) == 0:
        element["Service"] = "lambda.amazonaws.com"
    return element


@st.composite
def not_principal_elements(draw: st.DrawFn) -> Any:
    """A NotPrincipal listing whole chains (account, role, session or user) of a few callers,
    as AWS's NotPrincipal page tells authors to."""
    chosen = draw(st.lists(st.sampled_from(PRINCIPALS), min_size=1, max_size=2, unique=True))
    values = list(dict.fromkeys(v for p in chosen for v in _principal_chain(p)))
    return {"AWS": values}


def _one_or_list(draw: st.DrawFn, values: list[str]) -> Any:
    return values[0] if len(values) == 1 and draw(st.booleans()) else values


@st.composite
def statements(
    draw: st.DrawFn,
    kind: str,
    variables: bool,
    near: RawRequest | None = None,
    condition_chance: int = 4,
) -> Document:
    """One statement for a policy of ``kind`` (identity, boundary, session, resource, scp, rcp),
    its elements half the time built around ``near`` (the request) so that they match."""
    effect = "Deny" if kind == "rcp" else draw(st.sampled_from(("Allow", "Allow", "Allow", "Deny")))
    statement: Document = {"Effect": effect}
    if draw(st.integers(0, 3)) == 0:
        statement["Sid"] = "S"  # made unique by the caller
    action = near.action if near else None
    resource = near.resource if near else None
    actions = draw(st.lists(action_patterns(action), min_size=1, max_size=2))
    statement["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = _one_or_list(
        draw, actions
    )
    resources = draw(st.lists(resource_patterns(variables, resource), min_size=1, max_size=2))
    statement["NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"] = _one_or_list(
        draw, resources
    )
    if kind == "resource":
        if effect == "Deny" and draw(st.integers(0, 5)) == 0:
            statement["NotPrincipal"] = draw(not_principal_elements())
        else:
            statement["Principal"] = draw(principal_elements(near.principal if near else None))
    elif kind == "rcp":
        statement["Principal"] = "*"
    if draw(st.integers(0, 9)) < condition_chance:
        context = near.context if near else None
        statement["Condition"] = draw(condition_blocks(variables, context))
    return statement


@st.composite
def documents(
    draw: st.DrawFn, kind: str, near: RawRequest | None = None, condition_chance: int = 4
) -> Document:
    """A policy document: Version 2012-10-17 mostly (variables on), sometimes 2008-10-17 or
    none (variables are literal text); one or two statements, as an object or a list."""
    version = draw(st.sampled_from(("2012-10-17",) * 6 + ("2008-10-17", None)))
    variables = version == "2012-10-17"
    items = draw(
        st.lists(statements(kind, variables, near, condition_chance), min_size=1, max_size=2)
    )
    for index, item in enumerate(items):
        if "Sid" in item:
            item["Sid"] = f"S{index}"
    document: Document = {}
    if version is not None:
        document["Version"] = version
    if draw(st.integers(0, 9)) == 0:
        document["Id"] = "generated"
    document["Statement"] = items[0] if len(items) == 1 and draw(st.booleans()) else items
    return document


FULL_AWS_ACCESS: Document = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"},
}
"""The AWS-managed SCP ``FullAWSAccess``; deny-list SCP levels list it explicitly."""


@st.composite
def scp_levels(draw: st.DrawFn, near: RawRequest) -> list[list[Document]]:
    """No SCPs, or one to three levels; a level usually carries ``FullAWSAccess`` beside its
    own SCPs (deny-list style), sometimes only its own (allow-list style)."""
    if draw(st.integers(0, 9)) < 6:
        return []
    levels: list[list[Document]] = []
    for _ in range(draw(st.integers(1, 3))):
        own = draw(st.lists(documents("scp", near), max_size=2))
        full = draw(st.integers(0, 3)) > 0 or not own
        levels.append([FULL_AWS_ACCESS, *own] if full else own)
    return levels


@st.composite
def rcp_levels(draw: st.DrawFn, near: RawRequest) -> list[list[Document]]:
    """No RCPs, or one to three levels of zero to two customer RCPs (Deny statements only:
    ``RCPFullAWSAccess`` is implied and not listed)."""
    if draw(st.integers(0, 9)) < 7:
        return []
    levels = draw(st.integers(1, 3))
    return [draw(st.lists(documents("rcp", near), max_size=2)) for _ in range(levels)]


@dataclass(frozen=True)
class Case:
    """A policy set and one request to decide under it."""

    policies: RawPolicySet
    request: RawRequest


@st.composite
def identity_cases(draw: st.DrawFn) -> Case:
    """Identity-based policies alone: iamd's fast path."""
    request = draw(requests())
    identity = draw(st.lists(documents("identity", request), min_size=1, max_size=3))
    return Case(RawPolicySet(identity=identity), request)


@st.composite
def full_cases(draw: st.DrawFn) -> Case:
    """Every policy type: identity, boundary, session (assumed-role callers only), resource,
    SCP and RCP levels, same-account and cross-account."""
    request = draw(requests())
    session_caller = ":assumed-role/" in request.principal
    identity = draw(st.lists(documents("identity", request), min_size=1, max_size=2))
    boundary = draw(st.one_of(st.none(), st.none(), documents("boundary", request)))
    session = None
    if session_caller:
        session = draw(st.one_of(st.none(), documents("session", request)))
    resource = draw(st.one_of(st.none(), documents("resource", request)))
    if resource is None and draw(st.booleans()):
        resource = draw(documents("resource", request))
    policies = RawPolicySet(
        identity=identity,
        boundary=boundary,
        session=session,
        resource=resource,
        scp=draw(scp_levels(request)),
        rcp=draw(rcp_levels(request)),
    )
    return Case(policies, request)


@st.composite
def resource_policy_cases(draw: st.DrawFn) -> Case:
    """A resource-based policy beside identity policies, a boundary and a session policy, with
    few conditions: dense coverage of how Principal, NotPrincipal, the caller's account and
    the resource's account combine."""
    request = draw(requests())
    session_caller = ":assumed-role/" in request.principal
    sparse = documents  # fewer conditions, so that more statements apply
    identity = draw(st.lists(sparse("identity", request, 1), min_size=1, max_size=2))
    boundary = draw(st.one_of(st.none(), st.none(), sparse("boundary", request, 1)))
    session = None
    if session_caller:
        session = draw(st.one_of(st.none(), sparse("session", request, 1)))
    resource = draw(sparse("resource", request, 1))
    policies = RawPolicySet(
        identity=identity, boundary=boundary, session=session, resource=resource
    )
    return Case(policies, request)


@st.composite
def condition_cases(draw: st.DrawFn) -> Case:
    """One Allow statement on ``*`` whose only test is its Condition: dense coverage of the
    operators, qualifiers and missing-key rules."""
    request = draw(requests())
    version = draw(st.sampled_from(("2012-10-17", "2012-10-17", "2012-10-17", "2008-10-17")))
    variables = version == "2012-10-17"
    document: Document = {
        "Version": version,
        "Statement": {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": draw(condition_blocks(variables, request.context)),
        },
    }
    return Case(RawPolicySet(identity=[document]), request)


@st.composite
def resource_cases(draw: st.DrawFn) -> Case:
    """One Allow statement whose only test is its Resource or NotResource element."""
    request = draw(requests())
    version = draw(st.sampled_from(("2012-10-17", "2012-10-17", "2012-10-17", None)))
    variables = version == "2012-10-17"
    patterns = draw(
        st.lists(resource_patterns(variables, request.resource), min_size=1, max_size=3)
    )
    element = "NotResource" if draw(st.integers(0, 3)) == 0 else "Resource"
    document: Document = {"Statement": [{"Effect": "Allow", "Action": "*", element: patterns}]}
    if version is not None:
        document["Version"] = version
    return Case(RawPolicySet(identity=[document]), request)


@st.composite
def request_sequences(draw: st.DrawFn) -> tuple[RawPolicySet, list[RawRequest]]:
    """One policy set and several requests by the same caller, to be decided by one evaluator
    in turn: iamd caches a plan per action and compiled policies per document, and a cache
    that leaked one request's answer into the next would show here."""
    first = draw(full_cases())
    more = draw(st.lists(requests(first.request.principal), min_size=2, max_size=6))
    return first.policies, [first.request, *more]


def describe(case: Case) -> dict[str, Any]:
    """A JSON-ready view of a case, in the ``iamd-workload/1`` shape, for failure reports."""
    policies = case.policies
    request = case.request

    def listed(docs: Sequence[Document]) -> list[Document]:
        return list(docs)

    return {
        "policy_set": {
            "identity": listed(policies.identity),
            "boundary": [policies.boundary] if policies.boundary else [],
            "session": [policies.session] if policies.session else [],
            "resource": policies.resource,
            "scp": [listed(level) for level in policies.scp],
            "rcp": [listed(level) for level in policies.rcp],
        },
        "request": {
            "principal": request.principal,
            "action": request.action,
            "resource": request.resource,
            "resource_account": request.resource_account,
            "context": dict(request.context),
        },
    }
