"""Every S3 operation botocore's model has is recognised from the request botocore itself
serializes for it: method, bucket or object path, sub-resource markers, required parameters."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import boto3
import pytest
from botocore.config import Config

from iamd.gateway.addressing import locate
from iamd.gateway.s3_operations import identify
from iamd.protocol.models import load_service

# Operations that share a request with another one: the model itself cannot tell them apart.
SAME_REQUEST = {
    "GetBucketLifecycle": "GetBucketLifecycleConfiguration",
    "PutBucketLifecycle": "PutBucketLifecycleConfiguration",
    "GetBucketNotification": "GetBucketNotificationConfiguration",
    "PutBucketNotification": "PutBucketNotificationConfiguration",
    "ListDirectoryBuckets": "ListBuckets",
}
NOT_PATH_STYLE = {"WriteGetObjectResponse"}  # sent to an Object Lambda host of its own


class CapturedError(Exception):
    def __init__(self, request: Any) -> None:
        self.request = request


def _value(shape: Any, name: str) -> Any:
    kind = shape.type_name
    if name == "Bucket":
        return "example-bucket"
    if name == "Key":
        return "some/key.txt"
    if name == "CopySource":
        return "source-bucket/source/key"
    if kind == "string":
        return shape.enum[0] if shape.enum else "value"
    if kind in ("integer", "long"):
        return 1
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    if kind == "blob":
        return b"data"
    if kind == "list":
        return []
    if kind == "map":
        return {}
    return {m: _value(s, m) for m, s in shape.members.items() if m in shape.required_members}


def _request(operation: str) -> Any:
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:1",
        region_name="us-east-1",
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(parameter_validation=False, s3={"addressing_style": "path"}),
    )

    def capture(request: Any, **_: Any) -> None:
        raise CapturedError(request)

    client.meta.events.register("before-send", capture)
    op = load_service("s3").operation(operation)
    shape = op.input_shape
    params = (
        {m: _value(s, m) for m, s in shape.members.items() if m in shape.required_members}
        if shape is not None
        else {}
    )
    method = getattr(client, _snake(operation))
    with pytest.raises(CapturedError) as caught:
        method(**params)
    return caught.value.request


def _snake(name: str) -> str:
    from botocore import xform_name

    return str(xform_name(name))


@pytest.mark.parametrize(
    "operation",
    [o for o in load_service("s3").operation_names if o not in NOT_PATH_STYLE],
)
def test_identifies_every_operation_from_its_request(operation: str) -> None:
    request = _request(operation)
    url = urlsplit(request.url)
    headers = {k.lower(): v for k, v in request.headers.items()}
    target = locate(url.netloc, url.path)
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    found = identify(request.method, target.kind, query, headers)
    assert found == SAME_REQUEST.get(operation, operation)


def test_unknown_shapes_are_not_guessed() -> None:
    assert identify("POST", "bucket", {}, {}) is None  # a browser form upload
    assert identify("PATCH", "object", {}, {}) is None


def test_remembered_answers_tell_apart_what_decides_the_operation() -> None:
    """Answers are remembered by what decides them (the query's names, a marker's value, the
    headers some operation requires), never by the rest: asked in any order, each request
    gets the answer the model gives it."""
    asks = [
        ("GET", "bucket", {"list-type": "2", "prefix": "a/"}, {}, "ListObjectsV2"),
        ("GET", "bucket", {"prefix": "a/"}, {}, "ListObjects"),
        ("GET", "bucket", {"list-type": "1", "prefix": "a/"}, {}, "ListObjects"),
        ("GET", "bucket", {"list-type": "2", "prefix": "b/"}, {}, "ListObjectsV2"),
        ("PUT", "object", {}, {"x-amz-copy-source": "/b/k"}, "CopyObject"),
        ("PUT", "object", {}, {"content-type": "text/plain"}, "PutObject"),
        ("GET", "object", {"uploadId": "u"}, {}, "ListParts"),
        ("GET", "object", {}, {}, "GetObject"),
    ]
    for _ in range(2):
        for method, kind, query, headers, operation in [*asks, *reversed(asks)]:
            assert identify(method, kind, query, headers) == operation
