"""CloudTrail's LookupEvents over iamd's audit trail, with boto3 and the aws CLI; and the json
and rest-json protocols routed by the credential scope (CloudTrail, Access Analyzer).

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iamd.services.analyzer import REGISTRY as ANALYZER
from support.live import ROOT_KEY, ROOT_SECRET, LiveServer

from .conftest import allow_all
from .test_aws_cli import aws, ok

LOOKUP_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}],
}


def events_of(client: Any, key: str, value: str, **extra: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}], **extra
    )
    return [event for page in pages for event in page["Events"]]


def error_of(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


@pytest.fixture
def trail(server: LiveServer) -> Any:
    return server.client("cloudtrail")


def test_callers_earlier_calls_are_found_by_event_name(
    server: LiveServer, iam: Any, trail: Any, unique: Callable[[str], str]
) -> None:
    name = unique("looked-up")
    created = iam.create_user(UserName=name, Path="/team/")
    found = [
        e
        for e in events_of(trail, "EventName", "CreateUser")
        if json.loads(e["CloudTrailEvent"])["requestParameters"]["userName"] == name
    ]
    assert len(found) == 1
    event = found[0]
    record = json.loads(event["CloudTrailEvent"])
    assert event["EventId"] == record["eventID"]
    assert event["EventName"] == "CreateUser"
    assert event["EventSource"] == "iam.amazonaws.com"
    assert event["ReadOnly"] == "false"
    assert event["AccessKeyId"] == ROOT_KEY
    assert isinstance(event["EventTime"], datetime)
    assert abs(event["EventTime"] - datetime.now(UTC)) < timedelta(minutes=2)
    assert event["Resources"] == [{"ResourceType": "AWS::IAM::User", "ResourceName": name}]
    assert record["resources"] == [
        {"ARN": created["User"]["Arn"], "accountId": server.account_id, "type": "AWS::IAM::User"}
    ]
    assert record["requestID"] == created["ResponseMetadata"]["RequestId"]


def test_every_lookup_attribute(
    server: LiveServer,
    iam: Any,
    trail: Any,
    user_client: Callable[..., Any],
    unique: Callable[[str], str],
) -> None:
    actor = user_client(allow_all())
    actor_name = actor.user_name
    actor_key = actor._request_signer._credentials.access_key
    target = unique("target")
    actor.create_user(UserName=target)
    made = actor.create_access_key(UserName=target)["AccessKey"]["AccessKeyId"]
    actor.attach_user_policy(UserName=target, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    got = actor.get_user(UserName=target)

    by_user = events_of(trail, "Username", actor_name)
    assert [e["EventName"] for e in by_user] == [
        "GetUser",
        "AttachUserPolicy",
        "CreateAccessKey",
        "CreateUser",
    ], "newest first, the caller's calls only"
    assert {e["AccessKeyId"] for e in by_user} == {actor_key}
    assert [e["EventName"] for e in events_of(trail, "AccessKeyId", actor_key)] == [
        e["EventName"] for e in by_user
    ]

    get_user = by_user[0]
    (by_id,) = events_of(trail, "EventId", get_user["EventId"])
    assert json.loads(by_id["CloudTrailEvent"])["requestID"] == got["ResponseMetadata"]["RequestId"]

    read_only = {e["EventId"] for e in events_of(trail, "ReadOnly", "true")}
    writes = {e["EventId"] for e in events_of(trail, "ReadOnly", "false")}
    assert get_user["EventId"] in read_only and get_user["EventId"] not in writes
    assert by_user[1]["EventId"] in writes

    on_target = events_of(trail, "ResourceName", target)
    assert [e["EventName"] for e in on_target] == [
        "GetUser",
        "AttachUserPolicy",
        "CreateAccessKey",
        "CreateUser",
    ]
    keys = events_of(trail, "ResourceType", "AWS::IAM::AccessKey")
    created_key = [e for e in keys if e["EventId"] == by_user[2]["EventId"]]
    assert (
        created_key
        and {"ResourceType": "AWS::IAM::AccessKey", "ResourceName": made}
        in (created_key[0]["Resources"])
    )
    (attached,) = [
        e
        for e in events_of(trail, "ResourceName", "arn:aws:iam::aws:policy/ReadOnlyAccess")
        if e["EventId"] == by_user[1]["EventId"]
    ]
    assert {r["ResourceType"] for r in attached["Resources"]} == {
        "AWS::IAM::Policy",
        "AWS::IAM::User",
    }
    assert all(
        e["EventSource"] == "iam.amazonaws.com"
        for e in events_of(
            trail, "EventSource", "iam.amazonaws.com", PaginationConfig={"MaxItems": 20}
        )
    )


def test_lookups_are_audited_as_cloudtrail_reads(trail: Any) -> None:
    first = trail.lookup_events(MaxResults=1)
    ours = [
        e
        for e in events_of(trail, "EventSource", "cloudtrail.amazonaws.com")
        if json.loads(e["CloudTrailEvent"])["requestID"] == first["ResponseMetadata"]["RequestId"]
    ]
    assert len(ours) == 1
    assert ours[0]["EventName"] == "LookupEvents"
    assert ours[0]["ReadOnly"] == "true"


def test_paginator_pages_are_stable_under_concurrent_writes(
    server: LiveServer, trail: Any, user_client: Callable[..., Any]
) -> None:
    actor = user_client(allow_all())
    for _ in range(7):
        actor.get_user()
    query = [{"AttributeKey": "Username", "AttributeValue": actor.user_name}]
    everything = [e["EventId"] for e in trail.lookup_events(LookupAttributes=query)["Events"]]
    assert len(everything) == 7

    first = trail.lookup_events(LookupAttributes=query, MaxResults=3)
    assert [e["EventId"] for e in first["Events"]] == everything[:3]
    for _ in range(4):  # newer events arrive while the client pages
        actor.list_users()
    seen = [e["EventId"] for e in first["Events"]]
    token = first["NextToken"]
    while token:
        page = trail.lookup_events(LookupAttributes=query, MaxResults=3, NextToken=token)
        seen += [e["EventId"] for e in page["Events"]]
        token = page.get("NextToken")
    assert seen == everything

    paged = events_of(trail, "Username", actor.user_name, PaginationConfig={"PageSize": 2})
    assert len(paged) == 11 and len({e["EventId"] for e in paged}) == 11
    times = [e["EventTime"] for e in paged]
    assert times == sorted(times, reverse=True)


def test_time_range(trail: Any, iam: Any, unique: Callable[[str], str]) -> None:
    iam.create_user(UserName=unique("timed"))
    now = datetime.now(UTC)
    recent = trail.lookup_events(StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(1))
    assert recent["Events"]
    assert all(e["EventTime"] >= now - timedelta(minutes=5, seconds=1) for e in recent["Events"])
    future = trail.lookup_events(StartTime=now + timedelta(days=1), EndTime=now + timedelta(days=2))
    assert future["Events"] == []


def test_bad_input_gets_cloudtrails_errors(trail: Any) -> None:
    now = datetime.now(UTC)
    assert error_of(lambda: trail.lookup_events(StartTime=now, EndTime=now - timedelta(hours=1)))[
        :2
    ] == (400, "InvalidTimeRangeException")
    assert error_of(lambda: trail.lookup_events(MaxResults=51))[:2] == (
        400,
        "InvalidMaxResultsException",
    )
    two = [
        {"AttributeKey": "EventName", "AttributeValue": "CreateUser"},
        {"AttributeKey": "ReadOnly", "AttributeValue": "true"},
    ]
    assert error_of(lambda: trail.lookup_events(LookupAttributes=two))[:2] == (
        400,
        "InvalidLookupAttributesException",
    )
    unknown = [{"AttributeKey": "Colour", "AttributeValue": "blue"}]
    assert error_of(lambda: trail.lookup_events(LookupAttributes=unknown))[1] == (
        "InvalidLookupAttributesException"
    )
    assert error_of(lambda: trail.lookup_events(NextToken="not-a-token"))[1] == (
        "InvalidNextTokenException"
    )
    token = trail.lookup_events(MaxResults=1)["NextToken"]
    other = [{"AttributeKey": "ReadOnly", "AttributeValue": "true"}]
    assert error_of(
        lambda: trail.lookup_events(LookupAttributes=other, MaxResults=1, NextToken=token)
    )[1] == ("InvalidNextTokenException")
    assert error_of(lambda: trail.lookup_events(EventCategory="nonsense"))[1] == (
        "InvalidEventCategoryException"
    )


def test_denied_without_cloudtrail_lookup_events(user_client: Callable[..., Any]) -> None:
    """CloudTrail answers ``AccessDeniedException`` (HTTP 400, as in AWS's Common Errors:
    https://docs.aws.amazon.com/en_us/AmazonRDS/latest/APIReference/CommonErrors.html)."""
    nobody = user_client(None, service="cloudtrail")
    status, code, message = error_of(lambda: nobody.lookup_events())
    assert (status, code) == (400, "AccessDeniedException")
    assert f"user/{nobody.user_name} is not authorized to perform: cloudtrail:LookupEvents" in (
        message
    )
    allowed = user_client(LOOKUP_ONLY, service="cloudtrail")
    assert "Events" in allowed.lookup_events(MaxResults=1)


def test_authentication_errors_in_json(server: LiveServer) -> None:
    """The json services' names for a bad key and a bad signature (cognito-idp's
    ``{"__type":"UnrecognizedClientException",...}`` with status 400:
    https://github.com/ArranJacques/laravel-aws-cognito-auth/issues/25)."""
    forged = server.client("cloudtrail", ROOT_KEY, "not-the-secret")
    assert error_of(lambda: forged.lookup_events())[:2] == (400, "InvalidSignatureException")
    stranger = server.client("cloudtrail", "AKIAIOSFODNN7EXAMPLE", "x" * 40)
    status, code, message = error_of(lambda: stranger.lookup_events())
    assert (status, code) == (400, "UnrecognizedClientException")
    assert message == "The security token included in the request is invalid."


def test_unsigned_json_request_is_answered_in_json(server: LiveServer) -> None:
    """An unsigned CloudTrail call reaches iamd's own pipeline (not the gateway's anonymous S3
    path) and is refused in the json protocol's format."""
    request = urllib.request.Request(
        server.url + "/",
        data=b"{}",
        method="POST",
        headers={
            "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    assert raised.value.headers["content-type"] == "application/x-amz-json-1.1"
    assert json.loads(raised.value.read())["__type"] == "MissingAuthenticationTokenException"


def test_unimplemented_cloudtrail_operation_is_501(trail: Any) -> None:
    assert error_of(lambda: trail.describe_trails())[:2] == (501, "NotImplemented")


def test_aws_cli_lookup_events(
    server: LiveServer, iam: Any, tmp_path: Path, unique: Callable[[str], str]
) -> None:
    name = unique("cli-looked-up")
    iam.create_user(UserName=name)
    found = ok(
        aws(
            server,
            tmp_path,
            "cloudtrail",
            "lookup-events",
            "--lookup-attributes",
            "AttributeKey=EventName,AttributeValue=CreateUser",
        )
    )
    names = [r["ResourceName"] for e in found["Events"] for r in e.get("Resources", ())]
    assert name in names
    assert all(e["EventName"] == "CreateUser" for e in found["Events"])
    bad = aws(server, tmp_path, "cloudtrail", "lookup-events", "--max-results", "51")
    assert bad.returncode != 0
    assert "InvalidMaxResultsException" in bad.stderr


# --- Access Analyzer: routed to the rest-json protocol -----------------------------------


def test_access_analyzer_validation_errors_are_rest_json(server: LiveServer) -> None:
    analyzer = server.client("accessanalyzer")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        analyzer.validate_policy(policyDocument="{}", policyType="NOT_A_TYPE")
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "ValidationException"
    assert (
        "Value 'NOT_A_TYPE' at 'policyType' failed to satisfy constraint"
        in (response["Error"]["Message"])
    )
    assert response["reason"] == "fieldValidationFailed"
    assert response["fieldList"][0]["name"] == "policyType"


def test_access_analyzer_unimplemented_operation_is_501(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operation with no handler answers 501 in rest-json's format.  The live server shares
    this process's registry, so taking one handler out stands in for an unimplemented one."""
    monkeypatch.delitem(ANALYZER.operations, "ListPolicyGenerations")
    analyzer = server.client("accessanalyzer")
    status, code, _ = error_of(lambda: analyzer.list_policy_generations())
    assert (status, code) == (501, "NotImplemented")


def signed(server: LiveServer, method: str, path: str, service: str) -> tuple[int, Any, bytes]:
    request = AWSRequest(method=method, url=server.url + path, data=b"")
    SigV4Auth(Credentials(ROOT_KEY, ROOT_SECRET), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(
        prepared.url, data=None, headers=dict(prepared.headers), method=method
    )
    try:
        with urllib.request.urlopen(raw, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_access_analyzer_unknown_route_is_404(server: LiveServer) -> None:
    status, headers, body = signed(server, "GET", "/no/such/route", "access-analyzer")
    assert status == 404
    assert headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert headers["content-type"] == "application/json"
    assert "message" in json.loads(body)
