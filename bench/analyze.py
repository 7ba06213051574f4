"""``iamd analyze`` on a large generated account, next to cloudsplaining and pmapper.

    .venv/bin/python bench/analyze.py [--runs 3] [--peer-runs 1] [--peer-timeout 600]

Generates (deterministic seed) the output of ``aws iam get-account-authorization-details`` for
an account of 5,000 principals (3,000 users, 2,000 roles, 150 groups) and 20,000 policies
(customer managed and inline), with a realistic mix: service-scoped grants on named
resources, some wildcards and conditions, denies, permissions boundaries, roles trusted by
services, by the account (some only with MFA), by other accounts and by GitHub's OIDC
provider, AWS managed policies from the catalog, and six planted escalation paths (plus one
that a boundary blocks).  A small account (200 principals, 800 policies) is measured first,
because pmapper does not finish the full one (nor one of 500 principals) in 15 minutes.

On each file it times, as separate processes (wall clock, start-up included):

- ``iamd analyze FILE --format json`` (admins, escalation paths, trust, grants), the median
  of ``--runs``; on the full account it must take under 30 s and find every planted path;
- ``cloudsplaining scan --input-file FILE`` (its per-policy risk report; no path search);
- pmapper (principalmapper 1.1.5).  ``pmapper graph create`` builds its graph from live AWS
  APIs only (``GetAccountAuthorizationDetails``, ``ListAccessKeys``, ``GetLoginProfile``,
  ``ListMFADevices`` through botocore, then each service's resources); it cannot read a file,
  and nothing local serves this account to it.  Its library can be fed the file, though: the
  gathering step takes any object with those client methods, and the edge checkers run
  "offline" with no session.  The bench does that in a separate process (answering one
  access key, no password, no MFA for every user: what the file cannot tell) and times graph
  building: admin status and IAM, STS, EC2, Lambda, CloudFormation, CodeBuild, SageMaker,
  SSM and Auto Scaling edges.  It compares path search with path search, not pmapper's CLI.

Peers run ``--peer-runs`` times (default once: they take minutes) and are stopped after
``--peer-timeout`` seconds, which is then reported as a lower bound of the ratio.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"
SEED = 20261123
LIMIT_SECONDS = 30.0

SERVICES: dict[str, tuple[list[str], str]] = {
    "s3": (["GetObject", "PutObject", "DeleteObject", "ListBucket"], "arn:aws:s3:::{app}-{env}/*"),
    "dynamodb": (
        ["GetItem", "PutItem", "Query", "Scan", "UpdateItem"],
        "arn:aws:dynamodb:us-east-1:{acct}:table/{app}-{env}",
    ),
    "sqs": (
        ["SendMessage", "ReceiveMessage", "DeleteMessage"],
        "arn:aws:sqs:us-east-1:{acct}:{app}-{env}",
    ),
    "sns": (["Publish"], "arn:aws:sns:us-east-1:{acct}:{app}-{env}"),
    "kms": (["Decrypt", "Encrypt", "GenerateDataKey"], "arn:aws:kms:us-east-1:{acct}:key/{uuid}"),
    "logs": (
        ["CreateLogStream", "PutLogEvents"],
        "arn:aws:logs:us-east-1:{acct}:log-group:/app/{app}-{env}:*",
    ),
    "secretsmanager": (
        ["GetSecretValue", "DescribeSecret"],
        "arn:aws:secretsmanager:us-east-1:{acct}:secret:{app}/{env}/*",
    ),
    "ssm": (["GetParameter", "GetParameters"], "arn:aws:ssm:us-east-1:{acct}:parameter/{app}/*"),
    "lambda": (["InvokeFunction"], "arn:aws:lambda:us-east-1:{acct}:function:{app}-{env}"),
    "ec2": (["DescribeInstances", "DescribeSubnets", "DescribeSecurityGroups"], "*"),
}
APPS = [f"app{n:03d}" for n in range(400)]
ENVS = ["dev", "test", "staging", "prod"]


class Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.policies: list[dict[str, Any]] = []
        self.users: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.inline_count = 0

    # -- documents

    def _arn(self, template: str) -> str:
        rng = self.rng
        return template.format(
            app=rng.choice(APPS),
            env=rng.choice(ENVS),
            acct=ACCOUNT,
            uuid=f"{rng.getrandbits(128):032x}",
        )

    def statement(self) -> dict[str, Any]:
        rng = self.rng
        service = rng.choice(list(SERVICES))
        names, template = SERVICES[service]
        roll = rng.random()
        if roll < 0.04:
            actions: list[str] | str = f"{service}:*"
        elif roll < 0.10:
            actions = f"{service}:Get*" if service != "ec2" else "ec2:Describe*"
        else:
            actions = [f"{service}:{a}" for a in rng.sample(names, rng.randint(1, len(names)))]
        if template == "*" or rng.random() < 0.06:
            resources: list[str] | str = "*"
        else:
            resources = [self._arn(template) for _ in range(rng.randint(1, 3))]
        out: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources}
        if rng.random() < 0.03:
            out["Effect"] = "Deny"
        if rng.random() < 0.10:
            out["Condition"] = rng.choice(
                [
                    {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}},
                    {"StringEquals": {"aws:PrincipalTag/team": rng.choice(APPS)}},
                    {"Bool": {"aws:SecureTransport": "true"}},
                    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                ]
            )
        return out

    def document(self) -> dict[str, Any]:
        rng = self.rng
        statements = [self.statement() for _ in range(rng.randint(1, 4))]
        roll = rng.random()
        if roll < 0.05:
            statements.append(
                {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}
            )
        elif roll < 0.07:
            role = f"arn:aws:iam::{ACCOUNT}:role/{rng.choice(APPS)}-lambda-*"
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": role,
                    "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
                }
            )
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": ["lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"],
                    "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{rng.choice(APPS)}-*",
                }
            )
        elif roll < 0.09:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Resource": f"arn:aws:iam::{ACCOUNT}:role/app{rng.randrange(400):03d}-ops",
                }
            )
        for i, s in enumerate(statements):
            s["Sid"] = f"S{i}"
        return {"Version": "2012-10-17", "Statement": statements}

    # -- entities

    def managed(self, name: str, document: dict[str, Any], versions: int = 1) -> str:
        arn = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
        docs = [document] + [self.document() for _ in range(versions - 1)]
        self.policies.append(
            {
                "PolicyName": name,
                "PolicyId": f"ANPA{len(self.policies):016d}",
                "Arn": arn,
                "Path": "/",
                "DefaultVersionId": "v1",
                "AttachmentCount": 0,
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
        )
        return arn

    def inline(self, name: str, document: dict[str, Any] | None = None) -> dict[str, Any]:
        self.inline_count += 1
        return {"PolicyName": name, "PolicyDocument": document or self.document()}

    @staticmethod
    def attached(arns: list[str]) -> list[dict[str, str]]:
        return [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in arns]

    def user(
        self,
        name: str,
        attached: list[str],
        groups: list[str],
        inline: list[dict[str, Any]] | None = None,
        boundary: str | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "Path": "/",
            "UserName": name,
            "UserId": f"AIDA{len(self.users):016d}",
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
            "CreateDate": "2024-01-01T00:00:00Z",
            "GroupList": groups,
            "AttachedManagedPolicies": self.attached(attached),
            "Tags": [{"Key": "team", "Value": self.rng.choice(APPS)}],
        }
        if inline:
            entry["UserPolicyList"] = inline
        if boundary:
            entry["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": boundary,
            }
        self.users.append(entry)

    def role(
        self,
        name: str,
        trust: dict[str, Any],
        attached: list[str],
        inline: list[dict[str, Any]] | None = None,
        boundary: str | None = None,
        profile: bool = False,
    ) -> None:
        arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        entry: dict[str, Any] = {
            "Path": "/",
            "RoleName": name,
            "RoleId": f"AROA{len(self.roles):016d}",
            "Arn": arn,
            "CreateDate": "2024-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": [
                {
                    "Path": "/",
                    "InstanceProfileName": name,
                    "InstanceProfileId": f"AIPA{len(self.roles):016d}",
                    "Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{name}",
                    "CreateDate": "2024-01-01T00:00:00Z",
                    "Roles": [],
                }
            ]
            if profile
            else [],
            "RolePolicyList": inline or [],
            "AttachedManagedPolicies": self.attached(attached),
            "Tags": [],
            "RoleLastUsed": {},
        }
        if boundary:
            entry["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": boundary,
            }
        self.roles.append(entry)

    def trust(self) -> tuple[dict[str, Any], bool]:
        rng = self.rng
        roll = rng.random()
        condition: dict[str, Any] | None = None
        if roll < 0.30:
            principal: dict[str, Any] = {"Service": "lambda.amazonaws.com"}
        elif roll < 0.45:
            principal = {"Service": "ec2.amazonaws.com"}
        elif roll < 0.60:
            principal = {"Service": "ecs-tasks.amazonaws.com"}
        elif roll < 0.85:
            principal = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
            if rng.random() < 0.5:
                condition = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        elif roll < 0.95:
            principal = {"AWS": f"arn:aws:iam::{ACCOUNT}:user/user{rng.randrange(3000):04d}"}
        elif roll < 0.98:
            principal = {"AWS": f"arn:aws:iam::{rng.randrange(10**11, 10**12)}:root"}
            condition = {"StringEquals": {"sts:ExternalId": f"ext-{rng.getrandbits(32):08x}"}}
        else:
            provider = "oidc-provider/token.actions.githubusercontent.com"
            principal = {"Federated": f"arn:aws:iam::{ACCOUNT}:{provider}"}
            condition = {
                "StringLike": {
                    "token.actions.githubusercontent.com:sub": f"repo:org/{rng.choice(APPS)}:*"
                },
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            }
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": principal,
            "Action": "sts:AssumeRoleWithWebIdentity"
            if "Federated" in principal
            else "sts:AssumeRole",
        }
        if condition:
            statement["Condition"] = condition
        return {"Version": "2012-10-17", "Statement": [statement]}, principal == {
            "Service": "ec2.amazonaws.com"
        }


def _aws_managed(names: list[str]) -> list[dict[str, Any]]:
    sys.path.insert(0, str(ROOT / "src"))
    from iamd.catalog import managed_policies

    loaded = managed_policies.load()
    if loaded is None:
        raise SystemExit("AWS managed policies are not fetched: run `make` first")
    by_name = {p.name: p for p in loaded[1]}
    out = []
    for name in names:
        p = by_name[name]
        out.append(
            {
                "PolicyName": p.name,
                "PolicyId": f"ANPA{abs(hash(p.name)) % 10**16:016d}",
                "Arn": p.arn,
                "Path": p.path,
                "DefaultVersionId": p.default_version_id,
                "AttachmentCount": 1,
                "PermissionsBoundaryUsageCount": 0,
                "IsAttachable": True,
                "CreateDate": p.create_date,
                "UpdateDate": p.update_date,
                "PolicyVersionList": [
                    {
                        "Document": json.loads(p.document),
                        "VersionId": p.default_version_id,
                        "IsDefaultVersion": True,
                        "CreateDate": p.update_date,
                    }
                ],
            }
        )
    return out


AWS_MANAGED = ["AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "AmazonS3ReadOnlyAccess"]
PLANTED = {
    "ci-deployer": "iam:PassRole+ec2:RunInstances to role ec2-admin",
    "helpdesk": "iam:CreateAccessKey on admin user admin-0",
    "ops-automation": "iam:PutRolePolicy on itself",
    "dev-lead": "sts:AssumeRole into ops-admin",
    "intern": "iam:AddUserToGroup into Admins",
    "policy-editor": "iam:CreatePolicyVersion on its own policy",
}


def generate(
    users: int = 3000, roles: int = 2000, groups: int = 150, policies: int = 20_000
) -> dict[str, Any]:
    g = Generator()
    rng = g.rng
    arn = f"arn:aws:iam::{ACCOUNT}"
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    boundary = g.managed(
        "DeveloperBoundary",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
            ],
        },
    )
    inline_target = policies // 7
    managed_target = policies - inline_target - 2
    pool = [
        g.managed(f"policy-{i:05d}", g.document(), 2 if rng.random() < 0.05 else 1)
        for i in range(managed_target)
    ]
    # Planted escalation methods.
    editable = g.managed(
        "policy-editor-self",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:CreatePolicyVersion",
                    "Resource": f"{arn}:policy/policy-editor-self",
                }
            ],
        },
    )
    group_names = ["Admins"] + [f"team-{i:03d}" for i in range(groups - 1)]
    g.groups.append(
        {
            "Path": "/",
            "GroupName": "Admins",
            "GroupId": "AGPA0000000000000000",
            "Arn": f"{arn}:group/Admins",
            "CreateDate": "2024-01-01T00:00:00Z",
            "GroupPolicyList": [],
            "AttachedManagedPolicies": g.attached([admin]),
        }
    )
    for i, name in enumerate(group_names[1:], 1):
        g.groups.append(
            {
                "Path": "/",
                "GroupName": name,
                "GroupId": f"AGPA{i:016d}",
                "Arn": f"{arn}:group/{name}",
                "CreateDate": "2024-01-01T00:00:00Z",
                "GroupPolicyList": [],
                "AttachedManagedPolicies": g.attached(rng.sample(pool, rng.randint(2, 6))),
            }
        )
    special_users = {
        "admin-0": ([], ["Admins"], None),
        "admin-1": ([], ["Admins"], None),
        "ci-deployer": (
            [],
            [],
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["iam:PassRole", "ec2:RunInstances"],
                        "Resource": "*",
                    }
                ],
            },
        ),
        "helpdesk": (
            [],
            [],
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:CreateAccessKey",
                        "Resource": f"{arn}:user/*",
                    }
                ],
            },
        ),
        "dev-lead": (
            [],
            [],
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Resource": f"{arn}:role/ops-admin",
                    }
                ],
            },
        ),
        "intern": (
            [],
            [],
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:AddUserToGroup",
                        "Resource": f"{arn}:group/Admins",
                    }
                ],
            },
        ),
        "policy-editor": ([editable], [], None),
        "sandbox": (
            [],
            [],
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:PutUserPolicy",
                        "Resource": f"{arn}:user/sandbox",
                    }
                ],
            },
        ),
    }
    for name, (attached, member_of, doc) in special_users.items():
        g.user(
            name,
            attached,
            member_of,
            [g.inline("inline", doc)] if doc else None,
            boundary if name == "sandbox" else None,
        )
    aws_pool = [
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    ]
    for i in range(users - len(special_users)):
        attached = rng.sample(pool, rng.randint(1, 4))
        if rng.random() < 0.05:
            attached.append(rng.choice(aws_pool))
        if rng.random() < 0.01:
            attached.append("arn:aws:iam::aws:policy/PowerUserAccess")
        member_of = rng.sample(group_names[1:], rng.choice([0, 1, 1, 2]))
        inline = (
            [g.inline("inline")] if g.inline_count < inline_target and rng.random() < 0.5 else None
        )
        g.user(
            f"user{i:04d}", attached, member_of, inline, boundary if rng.random() < 0.05 else None
        )
    special_roles: list[tuple[str, dict[str, Any], list[str], dict[str, Any] | None, bool]] = [
        (
            "ec2-admin",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            [admin],
            None,
            True,
        ),
        (
            "ops-admin",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"{arn}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            [admin],
            None,
            False,
        ),
        (
            "breakglass",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"{arn}:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                ],
            },
            [admin],
            None,
            False,
        ),
        (
            "ops-automation",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            [],
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:PutRolePolicy",
                        "Resource": f"{arn}:role/ops-automation",
                    }
                ],
            },
            False,
        ),
    ]
    for name, trust, attached, doc, profile in special_roles:
        g.role(name, trust, attached, [g.inline("inline", doc)] if doc else None, None, profile)
    for i in range(roles - len(special_roles)):
        trust, ec2 = g.trust()
        name = f"{rng.choice(APPS)}-{'lambda' if rng.random() < 0.3 else 'svc'}-{i:04d}"
        if rng.random() < 0.02:
            name = f"app{rng.randrange(400):03d}-ops"
        inline = (
            [g.inline("inline")] if g.inline_count < inline_target and rng.random() < 0.6 else None
        )
        g.role(
            name,
            trust,
            rng.sample(pool, rng.randint(1, 5)),
            inline,
            boundary if rng.random() < 0.10 else None,
            profile=ec2 and rng.random() < 0.7,
        )
    while g.inline_count < inline_target:  # top up inline policies on users
        g.users[rng.randrange(len(g.users))].setdefault("UserPolicyList", []).append(
            g.inline(f"extra{g.inline_count}")
        )
    g.policies.extend(_aws_managed(AWS_MANAGED))
    return {
        "UserDetailList": g.users,
        "GroupDetailList": g.groups,
        "RoleDetailList": g.roles,
        "Policies": g.policies,
        "IsTruncated": False,
    }


# --- runners -----------------------------------------------------------------------------------


def _run(
    cmd: list[str], cwd: Path, timeout: float, stdout: Path | None = None
) -> tuple[float, int | None, str]:
    """Wall-clock seconds, exit status (None on timeout) and stdout text of one process."""
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - started, None, ""
    elapsed = time.perf_counter() - started
    if stdout is not None:
        stdout.write_bytes(proc.stdout)
    return elapsed, proc.returncode, proc.stdout.decode(errors="replace").strip()


PMAPPER_SCRIPT = r"""
import collections, collections.abc, json, sys, logging
# pmapper 1.1.5 imports aliases Python 3.10 removed (as in bench/peers/pmapper.py).
for name in ("Mapping", "MutableMapping", "Sequence", "Iterable", "Callable"):
    if not hasattr(collections, name):
        setattr(collections, name, getattr(collections.abc, name))
logging.disable(logging.CRITICAL)
from principalmapper.graphing import gathering, edge_identification

class Pages:
    def __init__(self, page): self.page = page
    def paginate(self, **kwargs): yield self.page

class FileClient:
    # What the file cannot tell is answered as iamd assumes without a credential report:
    # one access key, no console password, no MFA device.
    def __init__(self, data): self.data = data
    def get_paginator(self, name):
        if name == "list_virtual_mfa_devices":
            return Pages({"VirtualMFADevices": []})
        assert name == "get_account_authorization_details"
        return Pages(self.data)
    def list_access_keys(self, UserName): return {"AccessKeyMetadata": [{}]}
    def get_login_profile(self, UserName): raise Exception("NoSuchEntity")
    def list_mfa_devices(self, UserName): return {"MFADevices": []}

data = json.load(open(sys.argv[1]))
result = gathering.get_nodes_groups_and_policies(FileClient(data))
nodes = result["nodes"]
gathering.update_admin_status(nodes)
checks = ["autoscaling", "cloudformation", "codebuild", "ec2", "iam", "lambda", "sagemaker",
          "ssm", "sts"]
edges = edge_identification.obtain_edges(None, checks, nodes)
print(json.dumps({"nodes": len(nodes), "admins": sum(n.is_admin for n in nodes),
                  "edges": len(edges)}))
"""


def _peer(
    name: str, cmd: list[str], cwd: Path, runs: int, timeout: float, iamd_time: float, remark: str
) -> None:
    times = []
    summary = ""
    for _ in range(runs):
        seconds, code, out = _run(cmd, cwd, timeout)
        if code is None:
            print(
                f"  {name:<15} did not finish in {timeout:.0f} s "
                f"(iamd is more than {timeout / iamd_time:.0f}x faster)"
            )
            return
        if code != 0:
            print(f"  {name:<15} failed with exit status {code}")
            return
        times.append(seconds)
        summary = out.splitlines()[-1] if out.startswith("{") else ""
    peer = statistics.median(times)
    print(
        f"  {name:<15} {peer:7.2f} s median of {runs}  (iamd is {peer / iamd_time:.1f}x faster; "
        f"{remark}) {summary}"
    )


def compare(path: Path, work: Path, args: argparse.Namespace, planted: bool) -> int:
    """Time iamd and its peers on one account file; returns 0 when iamd's checks pass."""
    data = json.loads(path.read_text())
    principals = len(data["UserDetailList"]) + len(data["RoleDetailList"])
    inline = sum(
        len(e.get("UserPolicyList", e.get("RolePolicyList", e.get("GroupPolicyList", []))))
        for e in data["UserDetailList"] + data["RoleDetailList"] + data["GroupDetailList"]
    )
    print(
        f"account: {principals} principals, {len(data['GroupDetailList'])} groups, "
        f"{len(data['Policies'])} managed + {inline} inline = "
        f"{len(data['Policies']) + inline} policies, {path.stat().st_size / 1e6:.1f} MB"
    )
    times = []
    result = work / "iamd.json"
    cmd = [str(BIN / "iamd"), "analyze", str(path), "--format", "json", "--fail-on", "critical"]
    for _ in range(args.runs):
        seconds, code, _ = _run(cmd, ROOT, 600, result)
        if code not in (0, 1):
            print(f"  iamd analyze failed with exit status {code}")
            return 2
        times.append(seconds)
    iamd_time = statistics.median(times)
    report = json.loads(result.read_text())
    paths = [f for f in report["findings"] if f["rule"] == "PRIVILEGE_ESCALATION"]
    found = {f["resource"].rsplit("/", 1)[-1] for f in paths}
    print(
        f"  {'iamd analyze':<15} {iamd_time:7.2f} s median of {args.runs}  "
        f"({report['stats']['admins']} admins, {len(paths)} escalation paths, "
        f"{len(report['findings'])} findings)"
    )
    status = 0
    if planted:
        missing = sorted(set(PLANTED) - found)
        print(
            f"  planted paths found: {len(PLANTED) - len(missing)}/{len(PLANTED)}"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
        if "sandbox" in found:
            print("  WRONG: the boundary-blocked user 'sandbox' has a path")
        met = iamd_time < LIMIT_SECONDS
        print(f"  limit {LIMIT_SECONDS:.0f} s: {'met' if met else 'NOT met'}")
        status = 0 if met and not missing and "sandbox" not in found else 1
    if args.skip_peers:
        return status
    cloudsplaining = shutil.which("cloudsplaining", path=str(BIN))
    if cloudsplaining is None:
        print("  cloudsplaining: not installed (pip install -e '.[bench]')")
    else:
        out_dir = work / "cloudsplaining"
        out_dir.mkdir(exist_ok=True)
        _peer(
            "cloudsplaining",
            [
                cloudsplaining,
                "scan",
                "--input-file",
                str(path),
                "--output",
                str(out_dir),
                "--skip-open-report",
            ],
            work,
            args.peer_runs,
            args.peer_timeout,
            iamd_time,
            "per-policy risks, no path search",
        )
    _peer(
        "pmapper",
        [sys.executable, "-c", PMAPPER_SCRIPT, str(path)],
        work,
        args.peer_runs,
        args.peer_timeout,
        iamd_time,
        "graph and edges from the file through its library",
    )
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of iamd (median)")
    parser.add_argument("--peer-runs", type=int, default=1, help="runs of each peer")
    parser.add_argument("--peer-timeout", type=float, default=600, help="seconds per peer run")
    parser.add_argument("--keep", type=Path, help="a directory to keep the generated accounts in")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--skip-small", action="store_true", help="only the full-size account")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="iamd-bench-analyze-"))
    work.mkdir(parents=True, exist_ok=True)
    status = 0
    if not args.skip_small:
        print("A small account (200 principals), where every peer finishes:")
        small = work / "account-small.json"
        small.write_text(json.dumps(generate(users=120, roles=80, groups=10, policies=800)))
        compare(small, work, args, planted=False)
    print("The full account (5,000 principals, 20,000 policies):")
    full = work / "account.json"
    full.write_text(json.dumps(generate()))
    status = compare(full, work, args, planted=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
