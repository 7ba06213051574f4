"""What the policy simulator API shares: input policies, context entries, referenced keys,
statement positions, and the PolicySourceArn/CallerArn forms AWS accepts.

The simulator's answers name policies and statements the way AWS's own simulator does, so a
client that reads ``MatchedStatements`` (to highlight a statement, say) works unchanged:

* ``SourcePolicyId`` is ``PolicyInputList.N`` (1-based), ``PermissionsBoundaryPolicyInputList.N``
  and ``ResourcePolicy`` for documents passed in the call; the policy name for a managed policy;
  ``user_<name>_<policy>`` (``group_``/``role_``) for an inline policy.
* ``SourcePolicyType`` is the phrase AWS actually returns -- ``IAM Policy``,
  ``Permissions Boundary Policy``, ``Resource Policy`` -- not the lower-case enum the service
  model lists, which AWS's responses have never used.
* ``StartPosition``/``EndPosition`` are where AWS's JSON reader stands before and after reading
  the statement (1-based line and column): the start is just past the token before the
  statement (the ``[`` of the list, the previous statement's ``}``, or -- for a lone statement
  object -- its own ``{``), the end just past the statement's ``}``.  This reproduces AWS's
  published example exactly: ``{"Version":"2012-10-17","Statement":{...}}`` gives columns 38
  and 167.
  https://docs.aws.amazon.com/cli/latest/reference/iam/simulate-custom-policy.html
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iamd.errors import InvalidInput, NoSuchEntity
from iamd.policy import MalformedPolicyError, Policy, PolicyKind, Statement, parse_policy
from iamd.policy.conditions import boolean, date, ip, numeric
from iamd.policy.conditions.base import Family
from iamd.policy.conditions.registry import parse_operator
from iamd.policy.errors import pointer_join
from iamd.policy.variables import Variable, parse_template
from iamd.store import Tx
from iamd.store.records import Group, Role, User
from iamd.validation.positions import SourceMap
from iamd.validation.positions import index as index_positions

IDENTITY_TYPE = "IAM Policy"
BOUNDARY_TYPE = "Permissions Boundary Policy"
RESOURCE_TYPE = "Resource Policy"
ORGANIZATIONS_TYPE = "Service Control Policy"

ContextValue = str | list[str]


@dataclass
class SourcePolicy:
    """One policy in a simulation, with the names AWS reports it under and its source text."""

    policy: Policy
    source_id: str
    source_type: str
    text: str
    _map: SourceMap | None = field(default=None, init=False, repr=False)

    def statement(self, index: int) -> Statement:
        return self.policy.statements[index]

    def position(self, index: int) -> dict[str, dict[str, int]]:
        """``StartPosition`` and ``EndPosition`` of statement ``index``, as AWS reports them."""
        if self._map is None:
            self._map = index_positions(self.text)
        source = self._map
        pointer = self.statement(index).pointer
        node = source.nodes.get(pointer)
        if node is None:  # Cannot happen for text json accepted; fail soft, not with a 500.
            return {
                "StartPosition": {"Line": 1, "Column": 1},
                "EndPosition": {"Line": 1, "Column": 1},
            }
        if pointer == "/Statement" or index == 0:
            container = source.nodes.get("/Statement", node)
            start = container.value[0] + 1
        else:
            previous = source.nodes.get(pointer_join("/Statement", index - 1), node)
            start = previous.value[1]
        return {
            "StartPosition": _line_column(source, start),
            "EndPosition": _line_column(source, node.value[1]),
        }


def _line_column(source: SourceMap, offset: int) -> dict[str, int]:
    found = source.position(offset)
    return {"Line": found.line, "Column": found.column}


# Policies ------------------------------------------------------------------------------


def input_policy(text: str, kind: PolicyKind, source_id: str, source_type: str) -> SourcePolicy:
    """A document passed in the call; one that does not parse is the caller's ``InvalidInput``."""
    try:
        policy = parse_policy(text, kind, source_id)
    except MalformedPolicyError as exc:
        raise InvalidInput(exc.errors[0].message) from None
    return SourcePolicy(policy, source_id, source_type, text)


def stored_policy(
    text: str, kind: PolicyKind, source_id: str, source_type: str
) -> SourcePolicy | None:
    """A document from the store; one that no longer parses (an engine upgrade) grants nothing,
    exactly as the authorize step treats it."""
    try:
        policy = parse_policy(text, kind, source_id)
    except ValueError:
        return None
    return SourcePolicy(policy, source_id, source_type, text)


# Entity ARNs ---------------------------------------------------------------------------

_ENTITY_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):(?P<kind>user|group|role)"
    r"(?P<path>/(?:[^/]+/)*)(?P<name>[^/]+)"
)


@dataclass(frozen=True, slots=True)
class EntityArn:
    arn: str
    account: str
    kind: str
    """``user``, ``group`` or ``role``."""
    name: str


def parse_entity_arn(arn: str) -> EntityArn | None:
    match = _ENTITY_ARN.fullmatch(arn)
    if match is None:
        return None
    return EntityArn(arn, match["account"], match["kind"], match["name"])


def entity_arn_or_invalid(arn: str) -> EntityArn:
    """A user, group or role ARN, or AWS's ``InvalidInput`` for anything else (an assumed-role
    session, a federated user, a service principal, the account root)."""
    entity = parse_entity_arn(arn)
    if entity is None:
        raise InvalidInput(
            f"Invalid Entity Arn: {arn} does not clearly define entity type and name."
        )
    return entity


_ACCOUNT_ROOT = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):root")


def resource_owner(value: str | None) -> str | None:
    """``ResourceOwner`` as an account id: AWS documents both a bare id and the root ARN."""
    if value is None:
        return None
    if re.fullmatch(r"\d{12}", value):
        return value
    match = _ACCOUNT_ROOT.fullmatch(value)
    if match is None:
        raise InvalidInput(f"Invalid ResourceOwner: {value} is not an account ID or root ARN.")
    return match[1]


# Context entries -----------------------------------------------------------------------

_TYPE_FAMILIES: dict[str, Family | None] = {
    "string": None,
    "numeric": numeric.FAMILY,
    "boolean": boolean.BOOL,
    "ip": ip.FAMILY,
    "binary": boolean.BINARY,
    "date": date.FAMILY,
}


def context_from_entries(entries: Sequence[Mapping[str, Any]] | None) -> dict[str, ContextValue]:
    """``ContextEntries`` as a request context: a ``...List`` type gives a multi-valued key, the
    others one value.  Values are checked against their type, since a policy compares them
    with that type's operators."""
    context: dict[str, ContextValue] = {}
    for entry in entries or ():
        name = entry.get("ContextKeyName")
        if not name:
            raise InvalidInput("ContextKeyName is required in each ContextEntry.")
        values = [str(v) for v in entry.get("ContextKeyValues") or ()]
        kind = entry.get("ContextKeyType") or ("stringList" if len(values) > 1 else "string")
        is_list = kind.endswith("List")
        base = kind[: -len("List")] if is_list else kind
        if base not in _TYPE_FAMILIES:
            raise InvalidInput(f"Invalid ContextKeyType {kind} for context key {name}.")
        family = _TYPE_FAMILIES[base]
        for value in values:
            problem = family.validate(value) if family is not None else None
            if problem:
                raise InvalidInput(f"{problem} given for context key {name} of type {kind}.")
        if base == "boolean":
            values = [v.lower() for v in values]
        if is_list:
            context[name] = values
        elif len(values) != 1:
            raise InvalidInput(
                f"Context key {name} of type {kind} takes exactly one value, "
                f"not {len(values)}; use {kind}List for several."
            )
        else:
            context[name] = values[0]
    return context


# Referenced keys -----------------------------------------------------------------------


def _variable_names(text: str) -> Iterator[str]:
    """The keys of the policy variables in ``text``, spelled as written."""
    for part in parse_template(text):
        if isinstance(part, Variable):
            inner = part.raw[2:-1]
            name = inner.partition(",")[0].strip() if part.default is not None else inner.strip()
            if name:
                yield name


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def statement_keys(policy: Policy, index: int) -> list[str]:
    """The context keys statement ``index`` refers to, in document order: variables in its
    Resource/NotResource, then each condition key followed by the variables in its values.

    Variables count only where AWS substitutes them: policy version 2012-10-17, and operators
    whose values take variables (string and ARN operators).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    """
    raw = _raw_statement(policy, index)
    if raw is None:
        return []
    variables = policy.supports_variables
    keys: list[str] = []
    for element, value in raw.items():
        if element in ("Resource", "NotResource") and variables:
            for text in _strings(value):
                keys.extend(_variable_names(text))
        elif element == "Condition" and isinstance(value, dict):
            for operator, block in value.items():
                if not isinstance(block, dict):
                    continue
                parsed = parse_operator(operator)
                family = parsed.spec.family if parsed else None
                takes_variables = variables and family is not None and family.variables
                for key, values in block.items():
                    keys.append(key)
                    if takes_variables:
                        for text in _strings(values):
                            keys.extend(_variable_names(text))
    return keys


def _raw_statement(policy: Policy, index: int) -> dict[str, Any] | None:
    document = policy.document
    if not isinstance(document, dict):
        return None
    raw = document.get("Statement")
    if isinstance(raw, dict):
        return raw if index == 0 else None
    if isinstance(raw, list) and 0 <= index < len(raw) and isinstance(raw[index], dict):
        item: dict[str, Any] = raw[index]
        return item
    return None


def policy_keys(policy: Policy) -> list[str]:
    return [key for s in policy.statements for key in statement_keys(policy, s.index)]


def unique_keys(keys: Iterable[str]) -> list[str]:
    """Keys without repeats, first spelling kept: condition keys ignore case, so
    ``aws:SourceIp`` and ``aws:sourceip`` are one key."""
    seen: set[str] = set()
    out: list[str] = []
    for key in keys:
        folded = key.lower()
        if folded not in seen:
            seen.add(folded)
            out.append(key)
    return out


# A principal's policies ----------------------------------------------------------------

_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::(?:aws|\d{12}):policy/(?P<name>.+)")
_EXCLUDABLE_TYPES = frozenset(
    {"inline", "aws-managed", "user-managed", "permission-boundary", "scp", "rcp"}
)


@dataclass
class Exclusions:
    """``PolicyExclusionList``: policies left out of a principal simulation.

    Identifiers that match nothing are ignored, as AWS documents; SCPs and RCPs are accepted
    and ignored since iamd has no Organizations.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyIdentifier.html
    """

    types: set[str] = field(default_factory=set)
    arns: list[re.Pattern[str]] = field(default_factory=list)
    inline: list[tuple[str, str, re.Pattern[str]]] = field(default_factory=list)

    @classmethod
    def parse(cls, identifiers: Sequence[Mapping[str, Any]] | None) -> Exclusions:
        out = cls()
        for item in identifiers or ():
            given = [
                k for k in ("PolicyType", "PolicyArn", "InlinePolicyIdentifier") if item.get(k)
            ]
            if len(given) != 1:
                raise InvalidInput(
                    "Each PolicyIdentifier must specify exactly one of PolicyType, PolicyArn "
                    "or InlinePolicyIdentifier."
                )
            if "PolicyType" in given:
                policy_type = str(item["PolicyType"])
                if policy_type not in _EXCLUDABLE_TYPES:
                    raise InvalidInput(f"Invalid PolicyType in PolicyExclusionList: {policy_type}")
                out.types.add(policy_type)
            elif "PolicyArn" in given:
                out.arns.append(_policy_arn_glob(str(item["PolicyArn"])))
            else:
                inline = item["InlinePolicyIdentifier"]
                out.inline.append(
                    (
                        str(inline["PolicyName"]),
                        str(inline["AttachmentType"]),
                        _glob(str(inline["AttachmentName"]), fold=True),
                    )
                )
        return out

    def keeps_inline(self, kind: str, owner: str, name: str) -> bool:
        if "inline" in self.types:
            return False
        return not any(
            name == policy and kind == owner_kind and pattern.fullmatch(owner)
            for policy, owner_kind, pattern in self.inline
        )

    def keeps_managed(self, arn: str) -> bool:
        aws_managed = arn.split(":")[4] == "aws"
        if ("aws-managed" if aws_managed else "user-managed") in self.types:
            return False
        return not any(pattern.fullmatch(arn) for pattern in self.arns)

    def keeps_boundary(self) -> bool:
        return "permission-boundary" not in self.types


def _glob(text: str, fold: bool = False) -> re.Pattern[str]:
    source = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in text)
    return re.compile(source, re.IGNORECASE if fold else 0)


def _policy_arn_glob(arn: str) -> re.Pattern[str]:
    """A policy ARN whose name part may hold one ``*`` and any ``?``, as AWS allows."""
    match = _POLICY_ARN.fullmatch(arn)
    head = arn[: match.start("name")] if match else ""
    if match is None or "*" in head or "?" in head or match["name"].count("*") > 1:
        raise InvalidInput(f"Invalid PolicyArn in PolicyExclusionList: {arn}")
    return re.compile(re.escape(head) + _glob(match["name"]).pattern)


_EMPTY = '{"Version": "2012-10-17", "Statement": []}'


@dataclass
class Principal:
    """A user, group or role with the policies the simulator evaluates for it."""

    arn: str
    kind: str
    identity: list[SourcePolicy]
    boundary: SourcePolicy | None


def _policy_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def find_entity(tx: Tx, account_id: str, entity: EntityArn) -> User | Group | Role | None:
    if entity.kind == "user":
        return tx.users.get(account_id, entity.name)
    if entity.kind == "group":
        return tx.groups.get(account_id, entity.name)
    return tx.roles.get(account_id, entity.name)


def load_principal(
    tx: Tx, account_id: str, entity: EntityArn, exclusions: Exclusions | None = None
) -> Principal:
    """The entity's identity policies (a user's include its groups') and boundary, or AWS's
    ``NoSuchEntity`` for the entity named in the ARN."""
    keep = exclusions or Exclusions()
    found = find_entity(tx, account_id, entity)
    if found is None:
        raise NoSuchEntity(f"The {entity.kind} with name {entity.name} cannot be found.")
    owners: list[tuple[str, User | Group | Role]] = [(entity.kind, found)]
    if entity.kind == "user":
        owners += [("group", group) for group in tx.groups.of_user(found.id)]
    identity: list[SourcePolicy] = []
    for kind, owner in owners:
        for inline in tx.policies.list_inline(kind, owner.id):
            if not keep.keeps_inline(kind, owner.name, inline.name):
                continue
            source_id = f"{kind}_{owner.name}_{inline.name}"
            loaded = stored_policy(inline.document, PolicyKind.IDENTITY, source_id, IDENTITY_TYPE)
            if loaded is not None:
                identity.append(loaded)
        for arn in tx.policies.attached(kind, owner.id):
            document = tx.policies.default_document(arn)
            if document is None or not keep.keeps_managed(arn):
                continue
            loaded = stored_policy(document, PolicyKind.IDENTITY, _policy_name(arn), IDENTITY_TYPE)
            if loaded is not None:
                identity.append(loaded)
    boundary: SourcePolicy | None = None
    boundary_arn = None if isinstance(found, Group) else found.permissions_boundary
    if boundary_arn and keep.keeps_boundary():
        document = tx.policies.default_document(boundary_arn)
        name = _policy_name(boundary_arn)
        if document is None:  # The boundary's policy is gone: it allows nothing (fail closed).
            document = _EMPTY
        boundary = stored_policy(document, PolicyKind.BOUNDARY, name, BOUNDARY_TYPE)
        if boundary is None:  # Unparseable now: it allows nothing either.
            boundary = stored_policy(_EMPTY, PolicyKind.BOUNDARY, name, BOUNDARY_TYPE)
    return Principal(found.arn, entity.kind, identity, boundary)
