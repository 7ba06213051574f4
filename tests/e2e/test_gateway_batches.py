"""Batches and transactions through the gateway: each is authorized as the calls it stands for,
on every queue, topic, table or key it touches, so a policy scoped to one resource governs the
batch as it governs the single call.

https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html
https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html
"""

from __future__ import annotations

import uuid
from typing import Any

from support.gateway import allow, client, error_of, make_user
from support.live import LiveServer


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def tables(server: LiveServer, count: int) -> list[tuple[str, str]]:
    """``count`` new tables, as (name, ARN)."""
    root = server.client("dynamodb")
    out = []
    for _ in range(count):
        table = name("table")
        root.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        out.append((table, f"arn:aws:dynamodb:us-east-1:{server.account_id}:table/{table}"))
    return out


def denial(user_arn: str, action: str, resource: str) -> str:
    return (
        f"User: {user_arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def test_send_message_batch_needs_send_message_on_the_queue(server: LiveServer) -> None:
    """SendMessage grants SendMessageBatch on the same queue, and only there.
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html
    """
    root = server.client("sqs")
    mine, other = name("jobs"), name("other")
    mine_url = root.create_queue(QueueName=mine)["QueueUrl"]
    other_url = root.create_queue(QueueName=other)["QueueUrl"]
    arn = f"arn:aws:sqs:us-east-1:{server.account_id}:{mine}"
    user = make_user(server, name("producer"), allow("sqs:SendMessage", arn))
    sqs = client(server, "sqs", user.key)
    entries = [{"Id": "1", "MessageBody": "one"}, {"Id": "2", "MessageBody": "two"}]
    sent = sqs.send_message_batch(QueueUrl=mine_url, Entries=entries)
    assert sorted(s["Id"] for s in sent["Successful"]) == ["1", "2"]
    code, message, _ = error_of(lambda: sqs.send_message_batch(QueueUrl=other_url, Entries=entries))
    assert code == "AccessDenied"
    assert f"sqs:SendMessage on resource: arn:aws:sqs:us-east-1:{server.account_id}:{other}" in (
        message
    )


def test_publish_batch_needs_publish_on_the_topic(server: LiveServer) -> None:
    """sns:Publish grants both Publish and PublishBatch to a topic.
    https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html
    """
    root = server.client("sns")
    topic = root.create_topic(Name=name("alerts"))["TopicArn"]
    other = root.create_topic(Name=name("other"))["TopicArn"]
    user = make_user(server, name("publisher"), allow("sns:Publish", topic))
    sns = client(server, "sns", user.key)
    entries = [{"Id": "1", "Message": "one"}, {"Id": "2", "Message": "two"}]
    published = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
    assert sorted(p["Id"] for p in published["Successful"]) == ["1", "2"]
    code, message, status = error_of(
        lambda: sns.publish_batch(TopicArn=other, PublishBatchRequestEntries=entries)
    )
    assert (code, status) == ("AuthorizationError", 403)
    assert f"sns:Publish on resource: {other}" in message


def test_batch_write_item_needs_every_table(server: LiveServer) -> None:
    """BatchWriteItem needs dynamodb:BatchWriteItem on each table in RequestItems: a grant on
    one table does not let a batch write to another.
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
    """
    (first, first_arn), (second, second_arn) = tables(server, 2)

    def put(key: str) -> Any:
        return {"PutRequest": {"Item": {"id": {"S": key}}}}

    items = {first: [put("a")], second: [put("b")]}
    one = make_user(server, name("writer"), allow("dynamodb:BatchWriteItem", first_arn))
    ddb = client(server, "dynamodb", one.key)
    assert ddb.batch_write_item(RequestItems={first: [put("a")]})["UnprocessedItems"] == {}
    assert error_of(lambda: ddb.batch_write_item(RequestItems=items)) == (
        "AccessDeniedException",
        denial(one.arn, "dynamodb:BatchWriteItem", second_arn),
        400,
    )
    both = make_user(
        server, name("writer"), allow("dynamodb:BatchWriteItem", [first_arn, second_arn])
    )
    ddb = client(server, "dynamodb", both.key)
    assert ddb.batch_write_item(RequestItems=items)["UnprocessedItems"] == {}
    read = server.client("dynamodb").get_item(TableName=second, Key={"id": {"S": "b"}})
    assert read["Item"]["id"] == {"S": "b"}


def test_transact_write_items_needs_each_items_action_on_its_table(server: LiveServer) -> None:
    """A Put in a transaction is governed by dynamodb:PutItem on the item's table, so a user
    who may put into one table cannot slip a write to another into a transaction.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
    """
    (first, first_arn), (second, second_arn) = tables(server, 2)
    transaction: Any = [
        {"Put": {"TableName": first, "Item": {"id": {"S": "a"}}}},
        {"Put": {"TableName": second, "Item": {"id": {"S": "b"}}}},
    ]
    one = make_user(server, name("writer"), allow("dynamodb:PutItem", first_arn))
    ddb = client(server, "dynamodb", one.key)
    assert error_of(lambda: ddb.transact_write_items(TransactItems=transaction)) == (
        "AccessDeniedException",
        denial(one.arn, "dynamodb:PutItem", second_arn),
        400,
    )
    both = make_user(server, name("writer"), allow("dynamodb:PutItem", [first_arn, second_arn]))
    client(server, "dynamodb", both.key).transact_write_items(TransactItems=transaction)
    root = server.client("dynamodb")
    assert root.get_item(TableName=first, Key={"id": {"S": "a"}})["Item"]
    assert root.get_item(TableName=second, Key={"id": {"S": "b"}})["Item"]


def test_execute_statement_select_needs_partiql_select_on_the_table(server: LiveServer) -> None:
    """A PartiQL SELECT is dynamodb:PartiQLSelect on the table it reads; GetItem does not
    grant it.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html
    """
    ((table, arn),) = tables(server, 1)
    server.client("dynamodb").put_item(TableName=table, Item={"id": {"S": "1"}, "v": {"S": "x"}})
    statement = f"SELECT * FROM \"{table}\" WHERE id = '1'"
    reader = make_user(server, name("reader"), allow("dynamodb:PartiQLSelect", arn))
    found = client(server, "dynamodb", reader.key).execute_statement(Statement=statement)
    assert found["Items"] == [{"id": {"S": "1"}, "v": {"S": "x"}}]
    other = make_user(server, name("reader"), allow("dynamodb:GetItem", arn))
    ddb = client(server, "dynamodb", other.key)
    assert error_of(lambda: ddb.execute_statement(Statement=statement)) == (
        "AccessDeniedException",
        denial(other.arn, "dynamodb:PartiQLSelect", arn),
        400,
    )


def test_re_encrypt_needs_from_on_the_source_and_to_on_the_destination(
    server: LiveServer,
) -> None:
    """ReEncrypt is authorized twice: kms:ReEncryptFrom on the source key and kms:ReEncryptTo
    on the destination key.
    https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html
    """
    root = server.client("kms")
    source = root.create_key()["KeyMetadata"]["Arn"]
    destination = root.create_key()["KeyMetadata"]["Arn"]
    blob = root.encrypt(KeyId=source, Plaintext=b"secret")["CiphertextBlob"]

    def re_encrypt(kms: Any) -> Any:
        return kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=source, DestinationKeyId=destination)

    both = make_user(
        server,
        name("rotator"),
        allow("kms:ReEncryptFrom", source),
        allow("kms:ReEncryptTo", destination),
    )
    answer = re_encrypt(client(server, "kms", both.key))
    assert (answer["SourceKeyId"], answer["KeyId"]) == (source, destination)
    assert root.decrypt(CiphertextBlob=answer["CiphertextBlob"])["Plaintext"] == b"secret"
    half = make_user(server, name("rotator"), allow("kms:ReEncryptFrom", source))
    code, message, status = error_of(lambda: re_encrypt(client(server, "kms", half.key)))
    assert (code, status) == ("AccessDeniedException", 400)
    assert f"kms:ReEncryptTo on resource: {destination}" in message
