"""The dashboard's recommendations from credential report rows (AWS's CSV columns).

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html#id_credentials_understanding_the_report_format
"""

from __future__ import annotations

from datetime import UTC, datetime

from iamd.console.pages.dashboard import from_report

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _row(user: str, **values: str) -> dict[str, str]:
    base = {
        "user": user,
        "password_enabled": "false",
        "mfa_active": "false",
        "password_last_used": "N/A",
        "user_creation_time": "2026-11-01T00:00:00+00:00",
        "access_key_1_active": "false",
        "access_key_2_active": "false",
    }
    return {**base, **values}


def _titles(rows: list[dict[str, str]]) -> dict[str, list[str]]:
    return {r["title"]: r["who"] for r in from_report(rows, NOW)}


def test_password_without_mfa() -> None:
    found = _titles([_row("alice", password_enabled="true"), _row("bob", password_enabled="true",
                     mfa_active="true")])  # fmt: skip
    assert found["Users without MFA"] == ["alice"]


def test_old_and_unused_access_keys() -> None:
    old = _row(
        "carol",
        access_key_1_active="true",
        access_key_1_last_rotated="2026-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2026-11-20T00:00:00+00:00",
    )
    idle = _row(
        "dave",
        access_key_1_active="true",
        access_key_1_last_rotated="2026-10-01T00:00:00+00:00",
        access_key_1_last_used_date="2026-01-01T00:00:00+00:00",
    )
    found = _titles([old, idle])
    assert found["Access keys older than 90 days"] == ["carol (key 1)"]
    assert found["Credentials unused for 90 days"] == ["dave (access key 1)"]


def test_root_row_is_not_a_user() -> None:
    assert from_report([_row("<root_account>", password_enabled="true")], NOW) == []


def test_nothing_to_recommend() -> None:
    assert from_report([_row("erin")], NOW) == []
