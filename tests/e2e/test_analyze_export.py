"""``iamd analyze`` on a real export: an account built through the IAM API, exported with
``aws iam get-account-authorization-details`` (the aws CLI), analysed offline.

https://docs.aws.amazon.com/cli/latest/reference/iam/get-account-authorization-details.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iamd.cli.main import main
from support.live import LiveServer

from .test_aws_cli import aws, ok


def _policy(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_cli_export_yields_the_paths_built_into_the_account(
    server: LiveServer,
    iam: Any,
    tmp_path: Path,
    unique: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    account = server.account_id
    admin_role = unique("admin")
    iam.create_role(
        RoleName=admin_role,
        AssumeRolePolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ),
    )
    iam.attach_role_policy(
        RoleName=admin_role, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    climber = unique("climber")
    iam.create_user(UserName=climber)
    iam.put_user_policy(
        UserName=climber,
        PolicyName="assume",
        PolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:aws:iam::{account}:role/{admin_role}",
            }
        ),
    )
    bounded = unique("bounded")
    boundary = iam.create_policy(
        PolicyName=unique("s3only"),
        PolicyDocument=_policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
    )["Policy"]["Arn"]
    iam.create_user(UserName=bounded, PermissionsBoundary=boundary)
    iam.put_user_policy(
        UserName=bounded,
        PolicyName="self",
        PolicyDocument=_policy(
            {
                "Effect": "Allow",
                "Action": "iam:PutUserPolicy",
                "Resource": f"arn:aws:iam::{account}:user/{bounded}",
            }
        ),
    )

    export = ok(aws(server, tmp_path, "iam", "get-account-authorization-details"))
    path = tmp_path / "account.json"
    path.write_text(json.dumps(export))
    code = main(["analyze", str(path), "--format", "json"])
    body = json.loads(capsys.readouterr().out)

    assert code == 1
    paths = {
        f["resource"].rsplit("/", 1)[-1]: [
            (s["method"], s["gains"].rsplit("/", 1)[-1]) for s in f["details"]["steps"]
        ]
        for f in body["findings"]
        if f["rule"] == "PRIVILEGE_ESCALATION"
    }
    assert paths[climber] == [("sts:AssumeRole", admin_role)]
    assert bounded not in paths, "the boundary stops the self-grant"
    admins = {f["resource"] for f in body["findings"] if f["rule"] == "ADMIN_PRINCIPAL"}
    assert f"arn:aws:iam::{account}:role/{admin_role}" in admins
