"""IpAddress and NotIpAddress, for IPv4 and IPv6 addresses and CIDR blocks.

A request address of the other IP version is simply outside every block (so ``NotIpAddress``
matches it); a request value that is no address at all is undefined.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
"""

from __future__ import annotations

import ipaddress
import socket

from iamd.policy.conditions.base import Comparator, Family
from iamd.policy.variables import Context, Part, resolve_literal

_cache: dict[str, tuple[int, int] | None] = {}


def parse_address(text: str) -> tuple[int, int] | None:
    """``(version, integer)`` for an IPv4 or IPv6 address, or ``None``."""
    hit = _cache.get(text)
    if hit is not None or text in _cache:
        return hit
    result: tuple[int, int] | None
    try:
        result = (4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"))
    except (OSError, ValueError, UnicodeError):
        try:
            result = (6, int(ipaddress.IPv6Address(text)))
        except (ValueError, UnicodeError):
            result = None
    if len(_cache) > 65536:
        _cache.clear()
    _cache[text] = result
    return result


def parse_network(text: str) -> tuple[int, int, int] | None:
    """``(version, network, mask)`` for an address or a CIDR block, or ``None``."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    return (network.version, int(network.network_address), int(network.netmask))


def _validate(value: str) -> str | None:
    if parse_network(value) is None:
        return f"Invalid IP address or CIDR block {value!r}"
    return None


def _build(base: str, templates: tuple[tuple[Part, ...], ...]) -> Comparator:
    networks = [parse_network(resolve_literal(t, {}) or "") for t in templates]
    blocks = [n for n in networks if n is not None]

    def comparator(value: str, context: Context) -> bool | None:
        address = parse_address(value)
        if address is None:
            return None
        version, number = address
        for block_version, network, mask in blocks:
            if block_version == version and number & mask == network:
                return True
        return False

    return comparator


FAMILY = Family(name="IpAddress", variables=False, validate=_validate, build=_build)
OPERATORS = (("IpAddress", False), ("NotIpAddress", True))
