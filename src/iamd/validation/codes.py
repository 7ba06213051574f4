"""The issue codes iamd reports, each with its finding type and title.

Codes and types are IAM Access Analyzer's where AWS has a check for the problem, so that
results read the same as ``aws accessanalyzer validate-policy``:
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html

A few codes are iamd's own (marked ``aws=False``): problems Access Analyzer has no code for, or
that iamd's parser rejects where AWS would only warn (iamd fails closed on what it cannot
evaluate; see ``MALFORMED_POLICY_DOCUMENT``).
"""

from __future__ import annotations

from dataclasses import dataclass

from iamd.validation.findings import FindingType

E = FindingType.ERROR
S = FindingType.SECURITY_WARNING
W = FindingType.WARNING
G = FindingType.SUGGESTION

REFERENCE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
)


@dataclass(frozen=True, slots=True)
class IssueCode:
    code: str
    type: FindingType
    title: str
    aws: bool = True

    @property
    def help_uri(self) -> str | None:
        return REFERENCE if self.aws else None


_TABLE: tuple[IssueCode, ...] = (
    # Errors
    IssueCode("ARN_ACCOUNT_NOT_ALLOWED", E, "ARN account not allowed"),
    IssueCode("ARN_REGION_NOT_ALLOWED", E, "ARN Region not allowed"),
    IssueCode("DATA_TYPE_MISMATCH", E, "Data type mismatch"),
    IssueCode("DUPLICATE_KEYS_WITH_DIFFERENT_CASE", E, "Duplicate keys with different case"),
    IssueCode("INVALID_ACTION", E, "Invalid action"),
    IssueCode("INVALID_ARN_ACCOUNT", E, "Invalid ARN account"),
    IssueCode("INVALID_ARN_PREFIX", E, "Invalid ARN prefix"),
    IssueCode("INVALID_ARN_REGION", E, "Invalid ARN Region"),
    IssueCode("INVALID_ARN_RESOURCE", E, "Invalid ARN resource"),
    IssueCode("INVALID_ARN_SERVICE_CASE", E, "Invalid ARN service case"),
    IssueCode("INVALID_CONDITION_DATA_TYPE", E, "Invalid condition data type"),
    IssueCode("INVALID_CONDITION_KEY_FORMAT", E, "Invalid condition key format"),
    IssueCode("INVALID_CONDITION_MULTIPLE_BOOLEAN", E, "Invalid condition multiple Boolean"),
    IssueCode("INVALID_CONDITION_OPERATOR", E, "Invalid condition operator"),
    IssueCode("INVALID_EFFECT", E, "Invalid effect"),
    IssueCode("INVALID_GLOBAL_CONDITION_KEY", E, "Invalid global condition key"),
    IssueCode("INVALID_PARTITION", E, "Invalid partition"),
    IssueCode("INVALID_POLICY_ELEMENT", E, "Invalid policy element"),
    IssueCode("INVALID_PRINCIPAL_FORMAT", E, "Invalid principal format"),
    IssueCode("INVALID_PRINCIPAL_KEY", E, "Invalid principal key"),
    IssueCode("INVALID_REGION", E, "Invalid Region"),
    IssueCode("INVALID_SERVICE", E, "Invalid service"),
    IssueCode("INVALID_SERVICE_CONDITION_KEY", E, "Invalid service condition key"),
    IssueCode("INVALID_SERVICE_IN_ACTION", E, "Invalid service in action"),
    IssueCode("INVALID_VARIABLE_FOR_OPERATOR", E, "Invalid variable for operator"),
    IssueCode("INVALID_VERSION", E, "Invalid version"),
    IssueCode("JSON_SYNTAX_ERROR", E, "Json syntax error"),
    IssueCode("MISSING_ACTION", E, "Missing action"),
    IssueCode("MISSING_ARN_FIELD", E, "Missing ARN field"),
    IssueCode("MISSING_ARN_REGION", E, "Missing ARN Region"),
    IssueCode("MISSING_EFFECT", E, "Missing effect"),
    IssueCode("MISSING_PRINCIPAL", E, "Missing principal"),
    IssueCode("MISSING_QUALIFIER", E, "Missing qualifier"),
    IssueCode("MISSING_RESOURCE", E, "Missing resource"),
    IssueCode("MISSING_STATEMENT", E, "Missing statement"),
    IssueCode("NULL_WITH_IF_EXISTS", E, "Null with if exists"),
    IssueCode("SCP_SYNTAX_ERROR_PRINCIPAL", E, "SCP syntax error principal"),
    IssueCode("UNIQUE_SIDS_REQUIRED", E, "Unique Sids required"),
    IssueCode("UNSUPPORTED_ACTION_IN_POLICY", E, "Unsupported action in policy"),
    IssueCode("UNSUPPORTED_ELEMENT_COMBINATION", E, "Unsupported element combination"),
    IssueCode("UNSUPPORTED_PRINCIPAL", E, "Unsupported principal"),
    IssueCode("UNSUPPORTED_SID", E, "Unsupported Sid"),
    IssueCode("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", E, "Unsupported wildcard in principal"),
    IssueCode("MISSING_BRACE_IN_VARIABLE", E, "Missing brace in variable"),
    IssueCode("MISSING_QUOTE_IN_VARIABLE", E, "Missing quote in variable"),
    IssueCode("UNSUPPORTED_SPACE_IN_VARIABLE", E, "Unsupported space in variable"),
    IssueCode("EMPTY_VARIABLE", E, "Empty variable"),
    IssueCode("VARIABLE_UNSUPPORTED_IN_ELEMENT", E, "Variable unsupported in element"),
    IssueCode("VARIABLE_UNSUPPORTED_IN_VERSION", E, "Variable unsupported in version"),
    IssueCode("PRIVATE_IP_ADDRESS", E, "Private IP address"),
    IssueCode("PRIVATE_NOTIPADDRESS", E, "Private NotIpAddress"),
    IssueCode("POLICY_SIZE_EXCEEDS_SCP_QUOTA", E, "Policy size exceeds SCP quota"),
    IssueCode("MISSING_TAG_KEY_IN_CONDITION", E, "Missing tag key in condition"),
    IssueCode("INVALID_VPC_FORMAT", E, "Invalid vpc format"),
    IssueCode("INVALID_VPCE_FORMAT", E, "Invalid vpce format"),
    IssueCode(
        "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL",
        E,
        "Role trust policy syntax error notprincipal",
    ),
    IssueCode(
        "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL",
        E,
        "Role trust policy unsupported wildcard in principal",
    ),
    IssueCode(
        "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE", E, "Role trust policy syntax error resource"
    ),
    IssueCode("MISMATCHED_ACTION_FOR_PRINCIPAL", E, "Mismatched action for principal"),
    IssueCode(
        "MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY",
        E,
        "Missing action for roles anywhere trust policy",
    ),
    # General warnings
    IssueCode("CREATE_SLR_WITH_NOTRESOURCE", W, "Create SLR with NotResource"),
    IssueCode(
        "CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOTRESOURCE",
        W,
        "Create SLR with star in action and NotResource",
    ),
    IssueCode(
        "CREATE_SLR_WITH_NOTACTION_AND_NOTRESOURCE", W, "Create SLR with NotAction and NotResource"
    ),
    IssueCode("CREATE_SLR_WITH_STAR_IN_RESOURCE", W, "Create SLR with star in resource"),
    IssueCode(
        "CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE",
        W,
        "Create SLR with star in action and resource",
    ),
    IssueCode(
        "CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOTACTION",
        W,
        "Create SLR with star in resource and NotAction",
    ),
    IssueCode("DEPRECATED_GLOBAL_CONDITION_KEY", W, "Deprecated global condition key"),
    IssueCode("INVALID_DATE_VALUE", W, "Invalid date value"),
    IssueCode("INVALID_ROLE_REFERENCE", W, "Invalid role reference"),
    IssueCode("INVALID_USER_REFERENCE", W, "Invalid user reference"),
    IssueCode("MISSING_VERSION", W, "Missing version"),
    IssueCode("WILDCARD_WITHOUT_LIKE_OPERATOR", W, "Wildcard without like operator"),
    IssueCode(
        "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", W, "Policy size exceeds identity policy quota"
    ),
    IssueCode(
        "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA",
        W,
        "Policy size exceeds role trust policy quota",
    ),
    IssueCode("TYPE_MISMATCH", W, "Type mismatch"),
    IssueCode("TYPE_MISMATCH_BOOLEAN", W, "Type mismatch Boolean"),
    IssueCode("TYPE_MISMATCH_DATE", W, "Type mismatch date"),
    IssueCode("TYPE_MISMATCH_IP_RANGE", W, "Type mismatch IP range"),
    IssueCode("TYPE_MISMATCH_NUMBER", W, "Type mismatch number"),
    IssueCode("TYPE_MISMATCH_STRING", W, "Type mismatch string"),
    IssueCode(
        "SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED",
        W,
        "Specific github repo and branch recommended",
    ),
    # Security warnings
    IssueCode("ALLOW_WITH_NOTPRINCIPAL", S, "Allow with NotPrincipal"),
    IssueCode("FORALLVALUES_WITH_SINGLE_VALUED_KEY", S, "ForAllValues with single valued key"),
    IssueCode("PASS_ROLE_WITH_NOTRESOURCE", S, "Pass role with NotResource"),
    IssueCode(
        "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOTRESOURCE",
        S,
        "Pass role with star in action and NotResource",
    ),
    IssueCode(
        "PASS_ROLE_WITH_NOTACTION_AND_NOTRESOURCE", S, "Pass role with NotAction and NotResource"
    ),
    IssueCode("PASS_ROLE_WITH_STAR_IN_RESOURCE", S, "Pass role with star in resource"),
    IssueCode(
        "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
        S,
        "Pass role with star in action and resource",
    ),
    IssueCode(
        "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOTACTION",
        S,
        "Pass role with star in resource and NotAction",
    ),
    IssueCode("MISSING_PAIRED_CONDITION_KEYS", S, "Missing paired condition keys"),
    IssueCode(
        "DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
        S,
        "Deny with unsupported tag condition key for service",
    ),
    IssueCode(
        "DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
        S,
        "Deny NotAction with unsupported tag condition key for service",
    ),
    IssueCode(
        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL", S, "Missing condition key for oidc principal"
    ),
    IssueCode("MISSING_GITHUB_REPO_CONDITION_KEY", S, "Missing github repo condition key"),
    # Suggestions
    IssueCode("EMPTY_ARRAY_ACTION", G, "Empty array action"),
    IssueCode("EMPTY_ARRAY_CONDITION", G, "Empty array condition"),
    IssueCode("EMPTY_ARRAY_CONDITION_FORALLVALUES", G, "Empty array condition ForAllValues"),
    IssueCode("EMPTY_ARRAY_CONDITION_FORANYVALUE", G, "Empty array condition ForAnyValue"),
    IssueCode("EMPTY_ARRAY_CONDITION_IFEXISTS", G, "Empty array condition IfExists"),
    IssueCode("EMPTY_ARRAY_PRINCIPAL", G, "Empty array principal"),
    IssueCode("EMPTY_ARRAY_RESOURCE", G, "Empty array resource"),
    IssueCode("EMPTY_OBJECT_CONDITION", G, "Empty object condition"),
    IssueCode("EMPTY_OBJECT_PRINCIPAL", G, "Empty object principal"),
    IssueCode("EMPTY_SID_VALUE", G, "Empty Sid value"),
    IssueCode("IMPROVE_IP_RANGE", G, "Improve IP range"),
    IssueCode("NULL_WITH_QUALIFIER", G, "Null with qualifier"),
    IssueCode("PRIVATE_IP_ADDRESS_SUBSET", G, "Private IP address subset"),
    IssueCode("PRIVATE_NOTIPADDRESS_SUBSET", G, "Private NotIpAddress subset"),
    IssueCode("REDUNDANT_ACTION", G, "Redundant action"),
    IssueCode("REDUNDANT_CONDITION_VALUE_NUM", G, "Redundant condition value num"),
    IssueCode("REDUNDANT_RESOURCE", G, "Redundant resource"),
    IssueCode("REDUNDANT_STATEMENT", G, "Redundant statement"),
    IssueCode("WILDCARD_IN_SERVICE_NAME", G, "Wildcard in service name"),
    IssueCode(
        "ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
        G,
        "Allow with unsupported tag condition key for service",
    ),
    IssueCode(
        "ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
        G,
        "Allow NotAction with unsupported tag condition key for service",
    ),
    IssueCode(
        "RECOMMENDED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL",
        G,
        "Recommended condition key for service principal",
    ),
    # iamd's own
    IssueCode("MALFORMED_POLICY_DOCUMENT", E, "Malformed policy document", aws=False),
    IssueCode("RESOURCE_MISMATCH", W, "Resource matches no action", aws=False),
    IssueCode("ALLOW_WITH_NOTACTION", S, "Allow with NotAction", aws=False),
    IssueCode("ALLOW_WITH_NOTRESOURCE", S, "Allow with NotResource", aws=False),
)

CODES: dict[str, IssueCode] = {entry.code: entry for entry in _TABLE}


def issue(code: str) -> IssueCode:
    """The registry entry for ``code``; a typo is a programming error, so it raises KeyError."""
    return CODES[code]
