"""Where a service departs from the default evaluation logic.

* ``sts:GetCallerIdentity`` needs no permission: an explicit deny does not stop it.
  https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
* A role's trust policy and a KMS key policy must trust the account explicitly before identity
  policies in that account count, even within the account: naming the account (or its root)
  delegates to IAM policies; without such a statement only principals named directly get in.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
* AWS managed policies and the roles under ``role/aws-reserved/`` cannot be changed by anyone.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html
"""

from __future__ import annotations

from enum import Enum

NO_PERMISSION_NEEDED = frozenset({"sts:getcalleridentity"})
SPECIAL_SERVICES = frozenset({"sts", "kms", "iam"})

_MANAGED_POLICY_WRITES = frozenset(
    {
        "iam:createpolicy",
        "iam:createpolicyversion",
        "iam:deletepolicy",
        "iam:deletepolicyversion",
        "iam:setdefaultpolicyversion",
        "iam:tagpolicy",
        "iam:untagpolicy",
    }
)
_RESERVED_ROLE_WRITES = frozenset(
    {
        "iam:attachrolepolicy",
        "iam:createrole",
        "iam:createservicelinkedrole",
        "iam:deleterole",
        "iam:deleterolepermissionsboundary",
        "iam:deleterolepolicy",
        "iam:deleteservicelinkedrole",
        "iam:detachrolepolicy",
        "iam:passrole",
        "iam:putrolepermissionsboundary",
        "iam:putrolepolicy",
        "iam:tagrole",
        "iam:untagrole",
        "iam:updateassumerolepolicy",
        "iam:updaterole",
        "iam:updateroledescription",
    }
)


class Trust(Enum):
    IMPLICIT = "implicit"
    """Within the account, identity-based policies count on their own (most services)."""
    EXPLICIT = "explicit"
    """Identity-based policies count only where the resource policy trusts the account."""


def is_special(action: str) -> bool:
    """Whether the action's service has a rule here (so the identity-only fast path is off)."""
    return action.partition(":")[0].lower() in SPECIAL_SERVICES


def trust(action: str, resource: str, has_resource_policy: bool) -> Trust:
    service = action.partition(":")[0].lower()
    if service == "sts" and has_resource_policy:
        return Trust.EXPLICIT
    if service == "kms" and _resource_part(resource).startswith("key/"):
        return Trust.EXPLICIT
    return Trust.IMPLICIT


def immutable(action: str, resource: str) -> bool:
    """True for changes to AWS managed policies and reserved roles, which nobody may make."""
    lowered = action.lower()
    fields = resource.split(":", 5)
    if len(fields) != 6 or fields[2] != "iam":
        return False
    if lowered in _MANAGED_POLICY_WRITES:
        return fields[4] == "aws" and fields[5].lower().startswith("policy/")
    if lowered in _RESERVED_ROLE_WRITES:
        return fields[5].lower().startswith("role/aws-reserved/")
    return False


def _resource_part(resource: str) -> str:
    fields = resource.split(":", 5)
    return fields[5].lower() if len(fields) == 6 else ""
