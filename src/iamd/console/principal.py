"""Who a console session acts as: its user or root, or the role it switched to.

A switched role is an ordinary STS session (AssumeRole, through the dispatcher), kept sealed in
the session row and opened on each request exactly as the API opens a session token, so it
expires, and is revoked, exactly as it would be for the CLI.
"""

from __future__ import annotations

from dataclasses import replace

from iamd.auth.key_ring import KeyRing
from iamd.authorize.credentials import root_caller
from iamd.authorize.sessions import caller_of, open_session
from iamd.services.caller import Caller
from iamd.store import Store
from iamd.store.repos.console_sessions import ConsoleSession


def base_caller(store: Store, session: ConsoleSession) -> Caller | None:
    """The signed-in principal; ``None`` when the user has been deleted since."""
    issued = session.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    if session.kind == "Root":
        caller = root_caller(session.account_id, "")
        return replace(caller, mfa_authenticated=session.mfa, token_issue_time=issued)
    if session.user_id is None:
        return None
    with store.read() as tx:
        user = tx.users.get_by_id(session.user_id)
        if user is None:
            return None
        tags = {t.key: t.value for t in tx.tags.all("user", user.id)}
    return Caller(
        kind="IAMUser",
        arn=user.arn,
        account_id=user.account_id,
        principal_id=user.id,
        name=user.name,
        access_key_id="",
        user_id=user.id,
        tags=tags,
        mfa_authenticated=session.mfa,
        token_issue_time=issued,
    )


def pack_role(access_key_id: str, session_token: str) -> str:
    return f"{access_key_id}\n{session_token}"


def role_caller(ring: KeyRing, packed: str) -> Caller:
    """The role session's caller; AWS's ExpiredToken / InvalidClientTokenId when it is not."""
    access_key_id, _, token = packed.partition("\n")
    return caller_of(open_session(ring, token, access_key_id))
