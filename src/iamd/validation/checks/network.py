"""Checks on condition values that name networks and places: IP ranges, VPCs, Regions.

``aws:SourceIp`` holds the public address a request comes from; requests through a VPC
endpoint carry ``aws:VpcSourceIp`` instead, so private ranges in ``aws:SourceIp`` never match.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from iamd.catalog.partitions import looks_like_region
from iamd.policy import ConditionClause
from iamd.policy.wildcard import has_wildcards
from iamd.validation.checks.conditions import family_of
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding

_PRIVATE = tuple(
    ipaddress.ip_network(block)
    for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
"""Private address space: RFC 1918 for IPv4, unique local addresses (RFC 4193) for IPv6."""

_FORMATS = {
    "aws:sourcevpc": ("INVALID_VPC_FORMAT", re.compile(r"vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?"), "vpc-"),
    "aws:sourcevpce": (
        "INVALID_VPCE_FORMAT",
        re.compile(r"vpce-[0-9a-f]{8}(?:[0-9a-f]{9})?"),
        "vpce-",
    ),
}


def check(ctx: CheckContext) -> Iterator[Finding]:
    for statement in ctx.policy.statements:
        for clause in statement.conditions:
            family = family_of(clause)
            if family == "IpAddress":
                yield from _ranges(ctx, clause)
            elif family == "String":
                yield from _identifiers(ctx, clause)


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _is_private(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    return any(
        network.version == block.version and network.subnet_of(block)  # type: ignore[arg-type]
        for block in _PRIVATE
    )


def _ranges(ctx: CheckContext, clause: ConditionClause) -> Iterator[Finding]:
    pointers = ctx.value_pointers(clause.pointer, len(clause.values))
    networks = []
    for pointer, value in zip(pointers, clause.values, strict=True):
        network = _network(value)
        if network is None:
            continue
        networks.append(network)
        if "/" in value and ipaddress.ip_interface(value.strip()).ip != network.network_address:
            yield finding(
                "IMPROVE_IP_RANGE",
                f"The bits of {value} after the mask are ignored: write {network} instead.",
                pointer,
            )
    if clause.key.lower() != "aws:sourceip" or not networks:
        return
    private = [n for n in networks if _is_private(n)]
    negated = clause.base == "NotIpAddress"
    if len(private) == len(networks):
        if negated:
            yield finding(
                "PRIVATE_NOTIPADDRESS",
                "The values for aws:SourceIp are all private addresses, so NotIpAddress always "
                "matches: aws:SourceIp holds only public addresses. Use aws:VpcSourceIp for "
                "private ranges.",
                clause.pointer,
            )
        else:
            yield finding(
                "PRIVATE_IP_ADDRESS",
                "The values for aws:SourceIp are all private addresses and never match: "
                "aws:SourceIp holds only public addresses. Use aws:VpcSourceIp for private "
                "ranges.",
                clause.pointer,
            )
    elif private:
        yield finding(
            "PRIVATE_NOTIPADDRESS_SUBSET" if negated else "PRIVATE_IP_ADDRESS_SUBSET",
            "The values for aws:SourceIp mix private and public addresses; the private ones "
            f"({', '.join(str(n) for n in private)}) have no effect. Use aws:VpcSourceIp for "
            "private ranges.",
            clause.pointer,
        )


def _identifiers(ctx: CheckContext, clause: ConditionClause) -> Iterator[Finding]:
    key = clause.key.lower()
    pointers = ctx.value_pointers(clause.pointer, len(clause.values))
    for pointer, value in zip(pointers, clause.values, strict=True):
        if has_wildcards(value) or "${" in value:
            continue
        if key in _FORMATS:
            code, pattern, prefix = _FORMATS[key]
            if not pattern.fullmatch(value):
                yield finding(
                    code,
                    f"The value {value!r} for {clause.key} is not an ID of the form "
                    f"{prefix}0123456789abcdef0.",
                    pointer,
                )
        elif key == "aws:requestedregion" and not looks_like_region(value):
            yield finding(
                "INVALID_REGION",
                f"The value {value!r} for aws:RequestedRegion is not a Region code such as "
                "us-east-1.",
                pointer,
            )
