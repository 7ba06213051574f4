"""The parser's refusals become ERROR findings with Access Analyzer's codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from iamd.policy import PolicyKind
from iamd.validation import Finding, FindingType
from iamd.validation.codes import CODES

Lint = Callable[..., list[Finding]]

STATEMENT = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}

MALFORMED: list[Any] = [
    {"Statement": STATEMENT, "Extra": 1},
    {"Version": 2012, "Statement": STATEMENT},
    {"Version": "2012-10-17"},
    {"Version": "2012-10-17", "Statement": "all"},
    {"Version": "2012-10-17", "Statement": ["s3:GetObject"]},
    {"Version": "2012-10-17", "Statement": {**STATEMENT, "Sid": 5}},
    {"Version": "2012-10-17", "Statement": {**STATEMENT, "Effect": "allow"}},
    {"Version": "2012-10-17", "Statement": {**STATEMENT, "Action": "GetObject"}},
    {"Version": "2012-10-17", "Statement": {**STATEMENT, "Action": {"s3": "GetObject"}}},
    {"Version": "2012-10-17", "Statement": {**STATEMENT, "Resource": "bucket"}},
    {"Version": "2012-10-17", "Statement": {**STATEMENT, "Condition": []}},
    {"Version": "2012-10-17", "Statement": {**STATEMENT, "Condition": {"StringEquals": "x"}}},
    {"Version": "2012-10-17", "Statement": {**STATEMENT, "Condition": {"StringEquals": {}}}},
    {
        "Version": "2012-10-17",
        "Statement": {**STATEMENT, "Condition": {"StringEquals": {"s3:prefix": {"a": 1}}}},
    },
    {
        "Version": "2012-10-17",
        "Statement": {**STATEMENT, "Condition": {"IpAddress": {"aws:SourceIp": "${aws:x}"}}},
    },
]


@pytest.mark.parametrize("document", MALFORMED)
def test_every_refusal_gets_a_specific_code_and_is_an_error(lint: Lint, document: Any) -> None:
    found = [f for f in lint(document) if f.code not in ("MISSING_VERSION",)]
    assert found
    assert all(f.code != "MALFORMED_POLICY_DOCUMENT" for f in found), found
    refused = [f for f in found if f.type is FindingType.ERROR]
    assert refused


def test_refusals_are_errors_even_where_access_analyzer_only_suggests(lint: Lint) -> None:
    document = {"Version": "2012-10-17", "Statement": {**STATEMENT, "Action": []}}
    [found] = [f for f in lint(document) if f.code == "EMPTY_ARRAY_ACTION"]
    assert CODES["EMPTY_ARRAY_ACTION"].type is FindingType.SUGGESTION
    assert found.type is FindingType.ERROR


def test_principal_refusals_by_kind(lint: Lint) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "ec2.*"},
        },
    }
    assert "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL" in {
        f.code for f in lint(trust, PolicyKind.TRUST)
    }
    assert "UNSUPPORTED_WILDCARD_IN_PRINCIPAL" in {
        f.code
        for f in lint(
            {**trust, "Statement": {**trust["Statement"], "Resource": "*"}}, PolicyKind.RESOURCE
        )
    }
