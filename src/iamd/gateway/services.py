"""The services the gateway fronts, known by the service name of the SigV4 credential scope.

A scope names the service's *signing name* (``ec2``, ``dynamodb``, ``monitoring``), which several
botocore models may share (:mod:`iamd.gateway.signing_names`): ``dynamodb`` signs DynamoDB and
DynamoDB Streams, ``ses`` SES and SES v2. Each model says its wire protocol and error codes; the
request picks its own (:func:`iamd.gateway.generic.request_service`). The catalog says the IAM
action prefix (``monitoring`` signs for CloudWatch, whose actions are ``cloudwatch:*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from iamd.catalog.services import service_exists
from iamd.gateway.signing_names import signing_names
from iamd.protocol.models import ServiceSpec, load_service

OWN_SERVICES = frozenset({"iam", "sts", "access-analyzer", "accessanalyzer", "cloudtrail"})
"""Signing names iamd answers itself; every other one goes to the gateway."""

IAM_PREFIXES: dict[str, str] = {
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_resourcegroupstaggingapi.html
    # (service prefix: tag)
    "tagging": "tag",
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_cloudcontrol.html
    # (AWS Cloud Control API, service prefix: cloudformation)
    "cloudcontrolapi": "cloudformation",
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiot.html
    # (iot:Publish, iot:GetThingShadow; iot:OpenTunnel ...)
    "iotdata": "iot",
    "IoTSecuredTunneling": "iot",
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_iot-jobs-data.html
    # (service prefix: iotjobsdata)
    "iot-jobs-data": "iotjobsdata",
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_mturk.html
    # (service prefix: mechanicalturk)
    "mturk-requester": "mechanicalturk",
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_partner-central.html
    # (one prefix, partnercentral, for every client)
    "partnercentral-account": "partnercentral",
    "partnercentral-benefits": "partnercentral",
    "partnercentral-channel": "partnercentral",
    "partnercentral-selling": "partnercentral",
}
"""Signing names whose IAM prefix is none of the signing name, the botocore name and the
endpoint prefix, as the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
gives it."""


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
        # CloudTrail names the Resource Groups Tagging API tagging.amazonaws.com, not by its
        # IAM prefix: an overridden prefix does not name the service's endpoint.
        prefix = None if self.signing_name in IAM_PREFIXES else self.iam_prefix
        return f"{prefix or self.signing_name}.amazonaws.com"


def _iam_prefix(signing_name: str, name: str, metadata: dict[str, Any]) -> str | None:
    override = IAM_PREFIXES.get(signing_name)
    if override is not None and service_exists(override):
        return override
    for candidate in (signing_name, name, metadata.get("endpointPrefix", "")):
        if candidate and service_exists(candidate):
            return str(candidate)
    return None


@cache
def service_info(signing_name: str) -> ServiceInfo | None:
    """The first service of a signing name (the one named like it, if any): the one a request
    is answered as until it shows which of them it is for; None when no botocore model signs
    with that name."""
    found = candidates(signing_name)
    return found[0] if found else None


@cache
def candidates(signing_name: str) -> tuple[ServiceInfo, ...]:
    """Every service that signs with ``signing_name``, :func:`service_info`'s first."""
    return tuple(_model_info(name, signing_name) for name in signing_names().get(signing_name, ()))


def _model_info(name: str, signing_name: str) -> ServiceInfo:
    spec = load_service(name)
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
