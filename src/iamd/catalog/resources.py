"""Resource types and their ARN formats, and which types an ARN (or ARN pattern) can name.

The reference gives each resource type an ARN format such as
``arn:${Partition}:s3:::${BucketName}/${ObjectName}``; a placeholder stands for any text.  A
policy ARN *can name* a type when the two overlap in the service and resource fields: some
concrete ARN matches both.  Partition, Region and account are left to the callers that report on
them, so that one misplaced Region does not also read as "matches no resource type".
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from iamd.catalog import _source, globs
from iamd.catalog.arns import ACCOUNT, REGION, RESOURCE, SERVICE, ArnPattern, split_format
from iamd.catalog.services import service_prefixes

SEGMENT_PLACEHOLDERS = frozenset({"BucketName"})
"""Placeholders that never hold a ``/``: an S3 bucket name is letters, digits, dots and hyphens
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), so
``arn:aws:s3:::logs/*`` names objects, never the bucket.  Other placeholders may hold slashes
(IAM paths, CloudWatch log group names), so they stay unrestricted."""


@dataclass(frozen=True, slots=True)
class ResourceTypeInfo:
    service: str
    """The service prefix whose reference lists the type (lower case)."""
    name: str
    """The type's key in that reference, e.g. ``object`` or ``role``."""
    arn_format: str
    condition_keys: tuple[str, ...]
    _fields: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _service_glob: globs.Glob = field(init=False, repr=False, compare=False)
    _resource_glob: globs.Glob = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields = split_format(self.arn_format)
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "_service_glob", globs.template(fields[SERVICE]))
        resource = globs.template(fields[RESOURCE], segments=SEGMENT_PLACEHOLDERS)
        object.__setattr__(self, "_resource_glob", resource)

    @property
    def arn_service(self) -> str:
        """The ARN format's service field; not always the prefix (``s3-object-lambda``)."""
        return self._fields[SERVICE]

    @property
    def region_field(self) -> str:
        """``${Region}``, a fixed value, or ``""`` when ARNs of this type carry no Region."""
        return self._fields[REGION]

    @property
    def account_field(self) -> str:
        return self._fields[ACCOUNT]

    @property
    def resource_field(self) -> str:
        return self._fields[RESOURCE]

    def can_name(self, pattern: ArnPattern) -> bool:
        """Whether some ARN of this type matches ``pattern`` (service and resource fields)."""
        return globs.overlaps(
            pattern.field(SERVICE), self._service_glob, fold=True
        ) and globs.overlaps(pattern.field(RESOURCE), self._resource_glob, fold=True)


def _resource_type(service: str, record: dict[str, Any]) -> ResourceTypeInfo:
    return ResourceTypeInfo(
        service=service,
        name=record["key"],
        arn_format=record["arn"],
        condition_keys=tuple(record.get("conditionKeys", ())),
    )


@cache
def _index(service: str) -> dict[str, ResourceTypeInfo]:
    if service not in service_prefixes():
        return {}
    return {
        key: _resource_type(service, record)
        for key, record in _source.resource_types(service).items()
    }


def resource_types_for_service(service: str) -> tuple[ResourceTypeInfo, ...]:
    return tuple(_index(service.lower()).values())


def resource_type(service: str, name: str) -> ResourceTypeInfo | None:
    """The type ``name`` as listed by ``service``'s reference (names ignore case)."""
    return _index(service.lower()).get(name.lower())


@cache
def _by_arn_service() -> dict[str, tuple[ResourceTypeInfo, ...]]:
    """ARN service field -> every type with that field, one per distinct ARN format."""
    grouped: dict[str, dict[str, ResourceTypeInfo]] = {}
    every = [info for service in sorted(service_prefixes()) for info in _index(service).values()]
    # A service's own types first, so a format listed by several services keeps its owner.
    every.sort(key=lambda info: info.arn_service.lower() != info.service)
    for info in every:
        grouped.setdefault(info.arn_service.lower(), {}).setdefault(info.arn_format, info)
    return {key: tuple(value.values()) for key, value in grouped.items()}


def arn_services() -> frozenset[str]:
    """Every service field that appears in some ARN format (lower case)."""
    return frozenset(_by_arn_service())


def resource_types_for_arn_service(arn_service: str) -> tuple[ResourceTypeInfo, ...]:
    return _by_arn_service().get(arn_service.lower(), ())


def matching_resource_types(
    arn: str | ArnPattern,
    candidates: Iterable[ResourceTypeInfo] | None = None,
    *,
    variables: bool = True,
) -> tuple[ResourceTypeInfo, ...]:
    """The types that ``arn`` (a concrete ARN or a pattern) can name.

    Without ``candidates`` the types of every service whose ARN service field the pattern can
    name are tried.  An entry that is not a six-field ARN names no type.
    """
    pattern = arn if isinstance(arn, ArnPattern) else ArnPattern.parse(arn, variables=variables)
    if pattern is None:
        return ()
    if candidates is None:
        service = pattern.field(SERVICE)
        pool: list[ResourceTypeInfo] = []
        for arn_service, types in _by_arn_service().items():
            if globs.overlaps(service, globs.literal(arn_service), fold=True):
                pool.extend(types)
        candidates = pool
    return tuple(t for t in candidates if t.can_name(pattern))
