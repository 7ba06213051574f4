"""Collect the policies that apply to a caller, as AWS does for an IAM user or a role session.

A user's identity-based policies are its inline policies, its attached managed policies, and
the inline and attached policies of each of its groups; a role's are its own inline and
attached policies.  The permissions boundary is the managed policy set as the entity's boundary.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_identity-vs-resource.html
"""

from __future__ import annotations

from iamd.policy import Policy, PolicyKind, parse_policy
from iamd.store import Tx


def _parse(document: str, kind: PolicyKind, name: str) -> Policy | None:
    try:
        return parse_policy(document, kind, name)
    except ValueError:
        # Stored documents were validated on the way in; one that no longer parses (after an
        # engine upgrade) grants nothing rather than failing every request.
        return None


def _owner_policies(tx: Tx, kind: str, owner_id: str) -> list[Policy]:
    found: list[Policy] = []
    for inline in tx.policies.list_inline(kind, owner_id):
        policy = _parse(inline.document, PolicyKind.IDENTITY, inline.name)
        if policy:
            found.append(policy)
    for arn in tx.policies.attached(kind, owner_id):
        document = tx.policies.default_document(arn)
        policy = _parse(document, PolicyKind.IDENTITY, arn) if document else None
        if policy:
            found.append(policy)
    return found


def boundary_policy(tx: Tx, arn: str | None) -> Policy | None:
    if not arn:
        return None
    document = tx.policies.default_document(arn)
    if document is None:
        # A boundary whose policy is gone allows nothing: fail closed.
        return parse_policy({"Version": "2012-10-17", "Statement": []}, PolicyKind.BOUNDARY, arn)
    return _parse(document, PolicyKind.BOUNDARY, arn)


def user_policies(tx: Tx, user_id: str) -> list[Policy]:
    found = _owner_policies(tx, "user", user_id)
    for group in tx.groups.of_user(user_id):
        found += _owner_policies(tx, "group", group.id)
    return found


def role_policies(tx: Tx, role_id: str) -> list[Policy]:
    return _owner_policies(tx, "role", role_id)
