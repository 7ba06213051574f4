"""Builders shared by the validation tests (fixtures, since test folders are not packages)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from iamd.policy import PolicyKind
from iamd.validation import Finding, validate_policy

V2012 = "2012-10-17"


def _lint(document: Any, kind: PolicyKind = PolicyKind.IDENTITY) -> list[Finding]:
    text = document if isinstance(document, str) else json.dumps(document, indent=2)
    return validate_policy(text, kind)


@pytest.fixture
def lint() -> Callable[..., list[Finding]]:
    """``lint(document, kind)`` -> findings; a dict is dumped as indented JSON first."""
    return _lint


@pytest.fixture
def codes() -> Callable[..., set[str]]:
    """``codes(document, kind)`` -> the set of issue codes found."""

    def run(document: Any, kind: PolicyKind = PolicyKind.IDENTITY) -> set[str]:
        return {f.code for f in _lint(document, kind)}

    return run
