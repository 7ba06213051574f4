"""The pipeline: text in, located findings out, in reading order, whatever state the text is in."""

from __future__ import annotations

import json
from collections.abc import Callable

from iamd.policy import PolicyKind
from iamd.validation import Finding, FindingType, validate_document, validate_policy

Lint = Callable[..., list[Finding]]

TEXT = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Bad",
      "Effect": "Allow",
      "Action": "s3:GetObjekt",
      "Resource": "arn:aws:s3:::b/*"
    }
  ]
}
"""


def test_findings_carry_pointer_and_line_column_span() -> None:
    [found] = validate_policy(TEXT)
    assert found.code == "INVALID_ACTION"
    assert found.type is FindingType.ERROR
    assert found.pointer == "/Statement/0/Action"
    assert found.span is not None
    assert (found.span.start.line, found.span.start.column) == (7, 7)
    assert (found.span.end.line, found.span.end.column) == (7, 31)
    assert TEXT[found.span.start.offset : found.span.end.offset] == '"Action": "s3:GetObjekt"'
    assert "Did you mean s3:GetObject?" in found.message


def test_json_syntax_error_is_the_only_finding_and_is_located() -> None:
    [found] = validate_policy('{"Version": "2012-10-17",\n  "Statement": [}')
    assert found.code == "JSON_SYNTAX_ERROR"
    assert found.span is not None and found.span.start.line == 2
    assert found.is_error


def test_duplicate_keys_are_errors_at_the_repeated_key() -> None:
    text = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Effect": "Deny",\n'
    text += '"Action": "s3:GetObject", "Resource": "*"}}'
    found = [f for f in validate_policy(text) if f.code == "JSON_SYNTAX_ERROR"]
    assert [f.pointer for f in found] == ["/Statement/Effect"]


def test_bytes_with_bom_and_non_utf8() -> None:
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        }
    )
    assert validate_policy(b"\xef\xbb\xbf" + text.encode()) == []
    [found] = validate_policy(b"\xff\xfe{")
    assert found.code == "JSON_SYNTAX_ERROR"


def test_one_refused_statement_does_not_hide_the_others(lint: Lint) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "yes"}},
            },
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
        ],
    }
    found = {(f.code, f.pointer) for f in lint(document)}
    assert ("TYPE_MISMATCH_BOOLEAN", "/Statement/0/Condition/Bool/aws:SecureTransport") in found
    assert ("PASS_ROLE_WITH_STAR_IN_RESOURCE", "/Statement/1/Resource") in found


def test_recovered_statements_keep_their_places(lint: Lint) -> None:
    document = {
        "Version": "2012-10-17",
        "Id": 7,
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/x": "a*"}},
        },
    }
    found = {(f.code, f.pointer) for f in lint(document)}
    assert ("DATA_TYPE_MISMATCH", "/Id") in found
    assert (
        "WILDCARD_WITHOUT_LIKE_OPERATOR",
        "/Statement/Condition/StringEquals/aws:PrincipalTag~1x",
    ) in found


def test_findings_are_in_reading_order(lint: Lint) -> None:
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "s4:Get", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"},
        ]
    }
    found = lint(document)
    offsets = [f.span.start.offset for f in found if f.span]
    assert offsets == sorted(offsets)
    assert [f.code for f in found] == [
        "MISSING_VERSION",
        "INVALID_SERVICE_IN_ACTION",
        "INVALID_ACTION",
    ]


def test_documents_that_are_not_objects(lint: Lint) -> None:
    for text in ("[1, 2]", '"policy"', "null"):
        [found] = lint(text)
        assert (found.code, found.pointer) == ("JSON_SYNTAX_ERROR", "")
        assert "JSON object" in found.message


def test_validate_document_without_text_has_no_spans() -> None:
    found = validate_document(
        {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}
    )
    assert [f.code for f in found] == ["MISSING_VERSION"]
    assert found[0].span is None


def test_policy_kind_changes_the_rules(lint: Lint) -> None:
    resource_policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "111122223333"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
        },
    }
    assert lint(resource_policy, PolicyKind.RESOURCE) == []
    assert {f.code for f in lint(resource_policy)} == {"UNSUPPORTED_PRINCIPAL"}


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    text = '{"Version": "2012-10-17", "Statement": ' + "[" * 100_000 + "]" * 100_000 + "}"
    found = validate_policy(text)
    assert found and all(f.is_error for f in found)
