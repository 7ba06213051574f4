"""``iamd serve --s3-domain``: virtual-hosted S3 addressing under the operator's own domain.

S3 names the bucket in the Host header (``bucket.s3.example.test``) when the client addresses
it virtual-hosted style (https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html);
behind iamd the domain is whatever name the operator serves S3 under.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
from botocore.config import Config

from support.live import ROOT_KEY, ROOT_SECRET
from support.serve_process import iamd_serve

DOMAIN = "s3.example.test"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real ``iamd serve`` process given ``--s3-domain``; yields its port."""
    data_dir = tmp_path_factory.mktemp("s3-domain")
    with iamd_serve("--data-dir", str(data_dir), "--s3-domain", DOMAIN, master_key="22" * 32) as up:
        yield up.port


def _client(port: int, host: str, style: str) -> Any:
    """boto3 addressing ``host``; the connection goes to 127.0.0.1 (the names do not resolve
    here) while the Host header and the signature keep the name."""
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id=ROOT_KEY,
        aws_secret_access_key=ROOT_SECRET,
        config=Config(s3={"addressing_style": style}, retries={"max_attempts": 1}),
    )

    def to_loopback(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        request.headers["Host"] = parts.netloc
        request.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))

    s3.meta.events.register_last("before-send.s3", to_loopback)
    return s3


def test_buckets_are_addressed_under_the_configured_domain(endpoint: int) -> None:
    s3 = _client(endpoint, DOMAIN, "virtual")
    hosts: list[str] = []
    s3.meta.events.register_first(
        "before-send.s3", lambda request, **_: hosts.append(urlsplit(request.url).netloc)
    )
    s3.create_bucket(Bucket="photos")
    s3.put_object(Bucket="photos", Key="2026/cat.jpg", Body=b"meow")
    assert s3.get_object(Bucket="photos", Key="2026/cat.jpg")["Body"].read() == b"meow"
    listed = s3.list_objects_v2(Bucket="photos", Prefix="2026/")
    assert [o["Key"] for o in listed["Contents"]] == ["2026/cat.jpg"]
    # Every call really went out virtual-hosted: the bucket was only in the Host header.
    assert hosts and all(h == f"photos.{DOMAIN}:{endpoint}" for h in hosts)


def test_the_default_domains_give_way_to_the_configured_one(endpoint: int) -> None:
    """With ``--s3-domain``, ``bucket.localhost`` is no longer virtual-hosted: it is a
    path-style request to the service (ListBuckets), not one to the bucket."""
    _client(endpoint, DOMAIN, "virtual").create_bucket(Bucket="others")
    plain = _client(endpoint, "others.localhost", "path")
    names = [b["Name"] for b in plain.list_buckets()["Buckets"]]
    assert "others" in names
