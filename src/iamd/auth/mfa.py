"""Time-based one-time passwords (RFC 6238) for virtual MFA devices.

A code is good for the current 30-second step and one step either side, to allow for a little
clock skew and the time a person takes to type it.  Every accepted code moves the device's
``last_counter`` forward in the same transaction, so a code, once used, is refused forever:
an eavesdropper who sees it cannot replay it, not even within its 30 seconds.

https://datatracker.ietf.org/doc/html/rfc6238
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime

import pyotp
from pyotp.utils import strings_equal

from iamd.store import Tx
from iamd.store.repos.mfa_devices import MfaDevices

STEP_SECONDS = 30
DIGITS = 6
SEED_BYTES = 40
"""320 bits: a 64-character base32 seed, as long as the ones AWS issues."""
VERIFY_WINDOW = 1
"""Steps either side of now that a sign-in code may come from."""


def new_seed() -> str:
    return base64.b32encode(secrets.token_bytes(SEED_BYTES)).decode("ascii")


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(seed: str, step: int) -> str:
    return pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def _well_formed(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(seed: str, code: str, steps: Iterable[int]) -> int | None:
    """The first of ``steps`` whose code is ``code`` (compared in constant time)."""
    if not _well_formed(code):
        return None
    for step in steps:
        if strings_equal(code_at(seed, step), code):
            return step
    return None


def consecutive_step(seed: str, first: str, second: str, around: int, window: int) -> int | None:
    """The step of ``second`` when ``first`` and ``second`` are the codes of two consecutive
    steps, ``second``'s within ``window`` steps of ``around``; else ``None``.

    Two consecutive codes prove the device holds the seed and keeps time: one code alone could
    be a lucky guess (one in a million), two in a row are one in a trillion.
    """
    if not (_well_formed(first) and _well_formed(second)):
        return None
    for step in range(around - window, around + window + 1):
        if strings_equal(code_at(seed, step), second) and strings_equal(
            code_at(seed, step - 1), first
        ):
            return step
    return None


def _accepted_step(tx: Tx, serial: str, user_id: str, code: str, now: datetime) -> int | None:
    devices = tx.repo(MfaDevices)
    device = devices.get(serial)
    if device is None or device.user_id != user_id or device.enable_date is None:
        return None
    seed = devices.seed(serial)
    if seed is None:
        return None
    current = time_step(now)
    fresh = [
        step
        for step in range(current - VERIFY_WINDOW, current + VERIFY_WINDOW + 1)
        if device.last_counter is None or step > device.last_counter
    ]
    return matching_step(seed, code, fresh)


def check_code(tx: Tx, serial: str, user_id: str, code: str, now: datetime) -> bool:
    """Whether ``code`` would be accepted now, without using it up (for authorization, which
    may still refuse the call: a refused call must not burn the code)."""
    return _accepted_step(tx, serial, user_id, code, now) is not None


def verify_code(tx: Tx, serial: str, user_id: str, code: str, now: datetime) -> bool:
    """Whether ``code`` proves possession of ``user_id``'s enabled MFA device ``serial``.

    Accepts the code of the current step or one step either side, but never a step at or
    before the last one accepted (a replay); the accepted step is recorded in ``tx``, which
    must be a write transaction.
    """
    step = _accepted_step(tx, serial, user_id, code, now)
    if step is None:
        return False
    return tx.repo(MfaDevices).advance_counter(serial, step)
