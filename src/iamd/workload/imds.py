"""An EC2 instance metadata service (IMDS) serving an instance profile's role credentials.

Point an unmodified AWS SDK at it (``AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1338``)
and the SDK's default credential chain finds the role's credentials exactly as on an EC2
instance.  The credentials come from iamd's STS: the endpoint assumes the instance profile's
role *as EC2* (see :mod:`iamd.workload.service_assume`), so the role's trust policy must trust
``ec2.amazonaws.com`` and the endpoint's operator must be allowed ``iam:PassRole`` on the role
for EC2, as whoever launches an instance with that profile must be in AWS.

What AWS documents, and this follows:

* IMDSv2 sessions: ``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds``
  (1 to 21600) returns a token; GETs present it in ``X-aws-ec2-metadata-token``.  A missing or
  invalid TTL is 400, a PUT carrying ``X-Forwarded-For`` or aimed at a version-specific path is
  403, a GET with an invalid or expired token is 401, and so is a GET without one unless
  IMDSv1 is allowed (``--imdsv1``).
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
* Everything is ``text/plain``; a path ending in ``/`` (or naming a category) lists its items,
  one a line; anything else that does not exist is 404.
* ``iam/info`` gives ``Code``, ``LastUpdated``, ``InstanceProfileArn`` and
  ``InstanceProfileId``; ``iam/security-credentials/`` names the role; the role's document
  gives ``Code``, ``LastUpdated``, ``Type`` (``AWS-HMAC``), ``AccessKeyId``,
  ``SecretAccessKey``, ``Token`` and ``Expiration``.  When EC2 cannot assume the role the
  document says ``"Code": "AssumeRoleUnauthorizedAccess"`` (still a 200, which SDKs expect);
  a deleted profile makes ``iam/info`` say ``InstanceProfileNotFound``.
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_iam-ec2.html
* New credentials are served at least five minutes before the old ones expire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from iamd.workload.credentials import (
    CredentialsUnavailableError,
    RefreshingCredentials,
    RoleCredentials,
    assume_for_service,
    timestamp,
    translate,
)
from iamd.workload.delegation import EC2, Delegation
from iamd.workload.http import Response

TOKEN_PATH = "/latest/api/token"
TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "x-aws-ec2-metadata-token"
MAX_TOKEN_TTL = 21_600
PROFILE_TTL = 60.0
"""Seconds an instance profile lookup is reused for ``iam/info`` and the role's name."""


@dataclass(frozen=True)
class Instance:
    """The instance the metadata describes: made up, but shaped as EC2's."""

    instance_id: str
    region: str
    availability_zone: str
    instance_type: str = "t3.micro"
    image_id: str = "ami-0000000000000000a"
    private_ip: str = "127.0.0.1"
    mac: str = "02:00:00:00:00:01"
    launched: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    @classmethod
    def new(cls, region: str, instance_id: str | None = None) -> Instance:
        return cls(
            instance_id=instance_id or f"i-{secrets.token_hex(9)[:17]}",
            region=region,
            availability_zone=f"{region}a",
        )

    @property
    def hostname(self) -> str:
        return f"ip-{self.private_ip.replace('.', '-')}.{self.region}.compute.internal"


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    arn: str
    id: str
    role_arn: str | None
    role_name: str | None

    @property
    def account_id(self) -> str:
        return self.arn.split(":")[4]


class InstanceProfileSource:
    """The instance profile's role credentials, assumed as EC2 through iamd's STS.

    The profile is looked up again on every refresh, so a role swapped into the profile is
    picked up at the next rotation, as on EC2.
    """

    def __init__(
        self,
        iam: Any,
        sts: Any,
        profile_name: str,
        instance: Instance,
        duration: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.iam = iam
        self.sts = sts
        self.profile_name = profile_name
        self.instance = instance
        self.duration = duration
        self.clock = clock
        self._profile: tuple[float, ProfileInfo] | None = None
        self._lock = threading.Lock()

    def _lookup(self) -> ProfileInfo:
        try:
            found = translate(
                lambda: self.iam.get_instance_profile(InstanceProfileName=self.profile_name)
            )["InstanceProfile"]
        except CredentialsUnavailableError as exc:
            if exc.code == "NoSuchEntity":
                raise CredentialsUnavailableError("InstanceProfileNotFound", exc.message) from None
            raise
        roles = found.get("Roles") or []
        role = roles[0] if roles else None
        return ProfileInfo(
            arn=found["Arn"],
            id=found["InstanceProfileId"],
            role_arn=role["Arn"] if role else None,
            role_name=role["RoleName"] if role else None,
        )

    def profile(self, fresh: bool = False) -> ProfileInfo:
        with self._lock:
            cached = self._profile
            if not fresh and cached is not None and self.clock() - cached[0] < PROFILE_TTL:
                return cached[1]
        info = self._lookup()
        with self._lock:
            self._profile = (self.clock(), info)
        return info

    def fetch(self) -> RoleCredentials:
        info = self.profile(fresh=True)
        if info.role_arn is None:
            raise CredentialsUnavailableError("NoRole", "Instance Profile does not contain a role.")
        instance = self.instance
        source_arn = (
            f"arn:aws:ec2:{instance.region}:{info.account_id}:instance/{instance.instance_id}"
        )
        delegation = Delegation(EC2, source_arn=source_arn, instance_profile_arn=info.arn)
        return assume_for_service(
            self.sts, info.role_arn, instance.instance_id, delegation, self.duration
        )


class SessionTokens:
    """IMDSv2 session tokens: the expiry, authenticated with a key of this process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._key = secrets.token_bytes(32)
        self.clock = clock

    def issue(self, ttl: int) -> str:
        expires = struct.pack(">Q", int(self.clock()) + ttl)
        mac = hmac.new(self._key, expires, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(expires + mac).decode().rstrip("=")

    def valid(self, token: str) -> bool:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return False
        if len(raw) != 24:
            return False
        expected = hmac.new(self._key, raw[:8], hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(expected, raw[8:]):
            return False
        return bool(self.clock() < struct.unpack(">Q", raw[:8])[0])


def _text(body: str, status: int = 200) -> Response:
    return Response(status, body.encode())


NOT_FOUND = Response(
    404,
    b'<?xml version="1.0" encoding="iso-8859-1"?>\n<title>404 - Not Found</title>\n',
    content_type="text/html",
)


def _json(value: Mapping[str, Any]) -> Response:
    return _text(json.dumps(value, indent=2))


Leaf = Callable[[list[str]], Response]


@dataclass(frozen=True, slots=True)
class _Category:
    """A category whose items are computed (the role names under security-credentials)."""

    answer: Leaf


class Imds:
    """The metadata service as a function of the request (served by :mod:`.http`)."""

    def __init__(
        self,
        source: InstanceProfileSource,
        *,
        imdsv1: bool = False,
        credentials: RefreshingCredentials | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.instance = source.instance
        self.imdsv1 = imdsv1
        self.credentials = credentials or RefreshingCredentials(source, clock=clock)
        self.tokens = SessionTokens(clock)

    # The request --------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str]) -> Response:
        path = raw_path.split("?", 1)[0]
        if method == "PUT":
            return self._token(path, headers)
        if method not in ("GET", "HEAD"):
            return Response(405, b"Method Not Allowed", {"Allow": "GET, HEAD, PUT"})
        token = headers.get(TOKEN_HEADER)
        if token is not None:
            if not self.tokens.valid(token):
                return Response(401, b"Unauthorized")
        elif not self.imdsv1:
            return Response(401, b"Unauthorized")
        return self._get(path)

    def _token(self, path: str, headers: Mapping[str, str]) -> Response:
        if path != TOKEN_PATH or "x-forwarded-for" in headers:
            return Response(403, b"Forbidden")
        raw = headers.get(TTL_HEADER, "")
        try:
            ttl = int(raw)
        except ValueError:
            return Response(400, b"Bad Request")
        if not 1 <= ttl <= MAX_TOKEN_TTL:
            return Response(400, b"Bad Request")
        return Response(200, self.tokens.issue(ttl).encode(), {TTL_HEADER: str(ttl)})

    # The metadata -------------------------------------------------------------------------

    def _tree(self) -> dict[str, Any]:
        instance = self.instance
        return {
            "meta-data": {
                "ami-id": instance.image_id,
                "hostname": instance.hostname,
                "iam": {
                    "info": self._iam_info,
                    "security-credentials": _Category(self._security_credentials),
                },
                "instance-id": instance.instance_id,
                "instance-type": instance.instance_type,
                "local-hostname": instance.hostname,
                "local-ipv4": instance.private_ip,
                "mac": instance.mac,
                "placement": {
                    "availability-zone": instance.availability_zone,
                    "region": instance.region,
                },
                "services": {"domain": "amazonaws.com", "partition": "aws"},
            },
            "dynamic": {"instance-identity": {"document": self._identity_document}},
        }

    def _get(self, path: str) -> Response:
        if path in ("", "/"):
            return _text("latest")
        parts = [p for p in path.split("/") if p]
        if parts[0] != "latest":
            return NOT_FOUND
        node: Any = self._tree()
        for index, part in enumerate(parts[1:], start=1):
            if isinstance(node, _Category):
                return node.answer(parts[index:])
            if callable(node) or not isinstance(node, dict) or part not in node:
                return NOT_FOUND
            node = node[part]
        if isinstance(node, _Category):
            return node.answer([])
        if callable(node):
            leaf: Leaf = node
            return leaf([])
        if isinstance(node, dict):
            return _text(
                "\n".join(
                    f"{k}/" if isinstance(v, dict | _Category) else k for k, v in node.items()
                )
            )
        return _text(str(node))

    def _iam_info(self, rest: list[str]) -> Response:
        if rest:
            return NOT_FOUND
        now = timestamp(datetime.now(UTC))
        try:
            info = self.source.profile()
        except CredentialsUnavailableError as exc:
            return _json({"Code": exc.code, "Message": exc.message, "LastUpdated": now})
        out = {
            "Code": "Success",
            "LastUpdated": now,
            "InstanceProfileArn": info.arn,
            "InstanceProfileId": info.id,
        }
        if info.role_name is None:
            out["Message"] = "Instance Profile does not contain a role..."
        return _json(out)

    def _security_credentials(self, rest: list[str]) -> Response:
        try:
            info = self.source.profile()
        except CredentialsUnavailableError:
            return NOT_FOUND
        if info.role_name is None:
            return NOT_FOUND
        if not rest:
            return _text(info.role_name)
        if len(rest) != 1 or rest[0] != info.role_name:
            return NOT_FOUND
        try:
            held = self.credentials.get()
        except CredentialsUnavailableError as exc:
            code = "AssumeRoleUnauthorizedAccess" if exc.code == "AccessDenied" else exc.code
            return _json(
                {
                    "Code": code,
                    "Message": exc.message,
                    "LastUpdated": timestamp(datetime.now(UTC)),
                }
            )
        return _json(
            {
                "Code": "Success",
                "LastUpdated": timestamp(held.last_updated),
                "Type": "AWS-HMAC",
                "AccessKeyId": held.access_key_id,
                "SecretAccessKey": held.secret_access_key,
                "Token": held.token,
                "Expiration": timestamp(held.expiration),
            }
        )

    def _identity_document(self, rest: list[str]) -> Response:
        if rest:
            return NOT_FOUND
        instance = self.instance
        try:
            account = self.source.profile().account_id
        except CredentialsUnavailableError:
            account = ""
        return _json(
            {
                "accountId": account,
                "architecture": "x86_64",
                "availabilityZone": instance.availability_zone,
                "billingProducts": None,
                "devpayProductCodes": None,
                "marketplaceProductCodes": None,
                "imageId": instance.image_id,
                "instanceId": instance.instance_id,
                "instanceType": instance.instance_type,
                "kernelId": None,
                "pendingTime": timestamp(instance.launched),
                "privateIp": instance.private_ip,
                "ramdiskId": None,
                "region": instance.region,
                "version": "2017-09-30",
            }
        )
