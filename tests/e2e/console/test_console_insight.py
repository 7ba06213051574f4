"""The console's security pages in a real browser: the dashboard's recommendations, the
credential report, Access Analyzer findings (archive), event history, and the access graph.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings-view.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events-console.html
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from e2e.console.console_client import USER_PASSWORD, make_user
from e2e.console.test_console_browser import ASSUME_ANY, sign_in_root
from support.live import LiveServer

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def test_dashboard_recommends_mfa_for_password_users(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    name = unique("nomfa")
    make_user(iam, name, password=USER_PASSWORD)
    sign_in_root(tab, server)
    tab.reload()
    text = tab.locator("main").inner_text()
    assert "Add MFA for the root user" in text
    assert "Users without MFA" in text
    tab.get_by_text("Users without MFA").locator("..").locator("summary").click()
    assert name in tab.locator("main").inner_text()
    shoot(tab, "dashboard-recommendations")


def test_credential_report_generates_and_downloads(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    sign_in_root(tab, server)
    tab.get_by_role("link", name="Credential report").click()
    tab.get_by_role("button", name="Generate report").click()
    tab.wait_for_url("**/console/credential-report?**")
    shown = tab.locator("#credential-report tbody tr td:first-child").all_inner_texts()
    assert "<root_account>" in shown
    shoot(tab, "credential-report")
    with tab.expect_download() as info:
        tab.get_by_role("link", name="Download report (.csv)").click()
    content = Path(info.value.path()).read_text()
    assert content.startswith("user,arn,user_creation_time,password_enabled")
    # The download is the report the page shows (a report is reused for four hours).
    assert [line.split(",")[0] for line in content.splitlines()[1:]] == shown


def test_analyzer_findings_can_be_archived(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    role = unique("shared")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                       "Action": "sts:AssumeRole"}],
    }  # fmt: skip
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    sign_in_root(tab, server)
    tab.get_by_role("link", name="Access Analyzer").click()
    if tab.get_by_label("Analyzer", exact=True).count() == 0:
        tab.get_by_label("Name", exact=True).fill(unique("external"))
        tab.get_by_role("button", name="Create analyzer").click()
        tab.wait_for_url("**/console/analyzer?**")
    row = tab.locator("#findings-table tr", has_text=role)
    row.wait_for()
    assert "ExternalAccess" in row.inner_text()
    shoot(tab, "analyzer")
    row.get_by_role("button", name="Archive").click()
    tab.wait_for_url("**status=ARCHIVED**")
    assert "ARCHIVED" in tab.locator("#findings-table tr", has_text=role).inner_text()


def test_event_history_filters_by_event_name(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    name = unique("evented")
    iam.create_user(UserName=name)
    server.app.recorder.flush()
    sign_in_root(tab, server)
    tab.get_by_role("link", name="Event history").click()
    tab.get_by_label("Lookup attribute").select_option("EventName")
    tab.get_by_label("Value").fill("CreateUser")
    tab.get_by_role("button", name="Filter").click()
    table = tab.locator("#events-table")
    names = table.locator("tbody tr td:first-child").all_inner_texts()
    assert names and set(names) == {"CreateUser"}
    assert name in (table.text_content() or "")
    shoot(tab, "event-history")
    tab.get_by_label("Value").fill("ConsoleLogin")
    tab.get_by_role("button", name="Filter").click()
    assert "ConsoleLogin" in tab.locator("#events-table").inner_text()


def test_access_graph_draws_trust_and_escalation_edges(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("the access graph is drawn by Graphviz: `sudo apt-get install -y graphviz`")
    role = unique("admin")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": server.account_id},
                       "Action": "sts:AssumeRole"}],
    }  # fmt: skip
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN)
    dev = unique("dev")
    iam.create_user(UserName=dev)
    iam.put_user_policy(UserName=dev, PolicyName="assume", PolicyDocument=json.dumps(ASSUME_ANY))
    sign_in_root(tab, server)
    tab.get_by_role("link", name="Access graph").click()
    svg = tab.locator("#access-graph svg")
    svg.wait_for()
    drawn = svg.inner_html()
    assert f"role/{role}" in drawn
    assert f"user/{dev}" in drawn
    assert "trusts" in drawn
    edges = tab.locator("#edge-list").text_content() or ""
    assert f"user/{dev}" in edges and "escalation" in edges
    shoot(tab, "access-graph")


def test_unused_access_findings_are_listed(
    server: LiveServer, iam: Any, tab: Any, shoot: Callable[..., Path], unique: Any
) -> None:
    """An unused-access analyzer's findings show on the same page: a role older than the
    tracking period that no session has used is an UnusedIAMRole finding.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-unused-access.html"""
    aa = server.client("accessanalyzer")
    analyzer = aa.create_analyzer(
        analyzerName=unique("unused"),
        type="ACCOUNT_UNUSED_ACCESS",
        configuration={"unusedAccess": {"unusedAccessAge": 7}},
    )["arn"]
    try:
        name = unique("idle")
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        }  # fmt: skip
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        with server.app.store.write() as tx:  # stands in for a month passing
            tx.roles.update(role["RoleId"], create_date=datetime.now(UTC) - timedelta(days=30))
        sign_in_root(tab, server)
        tab.goto(f"{server.url}/console/analyzer?analyzer={quote(analyzer, safe='')}&status=ACTIVE")
        row = tab.locator("#findings-table tr", has_text=name)
        row.wait_for()
        assert "UnusedIAMRole" in row.inner_text()
        shoot(tab, "analyzer-unused")
    finally:
        aa.delete_analyzer(analyzerName=analyzer.rsplit("/", 1)[1])
