# ruff: noqa: N818  (error classes carry AWS's own error-code names)
"""Access Analyzer's errors: the codes and statuses of botocore's ``accessanalyzer`` model.

Unlike IAM's query errors, these carry members beyond the message (``reason`` and
``fieldList`` on ValidationException, ``resourceId`` and ``resourceType`` on the not-found,
conflict and quota errors); they travel in :attr:`AWSError.fields`.
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/CommonErrors.html
"""

from __future__ import annotations

from iamd.errors import AWSError, SenderError


class ValidationException(SenderError):
    """``reason`` is one of unknownOperation, cannotParse, fieldValidationFailed, other,
    notSupported, serviceQuotaExceeded."""

    code = "ValidationException"

    def __init__(
        self, message: str, *, reason: str = "fieldValidationFailed", field: str | None = None
    ) -> None:
        super().__init__(message)
        fields: dict[str, object] = {"reason": reason}
        if field is not None:
            fields["fieldList"] = [{"name": field, "message": message}]
        self.fields = fields


class _ResourceError(SenderError):
    def __init__(self, message: str, *, resource_id: str, resource_type: str) -> None:
        super().__init__(message)
        self.fields = {"resourceId": resource_id, "resourceType": resource_type}


class ResourceNotFoundException(_ResourceError):
    code = "ResourceNotFoundException"
    status = 404


class ConflictException(_ResourceError):
    code = "ConflictException"
    status = 409


class ServiceQuotaExceededException(_ResourceError):
    code = "ServiceQuotaExceededException"
    status = 402


class AccessDeniedException(SenderError):
    code = "AccessDeniedException"
    status = 403


class InvalidParameterException(SenderError):
    code = "InvalidParameterException"


class UnprocessableEntityException(SenderError):
    code = "UnprocessableEntityException"
    status = 422


class InternalServerException(AWSError):
    code = "InternalServerException"
    status = 500
