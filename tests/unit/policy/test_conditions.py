"""Condition operators, one family at a time, and AWS's rules for combining them.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import allow, cond, decide, doc


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        ("StringEquals", "dev", "dev", True),
        ("StringEquals", "dev", "Dev", False),
        ("StringEquals", ["dev", "prod"], "prod", True),
        ("StringEquals", "d*", "dev", False),  # no wildcards in Equals
        ("StringEquals", "d*", "d*", True),
        ("StringNotEquals", "dev", "dev", False),
        ("StringNotEquals", ["dev", "prod"], "test", True),
        ("StringNotEquals", ["dev", "prod"], "prod", False),
        ("StringEqualsIgnoreCase", "DEV", "dev", True),
        ("StringNotEqualsIgnoreCase", "DEV", "dev", False),
        ("StringLike", "d?v*", "dev-1", True),
        ("StringLike", "d?v*", "dv", False),
        ("StringLike", "*", "", True),
        ("StringLike", "a.b", "axb", False),
        ("StringNotLike", ["a*", "b*"], "cat", True),
        ("StringNotLike", ["a*", "b*"], "bat", False),
    ],
)
def test_string_operators(operator: str, values: Any, value: str, expected: bool) -> None:
    assert (
        cond(operator, "aws:PrincipalTag/env", values, context={"aws:PrincipalTag/env": value})
        is expected
    )


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        ("NumericEquals", "10", "10", True),
        ("NumericEquals", "10", "10.0", True),
        ("NumericNotEquals", "10", "11", True),
        ("NumericLessThan", "10", "9", True),
        ("NumericLessThan", "10", "10", False),
        ("NumericLessThanEquals", "10", "10", True),
        ("NumericGreaterThan", "10", "10.5", True),
        ("NumericGreaterThanEquals", "10", "9.99", False),
        ("NumericLessThan", "10", "ten", False),
        ("NumericNotEquals", "10", "ten", False),  # not a number: undefined, not "not equal"
        ("NumericEquals", 10, "10", True),  # JSON numbers are accepted as values
    ],
)
def test_numeric_operators(operator: str, values: Any, value: str, expected: bool) -> None:
    assert cond(operator, "s3:max-keys", values, context={"s3:max-keys": value}) is expected


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        ("DateLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", True),
        ("DateLessThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
        ("DateLessThanEquals", "2020-01-01", "2020-01-01T00:00:00Z", True),
        ("DateGreaterThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:01Z", True),
        ("DateGreaterThanEquals", "1577836800", "2020-01-01T00:00:00Z", True),  # epoch seconds
        ("DateEquals", "2020-01-01T01:00:00+01:00", "2020-01-01T00:00:00Z", True),
        ("DateNotEquals", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", True),
        ("DateLessThan", "2020-01-01T00:00:00Z", "yesterday", False),
        ("DateGreaterThan", "2020-01-01T00:00:00Z", "1577836801", True),
    ],
)
def test_date_operators(operator: str, values: Any, value: str, expected: bool) -> None:
    assert cond(operator, "aws:CurrentTime", values, context={"aws:CurrentTime": value}) is expected


@pytest.mark.parametrize(
    ("values", "value", "expected"),
    [
        ("true", "true", True),
        ("true", "TRUE", True),
        ("false", "true", False),
        (True, "true", True),  # a JSON boolean
        ("true", "yes", False),
    ],
)
def test_bool(values: Any, value: str, expected: bool) -> None:
    context = {"aws:SecureTransport": value}
    assert cond("Bool", "aws:SecureTransport", values, context=context) is expected


def test_binary_equals_compares_decoded_bytes() -> None:
    assert cond("BinaryEquals", "aws:x", "QmluYXJ5", context={"aws:x": "QmluYXJ5"})
    assert not cond("BinaryEquals", "aws:x", "QmluYXJ5", context={"aws:x": "QmluYXJz"})
    assert not cond("BinaryEquals", "aws:x", "QmluYXJ5", context={"aws:x": "!!"})


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        ("IpAddress", "203.0.113.0/24", "203.0.113.9", True),
        ("IpAddress", "203.0.113.0/24", "203.0.114.9", False),
        ("IpAddress", "203.0.113.7", "203.0.113.7", True),  # a bare address is a /32
        ("IpAddress", ["10.0.0.0/8", "192.168.0.0/16"], "192.168.1.1", True),
        ("IpAddress", "2001:db8::/32", "2001:db8:1::5", True),
        ("IpAddress", "2001:db8::/32", "2001:db9::5", False),
        ("IpAddress", "10.0.0.0/8", "2001:db8::1", False),  # other version: outside
        ("NotIpAddress", "10.0.0.0/8", "2001:db8::1", True),
        ("NotIpAddress", "10.0.0.0/8", "10.9.9.9", False),
        ("NotIpAddress", "10.0.0.0/8", "not-an-ip", False),  # undefined, not "outside"
        ("IpAddress", "10.0.0.0/8", "10.0.0.300", False),
    ],
)
def test_ip_operators(operator: str, values: Any, value: str, expected: bool) -> None:
    assert cond(operator, "aws:SourceIp", values, context={"aws:SourceIp": value}) is expected


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        (
            "ArnEquals",
            "arn:aws:sns:us-east-1:111122223333:topic",
            "arn:aws:sns:us-east-1:111122223333:topic",
            True,
        ),
        ("ArnLike", "arn:aws:sns:*:111122223333:*", "arn:aws:sns:eu-west-1:111122223333:t", True),
        ("ArnEquals", "arn:aws:sns:*:111122223333:*", "arn:aws:sns:eu-west-1:111122223333:t", True),
        ("ArnLike", "arn:aws:iam::*:role/ops-*", "arn:aws:iam::444455556666:role/ops-x", True),
        ("ArnLike", "arn:aws:iam::*:role/ops-*", "arn:aws:iam::444455556666:user/ops-x", False),
        # A wildcard in the region field does not cross into the account field.
        ("ArnLike", "arn:aws:sns:*:topic", "arn:aws:sns:us-east-1:111122223333:topic", False),
        ("ArnLike", "arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b:c", True),
        ("ArnNotLike", "arn:aws:iam::*:role/ops-*", "arn:aws:iam::1:role/dev", True),
        ("ArnNotLike", "arn:aws:iam::*:role/ops-*", "not-an-arn", False),
        ("ArnNotEquals", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/a", False),
    ],
)
def test_arn_operators(operator: str, values: Any, value: str, expected: bool) -> None:
    assert cond(operator, "aws:SourceArn", values, context={"aws:SourceArn": value}) is expected


def test_null_tests_presence() -> None:
    assert cond("Null", "aws:TokenIssueTime", "true", context={})
    assert not cond("Null", "aws:TokenIssueTime", "true", context={"aws:TokenIssueTime": "x"})
    assert cond("Null", "aws:TokenIssueTime", "false", context={"aws:TokenIssueTime": "x"})
    assert not cond("Null", "aws:TokenIssueTime", "false", context={})


class TestMissingKeys:
    """A missing key fails a positive operator and satisfies a negated or IfExists one."""

    def test_positive_operator_fails(self) -> None:
        assert not cond("StringEquals", "aws:PrincipalTag/team", "a")

    @pytest.mark.parametrize(
        "operator",
        [
            "StringNotEquals",
            "StringNotLike",
            "NotIpAddress",
            "ArnNotLike",
            "NumericNotEquals",
            "DateNotEquals",
            "StringNotEqualsIgnoreCase",
        ],
    )
    def test_negated_operator_holds(self, operator: str) -> None:
        value = {
            "NotIpAddress": "10.0.0.0/8",
            "NumericNotEquals": "1",
            "DateNotEquals": "2020-01-01",
        }.get(operator, "a")
        assert cond(operator, "aws:x", value)

    def test_if_exists(self) -> None:
        assert cond("StringEqualsIfExists", "aws:PrincipalTag/team", "a")
        assert cond(
            "StringEqualsIfExists",
            "aws:PrincipalTag/team",
            "a",
            context={"aws:PrincipalTag/team": "a"},
        )
        assert not cond(
            "StringEqualsIfExists",
            "aws:PrincipalTag/team",
            "a",
            context={"aws:PrincipalTag/team": "b"},
        )
        assert cond("BoolIfExists", "aws:MultiFactorAuthPresent", "false")


class TestSetQualifiers:
    def test_for_all_values_requires_every_value_in_the_set(self) -> None:
        ok = {"aws:TagKeys": ["env", "team"]}
        extra = {"aws:TagKeys": ["env", "secret"]}
        assert cond("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team", "cost"], context=ok)
        assert not cond("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], context=extra)

    def test_for_all_values_is_true_of_a_missing_or_empty_key(self) -> None:
        assert cond("ForAllValues:StringEquals", "aws:TagKeys", ["env"])
        assert cond(
            "ForAllValues:StringEquals", "aws:TagKeys", ["env"], context={"aws:TagKeys": []}
        )

    def test_for_any_value(self) -> None:
        ctx = {"aws:TagKeys": ["env", "secret"]}
        assert cond("ForAnyValue:StringEquals", "aws:TagKeys", "secret", context=ctx)
        assert not cond("ForAnyValue:StringEquals", "aws:TagKeys", "other", context=ctx)
        assert not cond("ForAnyValue:StringEquals", "aws:TagKeys", "secret")

    def test_negated_operators_under_qualifiers(self) -> None:
        ctx = {"aws:TagKeys": ["env", "secret"]}
        # Every key differs from "admin": true.  Some key differs from "env": true.
        assert cond("ForAllValues:StringNotEquals", "aws:TagKeys", "admin", context=ctx)
        assert not cond("ForAllValues:StringNotEquals", "aws:TagKeys", "env", context=ctx)
        assert cond("ForAnyValue:StringNotEquals", "aws:TagKeys", "env", context=ctx)
        assert not cond(
            "ForAnyValue:StringNotEquals", "aws:TagKeys", ["env", "secret"], context=ctx
        )

    def test_like_under_qualifier(self) -> None:
        ctx = {"aws:PrincipalOrgPaths": ["o-1/r-1/ou-a/", "o-1/r-1/ou-b/"]}
        assert cond("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", "o-1/*/ou-b/*", context=ctx)

    def test_single_valued_operator_on_a_multi_valued_key_does_not_match(self) -> None:
        ctx = {"aws:TagKeys": ["env"]}
        assert not cond("StringEquals", "aws:TagKeys", "env", context=ctx)
        assert not cond("StringNotEquals", "aws:TagKeys", "other", context=ctx)


def test_several_keys_and_operators_are_anded() -> None:
    statement = allow(
        Condition={
            "StringEquals": {"aws:PrincipalTag/team": "web", "aws:RequestedRegion": "eu-west-1"},
            "Bool": {"aws:SecureTransport": "true"},
        }
    )
    good = {
        "aws:PrincipalTag/team": "web",
        "aws:RequestedRegion": "eu-west-1",
        "aws:SecureTransport": "true",
    }
    assert decide([doc(statement)], context=good) == "Allowed"
    for key in good:
        broken = {**good, key: "nope"}
        assert decide([doc(statement)], context=broken) == "ImplicitlyDenied"


def test_condition_keys_are_case_insensitive() -> None:
    assert cond(
        "StringEquals", "AWS:PrincipalTag/Team", "web", context={"aws:principaltag/team": "web"}
    )


def test_operator_names_are_case_insensitive() -> None:
    assert cond("stringequals", "aws:x", "a", context={"aws:x": "a"})


def test_for_any_value_if_exists_is_false_of_a_missing_key() -> None:
    """Real AWS denies here (https://repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w)."""
    assert not cond("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", "env")
    assert cond(
        "ForAnyValue:StringEqualsIfExists", "aws:TagKeys", "env", context={"aws:TagKeys": ["env"]}
    )
