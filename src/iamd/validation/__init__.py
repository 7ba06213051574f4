"""``iamd policy validate``: a policy linter with IAM Access Analyzer's issue codes.

Front door::

    from iamd.validation import validate_policy
    findings = validate_policy(text, PolicyKind.IDENTITY)

Pipeline: the text is decoded and loaded as JSON (a syntax error is the only finding), indexed
for positions (:mod:`.positions`), parsed by :func:`iamd.policy.parse_policy` (its errors become
ERROR findings, :mod:`.parse_errors`), and then every check in :mod:`.checks` runs on the
statements that parsed.  Each finding carries a JSON pointer and, given text, a line/column span.
Rendering (text, JSON, SARIF) is in :mod:`.formats`.

Imports :mod:`iamd.policy` and :mod:`iamd.catalog` only.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from iamd.validation.codes import CODES, IssueCode
from iamd.validation.findings import Finding, FindingType, Position, Span
from iamd.validation.validator import validate_document, validate_policy

__all__ = [
    "CODES",
    "Finding",
    "FindingType",
    "IssueCode",
    "Position",
    "Span",
    "validate_document",
    "validate_policy",
]
