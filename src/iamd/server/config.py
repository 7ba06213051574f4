"""Server settings, from the command line and the environment."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from iamd.gateway.addressing import DEFAULT_DOMAINS


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8090
    data_dir: Path = Path("./iamd-data")
    database_url: str | None = None
    dev: bool = False
    region: str = "us-east-1"
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default_factory=tuple
    )
    """Peers whose X-Forwarded-For is believed for aws:SourceIp; nobody else's is."""
    change_poll_seconds: float = 0.5
    audit_retention_days: int = 90
    """Audit events older than this are pruned (CloudTrail event history keeps 90); 0: never."""
    gateway: bool = True
    """Serve every other AWS service through the enforcement gateway."""
    backend_url: str | None = None
    """The gateway's backend; None starts the embedded one (moto's server)."""
    backend_access_key: str = ""
    backend_secret_key: str = ""
    tls_cert: Path | None = None
    """Serve HTTPS with this PEM certificate (chain) and ``tls_key``: then aws:SecureTransport
    is true, and SDKs send S3 uploads with trailing checksums (boto3 does only over https)."""
    tls_key: Path | None = None
    s3_domains: tuple[str, ...] = DEFAULT_DOMAINS
    """Hosts under which S3 requests are virtual-hosted (``bucket.<domain>``); AWS's regional
    ``s3.<region>.amazonaws.com`` names are recognised besides these."""

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert is not None else "http"

    def trusts(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.trusted_proxies)
