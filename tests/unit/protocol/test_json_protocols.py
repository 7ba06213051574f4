"""The json (CloudTrail) and rest-json (Access Analyzer) protocols: routing, bad input, and
errors as botocore reads them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.parsers import create_parser

from iamd.errors import AccessDenied, AWSError, InvalidClientTokenId, ServiceFailure
from iamd.protocol import WireProtocol, wire_protocol

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
JSON_HEADERS = {"content-type": "application/x-amz-json-1.1"}


def cloudtrail() -> Any:
    return wire_protocol("cloudtrail")


def analyzer() -> Any:
    return wire_protocol("accessanalyzer")


def call(operation: str, body: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {**JSON_HEADERS, "x-amz-target": TARGET + operation}
    return cloudtrail().parse("POST", "/", "", headers, raw)


def botocore_error(proto: WireProtocol, error: AWSError) -> tuple[int, dict[str, Any], Any]:
    status, headers, body = proto.serialize_error(error, "req-1")
    response = {
        "body": body,
        "headers": {k.decode(): v.decode() for k, v in headers},
        "status_code": status,
    }
    parsed = create_parser(proto.spec.protocol).parse(response, None)  # type: ignore[attr-defined]
    return status, parsed["Error"], dict(headers)


def aws_error(thrown: Any) -> AWSError:
    assert isinstance(thrown.value, AWSError)
    return thrown.value


# --- json ----------------------------------------------------------------------------------


def test_json_reads_target_and_body() -> None:
    parsed = call(
        "LookupEvents",
        {"MaxResults": 5, "StartTime": 1700000000, "Unknown": 1, "NextToken": None},
    )
    assert parsed.operation == "LookupEvents"
    assert parsed.params["MaxResults"] == 5
    assert parsed.params["StartTime"].timestamp() == 1700000000
    assert "Unknown" not in parsed.params and "NextToken" not in parsed.params


@pytest.mark.parametrize(
    "target", ["", "LookupEvent", "com.amazonaws.other.LookupEvents", TARGET + "Nope"]
)
def test_json_unknown_target(target: str) -> None:
    headers = {**JSON_HEADERS, "x-amz-target": target} if target else JSON_HEADERS
    with pytest.raises(AWSError) as thrown:
        cloudtrail().parse("POST", "/", "", headers, b"{}")
    assert aws_error(thrown).code == "UnknownOperationException"


@pytest.mark.parametrize(
    "body", [b"{", b"[]", b'"text"', b'{"MaxResults": "ten"}', b'{"LookupAttributes": {}}']
)
def test_json_body_that_does_not_fit_is_a_serialization_exception(body: bytes) -> None:
    with pytest.raises(AWSError) as thrown:
        call("LookupEvents", body)
    assert (aws_error(thrown).code, aws_error(thrown).status) == ("SerializationException", 400)


def test_json_validation_uses_awss_messages() -> None:
    with pytest.raises(AWSError) as thrown:
        call("GetTrail", {})
    error = aws_error(thrown)
    assert error.code == "ValidationException"
    assert error.message == (
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_lookup_events_leaves_its_own_members_to_the_handler() -> None:
    """CloudTrail answers InvalidMaxResultsException / InvalidLookupAttributesException,
    not a model ValidationException, for these members."""
    parsed = call(
        "LookupEvents",
        {"MaxResults": 500, "LookupAttributes": [{"AttributeKey": "Nope", "AttributeValue": ""}]},
    )
    assert parsed.params["MaxResults"] == 500


def test_json_response_and_errors_as_botocore_reads_them() -> None:
    status, headers, body = cloudtrail().serialize("LookupEvents", {"Events": []}, "r")
    assert (status, headers) == (200, [(b"content-type", b"application/x-amz-json-1.1")])
    assert json.loads(body) == {"Events": []}

    status, error, _ = botocore_error(cloudtrail(), AccessDenied("User: x is not authorized"))
    assert (status, error["Code"], error["Message"]) == (
        400,
        "AccessDeniedException",
        "User: x is not authorized",
    )
    status, error, _ = botocore_error(cloudtrail(), InvalidClientTokenId("bad"))
    assert (status, error["Code"]) == (400, "UnrecognizedClientException")
    status, error, _ = botocore_error(cloudtrail(), ServiceFailure("boom"))
    assert (status, error["Code"]) == (500, "InternalFailure")
    body = cloudtrail().serialize_error(AWSError("x", code="TrailNotFoundException"), "r").body
    assert json.loads(body) == {"__type": "TrailNotFoundException", "message": "x"}


# --- rest-json -----------------------------------------------------------------------------

ARN = "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/a"


def rest(method: str, path: str, query: str = "", body: Any = None) -> Any:
    raw = json.dumps(body).encode() if body is not None else b""
    return analyzer().parse(method, path, query, {"content-type": "application/json"}, raw)


def test_routes_prefer_literal_segments() -> None:
    assert rest("POST", "/analyzer/findings/statistics", body={"analyzerArn": ARN}).operation == (
        "GetFindingsStatistics"
    )
    assert rest("GET", "/analyzer/findings").params == {"analyzerName": "findings"}
    assert rest("GET", "/analyzer/a/archive-rule/r").operation == "GetArchiveRule"
    assert rest("GET", "/analyzer/a/").operation == "GetAnalyzer"


def test_uri_labels_and_query_members() -> None:
    parsed = rest("DELETE", "/tags/arn%3Aaws%3Ax%2Fy", "tagKeys=a&tagKeys=b%20c")
    assert parsed.operation == "UntagResource"
    assert parsed.params == {"resourceArn": "arn:aws:x/y", "tagKeys": ["a", "b c"]}
    listed = rest("GET", "/analyzer", "maxResults=3&type=ACCOUNT&other=1")
    assert listed.params == {"maxResults": 3, "type": "ACCOUNT"}


def test_rest_bad_input() -> None:
    with pytest.raises(AWSError) as thrown:
        rest("GET", "/analyzer", "maxResults=ten")
    error = aws_error(thrown)
    assert (error.code, error.status) == ("ValidationException", 400)
    assert error.fields["fieldList"] == [
        {"name": "maxResults", "message": "Member must be a valid integer"}
    ]
    with pytest.raises(AWSError) as thrown:
        rest("POST", "/policy/validation", body={"policyDocument": "{}", "policyType": "X"})
    error = aws_error(thrown)
    assert error.code == "ValidationException"
    assert error.fields["reason"] == "fieldValidationFailed"
    assert error.fields["fieldList"][0]["name"] == "policyType"
    with pytest.raises(AWSError) as thrown:
        rest("PATCH", "/analyzer")
    assert (aws_error(thrown).code, aws_error(thrown).status) == ("UnknownOperationException", 404)
    with pytest.raises(AWSError) as thrown:
        analyzer().parse("POST", "/policy/validation", "", {}, b"{nope")
    assert aws_error(thrown).code == "SerializationException"


def test_rest_errors_as_botocore_reads_them() -> None:
    status, error, headers = botocore_error(analyzer(), AccessDenied("no"))
    assert (status, error["Code"], error["Message"]) == (403, "AccessDeniedException", "no")
    assert headers[b"x-amzn-errortype"] == b"AccessDeniedException"
    status, error, _ = botocore_error(analyzer(), ServiceFailure("boom"))
    assert (status, error["Code"]) == (500, "InternalServerException")
    not_found = AWSError("gone", code="ResourceNotFoundException")
    not_found.fields = {"resourceId": "a", "resourceType": "AWS::AccessAnalyzer::Analyzer"}
    status, headers, body = analyzer().serialize_error(not_found, "r")
    assert status == 404  # the model's status for the code
    assert json.loads(body) == {
        "message": "gone",
        "resourceId": "a",
        "resourceType": "AWS::AccessAnalyzer::Analyzer",
    }


def test_operation_of_names_the_operation_without_validating() -> None:
    assert analyzer().operation_of("GET", "/analyzer/a", "", {}, b"") == "GetAnalyzer"
    assert analyzer().operation_of("GET", "/nowhere", "", {}, b"") is None
    headers = {"x-amz-target": TARGET + "LookupEvents"}
    assert cloudtrail().operation_of("POST", "/", "", headers, b"{") == "LookupEvents"
    iam = wire_protocol("iam")
    assert iam.operation_of("POST", "/", "", {}, b"Action=GetUser&Version=2010-05-08") == (
        "GetUser"
    )
