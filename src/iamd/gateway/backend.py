"""The backend the gateway forwards to: a URL given by the operator, or embedded moto.

With no ``--backend``, iamd starts moto's server (a maintained emulator of S3, EC2, DynamoDB,
SQS and many more services) as a child process on a free loopback port, the first time a
request needs it, and stops it with the server. A child process rather than a thread: moto's
server is synchronous Python and would otherwise compete with iamd for the interpreter lock.
moto does not check signatures; iamd still signs for it with fixed credentials, as it does for
any backend.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from iamd.errors import AWSError

log = logging.getLogger("iamd.gateway")

EMBEDDED_ACCESS_KEY = "iamd-gateway"
EMBEDDED_SECRET_KEY = "iamd-gateway-embedded-backend-secret"
START_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class BackendConfig:
    url: str | None
    access_key: str
    secret_key: str


class BackendUnavailableError(AWSError):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="ServiceUnavailable", status=503, sender=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Backend:
    """Where to forward, and with which key; starts the embedded backend on first use."""

    def __init__(self, config: BackendConfig, account_id: str = "") -> None:
        self.config = config
        self.account_id = account_id
        """The embedded backend's own account: the ARNs it answers with name iamd's."""
        self._url = config.url.rstrip("/") if config.url else None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = asyncio.Lock()

    @property
    def embedded(self) -> bool:
        return self.config.url is None

    @property
    def access_key(self) -> str:
        return self.config.access_key if self.config.url else EMBEDDED_ACCESS_KEY

    @property
    def secret_key(self) -> str:
        return self.config.secret_key if self.config.url else EMBEDDED_SECRET_KEY

    async def url(self) -> str:
        if self._url is not None:
            return self._url
        async with self._lock:
            if self._url is None:
                self._url = await asyncio.to_thread(self._start_embedded)
        return self._url

    def _start_embedded(self) -> str:
        if importlib.util.find_spec("moto") is None:
            raise BackendUnavailableError(
                "The gateway has no backend: give --backend URL, or install the embedded one "
                "with pip install 'iamd[gateway]'."
            )
        port = _free_port()
        env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
        if self.account_id:
            env["MOTO_ACCOUNT_ID"] = self.account_id
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise BackendUnavailableError("The gateway's embedded backend did not start.")
            time.sleep(0.05)
        log.info("gateway: embedded moto backend on 127.0.0.1:%d", port)
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self.embedded:
            self._url = None
