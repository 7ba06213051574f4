"""Role credentials held by a workload endpoint: replaced five minutes before they expire, and
kept while a refresh fails and they are still good.

https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html
("We make new credentials available at least five minutes before the expiration of the old
credentials.")
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from iamd.workload.credentials import (
    CredentialsUnavailableError,
    RefreshingCredentials,
    RoleCredentials,
    operator_credentials,
)

START = 1_800_000_000.0
LIFETIME = 900


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class CountingSource:
    """Issues credentials that live LIFETIME seconds from the clock's now; can be made to fail."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls = 0
        self.failing: CredentialsUnavailableError | None = None

    def fetch(self) -> RoleCredentials:
        if self.failing is not None:
            raise self.failing
        self.calls += 1
        return RoleCredentials(
            role_arn="arn:aws:iam::111122223333:role/r",
            access_key_id=f"ASIA{self.calls:016d}",
            secret_access_key="secret",
            token="token",
            expiration=datetime.fromtimestamp(self.clock.now + LIFETIME, UTC),
            last_updated=datetime.fromtimestamp(self.clock.now, UTC),
        )


def test_credentials_are_reused_until_five_minutes_before_expiry() -> None:
    clock = Clock()
    source = CountingSource(clock)
    held = RefreshingCredentials(source, clock=clock)
    first = held.get()
    clock.now = START + LIFETIME - 301
    assert held.get() is first and source.calls == 1
    clock.now = START + LIFETIME - 300
    second = held.get()
    assert second.access_key_id != first.access_key_id and source.calls == 2


def test_a_failed_refresh_keeps_the_valid_credentials_then_gives_up_at_expiry() -> None:
    clock = Clock()
    source = CountingSource(clock)
    held = RefreshingCredentials(source, clock=clock)
    first = held.get()
    source.failing = CredentialsUnavailableError("IamdUnreachable", "connection refused")
    clock.now = START + LIFETIME - 10
    assert held.get() is first
    clock.now = START + LIFETIME
    with pytest.raises(CredentialsUnavailableError) as info:
        held.get()
    assert info.value.code == "IamdUnreachable"


def test_no_credentials_at_all_reports_the_sources_error() -> None:
    clock = Clock()
    source = CountingSource(clock)
    source.failing = CredentialsUnavailableError("AccessDenied", "no")
    with pytest.raises(CredentialsUnavailableError):
        RefreshingCredentials(source, clock=clock).get()


def test_operator_credentials_from_a_data_dir_or_the_environment(tmp_path: Path) -> None:
    (tmp_path / "root-credentials").write_text(
        "account_id = 111122223333\naws_access_key_id = AKIAFILE\n"
        "aws_secret_access_key = file/secret\n"
    )
    found = operator_credentials(tmp_path, {})
    assert (found.access_key_id, found.secret_access_key) == ("AKIAFILE", "file/secret")
    env = {"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}
    found = operator_credentials(None, env)
    assert (found.access_key_id, found.session_token) == ("AKIAENV", "t")
    assert "secret" not in repr(found) and "s'" not in repr(found)
    with pytest.raises(ValueError, match="no credentials"):
        operator_credentials(None, {})
