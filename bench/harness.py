"""What the server benchmarks share: iamd and moto started as real servers on free ports, and
wrk driving them. ``bench/server.py`` and ``bench/gateway.py`` measure both in one run."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

KEY = "AKIABENCHROOT0000001"
SECRET = "benchsecretbenchsecretbenchsecret0000000"
ACCOUNT = "111122223333"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


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
def run_moto() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/moto-api/", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def run_iamd(work: Path, *args: str) -> Iterator[tuple[str, int]]:
    """``iamd serve ARGS`` with the bench's root key; yields its URL and process id."""
    port = free_port()
    env = {
        **os.environ,
        "IAMD_ROOT_ACCESS_KEY_ID": KEY,
        "IAMD_ROOT_SECRET_ACCESS_KEY": SECRET,
        "IAMD_ACCOUNT_ID": ACCOUNT,
    }
    command = [sys.executable, "-m", "iamd.cli.main", "serve", "--port", str(port)]
    command += ["--data-dir", str(work / "iamd-data"), *args]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/_iamd/health", proc)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    """Answers other than 2xx and 3xx."""


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    return round(float(match.group(1)) * _UNITS[match.group(2)], 3) if match else float("nan")


def wrk(
    url: str,
    duration: int,
    connections: int,
    script: Path | None = None,
    header: str | None = None,
) -> Load:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s"]
    command.append("--latency")
    if script is not None:
        command += ["-s", str(script)]
    if header is not None:
        command += ["-H", header]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(
        rps,
        _latency(output, "50"),
        _latency(output, "99"),
        total,
        int(errors.group(1)) if errors else 0,
    )


@dataclass(frozen=True)
class Raw:
    """One HTTP/1.1 request, ready to send as it is, again and again."""

    host: str
    port: int
    data: bytes


def raw_request(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes = b""
) -> Raw:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items() if k.lower() != "host"]
    if body or method in ("PUT", "POST"):
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return Raw(parts.hostname or "127.0.0.1", parts.port or 80, head + body)


def _answer(sock: socket.socket) -> tuple[int, bool]:
    """Read one response (Content-Length framed); its status and whether the connection stays."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        buffer += chunk
    head, _, body = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    pairs = (line.partition(":") for line in lines[1:])
    fields = {name.strip().lower(): value.strip() for name, _, value in pairs}
    remaining = int(fields.get("content-length", "0")) - len(body)
    while remaining > 0:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            raise ConnectionError("the server closed the connection mid-body")
        remaining -= len(chunk)
    return status, fields.get("connection", "").lower() != "close"


class _Probe:
    """Sends one request repeatedly, timing each from its first byte sent to its last byte
    received, as wrk does (a connection the server closed is reopened before the clock starts)."""

    def __init__(self, raw: Raw) -> None:
        self.raw = raw
        self.sock: socket.socket | None = None

    def once(self) -> float:
        if self.sock is None:
            self.sock = socket.create_connection((self.raw.host, self.raw.port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        started = time.perf_counter()
        self.sock.sendall(self.raw.data)
        status, keep = _answer(self.sock)
        elapsed = time.perf_counter() - started
        if not keep:
            self.sock.close()
            self.sock = None
        if not 200 <= status < 300:
            raise SystemExit(f"{self.raw.host}:{self.raw.port}: answered {status}")
        return elapsed * 1000

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


def paired_latency(first: Raw, second: Raw, seconds: float) -> tuple[list[float], list[float]]:
    """Milliseconds of each request, the two sent in turn, one at a time, for ``seconds``:
    both see the same moment of a noisy machine, so their medians' difference is what the
    second adds, not what the neighbours did meanwhile."""
    a, b = _Probe(first), _Probe(second)
    try:
        for _ in range(20):  # warm both paths
            a.once()
            b.once()
        times_a: list[float] = []
        times_b: list[float] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            times_a.append(a.once())
            times_b.append(b.once())
        return times_a, times_b
    finally:
        a.close()
        b.close()
