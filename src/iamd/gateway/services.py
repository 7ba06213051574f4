"""The services the gateway fronts, known by the service name of the SigV4 credential scope.

A scope names the service's *signing name* (``ec2``, ``dynamodb``, ``monitoring``); botocore's
model for it says the wire protocol and the error codes, and the catalog says the IAM action
prefix (``monitoring`` signs for CloudWatch, whose actions are ``cloudwatch:*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.exceptions import UnknownServiceError  # type: ignore[import-untyped]

from iamd.catalog.services import service_exists
from iamd.protocol.models import ServiceSpec, load_service

OWN_SERVICES = frozenset({"iam", "sts", "access-analyzer", "accessanalyzer", "cloudtrail"})
"""Signing names iamd answers itself; every other one goes to the gateway."""

# Signing names that differ from botocore's service name.
_ALIASES = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "states": "stepfunctions",
    "tagging": "resourcegroupstaggingapi",
    "elasticloadbalancing": "elbv2",
    "execute-api": "apigateway",
    "elasticmapreduce": "emr",
    "cognito-idp": "cognito-idp",
}


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    name: str
    """botocore's service name."""
    signing_name: str
    protocol: str
    """``rest-xml`` (S3), ``ec2``, ``query``, ``json``, ``rest-json`` or ``smithy-rpc-v2-cbor``."""
    iam_prefix: str | None
    """The catalog's action prefix, None when the catalog does not know the service."""
    json_version: str
    query_compatible: bool
    error_codes: frozenset[str]
    spec: ServiceSpec | None

    @property
    def event_source(self) -> str:
        return f"{self.iam_prefix or self.signing_name}.amazonaws.com"


def _iam_prefix(signing_name: str, name: str, metadata: dict[str, Any]) -> str | None:
    for candidate in (signing_name, name, metadata.get("endpointPrefix", "")):
        if candidate and service_exists(candidate):
            return str(candidate)
    return None


@cache
def service_info(signing_name: str) -> ServiceInfo | None:
    """What the gateway knows of a signing name; None when botocore has no such service."""
    name = _ALIASES.get(signing_name, signing_name)
    try:
        spec = load_service(name)
    except UnknownServiceError:
        return None
    metadata = spec.model.metadata
    protocol = spec.protocol
    protocols = metadata.get("protocols") or [protocol]
    if protocol not in ("rest-xml", "ec2", "query", "json", "rest-json"):
        protocol = next(
            (p for p in protocols if p in ("json", "query", "rest-json")), spec.protocol
        )
    return ServiceInfo(
        name=name,
        signing_name=signing_name,
        protocol=protocol,
        iam_prefix=_iam_prefix(signing_name, name, metadata),
        json_version=str(metadata.get("jsonVersion", "1.0")),
        query_compatible="awsQueryCompatible" in metadata,
        error_codes=frozenset(spec.errors),
        spec=spec,
    )


def s3() -> ServiceInfo:
    info = service_info("s3")
    assert info is not None
    return info


def unknown(signing_name: str) -> ServiceInfo:
    """A scope naming a service botocore does not know: answered in the json error format."""
    return ServiceInfo(signing_name, signing_name, "json", None, "1.0", False, frozenset(), None)
