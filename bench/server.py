"""Load test: iamd against a moto server, side by side in one run, with wrk.

Every request is a presigned (SigV4 query-string) GET, signed before the run so that no signing
cost lands on the client; iamd verifies and authorizes each one in full.  moto accepts any
signature.  Operations: GetUser, ListUsers (100 users), and CreateUser with unique names.

    python bench/server.py [--duration 10] [--connections 4] [--json]

Needs wrk (Debian package ``wrk``) and the bench extra (``moto[server]``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

KEY = "AKIABENCHROOT0000001"
SECRET = "benchsecretbenchsecretbenchsecret0000000"
ACCOUNT = "111122223333"
VERSION = "2010-05-08"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url}: the server did not start")


@contextmanager
def run_iamd(work: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "IAMD_ROOT_ACCESS_KEY_ID": KEY,
        "IAMD_ROOT_SECRET_ACCESS_KEY": SECRET,
        "IAMD_ACCOUNT_ID": ACCOUNT,
    }
    command = [
        sys.executable,
        "-m",
        "iamd.cli.main",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(work / "iamd-data"),
    ]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/_iamd/health", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def run_moto() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-p", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/moto-api/", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def presign(endpoint: str, params: dict[str, str]) -> str:
    query = "&".join(
        f"{k}={v}"
        for k, v in {"Action": params.pop("Action"), "Version": VERSION, **params}.items()
    )
    request = AWSRequest(method="GET", url=f"{endpoint}/?{query}")
    SigV4QueryAuth(Credentials(KEY, SECRET), "iam", "us-east-1", expires=3600).add_auth(request)
    url: str = request.url
    return url


def prepare(endpoint: str) -> None:
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )
    iam.create_user(UserName="bench")
    for index in range(99):
        iam.create_user(UserName=f"user{index:03d}")


@dataclass
class Result:
    server: str
    operation: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    return round(float(match.group(1)) * _UNITS[match.group(2)], 3) if match else float("nan")


def wrk(
    url: str, duration: int, connections: int, script: Path | None
) -> tuple[float, float, float, int, int]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors_match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = int(errors_match.group(1)) if errors_match else 0
    return rps, _latency(output, "50"), _latency(output, "99"), total, errors


_LUA = """
local paths = dofile("{paths}")
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  index = id + 1
end
function request()
  local path = paths[index]
  index = index + 2
  if path == nil then path = paths[1] end
  return wrk.format("GET", path)
end
"""


def create_user_script(work: Path, endpoint: str, label: str, count: int) -> Path:
    """A wrk script sending CreateUser with a different name each time (two threads interleave)."""
    paths = []
    for index in range(count):
        url = presign(endpoint, {"Action": "CreateUser", "UserName": f"load-{index:07d}"})
        paths.append(url[len(endpoint) :])
    table = work / f"{label}-paths.lua"
    table.write_text("return {\n" + ",\n".join(json.dumps(p) for p in paths) + "\n}\n")
    script = work / f"{label}-create.lua"
    script.write_text(_LUA.format(paths=table))
    return script


def measure(label: str, endpoint: str, work: Path, args: argparse.Namespace) -> list[Result]:
    prepare(endpoint)
    results = []
    plans: list[tuple[str, str, Path | None]] = [
        ("GetUser", presign(endpoint, {"Action": "GetUser", "UserName": "bench"}), None),
        ("ListUsers", presign(endpoint, {"Action": "ListUsers"}), None),
    ]
    if not args.skip_create:
        count = args.create_names
        plans.append(
            ("CreateUser", endpoint + "/", create_user_script(work, endpoint, label, count))
        )
    for operation, url, script in plans:
        if operation not in args.operations:
            continue
        rps, p50, p99, total, errors = wrk(url, args.duration, args.connections, script)
        results.append(Result(label, operation, round(rps), p50, p99, total, errors))
        print(
            f"  {label:5} {operation:10} {rps:10,.0f} req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
            f"  errors {errors}",
            file=sys.stderr,
            flush=True,
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per operation")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--operations", default="GetUser,ListUsers,CreateUser")
    parser.add_argument(
        "--create-names",
        type=int,
        default=60_000,
        help="unique CreateUser requests prepared per server",
    )
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument("--no-moto", action="store_true")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary")
    args = parser.parse_args()
    args.operations = set(args.operations.split(","))
    if shutil.which("wrk") is None:
        print("bench/server.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with run_iamd(work) as endpoint:
            results += measure("iamd", endpoint, work, args)
        if not args.no_moto:
            with run_moto() as endpoint:
                results += measure("moto", endpoint, work, args)
    by_key = {(r.server, r.operation): r for r in results}
    ratios = {}
    for (server, operation), result in by_key.items():
        peer = by_key.get(("moto", operation))
        if server == "iamd" and peer and peer.requests_per_second:
            ratios[operation] = round(result.requests_per_second / peer.requests_per_second, 1)
    summary: dict[str, Any] = {
        "benchmark": "iamd-server",
        "connections": args.connections,
        "duration_s": args.duration,
        "results": [asdict(r) for r in results],
        "ratio_to_moto": ratios,
    }
    get_user = by_key.get(("iamd", "GetUser"))
    if get_user:
        summary["target"] = {
            "get_user_rps_min": 5000,
            "p99_ms_max": 10,
            "met": get_user.requests_per_second >= 5000
            and get_user.p99_ms <= 10
            and not get_user.errors,
        }
    if not args.json:
        print(
            f"\n{'operation':12}{'server':8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
        )
        for r in results:
            print(
                f"{r.operation:12}{r.server:8}{r.requests_per_second:>10,.0f}{r.p50_ms:>10.2f}"
                f"{r.p99_ms:>10.2f}{r.errors:>8}"
            )
        for operation, ratio in ratios.items():
            print(f"iamd / moto, {operation}: {ratio}x")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
