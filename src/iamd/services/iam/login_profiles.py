"""Console passwords: CreateLoginProfile, GetLoginProfile, UpdateLoginProfile,
DeleteLoginProfile, and ChangePassword (a user changing its own password).

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html

Passwords are stored only as scrypt hashes (:mod:`iamd.auth.passwords`).  Every new password
passes the account password policy (:mod:`iamd.services.iam.password_policy`); a user changing
its own password must also give the current one and may not reuse the last
``PasswordReusePrevention`` passwords.  An administrator's UpdateLoginProfile is a reset: it is
held to the policy's complexity rules but not to reuse prevention, which guards a user's own
rotation.
"""

from __future__ import annotations

from typing import Any

from iamd.auth.passwords import hash_password, verify_password
from iamd.errors import AccessDenied, AWSError, EntityAlreadyExists, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, entity_target, find_user, user_or_404
from iamd.services.iam.password_policy import (
    check_password,
    check_reuse,
    policy_of,
    users_may_change_passwords,
)
from iamd.services.registry import Target
from iamd.store import ConflictError, Tx
from iamd.store.records import User
from iamd.store.repos.login_profiles import LoginProfile, LoginProfiles
from iamd.store.repos.user_credentials import (
    ServiceCredentials,
    SigningCertificates,
    SSHPublicKeys,
)

_self_or_user = entity_target("user", "UserName", find_user, default_self=True)
_user = entity_target("user", "UserName", find_user)


def _caller_user(call: Call, tx: Tx) -> User:
    """The IAM user a call names, else the calling user itself."""
    name = call.param("UserName")
    if name:
        return user_or_404(tx, call.account_id, name)
    if call.caller.user_id is None:
        raise NoSuchEntity("Must specify userName when calling with non-User credentials")
    user = tx.users.get_by_id(call.caller.user_id)
    if user is None:
        raise NoSuchEntity("The user with name unknown cannot be found.")
    return user


def _profile_or_404(tx: Tx, user: User) -> LoginProfile:
    profile = tx.repo(LoginProfiles).get(user.id)
    if profile is None:
        raise NoSuchEntity(f"Login Profile for User {user.name} cannot be found.")
    return profile


def _profile_dict(user: User, profile: LoginProfile) -> dict[str, Any]:
    return {
        "UserName": user.name,
        "CreateDate": profile.create_date,
        "PasswordResetRequired": profile.password_reset_required,
    }


def _required_password(call: Call, name: str = "Password") -> str:
    password = call.param(name)
    if password is None:
        field = name[0].lower() + name[1:]
        raise AWSError(
            f"1 validation error detected: Value null at '{field}' failed to satisfy "
            "constraint: Member must not be null",
            code="ValidationError",
            status=400,
            sender=True,
        )
    return str(password)


@REGISTRY.operation("CreateLoginProfile", target=_self_or_user)
def create_login_profile(call: Call) -> dict[str, Any]:
    password = _required_password(call)
    with call.store.write() as tx:
        user = _caller_user(call, tx)
        check_password(password, policy_of(tx, call.account_id), user.name)
        try:
            profile = tx.repo(LoginProfiles).create(
                user.id, hash_password(password), bool(call.param("PasswordResetRequired"))
            )
        except ConflictError:
            raise EntityAlreadyExists(
                f"Login Profile for user {user.name} already exists."
            ) from None
        tx.changes.record("login-profile", user.id)
    return {"LoginProfile": _profile_dict(user, profile)}


@REGISTRY.operation("GetLoginProfile", target=_self_or_user)
def get_login_profile(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        user = _caller_user(call, tx)
        profile = _profile_or_404(tx, user)
    return {"LoginProfile": _profile_dict(user, profile)}


@REGISTRY.operation("UpdateLoginProfile", target=_user)
def update_login_profile(call: Call) -> dict[str, Any]:
    password = call.param("Password")
    reset_required = call.param("PasswordResetRequired")
    with call.store.write() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        profile = _profile_or_404(tx, user)
        profiles = tx.repo(LoginProfiles)
        if password is not None:
            check_password(password, policy_of(tx, call.account_id), user.name)
            profiles.set_password(profile, hash_password(password), reset_required)
        elif reset_required is not None:
            profiles.set_reset_required(user.id, reset_required)
        tx.changes.record("login-profile", user.id)
    return {}


@REGISTRY.operation("DeleteLoginProfile", target=_self_or_user)
def delete_login_profile(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = _caller_user(call, tx)
        if not tx.repo(LoginProfiles).delete(user.id):
            raise NoSuchEntity(f"Login Profile for User {user.name} cannot be found.")
        tx.changes.record("login-profile", user.id)
    return {}


def _own_user(call: Call, tx: Tx) -> Target:
    """ChangePassword acts on the caller's own user: AWS authorizes it against that ARN, and
    grants it to every user when the password policy says AllowUsersToChangePassword."""
    return Target(call.caller.arn, self_service=users_may_change_passwords(call, tx))


@REGISTRY.operation("ChangePassword", target=_own_user)
def change_password(call: Call) -> dict[str, Any]:
    old = _required_password(call, "OldPassword")
    new = _required_password(call, "NewPassword")
    if call.caller.user_id is None:
        raise AWSError(
            "Only IAM Users can change their own password",
            code="InvalidUserType",
            status=400,
            sender=True,
        )
    with call.store.write() as tx:
        user = tx.users.get_by_id(call.caller.user_id)
        if user is None:
            raise NoSuchEntity("The user with name unknown cannot be found.")
        profile = _profile_or_404(tx, user)
        if not verify_password(old, profile.password_hash):
            raise AccessDenied("The old password is incorrect.")
        policy = policy_of(tx, call.account_id)
        check_password(new, policy, user.name)
        check_reuse(new, policy, [profile.password_hash, *profile.previous_hashes])
        tx.repo(LoginProfiles).set_password(profile, hash_password(new), reset_required=False)
        tx.changes.record("login-profile", user.id)
    return {}


def delete_conflicts(tx: Tx, user: User) -> str | None:
    """Why DeleteUser must refuse while the user still holds these credentials, else None.

    AWS's messages: a login profile, "must delete login profile first"; signing certificates,
    "must delete certificates first"; SSH public keys and service-specific credentials, the
    generic "must remove referenced objects first".  DeleteUser reports the login profile
    before anything else.
    """
    if tx.repo(LoginProfiles).get(user.id) is not None:
        return "Cannot delete entity, must delete login profile first."
    if tx.repo(SigningCertificates).any_of_user(user.id):
        return "Cannot delete entity, must delete certificates first."
    if tx.repo(SSHPublicKeys).any_of_user(user.id):
        return "Cannot delete entity, must remove referenced objects first."
    if tx.repo(ServiceCredentials).any_of_user(user.id):
        return "Cannot delete entity, must remove referenced objects first."
    return None
