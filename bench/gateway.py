"""The enforcement gateway against the same backend called directly, side by side in one run.

One moto server is the backend. iamd runs with ``--backend`` pointing at it; every request to
iamd is verified (SigV4), mapped, authorized with the policy engine and forwarded re-signed.
The same requests go to moto directly (moto accepts any signature). Operations, each on a 1 KiB
object: S3 GetObject (a presigned GET), PutObject (signed in its headers, payload hashed) and
ListObjectsV2 (presigned, a bucket of 20 objects). Requests are signed once before the run and
replayed by wrk, so that no signing cost lands on the client.

Throughput is measured with wrk and ``--connections`` connections, the median of ``--rounds``
alternating runs of ``--duration`` seconds. Latency is measured one request at a time for
``--latency-seconds``, a direct request and a gateway request in turn, each timed from its
first byte sent to its last byte received (as wrk times them); the added latency is the
difference of the two p50s. Taking the two in turn, request by request, matters on this shared
2-core machine: moto's own p50 drifts by a millisecond or more from one minute to the next
(its neighbours' load, and a new thread for every connection, which it closes after each
answer), and runs of each side taken apart left that drift in the difference. Finally a
``--big-mib`` object (1 GiB by default) is streamed up and down through the gateway while
iamd's resident memory is sampled: it must stay flat.

    python bench/gateway.py [--duration 5] [--connections 8] [--rounds 3]
                            [--latency-seconds 20] [--big-mib 1024]

Needs wrk (Debian package ``wrk``) and moto (the ``gateway`` extra).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from harness import KEY, SECRET, Raw, paired_latency, raw_request, run_iamd, run_moto, wrk
from iamd.gateway.signer import sign

BUCKET = "bench-bucket"
OBJECT = b"x" * 1024


def presign(endpoint: str, path: str, query: str = "") -> str:
    request = AWSRequest(method="GET", url=f"{endpoint}{path}" + (f"?{query}" if query else ""))
    S3SigV4QueryAuth(Credentials(KEY, SECRET), "s3", "us-east-1", expires=3600).add_auth(request)
    return str(request.url)


def signed_put(endpoint: str, path: str, body: bytes) -> dict[str, str]:
    headers = {"host": endpoint.removeprefix("http://"), "content-type": "application/octet-stream"}
    sign(
        "PUT",
        path,
        "",
        headers,
        access_key=KEY,
        secret_key=SECRET,
        region="us-east-1",
        service="s3",
        payload=hashlib.sha256(body).hexdigest(),
    )
    headers.pop("host")
    return headers


def put_script(work: Path, label: str, headers: dict[str, str]) -> Path:
    lines = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    script = work / f"{label}-put.lua"
    script.write_text(f'wrk.method = "PUT"\nwrk.body = {json.dumps(OBJECT.decode())}\n{lines}\n')
    return script


def prepare(endpoint: str) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )
    s3.create_bucket(Bucket=BUCKET)
    for i in range(20):
        s3.put_object(Bucket=BUCKET, Key=f"list/{i:02d}", Body=OBJECT)
    s3.put_object(Bucket=BUCKET, Key="object", Body=OBJECT)


@dataclass(frozen=True)
class Case:
    url: str
    script: Path | None
    """wrk's Lua script, for a request other than a GET."""
    raw: Raw
    """The same request for the latency probe."""


def cases(endpoint: str, work: Path, label: str) -> dict[str, Case]:
    path = f"/{BUCKET}/put-object"
    get = presign(endpoint, f"/{BUCKET}/object")
    listing = presign(endpoint, f"/{BUCKET}", "list-type=2&prefix=list%2F")
    put_headers = signed_put(endpoint, path, OBJECT)
    return {
        "GetObject": Case(get, None, raw_request(get)),
        "PutObject": Case(
            f"{endpoint}{path}",
            put_script(work, label, put_headers),
            raw_request(f"{endpoint}{path}", "PUT", put_headers, OBJECT),
        ),
        "ListObjectsV2": Case(listing, None, raw_request(listing)),
    }


def check(case: Case) -> None:
    """Every request must succeed: an error answered fast would flatter a figure."""
    errors = wrk(case.url, 1, 1, case.script).errors
    if errors:
        raise SystemExit(f"{case.url}: {errors} non-2xx answers")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def stream_big(gateway: str, pid: int, mib: int) -> dict[str, Any]:
    """PUT then GET ``mib`` MiB through the gateway (UNSIGNED-PAYLOAD), sampling iamd's RSS."""
    host = gateway.removeprefix("http://")
    path = f"/{BUCKET}/big.bin"
    size = mib * 1024 * 1024
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append(rss_kib(pid))
            time.sleep(0.05)

    baseline = rss_kib(pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    block = os.urandom(1024 * 1024)
    digest = hashlib.sha256()
    headers = {"host": host, "content-length": str(size)}
    sign("PUT", path, "", headers, access_key=KEY, secret_key=SECRET, region="us-east-1",
         service="s3", payload="UNSIGNED-PAYLOAD")  # fmt: skip
    started = time.monotonic()
    conn = http.client.HTTPConnection(host, timeout=600)
    conn.putrequest("PUT", path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    for _ in range(mib):
        conn.send(block)
        digest.update(block)
    response = conn.getresponse()
    response.read()
    up = time.monotonic() - started
    if response.status != 200:
        raise SystemExit(f"big PUT: {response.status}")
    headers = {"host": host}
    sign("GET", path, "", headers, access_key=KEY, secret_key=SECRET, region="us-east-1",
         service="s3", payload=hashlib.sha256(b"").hexdigest())  # fmt: skip
    started = time.monotonic()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    back = hashlib.sha256()
    while chunk := response.read(1024 * 1024):
        back.update(chunk)
    down = time.monotonic() - started
    stop.set()
    sampler.join()
    if back.hexdigest() != digest.hexdigest():
        raise SystemExit("big GET: the object came back different")
    peak = max(samples) if samples else baseline
    return {
        "mib": mib,
        "rss_before_mib": round(baseline / 1024, 1),
        "rss_peak_mib": round(peak / 1024, 1),
        "rss_growth_mib": round((peak - baseline) / 1024, 1),
        "up_mib_s": round(mib / up, 1),
        "down_mib_s": round(mib / down, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-seconds", type=float, default=20)
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, run_moto() as moto:
        work = Path(tmp)
        backend = ["--backend", moto, "--backend-access-key", "bench"]
        with run_iamd(work, *backend, "--backend-secret-key", "bench-secret") as (gateway, pid):
            prepare(gateway)  # through the gateway: the bucket is the root account's
            direct_cases = cases(moto, work, "direct")
            gateway_cases = cases(gateway, work, "gateway")
            for operation in direct_cases:
                direct, through = direct_cases[operation], gateway_cases[operation]
                check(direct)
                check(through)
                figures: dict[str, list[float]] = {"d_rps": [], "g_rps": []}
                for _ in range(args.rounds):
                    for prefix, case in (("d", direct), ("g", through)):
                        rps = wrk(case.url, args.duration, args.connections, case.script).rps
                        figures[f"{prefix}_rps"].append(rps)
                figures["d_p50"], figures["g_p50"] = paired_latency(
                    direct.raw, through.raw, args.latency_seconds
                )
                medians = {k: statistics.median(v) for k, v in figures.items()}
                results[operation] = {
                    "direct_rps": round(medians["d_rps"]),
                    "gateway_rps": round(medians["g_rps"]),
                    "throughput_ratio": round(medians["g_rps"] / medians["d_rps"], 3),
                    "direct_p50_ms": round(medians["d_p50"], 3),
                    "gateway_p50_ms": round(medians["g_p50"], 3),
                    "added_p50_ms": round(medians["g_p50"] - medians["d_p50"], 3),
                    "latency_samples": len(figures["g_p50"]),
                }
            if args.big_mib:
                results["stream"] = stream_big(gateway, pid, args.big_mib)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'operation':<15}{'moto rps':>10}{'gateway rps':>13}{'ratio':>8}"
          f"{'moto p50':>10}{'gw p50':>9}{'added':>8}")  # fmt: skip
    for operation, row in results.items():
        if operation == "stream":
            continue
        print(
            f"{operation:<15}{row['direct_rps']:>10}{row['gateway_rps']:>13}"
            f"{row['throughput_ratio']:>8.2f}{row['direct_p50_ms']:>9.2f}ms"
            f"{row['gateway_p50_ms']:>7.2f}ms{row['added_p50_ms']:>6.2f}ms"
        )
    if "stream" in results:
        s = results["stream"]
        print(
            f"\n{s['mib']} MiB through the gateway: iamd RSS {s['rss_before_mib']} MiB before, "
            f"{s['rss_peak_mib']} MiB at peak (+{s['rss_growth_mib']} MiB); "
            f"up {s['up_mib_s']} MiB/s, down {s['down_mib_s']} MiB/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
