"""Writing Query responses: AWS's envelope, member order, escaping and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from botocore.parsers import create_parser

from iamd.protocol import query_protocol

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

USER = {
    "Path": "/",
    "UserName": "bob",
    "UserId": "AIDAEXAMPLE",
    "Arn": "arn:aws:iam::123456789012:user/bob",
    "CreateDate": datetime(2024, 1, 1, tzinfo=UTC),
}


def botocore_parse(service: str, operation: str, body: bytes) -> dict[str, Any]:
    shape = query_protocol(service).spec.operation(operation).output_shape
    parsed: dict[str, Any] = create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": 200}, shape
    )
    return parsed


def test_envelope() -> None:
    body = query_protocol("iam").serialize("GetUser", {"User": USER}, "req-1")
    expected = (
        f'<GetUserResponse xmlns="{IAM_NS}"><GetUserResult><User>'
        "<Path>/</Path><UserName>bob</UserName><UserId>AIDAEXAMPLE</UserId>"
        "<Arn>arn:aws:iam::123456789012:user/bob</Arn>"
        "<CreateDate>2024-01-01T00:00:00Z</CreateDate>"
        "</User></GetUserResult>"
        "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
        "</GetUserResponse>"
    )
    assert body == expected.encode()


def test_operation_without_output() -> None:
    body = query_protocol("iam").serialize("DeleteUser", None, "req-2")
    expected = (
        f'<DeleteUserResponse xmlns="{IAM_NS}">'
        "<ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata>"
        "</DeleteUserResponse>"
    )
    assert body == expected.encode()


def test_sts_namespace_and_wrapper() -> None:
    result = {"UserId": "AIDA", "Account": "123456789012", "Arn": "arn:aws:iam::1:user/b"}
    body = query_protocol("sts").serialize("GetCallerIdentity", result, "r")
    assert body.startswith(
        f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult>'.encode()
    )
    assert botocore_parse("sts", "GetCallerIdentity", body)["Account"] == "123456789012"


def test_members_in_shape_order_none_skipped_unknown_ignored() -> None:
    user = {"CreateDate": USER["CreateDate"], "UserName": "bob", "Path": None, "Bogus": 1}
    body = query_protocol("iam").serialize("GetUser", {"User": user}, "r").decode()
    assert "<User><UserName>bob</UserName><CreateDate>" in body
    assert "Path" not in body
    assert "Bogus" not in body


def test_lists_and_booleans() -> None:
    result = {"Users": [USER, {**USER, "UserName": "eve"}], "IsTruncated": True, "Marker": "m"}
    body = query_protocol("iam").serialize("ListUsers", result, "r")
    text = body.decode()
    assert "<Users><member><Path>/</Path><UserName>bob</UserName>" in text
    assert "<IsTruncated>true</IsTruncated>" in text
    parsed = botocore_parse("iam", "ListUsers", body)
    assert [u["UserName"] for u in parsed["Users"]] == ["bob", "eve"]
    assert parsed["IsTruncated"] is True


def test_empty_list_reads_back_empty() -> None:
    body = query_protocol("iam").serialize("ListUsers", {"Users": [], "IsTruncated": False}, "r")
    parsed = botocore_parse("iam", "ListUsers", body)
    assert parsed["Users"] == []
    assert parsed["IsTruncated"] is False


def test_escaping() -> None:
    tricky = "a<b>&c\"d'e\r\nf\tg ]]> é 😀"
    user = {**USER, "UserName": tricky}
    body = query_protocol("iam").serialize("GetUser", {"User": user}, "r")
    assert b"a&lt;b&gt;&amp;c" in body
    assert botocore_parse("iam", "GetUser", body)["User"]["UserName"] == tricky


def test_characters_xml_cannot_carry_are_replaced() -> None:
    user = {**USER, "UserName": "a\x00b\x1fc\ud800d"}
    body = query_protocol("iam").serialize("GetUser", {"User": user}, "r")
    assert botocore_parse("iam", "GetUser", body)["User"]["UserName"] == "a\ufffdb\ufffdc\ufffdd"


def test_request_id_is_escaped() -> None:
    body = query_protocol("iam").serialize("DeleteUser", None, "<id>&")
    assert b"<RequestId>&lt;id&gt;&amp;</RequestId>" in body


def test_timestamps_are_utc_seconds_with_z() -> None:
    proto = query_protocol("iam")
    cases = {
        datetime(2024, 1, 1, 12, 0, 0, 999_999, tzinfo=UTC): "2024-01-01T12:00:00Z",
        datetime(2024, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))): "2024-01-01T12:00:00Z",
        datetime(2024, 1, 1, 12, 0): "2024-01-01T12:00:00Z",  # naive means UTC
        1704110400: "2024-01-01T12:00:00Z",
    }
    for value, text in cases.items():
        body = proto.serialize("GetUser", {"User": {**USER, "CreateDate": value}}, "r")
        assert f"<CreateDate>{text}</CreateDate>".encode() in body, value


def test_maps() -> None:
    result = {"SummaryMap": {"Users": 3, "Groups": 0}}
    body = query_protocol("iam").serialize("GetAccountSummary", result, "r")
    assert b"<SummaryMap><entry><key>Users</key><value>3</value></entry>" in body
    assert botocore_parse("iam", "GetAccountSummary", body)["SummaryMap"] == result["SummaryMap"]


def test_blobs_are_base64() -> None:
    result = {
        "Content": b"user,arn\n",
        "ReportFormat": "text/csv",
        "GeneratedTime": USER["CreateDate"],
    }
    body = query_protocol("iam").serialize("GetCredentialReport", result, "r")
    assert b"<Content>dXNlcixhcm4K</Content>" in body
    assert botocore_parse("iam", "GetCredentialReport", body)["Content"] == b"user,arn\n"
