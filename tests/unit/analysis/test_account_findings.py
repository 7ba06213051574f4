"""The findings other than paths: roles others can assume, admins, broad grants, credentials.

Trust findings follow Access Analyzer's external-access rules (service principals and the
account itself are not findings): https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html
Credential report columns: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
"""

from __future__ import annotations

from datetime import UTC, datetime

from iamd.analysis.credential_report import parse_credential_report
from iamd.analysis.findings import Severity
from support.analysis_builder import (
    ADMIN_ARN,
    Account,
    account_root_trust,
    allow,
    analyse,
    doc,
    paths_of,
    trust,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
GITHUB = "token.actions.githubusercontent.com"


def _rules(report: object) -> dict[str, list[tuple[str, Severity]]]:
    out: dict[str, list[tuple[str, Severity]]] = {}
    for f in report.findings:  # type: ignore[attr-defined]
        out.setdefault(f.rule, []).append((f.resource.rsplit("/", 1)[-1], f.severity))
    return out


def test_who_else_can_assume_a_role() -> None:
    a = Account()
    a.role("public", trust("*"))
    a.role("partner", trust({"AWS": "arn:aws:iam::999988887777:root"}))
    a.role(
        "github",
        trust(
            {"Federated": f"arn:aws:iam::111122223333:oidc-provider/{GITHUB}"},
            Action="sts:AssumeRoleWithWebIdentity",
            Condition={
                "StringEquals": {
                    "token.actions.githubusercontent.com:sub": "repo:o/r:ref:main",
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                }
            },
        ),
    )
    a.role("internal", account_root_trust())
    a.role("lambda", trust({"Service": "lambda.amazonaws.com"}))
    rules = _rules(analyse(a.data()))
    assert rules["ROLE_PUBLIC_TRUST"] == [("public", Severity.CRITICAL)]
    assert rules["ROLE_CROSS_ACCOUNT_TRUST"] == [("partner", Severity.HIGH)]
    assert rules["ROLE_FEDERATED_TRUST"] == [("github", Severity.MEDIUM)]


def test_admin_levels_and_boundaries() -> None:
    a = Account()
    a.user("full", attached=[ADMIN_ARN])
    a.user("iam-only", inline=allow("iam:*"))
    boundary = a.managed("S3Only", allow("s3:*"))
    a.user("bounded", attached=[ADMIN_ARN], boundary=boundary)
    a.user(
        "denied",
        attached=[ADMIN_ARN],
        inline=doc({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}),
    )
    report = analyse(a.data())
    admins = {
        f.resource.rsplit("/", 1)[-1]: f.details["level"]
        for f in report.findings
        if f.rule == "ADMIN_PRINCIPAL"
    }
    assert admins == {"full": "full", "iam-only": "iam"}


def test_broad_grants_in_customer_and_inline_policies() -> None:
    a = Account()
    a.managed("Everything", allow("*"))
    a.managed("AllIam", allow("iam:*"))
    a.managed("AllS3", allow(["s3:*", "sqs:SendMessage"]))
    a.managed("Negated", doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    a.managed("PassAny", allow(["iam:PassRole", "ec2:RunInstances"]))
    a.managed("Scoped", allow("s3:*", "arn:aws:s3:::bucket/*"))
    data = a.data()
    rules = _rules(analyse(data))
    assert rules["FULL_WILDCARD_GRANT"] == [("Everything", Severity.HIGH)]
    assert sorted(rules["SERVICE_WILDCARD_GRANT"]) == [
        ("AllIam", Severity.HIGH),
        ("AllS3", Severity.MEDIUM),
    ]
    assert rules["ALLOW_NOT_ACTION"] == [("Negated", Severity.MEDIUM)]
    assert sorted(rules["PASSROLE_ANY_ROLE"]) == [
        ("AllIam", Severity.MEDIUM),
        ("PassAny", Severity.MEDIUM),
    ]
    # AWS managed policies are not linted (AdministratorAccess is in every file).
    assert all(not r.startswith("arn:aws:iam::aws:") for r, _ in rules["FULL_WILDCARD_GRANT"])


def test_unused_policies_rank_lower() -> None:
    a = Account()
    a.managed("Everything", allow("*"))
    data = a.data()
    for policy in data["Policies"]:
        policy["AttachmentCount"] = 0
    assert _rules(analyse(data))["FULL_WILDCARD_GRANT"] == [("Everything", Severity.MEDIUM)]


REPORT = """user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,\
password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,\
access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,\
access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,\
access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,\
cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,\
2026-05-01T00:00:00+00:00,not_supported,not_supported,false,true,2020-01-01T00:00:00+00:00,\
2026-05-30T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111122223333:user/alice,2024-01-01T00:00:00+00:00,true,\
2026-05-30T00:00:00+00:00,2024-01-01T00:00:00+00:00,N/A,false,true,2025-01-01T00:00:00+00:00,\
2026-05-31T00:00:00+00:00,us-east-1,s3,true,2026-05-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,\
false,N/A
bob,arn:aws:iam::111122223333:user/bob,2024-01-01T00:00:00+00:00,true,no_information,\
2024-01-01T00:00:00+00:00,N/A,true,true,2026-05-01T00:00:00+00:00,2026-05-31T00:00:00+00:00,\
us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
ci,arn:aws:iam::111122223333:user/ci,2024-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,\
2025-10-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
"""


def test_credential_findings() -> None:
    rows = parse_credential_report(REPORT)
    report = analyse(Account().data(), credentials=rows, now=NOW)
    rules = _rules(report)
    assert rules["ROOT_WITHOUT_MFA"] == [("arn:aws:iam::111122223333:root", Severity.CRITICAL)]
    assert rules["ROOT_ACCESS_KEY"] == [("arn:aws:iam::111122223333:root", Severity.CRITICAL)]
    assert rules["USER_WITHOUT_MFA"] == [("alice", Severity.MEDIUM)]
    assert rules["STALE_ACCESS_KEY"] == [("alice", Severity.LOW), ("ci", Severity.LOW)]
    # ci's key was created in October and never used: idle for 243 days.
    unused = [f for f in report.findings if f.rule == "UNUSED_ACCESS_KEY"]
    assert [(f.resource.rsplit("/", 1)[-1], f.details["days"]) for f in unused] == [("ci", 243)]
    assert not any("credential report" in n for n in report.notes)


def test_login_profile_methods_follow_the_report() -> None:
    """With a credential report, CreateLoginProfile needs a user without a password, and
    UpdateLoginProfile one with (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html)."""
    a = Account()
    a.user("alice", attached=[ADMIN_ARN])  # has a password in REPORT
    a.user("ci", attached=[ADMIN_ARN])  # has none
    a.user(
        "mallory",
        inline=doc(
            {
                "Effect": "Allow",
                "Action": "iam:CreateLoginProfile",
                "Resource": a.arn("user", "alice"),
            },
            {
                "Effect": "Allow",
                "Action": "iam:UpdateLoginProfile",
                "Resource": a.arn("user", "ci"),
            },
        ),
    )
    assert paths_of(analyse(a.data())) == {"mallory": [("iam:CreateLoginProfile", "alice")]}
    rows = parse_credential_report(REPORT)
    assert paths_of(analyse(a.data(), credentials=rows, now=NOW)) == {}
