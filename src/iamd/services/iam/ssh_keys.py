"""SSH public keys (for CodeCommit-style Git over SSH): UploadSSHPublicKey, GetSSHPublicKey,
ListSSHPublicKeys, UpdateSSHPublicKey, DeleteSSHPublicKey.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadSSHPublicKey.html

AWS accepts an RSA key of at least 2048 bits, in OpenSSH (``ssh-rsa AAAA...``) or PEM form, at
most five per user.  The fingerprint is the MD5 digest of the key's SSH wire encoding, written
as colon-separated hex (``ssh-keygen -E md5 -l``'s form), so the same key uploaded in either
form has one fingerprint and is refused the second time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from iamd.errors import AWSError, InvalidInput, LimitExceeded, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, entity_target, find_user, paginate, user_or_404
from iamd.store import Tx
from iamd.store.records import User
from iamd.store.repos.user_credentials import SSHPublicKey, SSHPublicKeys

# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
MAX_SSH_KEYS = 5
MIN_RSA_BITS = 2048

_self_or_user = entity_target("user", "UserName", find_user, default_self=True)
_user = entity_target("user", "UserName", find_user)

_OTHER_SSH_TYPES = ("ssh-ed25519", "ssh-dss", "ecdsa-sha2-", "sk-")


def _unrecognized() -> AWSError:
    return AWSError(
        "The public key encoding format is unsupported or unrecognized.",
        code="UnrecognizedPublicKeyEncoding",
        status=400,
        sender=True,
    )


def _invalid(message: str = "The public key is malformed or otherwise invalid.") -> AWSError:
    return AWSError(message, code="InvalidPublicKey", status=400, sender=True)


def parse_public_key(body: str) -> RSAPublicKey:
    """The RSA key in ``body`` (OpenSSH or PEM), or AWS's error for what is wrong with it."""
    text = body.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("latin-1"))
        except (ValueError, TypeError):
            raise _invalid() from None
        if not isinstance(key, RSAPublicKey):
            raise _unrecognized()
    else:
        parts = text.split()
        if not parts or parts[0] != "ssh-rsa":
            raise _unrecognized()
        if len(parts) < 2:
            raise _invalid()
        try:
            loaded = serialization.load_ssh_public_key(f"ssh-rsa {parts[1]}".encode("latin-1"))
        except (ValueError, TypeError, binascii.Error):
            raise _invalid() from None
        if not isinstance(loaded, RSAPublicKey):
            raise _invalid()
        key = loaded
    if key.key_size < MIN_RSA_BITS:
        raise _invalid(f"The public key must be at least {MIN_RSA_BITS} bits long.")
    return key


def openssh_form(key: RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def pem_form(key: RSAPublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def fingerprint(key: RSAPublicKey) -> str:
    blob = base64.b64decode(openssh_form(key).split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _key_of(tx: Tx, user: User, key_id: str) -> SSHPublicKey:
    key = tx.repo(SSHPublicKeys).get(key_id)
    if key is None or key.user_id != user.id:
        raise NoSuchEntity(f"The Public Key with id {key_id} cannot be found.")
    return key


def _key_dict(user: User, key: SSHPublicKey, body: str) -> dict[str, Any]:
    return {
        "UserName": user.name,
        "SSHPublicKeyId": key.id,
        "Fingerprint": key.fingerprint,
        "SSHPublicKeyBody": body,
        "Status": key.status,
        "UploadDate": key.upload_date,
    }


def _check_status(status: str) -> None:
    """SSH keys are only Active or Inactive; the model's shared enum also offers Expired."""
    if status not in ("Active", "Inactive"):
        raise InvalidInput(f"Invalid status {status}. Valid values are Active and Inactive.")


@REGISTRY.operation("UploadSSHPublicKey", target=_user)
def upload_ssh_public_key(call: Call) -> dict[str, Any]:
    body = call.params["SSHPublicKeyBody"]
    with call.store.write() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        key = parse_public_key(body)
        digest = fingerprint(key)
        keys = tx.repo(SSHPublicKeys)
        existing = keys.of_user(user.id)
        if any(k.fingerprint == digest for k in existing):
            raise AWSError(
                "The SSH public key is already associated with the specified IAM user.",
                code="DuplicateSSHPublicKey",
                status=400,
                sender=True,
            )
        if len(existing) >= MAX_SSH_KEYS:
            raise LimitExceeded(f"Cannot exceed quota for SSHPublicKeysPerUser: {MAX_SSH_KEYS}")
        created = keys.create(user.id, body, digest)
        tx.changes.record("ssh-key", created.id)
    return {"SSHPublicKey": _key_dict(user, created, body)}


@REGISTRY.operation("GetSSHPublicKey", target=_user)
def get_ssh_public_key(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        key = _key_of(tx, user, call.params["SSHPublicKeyId"])
    stored = key.body.strip()
    is_pem = stored.startswith("-----BEGIN")
    if call.params["Encoding"] == "PEM":
        body = key.body if is_pem else pem_form(parse_public_key(stored))
    else:
        body = openssh_form(parse_public_key(stored)) if is_pem else key.body
    return {"SSHPublicKey": _key_dict(user, key, body)}


@REGISTRY.operation("ListSSHPublicKeys", target=_self_or_user)
def list_ssh_public_keys(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        name = call.param("UserName")
        user: User | None
        if name:
            user = user_or_404(tx, call.account_id, name)
        elif call.caller.user_id:
            user = tx.users.get_by_id(call.caller.user_id)
        else:
            user = None  # the root user, which has no SSH keys
        keys = tx.repo(SSHPublicKeys).of_user(user.id) if user else []
    page, more = paginate(call, keys, key=lambda k: k.id)
    return {
        "SSHPublicKeys": [
            {
                "UserName": user.name if user else "",
                "SSHPublicKeyId": k.id,
                "Status": k.status,
                "UploadDate": k.upload_date,
            }
            for k in page
        ],
        **more,
    }


@REGISTRY.operation("UpdateSSHPublicKey", target=_user)
def update_ssh_public_key(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        key = _key_of(tx, user, call.params["SSHPublicKeyId"])
        _check_status(call.params["Status"])
        tx.repo(SSHPublicKeys).set_status(key.id, call.params["Status"])
        tx.changes.record("ssh-key", key.id)
    return {}


@REGISTRY.operation("DeleteSSHPublicKey", target=_user)
def delete_ssh_public_key(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        key = _key_of(tx, user, call.params["SSHPublicKeyId"])
        tx.repo(SSHPublicKeys).delete(key.id)
        tx.changes.record("ssh-key", key.id)
    return {}
