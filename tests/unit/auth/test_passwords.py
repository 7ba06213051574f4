"""Console passwords are stored as scrypt hashes that carry their own parameters, and new
passwords are held to the account password policy or, without one, to AWS's default rules.

scrypt: RFC 7914 and https://docs.python.org/3/library/hashlib.html#hashlib.scrypt.  The rules:
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html
and https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest

from iamd.auth.passwords import (
    DEFAULT,
    Params,
    hash_password,
    needs_rehash,
    verify_password,
)
from iamd.errors import AWSError
from iamd.services.iam.password_policy import (
    PasswordPolicy,
    check_password,
    check_reuse,
    password_expires,
)

CHEAP = Params(2**10, 8, 1)


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def test_a_password_verifies_and_a_wrong_one_does_not() -> None:
    stored = hash_password("Correct-Horse-9")
    assert verify_password("Correct-Horse-9", stored)
    assert not verify_password("correct-horse-9", stored)
    assert not verify_password("", stored)
    assert "Correct-Horse-9" not in stored


def test_the_hash_is_scrypt_with_the_parameters_it_names() -> None:
    stored = hash_password("pässwörd ÿ", CHEAP)
    scheme, n, r, p, salt, key = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**10, 8, 1)
    expected = hashlib.scrypt(
        "pässwörd ÿ".encode(), salt=_unb64(salt), n=2**10, r=8, p=1, dklen=len(_unb64(key))
    )
    assert _unb64(key) == expected and len(_unb64(salt)) == 16


def test_the_default_cost_is_memory_hard() -> None:
    """32 MiB per guess (128 * r * N bytes): OWASP's minimum for scrypt."""
    assert 128 * DEFAULT.r * DEFAULT.n >= 32 * 1024 * 1024
    assert hash_password("x").startswith(f"scrypt${DEFAULT.n}${DEFAULT.r}${DEFAULT.p}$")


def test_each_hash_has_its_own_salt() -> None:
    first, second = hash_password("same", CHEAP), hash_password("same", CHEAP)
    assert first != second
    assert verify_password("same", first) and verify_password("same", second)


def test_older_parameters_still_verify_and_ask_for_a_rehash() -> None:
    old = hash_password("rotate-me", CHEAP)
    assert verify_password("rotate-me", old)
    assert needs_rehash(old)
    assert not needs_rehash(hash_password("rotate-me"))


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text-password",
        "bcrypt$12$abc$def",
        "scrypt$1024$8$1$not base64!$abc",
        "scrypt$1000$8$1$AAAA$AAAA",  # N not a power of two
        f"scrypt${2**30}$8$1$AAAA$AAAA",  # a tampered cost must not exhaust memory
        "scrypt$1024$8$1$AAAA$",
    ],
)
def test_a_malformed_or_tampered_hash_never_verifies(stored: str) -> None:
    assert not verify_password("anything", stored)
    assert needs_rehash(stored)


# The password rules ---------------------------------------------------------------------


def _message(password: str, policy: PasswordPolicy | None, user: str = "alice") -> str:
    with pytest.raises(AWSError) as info:
        check_password(password, policy, user)
    assert (info.value.code, info.value.status) == ("PasswordPolicyViolation", 400)
    return info.value.message


def test_without_a_policy_aws_default_rules_apply() -> None:
    """At least 8 characters, three of the four character types, not the user's name."""
    check_password("abcDEF12", None, "alice")
    check_password("abcdef1!", None, "alice")
    assert _message("aB1!", None) == "Password should have a minimum length of 8"
    assert _message("abcdefgh1", None) == (
        "Password should meet 1 more of the following requirements: "
        "Password should have at least one uppercase letter, "
        "Password should have at least one symbol"
    )
    assert _message("abcdefghij", None).startswith("Password should meet 2 more of")
    assert _message("Alice.Smith1", None, user="alice.smith1") == (
        "Password should not be the same as the user name"
    )


def test_a_custom_policy_replaces_the_default_rules() -> None:
    lenient = PasswordPolicy.from_params({})
    assert lenient.minimum_length == 6
    check_password("abcdef", lenient, "alice")  # would fail AWS's default rules
    strict = PasswordPolicy.from_params(
        {
            "MinimumPasswordLength": 12,
            "RequireSymbols": True,
            "RequireNumbers": True,
            "RequireUppercaseCharacters": True,
            "RequireLowercaseCharacters": True,
        }
    )
    check_password("Abcdefghij1|", strict, "alice")
    assert _message("abcdefghijkl", strict) == (
        "Password should have at least one uppercase letter, "
        "Password should have at least one number, "
        "Password should have at least one symbol"
    )
    assert _message("Ab1!", strict) == "Password should have a minimum length of 12"


def test_only_awss_symbols_count_as_symbols() -> None:
    """! @ # $ % ^ & * ( ) _ + - = [ ] { } | ' and nothing else."""
    policy = PasswordPolicy.from_params({"RequireSymbols": True})
    for symbol in "!@#$%^&*()_+-=[]{}|'":
        check_password(f"abcdef{symbol}", policy, "alice")
    for other in '.,;:?/~`"<> é':
        assert _message(f"abcdef{other}", policy) == "Password should have at least one symbol"


def test_reuse_prevention_covers_the_last_n_passwords() -> None:
    history = [hash_password(p, CHEAP) for p in ("newest1!A", "middle1!A", "oldest1!A")]
    policy = PasswordPolicy.from_params({"PasswordReusePrevention": 2})
    check_reuse("oldest1!A", policy, history)
    check_reuse("newest1!A", None, history)
    with pytest.raises(AWSError) as info:
        check_reuse("middle1!A", policy, history)
    assert info.value.code == "PasswordPolicyViolation"
    assert info.value.message == "Password should not be one of your previous 2 passwords"


def test_passwords_expire_after_max_password_age() -> None:
    changed = datetime(2025, 1, 1, tzinfo=UTC)
    assert password_expires(changed, None) is None
    assert password_expires(changed, PasswordPolicy.from_params({})) is None
    aged = PasswordPolicy.from_params({"MaxPasswordAge": 90})
    assert password_expires(changed, aged) == datetime(2025, 4, 1, tzinfo=UTC)


def test_the_policy_shape_shows_only_what_was_set() -> None:
    """As GetAccountPasswordPolicy answers after an update with no parameters."""
    assert PasswordPolicy.from_params({}).to_shape() == {
        "MinimumPasswordLength": 6,
        "RequireSymbols": False,
        "RequireNumbers": False,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": False,
    }
    shape = PasswordPolicy.from_params(
        {"MaxPasswordAge": 60, "PasswordReusePrevention": 3, "HardExpiry": True}
    ).to_shape()
    assert shape["ExpirePasswords"] is True and shape["MaxPasswordAge"] == 60
    assert shape["PasswordReusePrevention"] == 3 and shape["HardExpiry"] is True
