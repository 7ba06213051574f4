"""Condition keys: global ``aws:*`` keys and every service's own, with their types.

Names ignore case (AWS matches condition keys that way).  Some keys are templates:
``aws:RequestTag/${TagKey}``, ``s3:ExistingObjectTag/<key>``, ``kms:EncryptionContext:${...}``;
a policy key such as ``aws:RequestTag/team`` is an instance of the first.  Templates are turned
into patterns by :mod:`iamd.catalog.globs`, never into regular expressions.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from iamd.catalog import _source, globs
from iamd.catalog.global_keys import ALSO_NUMERIC, DEPRECATED, GLOBAL_KEYS
from iamd.catalog.services import service_prefixes

ARRAY = "ArrayOf"


@dataclass(frozen=True, slots=True)
class ConditionKeyInfo:
    name: str
    """As the reference writes it: ``aws:RequestTag/${TagKey}``, ``s3:prefix``."""
    type: str
    """``String``, ``ARN``, ``Bool``, ``Numeric``, ``Date``, ``IPAddress``, ``Binary``, or one
    of them prefixed by ``ArrayOf`` for a multivalued key."""
    services: tuple[str, ...]
    """The services whose reference lists the key; empty for a global key only AWS lists."""
    is_global: bool

    @property
    def base_type(self) -> str:
        return self.type.removeprefix(ARRAY)

    @property
    def multivalued(self) -> bool:
        return self.type.startswith(ARRAY)

    @property
    def templated(self) -> bool:
        return "${" in self.name or "<" in self.name

    @property
    def types(self) -> tuple[str, ...]:
        """Every value type the key accepts (``aws:EpochTime`` is both Date and Numeric)."""
        if self.name.lower() in ALSO_NUMERIC:
            return (self.base_type, "Numeric")
        return (self.base_type,)

    @property
    def prefix(self) -> str:
        return self.name.partition(":")[0]


@dataclass(frozen=True, slots=True)
class _Index:
    exact: dict[str, ConditionKeyInfo]
    templates: tuple[tuple[str, globs.Glob, ConditionKeyInfo], ...]
    """(lower-case text before the first placeholder, pattern, entry)."""
    prefixes: frozenset[str]


@cache
def _index() -> _Index:
    merged: dict[str, ConditionKeyInfo] = {}
    for name, key_type in GLOBAL_KEYS:
        merged[name.lower()] = ConditionKeyInfo(name, key_type, (), True)
    for service in sorted(service_prefixes()):
        for lowered, record in _source.condition_keys(service).items():
            known = merged.get(lowered)
            if known is None:
                merged[lowered] = ConditionKeyInfo(
                    record["key"], record["type"], (service,), record["key"].startswith("aws:")
                )
            elif service not in known.services:
                merged[lowered] = ConditionKeyInfo(
                    known.name, known.type, (*known.services, service), known.is_global
                )
    exact = {k: v for k, v in merged.items() if not v.templated}
    templates = tuple(
        (_stem(v.name), globs.template(v.name, nonempty=True), v)
        for v in merged.values()
        if v.templated
    )
    prefixes = frozenset(
        v.prefix.lower()
        for v in merged.values()
        if not globs.has_wildcard(globs.template(v.prefix))
    )
    return _Index(exact=exact, templates=templates, prefixes=prefixes)


@lru_cache(maxsize=4096)
def lookup_condition_key(key: str) -> ConditionKeyInfo | None:
    """The reference entry a policy's condition key is, or is an instance of."""
    index = _index()
    found = index.exact.get(key.lower())
    if found is not None:
        return found
    lowered = key.lower()
    subject = globs.literal(lowered)
    for stem, pattern, info in index.templates:
        if lowered.startswith(stem) and globs.overlaps(pattern, subject, fold=True):
            return info
    return None


def _stem(name: str) -> str:
    cuts = [i for i in (name.find("${"), name.find("<")) if i >= 0]
    return name[: min(cuts)].lower() if cuts else name.lower()


def key_prefixes() -> frozenset[str]:
    """Every prefix (``aws``, ``s3``, ``saml``, ``accounts.google.com``...) with a known key."""
    return _index().prefixes


def missing_template_part(key: str) -> ConditionKeyInfo | None:
    """The template that ``key`` is the fixed part of: ``aws:RequestTag`` -> ``.../${TagKey}``.

    Such a key names no value at all: a tag key must follow the slash.
    """
    stem = key.lower().rstrip("/")
    for _, _, info in _index().templates:
        name = info.name.lower()
        if name.startswith(stem + "/") and globs.template(name[len(stem) + 1 :]) == (globs.STAR,):
            return info
    return None


def deprecated_replacements(key: str) -> tuple[str, ...]:
    """The keys that replace a retired global key, or ``()``."""
    return DEPRECATED.get(key.lower(), ())
