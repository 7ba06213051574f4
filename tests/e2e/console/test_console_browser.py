"""The console in a real browser (Chromium via Playwright) against a live iamd.

Each test saves screenshots of the pages it visits under test-artifacts/console/.
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-console.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from e2e.console.console_client import ROOT_PASSWORD, USER_PASSWORD, fresh_code, make_user, set_root
from support.live import LiveServer

AWS_CLI = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "aws"
OTHER_ACCOUNT = "444455556666"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ASSUME_ANY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}


def sign_in(tab: Any, server: LiveServer, user: str | None, password: str) -> None:
    tab.goto(f"{server.url}/console/signin")
    if user is None:
        tab.get_by_role("radio", name="Root user").check()
    tab.get_by_label("Account ID (12 digits) or account alias").fill(server.account_id)
    if user is not None:
        tab.get_by_label("IAM user name").fill(user)
    tab.get_by_label("Password", exact=True).fill(password)
    tab.get_by_role("button", name="Sign in").click()


def sign_in_root(tab: Any, server: LiveServer) -> None:
    set_root(server)
    sign_in(tab, server, None, ROOT_PASSWORD)
    tab.wait_for_url("**/console/")


def _trust_of(iam: Any, role: str) -> dict[str, Any]:
    document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    return document if isinstance(document, dict) else json.loads(unquote(document))


def _role(iam: Any, name: str, trust_account: str, policies: tuple[str, ...] = ()) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{trust_account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    for policy in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return arn


def _assume(user_client: Callable[..., Any], arn: str, session: str) -> dict[str, Any]:
    """Credentials of a session of ``arn``, assumed by a fresh IAM user (root may not)."""
    sts = user_client(ASSUME_ANY, service="sts")
    credentials: dict[str, Any] = sts.assume_role(RoleArn=arn, RoleSessionName=session)[
        "Credentials"
    ]
    return credentials


def test_user_with_mfa_signs_in(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    name = unique("alice")
    totp = make_user(iam, name, mfa=True, policies=(READ_ONLY,))
    assert totp is not None
    tab.goto(f"{server.url}/console/signin")
    shoot(tab, "signin")
    sign_in(tab, server, name, USER_PASSWORD)
    tab.wait_for_url("**/console/signin/mfa")
    shoot(tab, "signin-mfa")
    tab.get_by_label("MFA code").fill(fresh_code(totp))
    tab.get_by_role("button", name="Submit").click()
    tab.wait_for_url("**/console/")
    assert f":user/{name}" in tab.locator(".identity").inner_text()
    assert "with MFA" in tab.locator("main").inner_text()
    shoot(tab, "dashboard")
    tab.get_by_role("link", name="Users", exact=True).click()
    tab.wait_for_url("**/console/users")
    assert tab.get_by_role("link", name=name).is_visible()
    shoot(tab, "users")


def test_create_role_wizard_for_another_account_with_power_user(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    name = unique("wizard")
    sign_in_root(tab, server)
    tab.get_by_role("link", name="Roles", exact=True).click()
    shoot(tab, "roles")
    tab.get_by_role("link", name="Create role").click()
    tab.get_by_label("Another AWS account").check()
    tab.get_by_label("Account ID", exact=True).fill(OTHER_ACCOUNT)
    tab.get_by_label("Require MFA").check()
    shoot(tab, "role-wizard-trust")
    tab.get_by_role("button", name="Next").click()
    tab.get_by_label("Filter policies").fill("poweruseraccess")
    tab.get_by_label("PowerUserAccess", exact=False).first.check()
    shoot(tab, "role-wizard-permissions")
    tab.get_by_role("button", name="Next").click()
    tab.get_by_label("Role name").fill(name)
    tab.get_by_label("Description").fill("Made by the wizard")
    assert OTHER_ACCOUNT in tab.locator("#review-trust").inner_text()
    assert POWER_USER in tab.locator("#review-policies").inner_text()
    shoot(tab, "role-wizard-review")
    tab.get_by_role("button", name="Create role").click()
    tab.wait_for_url(f"**/console/roles/{name}?**")
    shoot(tab, "role")
    trust = _trust_of(iam, name)["Statement"][0]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [POWER_USER]


def test_trust_policy_with_a_mistake_shows_the_finding(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    name = unique("trusty")
    _role(iam, name, server.account_id)
    before = _trust_of(iam, name)
    sign_in_root(tab, server)
    tab.goto(f"{server.url}/console/roles/{name}?tab=trust")
    editor = tab.get_by_label("Trust policy (JSON)", exact=False)
    broken = json.dumps(before, indent=2).replace('"sts:AssumeRole"', '"sts:AssumeRol"')
    editor.fill(broken)
    # Findings appear as one types, before anything is submitted.
    finding = tab.locator("#trust-findings .finding").first
    finding.wait_for()
    live = finding.inner_text()
    assert "sts:AssumeRol" in live or "AssumeRol" in live
    shoot(tab, "role-trust-finding")
    editor.fill(json.dumps(before, indent=2).replace('"Allow"', '"Allw"'))
    tab.get_by_role("button", name="Update policy").click()
    assert tab.locator("#trust-findings .finding-error").first.is_visible()
    assert "ERROR" in tab.locator("#trust-findings").inner_text()
    assert _trust_of(iam, name) == before


def test_access_advisor_tab_after_api_calls(
    server: LiveServer,
    iam: Any,
    tab: Any,
    shoot: Callable[..., Path],
    unique: Any,
    user_client: Callable[..., Any],
) -> None:
    name = unique("advised")
    arn = _role(iam, name, server.account_id, (READ_ONLY,))
    creds = _assume(user_client, arn, "advisor")
    as_role = server.client(
        "iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    )
    as_role.list_users()
    server.app.recorder.flush()
    sign_in_root(tab, server)
    tab.goto(f"{server.url}/console/roles/{name}?tab=advisor")
    table = tab.locator("#advisor")
    table.wait_for()
    row = table.locator("tr", has_text="iam").first
    assert "Not accessed" not in row.inner_text()
    shoot(tab, "role-access-advisor")


def test_revoke_sessions_denies_an_old_session_in_the_cli(
    server: LiveServer,
    iam: Any,
    tab: Any,
    shoot: Callable[..., Path],
    unique: Any,
    user_client: Callable[..., Any],
) -> None:
    name = unique("revoked")
    arn = _role(iam, name, server.account_id, (READ_ONLY,))
    creds = _assume(user_client, arn, "old")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    command = [str(AWS_CLI), "--endpoint-url", server.url, "iam", "list-roles", "--max-items", "1"]

    def cli() -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    assert cli().returncode == 0
    time.sleep(1.1)  # aws:TokenIssueTime has whole seconds
    sign_in_root(tab, server)
    tab.goto(f"{server.url}/console/roles/{name}?tab=revoke")
    shoot(tab, "role-revoke")
    tab.get_by_role("button", name="Revoke active sessions").click()
    tab.wait_for_url("**tab=revoke**")
    assert "revoked" in tab.locator(".notice").inner_text()
    denied = cli()
    assert denied.returncode != 0
    assert "AccessDenied" in denied.stderr


def test_switch_role_shows_the_banner_and_acts_as_the_role(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    role = unique("ops")
    _role(iam, role, server.account_id, (READ_ONLY,))
    user = unique("switcher")
    make_user(iam, user)
    iam.put_user_policy(UserName=user, PolicyName="switch", PolicyDocument=json.dumps(ASSUME_ANY))
    sign_in(tab, server, user, USER_PASSWORD)
    tab.wait_for_url("**/console/")
    tab.get_by_role("link", name="Switch role").click()
    tab.get_by_label("Role name").fill(role)
    tab.get_by_label("Display name").fill("Ops read-only")
    tab.get_by_label("Red").check()
    shoot(tab, "switch-role")
    tab.get_by_role("button", name="Switch role").click()
    tab.wait_for_url("**/console/**")
    banner = tab.locator("#role-banner")
    assert "Ops read-only" in banner.inner_text()
    assert server.account_id in banner.inner_text()
    assert "banner-red" in (banner.get_attribute("class") or "")
    # As the role, the users list opens (the user alone may not list users) ...
    tab.get_by_role("link", name="Users", exact=True).click()
    assert tab.locator("#role-banner").is_visible()
    assert tab.locator("#aws-error").count() == 0
    shoot(tab, "switched-users")
    # ... and back as the user, it is denied.
    tab.get_by_role("button", name=f"Back to {user}").click()
    tab.wait_for_url("**/console/**")
    assert tab.locator("#role-banner").count() == 0


def test_denied_action_shows_aws_message(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    user = unique("denied")
    make_user(iam, user)
    sign_in(tab, server, user, USER_PASSWORD)
    tab.wait_for_url("**/console/")
    tab.get_by_role("link", name="Roles", exact=True).click()
    message = tab.locator("#aws-error").inner_text()
    assert "AccessDenied" in message
    assert (
        f"User: arn:aws:iam::{server.account_id}:user/{user} is not authorized to perform: "
        "iam:ListRoles" in message
    )
    assert "Traceback" not in tab.content()
    shoot(tab, "access-denied")


@pytest.mark.parametrize("path,name", [
    ("/console/policies?scope=AWS", "policies"),
    ("/console/policies/new", "policy-editor"),
    ("/console/groups", "groups"),
    ("/console/simulator", "simulator"),
])  # fmt: skip
def test_main_pages_render(
    server: LiveServer, tab: Any, shoot: Callable[..., Path], path: str, name: str
) -> None:
    sign_in_root(tab, server)
    response = tab.goto(f"{server.url}{path}")
    assert response.status == 200
    assert tab.locator("h1").first.is_visible()
    shoot(tab, name)


def test_user_lifecycle_keys_mfa_and_delete(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    """Create a user with a console password, give it an access key (the secret shown once,
    as AWS's .csv) and a virtual MFA device from its QR code's seed, then delete it with
    everything DeleteUser requires removed first."""
    import pyotp

    name = unique("life")
    sign_in_root(tab, server)
    tab.goto(f"{server.url}/console/users/new")
    tab.get_by_label("User name").fill(name)
    tab.get_by_label("Console password").fill(USER_PASSWORD)
    tab.get_by_role("button", name="Create user").click()
    tab.wait_for_url(f"**/console/users/{name}?**")
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["IAMUserChangePassword"]
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"]
    tab.get_by_role("link", name="Security credentials").click()
    tab.get_by_role("button", name="Create access key").click()
    key_id = tab.locator("#access-key-id").inner_text()
    secret = tab.locator("#secret-access-key").inner_text()
    shoot(tab, "user-access-key")
    with tab.expect_download() as info:
        tab.get_by_role("link", name="Download .csv file").click()
    assert info.value.suggested_filename == f"{name}_accessKeys.csv"
    assert Path(info.value.path()).read_text() == (
        f"Access key ID,Secret access key\n{key_id},{secret}\n"
    )
    keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key_id]
    # Reloading never shows the secret again.
    tab.goto(f"{server.url}/console/users/{name}?tab=credentials")
    assert secret not in tab.content()
    tab.get_by_role("button", name="Assign virtual MFA device").click()
    assert tab.get_by_role("img", name="QR code", exact=False).is_visible()
    shoot(tab, "user-mfa-qr")
    totp = pyotp.TOTP(tab.locator("#mfa-seed").text_content() or "")
    now = time.time()
    tab.get_by_label("MFA code 1").fill(totp.at(now - 30))
    tab.get_by_label("MFA code 2").fill(totp.at(now))
    tab.get_by_role("button", name="Add MFA").click()
    tab.wait_for_url("**tab=credentials**")
    assert len(iam.list_mfa_devices(UserName=name)["MFADevices"]) == 1
    tab.get_by_role("link", name="Delete user").click()
    preconditions = tab.locator(".preconditions").inner_text()
    assert key_id in preconditions and "IAMUserChangePassword" in preconditions
    shoot(tab, "user-delete")
    tab.get_by_role("button", name="Delete user").click()
    tab.wait_for_url("**/console/users?**")
    assert name not in [u["UserName"] for u in iam.list_users()["Users"]]


def test_policy_editor_findings_versions_and_default(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    name = unique("editor")
    sign_in_root(tab, server)
    tab.goto(f"{server.url}/console/policies/new")
    editor = tab.get_by_label("Policy editor (JSON)", exact=False)
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}],
    }
    editor.fill(json.dumps(document, indent=2))
    finding = tab.locator("#policy-findings .finding").first
    finding.wait_for()
    assert "s3:GetObjekt" in finding.inner_text()
    shoot(tab, "policy-editor-finding")
    document["Statement"][0]["Action"] = "s3:GetObject"  # type: ignore[index]
    editor.fill(json.dumps(document, indent=2))
    tab.get_by_label("Policy name").fill(name)
    tab.get_by_role("button", name="Create policy").click()
    tab.wait_for_url("**/console/policies/view?**")
    arn = f"arn:aws:iam::{server.account_id}:policy/{name}"
    document["Statement"][0]["Action"] = "s3:PutObject"  # type: ignore[index]
    tab.get_by_label("Policy editor (JSON)", exact=False).fill(json.dumps(document, indent=2))
    tab.get_by_role("button", name="Save new version").click()
    tab.wait_for_url("**/console/policies/view?**")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert "s3:PutObject" in tab.locator("#policy-document").inner_text()
    tab.get_by_role("button", name="Set as default").click()
    tab.wait_for_url("**/console/policies/view?**")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    assert "s3:GetObject" in tab.locator("#policy-document").inner_text()
    shoot(tab, "policy-versions")


def test_simulator_explains_each_decision(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    user = unique("simulated")
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        ],
    }
    iam.put_user_policy(UserName=user, PolicyName="reader", PolicyDocument=json.dumps(policy))
    sign_in_root(tab, server)
    tab.goto(f"{server.url}/console/simulator")
    tab.get_by_label("Principal").fill(f"arn:aws:iam::{server.account_id}:user/{user}")
    tab.get_by_label("Actions (one per line)").fill("s3:GetObject\ns3:DeleteObject\ns3:PutObject")
    tab.get_by_role("button", name="Run simulation").click()
    rows = tab.locator("#simulation-results tbody tr")
    rows.first.wait_for()
    by_action = {r.locator("td").first.inner_text(): r.inner_text() for r in rows.all()}
    assert "allowed" in by_action["s3:GetObject"] and "reader" in by_action["s3:GetObject"]
    assert "explicitDeny" in by_action["s3:DeleteObject"]
    # SourcePolicyId names an inline user policy as AWS does: user_<user>_<policy>.
    assert (
        f"Explicitly denied by a Deny statement in user_{user}_reader"
        in by_action["s3:DeleteObject"]
    )
    assert "Implicitly denied" in by_action["s3:PutObject"]
    shoot(tab, "simulator-results")


def test_group_members_and_policies(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    group, user = unique("team"), unique("member")
    iam.create_user(UserName=user)
    sign_in_root(tab, server)
    tab.goto(f"{server.url}/console/groups")
    tab.get_by_label("New group name").fill(group)
    tab.get_by_role("button", name="Create group").click()
    tab.wait_for_url(f"**/console/groups/{group}?**")
    tab.get_by_label("Add user").fill(user)
    tab.get_by_role("button", name="Add", exact=True).click()
    tab.wait_for_url(f"**/console/groups/{group}?**")
    tab.get_by_label("Attach policy (name or ARN)").fill("ReadOnlyAccess")
    tab.get_by_role("button", name="Attach").click()
    tab.wait_for_url(f"**/console/groups/{group}?**")
    assert tab.get_by_role("link", name=user).is_visible()
    assert tab.get_by_role("link", name="ReadOnlyAccess", exact=True).is_visible()
    shoot(tab, "group")
    members = iam.get_group(GroupName=group)["Users"]
    assert [m["UserName"] for m in members] == [user]
    attached = iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
