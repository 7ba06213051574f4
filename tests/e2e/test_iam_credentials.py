"""A user's other credentials over the wire with boto3: console passwords (login profiles,
ChangePassword, the account password policy), SSH public keys, service-specific credentials
and X.509 signing certificates, with AWS's errors, quotas, pagination and authorization.

Messages marked "AWS" below are AWS's own, as recorded against AWS by LocalStack's validated
snapshot tests (github.com/localstack/localstack, tests/aws/services/iam/*.snapshot.json) or
quoted from AWS responses in public bug reports; the rest follow the API reference's
descriptions of each error.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from support.live import LiveServer

STRONG = "Correct-Horse-42"
"""Meets AWS's default rules: 8+ characters, all four character types."""


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def allow(*actions: str, resource: str = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}],
    }


OWN_USER = "arn:aws:iam::*:user/${aws:username}"


# Keys and certificates -------------------------------------------------------------------


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def openssh(key: rsa.RSAPrivateKey, comment: str = "me@laptop") -> str:
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return f"{line.decode()} {comment}"


def pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def md5_fingerprint(openssh_line: str) -> str:
    """What ``ssh-keygen -E md5 -l`` prints, without its ``MD5:`` prefix."""
    digest = hashlib.md5(base64.b64decode(openssh_line.split()[1])).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def certificate(
    key: Any = None, *, valid_from: timedelta = timedelta(days=-1), days: int = 365
) -> str:
    key = key or rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iamd signing test")])
    start = datetime.now(UTC) + valid_from
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return built.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def keys() -> list[rsa.RSAPrivateKey]:
    return [rsa_key() for _ in range(6)]


@pytest.fixture
def user(iam: Any, unique: Callable[[str], str]) -> str:
    name = unique("cred")
    iam.create_user(UserName=name)
    return name


# Login profiles ----------------------------------------------------------------------------


def test_login_profile_lifecycle(iam: Any, user: str) -> None:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html and
    API_GetLoginProfile, API_UpdateLoginProfile, API_DeleteLoginProfile."""
    created = iam.create_login_profile(UserName=user, Password=STRONG, PasswordResetRequired=True)
    profile = created["LoginProfile"]
    assert profile["UserName"] == user and profile["PasswordResetRequired"] is True
    assert abs(profile["CreateDate"] - datetime.now(UTC)) < timedelta(minutes=1)
    assert iam.get_login_profile(UserName=user)["LoginProfile"] == profile
    iam.update_login_profile(UserName=user, PasswordResetRequired=False)
    assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is False
    iam.update_login_profile(UserName=user, Password="Another-Pass-7", PasswordResetRequired=True)
    fetched = iam.get_login_profile(UserName=user)["LoginProfile"]
    assert fetched["PasswordResetRequired"] is True
    assert fetched["CreateDate"] == profile["CreateDate"]
    iam.delete_login_profile(UserName=user)
    missing = ("NoSuchEntity", f"Login Profile for User {user} cannot be found.", 404)  # AWS
    assert error_of(lambda: iam.get_login_profile(UserName=user)) == missing
    assert error_of(lambda: iam.delete_login_profile(UserName=user)) == missing
    assert error_of(lambda: iam.update_login_profile(UserName=user, Password=STRONG)) == missing


def test_login_profile_errors(iam: Any, user: str) -> None:
    assert error_of(lambda: iam.create_login_profile(UserName="nobody-here", Password=STRONG)) == (
        "NoSuchEntity",
        "The user with name nobody-here cannot be found.",
        404,
    )
    iam.create_login_profile(UserName=user, Password=STRONG)
    assert error_of(lambda: iam.create_login_profile(UserName=user, Password=STRONG)) == (
        "EntityAlreadyExists",
        f"Login Profile for user {user} already exists.",  # AWS
        409,
    )
    code, message, status = error_of(lambda: iam.create_login_profile(UserName=user))
    assert (code, status) == ("ValidationError", 400) and "'password'" in message


def test_default_password_rules_without_a_policy(iam: Any, user: str) -> None:
    """Without a custom policy AWS requires 8+ characters and three of the four character
    types; AWS's message for a missing type, from a PasswordPolicyViolation quoted in
    https://github.com/redhat-cop/agnosticd/pull/6594.  Rules:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html
    """
    code, message, status = error_of(
        lambda: iam.create_login_profile(UserName=user, Password="lowercase1only")
    )
    assert (code, status) == ("PasswordPolicyViolation", 400)
    assert message == (
        "Password should meet 1 more of the following requirements: "
        "Password should have at least one uppercase letter, "
        "Password should have at least one symbol"
    )
    assert error_of(lambda: iam.create_login_profile(UserName=user, Password="Ab1!"))[0] == (
        "PasswordPolicyViolation"
    )
    assert error_of(lambda: iam.get_login_profile(UserName=user))[0] == "NoSuchEntity"
    iam.create_login_profile(UserName=user, Password="lowercase1ONLY")
    code, _, _ = error_of(lambda: iam.update_login_profile(UserName=user, Password="weakpass"))
    assert code == "PasswordPolicyViolation"


def test_login_profile_calls_are_authorized_on_the_user(
    server: LiveServer, iam: Any, user_client: Callable[..., Any], user: str
) -> None:
    manager = user_client(allow("iam:GetLoginProfile", "iam:CreateLoginProfile", resource=OWN_USER))
    manager.create_login_profile(Password=STRONG)  # no UserName: the caller itself
    assert manager.get_login_profile()["LoginProfile"]["UserName"] == manager.user_name
    code, message, status = error_of(
        lambda: manager.create_login_profile(UserName=user, Password=STRONG)
    )
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(
        f"User: arn:aws:iam::{server.account_id}:user/{manager.user_name} is not authorized to "
        f"perform: iam:CreateLoginProfile on resource: arn:aws:iam::{server.account_id}:user/{user}"
    )
    assert error_of(lambda: manager.delete_login_profile())[0] == "AccessDenied"
    assert error_of(lambda: iam.get_login_profile(UserName=user))[0] == "NoSuchEntity"


def test_change_password(
    server: LiveServer, iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html: the caller
    changes its own password (iam:ChangePassword on its own user), giving the current one."""
    changer = user_client(allow("iam:ChangePassword", "iam:GetLoginProfile", resource=OWN_USER))
    assert error_of(lambda: changer.change_password(OldPassword=STRONG, NewPassword=STRONG)) == (
        "NoSuchEntity",
        f"Login Profile for User {changer.user_name} cannot be found.",
        404,
    )
    iam.create_login_profile(
        UserName=changer.user_name, Password=STRONG, PasswordResetRequired=True
    )
    code, _, status = error_of(
        lambda: changer.change_password(OldPassword="Wrong-Pass-1", NewPassword="Next-Pass-77")
    )
    assert (code, status) == ("AccessDenied", 403)
    code, _, _ = error_of(lambda: changer.change_password(OldPassword=STRONG, NewPassword="weak"))
    assert code == "PasswordPolicyViolation"
    changer.change_password(OldPassword=STRONG, NewPassword="Next-Pass-77")
    # The new password is now the current one, and the reset requirement is met.
    assert changer.get_login_profile()["LoginProfile"]["PasswordResetRequired"] is False
    assert error_of(
        lambda: changer.change_password(OldPassword=STRONG, NewPassword="Third-Pass-99")
    )[0] == ("AccessDenied")
    changer.change_password(OldPassword="Next-Pass-77", NewPassword="Third-Pass-99")

    # Without iam:ChangePassword the call is refused before the password is looked at.
    bystander = user_client(allow("iam:GetUser"))
    iam.create_login_profile(UserName=bystander.user_name, Password=STRONG)
    code, message, _ = error_of(
        lambda: bystander.change_password(OldPassword=STRONG, NewPassword="Next-Pass-77")
    )
    assert code == "AccessDenied"
    assert f"iam:ChangePassword on resource: arn:aws:iam::{server.account_id}:user/" in message
    # The root user has no IAM password to change.
    code, _, status = error_of(
        lambda: iam.change_password(OldPassword=STRONG, NewPassword="Next-Pass-77")
    )
    assert (code, status) == ("InvalidUserType", 400)


# The account password policy ---------------------------------------------------------------


@pytest.fixture
def no_password_policy(iam: Any) -> Iterator[None]:
    """Tests here share one account: leave it without a policy, as other tests expect."""
    with contextlib.suppress(ClientError):
        iam.delete_account_password_policy()
    yield
    with contextlib.suppress(ClientError):
        iam.delete_account_password_policy()


@pytest.mark.usefixtures("no_password_policy")
def test_account_password_policy_lifecycle(server: LiveServer, iam: Any) -> None:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html:
    not a partial update, omitted parameters revert to defaults.  Defaults, shapes and messages
    are AWS's (LocalStack's test_iam_account_password_policy snapshot, recorded on AWS)."""
    assert error_of(lambda: iam.get_account_password_policy()) == (
        "NoSuchEntity",
        f"The Password Policy with domain name {server.account_id} cannot be found.",
        404,
    )
    assert error_of(lambda: iam.delete_account_password_policy()) == (
        "NoSuchEntity",
        "The account policy with name PasswordPolicy cannot be found.",
        404,
    )
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": False,
        "MinimumPasswordLength": 6,
        "RequireLowercaseCharacters": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
        "RequireUppercaseCharacters": False,
    }
    iam.update_account_password_policy(
        MinimumPasswordLength=10,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=60,
        PasswordReusePrevention=3,
        HardExpiry=True,
    )
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "HardExpiry": True,
        "MaxPasswordAge": 60,
        "MinimumPasswordLength": 10,
        "PasswordReusePrevention": 3,
        "RequireLowercaseCharacters": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "RequireUppercaseCharacters": True,
    }
    # Not a partial update: what is left out goes back to its default.
    iam.update_account_password_policy(MinimumPasswordLength=7)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 7 and policy["RequireSymbols"] is False
    assert "MaxPasswordAge" not in policy and policy["ExpirePasswords"] is False
    code, message, _ = error_of(
        lambda: iam.update_account_password_policy(MinimumPasswordLength=200)
    )
    assert code == "ValidationError" and "minimumPasswordLength" in message
    iam.delete_account_password_policy()
    assert error_of(lambda: iam.get_account_password_policy())[0] == "NoSuchEntity"


@pytest.mark.usefixtures("no_password_policy")
def test_the_policy_governs_new_passwords(
    iam: Any, user_client: Callable[..., Any], user: str
) -> None:
    iam.update_account_password_policy(
        MinimumPasswordLength=12, RequireNumbers=True, PasswordReusePrevention=2
    )
    code, message, status = error_of(
        lambda: iam.create_login_profile(UserName=user, Password="short1")
    )
    assert (code, status) == ("PasswordPolicyViolation", 400)
    assert message == "Password should have a minimum length of 12"
    code, message, _ = error_of(
        lambda: iam.create_login_profile(UserName=user, Password="no numbers at all")
    )
    assert message == "Password should have at least one number"
    # A custom policy replaces the default rules: one character type is enough here.
    iam.create_login_profile(UserName=user, Password="all lower 123")
    assert error_of(lambda: iam.update_login_profile(UserName=user, Password="nope"))[0] == (
        "PasswordPolicyViolation"
    )

    changer = user_client(allow("iam:ChangePassword", resource=OWN_USER))
    iam.create_login_profile(UserName=changer.user_name, Password="first password 1")
    changer.change_password(OldPassword="first password 1", NewPassword="second password 2")
    # PasswordReusePrevention=2: neither of the last two passwords may come back.
    for reused in ("first password 1", "second password 2"):
        code, message, _ = error_of(
            lambda reused=reused: changer.change_password(
                OldPassword="second password 2", NewPassword=reused
            )
        )
        assert code == "PasswordPolicyViolation"
        assert message == "Password should not be one of your previous 2 passwords"
    changer.change_password(OldPassword="second password 2", NewPassword="third password 3")
    changer.change_password(OldPassword="third password 3", NewPassword="first password 1")


@pytest.mark.usefixtures("no_password_policy")
def test_password_policy_calls_are_authorized(user_client: Callable[..., Any]) -> None:
    reader = user_client(allow("iam:GetAccountPasswordPolicy"))
    assert error_of(lambda: reader.get_account_password_policy())[0] == "NoSuchEntity"
    assert error_of(lambda: reader.update_account_password_policy())[:3:2] == (
        "AccessDenied",
        403,
    )
    assert error_of(lambda: reader.delete_account_password_policy())[0] == "AccessDenied"
    admin = user_client(allow("iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy"))
    admin.update_account_password_policy(MinimumPasswordLength=9)
    assert reader.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 9
    admin.delete_account_password_policy()


# SSH public keys ---------------------------------------------------------------------------


def test_ssh_public_key_lifecycle(iam: Any, user: str, keys: list[rsa.RSAPrivateKey]) -> None:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadSSHPublicKey.html and
    API_GetSSHPublicKey, API_ListSSHPublicKeys, API_UpdateSSHPublicKey, API_DeleteSSHPublicKey.
    The fingerprint is "the MD5 message digest of the SSH public key" (API_SSHPublicKey)."""
    body = openssh(keys[0])
    uploaded = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body)["SSHPublicKey"]
    key_id = uploaded["SSHPublicKeyId"]
    assert key_id.startswith("APKA") and uploaded["UserName"] == user
    assert uploaded["Status"] == "Active" and uploaded["SSHPublicKeyBody"] == body
    assert uploaded["Fingerprint"] == md5_fingerprint(body)
    as_ssh = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Encoding="SSH")
    assert as_ssh["SSHPublicKey"] == uploaded
    as_pem = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Encoding="PEM")
    loaded = serialization.load_pem_public_key(as_pem["SSHPublicKey"]["SSHPublicKeyBody"].encode())
    assert loaded.public_numbers() == keys[0].public_key().public_numbers()
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == [
        {
            "UserName": user,
            "SSHPublicKeyId": key_id,
            "Status": "Active",
            "UploadDate": uploaded["UploadDate"],
        }
    ]
    iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Status="Inactive")
    fetched = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Encoding="SSH")
    assert fetched["SSHPublicKey"]["Status"] == "Inactive"
    iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key_id)
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == []
    missing = ("NoSuchEntity", f"The Public Key with id {key_id} cannot be found.", 404)  # AWS
    assert error_of(lambda: iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key_id)) == (
        missing
    )


def test_ssh_public_key_formats_and_errors(
    iam: Any, user: str, unique: Callable[[str], str], keys: list[rsa.RSAPrivateKey]
) -> None:
    """AWS takes RSA keys of 2048 bits or more, ssh-rsa or PEM encoded (API_UploadSSHPublicKey);
    anything else is UnrecognizedPublicKeyEncoding or InvalidPublicKey."""
    pem_body = pem(keys[1])
    uploaded = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=pem_body)["SSHPublicKey"]
    assert uploaded["Fingerprint"] == md5_fingerprint(openssh(keys[1]))
    key_id = uploaded["SSHPublicKeyId"]
    as_ssh = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Encoding="SSH")
    assert as_ssh["SSHPublicKey"]["SSHPublicKeyBody"].split()[:2] == openssh(keys[1]).split()[:2]
    code, _, status = error_of(
        lambda: iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh(keys[1], "x"))
    )
    assert (code, status) == ("DuplicateSSHPublicKey", 400)

    ed = ed25519.Ed25519PrivateKey.generate().public_key()
    ed_line = ed.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    for unrecognized in (ed_line, "not a key at all"):
        assert error_of(
            lambda body=unrecognized: iam.upload_ssh_public_key(
                UserName=user, SSHPublicKeyBody=body
            )
        )[::2] == ("UnrecognizedPublicKeyEncoding", 400)
    short = openssh(rsa_key(1024))
    broken = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== truncated"
    bad_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
    for invalid in (short, broken, bad_pem):
        assert error_of(
            lambda body=invalid: iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body)
        )[::2] == ("InvalidPublicKey", 400)

    assert error_of(
        lambda: iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Status="Expired")
    )[::2] == ("InvalidInput", 400)
    assert error_of(
        lambda: iam.upload_ssh_public_key(UserName="nobody-here", SSHPublicKeyBody=pem_body)
    ) == ("NoSuchEntity", "The user with name nobody-here cannot be found.", 404)
    # Another user's key id is not found under this user.
    other = unique("cred")
    iam.create_user(UserName=other)
    assert error_of(
        lambda: iam.get_ssh_public_key(UserName=other, SSHPublicKeyId=key_id, Encoding="SSH")
    ) == ("NoSuchEntity", f"The Public Key with id {key_id} cannot be found.", 404)
    # The same key may belong to two users.
    iam.upload_ssh_public_key(UserName=other, SSHPublicKeyBody=pem_body)


def test_ssh_keys_quota_and_pagination(iam: Any, user: str, keys: list[rsa.RSAPrivateKey]) -> None:
    """Five SSH public keys per user (IAM quotas, reference_iam-quotas.html); listed in key id
    order, as the CodeCommit troubleshooting guide says the console shows them."""
    ids = sorted(
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh(key))["SSHPublicKey"][
            "SSHPublicKeyId"
        ]
        for key in keys[:5]
    )
    code, message, status = error_of(
        lambda: iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh(keys[5]))
    )
    assert (code, status) == ("LimitExceeded", 409) and "5" in message
    first = iam.list_ssh_public_keys(UserName=user, MaxItems=2)
    assert first["IsTruncated"] and [k["SSHPublicKeyId"] for k in first["SSHPublicKeys"]] == ids[:2]
    second = iam.list_ssh_public_keys(UserName=user, MaxItems=2, Marker=first["Marker"])
    assert [k["SSHPublicKeyId"] for k in second["SSHPublicKeys"]] == ids[2:4]
    paginator = iam.get_paginator("list_ssh_public_keys")
    seen = [
        k["SSHPublicKeyId"]
        for page in paginator.paginate(UserName=user, PaginationConfig={"PageSize": 2})
        for k in page["SSHPublicKeys"]
    ]
    assert seen == ids


def test_ssh_key_calls_are_authorized_on_the_user(
    iam: Any, user_client: Callable[..., Any], user: str, keys: list[rsa.RSAPrivateKey]
) -> None:
    owner = user_client(allow("iam:UploadSSHPublicKey", "iam:ListSSHPublicKeys", resource=OWN_USER))
    mine = owner.upload_ssh_public_key(UserName=owner.user_name, SSHPublicKeyBody=openssh(keys[0]))
    listed = owner.list_ssh_public_keys()["SSHPublicKeys"]  # no UserName: the caller itself
    assert [k["SSHPublicKeyId"] for k in listed] == [mine["SSHPublicKey"]["SSHPublicKeyId"]]
    code, _, status = error_of(
        lambda: owner.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh(keys[0]))
    )
    assert (code, status) == ("AccessDenied", 403)
    assert error_of(lambda: owner.list_ssh_public_keys(UserName=user))[0] == "AccessDenied"
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == []


# Service-specific credentials ----------------------------------------------------------------


def test_service_specific_credential_lifecycle(server: LiveServer, iam: Any, user: str) -> None:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceSpecificCredential.html
    and the List, Update, Reset and Delete operations.  IAM generates the user name
    (``<user>-at-<account>``) and the password; only Create and Reset show the password."""
    created = iam.create_service_specific_credential(
        UserName=user, ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    cred_id = created["ServiceSpecificCredentialId"]
    assert cred_id.startswith("ACCA") and created["UserName"] == user
    assert created["ServiceName"] == "codecommit.amazonaws.com" and created["Status"] == "Active"
    assert created["ServiceUserName"] == f"{user}-at-{server.account_id}"
    password = created["ServicePassword"]
    assert len(password) == 60 and len(base64.b64decode(password)) == 44
    listed = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert listed == [{k: v for k, v in created.items() if k != "ServicePassword"}]
    reset = iam.reset_service_specific_credential(
        UserName=user, ServiceSpecificCredentialId=cred_id
    )
    new_password = reset["ServiceSpecificCredential"]["ServicePassword"]
    assert new_password != password and len(new_password) == 60
    assert reset["ServiceSpecificCredential"]["ServiceSpecificCredentialId"] == cred_id
    iam.update_service_specific_credential(
        UserName=user, ServiceSpecificCredentialId=cred_id, Status="Inactive"
    )
    listed = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert [c["Status"] for c in listed] == ["Inactive"]
    iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cred_id)
    assert iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"] == []
    assert error_of(
        lambda: iam.delete_service_specific_credential(
            UserName=user, ServiceSpecificCredentialId=cred_id
        )
    ) == ("NoSuchEntity", f"No such credential {cred_id} exists", 404)


def test_service_specific_credential_errors_and_quota(
    iam: Any, user: str, unique: Callable[[str], str]
) -> None:
    """Two credentials per user per service.  An unsupported service is NoSuchEntity with
    AWS's message (LocalStack's AWS-validated provider)."""
    assert error_of(
        lambda: iam.create_service_specific_credential(
            UserName=user, ServiceName="s3.amazonaws.com"
        )
    ) == (
        "NoSuchEntity",
        "No such service s3.amazonaws.com is supported for Service Specific Credentials",
        404,
    )
    assert error_of(
        lambda: iam.create_service_specific_credential(
            UserName="nobody-here", ServiceName="codecommit.amazonaws.com"
        )
    ) == ("NoSuchEntity", "The user with name nobody-here cannot be found.", 404)
    for _ in range(2):
        iam.create_service_specific_credential(
            UserName=user, ServiceName="codecommit.amazonaws.com"
        )
    code, _, status = error_of(
        lambda: iam.create_service_specific_credential(
            UserName=user, ServiceName="codecommit.amazonaws.com"
        )
    )
    assert (code, status) == ("LimitExceeded", 409)
    keyspaces = iam.create_service_specific_credential(
        UserName=user, ServiceName="cassandra.amazonaws.com"
    )["ServiceSpecificCredential"]
    only_keyspaces = iam.list_service_specific_credentials(
        UserName=user, ServiceName="cassandra.amazonaws.com"
    )["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in only_keyspaces] == [
        keyspaces["ServiceSpecificCredentialId"]
    ]
    everything = iam.list_service_specific_credentials(UserName=user)
    assert len(everything["ServiceSpecificCredentials"]) == 3
    first = iam.list_service_specific_credentials(UserName=user, MaxItems=2)
    assert first["IsTruncated"] and len(first["ServiceSpecificCredentials"]) == 2
    rest = iam.list_service_specific_credentials(UserName=user, Marker=first["Marker"])
    assert [
        c["ServiceSpecificCredentialId"]
        for c in first["ServiceSpecificCredentials"] + rest["ServiceSpecificCredentials"]
    ] == [c["ServiceSpecificCredentialId"] for c in everything["ServiceSpecificCredentials"]]
    # Another user's credential is not found under this user.
    other = unique("cred")
    iam.create_user(UserName=other)
    assert error_of(
        lambda: iam.reset_service_specific_credential(
            UserName=other, ServiceSpecificCredentialId=keyspaces["ServiceSpecificCredentialId"]
        )
    )[::2] == ("NoSuchEntity", 404)
    # AllUsers lists every user's credentials for the service.
    theirs = iam.create_service_specific_credential(
        UserName=other, ServiceName="cassandra.amazonaws.com"
    )["ServiceSpecificCredential"]
    all_keyspaces = iam.list_service_specific_credentials(
        AllUsers=True, ServiceName="cassandra.amazonaws.com"
    )["ServiceSpecificCredentials"]
    owners = {c["ServiceSpecificCredentialId"]: c["UserName"] for c in all_keyspaces}
    assert owners[keyspaces["ServiceSpecificCredentialId"]] == user
    assert owners[theirs["ServiceSpecificCredentialId"]] == other


def test_service_credentials_default_to_the_caller_and_are_authorized(
    iam: Any, user_client: Callable[..., Any], user: str
) -> None:
    own = user_client(
        allow(
            "iam:CreateServiceSpecificCredential",
            "iam:ListServiceSpecificCredentials",
            "iam:ResetServiceSpecificCredential",
            resource=OWN_USER,
        )
    )
    made = own.create_service_specific_credential(
        UserName=own.user_name, ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    listed = own.list_service_specific_credentials()["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed] == [
        made["ServiceSpecificCredentialId"]
    ]
    own.reset_service_specific_credential(
        ServiceSpecificCredentialId=made["ServiceSpecificCredentialId"]
    )
    assert error_of(
        lambda: own.delete_service_specific_credential(
            ServiceSpecificCredentialId=made["ServiceSpecificCredentialId"]
        )
    )[::2] == ("AccessDenied", 403)
    assert error_of(
        lambda: own.create_service_specific_credential(
            UserName=user, ServiceName="codecommit.amazonaws.com"
        )
    )[0] == ("AccessDenied")
    assert error_of(lambda: own.list_service_specific_credentials(AllUsers=True))[0] == (
        "AccessDenied"
    )


# Signing certificates ----------------------------------------------------------------------


def test_signing_certificate_lifecycle(iam: Any, user: str) -> None:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadSigningCertificate.html and
    API_ListSigningCertificates, API_UpdateSigningCertificate, API_DeleteSigningCertificate."""
    body = certificate()
    uploaded = iam.upload_signing_certificate(UserName=user, CertificateBody=body)["Certificate"]
    cert_id = uploaded["CertificateId"]
    assert len(cert_id) == 32 and cert_id == cert_id.upper() and cert_id.isalnum()
    assert uploaded["UserName"] == user and uploaded["Status"] == "Active"
    assert uploaded["CertificateBody"] == body
    assert iam.list_signing_certificates(UserName=user)["Certificates"] == [uploaded]
    iam.update_signing_certificate(UserName=user, CertificateId=cert_id, Status="Inactive")
    listed = iam.list_signing_certificates(UserName=user)["Certificates"]
    assert [c["Status"] for c in listed] == ["Inactive"]
    iam.delete_signing_certificate(UserName=user, CertificateId=cert_id)
    assert iam.list_signing_certificates(UserName=user)["Certificates"] == []
    assert error_of(
        lambda: iam.delete_signing_certificate(UserName=user, CertificateId=cert_id)
    ) == (
        "NoSuchEntity",
        f"The Certificate with id {cert_id} cannot be found.",  # AWS
        404,
    )


def test_signing_certificate_errors_and_quota(
    iam: Any, user: str, unique: Callable[[str], str]
) -> None:
    """AWS's messages for a malformed body, an unknown id and the quota of two per user
    (LocalStack's test_iam_signing_certificates snapshot, recorded on AWS)."""
    assert error_of(
        lambda: iam.upload_signing_certificate(
            UserName=user, CertificateBody="invalid-certificate-body"
        )
    ) == ("MalformedCertificate", "Certificate invalid-certificate-body is malformed.", 400)
    expired = certificate(valid_from=timedelta(days=-30), days=10)
    assert error_of(lambda: iam.upload_signing_certificate(UserName=user, CertificateBody=expired))[
        ::2
    ] == ("MalformedCertificate", 400)
    ec_cert = certificate(ec.generate_private_key(ec.SECP256R1()))
    assert error_of(lambda: iam.upload_signing_certificate(UserName=user, CertificateBody=ec_cert))[
        ::2
    ] == ("InvalidCertificate", 400)
    assert error_of(
        lambda: iam.update_signing_certificate(
            UserName=user, CertificateId="NONEXISTENTCERTID12345678901", Status="Inactive"
        )
    ) == (
        "NoSuchEntity",
        "The Certificate with id NONEXISTENTCERTID12345678901 cannot be found.",
        404,
    )
    assert error_of(lambda: iam.list_signing_certificates(UserName="nobody-here")) == (
        "NoSuchEntity",
        "The user with name nobody-here cannot be found.",
        404,
    )
    first, second = certificate(), certificate()
    made = iam.upload_signing_certificate(UserName=user, CertificateBody=first)["Certificate"]
    iam.upload_signing_certificate(UserName=user, CertificateBody=second)
    assert error_of(
        lambda: iam.upload_signing_certificate(UserName=user, CertificateBody=certificate())
    ) == ("LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2", 409)
    # One certificate belongs to one user in the account.
    other = unique("cred")
    iam.create_user(UserName=other)
    assert error_of(lambda: iam.upload_signing_certificate(UserName=other, CertificateBody=first))[
        ::2
    ] == ("DuplicateCertificate", 409)
    assert error_of(
        lambda: iam.update_signing_certificate(
            UserName=other, CertificateId=made["CertificateId"], Status="Inactive"
        )
    )[::2] == ("NoSuchEntity", 404)
    assert error_of(
        lambda: iam.update_signing_certificate(
            UserName=user, CertificateId=made["CertificateId"], Status="Expired"
        )
    )[::2] == ("InvalidInput", 400)
    iam.delete_signing_certificate(UserName=user, CertificateId=made["CertificateId"])
    iam.upload_signing_certificate(UserName=other, CertificateBody=first)


def test_signing_certificates_of_the_caller_itself(
    iam: Any, user_client: Callable[..., Any], user: str
) -> None:
    """Without UserName the call acts on the caller: an IAM user's own certificates, or the
    root user's (API_UploadSigningCertificate)."""
    own = user_client(
        allow("iam:UploadSigningCertificate", "iam:ListSigningCertificates", resource=OWN_USER)
    )
    mine = own.upload_signing_certificate(CertificateBody=certificate())["Certificate"]
    assert mine["UserName"] == own.user_name
    assert own.list_signing_certificates()["Certificates"] == [mine]
    assert error_of(
        lambda: own.upload_signing_certificate(UserName=user, CertificateBody=certificate())
    )[::2] == ("AccessDenied", 403)
    assert error_of(lambda: own.list_signing_certificates(UserName=user))[0] == "AccessDenied"

    root_cert = iam.upload_signing_certificate(CertificateBody=certificate())["Certificate"]
    try:
        listed = iam.list_signing_certificates()["Certificates"]
        assert root_cert["CertificateId"] in [c["CertificateId"] for c in listed]
        assert mine["CertificateId"] not in [c["CertificateId"] for c in listed]
    finally:
        iam.delete_signing_certificate(CertificateId=root_cert["CertificateId"])


# Deleting a user ------------------------------------------------------------------------------


def test_delete_user_refuses_while_credentials_remain(
    iam: Any, user: str, keys: list[rsa.RSAPrivateKey]
) -> None:
    """DeleteUser's DeleteConflict messages for these credentials are AWS's, as quoted in
    public reports: "must delete login profile first" (cloud-custodian #1663), "must delete
    certificates first" (aws-nuke #671), "must remove referenced objects first" for SSH keys
    (aws-nuke #522)."""
    iam.create_login_profile(UserName=user, Password=STRONG)
    key_id = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=openssh(keys[2]))[
        "SSHPublicKey"
    ]["SSHPublicKeyId"]
    cred_id = iam.create_service_specific_credential(
        UserName=user, ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    cert_id = iam.upload_signing_certificate(UserName=user, CertificateBody=certificate())[
        "Certificate"
    ]["CertificateId"]

    def conflict() -> str:
        code, message, status = error_of(lambda: iam.delete_user(UserName=user))
        assert (code, status) == ("DeleteConflict", 409)
        return message

    assert conflict() == "Cannot delete entity, must delete login profile first."
    iam.delete_login_profile(UserName=user)
    assert conflict() == "Cannot delete entity, must delete certificates first."
    iam.delete_signing_certificate(UserName=user, CertificateId=cert_id)
    assert conflict() == "Cannot delete entity, must remove referenced objects first."
    iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key_id)
    assert conflict() == "Cannot delete entity, must remove referenced objects first."
    iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cred_id)
    iam.delete_user(UserName=user)
    assert error_of(lambda: iam.get_user(UserName=user))[0] == "NoSuchEntity"


def test_no_secret_is_returned_by_reads(iam: Any, user: str) -> None:
    """Passwords are write-only: no read answers with one, in any form."""
    iam.create_login_profile(UserName=user, Password=STRONG)
    created = iam.create_service_specific_credential(
        UserName=user, ServiceName="cassandra.amazonaws.com"
    )["ServiceSpecificCredential"]
    reads = json.dumps(
        [
            iam.get_login_profile(UserName=user)["LoginProfile"],
            iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"],
        ],
        default=str,
    )
    assert STRONG not in reads and created["ServicePassword"] not in reads
    assert "scrypt" not in reads


def test_allow_users_to_change_password_needs_no_policy(
    server: LiveServer, iam: Any, user_client: Callable[..., Any]
) -> None:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html"""
    user = user_client()
    iam.create_login_profile(UserName=user.user_name, Password="Initial-Passw0rd!")
    try:
        iam.update_account_password_policy(AllowUsersToChangePassword=False)
        with pytest.raises(ClientError) as info:
            user.change_password(OldPassword="Initial-Passw0rd!", NewPassword="Second-Passw0rd!")
        assert info.value.response["Error"]["Code"] == "AccessDenied"
        iam.update_account_password_policy(AllowUsersToChangePassword=True)
        user.change_password(OldPassword="Initial-Passw0rd!", NewPassword="Second-Passw0rd!")
        assert user.get_account_password_policy()["PasswordPolicy"]["AllowUsersToChangePassword"]
    finally:
        iam.delete_account_password_policy()
