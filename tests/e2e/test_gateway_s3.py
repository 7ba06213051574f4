"""S3 through iamd's enforcement gateway, with boto3: every request authenticated with iamd's
credentials, authorized with the full policy logic (bucket policies included), and forwarded to
the backend (embedded moto) only when allowed.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import http.client
import io
import ipaddress
import os
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore import httpchecksum
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iamd.auth.sigv4 import signing_key
from iamd.gateway.signer import sign
from support.gateway import (
    Mfa,
    allow,
    client,
    error_of,
    gateway_events,
    make_user,
    policy,
)
from support.live import ROOT_KEY, ROOT_SECRET, LiveServer

BOTOCORE_CHECKSUMS: dict[str, type[httpchecksum.BaseChecksum]] = {
    "CRC32": httpchecksum.Crc32Checksum,
    "CRC32C": httpchecksum.CrtCrc32cChecksum,
    "CRC64NVME": httpchecksum.CrtCrc64NvmeChecksum,
    "SHA1": httpchecksum.Sha1Checksum,
    "SHA256": httpchecksum.Sha256Checksum,
}
"""The SDK's own checksums, to compare the gateway's with."""


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def denied(arn: str, action: str, resource: str) -> tuple[str, str, int]:
    return (
        "AccessDenied",
        f'User: {arn} is not authorized to perform: {action} on resource: "{resource}" '
        f"because no identity-based policy allows the {action} action",
        403,
    )


@pytest.fixture
def root_s3(server: LiveServer) -> Any:
    return server.client("s3")


@pytest.fixture
def bucket(root_s3: Any) -> str:
    bucket = name("bucket")
    root_s3.create_bucket(Bucket=bucket)
    root_s3.put_object(Bucket=bucket, Key="docs/readme.txt", Body=b"read me")
    return bucket


def test_root_round_trip_and_unchanged_responses(
    server: LiveServer, root_s3: Any, bucket: str
) -> None:
    """The account's root may do anything in its account; answers come back as the backend
    gave them (ETag, metadata, ranges)."""
    put = root_s3.put_object(
        Bucket=bucket, Key="a b/ü.txt", Body=b"0123456789", Metadata={"colour": "blue"}
    )
    got = root_s3.get_object(Bucket=bucket, Key="a b/ü.txt", Range="bytes=2-4")
    assert got["Body"].read() == b"234"
    assert got["ETag"] == put["ETag"]
    head = root_s3.head_object(Bucket=bucket, Key="a b/ü.txt")
    assert head["Metadata"] == {"colour": "blue"} and head["ContentLength"] == 10
    keys = [o["Key"] for o in root_s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["a b/ü.txt", "docs/readme.txt"]
    assert bucket in [b["Name"] for b in root_s3.list_buckets()["Buckets"]]
    # A missing key is the backend's own answer, not a denial.
    assert error_of(lambda: root_s3.get_object(Bucket=bucket, Key="nope"))[0] == "NoSuchKey"


def test_identity_policies_decide_each_operation(server: LiveServer, bucket: str) -> None:
    """ListObjectsV2 needs s3:ListBucket, HeadObject s3:GetObject, and a denial is S3's XML
    AccessDenied with AWS's message."""
    reader = make_user(
        server,
        name("reader"),
        allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
        allow("s3:GetObject", f"arn:aws:s3:::{bucket}/docs/*"),
    )
    s3 = client(server, "s3", reader.key)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] >= 1
    assert s3.head_object(Bucket=bucket, Key="docs/readme.txt")["ContentLength"] == 7
    assert s3.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"read me"
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key="docs/x", Body=b"x")) == denied(
        reader.arn, "s3:PutObject", f"arn:aws:s3:::{bucket}/docs/x"
    )
    assert error_of(lambda: s3.get_object(Bucket=bucket, Key="other")) == denied(
        reader.arn, "s3:GetObject", f"arn:aws:s3:::{bucket}/other"
    )
    # HEAD has no body: the status says it.
    assert error_of(lambda: s3.head_object(Bucket=bucket, Key="other"))[2] == 403
    assert error_of(lambda: s3.list_buckets()) == (
        "AccessDenied",
        f'User: {reader.arn} is not authorized to perform: s3:ListAllMyBuckets on resource: "*" '
        "because no identity-based policy allows the s3:ListAllMyBuckets action",
        403,
    )
    # The connection survives a denied upload whose body was never read.
    assert s3.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"read me"


def test_copy_needs_both_sides_and_delete_objects_checks_each_key(
    server: LiveServer, root_s3: Any, bucket: str
) -> None:
    """CopyObject needs s3:GetObject on the source and s3:PutObject on the target; DeleteObjects
    needs s3:DeleteObject on every key it names.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html (Permissions)
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
    """
    root_s3.put_object(Bucket=bucket, Key="secret/s.txt", Body=b"s")
    user = make_user(
        server,
        name("copier"),
        allow("s3:PutObject", f"arn:aws:s3:::{bucket}/copies/*"),
        allow("s3:GetObject", f"arn:aws:s3:::{bucket}/docs/*"),
        allow("s3:DeleteObject", f"arn:aws:s3:::{bucket}/copies/*"),
    )
    s3 = client(server, "s3", user.key)
    source = {"Bucket": bucket, "Key": "docs/readme.txt"}
    s3.copy_object(Bucket=bucket, Key="copies/readme.txt", CopySource=source)
    assert root_s3.get_object(Bucket=bucket, Key="copies/readme.txt")["Body"].read() == b"read me"
    secret = {"Bucket": bucket, "Key": "secret/s.txt"}
    assert error_of(
        lambda: s3.copy_object(Bucket=bucket, Key="copies/s.txt", CopySource=secret)
    ) == denied(user.arn, "s3:GetObject", f"arn:aws:s3:::{bucket}/secret/s.txt")
    assert error_of(
        lambda: s3.copy_object(Bucket=bucket, Key="elsewhere.txt", CopySource=source)
    ) == denied(user.arn, "s3:PutObject", f"arn:aws:s3:::{bucket}/elsewhere.txt")
    both = {"Objects": [{"Key": "copies/readme.txt"}, {"Key": "docs/readme.txt"}]}
    assert error_of(lambda: s3.delete_objects(Bucket=bucket, Delete=both)) == denied(
        user.arn, "s3:DeleteObject", f"arn:aws:s3:::{bucket}/docs/readme.txt"
    )
    mine = {"Objects": [{"Key": "copies/readme.txt"}]}
    assert s3.delete_objects(Bucket=bucket, Delete=mine)["Deleted"][0]["Key"] == "copies/readme.txt"


def test_prefix_scoped_list_bucket(server: LiveServer, root_s3: Any, bucket: str) -> None:
    """s3:prefix scopes ListBucket to a user's home folder.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html#condition-key-bucket-ops-2
    """
    root_s3.put_object(Bucket=bucket, Key="home/alice/a.txt", Body=b"a")
    root_s3.put_object(Bucket=bucket, Key="home/bob/b.txt", Body=b"b")
    alice = make_user(
        server,
        name("alice"),
        allow(
            "s3:ListBucket",
            f"arn:aws:s3:::{bucket}",
            Condition={"StringLike": {"s3:prefix": ["home/alice/*"]}},
        ),
    )
    s3 = client(server, "s3", alice.key)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="home/alice/")
    assert [o["Key"] for o in listed["Contents"]] == ["home/alice/a.txt"]
    resource = f"arn:aws:s3:::{bucket}"
    assert error_of(lambda: s3.list_objects_v2(Bucket=bucket, Prefix="home/bob/")) == denied(
        alice.arn, "s3:ListBucket", resource
    )
    assert error_of(lambda: s3.list_objects_v2(Bucket=bucket)) == denied(
        alice.arn, "s3:ListBucket", resource
    )


def test_conditional_get_object_needs_the_network_and_mfa(server: LiveServer, root_s3: Any) -> None:
    """s3:GetObject on production-data-bucket only from 203.0.113.0/24 and with MFA: a request
    from elsewhere, or one without MFA, is denied.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
    """
    bucket = "production-data-bucket"
    if bucket not in [b["Name"] for b in root_s3.list_buckets()["Buckets"]]:
        root_s3.create_bucket(Bucket=bucket)
    root_s3.put_object(Bucket=bucket, Key="report.csv", Body=b"a,b\n")
    user = make_user(
        server,
        name("analyst"),
        allow(
            "s3:GetObject",
            "arn:aws:s3:::production-data-bucket/*",
            Condition={
                "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
            },
        ),
        allow("sts:GetSessionToken"),
    )
    mfa = Mfa(server, user.name)
    sts = client(server, "sts", user.key)
    with_mfa = sts.get_session_token(SerialNumber=mfa.serial, TokenCode=mfa.code())["Credentials"]
    without_mfa = sts.get_session_token()["Credentials"]
    settings = server.app.settings
    server.app.settings = dataclasses.replace(
        settings, trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),)
    )
    try:

        def get(creds: dict[str, str], source: str) -> Any:
            s3 = client(server, "s3", creds)

            def forwarded(request: Any, **_: Any) -> None:
                request.headers["X-Forwarded-For"] = source

            s3.meta.events.register("before-sign.s3.GetObject", forwarded)
            return s3.get_object(Bucket=bucket, Key="report.csv")

        assert get(with_mfa, "203.0.113.25")["Body"].read() == b"a,b\n"
        for creds, source in (
            (with_mfa, "198.51.100.7"),  # from elsewhere
            (without_mfa, "203.0.113.25"),  # without MFA
            (user.key, "203.0.113.25"),  # long-term keys: no MFA at all
        ):
            code, message, status = error_of(lambda c=creds, s=source: get(c, s))  # type: ignore[misc]
            assert (code, status) == ("AccessDenied", 403)
            assert "s3:GetObject" in message and "production-data-bucket/report.csv" in message
    finally:
        server.app.settings = settings


def test_bucket_policy_grants_a_second_account(
    server: LiveServer, root_s3: Any, bucket: str
) -> None:
    """Across accounts both sides must allow: the other account's identity policy and this
    bucket's policy. Policy writes through the gateway take effect on the next request.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-walkthroughs-managing-access-example2.html
    """
    other = f"4444{uuid.uuid4().int % 10**8:08d}"
    other_key = f"AKIAOTHER{uuid.uuid4().hex[:11].upper()}"
    other_secret = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    with server.app.store.write() as tx:
        tx.accounts.create(other)
        tx.access_keys.create(other, None, other_key, other_secret)
    other_root = {"AccessKeyId": other_key, "SecretAccessKey": other_secret}
    other_iam = client(server, "iam", other_root)
    user_arn = other_iam.create_user(UserName="partner")["User"]["Arn"]
    other_iam.put_user_policy(
        UserName="partner",
        PolicyName="p",
        PolicyDocument=policy(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")),
    )
    key = other_iam.create_access_key(UserName="partner")["AccessKey"]
    partner = client(server, "s3", key)
    # ListBuckets shows each account its own buckets only.
    mine = client(server, "s3", other_root)
    mine.create_bucket(Bucket=f"partner-{other}")
    assert [b["Name"] for b in mine.list_buckets()["Buckets"]] == [f"partner-{other}"]
    assert f"partner-{other}" not in [b["Name"] for b in root_s3.list_buckets()["Buckets"]]
    # The bucket namespace is shared: another account's bucket cannot be created again.
    assert error_of(lambda: mine.create_bucket(Bucket=bucket))[:2] == (
        "BucketAlreadyExists",
        "The requested bucket name is not available. The bucket namespace is shared by all "
        "users of the system. Please select a different name and try again.",
    )
    resource = f"arn:aws:s3:::{bucket}/docs/readme.txt"
    assert error_of(lambda: partner.get_object(Bucket=bucket, Key="docs/readme.txt")) == (
        "AccessDenied",
        f'User: {user_arn} is not authorized to perform: s3:GetObject on resource: "{resource}" '
        "because no resource-based policy allows the s3:GetObject action",
        403,
    )
    grant = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/docs/*",
        }
    )
    root_s3.put_bucket_policy(Bucket=bucket, Policy=grant)
    assert partner.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"read me"
    # The other account's own identity policy still limits it.
    other_iam.delete_user_policy(UserName="partner", PolicyName="p")
    assert error_of(lambda: partner.get_object(Bucket=bucket, Key="docs/readme.txt"))[0] == (
        "AccessDenied"
    )
    other_iam.put_user_policy(
        UserName="partner",
        PolicyName="p",
        PolicyDocument=policy(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")),
    )
    assert partner.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"read me"
    root_s3.delete_bucket_policy(Bucket=bucket)
    assert error_of(lambda: partner.get_object(Bucket=bucket, Key="docs/readme.txt"))[0] == (
        "AccessDenied"
    )


def test_anonymous_requests_only_through_a_public_bucket_policy(
    server: LiveServer, root_s3: Any, bucket: str
) -> None:
    """An unsigned request is anonymous: denied unless the bucket policy grants ``*``.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html
    """
    url = f"{server.url}/{bucket}/docs/readme.txt"

    def fetch() -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    status, body = fetch()
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    assert b"<Message>Access Denied</Message>" in body
    public = policy(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/docs/*",
        }
    )
    root_s3.put_bucket_policy(Bucket=bucket, Policy=public)
    assert fetch() == (200, b"read me")
    # Only what the policy names: listing stays private.
    try:
        urllib.request.urlopen(f"{server.url}/{bucket}?list-type=2", timeout=30)
        raise AssertionError("anonymous listing allowed")
    except urllib.error.HTTPError as error:
        assert error.code == 403


def test_presigned_get_works_then_expires(server: LiveServer, root_s3: Any, bucket: str) -> None:
    """A presigned URL carries its signature in the query and stops working at X-Amz-Expires.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html
    """
    reader = make_user(server, name("presigner"), allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    s3 = client(server, "s3", reader.key, signature_version="s3v4")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "docs/readme.txt"}, ExpiresIn=2
    )
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"read me"
    time.sleep(3)
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(url, timeout=30)
    body = expired.value.read()
    assert expired.value.code == 403
    assert b"<Code>AccessDenied</Code><Message>Request has expired</Message>" in body
    # A presigned PUT is UNSIGNED-PAYLOAD, and still authorized as the signer.
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "docs/up.txt"}, ExpiresIn=60
    )
    request = urllib.request.Request(put_url, data=b"up", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403 and b"s3:PutObject" in refused.value.read()


def test_virtual_hosted_addressing(server: LiveServer, bucket: str) -> None:
    """``bucket.localhost`` names the bucket in the Host header.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
    """
    port = int(server.url.rsplit(":", 1)[1])
    host = f"{bucket}.localhost:{port}"
    request = AWSRequest(method="GET", url=f"http://{host}/docs/readme.txt")
    request.headers["x-amz-content-sha256"] = hashlib.sha256(b"").hexdigest()
    S3SigV4Auth(Credentials(ROOT_KEY, ROOT_SECRET), "s3", "us-east-1").add_auth(request)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host, **dict(request.headers.items())}
    connection.request("GET", "/docs/readme.txt", headers=headers)
    response = connection.getresponse()
    body = response.read()
    assert (response.status, body) == (200, b"read me"), body


def test_unmappable_request_is_denied_naming_it(server: LiveServer, bucket: str) -> None:
    """A request that is no S3 operation is never passed through unchecked."""
    request = AWSRequest(method="POST", url=f"{server.url}/{bucket}", data=b"x=1")
    request.headers["x-amz-content-sha256"] = hashlib.sha256(b"x=1").hexdigest()
    request.headers["Content-Type"] = "multipart/form-data; boundary=x"
    S3SigV4Auth(Credentials(ROOT_KEY, ROOT_SECRET), "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(
        prepared.url, data=b"x=1", method="POST", headers=dict(prepared.headers)
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(raw, timeout=30)
    body = refused.value.read().decode()
    assert refused.value.code == 403 and "<Code>AccessDenied</Code>" in body
    assert f"cannot map the S3 request POST /{bucket} to IAM actions" in body


def test_tampered_body_is_refused(server: LiveServer, root_s3: Any, bucket: str) -> None:
    """The signed x-amz-content-sha256 must be the body's: a body changed in transit is refused
    and the object is not written.

    https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
    """
    request = AWSRequest(method="PUT", url=f"{server.url}/{bucket}/tampered", data=b"original")
    request.headers["x-amz-content-sha256"] = hashlib.sha256(b"original").hexdigest()
    S3SigV4Auth(Credentials(ROOT_KEY, ROOT_SECRET), "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(
        prepared.url, data=b"modified", method="PUT", headers=dict(prepared.headers)
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(raw, timeout=30)
    assert refused.value.code == 400
    assert b"<Code>XAmzContentSHA256Mismatch</Code>" in refused.value.read()
    assert error_of(lambda: root_s3.head_object(Bucket=bucket, Key="tampered"))[2] == 404


def test_large_object_round_trip(server: LiveServer, root_s3: Any, bucket: str) -> None:
    """100 MB up (multipart, and one PutObject) and down, checked by SHA-256."""
    data = os.urandom(1024 * 1024) * 100
    digest = hashlib.sha256(data).hexdigest()
    config = TransferConfig(multipart_threshold=8 * 1024 * 1024, max_concurrency=4)
    root_s3.upload_fileobj(io.BytesIO(data), bucket, "big/multipart.bin", Config=config)
    out = io.BytesIO()
    root_s3.download_fileobj(bucket, "big/multipart.bin", out, Config=config)
    assert hashlib.sha256(out.getvalue()).hexdigest() == digest
    root_s3.put_object(Bucket=bucket, Key="big/single.bin", Body=data)
    body = root_s3.get_object(Bucket=bucket, Key="big/single.bin")["Body"]
    hasher = hashlib.sha256()
    for chunk in iter(lambda: body.read(1024 * 1024), b""):
        hasher.update(chunk)
    assert hasher.hexdigest() == digest


def test_calls_land_in_the_audit_trail_with_their_decision(server: LiveServer, bucket: str) -> None:
    """Allowed and denied gateway calls are CloudTrail events of s3.amazonaws.com."""
    user = make_user(server, name("audited"), allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    s3 = client(server, "s3", user.key)
    s3.get_object(Bucket=bucket, Key="docs/readme.txt")
    error_of(lambda: s3.delete_object(Bucket=bucket, Key="docs/readme.txt"))
    events = [
        e
        for e in gateway_events(server, "s3.amazonaws.com")
        if e["userIdentity"].get("userName") == user.name
    ]
    by_name = {e["eventName"]: e for e in events}
    got, deleted = by_name["GetObject"], by_name["DeleteObject"]
    assert got["additionalEventData"]["gatewayDecision"] == "Allow"
    assert got["additionalEventData"]["iamActions"] == ["s3:GetObject"]
    assert got["requestParameters"] == {
        "bucketName": bucket,
        "key": "docs/readme.txt",
        "Host": server.url.removeprefix("http://"),
    }
    assert got["resources"][0]["ARN"] == f"arn:aws:s3:::{bucket}/docs/readme.txt"
    assert "errorCode" not in got and got["readOnly"] is True
    assert deleted["errorCode"] == "AccessDenied"
    assert deleted["additionalEventData"]["gatewayDecision"] == "Deny"


def _chunked_put(
    server: LiveServer,
    path: str,
    data: bytes,
    tamper: bool = False,
    trailer: str | None = None,
    trailer_signature: str | None = None,
) -> tuple[int, bytes]:
    """A STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload in 64 KiB chunks, signed as AWS describes.
    With ``trailer`` (an algorithm), STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the chunks end
    with that checksum of the data (botocore's) and its signature, or ``trailer_signature``."""
    host = server.url.removeprefix("http://")
    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)] + [b""]
    encoded_length = sum(
        len(f"{len(c):x};chunk-signature=".encode()) + 64 + 4 + len(c) for c in chunks
    )
    headers = {
        "host": host,
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
    }
    checksum_line = ""
    if trailer is not None:
        checksum = BOTOCORE_CHECKSUMS[trailer]()
        checksum.update(data)
        checksum_line = f"x-amz-checksum-{trailer.lower()}:{checksum.b64digest()}"
        encoded_length += len(checksum_line) + 2 + len("x-amz-trailer-signature:") + 64 + 2
        headers["x-amz-trailer"] = f"x-amz-checksum-{trailer.lower()}"
    headers["content-length"] = str(encoded_length)
    sign(
        "PUT",
        path,
        "",
        headers,
        access_key=ROOT_KEY,
        secret_key=ROOT_SECRET,
        region="us-east-1",
        service="s3",
        payload="STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else ""),
    )
    previous = headers["authorization"].rsplit("Signature=", 1)[1]
    stamp = headers["x-amz-date"]
    scope = f"{stamp[:8]}/us-east-1/s3/aws4_request"
    key = signing_key(ROOT_SECRET, stamp[:8], "us-east-1", "s3")
    body = b""
    for index, chunk in enumerate(chunks):
        to_sign = (
            f"AWS4-HMAC-SHA256-PAYLOAD\n{stamp}\n{scope}\n{previous}\n"
            f"{hashlib.sha256(b'').hexdigest()}\n{hashlib.sha256(chunk).hexdigest()}"
        )
        previous = hmac.digest(key, to_sign.encode(), "sha256").hex()
        sent = chunk
        if tamper and index == 1:
            sent = b"X" + chunk[1:]
        body += f"{len(chunk):x};chunk-signature={previous}\r\n".encode()
        if chunk:
            body += sent + b"\r\n"
    if trailer is not None:
        canonical = f"{checksum_line}\n".encode()
        to_sign = (
            f"AWS4-HMAC-SHA256-TRAILER\n{stamp}\n{scope}\n{previous}\n"
            f"{hashlib.sha256(canonical).hexdigest()}"
        )
        signature = trailer_signature or hmac.digest(key, to_sign.encode(), "sha256").hex()
        body += f"{checksum_line}\r\nx-amz-trailer-signature:{signature}\r\n".encode()
    body += b"\r\n"
    assert len(body) == encoded_length
    connection = http.client.HTTPConnection(host, timeout=60)
    connection.request("PUT", path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def test_aws_chunked_upload_verifies_every_chunk(
    server: LiveServer, root_s3: Any, bucket: str
) -> None:
    """Each chunk's signature chains to the previous one; the backend gets the decoded body,
    and a chunk that was changed in transit stops the upload.

    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
    """
    data = os.urandom(2 * 1024 * 1024 + 123)
    status, answer = _chunked_put(server, f"/{bucket}/chunked.bin", data)
    assert status == 200, answer
    assert root_s3.get_object(Bucket=bucket, Key="chunked.bin")["Body"].read() == data
    status, answer = _chunked_put(server, f"/{bucket}/tampered.bin", data, tamper=True)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer
    assert error_of(lambda: root_s3.head_object(Bucket=bucket, Key="tampered.bin"))[2] == 404


@pytest.mark.parametrize("size", [100_000, 2 * 1024 * 1024 + 123])
def test_signed_trailer_checksum_is_verified_and_kept(
    server: LiveServer, root_s3: Any, bucket: str, size: int
) -> None:
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: signed chunks, then a CRC32C trailer signed
    after the empty chunk. The gateway verifies the trailer's signature and the checksum, and
    the object keeps the checksum (GetObject with ChecksumMode=ENABLED returns it); a trailer
    whose signature does not match is refused and nothing is stored. Small bodies are checked
    whole, larger ones as they stream.

    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
    """
    data = os.urandom(size)
    expected = BOTOCORE_CHECKSUMS["CRC32C"]()
    expected.update(data)
    status, answer = _chunked_put(server, f"/{bucket}/trailer-{size}", data, trailer="CRC32C")
    assert status == 200, answer
    got = root_s3.get_object(Bucket=bucket, Key=f"trailer-{size}", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32C"] == expected.b64digest()
    assert got["Body"].read() == data
    status, answer = _chunked_put(
        server, f"/{bucket}/forged-{size}", data, trailer="CRC32C", trailer_signature="0" * 64
    )
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer
    assert error_of(lambda: root_s3.head_object(Bucket=bucket, Key=f"forged-{size}"))[2] == 404


def test_existing_object_tags_are_condition_keys(
    server: LiveServer, root_s3: Any, bucket: str
) -> None:
    """s3:ExistingObjectTag/<key> is the tag the object has, read from the backend.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-and-policies.html
    """
    root_s3.put_object(Bucket=bucket, Key="tagged/public.txt", Body=b"p", Tagging="class=public")
    root_s3.put_object(Bucket=bucket, Key="tagged/secret.txt", Body=b"s", Tagging="class=secret")
    user = make_user(
        server,
        name("tagged"),
        allow(
            "s3:GetObject",
            f"arn:aws:s3:::{bucket}/*",
            Condition={"StringEquals": {"s3:ExistingObjectTag/class": "public"}},
        ),
    )
    s3 = client(server, "s3", user.key)
    assert s3.get_object(Bucket=bucket, Key="tagged/public.txt")["Body"].read() == b"p"
    assert error_of(lambda: s3.get_object(Bucket=bucket, Key="tagged/secret.txt")) == denied(
        user.arn, "s3:GetObject", f"arn:aws:s3:::{bucket}/tagged/secret.txt"
    )


def test_signature_version_2_is_refused_as_s3_refuses_it(
    server: LiveServer, root_s3: Any, bucket: str
) -> None:
    """S3 accepts only Signature Version 4 on buckets created since June 2020: a SigV2
    request, signed in its header or presigned in its query, is InvalidRequest (400).

    https://docs.aws.amazon.com/AmazonS3/latest/API/Appendix-Sigv2.html
    """
    import boto3
    from botocore.config import Config

    v2 = boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=ROOT_KEY,
        aws_secret_access_key=ROOT_SECRET,
        config=Config(signature_version="s3", retries={"max_attempts": 1}),
    )
    code, message, status = error_of(lambda: v2.get_object(Bucket=bucket, Key="docs/readme.txt"))
    assert (code, status) == ("InvalidRequest", 400)
    assert message == (
        "The authorization mechanism you have provided is not supported. "
        "Please use AWS4-HMAC-SHA256."
    )
    url = v2.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "docs/readme.txt"}
    )
    assert "AWSAccessKeyId=" in url and "Signature=" in url
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=30)
    assert refused.value.code == 400
    assert b"<Code>InvalidRequest</Code>" in refused.value.read()
    # The same object is there for a SigV4 caller.
    assert root_s3.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"read me"
