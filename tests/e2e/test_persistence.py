"""Everything survives a restart; --dev is a test convenience that exists only when asked for."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from support.live import NO_RETRIES, live_server

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
}


def test_state_survives_a_restart(tmp_path: Path) -> None:
    with live_server(tmp_path) as first:
        iam = first.client()
        iam.create_user(UserName="kept", Tags=[{"Key": "k", "Value": "v"}])
        iam.create_group(GroupName="g")
        iam.add_user_to_group(GroupName="g", UserName="kept")
        arn = iam.create_policy(PolicyName="list", PolicyDocument=json.dumps(POLICY))["Policy"][
            "Arn"
        ]
        iam.attach_group_policy(GroupName="g", PolicyArn=arn)
        key = iam.create_access_key(UserName="kept")["AccessKey"]
    with live_server(tmp_path) as second:
        iam = second.client()
        assert iam.get_user(UserName="kept")["User"]["Tags"] == [{"Key": "k", "Value": "v"}]
        assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="kept")["Groups"]] == [
            "g"
        ]
        # The access key (its secret sealed at rest) still signs, and the group policy still grants.
        user = second.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
        assert "kept" in [u["UserName"] for u in user.list_users()["Users"]]
        with pytest.raises(ClientError):
            user.list_roles()


def test_secrets_are_not_stored_in_clear(tmp_path: Path) -> None:
    with live_server(tmp_path) as live:
        iam = live.client()
        iam.create_user(UserName="s")
        secret = iam.create_access_key(UserName="s")["AccessKey"]["SecretAccessKey"]
    raw = (tmp_path / "iamd.sqlite3").read_bytes()
    wal = tmp_path / "iamd.sqlite3-wal"
    assert secret.encode() not in raw
    assert not wal.exists() or secret.encode() not in wal.read_bytes()


def _post(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=b"", method="POST")
        ) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_dev_mode_accepts_unknown_keys_as_root_and_resets(tmp_path: Path) -> None:
    with live_server(tmp_path, dev=True, account="123456789012") as live:
        fake = boto3.client(
            "iam",
            endpoint_url=live.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=NO_RETRIES,
        )
        fake.create_user(UserName="from-a-test-suite")
        assert fake.get_user(UserName="from-a-test-suite")["User"]["Arn"] == (
            "arn:aws:iam::123456789012:user/from-a-test-suite"
        )
        status, body = _post(f"{live.url}/_iamd/reset")
        assert status == 200 and json.loads(body) == {"reset": True}
        with pytest.raises(ClientError) as info:
            fake.get_user(UserName="from-a-test-suite")
        assert info.value.response["Error"]["Code"] == "NoSuchEntity"
        # Known keys are still verified: a wrong secret for the root key fails.
        wrong = live.client(secret="not-the-secret-at-all-0000000000000000000")
        with pytest.raises(ClientError) as info:
            wrong.list_users()
        assert info.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_without_dev_neither_exists(tmp_path: Path) -> None:
    with live_server(tmp_path) as live:
        fake = boto3.client(
            "iam",
            endpoint_url=live.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=NO_RETRIES,
        )
        with pytest.raises(ClientError) as info:
            fake.list_users()
        assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"
        status, body = _post(f"{live.url}/_iamd/reset")
        assert status == 403 and b"MissingAuthenticationToken" in body
        live.client().create_user(UserName="still-here")
        assert live.client().get_user(UserName="still-here")
