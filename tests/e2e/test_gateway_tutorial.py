"""The tutorials' validation flow through the gateway, step for step, with boto3 and with the
aws CLI from its own config file (role_arn, source_profile, mfa_serial, endpoint_url):

1. assume DeveloperRole, which has PowerUserAccess attached;
2. ``aws s3 ls`` and ``aws ec2 describe-instances`` succeed;
3. ``aws iam list-users`` fails with AccessDenied;
4. an S3 read-only role lists and gets objects but cannot put them;
5. a policy allowing s3:GetObject only from 203.0.113.0/24 with MFA denies a request from
   elsewhere, or one without MFA.

https://docs.aws.amazon.com/aws-managed-policy/latest/reference/PowerUserAccess.html
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonS3ReadOnlyAccess.html
https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-role.html
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.aws_cli import run_aws, write_config
from support.gateway import Mfa, allow, client, error_of, make_user, policy
from support.live import LiveServer

PROD_BUCKET = "production-data-bucket"


@dataclass
class Tutorial:
    user: Any
    mfa: Mfa
    developer: str
    readonly: str
    prod_reader: str
    bucket: str


def trust(principal: str, mfa: bool = False) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if mfa:
        statement["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return policy(statement)


@pytest.fixture(scope="module")
def tutorial(server: LiveServer) -> Tutorial:
    iam = server.client("iam")
    suffix = uuid.uuid4().hex[:8]
    user = make_user(server, f"tutorial-{suffix}", allow("sts:AssumeRole"))
    mfa = Mfa(server, user.name)

    def role(name: str, managed: str | None, mfa_needed: bool = False) -> str:
        arn: str = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=trust(user.arn, mfa_needed)
        )["Role"]["Arn"]
        if managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{managed}")
        return arn

    developer = role(f"DeveloperRole-{suffix}", "PowerUserAccess")
    readonly = role(f"S3ReadOnlyRole-{suffix}", "AmazonS3ReadOnlyAccess")
    prod_reader = role(f"ProdDataReader-{suffix}", None, mfa_needed=True)
    iam.put_role_policy(
        RoleName=f"ProdDataReader-{suffix}",
        PolicyName="conditional",
        PolicyDocument=policy(
            allow(
                "s3:GetObject",
                f"arn:aws:s3:::{PROD_BUCKET}/*",
                Condition={
                    "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                },
            )
        ),
    )
    s3 = server.client("s3")
    bucket = f"tutorial-{suffix}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello tutorial")
    if PROD_BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=PROD_BUCKET)
    s3.put_object(Bucket=PROD_BUCKET, Key="report.csv", Body=b"a,b\n")
    return Tutorial(user, mfa, developer, readonly, prod_reader, bucket)


def assume(server: LiveServer, tutorial: Tutorial, role_arn: str, **extra: Any) -> dict[str, str]:
    sts = client(server, "sts", tutorial.user.key)
    creds: dict[str, str] = sts.assume_role(RoleArn=role_arn, RoleSessionName="tutorial", **extra)[
        "Credentials"
    ]
    return creds


def test_tutorial_flow_with_boto3(server: LiveServer, tutorial: Tutorial) -> None:
    developer = assume(server, tutorial, tutorial.developer)
    assert tutorial.bucket in [
        b["Name"] for b in client(server, "s3", developer).list_buckets()["Buckets"]
    ]
    assert "Reservations" in client(server, "ec2", developer).describe_instances()
    code, message, status = error_of(lambda: client(server, "iam", developer).list_users())
    assert (code, status) == ("AccessDenied", 403) and "iam:ListUsers" in message

    readonly = client(server, "s3", assume(server, tutorial, tutorial.readonly))
    assert [o["Key"] for o in readonly.list_objects_v2(Bucket=tutorial.bucket)["Contents"]] == [
        "hello.txt"
    ]
    body = readonly.get_object(Bucket=tutorial.bucket, Key="hello.txt")["Body"].read()
    assert body == b"hello tutorial"
    code, message, status = error_of(
        lambda: readonly.put_object(Bucket=tutorial.bucket, Key="new.txt", Body=b"x")
    )
    assert (code, status) == ("AccessDenied", 403) and "s3:PutObject" in message

    # Step 5: with MFA, but from 127.0.0.1 (not 203.0.113.0/24): denied.
    with_mfa = assume(
        server,
        tutorial,
        tutorial.prod_reader,
        SerialNumber=tutorial.mfa.serial,
        TokenCode=tutorial.mfa.code(),
    )
    prod = client(server, "s3", with_mfa)
    code, _, status = error_of(lambda: prod.get_object(Bucket=PROD_BUCKET, Key="report.csv"))
    assert (code, status) == ("AccessDenied", 403)


def test_tutorial_flow_with_the_aws_cli(
    server: LiveServer, tutorial: Tutorial, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    common = {"region": "us-east-1", "endpoint_url": server.url}
    role = {"source_profile": "base", "role_session_name": "cli", **common}
    write_config(
        home,
        {
            "base": {
                "aws_access_key_id": tutorial.user.key["AccessKeyId"],
                "aws_secret_access_key": tutorial.user.key["SecretAccessKey"],
                **common,
            },
            "developer": {"role_arn": tutorial.developer, **role},
            "readonly": {"role_arn": tutorial.readonly, **role},
            "prod": {
                "role_arn": tutorial.prod_reader,
                "mfa_serial": tutorial.mfa.serial,
                "duration_seconds": "1800",
                **role,
            },
            "prod-no-mfa": {"role_arn": tutorial.prod_reader, **role},
        },
    )
    listed = run_aws(home, "s3", "ls", "--profile", "developer")
    assert listed.returncode == 0, listed.stderr
    assert tutorial.bucket in listed.stdout
    described = run_aws(home, "ec2", "describe-instances", "--profile", "developer")
    assert described.returncode == 0, described.stderr
    assert "Reservations" in json.loads(described.stdout)
    users = run_aws(home, "iam", "list-users", "--profile", "developer")
    assert users.returncode != 0 and "AccessDenied" in users.stderr

    objects = run_aws(home, "s3", "ls", f"s3://{tutorial.bucket}/", "--profile", "readonly")
    assert objects.returncode == 0 and "hello.txt" in objects.stdout, objects.stderr
    got = run_aws(
        home, "s3", "cp", f"s3://{tutorial.bucket}/hello.txt", "-", "--profile", "readonly"
    )
    assert got.returncode == 0 and got.stdout == "hello tutorial", got.stderr
    local = tmp_path / "upload.txt"
    local.write_text("nope")
    put = run_aws(
        home, "s3", "cp", str(local), f"s3://{tutorial.bucket}/upload.txt", "--profile", "readonly"
    )
    assert put.returncode != 0 and "AccessDenied" in put.stderr

    # Step 5: the MFA profile prompts for a code, but 127.0.0.1 is not 203.0.113.0/24.
    args = (
        "s3api",
        "get-object",
        "--bucket",
        PROD_BUCKET,
        "--key",
        "report.csv",
        str(tmp_path / "r"),
    )
    elsewhere = run_aws(home, *args, "--profile", "prod", stdin=tutorial.mfa.code())
    assert f"Enter MFA code for {tutorial.mfa.serial}: " in elsewhere.stderr
    assert elsewhere.returncode != 0 and "AccessDenied" in elsewhere.stderr
    # Without MFA the role cannot even be assumed: its trust policy requires MFA.
    no_mfa = run_aws(home, *args, "--profile", "prod-no-mfa")
    assert no_mfa.returncode != 0 and "AccessDenied" in no_mfa.stderr
