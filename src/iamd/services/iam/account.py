"""The account: its alias, and the summary of IAM usage and quotas.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccountAlias.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/FindingYourAWSId.html

An account has at most one alias and a new one replaces it; an alias is unique among all the
accounts this server holds (AWS: within the partition).
"""

from __future__ import annotations

from typing import Any

from iamd.errors import EntityAlreadyExists, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import (
    INLINE_SIZE,
    MANAGED_POLICY_SIZE,
    MAX_ACCESS_KEYS,
    MAX_ATTACHED_POLICIES,
    MAX_GROUPS,
    MAX_GROUPS_PER_USER,
    MAX_MANAGED_POLICIES,
    MAX_POLICY_VERSIONS,
    MAX_ROLES,
    MAX_USERS,
    REGISTRY,
    paginate,
    star_target,
)
from iamd.services.iam.roles import TRUST_POLICY_SIZE
from iamd.services.iam.server_certificates import MAX_SERVER_CERTIFICATES
from iamd.services.iam.sts_preferences import token_version
from iamd.store import ConflictError
from iamd.store.repos.mfa_devices import MfaDevices
from iamd.store.repos.providers import OidcProviders, SamlProviders
from iamd.store.repos.server_certificates import ServerCertificates
from iamd.store.repos.user_credentials import SigningCertificates

# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
MAX_INSTANCE_PROFILES = 1000
MAX_SIGNING_CERTIFICATES = 2
MAX_POLICY_VERSIONS_IN_USE = 10000
"""Version 1 tokens from the global STS endpoint, AWS's default for an account."""


@REGISTRY.operation("CreateAccountAlias", target=star_target)
def create_account_alias(call: Call) -> dict[str, Any]:
    alias = call.params["AccountAlias"]
    with call.store.write() as tx:
        try:
            tx.accounts.update(call.account_id, alias=alias)
        except ConflictError:
            raise EntityAlreadyExists(f"The account alias {alias} already exists.") from None
        tx.changes.record("account", call.account_id)
    return {}


@REGISTRY.operation("DeleteAccountAlias", target=star_target)
def delete_account_alias(call: Call) -> dict[str, Any]:
    alias = call.params["AccountAlias"]
    with call.store.write() as tx:
        account = tx.accounts.get(call.account_id)
        if account is None or account.alias != alias:
            raise NoSuchEntity(f"The account alias {alias} cannot be found.")
        tx.accounts.update(call.account_id, alias=None)
        tx.changes.record("account", call.account_id)
    return {}


@REGISTRY.operation("ListAccountAliases", target=star_target)
def list_account_aliases(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        account = tx.accounts.get(call.account_id)
    aliases = [account.alias] if account and account.alias else []
    page, more = paginate(call, aliases, key=lambda a: a)
    return {"AccountAliases": page, **more}


@REGISTRY.operation("GetAccountSummary", target=star_target)
def get_account_summary(call: Call) -> dict[str, Any]:
    account_id = call.account_id
    with call.store.read() as tx:
        local_policies = tx.policies.all([account_id])
        devices = tx.repo(MfaDevices).all(account_id)
        usage = {
            "Users": tx.users.count(account_id),
            "Groups": len(tx.groups.all(account_id)),
            "Roles": len(tx.roles.all(account_id)),
            "Policies": len(local_policies),
            "PolicyVersionsInUse": sum(len(tx.policies.versions(p.id)) for p in local_policies),
            "InstanceProfiles": len(tx.instance_profiles.all(account_id)),
            "ServerCertificates": tx.repo(ServerCertificates).count(account_id),
            "Providers": tx.repo(OidcProviders).count(account_id)
            + tx.repo(SamlProviders).count(account_id),
            "MFADevices": len(devices),
            "MFADevicesInUse": sum(1 for d in devices if d.enable_date is not None),
            # The root user's device is the one enabled without an IAM user.
            "AccountMFAEnabled": int(
                any(d.enable_date is not None and d.user_id is None for d in devices)
            ),
            "AccountAccessKeysPresent": int(bool(tx.access_keys.root_keys(account_id))),
            "AccountSigningCertificatesPresent": int(
                bool(tx.repo(SigningCertificates).of_owner(account_id, None))
            ),
            # The root user of an iamd account signs in with access keys only.
            "AccountPasswordPresent": 0,
        }
    quotas = {
        "UsersQuota": MAX_USERS,
        "GroupsQuota": MAX_GROUPS,
        "RolesQuota": MAX_ROLES,
        "PoliciesQuota": MAX_MANAGED_POLICIES,
        "InstanceProfilesQuota": MAX_INSTANCE_PROFILES,
        "ServerCertificatesQuota": MAX_SERVER_CERTIFICATES,
        "PolicySizeQuota": MANAGED_POLICY_SIZE,
        "PolicyVersionsInUseQuota": MAX_POLICY_VERSIONS_IN_USE,
        "VersionsPerPolicyQuota": MAX_POLICY_VERSIONS,
        "GroupsPerUserQuota": MAX_GROUPS_PER_USER,
        "AttachedPoliciesPerUserQuota": MAX_ATTACHED_POLICIES,
        "AttachedPoliciesPerGroupQuota": MAX_ATTACHED_POLICIES,
        "AttachedPoliciesPerRoleQuota": MAX_ATTACHED_POLICIES,
        "AccessKeysPerUserQuota": MAX_ACCESS_KEYS,
        "SigningCertificatesPerUserQuota": MAX_SIGNING_CERTIFICATES,
        "UserPolicySizeQuota": INLINE_SIZE["user"],
        "GroupPolicySizeQuota": INLINE_SIZE["group"],
        "RolePolicySizeQuota": INLINE_SIZE["role"],
        "AssumeRolePolicySizeQuota": TRUST_POLICY_SIZE,
        "GlobalEndpointTokenVersion": token_version(call),
    }
    return {"SummaryMap": {**usage, **quotas}}
