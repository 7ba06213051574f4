"""Resource tags for the gateway's condition keys: parsing ARNs and the services' tag shapes,
the condition keys they fill, when the backend is asked and when a cached answer is dropped.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from iamd.gateway import calls, resource_tags
from iamd.gateway.calls import Answer
from iamd.gateway.resource_tags import (
    Arn,
    ResourceTags,
    changes_tags,
    context_of,
    key_prefixes,
    pairs,
    service_key,
    tagged,
)
from iamd.gateway.s3_actions import Check
from iamd.gateway.services import service_info
from iamd.policy import Policy, PolicyKind, parse_policy

ACCOUNT = "111122223333"
BACKEND = "999999999999"


def policy(condition_key: str | None) -> Policy:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    if condition_key:
        statement["Condition"] = {"StringEquals": {condition_key: "blue"}}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    return parse_policy(json.dumps(document), PolicyKind.IDENTITY, "p")


# Pure pieces ---------------------------------------------------------------------------------


def test_arn_parsing_and_cache_key() -> None:
    arn = Arn.parse(f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs")
    assert arn == Arn("aws", "sqs", "us-east-1", ACCOUNT, "jobs")
    assert str(arn.in_account(BACKEND)) == f"arn:aws:sqs:us-east-1:{BACKEND}:jobs"
    assert arn.key == arn.in_account(BACKEND).key == "arn:aws:sqs:us-east-1::jobs"
    # Log group names hold colons and slashes: everything after the fifth colon is the resource.
    group = Arn.parse(f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/web:*")
    assert group is not None and group.resource == "log-group:/app/web:*"
    image = Arn.parse("arn:aws:ec2:us-east-1::image/ami-1")
    assert image is not None and image.in_account(BACKEND) == image
    for bad in ("*", "arn:aws:sqs", "not:an:arn:at:all:x", "arn:aws::r:a:x"):
        assert Arn.parse(bad) is None


@pytest.mark.parametrize(
    ("given", "owner"),
    [
        # Indexes inherit their table's tags.
        ("arn:aws:dynamodb:r:1:table/t/index/by-date", "arn:aws:dynamodb:r:1:table/t"),
        ("arn:aws:dynamodb:r:1:table/t", "arn:aws:dynamodb:r:1:table/t"),
        # A function's tags apply to its versions and aliases.
        ("arn:aws:lambda:r:1:function:fn:prod", "arn:aws:lambda:r:1:function:fn"),
        ("arn:aws:logs:r:1:log-group:/app/web:*", "arn:aws:logs:r:1:log-group:/app/web"),
        ("arn:aws:sqs:r:1:q", "arn:aws:sqs:r:1:q"),
    ],
)
def test_the_resource_whose_tags_apply(given: str, owner: str) -> None:
    """https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/attribute-based-access-control.html
    https://docs.aws.amazon.com/lambda/latest/dg/attribute-based-access-control.html"""
    arn = Arn.parse(given)
    assert arn is not None and str(tagged(arn)) == owner


def test_service_keys_come_from_the_catalog() -> None:
    """Only services whose reference lists ``<prefix>:ResourceTag/${TagKey}`` get their own
    key, in the reference's spelling."""
    assert service_key("secretsmanager") == "secretsmanager:ResourceTag"
    assert service_key("ec2") == "ec2:ResourceTag"
    assert service_key("ssm") == "ssm:resourceTag"
    assert service_key("sqs") is None and service_key("rds") is None and service_key(None) is None
    assert key_prefixes("sqs") == ("aws:resourcetag/",)
    assert key_prefixes("secretsmanager") == ("aws:resourcetag/", "secretsmanager:resourcetag/")
    assert context_of({"team": "blue"}, "secretsmanager:ResourceTag") == {
        "aws:ResourceTag/team": "blue",
        "secretsmanager:ResourceTag/team": "blue",
    }
    assert context_of({"team": "blue"}, None) == {"aws:ResourceTag/team": "blue"}


def test_every_services_tag_shape() -> None:
    assert pairs({"team": "blue"}) == {"team": "blue"}  # SQS, Lambda, Logs
    assert pairs([{"Key": "team", "Value": "blue"}]) == {"team": "blue"}  # DynamoDB, SNS, ...
    assert pairs([{"key": "team", "value": "blue"}]) == {"team": "blue"}  # Step Functions
    assert pairs([{"TagKey": "team", "TagValue": "blue"}]) == {"team": "blue"}  # KMS
    assert pairs(None) == {} and pairs([{"Value": "orphan"}, "junk"]) == {}


@pytest.mark.parametrize(
    ("operation", "action", "changes"),
    [
        ("TagQueue", "sqs:TagQueue", True),
        ("UntagQueue", "sqs:UntagQueue", True),
        ("TagResource", "dynamodb:TagResource", True),
        ("UntagResource", "secretsmanager:UntagResource", True),
        ("CreateTags", "ec2:CreateTags", True),
        ("DeleteTags", "ec2:DeleteTags", True),
        ("AddTagsToResource", "ssm:AddTagsToResource", True),
        ("DeleteQueue", "sqs:DeleteQueue", True),
        ("DeleteTable", "dynamodb:DeleteTable", True),
        ("CreateTable", "dynamodb:CreateTable", True),
        ("DeleteSecret", "secretsmanager:DeleteSecret", True),
        ("DeleteLogGroup", "logs:DeleteLogGroup", True),
        # The hot paths of queues and tables leave the cache alone.
        ("DeleteMessage", "sqs:DeleteMessage", False),
        ("DeleteItem", "dynamodb:DeleteItem", False),
        ("SendMessage", "sqs:SendMessage", False),
        ("ListQueueTags", "sqs:ListQueueTags", False),
        ("DescribeTags", "ec2:DescribeTags", False),
    ],
)
def test_which_calls_change_tags(operation: str, action: str, changes: bool) -> None:
    assert changes_tags(operation, action) is changes


# The cache against a scripted backend --------------------------------------------------------


@dataclass
class FakeBackend:
    embedded: bool = True
    account_id: str = BACKEND

    async def url(self) -> str:
        return "http://backend:5000"


@dataclass
class Script:
    """Answers the gateway's calls to the backend from ``answers`` and records them."""

    answers: dict[str, Any] = field(default_factory=dict)
    seen: list[tuple[str, str, dict[str, Any], str]] = field(default_factory=list)

    async def __call__(
        self, forwarder: Any, signing: str, operation: str, params: dict[str, Any], region: str
    ) -> Answer:
        self.seen.append((signing, operation, params, region))
        answer = self.answers[operation]
        if callable(answer):
            answer = answer(params)
        if isinstance(answer, BaseException):
            raise answer
        return answer if isinstance(answer, Answer) else Answer(200, answer)


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Script:
    fake = Script()
    monkeypatch.setattr(calls, "call", fake)
    return fake


def lookup(
    tags: ResourceTags, service: str, resources: list[str], key: str | None = "aws:ResourceTag/t"
) -> resource_tags.Found:
    info = service_info(service)
    assert info is not None
    return asyncio.run(tags.lookup([policy(key)], info, resources, "us-east-1"))


def cache(backend: FakeBackend | None = None) -> ResourceTags:
    return ResourceTags(backend or FakeBackend(), None, ttl=30.0)  # type: ignore[arg-type]


def queue(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


def test_no_call_when_no_policy_names_a_resource_tag(script: Script) -> None:
    tags = cache()
    assert lookup(tags, "sqs", [queue("q")], key=None) == resource_tags.NOTHING
    assert lookup(tags, "sqs", [queue("q")], key="aws:RequestTag/t") == resource_tags.NOTHING
    assert lookup(tags, "sqs", ["*"]) == resource_tags.NOTHING
    assert script.seen == [] and tags.reads == 0


def test_sqs_tags_read_by_queue_url_in_the_backends_account(script: Script) -> None:
    script.answers["ListQueueTags"] = {"Tags": {"team": "blue"}}
    tags = cache()
    found = lookup(tags, "sqs", [queue("jobs")])
    assert found.context(queue("jobs")) == {"aws:ResourceTag/team": "blue"}
    assert script.seen == [
        ("sqs", "ListQueueTags", {"QueueUrl": f"http://backend:5000/{BACKEND}/jobs"}, "us-east-1")
    ]
    lookup(tags, "sqs", [queue("jobs")])
    assert tags.reads == 1  # from the cache


def test_a_change_through_the_gateway_drops_the_entry(script: Script) -> None:
    script.answers["ListQueueTags"] = {"Tags": {"team": "blue"}}
    tags = cache()
    lookup(tags, "sqs", [queue("jobs")])
    tags.after("SendMessage", [Check("sqs:SendMessage", queue("jobs"), None)], 200)
    tags.after("TagQueue", [Check("sqs:TagQueue", queue("jobs"), None)], 400)  # refused
    lookup(tags, "sqs", [queue("jobs")])
    assert tags.reads == 1
    tags.after("UntagQueue", [Check("sqs:UntagQueue", queue("jobs"), None)], 200)
    script.answers["ListQueueTags"] = {"Tags": {}}
    assert lookup(tags, "sqs", [queue("jobs")]).context(queue("jobs")) == {}
    assert tags.reads == 2


def test_a_change_naming_no_resource_drops_the_services_entries(script: Script) -> None:
    """EC2's CreateTags is authorized on ``*``: every cached EC2 entry goes."""
    instance = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-1"
    script.answers["DescribeTags"] = {"Tags": []}
    script.answers["ListQueueTags"] = {"Tags": {}}
    tags = cache()
    lookup(tags, "ec2", [instance])
    lookup(tags, "sqs", [queue("q")])
    tags.after("CreateTags", [Check("ec2:CreateTags", "*", None)], 200)
    lookup(tags, "ec2", [instance])
    lookup(tags, "sqs", [queue("q")])
    assert [s[1] for s in script.seen] == ["DescribeTags", "ListQueueTags", "DescribeTags"]


def test_the_cache_expires(script: Script) -> None:
    script.answers["ListQueueTags"] = {"Tags": {}}
    tags = ResourceTags(FakeBackend(), None, ttl=0.0)  # type: ignore[arg-type]
    lookup(tags, "sqs", [queue("q")])
    lookup(tags, "sqs", [queue("q")])
    assert tags.reads == 2


def test_ec2_reads_every_instance_in_one_call(script: Script) -> None:
    """https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html"""
    script.answers["DescribeTags"] = {
        "Tags": [
            {"ResourceId": "i-1", "Key": "team", "Value": "blue"},
            {"ResourceId": "i-2", "Key": "team", "Value": "red"},
        ]
    }
    arns = [f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-{n}" for n in (1, 2, 3)]
    tags = cache()
    found = lookup(tags, "ec2", arns, key="ec2:ResourceTag/team")
    assert found.context(arns[0]) == {
        "aws:ResourceTag/team": "blue",
        "ec2:ResourceTag/team": "blue",
    }
    assert found.context(arns[1])["ec2:ResourceTag/team"] == "red"
    assert found.context(arns[2]) == {} and not found.unknown(arns[2])
    assert tags.reads == 1
    filters = script.seen[0][2]["Filters"]
    assert filters == [{"Name": "resource-id", "Values": ["i-1", "i-2", "i-3"]}]


def test_other_services_use_the_tagging_api(script: Script) -> None:
    """https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html"""
    bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/main"
    other = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/untagged"
    script.answers["GetResources"] = {
        "ResourceTagMappingList": [
            {"ResourceARN": bus.replace(ACCOUNT, BACKEND), "Tags": [{"Key": "t", "Value": "1"}]}
        ]
    }
    found = lookup(cache(), "events", [bus, other])
    assert found.context(bus) == {"aws:ResourceTag/t": "1"}
    assert found.context(other) == {} and not found.unknown(other)
    assert script.seen[0][:2] == ("tagging", "GetResources")


def test_pages_are_followed(script: Script) -> None:
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t"

    def page(params: dict[str, Any]) -> dict[str, Any]:
        if "NextToken" not in params:
            return {"Tags": [{"Key": "a", "Value": "1"}], "NextToken": "more"}
        return {"Tags": [{"Key": "b", "Value": "2"}]}

    script.answers["ListTagsOfResource"] = page
    found = lookup(cache(), "dynamodb", [table])
    assert found.context(table) == {"aws:ResourceTag/a": "1", "aws:ResourceTag/b": "2"}


def test_kms_aliases_are_resolved_to_their_key(script: Script) -> None:
    """An alias has no tags: its key's apply.
    https://docs.aws.amazon.com/kms/latest/developerguide/abac.html"""
    key = f"arn:aws:kms:us-east-1:{BACKEND}:key/k-1"
    script.answers["DescribeKey"] = {"KeyMetadata": {"Arn": key, "KeyId": "k-1"}}
    script.answers["ListResourceTags"] = {"Tags": [{"TagKey": "team", "TagValue": "blue"}]}
    alias = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/alias/app"
    assert lookup(cache(), "kms", [alias]).context(alias) == {"aws:ResourceTag/team": "blue"}
    assert script.seen[0][2] == {"KeyId": "alias/app"}
    assert script.seen[1][2] == {"KeyId": key}


def test_secrets_are_described_by_the_arn_named(script: Script) -> None:
    script.answers["DescribeSecret"] = {"Name": "db", "Tags": [{"Key": "team", "Value": "blue"}]}
    secret = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db"
    found = lookup(cache(), "secretsmanager", [secret])
    assert found.context(secret)["secretsmanager:ResourceTag/team"] == "blue"
    assert script.seen[0][2] == {"SecretId": secret.replace(ACCOUNT, BACKEND)}


def test_a_missing_resource_has_no_tags(script: Script) -> None:
    script.answers["ListTagsForResource"] = Answer(
        404, {"Error": {"Code": "ResourceNotFoundException"}}
    )
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:gone"
    found = lookup(cache(), "sns", [topic])
    assert found.tags == {topic: {}} and not found.unknown(topic)


@pytest.mark.parametrize(
    "failure",
    [
        Answer(500, {"Error": {"Code": "InternalFailure"}}),
        Answer(400, {"Error": {"Code": "ThrottlingException"}}),
        Answer(403, {"Error": {"Code": "AccessDeniedException"}}),
        ConnectionResetError("gone"),
    ],
)
def test_a_failure_leaves_the_tags_unknown_and_uncached(
    script: Script, failure: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Fail closed: unknown tags are not "no tags"; the gateway denies what it cannot decide.
    Nothing is cached, so the next request asks again."""
    script.answers["ListTagsOfResource"] = failure
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t"
    tags = cache()
    found = lookup(tags, "dynamodb", [table])
    assert found.unknown(table) and found.context(table) == {}
    assert "could not read the tags of" in caplog.text
    script.answers["ListTagsOfResource"] = {"Tags": [{"Key": "t", "Value": "x"}]}
    assert lookup(tags, "dynamodb", [table]).context(table) == {"aws:ResourceTag/t": "x"}


def test_another_backends_account_is_asked_once(script: Script) -> None:
    """A backend other than the embedded one keeps resources in its own account, learned
    with sts:GetCallerIdentity."""
    script.answers["GetCallerIdentity"] = {"Account": "444455556666", "Arn": "a", "UserId": "u"}
    script.answers["ListQueueTags"] = {"Tags": {}}
    tags = cache(FakeBackend(embedded=False))
    lookup(tags, "sqs", [queue("a")])
    lookup(tags, "sqs", [queue("b")])
    assert [s[1] for s in script.seen] == ["GetCallerIdentity", "ListQueueTags", "ListQueueTags"]
    assert script.seen[1][2] == {"QueueUrl": "http://backend:5000/444455556666/a"}


def test_a_change_during_a_read_is_not_undone_by_it(script: Script) -> None:
    """A read that started before a tag change passed through does not fill the cache with
    what it saw."""
    tags = cache()

    def racing(params: dict[str, Any]) -> dict[str, Any]:
        tags.after("TagQueue", [Check("sqs:TagQueue", queue("q"), None)], 200)
        return {"Tags": {"team": "old"}}

    script.answers["ListQueueTags"] = racing
    lookup(tags, "sqs", [queue("q")])
    script.answers["ListQueueTags"] = {"Tags": {"team": "new"}}
    assert lookup(tags, "sqs", [queue("q")]).context(queue("q")) == {"aws:ResourceTag/team": "new"}


# Requests and answers through botocore's model -----------------------------------------------


class FakeResponse:
    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.status = status
        self.raw_headers = [(b"Content-Type", content_type.encode())]
        self.body = body

    async def read(self) -> bytes:
        return self.body

    async def __aenter__(self) -> FakeResponse:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None


@dataclass
class FakeForwarder:
    response: FakeResponse
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def open(
        self, method: str, path: str, query: str, headers: dict[str, str], **kw: Any
    ) -> FakeResponse:
        self.sent.append({"method": method, "path": path, "query": query, "headers": headers, **kw})
        return self.response


def test_calls_speak_each_services_protocol() -> None:
    """A json call carries X-Amz-Target; a query call a form; rest-json a path; answers
    and errors come back parsed by botocore. (The fake forwarder stands in for the real one.)"""
    forwarder = FakeForwarder(
        FakeResponse(200, b'{"Tags": {"team": "blue"}}', "application/x-amz-json-1.0")
    )
    answer = asyncio.run(
        calls.call(forwarder, "sqs", "ListQueueTags", {"QueueUrl": "http://b/1/q"}, "eu-west-1")
    )
    assert answer == Answer(200, {"Tags": {"team": "blue"}})
    sent = forwarder.sent[0]
    assert sent["headers"]["x-amz-target"] == "AmazonSQS.ListQueueTags"
    assert (sent["service"], sent["region"], sent["body"]) == (
        "sqs",
        "eu-west-1",
        b'{"QueueUrl": "http://b/1/q"}',
    )
    error = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code>"
        b"<Message>no topic</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
    forwarder = FakeForwarder(FakeResponse(404, error, "text/xml"))
    answer = asyncio.run(
        calls.call(forwarder, "sns", "ListTagsForResource", {"ResourceArn": "arn:x"}, "r")
    )
    assert (answer.ok, answer.code) == (False, "NotFound")
    assert (
        forwarder.sent[0]["body"]
        == b"Action=ListTagsForResource&Version=2010-03-31&ResourceArn=arn%3Ax"
    )
    forwarder = FakeForwarder(FakeResponse(200, b'{"Tags": {}}', "application/json"))
    asyncio.run(
        calls.call(
            forwarder, "lambda", "ListTags", {"Resource": "arn:aws:lambda:r:1:function:f"}, "r"
        )
    )
    assert forwarder.sent[0]["method"] == "GET"
    assert forwarder.sent[0]["path"] == "/2017-03-31/tags/arn%3Aaws%3Alambda%3Ar%3A1%3Afunction%3Af"
