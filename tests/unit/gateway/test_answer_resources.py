"""Resources named by the backend's answer: the key of a Decrypt or ReEncrypt that does not
name it (https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html)."""

from __future__ import annotations

import json

from iamd.gateway.answer_resources import deferred, resolve
from iamd.gateway.s3_actions import Check

BACKEND = "123456789012"
CALLER = "111122223333"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


def check(action: str, resource: str = "*") -> Check:
    return Check(action, resource, None)


def test_only_unnamed_keys_of_reading_actions_wait_for_the_answer() -> None:
    assert deferred(check("kms:Decrypt"))
    assert deferred(check("kms:ReEncryptFrom"))
    assert not deferred(check("kms:Decrypt", f"arn:aws:kms:us-east-1:{CALLER}:key/{KEY}"))
    assert not deferred(check("kms:ReEncryptTo"))
    assert not deferred(check("kms:Encrypt"))


def test_the_backends_account_is_read_as_the_callers() -> None:
    """The backend keeps every account's keys in its own account, as a bare key id in the
    request would be read: the caller's key."""
    answer = json.dumps({"KeyId": f"arn:aws:kms:us-east-1:{BACKEND}:key/{KEY}"}).encode()
    resolved = resolve([check("kms:Decrypt")], answer, CALLER, BACKEND)
    assert resolved == [check("kms:Decrypt", f"arn:aws:kms:us-east-1:{CALLER}:key/{KEY}")]


def test_another_accounts_key_stays_that_accounts() -> None:
    arn = f"arn:aws:kms:eu-west-1:444455556666:key/{KEY}"
    answer = json.dumps({"SourceKeyId": arn, "KeyId": "ignored"}).encode()
    assert resolve([check("kms:ReEncryptFrom")], answer, CALLER, BACKEND) == [
        check("kms:ReEncryptFrom", arn)
    ]


def test_an_answer_without_the_key_resolves_nothing() -> None:
    for body in (b"", b"not json", b"[]", b'{"KeyId": 7}', b'{"KeyId": "key/x"}', b"{}"):
        assert resolve([check("kms:Decrypt")], body, CALLER, BACKEND) is None
