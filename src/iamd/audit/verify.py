"""``iamd trail verify``: check an exported trail as ``aws cloudtrail validate-logs`` checks S3.

Each region's digest chain is walked from its newest digest back through
``previousDigestS3Object``.  A digest is valid when it is where its content says it was written,
its public key fingerprint is one of the trusted keys, and its SHA256withRSA signature verifies;
it must also hash to what its successor recorded for it.  Each log file a valid digest lists
must be there and hash to the listed SHA-256 of its uncompressed content.  Beyond what
validate-logs reports, files no valid digest accounts for are named too: a log file in no
digest (inserted, or whose digest was removed) and a digest outside the chain.

A removed tail (the newest digests and their log files) leaves nothing behind in the directory,
so it is caught against something outside it: the chain heads iamd recorded at export time
(``heads``), or an ``end_time`` the chain must reach (exports write a digest for every hour up
to the moment they run, with or without events).

Messages are validate-logs' own (``Digest file\\ts3://bucket/key\\tINVALID: not found``, ...).

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.audit.digest import fingerprint, sha256_hex, signature_valid, string_to_sign
from iamd.audit.layout import (
    SIGNATURE_SUFFIX,
    DigestName,
    format_time,
    parse_digest_key,
    parse_time,
)
from iamd.store.repos.trail_state import ChainHead

REQUIRED = (
    "digestPublicKeyFingerprint",
    "digestS3Bucket",
    "digestS3Object",
    "previousDigestSignature",
    "digestEndTime",
    "digestStartTime",
)
DIGEST = "Digest file"
LOG = "Log file"
CHAIN = "Digest chain"

NOT_FOUND = "not found"
MODIFIED_LOG = "hash value doesn't match"
BAD_FORMAT = "invalid format"
BAD_SIGNATURE = "signature verification failed"
MOVED = "has been moved from its original location"
NOT_IN_DIGEST = "not in any digest"
ONLY_INVALID = "listed only in an invalid digest"
NOT_IN_CHAIN = "not in the digest chain"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    bucket: str
    key: str
    problem: str | None = None

    @property
    def valid(self) -> bool:
        return self.problem is None

    def line(self) -> str:
        status = "valid" if self.problem is None else f"INVALID: {self.problem}"
        return f"{self.kind}\ts3://{self.bucket}/{self.key}\t{status}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    first_start: datetime | None = None
    last_end: datetime | None = None

    @property
    def ok(self) -> bool:
        return all(f.valid for f in self.findings)

    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.valid]

    def count(self, kind: str) -> tuple[int, int]:
        """(valid, invalid) files of ``kind`` (a broken chain counts as an invalid digest)."""
        kinds = {kind, CHAIN} if kind == DIGEST else {kind}
        chosen = [f for f in self.findings if f.kind in kinds]
        valid = sum(1 for f in chosen if f.valid)
        return valid, len(chosen) - valid


@dataclass(frozen=True, slots=True)
class _Link:
    """What a valid digest says about its predecessor."""

    bucket: str
    key: str
    hash_value: str
    signature: str
    successor: str


class _Walk:
    def __init__(self, directory: Path, keys: list[rsa.RSAPublicKey], report: Report) -> None:
        self.directory = directory
        self.keys = {fingerprint(k): k for k in keys}
        self.report = report
        self.covered: set[str] = set()
        self.listed_by_invalid: set[str] = set()
        self.bucket = "iamd-trail"

    def path(self, key: str) -> Path:
        return self.directory.joinpath(*key.split("/"))

    # digests -----------------------------------------------------------------------------

    def chain(self, names: list[DigestName]) -> datetime | None:
        """Walk one chain (names sorted oldest first); the end time of its newest valid digest."""
        unvisited = {n.key: n for n in names}
        newest_end: datetime | None = None
        current: str | None = names[-1].key if names else None
        link: _Link | None = None
        while current is not None:
            name = unvisited.pop(current, None) or parse_digest_key(current)
            before = name.end if name else None
            if not self.path(current).is_file():
                bucket = link.bucket if link else self.bucket
                self.report.findings.append(Finding(DIGEST, bucket, current, NOT_FOUND))
                current, link = self._older(unvisited, before), None
                continue
            document, problem = self._check_digest(current, link)
            if problem is not None:
                bucket = link.bucket if link else self.bucket
                self.report.findings.append(Finding(DIGEST, bucket, current, problem))
                current, link = self._older(unvisited, before), None
                continue
            assert document is not None
            self.bucket = document["digestS3Bucket"]
            self.report.findings.append(Finding(DIGEST, self.bucket, current))
            end = parse_time(document["digestEndTime"])
            start = parse_time(document["digestStartTime"])
            newest_end = newest_end or end
            self._track(start, end)
            self._log_files(document)
            previous = document.get("previousDigestS3Object")
            if previous:
                link = _Link(
                    document.get("previousDigestS3Bucket") or self.bucket,
                    previous,
                    document.get("previousDigestHashValue") or "",
                    document.get("previousDigestSignature") or "",
                    current,
                )
                current = previous
                continue
            link = None
            current = self._older(unvisited, before)
            if current is not None:
                self.report.notices.append(
                    f"No log files were delivered by CloudTrail between "
                    f"{format_time(unvisited[current].end)} and {format_time(start)}"
                )
        for key in sorted(unvisited):
            self.report.findings.append(Finding(DIGEST, self.bucket, key, NOT_IN_CHAIN))
        return newest_end

    def _older(self, unvisited: dict[str, DigestName], before: datetime | None) -> str | None:
        """The newest digest not yet visited that ends before ``before``."""
        older = [n for n in unvisited.values() if before is None or n.end < before]
        return max(older, key=lambda n: (n.end, n.key)).key if older else None

    def _check_digest(
        self, key: str, link: _Link | None
    ) -> tuple[dict[str, Any] | None, str | None]:
        raw, problem = self._inflate(key)
        if raw is None:
            return None, problem
        try:
            document = json.loads(raw)
        except ValueError:
            return None, BAD_FORMAT
        if not isinstance(document, dict) or any(k not in document for k in REQUIRED):
            return None, BAD_FORMAT
        for entry in document.get("logFiles") or []:
            if isinstance(entry, dict) and isinstance(entry.get("s3Object"), str):
                self.listed_by_invalid.add(entry["s3Object"])
        if document["digestS3Object"] != key or (
            link is not None and document["digestS3Bucket"] != link.bucket
        ):
            return None, MOVED
        signature = self._signature(key)
        if signature is None:
            return None, BAD_SIGNATURE
        fingerprint_hex = document["digestPublicKeyFingerprint"]
        public_key = self.keys.get(fingerprint_hex)
        if public_key is None:
            return None, f"public key not found for fingerprint {fingerprint_hex}"
        if not signature_valid(public_key, string_to_sign(document, raw), signature):
            return None, BAD_SIGNATURE
        if link is not None and (sha256_hex(raw) != link.hash_value or signature != link.signature):
            return None, f"does not match the hash and signature recorded in {link.successor}"
        return document, None

    def _signature(self, key: str) -> str | None:
        path = self.path(key + SIGNATURE_SUFFIX)
        try:
            metadata = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(metadata, dict) or metadata.get("signature-algorithm") != "SHA256withRSA":
            return None
        signature = metadata.get("signature")
        return signature if isinstance(signature, str) else None

    def _inflate(self, key: str) -> tuple[bytes | None, str | None]:
        try:
            return gzip.decompress(self.path(key).read_bytes()), None
        except FileNotFoundError:
            return None, NOT_FOUND
        except (OSError, EOFError, zlib.error):
            return None, BAD_FORMAT

    def _track(self, start: datetime, end: datetime) -> None:
        report = self.report
        report.first_start = min(start, report.first_start or start)
        report.last_end = max(end, report.last_end or end)

    # log files ---------------------------------------------------------------------------

    def _log_files(self, document: dict[str, Any]) -> None:
        for entry in document.get("logFiles") or []:
            key, bucket = entry["s3Object"], entry["s3Bucket"]
            if key in self.covered:
                continue
            self.covered.add(key)
            raw, problem = self._inflate(key)
            if raw is not None and sha256_hex(raw) != entry["hashValue"]:
                problem = MODIFIED_LOG
            elif raw is not None:
                try:
                    records = json.loads(raw).get("Records")
                except (ValueError, AttributeError):
                    records = None
                if not isinstance(records, list):
                    problem = BAD_FORMAT
            self.report.findings.append(Finding(LOG, bucket, key, problem))

    def strays(self, files: list[str]) -> None:
        for key in files:
            if key in self.covered:
                continue
            problem = ONLY_INVALID if key in self.listed_by_invalid else NOT_IN_DIGEST
            self.report.findings.append(Finding(LOG, self.bucket, key, problem))


def _files(directory: Path) -> tuple[list[DigestName], list[str]]:
    """Digests and every other file (log files, or anything put among them) in the tree."""
    digests: list[DigestName] = []
    others: list[str] = []
    root = directory / "AWSLogs"
    if not root.is_dir():
        return digests, others
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        key = path.relative_to(directory).as_posix()
        name = parse_digest_key(key)
        if name is not None:
            digests.append(name)
        elif key.endswith(SIGNATURE_SUFFIX) and "/CloudTrail-Digest/" in key:
            continue
        else:
            others.append(key)
    return digests, others


def verify_trail(
    directory: Path,
    public_keys: list[rsa.RSAPublicKey],
    *,
    heads: dict[tuple[str, str], ChainHead] | None = None,
    end_time: datetime | None = None,
) -> Report:
    """Check every digest chain and log file under ``directory``.

    ``heads`` are the newest digests iamd recorded for the trail (per account and region);
    ``end_time`` is a time every chain (account, region, trail) must reach.  Either catches
    the removal of a chain's newest digests.
    """
    report = Report()
    walk = _Walk(directory, public_keys, report)
    digests, others = _files(directory)
    chains: dict[tuple[str, str, str, str], list[DigestName]] = defaultdict(list)
    for name in digests:
        chains[name.chain].append(name)
    recorded: dict[tuple[str, str, str, str], ChainHead] = {}
    for known in (heads or {}).values():
        parsed = parse_digest_key(known.digest_key)
        if parsed is not None:
            recorded[parsed.chain] = known
    for chain in sorted(set(chains) | set(recorded)):
        names = sorted(chains.get(chain, []), key=lambda n: (n.end, n.key))
        head = recorded.get(chain)
        if head is not None and not any(n.key == head.digest_key for n in names):
            # Start from the recorded head: its absence is reported as the chain's first gap.
            start = parse_digest_key(head.digest_key)
            assert start is not None
            names.append(start)
            walk.bucket = head.digest_bucket
        newest = walk.chain(names)
        if end_time is not None and (newest is None or newest < end_time):
            account, region = chain[0], chain[1]
            reached = format_time(newest) if newest else "nothing valid"
            report.findings.append(
                Finding(
                    CHAIN,
                    walk.bucket,
                    f"AWSLogs/{account}/CloudTrail-Digest/{region}/",
                    f"ends at {reached}, before {format_time(end_time)}: "
                    "the newest digest files were deleted (or the trail was not exported since)",
                )
            )
    walk.strays(others)
    return report


def render(report: Report, directory: Path, verbose: bool = False) -> tuple[str, str]:
    """validate-logs' output: (stdout, stderr).  Valid files are listed with ``verbose``."""
    out = [f"Validating log files in {directory}", ""]
    err: list[str] = []
    for finding in report.findings:
        if finding.valid:
            if verbose:
                out.append(finding.line())
        else:
            err.append(finding.line())
    err.extend(report.notices)
    if verbose:
        out.append("")
    if report.first_start and report.last_end:
        out.append(
            f"Results found for {format_time(report.first_start)} to "
            f"{format_time(report.last_end)}:"
        )
    elif not report.findings:
        out.append("No digests found")
    else:
        out.append("No valid digests found")
    for kind, noun in ((DIGEST, "digest"), (LOG, "log")):
        valid, invalid = report.count(kind)
        total = valid + invalid
        if total:
            line = f"{valid}/{total} {noun} files valid"
            if invalid:
                line += f", {invalid}/{total} {noun} files INVALID"
            out.extend(["", line])
    return "\n".join(out) + "\n", "".join(f"{line}\n\n" for line in err)
