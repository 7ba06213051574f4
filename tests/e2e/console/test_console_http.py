"""The console over plain HTTP: sign-in for root and IAM users (MFA, forced password change),
sessions, CSRF, cookie flags, throttling, sign-out, ConsoleLogin events, and AWS's
AccessDenied message on a page.

ConsoleLogin's format:
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from e2e.console.console_client import (
    ROOT_PASSWORD,
    USER_PASSWORD,
    ConsoleClient,
    fresh_code,
    make_user,
    set_root,
)
from iamd.store.repos.audit_events import AuditEvents, AuditFilter
from support.live import LiveServer

CHANGE_PASSWORD = "arn:aws:iam::aws:policy/IAMUserChangePassword"


@pytest.fixture
def console(server: LiveServer) -> ConsoleClient:
    set_root(server)
    return ConsoleClient(server.url)


def _events(server: LiveServer, name: str) -> list[dict[str, Any]]:
    server.app.recorder.flush()
    with server.app.store.read() as tx:
        stored = tx.repo(AuditEvents).list(AuditFilter(event_name=name), limit=500)
    return [s.event for s in stored]


def test_root_signs_in_and_the_cookie_is_http_only_and_same_site(
    server: LiveServer, console: ConsoleClient
) -> None:
    reply = console.sign_in(server.account_id, None, ROOT_PASSWORD)
    assert reply.status == 303
    assert reply.header("location") == "/console/"
    session_cookie = next(c for c in reply.cookies() if c.startswith("iamd_console="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Path=/console" in session_cookie
    assert "Secure" not in session_cookie  # plain HTTP: a Secure cookie would never come back
    page = console.get("/console/")
    assert page.status == 200
    assert f"arn:aws:iam::{server.account_id}:root" in page.text
    assert "frame-ancestors 'none'" in (page.header("content-security-policy") or "")


def test_cookie_is_secure_behind_tls(server: LiveServer, console: ConsoleClient) -> None:
    """Behind a trusted TLS-terminating proxy (X-Forwarded-Proto: https) the cookie is Secure."""
    app_console = server.app.console
    trusts = app_console.trusts
    app_console.trusts = lambda peer: True
    try:
        page = console.get("/console/signin", headers={"x-forwarded-proto": "https"})
        form = {"csrf": page.csrf, "kind": "root", "account": server.account_id,
                "password": ROOT_PASSWORD}  # fmt: skip
        reply = console.post("/console/signin", form, headers={"x-forwarded-proto": "https"})
    finally:
        app_console.trusts = trusts
    session_cookie = next(c for c in reply.cookies() if c.startswith("iamd_console="))
    assert "Secure" in session_cookie


def test_wrong_password_is_refused_with_aws_message(
    server: LiveServer, console: ConsoleClient
) -> None:
    reply = console.sign_in(server.account_id, None, "not-the-password")
    assert reply.status == 401
    assert "Your authentication information is incorrect" in reply.text
    assert console.get("/console/").status == 303


def test_unauthenticated_pages_redirect_to_sign_in(server: LiveServer) -> None:
    reply = ConsoleClient(server.url).get("/console/users")
    assert reply.status == 303
    assert reply.header("location") == "/console/signin"


def test_sign_in_form_needs_its_csrf_token(server: LiveServer, console: ConsoleClient) -> None:
    form = {"kind": "root", "account": server.account_id, "password": ROOT_PASSWORD}
    reply = console.post("/console/signin", form)
    assert reply.status == 403
    assert "iamd_console" not in console.cookies


def test_forms_without_the_session_csrf_token_are_refused(
    server: LiveServer, console: ConsoleClient, iam: Any, unique: Callable[[str], str]
) -> None:
    console.sign_in(server.account_id, None, ROOT_PASSWORD)
    name = unique("csrf")
    missing = console.post("/console/users/new", {"name": name})
    forged = console.post("/console/users/new", {"name": name, "csrf": "forged"})
    assert missing.status == forged.status == 403
    assert "security token" in missing.text
    names = [u["UserName"] for u in iam.list_users()["Users"]]
    assert name not in names
    made = console.submit("/console/users/new", {"name": name}, page="/console/users/new")
    assert made.status == 303
    assert iam.get_user(UserName=name)["User"]["UserName"] == name


def test_sign_out_ends_the_session_on_the_server(
    server: LiveServer, console: ConsoleClient
) -> None:
    console.sign_in(server.account_id, None, ROOT_PASSWORD)
    stolen = dict(console.cookies)
    reply = console.submit("/console/signout", {})
    assert reply.status == 303
    assert "iamd_console" not in console.cookies
    replay = ConsoleClient(server.url, stolen).get("/console/")
    assert replay.status == 303
    assert replay.header("location") == "/console/signin"


def test_sessions_expire(server: LiveServer, console: ConsoleClient) -> None:
    sessions = server.app.console.sessions
    ttl = sessions.ttl
    sessions.ttl = timedelta(seconds=1)
    try:
        console.sign_in(server.account_id, None, ROOT_PASSWORD)
        assert console.get("/console/").status == 200
        time.sleep(1.3)
        assert console.get("/console/").status == 303
    finally:
        sessions.ttl = ttl


def test_repeated_failures_are_throttled(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    name = unique("throttled")
    make_user(iam, name)
    client = ConsoleClient(server.url)
    for _ in range(5):
        assert client.sign_in(server.account_id, name, "Wrong-Passw0rd!").status == 401
    blocked = client.sign_in(server.account_id, name, USER_PASSWORD)
    assert blocked.status == 429
    assert "Too many failed sign-in attempts" in blocked.text
    failures = [
        e for e in _events(server, "ConsoleLogin")
        if e["userIdentity"].get("userName") == name
    ]  # fmt: skip
    assert len(failures) == 6
    assert all(e["responseElements"] == {"ConsoleLogin": "Failure"} for e in failures)


def test_iam_user_with_mfa_signs_in_and_a_code_works_once(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    name = unique("mfa")
    totp = make_user(iam, name, mfa=True)
    assert totp is not None
    client = ConsoleClient(server.url)
    reply = client.sign_in(server.account_id, name, USER_PASSWORD)
    assert reply.header("location") == "/console/signin/mfa"
    # Until the code is given, the session opens nothing.
    assert client.get("/console/").header("location") == "/console/signin/mfa"
    page = client.get("/console/signin/mfa")
    wrong = client.post("/console/signin/mfa", {"csrf": page.csrf, "code": "000000"})
    assert wrong.status == 401
    code = fresh_code(totp)
    ok = client.post("/console/signin/mfa", {"csrf": page.csrf, "code": code})
    assert ok.header("location") == "/console/"
    assert name in client.get("/console/").text
    # The same code, again, in a second sign-in: refused.
    other = ConsoleClient(server.url)
    other.sign_in(server.account_id, name, USER_PASSWORD)
    second = other.get("/console/signin/mfa")
    replay = other.post("/console/signin/mfa", {"csrf": second.csrf, "code": code})
    assert replay.status == 401
    success = [
        e for e in _events(server, "ConsoleLogin")
        if e["userIdentity"].get("userName") == name
        and e["responseElements"] == {"ConsoleLogin": "Success"}
    ]  # fmt: skip
    assert len(success) == 1
    event = success[0]
    assert event["eventSource"] == "signin.amazonaws.com"
    assert event["eventType"] == "AwsConsoleSignIn"
    assert event["additionalEventData"]["MFAUsed"] == "Yes"
    assert event["additionalEventData"]["LoginTo"].endswith("/console/")
    assert event["userIdentity"]["type"] == "IAMUser"
    assert event["userIdentity"]["arn"].endswith(f":user/{name}")
    assert iam.get_user(UserName=name)["User"].get("PasswordLastUsed") is not None


def test_password_reset_required_forces_a_change_under_the_policy(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    name = unique("reset")
    make_user(iam, name, reset=True, policies=(CHANGE_PASSWORD,))
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True)
    try:
        client = ConsoleClient(server.url)
        reply = client.sign_in(server.account_id, name, USER_PASSWORD)
        assert reply.header("location") == "/console/new-password"
        assert client.get("/console/users").header("location") == "/console/new-password"
        page = client.get("/console/new-password")
        weak = {"csrf": page.csrf, "old_password": USER_PASSWORD,
                "new_password": "short1!", "confirm_password": "short1!"}  # fmt: skip
        refused = client.post("/console/new-password", weak)
        assert refused.status == 400
        assert "Password should have a minimum length of 14" in refused.text
        good = "A-much-longer-passw0rd!"
        changed = client.post(
            "/console/new-password",
            {**weak, "new_password": good, "confirm_password": good},
        )
        assert (changed.header("location") or "").startswith("/console/")
        assert client.get("/console/").status == 200
        profile = iam.get_login_profile(UserName=name)["LoginProfile"]
        assert profile["PasswordResetRequired"] is False
    finally:
        iam.delete_account_password_policy()


def test_denied_action_shows_aws_access_denied_message(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    name = unique("nobody")
    make_user(iam, name)
    client = ConsoleClient(server.url)
    client.sign_in(server.account_id, name, USER_PASSWORD)
    page = client.get("/console/users")
    assert page.status == 403
    assert (
        f"User: arn:aws:iam::{server.account_id}:user/{name} is not authorized to perform: "
        "iam:ListUsers" in page.text
    )
    assert "Traceback" not in page.text


def test_unknown_user_failure_hides_the_name(server: LiveServer) -> None:
    typed = f"Secret-{uuid.uuid4().hex}"
    ConsoleClient(server.url).sign_in(server.account_id, typed, "whatever")
    events = _events(server, "ConsoleLogin")
    assert not any(typed in str(e) for e in events)
    assert any(
        e["userIdentity"].get("userName") == "HIDDEN_DUE_TO_SECURITY_REASONS"
        and e["errorMessage"] == "Failed authentication"
        for e in events
    )


def test_admin_set_root_password_command(server: LiveServer) -> None:
    url = server.app.settings.database_url
    where = ["--data-dir", str(server.data_dir), *(["--database-url", url] if url else [])]
    password = "Another-R00t-pass!"
    done = subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", "admin", "set-root-password", "--stdin",
         *where],
        input=password + "\n", capture_output=True, text=True, check=False,
        env={"IAMD_MASTER_KEY": "00" * 32, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    client = ConsoleClient(server.url)
    assert client.sign_in(server.account_id, None, password).status == 303
    weak = subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", "admin", "set-root-password", "--stdin",
         *where],
        input="short\n", capture_output=True, text=True, check=False,
        env={"IAMD_MASTER_KEY": "00" * 32, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert weak.returncode == 1
    assert "minimum length of 8" in weak.stderr


def test_iam_user_signs_in_with_the_account_alias(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    name = unique("aliased")
    make_user(iam, name)
    alias = unique("corp")
    iam.create_account_alias(AccountAlias=alias)
    try:
        reply = ConsoleClient(server.url).sign_in(alias, name, USER_PASSWORD)
        assert reply.status == 303
        assert reply.header("location") == "/console/"
    finally:
        iam.delete_account_alias(AccountAlias=alias)


def test_graph_without_graphviz_lists_the_edges(
    server: LiveServer, console: ConsoleClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where Graphviz's dot is not installed the page says how to install it, no 500."""
    console.sign_in(server.account_id, None, ROOT_PASSWORD)
    monkeypatch.setenv("PATH", "/nonexistent")
    page = console.get("/console/graph")
    assert page.status == 200
    assert "apt-get install graphviz" in page.text
    assert 'id="edge-list" open' in page.text


def _age_password(server: LiveServer, user_name: str, days: int) -> None:
    from datetime import UTC, datetime
    from datetime import timedelta as delta

    from sqlalchemy import update

    from iamd.store.schema import login_profiles

    with server.app.store.write() as tx:
        user = tx.users.get(server.account_id, user_name)
        assert user is not None
        tx.conn.execute(
            update(login_profiles)
            .where(login_profiles.c.user_id == user.id)
            .values(password_changed=datetime.now(UTC) - delta(days=days))
        )


def test_expired_password_must_be_changed_and_hard_expiry_refuses(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """MaxPasswordAge: an expired password must be changed at sign-in; with HardExpiry the
    user cannot sign in at all.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html
    """
    name = unique("expired")
    make_user(iam, name, policies=(CHANGE_PASSWORD,))
    _age_password(server, name, days=5)
    iam.update_account_password_policy(MaxPasswordAge=1, AllowUsersToChangePassword=True)
    try:
        reply = ConsoleClient(server.url).sign_in(server.account_id, name, USER_PASSWORD)
        assert reply.header("location") == "/console/new-password"
        iam.update_account_password_policy(MaxPasswordAge=1, HardExpiry=True)
        refused = ConsoleClient(server.url).sign_in(server.account_id, name, USER_PASSWORD)
        assert refused.status == 401
        assert "Your password has expired" in refused.text
    finally:
        iam.delete_account_password_policy()
