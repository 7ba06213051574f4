"""S3 bucket policies, read from the backend and cached, and who owns each bucket.

The backend holds the bucket policy (it is an S3 resource like any other); the gateway reads it
with its own credentials when a request needs it and keeps it for ``ttl`` seconds. A
PutBucketPolicy, DeleteBucketPolicy or DeleteBucket that passes through the gateway drops the
entry at once; the time limit only bounds how long a change made behind iamd's back (directly
on the backend) goes unseen.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from iamd.gateway.expiring import MISSING, Expiring
from iamd.policy import MalformedPolicyError, Policy, PolicyKind, parse_policy
from iamd.store import Store
from iamd.store.repos.gateway_buckets import GatewayBuckets

log = logging.getLogger("iamd.gateway")

Fetch = Callable[[str], Awaitable[tuple[int, bytes]]]
"""GET ``/{bucket}?policy`` on the backend: (status, body)."""

OWNERS_KEPT = 10_000
"""Bucket owners change only through the gateway (created, deleted), so they do not expire."""


class BucketPolicies:
    def __init__(self, store: Store, default_owner: str, fetch: Fetch, ttl: float = 30.0) -> None:
        self.store = store
        self.default_owner = default_owner
        self.fetch = fetch
        self.ttl = ttl
        self._policies: Expiring[str, Policy | None] = Expiring(ttl)
        self._owners: dict[str, str] = {}

    def invalidate(self, bucket: str) -> None:
        self._policies.drop([bucket])
        self._owners.pop(bucket, None)

    async def policy(self, bucket: str) -> Policy | None:
        hit = self._policies.get(bucket)
        if hit is not MISSING:
            return hit
        generation = self._policies.generation
        status, body = await self.fetch(bucket)
        policy: Policy | None = None
        if status == 200 and body.strip():
            try:
                policy = parse_policy(body, PolicyKind.RESOURCE, f"bucket policy of {bucket}")
            except MalformedPolicyError:
                # Fail closed: a policy iamd cannot read grants nothing.
                log.warning("gateway: the bucket policy of %s does not parse; ignored", bucket)
        elif status >= 500:
            raise RuntimeError(f"the backend answered {status} for the policy of {bucket}")
        # Not kept if a policy write passed through meanwhile: the answer may predate it.
        self._policies.put(bucket, policy, generation)
        return policy

    def owner(self, bucket: str) -> str:
        hit = self._owners.get(bucket)
        if hit is not None:
            return hit
        with self.store.read() as tx:
            found = tx.repo(GatewayBuckets).owner(bucket)
        owner = found or self.default_owner
        if len(self._owners) >= OWNERS_KEPT:
            self._owners.clear()
        self._owners[bucket] = owner
        return owner

    def created(self, bucket: str, account_id: str) -> None:
        with self.store.write() as tx:
            tx.repo(GatewayBuckets).set_owner(bucket, account_id)
        self.invalidate(bucket)

    def deleted(self, bucket: str) -> None:
        with self.store.write() as tx:
            tx.repo(GatewayBuckets).forget(bucket)
        self.invalidate(bucket)
