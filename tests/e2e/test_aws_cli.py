"""The aws CLI (v1, installed with the test dependencies) works against iamd unchanged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.live import ROOT_KEY, ROOT_SECRET, LiveServer

AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")


def aws(
    server: LiveServer, tmp_path: Path, *args: str, key: str = ROOT_KEY, secret: str = ROOT_SECRET
) -> subprocess.CompletedProcess[str]:
    assert AWS, "the aws CLI is a test dependency (awscli in pyproject)"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    return subprocess.run(
        [AWS, "--endpoint-url", server.url, "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_user_and_policy_round_trip(
    server: LiveServer, tmp_path: Path, unique: Callable[[str], str]
) -> None:
    name = unique("cli")
    created = ok(
        aws(
            server,
            tmp_path,
            "iam",
            "create-user",
            "--user-name",
            name,
            "--tags",
            "Key=team,Value=ops",
        )
    )
    assert created["User"]["UserName"] == name
    assert name in [u["UserName"] for u in ok(aws(server, tmp_path, "iam", "list-users"))["Users"]]
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
        }
    )
    ok(
        aws(
            server,
            tmp_path,
            "iam",
            "put-user-policy",
            "--user-name",
            name,
            "--policy-name",
            "list",
            "--policy-document",
            document,
        )
    )
    fetched = ok(
        aws(
            server, tmp_path, "iam", "get-user-policy", "--user-name", name, "--policy-name", "list"
        )
    )
    assert fetched["PolicyDocument"]["Statement"][0]["Action"] == "iam:ListUsers"
    key = ok(aws(server, tmp_path, "iam", "create-access-key", "--user-name", name))["AccessKey"]
    as_user = aws(
        server, tmp_path, "iam", "list-users", key=key["AccessKeyId"], secret=key["SecretAccessKey"]
    )
    assert as_user.returncode == 0, as_user.stderr
    denied = aws(
        server, tmp_path, "iam", "list-roles", key=key["AccessKeyId"], secret=key["SecretAccessKey"]
    )
    assert denied.returncode != 0
    assert (
        "AccessDenied" in denied.stderr
        and f"user/{name} is not authorized to perform: iam:ListRoles" in denied.stderr
    )


def test_cli_reports_aws_errors(server: LiveServer, tmp_path: Path) -> None:
    result = aws(server, tmp_path, "iam", "get-role", "--role-name", "does-not-exist")
    assert result.returncode != 0
    assert (
        "(NoSuchEntity)" in result.stderr
        and "The role with name does-not-exist cannot be found." in result.stderr
    )


@pytest.mark.parametrize("bad_secret", ["wrong" * 8])
def test_cli_with_a_wrong_secret_is_refused(
    server: LiveServer, tmp_path: Path, bad_secret: str
) -> None:
    result = aws(server, tmp_path, "iam", "list-users", secret=bad_secret)
    assert result.returncode != 0 and "SignatureDoesNotMatch" in result.stderr
