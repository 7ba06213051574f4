"""S3's additional checksums through the gateway, and iamd serving HTTPS.

boto3 (since 1.36) sends PutObject and UploadPart over https as aws-chunked bodies with an
unsigned trailing checksum (``STREAMING-UNSIGNED-PAYLOAD-TRAILER``, CRC32 unless told
otherwise); over http it sends the checksum in an ``x-amz-checksum-*`` header. Either way S3
refuses data that does not match (BadDigest) and keeps the checksum with the object.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import io
import ipaddress
import json
import os
import ssl
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore import httpchecksum
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from support.gateway import allow, client, error_of, make_user
from support.live import (
    ROOT_KEY,
    ROOT_SECRET,
    LiveServer,
    free_port,
    live_server,
    self_signed,
)
from support.serve_process import iamd_serve, serve_command, serve_env

CHECKSUMS: dict[str, type[httpchecksum.BaseChecksum]] = {
    "CRC32": httpchecksum.Crc32Checksum,
    "CRC32C": httpchecksum.CrtCrc32cChecksum,
    "CRC64NVME": httpchecksum.CrtCrc64NvmeChecksum,
    "SHA1": httpchecksum.Sha1Checksum,
    "SHA256": httpchecksum.Sha256Checksum,
}
"""botocore's own checksums: the values the SDK sends and checks."""
SMALL, LARGE = 70_000, 3 * 1024 * 1024 + 7
"""Read and checked whole by the gateway, and streamed through it."""


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def checksum_of(algorithm: str, data: bytes) -> str:
    checksum = CHECKSUMS[algorithm]()
    checksum.update(data)
    return str(checksum.b64digest())


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """iamd serving HTTPS with a self-signed certificate (``iamd serve --tls-cert``)."""
    with live_server(tmp_path_factory.mktemp("iamd-tls"), tls=True) as live:
        yield live


@pytest.fixture(scope="module")
def tls_bucket(tls_server: LiveServer) -> str:
    bucket = name("checksums")
    tls_server.client("s3").create_bucket(Bucket=bucket)
    return bucket


def test_boto3_over_https_sends_trailers_the_gateway_verifies_and_keeps(
    tls_server: LiveServer, tls_bucket: str
) -> None:
    """Each algorithm boto3 offers, on a body the gateway checks whole and one it streams: the
    upload goes as STREAMING-UNSIGNED-PAYLOAD-TRAILER, and GetObject and HeadObject with
    ChecksumMode=ENABLED give back the checksum of the data (boto3 checks the body against it
    too)."""
    s3 = tls_server.client("s3")
    sent: dict[str, str] = {}

    def capture(request: Any, **_: Any) -> None:
        sent.clear()
        sent.update({k.lower(): v.decode() for k, v in request.headers.items()})

    s3.meta.events.register("before-send.s3.PutObject", capture)
    for algorithm in CHECKSUMS:
        for size in (SMALL, LARGE):
            data = os.urandom(size)
            key = f"{algorithm}/{size}"
            extra = {} if algorithm == "CRC32" else {"ChecksumAlgorithm": algorithm}
            put = s3.put_object(Bucket=tls_bucket, Key=key, Body=data, **extra)
            assert sent["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
            assert sent["x-amz-trailer"] == f"x-amz-checksum-{algorithm.lower()}"
            expected = checksum_of(algorithm, data)
            assert put[f"Checksum{algorithm}"] == expected
            got = s3.get_object(Bucket=tls_bucket, Key=key, ChecksumMode="ENABLED")
            assert got[f"Checksum{algorithm}"] == expected
            assert got["Body"].read() == data
            head = s3.head_object(Bucket=tls_bucket, Key=key, ChecksumMode="ENABLED")
            assert head[f"Checksum{algorithm}"] == expected


def test_multipart_upload_over_https(tls_server: LiveServer, tls_bucket: str) -> None:
    """UploadPart carries a trailing CRC32 too; the parts' checksums make the object's."""
    s3 = tls_server.client("s3")
    data = os.urandom(17 * 1024 * 1024)
    config = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 << 20)
    s3.upload_fileobj(io.BytesIO(data), tls_bucket, "multipart.bin", Config=config)
    got = s3.get_object(Bucket=tls_bucket, Key="multipart.bin", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"].endswith("-3")  # a composite checksum of three parts
    assert got["Body"].read() == data


def _unsigned_trailer_put(
    server: LiveServer, path: str, data: bytes, trailer: bytes | None
) -> tuple[int, bytes]:
    """A PutObject as boto3 sends it over https, encoded by botocore's own AwsChunkedWrapper,
    with ``trailer`` in place of its trailer line (None: no trailer)."""
    encoded = httpchecksum.AwsChunkedWrapper(
        io.BytesIO(data),
        checksum_cls=httpchecksum.Crc32Checksum,
        checksum_name="x-amz-checksum-crc32",
    ).read()
    end = encoded.rindex(b"0\r\nx-amz-checksum-crc32:")
    encoded = encoded[:end] + b"0\r\n" + (trailer + b"\r\n" if trailer else b"") + b"\r\n"
    request = AWSRequest(method="PUT", url=f"{server.url}{path}", data=b"")
    request.headers["Content-Encoding"] = "aws-chunked"
    request.headers["X-Amz-Trailer"] = "x-amz-checksum-crc32"
    request.headers["X-Amz-Decoded-Content-Length"] = str(len(data))
    request.headers["Content-Length"] = str(len(encoded))
    request.context["checksum"] = {"request_algorithm": {"in": "trailer"}}
    S3SigV4Auth(Credentials(ROOT_KEY, ROOT_SECRET), "s3", "us-east-1").add_auth(request)
    assert request.headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert server.ca_bundle is not None
    host = server.url.removeprefix("https://")
    context = ssl.create_default_context(cafile=str(server.ca_bundle))
    connection = http.client.HTTPSConnection(host, timeout=60, context=context)
    headers = dict(request.headers.items())
    connection.request("PUT", path, body=encoded, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_a_wrong_or_missing_trailing_checksum_is_refused(
    tls_server: LiveServer, tls_bucket: str, size: int
) -> None:
    """S3 answers BadDigest when the trailer's CRC32 is not the data's, MalformedTrailerError
    when the trailer x-amz-trailer announced is missing; the object is not written either way
    (the gateway holds the last data back until the checksum is verified)."""
    s3 = tls_server.client("s3")
    data = os.urandom(size)
    status, answer = _unsigned_trailer_put(tls_server, f"/{tls_bucket}/right-{size}", data, None)
    assert status == 400 and b"<Code>MalformedTrailerError</Code>" in answer
    assert error_of(lambda: s3.head_object(Bucket=tls_bucket, Key=f"right-{size}"))[2] == 404
    wrong = f"x-amz-checksum-crc32:{checksum_of('CRC32', data + b'!')}".encode()
    status, answer = _unsigned_trailer_put(tls_server, f"/{tls_bucket}/wrong-{size}", data, wrong)
    assert status == 400, answer
    assert b"<Code>BadDigest</Code>" in answer
    assert b"<Message>The CRC32 you specified did not match the calculated checksum.</Message>" in (
        answer
    )
    assert error_of(lambda: s3.head_object(Bucket=tls_bucket, Key=f"wrong-{size}"))[2] == 404
    right = f"x-amz-checksum-crc32:{checksum_of('CRC32', data)}".encode()
    status, answer = _unsigned_trailer_put(tls_server, f"/{tls_bucket}/right-{size}", data, right)
    assert status == 200, answer
    got = s3.get_object(Bucket=tls_bucket, Key=f"right-{size}", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == checksum_of("CRC32", data)
    assert got["Body"].read() == data


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_a_wrong_checksum_header_is_refused(server: LiveServer, size: int) -> None:
    """Over http, boto3 puts the checksum in a header; the gateway checks it (moto would keep
    any value): BadDigest and no object for a wrong one, InvalidRequest for a value that is no
    checksum, the checksum kept for a right one."""
    s3 = server.client("s3")
    bucket = name("headers")
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(size)
    wrong = checksum_of("SHA256", data + b"!")
    assert error_of(
        lambda: s3.put_object(Bucket=bucket, Key="wrong", Body=data, ChecksumSHA256=wrong)
    ) == ("BadDigest", "The SHA256 you specified did not match the calculated checksum.", 400)
    assert error_of(lambda: s3.head_object(Bucket=bucket, Key="wrong"))[2] == 404
    assert error_of(
        lambda: s3.put_object(Bucket=bucket, Key="bad", Body=data, ChecksumCRC32="AAAA")
    ) == ("InvalidRequest", "Value for x-amz-checksum-crc32 header is invalid.", 400)
    s3.put_object(Bucket=bucket, Key="right", Body=data, ChecksumAlgorithm="CRC32C")
    got = s3.get_object(Bucket=bucket, Key="right", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32C"] == checksum_of("CRC32C", data)
    assert got["Body"].read() == data


def md5_of(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_a_wrong_content_md5_is_refused(server: LiveServer, size: int) -> None:
    """S3 checks Content-MD5 against the data it receives: BadDigest and no object for a
    digest of other data, InvalidDigest for a value that is no MD5 digest (moto keeps either
    unchecked, so the gateway checks it), the object stored for the right one.

    https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (BadDigest,
    InvalidDigest)
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html (Content-MD5)
    """
    s3 = server.client("s3")
    bucket = name("md5")
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(size)
    assert error_of(
        lambda: s3.put_object(Bucket=bucket, Key="wrong", Body=data, ContentMD5=md5_of(b"other"))
    ) == ("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
    assert error_of(lambda: s3.head_object(Bucket=bucket, Key="wrong"))[2] == 404
    assert error_of(
        lambda: s3.put_object(Bucket=bucket, Key="bad", Body=data, ContentMD5="bm90IG1kNQ==")
    ) == ("InvalidDigest", "The Content-MD5 you specified was not valid.", 400)
    s3.put_object(Bucket=bucket, Key="right", Body=data, ContentMD5=md5_of(data))
    assert s3.get_object(Bucket=bucket, Key="right")["Body"].read() == data


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_content_md5_of_an_aws_chunked_upload_is_checked(
    tls_server: LiveServer, tls_bucket: str, size: int
) -> None:
    """Over https boto3 sends the body aws-chunked with a trailing checksum, and a Content-MD5
    given with it covers the decoded data: a wrong one is BadDigest whether the gateway reads
    the body whole or streams it."""
    s3 = tls_server.client("s3")
    sent: list[bytes] = []
    s3.meta.events.register(
        "before-send.s3.PutObject",
        lambda request, **_: sent.append(request.headers.get("Content-Encoding", b"")),
    )
    data = os.urandom(size)
    key = f"md5-chunked-{size}"
    assert error_of(
        lambda: s3.put_object(Bucket=tls_bucket, Key=key, Body=data, ContentMD5=md5_of(b"x"))
    ) == ("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
    assert sent and all(b"aws-chunked" in encoding for encoding in sent)
    assert error_of(lambda: s3.head_object(Bucket=tls_bucket, Key=key))[2] == 404
    s3.put_object(Bucket=tls_bucket, Key=key, Body=data, ContentMD5=md5_of(data))
    assert s3.get_object(Bucket=tls_bucket, Key=key)["Body"].read() == data


def test_content_md5_of_a_bucket_subresource_is_checked(server: LiveServer) -> None:
    """Content-MD5 covers any request body, not only objects': a PutBucketTagging whose
    digest is not its body's is BadDigest and leaves the bucket's tags as they were."""
    s3 = server.client("s3")
    bucket = name("md5-tags")
    s3.create_bucket(Bucket=bucket)
    tags = {"TagSet": [{"Key": "team", "Value": "blue"}]}
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tags)
    body = (
        b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>team</Key>'
        b"<Value>red</Value></Tag></TagSet></Tagging>"
    )
    request = AWSRequest(
        method="PUT",
        url=f"{server.url}/{bucket}?tagging",
        data=body,
        headers={"Content-MD5": md5_of(body + b" "), "Content-Type": "application/xml"},
    )
    S3SigV4Auth(Credentials(ROOT_KEY, ROOT_SECRET), "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(
            urllib.request.Request(
                prepared.url, data=body, headers=dict(prepared.headers), method="PUT"
            )
        )
    assert answer.value.code == 400
    assert b"<Code>BadDigest</Code>" in answer.value.read()
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags["TagSet"]


def test_secure_transport_is_true_over_https_only(
    server: LiveServer, tls_server: LiveServer
) -> None:
    """aws:SecureTransport is whether the request came over TLS: a policy that needs it allows
    over https and denies over http. X-Forwarded-Proto (and X-Forwarded-For, for
    aws:SourceIp) count only from a --trusted-proxy peer, never from any client."""
    statements = (
        allow("s3:GetObject", "*", Condition={"Bool": {"aws:SecureTransport": "true"}}),
        allow("iam:GetUser", "*", Condition={"Bool": {"aws:SecureTransport": "true"}}),
        allow("s3:ListBucket", "*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
    )
    outcomes: dict[str, Any] = {}
    for live in (tls_server, server):
        bucket = name("transport")
        live.client("s3").create_bucket(Bucket=bucket)
        live.client("s3").put_object(Bucket=bucket, Key="k", Body=b"v")
        user = make_user(live, name("transport"), *statements)
        s3, iam = client(live, "s3", user.key), client(live, "iam", user.key)
        outcomes[live.url.split(":")[0]] = (live, bucket, user, s3, iam)
    _, bucket, user, s3, iam = outcomes["https"]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    assert iam.get_user()["User"]["UserName"] == user.name
    live, bucket, user, s3, iam = outcomes["http"]
    assert error_of(lambda: s3.get_object(Bucket=bucket, Key="k"))[:1] == ("AccessDenied",)
    assert error_of(lambda: iam.get_user())[0] == "AccessDenied"

    def forwarded(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-Proto"] = "https"
        request.headers["X-Forwarded-For"] = "203.0.113.25"

    s3.meta.events.register("before-sign.s3.*", forwarded)
    iam.meta.events.register("before-sign.iam.*", forwarded)
    # From any client (here 127.0.0.1, no proxy trusted) the headers change nothing.
    assert live.app.settings.trusted_proxies == ()
    assert error_of(lambda: s3.get_object(Bucket=bucket, Key="k"))[0] == "AccessDenied"
    assert error_of(lambda: s3.list_objects_v2(Bucket=bucket))[0] == "AccessDenied"
    assert error_of(lambda: iam.get_user())[0] == "AccessDenied"
    settings = live.app.settings
    live.app.settings = dataclasses.replace(
        settings, trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),)
    )
    try:  # from a proxy that terminated TLS, they are the client's
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
        assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1
        assert iam.get_user()["User"]["UserName"] == user.name
    finally:
        live.app.settings = settings


def test_iamd_serve_with_tls_flags(tmp_path: Path) -> None:
    """``iamd serve --tls-cert FILE --tls-key FILE`` serves HTTPS: boto3 talks to it with the
    certificate as its CA bundle, and requests over https are SecureTransport. One flag without
    the other is refused."""
    cert, key = self_signed(tmp_path)
    serve = ["--data-dir", str(tmp_path / "data"), "--no-gateway"]
    refused = subprocess.run(
        [*serve_command(free_port(), *serve), "--tls-cert", str(cert)],
        env=serve_env("33" * 32),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "--tls-cert and --tls-key go together" in refused.stderr
    context = ssl.create_default_context(cafile=str(cert))
    flags = ["--tls-cert", str(cert), "--tls-key", str(key)]
    with iamd_serve(*serve, *flags, master_key="33" * 32, scheme="https", context=context) as up:
        port = up.port
        assert f"listening on https://127.0.0.1:{port}" in up.banner
        endpoint = f"https://127.0.0.1:{port}"
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=ROOT_KEY,
            aws_secret_access_key=ROOT_SECRET,
            verify=str(cert),
        )
        iam.create_user(UserName="tls-user")
        iam.put_user_policy(
            UserName="tls-user",
            PolicyName="p",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        allow(
                            "iam:GetUser",
                            "*",
                            Condition={"Bool": {"aws:SecureTransport": "true"}},
                        )
                    ],
                }
            ),
        )
        created = iam.create_access_key(UserName="tls-user")["AccessKey"]
        user_iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=created["AccessKeyId"],
            aws_secret_access_key=created["SecretAccessKey"],
            verify=str(cert),
        )
        assert user_iam.get_user()["User"]["UserName"] == "tls-user"
        # Plain http on the TLS port gets no answer a client can use.
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_iamd/health", timeout=5)
        # Idle keep-alive TLS connections would hold the server's shutdown up to asyncio's
        # 30 s TLS shutdown timeout.
        iam.close()
        user_iam.close()
