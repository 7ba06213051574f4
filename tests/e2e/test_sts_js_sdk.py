"""The AWS SDK for JavaScript v3 against iamd: ``STSClient`` + ``AssumeRoleCommand``, then
``GetCallerIdentity`` and IAM calls (one allowed, one denied) with the temporary credentials.

The SDK is pinned in ``js/package.json`` / ``js/package-lock.json`` and installed with ``npm ci``
into ``js/node_modules`` (ignored by git) the first time the test runs.  Without node and npm
the test is skipped on a developer's machine, and fails when ``CI`` is set: CI must run it.

https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/client/sts/command/AssumeRoleCommand/
https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from support.js_sdk import node_with
from support.live import LiveServer

HERE = Path(__file__).resolve().parent / "js"
VERSION = "2012-10-17"


@pytest.fixture(scope="session")
def node() -> str:
    return node_with(HERE, "@aws-sdk/client-sts")


def test_assume_role_with_the_js_sdk(
    node: str, server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """The SDK signs, sends and parses every call; iamd's answers round-trip into its types:
    the assumed-role user, PackedPolicySize, the expiration as a Date, the session's identity,
    and AWS errors as named exceptions with their message and status."""
    user = unique("js-user")
    user_arn = iam.create_user(UserName=user)["User"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    trust = {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": user_arn},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {"StringEquals": {"sts:ExternalId": "js-external-id"}},
            }
        ],
    }
    role = unique("js-role")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    allow = {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListUsers",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/Project": "apollo"}},
            }
        ],
    }
    iam.put_role_policy(RoleName=role, PolicyName="list", PolicyDocument=json.dumps(allow))
    setup = {
        "endpoint": server.url,
        "user": {"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]},
        "roleArn": role_arn,
        "externalId": "js-external-id",
    }
    done = subprocess.run(
        [node, str(HERE / "scenario.mjs"), json.dumps(setup)],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **os.environ,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        },
    )
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout)
    session_arn = f"arn:aws:sts::{server.account_id}:assumed-role/{role}/js-sdk-session"
    role_id = iam.get_role(RoleName=role)["Role"]["RoleId"]
    assert out["assumedRoleUser"] == {
        "Arn": session_arn,
        "AssumedRoleId": f"{role_id}:js-sdk-session",
    }
    assert out["identity"] == {
        "Arn": session_arn,
        "UserId": f"{role_id}:js-sdk-session",
        "Account": server.account_id,
    }
    assert out["accessKeyId"].startswith("ASIA")
    assert 0 < out["packedPolicySize"] < 100
    expires = datetime.fromisoformat(out["expiration"].replace("Z", "+00:00")).timestamp()
    assert 800 < expires - time.time() <= 900
    assert user in out["listUsers"]["userNames"]
    denied = out["listRoles"]["error"]
    assert denied["name"] == "AccessDenied" and denied["status"] == 403
    assert denied["message"].startswith(f"User: {session_arn} is not authorized to perform")
    assert out["refused"]["error"] == {
        "name": "AccessDenied",
        "message": f"User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: "
        f"{role_arn}",
        "status": 403,
    }
