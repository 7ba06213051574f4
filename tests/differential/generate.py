"""Seeded random ``iamd-workload/1`` generator for the differential test against iam-simulate.

Why random and not hand-written: hand-written cases test what their author already thought of.
A seeded generator explores the combinations (operator x key x missing key x variable x
principal x account x policy layer) that nobody writes down, and a fixed seed keeps every run
reproducible, so a disagreement found once can be replayed and minimised.

Why the pools below are small and shared: a random condition over a random value almost never
matches, and a test where every request is implicitly denied proves little.  Policies and
requests draw their names, tags, addresses and dates from the same small pools, so statements
match, miss and deny in roughly comparable proportions.

Why only real actions on matching resources: iam-simulate (the oracle) validates the action
against AWS's service reference and the resource ARN against the action's resource types, and
returns an error otherwise.  Every (action, resource) pair here is valid for the pinned version.

Expected decisions are deliberately absent: the oracle computes them.  The module is pure
stdlib so CI needs nothing beyond the project's own test dependencies.

Run ``python tests/differential/generate.py --seed 1 --sets 60 --requests 25 > w.json`` to
write a workload by hand.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FORMAT = "iamd-workload/1"
ORACLE = "@cloud-copilot/iam-simulate 0.1.173"
VERSION = "2012-10-17"

Json = dict[str, Any]
Context = dict[str, str | list[str]]

# --------------------------------------------------------------------------------------------
# The universe: accounts, principals, resources, and the value pools conditions draw from.
# --------------------------------------------------------------------------------------------

HOME = "111122223333"
OTHER = "444455556666"
REGIONS = ("us-east-1", "eu-west-1")
TEAMS = ("web", "data", "ops")
ORG_HOME = "o-a1b2c3d4e5"
ORG_OTHER = "o-zz9y8x7w6v"


@dataclass(frozen=True)
class Principal:
    """A caller: its ARN, account, and the facts a realistic request context carries."""

    arn: str
    account: str
    kind: str  # "user", "session" (assumed role) or "federated" (federated user)
    name: str  # user name, or the role (or user) name behind a session
    role_arn: str | None = None
    """The role behind an assumed-role session, or the IAM user behind a federated user."""
    tags: dict[str, str] = field(default_factory=dict)


PRINCIPALS = (
    Principal(f"arn:aws:iam::{HOME}:user/alice", HOME, "user", "alice", None, {"team": "web"}),
    Principal(f"arn:aws:iam::{HOME}:user/bob", HOME, "user", "bob", None, {"team": "data"}),
    Principal(f"arn:aws:iam::{HOME}:user/dev/carol", HOME, "user", "carol", None, {"team": "ops"}),
    Principal(f"arn:aws:iam::{OTHER}:user/dave", OTHER, "user", "dave", None, {"team": "web"}),
    Principal(
        f"arn:aws:sts::{HOME}:assumed-role/AppRole/i-0abc123",
        HOME,
        "session",
        "AppRole",
        f"arn:aws:iam::{HOME}:role/AppRole",
        {"team": "data"},
    ),
    Principal(
        f"arn:aws:sts::{HOME}:assumed-role/Admin/alice",
        HOME,
        "session",
        "Admin",
        f"arn:aws:iam::{HOME}:role/ops/Admin",
        {"team": "ops"},
    ),
    Principal(
        f"arn:aws:sts::{OTHER}:assumed-role/Partner/sess-42",
        OTHER,
        "session",
        "Partner",
        f"arn:aws:iam::{OTHER}:role/Partner",
        {"team": "web"},
    ),
    # GetFederationToken session of IAM user bob: matched by Principal elements naming the user.
    Principal(
        f"arn:aws:sts::{HOME}:federated-user/bob",
        HOME,
        "federated",
        "bob",
        f"arn:aws:iam::{HOME}:user/bob",
        {"team": "data"},
    ),
)
SESSIONS = tuple(p for p in PRINCIPALS if p.kind in ("session", "federated"))
USERNAMES = ("alice", "bob", "carol", "dave")

BUCKETS = {"team-data": HOME, "logs-archive": HOME, "partner-share": OTHER}
OBJECT_KEYS = (
    "home/alice/notes.txt",
    "home/bob/report.csv",
    "home/carol/todo.md",
    "home/none/readme",
    "public/index.html",
    "reports/2024/q1.csv",
    "reports/2025/q3.csv",
    "web/app.js",
    "data/x?y.bin",
    "price$100.txt",
    "ops/run.log",
    "home/AROAEXAMPLE12:i-0abc123/cache.bin",
)
TABLES = ("Orders", "Users", "web-sessions", "data-events")
QUEUES = ("jobs", "web-events", "alice-queue", "ops-alerts")
TOPICS = ("alerts", "web-deploys", "data-news")
FUNCTIONS = ("processor", "web-render", "alice-dev")
IAM_USERS = ("alice", "bob", "dev/carol")
SECRETS = ("db-pass-AbCdEf", "web/api-key-QwErTy", "alice/token-ZxCvBn")

# (service, action, resource kind) for every action requests use.
ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "s3": (
        ("s3:GetObject", "object"),
        ("s3:PutObject", "object"),
        ("s3:DeleteObject", "object"),
        ("s3:GetObjectTagging", "object"),
        ("s3:PutObjectTagging", "object"),
        ("s3:ListBucket", "bucket"),
        ("s3:GetBucketPolicy", "bucket"),
        ("s3:GetBucketLocation", "bucket"),
    ),
    "dynamodb": (
        ("dynamodb:GetItem", "table"),
        ("dynamodb:PutItem", "table"),
        ("dynamodb:Query", "table"),
        ("dynamodb:DeleteItem", "table"),
        ("dynamodb:UpdateItem", "table"),
    ),
    "sqs": (
        ("sqs:SendMessage", "queue"),
        ("sqs:ReceiveMessage", "queue"),
        ("sqs:DeleteMessage", "queue"),
        ("sqs:GetQueueAttributes", "queue"),
        ("sqs:TagQueue", "queue"),
    ),
    "sns": (
        ("sns:Publish", "topic"),
        ("sns:Subscribe", "topic"),
        ("sns:GetTopicAttributes", "topic"),
        ("sns:TagResource", "topic"),
    ),
    "lambda": (
        ("lambda:InvokeFunction", "function"),
        ("lambda:GetFunction", "function"),
        ("lambda:UpdateFunctionCode", "function"),
    ),
    "iam": (
        ("iam:GetUser", "user"),
        ("iam:CreateAccessKey", "user"),
        ("iam:ListAccessKeys", "user"),
        ("iam:TagUser", "user"),
    ),
    "secretsmanager": (
        ("secretsmanager:GetSecretValue", "secret"),
        ("secretsmanager:DescribeSecret", "secret"),
        ("secretsmanager:PutSecretValue", "secret"),
    ),
    "ec2": (
        ("ec2:DescribeInstances", "none"),
        ("ec2:DescribeVpcs", "none"),
    ),
}
# Services whose resources carry resource-based policies, and services RCPs may name.
RESOURCE_POLICY_SERVICES = ("s3", "sqs", "sns", "lambda", "secretsmanager", "dynamodb")
RCP_SERVICES = ("s3", "sqs", "secretsmanager", "dynamodb")

SOURCE_IPS = (
    "10.0.1.15",
    "10.20.30.40",
    "192.168.1.7",
    "203.0.113.9",
    "198.51.100.23",
    "2001:db8::1",
    "2001:db8:1234::abcd",
    "2001:db8:ffff:1::42",
    "fd00::7",
    "2001:DB8:1234::ABCD",
)
CIDRS = (
    "10.0.0.0/8",
    "10.0.1.0/24",
    "192.168.0.0/16",
    "203.0.113.0/24",
    "198.51.100.23/32",
    "10.20.30.40",
    "2001:db8::/32",
    "2001:db8:1234::/48",
    "fd00::/8",
    "2001:db8::1/128",
)
RARE_CIDRS = ("0.0.0.0/0", "::/0")
# Moments as (ISO 8601, epoch seconds); requests and policies share them so Date* boundaries hit.
MOMENTS = (
    ("2023-12-31T23:59:59Z", "1704067199"),
    ("2024-01-01T00:00:00Z", "1704067200"),
    ("2024-06-15T12:30:00Z", "1718454600"),
    ("2025-03-01T08:00:00Z", "1740816000"),
)
DATE_POLICY_VALUES = (
    "2024-01-01T00:00:00Z",
    "1704067200",
    "2024-06-15T12:30:00Z",
    "1718454600",
    "2025-01-01",
    "2024-06-15T14:30:00+02:00",
    "2024-06-15T12:30:00.000Z",
)
MFA_AGES = ("30", "300", "3600", "86400")
NUMERIC_POLICY_VALUES = ("300", "3600", "3600.0", "86400", "30", "1.5")
MAX_KEYS = ("10", "100", "1000")
ORG_PATHS = (
    f"{ORG_HOME}/r-ab12/ou-ab12-11111111/",
    f"{ORG_HOME}/r-ab12/ou-ab12-22222222/",
    f"{ORG_HOME}/r-ab12/ou-ab12-11111111/ou-ab12-33333333/",
    f"{ORG_OTHER}/r-zz99/ou-zz99-44444444/",
)
TAG_KEYS = ("env", "team", "owner", "cost-center", "Project")
SOURCE_ARNS = (
    f"arn:aws:sns:us-east-1:{HOME}:alerts",
    "arn:aws:s3:::logs-archive",
    f"arn:aws:lambda:eu-west-1:{OTHER}:function:web-render",
    f"arn:aws:events:us-east-1:{HOME}:rule/nightly",
)
BLOBS = ("QUJD", "aGVsbG8=", "d29ybGQ=")
PREFIXES = (
    "home/alice/",
    "home/bob/",
    "public/",
    "",
    "reports/",
    "home/none/",
    "cost$/",
    "q?/",
    "a*b/",
)
ACLS = ("private", "public-read", "bucket-owner-full-control")
SERVICE_PRINCIPALS = ("sns.amazonaws.com", "lambda.amazonaws.com", "events.amazonaws.com")

# --------------------------------------------------------------------------------------------
# Resources.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A concrete resource a request names: its ARN, owning account, and resource kind."""

    arn: str
    account: str
    kind: str
    service: str


def targets(service: str, account: str | None = None) -> list[Target]:
    """Every concrete resource of ``service`` (optionally only those ``account`` owns)."""
    out: list[Target] = []
    accounts = (account,) if account else (HOME, OTHER)
    if service == "s3":
        for bucket, owner in BUCKETS.items():
            if owner not in accounts:
                continue
            out.append(Target(f"arn:aws:s3:::{bucket}", owner, "bucket", service))
            out += [
                Target(f"arn:aws:s3:::{bucket}/{k}", owner, "object", service) for k in OBJECT_KEYS
            ]
        return out
    if service == "ec2":
        return [Target("*", account or HOME, "none", service)]
    for acct in accounts:
        for region in REGIONS:
            if service == "dynamodb":
                out += [
                    Target(f"arn:aws:dynamodb:{region}:{acct}:table/{t}", acct, "table", service)
                    for t in TABLES
                ]
            elif service == "sqs":
                out += [
                    Target(f"arn:aws:sqs:{region}:{acct}:{q}", acct, "queue", service)
                    for q in QUEUES
                ]
            elif service == "sns":
                out += [
                    Target(f"arn:aws:sns:{region}:{acct}:{t}", acct, "topic", service)
                    for t in TOPICS
                ]
            elif service == "lambda":
                out += [
                    Target(
                        f"arn:aws:lambda:{region}:{acct}:function:{f}", acct, "function", service
                    )
                    for f in FUNCTIONS
                ]
            elif service == "secretsmanager":
                out += [
                    Target(
                        f"arn:aws:secretsmanager:{region}:{acct}:secret:{s}",
                        acct,
                        "secret",
                        service,
                    )
                    for s in SECRETS
                ]
        if service == "iam":
            out += [
                Target(f"arn:aws:iam::{acct}:user/{u}", acct, "user", service) for u in IAM_USERS
            ]
    return out


# Resource element patterns per service.  "{A}" is the home account, "{O}" the other one.
RESOURCE_PATTERNS: dict[str, tuple[str, ...]] = {
    "s3": (
        "arn:aws:s3:::team-data/*",
        "arn:aws:s3:::team-data",
        "arn:aws:s3:::team-data/home/${aws:username}/*",
        "arn:aws:s3:::team-data/home/${aws:username, 'none'}/*",
        "arn:aws:s3:::team-data/home/${aws:PrincipalTag/owner}/*",
        "arn:aws:s3:::*/public/*",
        "arn:aws:s3:::team-data/reports/202?/*",
        "arn:aws:s3:::logs-*",
        "arn:aws:s3:::logs-*/*",
        "arn:aws:s3:::partner-share/*",
        "arn:aws:s3:::partner-share",
        "arn:aws:s3:::team-data/data/x${?}y.bin",
        "arn:aws:s3:::team-data/price${$}100.txt",
        "arn:aws:s3:::team-data/${*}",
        "arn:aws:s3:::*/${aws:PrincipalTag/team}/*",
        "arn:aws:s3:::team-data/Home/*",
        "arn:aws:s3:::team-data/home/*/notes.*",
        "arn:aws:s3:::team-data/*/*/*.csv",
        "arn:aws:s3:::*data*",
        "arn:aws:s3:::team-data/home/${aws:username}",
        "arn:aws:s3:::team-data/price$*",
        "arn:aws:s3:::team-data/data/x?y.bin",
        "arn:aws:s3:::team-data/home/${aws:userid}/*",
        "arn:aws:s3:::*/h?me/*${aws:username}*/*",
        "arn:aws:s3:::team-data/*${aws:PrincipalTag/team}*",
    ),
    "dynamodb": (
        "arn:aws:dynamodb:*:{A}:table/*",
        "arn:aws:dynamodb:us-east-1:*:table/Orders",
        "arn:aws:dynamodb:*:*:table/${aws:PrincipalTag/team}-*",
        "arn:aws:dynamodb:*:${aws:PrincipalAccount}:table/*",
        "arn:aws:dynamodb:US-EAST-1:{A}:table/Users",
        "arn:aws:dynamodb:eu-west-?:{O}:table/*",
        "arn:aws:dynamodb:*:*:table/orders",
        "arn:aws:dynamodb:*:*:Table/*",
        "arn:aws:dynamodb:*",
        "arn:aws:dynamodb:*:*:table/*-*s",
        "arn:aws:dynamodb:*:*:table/${AWS:principaltag/team}-*",
    ),
    "sqs": (
        "arn:aws:sqs:*:{A}:*",
        "arn:aws:sqs:us-east-1:{A}:${aws:username}-queue",
        "arn:aws:sqs:*:*:web-*",
        "arn:aws:sqs:eu-west-1:*:*",
        "arn:aws:sqs:*:{O}:jobs",
        "arn:aws:sqs:*",
        "arn:aws:sqs:us-east-1:{A}:${aws:username, 'ops'}-*",
        "arn:aws:sqs:*:*:*-*",
    ),
    "sns": (
        "arn:aws:sns:*:{A}:*",
        "arn:aws:sns:us-east-1:*:alerts",
        "arn:aws:sns:*:*:${aws:PrincipalTag/team}-*",
        "arn:aws:sns:*:{O}:*",
    ),
    "lambda": (
        "arn:aws:lambda:*:*:function:${aws:username}-*",
        "arn:aws:lambda:us-east-1:{A}:function:*",
        "arn:aws:lambda:*:*:function:web-*",
        "arn:aws:lambda:*:{O}:function:processor",
        "arn:aws:lambda:*:*:function*",
        "arn:aws:lambda:us-east-1",
    ),
    "iam": (
        "arn:aws:iam::{A}:user/${aws:username}",
        "arn:aws:iam::*:user/dev/*",
        "arn:aws:iam::{A}:user/*",
        "arn:aws:iam::${aws:PrincipalAccount}:user/*",
        "arn:aws:iam::{A}:user/*/carol",
        "arn:aws:iam::*:user/${aws:PrincipalTag/owner, 'bob'}",
    ),
    "secretsmanager": (
        "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*",
        "arn:aws:secretsmanager:us-east-1:{A}:secret:db-pass-??????",
        "arn:aws:secretsmanager:*:*:secret:${aws:username}/*",
        "arn:aws:secretsmanager:*:{O}:secret:*",
    ),
    "ec2": ("*",),
}

# Broad patterns, one per service: an allow over these grants whole families of requests, so
# the narrower statements and the conditions around them decide the interesting cases.
BROAD_RESOURCES: dict[str, tuple[str, ...]] = {
    "s3": ("arn:aws:s3:::*", "arn:aws:s3:::*/*"),
    "dynamodb": ("arn:aws:dynamodb:*:*:table/*",),
    "sqs": ("arn:aws:sqs:*:*:*",),
    "sns": ("arn:aws:sns:*:*:*",),
    "lambda": ("arn:aws:lambda:*:*:function:*",),
    "iam": ("arn:aws:iam::*:user/*",),
    "secretsmanager": ("arn:aws:secretsmanager:*:*:secret:*",),
    "ec2": ("*",),
}

ACTION_PATTERNS: dict[str, tuple[str, ...]] = {
    "s3": (
        "s3:GetObject",
        "s3:Get*",
        "s3:*Object",
        "s3:?etObject*",
        "S3:getobject",
        "s3:PutObject*",
        "s3:List*",
        "s3:*",
        "s3:DeleteObject",
        "s3:GetBucket*",
    ),
    "dynamodb": (
        "dynamodb:*Item",
        "dynamodb:GetItem",
        "DynamoDB:Query",
        "dynamodb:*",
        "dynamodb:Put*",
    ),
    "sqs": ("sqs:*", "sqs:SendMessage", "sqs:Receive*", "SQS:deletemessage", "sqs:*Queue*"),
    "sns": ("sns:Publish", "sns:*", "sns:Get*", "sns:*Resource"),
    "lambda": ("lambda:Invoke*", "lambda:GetFunction", "lambda:*", "lambda:Update*"),
    "iam": ("iam:GetUser", "iam:*AccessKey*", "iam:*", "IAM:TagUser", "iam:List*"),
    "secretsmanager": ("secretsmanager:Get*", "secretsmanager:*", "secretsmanager:DescribeSecret"),
    "ec2": ("ec2:Describe*", "ec2:DescribeInstances", "ec2:*", "EC2:describe*", "*"),
}


def _fill(pattern: str) -> str:
    return pattern.replace("{A}", HOME).replace("{O}", OTHER)


# --------------------------------------------------------------------------------------------
# Conditions.
# --------------------------------------------------------------------------------------------

Condition = tuple[str, str, list[str]]
"""(operator, key, values)."""


def _pick(rng: random.Random, pool: tuple[str, ...], most: int = 2) -> list[str]:
    return rng.sample(pool, rng.randint(1, min(most, len(pool))))


def _string_condition(rng: random.Random) -> Condition:
    choice = rng.randrange(14)
    if choice == 0:
        op = rng.choice(("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase"))
        values = _pick(rng, USERNAMES)
        if rng.random() < 0.4:
            values = [v.upper() if rng.random() < 0.5 else v.title() for v in values]
        return (op, "aws:username", values)
    if choice == 1:
        return (
            rng.choice(("StringEquals", "StringNotEquals", "StringEqualsIfExists")),
            "aws:PrincipalTag/team",
            _pick(rng, TEAMS),
        )
    if choice == 2:
        values = rng.choice((["WEB"], ["Data", "ops"], ["web"], ["OPS"]))
        op = rng.choice(("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"))
        return (op, "aws:PrincipalTag/team", values)
    if choice == 3:
        values = rng.choice(
            (
                ["home/*"],
                ["home/a?ice/"],
                ["public/*", "reports/*"],
                ["*"],
                [""],
                ["cost${$}/"],
                ["q${?}/", "a${*}b/"],
                ["q?/"],
                ["a*b/"],
            )
        )
        op = rng.choice(("StringLike", "StringNotLike", "StringLikeIfExists"))
        return (op, "s3:prefix", values)
    if choice == 4:
        values = rng.choice(
            (
                ["home/${aws:username}/*"],
                ["home/${aws:username, 'none'}/"],
                ["${aws:PrincipalTag/team}*"],
                ["h*/${aws:username}*/?*", "*${aws:PrincipalTag/team}*"],
            )
        )
        return (rng.choice(("StringLike", "StringNotLike")), "s3:prefix", values)
    if choice == 5:
        return ("StringEquals", "aws:PrincipalTag/owner", ["${aws:username}"])
    if choice == 6:
        op = rng.choice(
            (
                "StringEquals",
                "StringNotEquals",
                "StringEqualsIfExists",
                "StringEqualsIgnoreCase",
                "StringNotEqualsIgnoreCaseIfExists",
            )
        )
        return (op, "aws:RequestedRegion", _pick(rng, (*REGIONS, "ap-south-1", "US-EAST-1")))
    if choice == 7:
        op = rng.choice(("StringEquals", "StringNotEqualsIfExists", "StringNotEquals"))
        return (op, "aws:PrincipalOrgID", [rng.choice((ORG_HOME, ORG_OTHER))])
    if choice == 8:
        values = rng.choice((["*:alice"], ["AIDA*"], ["AROA?????????:*"], ["*${aws:username}*"]))
        return (rng.choice(("StringLike", "StringNotLike")), "aws:userid", values)
    if choice == 9:
        return (rng.choice(("StringEquals", "StringNotEquals")), "aws:PrincipalAccount", [HOME])
    if choice == 10:
        op = rng.choice(("StringEquals", "StringNotEquals"))
        return (op, "aws:RequestedRegion", ["${aws:PrincipalTag/region, 'us-east-1'}"])
    if choice == 11:
        return (rng.choice(("StringEquals", "StringLike")), "s3:x-amz-acl", _pick(rng, ACLS))
    if choice == 12:
        op = rng.choice(("StringEquals", "StringNotEquals"))
        return (op, "aws:ResourceTag/env", ["${aws:PrincipalTag/env}"])
    return (
        rng.choice(("StringLike", "StringEquals")),
        "aws:PrincipalType",
        _pick(rng, ("User", "AssumedRole", "*Role")),
    )


def _numeric_condition(rng: random.Random) -> Condition:
    ops = (
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
    )
    op = rng.choice(ops) + rng.choice(("", "", "IfExists"))
    if rng.random() < 0.7:
        return (op, "aws:MultiFactorAuthAge", _pick(rng, NUMERIC_POLICY_VALUES))
    return (op, "s3:max-keys", _pick(rng, ("10", "100", "500")))


def _date_condition(rng: random.Random) -> Condition:
    ops = (
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
    )
    op = rng.choice(ops) + rng.choice(("", "", "IfExists"))
    key = rng.choice(("aws:CurrentTime", "aws:CurrentTime", "aws:EpochTime", "aws:TokenIssueTime"))
    return (op, key, _pick(rng, DATE_POLICY_VALUES))


def _bool_condition(rng: random.Random) -> Condition:
    key = rng.choice(("aws:SecureTransport", "aws:MultiFactorAuthPresent", "aws:ViaAWSService"))
    op = rng.choice(("Bool", "BoolIfExists"))
    return (op, key, [rng.choice(("true", "false", "true", "false", "True", "FALSE"))])


def _binary_condition(rng: random.Random) -> Condition:
    return (
        "BinaryEquals" + rng.choice(("", "IfExists")),
        "aws:PrincipalTag/blob",
        _pick(rng, BLOBS),
    )


def _ip_condition(rng: random.Random) -> Condition:
    op = rng.choice(("IpAddress", "NotIpAddress")) + rng.choice(("", "", "IfExists"))
    pool = CIDRS + (RARE_CIDRS if rng.random() < 0.1 else ())
    return (op, "aws:SourceIp", _pick(rng, pool, 3))


def _arn_condition(rng: random.Random) -> Condition:
    op = rng.choice(("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")) + rng.choice(
        ("", "", "IfExists")
    )
    if rng.random() < 0.6:
        principals = (
            f"arn:aws:iam::{HOME}:user/*",
            f"arn:aws:sts::{HOME}:assumed-role/AppRole/*",
            "arn:aws:iam::*:user/dev/*",
            f"arn:aws:sts::{HOME}:assumed-role/?ppRole/*",
            f"arn:aws:iam::{OTHER}:user/dave",
            "arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}",
            "arn:aws:*:*:" + OTHER + ":*",
        )
        return (op, "aws:PrincipalArn", _pick(rng, principals))
    sources = (
        "arn:aws:s3:::logs-*",
        f"arn:aws:sns:*:{HOME}:*",
        "arn:aws:lambda:*:*:function:web-*",
        f"arn:aws:events:us-east-1:{HOME}:rule/nightly",
        "arn:aws:*:*:*:*",
    )
    return (op, "aws:SourceArn", _pick(rng, sources))


def _null_condition(rng: random.Random) -> Condition:
    key = rng.choice(
        (
            "aws:PrincipalTag/team",
            "aws:username",
            "aws:MultiFactorAuthAge",
            "aws:SourceIp",
            "aws:TagKeys",
            "s3:prefix",
            "aws:PrincipalOrgID",
        )
    )
    return ("Null", key, [rng.choice(("true", "false"))])


def _set_condition(rng: random.Random) -> Condition:
    """ForAllValues/ForAnyValue over multi-valued keys (and, rarely, no qualifier at all: a
    single-valued operator over a multi-valued key never matches)."""
    qualifier = rng.choice(("ForAllValues:", "ForAnyValue:", "ForAllValues:", "ForAnyValue:", ""))
    base = rng.choice(("StringEquals", "StringLike", "StringNotEquals", "StringNotLike"))
    suffix = "IfExists" if rng.random() < 0.2 else ""
    choice = rng.randrange(5)
    if choice == 0:
        values = _pick(rng, TAG_KEYS, 3)
        if "Like" in base:
            values = rng.choice((["env", "team*"], ["*"], ["?nv", "owner"], ["Proj*"]))
        return (f"{qualifier}{base}{suffix}", "aws:TagKeys", values)
    if choice == 1:
        values = rng.choice(
            (
                [f"{ORG_HOME}/r-ab12/ou-ab12-11111111/*"],
                [f"{ORG_HOME}/*"],
                [ORG_PATHS[1]],
                [f"{ORG_OTHER}/*", f"{ORG_HOME}/r-ab12/ou-ab12-22222222/"],
            )
        )
        if "Like" not in base:
            values = _pick(rng, ORG_PATHS)
        return (f"{qualifier}{base}{suffix}", "aws:PrincipalOrgPaths", values)
    if choice == 2:
        values = rng.choice((["${aws:username}"], ["alice", "bob"], ["web#*"]))
        return (f"{qualifier}{base}{suffix}", "dynamodb:LeadingKeys", values)
    if choice == 3:
        return (
            f"{qualifier}{base}{suffix}",
            "aws:CalledVia",
            _pick(rng, ("cloudformation.amazonaws.com", "athena.amazonaws.com")),
        )
    # A set qualifier over a single-valued key: AWS treats the one value as a set of one.
    return (f"{qualifier}{base}{suffix}", "aws:username", _pick(rng, USERNAMES))


CONDITION_FAMILIES: tuple[Callable[[random.Random], Condition], ...] = (
    _string_condition,
    _string_condition,
    _string_condition,
    _numeric_condition,
    _date_condition,
    _date_condition,
    _bool_condition,
    _binary_condition,
    _ip_condition,
    _ip_condition,
    _arn_condition,
    _arn_condition,
    _null_condition,
    _set_condition,
    _set_condition,
)


def random_conditions(rng: random.Random, probability: float) -> Json | None:
    """A Condition element with 1-2 clauses, or None; one key per operator (JSON objects)."""
    if rng.random() >= probability:
        return None
    block: Json = {}
    for _ in range(rng.choice((1, 1, 2))):
        op, key, values = rng.choice(CONDITION_FAMILIES)(rng)
        if rng.random() < 0.08:
            key = _recase_key(rng, key)
        block.setdefault(op, {})[key] = (
            values[0] if len(values) == 1 and rng.random() < 0.5 else values
        )
    return block


def _recase_key(rng: random.Random, key: str) -> str:
    """Condition key names are case-insensitive; vary the case before any ``/tag-key`` part
    (tag keys themselves keep their case, which AWS does not document as insensitive)."""
    head, slash, tail = key.partition("/")
    head = rng.choice((head.upper(), head.lower(), head.swapcase()))
    return head + slash + tail


# --------------------------------------------------------------------------------------------
# Statements and policies.
# --------------------------------------------------------------------------------------------


def _one_or_list(rng: random.Random, values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 and rng.random() < 0.6 else values


def _actions(rng: random.Random, services: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        service = rng.choice(services)
        out.append(rng.choice(ACTION_PATTERNS[service]))
    return sorted(set(out), key=out.index)


def _is_short_arn(pattern: str) -> bool:
    return pattern != "*" and pattern.count(":") < 5


def _resources(rng: random.Random, services: tuple[str, ...], short_arns: bool = True) -> list[str]:
    """Resource patterns; ``short_arns=False`` keeps ARNs with fewer than six fields out.

    Short ARNs (``arn:aws:sqs:*``) are padded with ``*`` fields in identity policies, but how
    AWS reads them in SCPs and RCPs is undocumented, so organization policies never get them.
    """
    if rng.random() < 0.15:
        return ["*"]
    out: list[str] = []
    for _ in range(rng.choice((1, 1, 2))):
        patterns = RESOURCE_PATTERNS[rng.choice(services)]
        if not short_arns:
            patterns = tuple(p for p in patterns if not _is_short_arn(p)) or ("*",)
        out.append(_fill(rng.choice(patterns)))
    return sorted(set(out), key=out.index)


def random_statement(
    rng: random.Random,
    services: tuple[str, ...],
    *,
    effect: str,
    condition_probability: float | None = None,
    allow_not: bool = True,
    short_arns: bool = True,
) -> Json:
    """One identity-style statement (no Principal) over ``services``.

    Denies carry conditions more often than allows: an unconditional deny blankets its actions
    and hides everything behind it, while a conditional one flips with the request context.
    """
    if condition_probability is None:
        condition_probability = 0.75 if effect == "Deny" else 0.4
    statement: Json = {"Effect": effect}
    if allow_not and rng.random() < 0.12:
        statement["NotAction"] = _one_or_list(rng, _actions(rng, services))
    else:
        statement["Action"] = _one_or_list(rng, _actions(rng, services))
    if allow_not and rng.random() < 0.01:
        statement["NotResource"] = "*"
    elif allow_not and rng.random() < 0.12:
        patterns = [r for r in _resources(rng, services, short_arns) if r != "*"] or [
            _fill(rng.choice(RESOURCE_PATTERNS["s3"]))
        ]
        statement["NotResource"] = _one_or_list(rng, patterns)
    else:
        statement["Resource"] = _one_or_list(rng, _resources(rng, services, short_arns))
    condition = random_conditions(rng, condition_probability)
    if condition:
        statement["Condition"] = condition
    return statement


def broad_allow(rng: random.Random, services: tuple[str, ...]) -> Json:
    """An allow over a whole service (or several), sometimes conditional."""
    chosen = rng.sample(services, rng.randint(1, len(services)))
    resources = [r for s in chosen for r in BROAD_RESOURCES[s]]
    statement: Json = {
        "Effect": "Allow",
        "Action": _one_or_list(rng, [f"{s}:*" for s in chosen]),
        "Resource": "*" if "*" in resources or rng.random() < 0.3 else resources,
    }
    condition = random_conditions(rng, 0.35)
    if condition:
        statement["Condition"] = condition
    return statement


def random_policy(
    rng: random.Random, services: tuple[str, ...], statements: int, deny: float, broad: float = 0.5
) -> Json:
    body = [
        random_statement(rng, services, effect="Deny" if rng.random() < deny else "Allow")
        for _ in range(statements)
    ]
    if rng.random() < broad:
        body.insert(rng.randint(0, len(body)), broad_allow(rng, services))
    for index, statement in enumerate(body):
        if rng.random() < 0.5:
            statement["Sid"] = f"S{index}"
    return {**_version(rng), "Statement": body if len(body) > 1 or rng.random() < 0.7 else body[0]}


def _version(rng: random.Random) -> Json:
    """Mostly 2012-10-17; sometimes 2008-10-17 or no Version, where ``${...}`` is plain text."""
    roll = rng.random()
    if roll < 0.05:
        return {"Version": "2008-10-17"}
    if roll < 0.08:
        return {}
    return {"Version": VERSION}


def random_principal_element(rng: random.Random, focus: list[Principal]) -> Json | str:
    """A Principal value naming callers in every way AWS allows, biased towards ``focus``."""
    if rng.random() < 0.12:
        return "*"
    entries: list[str] = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        who = rng.choice(focus)
        form = rng.randrange(7)
        if form == 0:
            entries.append(who.arn)
        elif form == 1:
            entries.append(who.role_arn or who.arn)
        elif form == 2:
            entries.append(who.account)
        elif form == 3:
            entries.append(f"arn:aws:iam::{who.account}:root")
        elif form == 4 and who.kind == "session":
            entries.append(who.arn)
        elif form == 5:
            entries.append("*")
        else:
            other = rng.choice(PRINCIPALS)
            entries.append(other.role_arn or other.arn)
    element: Json = {"AWS": _one_or_list(rng, sorted(set(entries), key=entries.index))}
    if rng.random() < 0.15:
        element["Service"] = rng.choice(SERVICE_PRINCIPALS)
    return element


def _grant_to_one_caller(rng: random.Random, service: str, focus: list[Principal]) -> Json:
    """A broad allow naming one caller in one way: its own ARN, the role (or user) behind its
    session, its account, or everyone.  How the caller is named decides whether the grant
    gets past a permissions boundary or a session policy, so each form must come up often."""
    who = rng.choice(focus)
    name = rng.choice(
        [who.arn, who.role_arn or who.arn, who.account, f"arn:aws:iam::{who.account}:root", "*"]
    )
    statement: Json = {
        "Effect": "Allow",
        "Principal": "*" if name == "*" and rng.random() < 0.5 else {"AWS": name},
        "Action": f"{service}:*",
        "Resource": "*" if rng.random() < 0.5 else list(BROAD_RESOURCES[service]),
    }
    condition = random_conditions(rng, 0.25)
    if condition:
        statement["Condition"] = condition
    return statement


def random_resource_policy(rng: random.Random, service: str, focus: list[Principal]) -> Json:
    body: list[Json] = []
    if rng.random() < 0.6:
        body.append({"Sid": "Grant", **_grant_to_one_caller(rng, service, focus)})
    for index in range(rng.randint(1, 4)):
        deny = rng.random() < 0.3
        statement = random_statement(
            rng, (service,), effect="Deny" if deny else "Allow", allow_not=True
        )
        if rng.random() < (0.25 if deny else 0.06):
            statement["NotPrincipal"] = random_principal_element(rng, focus)
            if statement["NotPrincipal"] == "*":
                statement["NotPrincipal"] = {"AWS": focus[0].arn}
        else:
            statement["Principal"] = random_principal_element(rng, focus)
        body.append({"Sid": f"R{index}", **statement})
    return {**_version(rng), "Statement": body}


def full_aws_access() -> Json:
    return {"Version": VERSION, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def random_scp_level(rng: random.Random, services: tuple[str, ...]) -> list[Json]:
    """One SCP level: a deny-list (FullAWSAccess + denies) or an allow-list of services."""
    docs: list[Json] = []
    if rng.random() < 0.65:
        docs.append(full_aws_access())
    else:
        allowed = rng.sample(list(ACTIONS), rng.randint(2, len(ACTIONS) - 1))
        actions = [
            f"{s}:*" if rng.random() < 0.7 else rng.choice(ACTION_PATTERNS[s]) for s in allowed
        ]
        allow: Json = {"Effect": "Allow", "Action": actions, "Resource": "*"}
        if rng.random() < 0.2:
            # SCPs support the full policy language: allow all but some actions.
            excluded = rng.sample(list(ACTIONS), rng.randint(1, 2))
            allow = {"Effect": "Allow", "NotAction": [f"{s}:*" for s in excluded], "Resource": "*"}
        condition = random_conditions(rng, 0.2)
        if condition:
            allow["Condition"] = condition
        docs.append({"Version": VERSION, "Statement": [allow]})
    if rng.random() < 0.6:
        statements = [
            random_statement(
                rng, services, effect="Deny", condition_probability=0.8, short_arns=False
            )
            for _ in range(rng.randint(1, 2))
        ]
        docs.append({"Version": VERSION, "Statement": statements})
    return docs


def random_rcp_level(rng: random.Random) -> list[Json]:
    """One RCP level's customer policies (Deny only, Principal "*"); may be empty."""
    if rng.random() < 0.3:
        return []
    statements: list[Json] = []
    for _ in range(rng.randint(1, 2)):
        service = rng.choice(RCP_SERVICES)
        statement: Json = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": _one_or_list(
                rng, [rng.choice([f"{service}:*", *ACTION_PATTERNS[service][:2]])]
            ),
            "Resource": "*"
            if rng.random() < 0.7
            else _resources(rng, (service,), short_arns=False),
        }
        condition = random_conditions(rng, 0.9)
        if rng.random() < 0.4:
            condition = rng.choice(
                (
                    {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_HOME}},
                    {"BoolIfExists": {"aws:SecureTransport": "false"}},
                    {"StringNotEquals": {"aws:PrincipalAccount": [HOME]}},
                )
            )
        if condition:
            statement["Condition"] = condition
        statements.append(statement)
    return [{"Version": VERSION, "Statement": statements}]


# --------------------------------------------------------------------------------------------
# Requests.
# --------------------------------------------------------------------------------------------


def random_context(rng: random.Random, who: Principal, action: str) -> Context:
    """A request context such as AWS would send, with keys randomly left out (missing keys)."""
    ctx: Context = {}

    def maybe(key: str, value: str | list[str], probability: float) -> None:
        if rng.random() < probability:
            ctx[key] = value

    if who.kind == "user":
        maybe("aws:username", who.name if rng.random() < 0.9 else rng.choice(USERNAMES), 0.85)
        maybe("aws:userid", f"AIDA{who.name.upper():A<12}", 0.3)
        maybe("aws:PrincipalType", "User", 0.3)
    elif who.kind == "federated":
        maybe("aws:userid", f"{who.account}:{who.name}", 0.3)
        maybe("aws:PrincipalType", "FederatedUser", 0.3)
    else:
        maybe("aws:userid", f"AROAEXAMPLE12:{who.arn.rsplit('/', 1)[-1]}", 0.3)
        maybe("aws:PrincipalType", "AssumedRole", 0.3)
        maybe("aws:TokenIssueTime", rng.choice(MOMENTS)[0], 0.4)
    maybe("aws:PrincipalArn", who.role_arn or who.arn if who.kind == "session" else who.arn, 0.7)
    maybe("aws:PrincipalAccount", who.account, 0.7)
    team = who.tags.get("team", "web") if rng.random() < 0.8 else rng.choice((*TEAMS, "w?b", "we*"))
    maybe("aws:PrincipalTag/team", team, 0.75)
    maybe("aws:PrincipalTag/owner", rng.choice(USERNAMES), 0.35)
    maybe("aws:PrincipalTag/env", rng.choice(("prod", "dev")), 0.3)
    maybe("aws:PrincipalTag/region", rng.choice(REGIONS), 0.2)
    maybe("aws:PrincipalTag/blob", rng.choice((*BLOBS, "bm90LWl0")), 0.2)
    maybe("aws:PrincipalOrgID", ORG_HOME if who.account == HOME else ORG_OTHER, 0.6)
    maybe("aws:PrincipalOrgPaths", _pick(rng, ORG_PATHS), 0.4)
    maybe("aws:SourceIp", rng.choice(SOURCE_IPS), 0.8)
    moment = rng.choice(MOMENTS)
    maybe("aws:CurrentTime", moment[0], 0.6)
    maybe("aws:EpochTime", moment[1], 0.4)
    maybe("aws:MultiFactorAuthPresent", rng.choice(("true", "false")), 0.7)
    maybe("aws:MultiFactorAuthAge", rng.choice(MFA_AGES), 0.4)
    maybe("aws:SecureTransport", rng.choice(("true", "true", "false")), 0.7)
    maybe("aws:ViaAWSService", rng.choice(("true", "false")), 0.2)
    maybe("aws:RequestedRegion", rng.choice((*REGIONS, "ap-south-1")), 0.7)
    maybe("aws:SourceArn", rng.choice(SOURCE_ARNS), 0.3)
    maybe(
        "aws:CalledVia", _pick(rng, ("cloudformation.amazonaws.com", "athena.amazonaws.com")), 0.15
    )
    if rng.random() < 0.5:
        ctx["aws:TagKeys"] = rng.sample(TAG_KEYS, rng.randint(0, 3))
    maybe("aws:RequestTag/env", rng.choice(("prod", "dev")), 0.3)
    if not action.startswith("s3:"):
        maybe("aws:ResourceTag/env", rng.choice(("prod", "dev")), 0.3)
    if action == "s3:ListBucket":
        maybe("s3:prefix", rng.choice(PREFIXES), 0.8)
        maybe("s3:max-keys", rng.choice(MAX_KEYS), 0.5)
    if action == "s3:PutObject":
        maybe("s3:x-amz-acl", rng.choice(ACLS), 0.6)
    if action.startswith("dynamodb:"):
        maybe("dynamodb:LeadingKeys", _pick(rng, ("alice", "bob", "web#1")), 0.6)
    if ctx and rng.random() < 0.05:
        # Context keys are case-insensitive too.
        key = rng.choice(sorted(ctx))
        ctx[_recase_key(rng, key)] = ctx.pop(key)
    return ctx


def _mixed_case(rng: random.Random, action: str) -> str:
    """Action names are case-insensitive; send some with odd casing."""
    if rng.random() >= 0.08:
        return action
    vendor, name = action.split(":")
    return f"{vendor.upper() if rng.random() < 0.5 else vendor}:{name.lower()}"


def _features(policy_set: Json, who: Principal, resource_account: str) -> list[str]:
    """Informational tags (FORMAT.md ``features``), handy when reading a failure report."""
    out = ["cross-account" if who.account != resource_account else "same-account", who.kind]
    for layer in ("boundary", "session", "scp", "rcp"):
        if policy_set[layer]:
            out.append(f"{layer}-policy" if layer == "session" else layer)
    if policy_set["resource"]:
        out.append("resource-policy")
    return out


# --------------------------------------------------------------------------------------------
# Policy sets and whole workloads.
# --------------------------------------------------------------------------------------------


def random_policy_set(rng: random.Random) -> tuple[Json, list[Principal], list[Target]]:
    """A policy set, the callers that fit it, and the resources its requests target."""
    with_session = rng.random() < 0.35
    callers = list(SESSIONS) if with_session else list(PRINCIPALS)
    with_resource_policy = rng.random() < 0.5
    if with_resource_policy:
        service = rng.choice(RESOURCE_POLICY_SERVICES)
        owner = rng.choice((HOME, HOME, OTHER))
        pool = targets(service, owner)
        if service == "s3":
            # A bucket policy covers one bucket and its objects.
            bucket = rng.choice([b for b, acct in BUCKETS.items() if acct == owner])
            pool = [t for t in pool if t.arn.split(":::", 1)[1].split("/", 1)[0] == bucket]
        services: tuple[str, ...] = (
            (service,) if rng.random() < 0.7 else (service, rng.choice(list(ACTIONS)))
        )
    else:
        services = tuple(rng.sample(list(ACTIONS), rng.randint(1, 3)))
        pool = [t for s in services for t in targets(s)]
    identity = [
        random_policy(rng, services, rng.randint(1, 4), deny=0.2) for _ in range(rng.randint(1, 3))
    ]
    policy_set: Json = {
        "identity": identity,
        # Boundaries and session policies allow whole services less often than identity
        # policies do, so they often are the layer that decides.
        "boundary": [random_policy(rng, services, rng.randint(1, 3), deny=0.15, broad=0.3)]
        if rng.random() < 0.35
        else [],
        "session": [random_policy(rng, services, rng.randint(1, 3), deny=0.15, broad=0.3)]
        if with_session
        else [],
        "resource": random_resource_policy(rng, services[0], callers)
        if with_resource_policy
        else None,
        "scp": [random_scp_level(rng, services) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3
        else [],
        "rcp": [random_rcp_level(rng) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.25
        else [],
    }
    return policy_set, callers, pool


def _valid_actions(target: Target) -> list[str]:
    return [name for name, kind in ACTIONS[target.service] if kind == target.kind]


def generate(seed: int, sets: int = 60, requests_per_set: int = 25) -> Json:
    """A workload of ``sets`` policy sets with ``requests_per_set`` requests each."""
    rng = random.Random(seed)
    policy_sets: dict[str, Json] = {}
    requests: list[Json] = []
    for index in range(sets):
        name = f"set{index:03d}"
        policy_set, callers, pool = random_policy_set(rng)
        policy_sets[name] = policy_set
        for _ in range(requests_per_set):
            who = rng.choice(callers)
            target = rng.choice(pool)
            action = rng.choice(_valid_actions(target))
            # Actions without resource-level permissions act on "*" in the caller's account.
            resource_account = target.account if target.arn != "*" else who.account
            requests.append(
                {
                    "id": len(requests),
                    "policy_set": name,
                    "principal": who.arn,
                    "action": _mixed_case(rng, action),
                    "resource": target.arn,
                    "resource_account": resource_account,
                    "context": random_context(rng, who, action),
                    "features": _features(policy_set, who, resource_account),
                }
            )
    return {
        "format": FORMAT,
        "description": (
            f"Random differential workload (seed {seed}): identity, boundary, session, resource, "
            "SCP and RCP policies over every condition-operator family. Decisions come from the "
            "oracle at test time."
        ),
        "oracle": ORACLE,
        "meta": {
            "generator": "tests/differential/generate.py",
            "seed": seed,
            "policy_sets": sets,
            "requests": len(requests),
        },
        "policy_sets": policy_sets,
        "requests": requests,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sets", type=int, default=60)
    parser.add_argument("--requests", type=int, default=25, help="requests per policy set")
    args = parser.parse_args(argv)
    json.dump(generate(args.seed, args.sets, args.requests), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
