"""GetAccessKeyInfo: the account an access key id belongs to.

https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html

AWS answers from the key id itself: the eight characters after the ``AKIA``/``ASIA`` prefix
(and the high bit of the ninth) are the account id in AWS's base-32 alphabet, so any key id
in the current format answers, even one that was never issued or has been deleted.  AWS's own
older keys (``AKIAI...``, ``AKIAJ...``) do not carry the account and are looked up.  The format
is undocumented; Aidan Steele reverse-engineered it from GetAccessKeyInfo's answers:
https://github.com/aidansteele/aidansteele.github.io/blob/master/_posts/2020-09-26-aws-access-key-format.md

iamd does the same: a long-term key it stores answers with its owner's account, a key id the
caller is signing with answers with the caller's account, and any other key id in the
account-bearing format answers with the account it encodes.  :func:`key_id_for_account` makes
such ids, so that key ids iamd issues can answer without a lookup too.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

from iamd.errors import InvalidClientTokenId
from iamd.services.call import Call
from iamd.services.registry import Target
from iamd.services.sts.common import REGISTRY
from iamd.store import Tx

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
"""RFC 4648 base 32: the characters of AWS key ids after the prefix (no 0, 1, 8 or 9)."""
_ACCOUNT_BITS = 40
_RANDOM_BITS = 7
_MARKER = 1 << (_ACCOUNT_BITS + _RANDOM_BITS)
"""The top bit of the first 48: set in account-bearing ids (their fifth character is Q-7)."""
_ACCOUNT_MASK = ((1 << _ACCOUNT_BITS) - 1) << _RANDOM_BITS
MAX_ACCOUNT = 999_999_999_999
INVALID = "The security token included in the request is invalid."


def account_of_key_id(key_id: str) -> str | None:
    """The account an AWS-format key id encodes, or ``None`` where it encodes none."""
    body = key_id[4:20]
    if len(key_id) != 20 or any(c not in ALPHABET for c in body):
        return None
    try:
        raw = base64.b32decode(body)
    except (binascii.Error, ValueError):
        return None
    head = int.from_bytes(raw[:6], "big")
    if not head & _MARKER:
        return None  # an older-format key: the account is not in it
    account = (head & _ACCOUNT_MASK) >> _RANDOM_BITS
    return f"{account:012d}" if account <= MAX_ACCOUNT else None


def key_id_for_account(prefix: str, account_id: str) -> str:
    """A fresh random key id (``AKIA``/``ASIA`` + 16) that encodes ``account_id`` as AWS's do."""
    account = int(account_id)
    if not 0 <= account <= MAX_ACCOUNT or len(prefix) != 4:
        raise ValueError(f"cannot encode account {account_id!r} with prefix {prefix!r}")
    head = _MARKER | (account << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS)
    raw = head.to_bytes(6, "big") + secrets.token_bytes(4)
    return prefix + base64.b32encode(raw).decode()


def _target(call: Call, tx: Tx) -> Target:
    # sts:GetAccessKeyInfo has no resource type: the policy names "*".
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
    return Target("*")


@REGISTRY.operation("GetAccessKeyInfo", target=_target)
def get_access_key_info(call: Call) -> dict[str, Any]:
    key_id: str = call.params["AccessKeyId"]
    with call.store.read() as tx:
        stored = tx.access_keys.get(key_id)
    if stored is not None:
        return {"Account": stored.account_id}
    if key_id == call.caller.access_key_id:
        return {"Account": call.caller.account_id}
    account = account_of_key_id(key_id)
    if account is None:
        raise InvalidClientTokenId(INVALID)
    return {"Account": account}
