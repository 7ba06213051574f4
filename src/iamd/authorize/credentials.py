"""Access key -> signing secret and caller, cached, for SigV4 verification and everything after.

Long-term keys belong to an IAM user or to the account's root.  A key that is deleted or made
inactive stops working on the next request: the cache is dropped on every change.
"""

from __future__ import annotations

import threading

from iamd.auth.sigv4 import SigningSecret
from iamd.services.caller import Caller
from iamd.store import Store

DEV_ACCOUNT = "123456789012"


class Credentials:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, tuple[SigningSecret, Caller]] = {}
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def resolve(self, key_id: str) -> tuple[SigningSecret, Caller] | None:
        hit = self._cache.get(key_id)
        if hit is not None:
            return hit
        found = self._load(key_id)
        if found is not None:
            with self._lock:
                if len(self._cache) > 100_000:
                    self._cache.clear()
                self._cache[key_id] = found
        return found

    def lookup(self, key_id: str) -> SigningSecret | None:
        found = self.resolve(key_id)
        return found[0] if found else None

    def _load(self, key_id: str) -> tuple[SigningSecret, Caller] | None:
        with self.store.read() as tx:
            key = tx.access_keys.get(key_id)
            if key is None:
                return None
            secret = SigningSecret(key.id, key.secret, key.status == "Active")
            if key.user_id is None:
                caller = root_caller(key.account_id, key.id)
                return secret, caller
            user = tx.users.get_by_id(key.user_id)
            if user is None:
                return None
            tags = {t.key: t.value for t in tx.tags.all("user", user.id)}
        return secret, Caller(
            kind="IAMUser",
            arn=user.arn,
            account_id=user.account_id,
            principal_id=user.id,
            name=user.name,
            access_key_id=key_id,
            user_id=user.id,
            tags=tags,
        )


def root_caller(account_id: str, key_id: str) -> Caller:
    return Caller(
        kind="Root",
        arn=f"arn:aws:iam::{account_id}:root",
        account_id=account_id,
        principal_id=account_id,
        name="root",
        access_key_id=key_id,
    )
