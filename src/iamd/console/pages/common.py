"""Helpers the page families share: one page of a listing, policy choices, validation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from iamd.console.page import PAGE_SIZE, Page
from iamd.policy import PolicyKind
from iamd.validation import Finding, validate_policy


@dataclass
class Listing:
    items: list[Any]
    next_marker: str | None
    query: str


def listing(page: Page, operation: str, key: str, name_of: str, params: dict[str, Any]) -> Listing:
    """One page of a List* operation, or, with ``?q=``, the first matches of a name search.

    A search walks the whole listing a thousand at a time (IAM has no server-side name filter;
    AWS's console filters in the browser), stopping at a page's worth of matches.
    """
    query = page.request.arg("q").strip()
    marker = page.request.arg("marker") or None
    if not query:
        result = page.call("iam", operation, {**params, "Marker": marker, "MaxItems": PAGE_SIZE})
        following = result.get("Marker") if result.get("IsTruncated") else None
        return Listing(result.get(key, []), following, "")
    needle = query.lower()
    found: list[Any] = []
    while len(found) < PAGE_SIZE:
        result = page.call("iam", operation, {**params, "Marker": marker, "MaxItems": 1000})
        found += [item for item in result.get(key, []) if needle in item[name_of].lower()]
        marker = result.get("Marker") if result.get("IsTruncated") else None
        if marker is None:
            break
    return Listing(found[:PAGE_SIZE], None, query)


def findings_json(findings: list[Finding]) -> list[dict[str, Any]]:
    out = []
    for f in findings:
        item: dict[str, Any] = {
            "code": f.code,
            "type": str(f.type),
            "message": f.message,
            "pointer": f.pointer,
        }
        if f.span is not None:
            item["line"] = f.span.start.line
            item["column"] = f.span.start.column
        out.append(item)
    return out


def validate(text: str, kind: PolicyKind) -> tuple[list[dict[str, Any]], bool]:
    """Access Analyzer-style findings for ``text`` and whether any is an error."""
    found = validate_policy(text, kind)
    return findings_json(found), any(f.is_error for f in found)


def pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def policy_choices(page: Page) -> list[dict[str, str]]:
    """Every policy the principal may list, for an attach picker (name and ARN)."""
    policies = page.all_pages("ListPolicies", {"Scope": "All"}, "Policies")
    return [{"name": p["PolicyName"], "arn": p["Arn"]} for p in policies]


def resolve_policy(page: Page, text: str) -> str:
    """An ARN from what a picker submitted: an ARN as is; a name is the account's own policy
    when it has one by that name, else the AWS managed policy of that name."""
    text = text.strip()
    if text.startswith("arn:"):
        return text
    local = f"arn:aws:iam::{page.caller.account_id}:policy/{text}"
    _, error = page.try_call("iam", "GetPolicy", {"PolicyArn": local})
    return local if error is None else f"arn:aws:iam::aws:policy/{text}"
