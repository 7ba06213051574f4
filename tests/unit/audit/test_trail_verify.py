"""``iamd trail verify`` names every kind of tampering with an exported trail.

What validate-logs detects and how it words it:
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html
(modified, deleted log files; modified, deleted digests); beyond it, iamd also names log files
that no digest lists (inserted) and digests outside the chain.
"""

from __future__ import annotations

import gzip
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.audit import events as audit
from iamd.audit.digest import compress, fingerprint, sign, signature_metadata, string_to_sign
from iamd.audit.export import export_trail
from iamd.audit.layout import digest_key, parse_digest_key
from iamd.audit.trail_keys import public_keys
from iamd.audit.verify import (
    BAD_SIGNATURE,
    CHAIN,
    DIGEST,
    LOG,
    MODIFIED_LOG,
    MOVED,
    NOT_FOUND,
    NOT_IN_CHAIN,
    NOT_IN_DIGEST,
    ONLY_INVALID,
    Report,
    render,
    verify_trail,
)
from iamd.cli.main import main
from iamd.store import Store
from iamd.store.repos.audit_events import AuditEvents
from iamd.store.repos.trail_state import ChainHead, TrailState

ACCOUNT = "111122223333"


@dataclass
class Exported:
    root: Path
    keys: list[rsa.RSAPublicKey]
    heads: dict[tuple[str, str], ChainHead]
    digests: list[str]
    """Oldest first."""
    end: datetime

    def doc(self, key: str, root: Path | None = None) -> dict[str, Any]:
        path = (root or self.root) / key
        loaded: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
        return loaded

    def with_logs(self) -> list[str]:
        """Digests listing at least one log file, oldest first."""
        return [d for d in self.digests if self.doc(d)["logFiles"]]


def event(when: datetime, name: str) -> dict[str, Any]:
    return audit.build(
        service="iam",
        operation=name,
        identity={"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT},
        account_id=ACCOUNT,
        region="us-east-1",
        source_ip="192.0.2.1",
        user_agent="test",
        request_id="r",
        now=when,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exported]:
    data = tmp_path_factory.mktemp("data")
    store = Store.open(None, data, bytes(range(32)))
    now = datetime.now(UTC)
    with store.write() as tx:
        tx.repo(AuditEvents).insert_many(
            [
                event(now - timedelta(hours=3, minutes=10), "CreateUser"),
                event(now - timedelta(hours=2, minutes=5), "CreateRole"),
                event(now - timedelta(minutes=65), "CreateGroup"),
                event(now - timedelta(minutes=1), "DeleteUser"),
            ]
        )
    time.sleep(1.05)
    root = tmp_path_factory.mktemp("trail")
    result = export_trail(store, root, delay=0)
    with store.read() as tx:
        heads = tx.repo(TrailState).chains("iamd")
    keys = [k.public for k in public_keys(store)]
    store.close()
    yield Exported(root, keys, heads, result.digests, result.end)


@pytest.fixture
def trail(exported: Exported, tmp_path: Path) -> Path:
    """A copy of the exported trail to tamper with."""
    copy = tmp_path / "copy"
    shutil.copytree(exported.root, copy)
    return copy


def problems(report: Report) -> set[tuple[str, str, str | None]]:
    return {(f.kind, f.key, f.problem) for f in report.problems()}


def test_an_untouched_trail_is_valid(exported: Exported, trail: Path) -> None:
    report = verify_trail(trail, exported.keys, heads=exported.heads, end_time=exported.end)
    assert report.ok, report.problems()
    assert report.count(DIGEST) == (len(exported.digests), 0)
    assert report.count(LOG) == (4, 0)
    out, err = render(report, trail, verbose=True)
    assert err == ""
    assert f"{len(exported.digests)}/{len(exported.digests)} digest files valid" in out
    assert "4/4 log files valid" in out
    assert f"Digest file\ts3://iamd-trail/{exported.digests[-1]}\tvalid" in out


def test_a_modified_log_file(exported: Exported, trail: Path) -> None:
    log = exported.doc(exported.with_logs()[0])["logFiles"][0]["s3Object"]
    records = json.loads(gzip.decompress((trail / log).read_bytes()))
    records["Records"][0]["sourceIPAddress"] = "203.0.113.66"
    (trail / log).write_bytes(compress(json.dumps(records).encode()))
    report = verify_trail(trail, exported.keys)
    assert problems(report) == {(LOG, log, MODIFIED_LOG)}
    _, err = render(report, trail)
    assert f"Log file\ts3://iamd-trail/{log}\tINVALID: hash value doesn't match" in err


def test_a_deleted_log_file(exported: Exported, trail: Path) -> None:
    log = exported.doc(exported.with_logs()[-1])["logFiles"][0]["s3Object"]
    (trail / log).unlink()
    assert problems(verify_trail(trail, exported.keys)) == {(LOG, log, NOT_FOUND)}


def test_an_inserted_log_file(exported: Exported, trail: Path) -> None:
    log = exported.doc(exported.with_logs()[0])["logFiles"][0]["s3Object"]
    forged = log[: -len("0123456789ABCDEF.json.gz")] + "FORGEDFORGED0000.json.gz"
    (trail / forged).write_bytes(compress(b'{"Records":[]}'))
    assert problems(verify_trail(trail, exported.keys)) == {(LOG, forged, NOT_IN_DIGEST)}


def test_a_modified_digest(exported: Exported, trail: Path) -> None:
    middle = exported.with_logs()[1]
    document = exported.doc(middle)
    listed = document["logFiles"][0]["s3Object"]
    document["logFiles"] = []  # hide a log file from the chain
    (trail / middle).write_bytes(compress(json.dumps(document).encode()))
    found = problems(verify_trail(trail, exported.keys))
    assert (DIGEST, middle, BAD_SIGNATURE) in found
    assert (LOG, listed, NOT_IN_DIGEST) in found
    assert len(found) == 2


def test_a_deleted_digest_in_the_middle_breaks_the_chain(exported: Exported, trail: Path) -> None:
    middle = exported.with_logs()[1]
    listed = exported.doc(middle)["logFiles"][0]["s3Object"]
    (trail / middle).unlink()
    (trail / f"{middle}.metadata.json").unlink()
    report = verify_trail(trail, exported.keys)
    assert problems(report) == {(DIGEST, middle, NOT_FOUND), (LOG, listed, NOT_IN_DIGEST)}
    # the digests before the gap are still checked
    checked = {(f.kind, f.key, f.problem) for f in report.findings}
    assert (DIGEST, exported.digests[0], None) in checked


def test_a_deleted_last_digest_leaves_its_log_files_undigested(
    exported: Exported, trail: Path
) -> None:
    last = exported.digests[-1]
    listed = [f["s3Object"] for f in exported.doc(last)["logFiles"]]
    assert listed, "the newest digest lists the newest event's log file"
    (trail / last).unlink()
    found = problems(verify_trail(trail, exported.keys))
    assert found == {(LOG, key, NOT_IN_DIGEST) for key in listed}


def test_a_deleted_tail_is_caught_against_the_recorded_head_or_the_end_time(
    exported: Exported, trail: Path
) -> None:
    last = exported.digests[-1]
    for key in [last, *[f["s3Object"] for f in exported.doc(last)["logFiles"]]]:
        (trail / key).unlink()
    (trail / f"{last}.metadata.json").unlink()
    assert verify_trail(trail, exported.keys).ok  # nothing in the directory tells

    with_heads = problems(verify_trail(trail, exported.keys, heads=exported.heads))
    assert with_heads == {(DIGEST, last, NOT_FOUND)}

    with_end = verify_trail(trail, exported.keys, end_time=exported.end)
    [finding] = with_end.problems()
    assert finding.kind == CHAIN and "before" in (finding.problem or "")


def test_a_forged_signature(exported: Exported, trail: Path) -> None:
    target = exported.with_logs()[0]
    document = exported.doc(target)
    raw = gzip.decompress((trail / target).read_bytes())
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = sign(attacker, string_to_sign(document, raw))
    (trail / f"{target}.metadata.json").write_bytes(signature_metadata(forged))
    found = problems(verify_trail(trail, exported.keys))
    assert (DIGEST, target, BAD_SIGNATURE) in found

    # Re-signed under the attacker's own key: that key is not trusted.
    document["digestPublicKeyFingerprint"] = fingerprint(attacker.public_key())
    raw = json.dumps(document).encode()
    (trail / target).write_bytes(compress(raw))
    resigned = sign(attacker, string_to_sign(document, raw))
    (trail / f"{target}.metadata.json").write_bytes(signature_metadata(resigned))
    messages = {p for _, key, p in problems(verify_trail(trail, exported.keys)) if key == target}
    unknown = fingerprint(attacker.public_key())
    assert messages == {f"public key not found for fingerprint {unknown}"}


def test_a_reordered_chain(exported: Exported, trail: Path) -> None:
    first, second = exported.digests[1], exported.digests[2]
    for suffix in ("", ".metadata.json"):
        a, b = trail / f"{first}{suffix}", trail / f"{second}{suffix}"
        a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
        a.write_bytes(b_bytes)
        b.write_bytes(a_bytes)
    found = problems(verify_trail(trail, exported.keys))
    assert (DIGEST, first, MOVED) in found
    assert (DIGEST, second, MOVED) in found


def test_a_digest_outside_the_chain(exported: Exported, trail: Path) -> None:
    """A well-named digest between two linked ones that no link reaches (inserted)."""
    older = parse_digest_key(exported.digests[1])
    assert older is not None
    stray = digest_key(ACCOUNT, "us-east-1", "iamd", "us-east-1", older.end + timedelta(seconds=1))
    shutil.copy(trail / older.key, trail / stray)
    assert problems(verify_trail(trail, exported.keys)) == {(DIGEST, stray, NOT_IN_CHAIN)}


def test_log_files_of_a_modified_digest_that_still_lists_them(
    exported: Exported, trail: Path
) -> None:
    target = exported.with_logs()[0]
    document = exported.doc(target)
    document["awsAccountId"] = "999999999999"
    (trail / target).write_bytes(compress(json.dumps(document).encode()))
    found = problems(verify_trail(trail, exported.keys))
    assert (DIGEST, target, BAD_SIGNATURE) in found
    assert {(LOG, f["s3Object"], ONLY_INVALID) for f in document["logFiles"]} <= found


def test_the_cli_exits_non_zero_and_prints_validate_logs_lines(
    exported: Exported, trail: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = tmp_path / "key.pem"
    pem.write_bytes(
        exported.keys[0].public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    )
    args = ["trail", "verify", str(trail), "--public-key", str(pem), "--data-dir", str(tmp_path)]
    assert main(args) == 0
    log = exported.doc(exported.with_logs()[0])["logFiles"][0]["s3Object"]
    (trail / log).unlink()
    capsys.readouterr()
    assert main(args) == 1
    captured = capsys.readouterr()
    assert f"Log file\ts3://iamd-trail/{log}\tINVALID: not found" in captured.err
    assert "3/4 log files valid, 1/4 log files INVALID" in captured.out
