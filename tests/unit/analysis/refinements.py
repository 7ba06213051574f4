"""Changes to a policy that can only take access away ("safe refinements"), and changes that
may add some ("mutations").

Refinements feed the PASS-rate benchmark of CheckNoNewAccess: a sound check may still answer
FAIL for a safe change, and how often it does is the figure to watch.  Mutations feed the
soundness tests: they make pairs of policies that are close, so that PASS answers are common
enough for the exhaustive comparison to test something.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from .checks_alphabet import (
    ACCOUNT,
    ACTION_PATTERNS,
    CLAUSES,
    PRINCIPALS,
    RESOURCE_PATTERNS,
)

Document = dict[str, Any]

_NARROWER_ACTIONS = {
    "*": ["s3:*", "iam:*", "*:Get*"],
    "s3:*": ["s3:Get*", "s3:*Object", "s3:PutObject"],
    "s3:Get*": ["s3:GetObject", "s3:GetObjectAcl"],
    "*:Get*": ["s3:Get*", "iam:GetUser"],
    "s3:*Object": ["s3:GetObject", "s3:PutObject"],
    "s3:?etObject": ["s3:GetObject"],
    "iam:*": ["iam:CreateUser"],
    "s*:Put*": ["s3:PutObject"],
}
_NARROWER_RESOURCES = {
    "*": ["arn:aws:s3:::*", "arn:aws:s3:::b/*", f"arn:aws:iam::{ACCOUNT}:*"],
    "arn:aws:s3:::*": ["arn:aws:s3:::b", "arn:aws:s3:::b/*", "arn:aws:s3:::?/x"],
    "arn:aws:s3:::b/*": ["arn:aws:s3:::b/x*", "arn:aws:s3:::b/x/y"],
    "arn:aws:s3:::b/x*": ["arn:aws:s3:::b/x/y", "arn:aws:s3:::b/x"],
    f"arn:aws:iam::{ACCOUNT}:*": [f"arn:aws:iam::{ACCOUNT}:user/*"],
    f"arn:aws:iam::{ACCOUNT}:user/*": [f"arn:aws:iam::{ACCOUNT}:user/bob"],
    "arn:aws:iam::*:user/bob": [f"arn:aws:iam::{ACCOUNT}:user/bob"],
}


def _entries(statement: dict[str, Any], field: str) -> list[Any]:
    value = statement.get(field)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _allows(document: Document) -> list[dict[str, Any]]:
    return [s for s in document["Statement"] if s["Effect"] == "Allow"]


@st.composite
def refine(draw: st.DrawFn, document: Document) -> Document:
    """One change that cannot add access to ``document``."""
    out = copy.deepcopy(document)
    allows = _allows(out)
    target = draw(st.sampled_from(allows))
    kind = draw(
        st.sampled_from(
            [
                "drop",
                "action",
                "resource",
                "condition",
                "values",
                "split",
                "deny",
                "notaction",
                "ifexists",
                "same",
                "principal",
                "bound",
            ]
        )
    )
    if kind == "drop" and len(allows) > 1:
        out["Statement"].remove(target)
    elif kind == "action" and "Action" in target:
        entries = _entries(target, "Action")
        index = draw(st.integers(0, len(entries) - 1))
        choices = _NARROWER_ACTIONS.get(entries[index])
        if choices:
            entries[index] = draw(st.sampled_from(choices))
            target["Action"] = entries
    elif kind == "resource" and "Resource" in target:
        entries = _entries(target, "Resource")
        index = draw(st.integers(0, len(entries) - 1))
        choices = _NARROWER_RESOURCES.get(entries[index])
        if choices:
            entries[index] = draw(st.sampled_from(choices))
            target["Resource"] = entries
    elif kind == "condition":
        op, key, values = draw(st.sampled_from(CLAUSES))
        block = target.setdefault("Condition", {}).setdefault(op, {})
        if key not in block:
            block[key] = list(values)
    elif kind == "values" and target.get("Condition"):
        op = draw(st.sampled_from(sorted(target["Condition"])))
        key = draw(st.sampled_from(sorted(target["Condition"][op])))
        values = _entries(target["Condition"][op], key)
        if "Not" in op:
            if "String" in op:
                values.append(draw(st.sampled_from(["a", "b", "zz"])))
        elif len(values) > 1 and op != "Null":
            values.pop()
        target["Condition"][op][key] = values
    elif kind == "split" and len(_entries(target, "Action")) > 1:
        entries = _entries(target, "Action")
        first = {k: v for k, v in target.items() if k != "Sid"}
        first["Action"] = entries[:1]
        target["Action"] = entries[1:]
        out["Statement"].append(first)
    elif kind == "deny":
        out["Statement"].append(
            {
                "Effect": "Deny",
                "Action": draw(st.sampled_from(ACTION_PATTERNS)),
                "Resource": draw(st.sampled_from(RESOURCE_PATTERNS)),
                **({"Principal": "*"} if "Principal" in target or "NotPrincipal" in target else {}),
            }
        )
    elif kind == "notaction" and "NotAction" in target:
        target["NotAction"] = [
            *_entries(target, "NotAction"),
            draw(st.sampled_from(ACTION_PATTERNS)),
        ]
    elif kind == "ifexists" and target.get("Condition"):
        for op in list(target["Condition"]):
            if op == "StringEqualsIfExists" and "StringEquals" not in target["Condition"]:
                target["Condition"]["StringEquals"] = target["Condition"].pop(op)
    elif kind == "bound" and target.get("Condition"):
        block = target["Condition"]
        if block.get("IpAddress", {}).get("aws:SourceIp") == ["10.0.0.0/8"]:
            block["IpAddress"]["aws:SourceIp"] = ["10.1.0.0/16"]
        if "NumericLessThan" in block:
            block["NumericLessThan"]["s3:max-keys"] = ["5"]
        if "NumericGreaterThan" in block:
            block["NumericGreaterThan"]["s3:max-keys"] = ["7"]
        if "NumericLessThanEquals" in block and "NumericLessThan" not in block:
            block["NumericLessThan"] = {"s3:max-keys": ["7"]}
            del block["NumericLessThanEquals"]
    elif kind == "principal" and isinstance(target.get("Principal"), dict):
        values = target["Principal"].get("AWS")
        if isinstance(values, list) and len(values) > 1:
            target["Principal"] = {"AWS": values[:1]}
    return out


@st.composite
def refinements(draw: st.DrawFn, document: Document) -> Document:
    out = document
    for _ in range(draw(st.integers(1, 3))):
        out = draw(refine(out))
    return out


@st.composite
def mutate(draw: st.DrawFn, document: Document) -> Document:
    """A close variant of ``document``: refined, widened, or both."""
    out = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        statements = out["Statement"]
        target = draw(st.sampled_from(statements))
        kind = draw(
            st.sampled_from(
                [
                    "refine",
                    "refine",
                    "action",
                    "resource",
                    "uncondition",
                    "undeny",
                    "principal",
                    "version",
                    "effect",
                    "notresource",
                    "rebound",
                    "notprincipal",
                ]
            )
        )
        if kind == "refine" and _allows(out):
            out = draw(refine(out))
        elif kind == "action" and "Action" in target:
            target["Action"] = [*_entries(target, "Action"), draw(st.sampled_from(ACTION_PATTERNS))]
        elif kind == "resource" and "Resource" in target:
            target["Resource"] = [
                *_entries(target, "Resource"),
                draw(st.sampled_from(RESOURCE_PATTERNS)),
            ]
        elif kind == "uncondition" and target.get("Condition"):
            op = draw(st.sampled_from(sorted(target["Condition"])))
            del target["Condition"][op]
            if not target["Condition"]:
                del target["Condition"]
        elif kind == "undeny" and target["Effect"] == "Deny" and len(statements) > 1:
            statements.remove(target)
        elif kind == "principal" and "Principal" in target:
            target["Principal"] = draw(st.sampled_from(PRINCIPALS))
        elif kind == "version":
            out["Version"] = draw(st.sampled_from(["2012-10-17", "2008-10-17"]))
        elif kind == "effect" and target["Effect"] == "Deny":
            target["Effect"] = "Allow"
        elif kind == "notresource" and "NotResource" in target:
            entries = _entries(target, "NotResource")
            entries[draw(st.integers(0, len(entries) - 1))] = draw(
                st.sampled_from(RESOURCE_PATTERNS)
            )
            target["NotResource"] = entries
        elif kind == "rebound" and target.get("Condition"):
            for op, block in target["Condition"].items():
                pool = _REBOUND.get(op.removesuffix("IfExists"))
                for key in block if pool else ():
                    block[key] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2))
        elif kind == "notprincipal" and "NotPrincipal" in target:
            target["NotPrincipal"] = {
                "AWS": draw(st.lists(st.sampled_from(_AWS), min_size=1, max_size=2))
            }
    return out


_IPS = ["10.0.0.0/8", "10.1.0.0/16", "10.9.0.0/16", "10.1.2.3/32"]
_NUMBERS = ["5", "7", "10", "6.5"]
_REBOUND = {
    "IpAddress": _IPS,
    "NotIpAddress": _IPS,
    "NumericLessThan": _NUMBERS,
    "NumericLessThanEquals": _NUMBERS,
    "NumericGreaterThan": _NUMBERS,
}
_AWS = [ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/bob", f"arn:aws:iam::{ACCOUNT}:root", "444455556666"]


def split_by_any_values(document: Document) -> Document:
    """``document`` with one Allow split in two by the values of any multi-valued clause.  For
    negated operators and ``ForAllValues`` that is *not* the same access, which is the point:
    the soundness tests must see the checks refuse to share such values out."""
    out = copy.deepcopy(document)
    for index, statement in enumerate(out["Statement"]):
        for op, block in statement.get("Condition", {}).items():
            for key, values in block.items():
                if statement["Effect"] == "Allow" and isinstance(values, list) and len(values) > 1:
                    first = copy.deepcopy(statement)
                    first["Condition"][op][key] = values[:1]
                    first.pop("Sid", None)
                    block[key] = values[1:]
                    out["Statement"].insert(index, first)
                    return out
    return out


def split_by_values(document: Document) -> Document | None:
    """``document`` with one Allow split in two by the values of a ``StringEquals`` clause:
    the same access, but proving it needs two existing statements at once (the checks share
    a clause's values out between statements; the benchmark reports how often that works)."""
    out = copy.deepcopy(document)
    for index, statement in enumerate(out["Statement"]):
        block = statement.get("Condition", {}).get("StringEquals", {})
        for key, values in block.items():
            if statement["Effect"] == "Allow" and isinstance(values, list) and len(values) > 1:
                first = copy.deepcopy(statement)
                first["Condition"]["StringEquals"][key] = values[:1]
                first.pop("Sid", None)
                statement["Condition"]["StringEquals"][key] = values[1:]
                out["Statement"].insert(index, first)
                return out
    return None
