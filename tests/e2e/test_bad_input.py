"""Bad input gets AWS's errors: malformed, truncated or hostile requests never cause a 500."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from support.live import ROOT_KEY, ROOT_SECRET, LiveServer


def send(
    server: LiveServer, body: bytes, *, sign: bool = True, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = AWSRequest(
        method="POST",
        url=server.url + "/",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            **(headers or {}),
        },
    )
    if sign:
        SigV4Auth(Credentials(ROOT_KEY, ROOT_SECRET), "iam", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(
        prepared.url, data=body, method="POST", headers=dict(prepared.headers)
    )
    try:
        with urllib.request.urlopen(raw, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"Action=CreateUser&Version=2010-05-08&UserName=%zz", "MalformedQueryString"),
        (b"Action=CreateUser&Version=2010-05-08&UserName=\xff\xfe", "MalformedQueryString"),
        (b"Action=NoSuchThing&Version=2010-05-08", "InvalidAction"),
        (b"Version=2010-05-08", "MissingAction"),
        (b"Action=CreateUser&Version=2010-05-08", "ValidationError"),
        (b"Action=CreateUser&Version=2010-05-08&UserName=" + b"a" * 65, "ValidationError"),
        (b"Action=ListUsers&Version=2010-05-08&MaxItems=ten", "ValidationError"),
        (b"Action=ListUsers&Version=2010-05-08&MaxItems=0", "ValidationError"),
        (
            b"Action=CreateUser&Version=2010-05-08&UserName=x&Tags.member.99999999.Key=k",
            "ValidationError",
        ),
        (
            b"Action=PutUserPolicy&Version=2010-05-08&UserName=nobody&PolicyName=p&PolicyDocument=%7B",
            "MalformedPolicyDocument",
        ),
    ],
)
def test_malformed_requests_get_clean_4xx(server: LiveServer, body: bytes, code: str) -> None:
    status, payload = send(server, body)
    assert 400 <= status < 500, payload
    assert f"<Code>{code}</Code>".encode() in payload, payload


def test_oversize_policy_and_names(iam: Any, unique: Callable[[str], str]) -> None:
    name = unique("big")
    iam.create_user(UserName=name)
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::" + "b" * 60 + "/*",
    }
    huge = json.dumps({"Version": "2012-10-17", "Statement": [statement] * 40})
    with pytest.raises(ClientError) as info:
        iam.put_user_policy(UserName=name, PolicyName="big", PolicyDocument=huge)
    assert info.value.response["Error"]["Code"] == "LimitExceeded"
    assert (
        "Maximum policy size of 2048 bytes exceeded for user"
        in info.value.response["Error"]["Message"]
    )
    with pytest.raises(ClientError) as info:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument="not json")
    assert info.value.response["Error"]["Code"] == "MalformedPolicyDocument"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00" * 100,
        b"=&=&==",
        b"Action",
        b"Action=&Version=",
        b"%" * 50,
        "Action=ListUsers&é=ü".encode(),
    ],
)
def test_garbage_never_causes_a_server_error(server: LiveServer, body: bytes) -> None:
    for sign in (True, False):
        status, payload = send(server, body, sign=sign)
        assert status < 500, payload


def test_truncated_signature_and_huge_body(server: LiveServer) -> None:
    status, payload = send(
        server,
        b"Action=ListUsers&Version=2010-05-08",
        sign=False,
        headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKIA/2024"},
    )
    assert status in (400, 403) and b"<Code>" in payload
    status, payload = send(
        server, b"Action=ListUsers&Version=2010-05-08&x=" + b"a" * (2 * 1024 * 1024)
    )
    assert status == 413 and b"RequestEntityTooLarge" in payload


def test_access_key_last_used(server: LiveServer, iam: Any, unique: Callable[[str], str]) -> None:
    name = unique("used")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    before = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert "LastUsedDate" not in before and before["ServiceName"] == "N/A"
    user = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError):
        user.list_users()  # denied, but the key was used
    server.app.recorder.flush()  # last use is read from the audit trail, written off the path
    after = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert after["UserName"] == name
    assert after["AccessKeyLastUsed"]["ServiceName"] == "iam"
    assert after["AccessKeyLastUsed"]["Region"] == "us-east-1"
    assert "LastUsedDate" in after["AccessKeyLastUsed"]
