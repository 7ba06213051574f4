"""``iamd trail export``: CloudTrail's bucket layout, digest fields, signatures and chaining.

AWS's formats: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
and the signing string:
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from iamd.audit import events as audit
from iamd.audit.digest import fingerprint, signature_valid, string_to_sign
from iamd.audit.export import ExportError, ExportResult, export_trail
from iamd.audit.trail_keys import load_public_key_file, public_keys
from iamd.store import Store
from iamd.store.repos.audit_events import AuditEvents
from iamd.store.repos.trail_state import TrailState

ACCOUNT = "111122223333"
LOG_NAME = re.compile(
    r"^AWSLogs/111122223333/CloudTrail/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"111122223333_CloudTrail_(?P=region)_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$"
)
DIGEST_NAME = re.compile(
    r"^AWSLogs/111122223333/CloudTrail-Digest/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"111122223333_CloudTrail-Digest_(?P=region)_iamd_us-east-1_\d{8}T\d{6}Z\.json\.gz$"
)


def event(when: datetime, name: str = "CreateUser", region: str = "us-east-1") -> dict[str, Any]:
    return audit.build(
        service="iam",
        operation=name,
        identity={"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT},
        account_id=ACCOUNT,
        region=region,
        source_ip="192.0.2.1",
        user_agent="test",
        request_id="r",
        params={"UserName": "alice"},
        now=when,
    )


def record(store: Store, *events: dict[str, Any]) -> None:
    with store.write() as tx:
        tx.repo(AuditEvents).insert_many(events)


def files(root: Path, part: str) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.json.gz")
        if f"/{part}/" in p.as_posix()
    )


def load(root: Path, key: str) -> tuple[dict[str, Any], bytes]:
    raw = gzip.decompress((root / key).read_bytes())
    return json.loads(raw), raw


def signature_of(root: Path, key: str) -> str:
    metadata = json.loads((root / f"{key}.metadata.json").read_text())
    assert metadata["signature-algorithm"] == "SHA256withRSA"
    return str(metadata["signature"])


def settled_export(store: Store, out: Path, **options: Any) -> ExportResult:
    """Export once every event inserted so far is a second old: the export reads up to the
    current whole second, by the clock that stamped the rows."""
    time.sleep(1.05)
    return export_trail(store, out, delay=0, **options)


def test_fingerprint_is_md5_of_the_pkcs1_der_as_in_awss_example() -> None:
    """AWS's list-public-keys example: Value MIIBCgKCAQEAlSS3... has Fingerprint
    7f3f401420072e50a65a141430817ab3.
    https://docs.aws.amazon.com/cli/latest/reference/cloudtrail/list-public-keys.html"""
    value = (
        "MIIBCgKCAQEAlSS3cl92HDycr/MTj0moOhas8habjrraXw+KzlWF0axSI2tcF+3iJ9BKQAVSKxGwxwu3m0wG3J+kU"
        "l1xboEcEPHYoIYMbgfSw7KGnuDKwkLzsQWhUJ0cIbOHASox1vv/5fNXkrHhGbDCHeVXm804c83nvHUEFYThr1Pfy"
        "P/8HwrCtR3FX5OANtQCP61C1nJtSSkC8JSQUOrIP4CuwJjc+4WGDk+BGH5m9iuiAKkipEHWmUl8/P7XpfpWQuk4h"
        "8g3pXZOrNXr08lbh4d39svj7UqdhvOXoBISp9t/EXYuePGEtBdrKD9Dz+VHwyUPtBQvYr9BnkF88qBnaPNhS44rz"
        "wIDAQAB"
    )
    listing = json.dumps({"PublicKeyList": [{"Value": value, "Fingerprint": "x"}]})
    [key] = load_public_key_file(listing)
    assert fingerprint(key) == "7f3f401420072e50a65a141430817ab3"


def test_string_to_sign_is_awss_four_lines_with_null_for_the_first_digest() -> None:
    document = {
        "digestEndTime": "2015-08-17T15:01:31Z",
        "digestS3Bucket": "bucket",
        "digestS3Object": "AWSLogs/x.json.gz",
        "previousDigestSignature": None,
    }
    raw = b"{}"
    hashed = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    assert string_to_sign(document, raw) == (
        f"2015-08-17T15:01:31Z\nbucket/AWSLogs/x.json.gz\n{hashed}\nnull".encode()
    )
    document["previousDigestSignature"] = "abcd"
    assert string_to_sign(document, raw).endswith(b"\nabcd")


def test_export_writes_cloudtrails_layout_and_signed_hourly_digests(
    store: Store, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # A minute into a 5-minute slice, so the event 30 seconds later shares its log file.
    earlier = (now - timedelta(hours=3)).replace(second=0)
    three_hours_ago = earlier - timedelta(minutes=earlier.minute % 5 - 1)
    record(
        store,
        event(three_hours_ago),
        event(three_hours_ago + timedelta(seconds=30), "DeleteUser"),
        event(three_hours_ago, "GetUser", region="eu-west-1"),
        event(now - timedelta(minutes=2), "ListUsers"),
    )
    out = tmp_path / "bucket"
    result = settled_export(store, out)
    assert result.events == 4

    logs = files(out, "CloudTrail")
    assert len(logs) == 3  # two regions x slices: us-east-1 twice, eu-west-1 once
    assert all(LOG_NAME.match(key) for key in logs), logs
    records = [r for key in logs for r in load(out, key)[0]["Records"]]
    assert sorted(r["eventName"] for r in records) == [
        "CreateUser",
        "DeleteUser",
        "GetUser",
        "ListUsers",
    ]

    digests = files(out, "CloudTrail-Digest")
    assert all(DIGEST_NAME.match(key) for key in digests), digests
    [key] = public_keys(store)
    for region in ("us-east-1", "eu-west-1"):
        chain = [load(out, k) for k in digests if f"/CloudTrail-Digest/{region}/" in k]
        chain.sort(key=lambda pair: pair[0]["digestEndTime"])
        # Every hour from the first event's hour to now has a digest, contiguous and chained.
        assert len(chain) >= 4
        assert chain[0][0]["previousDigestSignature"] is None
        assert chain[0][0]["previousDigestS3Object"] is None
        for (older, older_raw), (newer, _) in itertools.pairwise(chain):
            assert newer["digestStartTime"] == older["digestEndTime"]
            assert newer["previousDigestS3Object"] == older["digestS3Object"]
            assert newer["previousDigestHashAlgorithm"] == "SHA-256"
            assert newer["previousDigestSignature"] == signature_of(out, older["digestS3Object"])
            assert newer["previousDigestHashValue"] == hashlib.sha256(older_raw).hexdigest()
        for document, raw in chain:
            assert list(document) == [
                "awsAccountId",
                "digestStartTime",
                "digestEndTime",
                "digestS3Bucket",
                "digestS3Object",
                "digestPublicKeyFingerprint",
                "digestSignatureAlgorithm",
                "newestEventTime",
                "oldestEventTime",
                "previousDigestS3Bucket",
                "previousDigestS3Object",
                "previousDigestHashValue",
                "previousDigestHashAlgorithm",
                "previousDigestSignature",
                "logFiles",
            ]
            assert document["awsAccountId"] == ACCOUNT
            assert document["digestS3Bucket"] == "iamd-trail"
            assert document["digestSignatureAlgorithm"] == "SHA256withRSA"
            assert document["digestPublicKeyFingerprint"] == key.fingerprint
            message = string_to_sign(document, raw)
            signature = signature_of(out, document["digestS3Object"])
            assert signature_valid(key.public, message, signature)
        empty = [d for d, _ in chain if not d["logFiles"]]
        assert empty, "an hour without events still gets a digest"
        assert all(d["newestEventTime"] is None and d["oldestEventTime"] is None for d in empty)
        listed = [f for d, _ in chain for f in d["logFiles"]]
        for entry in listed:
            assert set(entry) == {
                "s3Bucket",
                "s3Object",
                "hashValue",
                "hashAlgorithm",
                "newestEventTime",
                "oldestEventTime",
            }
            _, raw_log = load(out, entry["s3Object"])
            assert entry["hashValue"] == hashlib.sha256(raw_log).hexdigest()
    assert sorted(f["s3Object"] for d in digests for f in load(out, d)[0]["logFiles"]) == logs


def test_a_second_export_continues_the_chain_with_only_new_events(
    store: Store, tmp_path: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    record(store, event(now - timedelta(minutes=90)))
    out = tmp_path / "bucket"
    first = settled_export(store, out)
    with store.read() as tx:
        head = tx.repo(TrailState).chains("iamd")[(ACCOUNT, "us-east-1")]
    assert head.digest_key == first.digests[-1]

    late = event(now - timedelta(minutes=90), "TagUser")  # arrives late for an exported slice
    record(store, late, event(now, "UntagUser"))
    second = settled_export(store, out)
    assert second.events == 2
    assert not set(first.log_files) & set(second.log_files)
    opening, _ = load(out, second.digests[0])
    assert opening["previousDigestS3Object"] == first.digests[-1]
    assert opening["previousDigestSignature"] == head.digest_signature
    assert opening["digestStartTime"] == head.digest_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    names = sorted(r["eventName"] for key in second.log_files for r in load(out, key)[0]["Records"])
    assert names == ["TagUser", "UntagUser"]

    quiet = settled_export(store, out)  # nothing new: the chain still grows by a digest
    assert quiet.events == 0 and not quiet.log_files and len(quiet.digests) == 1
    document, _ = load(out, quiet.digests[0])
    assert document["logFiles"] == [] and document["previousDigestS3Object"] == second.digests[-1]

    same_second = export_trail(store, out, now=quiet.end, delay=0)
    assert same_second.up_to_date and not same_second.digests


def test_public_keys_print_as_list_public_keys_and_as_pem(store: Store, tmp_path: Path) -> None:
    record(store, event(datetime.now(UTC)))
    settled_export(store, tmp_path)
    [key] = public_keys(store)
    listing = key.listing()
    assert set(listing) == {"Value", "ValidityStartTime", "ValidityEndTime", "Fingerprint"}
    der = base64.b64decode(listing["Value"])
    loaded = serialization.load_der_public_key(
        serialization.load_pem_public_key(key.pem().encode()).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert der == key.public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    assert fingerprint(load_public_key_file(key.pem())[0]) == listing["Fingerprint"]
    assert fingerprint(loaded) == listing["Fingerprint"]  # type: ignore[arg-type]


def test_two_trails_in_one_directory_verify_as_two_chains(store: Store, tmp_path: Path) -> None:
    from iamd.audit.verify import verify_trail

    record(store, event(datetime.now(UTC) - timedelta(minutes=70)))
    first = settled_export(store, tmp_path)
    other = settled_export(store, tmp_path, trail="other-trail", bucket="elsewhere")
    assert first.log_files == other.log_files  # the same events make the same file
    assert all("_other-trail_" in key for key in other.digests)
    report = verify_trail(tmp_path, [k.public for k in public_keys(store)])
    assert report.ok, report.problems()
    assert report.count("Digest file") == (len(first.digests) + len(other.digests), 0)


@pytest.mark.parametrize(
    "options",
    [{"trail": "my_trail"}, {"trail": "ab"}, {"home_region": "../../etc"}],
)
def test_names_that_would_not_read_back_or_escape_the_directory_are_refused(
    store: Store, tmp_path: Path, options: dict[str, str]
) -> None:
    with pytest.raises(ExportError):
        export_trail(store, tmp_path / "out", **options)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()
