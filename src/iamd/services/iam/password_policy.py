"""The account password policy: UpdateAccountPasswordPolicy, GetAccountPasswordPolicy,
DeleteAccountPasswordPolicy, and the rules every new console password must pass.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html

UpdateAccountPasswordPolicy is not a partial update: a parameter left out reverts to its default
(MinimumPasswordLength 6, every other requirement off), so the stored policy is exactly the
parameters of the last update.  Without a policy, AWS's default password rules apply instead:
at least 8 characters, at least three of the four character types, and not the user's own name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from iamd.auth.passwords import verify_password
from iamd.errors import AWSError, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, star_target
from iamd.services.registry import Target
from iamd.store import Tx

SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")
"""The non-alphanumeric characters AWS counts as symbols (PasswordPolicy.RequireSymbols)."""

DEFAULT_MINIMUM_LENGTH = 6
"""A custom policy's minimum when MinimumPasswordLength is left out."""

NO_POLICY_MINIMUM_LENGTH = 8
NO_POLICY_TYPES_REQUIRED = 3

_FIELDS = (
    "MinimumPasswordLength",
    "RequireSymbols",
    "RequireNumbers",
    "RequireUppercaseCharacters",
    "RequireLowercaseCharacters",
    "AllowUsersToChangePassword",
    "MaxPasswordAge",
    "PasswordReusePrevention",
    "HardExpiry",
)

_RULES = (
    ("RequireUppercaseCharacters", "Password should have at least one uppercase letter"),
    ("RequireLowercaseCharacters", "Password should have at least one lowercase letter"),
    ("RequireNumbers", "Password should have at least one number"),
    ("RequireSymbols", "Password should have at least one symbol"),
)


def violation(message: str) -> AWSError:
    return AWSError(message, code="PasswordPolicyViolation", status=400, sender=True)


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """An account's custom policy, with AWS's defaults for what the last update left out."""

    minimum_length: int = DEFAULT_MINIMUM_LENGTH
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase: bool = False
    require_lowercase: bool = False
    allow_users_to_change_password: bool = False
    max_age: int | None = None
    reuse_prevention: int | None = None
    hard_expiry: bool | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> PasswordPolicy:
        return cls(
            minimum_length=params.get("MinimumPasswordLength") or DEFAULT_MINIMUM_LENGTH,
            require_symbols=bool(params.get("RequireSymbols")),
            require_numbers=bool(params.get("RequireNumbers")),
            require_uppercase=bool(params.get("RequireUppercaseCharacters")),
            require_lowercase=bool(params.get("RequireLowercaseCharacters")),
            allow_users_to_change_password=bool(params.get("AllowUsersToChangePassword")),
            max_age=params.get("MaxPasswordAge") or None,
            reuse_prevention=params.get("PasswordReusePrevention") or None,
            hard_expiry=params.get("HardExpiry"),
        )

    def requires(self, rule: str) -> bool:
        return {
            "RequireUppercaseCharacters": self.require_uppercase,
            "RequireLowercaseCharacters": self.require_lowercase,
            "RequireNumbers": self.require_numbers,
            "RequireSymbols": self.require_symbols,
        }[rule]

    def to_shape(self) -> dict[str, Any]:
        """The ``PasswordPolicy`` shape; optional members only when the update set them."""
        out: dict[str, Any] = {
            "MinimumPasswordLength": self.minimum_length,
            "RequireSymbols": self.require_symbols,
            "RequireNumbers": self.require_numbers,
            "RequireUppercaseCharacters": self.require_uppercase,
            "RequireLowercaseCharacters": self.require_lowercase,
            "AllowUsersToChangePassword": self.allow_users_to_change_password,
            "ExpirePasswords": bool(self.max_age),
        }
        if self.max_age:
            out["MaxPasswordAge"] = self.max_age
        if self.reuse_prevention:
            out["PasswordReusePrevention"] = self.reuse_prevention
        if self.hard_expiry is not None:
            out["HardExpiry"] = self.hard_expiry
        return out


def policy_of(tx: Tx, account_id: str) -> PasswordPolicy | None:
    account = tx.accounts.get(account_id)
    if account is None or not account.password_policy:
        return None
    return PasswordPolicy.from_params(json.loads(account.password_policy))


def users_may_change_passwords(call: Call, tx: Tx) -> bool:
    """``AllowUsersToChangePassword``: IAM users may change their own password and read the
    policy without an identity policy allowing it.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html
    """
    if call.caller.kind != "IAMUser":
        return False
    policy = policy_of(tx, call.account_id)
    return bool(policy and policy.allow_users_to_change_password)


def _policy_target(call: Call, tx: Tx) -> Target:
    return Target("*", self_service=users_may_change_passwords(call, tx))


def _has(password: str, rule: str) -> bool:
    if rule == "RequireUppercaseCharacters":
        return any("A" <= c <= "Z" for c in password)
    if rule == "RequireLowercaseCharacters":
        return any("a" <= c <= "z" for c in password)
    if rule == "RequireNumbers":
        return any("0" <= c <= "9" for c in password)
    return any(c in SYMBOLS for c in password)


def check_password(password: str, policy: PasswordPolicy | None, user_name: str) -> None:
    """Raise AWS's ``PasswordPolicyViolation`` unless ``password`` may be set.

    With a custom policy every requirement it sets must hold; without one, AWS's default
    rules apply.
    """
    if policy is None:
        _check_default(password, user_name)
        return
    problems = []
    if len(password) < policy.minimum_length:
        problems.append(f"Password should have a minimum length of {policy.minimum_length}")
    problems += [
        message for rule, message in _RULES if policy.requires(rule) and not _has(password, rule)
    ]
    if problems:
        raise violation(", ".join(problems))


def _check_default(password: str, user_name: str) -> None:
    if len(password) < NO_POLICY_MINIMUM_LENGTH:
        raise violation(f"Password should have a minimum length of {NO_POLICY_MINIMUM_LENGTH}")
    missing = [message for rule, message in _RULES if not _has(password, rule)]
    short = len(missing) - (len(_RULES) - NO_POLICY_TYPES_REQUIRED)
    if short > 0:
        raise violation(
            f"Password should meet {short} more of the following requirements: "
            + ", ".join(missing)
        )
    if password.lower() == user_name.lower():
        raise violation("Password should not be the same as the user name")


def check_reuse(password: str, policy: PasswordPolicy | None, hashes: Iterable[str]) -> None:
    """Refuse a password among the last ``PasswordReusePrevention`` (newest hash first)."""
    if policy is None or not policy.reuse_prevention:
        return
    for stored in list(hashes)[: policy.reuse_prevention]:
        if verify_password(password, stored):
            raise violation(
                f"Password should not be one of your previous {policy.reuse_prevention} passwords"
            )


def password_expires(changed: datetime | None, policy: PasswordPolicy | None) -> datetime | None:
    """When a password set at ``changed`` expires under ``policy``; None if it never does."""
    if policy is None or not policy.max_age or changed is None:
        return None
    return changed + timedelta(days=policy.max_age)


# Handlers --------------------------------------------------------------------------------


@REGISTRY.operation("UpdateAccountPasswordPolicy", target=star_target)
def update_account_password_policy(call: Call) -> dict[str, Any]:
    stored = {name: call.params[name] for name in _FIELDS if call.params.get(name) is not None}
    with call.store.write() as tx:
        if tx.accounts.get(call.account_id) is None:
            tx.accounts.create(call.account_id)
        tx.accounts.update(call.account_id, password_policy=json.dumps(stored, sort_keys=True))
        tx.changes.record("account", call.account_id)
    return {}


@REGISTRY.operation("GetAccountPasswordPolicy", target=_policy_target)
def get_account_password_policy(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        policy = policy_of(tx, call.account_id)
    if policy is None:
        raise NoSuchEntity(
            f"The Password Policy with domain name {call.account_id} cannot be found."
        )
    return {"PasswordPolicy": policy.to_shape()}


@REGISTRY.operation("DeleteAccountPasswordPolicy", target=star_target)
def delete_account_password_policy(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        if policy_of(tx, call.account_id) is None:
            raise NoSuchEntity("The account policy with name PasswordPolicy cannot be found.")
        tx.accounts.update(call.account_id, password_policy=None)
        tx.changes.record("account", call.account_id)
    return {}
