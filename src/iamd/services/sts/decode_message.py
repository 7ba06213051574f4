"""DecodeAuthorizationMessage, and the encoded authorization messages iamd itself issues.

https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html

Some AWS services (EC2 above all) answer a denied request with an opaque "encoded
authorization failure message": the details of the decision (which statement denied, the
request context) are privileged, so only a principal allowed ``sts:DecodeAuthorizationMessage``
may read them.  iamd's gateway can do the same with :func:`encode_authorization_message`: the
message is sealed (AES-256-GCM) under a server key of purpose ``authz-message`` kept with the
session-token keys, bound to the account it was issued in, and opened only by this operation.

The decoded document has the shape AWS returns, as shown in the AWS CLI's example:
https://github.com/aws/aws-cli/blob/develop/awscli/examples/sts/decode-authorization-message.rst
``{"allowed", "explicitDeny", "matchedStatements": {"items": [...]}, "failures": {"items": []},
"context": {"principal": {"id", "arn"}, "action", "resource", "conditions": {"items": [...]}}}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import struct
import threading
import weakref
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from iamd.auth.key_ring import KeyRing
from iamd.errors import InvalidAuthorizationMessage
from iamd.policy import Decision, Outcome, Policy, Request, Statement
from iamd.policy.decision import StatementRef
from iamd.services.call import Call
from iamd.services.registry import Target
from iamd.services.sts.common import REGISTRY
from iamd.store import Store, Tx

PURPOSE = "authz-message"
MAX_ENCODED = 10_240
"""encodedMessageType's maximum length in the STS service model."""
_VERSION = 1
INVALID = "The encoded authorization message is invalid."

ContextValue = str | Sequence[str]


_rings: weakref.WeakKeyDictionary[Store, KeyRing] = weakref.WeakKeyDictionary()
_rings_lock = threading.Lock()


def message_keys(store: Store) -> KeyRing:
    """The one :class:`KeyRing` of ``store`` in this process."""
    with _rings_lock:
        keys = _rings.get(store)
        if keys is None:
            keys = _rings[store] = KeyRing(store, PURPOSE)
        return keys


# The document ---------------------------------------------------------------------------


def _items(values: Iterable[str]) -> dict[str, list[dict[str, str]]]:
    return {"items": [{"value": v} for v in values]}


def _condition_items(context: Mapping[str, ContextValue]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, value in context.items():
        values = [value] if isinstance(value, str) else list(value)
        out.append({"key": key, "values": _items(values)})
    return out


def _statement_item(
    ref: StatementRef, statement: Statement | None, principal_id: str
) -> dict[str, Any]:
    actions: Sequence[str] = ()
    resources: Sequence[str] = ()
    conditions: list[dict[str, Any]] = []
    if statement is not None:
        actions = statement.action or ()
        resources = statement.resource or ()
        conditions = [{"key": c.key, "values": _items(c.values)} for c in statement.conditions]
    return {
        "statementId": ref.sid or "",
        "effect": ref.effect.value.upper(),
        "principals": _items([principal_id.split(":", 1)[0]] if principal_id else []),
        "principalGroups": _items([]),
        "actions": _items(actions),
        "resources": _items(resources),
        "conditions": {"items": conditions},
    }


def authorization_document(
    decision: Decision,
    request: Request,
    *,
    principal_id: str = "",
    context: Mapping[str, ContextValue] | None = None,
    policies: Iterable[Policy] = (),
) -> dict[str, Any]:
    """The decoded form of a decision, in AWS's shape.

    ``context`` gives the condition keys with their original case (``request.context`` holds
    them lower-cased); ``policies`` lets the matched statements list their actions and
    resources.
    """
    by_name = {p.name: p for p in policies}

    def statement_of(ref: StatementRef) -> Statement | None:
        policy = by_name.get(ref.policy_name)
        if policy is None or not 0 <= ref.index < len(policy.statements):
            return None
        return policy.statements[ref.index]

    action = request.action.split(":", 1)[-1]
    return {
        "allowed": decision.allowed,
        "explicitDeny": decision.outcome is Outcome.EXPLICIT_DENY,
        "matchedStatements": {
            "items": [
                _statement_item(ref, statement_of(ref), principal_id) for ref in decision.statements
            ]
        },
        "failures": {"items": []},
        "context": {
            "principal": {"id": principal_id, "arn": request.principal.arn},
            "action": action,
            "resource": request.resource,
            "conditions": {
                "items": _condition_items(context if context is not None else request.context)
            },
        },
    }


# Sealing ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def seal_document(keys: KeyRing, document: Mapping[str, Any], account_id: str) -> str:
    """The encoded message: url-safe base 64 of a version, the key id, a nonce and the
    AES-GCM sealed, compressed document, bound to ``account_id``."""
    key_id, key = keys.current()
    key_bytes = key_id.encode()
    header = struct.pack(">BB", _VERSION, len(key_bytes)) + key_bytes
    payload = zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 9)
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, payload, header + account_id.encode())
    return _b64(header + nonce + sealed)


def open_document(keys: KeyRing, message: str, account_id: str) -> str:
    """The decoded JSON text of ``message``, or AWS's InvalidAuthorizationMessageException."""
    try:
        raw = base64.urlsafe_b64decode(message + "=" * (-len(message) % 4))
    except (binascii.Error, ValueError):
        raise InvalidAuthorizationMessage(INVALID) from None
    if len(raw) < 2 or raw[0] != _VERSION or len(raw) < 2 + raw[1] + 12 + 16:
        raise InvalidAuthorizationMessage(INVALID)
    length = raw[1]
    header = raw[: 2 + length]
    key = keys.get(header[2:].decode("ascii", "replace"))
    if key is None:
        raise InvalidAuthorizationMessage(INVALID)
    rest = raw[2 + length :]
    try:
        payload = AESGCM(key).decrypt(rest[:12], rest[12:], header + account_id.encode())
        return zlib.decompress(payload).decode()
    except (InvalidTag, ValueError, zlib.error, UnicodeDecodeError):
        raise InvalidAuthorizationMessage(INVALID) from None


def encode_authorization_message(
    store: Store,
    decision: Decision,
    request: Request,
    *,
    account_id: str,
    principal_id: str = "",
    context: Mapping[str, ContextValue] | None = None,
    policies: Iterable[Policy] = (),
) -> str:
    """An encoded authorization message for a decision, for a service's AccessDenied answer.

    ``account_id`` is the account of the caller who receives the message: only principals of
    that account can decode it.  Where the full context would not fit STS's 10240-character
    limit, the condition keys are left out.
    """
    document = authorization_document(
        decision, request, principal_id=principal_id, context=context, policies=policies
    )
    keys = message_keys(store)
    encoded = seal_document(keys, document, account_id)
    if len(encoded) > MAX_ENCODED:
        document["context"]["conditions"] = {"items": []}
        encoded = seal_document(keys, document, account_id)
    return encoded


# The operation ---------------------------------------------------------------------------


def _target(call: Call, tx: Tx) -> Target:
    # sts:DecodeAuthorizationMessage has no resource type: the policy names "*".
    return Target("*")


@REGISTRY.operation("DecodeAuthorizationMessage", target=_target)
def decode_authorization_message(call: Call) -> dict[str, Any]:
    message = call.params["EncodedMessage"]
    decoded = open_document(message_keys(call.store), message, call.caller.account_id)
    return {"DecodedMessage": decoded}
