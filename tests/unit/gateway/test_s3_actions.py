"""The IAM actions, resources and condition keys of S3 requests, per AWS's table of required
permissions: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
"""

from __future__ import annotations

import pytest

from iamd.catalog.actions import action_exists
from iamd.gateway.s3_actions import (
    Check,
    UnmappedOperationError,
    action_name,
    checks,
    copy_source,
    request_keys,
)
from iamd.protocol.models import load_service

UNMAPPED = {"WriteGetObjectResponse", "CreateSession", "RenameObject"}
"""Object Lambda and S3 Express operations: other services' actions, not S3's."""


@pytest.mark.parametrize(
    ("operation", "versioned", "action"),
    [
        ("ListObjectsV2", False, "s3:ListBucket"),
        ("ListObjects", False, "s3:ListBucket"),
        ("HeadBucket", False, "s3:ListBucket"),
        ("HeadObject", False, "s3:GetObject"),
        ("HeadObject", True, "s3:GetObjectVersion"),
        ("GetObject", True, "s3:GetObjectVersion"),
        ("DeleteObject", True, "s3:DeleteObjectVersion"),
        ("ListBuckets", False, "s3:ListAllMyBuckets"),
        ("CreateMultipartUpload", False, "s3:PutObject"),
        ("UploadPart", False, "s3:PutObject"),
        ("CompleteMultipartUpload", False, "s3:PutObject"),
        ("AbortMultipartUpload", False, "s3:AbortMultipartUpload"),
        ("ListParts", False, "s3:ListMultipartUploadParts"),
        ("ListMultipartUploads", False, "s3:ListBucketMultipartUploads"),
        ("ListObjectVersions", False, "s3:ListBucketVersions"),
        ("DeleteBucketCors", False, "s3:PutBucketCORS"),
        ("GetBucketLifecycleConfiguration", False, "s3:GetLifecycleConfiguration"),
        ("DeleteBucketEncryption", False, "s3:PutEncryptionConfiguration"),
        ("GetPublicAccessBlock", False, "s3:GetBucketPublicAccessBlock"),
        ("PutBucketPolicy", False, "s3:PutBucketPolicy"),
    ],
)
def test_documented_exceptions(operation: str, versioned: bool, action: str) -> None:
    assert action_name(operation, versioned) == action


def test_every_model_operation_maps_to_a_catalog_action() -> None:
    unmapped = {op for op in load_service("s3").operation_names if action_name(op, False) is None}
    assert unmapped == UNMAPPED
    for op in load_service("s3").operation_names:
        action = action_name(op, True)
        assert action is None or action_exists(action)


def test_copy_needs_the_source_too() -> None:
    found = checks(
        "CopyObject",
        "target",
        "new/key",
        {},
        {"x-amz-copy-source": "/source/old%20key?versionId=v1"},
    )
    assert [(c.action, c.resource, c.bucket) for c in found] == [
        ("s3:PutObject", "arn:aws:s3:::target/new/key", "target"),
        ("s3:GetObjectVersion", "arn:aws:s3:::source/old key", "source"),
    ]
    with pytest.raises(UnmappedOperationError):
        checks(
            "CopyObject",
            "t",
            "k",
            {},
            {"x-amz-copy-source": "arn:aws:s3:us-east-1:1:accesspoint/x"},
        )


def test_delete_objects_checks_each_key() -> None:
    found = checks("DeleteObjects", "b", None, {"delete": ""}, {}, [("a", None), ("b/c", "v")])
    assert found == [
        Check("s3:DeleteObject", "arn:aws:s3:::b/a", "b", {}),
        Check("s3:DeleteObjectVersion", "arn:aws:s3:::b/b/c", "b", {}),
    ]


def test_list_buckets_is_on_star_and_attributes_need_both() -> None:
    assert checks("ListBuckets", None, None, {}, {}) == [Check("s3:ListAllMyBuckets", "*", None)]
    found = checks("GetObjectAttributes", "b", "k", {"attributes": ""}, {})
    assert [c.action for c in found] == ["s3:GetObjectAttributes", "s3:GetObject"]


def test_condition_keys_from_the_request() -> None:
    """https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html"""
    keys = request_keys(
        "ListObjectsV2", {"prefix": "home/", "delimiter": "/", "max-keys": "10"}, {}
    )
    assert keys == {"s3:prefix": "home/", "s3:delimiter": "/", "s3:max-keys": "10"}
    assert request_keys("GetObject", {"prefix": "x"}, {}) == {}
    put = request_keys(
        "PutObject",
        {},
        {
            "x-amz-acl": "public-read",
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-tagging": "team=blue&env=prod",
        },
    )
    assert put["s3:x-amz-acl"] == "public-read"
    assert put["s3:x-amz-server-side-encryption"] == "aws:kms"
    assert put["s3:RequestObjectTag/team"] == "blue"
    assert put["s3:RequestObjectTagKeys"] == ["team", "env"]


def test_copy_source_forms() -> None:
    assert copy_source("bucket/key") == ("bucket", "key", None)
    assert copy_source("/bucket/a%2Fb") == ("bucket", "a/b", None)
    assert copy_source("bucket") is None
