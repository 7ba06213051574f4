"""Resources a request does not name but its answer does: KMS's Decrypt without a ``KeyId``.

A symmetric ciphertext carries the key that made it, so ``KeyId`` is optional in Decrypt (and
``SourceKeyId`` in ReEncrypt), and KMS authorizes the call on that key
(https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html). The blob's layout is
the backend's own, so the gateway cannot read it; the backend's answer names the key instead.
The gateway forwards such a call, reads the key from the answer, and authorizes before any of
the answer leaves: a denied Decrypt shows the caller nothing. Only calls that change nothing in
the backend are deferred this way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace

from iamd.gateway.s3_actions import Check

ANSWERED: dict[str, str] = {
    "kms:Decrypt": "KeyId",
    # https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html
    "kms:ReEncryptFrom": "SourceKeyId",
}
"""The answer's member that names the resource of an action the request may leave unnamed."""


def deferred(check: Check) -> bool:
    """Whether the check's resource must come from the answer."""
    return check.resource == "*" and check.action in ANSWERED


def resolve(
    checks: Iterable[Check], body: bytes, account: str, backend_account: str | None
) -> list[Check] | None:
    """The checks with the resources the answer names; None when it names none of them.

    The answer's key ARN is in the backend's account, which keeps every account's keys: one
    naming the backend's account names the caller's key (as a bare key id in the request
    would); one naming another account is that account's key.
    """
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    resolved: list[Check] = []
    for check in checks:
        arn = answer.get(ANSWERED[check.action])
        parts = arn.split(":", 5) if isinstance(arn, str) else []
        if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
            return None
        if backend_account is None or parts[4] == backend_account:
            parts[4] = account
        resolved.append(replace(check, resource=":".join(parts)))
    return resolved
