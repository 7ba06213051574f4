"""A real ``iamd serve`` process, for the tests whose subject is the command itself (its flags,
TLS, several processes sharing a database) rather than the app a thread can serve."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from support.live import ACCOUNT, ROOT_KEY, ROOT_SECRET, free_port


@dataclass
class ServeProcess:
    endpoint: str
    port: int
    banner: str
    """The first line ``iamd serve`` printed (the account and the address it listens on)."""
    process: subprocess.Popen[str]


def serve_env(master_key: str) -> dict[str, str]:
    """The environment of a test server: the shared test account and root key."""
    return {
        **os.environ,
        "IAMD_ACCOUNT_ID": ACCOUNT,
        "IAMD_ROOT_ACCESS_KEY_ID": ROOT_KEY,
        "IAMD_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
        "IAMD_MASTER_KEY": master_key,
    }


def serve_command(port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "iamd.cli.main", "serve", "--port", str(port), *args]


@contextmanager
def iamd_serve(
    *args: str,
    master_key: str = "11" * 32,
    scheme: str = "http",
    context: ssl.SSLContext | None = None,
) -> Iterator[ServeProcess]:
    """``iamd serve ARGS`` on a free port, once its health check answers; stopped after."""
    port = free_port()
    process = subprocess.Popen(
        serve_command(port, *args),
        env=serve_env(master_key),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    endpoint = f"{scheme}://127.0.0.1:{port}"
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        deadline = time.monotonic() + 60
        while True:
            try:
                health = f"{endpoint}/_iamd/health"
                with urllib.request.urlopen(health, timeout=1, context=context) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"iamd did not start:\n{banner}{process.stdout.read()}")
            time.sleep(0.1)
        yield ServeProcess(endpoint, port, banner, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
