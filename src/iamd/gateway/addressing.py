"""Where an S3 request points: the bucket and key, from the Host header or from the path.

S3 accepts both path-style (``http://host/bucket/key``) and virtual-hosted-style
(``http://bucket.host/key``) addressing
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html). A host is
virtual-hosted when it ends in one of the gateway's domains and has a bucket label in front.
The backend is always addressed path-style, which every S3 implementation accepts.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

DEFAULT_DOMAINS = ("localhost", "s3.localhost", "s3.amazonaws.com")
_AWS_REGIONAL = re.compile(r"^s3[.-]([a-z0-9-]+)\.amazonaws\.com$")


@dataclass(frozen=True, slots=True)
class S3Target:
    bucket: str | None
    key: str | None
    raw_key: str | None
    """The key as it came over the wire, still percent-encoded (forwarded as is)."""
    virtual_host: bool

    @property
    def kind(self) -> str:
        if self.bucket is None:
            return "service"
        return "bucket" if self.key is None else "object"

    def backend_path(self) -> str:
        """The raw path-style path for the backend."""
        if self.bucket is None:
            return "/"
        if self.raw_key is None:
            return f"/{self.bucket}"
        return f"/{self.bucket}/{self.raw_key}"


@lru_cache(maxsize=1024)
def _host_bucket(host: str, domains: tuple[str, ...]) -> str | None:
    """The bucket a Host header names, if any (cached: a server sees few distinct hosts)."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    if name[:1].isdigit() or name.startswith("[") or ":" in name:  # may be an IP address
        try:
            ipaddress.ip_address(name.strip("[]"))
            return None
        except ValueError:
            pass
    for domain in domains:
        if name.endswith("." + domain):
            return name[: -len(domain) - 1] or None
    head, _, rest = name.partition(".")
    if rest and _AWS_REGIONAL.match(rest):
        return head
    return None


def locate(host: str, raw_path: str, domains: tuple[str, ...] = DEFAULT_DOMAINS) -> S3Target:
    """The target of a request from its Host header and raw (percent-encoded) path."""
    bucket = _host_bucket(host, domains)
    path = raw_path.split("?", 1)[0]
    if bucket is not None:
        raw_key = path[1:] if path.startswith("/") else path
        return S3Target(bucket, unquote(raw_key) if raw_key else None, raw_key or None, True)
    trimmed = path.lstrip("/")
    if not trimmed:
        return S3Target(None, None, None, False)
    raw_bucket, slash, raw_key = trimmed.partition("/")
    key = unquote(raw_key) if slash and raw_key else None
    return S3Target(unquote(raw_bucket), key, raw_key if key is not None else None, False)
