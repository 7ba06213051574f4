"""Operations whose checks are not one action on one named resource.

AWS authorizes these as the calls they stand for, not by an action of their own name:

- SQS and SNS batches need the action of the single call, on the queue or topic
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html,
  https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html).
- A DynamoDB batch needs its action on every table it names; a transaction needs, for each item,
  the action of the single-item call (``ConditionCheck`` is ``dynamodb:ConditionCheckItem``)
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
- A PartiQL statement needs ``dynamodb:PartiQL{Select,Insert,Update,Delete}`` by its verb, on
  the table (or, for a SELECT, the index) it names
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html). A statement
  whose verb or table iamd cannot read is not mapped, so it is denied rather than guessed at.
- KMS ReEncrypt is authorized twice: ``kms:ReEncryptFrom`` on the source key and
  ``kms:ReEncryptTo`` on the destination key
  (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html).
- Lambda's GetLayerVersionByArn is ``lambda:GetLayerVersion`` on the layer version
  (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html).

A rule only reads the request; :mod:`iamd.gateway.generic` turns what it needs into ARNs the
way it does for every other operation (the caller's Region and account, the catalog's formats).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from iamd.gateway.s3_actions import UnmappedOperationError


@dataclass(frozen=True, slots=True)
class Need:
    """One check an operation needs."""

    action: str
    resource: str | tuple[str, ...] | None = None
    """A name or an ARN; a tuple of names fills the ARN format's variables in order
    (``("orders", "by-date")`` for an index); ``"*"`` is any resource; None is the resource
    the request names, found as for any operation (``QueueUrl``, ``TopicArn``)."""
    resource_type: str | None = None
    """The catalog's resource type the names are of, when not the action's one required type."""


@dataclass(frozen=True, slots=True)
class Rule:
    actions: frozenset[str]
    """Every action the rule can ask for (so the catalog can vouch for each one up front)."""
    needs: Callable[[dict[str, Any]], list[Need]]


def _same(action: str) -> Rule:
    """The batch version of a call: that call's action on the resource the request names."""
    return Rule(frozenset({action}), lambda params: [Need(action)])


def _dicts(value: Any) -> Iterable[dict[str, Any]]:
    return (item for item in value if isinstance(item, dict)) if isinstance(value, list) else ()


def _table(item: Any) -> str:
    """The ``TableName`` (a name or an ARN) of one request item; ``*`` when it names none."""
    name = item.get("TableName") if isinstance(item, dict) else None
    return name if isinstance(name, str) and name else "*"


def _batch(action: str) -> Rule:
    def needs(params: dict[str, Any]) -> list[Need]:
        items = params.get("RequestItems")
        tables = [t for t in items if isinstance(t, str)] if isinstance(items, dict) else []
        return [Need(action, table) for table in tables]

    return Rule(frozenset({action}), needs)


def _transact_get(params: dict[str, Any]) -> list[Need]:
    return [
        Need("dynamodb:GetItem", _table(item.get("Get")))
        for item in _dicts(params.get("TransactItems"))
    ]


_WRITES = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def _transact_write(params: dict[str, Any]) -> list[Need]:
    out: list[Need] = []
    for item in _dicts(params.get("TransactItems")):
        kinds = [kind for kind in item if kind in _WRITES]
        if not kinds:
            raise UnmappedOperationError(
                "a TransactWriteItems item that is none of Put, Update, Delete, ConditionCheck"
            )
        out.extend(Need(_WRITES[kind], _table(item[kind])) for kind in kinds)
    return out


# PartiQL ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        "(?P<quoted>(?:[^"]|"")*)"        # "identifier", "" escaping a quote
      | '(?P<string>(?:[^']|'')*)'        # 'string literal'
      | (?P<word>[A-Za-z_][A-Za-z0-9_$]*) # keyword or bare identifier
      | (?P<other>\S)                     # anything else, one character at a time
    )""",
    re.VERBOSE,
)

_VERBS = {
    "SELECT": "dynamodb:PartiQLSelect",
    "INSERT": "dynamodb:PartiQLInsert",
    "UPDATE": "dynamodb:PartiQLUpdate",
    "DELETE": "dynamodb:PartiQLDelete",
}
_AFTER_TARGET = {
    # What may follow the table in each statement
    # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.statements.html);
    # anything else is a statement iamd would be guessing about.
    "SELECT": {"WHERE", "ORDER"},
    "INSERT": {"VALUE"},
    "UPDATE": {"SET", "REMOVE", "WHERE", "RETURNING"},
    "DELETE": {"WHERE", "RETURNING"},
}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # quoted, string, word or other
    text: str

    def keyword(self) -> str | None:
        return self.text.upper() if self.kind == "word" else None


def _tokens(statement: str) -> list[_Token]:
    out = []
    position = 0
    while position < len(statement):
        found = _TOKEN.match(statement, position)
        if found is None:  # only trailing white space is left
            break
        kind = found.lastgroup
        assert kind is not None
        text = found.group(kind)
        out.append(_Token(kind, text.replace('""', '"') if kind == "quoted" else text))
        position = found.end()
    return out


def _unreadable(statement: str, why: str) -> UnmappedOperationError:
    shown = statement if len(statement) <= 80 else statement[:77] + "..."
    return UnmappedOperationError(f"the PartiQL statement {shown!r} ({why})")


def _target(tokens: list[_Token], at: int | None) -> tuple[list[str], int] | None:
    """The dotted name at ``at`` (``"orders"``, ``orders``, ``"orders"."by-date"``) and where
    it ends; None when there is none."""
    names: list[str] = []
    while at is not None:
        if at >= len(tokens) or tokens[at].kind not in ("quoted", "word") or not tokens[at].text:
            return None
        names.append(tokens[at].text)
        at += 1
        if at < len(tokens) and tokens[at].kind == "other" and tokens[at].text == ".":
            at += 1
            continue
        return names, at
    return None


def _statement(statement: Any) -> Need:
    """The action and the table (or index) of one PartiQL statement."""
    if not isinstance(statement, str):
        raise UnmappedOperationError("a PartiQL request without a statement")
    tokens = _tokens(statement)
    verb = tokens[0].keyword() if tokens else None
    if verb is None or verb not in _VERBS:
        raise _unreadable(statement, "no SELECT, INSERT, UPDATE or DELETE iamd can read")
    start: int | None
    if verb == "SELECT":
        at = next((n for n, t in enumerate(tokens) if t.keyword() == "FROM"), None)
        start = None if at is None else at + 1
    elif verb == "UPDATE":
        start = 1
    else:
        introducer = "INTO" if verb == "INSERT" else "FROM"
        start = 2 if len(tokens) > 1 and tokens[1].keyword() == introducer else None
    found = _target(tokens, start)
    if found is not None:
        names, end = found
        if end == len(tokens) or tokens[end].keyword() in _AFTER_TARGET[verb]:
            if len(names) == 1:
                return Need(_VERBS[verb], names[0])
            # Only a SELECT reads an index; an index of a table named by ARN has no name to
            # fill the index's ARN format with.
            if len(names) == 2 and verb == "SELECT" and not names[0].startswith("arn:"):
                return Need(_VERBS[verb], (names[0], names[1]), "index")
    raise _unreadable(statement, "no table iamd can read")


def _execute_statement(params: dict[str, Any]) -> list[Need]:
    return [_statement(params.get("Statement"))]


def _statements(member: str) -> Callable[[dict[str, Any]], list[Need]]:
    def needs(params: dict[str, Any]) -> list[Need]:
        return [_statement(item.get("Statement")) for item in _dicts(params.get(member))]

    return needs


# KMS and Lambda ---------------------------------------------------------------------------


def _key(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    return value if isinstance(value, str) and value else "*"


def _re_encrypt(params: dict[str, Any]) -> list[Need]:
    # Without SourceKeyId the source key is the one inside the ciphertext, which only the
    # backend can read: "*" until the backend has said which key it was.
    return [
        Need("kms:ReEncryptFrom", _key(params, "SourceKeyId")),
        Need("kms:ReEncryptTo", _key(params, "DestinationKeyId")),
    ]


def _layer_version(params: dict[str, Any]) -> list[Need]:
    arn = params.get("Arn")
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise UnmappedOperationError("a GetLayerVersionByArn request without a layer version ARN")
    return [Need("lambda:GetLayerVersion", arn)]


_PARTIQL = frozenset(_VERBS.values())

RULES: dict[tuple[str, str], Rule] = {
    ("sqs", "SendMessageBatch"): _same("sqs:SendMessage"),
    ("sqs", "DeleteMessageBatch"): _same("sqs:DeleteMessage"),
    ("sqs", "ChangeMessageVisibilityBatch"): _same("sqs:ChangeMessageVisibility"),
    ("sns", "PublishBatch"): _same("sns:Publish"),
    ("dynamodb", "BatchGetItem"): _batch("dynamodb:BatchGetItem"),
    ("dynamodb", "BatchWriteItem"): _batch("dynamodb:BatchWriteItem"),
    ("dynamodb", "TransactGetItems"): Rule(frozenset({"dynamodb:GetItem"}), _transact_get),
    ("dynamodb", "TransactWriteItems"): Rule(frozenset(_WRITES.values()), _transact_write),
    ("dynamodb", "ExecuteStatement"): Rule(_PARTIQL, _execute_statement),
    ("dynamodb", "BatchExecuteStatement"): Rule(_PARTIQL, _statements("Statements")),
    ("dynamodb", "ExecuteTransaction"): Rule(_PARTIQL, _statements("TransactStatements")),
    ("kms", "ReEncrypt"): Rule(frozenset({"kms:ReEncryptFrom", "kms:ReEncryptTo"}), _re_encrypt),
    ("lambda", "GetLayerVersionByArn"): Rule(frozenset({"lambda:GetLayerVersion"}), _layer_version),
}
"""(IAM prefix, operation) -> what the operation needs."""
