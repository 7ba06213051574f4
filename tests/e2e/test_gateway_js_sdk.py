"""The AWS SDK for JavaScript v3 through the gateway: assume a role with STS, then list buckets
and put and get an object with the temporary credentials; a put the role may not do is denied.

The SDK is pinned in ``js_gateway/package.json`` / ``package-lock.json`` and installed with
``npm ci`` into ``js_gateway/node_modules`` the first time the test runs. Without node and npm
the test is skipped on a developer's machine, and fails when ``CI`` is set.

https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/javascript_s3_code_examples.html
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from support.gateway import allow, make_user, policy
from support.js_sdk import node_with
from support.live import LiveServer

HERE = Path(__file__).resolve().parent / "js_gateway"


@pytest.fixture(scope="session")
def node() -> str:
    return node_with(HERE, "@aws-sdk/client-s3")


def test_assume_role_then_s3_with_the_js_sdk(server: LiveServer, node: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    bucket = f"js-{suffix}"
    server.client("s3").create_bucket(Bucket=bucket)
    user = make_user(server, f"js-user-{suffix}", allow("sts:AssumeRole"))
    iam = server.client("iam")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName=f"js-role-{suffix}", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="s3",
        PolicyDocument=policy(
            allow("s3:ListAllMyBuckets"),
            allow(["s3:PutObject", "s3:GetObject"], f"arn:aws:s3:::{bucket}/js/*"),
        ),
    )
    setup = {
        "endpoint": server.url,
        "roleArn": role["Arn"],
        "bucket": bucket,
        "user": {
            "accessKeyId": user.key["AccessKeyId"],
            "secretAccessKey": user.key["SecretAccessKey"],
        },
    }
    done = subprocess.run(
        [node, "scenario.mjs", json.dumps(setup)],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert bucket in result["bucketNames"]
    assert result["put"] == {"ok": True}
    assert result["body"] == "hello from js"
    refused = result["refused"]["error"]
    assert (refused["name"], refused["status"]) == ("AccessDenied", 403)
    assert "s3:PutObject" in refused["message"] and "assumed-role/" in refused["message"]
