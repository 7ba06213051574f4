"""Crafted accounts in the shape of ``aws iam get-account-authorization-details``."""

from __future__ import annotations

from typing import Any

ACCOUNT = "111122223333"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def allow(
    actions: str | list[str], resources: str | list[str] = "*", **extra: Any
) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources, **extra}],
    }


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trust(principal: dict[str, Any] | str, **extra: Any) -> dict[str, Any]:
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def account_root_trust() -> dict[str, Any]:
    return trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})


class Account:
    """Builds the file one entity at a time."""

    def __init__(self) -> None:
        self.users: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.policies: dict[str, dict[str, Any]] = {}
        self.managed("AdministratorAccess", ALLOW_ALL, aws=True)

    @staticmethod
    def arn(kind: str, name: str) -> str:
        return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"

    def managed(
        self,
        name: str,
        document: dict[str, Any],
        *,
        aws: bool = False,
        versions: list[dict[str, Any]] | None = None,
    ) -> str:
        arn = f"arn:aws:iam::aws:policy/{name}" if aws else f"arn:aws:iam::{ACCOUNT}:policy/{name}"
        docs = [document, *(versions or [])]
        self.policies[arn] = {
            "PolicyName": name,
            "PolicyId": "ANPA" + name.upper()[:12].ljust(12, "X"),
            "Arn": arn,
            "Path": "/",
            "DefaultVersionId": "v1",
            "AttachmentCount": 1,
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True,
            "CreateDate": "2024-01-01T00:00:00Z",
            "UpdateDate": "2024-01-01T00:00:00Z",
            "PolicyVersionList": [
                {
                    "Document": d,
                    "VersionId": f"v{i + 1}",
                    "IsDefaultVersion": i == 0,
                    "CreateDate": "2024-01-01T00:00:00Z",
                }
                for i, d in enumerate(docs)
            ],
        }
        return arn

    def user(
        self,
        name: str,
        *,
        inline: dict[str, Any] | None = None,
        attached: list[str] = (),
        groups: list[str] = (),
        boundary: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        entry: dict[str, Any] = {
            "Path": "/",
            "UserName": name,
            "UserId": "AIDA" + name.upper().ljust(12, "X"),
            "Arn": self.arn("user", name),
            "CreateDate": "2024-01-01T00:00:00Z",
            "GroupList": list(groups),
            "AttachedManagedPolicies": [
                {"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached
            ],
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        if inline:
            entry["UserPolicyList"] = [{"PolicyName": f"{name}-inline", "PolicyDocument": inline}]
        if boundary:
            entry["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": boundary,
            }
        self.users.append(entry)
        return entry["Arn"]

    def group(
        self, name: str, *, inline: dict[str, Any] | None = None, attached: list[str] = ()
    ) -> str:
        entry = {
            "Path": "/",
            "GroupName": name,
            "GroupId": "AGPA" + name.upper().ljust(12, "X"),
            "Arn": self.arn("group", name),
            "CreateDate": "2024-01-01T00:00:00Z",
            "GroupPolicyList": [{"PolicyName": f"{name}-inline", "PolicyDocument": inline}]
            if inline
            else [],
            "AttachedManagedPolicies": [
                {"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached
            ],
        }
        self.groups.append(entry)
        return entry["Arn"]

    def role(
        self,
        name: str,
        trust_policy: dict[str, Any],
        *,
        inline: dict[str, Any] | None = None,
        attached: list[str] = (),
        boundary: str | None = None,
        profile: bool = False,
    ) -> str:
        arn = self.arn("role", name)
        entry: dict[str, Any] = {
            "Path": "/",
            "RoleName": name,
            "RoleId": "AROA" + name.upper().ljust(12, "X"),
            "Arn": arn,
            "CreateDate": "2024-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": trust_policy,
            "InstanceProfileList": [
                {
                    "Path": "/",
                    "InstanceProfileName": name,
                    "InstanceProfileId": "AIPA" + name.upper(),
                    "Arn": self.arn("instance-profile", name),
                    "CreateDate": "2024-01-01T00:00:00Z",
                    "Roles": [],
                }
            ]
            if profile
            else [],
            "RolePolicyList": [{"PolicyName": f"{name}-inline", "PolicyDocument": inline}]
            if inline
            else [],
            "AttachedManagedPolicies": [
                {"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached
            ],
            "Tags": [],
            "RoleLastUsed": {},
        }
        if boundary:
            entry["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": boundary,
            }
        self.roles.append(entry)
        return arn

    def data(self) -> dict[str, Any]:
        return {
            "UserDetailList": self.users,
            "GroupDetailList": self.groups,
            "RoleDetailList": self.roles,
            "Policies": list(self.policies.values()),
            "IsTruncated": False,
        }


def analyse(data: dict[str, Any], **kwargs: Any) -> Any:
    """Run the whole-account analysis on a crafted file."""
    from iamd.analysis.account import load_account
    from iamd.analysis.analyze import analyze_account

    return analyze_account(load_account(data), **kwargs)


def paths_of(report: Any) -> dict[str, list[tuple[str, str]]]:
    """Principal name -> its path as (method, target name) steps."""
    return {
        p.principal.rsplit("/", 1)[-1]: [(s.method, s.target.rsplit("/", 1)[-1]) for s in p.steps]
        for p in report.paths
    }
