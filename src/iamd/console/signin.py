"""Signing in and out: root and IAM users, MFA, forced password changes, throttling.

AWS's sign-in, step by step: the password (checked against the root password or the user's
login profile), then a TOTP code from the user's MFA device when it has one (each code works
once), then a new password when the login profile says ``PasswordResetRequired`` or the account
policy says the password has expired.  Every attempt, good or bad, becomes a ConsoleLogin event.
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_user-change-own.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/console_sign-in-mfa.html
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from iamd.auth import mfa
from iamd.auth.passwords import hash_password, verify_password
from iamd.authorize.credentials import root_caller
from iamd.authorize.dispatch import Origin
from iamd.console import signin_events
from iamd.console.http import Request, Response, redirect
from iamd.console.principal import base_caller
from iamd.console.sessions import ACTIVE, COOKIE, MFA, NEW_PASSWORD, new_token, same
from iamd.console.throttle import address_key, principal_key
from iamd.errors import AWSError
from iamd.services.caller import Caller
from iamd.services.iam.password_policy import password_expires, policy_of
from iamd.store.repos.console_auth import ConsoleAccounts, RootPasswords
from iamd.store.repos.console_sessions import ConsoleSession
from iamd.store.repos.login_profiles import LoginProfiles
from iamd.store.repos.mfa_devices import MfaDevices

if TYPE_CHECKING:
    from iamd.console.app import Console

SIGNIN_COOKIE = "iamd_console_signin"
"""A sign-in form's CSRF token, before there is a session (double-submit)."""
INCORRECT = "Your authentication information is incorrect. Please try again."


@cache
def _dummy_hash() -> str:
    """Checked against when the user has no password, so a wrong name costs as long as a
    wrong password and timing does not tell which names exist."""
    return hash_password("iamd: no such user")


@dataclass(frozen=True)
class Attempt:
    account_id: str
    user_name: str | None
    """``None`` for the root user."""
    user_id: str | None = None


def public_route(console: Console, request: Request) -> Response | None:
    path, method = request.path, request.method
    if path == "/console/signin":
        return _signin_form(console, request) if method == "GET" else _signin(console, request)
    if path == "/console/signin/mfa":
        return _mfa(console, request)
    if path == "/console/new-password":
        return _new_password(console, request)
    if path == "/console/signout" and method == "POST":
        return _signout(console, request)
    return None


# The password step ---------------------------------------------------------------------------


def _signin_form(
    console: Console, request: Request, status: int = 200, error: str = "", **values: str
) -> Response:
    token = request.cookies.get(SIGNIN_COOKIE) or new_token()
    response = console.render(
        "signin.html",
        status,
        request=request,
        csrf=token,
        error=error,
        kind=values.get("kind", request.arg("kind", "iam")),
        account=values.get("account", request.arg("account")),
        username=values.get("username", ""),
    )
    response.set_cookie(SIGNIN_COOKIE, token, secure=request.secure)
    return response


def _signin(console: Console, request: Request) -> Response:
    kind = "root" if request.field("kind") == "root" else "iam"
    account_text = request.field("account").strip()
    user_name = request.field("username").strip()
    password = request.field("password")
    again = {"kind": kind, "account": account_text, "username": user_name}
    if not same(request.field("csrf"), request.cookies.get(SIGNIN_COOKIE, "")):
        return _signin_form(
            console, request, 403, "The sign-in form expired. Please try again.", **again
        )
    with console.store.read() as tx:
        account_id = tx.repo(ConsoleAccounts).resolve(account_text)
    if account_id is None or (kind == "iam" and not user_name):
        return _signin_form(console, request, 401, INCORRECT, **again)
    attempt = Attempt(account_id, None if kind == "root" else user_name)
    keys = [principal_key(account_id, attempt.user_name), address_key(request.source_ip)]
    wait = console.throttle.blocked_for(keys)
    if wait is not None:
        known = _known_caller(console, attempt)
        _event(console, request, attempt, known, success=False, mfa_used=False)
        minutes = max(1, round(wait.total_seconds() / 60))
        return _signin_form(
            console,
            request,
            429,
            f"Too many failed sign-in attempts. Try again in {minutes} minute"
            f"{'' if minutes == 1 else 's'}.",
            **again,
        )
    checked = _check_password(console, attempt, password)
    if checked is None:
        console.throttle.fail(keys)
        known = _known_caller(console, attempt)
        _event(console, request, attempt, known, success=False, mfa_used=False)
        return _signin_form(console, request, 401, INCORRECT, **again)
    caller, stage, expired_hard = checked
    if expired_hard:
        _event(console, request, attempt, caller, success=False, mfa_used=False,
               error="Password expired")  # fmt: skip
        return _signin_form(
            console,
            request,
            401,
            "Your password has expired. Ask your administrator to reset it.",
            **again,
        )
    console.throttle.succeed(keys[0])
    if stage != MFA:
        _signed_in(console, request, attempt, caller, mfa_used=False)
    token = console.sessions.start(account_id, caller.kind, caller.user_id, stage, mfa=False)
    response = redirect(_next(stage))
    response.set_cookie(COOKIE, token, secure=request.secure)
    response.clear_cookie(SIGNIN_COOKIE, secure=request.secure)
    return response


def _check_password(
    console: Console, attempt: Attempt, password: str
) -> tuple[Caller, str, bool] | None:
    """``(caller, next stage, hard-expired)`` when the password is right, else ``None``."""
    with console.store.read() as tx:
        if attempt.user_name is None:
            stored = tx.repo(RootPasswords).get(attempt.account_id)
            if not verify_password(password, stored or _dummy_hash()) or stored is None:
                return None
            return root_caller(attempt.account_id, ""), ACTIVE, False
        user = tx.users.get(attempt.account_id, attempt.user_name)
        profile = tx.repo(LoginProfiles).get(user.id) if user else None
        stored = profile.password_hash if profile else _dummy_hash()
        if not verify_password(password, stored) or user is None or profile is None:
            return None
        has_mfa = any(d.enable_date for d in tx.repo(MfaDevices).of_user(user.id))
        policy = policy_of(tx, attempt.account_id)
        expires = password_expires(profile.password_changed, policy)
        expired = expires is not None and expires <= datetime.now(UTC)
        hard = bool(expired and policy and policy.hard_expiry)
        must_change = profile.password_reset_required or expired
    caller = Caller(
        kind="IAMUser",
        arn=user.arn,
        account_id=user.account_id,
        principal_id=user.id,
        name=user.name,
        access_key_id="",
        user_id=user.id,
    )
    stage = MFA if has_mfa else NEW_PASSWORD if must_change else ACTIVE
    return caller, stage, hard


def _known_caller(console: Console, attempt: Attempt) -> Caller | None:
    """The principal a failed attempt named, if it exists (its name may then be logged)."""
    if attempt.user_name is None:
        return root_caller(attempt.account_id, "")
    with console.store.read() as tx:
        user = tx.users.get(attempt.account_id, attempt.user_name)
    if user is None:
        return None
    return Caller("IAMUser", user.arn, user.account_id, user.id, user.name, "", user.id)


# The MFA step --------------------------------------------------------------------------------


def _pending(console: Console, request: Request, stage: str) -> tuple[str, ConsoleSession] | None:
    token = request.cookies.get(COOKIE, "")
    session = console.sessions.load(token)
    if session is None or session.stage != stage:
        return None
    return token, session


def _mfa(console: Console, request: Request) -> Response:
    pending = _pending(console, request, MFA)
    if pending is None:
        return redirect("/console/signin")
    token, session = pending
    if request.method == "GET":
        return console.render("mfa.html", request=request, csrf=session.csrf, error="")
    if not same(request.field("csrf"), session.csrf):
        return console.render("mfa.html", 403, request=request, csrf=session.csrf,
                              error="The form expired. Please try again.")  # fmt: skip
    caller = base_caller(console.store, session)
    if caller is None or session.user_id is None:
        console.sessions.end(token)
        return redirect("/console/signin")
    attempt = Attempt(session.account_id, caller.name, session.user_id)
    keys = [principal_key(session.account_id, caller.name), address_key(request.source_ip)]
    if console.throttle.blocked_for(keys) is not None:
        _event(console, request, attempt, caller, success=False, mfa_used=True)
        console.sessions.end(token)
        return redirect("/console/signin?kind=iam")
    code = request.field("code").strip()
    if not _accept_code(console, session.user_id, code):
        console.throttle.fail(keys)
        _event(console, request, attempt, caller, success=False, mfa_used=True)
        return console.render("mfa.html", 401, request=request, csrf=session.csrf,
                              error="The MFA code is not valid. Wait for the next code "
                              "and try again.")  # fmt: skip
    console.throttle.succeed(keys[0])
    _signed_in(console, request, attempt, caller, mfa_used=True)
    with console.store.read() as tx:
        profile = tx.repo(LoginProfiles).get(session.user_id)
        policy = policy_of(tx, session.account_id)
    expires = password_expires(profile.password_changed if profile else None, policy)
    must_change = bool(profile and profile.password_reset_required) or (
        expires is not None and expires <= datetime.now(UTC)
    )
    stage = NEW_PASSWORD if must_change else ACTIVE
    new = console.sessions.promote(token, session, stage, mfa=True)
    response = redirect(_next(stage))
    response.set_cookie(COOKIE, new, secure=request.secure)
    return response


def _accept_code(console: Console, user_id: str, code: str) -> bool:
    now = datetime.now(UTC)
    with console.store.write() as tx:
        for device in tx.repo(MfaDevices).of_user(user_id):
            if device.enable_date and mfa.verify_code(tx, device.serial, user_id, code, now):
                return True
    return False


# The new-password step -----------------------------------------------------------------------


def _new_password(console: Console, request: Request) -> Response:
    pending = _pending(console, request, NEW_PASSWORD)
    if pending is None:
        return redirect("/console/signin")
    token, session = pending

    def form(status: int = 200, error: str = "") -> Response:
        return console.render("new_password.html", status, request=request,
                              csrf=session.csrf, error=error)  # fmt: skip

    if request.method == "GET":
        return form()
    if not same(request.field("csrf"), session.csrf):
        return form(403, "The form expired. Please try again.")
    new = request.field("new_password")
    if new != request.field("confirm_password"):
        return form(400, "The new passwords do not match.")
    caller = base_caller(console.store, session)
    if caller is None:
        console.sessions.end(token)
        return redirect("/console/signin")
    params: dict[str, Any] = {"OldPassword": request.field("old_password"), "NewPassword": new}
    origin = Origin(
        region=console.region,
        request_id=new_token(),
        source_ip=request.source_ip,
        user_agent=request.headers.get("user-agent", ""),
        secure=request.secure,
    )
    try:
        console.dispatcher.dispatch("iam", "ChangePassword", params, caller, origin)
    except AWSError as error:
        return form(error.status, error.message)
    fresh = console.sessions.promote(token, session, ACTIVE, mfa=session.mfa)
    response = redirect("/console/", "Your password has been changed.")
    response.set_cookie(COOKIE, fresh, secure=request.secure)
    return response


# Sign-out and events -------------------------------------------------------------------------


def _signout(console: Console, request: Request) -> Response:
    token = request.cookies.get(COOKIE, "")
    session = console.sessions.load(token)
    if session is not None and same(request.field("csrf"), session.csrf):
        console.sessions.end(token)
    elif session is not None:
        return console.render("error.html", 403, request=request, code="InvalidCsrfToken",
                              message="The form's security token is missing.")  # fmt: skip
    response = redirect("/console/signin", "You have signed out.")
    response.clear_cookie(COOKIE, secure=request.secure)
    return response


def _next(stage: str) -> str:
    return {MFA: "/console/signin/mfa", NEW_PASSWORD: "/console/new-password"}.get(
        stage, "/console/"
    )


def _signed_in(
    console: Console, request: Request, attempt: Attempt, caller: Caller, mfa_used: bool
) -> None:
    if caller.user_id is not None:
        with console.store.write() as tx:
            tx.users.touch_password(caller.user_id)
    _event(console, request, attempt, caller, success=True, mfa_used=mfa_used)


def _event(
    console: Console,
    request: Request,
    attempt: Attempt,
    caller: Caller | None,
    *,
    success: bool,
    mfa_used: bool,
    error: str = signin_events.FAILED,
) -> None:
    identity = (
        signin_events.identity_of(caller)
        if caller is not None
        else signin_events.unknown_user(attempt.account_id)
    )
    host = request.headers.get("host", "localhost")
    scheme = "https" if request.secure else "http"
    console.record(
        signin_events.console_login(
            identity=identity,
            account_id=attempt.account_id,
            region=console.region,
            source_ip=request.source_ip,
            user_agent=request.headers.get("user-agent", ""),
            success=success,
            mfa_used=mfa_used,
            login_to=f"{scheme}://{host}/console/",
            error=error,
        )
    )
