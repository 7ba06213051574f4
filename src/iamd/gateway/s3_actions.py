"""The IAM actions, resources and condition keys an S3 request needs.

Most S3 operations are authorized by the action of the same name (``GetObject`` needs
``s3:GetObject``); the rest follow AWS's table of required permissions
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html):
listing is ``s3:ListBucket``, a HEAD is the GET it stands for, multipart uploads are
``s3:PutObject``, a delete of a sub-resource is the ``Put`` of its configuration, and a request
for a specific object version needs the ``...Version`` action. A copy needs ``s3:GetObject`` on
its source as well as ``s3:PutObject`` on its target. An operation neither the catalog nor this
table names is not mapped, and the gateway denies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from iamd.authorize.context import ContextValue
from iamd.catalog.actions import action_exists

_RENAMED: dict[str, str] = {
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListBuckets": "ListAllMyBuckets",
    "ListDirectoryBuckets": "ListAllMyBuckets",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListParts": "ListMultipartUploadParts",
    "HeadObject": "GetObject",
    "SelectObjectContent": "GetObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "CopyObject": "PutObject",
    "UploadPartCopy": "PutObject",
    "DeleteObjects": "DeleteObject",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
    "GetBucketLifecycle": "GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycle": "PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketTagging": "PutBucketTagging",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "GetBucketReplication": "GetReplicationConfiguration",
    "PutBucketReplication": "PutReplicationConfiguration",
    "DeleteBucketReplication": "PutReplicationConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "PutAccelerateConfiguration",
    "GetBucketAnalyticsConfiguration": "GetAnalyticsConfiguration",
    "ListBucketAnalyticsConfigurations": "GetAnalyticsConfiguration",
    "PutBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
    "DeleteBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
    "GetBucketInventoryConfiguration": "GetInventoryConfiguration",
    "ListBucketInventoryConfigurations": "GetInventoryConfiguration",
    "PutBucketInventoryConfiguration": "PutInventoryConfiguration",
    "DeleteBucketInventoryConfiguration": "PutInventoryConfiguration",
    "GetBucketMetricsConfiguration": "GetMetricsConfiguration",
    "ListBucketMetricsConfigurations": "GetMetricsConfiguration",
    "PutBucketMetricsConfiguration": "PutMetricsConfiguration",
    "DeleteBucketMetricsConfiguration": "PutMetricsConfiguration",
    "GetBucketIntelligentTieringConfiguration": "GetIntelligentTieringConfiguration",
    "ListBucketIntelligentTieringConfigurations": "GetIntelligentTieringConfiguration",
    "PutBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
    "DeleteBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
    "GetBucketMetadataConfiguration": "GetBucketMetadataTableConfiguration",
    "CreateBucketMetadataConfiguration": "CreateBucketMetadataTableConfiguration",
    "DeleteBucketMetadataConfiguration": "DeleteBucketMetadataTableConfiguration",
}
"""Operations authorized by an action of another name."""

_VERSIONED: dict[str, str] = {
    "GetObject": "GetObjectVersion",
    "DeleteObject": "DeleteObjectVersion",
    "GetObjectAcl": "GetObjectVersionAcl",
    "PutObjectAcl": "PutObjectVersionAcl",
    "GetObjectTagging": "GetObjectVersionTagging",
    "PutObjectTagging": "PutObjectVersionTagging",
    "DeleteObjectTagging": "DeleteObjectVersionTagging",
    "GetObjectAttributes": "GetObjectVersionAttributes",
    "GetObjectTorrent": "GetObjectVersionTorrent",
}
"""With ``versionId`` in the query, the action for that version."""

_ALSO: dict[str, tuple[str, ...]] = {"GetObjectAttributes": ("GetObject",)}
"""Operations that need a second action on the same resource."""

_HEADER_KEYS = (
    "x-amz-acl",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-storage-class",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-content-sha256",
    "x-amz-object-ownership",
    "x-amz-website-redirect-location",
    "x-amz-server-side-encryption-customer-algorithm",
)
"""Request headers AWS exposes as ``s3:<header>`` condition keys of the same name."""

_LIST_KEYS = {"prefix": "s3:prefix", "delimiter": "s3:delimiter", "max-keys": "s3:max-keys"}
_LISTS = frozenset({"ListObjects", "ListObjectsV2", "ListObjectVersions"})


class UnmappedOperationError(Exception):
    """The request is not an S3 operation the gateway can authorize."""


@dataclass(frozen=True, slots=True)
class Check:
    """One authorization the request needs: an action on a resource, in a bucket."""

    action: str
    resource: str
    bucket: str | None
    """Whose bucket policy applies (None for ListBuckets)."""
    context: dict[str, ContextValue] = field(default_factory=dict)


def action_name(operation: str, versioned: bool) -> str | None:
    """The ``s3:`` action an operation needs, or None when it maps to nothing known."""
    name = _RENAMED.get(operation, operation)
    if versioned:
        name = _VERSIONED.get(name, name)
    action = f"s3:{name}"
    return action if action_exists(action) else None


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def request_keys(
    operation: str, query: dict[str, str], headers: dict[str, str]
) -> dict[str, ContextValue]:
    """The S3 condition keys the request itself carries."""
    keys: dict[str, ContextValue] = {}
    for header in _HEADER_KEYS:
        value = headers.get(header)
        if value is not None:
            keys[f"s3:{header}"] = value
    if operation in _LISTS:
        for name, key in _LIST_KEYS.items():
            if name in query:
                keys[key] = query[name]
    if "versionId" in query:
        keys["s3:VersionId"] = query["versionId"]
    tagging = headers.get("x-amz-tagging")
    if tagging is not None:
        tags = parse_qsl(tagging, keep_blank_values=True)
        for key, value in tags:
            keys[f"s3:RequestObjectTag/{key}"] = value
        keys["s3:RequestObjectTagKeys"] = [key for key, _ in tags]
    return keys


def copy_source(header: str) -> tuple[str, str, str | None] | None:
    """``(bucket, key, version)`` of an ``x-amz-copy-source`` header (``/bucket/key?versionId=``).

    Access point and Outposts sources are not supported: None.
    """
    text, _, query = header.partition("?")
    text = unquote(text).lstrip("/")
    bucket, slash, key = text.partition("/")
    if not bucket or not slash or not key or bucket.startswith("arn:"):
        return None
    version = dict(parse_qsl(query)).get("versionId") if query else None
    return bucket, key, version


def checks(
    operation: str,
    bucket: str | None,
    key: str | None,
    query: dict[str, str],
    headers: dict[str, str],
    delete_keys: list[tuple[str, str | None]] | None = None,
) -> list[Check]:
    """Every authorization the operation needs, the target's first.

    ``delete_keys`` are the ``(key, version)`` pairs of a DeleteObjects body: each is checked.
    """
    context = request_keys(operation, query, headers)
    action = action_name(operation, "versionId" in query)
    if action is None:
        raise UnmappedOperationError(operation)
    if bucket is None:
        return [Check(action, "*", None, context)]
    resource = object_arn(bucket, key) if key is not None else bucket_arn(bucket)
    if operation == "DeleteObjects":
        out = []
        for name, version in delete_keys or []:
            per_key = action_name("DeleteObject", version is not None)
            assert per_key is not None
            out.append(Check(per_key, object_arn(bucket, name), bucket, context))
        return out or [Check(action, bucket_arn(bucket) + "/*", bucket, context)]
    out = [Check(action, resource, bucket, context)]
    out.extend(Check(f"s3:{also}", resource, bucket, context) for also in _ALSO.get(operation, ()))
    if operation in ("CopyObject", "UploadPartCopy"):
        source = copy_source(headers.get("x-amz-copy-source", ""))
        if source is None:
            raise UnmappedOperationError(f"{operation} from {headers.get('x-amz-copy-source')!r}")
        src_bucket, src_key, version = source
        read = "s3:GetObjectVersion" if version else "s3:GetObject"
        out.append(Check(read, object_arn(src_bucket, src_key), src_bucket, context))
    return out
