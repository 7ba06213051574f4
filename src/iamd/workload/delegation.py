"""How a workload credential endpoint names the AWS service it stands in for.

``iamd imds`` and ``iamd container-credentials`` get role credentials from iamd's STS
AssumeRole, signed with their operator's credentials, and say which AWS service they act for
(EC2 for an instance, ECS for a task) in AssumeRole's ``ProvidedContexts`` parameter, under
iamd's own context provider ARN.  AWS's trusted context providers take the same path
(``arn:aws:iam::aws:contextProvider/...``, the ``context-provider`` resource type of STS):
https://docs.aws.amazon.com/STS/latest/APIReference/API_ProvidedContext.html

This module is the shape of that assertion, shared by the endpoints (which send it) and
:mod:`iamd.workload.service_assume` (which decides it on the server).  It imports nothing of
the server, so the endpoints stay light.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iamd.errors import ValidationError

PROVIDER_ARN = "arn:aws:iam::aws:contextProvider/IamdServiceDelegation"
EC2 = "ec2.amazonaws.com"
ECS_TASKS = "ecs-tasks.amazonaws.com"
SERVICES = frozenset({EC2, ECS_TASKS})


@dataclass(frozen=True, slots=True)
class Delegation:
    """What a workload endpoint asserts: the service it acts for, and for what."""

    service: str
    source_arn: str | None = None
    """The instance or task the credentials are for (aws:SourceArn, iam:AssociatedResourceArn)."""
    instance_profile_arn: str | None = None
    """EC2 only: the instance profile whose role is assumed."""

    def assertion(self) -> str:
        value: dict[str, str] = {"service": self.service}
        if self.source_arn:
            value["sourceArn"] = self.source_arn
        if self.instance_profile_arn:
            value["instanceProfileArn"] = self.instance_profile_arn
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    def provided_contexts(self) -> list[dict[str, str]]:
        """AssumeRole's ``ProvidedContexts`` parameter naming this delegation."""
        return [{"ProviderArn": PROVIDER_ARN, "ContextAssertion": self.assertion()}]


def requested(params: Mapping[str, Any]) -> Delegation | None:
    """The delegation an AssumeRole request asks for, if any; a ValidationError for a malformed
    one (never silently an ordinary AssumeRole)."""
    for item in params.get("ProvidedContexts") or []:
        if item.get("ProviderArn") != PROVIDER_ARN:
            continue
        try:
            value = json.loads(item.get("ContextAssertion") or "")
        except ValueError:
            value = None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValidationError(f"The context assertion for {PROVIDER_ARN} is malformed.")
        service = value.get("service", "")
        if service not in SERVICES:
            raise ValidationError(
                f"iamd hands role sessions only to {' and '.join(sorted(SERVICES))}."
            )
        return Delegation(service, value.get("sourceArn"), value.get("instanceProfileArn"))
    return None
