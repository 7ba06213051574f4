"""AWS's ValidationError texts, produced from the model's constraints.

Expected messages are AWS's wording as seen in real IAM/STS responses (e.g. "1 validation error
detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater
than or equal to 1"; "Value null at 'policyArn' ... Member must not be null"; list elements as
'tags.6.member.value').
"""

from __future__ import annotations

import pytest

from iamd.errors import ValidationError
from iamd.protocol import query_protocol
from iamd.protocol.patterns import compile_pattern, translate
from iamd.protocol.validate import MISSING, Violation, render_value, validation_message

NAME_PATTERN = r"[\w+=,.@-]+"


def _message(body: str, service: str = "iam") -> str:
    with pytest.raises(ValidationError) as caught:
        query_protocol(service).parse(body.encode())
    assert caught.value.code == "ValidationError"
    assert caught.value.status == 400
    return caught.value.message


def test_pattern_violation() -> None:
    assert _message("Action=CreateUser&UserName=bad+name!") == (
        "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )


def test_missing_required_member() -> None:
    assert _message("Action=AttachUserPolicy&UserName=bob") == (
        "1 validation error detected: Value null at 'policyArn' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_several_violations_are_joined_with_semicolons() -> None:
    assert _message("Action=CreateUser&UserName=") == (
        "2 validation errors detected: "
        "Value '' at 'userName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '' at 'userName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
    )


def test_too_long() -> None:
    name = "u" * 65
    assert _message(f"Action=CreateUser&UserName={name}") == (
        f"1 validation error detected: Value '{name}' at 'userName' failed to satisfy "
        "constraint: Member must have length less than or equal to 64"
    )


def test_integer_range() -> None:
    assert _message("Action=ListUsers&MaxItems=0") == (
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    assert _message("Action=ListUsers&MaxItems=1001").endswith(
        "Member must have value less than or equal to 1000"
    )


def test_enum() -> None:
    message = _message("Action=UpdateAccessKey&AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=On")
    assert message.startswith(
        "1 validation error detected: Value 'On' at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Active, Inactive"
    )
    assert message.endswith("]")


def test_list_element_paths() -> None:
    body = (
        "Action=TagUser&UserName=bob&Tags.member.1.Key=ok&Tags.member.1.Value=v"
        "&Tags.member.2.Key=ok2&Tags.member.2.Value=bad!value"
    )
    assert _message(body) == (
        "1 validation error detected: Value 'bad!value' at 'tags.2.member.value' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
        r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
    )


def test_missing_member_inside_a_list_element() -> None:
    body = "Action=TagUser&UserName=bob&Tags.member.1.Key=k"
    assert _message(body) == (
        "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_list_length() -> None:
    body = "Action=TagUser&UserName=bob&" + "&".join(
        f"Tags.member.{i}.Key=k{i}&Tags.member.{i}.Value=v" for i in range(1, 52)
    )
    message = _message(body)
    assert message.startswith("1 validation error detected: Value '[{Key=k1, Value=v}, ")
    assert message.endswith(
        "' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
    )


def test_sensitive_values_are_not_echoed() -> None:
    message = _message("Action=CreateLoginProfile&UserName=bob&Password=")
    assert "Value at 'password' failed to satisfy constraint" in message
    assert "Value ''" not in message


def test_unicode_tag_values_are_letters() -> None:
    proto = query_protocol("iam")
    parsed = proto.parse(
        "Action=TagUser&UserName=bob&Tags.member.1.Key=Équipe&Tags.member.1.Value=日本 1".encode()
    )
    assert parsed.params["Tags"] == [{"Key": "Équipe", "Value": "日本 1"}]


def test_non_integer_is_rejected() -> None:
    assert _message("Action=ListUsers&MaxItems=ten") == (
        "1 validation error detected: Value 'ten' at 'maxItems' failed to satisfy constraint: "
        "Member must be a valid integer"
    )
    assert "maxItems" in _message("Action=ListUsers&MaxItems=1.5")
    assert "maxItems" in _message("Action=ListUsers&MaxItems=99999999999")


def test_non_boolean_is_rejected() -> None:
    message = _message("Action=ListPolicies&OnlyAttached=yes")
    assert "Value 'yes' at 'onlyAttached'" in message


def test_booleans_parse() -> None:
    proto = query_protocol("iam")
    parsed = proto.parse(b"Action=ListPolicies&OnlyAttached=true")
    assert parsed.params == {"OnlyAttached": True}
    assert proto.parse(b"Action=ListPolicies&OnlyAttached=false").params == {"OnlyAttached": False}


def test_sts_duration_range() -> None:
    message = _message(
        "Action=AssumeRole&RoleArn=arn:aws:iam::123456789012:role/r"
        "&RoleSessionName=sess&DurationSeconds=10",
        "sts",
    )
    assert message == (
        "1 validation error detected: Value '10' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value greater than or equal to 900"
    )


def test_validate_on_demand() -> None:
    proto = query_protocol("iam")
    proto.validate("GetUser", {})
    with pytest.raises(ValidationError):
        proto.validate("CreateUser", {})


def test_message_format_helpers() -> None:
    assert validation_message([Violation("a.b", MISSING, "Member must not be null")]) == (
        "1 validation error detected: Value null at 'a.b' failed to satisfy constraint: "
        "Member must not be null"
    )
    assert render_value([1, True, {"k": "v"}]) == "[1, true, {k=v}]"


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (NAME_PATTERN, ["a_b", "x+=,.@-"], ["é", "a b", ""]),  # \w is ASCII, as in Java
        (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", ["Ünïcödé 42", "日本", ""], ["a!", "a#"]),
        (r"\d{12}", ["123456789012"], ["12345678901", "١٢٣٤٥٦٧٨٩٠١٢"]),
        (
            r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
            ["{}", "emoji 😀", "tab\t"],
            ["\x01", "\x7f"],
        ),
    ],
)
def test_java_patterns(pattern: str, good: list[str], bad: list[str]) -> None:
    regex = compile_pattern(pattern)
    assert regex is not None, translate(pattern)
    for value in good:
        assert regex.fullmatch(value), value
    for value in bad:
        assert not regex.fullmatch(value), value


def test_untranslatable_patterns_are_reported_not_guessed() -> None:
    assert compile_pattern("[a-z&&[^b]]") is None
    assert compile_pattern(r"\p{Nope}") is None
