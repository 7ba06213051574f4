"""Where ``iamd trail export`` left off: the events written so far and each digest chain's head.

One row per trail in ``trail_exports`` (the ``audit_events.seq`` written so far), and one row
per chain (account and region) in ``trail_chains``: the newest digest, whose hash and
signature the next digest carries.  Saving compares the trail's position with the one the run
started from, so two exports of one trail at the same time cannot both extend the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from iamd.store.repos.base import ConflictError, Repo, now, utc
from iamd.store.schema import trail_chains, trail_exports


@dataclass(frozen=True, slots=True)
class ChainHead:
    account_id: str
    region: str
    digest_end: datetime
    digest_bucket: str
    digest_key: str
    digest_hash: str
    digest_signature: str


@dataclass(frozen=True, slots=True)
class TrailPosition:
    exported_seq: int
    bucket: str


class TrailState(Repo):
    def position(self, trail: str) -> TrailPosition | None:
        row = self.conn.execute(
            select(trail_exports.c.exported_seq, trail_exports.c.bucket).where(
                trail_exports.c.trail == trail
            )
        ).first()
        return TrailPosition(int(row[0]), str(row[1])) if row else None

    def chains(self, trail: str) -> dict[tuple[str, str], ChainHead]:
        rows = self.conn.execute(select(trail_chains).where(trail_chains.c.trail == trail))
        heads = [
            ChainHead(
                r.account_id,
                r.region,
                utc(r.digest_end) or r.digest_end,
                r.digest_bucket,
                r.digest_key,
                r.digest_hash,
                r.digest_signature,
            )
            for r in rows
        ]
        return {(h.account_id, h.region): h for h in heads}

    def advance(
        self,
        trail: str,
        bucket: str,
        expected_seq: int | None,
        exported_seq: int,
        heads: list[ChainHead],
    ) -> None:
        """Move the trail to ``exported_seq`` with these chain heads, if nobody moved it since
        ``expected_seq`` (``None``: the trail was never exported); else :class:`ConflictError`."""
        if expected_seq is None:
            self.insert(
                trail_exports,
                f"trail {trail}",
                trail=trail,
                exported_seq=exported_seq,
                bucket=bucket,
                update_date=now(),
            )
        else:
            moved = self.conn.execute(
                update(trail_exports)
                .where(trail_exports.c.trail == trail)
                .where(trail_exports.c.exported_seq == expected_seq)
                .values(exported_seq=exported_seq, bucket=bucket, update_date=now())
            )
            if moved.rowcount != 1:
                raise ConflictError(f"trail {trail}")
        for head in heads:
            self.conn.execute(
                trail_chains.delete()
                .where(trail_chains.c.trail == trail)
                .where(trail_chains.c.account_id == head.account_id)
                .where(trail_chains.c.region == head.region)
            )
            self.conn.execute(
                trail_chains.insert().values(
                    trail=trail,
                    account_id=head.account_id,
                    region=head.region,
                    digest_end=head.digest_end,
                    digest_bucket=head.digest_bucket,
                    digest_key=head.digest_key,
                    digest_hash=head.digest_hash,
                    digest_signature=head.digest_signature,
                )
            )
