"""The authorization-details file, read and moved to the target account.

``aws iam get-account-authorization-details`` prints policy documents as JSON objects (the CLI
decodes them); the raw API returns them URL-encoded.  Both are accepted.  Every ARN naming the
source account is rewritten to name the target account, in the entities and inside policy
documents, and so is a bare source account id given as an ``AWS`` principal.

https://docs.aws.amazon.com/cli/latest/reference/iam/get-account-authorization-details.html
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

AWS_MANAGED_PREFIX = ":iam::aws:policy/"
_ACCOUNT_IN_ARN = re.compile(r"^arn:[\w-]+:iam::(\d{12}):")


class SourceError(ValueError):
    """The file is not authorization details."""


@dataclass
class Source:
    """The file's entities, with documents parsed and the account already rewritten."""

    account: str
    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)
    """Customer managed policies only."""
    aws_managed: list[str] = field(default_factory=list)
    """ARNs of the AWS managed policies the file lists (iamd has its own)."""


def document(value: Any) -> dict[str, Any]:
    """A policy document from the CLI's object or the API's URL-encoded JSON."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("{"):
            text = unquote(text)
        parsed = json.loads(text)
        if isinstance(parsed, dict):
            return parsed
    raise SourceError(f"not a policy document: {str(value)[:60]!r}")


def source_account(data: dict[str, Any]) -> str:
    for list_name in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
        for entry in data.get(list_name) or []:
            found = _ACCOUNT_IN_ARN.match(str(entry.get("Arn", "")))
            if found:
                return found.group(1)
    raise SourceError("no ARN in the file names the source account (give --source-account)")


class Rewriter:
    """Moves ARNs (and bare ``AWS`` principals) from one account to another."""

    def __init__(self, source: str, target: str) -> None:
        self.source = source
        self.target = target
        self._arn = re.compile(rf"(arn:[\w-]*:[\w-]*:[\w-]*:){re.escape(source)}(?=:)")

    def text(self, value: str) -> str:
        if self.source == self.target:
            return value
        return self._arn.sub(rf"\g<1>{self.target}", value)

    def value(self, value: Any, principal: bool = False) -> Any:
        if isinstance(value, str):
            if principal and value == self.source:
                return self.target
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item, principal) for item in value]
        if isinstance(value, dict):
            return {k: self.value(v, principal or k == "AWS") for k, v in value.items()}
        return value


def load(data: dict[str, Any], target_account: str, account: str | None = None) -> Source:
    if not isinstance(data, dict) or not any(
        key in data for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
    ):
        raise SourceError(
            "expected the JSON of `aws iam get-account-authorization-details` "
            "(UserDetailList, GroupDetailList, RoleDetailList, Policies)"
        )
    origin = account or source_account(data)
    move = Rewriter(origin, target_account)
    result = Source(account=origin)
    for policy in data.get("Policies") or []:
        if AWS_MANAGED_PREFIX in str(policy.get("Arn", "")):
            result.aws_managed.append(str(policy["Arn"]))
            continue
        entry = move.value(dict(policy))
        entry["PolicyVersionList"] = [
            {**v, "Document": move.value(document(v["Document"]))}
            for v in policy.get("PolicyVersionList") or []
        ]
        result.policies.append(entry)
    for kind, list_name, inline_name in (
        ("users", "UserDetailList", "UserPolicyList"),
        ("groups", "GroupDetailList", "GroupPolicyList"),
        ("roles", "RoleDetailList", "RolePolicyList"),
    ):
        for raw in data.get(list_name) or []:
            entry = move.value(dict(raw))
            entry[inline_name] = [
                {
                    "PolicyName": p["PolicyName"],
                    "PolicyDocument": move.value(document(p["PolicyDocument"])),
                }
                for p in raw.get(inline_name) or []
            ]
            if "AssumeRolePolicyDocument" in raw:
                entry["AssumeRolePolicyDocument"] = move.value(
                    document(raw["AssumeRolePolicyDocument"])
                )
            getattr(result, kind).append(entry)
    return result
