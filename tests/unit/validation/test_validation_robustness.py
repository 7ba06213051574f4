"""Whatever the document holds, the linter returns findings and never raises."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamd.policy import PolicyKind
from iamd.validation import validate_policy

_TEXT = st.sampled_from(
    [
        "*",
        "s3:GetObject",
        "s3:Get*",
        "iam:PassRole",
        "ec2:*",
        "x",
        "",
        "arn:aws:s3:::b/*",
        "arn:aws:iam::111122223333:role/*",
        "arn:aws:ec2:us-east-1:111122223333:instance/*",
        "arn:aws:s3",
        "arn:aws:s3:::${aws:username}",
        "${",
        "${}",
        "10.0.0.0/8",
        "2020-01-01",
        "true",
        "aws:SourceIp",
        "aws:RequestTag/x",
        "s3:prefix",
        "StringEquals",
        "ForAnyValue:StringLike",
        "NumericLessThan",
        "Bool",
        "IpAddress",
        "Null",
        "Allow",
        "Deny",
    ]
) | st.text(max_size=12)

_SCALAR = st.one_of(_TEXT, st.integers(), st.booleans(), st.none())
_VALUE: st.SearchStrategy[Any] = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=10,
)
_KEYS = st.sampled_from(
    [
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    ]
)
_STATEMENT = st.dictionaries(_KEYS, _VALUE, max_size=6)
_DOCUMENT = st.fixed_dictionaries(
    {"Statement": st.lists(_STATEMENT, max_size=3) | _STATEMENT},
    optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17", "1"]), "Id": _VALUE},
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCUMENT, st.sampled_from(list(PolicyKind)))
def test_never_raises(document: dict[str, Any], kind: PolicyKind) -> None:
    text = json.dumps(document, indent=1)
    for found in validate_policy(text, kind):
        assert found.code and found.message
        assert found.span is not None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_never_raises(text: str) -> None:
    validate_policy(text)
