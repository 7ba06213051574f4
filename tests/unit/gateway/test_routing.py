"""Which requests the gateway takes, decided from the scope before the body is read."""

from __future__ import annotations

from typing import Any

from iamd.gateway.routing import for_gateway


def scope(method: str, path: str, query: bytes = b"", **headers: str) -> dict[str, Any]:
    return {
        "method": method,
        "path": path,
        "query_string": query,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }


def auth(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=abc"
    )


def test_signed_requests_go_by_credential_scope() -> None:
    for own in ("iam", "sts", "cloudtrail", "access-analyzer"):
        assert not for_gateway(scope("POST", "/", authorization=auth(own)))
    for other in ("s3", "ec2", "dynamodb", "sqs", "monitoring"):
        assert for_gateway(scope("POST", "/", authorization=auth(other)))
    presigned = (
        b"X-Amz-Credential=AKIA%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x"
    )
    assert for_gateway(scope("GET", "/bucket/key", presigned))
    assert not for_gateway(scope("GET", "/", presigned.replace(b"s3", b"sts")))
    # A malformed credential is answered by iamd's own endpoint, as before.
    assert not for_gateway(scope("POST", "/", authorization="AWS4-HMAC-SHA256 Credential=x"))


def test_unsigned_requests_are_iamds_only_in_its_own_shapes() -> None:
    form = "application/x-www-form-urlencoded; charset=utf-8"
    assert not for_gateway(scope("POST", "/", content_type=form))  # AssumeRoleWithWebIdentity
    assert not for_gateway(scope("GET", "/", b"Action=ListUsers"))
    for path in ("/_iamd/health", "/.well-known/openid-configuration", "/console/signin"):
        assert not for_gateway(scope("GET", path))
    assert for_gateway(scope("GET", "/public-bucket/key"))  # anonymous S3
    assert for_gateway(scope("GET", "/"))


def test_s3_signature_version_2_goes_to_the_gateway() -> None:
    """S3 answers SigV2 (``Authorization: AWS key:signature``) with its own InvalidRequest,
    so such a request is the gateway's, not IAM's."""
    assert for_gateway(scope("GET", "/bucket/key", authorization="AWS AKIAEXAMPLE:c2lnbmF0dXJl"))
