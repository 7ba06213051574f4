"""Batches, transactions, PartiQL statements, KMS ReEncrypt and Lambda's GetLayerVersionByArn:
operations AWS authorizes as other actions, or as several checks, each on the resource it
touches rather than on ``*``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from iamd.catalog.actions import lookup_action
from iamd.gateway.compound import RULES
from iamd.gateway.generic import map_request
from iamd.gateway.s3_actions import UnmappedOperationError
from iamd.gateway.services import service_info

ACCOUNT = "111122223333"
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table"


def checks(service: str, operation: str | None = None, **request: Any) -> list[tuple[str, str]]:
    """The (action, resource) checks of a json request to ``operation``, or of a raw one."""
    info = service_info(service)
    assert info is not None
    headers: dict[str, str] = request.get("headers", {})
    body: bytes = request.get("body", b"")
    if operation is not None:
        prefix = {"dynamodb": "DynamoDB_20120810", "sqs": "AmazonSQS", "kms": "TrentService"}
        headers = {"x-amz-target": f"{prefix[service]}.{operation}"}
        body = json.dumps(request.get("params", {})).encode()
    mapped = map_request(
        info,
        request.get("method", "POST"),
        request.get("path", "/"),
        request.get("query", ""),
        headers,
        body,
        "eu-west-1",
        ACCOUNT,
    )
    return [(c.action, c.resource) for c in mapped.checks]


def test_every_action_a_rule_can_ask_for_is_in_the_catalog() -> None:
    """A rule naming an action the catalog lacks could never be granted."""
    for (prefix, operation), rule in RULES.items():
        assert rule.actions, operation
        for action in rule.actions:
            assert action.startswith(f"{prefix}:"), (operation, action)
            assert lookup_action(action) is not None, (operation, action)


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("SendMessageBatch", "sqs:SendMessage"),
        ("DeleteMessageBatch", "sqs:DeleteMessage"),
        ("ChangeMessageVisibilityBatch", "sqs:ChangeMessageVisibility"),
    ],
)
def test_sqs_batches_are_the_single_calls_action_on_the_queue(operation: str, action: str) -> None:
    """There are no batch actions: SendMessage, DeleteMessage and ChangeMessageVisibility
    grant their batch versions.
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html
    """
    params = {"QueueUrl": "http://backend/123456789012/jobs", "Entries": [{"Id": "1"}]}
    assert checks("sqs", operation, params=params) == [
        (action, f"arn:aws:sqs:eu-west-1:{ACCOUNT}:jobs")
    ]


def test_sns_publish_batch_is_publish_on_the_topic() -> None:
    """sns:Publish "grants permission to both publish and publish batch to a topic".
    https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html
    """
    topic = f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"
    body = urlencode(
        {
            "Action": "PublishBatch",
            "Version": "2010-03-31",
            "TopicArn": topic,
            "PublishBatchRequestEntries.member.1.Id": "1",
            "PublishBatchRequestEntries.member.1.Message": "hi",
        }
    ).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    assert checks("sns", headers=headers, body=body) == [("sns:Publish", topic)]


@pytest.mark.parametrize("operation", ["BatchGetItem", "BatchWriteItem"])
def test_dynamodb_batches_check_every_table_they_name(operation: str) -> None:
    """BatchGetItem and BatchWriteItem need their action on each table in RequestItems, which
    may be keyed by table name or table ARN.
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
    """
    foreign = "arn:aws:dynamodb:eu-west-1:444455556666:table/shared"
    params: dict[str, Any] = {"RequestItems": {"orders": {}, foreign: {}, f"{TABLE}/orders": {}}}
    assert checks("dynamodb", operation, params=params) == [
        (f"dynamodb:{operation}", f"{TABLE}/orders"),
        (f"dynamodb:{operation}", foreign),
    ]


def test_transact_get_items_is_get_item_on_each_table() -> None:
    """Get in a transaction is governed by dynamodb:GetItem.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
    """
    params = {
        "TransactItems": [
            {"Get": {"TableName": "orders", "Key": {}}},
            {"Get": {"TableName": "customers", "Key": {}}},
            {"Get": {"TableName": "orders", "Key": {}}},
        ]
    }
    assert checks("dynamodb", "TransactGetItems", params=params) == [
        ("dynamodb:GetItem", f"{TABLE}/orders"),
        ("dynamodb:GetItem", f"{TABLE}/customers"),
    ]


def test_transact_write_items_is_each_items_own_action() -> None:
    """Put, Update and Delete are governed by PutItem, UpdateItem and DeleteItem; ConditionCheck
    by dynamodb:ConditionCheckItem.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
    """
    params = {
        "TransactItems": [
            {"Put": {"TableName": "orders", "Item": {}}},
            {"Update": {"TableName": "stock", "Key": {}, "UpdateExpression": "SET n = n - :1"}},
            {"Delete": {"TableName": f"{TABLE}/carts", "Key": {}}},
            {"ConditionCheck": {"TableName": "customers", "Key": {}}},
            {"Put": {"TableName": "orders", "Item": {}}},
        ]
    }
    assert checks("dynamodb", "TransactWriteItems", params=params) == [
        ("dynamodb:PutItem", f"{TABLE}/orders"),
        ("dynamodb:UpdateItem", f"{TABLE}/stock"),
        ("dynamodb:DeleteItem", f"{TABLE}/carts"),
        ("dynamodb:ConditionCheckItem", f"{TABLE}/customers"),
    ]
    with pytest.raises(UnmappedOperationError):
        checks("dynamodb", "TransactWriteItems", params={"TransactItems": [{"Get": {}}]})


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ('SELECT * FROM "orders" WHERE id = ?', ("dynamodb:PartiQLSelect", f"{TABLE}/orders")),
        ("select a, b from orders", ("dynamodb:PartiQLSelect", f"{TABLE}/orders")),
        (
            'SELECT "from" FROM "orders"."by-date" WHERE d > \'FROM x\'',
            ("dynamodb:PartiQLSelect", f"{TABLE}/orders/index/by-date"),
        ),
        (
            "INSERT INTO \"my-table\" VALUE {'id': 'x'}",
            ("dynamodb:PartiQLInsert", f"{TABLE}/my-table"),
        ),
        (
            'UPDATE "orders" SET n = 1 WHERE id = ?',
            ("dynamodb:PartiQLUpdate", f"{TABLE}/orders"),
        ),
        (
            "DELETE FROM \"orders\" WHERE id = 'x' RETURNING ALL OLD *",
            ("dynamodb:PartiQLDelete", f"{TABLE}/orders"),
        ),
        (
            f'SELECT * FROM "{TABLE}/orders"',
            ("dynamodb:PartiQLSelect", f"{TABLE}/orders"),
        ),
    ],
)
def test_partiql_statement_is_its_verbs_action_on_its_table(
    statement: str, expected: tuple[str, str]
) -> None:
    """dynamodb:PartiQLSelect/Insert/Update/Delete on the table or index the statement names.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html
    """
    assert checks("dynamodb", "ExecuteStatement", params={"Statement": statement}) == [expected]


def test_batch_and_transaction_statements_are_checked_each() -> None:
    params = {
        "Statements": [
            {"Statement": 'SELECT * FROM "orders" WHERE id = ?'},
            {"Statement": 'SELECT * FROM "orders" WHERE id = ?'},
            {"Statement": 'DELETE FROM "carts" WHERE id = ?'},
        ]
    }
    assert checks("dynamodb", "BatchExecuteStatement", params=params) == [
        ("dynamodb:PartiQLSelect", f"{TABLE}/orders"),
        ("dynamodb:PartiQLDelete", f"{TABLE}/carts"),
    ]
    params = {
        "TransactStatements": [
            {"Statement": "INSERT INTO \"orders\" VALUE {'id': ?}"},
            {"Statement": 'UPDATE "stock" SET n = n - 1 WHERE id = ?'},
        ]
    }
    assert checks("dynamodb", "ExecuteTransaction", params=params) == [
        ("dynamodb:PartiQLInsert", f"{TABLE}/orders"),
        ("dynamodb:PartiQLUpdate", f"{TABLE}/stock"),
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "EXPLAIN SELECT * FROM orders",
        "SELECT 1",
        'SELECT * FROM "orders".',
        'SELECT * FROM "orders", "customers"',
        'SELECT * FROM "a"."b"."c"',
        'SELECT * FROM "unterminated',
        'INSERT "orders" VALUE {}',
        'UPDATE "orders"."by-date" SET a = 1',
        'DELETE FROM ""',
        "",
        None,
    ],
)
def test_a_statement_iamd_cannot_read_is_not_mapped(statement: str | None) -> None:
    """Guessing at a statement's table could authorize the wrong one: it is denied instead."""
    with pytest.raises(UnmappedOperationError, match="PartiQL"):
        checks("dynamodb", "ExecuteStatement", params={"Statement": statement})
    # One unreadable statement in a batch denies the whole batch.
    statements = [{"Statement": 'SELECT * FROM "orders"'}, {"Statement": statement}]
    with pytest.raises(UnmappedOperationError):
        checks("dynamodb", "BatchExecuteStatement", params={"Statements": statements})


def test_a_request_naming_no_table_is_not_mapped() -> None:
    """Zero checks would forward the request unauthorized."""
    for operation, params in [
        ("BatchWriteItem", {"RequestItems": {}}),
        ("TransactGetItems", {}),
        ("BatchExecuteStatement", {"Statements": []}),
    ]:
        with pytest.raises(UnmappedOperationError):
            checks("dynamodb", operation, params=params)


def test_re_encrypt_is_from_the_source_key_and_to_the_destination_key() -> None:
    """ReEncrypt is authorized twice: kms:ReEncryptFrom on the source key, kms:ReEncryptTo on
    the destination key. Without SourceKeyId, the source key is in the ciphertext: ``*`` here,
    the key once the backend has answered.
    https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html
    """
    key = "1234abcd-12ab-34cd-56ef-1234567890ab"
    other = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321"
    params = {"CiphertextBlob": "AA==", "SourceKeyId": key, "DestinationKeyId": other}
    assert checks("kms", "ReEncrypt", params=params) == [
        ("kms:ReEncryptFrom", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{key}"),
        ("kms:ReEncryptTo", other),
    ]
    params = {"CiphertextBlob": "AA==", "DestinationKeyId": "alias/archive"}
    assert checks("kms", "ReEncrypt", params=params) == [
        ("kms:ReEncryptFrom", "*"),
        # An alias is resolved to its key by the gateway, as for any KeyId.
        ("kms:ReEncryptTo", f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/alias/archive"),
    ]


def test_get_layer_version_by_arn_is_get_layer_version() -> None:
    """The reference's lambda:GetLayerVersion "also supports GetLayerVersionByArn API"; the
    request is the ListLayers path with ``find=LayerVersion``.
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
    https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersionByArn.html
    """
    layer = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:shared-libs:3"
    query = urlencode({"find": "LayerVersion", "Arn": layer})
    assert checks("lambda", method="GET", path="/2018-10-31/layers", query=query) == [
        ("lambda:GetLayerVersion", layer)
    ]
    assert checks("lambda", method="GET", path="/2018-10-31/layers") == [("lambda:ListLayers", "*")]
    with pytest.raises(UnmappedOperationError):
        checks("lambda", method="GET", path="/2018-10-31/layers", query="find=LayerVersion")
