"""Services that sign with another service's name, or with a name unlike their own, through the
gateway: each request is read with its own model and authorized with its IAM actions.

DynamoDB Streams signs as ``dynamodb`` and its actions are ``dynamodb:*`` on the stream
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html);
SES v2 signs as ``ses`` like SES v1, both ``ses:*``
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsimpleemailservicev2.html,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonses.html); the
Resource Groups Tagging API signs as ``tagging`` and its actions are ``tag:*``
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_resourcegroupstaggingapi.html).
"""

from __future__ import annotations

import uuid

from support.gateway import allow, client, error_of, gateway_events, make_user
from support.live import LiveServer


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def denial(user_arn: str, action: str, resource: str) -> str:
    return (
        f"User: {user_arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def test_dynamodb_streams_reads_are_authorized_on_the_stream(server: LiveServer) -> None:
    """DescribeStream and GetShardIterator name the stream by StreamArn, GetRecords by the shard
    iterator, which opens with the stream's ARN
    (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetShardIterator.html);
    a denial is DynamoDB's json AccessDeniedException."""
    table = name("streamed")
    root = server.client("dynamodb")
    stream = root.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    assert stream.startswith(
        f"arn:aws:dynamodb:us-east-1:{server.account_id}:table/{table}/stream/"
    )
    root.put_item(TableName=table, Item={"id": {"S": "1"}})

    actions = ["dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"]
    reader = client(
        server, "dynamodbstreams", make_user(server, name("reader"), allow(actions, stream)).key
    )
    shard = reader.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = reader.get_shard_iterator(
        StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = reader.get_records(ShardIterator=iterator)["Records"]
    assert [r["dynamodb"]["Keys"] for r in records] == [{"id": {"S": "1"}}]

    # Allowed on another stream only: every read of this one is denied, naming the action.
    other = f"arn:aws:dynamodb:us-east-1:{server.account_id}:table/{table}-other/stream/*"
    user = make_user(server, name("stranger"), allow(actions, other))
    stranger = client(server, "dynamodbstreams", user.key)
    assert error_of(lambda: stranger.describe_stream(StreamArn=stream)) == (
        "AccessDeniedException",
        denial(user.arn, "dynamodb:DescribeStream", stream),
        400,
    )
    assert error_of(lambda: stranger.get_records(ShardIterator=iterator)) == (
        "AccessDeniedException",
        denial(user.arn, "dynamodb:GetRecords", stream),
        400,
    )

    # Without GetRecords, the iterator is granted and the read is not.
    user = make_user(server, name("no-records"), allow(actions[:2], stream))
    partial = client(server, "dynamodbstreams", user.key)
    iterator = partial.get_shard_iterator(
        StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert error_of(lambda: partial.get_records(ShardIterator=iterator)) == (
        "AccessDeniedException",
        denial(user.arn, "dynamodb:GetRecords", stream),
        400,
    )


def test_ses_v2_and_v1_share_a_signing_name(server: LiveServer) -> None:
    """SES v2 (rest-json under /v2/email) and SES v1 (query) both sign as ``ses``: each call is
    read with its own model, and denied in its own format (json for v2, XML for v1)."""
    identity = f"{name('sender')}@example.com"
    actions = ["ses:CreateEmailIdentity", "ses:ListEmailIdentities", "ses:ListIdentities"]
    user = make_user(server, name("ses"), allow(actions))
    sesv2 = client(server, "sesv2", user.key)
    sesv2.create_email_identity(EmailIdentity=identity)
    listed = sesv2.list_email_identities()["EmailIdentities"]
    assert identity in [i["IdentityName"] for i in listed]
    assert identity in client(server, "ses", user.key).list_identities()["Identities"]

    user = make_user(server, name("no-ses"), allow("ses:ListIdentities"))
    sesv2 = client(server, "sesv2", user.key)
    code, message, status = error_of(lambda: sesv2.create_email_identity(EmailIdentity=identity))
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == denial(user.arn, "ses:CreateEmailIdentity", "*")
    code, message, status = error_of(lambda: sesv2.list_email_identities())
    assert (code, status) == ("AccessDeniedException", 403)
    assert "ses:ListEmailIdentities" in message
    # The query model still answers v1, allowed by its own action.
    assert identity in client(server, "ses", user.key).list_identities()["Identities"]


def test_resource_groups_tagging_api_is_tag_actions(server: LiveServer) -> None:
    """GetResources is ``tag:GetResources``; CloudTrail records the call as
    tagging.amazonaws.com."""
    user = make_user(server, name("tagger"), allow("tag:GetResources"))
    tagging = client(server, "resourcegroupstaggingapi", user.key)
    assert isinstance(tagging.get_resources()["ResourceTagMappingList"], list)

    user = make_user(server, name("no-tag"), allow("tag:GetTagKeys"))
    tagging = client(server, "resourcegroupstaggingapi", user.key)
    assert error_of(lambda: tagging.get_resources()) == (
        "AccessDeniedException",
        denial(user.arn, "tag:GetResources", "*"),
        400,
    )
    events = [
        (e["eventName"], e.get("errorCode"))
        for e in gateway_events(server, "tagging.amazonaws.com")
        if e["userIdentity"].get("userName") == user.name
    ]
    assert events == [("GetResources", "AccessDeniedException")]
