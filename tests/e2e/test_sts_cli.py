"""The aws CLI (v1) assuming roles through iamd from its own config file, as people use it:
``source_profile`` + ``role_arn`` + ``mfa_serial`` (the code typed at the CLI's prompt),
``external_id``, ``duration_seconds``, ``web_identity_token_file``, and ``endpoint_url`` in the
profile instead of on the command line.

https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-role.html
https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html
https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html (endpoint_url)
"""

from __future__ import annotations

import calendar
import importlib.util
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest

from support.aws_cli import run_aws, write_config
from support.live import LiveServer

VERSION = "2012-10-17"


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def cached_expiration(home: Path) -> float:
    """Seconds left on the credentials the CLI cached for its assumed-role profile."""
    (cache,) = (home / ".aws" / "cli" / "cache").glob("*.json")
    expiration = json.loads(cache.read_text())["Credentials"]["Expiration"]
    return calendar.timegm(time.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ")) - time.time()


class Setup:
    """A user with an access key and an enabled virtual MFA device, and a role that trusts the
    user only with MFA and the right external id."""

    def __init__(self, server: LiveServer, unique: Callable[[str], str]) -> None:
        iam = server.client("iam")
        self.server = server
        self.user = unique("cli-user")
        arn = iam.create_user(UserName=self.user)["User"]["Arn"]
        key = iam.create_access_key(UserName=self.user)["AccessKey"]
        self.key, self.secret = key["AccessKeyId"], key["SecretAccessKey"]
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("cli-mfa"))
        self.serial = device["VirtualMFADevice"]["SerialNumber"]
        self.totp = pyotp.TOTP(device["VirtualMFADevice"]["Base32StringSeed"].decode())
        if time.time() % 30 > 20:  # at least ten seconds before the next step
            time.sleep(30 - time.time() % 30 + 0.2)
        self.step = int(time.time()) // 30
        iam.enable_mfa_device(
            UserName=self.user,
            SerialNumber=self.serial,
            AuthenticationCode1=self.totp.generate_otp(self.step - 3),
            AuthenticationCode2=self.totp.generate_otp(self.step - 2),
        )
        self.next_step = self.step - 1
        condition = {
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "StringEquals": {"sts:ExternalId": "ext-123456"},
        }
        trust = {
            "Version": VERSION,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": arn},
                    "Action": "sts:AssumeRole",
                    "Condition": condition,
                }
            ],
        }
        self.role = unique("cli-role")
        self.role_arn = iam.create_role(
            RoleName=self.role, AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]
        allow = {
            "Version": VERSION,
            "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
        }
        iam.put_role_policy(RoleName=self.role, PolicyName="list", PolicyDocument=json.dumps(allow))

    def code(self) -> str:
        """A fresh code: the steps after the two spent enabling the device, one at a time."""
        step = self.next_step
        self.next_step += 1
        return str(self.totp.generate_otp(step))

    def profiles(self, **role: str) -> dict[str, dict[str, str]]:
        settings = {
            "source_profile": "base",
            "role_arn": self.role_arn,
            "mfa_serial": self.serial,
            "external_id": "ext-123456",
            # Above 900: the CLI treats cached credentials with under 15 minutes left as
            # expired, and would prompt for a code on every command.
            "duration_seconds": "1800",
            "role_session_name": "cli-session",
            "region": "us-east-1",
            "endpoint_url": self.server.url,
            **role,
        }
        return {
            "base": {
                "aws_access_key_id": self.key,
                "aws_secret_access_key": self.secret,
                "region": "us-east-1",
                "endpoint_url": self.server.url,
            },
            "admin": settings,
        }


def test_profile_with_mfa_external_id_and_duration(
    server: LiveServer, tmp_path: Path, unique: Callable[[str], str]
) -> None:
    """The CLI prompts "Enter MFA code for <serial>:", calls AssumeRole with the code, the
    external id and the duration from the profile, caches the session and reuses it without
    prompting again; the session's calls are the role's.

    https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-role.html#cli-configure-role-mfa
    https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-role.html#cli-configure-role-xaccount
    """
    setup = Setup(server, unique)
    home = tmp_path / "home"
    write_config(home, setup.profiles())
    first = run_aws(home, "sts", "get-caller-identity", "--profile", "admin", stdin=setup.code())
    identity = ok(first)
    assert f"Enter MFA code for {setup.serial}: " in first.stderr
    assert identity["Arn"] == (
        f"arn:aws:sts::{server.account_id}:assumed-role/{setup.role}/cli-session"
    )
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(":cli-session")
    assert 1750 < cached_expiration(home) <= 1800  # duration_seconds
    # Cached: no prompt, no code, the same session.
    again = run_aws(home, "iam", "list-users", "--profile", "admin")
    assert setup.user in [u["UserName"] for u in ok(again)["Users"]]
    assert "Enter MFA code" not in again.stderr
    denied = run_aws(home, "iam", "list-roles", "--profile", "admin")
    assert denied.returncode != 0
    assert "AccessDenied" in denied.stderr and "assumed-role/" in denied.stderr


def test_profile_refusals(server: LiveServer, tmp_path: Path, unique: Callable[[str], str]) -> None:
    """A wrong code, a code already used, a wrong external id, and a duration beyond the role's
    maximum reach the CLI user as AWS's errors.

    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (Errors)
    """
    setup = Setup(server, unique)

    def attempt(name: str, code: str, **role: str) -> subprocess.CompletedProcess[str]:
        home = tmp_path / name
        write_config(home, setup.profiles(**role))
        return run_aws(home, "sts", "get-caller-identity", "--profile", "admin", stdin=code)

    # The code of the next step: accepted for the next thirty seconds and more, however long
    # the refusals below take.
    valid = setup.totp.generate_otp(setup.step + 1)
    wrong = next(
        c
        for c in (f"{n:06d}" for n in range(1_000_000))
        if c not in {setup.totp.generate_otp(s) for s in range(setup.step - 4, setup.step + 4)}
    )
    result = attempt("wrong-code", wrong)
    assert result.returncode != 0
    assert "(AccessDenied)" in result.stderr
    assert "MultiFactorAuthentication failed with invalid MFA one time pass code." in (
        result.stderr
    )
    result = attempt("wrong-external-id", valid, external_id="not-the-id")
    assert result.returncode != 0
    assert (
        f"User: arn:aws:iam::{server.account_id}:user/{setup.user} is not authorized to perform:"
        f" sts:AssumeRole on resource: {setup.role_arn}" in result.stderr
    )
    result = attempt("too-long", valid, duration_seconds="7200")
    assert result.returncode != 0
    assert (
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        in result.stderr
    )
    # Neither refusal used the code up: it works now, and only once.
    ok(attempt("valid", valid))
    result = attempt("replayed", valid)
    assert result.returncode != 0
    assert "MultiFactorAuthentication failed with invalid MFA one time pass code." in (
        result.stderr
    )


def test_sts_commands(server: LiveServer, tmp_path: Path, unique: Callable[[str], str]) -> None:
    """``aws sts get-session-token`` with MFA and ``aws sts assume-role`` with session tags and
    a source identity, answered in AWS's shapes.

    https://docs.aws.amazon.com/cli/latest/reference/sts/assume-role.html
    https://docs.aws.amazon.com/cli/latest/reference/sts/get-session-token.html
    """
    setup = Setup(server, unique)
    iam = server.client("iam")
    user_arn = f"arn:aws:iam::{server.account_id}:user/{setup.user}"
    trust = {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": user_arn},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            }
        ],
    }
    role = unique("tagged")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    home = tmp_path / "home"
    write_config(home, setup.profiles())
    token = ok(
        run_aws(
            home,
            "sts",
            "get-session-token",
            "--profile",
            "base",
            "--serial-number",
            setup.serial,
            "--token-code",
            setup.code(),
            "--duration-seconds",
            "900",
        )
    )["Credentials"]
    assert token["AccessKeyId"].startswith("ASIA") and token["SessionToken"]
    assumed = ok(
        run_aws(
            home,
            "sts",
            "assume-role",
            "--profile",
            "base",
            "--role-arn",
            role_arn,
            "--role-session-name",
            "tagged-session",
            "--tags",
            "Key=Project,Value=apollo",
            "Key=Dept,Value=eng",
            "--transitive-tag-keys",
            "Project",
            "--source-identity",
            "alice",
        )
    )
    assert assumed["AssumedRoleUser"]["Arn"].endswith(f":assumed-role/{role}/tagged-session")
    assert assumed["SourceIdentity"] == "alice"
    assert 0 < assumed["PackedPolicySize"] < 100


def test_web_identity_token_file(
    server: LiveServer, tmp_path: Path, unique: Callable[[str], str]
) -> None:
    """A profile with ``web_identity_token_file``: the CLI reads an OIDC token from the file
    and calls AssumeRoleWithWebIdentity (unsigned) itself.  The token comes from iamd's
    built-in issuer, registered as the account's OIDC provider.

    https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-role.html#cli-configure-role-oidc
    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
    """
    if importlib.util.find_spec("iamd.services.sts.web_identity") is None:
        pytest.skip(
            "AssumeRoleWithWebIdentity is not implemented yet "
            "(iamd.services.sts.web_identity does not exist)"
        )
    if importlib.util.find_spec("iamd.server.oidc_issuer") is None:
        pytest.skip("the built-in OIDC issuer (iamd.server.oidc_issuer) does not exist yet")
    from iamd.server import oidc_issuer

    issuer = oidc_issuer.issuer_url(server.app.settings)
    host = issuer.split("://", 1)[1]
    iam = server.client("iam")
    audience = "sts.amazonaws.com"
    provider = iam.create_open_id_connect_provider(
        Url=f"https://{host}", ClientIDList=[audience], ThumbprintList=["0" * 40]
    )["OpenIDConnectProviderArn"]
    trust = {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{host}:sub": "ci-job-7"}},
            }
        ],
    }
    role = unique("ci-role")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    token_file = tmp_path / "token"
    profile = {
        "ci": {
            "role_arn": role_arn,
            "web_identity_token_file": str(token_file),
            "role_session_name": "ci-session",
            "region": "us-east-1",
            "endpoint_url": server.url,
        }
    }
    token_file.write_text(oidc_issuer.mint(server.app.store, issuer, "ci-job-7", audience))
    write_config(tmp_path / "home", profile)
    identity = ok(run_aws(tmp_path / "home", "sts", "get-caller-identity", "--profile", "ci"))
    assert identity["Arn"] == f"arn:aws:sts::{server.account_id}:assumed-role/{role}/ci-session"
    # A token for another subject: the trust policy's condition refuses it.
    token_file.write_text(oidc_issuer.mint(server.app.store, issuer, "someone-else", audience))
    write_config(tmp_path / "other", profile)
    refused = run_aws(tmp_path / "other", "sts", "get-caller-identity", "--profile", "ci")
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr
