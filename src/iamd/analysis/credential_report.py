"""The IAM credential report (``aws iam get-credential-report``, decoded CSV), as records.

Columns and values as AWS documents them: booleans ``true``/``false``, ISO-8601 dates,
``N/A`` when there is no password or key, ``no_information`` for a password never used, and
``not_supported`` in the root row's password columns.
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from iamd.analysis.errors import AnalysisInputError

ROOT = "<root_account>"
_REQUIRED = ("user", "arn", "password_enabled", "mfa_active", "access_key_1_active")


@dataclass(frozen=True, slots=True)
class AccessKeyState:
    number: int
    active: bool
    last_rotated: datetime | None
    last_used: datetime | None


@dataclass(frozen=True, slots=True)
class CredentialRow:
    user: str
    arn: str
    created: datetime | None
    password_enabled: bool
    password_last_used: datetime | None
    mfa_active: bool
    keys: tuple[AccessKeyState, ...]

    @property
    def is_root(self) -> bool:
        return self.user == ROOT


def _date(value: str | None) -> datetime | None:
    if not value or value in ("N/A", "no_information", "not_supported"):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def parse_credential_report(text: str) -> list[CredentialRow]:
    """The rows of a decoded report; raises for a file that is not one."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise AnalysisInputError(
            "the credential report lacks the columns "
            + ", ".join(missing)
            + " (pass the decoded CSV of aws iam get-credential-report)"
        )
    rows = []
    for record in reader:
        keys = tuple(
            AccessKeyState(
                number=n,
                active=_bool(record.get(f"access_key_{n}_active")),
                last_rotated=_date(record.get(f"access_key_{n}_last_rotated")),
                last_used=_date(record.get(f"access_key_{n}_last_used_date")),
            )
            for n in (1, 2)
        )
        rows.append(
            CredentialRow(
                user=record.get("user", ""),
                arn=record.get("arn", ""),
                created=_date(record.get("user_creation_time")),
                password_enabled=_bool(record.get("password_enabled")),
                password_last_used=_date(record.get("password_last_used")),
                mfa_active=_bool(record.get("mfa_active")),
                keys=keys,
            )
        )
    return rows
