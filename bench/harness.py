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
