"""Console page render with 10,000 users: p50/p95 of the list pages, against the same page of
data through APIs, measured in the same run.

iamd: a live server (uvicorn, SQLite by default) with ``--users`` users bulk-created in the
store; a root console session; then each page is fetched ``--requests`` times over one
keep-alive HTTP connection, timing the whole round trip (routing, session, authorization,
ListUsers/ListRoles through the dispatcher, the Jinja2 render).  The target is p95 < 100 ms.

Peers, same run: iamd's own ListUsers API through boto3 (MaxItems 50, the page a console page
shows), and moto's ListUsers (``mock_aws``, ``--moto-users`` users) -- moto has no console, so
its API page is the nearest thing it renders.

    python bench/console.py [--users 10000] [--requests 200] [--moto-users 10000]
                            [--moto-requests 20]
                            [--database-url postgresql://...] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import uvicorn
from botocore.config import Config

from iamd.server.app import IamdApp
from iamd.server.bootstrap import bootstrap
from iamd.server.config import Settings

ACCOUNT = "111122223333"
KEY, SECRET = "AKIAIAMDBENCHROOT001", "iamd/bench/root/secret/key/00000000000"
PASSWORD = "Bench-R00t-pass!"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time(fn: Callable[[], Any], requests: int) -> tuple[float, float]:
    for _ in range(min(5, requests)):
        fn()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return _percentiles(samples)


class Browser:
    """One keep-alive connection with the session cookie, like a browser tab."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def fetch(self, method: str, path: str, form: dict[str, str] | None = None) -> str:
        headers = {"cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["content-type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and "Max-Age=0" not in value:
                pair = value.split(";", 1)[0]
                self.cookie = "; ".join(
                    [c for c in self.cookie.split("; ") if c and not c.startswith(
                        pair.split("=")[0] + "=")] + [pair]
                )  # fmt: skip
        if response.status >= 400:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        return text

    def sign_in(self) -> None:
        page = self.fetch("GET", "/console/signin")
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found
        form = {"csrf": found.group(1), "kind": "root", "account": ACCOUNT,
                "password": PASSWORD}  # fmt: skip
        self.fetch("POST", "/console/signin", form)


def _load_users(app: IamdApp, count: int) -> None:
    with app.store.write() as tx:
        for i in range(count):
            tx.users.create(ACCOUNT, f"user-{i:05d}")
        tx.changes.record("user", "bench")


def run_iamd(args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    data_dir = Path(tempfile.mkdtemp(prefix="iamd-bench-console-"))
    env = {"IAMD_ACCOUNT_ID": ACCOUNT, "IAMD_ROOT_ACCESS_KEY_ID": KEY,
           "IAMD_ROOT_SECRET_ACCESS_KEY": SECRET, "IAMD_MASTER_KEY": "00" * 32,
           "IAMD_ROOT_PASSWORD": PASSWORD}  # fmt: skip
    port = _free_port()
    settings = Settings(port=port, data_dir=data_dir, database_url=args.database_url,
                        gateway=False)  # fmt: skip
    boot = bootstrap(data_dir, args.database_url, env)
    app = IamdApp(settings, boot)
    started = time.perf_counter()
    _load_users(app, args.users)
    print(f"iamd: {args.users} users loaded in {time.perf_counter() - started:.1f} s")
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        browser = Browser(port)
        browser.sign_in()
        first = browser.fetch("GET", "/console/users")
        found = re.search(r'marker=([^"&]+)"', first)
        assert found, "the users page has no next page"
        # A page in the middle: follow the "next" links halfway.
        marker = found.group(1)
        for _ in range(args.users // 100):
            page = browser.fetch("GET", f"/console/users?marker={marker}")
            step = re.search(r'marker=([^"&]+)"', page)
            if step is None:
                break
            marker = step.group(1)
        iam = boto3.client(
            "iam", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
            aws_access_key_id=KEY, aws_secret_access_key=SECRET,
            config=Config(retries={"max_attempts": 1}),
        )  # fmt: skip
        results = {
            "console /console/users (page 1)": _time(
                lambda: browser.fetch("GET", "/console/users"), args.requests
            ),
            "console /console/users (middle page)": _time(
                lambda: browser.fetch("GET", f"/console/users?marker={marker}"), args.requests
            ),
            "console /console/users?q= (search, 10 matches)": _time(
                lambda: browser.fetch("GET", "/console/users?q=user-0999"), args.requests
            ),
            "console /console/roles": _time(
                lambda: browser.fetch("GET", "/console/roles"), args.requests
            ),
            "peer: iamd ListUsers API, boto3, MaxItems 50": _time(
                lambda: iam.list_users(MaxItems=50), args.requests
            ),
        }
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        boot.store.close()
    return results


def run_moto(args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    if args.moto_users <= 0:
        return {}
    try:
        from moto import mock_aws
    except ImportError:
        print("moto: not installed (pip install -e '.[bench]'); skipped")
        return {}
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        started = time.perf_counter()
        for i in range(args.moto_users):
            iam.create_user(UserName=f"user-{i:05d}")
        print(f"moto: {args.moto_users} users created in {time.perf_counter() - started:.1f} s")
        return {
            f"peer: moto ListUsers API, MaxItems 50 ({args.moto_users} users)": _time(
                lambda: iam.list_users(MaxItems=50), args.moto_requests
            )
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--moto-users", type=int, default=10_000)
    parser.add_argument(
        "--moto-requests", type=int, default=20, help="moto pages 10,000 users slowly"
    )
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run_iamd(args)
    results.update(run_moto(args))
    reference = results["console /console/users (page 1)"][0]
    if args.json:
        print(json.dumps({k: {"p50_ms": v[0], "p95_ms": v[1]} for k, v in results.items()}))
        return
    print(f"\n{'page':58} {'p50 ms':>8} {'p95 ms':>8} {'p50 / console p1':>17}")
    for name, (p50, p95) in results.items():
        print(f"{name:58} {p50:8.2f} {p95:8.2f} {p50 / reference:17.2f}")
    worst = max(v[1] for k, v in results.items() if k.startswith("console"))
    verdict = "meets" if worst < 100 else "MISSES"
    print(f"\nworst console p95: {worst:.1f} ms — {verdict} the 100 ms target")


if __name__ == "__main__":
    main()
