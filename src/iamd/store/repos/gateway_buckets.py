"""Which account owns each bucket created through the gateway.

A backend has one set of buckets for all of iamd's accounts, so the gateway remembers who
created each one: that account's bucket policy grants and its identity policies need no
cross-account allow. A bucket the gateway never saw created belongs to the first account.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from iamd.store.repos.base import Repo, now
from iamd.store.schema import gateway_buckets


class GatewayBuckets(Repo):
    def owner(self, bucket: str) -> str | None:
        row = self.conn.execute(
            select(gateway_buckets.c.account_id).where(gateway_buckets.c.bucket == bucket)
        ).first()
        return str(row[0]) if row is not None else None

    def set_owner(self, bucket: str, account_id: str) -> None:
        self.conn.execute(delete(gateway_buckets).where(gateway_buckets.c.bucket == bucket))
        self.conn.execute(
            insert(gateway_buckets).values(bucket=bucket, account_id=account_id, create_date=now())
        )

    def forget(self, bucket: str) -> None:
        self.conn.execute(delete(gateway_buckets).where(gateway_buckets.c.bucket == bucket))
