"""Policy variables: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"""

from __future__ import annotations

from iamd.policy.variables import (
    Literal,
    Variable,
    parse_template,
    resolve_literal,
)

from .helpers import allow, decide, doc


def test_template_splits_variables_escapes_and_text() -> None:
    parts = parse_template("a/${aws:username}/${*}${?}${$}/${aws:PrincipalTag/team, 'none'}")
    assert parts == (
        "a/",
        Variable("aws:username", None, "${aws:username}"),
        "/",
        Literal("*"),
        Literal("?"),
        Literal("$"),
        "/",
        Variable("aws:principaltag/team", "none", "${aws:PrincipalTag/team, 'none'}"),
    )


def test_unterminated_variable_is_plain_text() -> None:
    assert parse_template("a${aws:username") == ("a${aws:username",)


def test_resolution_uses_value_then_default_else_nothing() -> None:
    parts = parse_template("${aws:username, 'anon'}-${aws:userid}")
    assert resolve_literal(parts, {"aws:username": "bob", "aws:userid": "AIDA"}) == "bob-AIDA"
    assert resolve_literal(parts, {"aws:userid": "AIDA"}) == "anon-AIDA"
    assert resolve_literal(parts, {"aws:username": "bob"}) is None


def test_multi_valued_key_does_not_resolve() -> None:
    parts = parse_template("${aws:TagKeys}")
    assert resolve_literal(parts, {"aws:tagkeys": ("a", "b")}) is None


def test_variable_in_resource_matches_only_the_callers_own_prefix() -> None:
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))
    ctx = {"aws:username": "alice"}
    assert decide([policy], resource="arn:aws:s3:::home/alice/f", context=ctx) == "Allowed"
    assert decide([policy], resource="arn:aws:s3:::home/bob/f", context=ctx) == "ImplicitlyDenied"


def test_variable_value_is_literal_not_a_wildcard() -> None:
    """A user named ``*`` must not be granted every home folder."""
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/f"))
    assert (
        decide([policy], resource="arn:aws:s3:::home/bob/f", context={"aws:username": "*"})
        == "ImplicitlyDenied"
    )


def test_unresolved_variable_makes_the_statement_not_match() -> None:
    allow_policy = doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))
    assert decide([allow_policy], resource="arn:aws:s3:::home/x/f") == "ImplicitlyDenied"
    deny_policy = doc(
        allow(),
        {
            "Effect": "Deny",
            "Action": "s3:GetObject",
            "NotResource": "arn:aws:s3:::home/${aws:username}/*",
        },
    )
    # NotResource with an unresolvable variable never widens the deny.
    assert decide([deny_policy], resource="arn:aws:s3:::other/f") == "Allowed"


def test_escapes_match_literal_characters() -> None:
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::b/${*}${?}${$}"))
    assert decide([policy], resource="arn:aws:s3:::b/*?$") == "Allowed"
    assert decide([policy], resource="arn:aws:s3:::b/ab$") == "ImplicitlyDenied"


def test_version_2008_takes_variables_literally() -> None:
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}"), version="2008-10-17")
    ctx = {"aws:username": "alice"}
    assert decide([policy], resource="arn:aws:s3:::home/alice", context=ctx) == "ImplicitlyDenied"
    assert decide([policy], resource="arn:aws:s3:::home/${aws:username}", context=ctx) == "Allowed"


def test_variable_in_condition_value() -> None:
    policy = doc(allow(Condition={"StringEquals": {"s3:prefix": "home/${aws:username}"}}))
    ctx = {"aws:username": "alice", "s3:prefix": "home/alice"}
    assert decide([policy], context=ctx) == "Allowed"
    assert decide([policy], context={**ctx, "s3:prefix": "home/bob"}) == "ImplicitlyDenied"
