"""The credential report's CSV: AWS's columns, in AWS's order, with AWS's placeholder values.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
- ``N/A`` where the credential does not exist (no password, no key, key never used);
- ``no_information`` for a password never used to sign in;
- ``not_supported`` for the root user's password_enabled, password_last_changed and
  password_next_rotation;
- a key's ``_last_used_region`` is ``N/A`` when the service it last used is not
  region-specific ("such as Amazon S3").
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from iamd.store.repos.credential_facts import AccountCredentials, Credential, LastUse, Stamp

COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
NA = "N/A"
NO_INFORMATION = "no_information"
NOT_SUPPORTED = "not_supported"
ROOT_NAME = "<root_account>"
TRUE = "true"
FALSE = "false"
NO_KEYS = (FALSE, NA, NA, NA, NA) * 2
NO_CERTIFICATES = (FALSE, NA) * 2

GLOBAL_SERVICES = frozenset(
    {
        "iam",
        "s3",
        "cloudfront",
        "route53",
        "organizations",
        "waf",
        "globalaccelerator",
        "support",
        "budgets",
        "ce",
        "account",
    }
)
"""Services that are not region-specific: the report gives no region for them."""


def iso(value: Stamp) -> str:
    """``2014-09-01T22:28:48+00:00``, as the report writes every date.

    SQLite's stored text (``2014-09-01 22:28:48.000000``, always UTC) is reformatted as text.
    """
    if isinstance(value, str):
        return f"{value[:10]}T{value[11:19]}+00:00"
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def as_datetime(value: Stamp) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def max_password_age(policy_json: str | None) -> int | None:
    if not policy_json:
        return None
    age = json.loads(policy_json).get("MaxPasswordAge")
    return int(age) if age else None


def render(facts: AccountCredentials) -> str:
    """The whole CSV.  One pass over the users, with the per-user work kept to lookups in
    the facts' dictionaries (a report may have 100,000 rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerow(_root_row(facts))
    max_age = max_password_age(facts.password_policy)
    rotation = timedelta(days=max_age) if max_age else None
    changes, sign_ins, mfa = facts.password_changed, facts.sign_ins, facts.mfa_users
    keys, usage, certificates = facts.keys, facts.key_usage, facts.certificates
    no_password = [FALSE, NA, NA, NA]
    rows = []
    for user in facts.users:
        uid = user.id
        changed = changes.get(uid)
        if changed is None:
            password = no_password
        else:
            sign_in = sign_ins.get(uid)
            password = [
                TRUE,
                iso(sign_in.time) if sign_in else NO_INFORMATION,
                iso(changed),
                iso(as_datetime(changed) + rotation) if rotation else NA,
            ]
        user_keys = keys.get(uid)
        user_certificates = certificates.get(uid)
        rows.append(
            [
                user.name,
                user.arn,
                iso(user.create_date),
                *password,
                TRUE if uid in mfa else FALSE,
                *(_keys(user_keys, usage) if user_keys else NO_KEYS),
                *(_certificates(user_certificates) if user_certificates else NO_CERTIFICATES),
            ]
        )
    writer.writerows(rows)
    return out.getvalue()


def _root_row(facts: AccountCredentials) -> list[str]:
    sign_in = facts.sign_ins.get("root")
    created = facts.account_created
    return [
        ROOT_NAME,
        f"arn:aws:iam::{facts.account_id}:root",
        iso(created) if created else NA,
        NOT_SUPPORTED,
        iso(sign_in.time) if sign_in else NO_INFORMATION,
        NOT_SUPPORTED,
        NOT_SUPPORTED,
        FALSE,  # iamd's root user has no MFA device (it is managed in the console)
        *_keys(facts.keys.get(None, []), facts.key_usage),
        *_certificates(facts.certificates.get(None, [])),
    ]


def _keys(keys: list[Credential], usage: dict[str, LastUse]) -> list[str]:
    cells: list[str] = []
    for key in keys[:2]:
        used = usage.get(key.id)
        if used is None:
            cells += [TRUE if key.active else FALSE, iso(key.created), NA, NA, NA]
            continue
        service = used.service or NA
        region = NA if service in GLOBAL_SERVICES or not used.region else used.region
        cells += [
            TRUE if key.active else FALSE,
            iso(key.created),
            iso(used.time),
            region,
            service,
        ]
    if len(cells) < 10:
        cells += NO_KEYS[len(cells) :]
    return cells


def _certificates(certificates: list[Credential]) -> list[str]:
    cells: list[str] = []
    for certificate in certificates[:2]:
        cells += [TRUE if certificate.active else FALSE, iso(certificate.created)]
    if len(cells) < 4:
        cells += NO_CERTIFICATES[len(cells) :]
    return cells
