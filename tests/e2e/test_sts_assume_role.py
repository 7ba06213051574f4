"""STS over the wire with boto3: AssumeRole with every parameter, role chaining, GetSessionToken,
GetCallerIdentity, and every refusal with AWS's code and message.

Each session is used for real: its permissions are probed with IAM calls whose policies depend on
the session's context keys (aws:PrincipalTag/*, aws:SourceIdentity, aws:MultiFactorAuthPresent,
aws:MultiFactorAuthAge), so a context key that did not reach the policy engine fails a test.

AWS references (cited again where a test depends on one):
- https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
- https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html
- https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html (chaining)
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
import pyotp
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from iamd.auth import session_tokens
from support.live import LiveServer

VERSION = "2012-10-17"
ALLOW_ALL = {"Version": VERSION, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
INVALID_TOKEN = ("InvalidClientTokenId", "The security token included in the request is invalid.")
MFA_INVALID = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
MFA_MISSING = (
    "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."
)
MFA_UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user."
)


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def denied(principal: str, action: str, resource: str) -> tuple[str, str, int]:
    """AWS STS's refusal: it names the principal, action and resource, and gives no reason."""
    return (
        "AccessDenied",
        f"User: {principal} is not authorized to perform: {action} on resource: {resource}",
        403,
    )


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)})


def allow(action: str | list[str], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": "*"}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def trust(
    *principals: str,
    actions: tuple[str, ...] = ("sts:AssumeRole",),
    condition: dict[str, Any] | None = None,
) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": list(principals)},
        "Action": list(actions),
    }
    if condition is not None:
        statement["Condition"] = condition
    return policy(statement)


def seconds_left(expiration: datetime) -> float:
    return expiration.timestamp() - time.time()


@dataclass
class User:
    name: str
    arn: str
    id: str
    key: str
    secret: str
    server: LiveServer

    def client(self, service: str = "sts") -> Any:
        return self.server.client(service, self.key, self.secret)


def session_client(server: LiveServer, credentials: dict[str, Any], service: str = "sts") -> Any:
    return server.client(
        service,
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )


def unvalidated(server: LiveServer, user: User, service: str = "sts") -> Any:
    """A client that skips botocore's own checks, to see the server's answer to bad input."""
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=user.key,
        aws_secret_access_key=user.secret,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


@pytest.fixture
def make_user(server: LiveServer, iam: Any, unique: Callable[[str], str]) -> Callable[..., User]:
    def make(identity_policy: str | None = None) -> User:
        name = unique("user")
        created = iam.create_user(UserName=name)["User"]
        if identity_policy is not None:
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=identity_policy)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return User(
            name,
            created["Arn"],
            created["UserId"],
            key["AccessKeyId"],
            key["SecretAccessKey"],
            server,
        )

    return make


@pytest.fixture
def make_role(iam: Any, unique: Callable[[str], str]) -> Callable[..., dict[str, Any]]:
    def make(
        trust_policy: str, identity_policy: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        name = unique("role")
        role: dict[str, Any] = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=trust_policy, **kwargs
        )["Role"]
        if identity_policy is not None:
            iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=identity_policy)
        return role

    return make


class Authenticator:
    """A virtual MFA device as an authenticator app holds it: its seed, and the last code used.

    The server accepts the code of the current 30-second step or one step either side, but never
    a step at or before the last it accepted.  The device is enabled with the codes of two steps
    in the past, so that three fresh codes are at hand at once without waiting.
    """

    def __init__(self, seed: str) -> None:
        self.totp = pyotp.TOTP(seed)
        self.last = 0

    @staticmethod
    def _now_step() -> int:
        # Keep clear of a step boundary, where the server's "now" could differ from ours.
        if time.time() % 30 > 27:
            time.sleep(30 - time.time() % 30 + 0.2)
        return int(time.time()) // 30

    def enable_codes(self) -> tuple[str, str]:
        step = self._now_step()
        self.last = step - 2
        return self.totp.generate_otp(step - 3), self.totp.generate_otp(step - 2)

    def code(self, use: bool = True) -> str:
        """The next code the server should accept; ``use`` marks it spent here too."""
        now = self._now_step()
        step = max(now - 1, self.last + 1)
        if step > now + 1:
            time.sleep((step - 1) * 30 - time.time() + 0.2)
        if use:
            self.last = step
        return str(self.totp.generate_otp(step))

    def wrong_code(self) -> str:
        now = self._now_step()
        valid = {self.totp.generate_otp(s) for s in range(now - 3, now + 4)}
        return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in valid)


@pytest.fixture
def mfa_device(
    iam: Any, unique: Callable[[str], str]
) -> Callable[[User], tuple[str, Authenticator]]:
    """Create a virtual MFA device with the IAM API and enable it for a user with two
    consecutive codes computed from its Base32StringSeed, as a phone app would.

    https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableMFADevice.html
    """

    def make(user: User) -> tuple[str, Authenticator]:
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))
        serial = device["VirtualMFADevice"]["SerialNumber"]
        app = Authenticator(device["VirtualMFADevice"]["Base32StringSeed"].decode())
        first, second = app.enable_codes()
        iam.enable_mfa_device(
            UserName=user.name,
            SerialNumber=serial,
            AuthenticationCode1=first,
            AuthenticationCode2=second,
        )
        return serial, app

    return make


# AssumeRole: who the session is ------------------------------------------------------------


def test_assumed_role_session_identity(
    server: LiveServer, iam: Any, make_user: Callable[..., User], make_role: Callable[..., Any]
) -> None:
    """The session's ARN is ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`` and its id is
    ``AROA…:SESSION``; GetCallerIdentity with the session's credentials says the same; the
    credentials last an hour by default and the role's RoleLastUsed is updated.

    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (AssumedRoleUser)
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
    """
    user = make_user()
    role = make_role(trust(user.arn), policy(allow("iam:ListUsers")), Path="/team/")
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"] == {}
    out = user.client().assume_role(RoleArn=role["Arn"], RoleSessionName="alice@example.com")
    session_arn = (
        f"arn:aws:sts::{server.account_id}:assumed-role/{role['RoleName']}/alice@example.com"
    )
    assert out["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:alice@example.com",
        "Arn": session_arn,
    }
    assert role["RoleId"].startswith("AROA")
    credentials = out["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40 and credentials["SessionToken"]
    assert 3590 < seconds_left(credentials["Expiration"]) <= 3600
    identity = session_client(server, credentials).get_caller_identity()
    assert (identity["Arn"], identity["UserId"], identity["Account"]) == (
        session_arn,
        f"{role['RoleId']}:alice@example.com",
        server.account_id,
    )
    session_client(server, credentials, "iam").list_users()
    server.app.recorder.flush()  # last use is read from the audit trail, written off the path
    last_used = iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]
    assert last_used["Region"] == "us-east-1"
    assert abs(last_used["LastUsedDate"].timestamp() - time.time()) < 120


def test_role_session_name_rules(
    server: LiveServer, make_user: Callable[..., User], make_role: Callable[..., Any]
) -> None:
    """RoleSessionName: 2 to 64 characters of ``[\\w+=,.@-]``, checked by the server with AWS's
    validation message; the trust policy can constrain it with sts:RoleSessionName.

    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (RoleSessionName)
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_rolesessionname
    """
    user = make_user()
    role = make_role(trust(user.arn, condition={"StringLike": {"sts:RoleSessionName": "ci-*"}}))
    sts = user.client()
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci-a+b=c,d.e@f_g-h")
    assert error_of(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci bad")) == (
        "ValidationError",
        "1 validation error detected: Value 'ci bad' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        400,
    )
    raw = unvalidated(server, user)
    code, message, status = error_of(
        lambda: raw.assume_role(RoleArn=role["Arn"], RoleSessionName="c")
    )
    assert (code, status) == ("ValidationError", 400)
    assert "Member must have length greater than or equal to 2" in message
    too_long = "ci-" + "x" * 62
    code, message, _ = error_of(
        lambda: raw.assume_role(RoleArn=role["Arn"], RoleSessionName=too_long)
    )
    assert code == "ValidationError"
    assert "Member must have length less than or equal to 64" in message
    # The trust policy's condition on the session name.
    assert error_of(
        lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="deploy")
    ) == denied(user.arn, "sts:AssumeRole", role["Arn"])


def test_duration_seconds(
    server: LiveServer, make_user: Callable[..., User], make_role: Callable[..., Any]
) -> None:
    """DurationSeconds runs from 900 to the role's MaxSessionDuration (default 3600, up to
    43200); beyond the role's maximum AWS answers ValidationError with its own message.

    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (DurationSeconds)
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-settings.html#id_roles_update-session-duration
    """
    user = make_user()
    role = make_role(trust(user.arn), MaxSessionDuration=7200)
    sts = user.client()

    def assume(**kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="dur", **kwargs)
        return out["Credentials"]

    assert 890 < seconds_left(assume(DurationSeconds=900)["Expiration"]) <= 900
    assert 7190 < seconds_left(assume(DurationSeconds=7200)["Expiration"]) <= 7200
    assert 3590 < seconds_left(assume()["Expiration"]) <= 3600  # the default: one hour
    assert error_of(lambda: assume(DurationSeconds=7201)) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    assert error_of(lambda: assume(DurationSeconds=43201)) == (
        "ValidationError",
        "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value less than or equal to 43200",
        400,
    )
    raw = unvalidated(server, user)
    assert error_of(
        lambda: raw.assume_role(RoleArn=role["Arn"], RoleSessionName="dur", DurationSeconds=899)
    ) == (
        "ValidationError",
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value greater than or equal to 900",
        400,
    )


def test_external_id(make_user: Callable[..., User], make_role: Callable[..., Any]) -> None:
    """A trust policy requiring sts:ExternalId refuses a call without it or with another value,
    with the same AccessDenied as any untrusted caller (the id is not revealed).

    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html
    """
    user = make_user()
    role = make_role(trust(user.arn, condition={"StringEquals": {"sts:ExternalId": "Example987"}}))
    sts = user.client()
    refusal = denied(user.arn, "sts:AssumeRole", role["Arn"])
    assert error_of(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="x1")) == refusal
    assert (
        error_of(
            lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="x1", ExternalId="nope99")
        )
        == refusal
    )
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="x1", ExternalId="Example987")
    assert out["AssumedRoleUser"]["Arn"].endswith(f"/{role['RoleName']}/x1")


def test_who_may_assume_a_role(
    server: LiveServer,
    make_user: Callable[..., User],
    make_role: Callable[..., Any],
) -> None:
    """Only principals the trust policy names; a trust policy naming the account delegates the
    decision to the caller's own identity policy; the account's root user never may.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html
    """
    trusted, stranger = make_user(), make_user(policy(allow("sts:AssumeRole")))
    role = make_role(trust(trusted.arn))
    assert trusted.client().assume_role(RoleArn=role["Arn"], RoleSessionName="ok")
    # An identity policy allowing sts:AssumeRole everywhere does not replace the trust policy.
    assert error_of(
        lambda: stranger.client().assume_role(RoleArn=role["Arn"], RoleSessionName="no")
    ) == denied(stranger.arn, "sts:AssumeRole", role["Arn"])
    # A role that does not exist is refused the same way: its absence is not revealed.
    missing = f"arn:aws:iam::{server.account_id}:role/no-such-role"
    assert error_of(
        lambda: trusted.client().assume_role(RoleArn=missing, RoleSessionName="no")
    ) == denied(trusted.arn, "sts:AssumeRole", missing)
    # Trusting the account: the caller's identity policy must allow the call.
    account_role = make_role(trust(f"arn:aws:iam::{server.account_id}:root"))
    assert error_of(
        lambda: trusted.client().assume_role(RoleArn=account_role["Arn"], RoleSessionName="no")
    ) == denied(trusted.arn, "sts:AssumeRole", account_role["Arn"])
    assert stranger.client().assume_role(RoleArn=account_role["Arn"], RoleSessionName="ok")
    # The root user: "Roles may not be assumed by root accounts."
    root = server.client("sts")
    assert error_of(
        lambda: root.assume_role(RoleArn=account_role["Arn"], RoleSessionName="root")
    ) == ("AccessDenied", "Roles may not be assumed by root accounts.", 403)


# AssumeRole with MFA -----------------------------------------------------------------------


def test_assume_role_with_mfa(
    server: LiveServer,
    iam: Any,
    make_user: Callable[..., User],
    make_role: Callable[..., Any],
    mfa_device: Callable[[User], tuple[str, Authenticator]],
) -> None:
    """SerialNumber and TokenCode from a virtual MFA device enabled through the IAM API: a trust
    policy requiring aws:MultiFactorAuthPresent admits only MFA callers; a code is good once;
    a wrong, missing or reused code is refused with AWS's messages; and a call refused for any
    other reason leaves its code unused.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html
    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (SerialNumber,
    TokenCode)
    AWS documents none of the three messages; they are AWS's responses as quoted by the tools
    that handle them: the invalid-code message with its trailing space (credential_process
    helpers compare it whole), and "unable to validate MFA code.  Please verify your MFA serial
    number is valid and associated with this user." for a serial that is not the caller's
    (quoted in troubleshooting notes of aws-vault and aws-mfa users).
    """
    user = make_user()
    serial, app = mfa_device(user)
    require_mfa = {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "StringEquals": {"sts:ExternalId": "Example987"},
    }
    role = make_role(
        trust(user.arn, condition=require_mfa),
        policy(allow("iam:ListUsers", {"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
    )
    sts = user.client()

    def assume(**kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = sts.assume_role(
            RoleArn=role["Arn"], RoleSessionName="mfa", **{"ExternalId": "Example987", **kwargs}
        )
        return out

    assert error_of(assume) == denied(user.arn, "sts:AssumeRole", role["Arn"])
    assert error_of(lambda: assume(SerialNumber=serial)) == ("AccessDenied", MFA_MISSING, 403)
    assert error_of(lambda: assume(TokenCode=app.code(use=False))) == (
        "AccessDenied",
        MFA_MISSING,
        403,
    )
    assert error_of(lambda: assume(SerialNumber=serial, TokenCode=app.wrong_code())) == (
        "AccessDenied",
        MFA_INVALID,
        403,
    )
    # A device that is not the caller's.
    other = make_user()
    other_serial, other_app = mfa_device(other)
    assert error_of(lambda: assume(SerialNumber=other_serial, TokenCode=other_app.code())) == (
        "AccessDenied",
        MFA_UNKNOWN_DEVICE,
        403,
    )
    # Refused by the trust policy (wrong external id): the code is not used up.
    code = app.code()
    assert error_of(
        lambda: assume(SerialNumber=serial, TokenCode=code, ExternalId="wrong1")
    ) == denied(user.arn, "sts:AssumeRole", role["Arn"])
    # Refused after authorization (duration beyond the role's maximum): still not used up.
    too_long = error_of(lambda: assume(SerialNumber=serial, TokenCode=code, DurationSeconds=7200))
    assert too_long == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    credentials = assume(SerialNumber=serial, TokenCode=code)["Credentials"]
    session_client(server, credentials, "iam").list_users()  # MFA is present in the session
    # The same code, a second time.
    assert error_of(lambda: assume(SerialNumber=serial, TokenCode=code)) == (
        "AccessDenied",
        MFA_INVALID,
        403,
    )
    assert assume(SerialNumber=serial, TokenCode=app.code())


# Session policies and boundaries -------------------------------------------------------------


def test_session_permissions_are_the_intersection(
    server: LiveServer,
    iam: Any,
    make_user: Callable[..., User],
    make_role: Callable[..., Any],
    unique: Callable[[str], str],
) -> None:
    """A session may do only what the role's policies, the session policies (inline Policy and
    PolicyArns, any of which may allow) and the role's permissions boundary all allow.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    """
    user = make_user()
    boundary = iam.create_policy(
        PolicyName=unique("boundary"),
        PolicyDocument=policy(allow(["iam:List*", "iam:GetRole"])),
    )["Policy"]["Arn"]
    managed = iam.create_policy(
        PolicyName=unique("session"), PolicyDocument=policy(allow("iam:ListGroups"))
    )["Policy"]["Arn"]
    role = make_role(
        trust(user.arn),
        policy(allow(["iam:ListUsers", "iam:ListGroups", "iam:ListRoles", "iam:GetUser"])),
        PermissionsBoundary=boundary,
    )
    out = user.client().assume_role(
        RoleArn=role["Arn"],
        RoleSessionName="scoped",
        Policy=policy(allow(["iam:ListUsers", "iam:GetUser", "iam:GetRole"])),
        PolicyArns=[{"arn": managed}],
    )
    assert 0 < out["PackedPolicySize"] <= 100
    session = session_client(server, out["Credentials"], "iam")
    session.list_users()  # role, session (inline) and boundary allow it
    session.list_groups()  # role, session (managed) and boundary allow it
    arn = out["AssumedRoleUser"]["Arn"]
    code, message, _ = error_of(session.list_roles)  # no session policy allows it
    assert code == "AccessDenied" and message.startswith(
        f"User: {arn} is not authorized to perform: iam:ListRoles"
    )
    assert message.endswith("because no session policy allows the iam:ListRoles action")
    code, message, _ = error_of(lambda: session.get_user(UserName=user.name))  # the boundary
    assert message.endswith("because no permissions boundary allows the iam:GetUser action")
    code, message, _ = error_of(lambda: session.get_role(RoleName=role["RoleName"]))  # the role
    assert message.endswith("because no identity-based policy allows the iam:GetRole action")


def test_session_policy_and_tag_errors(
    server: LiveServer, make_user: Callable[..., User], make_role: Callable[..., Any]
) -> None:
    """A malformed session policy; a session policy naming a policy that does not exist; and
    session tags too large once packed, with AWS's message.

    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (Policy, Tags,
    Errors: MalformedPolicyDocument, PackedPolicyTooLarge)
    https://github.com/aws/containers-roadmap/issues/2413 and
    https://github.com/aws-actions/configure-aws-credentials/issues/1803 (the message)
    """
    user = make_user()
    role = make_role(
        trust(user.arn, actions=("sts:AssumeRole", "sts:TagSession")), json.dumps(ALLOW_ALL)
    )
    sts = user.client()
    code, _, status = error_of(
        lambda: sts.assume_role(
            RoleArn=role["Arn"], RoleSessionName="bad", Policy='{"Statement": "nope"}'
        )
    )
    assert (code, status) == ("MalformedPolicyDocument", 400)
    missing = f"arn:aws:iam::{server.account_id}:policy/no-such-policy"
    code, _, _ = error_of(
        lambda: sts.assume_role(
            RoleArn=role["Arn"], RoleSessionName="bad", PolicyArns=[{"arn": missing}]
        )
    )
    assert code == "ValidationError"
    # 50 tags of random text, as long as AWS allows (128-character keys, 256-character values):
    # random text does not compress, so they are far beyond the packed limit.
    tags = [
        {"Key": f"k{index:02d}" + secrets.token_hex(62), "Value": secrets.token_hex(128)}
        for index in range(50)
    ]
    code, message, status = error_of(
        lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="big", Tags=tags)
    )
    assert (code, status) == ("PackedPolicyTooLarge", 400)
    assert re.fullmatch(r"Packed size of session tags consumes \d+% of allotted space\.", message)
    small = sts.assume_role(
        RoleArn=role["Arn"], RoleSessionName="small", Tags=[{"Key": "a", "Value": "b"}]
    )
    assert 0 < small["PackedPolicySize"] < 100


# Session tags, source identity, and role chaining --------------------------------------------


def test_session_tags_through_a_role_chain(
    server: LiveServer, make_user: Callable[..., User], make_role: Callable[..., Any]
) -> None:
    """Session tags become aws:PrincipalTag/* (overriding the role's own tag of the same key);
    transitive ones follow the session along a chain, where they cannot be passed again; passing
    or inheriting tags needs sts:TagSession in the trust policy.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html (permissions required,
    chaining roles with session tags)
    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (Tags:
    "If you pass a session tag with the same key as an inherited tag, the operation fails.")
    """
    user = make_user()
    by_tag = policy(
        allow("sts:AssumeRole"),
        allow("iam:ListUsers", {"StringEquals": {"aws:PrincipalTag/Project": "apollo"}}),
        allow("iam:ListGroups", {"StringEquals": {"aws:PrincipalTag/Dept": "eng"}}),
        allow("iam:ListRoles", {"StringEquals": {"aws:PrincipalTag/Team": "blue"}}),
    )
    first = make_role(
        trust(user.arn, actions=("sts:AssumeRole", "sts:TagSession")),
        by_tag,
        Tags=[{"Key": "Team", "Value": "blue"}, {"Key": "Project", "Value": "from-role"}],
    )
    no_tags = make_role(trust(user.arn))
    sts = user.client()
    tags = [{"Key": "Project", "Value": "apollo"}, {"Key": "Dept", "Value": "eng"}]
    assert error_of(
        lambda: sts.assume_role(RoleArn=no_tags["Arn"], RoleSessionName="t1", Tags=tags)
    ) == denied(user.arn, "sts:TagSession", no_tags["Arn"])
    hop1 = sts.assume_role(
        RoleArn=first["Arn"], RoleSessionName="hop1", Tags=tags, TransitiveTagKeys=["Project"]
    )
    iam1 = session_client(server, hop1["Credentials"], "iam")
    iam1.list_users()  # Project=apollo: the session tag overrides the role's own Project tag
    iam1.list_groups()  # Dept=eng
    iam1.list_roles()  # Team=blue, the role's tag

    second = make_role(
        trust(
            first["Arn"],
            actions=("sts:AssumeRole", "sts:TagSession"),
        ),
        by_tag,
    )
    # The second role trusts sessions of itself too, for a third hop.
    server.client("iam").update_assume_role_policy(
        RoleName=second["RoleName"],
        PolicyDocument=trust(
            first["Arn"], second["Arn"], actions=("sts:AssumeRole", "sts:TagSession")
        ),
    )
    untagged_chain = make_role(trust(first["Arn"]))
    sts1 = session_client(server, hop1["Credentials"])
    hop1_arn = hop1["AssumedRoleUser"]["Arn"]
    # Inheriting transitive tags needs sts:TagSession as passing them does.
    assert error_of(
        lambda: sts1.assume_role(RoleArn=untagged_chain["Arn"], RoleSessionName="t2")
    ) == denied(hop1_arn, "sts:TagSession", untagged_chain["Arn"])
    conflict = (
        "InvalidParameterValue",
        "One of the specified transitive tag keys can't be set because it conflicts with a "
        "transitive tag key from the calling session.",
        400,
    )
    for value in ("other", "apollo"):  # not even the same value may be passed again
        assert (
            error_of(
                lambda value=value: sts1.assume_role(
                    RoleArn=second["Arn"],
                    RoleSessionName="t2",
                    Tags=[{"Key": "Project", "Value": value}],
                )
            )
            == conflict
        )
    hop2 = sts1.assume_role(RoleArn=second["Arn"], RoleSessionName="hop2")
    iam2 = session_client(server, hop2["Credentials"], "iam")
    iam2.list_users()  # Project=apollo came along
    assert error_of(iam2.list_groups)[0] == "AccessDenied"  # Dept was not transitive
    assert error_of(iam2.list_roles)[0] == "AccessDenied"  # the first role's tag stays there
    hop3 = session_client(server, hop2["Credentials"]).assume_role(
        RoleArn=second["Arn"], RoleSessionName="hop3"
    )
    session_client(server, hop3["Credentials"], "iam").list_users()  # still transitive


def test_source_identity_is_set_once(
    server: LiveServer, make_user: Callable[..., User], make_role: Callable[..., Any]
) -> None:
    """SourceIdentity needs sts:SetSourceIdentity in the trust policy, becomes aws:SourceIdentity,
    persists along a role chain (where the next trust policy must allow it again) and cannot be
    changed there.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html
    The refusal to change it, "The source identity is already set for this assume role session"
    (ValidationError), as observed on AWS in
    https://github.com/mahitotsu/gekko_08/blob/main/experiments/multi-hop-propagation/RESULTS.md
    """
    user = make_user()
    by_source = policy(
        allow("sts:AssumeRole"),
        allow("iam:ListUsers", {"StringEquals": {"aws:SourceIdentity": "alice"}}),
    )
    first = make_role(
        trust(user.arn, actions=("sts:AssumeRole", "sts:SetSourceIdentity")), by_source
    )
    plain = make_role(trust(user.arn))
    sts = user.client()
    assert error_of(
        lambda: sts.assume_role(RoleArn=plain["Arn"], RoleSessionName="s1", SourceIdentity="alice")
    ) == denied(user.arn, "sts:SetSourceIdentity", plain["Arn"])
    hop1 = sts.assume_role(RoleArn=first["Arn"], RoleSessionName="s1", SourceIdentity="alice")
    assert hop1["SourceIdentity"] == "alice"
    session_client(server, hop1["Credentials"], "iam").list_users()

    second = make_role(
        trust(first["Arn"], actions=("sts:AssumeRole", "sts:SetSourceIdentity")), by_source
    )
    no_set = make_role(trust(first["Arn"]))
    sts1 = session_client(server, hop1["Credentials"])
    assert error_of(
        lambda: sts1.assume_role(RoleArn=second["Arn"], RoleSessionName="s2", SourceIdentity="eve")
    ) == (
        "ValidationError",
        "The source identity is already set for this assume role session",
        400,
    )
    assert error_of(
        lambda: sts1.assume_role(RoleArn=no_set["Arn"], RoleSessionName="s2")
    ) == denied(hop1["AssumedRoleUser"]["Arn"], "sts:SetSourceIdentity", no_set["Arn"])
    hop2 = sts1.assume_role(RoleArn=second["Arn"], RoleSessionName="s2")
    assert hop2["SourceIdentity"] == "alice"
    session_client(server, hop2["Credentials"], "iam").list_users()


def test_role_chaining_is_capped_at_one_hour(
    server: LiveServer, make_user: Callable[..., User], make_role: Callable[..., Any]
) -> None:
    """A session assumed with a role session's credentials lasts at most one hour, whatever the
    role's MaxSessionDuration, and asking for more is AWS's ValidationError.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
    https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (DurationSeconds)
    """
    user = make_user()
    first = make_role(trust(user.arn), policy(allow("sts:AssumeRole")))
    second = make_role(trust(first["Arn"], user.arn), MaxSessionDuration=43200)
    direct = user.client().assume_role(
        RoleArn=second["Arn"], RoleSessionName="direct", DurationSeconds=43200
    )
    assert seconds_left(direct["Credentials"]["Expiration"]) > 43000
    hop1 = user.client().assume_role(RoleArn=first["Arn"], RoleSessionName="hop1")
    sts1 = session_client(server, hop1["Credentials"])
    for seconds in (3601, 43200):
        assert error_of(
            lambda seconds=seconds: sts1.assume_role(
                RoleArn=second["Arn"], RoleSessionName="hop2", DurationSeconds=seconds
            )
        ) == (
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
            "by role chaining.",
            400,
        )
    default = sts1.assume_role(RoleArn=second["Arn"], RoleSessionName="hop2")["Credentials"]
    assert 3590 < seconds_left(default["Expiration"]) <= 3600
    hour = sts1.assume_role(RoleArn=second["Arn"], RoleSessionName="hop2", DurationSeconds=3600)
    assert 3590 < seconds_left(hour["Credentials"]["Expiration"]) <= 3600


# GetSessionToken -----------------------------------------------------------------------------


def test_get_session_token(
    server: LiveServer, make_user: Callable[..., User], make_role: Callable[..., Any]
) -> None:
    """For IAM users, 900 to 129,600 seconds (12 hours by default); for the root user at most
    one hour (a longer request is shortened, not refused); never with session credentials.
    Without MFA, the credentials cannot call IAM (AWS answers InvalidClientTokenId).

    https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html
    https://github.com/aws/aws-cli/issues/8918 and
    https://github.com/99designs/aws-vault/issues/15 (IAM's answer to such credentials)
    """
    user = make_user(policy(allow("iam:ListUsers")))
    sts = user.client()
    default = sts.get_session_token()["Credentials"]
    assert 43190 < seconds_left(default["Expiration"]) <= 43200
    shortest = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert 890 < seconds_left(shortest["Expiration"]) <= 900
    longest = sts.get_session_token(DurationSeconds=129600)["Credentials"]
    assert 129590 < seconds_left(longest["Expiration"]) <= 129600
    assert error_of(lambda: sts.get_session_token(DurationSeconds=129601)) == (
        "ValidationError",
        "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy "
        "constraint: Member must have value less than or equal to 129600",
        400,
    )
    raw = unvalidated(server, user)
    assert error_of(lambda: raw.get_session_token(DurationSeconds=899))[0] == "ValidationError"
    root = server.client("sts").get_session_token(DurationSeconds=7200)["Credentials"]
    assert 3590 < seconds_left(root["Expiration"]) <= 3600

    identity = session_client(server, default).get_caller_identity()
    assert (identity["Arn"], identity["UserId"]) == (user.arn, user.id)
    code, message, status = error_of(session_client(server, default, "iam").list_users)
    assert (code, message, status) == (*INVALID_TOKEN, 403)
    refused = ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
    assert error_of(session_client(server, default).get_session_token) == refused
    role = make_role(trust(user.arn))
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="gst")["Credentials"]
    assert error_of(session_client(server, assumed).get_session_token) == refused
    # GetSessionToken credentials may assume a role (this is not role chaining).
    long_role = make_role(trust(user.arn), MaxSessionDuration=7200)
    chained = session_client(server, default).assume_role(
        RoleArn=long_role["Arn"], RoleSessionName="from-gst", DurationSeconds=7200
    )
    assert seconds_left(chained["Credentials"]["Expiration"]) > 7100


def test_get_session_token_with_mfa(
    server: LiveServer,
    make_user: Callable[..., User],
    make_role: Callable[..., Any],
    mfa_device: Callable[[User], tuple[str, Authenticator]],
) -> None:
    """GetSessionToken with MFA: aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge reach the
    caller's policies, IAM calls work, and the MFA state carries into roles assumed with these
    credentials.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthage
    """
    user = make_user(
        policy(
            allow("iam:ListUsers", {"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            allow("iam:ListGroups", {"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}),
            allow("iam:ListRoles", {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "300"}}),
        )
    )
    serial, app = mfa_device(user)
    sts = user.client()
    # Long-term keys: no MFA in the request, so neither condition holds.
    assert error_of(user.client("iam").list_users)[0] == "AccessDenied"
    assert error_of(
        lambda: sts.get_session_token(SerialNumber=serial, TokenCode=app.wrong_code())
    ) == (
        "AccessDenied",
        MFA_INVALID,
        403,
    )
    code = app.code()
    credentials = sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    assert error_of(lambda: sts.get_session_token(SerialNumber=serial, TokenCode=code)) == (
        "AccessDenied",
        MFA_INVALID,
        403,
    )
    session = session_client(server, credentials, "iam")
    session.list_users()
    session.list_groups()  # authenticated seconds ago
    assert error_of(session.list_roles)[0] == "AccessDenied"
    role = make_role(
        trust(user.arn, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        policy(allow("iam:ListUsers", {"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
    )
    assert error_of(
        lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="no-mfa")
    ) == denied(user.arn, "sts:AssumeRole", role["Arn"])
    assumed = session_client(server, credentials).assume_role(
        RoleArn=role["Arn"], RoleSessionName="with-mfa"
    )
    session_client(server, assumed["Credentials"], "iam").list_users()


# A session's permissions are decided on every call --------------------------------------------


def test_role_changes_reach_live_sessions(
    server: LiveServer,
    iam: Any,
    make_user: Callable[..., User],
    make_role: Callable[..., Any],
    unique: Callable[[str], str],
) -> None:
    """Deleting the role's inline policy, detaching its managed policy, or deleting the role
    takes effect on the session's very next call.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
    """
    user = make_user()
    role = make_role(trust(user.arn), policy(allow("iam:ListUsers")))
    managed = iam.create_policy(
        PolicyName=unique("groups"), PolicyDocument=policy(allow("iam:ListGroups"))
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=managed)
    out = user.client().assume_role(RoleArn=role["Arn"], RoleSessionName="live")
    session = session_client(server, out["Credentials"], "iam")
    session.list_users()
    session.list_groups()
    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="p")
    assert error_of(session.list_users)[0] == "AccessDenied"
    session.list_groups()
    iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=managed)
    assert error_of(session.list_groups)[0] == "AccessDenied"
    iam.put_role_policy(
        RoleName=role["RoleName"], PolicyName="p", PolicyDocument=policy(allow("iam:ListUsers"))
    )
    session.list_users()
    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="p")
    iam.delete_role(RoleName=role["RoleName"])
    iam.create_role(RoleName=role["RoleName"], AssumeRolePolicyDocument=trust(user.arn))
    iam.put_role_policy(
        RoleName=role["RoleName"], PolicyName="p", PolicyDocument=policy(allow("iam:ListUsers"))
    )
    # A role of the same name is another role: the old session gets nothing from it.
    assert error_of(session.list_users)[0] == "AccessDenied"


# Tokens: expiry, tampering, foreign keys ------------------------------------------------------


@pytest.fixture
def role_session(
    server: LiveServer, make_user: Callable[..., User], make_role: Callable[..., Any]
) -> Iterator[dict[str, Any]]:
    user = make_user()
    role = make_role(trust(user.arn), policy(allow("iam:ListUsers")))
    yield user.client().assume_role(RoleArn=role["Arn"], RoleSessionName="tok")["Credentials"]


def test_expired_session_token(server: LiveServer, role_session: dict[str, Any]) -> None:
    """A session past its expiry is refused with ExpiredToken.

    Waiting out even the shortest session (900 seconds) has no place in a test suite, so the
    expired session is made the way the server makes every session: its real token is opened
    with the server's own key ring, given an expiry one second in the past, and sealed again with
    the same key.  The server then checks it exactly as it checks any token it issued; nothing
    in the server is patched.

    https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html (ExpiredToken)
    """
    token = role_session["SessionToken"]
    ring = server.app.key_ring
    key_id = session_tokens.key_id_of(token)
    claims = session_tokens.open_token(token, ring.keys(key_id))
    past = dataclasses.replace(claims, issued_at=time.time() - 901, expires_at=time.time() - 1)
    expired = session_tokens.seal(past, key_id, ring.keys()[key_id])
    fresh = dataclasses.replace(claims, expires_at=time.time() + 60)
    still_good = session_tokens.seal(fresh, key_id, ring.keys()[key_id])
    with_token: Callable[[str], Any] = lambda t: session_client(  # noqa: E731
        server, {**role_session, "SessionToken": t}
    )
    assert with_token(still_good).get_caller_identity()["Arn"].endswith("/tok")
    assert error_of(with_token(expired).get_caller_identity) == (
        "ExpiredToken",
        "The security token included in the request is expired",
        400,
    )
    iam = session_client(server, {**role_session, "SessionToken": expired}, "iam")
    assert error_of(iam.list_users)[0] == "ExpiredToken"


def test_tampered_and_foreign_tokens(server: LiveServer, role_session: dict[str, Any]) -> None:
    """A token altered by one character, one sealed with a key this server does not hold, one
    belonging to another session, or no token at all: InvalidClientTokenId.  The right token with
    the wrong secret: SignatureDoesNotMatch.

    https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
    """
    token = role_session["SessionToken"]

    def call(**changes: str) -> tuple[str, str, int]:
        return error_of(session_client(server, {**role_session, **changes}).get_caller_identity)

    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    assert call(SessionToken=flipped) == (*INVALID_TOKEN, 403)
    assert call(SessionToken=token[:-8]) == (*INVALID_TOKEN, 403)
    assert call(SessionToken="FwoGZXIvYXdzEBAaDNotAnIamdToken") == (*INVALID_TOKEN, 403)
    ring = server.app.key_ring
    key_id = session_tokens.key_id_of(token)
    claims = session_tokens.open_token(token, ring.keys(key_id))
    foreign = session_tokens.seal(claims, key_id, secrets.token_bytes(32))
    assert call(SessionToken=foreign) == (*INVALID_TOKEN, 403)
    # This session's token presented with another session's key pair.
    other = dataclasses.replace(claims, access_key_id="ASIAOTHERSESSION0001")
    assert call(SessionToken=session_tokens.seal(other, key_id, ring.keys()[key_id])) == (
        *INVALID_TOKEN,
        403,
    )
    code, _, status = call(SecretAccessKey="x" * 40)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    # The session's key pair without its token is not a credential.
    bare = server.client("sts", role_session["AccessKeyId"], role_session["SecretAccessKey"])
    assert error_of(bare.get_caller_identity)[0] == "InvalidClientTokenId"


# Refusals leave nothing behind -----------------------------------------------------------------


def test_refused_assume_role_leaves_no_trace(
    iam: Any, make_user: Callable[..., User], make_role: Callable[..., Any]
) -> None:
    """Whatever refuses an AssumeRole (the trust policy, a duration, a tag without
    sts:TagSession, a malformed session policy), the role shows no use.  A role is used when
    a session of it makes a request ("when a role was last used to make an AWS request").

    https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleLastUsed.html
    https://aws.amazon.com/blogs/security/identify-unused-iam-roles-remove-confidently-last-used-timestamp/
    """
    user = make_user()
    role = make_role(trust(user.arn, condition={"StringEquals": {"sts:ExternalId": "Example987"}}))
    sts = user.client()
    attempts: list[dict[str, Any]] = [
        {},
        {"ExternalId": "wrong1"},
        {"ExternalId": "Example987", "DurationSeconds": 7200},
        {"ExternalId": "Example987", "Tags": [{"Key": "k", "Value": "v"}]},
        {"ExternalId": "Example987", "Policy": "{}"},
    ]
    for kwargs in attempts:
        error_of(
            lambda kwargs=kwargs: sts.assume_role(
                RoleArn=role["Arn"], RoleSessionName="no", **kwargs
            )
        )
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"] == {}
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="yes", ExternalId="Example987")
    session_client(user.server, out["Credentials"]).get_caller_identity()
    user.server.app.recorder.flush()  # last use is read from the audit trail
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]["LastUsedDate"]
