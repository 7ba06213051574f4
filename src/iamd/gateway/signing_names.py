"""Which botocore services sign with which SigV4 service name.

A credential scope names a *signing name*, not a service: ``dynamodb`` signs DynamoDB and
DynamoDB Streams, ``ses`` SES and SES v2, ``timestream`` Timestream Write and Timestream Query,
``elasticfilesystem`` EFS. botocore gives each model's signing name in its metadata
(``signingName``, else ``endpointPrefix``, as ``botocore.model.ServiceModel.signing_name``
does); the map from a signing name to its services is read from the installed models once per
process, so it follows botocore as services are added, with no table kept by hand.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from botocore.loaders import Loader  # type: ignore[import-untyped]

_HEAD_CHARS = 16_384
_METADATA = re.compile(r'\s*\{\s*(?:"version"\s*:\s*"[^"]*"\s*,\s*)?"metadata"\s*:\s*')
"""A model file opens with its metadata (after ``"version"``), so reading the map costs the
head of ~400 files, tens of milliseconds, rather than seconds for whole models."""

_OPENERS: tuple[tuple[str, Any], ...] = ((".json", open), (".json.gz", gzip.open))


def _head(loader: Any, name: str) -> str | None:
    """The first characters of the model file botocore would load for ``name``."""
    version = loader.determine_latest_version(name, "service-2")
    for root in loader.search_paths:
        base = os.path.join(root, name, version, "service-2")
        for suffix, opener in _OPENERS:
            if os.path.isfile(base + suffix):
                with opener(base + suffix, "rt", encoding="utf-8") as file:
                    return str(file.read(_HEAD_CHARS))
    return None


def metadata(loader: Any, name: str) -> dict[str, Any]:
    """A model's metadata; the whole model is loaded only when its head does not hold it."""
    head = _head(loader, name)
    found = _METADATA.match(head) if head else None
    if head and found:
        try:
            value, _ = json.JSONDecoder().raw_decode(head, found.end())
        except ValueError:
            pass
        else:
            if isinstance(value, dict):
                return value
    return dict(loader.load_service_model(name, "service-2")["metadata"])


def signing_name(meta: Mapping[str, Any]) -> str:
    return str(meta.get("signingName") or meta.get("endpointPrefix") or "")


@cache
def signing_names() -> Mapping[str, tuple[str, ...]]:
    """Signing name -> the botocore services that sign with it, the one named like it first
    (``ses`` -> ``ses``, ``mailmanager``, ``pinpoint-email``, ``sesv2``), then by name."""
    loader = Loader()
    found: dict[str, list[str]] = {}
    for name in loader.list_available_services("service-2"):
        signs = signing_name(metadata(loader, name))
        if signs:
            found.setdefault(signs, []).append(name)
    return MappingProxyType({signs: _ordered(signs, names) for signs, names in found.items()})


def _ordered(signs: str, names: list[str]) -> tuple[str, ...]:
    return tuple(sorted(names, key=lambda name: (name != signs, name)))
