"""``aws:ResourceTag/<key>`` for services behind the gateway: the tags the resource has on the
backend when the call is made, read only when a policy that applies names such a key, and
re-read at once after a call through the gateway changes them.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourcetag
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from support.gateway import allow, client, error_of, make_user
from support.live import LiveServer

BLUE = {"StringEquals": {"aws:ResourceTag/team": "blue"}}


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def queue(server: LiveServer, **tags: str) -> str:
    return str(server.client("sqs").create_queue(QueueName=name("q"), tags=tags)["QueueUrl"])


def test_sqs_send_is_allowed_by_the_queue_tag(server: LiveServer) -> None:
    """A user allowed sqs:SendMessage only on queues tagged team=blue sends to the blue queue
    and is denied on an untagged one.

    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-abac-tagging-resource-control.html
    """
    blue, plain = queue(server, team="blue"), queue(server)
    user = make_user(server, name("sqs-abac"), allow("sqs:SendMessage", Condition=BLUE))
    sqs = client(server, "sqs", user.key)
    assert sqs.send_message(QueueUrl=blue, MessageBody="hello")["MessageId"]
    code, message, _ = error_of(lambda: sqs.send_message(QueueUrl=plain, MessageBody="x"))
    assert code == "AccessDenied"
    arn = f"arn:aws:sqs:us-east-1:{server.account_id}:{plain.rsplit('/', 1)[1]}"
    assert message == (
        f"User: {user.arn} is not authorized to perform: sqs:SendMessage on resource: {arn} "
        "because no identity-based policy allows the sqs:SendMessage action"
    )


def test_retagging_through_the_gateway_changes_the_decision_at_once(server: LiveServer) -> None:
    """TagQueue and UntagQueue through the gateway drop the cached tags: the very next call
    is decided on the new ones (the cache would otherwise keep them for 30 seconds)."""
    url = queue(server)
    user = make_user(server, name("sqs-retag"), allow("sqs:SendMessage", Condition=BLUE))
    sqs = client(server, "sqs", user.key)
    root = server.client("sqs")
    assert error_of(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))[0] == "AccessDenied"
    root.tag_queue(QueueUrl=url, Tags={"team": "blue"})
    assert sqs.send_message(QueueUrl=url, MessageBody="now")["MessageId"]
    root.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert error_of(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))[0] == "AccessDenied"


def test_a_deny_on_a_resource_tag_applies(server: LiveServer) -> None:
    """An explicit Deny conditioned on the resource's tag overrides an Allow of everything."""
    prod, dev = queue(server, env="prod"), queue(server, env="dev")
    user = make_user(
        server,
        name("sqs-deny"),
        allow("sqs:*"),
        {
            "Effect": "Deny",
            "Action": "sqs:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}},
        },
    )
    sqs = client(server, "sqs", user.key)
    assert sqs.send_message(QueueUrl=dev, MessageBody="x")["MessageId"]
    code, message, _ = error_of(lambda: sqs.send_message(QueueUrl=prod, MessageBody="x"))
    assert code == "AccessDenied" and "with an explicit deny in an identity-based policy" in message


def test_dynamodb_items_follow_the_table_tag(server: LiveServer) -> None:
    """PutItem and GetItem on a table tagged team=blue; a table tagged red is refused, until
    TagResource (which names the table by ARN) retags it through the gateway.

    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/abac-example-use-cases.html
    """
    root = server.client("dynamodb")
    tables = {}
    for team in ("blue", "red"):
        table = name(f"table-{team}")
        tables[team] = root.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": "team", "Value": team}],
        )["TableDescription"]
    user = make_user(
        server,
        name("ddb-abac"),
        allow(["dynamodb:PutItem", "dynamodb:GetItem"], Condition=BLUE),
    )
    ddb = client(server, "dynamodb", user.key)
    blue, red = tables["blue"]["TableName"], tables["red"]["TableName"]
    ddb.put_item(TableName=blue, Item={"id": {"S": "1"}, "v": {"S": "one"}})
    assert ddb.get_item(TableName=blue, Key={"id": {"S": "1"}})["Item"]["v"] == {"S": "one"}
    code, message, status = error_of(lambda: ddb.put_item(TableName=red, Item={"id": {"S": "1"}}))
    assert (code, status) == ("AccessDeniedException", 400) and "dynamodb:PutItem" in message
    root.tag_resource(
        ResourceArn=tables["red"]["TableArn"], Tags=[{"Key": "team", "Value": "blue"}]
    )
    ddb.put_item(TableName=red, Item={"id": {"S": "2"}})
    assert ddb.get_item(TableName=red, Key={"id": {"S": "2"}})["Item"]["id"] == {"S": "2"}


def test_sns_publish_follows_the_topic_tag(server: LiveServer) -> None:
    """sns:Publish on a topic tagged team=blue; another topic is AuthorizationError.

    https://docs.aws.amazon.com/sns/latest/dg/sns-using-identity-based-policies.html
    """
    root = server.client("sns")
    blue = root.create_topic(Name=name("blue"), Tags=[{"Key": "team", "Value": "blue"}])
    plain = root.create_topic(Name=name("plain"))
    user = make_user(server, name("sns-abac"), allow("sns:Publish", Condition=BLUE))
    sns = client(server, "sns", user.key)
    assert sns.publish(TopicArn=blue["TopicArn"], Message="hi")["MessageId"]
    code, message, status = error_of(lambda: sns.publish(TopicArn=plain["TopicArn"], Message="x"))
    assert (code, status) == ("AuthorizationError", 403) and plain["TopicArn"] in message


def test_cloudwatch_logs_group_tag(server: LiveServer) -> None:
    """logs:PutRetentionPolicy on a log group tagged team=blue (read with
    ListTagsForResource); an untagged group is refused. (KMS keys are left out here: without
    a key policy from the backend, iamd's gateway lets only root use a key.)

    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
    """
    root = server.client("logs")
    blue, plain = f"/app/{name('blue')}", f"/app/{name('plain')}"
    root.create_log_group(logGroupName=blue, tags={"team": "blue"})
    root.create_log_group(logGroupName=plain)
    user = make_user(server, name("logs-abac"), allow("logs:PutRetentionPolicy", Condition=BLUE))
    logs = client(server, "logs", user.key)
    logs.put_retention_policy(logGroupName=blue, retentionInDays=7)
    code, message, _ = error_of(
        lambda: logs.put_retention_policy(logGroupName=plain, retentionInDays=7)
    )
    assert code == "AccessDeniedException" and f"log-group:{plain}" in message


def test_secrets_manager_own_resource_tag_key(server: LiveServer) -> None:
    """``secretsmanager:ResourceTag/<key>`` (the service's own key, as the catalog lists it)
    holds the secret's tag, whether the secret is named by name or by its full ARN.

    https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access-abac.html
    """
    root = server.client("secretsmanager")
    tagged = root.create_secret(
        Name=name("tagged"), SecretString="s3cret", Tags=[{"Key": "team", "Value": "blue"}]
    )
    plain = root.create_secret(Name=name("plain"), SecretString="other")
    user = make_user(
        server,
        name("secrets-abac"),
        allow(
            "secretsmanager:GetSecretValue",
            Condition={"StringEquals": {"secretsmanager:ResourceTag/team": "blue"}},
        ),
    )
    secrets = client(server, "secretsmanager", user.key)
    assert secrets.get_secret_value(SecretId=tagged["Name"])["SecretString"] == "s3cret"
    assert secrets.get_secret_value(SecretId=tagged["ARN"])["SecretString"] == "s3cret"
    code, _, status = error_of(lambda: secrets.get_secret_value(SecretId=plain["Name"]))
    assert (code, status) == ("AccessDeniedException", 400)


def test_no_tag_read_unless_a_policy_names_a_resource_tag(server: LiveServer) -> None:
    """The gateway asks the backend for tags only for a caller whose policies name a
    resource-tag key; a cached answer is reused until a change passes through."""
    url = queue(server, team="blue")
    tags = server.app.gateway.resource_tags  # type: ignore[union-attr]
    plain_user = make_user(server, name("sqs-plain"), allow("sqs:SendMessage"))
    plain = client(server, "sqs", plain_user.key)
    before = tags.reads
    for _ in range(3):
        plain.send_message(QueueUrl=url, MessageBody="x")
    assert tags.reads == before
    abac_user = make_user(server, name("sqs-abac2"), allow("sqs:SendMessage", Condition=BLUE))
    abac = client(server, "sqs", abac_user.key)
    for _ in range(3):
        abac.send_message(QueueUrl=url, MessageBody="x")
    assert tags.reads == before + 1  # read once, then from the cache


def test_unreadable_tags_deny_and_log(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """When the backend fails to say what a resource's tags are, no condition on them
    matches (fail closed): an Allow on a tag does not apply, and a call that only a Deny on a
    tag could refuse is refused all the same, naming the reason. A warning is logged; the
    server goes on answering."""
    url = queue(server, team="blue")
    allowed = make_user(server, name("sqs-outage"), allow("sqs:SendMessage", Condition=BLUE))
    guarded = make_user(
        server,
        name("sqs-outage-deny"),
        allow("sqs:SendMessage"),
        {
            "Effect": "Deny",
            "Action": "sqs:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}},
        },
    )
    tags = server.app.gateway.resource_tags  # type: ignore[union-attr]

    async def failing(*_: Any) -> Any:
        raise ConnectionResetError("the backend closed the connection")

    monkeypatch.setattr(tags, "_call", failing)
    with caplog.at_level(logging.WARNING, logger="iamd.gateway"):
        by_allow = error_of(
            lambda: client(server, "sqs", allowed.key).send_message(QueueUrl=url, MessageBody="x")
        )
        by_deny = error_of(
            lambda: client(server, "sqs", guarded.key).send_message(QueueUrl=url, MessageBody="x")
        )
    assert by_allow[0] == "AccessDenied"
    assert "because no identity-based policy allows the sqs:SendMessage action" in by_allow[1]
    assert by_deny[0] == "AccessDenied"
    assert "because iamd could not read the resource's tags from the backend" in by_deny[1]
    assert any("could not read the tags of" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    for user in (allowed, guarded):
        assert client(server, "sqs", user.key).send_message(QueueUrl=url, MessageBody="x")
