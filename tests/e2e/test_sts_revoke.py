"""``iamd revoke-sessions``: AWS's "Revoke active sessions" for a role, end to end.

Sessions issued before the revocation are denied on their next call; sessions issued after it
work; the role's other permissions, its long-term-credential users and GetCallerIdentity are
untouched.  Both ways of running it are exercised: against a running server (``--endpoint-url``,
PutRolePolicy, applied at once) and against its database (``--data-dir`` or
``--database-url``, picked up by the running server through the change feed).

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.live import ROOT_KEY, ROOT_SECRET, LiveServer

VERSION = "2012-10-17"
POLICY_NAME = "AWSRevokeOlderSessions"


def iamd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ.get("PATH", ""), **(env or {})},
    )


def error_code(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def next_second() -> None:
    """aws:TokenIssueTime has whole seconds: a session issued in the second of the revocation
    counts as older.  Wait for the next second before issuing one that must not."""
    time.sleep(1.05 - time.time() % 1)


class Fixture:
    """A role that allows iam:ListUsers and may assume a second role; a user who may assume it;
    and a session of it."""

    def __init__(self, server: LiveServer, unique: Callable[[str], str]) -> None:
        self.server = server
        iam = server.client("iam")
        self.iam = iam
        self.user = unique("revoke-user")
        user_arn = iam.create_user(UserName=self.user)["User"]["Arn"]
        allow_list = {
            "Version": VERSION,
            "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
        }
        iam.put_user_policy(
            UserName=self.user, PolicyName="list", PolicyDocument=json.dumps(allow_list)
        )
        key = iam.create_access_key(UserName=self.user)["AccessKey"]
        self.key, self.secret = key["AccessKeyId"], key["SecretAccessKey"]
        self.role = unique("revoked-role")
        self.role_arn = iam.create_role(
            RoleName=self.role, AssumeRolePolicyDocument=self._trust(user_arn)
        )["Role"]["Arn"]
        allow = {
            "Version": VERSION,
            "Statement": [
                {"Effect": "Allow", "Action": ["iam:ListUsers", "sts:AssumeRole"], "Resource": "*"}
            ],
        }
        iam.put_role_policy(RoleName=self.role, PolicyName="p", PolicyDocument=json.dumps(allow))
        self.next_role = unique("next-role")
        self.next_arn = iam.create_role(
            RoleName=self.next_role, AssumeRolePolicyDocument=self._trust(self.role_arn)
        )["Role"]["Arn"]

    @staticmethod
    def _trust(principal: str) -> str:
        statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        return json.dumps({"Version": VERSION, "Statement": [statement]})

    def session(self, name: str) -> dict[str, Any]:
        sts = self.server.client("sts", self.key, self.secret)
        credentials: dict[str, Any] = sts.assume_role(RoleArn=self.role_arn, RoleSessionName=name)[
            "Credentials"
        ]
        return credentials

    def client(self, credentials: dict[str, Any], service: str = "iam") -> Any:
        return self.server.client(
            service,
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            credentials["SessionToken"],
        )


def check_revoked(fixture: Fixture, old: dict[str, Any], revoked_at: float) -> None:
    """The old session is denied everything, explicitly, including assuming another role; what
    the revocation must not touch still works."""
    code, message = error_code(fixture.client(old).list_users)
    assert code == "AccessDenied"
    assert message.endswith("with an explicit deny in an identity-based policy")
    chained = fixture.client(old, "sts")
    code, message = error_code(
        lambda: chained.assume_role(RoleArn=fixture.next_arn, RoleSessionName="juggle")
    )
    assert code == "AccessDenied" and "sts:AssumeRole" in message
    # GetCallerIdentity needs no permission, and a deny does not stop it.
    assert fixture.client(old, "sts").get_caller_identity()["Arn"].endswith("/before")
    # Long-term credentials are not sessions: the user's own keys still work.
    fixture.server.client("iam", fixture.key, fixture.secret).list_users()
    # The role's inline policy is AWS's document, dated at the revocation.
    document = fixture.iam.get_role_policy(RoleName=fixture.role, PolicyName=POLICY_NAME)[
        "PolicyDocument"
    ]
    moment = document["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    assert document == {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": moment}},
            }
        ],
    }
    when = datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()
    assert revoked_at - 1 <= when <= time.time()
    # A session issued after the revocation works, and may go on to assume the next role.
    next_second()
    new = fixture.session("after")
    fixture.client(new).list_users()
    fixture.client(new, "sts").assume_role(RoleArn=fixture.next_arn, RoleSessionName="onward")


def test_revoke_through_the_endpoint(server: LiveServer, unique: Callable[[str], str]) -> None:
    """``--endpoint-url`` with the root user's keys: PutRolePolicy on the live server, which
    applies it to the very next call.  Revoking again moves the time forward."""
    fixture = Fixture(server, unique)
    old = fixture.session("before")
    fixture.client(old).list_users()
    env = {"AWS_ACCESS_KEY_ID": ROOT_KEY, "AWS_SECRET_ACCESS_KEY": ROOT_SECRET}
    revoked_at = time.time()
    done = iamd("revoke-sessions", fixture.role, "--endpoint-url", server.url, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"iamd: sessions of {fixture.role_arn} issued before ")
    check_revoked(fixture, old, revoked_at)
    # Again, later: the session that was new is now old too.
    newer = fixture.session("newer")
    fixture.client(newer).list_users()
    done = iamd("revoke-sessions", fixture.role_arn, "--endpoint-url", server.url, env=env)
    assert done.returncode == 0, done.stderr
    assert error_code(fixture.client(newer).list_users)[0] == "AccessDenied"
    # Without credentials allowed to put the policy, nothing changes.
    done = iamd(
        "revoke-sessions",
        fixture.role,
        "--endpoint-url",
        server.url,
        env={"AWS_ACCESS_KEY_ID": fixture.key, "AWS_SECRET_ACCESS_KEY": fixture.secret},
    )
    assert done.returncode == 1
    assert "AccessDenied" in done.stderr and "iam:PutRolePolicy" in done.stderr


def test_revoke_in_the_database(server: LiveServer, unique: Callable[[str], str]) -> None:
    """``--data-dir`` (SQLite) or ``--database-url`` (PostgreSQL) with the server running: the
    policy is written to the database and the server applies it within its change-feed poll."""
    fixture = Fixture(server, unique)
    old = fixture.session("before")
    fixture.client(old).list_users()
    engine_url = server.app.store.engine.url
    where = ["--data-dir", str(server.data_dir)]
    if engine_url.get_backend_name() == "postgresql":
        where += ["--database-url", engine_url.render_as_string(hide_password=False)]
    env = {"IAMD_MASTER_KEY": "00" * 32}
    revoked_at = time.time()
    done = iamd("revoke-sessions", fixture.role, *where, env=env)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            fixture.client(old).list_users()
        except ClientError:
            break
        time.sleep(0.05)
    check_revoked(fixture, old, revoked_at)
    done = iamd("revoke-sessions", "no-such-role", *where, env=env)
    assert (done.returncode, done.stderr.strip()) == (
        1,
        "iamd revoke-sessions: The role with name no-such-role cannot be found.",
    )


def test_revoke_needs_a_server_or_its_data(tmp_path: Path) -> None:
    """Pointed at nothing, it says so and creates nothing (no data directory, no master key)."""
    missing = tmp_path / "nowhere"
    done = iamd("revoke-sessions", "some-role", "--data-dir", str(missing))
    assert done.returncode == 1
    assert "no iamd data directory" in done.stderr
    assert not missing.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    done = iamd("revoke-sessions", "some-role", "--data-dir", str(empty))
    assert done.returncode == 1 and "no iamd database" in done.stderr
    assert list(empty.iterdir()) == []
