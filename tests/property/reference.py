"""A slow, literal reference interpreter of AWS policy evaluation, for differential testing.

iamd's engine (``iamd.policy``) parses policies once, compiles wildcards into regular expressions,
caches plans per action and short-circuits wherever it can.  Every one of those optimisations is a
place where it can drift from what AWS documents.  This module is the opposite: it reads the raw
JSON documents on every call, matches wildcards with a textbook dynamic-programming matcher, and
follows the documented rules one by one, so that a property test can assert that both agree on
every generated case.

Independence is the point, so nothing here imports ``iamd``: the only things shared with the
engine are the raw JSON documents going in and the three decision strings coming out.

Scope (what the strategies in :mod:`tests.property.strategies` generate): identity policies,
a permissions boundary, a session policy, one resource-based policy, SCP levels and RCP levels;
callers are IAM users or assumed-role sessions; Resource entries are ``"*"`` or six-field ARNs
whose policy variables sit after the fifth colon, as AWS requires.

Sources, cited again where each rule is applied:

* evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
* cross-account: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
* condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
* multivalued keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
* policy variables: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Any, Literal

Decision = Literal["Allowed", "ExplicitlyDenied", "ImplicitlyDenied"]
ContextValue = str | list[str]
Document = dict[str, Any]

ALLOWED: Decision = "Allowed"
EXPLICITLY_DENIED: Decision = "ExplicitlyDenied"
IMPLICITLY_DENIED: Decision = "ImplicitlyDenied"

VERSION_2012 = "2012-10-17"


# --------------------------------------------------------------------------------------------
# Requests and policy sets, as raw as the workload format carries them
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawRequest:
    """One authorization question, in the shape of ``iamd-workload/1`` requests."""

    principal: str
    action: str
    resource: str
    resource_account: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class RawPolicySet:
    """Every raw policy document that applies to one request, by policy type."""

    identity: Sequence[Document] = ()
    boundary: Document | None = None
    session: Document | None = None
    resource: Document | None = None
    scp: Sequence[Sequence[Document]] = ()
    """One list of documents per organization level, root first; every level must allow."""
    rcp: Sequence[Sequence[Document]] = ()
    """Customer RCPs per level; ``RCPFullAWSAccess`` (allow all) is implied at every level."""


# --------------------------------------------------------------------------------------------
# Wildcards
# --------------------------------------------------------------------------------------------


class Wild(Enum):
    """A wildcard position in a glob: ``*`` (any run, empty included) or ``?`` (one character)."""

    STAR = "*"
    ONE = "?"


GlobItem = str | Wild
"""A literal character, or a wildcard."""


def glob_match(glob: Sequence[GlobItem], subject: str, *, fold: bool = False) -> bool:
    """Whether ``subject`` matches ``glob`` in full; ``fold`` ignores ASCII case.

    A plain dynamic programme over (glob position, subject position): slow, obviously correct,
    and unrelated to how iamd matches (regular expressions, or greedy segment placement).
    """
    if fold:
        subject = subject.lower()
    reachable = [False] * (len(subject) + 1)
    reachable[0] = True
    for item in glob:
        following = [False] * (len(subject) + 1)
        if item is Wild.STAR:
            seen = False
            for index in range(len(subject) + 1):
                seen = seen or reachable[index]
                following[index] = seen
        else:
            literal = item.lower() if fold and isinstance(item, str) else item
            for index in range(len(subject)):
                if reachable[index] and (literal is Wild.ONE or literal == subject[index]):
                    following[index + 1] = True
        reachable = following
    return reachable[len(subject)]


# --------------------------------------------------------------------------------------------
# Policy variables
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plain:
    """A character written in the policy; ``*`` and ``?`` may act as wildcards."""

    char: str


@dataclass(frozen=True)
class _Escaped:
    """``${*}``, ``${?}`` or ``${$}``: the character itself, never a wildcard."""

    char: str


@dataclass(frozen=True)
class _Variable:
    """``${key}`` or ``${key, 'default'}``; ``key`` in lower case (keys ignore case)."""

    key: str
    default: str | None


_Atom = _Plain | _Escaped | _Variable
_ESCAPES = ("*", "?", "$")


def _atoms(text: str, variables: bool) -> list[_Atom]:
    """Split policy text into characters, escapes and variables.

    Variables exist only in ``"Version": "2012-10-17"`` policies; in older ones (or without a
    Version) ``${...}`` is literal text.  A ``${`` without a closing ``}`` is plain text.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
    """
    if not variables:
        return [_Plain(ch) for ch in text]
    out: list[_Atom] = []
    index = 0
    while index < len(text):
        if text.startswith("${", index):
            end = text.find("}", index + 2)
            if end >= 0:
                inner = text[index + 2 : end]
                out.append(_Escaped(inner) if inner in _ESCAPES else _variable(inner))
                index = end + 1
                continue
        out.append(_Plain(text[index]))
        index += 1
    return out


def _variable(inner: str) -> _Variable:
    """``key, 'default'``: "separate the variable text and the default value with a comma and
    space", the default in single quotes (the variables page, "Specifying default values")."""
    name, separator, rest = inner.partition(", ")
    if separator and len(rest) >= 2 and rest[0] == "'" and rest[-1] == "'":
        return _Variable(name.strip().lower(), rest[1:-1])
    return _Variable(inner.strip().lower(), None)


def _lookup(variable: _Variable, context: Mapping[str, ContextValue]) -> str | None:
    """The text a variable stands for, or ``None`` when it cannot be substituted.

    A key that is absent has no value ("Policy variables with no value": there is no equal or
    like value); a multivalued key cannot be substituted into one string either ("you can't use
    multivalued context keys as policy variables", the single-vs-multivalued page).  In both cases
    a default value, if the policy gives one, stands in: AWS documents defaults for a key that
    is not present and says nothing specific about multivalued keys, so the reference treats
    "no single value" alike.
    """
    value = context.get(variable.key)
    if isinstance(value, str):
        return value
    return variable.default


def _resolve_glob(
    atoms: Iterable[_Atom], context: Mapping[str, ContextValue]
) -> list[GlobItem] | None:
    """A glob in which only the policy's own ``*`` and ``?`` are wildcards; ``None`` if some
    variable cannot be resolved (that value then matches nothing)."""
    out: list[GlobItem] = []
    for atom in atoms:
        if isinstance(atom, _Plain):
            if atom.char == "*":
                out.append(Wild.STAR)
            elif atom.char == "?":
                out.append(Wild.ONE)
            else:
                out.append(atom.char)
        elif isinstance(atom, _Escaped):
            out.append(atom.char)
        else:
            value = _lookup(atom, context)
            if value is None:
                return None
            out.extend(value)  # a substituted value is literal text
    return out


def _resolve_text(atoms: Iterable[_Atom], context: Mapping[str, ContextValue]) -> str | None:
    """The text with variables substituted, wildcards literal (``StringEquals``, ``Bool``)."""
    out: list[str] = []
    for atom in atoms:
        if isinstance(atom, _Variable):
            value = _lookup(atom, context)
            if value is None:
                return None
            out.append(value)
        else:
            out.append(atom.char)
    return "".join(out)


def _split_fields(atoms: list[_Atom]) -> list[list[_Atom]]:
    """Split at the first five colons of the policy text (never at a colon inside a variable:
    ``${aws:username}`` is one atom)."""
    fields: list[list[_Atom]] = [[]]
    for atom in atoms:
        if isinstance(atom, _Plain) and atom.char == ":" and len(fields) < 6:
            fields.append([])
        else:
            fields[-1].append(atom)
    return fields


# --------------------------------------------------------------------------------------------
# Action and Resource
# --------------------------------------------------------------------------------------------


def action_matches(pattern: str, action: str) -> bool:
    """Action names ignore case; ``*`` and ``?`` are wildcards; the service prefix and the
    action name are matched separately, so a wildcard never crosses the colon.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
    """
    if pattern == "*":
        return True
    pattern_vendor, _, pattern_name = pattern.partition(":")
    vendor, separator, name = action.partition(":")
    if not separator:
        return False
    return glob_match(_glob_of(pattern_vendor), vendor, fold=True) and glob_match(
        _glob_of(pattern_name), name, fold=True
    )


def _glob_of(text: str) -> list[GlobItem]:
    """A glob from text with no variables (actions never take policy variables)."""
    glob = _resolve_glob(_atoms(text, variables=False), {})
    assert glob is not None
    return glob


def resource_entry_matches(
    entry: str, resource: str, context: Mapping[str, ContextValue], variables: bool
) -> bool | None:
    """Whether one Resource/NotResource entry covers ``resource``; ``None`` when the answer
    depends on a policy variable that cannot be resolved.

    An ARN has six colon-separated fields, each matched on its own, so a wildcard in the first
    five never crosses a colon (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
    Partition, service, region and account ignore case.  The resource field opens with a
    resource type (``user/``, ``table/``, ``function:``) that is literal text - AWS lists
    wildcards in it under "Incorrect wildcard usage" - except for S3, whose bucket and object
    ARNs have no resource type; after it, ``*`` spans anything, ``/`` and ``:`` included, and
    matching is case-sensitive (the Resource element page: "the IAM user name is case
    sensitive").  Policy variables may appear only "in the resource portion of the ARN ... after
    the fifth colon" (the variables page), so a mismatch in the fixed fields or the type is
    certain even when a variable later on cannot be resolved.
    """
    if entry == "*":
        return True
    fields = _split_fields(_atoms(entry, variables))
    actual = resource.split(":", 5)
    if len(fields) != 6 or len(actual) != 6:
        return False
    for index in range(5):
        glob = _resolve_glob(fields[index], context)
        if glob is None:
            return None
        if not glob_match(glob, actual[index], fold=index > 0):
            return False
    service = "".join(a.char for a in fields[2] if isinstance(a, _Plain)).lower()
    resource_type, rest = _resource_type(fields[5], is_s3=service == "s3")
    if not actual[5].startswith(resource_type):
        return False
    glob = _resolve_glob(rest, context)
    if glob is None:
        return None
    return glob_match(glob, actual[5][len(resource_type) :])


def _resource_type(atoms: list[_Atom], *, is_s3: bool) -> tuple[str, list[_Atom]]:
    """The literal resource-type prefix (up to and including the first ``/`` or ``:``) and the
    rest; no prefix for S3, and none when the field has neither separator."""
    if is_s3:
        return "", atoms
    prefix: list[str] = []
    for index, atom in enumerate(atoms):
        if not isinstance(atom, _Plain):
            return "", atoms
        prefix.append(atom.char)
        if atom.char in "/:":
            return "".join(prefix), atoms[index + 1 :]
    return "", atoms


def _as_list(value: Any) -> list[Any]:
    """Element values are a string or a list of strings."""
    return value if isinstance(value, list) else [value]


def _covers_action(statement: Document, action: str) -> bool:
    if "Action" in statement:
        return any(action_matches(p, action) for p in _as_list(statement["Action"]))
    return not any(action_matches(p, action) for p in _as_list(statement["NotAction"]))


def _covers_resource(
    statement: Document, resource: str, context: Mapping[str, ContextValue], variables: bool
) -> bool:
    """Resource: some entry covers the resource.  NotResource: no entry does, and that is
    certain - an entry whose variable cannot be resolved keeps the statement from applying
    (the variables page: an unresolvable variable "might cause the entire statement to be
    invalid")."""
    if "Resource" in statement:
        entries = _as_list(statement["Resource"])
        return any(resource_entry_matches(e, resource, context, variables) for e in entries)
    if "NotResource" in statement:
        entries = _as_list(statement["NotResource"])
        results = [resource_entry_matches(e, resource, context, variables) for e in entries]
        return all(r is False for r in results)
    return True


# --------------------------------------------------------------------------------------------
# Condition operators
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
# --------------------------------------------------------------------------------------------

Compare = Callable[[str, str, Mapping[str, ContextValue], bool], bool | None]
"""``compare(request value, policy value, context, variables)``: True or False, or ``None``
when the comparison is undefined (a value not of the operator's type, or a policy variable
that cannot be resolved)."""


def _string(kind: str) -> Compare:
    """StringEquals (exact, case-sensitive), StringEqualsIgnoreCase, StringLike (``*`` and
    ``?`` wildcards, case-sensitive).  Policy variables are supported."""

    def compare(
        actual: str, wanted: str, context: Mapping[str, ContextValue], variables: bool
    ) -> bool | None:
        atoms = _atoms(wanted, variables)
        if kind == "like":
            glob = _resolve_glob(atoms, context)
            return None if glob is None else glob_match(glob, actual)
        text = _resolve_text(atoms, context)
        if text is None:
            return None
        if kind == "ignorecase":
            return text.lower() == actual.lower()
        return text == actual

    return compare


_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _number(text: str) -> Decimal | None:
    """An integer or a decimal; compared exactly."""
    return Decimal(text) if _NUMBER.fullmatch(text) else None


_EPOCH = re.compile(r"-?[0-9]+")
_W3C_DATE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2}))?"
)


def _date(text: str) -> datetime | None:
    """Date operators take "W3C implementations of the ISO 8601 date formats" (a date alone,
    or a time with a zone designator) or epoch (UNIX) seconds, as ``aws:EpochTime`` carries -
    a signed integer, since UNIX time runs before 1970 too."""
    if _EPOCH.fullmatch(text):
        try:
            return datetime.fromtimestamp(int(text), tz=UTC)
        except (OverflowError, ValueError, OSError):
            return None
    if not _W3C_DATE.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _ordered(parse: Callable[[str], Any], relation: str) -> Compare:
    """Numeric* and Date*: the request value on the left, the policy value on the right
    (``NumericLessThan``: request value < policy value).  No policy variables."""

    def compare(
        actual: str, wanted: str, context: Mapping[str, ContextValue], variables: bool
    ) -> bool | None:
        left, right = parse(actual), parse(wanted)
        if left is None or right is None:
            return None
        return bool(
            {
                "eq": left == right,
                "lt": left < right,
                "le": left <= right,
                "gt": left > right,
                "ge": left >= right,
            }[relation]
        )

    return compare


def _bool(
    actual: str, wanted: str, context: Mapping[str, ContextValue], variables: bool
) -> bool | None:
    """Bool: ``true`` or ``false``.  Policy variables are supported."""
    text = _resolve_text(_atoms(wanted, variables), context)
    if text is None:
        return None
    left, right = actual.lower(), text.lower()
    if left not in ("true", "false") or right not in ("true", "false"):
        return None
    return left == right


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _binary(
    actual: str, wanted: str, context: Mapping[str, ContextValue], variables: bool
) -> bool | None:
    """BinaryEquals "compares the value of the specified key byte for byte against a base-64
    encoded representation of the binary value in the policy"."""
    left, right = _base64(actual), _base64(wanted)
    if left is None or right is None:
        return None
    return left == right


def _ip(
    actual: str, wanted: str, context: Mapping[str, ContextValue], variables: bool
) -> bool | None:
    """IpAddress: the request address lies in the policy's address or CIDR block (RFC 4632),
    IPv4 or IPv6; an address of the other version lies in no block of this one."""
    try:
        address = ipaddress.ip_address(actual)
    except ValueError:
        return None
    try:
        network = ipaddress.ip_network(wanted, strict=False)
    except ValueError:
        return None
    return address in network


def _arn(
    actual: str, wanted: str, context: Mapping[str, ContextValue], variables: bool
) -> bool | None:
    """ArnEquals/ArnLike (alike): "Case-sensitive matching of the ARN.  Each of the six
    colon-delimited components of the ARN is checked separately and each can include
    multi-character match wildcards (*) or single-character match wildcards (?)"."""
    parts = actual.split(":", 5)
    fields = _split_fields(_atoms(wanted, variables))
    if len(parts) != 6 or len(fields) != 6:
        return None
    for index in range(6):
        glob = _resolve_glob(fields[index], context)
        if glob is None:
            return None
        if not glob_match(glob, parts[index]):
            return False
    return True


@dataclass(frozen=True)
class _Base:
    compare: Compare
    negated: bool
    variables: bool
    """Whether the operator's family supports policy variables (the operators page lists
    "Policy variables - Supported" for String, Boolean and ARN operators only)."""


_BASES: dict[str, _Base] = {
    "StringEquals": _Base(_string("equals"), False, True),
    "StringNotEquals": _Base(_string("equals"), True, True),
    "StringEqualsIgnoreCase": _Base(_string("ignorecase"), False, True),
    "StringNotEqualsIgnoreCase": _Base(_string("ignorecase"), True, True),
    "StringLike": _Base(_string("like"), False, True),
    "StringNotLike": _Base(_string("like"), True, True),
    "NumericEquals": _Base(_ordered(_number, "eq"), False, False),
    "NumericNotEquals": _Base(_ordered(_number, "eq"), True, False),
    "NumericLessThan": _Base(_ordered(_number, "lt"), False, False),
    "NumericLessThanEquals": _Base(_ordered(_number, "le"), False, False),
    "NumericGreaterThan": _Base(_ordered(_number, "gt"), False, False),
    "NumericGreaterThanEquals": _Base(_ordered(_number, "ge"), False, False),
    "DateEquals": _Base(_ordered(_date, "eq"), False, False),
    "DateNotEquals": _Base(_ordered(_date, "eq"), True, False),
    "DateLessThan": _Base(_ordered(_date, "lt"), False, False),
    "DateLessThanEquals": _Base(_ordered(_date, "le"), False, False),
    "DateGreaterThan": _Base(_ordered(_date, "gt"), False, False),
    "DateGreaterThanEquals": _Base(_ordered(_date, "ge"), False, False),
    "Bool": _Base(_bool, False, True),
    "BinaryEquals": _Base(_binary, False, False),
    "IpAddress": _Base(_ip, False, False),
    "NotIpAddress": _Base(_ip, True, False),
    "ArnEquals": _Base(_arn, False, True),
    "ArnLike": _Base(_arn, False, True),
    "ArnNotEquals": _Base(_arn, True, True),
    "ArnNotLike": _Base(_arn, True, True),
}
NULL = "Null"
OPERATOR_NAMES: tuple[str, ...] = (*_BASES, NULL)
"""Every base operator name the reference knows, for the strategies."""


@dataclass(frozen=True)
class Operator:
    """``ForAnyValue:StringLikeIfExists`` split into its parts."""

    base: str
    qualifier: Literal["ForAllValues", "ForAnyValue"] | None
    if_exists: bool


def parse_operator(name: str) -> Operator:
    """Split a condition operator as written; ``ValueError`` for anything unknown."""
    qualifier: Literal["ForAllValues", "ForAnyValue"] | None = None
    rest = name
    if name.startswith("ForAllValues:"):
        qualifier, rest = "ForAllValues", name[len("ForAllValues:") :]
    elif name.startswith("ForAnyValue:"):
        qualifier, rest = "ForAnyValue", name[len("ForAnyValue:") :]
    if_exists = rest.endswith("IfExists") and rest != "IfExists"
    base = rest[: -len("IfExists")] if if_exists else rest
    if base not in _BASES and base != NULL:
        raise ValueError(f"unknown condition operator {name!r}")
    if base == NULL and (qualifier or if_exists):
        raise ValueError(f"Null takes neither a set operator nor IfExists: {name!r}")
    return Operator(base, qualifier, if_exists)


def _condition_values(raw: Any) -> list[str]:
    """Condition values as text: JSON booleans are ``true``/``false``, numbers their JSON text."""
    out = []
    for value in _as_list(raw):
        if isinstance(value, bool):
            out.append("true" if value else "false")
        elif isinstance(value, (int, float)):
            out.append(json.dumps(value))
        else:
            out.append(value)
    return out


def clause_holds(
    operator: str,
    key: str,
    raw_values: Any,
    context: Mapping[str, ContextValue],
    variables: bool,
) -> bool:
    """One operator applied to one key, with AWS's rules for missing keys, several values,
    negation, ``...IfExists`` and the set operators.

    * "If the key that you specify in a policy condition is not present in the request
      context, the values do not match and the condition is false.  If the policy condition
      requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right
      key is not present, the condition is true" - and ``...IfExists`` is true of a missing key.
    * Several values for one key are ORed; a negated operator holds when no value matches
      (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html).
      A value whose comparison is undefined (wrong type, unresolvable variable) matches
      nothing, and a negated operator cannot then be sure that no value matches.
    * ``ForAllValues`` holds when every request value matches some policy value, and "returns
      true if there are no context keys in the request"; ``ForAnyValue`` holds when some request
      value does, and "if there is no matching context key or the dataset is null, the
      condition returns false" - ``IfExists`` included: real AWS denies an Allow gated by
      ``ForAnyValue:StringEqualsIfExists`` on a missing key
      (https://repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w), although the operators page's
      general rule for ``...IfExists`` ("if the key is not present, evaluate the condition
      element as true") would suggest otherwise.
    * A multivalued key "requires a condition set operator": a single-valued operator on a
      list of values is false
      (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
    * ``Null``: ``true`` holds when the key is absent, ``false`` when it is present.
    """
    parsed = parse_operator(operator)
    values = _condition_values(raw_values)
    actual = context.get(key.lower())
    if parsed.base == NULL:
        present = actual is not None
        return any((value.lower() == "true") != present for value in values)
    base = _BASES[parsed.base]
    use_variables = variables and base.variables

    def satisfied(request_value: str) -> bool:
        results = [base.compare(request_value, v, context, use_variables) for v in values]
        if base.negated:
            return all(result is False for result in results)
        return any(result is True for result in results)

    if parsed.qualifier == "ForAllValues":
        if actual is None:
            return True
        members = [actual] if isinstance(actual, str) else list(actual)
        return all(satisfied(member) for member in members)
    if parsed.qualifier == "ForAnyValue":
        if actual is None:
            return False
        members = [actual] if isinstance(actual, str) else list(actual)
        return any(satisfied(member) for member in members)
    if actual is None:
        return parsed.if_exists or base.negated
    if not isinstance(actual, str):
        return False
    return satisfied(actual)


def conditions_hold(
    condition: Mapping[str, Mapping[str, Any]] | None,
    context: Mapping[str, ContextValue],
    variables: bool,
) -> bool:
    """Every operator and every key in a Condition block must hold (they are ANDed)
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html)."""
    if not condition:
        return True
    for operator, block in condition.items():
        for key, values in block.items():
            if not clause_holds(operator, key, values, context, variables):
                return False
    return True


# --------------------------------------------------------------------------------------------
# Principals
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
# --------------------------------------------------------------------------------------------


class Grant(IntEnum):
    """How directly a Principal element names the caller."""

    NONE = 0
    ACCOUNT = 1
    """The caller's account, by ID or ``arn:aws:iam::ID:root``."""
    ROLE = 2
    """The role behind the caller's assumed-role session."""
    DIRECT = 3
    """The caller's own ARN, or everyone (``*``)."""


@dataclass(frozen=True)
class Caller:
    """What the principal ARN tells: its account, and the role behind a session."""

    arn: str
    account: str
    role_name: str | None

    @classmethod
    def parse(cls, arn: str) -> Caller:
        fields = arn.split(":", 5)
        account, resource = fields[4], fields[5]
        role = None
        if fields[2] == "sts" and resource.startswith("assumed-role/"):
            role = resource.split("/")[1]
        return cls(arn, account, role)

    def identities(self) -> tuple[Grant, ...]:
        """Everything AWS may check a NotPrincipal against, for this caller: its account,
        the role behind a session, and the caller itself (the NotPrincipal page)."""
        if self.role_name is not None:
            return (Grant.ACCOUNT, Grant.ROLE, Grant.DIRECT)
        return (Grant.ACCOUNT, Grant.DIRECT)


def _names(value: str, caller: Caller) -> Grant:
    if value in ("*", caller.arn):
        return Grant.DIRECT
    if value in (caller.account, f"arn:aws:iam::{caller.account}:root"):
        return Grant.ACCOUNT
    role_prefix = f"arn:aws:iam::{caller.account}:role/"
    behind_session = caller.role_name is not None and value.startswith(role_prefix)
    if behind_session and value.rsplit("/", 1)[-1] == caller.role_name:
        return Grant.ROLE
    return Grant.NONE


def _aws_values(element: Any) -> list[str]:
    """The ``AWS`` entries of a Principal element; ``"*"`` alone means ``{"AWS": "*"}``."""
    if element == "*":
        return ["*"]
    return _as_list(element.get("AWS", [])) if isinstance(element, dict) else []


def _named(element: Any, caller: Caller) -> set[Grant]:
    """Which of the caller's identities (account, role, itself) the element lists."""
    found = set()
    for value in _aws_values(element):
        if value == "*":
            found |= set(caller.identities())
        else:
            found.add(_names(value, caller))
    found.discard(Grant.NONE)
    return found


def principal_grant(element: Any, caller: Caller) -> Grant:
    """The most direct way a ``Principal`` element names the caller.

    ``"*"`` and ``{"AWS": "*"}`` name everyone (directly); the caller's own ARN names it
    directly; an account ID or ``:root`` ARN names the account (and so delegates to the
    account's IAM policies); a role ARN names the sessions of that role.  ``Service``,
    ``Federated`` and ``CanonicalUser`` entries never name an IAM user or role session.
    """
    return max((_names(value, caller) for value in _aws_values(element)), default=Grant.NONE)


def not_principal_excludes(element: Any, caller: Caller) -> bool:
    """Whether a Deny with ``NotPrincipal`` spares the caller.

    The NotPrincipal page: "When you use NotPrincipal, you must also specify the account ARN of
    the not-denied principal.  Otherwise, the policy might deny access to the entire account
    containing the principal ... AWS might validate the account first, then the role, and then
    the assumed-role user."  The reference reads that strictly: the caller is spared only when
    every identity AWS may check is listed.  (See :func:`not_principal_is_ambiguous`.)
    """
    named = _named(element, caller)
    return all(identity in named for identity in caller.identities())


def not_principal_is_ambiguous(element: Any, caller: Caller) -> bool:
    """True when a NotPrincipal lists some but not all of the caller's identities.

    AWS's documentation hedges ("might deny", "depending on the service") on exactly this
    case, so the equivalence tests do not assert a decision for it.
    """
    named = _named(element, caller)
    listed = [identity in named for identity in caller.identities()]
    return any(listed) and not all(listed)


# --------------------------------------------------------------------------------------------
# Statements and policies
# --------------------------------------------------------------------------------------------


def statements(document: Document) -> list[Document]:
    """``Statement`` is one object or a list of them."""
    raw = document["Statement"]
    return [raw] if isinstance(raw, dict) else list(raw)


def supports_variables(document: Document) -> bool:
    """Policy variables need ``"Version": "2012-10-17"``; older or missing versions treat
    ``${...}`` as literal text (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html)."""
    return document.get("Version") == VERSION_2012


def statement_applies(
    statement: Document, document: Document, request: RawRequest, context: Mapping[str, Any]
) -> bool:
    """Action, resource and conditions all match (principals are checked by the caller)."""
    variables = supports_variables(document)
    return (
        _covers_action(statement, request.action)
        and _covers_resource(statement, request.resource, context, variables)
        and conditions_hold(statement.get("Condition"), context, variables)
    )


def _effects(
    documents: Iterable[Document], request: RawRequest, context: Mapping[str, Any]
) -> set[str]:
    """The effects (``Allow``, ``Deny``) of every statement that applies."""
    found = set()
    for document in documents:
        for statement in statements(document):
            if statement_applies(statement, document, request, context):
                found.add(statement["Effect"])
    return found


def _resource_policy(
    document: Document | None,
    request: RawRequest,
    context: Mapping[str, Any],
    caller: Caller,
    has_boundary: bool,
) -> tuple[bool, set[Grant]]:
    """Whether the resource-based policy denies the caller, and how its allows name it.

    A Deny whose Principal names the caller in any way (its account, its role, itself)
    applies.  "The NotPrincipal element with a Deny effect will always deny any IAM principal
    that has a permissions boundary policy attached, regardless of the values specified in the
    NotPrincipal element" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
    """
    denied = False
    grants: set[Grant] = set()
    if document is None:
        return denied, grants
    for statement in statements(document):
        if not statement_applies(statement, document, request, context):
            continue
        if "NotPrincipal" in statement:
            spared = not_principal_excludes(statement["NotPrincipal"], caller)
            grant = Grant.DIRECT if (has_boundary or not spared) else Grant.NONE
        else:
            grant = principal_grant(statement.get("Principal"), caller)
        if grant is Grant.NONE:
            continue
        if statement["Effect"] == "Deny":
            denied = True
        else:
            grants.add(grant)
    return denied, grants


def _rcp_effects(
    documents: Iterable[Document], request: RawRequest, context: Mapping[str, Any], caller: Caller
) -> set[str]:
    """RCP statements name principals too (AWS requires ``"Principal": "*"``)."""
    found = set()
    for document in documents:
        for statement in statements(document):
            if principal_grant(statement.get("Principal", "*"), caller) is Grant.NONE:
                continue
            if statement_applies(statement, document, request, context):
                found.add(statement["Effect"])
    return found


def evaluate(policies: RawPolicySet, request: RawRequest) -> Decision:
    """The decision AWS documents for ``request`` under ``policies``.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

    1. An explicit deny in any applicable policy - SCP, RCP, resource-based, identity-based,
       permissions boundary, session - denies.
    2. Every SCP level (root, OUs, account) must allow the action
       (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
       RCPs only restrict: ``RCPFullAWSAccess`` is attached at every level
       (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
    3. Same account: an identity-based allow, limited by the permissions boundary and the
       session policy, or a resource-based allow.  A resource-based policy that names the IAM
       user or the role session ARN (or everyone) is "not limited by an implicit deny in an
       identity-based policy, permissions boundary, or session policy"; one that names the role
       ARN is limited by the boundary and the session policy; one that names only the account
       delegates to the account's IAM policies and grants nothing by itself
       (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html,
       https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
    4. Cross-account: "the identity-based policy of the requester and the resource-based policy
       of the resource must both allow" - the identity side with its boundary and session
       policy, the resource side naming the caller in any way, the account included
       (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
    """
    context = {key.lower(): value for key, value in request.context.items()}
    caller = Caller.parse(request.principal)
    has_boundary = policies.boundary is not None

    identity = _effects(policies.identity, request, context)
    boundary = _effects([policies.boundary], request, context) if policies.boundary else None
    session = _effects([policies.session], request, context) if policies.session else None
    scp_levels = [_effects(level, request, context) for level in policies.scp]
    rcp_levels = [_rcp_effects(level, request, context, caller) for level in policies.rcp]
    resource_denies, grants = _resource_policy(
        policies.resource, request, context, caller, has_boundary
    )

    every = [identity, *scp_levels, *rcp_levels]
    every += [e for e in (boundary, session) if e is not None]
    if resource_denies or any("Deny" in effects for effects in every):
        return EXPLICITLY_DENIED
    if any("Allow" not in effects for effects in scp_levels):
        return IMPLICITLY_DENIED

    identity_allows = "Allow" in identity
    boundary_allows = boundary is None or "Allow" in boundary
    session_allows = session is None or "Allow" in session
    if caller.account == request.resource_account:
        if Grant.DIRECT in grants:
            return ALLOWED
        granted = identity_allows or Grant.ROLE in grants
        return ALLOWED if granted and boundary_allows and session_allows else IMPLICITLY_DENIED
    identity_side = identity_allows and boundary_allows and session_allows
    return ALLOWED if identity_side and grants else IMPLICITLY_DENIED


def has_ambiguous_not_principal(policies: RawPolicySet, request: RawRequest) -> bool:
    """Whether the resource policy has a NotPrincipal whose meaning for this caller AWS leaves
    open (see :func:`not_principal_is_ambiguous`); with a boundary, AWS is explicit."""
    if policies.resource is None or policies.boundary is not None:
        return False
    caller = Caller.parse(request.principal)
    return any(
        not_principal_is_ambiguous(s["NotPrincipal"], caller)
        for s in statements(policies.resource)
        if "NotPrincipal" in s
    )
