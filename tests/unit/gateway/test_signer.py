"""The gateway's re-signing matches botocore's SigV4 signer byte for byte, and iamd's own
verifier accepts it."""

from __future__ import annotations

import datetime
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iamd.auth.sigv4 import SignedRequest, SigningSecret, verify
from iamd.gateway.signer import payload_hash, sign

MOMENT = datetime.datetime(2026, 5, 1, 12, 0, 0)


def test_matches_botocore_for_a_query_service() -> None:
    body = b"Action=DescribeInstances&Version=2016-11-15"
    headers = {"host": "ec2.example:4566", "content-type": "application/x-www-form-urlencoded"}
    sign("POST", "/", "", headers, access_key="AKIDEXAMPLE", secret_key="s3cr3t",
         region="us-east-1", service="ec2", payload=payload_hash(body),
         now=MOMENT.replace(tzinfo=datetime.UTC).timestamp())  # fmt: skip
    request = AWSRequest(
        method="POST",
        url="http://ec2.example:4566/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    request.headers["X-Amz-Content-SHA256"] = payload_hash(body)
    with mock.patch("botocore.auth.get_current_datetime", return_value=MOMENT):
        SigV4Auth(Credentials("AKIDEXAMPLE", "s3cr3t"), "ec2", "us-east-1").add_auth(request)
    assert headers["authorization"] == request.headers["Authorization"]


def test_iamd_verifies_a_re_signed_s3_request() -> None:
    headers = {"host": "backend:9000", "x-amz-meta-colour": "blue"}
    sign(
        "PUT",
        "/bucket/a%20key",
        "partNumber=1&uploadId=x",
        headers,
        access_key="AKIDEXAMPLE",
        secret_key="s3cr3t",
        region="us-east-1",
        service="s3",
        payload="UNSIGNED-PAYLOAD",
    )
    assert "x-amz-meta-colour" in headers["authorization"]
    verified = verify(
        SignedRequest("PUT", "/bucket/a%20key", "partNumber=1&uploadId=x", headers, b"body"),
        lambda key: SigningSecret(key, "s3cr3t"),
        allowed_services={"s3"},
    )
    assert verified.payload_hash == "UNSIGNED-PAYLOAD"
