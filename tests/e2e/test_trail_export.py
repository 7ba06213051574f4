"""The audit trail of a live server, exported as CloudTrail log files and verified, end to end.

Real boto3 calls make the events; the ``iamd trail`` command (a separate process, as an operator
runs it beside the server) exports and verifies them.  Formats:
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from support.live import LiveServer


def iamd(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    """``iamd ARGS`` against the server's database, with its master key."""
    store_options = ["--data-dir", str(server.data_dir)]
    if server.app.settings.database_url:
        store_options += ["--database-url", server.app.settings.database_url]
    env = {**os.environ, "IAMD_MASTER_KEY": "00" * 32}
    return subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", *args, *store_options],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def settle(server: LiveServer) -> None:
    """Write the queued events, then let a second pass: exports read up to the last second."""
    server.app.recorder.flush()
    time.sleep(1.05)


def records(directory: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in (directory / "AWSLogs").rglob("*.json.gz"):
        if "/CloudTrail/" not in path.as_posix():
            continue
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            found[record["requestID"]] = record
    return found


def test_export_then_verify_a_live_servers_trail(
    server: LiveServer, iam: Any, unique: Callable[[str], str], tmp_path: Path
) -> None:
    name = unique("trail-user")
    created = iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    outsider = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        outsider.list_roles()
    settle(server)

    out = tmp_path / "bucket"
    exported = iamd(server, "trail", "export", str(out), "--delay", "0")
    assert exported.returncode == 0, exported.stderr
    assert "exported to" in exported.stdout

    found = records(out)
    create = found[created["ResponseMetadata"]["RequestId"]]
    assert create["eventName"] == "CreateUser"
    assert create["eventSource"] == "iam.amazonaws.com"
    assert create["recipientAccountId"] == server.account_id
    refused = found[denied.value.response["ResponseMetadata"]["RequestId"]]
    assert refused["errorCode"] == "AccessDenied"
    assert refused["userIdentity"]["userName"] == name
    assert key["SecretAccessKey"] not in json.dumps(found)

    verified = iamd(server, "trail", "verify", str(out), "--verbose")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "\tINVALID" not in verified.stdout + verified.stderr
    assert "digest files valid" in verified.stdout

    # More calls, a second export: new log files, the same chain, still valid.
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "audit"}])
    settle(server)
    again = iamd(server, "trail", "export", str(out), "--delay", "0")
    assert again.returncode == 0, again.stderr
    assert any(r["eventName"] == "TagUser" for r in records(out).values())
    assert iamd(server, "trail", "verify", str(out)).returncode == 0

    # Offline, anywhere: the public key alone.
    pem = iamd(server, "trail", "public-keys", "--pem")
    assert pem.returncode == 0 and "BEGIN RSA PUBLIC KEY" in pem.stdout
    (tmp_path / "key.pem").write_text(pem.stdout)
    listing = json.loads(iamd(server, "trail", "public-keys").stdout)["PublicKeyList"]
    assert len(listing) == 1 and len(listing[0]["Fingerprint"]) == 32
    offline = subprocess.run(
        [
            sys.executable,
            "-m",
            "iamd.cli.main",
            "trail",
            "verify",
            str(out),
            "--public-key",
            str(tmp_path / "key.pem"),
            "--data-dir",
            str(tmp_path / "nowhere"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert offline.returncode == 0, offline.stderr

    # A removed tail (the newest digest and its log files) leaves nothing in the directory to
    # tell, but iamd recorded the chain's head: verifying against its database catches it.
    tail = tmp_path / "tail"
    shutil.copytree(out, tail)
    newest = max(
        (p for p in (tail / "AWSLogs").rglob("*.json.gz") if "/CloudTrail-Digest/" in p.as_posix()),
        key=lambda p: p.name[-24:],
    )
    for entry in json.loads(gzip.decompress(newest.read_bytes()))["logFiles"]:
        (tail / entry["s3Object"]).unlink()
    newest.unlink()
    Path(f"{newest}.metadata.json").unlink()
    cut = iamd(server, "trail", "verify", str(tail))
    assert cut.returncode == 1
    assert f"{newest.relative_to(tail).as_posix()}\tINVALID: not found" in cut.stderr

    # Tampering shows.
    log = next(p for p in (out / "AWSLogs").rglob("*.json.gz") if "/CloudTrail/" in p.as_posix())
    log.unlink()
    broken = iamd(server, "trail", "verify", str(out))
    assert broken.returncode == 1
    assert f"{log.relative_to(out).as_posix()}\tINVALID: not found" in broken.stderr


def test_metrics_show_the_recorders_counters(server: LiveServer, iam: Any) -> None:
    def metrics() -> dict[str, int]:
        with urllib.request.urlopen(f"{server.url}/_iamd/metrics", timeout=10) as response:
            assert response.headers["content-type"] == "application/json"
            loaded: dict[str, int] = json.loads(response.read())["audit_events"]
            return loaded

    before = metrics()
    assert set(before) == {"recorded", "queued", "dropped", "failed", "pruned"}
    iam.list_users()
    iam.list_roles()
    server.app.recorder.flush()
    after = metrics()
    assert after["recorded"] >= before["recorded"] + 2
    assert after["dropped"] == 0 and after["failed"] == 0
