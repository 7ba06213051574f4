"""Path-style and virtual-hosted-style S3 addressing.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
"""

from __future__ import annotations

from iamd.gateway.addressing import locate


def test_path_style() -> None:
    target = locate("127.0.0.1:8090", "/bucket/a%20b/c.txt")
    assert (target.bucket, target.key, target.kind) == ("bucket", "a b/c.txt", "object")
    assert target.backend_path() == "/bucket/a%20b/c.txt"
    assert locate("localhost:8090", "/bucket").kind == "bucket"
    assert locate("localhost:8090", "/bucket/").kind == "bucket"
    assert locate("iamd.example.com", "/").kind == "service"


def test_virtual_hosted_style() -> None:
    target = locate("my.bucket.localhost:8090", "/key%2Fwith/slash")
    assert (target.bucket, target.key, target.virtual_host) == ("my.bucket", "key/with/slash", True)
    assert target.backend_path() == "/my.bucket/key%2Fwith/slash"
    assert locate("bucket.s3.us-west-2.amazonaws.com", "/").kind == "bucket"
    assert locate("bucket.s3.amazonaws.com", "/k").bucket == "bucket"
    assert locate("[::1]:8090", "/b/k").bucket == "b"
