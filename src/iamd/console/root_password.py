"""The root user's console password: set from IAMD_ROOT_PASSWORD at start-up or with
``iamd admin set-root-password``; only its scrypt hash is stored.

AWS's rules for the root password: 8 to 128 characters, with at least three of upper case,
lower case, numbers and symbols.
https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-password.html
"""

from __future__ import annotations

from iamd.auth.passwords import hash_password, verify_password
from iamd.services.iam.password_policy import check_password, violation
from iamd.store import Tx
from iamd.store.repos.console_auth import RootPasswords

MAX_LENGTH = 128


def check(password: str) -> None:
    """AWS's PasswordPolicyViolation unless ``password`` may be the root password."""
    if len(password) > MAX_LENGTH:
        raise violation(f"Password should have a maximum length of {MAX_LENGTH}")
    check_password(password, None, "root")


def set_root_password(tx: Tx, account_id: str, password: str) -> bool:
    """Store ``password`` for the account's root; False when it is already the password."""
    check(password)
    repo = tx.repo(RootPasswords)
    current = repo.get(account_id)
    if current is not None and verify_password(password, current):
        return False
    repo.set(account_id, hash_password(password))
    return True
