"""The audit trail, end to end: real boto3 calls, one CloudTrail event each, no secret stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest
from sqlalchemy import select

from iamd.store.repos.audit_events import AuditEvents, AuditFilter
from iamd.store.schema import audit_events
from support.live import LiveServer

from .conftest import allow_all


def stored(server: LiveServer) -> dict[str, dict[str, Any]]:
    """Every stored event, by request id, after flushing the recorder."""
    server.app.recorder.flush()
    with server.app.store.read() as tx:
        found = tx.repo(AuditEvents).list(AuditFilter(account_id=server.account_id), limit=10_000)
    return {e.event["requestID"]: e.event for e in found}


def all_rows_text(server: LiveServer) -> str:
    with server.app.store.read() as tx:
        rows = tx.conn.execute(select(audit_events)).all()
    return "\n".join(repr(tuple(row)) for row in rows)


def request_id(response_or_error: Any) -> str:
    if isinstance(response_or_error, botocore.exceptions.ClientError):
        return str(response_or_error.response["ResponseMetadata"]["RequestId"])
    return str(response_or_error["ResponseMetadata"]["RequestId"])


def test_calls_are_recorded_without_secrets(
    server: LiveServer,
    iam: Any,
    user_client: Callable[..., Any],
    unique: Callable[[str], str],
) -> None:
    account = server.account_id
    name = unique("audited")

    created = iam.create_user(UserName=name)
    key_response = iam.create_access_key(UserName=name)
    key = key_response["AccessKey"]

    outsider = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        outsider.list_users()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"

    forged = server.client("iam", key["AccessKeyId"], "not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError) as bad_signature:
        forged.get_user()
    assert bad_signature.value.response["Error"]["Code"] == "SignatureDoesNotMatch"

    stranger = server.client("iam", "AKIAUNKNOWNKEY000000", "whatever")
    with pytest.raises(botocore.exceptions.ClientError) as unknown_key:
        stranger.get_user()
    assert unknown_key.value.response["Error"]["Code"] == "InvalidClientTokenId"

    role_name = unique("role")
    iam.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    sts = user_client(allow_all(), service="sts")
    assumed = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role_name}", RoleSessionName="audit"
    )
    credentials = assumed["Credentials"]
    session = server.client(
        "iam",
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )
    with pytest.raises(botocore.exceptions.ClientError):
        session.list_users()  # the role has no permissions

    events = stored(server)

    create = events[request_id(created)]
    assert create["eventVersion"] == "1.08"
    assert create["eventName"] == "CreateUser"
    assert create["eventSource"] == "iam.amazonaws.com"
    assert create["userIdentity"]["type"] == "Root"
    assert create["requestParameters"] == {"userName": name}
    assert create["responseElements"]["user"]["userName"] == name
    assert create["readOnly"] is False
    assert create["recipientAccountId"] == account
    assert create["sourceIPAddress"] == "127.0.0.1"
    assert "Boto3" in create["userAgent"]
    assert create["eventTime"].endswith("Z")

    new_key = events[request_id(key_response)]
    assert new_key["eventName"] == "CreateAccessKey"
    assert new_key["responseElements"]["accessKey"]["accessKeyId"] == key["AccessKeyId"]
    assert "secretAccessKey" not in new_key["responseElements"]["accessKey"]

    deny = events[request_id(denied.value)]
    assert deny["eventName"] == "ListUsers"
    assert deny["errorCode"] == "AccessDenied"
    assert deny["errorMessage"]
    assert deny["userIdentity"]["type"] == "IAMUser"
    assert deny["userIdentity"]["userName"] == name
    assert deny["userIdentity"]["accessKeyId"] == key["AccessKeyId"]

    forgery = events[request_id(bad_signature.value)]
    assert forgery["eventName"] == "GetUser"
    assert forgery["errorCode"] == "SignatureDoesNotMatch"
    assert forgery["userIdentity"]["type"] == "IAMUser"
    assert forgery["userIdentity"]["userName"] == name

    unknown = events[request_id(unknown_key.value)]
    assert unknown["errorCode"] == "InvalidClientTokenId"
    assert unknown["userIdentity"] == {"type": "Unknown", "accessKeyId": "AKIAUNKNOWNKEY000000"}
    assert unknown["recipientAccountId"] == account

    assume = events[request_id(assumed)]
    assert assume["eventSource"] == "sts.amazonaws.com"
    assert assume["eventName"] == "AssumeRole"
    assert assume["readOnly"] is True
    assert assume["requestParameters"]["roleSessionName"] == "audit"
    response = assume["responseElements"]["credentials"]
    assert response["accessKeyId"] == credentials["AccessKeyId"]
    assert "secretAccessKey" not in response

    with server.app.store.read() as tx:
        repo = tx.repo(AuditEvents)
        session_events = repo.list(AuditFilter(access_key_id=credentials["AccessKeyId"]))
        assert repo.count(AuditFilter(username=name, error_code="AccessDenied")) == 1
    assert len(session_events) == 1
    identity = session_events[0].event["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["sessionContext"]["sessionIssuer"]["userName"] == role_name
    assert identity["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"

    text = all_rows_text(server)
    for secret in (key["SecretAccessKey"], credentials["SecretAccessKey"]):
        assert secret not in text
    assert credentials["SessionToken"] not in text
    assert credentials["SessionToken"][:40] not in text


def test_newest_first_and_filters(server: LiveServer, iam: Any) -> None:
    first = iam.list_users()
    second = iam.get_account_summary()
    server.app.recorder.flush()
    with server.app.store.read() as tx:
        repo = tx.repo(AuditEvents)
        newest = repo.list(AuditFilter(account_id=server.account_id), limit=2)
        reads = repo.count(AuditFilter(read_only=True, event_name="GetAccountSummary"))
    assert [e.event["requestID"] for e in newest] == [request_id(second), request_id(first)]
    assert reads >= 1
