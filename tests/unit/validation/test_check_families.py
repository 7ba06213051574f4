"""Each check fires on a policy with the problem and stays quiet on the corrected policy.

One row per check: the issue code, a bad policy, and the same policy fixed.  The documents are
small and realistic; AWS's description of each check is in
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from iamd.policy import PolicyKind

V = "2012-10-17"
ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
ID, RP, TP, SC, RC = (
    PolicyKind.IDENTITY,
    PolicyKind.RESOURCE,
    PolicyKind.TRUST,
    PolicyKind.SCP,
    PolicyKind.RCP,
)


def doc(*statements: dict[str, Any], version: str | None = V) -> dict[str, Any]:
    out: dict[str, Any] = {"Statement": list(statements)}
    if version:
        out = {"Version": version, **out}
    return out


def allow(
    action: Any = "s3:GetObject", resource: Any = "arn:aws:s3:::b/*", **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(
    action: Any = "s3:GetObject", resource: Any = "arn:aws:s3:::b/*", **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def cond(operator: str, key: str, value: Any) -> dict[str, Any]:
    return {"Condition": {operator: {key: value}}}


def trust(principal: Any, action: Any = "sts:AssumeRole", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
GH_AUD = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
GH_SUB = {"token.actions.githubusercontent.com:sub": "repo:org/app:ref:refs/heads/main"}

CASES: list[tuple[str, PolicyKind, dict[str, Any], dict[str, Any]]] = [
    # --- document
    ("MISSING_VERSION", ID, doc(allow(), version=None), doc(allow())),
    ("EMPTY_SID_VALUE", ID, doc(allow(Sid="")), doc(allow(Sid="Read"))),
    ("UNSUPPORTED_SID", ID, doc(allow(Sid="read objects")), doc(allow(Sid="ReadObjects"))),
    ("EMPTY_OBJECT_CONDITION", ID, doc(allow(Condition={})), doc(allow())),
    (
        "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
        ID,
        doc(allow(Condition={"StringEquals": {"s3:prefix": "a", "S3:Prefix": "b"}})),
        doc(allow(Condition={"StringEquals": {"s3:prefix": ["a", "b"]}})),
    ),
    (
        "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
        ID,
        doc(*[allow(resource=f"arn:aws:s3:::bucket-{i:04d}/*") for i in range(160)]),
        doc(*[allow(resource=f"arn:aws:s3:::bucket-{i:04d}/*") for i in range(40)]),
    ),
    (
        "POLICY_SIZE_EXCEEDS_SCP_QUOTA",
        SC,
        doc(*[deny(resource=f"arn:aws:s3:::bucket-{i:04d}/*") for i in range(160)]),
        doc(*[deny(resource=f"arn:aws:s3:::bucket-{i:04d}/*") for i in range(40)]),
    ),
    # --- actions
    ("INVALID_ACTION", ID, doc(allow("s3:GetObjekt")), doc(allow("s3:GetObject"))),
    ("INVALID_ACTION", ID, doc(allow("s3:Gett*")), doc(allow("s3:Get*"))),
    ("INVALID_SERVICE_IN_ACTION", ID, doc(allow("s4:GetObject")), doc(allow("s3:GetObject"))),
    ("WILDCARD_IN_SERVICE_NAME", ID, doc(allow("s3*:GetObject")), doc(allow("s3:GetObject"))),
    (
        "REDUNDANT_ACTION",
        ID,
        doc(allow(["s3:Get*", "s3:GetObject"])),
        doc(allow(["s3:Get*", "s3:PutObject"])),
    ),
    (
        "REDUNDANT_ACTION",
        ID,
        doc(allow(["s3:GetObject", "S3:getobject"])),
        doc(allow("s3:GetObject")),
    ),
    (
        "UNSUPPORTED_ACTION_IN_POLICY",
        RC,
        doc({"Effect": "Deny", "Principal": "*", "Action": "ec2:RunInstances", "Resource": "*"}),
        doc({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}),
    ),
    # --- resources
    (
        "MISSING_ARN_FIELD",
        ID,
        doc(allow(resource="arn:aws:s3:::b/*".replace(":::", ":"))),
        doc(allow()),
    ),
    ("INVALID_ARN_PREFIX", ID, doc(allow(resource="s3:::b/*")), doc(allow())),
    ("INVALID_PARTITION", ID, doc(allow(resource="arn:amazon:s3:::b/*")), doc(allow())),
    ("INVALID_ARN_SERVICE_CASE", ID, doc(allow(resource="arn:aws:S3:::b/*")), doc(allow())),
    (
        "INVALID_ARN_RESOURCE",
        ID,
        doc(allow("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:rolez/app")),
        doc(allow("iam:GetRole", ROLE)),
    ),
    (
        "ARN_REGION_NOT_ALLOWED",
        ID,
        doc(allow("iam:GetRole", f"arn:aws:iam:us-east-1:{ACCOUNT}:role/app")),
        doc(allow("iam:GetRole", ROLE)),
    ),
    (
        "MISSING_ARN_REGION",
        ID,
        doc(allow("ec2:StartInstances", f"arn:aws:ec2::{ACCOUNT}:instance/*")),
        doc(allow("ec2:StartInstances", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*")),
    ),
    (
        "INVALID_ARN_REGION",
        ID,
        doc(allow("ec2:StartInstances", f"arn:aws:ec2:virginia:{ACCOUNT}:instance/*")),
        doc(allow("ec2:StartInstances", f"arn:aws:ec2:*:{ACCOUNT}:instance/*")),
    ),
    (
        "INVALID_ARN_ACCOUNT",
        ID,
        doc(allow("iam:GetRole", "arn:aws:iam::1234:role/app")),
        doc(allow("iam:GetRole", "arn:aws:iam::*:role/app")),
    ),
    (
        "ARN_ACCOUNT_NOT_ALLOWED",
        ID,
        doc(allow(resource=f"arn:aws:s3::{ACCOUNT}:b/*")),
        doc(allow(resource="arn:aws:s3:::b/*")),
    ),
    (
        "REDUNDANT_RESOURCE",
        ID,
        doc(
            allow(
                "iam:GetRole",
                [f"arn:aws:iam::{ACCOUNT}:role/jane*", f"arn:aws:iam::{ACCOUNT}:role/jane-admin"],
            )
        ),
        doc(
            allow(
                "iam:GetRole",
                [f"arn:aws:iam::{ACCOUNT}:role/jane*", f"arn:aws:iam::{ACCOUNT}:role/bob"],
            )
        ),
    ),
    (
        "RESOURCE_MISMATCH",
        ID,
        doc(allow("s3:GetObject", "arn:aws:s3:::bucket")),
        doc(allow("s3:GetObject", "arn:aws:s3:::bucket/*")),
    ),
    (
        "RESOURCE_MISMATCH",
        ID,
        doc(allow(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::bucket/*")),
        doc(
            allow(
                ["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]
            )
        ),
    ),
    (
        "RESOURCE_MISMATCH",
        ID,
        doc(allow("s3:ListAllMyBuckets", "arn:aws:s3:::bucket")),
        doc(allow("s3:ListAllMyBuckets", "*")),
    ),
    # --- conditions
    (
        "INVALID_GLOBAL_CONDITION_KEY",
        ID,
        doc(allow(**cond("IpAddress", "aws:SourceIpp", "203.0.113.0/24"))),
        doc(allow(**cond("IpAddress", "aws:SourceIp", "203.0.113.0/24"))),
    ),
    (
        "INVALID_SERVICE_CONDITION_KEY",
        ID,
        doc(allow(**cond("StringLike", "s3:prefixes", "home/*"))),
        doc(allow(**cond("StringLike", "s3:prefix", "home/*"))),
    ),
    (
        "INVALID_SERVICE",
        ID,
        doc(allow(**cond("StringEquals", "nosuchservice:thing", "x"))),
        doc(allow(**cond("StringEquals", "s3:x-amz-acl", "private"))),
    ),
    (
        "MISSING_TAG_KEY_IN_CONDITION",
        ID,
        doc(allow(**cond("StringEquals", "aws:ResourceTag", "x"))),
        doc(allow(**cond("StringEquals", "aws:ResourceTag/team", "x"))),
    ),
    (
        "DEPRECATED_GLOBAL_CONDITION_KEY",
        ID,
        doc(allow(**cond("ArnLike", "aws:ARN", ROLE))),
        doc(allow(**cond("ArnLike", "aws:PrincipalArn", ROLE))),
    ),
    (
        "INVALID_CONDITION_KEY_FORMAT",
        ID,
        doc(allow(**cond("StringEquals", "SourceVpc", "vpc-12345678"))),
        doc(allow(**cond("StringEquals", "aws:SourceVpc", "vpc-12345678"))),
    ),
    (
        "INVALID_CONDITION_OPERATOR",
        ID,
        doc(allow(**cond("StringEqual", "s3:prefix", "a"))),
        doc(allow(**cond("StringEquals", "s3:prefix", "a"))),
    ),
    (
        "NULL_WITH_IF_EXISTS",
        ID,
        doc(allow(**cond("NullIfExists", "aws:TokenIssueTime", "true"))),
        doc(allow(**cond("Null", "aws:TokenIssueTime", "true"))),
    ),
    (
        "NULL_WITH_QUALIFIER",
        ID,
        doc(allow(**cond("ForAnyValue:Null", "aws:TagKeys", "true"))),
        doc(allow(**cond("Null", "aws:TagKeys", "true"))),
    ),
    (
        "TYPE_MISMATCH",
        ID,
        doc(allow(**cond("StringEquals", "aws:MultiFactorAuthPresent", "true"))),
        doc(allow(**cond("Bool", "aws:MultiFactorAuthPresent", "true"))),
    ),
    (
        "TYPE_MISMATCH",
        ID,
        doc(allow(**cond("StringLike", "aws:SourceIp", "203.0.113.*"))),
        doc(allow(**cond("IpAddress", "aws:SourceIp", "203.0.113.0/24"))),
    ),
    (
        "TYPE_MISMATCH",
        ID,
        doc(allow(**cond("NumericLessThan", "aws:CurrentTime", "5"))),
        doc(allow(**cond("DateLessThan", "aws:CurrentTime", "2030-01-01"))),
    ),
    (
        "TYPE_MISMATCH_BOOLEAN",
        ID,
        doc(allow(**cond("Bool", "aws:SecureTransport", "yes"))),
        doc(allow(**cond("Bool", "aws:SecureTransport", "true"))),
    ),
    (
        "TYPE_MISMATCH_BOOLEAN",
        ID,
        doc(allow(**cond("Null", "aws:TokenIssueTime", "maybe"))),
        doc(allow(**cond("Null", "aws:TokenIssueTime", "false"))),
    ),
    (
        "TYPE_MISMATCH_DATE",
        ID,
        doc(allow(**cond("DateLessThan", "aws:CurrentTime", "next year"))),
        doc(allow(**cond("DateLessThan", "aws:CurrentTime", "2030-01-01"))),
    ),
    (
        "TYPE_MISMATCH_IP_RANGE",
        ID,
        doc(allow(**cond("IpAddress", "aws:SourceIp", "203.0.113.0/33"))),
        doc(allow(**cond("IpAddress", "aws:SourceIp", "203.0.113.0/24"))),
    ),
    (
        "TYPE_MISMATCH_STRING",
        ID,
        doc(allow(**cond("BinaryEquals", "s3:x-amz-server-side-encryption", "not base64!"))),
        doc(allow(**cond("BinaryEquals", "s3:x-amz-server-side-encryption", "QUVTMjU2"))),
    ),
    (
        "TYPE_MISMATCH_NUMBER",
        ID,
        doc(allow(**cond("NumericLessThan", "aws:MultiFactorAuthAge", "an hour"))),
        doc(allow(**cond("NumericLessThan", "aws:MultiFactorAuthAge", "3600"))),
    ),
    (
        "WILDCARD_WITHOUT_LIKE_OPERATOR",
        ID,
        doc(allow(**cond("StringEquals", "aws:PrincipalTag/job", "admin-*"))),
        doc(allow(**cond("StringLike", "aws:PrincipalTag/job", "admin-*"))),
    ),
    (
        "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
        ID,
        doc(allow(**cond("ForAllValues:StringEquals", "aws:PrincipalTag/team", ["a", "b"]))),
        doc(allow(**cond("StringEquals", "aws:PrincipalTag/team", ["a", "b"]))),
    ),
    (
        "MISSING_QUALIFIER",
        ID,
        doc(allow(**cond("StringEquals", "aws:TagKeys", ["team"]))),
        doc(allow(**cond("ForAllValues:StringEquals", "aws:TagKeys", ["team"]))),
    ),
    (
        "INVALID_CONDITION_MULTIPLE_BOOLEAN",
        ID,
        doc(allow(**cond("Bool", "aws:SecureTransport", ["true", "false"]))),
        doc(allow(**cond("Bool", "aws:SecureTransport", "true"))),
    ),
    (
        "INVALID_CONDITION_DATA_TYPE",
        ID,
        doc(allow(**cond("NumericLessThan", "aws:MultiFactorAuthAge", [3600, "7200"]))),
        doc(allow(**cond("NumericLessThan", "aws:MultiFactorAuthAge", [3600]))),
    ),
    (
        "INVALID_VARIABLE_FOR_OPERATOR",
        ID,
        doc(allow(**cond("DateLessThan", "aws:CurrentTime", "${aws:TokenIssueTime}"))),
        doc(allow(**cond("StringEquals", "s3:prefix", "${aws:username}"))),
    ),
    (
        "INVALID_VARIABLE_FOR_OPERATOR",
        ID,
        doc(allow(**cond("Bool", "aws:SecureTransport", "${aws:ViaAWSService}"))),
        doc(allow(**cond("Bool", "aws:SecureTransport", "true"))),
    ),
    (
        "INVALID_DATE_VALUE",
        ID,
        doc(allow(**cond("DateLessThan", "aws:CurrentTime", "1893456000"))),
        doc(allow(**cond("DateLessThan", "aws:CurrentTime", "2030-01-01"))),
    ),
    (
        "REDUNDANT_CONDITION_VALUE_NUM",
        ID,
        doc(allow(**cond("NumericLessThan", "aws:MultiFactorAuthAge", ["2700", "3600"]))),
        doc(allow(**cond("NumericLessThan", "aws:MultiFactorAuthAge", "3600"))),
    ),
    (
        "MISSING_PAIRED_CONDITION_KEYS",
        ID,
        doc(allow(**cond("IpAddress", "aws:VpcSourceIp", "10.0.0.0/8"))),
        doc(
            allow(
                Condition={
                    "IpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"},
                    "StringEquals": {"aws:SourceVpc": "vpc-1234abcd"},
                }
            )
        ),
    ),
    (
        "EMPTY_ARRAY_CONDITION",
        ID,
        doc(allow(**cond("StringEquals", "s3:prefix", []))),
        doc(allow(**cond("StringEquals", "s3:prefix", ["a"]))),
    ),
    (
        "EMPTY_ARRAY_CONDITION_FORALLVALUES",
        ID,
        doc(allow(**cond("ForAllValues:StringEquals", "aws:TagKeys", []))),
        doc(allow(**cond("ForAllValues:StringEquals", "aws:TagKeys", ["a"]))),
    ),
    (
        "EMPTY_ARRAY_CONDITION_FORANYVALUE",
        ID,
        doc(allow(**cond("ForAnyValue:StringEquals", "aws:TagKeys", []))),
        doc(allow(**cond("ForAnyValue:StringEquals", "aws:TagKeys", ["a"]))),
    ),
    (
        "EMPTY_ARRAY_CONDITION_IFEXISTS",
        ID,
        doc(allow(**cond("StringEqualsIfExists", "s3:prefix", []))),
        doc(allow(**cond("StringEqualsIfExists", "s3:prefix", ["a"]))),
    ),
    # --- network values
    (
        "PRIVATE_IP_ADDRESS",
        ID,
        doc(allow(**cond("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.1.0/24"]))),
        doc(allow(**cond("IpAddress", "aws:SourceIp", "203.0.113.0/24"))),
    ),
    (
        "PRIVATE_NOTIPADDRESS",
        ID,
        doc(deny("*", "*", **cond("NotIpAddress", "aws:SourceIp", "172.16.0.0/12"))),
        doc(deny("*", "*", **cond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"))),
    ),
    (
        "PRIVATE_IP_ADDRESS_SUBSET",
        ID,
        doc(allow(**cond("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "203.0.113.0/24"]))),
        doc(allow(**cond("IpAddress", "aws:SourceIp", ["198.51.100.0/24", "203.0.113.0/24"]))),
    ),
    (
        "PRIVATE_NOTIPADDRESS_SUBSET",
        ID,
        doc(
            deny("*", "*", **cond("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "203.0.113.0/24"]))
        ),
        doc(deny("*", "*", **cond("NotIpAddress", "aws:SourceIp", ["203.0.113.0/24"]))),
    ),
    (
        "IMPROVE_IP_RANGE",
        ID,
        doc(allow(**cond("IpAddress", "aws:SourceIp", "203.0.113.7/24"))),
        doc(allow(**cond("IpAddress", "aws:SourceIp", "203.0.113.0/24"))),
    ),
    (
        "INVALID_VPC_FORMAT",
        ID,
        doc(allow(**cond("StringEquals", "aws:SourceVpc", "my-vpc"))),
        doc(allow(**cond("StringEquals", "aws:SourceVpc", "vpc-0123456789abcdef0"))),
    ),
    (
        "INVALID_VPCE_FORMAT",
        ID,
        doc(allow(**cond("StringEquals", "aws:SourceVpce", "vpc-1a2b3c4d"))),
        doc(allow(**cond("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"))),
    ),
    (
        "INVALID_REGION",
        ID,
        doc(deny("*", "*", **cond("StringNotEquals", "aws:RequestedRegion", "virginia"))),
        doc(deny("*", "*", **cond("StringNotEquals", "aws:RequestedRegion", "us-east-1"))),
    ),
    # --- variables
    (
        "VARIABLE_UNSUPPORTED_IN_VERSION",
        ID,
        doc(allow(resource="arn:aws:s3:::b/${aws:username}/*"), version="2008-10-17"),
        doc(allow(resource="arn:aws:s3:::b/${aws:username}/*")),
    ),
    (
        "VARIABLE_UNSUPPORTED_IN_ELEMENT",
        ID,
        doc(allow("s3:${aws:username}")),
        doc(allow("s3:GetObject")),
    ),
    (
        "MISSING_BRACE_IN_VARIABLE",
        ID,
        doc(allow(resource="arn:aws:s3:::b/${aws:username/*")),
        doc(allow(resource="arn:aws:s3:::b/${aws:username}/*")),
    ),
    ("EMPTY_VARIABLE", ID, doc(allow(resource="arn:aws:s3:::b/${}/*")), doc(allow())),
    (
        "UNSUPPORTED_SPACE_IN_VARIABLE",
        ID,
        doc(allow(resource="arn:aws:s3:::b/${aws: username}/*")),
        doc(allow(resource="arn:aws:s3:::b/${aws:username}/*")),
    ),
    (
        "MISSING_QUOTE_IN_VARIABLE",
        ID,
        doc(allow(resource="arn:aws:s3:::b/${aws:userid, anonymous}/*")),
        doc(allow(resource="arn:aws:s3:::b/${aws:userid, 'anonymous'}/*")),
    ),
    # --- statements and elements refused by the parser
    ("MISSING_EFFECT", ID, doc({"Action": "s3:GetObject", "Resource": "*"}), doc(allow())),
    ("INVALID_EFFECT", ID, doc({**allow(), "Effect": "Permit"}), doc(allow())),
    ("MISSING_ACTION", ID, doc({"Effect": "Allow", "Resource": "*"}), doc(allow())),
    ("MISSING_RESOURCE", ID, doc({"Effect": "Allow", "Action": "s3:GetObject"}), doc(allow())),
    ("MISSING_STATEMENT", ID, {"Version": V}, doc(allow())),
    ("INVALID_POLICY_ELEMENT", ID, doc({**allow(), "Actions": "s3:PutObject"}), doc(allow())),
    ("INVALID_VERSION", ID, doc(allow(), version="2012-10-18"), doc(allow())),
    (
        "UNIQUE_SIDS_REQUIRED",
        ID,
        doc(allow(Sid="A"), allow("s3:PutObject", Sid="A")),
        doc(allow(Sid="A"), allow("s3:PutObject", Sid="B")),
    ),
    (
        "UNSUPPORTED_ELEMENT_COMBINATION",
        ID,
        doc({**allow(), "NotAction": "s3:PutObject"}),
        doc(allow()),
    ),
    ("EMPTY_ARRAY_ACTION", ID, doc(allow([])), doc(allow())),
    ("EMPTY_ARRAY_RESOURCE", ID, doc(allow(resource=[])), doc(allow())),
    ("DATA_TYPE_MISMATCH", ID, doc(allow(["s3:GetObject", 7])), doc(allow())),
    ("UNSUPPORTED_PRINCIPAL", ID, doc(allow(Principal="*")), doc(allow())),
    ("SCP_SYNTAX_ERROR_PRINCIPAL", SC, doc(deny(Principal="*")), doc(deny())),
    # --- principals
    ("MISSING_PRINCIPAL", RP, doc(allow()), doc(allow(Principal={"AWS": ACCOUNT}))),
    (
        "INVALID_PRINCIPAL_KEY",
        RP,
        doc(allow(Principal={"Account": ACCOUNT})),
        doc(allow(Principal={"AWS": ACCOUNT})),
    ),
    ("INVALID_PRINCIPAL_FORMAT", RP, doc(allow(Principal="everyone")), doc(allow(Principal="*"))),
    (
        "EMPTY_OBJECT_PRINCIPAL",
        RP,
        doc(allow(Principal={})),
        doc(allow(Principal={"AWS": ACCOUNT})),
    ),
    (
        "EMPTY_ARRAY_PRINCIPAL",
        RP,
        doc(allow(Principal={"AWS": []})),
        doc(allow(Principal={"AWS": ACCOUNT})),
    ),
    (
        "UNSUPPORTED_WILDCARD_IN_PRINCIPAL",
        RP,
        doc(allow(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/*"})),
        doc(allow(Principal={"AWS": ROLE})),
    ),
    (
        "ALLOW_WITH_NOTPRINCIPAL",
        RP,
        doc(allow(NotPrincipal={"AWS": ROLE})),
        doc(deny(NotPrincipal={"AWS": ROLE})),
    ),
    (
        "INVALID_ROLE_REFERENCE",
        RP,
        doc(allow(Principal={"AWS": "AROAJQABLZS4A3QDU576Q"})),
        doc(allow(Principal={"AWS": ROLE})),
    ),
    (
        "INVALID_USER_REFERENCE",
        RP,
        doc(allow(Principal={"AWS": "AIDAJQABLZS4A3QDU576Q"})),
        doc(allow(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"})),
    ),
    (
        "RECOMMENDED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL",
        RP,
        doc(allow("s3:PutObject", Principal={"Service": "logging.s3.amazonaws.com"})),
        doc(
            allow(
                "s3:PutObject",
                Principal={"Service": "logging.s3.amazonaws.com"},
                **cond("StringEquals", "aws:SourceAccount", ACCOUNT),
            )
        ),
    ),
    # --- role trust policies
    (
        "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL",
        TP,
        doc({"Effect": "Allow", "NotPrincipal": {"AWS": ROLE}, "Action": "sts:AssumeRole"}),
        doc(trust({"AWS": ROLE})),
    ),
    (
        "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE",
        TP,
        doc(trust({"AWS": ROLE}, Resource="*")),
        doc(trust({"AWS": ROLE})),
    ),
    (
        "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL",
        TP,
        doc(trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci-*"})),
        doc(trust({"AWS": ROLE})),
    ),
    (
        "MISMATCHED_ACTION_FOR_PRINCIPAL",
        TP,
        doc(trust({"Service": "ec2.amazonaws.com"}, "sts:AssumeRoleWithWebIdentity")),
        doc(trust({"Service": "ec2.amazonaws.com"}, "sts:AssumeRole")),
    ),
    (
        "MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY",
        TP,
        doc(trust({"Service": "rolesanywhere.amazonaws.com"}, "sts:AssumeRole")),
        doc(
            trust(
                {"Service": "rolesanywhere.amazonaws.com"},
                ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            )
        ),
    ),
    (
        "MISSING_GITHUB_REPO_CONDITION_KEY",
        TP,
        doc(
            trust(
                {"Federated": GITHUB},
                "sts:AssumeRoleWithWebIdentity",
                Condition={"StringEquals": GH_AUD},
            )
        ),
        doc(
            trust(
                {"Federated": GITHUB},
                "sts:AssumeRoleWithWebIdentity",
                Condition={"StringEquals": {**GH_AUD, **GH_SUB}},
            )
        ),
    ),
    (
        "SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED",
        TP,
        doc(
            trust(
                {"Federated": GITHUB},
                "sts:AssumeRoleWithWebIdentity",
                Condition={
                    "StringEquals": GH_AUD,
                    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/*"},
                },
            )
        ),
        doc(
            trust(
                {"Federated": GITHUB},
                "sts:AssumeRoleWithWebIdentity",
                Condition={"StringEquals": {**GH_AUD, **GH_SUB}},
            )
        ),
    ),
    (
        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL",
        TP,
        doc(
            trust({"Federated": "cognito-identity.amazonaws.com"}, "sts:AssumeRoleWithWebIdentity")
        ),
        doc(
            trust(
                {"Federated": "cognito-identity.amazonaws.com"},
                "sts:AssumeRoleWithWebIdentity",
                **cond("StringEquals", "cognito-identity.amazonaws.com:aud", "us-east-1:pool"),
            )
        ),
    ),
    (
        "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA",
        TP,
        doc(trust({"AWS": [f"arn:aws:iam::{ACCOUNT}:role/role-{i:03d}" for i in range(60)]})),
        doc(trust({"AWS": [f"arn:aws:iam::{ACCOUNT}:role/role-{i:03d}" for i in range(10)]})),
    ),
    # --- privilege
    (
        "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        ID,
        doc(allow("iam:PassRole", "*")),
        doc(allow("iam:PassRole", ROLE)),
    ),
    (
        "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        ID,
        doc(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/*")),
        doc(
            allow(
                "iam:PassRole",
                "*",
                **cond("StringEquals", "iam:PassedToService", "ec2.amazonaws.com"),
            )
        ),
    ),
    (
        "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
        ID,
        doc(allow("iam:*", "*")),
        doc(allow("iam:Get*", "*")),
    ),
    (
        "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOTACTION",
        ID,
        doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
        doc({"Effect": "Allow", "NotAction": ["s3:*", "iam:*"], "Resource": "*"}),
    ),
    (
        "PASS_ROLE_WITH_NOTRESOURCE",
        ID,
        doc({"Effect": "Allow", "Action": "iam:PassRole", "NotResource": ROLE}),
        doc({"Effect": "Allow", "Action": "iam:PassRole", "NotResource": "arn:aws:iam::*:role/*"}),
    ),
    (
        "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOTRESOURCE",
        ID,
        doc({"Effect": "Allow", "Action": "iam:Pass*", "NotResource": ROLE}),
        doc({"Effect": "Deny", "Action": "iam:Pass*", "NotResource": ROLE}),
    ),
    (
        "PASS_ROLE_WITH_NOTACTION_AND_NOTRESOURCE",
        ID,
        doc({"Effect": "Allow", "NotAction": "s3:*", "NotResource": ROLE}),
        doc({"Effect": "Allow", "NotAction": ["s3:*", "iam:PassRole"], "NotResource": ROLE}),
    ),
    (
        "CREATE_SLR_WITH_STAR_IN_RESOURCE",
        ID,
        doc(allow("iam:CreateServiceLinkedRole", "*")),
        doc(
            allow(
                "iam:CreateServiceLinkedRole",
                "*",
                **cond("StringEquals", "iam:AWSServiceName", "autoscaling.amazonaws.com"),
            )
        ),
    ),
    (
        "CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE",
        ID,
        doc(allow("iam:Create*", "*")),
        doc(allow("iam:CreateUser", "*")),
    ),
    (
        "CREATE_SLR_WITH_NOTRESOURCE",
        ID,
        doc({"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "NotResource": ROLE}),
        doc(
            allow("iam:CreateServiceLinkedRole", f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/*")
        ),
    ),
    (
        "CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOTRESOURCE",
        ID,
        doc({"Effect": "Allow", "Action": "iam:*", "NotResource": ROLE}),
        doc({"Effect": "Allow", "Action": "s3:*", "NotResource": ROLE}),
    ),
    (
        "CREATE_SLR_WITH_NOTACTION_AND_NOTRESOURCE",
        ID,
        doc({"Effect": "Allow", "NotAction": "s3:*", "NotResource": ROLE}),
        doc({"Effect": "Allow", "NotAction": "iam:*", "NotResource": ROLE}),
    ),
    (
        "CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOTACTION",
        ID,
        doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}),
        doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
    ),
    (
        "ALLOW_WITH_NOTACTION",
        ID,
        doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        doc({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}),
    ),
    (
        "ALLOW_WITH_NOTRESOURCE",
        ID,
        doc({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}),
        doc({"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::public/*"}),
    ),
    # --- tags
    (
        "DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
        ID,
        doc(
            deny(
                ["ec2:TerminateInstances", "s3:DeleteBucket"],
                "*",
                **cond("StringEquals", "aws:ResourceTag/env", "prod"),
            )
        ),
        doc(
            deny(
                ["ec2:TerminateInstances"],
                "*",
                **cond("StringEquals", "aws:ResourceTag/env", "prod"),
            )
        ),
    ),
    (
        "ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
        ID,
        doc(
            allow(
                ["ec2:StartInstances", "s3:ListBucket"],
                "*",
                **cond("StringEquals", "aws:ResourceTag/team", "a"),
            )
        ),
        doc(
            allow(["ec2:StartInstances"], "*", **cond("StringEquals", "aws:ResourceTag/team", "a"))
        ),
    ),
    (
        "DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
        ID,
        doc(
            {
                "Effect": "Deny",
                "NotAction": "iam:*",
                "Resource": "*",
                **cond("StringEquals", "aws:ResourceTag/env", "prod"),
            }
        ),
        doc(
            {
                "Effect": "Deny",
                "NotAction": "iam:*",
                "Resource": "*",
                **cond("StringNotEquals", "aws:ResourceTag/env", "prod"),
            }
        ),
    ),
    (
        "ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
        ID,
        doc(
            {
                "Effect": "Allow",
                "NotAction": "iam:*",
                "Resource": "*",
                **cond("StringEquals", "aws:ResourceTag/env", "dev"),
            }
        ),
        doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
    ),
    # --- across statements
    (
        "REDUNDANT_STATEMENT",
        ID,
        doc(allow(Sid="One"), allow(Sid="Two")),
        doc(allow(Sid="One"), allow("s3:PutObject", Sid="Two")),
    ),
]


@pytest.mark.parametrize(
    ("code", "kind", "bad", "good"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_check_fires_on_bad_and_not_on_good(
    codes: Callable[..., set[str]], code: str, kind: PolicyKind, bad: Any, good: Any
) -> None:
    assert code in codes(bad, kind)
    assert code not in codes(good, kind)


def test_every_code_in_the_registry_has_a_case() -> None:
    """A code nobody can trigger is dead weight; one without a test is a guess."""
    from iamd.validation import CODES

    tested = {case[0] for case in CASES}
    untested = set(CODES) - tested - {"JSON_SYNTAX_ERROR", "MALFORMED_POLICY_DOCUMENT"}
    assert not untested
