"""Reads a policy document into :mod:`iamd.policy.model`, collecting every error with its place.

Messages follow the wording of AWS's ``MalformedPolicyDocument`` errors where AWS has one, so the
IAM service can return them unchanged.  Anything unknown (a field, an operator, a value that is
not of its operator's type) is an error: iamd never ignores what it does not understand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from iamd.policy.conditions.registry import parse_operator
from iamd.policy.errors import MalformedPolicyError, PolicyError, pointer_join
from iamd.policy.model import (
    VERSION_2008,
    VERSION_2012,
    ConditionClause,
    Effect,
    Policy,
    PolicyKind,
    PrincipalSpec,
    Statement,
)

_TOP_FIELDS = {"Version", "Id", "Statement"}
_STATEMENT_FIELDS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
_PRINCIPAL_TYPES = {"AWS": "aws", "Service": "service", "Federated": "federated"}
_ACTION = re.compile(r"[A-Za-z0-9*?-]+:[^\s:]+")
_VENDOR_MESSAGE = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
_ACCOUNT = re.compile(r"\d{12}")
_UNIQUE_ID = re.compile(r"A[A-Z0-9]{3}[A-Z0-9]{12,}")


def _show(value: Any, limit: int = 80) -> str:
    """A short, safe rendering of any input value for an error message.

    Never raises: huge integers (which Python refuses to turn into text), deep nesting and
    odd types all get a printable stand-in.
    """
    try:
        text = value if isinstance(value, str) else json.dumps(value)
    except (ValueError, TypeError, RecursionError):
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKeyError(key)
        seen[key] = value
    return seen


def load_json(text: str | bytes) -> Any:
    """Parse JSON the way a policy needs it: duplicate keys are an error, not a silent overwrite."""
    return json.loads(text, object_pairs_hook=_no_duplicates)


def parse_policy(
    document: str | bytes | Mapping[str, Any],
    kind: PolicyKind = PolicyKind.IDENTITY,
    name: str = "policy",
) -> Policy:
    """Parse and validate a policy; raise :class:`MalformedPolicyError` listing every problem."""
    errors: list[PolicyError] = []
    if isinstance(document, (str, bytes)):
        try:
            value = load_json(document)
        except _DuplicateKeyError as exc:
            raise MalformedPolicyError(
                [PolicyError("", f"Syntax errors in policy. Duplicate key {_show(exc.args[0])!r}.")]
            ) from None
        except (ValueError, RecursionError) as exc:
            raise MalformedPolicyError(
                [PolicyError("", f"Syntax errors in policy. {exc}")]
            ) from None
    else:
        value = document
    policy = _Parser(kind, errors).policy(value, name)
    if errors or policy is None:
        raise MalformedPolicyError(errors or [PolicyError("", "Syntax errors in policy.")])
    return policy


def _string_list(value: Any, pointer: str, field: str, errors: list[PolicyError]) -> list[str]:
    """A string or a non-empty list of strings, as AWS allows for element values."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value:
        out = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                out.append(item)
            else:
                errors.append(
                    PolicyError(pointer_join(pointer, index), f"{field} values must be strings.")
                )
        return out
    errors.append(PolicyError(pointer, f"{field} must be a string or a non-empty list of strings."))
    return []


class _Parser:
    def __init__(self, kind: PolicyKind, errors: list[PolicyError]) -> None:
        self.kind = kind
        self.errors = errors
        self.variables = True

    def error(self, pointer: str, message: str) -> None:
        self.errors.append(PolicyError(pointer, message))

    def policy(self, value: Any, name: str) -> Policy | None:
        if not isinstance(value, dict):
            self.error("", "Syntax errors in policy. The policy must be a JSON object.")
            return None
        for key in value:
            if key not in _TOP_FIELDS:
                self.error(pointer_join("", key), f"Unknown field {key}")
        version = value.get("Version")
        if version is not None and version not in (VERSION_2012, VERSION_2008):
            self.error(
                "/Version",
                f"The policy failed legacy parsing: Version {_show(version)!r} is not "
                f"{VERSION_2012} or {VERSION_2008}.",
            )
            version = None
        self.variables = version == VERSION_2012
        policy_id = value.get("Id")
        if policy_id is not None and not isinstance(policy_id, str):
            self.error("/Id", "Id must be a string.")
            policy_id = None
        if "Statement" not in value:
            self.error("", "Missing required field Statement")
            return None
        raw = value["Statement"]
        if isinstance(raw, dict):
            items: list[tuple[str, Any]] = [("/Statement", raw)]
        elif isinstance(raw, list):
            items = [(pointer_join("/Statement", i), s) for i, s in enumerate(raw)]
        else:
            self.error("/Statement", "Statement must be an object or a list of objects.")
            return None
        statements = []
        sids: dict[str, str] = {}
        for index, (pointer, item) in enumerate(items):
            statement = self.statement(index, pointer, item)
            if statement is None:
                continue
            if statement.sid:
                if statement.sid in sids:
                    self.error(
                        pointer_join(pointer, "Sid"),
                        "Statement IDs (SID) in a single policy must be unique.",
                    )
                sids[statement.sid] = pointer
            statements.append(statement)
        return Policy(
            kind=self.kind,
            version=version,
            id=policy_id,
            statements=tuple(statements),
            name=name,
            document=value,
        )

    def statement(self, index: int, pointer: str, value: Any) -> Statement | None:
        if not isinstance(value, dict):
            self.error(pointer, "Statement must be a JSON object.")
            return None
        before = len(self.errors)
        for key in value:
            if key not in _STATEMENT_FIELDS:
                self.error(pointer_join(pointer, key), f"Unknown field {key}")
        sid = value.get("Sid")
        if sid is not None and not isinstance(sid, str):
            self.error(pointer_join(pointer, "Sid"), "Sid must be a string.")
            sid = None
        effect = self.effect(pointer, value)
        action, not_action = self.actions(pointer, value)
        resource, not_resource = self.resources(pointer, value)
        principal, not_principal = self.principals(pointer, value)
        conditions = self.conditions(pointer, value.get("Condition"))
        if effect is None or len(self.errors) != before:
            return None
        return Statement(
            index=index,
            sid=sid,
            effect=effect,
            action=action,
            not_action=not_action,
            resource=resource,
            not_resource=not_resource,
            principal=principal,
            not_principal=not_principal,
            conditions=conditions,
            pointer=pointer,
        )

    def effect(self, pointer: str, value: dict[str, Any]) -> Effect | None:
        if "Effect" not in value:
            self.error(pointer, "Missing required field Effect")
            return None
        raw = value["Effect"]
        if raw == "Allow":
            return Effect.ALLOW
        if raw == "Deny":
            return Effect.DENY
        self.error(pointer_join(pointer, "Effect"), f"Invalid effect: {_show(raw)}")
        return None

    def _either(self, pointer: str, value: dict[str, Any], field: str) -> tuple[str, Any] | None:
        positive, negative = field, f"Not{field}"
        if positive in value and negative in value:
            self.error(pointer, f"Statement cannot contain both {positive} and {negative}.")
            return None
        if positive in value:
            return positive, value[positive]
        if negative in value:
            return negative, value[negative]
        return None

    def actions(
        self, pointer: str, value: dict[str, Any]
    ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
        found = self._either(pointer, value, "Action")
        if found is None:
            if "Action" not in value and "NotAction" not in value:
                self.error(pointer, "Policy statement must contain actions.")
            return None, None
        field, raw = found
        where = pointer_join(pointer, field)
        items = _string_list(raw, where, field, self.errors)
        for index, item in enumerate(items):
            if item != "*" and not _ACTION.fullmatch(item):
                at = where if isinstance(raw, str) else pointer_join(where, index)
                self.error(at, _VENDOR_MESSAGE)
        result = tuple(items)
        return (result, None) if field == "Action" else (None, result)

    def resources(
        self, pointer: str, value: dict[str, Any]
    ) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
        found = self._either(pointer, value, "Resource")
        if found is None:
            missing = "Resource" not in value and "NotResource" not in value
            if missing and self.kind is not PolicyKind.TRUST:
                self.error(pointer, "Policy statement must contain resources.")
            return None, None
        field, raw = found
        where = pointer_join(pointer, field)
        if self.kind is PolicyKind.TRUST:
            self.error(where, f"Has prohibited field {field}")
            return None, None
        items = _string_list(raw, where, field, self.errors)
        for index, item in enumerate(items):
            if item != "*" and not (item.startswith("arn:") and item.count(":") >= 2):
                at = where if isinstance(raw, str) else pointer_join(where, index)
                self.error(at, f'Resource {_show(item, 200)} must be in ARN format or "*".')
        result = tuple(items)
        return (result, None) if field == "Resource" else (None, result)

    def principals(
        self, pointer: str, value: dict[str, Any]
    ) -> tuple[PrincipalSpec | None, PrincipalSpec | None]:
        found = self._either(pointer, value, "Principal")
        if not self.kind.has_principal:
            if found is not None:
                self.error(
                    pointer_join(pointer, found[0]),
                    "Policy document should not specify a principal.",
                )
            return None, None
        if found is None:
            if "Principal" not in value and "NotPrincipal" not in value:
                self.error(pointer, "Missing required field Principal")
            return None, None
        field, raw = found
        where = pointer_join(pointer, field)
        if self.kind is PolicyKind.RCP and (field != "Principal" or raw != "*"):
            # https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
            self.error(
                where,
                'Invalid principal in policy: a resource control policy must use "Principal": "*"',
            )
            return None, None
        spec = self.principal(where, raw)
        return (spec, None) if field == "Principal" else (None, spec)

    def principal(self, pointer: str, raw: Any) -> PrincipalSpec | None:
        if raw == "*":
            return PrincipalSpec(wildcard=True)
        if not isinstance(raw, dict) or not raw:
            self.error(pointer, "Invalid principal in policy")
            return None
        fields: dict[str, tuple[str, ...]] = {}
        for key, entry in raw.items():
            where = pointer_join(pointer, key)
            if key not in _PRINCIPAL_TYPES and key != "CanonicalUser":
                self.error(where, "Invalid principal in policy")
                continue
            items = _string_list(entry, where, key, self.errors)
            for index, item in enumerate(items):
                at = where if isinstance(entry, str) else pointer_join(where, index)
                if key == "AWS" and not _valid_aws_principal(item):
                    self.error(at, f'Invalid principal in policy: "AWS":"{item}"')
                elif key != "AWS" and item != "*" and ("*" in item or not item.strip()):
                    self.error(at, f'Invalid principal in policy: "{key}":"{item}"')
            fields[_PRINCIPAL_TYPES.get(key, "canonical_user")] = tuple(items)
        return PrincipalSpec(
            aws=fields.get("aws", ()),
            service=fields.get("service", ()),
            federated=fields.get("federated", ()),
            canonical_user=fields.get("canonical_user", ()),
        )

    def conditions(self, pointer: str, raw: Any) -> tuple[ConditionClause, ...]:
        if raw is None:
            return ()
        where = pointer_join(pointer, "Condition")
        if not isinstance(raw, dict):
            self.error(where, "Condition must be a JSON object.")
            return ()
        clauses: list[ConditionClause] = []
        for operator, block in raw.items():
            op_where = pointer_join(where, _show(operator))
            parsed = parse_operator(operator) if isinstance(operator, str) else None
            if parsed is None:
                self.error(op_where, f"Invalid Condition type : {_show(operator)}.")
                continue
            if not isinstance(block, dict) or not block:
                self.error(op_where, f"{operator} must map condition keys to values.")
                continue
            for key, values in block.items():
                key_where = pointer_join(op_where, _show(key))
                if not isinstance(key, str) or ":" not in key or key[0] == ":" or key[-1] == ":":
                    self.error(key_where, _VENDOR_MESSAGE)
                    continue
                texts = self.condition_values(key_where, values)
                if texts is None:
                    continue
                family = parsed.spec.family
                for index, text in enumerate(texts):
                    at = (
                        key_where
                        if not isinstance(values, list)
                        else pointer_join(key_where, index)
                    )
                    message: str | None
                    if family is None:
                        ok = text.lower() in ("true", "false")
                        message = None if ok else f"Invalid Null value {text!r}: use true or false"
                    elif family.variables and self.variables and "${" in text:
                        message = None
                    else:
                        message = family.validate(text)
                    if message:
                        self.error(at, f"{message} for {operator}.")
                clauses.append(
                    ConditionClause(
                        operator=operator,
                        base=parsed.spec.name,
                        qualifier=parsed.qualifier,
                        if_exists=parsed.if_exists,
                        key=key,
                        values=tuple(texts),
                        pointer=key_where,
                    )
                )
        return tuple(clauses)

    def condition_values(self, pointer: str, raw: Any) -> list[str] | None:
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            self.error(pointer, "Condition values must not be an empty list.")
            return None
        out: list[str] = []
        for index, item in enumerate(items):
            if isinstance(item, bool):
                out.append("true" if item else "false")
            elif isinstance(item, (int, float)):
                try:
                    out.append(json.dumps(item))
                except ValueError:  # an integer too long to print
                    at = pointer if not isinstance(raw, list) else pointer_join(pointer, index)
                    self.error(at, "Condition value is too large a number.")
                    return None
            elif isinstance(item, str):
                out.append(item)
            else:
                at = pointer if not isinstance(raw, list) else pointer_join(pointer, index)
                self.error(at, "Condition values must be strings, numbers or booleans.")
                return None
        return out


def _valid_aws_principal(value: str) -> bool:
    if value == "*":
        return True
    if _ACCOUNT.fullmatch(value) or _UNIQUE_ID.fullmatch(value):
        return True
    return value.startswith("arn:") and "*" not in value and value.count(":") >= 5
