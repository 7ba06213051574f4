"""Errors that reach a client, in AWS's terms: a code, a message, an HTTP status, and whether
the fault is the sender's.  Every layer raises these; only the protocol layer turns them into
bytes (XML for the query protocol, JSON for the json protocols).

Codes and statuses are AWS's own; where a service model (botocore) declares an error shape, its
status wins (see ``iamd.protocol``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class AWSError(Exception):
    """Base class: subclasses fix ``code`` and ``status``; a message is always given."""

    code = "InternalFailure"
    status = 500
    sender = False
    fields: Mapping[str, object] = MappingProxyType({})
    """Further members of the error shape beyond ``message`` (Access Analyzer's ``reason``,
    ``fieldList``, ``resourceId``, ``resourceType``): JSON error bodies carry them."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        sender: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if sender is not None:
            self.sender = sender

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}: {self.message})"


class SenderError(AWSError):
    status = 400
    sender = True


class ValidationError(SenderError):
    code = "ValidationError"


class InvalidInput(SenderError):
    code = "InvalidInput"


class MalformedPolicyDocument(SenderError):
    code = "MalformedPolicyDocument"


class InvalidAction(SenderError):
    code = "InvalidAction"


class MissingAction(SenderError):
    code = "MissingAction"


class NoSuchEntity(SenderError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(SenderError):
    code = "EntityAlreadyExists"
    status = 409


class DeleteConflict(SenderError):
    code = "DeleteConflict"
    status = 409


class LimitExceeded(SenderError):
    code = "LimitExceeded"
    status = 409


class UnmodifiableEntity(SenderError):
    code = "UnmodifiableEntity"


class AccessDenied(SenderError):
    code = "AccessDenied"
    status = 403


class MissingAuthenticationToken(SenderError):
    code = "MissingAuthenticationToken"
    status = 403


class InvalidClientTokenId(SenderError):
    code = "InvalidClientTokenId"
    status = 403


class SignatureDoesNotMatch(SenderError):
    code = "SignatureDoesNotMatch"
    status = 403


class IncompleteSignature(SenderError):
    code = "IncompleteSignature"
    status = 400


class ExpiredToken(SenderError):
    code = "ExpiredToken"
    status = 400


class PackedPolicyTooLarge(SenderError):
    code = "PackedPolicyTooLarge"


class InvalidIdentityToken(SenderError):
    code = "InvalidIdentityToken"


class ExpiredTokenException(SenderError):
    """STS's code for an expired web identity or SAML token (not for session credentials)."""

    code = "ExpiredTokenException"


class IDPRejectedClaim(SenderError):
    code = "IDPRejectedClaim"
    status = 403


class IDPCommunicationError(SenderError):
    code = "IDPCommunicationError"


class InvalidAuthorizationMessage(SenderError):
    code = "InvalidAuthorizationMessageException"


class NotImplementedOperation(AWSError):
    """An operation of the service model that iamd does not implement (yet)."""

    code = "NotImplemented"
    status = 501
    sender = False


class ServiceFailure(AWSError):
    code = "ServiceFailure"
    status = 500
