"""``iamd import``: an AWS account's authorization details loaded into a live server, end to end.

The input is shaped as ``aws iam get-account-authorization-details`` prints it (documents as
JSON objects, dates as strings):
https://docs.aws.amazon.com/cli/latest/reference/iam/get-account-authorization-details.html
After the import, the same call on iamd returns the same entities, modulo ids, dates and the
account id (rewritten from the source account to iamd's).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from support.live import ROOT_KEY, ROOT_SECRET, LiveServer

SOURCE = "999988887777"
IMPORT = [sys.executable, "-m", "iamd.cli.main", "import"]
DATE = "2024-03-01T10:00:00+00:00"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str, resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def authorization_details() -> dict[str, Any]:
    """A small account with every kind of entity and link the importer handles."""
    app_read = f"arn:aws:iam::{SOURCE}:policy/app/app-read"
    boundary = f"arn:aws:iam::{SOURCE}:policy/boundary"
    trust = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{SOURCE}:root", SOURCE]},
            "Action": "sts:AssumeRole",
        }
    )
    profile = {
        "Path": "/ci/",
        "InstanceProfileName": "deployer-profile",
        "InstanceProfileId": "AIPAEXAMPLE000000001",
        "Arn": f"arn:aws:iam::{SOURCE}:instance-profile/ci/deployer-profile",
        "CreateDate": DATE,
        "Roles": [
            {
                "Path": "/ci/",
                "RoleName": "deployer",
                "RoleId": "AROAEXAMPLE000000001",
                "Arn": f"arn:aws:iam::{SOURCE}:role/ci/deployer",
                "CreateDate": DATE,
                "AssumeRolePolicyDocument": trust,
            }
        ],
    }
    return {
        "UserDetailList": [
            {
                "Path": "/people/",
                "UserName": "alice",
                "UserId": "AIDAEXAMPLE000000001",
                "Arn": f"arn:aws:iam::{SOURCE}:user/people/alice",
                "CreateDate": DATE,
                "UserPolicyList": [
                    {
                        "PolicyName": "own-bucket",
                        "PolicyDocument": doc(
                            allow("iam:GetUser", f"arn:aws:iam::{SOURCE}:user/people/alice")
                        ),
                    }
                ],
                "GroupList": ["developers"],
                "AttachedManagedPolicies": [{"PolicyName": "app-read", "PolicyArn": app_read}],
                "PermissionsBoundary": {
                    "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                    "PermissionsBoundaryArn": boundary,
                },
                "Tags": [{"Key": "team", "Value": "platform"}],
            },
            {
                "Path": "/",
                "UserName": "bob",
                "UserId": "AIDAEXAMPLE000000002",
                "Arn": f"arn:aws:iam::{SOURCE}:user/bob",
                "CreateDate": DATE,
                "GroupList": [],
                "AttachedManagedPolicies": [],
                "Tags": [],
            },
        ],
        "GroupDetailList": [
            {
                "Path": "/eng/",
                "GroupName": "developers",
                "GroupId": "AGPAEXAMPLE000000001",
                "Arn": f"arn:aws:iam::{SOURCE}:group/eng/developers",
                "CreateDate": DATE,
                "GroupPolicyList": [
                    {"PolicyName": "list", "PolicyDocument": doc(allow("iam:ListUsers"))}
                ],
                "AttachedManagedPolicies": [
                    {"PolicyName": "app-read", "PolicyArn": app_read},
                    {
                        "PolicyName": "ReadOnlyAccess",
                        "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
                    },
                ],
            }
        ],
        "RoleDetailList": [
            {
                "Path": "/ci/",
                "RoleName": "deployer",
                "RoleId": "AROAEXAMPLE000000001",
                "Arn": f"arn:aws:iam::{SOURCE}:role/ci/deployer",
                "CreateDate": DATE,
                "AssumeRolePolicyDocument": trust,
                "InstanceProfileList": [profile],
                "RolePolicyList": [
                    {"PolicyName": "deploy", "PolicyDocument": doc(allow("iam:PassRole"))}
                ],
                "AttachedManagedPolicies": [{"PolicyName": "app-read", "PolicyArn": app_read}],
                "PermissionsBoundary": {
                    "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                    "PermissionsBoundaryArn": boundary,
                },
                "Tags": [{"Key": "env", "Value": "prod"}],
                "RoleLastUsed": {},
            },
            {
                "Path": "/aws-service-role/support.amazonaws.com/",
                "RoleName": "AWSServiceRoleForSupport",
                "RoleId": "AROAEXAMPLE000000002",
                "Arn": f"arn:aws:iam::{SOURCE}:role/aws-service-role/support.amazonaws.com/"
                "AWSServiceRoleForSupport",
                "CreateDate": DATE,
                "AssumeRolePolicyDocument": doc(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "support.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ),
                "InstanceProfileList": [],
                "RolePolicyList": [],
                "AttachedManagedPolicies": [],
                "Tags": [],
                "RoleLastUsed": {},
            },
        ],
        "Policies": [
            {
                "PolicyName": "app-read",
                "PolicyId": "ANPAEXAMPLE000000001",
                "Arn": app_read,
                "Path": "/app/",
                "DefaultVersionId": "v2",
                "AttachmentCount": 3,
                "PermissionsBoundaryUsageCount": 0,
                "IsAttachable": True,
                "Description": "read the app's users",
                "CreateDate": DATE,
                "UpdateDate": DATE,
                "PolicyVersionList": [
                    {
                        "Document": doc(allow("iam:GetUser")),
                        "VersionId": "v1",
                        "IsDefaultVersion": False,
                        "CreateDate": DATE,
                    },
                    {
                        "Document": doc(allow("iam:GetUser"), allow("iam:ListGroups")),
                        "VersionId": "v2",
                        "IsDefaultVersion": True,
                        "CreateDate": DATE,
                    },
                ],
            },
            {
                "PolicyName": "boundary",
                "PolicyId": "ANPAEXAMPLE000000002",
                "Arn": boundary,
                "Path": "/",
                "DefaultVersionId": "v1",
                "AttachmentCount": 0,
                "PermissionsBoundaryUsageCount": 2,
                "IsAttachable": True,
                "CreateDate": DATE,
                "UpdateDate": DATE,
                "PolicyVersionList": [
                    {
                        "Document": doc(allow("iam:*"), allow("sts:*")),
                        "VersionId": "v1",
                        "IsDefaultVersion": True,
                        "CreateDate": DATE,
                    }
                ],
            },
            {
                "PolicyName": "ReadOnlyAccess",
                "PolicyId": "ANPAILL3HVNFSB6DCOWYQ",
                "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "Path": "/",
                "DefaultVersionId": "v1",
                "AttachmentCount": 1,
                "PermissionsBoundaryUsageCount": 0,
                "IsAttachable": True,
                "CreateDate": DATE,
                "UpdateDate": DATE,
                "PolicyVersionList": [],
            },
        ],
    }


def run_import(
    server: LiveServer, path: Path, *extra: str, key: str = ROOT_KEY, secret: str = ROOT_SECRET
) -> subprocess.CompletedProcess[str]:
    """``iamd import PATH`` against the server, signed with ``key`` (the root's by default)."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run(
        [*IMPORT, str(path), "--endpoint-url", server.url, *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


def _doc(value: Any) -> Any:
    return value if isinstance(value, dict) else json.loads(value)


def _by(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: str(item[key]))


def comparable(details: dict[str, Any], names: set[str]) -> dict[str, Any]:
    """The parts of authorization details an import carries over, for the named entities."""
    users = [
        {
            "Path": u["Path"],
            "UserName": u["UserName"],
            "Arn": u["Arn"],
            "UserPolicyList": _by(
                [
                    {"PolicyName": p["PolicyName"], "PolicyDocument": _doc(p["PolicyDocument"])}
                    for p in u.get("UserPolicyList") or []
                ],
                "PolicyName",
            ),
            "GroupList": sorted(u["GroupList"]),
            "AttachedManagedPolicies": _by(u["AttachedManagedPolicies"], "PolicyArn"),
            "PermissionsBoundary": u.get("PermissionsBoundary") or None,
            "Tags": _by(u.get("Tags") or [], "Key"),
        }
        for u in details["UserDetailList"]
        if u["UserName"] in names
    ]
    groups = [
        {
            "Path": g["Path"],
            "GroupName": g["GroupName"],
            "Arn": g["Arn"],
            "GroupPolicyList": _by(
                [
                    {"PolicyName": p["PolicyName"], "PolicyDocument": _doc(p["PolicyDocument"])}
                    for p in g["GroupPolicyList"]
                ],
                "PolicyName",
            ),
            "AttachedManagedPolicies": _by(g["AttachedManagedPolicies"], "PolicyArn"),
        }
        for g in details["GroupDetailList"]
        if g["GroupName"] in names
    ]
    roles = [
        {
            "Path": r["Path"],
            "RoleName": r["RoleName"],
            "Arn": r["Arn"],
            "AssumeRolePolicyDocument": _doc(r["AssumeRolePolicyDocument"]),
            "InstanceProfileList": [
                {
                    "Path": p["Path"],
                    "InstanceProfileName": p["InstanceProfileName"],
                    "Arn": p["Arn"],
                    "Roles": [x["RoleName"] for x in p["Roles"]],
                }
                for p in r["InstanceProfileList"]
            ],
            "RolePolicyList": [
                {"PolicyName": p["PolicyName"], "PolicyDocument": _doc(p["PolicyDocument"])}
                for p in r["RolePolicyList"]
            ],
            "AttachedManagedPolicies": _by(r["AttachedManagedPolicies"], "PolicyArn"),
            "PermissionsBoundary": r.get("PermissionsBoundary") or None,
            "Tags": _by(r.get("Tags") or [], "Key"),
        }
        for r in details["RoleDetailList"]
        if r["RoleName"] in names
    ]
    policies = [
        {
            "PolicyName": p["PolicyName"],
            "Arn": p["Arn"],
            "Path": p["Path"],
            "DefaultVersionId": p["DefaultVersionId"],
            "Description": p.get("Description") or None,
            "PolicyVersionList": [
                (v["VersionId"], v["IsDefaultVersion"], _doc(v["Document"]))
                for v in _by(p["PolicyVersionList"], "VersionId")
            ],
        }
        for p in details["Policies"]
        if p["PolicyName"] in names and ":aws:policy/" not in p["Arn"]
    ]
    return {
        "users": _by(users, "UserName"),
        "groups": _by(groups, "GroupName"),
        "roles": _by(roles, "RoleName"),
        "policies": _by(policies, "PolicyName"),
    }


@pytest.fixture(scope="module")
def imported(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The file, written once per server."""
    path = tmp_path_factory.mktemp("import") / "account.json"
    data = authorization_details()
    path.write_text(json.dumps(data, indent=2))
    return {"path": path, "data": data}


def test_dry_run_changes_nothing(server: LiveServer, iam: Any, imported: dict[str, Any]) -> None:
    result = run_import(server, imported["path"], "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would call CreateUser(UserName=alice" in result.stdout
    assert "Summary (dry run, nothing changed):" in result.stdout
    assert "user: 2 created" in result.stdout
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        iam.get_user(UserName="alice")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"


def test_import_then_authorization_details_match_the_file(
    server: LiveServer, iam: Any, imported: dict[str, Any]
) -> None:
    result = run_import(server, imported["path"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "policy: 2 created" in result.stdout
    assert "user: 2 created" in result.stdout
    assert "role: 1 created, 1 skipped" in result.stdout
    assert "instance-profile: 1 created" in result.stdout
    assert "AWS managed policies: 1 not imported" in result.stdout

    target = server.account_id
    expected_data = json.loads(json.dumps(imported["data"]).replace(SOURCE, target))
    names = {"alice", "bob", "developers", "deployer", "app-read", "boundary"}
    details: dict[str, list[Any]] = {}
    for page in iam.get_paginator("get_account_authorization_details").paginate():
        for key, value in page.items():
            if isinstance(value, list):
                details.setdefault(key, []).extend(value)
    assert comparable(details, names) == comparable(expected_data, names)

    # Re-running changes nothing and says so.
    again = run_import(server, imported["path"])
    assert again.returncode == 0, again.stdout + again.stderr
    assert "created" not in again.stdout.split("Summary")[1]
    assert "user: 2 unchanged" in again.stdout

    # A changed document in the file is an update, and only that.
    changed = copy.deepcopy(imported["data"])
    changed["GroupDetailList"][0]["GroupPolicyList"][0]["PolicyDocument"] = doc(
        allow("iam:ListUsers"), allow("iam:ListGroups")
    )
    path = Path(imported["path"]).with_name("changed.json")
    path.write_text(json.dumps(changed))
    updated = run_import(server, path)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "group: 1 updated" in updated.stdout
    listed = iam.get_group_policy(GroupName="developers", PolicyName="list")["PolicyDocument"]
    assert len(listed["Statement"]) == 2


def test_a_caller_without_permission_is_refused_by_iamd(
    server: LiveServer, iam: Any, imported: dict[str, Any]
) -> None:
    """The import goes through authorization: a user with no policy gets AccessDenied."""
    iam.create_user(UserName="import-nobody")
    key = iam.create_access_key(UserName="import-nobody")["AccessKey"]
    result = run_import(
        server, imported["path"], key=key["AccessKeyId"], secret=key["SecretAccessKey"]
    )
    assert result.returncode != 0
    assert "AccessDenied" in result.stderr
