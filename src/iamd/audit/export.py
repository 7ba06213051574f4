"""``iamd trail export``: the audit trail as CloudTrail delivers it to S3, digests included.

Each run writes the events recorded since the previous run of the same trail as gzipped log
files (``{"Records": [...]}``), one per account, region and five-minute slice of event time
(CloudTrail delivers about every five minutes), then extends each region's digest chain up to
the moment the run stops reading: one digest per hour (an hour without events gets a digest
with no log files, as in CloudTrail, so a removed tail of the chain shows as a gap) and a last,
shorter one up to that moment, so every log file written is in a signed digest when the run
ends.  The position (events written so far, each chain's newest digest) is kept in the store,
so the next run continues the chains.

A log file's events are those of its slice that arrived since the last run; an event arriving
late for a slice already exported goes in a new log file of that slice, listed by the next
digest.  Events are read up to ``delay`` seconds before now, so rows a busy server is still
committing are left for the next run.  Events whose account is unknown (calls with an access
key no account owns) are filed under the deployment's first account.

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/how-cloudtrail-works.html
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.audit.digest import (
    LogFileEntry,
    PreviousDigest,
    compress,
    digest_document,
    encode_document,
    sha256_hex,
    sign,
    signature_metadata,
    string_to_sign,
)
from iamd.audit.layout import (
    SIGNATURE_SUFFIX,
    digest_key,
    log_file_key,
    valid_trail_name,
)
from iamd.audit.trail_keys import DigestKey, signing_key
from iamd.store import Store
from iamd.store.repos.audit_history import ArrivedEvent, AuditHistory
from iamd.store.repos.base import ConflictError
from iamd.store.repos.trail_state import ChainHead, TrailState

DEFAULT_TRAIL = "iamd"
DEFAULT_BUCKET = "iamd-trail"
SLICE = timedelta(minutes=5)
PERIOD = timedelta(hours=1)
PAGE = 5000
"""Events read per query: memory stays bounded however long since the last export."""
_HOME_REGION = re.compile(r"^[a-z0-9-]{1,32}$")
_REGION_MEMBER = re.compile(r'"awsRegion":"([a-z0-9-]{1,32})"')
_ACCOUNT = re.compile(r"^\d{12}$")
_UNIQUE = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class ExportError(Exception):
    """The export could not run (bad trail name, or another export of the trail ran)."""


@dataclass
class ExportResult:
    trail: str
    bucket: str
    end: datetime
    events: int = 0
    log_files: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    up_to_date: bool = False


@dataclass(frozen=True, slots=True)
class _Pending:
    slice_start: datetime
    entry: LogFileEntry


def export_trail(
    store: Store,
    directory: Path,
    *,
    trail: str = DEFAULT_TRAIL,
    bucket: str | None = None,
    home_region: str = "us-east-1",
    delay: float = 5.0,
    now: datetime | None = None,
) -> ExportResult:
    if not valid_trail_name(trail):
        raise ExportError(
            f"invalid trail name {trail!r}: 3 to 128 letters, digits, periods and dashes"
        )
    if not _HOME_REGION.match(home_region):
        raise ExportError(f"invalid region {home_region!r}")
    end = ((now or datetime.now(UTC)) - timedelta(seconds=delay)).replace(microsecond=0)
    with store.read() as tx:
        state = tx.repo(TrailState)
        position = state.position(trail)
        heads = state.chains(trail)
        home_account = tx.accounts.first()
    chosen_bucket = bucket or (position.bucket if position else DEFAULT_BUCKET)
    result = ExportResult(trail, chosen_bucket, end)
    if any(head.digest_end >= end for head in heads.values()):
        result.up_to_date = True  # a run in the same second, or a clock moved back
        return result
    default_account = home_account.account_id if home_account else "000000000000"
    key, private = signing_key(store)
    written: list[Path] = []
    try:
        pending = _write_log_files(
            store,
            directory,
            chosen_bucket,
            position.exported_seq if position else 0,
            int(end.timestamp()) * 10**9,
            default_account,
            home_region,
            result,
            written,
        )
        new_heads: list[ChainHead] = []
        for chain in sorted(set(heads) | set(pending)):
            head = _extend_chain(
                directory,
                chain,
                heads.get(chain),
                pending.get(chain, []),
                end,
                chosen_bucket,
                trail,
                home_region,
                key,
                private,
                result,
                written,
            )
            new_heads.append(head)
        with store.write() as tx:
            tx.repo(TrailState).advance(
                trail,
                chosen_bucket,
                position.exported_seq if position else None,
                int(end.timestamp()) * 10**9,
                new_heads,
            )
    except ConflictError:
        _remove(written)
        raise ExportError(f"another export of trail {trail} ran at the same time") from None
    except BaseException:
        _remove(written)
        raise
    return result


def _write_log_files(
    store: Store,
    directory: Path,
    bucket: str,
    after: int,
    upto: int,
    default_account: str,
    home_region: str,
    result: ExportResult,
    written: list[Path],
) -> dict[tuple[str, str], list[_Pending]]:
    pending: dict[tuple[str, str], list[_Pending]] = defaultdict(list)

    def flush(batch: list[ArrivedEvent]) -> None:
        _write_batch(
            directory, bucket, batch, default_account, home_region, pending, result, written
        )

    with store.read() as tx:
        batch: list[ArrivedEvent] = []
        for arrived in tx.repo(AuditHistory).arrived(after, upto):
            batch.append(arrived)
            if len(batch) >= PAGE:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
    return pending


def _write_batch(
    directory: Path,
    bucket: str,
    batch: list[ArrivedEvent],
    default_account: str,
    home_region: str,
    pending: dict[tuple[str, str], list[_Pending]],
    result: ExportResult,
    written: list[Path],
) -> None:
    """Log files for a batch of events: one per account, region and slice."""
    groups: dict[tuple[str, str, datetime], list[tuple[datetime, str]]] = defaultdict(list)
    for event in batch:
        account, region, when = _placement(event, default_account, home_region)
        groups[(account, region, _slice(when))].append((when, event.body))
    for (account, region, start), items in sorted(groups.items()):
        items.sort(key=lambda item: item[0])
        entry = _write_log_file(directory, bucket, account, region, start, items, written)
        pending[(account, region)].append(_Pending(start, entry))
        result.log_files.append(entry.key)
        result.events += len(items)


def _placement(
    event: ArrivedEvent, default_account: str, home_region: str
) -> tuple[str, str, datetime]:
    """Account, region and time of an event, made safe for use in a path.

    The region is read from the stored JSON without parsing it all: the body is iamd's own
    compact serialization, where the top-level ``awsRegion`` is the first one (a quote inside
    a string value is escaped, so no value can imitate it).  The time is the indexed column.
    """
    account = event.account_id if _ACCOUNT.match(event.account_id) else default_account
    found = _REGION_MEMBER.search(event.body)
    region = found.group(1) if found else home_region
    return account, region, event.event_time


def _slice(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC).replace(second=0, microsecond=0)
    return moment.replace(minute=moment.minute - moment.minute % 5)


def _unique(items: list[tuple[datetime, str]]) -> str:
    """16 letters and digits, from the content: a re-run writes the same name, never a twin."""
    number = int.from_bytes(hashlib.sha256("\n".join(b for _, b in items).encode()).digest())
    letters = []
    for _ in range(16):
        number, index = divmod(number, len(_UNIQUE))
        letters.append(_UNIQUE[index])
    return "".join(letters)


def _write_log_file(
    directory: Path,
    bucket: str,
    account: str,
    region: str,
    start: datetime,
    items: list[tuple[datetime, str]],
    written: list[Path],
) -> LogFileEntry:
    raw = ('{"Records":[' + ",".join(body for _, body in items) + "]}").encode()
    key = log_file_key(account, region, start, _unique(items))
    _put(directory, key, compress(raw), written)
    return LogFileEntry(bucket, key, sha256_hex(raw), items[-1][0], items[0][0])


def _periods(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    periods = []
    while start < end:
        stop = min(start + PERIOD, end)
        periods.append((start, stop))
        start = stop
    return periods


def _extend_chain(
    directory: Path,
    chain: tuple[str, str],
    head: ChainHead | None,
    pending: list[_Pending],
    end: datetime,
    bucket: str,
    trail: str,
    home_region: str,
    key: DigestKey,
    private: rsa.RSAPrivateKey,
    result: ExportResult,
    written: list[Path],
) -> ChainHead:
    account, region = chain
    if head is not None:
        start = head.digest_end
        previous: PreviousDigest | None = PreviousDigest(
            head.digest_bucket, head.digest_key, head.digest_hash, head.digest_signature
        )
    else:
        oldest = min(p.slice_start for p in pending)
        start = min(oldest, end - timedelta(seconds=1)).replace(minute=0, second=0)
        previous = None
    periods = _periods(start, end)
    by_period: dict[int, list[LogFileEntry]] = defaultdict(list)
    for item in pending:
        moment = min(max(item.slice_start, start), end - timedelta(seconds=1))
        index = next(i for i, (_, stop) in enumerate(periods) if moment < stop)
        by_period[index].append(item.entry)
    new_head = head
    for index, (period_start, period_end) in enumerate(periods):
        object_key = digest_key(account, region, trail, home_region, period_end)
        document = digest_document(
            account=account,
            start=period_start,
            end=period_end,
            bucket=bucket,
            key=object_key,
            fingerprint=key.fingerprint,
            previous=previous,
            log_files=by_period.get(index, []),
        )
        raw = encode_document(document)
        signature = sign(private, string_to_sign(document, raw))
        _put(directory, object_key, compress(raw), written)
        _put(directory, object_key + SIGNATURE_SUFFIX, signature_metadata(signature), written)
        result.digests.append(object_key)
        digest_hash = sha256_hex(raw)
        previous = PreviousDigest(bucket, object_key, digest_hash, signature)
        new_head = ChainHead(
            account, region, period_end, bucket, object_key, digest_hash, signature
        )
    assert new_head is not None
    return new_head


def _put(directory: Path, key: str, data: bytes, written: list[Path]) -> None:
    path = directory.joinpath(*key.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    path.write_bytes(data)
    if not existed:
        written.append(path)


def _remove(paths: list[Path]) -> None:
    """Take back what a failed run wrote, so it leaves no file outside the chain."""
    for path in paths:
        path.unlink(missing_ok=True)
