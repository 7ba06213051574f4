"""The gateway's caches of backend reads: freshness, bounds, and no stale answer kept."""

from __future__ import annotations

import time

from iamd.gateway.expiring import MISSING, Expiring


def test_an_answer_read_before_a_change_is_not_kept() -> None:
    """A GetBucketPolicy out while a PutBucketPolicy passes through must not cache the old
    policy for the next 30 s: the reader's generation no longer matches."""
    cache: Expiring[str, str | None] = Expiring(ttl=30.0)
    since = cache.generation
    cache.drop(["bucket"])  # the write passes through while the read is out
    cache.put("bucket", "old policy", since)
    assert cache.get("bucket") is MISSING
    since = cache.generation
    cache.put("bucket", None, since)  # "no policy" is an answer too, and is kept
    assert cache.get("bucket") is None


def test_entries_expire_and_the_cache_stays_bounded() -> None:
    cache: Expiring[str, int] = Expiring(ttl=0.05, max_entries=3)
    for n in range(3):
        cache.put(f"k{n}", n, cache.generation)
    assert [cache.get(f"k{n}") for n in range(3)] == [0, 1, 2]
    cache.put("k3", 3, cache.generation)  # full: emptied, then the new one kept
    assert cache.get("k0") is MISSING and cache.get("k3") == 3
    time.sleep(0.06)
    assert cache.get("k3") is MISSING


def test_drop_by_predicate_and_clear() -> None:
    cache: Expiring[str, int] = Expiring(ttl=30.0)
    for key in ("arn:aws:sqs:r:a:q1", "arn:aws:sqs:r:a:q2", "arn:aws:sns:r:a:t"):
        cache.put(key, 1, cache.generation)
    cache.drop(where=lambda key: ":sqs:" in key)
    assert cache.get("arn:aws:sqs:r:a:q1") is MISSING and cache.get("arn:aws:sns:r:a:t") == 1
    before = cache.generation
    cache.clear()
    assert cache.get("arn:aws:sns:r:a:t") is MISSING and cache.generation == before + 1


def test_bucket_policies_do_not_keep_a_policy_read_across_a_write() -> None:
    """BucketPolicies on the shared cache: a PutBucketPolicy that passes through the gateway
    while the policy is being read leaves nothing cached, so the next request reads again."""
    import asyncio
    import json

    from iamd.gateway.bucket_policies import BucketPolicies

    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
            ],
        }
    ).encode()
    reads: list[str] = []
    policies: BucketPolicies

    async def fetch(bucket: str) -> tuple[int, bytes]:
        reads.append(bucket)
        if len(reads) == 1:
            policies.invalidate(bucket)  # the write lands while this read is out
        return 200, document

    policies = BucketPolicies(None, "111122223333", fetch)  # type: ignore[arg-type]

    async def main() -> None:
        assert await policies.policy("b") is not None
        await policies.policy("b")
        await policies.policy("b")

    asyncio.run(main())
    assert reads == ["b", "b"]  # the first answer was not kept; the second was
