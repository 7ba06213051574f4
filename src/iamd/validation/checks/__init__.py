"""The checks, one module per family; each is ``check(context) -> findings``."""

from __future__ import annotations

from iamd.validation.checks import (
    actions,
    conditions,
    document,
    network,
    principals,
    privilege,
    resources,
    statements,
    tags,
    variables,
)

CHECKS = (
    document.check,
    actions.check,
    resources.check,
    conditions.check,
    network.check,
    variables.check,
    principals.check,
    privilege.check,
    tags.check,
    statements.check,
)
