"""Shared pieces of the Access Analyzer handlers: the registry, the clock, lookups that raise
AWS's errors, pagination tokens and authorization targets.

https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiamaccessanalyzer.html
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from iamd.services.analyzer.errors import ResourceNotFoundException, ValidationException
from iamd.services.call import Call
from iamd.services.registry import Registry, Target
from iamd.store import Tx
from iamd.store.repos.analyzers import Analyzer, Analyzers, analyzer_arn

REGISTRY = Registry("access-analyzer")
T = TypeVar("T")

DEFAULT_PAGE = 100


def now(call: Call) -> datetime:
    """The request's time, to the second (what AWS's timestamps carry)."""
    return (call.now or datetime.now(UTC)).replace(microsecond=0)


def analyzer_by_name(tx: Tx, call: Call, name: str) -> Analyzer:
    found = tx.repo(Analyzers).get(analyzer_arn(call.region, call.account_id, name))
    if found is None:
        raise ResourceNotFoundException(
            f"Analyzer {name} not found.",
            resource_id=name,
            resource_type="AWS::AccessAnalyzer::Analyzer",
        )
    return found


def analyzer_by_arn(tx: Tx, call: Call, arn: str) -> Analyzer:
    """An analyzer of the caller's account named by ARN; another account's is not found."""
    found = tx.repo(Analyzers).get(arn)
    if found is None or found.account_id != call.account_id:
        raise ResourceNotFoundException(
            f"Analyzer {arn} not found.",
            resource_id=arn,
            resource_type="AWS::AccessAnalyzer::Analyzer",
        )
    return found


# Pagination ----------------------------------------------------------------------------


def paginate(
    call: Call, items: Sequence[T], key: Callable[[T], str], default: int = DEFAULT_PAGE
) -> tuple[list[T], dict[str, Any]]:
    """``nextToken`` / ``maxResults`` over items in a stable order; the token is the next
    item's key, opaque to clients, so a page survives items deleted in between."""
    size = call.param("maxResults") or default
    if size < 1:
        raise ValidationException("maxResults must be at least 1.", field="maxResults")
    start = 0
    token = call.param("nextToken")
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ValidationException(
                "Invalid nextToken.", reason="other", field="nextToken"
            ) from None
        keys = [key(item) for item in items]
        start = next((i for i, k in enumerate(keys) if k == after), -1)
        if start < 0:
            start = next((i for i, k in enumerate(keys) if k > after), len(items))
    page = list(items[start : start + size])
    if start + size < len(items):
        following = key(items[start + size])
        return page, {"nextToken": base64.urlsafe_b64encode(following.encode()).decode()}
    return page, {}


# Tags ----------------------------------------------------------------------------------


def check_tags(tags: dict[str, str] | None) -> dict[str, str]:
    """AWS's tag rules: keys of 1-128 characters not starting ``aws:``, values up to 256."""
    tags = tags or {}
    if len(tags) > 50:
        raise ValidationException("Too many tags: at most 50 are allowed.", field="tags")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            raise ValidationException(f"Invalid tag key: {key}", field="tags")
        if len(value) > 256:
            raise ValidationException(f"Invalid tag value for key {key}", field="tags")
    return tags


# Targets -------------------------------------------------------------------------------


def request_tag_context(tags: dict[str, str] | None) -> dict[str, str | list[str]]:
    context: dict[str, str | list[str]] = {
        f"aws:RequestTag/{k}": v for k, v in (tags or {}).items()
    }
    if tags:
        context["aws:TagKeys"] = list(tags)
    return context


def _resource_tags(tx: Tx, arn: str) -> dict[str, str | list[str]]:
    return {f"aws:ResourceTag/{t.key}": t.value for t in tx.tags.all("analyzer", arn)}


def star_target(call: Call, tx: Tx) -> Target:
    return Target("*")


def analyzer_name_target(param: str = "analyzerName") -> Callable[[Call, Tx], Target]:
    def target(call: Call, tx: Tx) -> Target:
        arn = analyzer_arn(call.region, call.account_id, call.param(param) or "")
        context = request_tag_context(call.param("tags"))
        context.update(_resource_tags(tx, arn))
        return Target(arn, context)

    return target


def analyzer_arn_target(param: str = "analyzerArn") -> Callable[[Call, Tx], Target]:
    def target(call: Call, tx: Tx) -> Target:
        arn = call.param(param) or ""
        return Target(arn, _resource_tags(tx, arn))

    return target


def archive_rule_target(call: Call, tx: Tx) -> Target:
    base = analyzer_arn(call.region, call.account_id, call.param("analyzerName") or "")
    return Target(f"{base}/archive-rule/{call.param('ruleName') or ''}")
