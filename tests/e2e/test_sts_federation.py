"""GetFederationToken, GetAccessKeyInfo and DecodeAuthorizationMessage over the wire.

https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html
https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html
https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.authorize.context import principal_context
from iamd.authorize.sessions import caller_of, open_session
from iamd.policy import Outcome, PolicyKind, Request, parse_policy
from iamd.services.caller import Caller
from iamd.services.sts.access_key_info import account_of_key_id, key_id_for_account
from iamd.services.sts.decode_message import encode_authorization_message
from support.live import ROOT_KEY, LiveServer

BUCKET = "arn:aws:s3:::reports"
OBJECT = f"{BUCKET}/2024/q1.csv"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


class Broker:
    """An IAM user acting as an identity broker: its policy, its keys, its STS client."""

    def __init__(
        self,
        server: LiveServer,
        iam: Any,
        unique: Callable[[str], str],
        document: str,
        tags: list[dict[str, str]] | None = None,
    ) -> None:
        self.server = server
        self.name = unique("broker")
        iam.create_user(UserName=self.name, Tags=tags or [])
        iam.put_user_policy(UserName=self.name, PolicyName="p", PolicyDocument=document)
        key = iam.create_access_key(UserName=self.name)["AccessKey"]
        self.key_id = key["AccessKeyId"]
        self.sts = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])

    def federate(self, name: str, **params: Any) -> dict[str, Any]:
        out: dict[str, Any] = self.sts.get_federation_token(Name=name, **params)
        return out


def caller_from(server: LiveServer, credentials: dict[str, Any]) -> Caller:
    """The principal iamd sees behind a set of temporary credentials."""
    claims = open_session(
        server.app.key_ring, credentials["SessionToken"], credentials["AccessKeyId"]
    )
    return caller_of(claims)


def decide(
    server: LiveServer, caller: Caller, action: str, resource: str, resource_policy: Any = None
) -> Outcome:
    """What iamd's authorizer (and so its gateway) decides for the federated session."""
    decision = server.app.authorizer.authorize(
        caller, action, resource, principal_context(caller), None, resource_policy
    )
    return decision.outcome


FEDERATE = allow("sts:GetFederationToken")


# GetFederationToken ---------------------------------------------------------------------


def test_the_federated_user_and_its_credentials(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    broker = Broker(server, iam, unique, policy(FEDERATE, allow("s3:GetObject")))
    out = broker.federate("Bob", Policy=policy(allow("s3:GetObject")))
    arn = f"arn:aws:sts::{server.account_id}:federated-user/Bob"
    assert out["FederatedUser"] == {"FederatedUserId": f"{server.account_id}:Bob", "Arn": arn}
    credentials = out["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert 0 < out["PackedPolicySize"] <= 100
    # The default duration is 43,200 seconds (12 hours).
    left = credentials["Expiration"] - datetime.now(UTC)
    assert timedelta(hours=11, minutes=58) < left <= timedelta(hours=12)
    sts = server.client(
        "sts",
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )
    identity = sts.get_caller_identity()
    assert (identity["Arn"], identity["UserId"]) == (arn, f"{server.account_id}:Bob")


def test_the_session_is_the_intersection_of_the_user_and_session_policies(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    user_policy = policy(FEDERATE, allow(["s3:GetObject", "s3:PutObject"], f"{BUCKET}/*"))
    broker = Broker(server, iam, unique, user_policy)
    session_policy = policy(allow(["s3:GetObject", "ec2:DescribeInstances"]))
    caller = caller_from(server, broker.federate("ana", Policy=session_policy)["Credentials"])
    assert decide(server, caller, "s3:GetObject", OBJECT) is Outcome.ALLOWED
    # Allowed by the user, not by the session; by the session, not by the user.
    assert decide(server, caller, "s3:PutObject", OBJECT) is Outcome.IMPLICIT_DENY
    assert decide(server, caller, "ec2:DescribeInstances", "*") is Outcome.IMPLICIT_DENY


def test_without_a_session_policy_the_session_has_no_permissions(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """ "If you do not pass a policy, then the resulting federated user session has no
    permissions" -- except where a resource-based policy names the federated user."""
    broker = Broker(server, iam, unique, policy(FEDERATE, allow("s3:*")))
    caller = caller_from(server, broker.federate("nopol")["Credentials"])
    assert decide(server, caller, "s3:GetObject", OBJECT) is Outcome.IMPLICIT_DENY
    bucket_policy = parse_policy(
        policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": caller.arn},
                "Action": "s3:GetObject",
                "Resource": f"{BUCKET}/*",
            }
        ),
        PolicyKind.RESOURCE,
        "bucket policy",
    )
    outcome = decide(server, caller, "s3:GetObject", OBJECT, bucket_policy)
    assert outcome is Outcome.ALLOWED


def test_an_explicit_deny_in_either_policy_wins(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    user_policy = policy(FEDERATE, allow("s3:*"), deny("s3:DeleteObject"))
    broker = Broker(server, iam, unique, user_policy)
    session_policy = policy(allow("s3:*"), deny("s3:PutObject", f"{BUCKET}/2024/*"))
    caller = caller_from(server, broker.federate("den", Policy=session_policy)["Credentials"])
    assert decide(server, caller, "s3:DeleteObject", OBJECT) is Outcome.EXPLICIT_DENY
    assert decide(server, caller, "s3:PutObject", OBJECT) is Outcome.EXPLICIT_DENY
    assert decide(server, caller, "s3:PutObject", f"{BUCKET}/2023/x") is Outcome.ALLOWED


def test_managed_session_policies_count_like_an_inline_one(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    broker = Broker(server, iam, unique, policy(FEDERATE, allow("s3:*")))
    managed = iam.create_policy(
        PolicyName=unique("read"), PolicyDocument=policy(allow("s3:GetObject"))
    )["Policy"]["Arn"]
    out = broker.federate("mgd", PolicyArns=[{"arn": managed}])
    caller = caller_from(server, out["Credentials"])
    assert decide(server, caller, "s3:GetObject", OBJECT) is Outcome.ALLOWED
    assert decide(server, caller, "s3:PutObject", OBJECT) is Outcome.IMPLICIT_DENY


def test_federated_users_call_no_iam_and_no_sts_but_get_caller_identity(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """ "You cannot call any IAM operations using the CLI or the AWS API ... You cannot call
    any STS operations except GetCallerIdentity" (API_GetFederationToken, Permissions)."""
    broker = Broker(server, iam, unique, policy(allow("*")))
    credentials = broker.federate("admin", Policy=policy(allow("*")))["Credentials"]
    keys = (credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    federated_iam = server.client("iam", *keys)
    federated_sts = server.client("sts", *keys)
    # The session itself denies IAM and STS, whatever the user and session policies allow,
    # so the gateway and every iamd node refuse them too ...
    caller = caller_from(server, credentials)
    assert decide(server, caller, "iam:ListUsers", "*") is Outcome.EXPLICIT_DENY
    assert decide(server, caller, "sts:AssumeRole", "*") is Outcome.EXPLICIT_DENY
    assert decide(server, caller, "s3:GetObject", OBJECT) is Outcome.ALLOWED
    # ... and over the wire (iamd's pipeline may refuse the IAM call earlier, as it does
    # for GetSessionToken credentials without MFA, as if the token were invalid).
    assert error_of(federated_iam.list_users)[0] in ("AccessDenied", "InvalidClientTokenId")
    assert error_of(lambda: federated_sts.get_federation_token(Name="again"))[0] == "AccessDenied"
    assert federated_sts.get_caller_identity()["Arn"].endswith(":federated-user/admin")


def test_calling_it_needs_sts_get_federation_token_on_the_federated_user(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    scoped = allow(
        "sts:GetFederationToken", f"arn:aws:sts::{server.account_id}:federated-user/app-*"
    )
    broker = Broker(server, iam, unique, policy(scoped))
    assert broker.federate("app-1")["FederatedUser"]["Arn"].endswith("/app-1")
    code, message, status = error_of(lambda: broker.federate("other"))
    assert (code, status) == ("AccessDenied", 403)
    # STS's form: no reason after the resource.
    assert message == (
        f"User: arn:aws:iam::{server.account_id}:user/{broker.name} is not authorized to "
        f"perform: sts:GetFederationToken on resource: arn:aws:sts::{server.account_id}:"
        "federated-user/other"
    )


def test_session_credentials_cannot_call_it(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    broker = Broker(server, iam, unique, policy(allow("*")))
    session = broker.sts.get_session_token()["Credentials"]
    sts = server.client(
        "sts", session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
    )
    code, message, _ = error_of(lambda: sts.get_federation_token(Name="x1"))
    assert (code, message) == (
        "AccessDenied",
        "Cannot call GetFederationToken with session credentials",
    )


def test_durations_for_users_and_root(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    broker = Broker(server, iam, unique, policy(FEDERATE))
    longest = broker.federate("long", DurationSeconds=129_600)["Credentials"]["Expiration"]
    assert longest - datetime.now(UTC) > timedelta(hours=35, minutes=58)
    code, _, _ = error_of(lambda: broker.federate("toolong", DurationSeconds=129_601))
    assert code == "ValidationError"
    # Root sessions are held to one hour: a longer request is shortened, not refused.
    root = server.client("sts").get_federation_token(Name="rootfed", DurationSeconds=7200)
    left = root["Credentials"]["Expiration"] - datetime.now(UTC)
    assert timedelta(minutes=58) < left <= timedelta(hours=1)


def test_session_tags_need_tag_session_and_override_the_users_tags(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    abac = allow(
        "s3:GetObject",
        f"{BUCKET}/*",
        Condition={"StringEquals": {"aws:PrincipalTag/team": "ops"}},
    )
    user_tags = [{"Key": "team", "Value": "web"}, {"Key": "cost", "Value": "42"}]
    untagging = Broker(server, iam, unique, policy(FEDERATE, abac), user_tags)
    code, message, _ = error_of(
        lambda: untagging.federate("t1", Tags=[{"Key": "Team", "Value": "ops"}])
    )
    assert code == "AccessDenied" and "sts:TagSession" in message
    broker = Broker(server, iam, unique, policy(FEDERATE, allow("sts:TagSession"), abac), user_tags)
    out = broker.federate(
        "t2", Policy=policy(allow("s3:*")), Tags=[{"Key": "Team", "Value": "ops"}]
    )
    caller = caller_from(server, out["Credentials"])
    # The session tag replaces the user's tag of the same key, whatever its case.
    assert caller.tags == {"cost": "42", "Team": "ops"}
    assert decide(server, caller, "s3:GetObject", OBJECT) is Outcome.ALLOWED
    untagged = caller_from(
        server, broker.federate("t3", Policy=policy(allow("s3:*")))["Credentials"]
    )
    assert untagged.tags == {"team": "web", "cost": "42"}
    assert decide(server, untagged, "s3:GetObject", OBJECT) is Outcome.IMPLICIT_DENY


def test_a_malformed_session_policy_is_refused(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    broker = Broker(server, iam, unique, policy(FEDERATE))
    bad = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]})
    assert error_of(lambda: broker.federate("mal", Policy=bad))[0] == "MalformedPolicyDocument"


# GetAccessKeyInfo -----------------------------------------------------------------------


def test_access_key_info_for_keys_iamd_knows(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    broker = Broker(server, iam, unique, policy(FEDERATE, allow("sts:GetAccessKeyInfo")))
    sts = server.client("sts")
    assert sts.get_access_key_info(AccessKeyId=broker.key_id)["Account"] == server.account_id
    assert sts.get_access_key_info(AccessKeyId=ROOT_KEY)["Account"] == server.account_id
    # A session key: the caller's own is always known.
    session = broker.sts.get_session_token()["Credentials"]
    own = server.client(
        "sts", session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
    )
    found = own.get_access_key_info(AccessKeyId=session["AccessKeyId"])
    assert found["Account"] == server.account_id
    # A deleted key in the account-bearing format still answers, as AWS's do.
    encoded = key_id_for_account("AKIA", server.account_id)
    assert sts.get_access_key_info(AccessKeyId=encoded)["Account"] == server.account_id


def test_access_key_info_decodes_the_account_as_aws_does(server: LiveServer) -> None:
    """AWS answered 609629065308 for ASIAY34FZKBOKMUTVV7A, 609629065306 with its twelfth
    character lowered by one and 609629065244 with its eleventh (Aidan Steele, "AWS Access
    Key ID formats", 2020); older-format keys (AKIAI..., AKIAJ...) carry no account."""
    sts = server.client("sts")
    for key, account in (
        ("ASIAY34FZKBOKMUTVV7A", "609629065308"),
        ("ASIAY34FZKBNKMUTVV7A", "609629065306"),
        ("ASIAY34FZKAOKMUTVV7A", "609629065244"),
    ):
        assert account_of_key_id(key) == account
        assert sts.get_access_key_info(AccessKeyId=key)["Account"] == account
    code, message, status = error_of(
        lambda: sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    )
    assert (code, status) == ("InvalidClientTokenId", 403)
    assert message == "The security token included in the request is invalid."


def test_access_key_info_needs_its_permission(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    broker = Broker(server, iam, unique, policy(FEDERATE))
    code, message, _ = error_of(lambda: broker.sts.get_access_key_info(AccessKeyId=ROOT_KEY))
    assert code == "AccessDenied" and "sts:GetAccessKeyInfo" in message


# DecodeAuthorizationMessage -------------------------------------------------------------


def denied_message(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> tuple[str, Caller]:
    """An encoded message for a request iamd's authorizer denied, as the gateway would make."""
    broker = Broker(
        server,
        iam,
        unique,
        policy(
            FEDERATE,
            allow("s3:*"),
            {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        ),
    )
    caller = Caller(
        kind="IAMUser",
        arn=f"arn:aws:iam::{server.account_id}:user/{broker.name}",
        account_id=server.account_id,
        principal_id=iam.get_user(UserName=broker.name)["User"]["UserId"],
        name=broker.name,
        access_key_id=broker.key_id,
        user_id=iam.get_user(UserName=broker.name)["User"]["UserId"],
    )
    context = {**principal_context(caller), "aws:SourceIp": "192.0.2.7"}
    decision = server.app.authorizer.authorize(caller, "s3:DeleteObject", OBJECT, context)
    assert decision.outcome is Outcome.EXPLICIT_DENY
    request = Request.build(caller.arn, "s3:DeleteObject", OBJECT, context)
    message = encode_authorization_message(
        server.app.store,
        decision,
        request,
        account_id=server.account_id,
        principal_id=caller.principal_id,
        context=context,
    )
    return message, caller


def test_decode_authorization_message_returns_awss_document(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    message, caller = denied_message(server, iam, unique)
    decoder = Broker(server, iam, unique, policy(allow("sts:DecodeAuthorizationMessage")))
    decoded = json.loads(
        decoder.sts.decode_authorization_message(EncodedMessage=message)["DecodedMessage"]
    )
    assert (decoded["allowed"], decoded["explicitDeny"]) == (False, True)
    (statement,) = decoded["matchedStatements"]["items"]
    assert (statement["statementId"], statement["effect"]) == ("NoDeletes", "DENY")
    assert decoded["failures"] == {"items": []}
    context = decoded["context"]
    assert context["principal"] == {"id": caller.principal_id, "arn": caller.arn}
    assert (context["action"], context["resource"]) == ("DeleteObject", OBJECT)
    conditions = {c["key"]: c["values"]["items"] for c in context["conditions"]["items"]}
    assert conditions["aws:SourceIp"] == [{"value": "192.0.2.7"}]
    assert conditions["aws:username"] == [{"value": caller.name}]


def test_decoding_needs_permission_and_a_genuine_message(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    message, _ = denied_message(server, iam, unique)
    nobody = Broker(server, iam, unique, policy(FEDERATE))
    code, message_text, _ = error_of(
        lambda: nobody.sts.decode_authorization_message(EncodedMessage=message)
    )
    assert code == "AccessDenied" and "sts:DecodeAuthorizationMessage" in message_text
    sts = server.client("sts")
    flipped = message[:40] + ("A" if message[40] != "A" else "B") + message[41:]
    for bad in ("not-a-message", flipped, message[:-4]):
        code, _, status = error_of(lambda b=bad: sts.decode_authorization_message(EncodedMessage=b))
        assert (code, status) == ("InvalidAuthorizationMessageException", 400)
    # Sealed for another account: not readable in this one.
    request = Request.build(f"arn:aws:iam::{server.account_id}:root", "s3:GetObject", OBJECT)
    decision = server.app.authorizer.authorize(caller_from_root(server), "s3:GetObject", OBJECT, {})
    foreign = encode_authorization_message(
        server.app.store, decision, request, account_id="999988887777"
    )
    code, _, _ = error_of(lambda: sts.decode_authorization_message(EncodedMessage=foreign))
    assert code == "InvalidAuthorizationMessageException"


def caller_from_root(server: LiveServer) -> Caller:
    return Caller(
        kind="Root",
        arn=f"arn:aws:iam::{server.account_id}:root",
        account_id=server.account_id,
        principal_id=server.account_id,
        name="root",
        access_key_id=ROOT_KEY,
    )


def test_get_access_key_info_names_the_account_of_any_session_key(server: LiveServer) -> None:
    """Session key ids encode their account, as AWS's do:
    https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html"""
    sts = server.client("sts")
    for _ in range(20):
        key = sts.get_session_token(DurationSeconds=900)["Credentials"]["AccessKeyId"]
        assert sts.get_access_key_info(AccessKeyId=key)["Account"] == server.account_id
