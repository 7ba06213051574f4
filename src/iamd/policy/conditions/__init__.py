"""Condition operators: one module per family, one registry, one place for the combining rules."""

from iamd.policy.conditions.clause import Predicate, compile_clause
from iamd.policy.conditions.registry import OPERATORS, ParsedOperator, parse_operator

__all__ = ["OPERATORS", "ParsedOperator", "Predicate", "compile_clause", "parse_operator"]
