"""Signing names shared by several botocore services, and the model a request picks among them.

A SigV4 scope names a signing name, not a service: DynamoDB Streams signs as ``dynamodb``, SES
v2 as ``ses``, Timestream Write and Query as ``timestream``. The request's own model decides its
operation, and the catalog the IAM action
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
"""

from __future__ import annotations

import json

import pytest
from botocore.loaders import Loader

from iamd.catalog.services import service_exists
from iamd.gateway.generic import map_request, request_service
from iamd.gateway.s3_actions import UnmappedOperationError
from iamd.gateway.services import IAM_PREFIXES, candidates, service_info
from iamd.gateway.signing_names import metadata, signing_names

ACCOUNT = "111122223333"
STREAM = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders/stream/2024-05-01T10:00:00.000"
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


def chosen(signing_name: str, **request: object) -> str:
    """The botocore service a request signed as ``signing_name`` is read as."""
    info = service_info(signing_name)
    assert info is not None
    return request_service(
        info,
        str(request.get("method", "POST")),
        str(request.get("path", "/")),
        str(request.get("query", "")),
        dict(request.get("headers", {})),  # type: ignore[call-overload]
        bytes(request.get("body", b"")),  # type: ignore[call-overload]
    ).name


def checks(signing_name: str, **request: object) -> list[tuple[str, str]]:
    """The (action, resource) checks of a request, through the model it picks."""
    info = service_info(signing_name)
    assert info is not None
    method = str(request.get("method", "POST"))
    path = str(request.get("path", "/"))
    query = str(request.get("query", ""))
    headers: dict[str, str] = dict(request.get("headers", {}))  # type: ignore[call-overload]
    body = bytes(request.get("body", b""))  # type: ignore[call-overload]
    service = request_service(info, method, path, query, headers, body)
    mapped = map_request(service, method, path, query, headers, body, "eu-west-1", ACCOUNT)
    return [(c.action, c.resource) for c in mapped.checks]


def target(prefix: str, operation: str, **params: object) -> dict[str, object]:
    return {
        "headers": {"x-amz-target": f"{prefix}.{operation}"},
        "body": json.dumps(params).encode(),
    }


# The map ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signing_name", "services"),
    [
        ("dynamodb", {"dynamodb", "dynamodbstreams"}),
        ("ses", {"ses", "sesv2"}),
        ("tagging", {"resourcegroupstaggingapi"}),
        ("mobiletargeting", {"pinpoint"}),
        ("elasticfilesystem", {"efs"}),
        ("timestream", {"timestream-write", "timestream-query"}),
        ("aws-marketplace", {"meteringmarketplace", "marketplace-catalog"}),
        ("monitoring", {"cloudwatch"}),
        ("states", {"stepfunctions"}),
        ("elasticloadbalancing", {"elb", "elbv2"}),
    ],
)
def test_signing_name_map_is_botocore_own(signing_name: str, services: set[str]) -> None:
    assert services <= set(signing_names()[signing_name])


def test_the_service_named_like_its_signing_name_comes_first() -> None:
    """It answers a request that shows nothing else (an unknown operation, a failed signature)
    and the gateway's own calls (``dynamodb`` ListTagsOfResource)."""
    assert signing_names()["dynamodb"][0] == "dynamodb"
    assert signing_names()["ses"][0] == "ses"
    assert [c.name for c in candidates("dynamodb")] == list(signing_names()["dynamodb"])
    info = service_info("dynamodb")
    assert info is not None and info.name == "dynamodb"


def test_metadata_read_from_the_head_is_botocore_own() -> None:
    loader = Loader()
    for name in ("dynamodb", "dynamodbstreams", "sesv2", "resourcegroupstaggingapi", "s3"):
        assert metadata(loader, name) == loader.load_service_model(name, "service-2")["metadata"]


def test_a_name_no_model_signs_with_is_no_service() -> None:
    """``email`` is SES's endpoint prefix, ``efs`` botocore's name for EFS: neither is what an
    SDK signs with."""
    assert service_info("email") is None
    assert service_info("efs") is None
    assert candidates("no-such-service") == ()


@pytest.mark.parametrize(
    ("signing_name", "prefix"),
    [
        ("dynamodb", "dynamodb"),
        ("ses", "ses"),
        ("tagging", "tag"),
        ("mobiletargeting", "mobiletargeting"),
        ("elasticfilesystem", "elasticfilesystem"),
        ("timestream", "timestream"),
        ("aws-marketplace", "aws-marketplace"),
        ("monitoring", "cloudwatch"),
        ("states", "states"),
    ],
)
def test_every_service_of_a_signing_name_has_its_iam_prefix(signing_name: str, prefix: str) -> None:
    assert {c.iam_prefix for c in candidates(signing_name)} == {prefix}


def test_overrides_name_a_signing_name_and_a_catalog_prefix() -> None:
    for signing_name, prefix in IAM_PREFIXES.items():
        assert signing_name in signing_names(), signing_name
        assert service_exists(prefix), prefix


def test_an_overridden_prefix_keeps_cloudtrail_event_source() -> None:
    """CloudTrail records the Tagging API as tagging.amazonaws.com, not by its IAM prefix."""
    tagging = service_info("tagging")
    ses = service_info("ses")
    assert tagging is not None and tagging.event_source == "tagging.amazonaws.com"
    assert ses is not None and ses.event_source == "ses.amazonaws.com"


# The model a request picks ------------------------------------------------------------------


def test_json_target_prefix_picks_dynamodb_streams() -> None:
    assert chosen("dynamodb", **target("DynamoDBStreams_20120810", "ListStreams")) == (
        "dynamodbstreams"
    )
    assert chosen("dynamodb", **target("DynamoDB_20120810", "GetItem")) == "dynamodb"


def test_rest_uri_picks_ses_v2_and_the_form_picks_ses() -> None:
    assert chosen("ses", path="/v2/email/outbound-emails", headers=JSON, body=b"{}") == "sesv2"
    assert chosen("ses", path="/v2/email/identities", headers=JSON, body=b"{}") == "sesv2"
    body = b"Action=SendEmail&Version=2010-12-01"
    assert chosen("ses", headers=FORM, body=body) == "ses"


def test_a_shared_target_prefix_is_told_apart_by_the_operation() -> None:
    """Timestream Write and Query both answer ``Timestream_20181101``."""
    assert chosen("timestream", **target("Timestream_20181101", "WriteRecords")) == (
        "timestream-write"
    )
    assert chosen("timestream", **target("Timestream_20181101", "Query")) == "timestream-query"


def test_a_query_version_picks_among_services_with_the_same_action() -> None:
    """ELB Classic (2012-06-01) and ELB v2 (2015-12-01) both have CreateLoadBalancer."""
    for version, name in (("2012-06-01", "elb"), ("2015-12-01", "elbv2")):
        body = f"Action=CreateLoadBalancer&Version={version}".encode()
        assert chosen("elasticloadbalancing", headers=FORM, body=body) == name


def test_marketplace_metering_by_its_target_prefix() -> None:
    assert chosen("aws-marketplace", **target("AWSMPMeteringService", "MeterUsage")) == (
        "meteringmarketplace"
    )


def test_a_request_that_names_no_model_stays_with_the_first() -> None:
    assert chosen("dynamodb", **target("NoSuchPrefix_20200101", "GetItem")) == "dynamodb"
    assert chosen("ses", method="GET", path="/nowhere") == "ses"


# The checks through the picked model ---------------------------------------------------------


def test_dynamodb_streams_reads_are_authorized_on_the_stream() -> None:
    """DescribeStream and GetShardIterator name the stream by StreamArn; a shard iterator opens
    with its stream's ARN
    (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetShardIterator.html)."""
    prefix = "DynamoDBStreams_20120810"
    assert checks("dynamodb", **target(prefix, "DescribeStream", StreamArn=STREAM)) == [
        ("dynamodb:DescribeStream", STREAM)
    ]
    shard = {"StreamArn": STREAM, "ShardId": "shard-1", "ShardIteratorType": "TRIM_HORIZON"}
    assert checks("dynamodb", **target(prefix, "GetShardIterator", **shard)) == [
        ("dynamodb:GetShardIterator", STREAM)
    ]
    iterator = f"{STREAM}|1|AAAAAAAAAAEvJp6D"
    assert checks("dynamodb", **target(prefix, "GetRecords", ShardIterator=iterator)) == [
        ("dynamodb:GetRecords", STREAM)
    ]
    assert checks("dynamodb", **target(prefix, "ListStreams")) == [("dynamodb:ListStreams", "*")]


def test_an_opaque_shard_iterator_names_no_stream() -> None:
    """Without the stream's ARN the check is on ``*``, which a policy on the stream does not
    grant."""
    body = target("DynamoDBStreams_20120810", "GetRecords", ShardIterator="b3BhcXVl")
    assert checks("dynamodb", **body) == [("dynamodb:GetRecords", "*")]


def test_ses_v2_operations_are_ses_actions() -> None:
    identity = {"EmailIdentity": "sender@example.com"}
    assert checks(
        "ses", path="/v2/email/identities", headers=JSON, body=json.dumps(identity).encode()
    ) == [("ses:CreateEmailIdentity", "*")]
    assert checks("ses", path="/v2/email/outbound-emails", headers=JSON, body=b"{}") == [
        ("ses:SendEmail", "*")
    ]


def test_tagging_api_is_tag_actions() -> None:
    prefix = "ResourceGroupsTaggingAPI_20170126"
    assert checks("tagging", **target(prefix, "GetResources")) == [("tag:GetResources", "*")]
    tags = {"ResourceARNList": [STREAM], "Tags": {"team": "blue"}}
    assert checks("tagging", **target(prefix, "TagResources", **tags)) == [
        ("tag:TagResources", "*")
    ]


def test_services_whose_signing_name_is_not_their_botocore_name() -> None:
    assert checks("mobiletargeting", method="GET", path="/v1/apps") == [
        ("mobiletargeting:GetApps", "*")
    ]
    assert checks("elasticfilesystem", method="GET", path="/2015-02-01/file-systems") == [
        ("elasticfilesystem:DescribeFileSystems", "*")
    ]
    write = target("Timestream_20181101", "WriteRecords", DatabaseName="d", TableName="t")
    assert [a for a, _ in checks("timestream", **write)] == ["timestream:WriteRecords"]
    assert checks("aws-marketplace", **target("AWSMPMeteringService", "MeterUsage")) == [
        ("aws-marketplace:MeterUsage", "*")
    ]


def test_an_operation_of_another_model_is_still_unmapped() -> None:
    """A DynamoDB operation under the Streams prefix is in neither model's reading."""
    with pytest.raises(UnmappedOperationError):
        checks("dynamodb", **target("DynamoDBStreams_20120810", "PutItem", TableName="t"))
