"""A live iamd server for end-to-end tests: real uvicorn on a free port, in a thread.

Tests talk to it with real clients (boto3, the aws CLI) exactly as users do.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import uvicorn
from botocore.config import Config

from iamd.server.app import IamdApp
from iamd.server.bootstrap import bootstrap
from iamd.server.config import Settings

ROOT_KEY = "AKIAIAMDTESTROOT0001"
ROOT_SECRET = "iamd/test/root/secret/key/0000000000000"
ACCOUNT = "111122223333"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    account_id: str
    data_dir: Path
    app: IamdApp

    def client(
        self,
        service: str = "iam",
        key: str = ROOT_KEY,
        secret: str = ROOT_SECRET,
        token: str | None = None,
    ) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=NO_RETRIES,
        )


@contextmanager
def live_server(
    data_dir: Path, database_url: str | None = None, dev: bool = False, account: str = ACCOUNT
) -> Iterator[LiveServer]:
    env = {
        "IAMD_ACCOUNT_ID": account,
        "IAMD_ROOT_ACCESS_KEY_ID": ROOT_KEY,
        "IAMD_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
        "IAMD_MASTER_KEY": "00" * 32,
    }
    port = free_port()
    settings = Settings(
        port=port, data_dir=data_dir, database_url=database_url, dev=dev, change_poll_seconds=0.2
    )
    boot = bootstrap(data_dir, database_url, env)
    app = IamdApp(
        settings, boot, rebootstrap=lambda: bootstrap(data_dir, database_url, env, store=boot.store)
    )
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("iamd did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", boot.account_id, data_dir, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        boot.store.close()
