"""Errors for bad input to the analyses.

The analysis layer does not know the wire protocol, so each error carries the name of the AWS
error a service handler should answer with (``code``) and AWS's message; the handler maps it
without having to guess.
"""

from __future__ import annotations


class AnalysisInputError(ValueError):
    """Input an analysis refuses: a malformed policy document or an invalid parameter."""

    code = "ValidationException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidPolicyDocumentError(AnalysisInputError):
    """The policy document is not JSON or not a policy AWS would accept for analysis."""

    code = "ValidationException"


class InvalidParameterError(AnalysisInputError):
    """A parameter other than the document is invalid (a type, an access list)."""

    code = "InvalidParameterException"
