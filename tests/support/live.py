"""A live iamd server for end-to-end tests: real uvicorn on a free port, in a thread.

Tests talk to it with real clients (boto3, the aws CLI) exactly as users do.
"""

from __future__ import annotations

import datetime
import ipaddress
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
    ca_bundle: Path | None = None
    """With ``tls``: the server's self-signed certificate, for clients to trust."""

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
            verify=str(self.ca_bundle) if self.ca_bundle else None,
        )


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, written to ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iamd test server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "tls-cert.pem", directory / "tls-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def live_server(
    data_dir: Path,
    database_url: str | None = None,
    dev: bool = False,
    account: str = ACCOUNT,
    tls: bool = False,
) -> Iterator[LiveServer]:
    """With ``tls``, the server speaks HTTPS with a self-signed certificate made in
    ``data_dir`` (as ``iamd serve --tls-cert --tls-key``); its ``ca_bundle`` is that file."""
    env = {
        "IAMD_ACCOUNT_ID": account,
        "IAMD_ROOT_ACCESS_KEY_ID": ROOT_KEY,
        "IAMD_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
        "IAMD_MASTER_KEY": "00" * 32,
    }
    port = free_port()
    cert, key = self_signed(data_dir) if tls else (None, None)
    settings = Settings(
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        dev=dev,
        change_poll_seconds=0.2,
        tls_cert=cert,
        tls_key=key,
    )
    boot = bootstrap(data_dir, database_url, env)
    app = IamdApp(
        settings, boot, rebootstrap=lambda: bootstrap(data_dir, database_url, env, store=boot.store)
    )
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        proxy_headers=False,  # as iamd serve: forwarded headers are iamd's to believe or not
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
        # Clients' idle keep-alive TLS connections would hold the shutdown for asyncio's 30 s
        # TLS shutdown timeout.
        timeout_graceful_shutdown=1 if tls else None,
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
        yield LiveServer(
            f"{settings.scheme}://127.0.0.1:{port}", boot.account_id, data_dir, app, cert
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        boot.store.close()
