"""Several iamd processes share one PostgreSQL database and see each other's writes within a
second, with no restart."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from support import postgres
from support.live import NO_RETRIES, ROOT_KEY, ROOT_SECRET
from support.serve_process import iamd_serve


@contextmanager
def process(url: str, data_dir: Path) -> Iterator[str]:
    with iamd_serve("--data-dir", str(data_dir), "--database-url", url) as up:
        yield up.endpoint


def client(endpoint: str, key: str = ROOT_KEY, secret: str = ROOT_SECRET) -> Any:
    return boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=NO_RETRIES,
    )


def within_a_second(check: Callable[[], bool]) -> float:
    start = time.monotonic()
    while time.monotonic() - start < 1.0:
        if check():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError("not seen by the other process within one second")


def allowed(iam: Any) -> bool:
    try:
        iam.list_users()
        return True
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AccessDenied"
        return False


def test_two_processes_share_one_database(tmp_path: Path) -> None:
    with (
        postgres.schema_url() as url,
        process(url, tmp_path / "a") as a,
        process(url, tmp_path / "b") as b,
    ):
        admin_a, admin_b = client(a), client(b)
        admin_a.create_user(UserName="shared")
        key = admin_a.create_access_key(UserName="shared")["AccessKey"]
        # B knows the user and its key at once: both live only in the shared database.
        assert admin_b.get_user(UserName="shared")["User"]["UserName"] == "shared"
        user_b = client(b, key["AccessKeyId"], key["SecretAccessKey"])
        assert not allowed(user_b)  # B now caches this user's (empty) policies
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
        }
        admin_a.put_user_policy(
            UserName="shared", PolicyName="p", PolicyDocument=json.dumps(policy)
        )
        within_a_second(lambda: allowed(user_b))
        admin_a.delete_user_policy(UserName="shared", PolicyName="p")
        within_a_second(lambda: not allowed(user_b))
        admin_a.update_access_key(
            UserName="shared", AccessKeyId=key["AccessKeyId"], Status="Inactive"
        )

        def refused() -> bool:
            try:
                user_b.get_user()
                return False
            except ClientError as exc:
                return exc.response["Error"]["Code"] == "InvalidClientTokenId"

        within_a_second(refused)
