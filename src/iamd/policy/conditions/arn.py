"""ArnEquals, ArnLike, ArnNotEquals, ArnNotLike.  AWS treats Equals and Like alike: both accept
wildcards, field by field.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
"""

from __future__ import annotations

from iamd.policy.arn import arn_condition_test
from iamd.policy.conditions.base import Comparator, Family, combine
from iamd.policy.variables import Part


def _validate(value: str) -> str | None:
    return None


def _build(base: str, templates: tuple[tuple[Part, ...], ...]) -> Comparator:
    tests = [arn_condition_test(t) for t in templates]
    if len(tests) == 1:
        return tests[0]
    return combine(tests)


FAMILY = Family(name="Arn", variables=True, validate=_validate, build=_build)
OPERATORS = (
    ("ArnEquals", False),
    ("ArnLike", False),
    ("ArnNotEquals", True),
    ("ArnNotLike", True),
)
