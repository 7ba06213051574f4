"""cedarpy (Cedar's Rust engine from Python), on a faithful translation of the identity policies.

Cedar is not an IAM engine, so the peer is "what it costs to decide the same questions with
Cedar", which is only meaningful if the translation keeps IAM's semantics.  The translation:

* each IAM statement becomes one Cedar policy: ``Allow`` -> ``permit``, ``Deny`` -> ``forbid``
  (Cedar's "forbid overrides permit, default deny" is IAM's identity-policy logic);
* actions are ``Action`` entities named in lower case (IAM action names ignore case); a wildcard
  action such as ``s3:Get*`` becomes an action *group* ``Action::"s3:get*"``, and every request
  action lists the groups it matches as its parents, so ``action in [...]`` does the matching.
  That membership is data in the entity store, built before timing (Cedar's model of action
  hierarchies), so action-wildcard matching is not in Cedar's timed call;
* a resource is a ``Resource`` entity whose attributes are its ARN fields; a Resource pattern is
  matched field by field (``==`` or ``like``), with partition/service/region/account folded to
  lower case, because that is how IAM matches ARNs (a wildcard never crosses a colon before the
  resource field);
* conditions test context attributes (keys folded to lower case): StringEquals/NotEquals,
  StringLike/NotLike, Bool, IpAddress/NotIpAddress (Cedar's ``ip`` extension), Null, their
  ``IfExists`` forms, and a whole-value policy variable in StringEquals.  A key that is missing
  makes a positive operator false and a negated one true, as in IAM.

What cannot be expressed faithfully is *not* approximated: the statement is left out and every
request it could apply to (its Action and Resource match, with variables widened to ``*``,
conditions ignored) is counted as unfaithful, so its disagreements are reported apart.  Cedar has
no string concatenation (policy variables inside a pattern), no single-character wildcard
(``?``), no case folding (``...IgnoreCase``) and no multi-valued IAM set operators here.  Policy
sets with boundary, session, resource, SCP or RCP layers are not translated (identity only).

Deny is split by Cedar's diagnostics: a denial with a satisfied ``forbid`` among its reasons is
ExplicitlyDenied, one with no reasons is ImplicitlyDenied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter_ns
from typing import Any

from peers import (
    ALLOWED,
    ERROR,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Document,
    EngineInfo,
    Pass,
    PeerUnavailableError,
    policy_set_layers,
    requests_of,
)

ARN_FIELDS = ("head", "partition", "service", "region", "account", "rest")
"""Resource entity attributes, one per ARN field; fields 1-4 are stored in lower case."""
_FOLDED = frozenset({1, 2, 3, 4})
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


class UntranslatableError(Exception):
    """A statement (or one of its values) that Cedar cannot express with IAM's meaning."""


# --- IAM text -> pieces ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Var:
    """A policy variable ``${key}`` or ``${key, 'default'}`` (key folded to lower case)."""

    key: str
    default: str | None


Piece = str | Var
"""Literal text, the wildcards ``"\\x00*"`` / ``"\\x00?"``, or a variable."""
STAR = "\x00*"
QMARK = "\x00?"


def pieces(text: str) -> list[Piece]:
    """Split IAM text into literals, wildcards and variables (``${*}`` etc. are literals)."""
    out: list[Piece] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "$" and text.startswith("${", index):
            end = text.find("}", index)
            if end < 0:
                literal.append(char)
                index += 1
                continue
            body = text[index + 2 : end]
            index = end + 1
            if body in _ESCAPES:
                literal.append(_ESCAPES[body])
                continue
            if literal:
                out.append("".join(literal))
                literal = []
            key, _, default = body.partition(",")
            default = default.strip()
            out.append(
                Var(key.strip().lower(), default[1:-1] if len(default) >= 2 else None)
                if default
                else Var(key.strip().lower(), None)
            )
            continue
        if char in "*?":
            if literal:
                out.append("".join(literal))
                literal = []
            out.append(STAR if char == "*" else QMARK)
        else:
            literal.append(char)
        index += 1
    if literal:
        out.append("".join(literal))
    return out


def wildcard_regex(text: str, *, widen_variables: bool) -> re.Pattern[str]:
    """A full-match regex for IAM wildcard text, used on the Python side only.

    It decides action-group membership (before timing) and the over-approximation of which
    requests an untranslated statement could touch (``widen_variables`` turns ``${...}`` into
    ``.*``, which can only match more).
    """
    source = []
    for piece in pieces(text):
        if piece == STAR:
            source.append(".*")
        elif piece == QMARK:
            source.append(".")
        elif isinstance(piece, Var):
            if not widen_variables:
                raise UntranslatableError(f"policy variable ${{{piece.key}}}")
            source.append(".*")
        else:
            source.append(re.escape(piece))
    return re.compile("".join(source), re.IGNORECASE | re.DOTALL)


# --- Cedar text ---------------------------------------------------------------------------


def cedar_string(text: str) -> str:
    """A Cedar string literal (Cedar escapes, not JSON's ``\\uXXXX``)."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def cedar_like(parts: Sequence[Piece]) -> str:
    """A Cedar ``like`` pattern; ``?`` and variables have no Cedar equivalent."""
    out = ['"']
    for piece in parts:
        if piece == STAR:
            out.append("*")
        elif piece == QMARK:
            raise UntranslatableError("'?' wildcard (Cedar's like has only '*')")
        elif isinstance(piece, Var):
            raise UntranslatableError(f"policy variable ${{{piece.key}}} inside a pattern")
        else:
            out.append(cedar_string(piece)[1:-1].replace("*", "\\*"))
    out.append('"')
    return "".join(out)


def _literal(parts: Sequence[Piece]) -> str | None:
    """The text of wildcard- and variable-free pieces, else ``None`` (then ``like`` is needed)."""
    if all(isinstance(p, str) and p not in (STAR, QMARK) for p in parts):
        return "".join(p for p in parts if isinstance(p, str))
    return None


def _ctx(key: str) -> str:
    """A context attribute by index: IAM keys hold ``:`` and ``/``, invalid as Cedar names."""
    return f"context[{cedar_string(key)}]"


def _has(key: str) -> str:
    """Presence test, needed before every read: reading a missing attribute is a Cedar error."""
    return f"context has {cedar_string(key)}"


def _not(test: str) -> str:
    """Negation, always parenthesised: Cedar's ``!`` binds tighter than ``==``."""
    return f"!({test})"


def _any(tests: Sequence[str]) -> str:
    """Disjunction (IAM ORs the values of one key, and the entries of Resource)."""
    if not tests:
        return "false"
    return tests[0] if len(tests) == 1 else "(" + " || ".join(tests) + ")"


def _all(tests: Sequence[str]) -> str:
    """Conjunction (IAM ANDs operators, keys and elements); trivially true parts are dropped."""
    tests = [t for t in tests if t != "true"]
    if not tests:
        return "true"
    return tests[0] if len(tests) == 1 else "(" + " && ".join(tests) + ")"


def _as_list(value: Any) -> list[str]:
    """IAM elements are a string or a list of strings; always work on the list."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def resource_test(pattern: str) -> str:
    """A Cedar test that ``resource`` matches one IAM Resource pattern."""
    if pattern == "*":
        return "true"
    for piece in pieces(pattern):
        if isinstance(piece, Var):
            raise UntranslatableError(f"policy variable ${{{piece.key}}} in Resource")
    fields = pattern.split(":", 5)
    if len(fields) != 6:
        return "false"
    tests = ["resource.is_arn"]
    for index, text in enumerate(fields):
        parts = pieces(text.lower() if index in _FOLDED else text)
        if parts == [STAR]:
            continue
        attribute = f"resource.{ARN_FIELDS[index]}"
        literal = _literal(parts)
        if literal is not None:
            tests.append(f"{attribute} == {cedar_string(literal)}")
        else:
            tests.append(f"{attribute} like {cedar_like(parts)}")
    return _all(tests)


def _value_test(key: str, operator: str, value: str) -> str:
    """One (operator, key, value) comparison, assuming the key is present."""
    parts = pieces(value)
    if operator == "StringEquals":
        literal = _literal(parts)
        if literal is not None:
            return f"{_ctx(key)} == {cedar_string(literal)}"
        if len(parts) == 1 and isinstance(parts[0], Var):
            var = parts[0]
            if var.default is not None:
                other = (
                    f"(if {_has(var.key)} then {_ctx(var.key)} else {cedar_string(var.default)})"
                )
                return f"{_ctx(key)} == {other}"
            return f"({_has(var.key)} && {_ctx(key)} == {_ctx(var.key)})"
        raise UntranslatableError(f"{operator} value {value!r} (a variable inside text)")
    if operator == "StringLike":
        literal = _literal(parts)
        if literal is not None:
            return f"{_ctx(key)} == {cedar_string(literal)}"
        return f"{_ctx(key)} like {cedar_like(parts)}"
    if operator == "Bool":
        return f"{_ctx(key)} == {cedar_string(value.lower())}"
    if operator == "IpAddress":
        return f"ip({_ctx(key)}).isInRange(ip({cedar_string(value)}))"
    raise UntranslatableError(f"condition operator {operator}")


_POSITIVE = {"StringEquals", "StringLike", "Bool", "IpAddress"}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "NotIpAddress": "IpAddress",
}


def condition_test(operator: str, key: str, values: list[str]) -> str:
    """A Cedar test for one condition key under one operator, with IAM's missing-key rules."""
    if ":" in operator:
        raise UntranslatableError(f"set operator {operator} (ForAllValues/ForAnyValue)")
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    key = key.lower()
    if base == "Null":
        wanted = {v.lower() for v in values}
        tests = [_not(_has(key)) if v == "true" else _has(key) for v in sorted(wanted)]
        return _any(tests)
    if base in _POSITIVE:
        matched = _any([_value_test(key, base, v) for v in values])
        if if_exists:
            return f"({_not(_has(key))} || {matched})"
        return f"({_has(key)} && {matched})"
    if base in _NEGATED:
        if any(isinstance(p, Var) for v in values for p in pieces(v)):
            raise UntranslatableError(f"policy variable in negated operator {operator}")
        matched = _any([_value_test(key, _NEGATED[base], v) for v in values])
        return f"({_not(_has(key))} || {_not(matched)})"
    raise UntranslatableError(f"condition operator {operator}")


@dataclass(slots=True)
class Translation:
    """The Cedar text of one policy set, plus what could not be carried over."""

    text: list[str] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)
    """Wildcard action patterns (lower case) that request actions join as parents."""
    dropped: list[tuple[str, str, Document]] = field(default_factory=list)
    """(label, reason, statement) for each statement left out."""
    condition_keys: set[str] = field(default_factory=set)


def _action_scope(values: list[str], groups: set[str]) -> str:
    """The ``action`` scope for an Action element; wildcard names are recorded as groups."""
    names = []
    for value in values:
        if "${" in value:
            raise UntranslatableError("policy variable in Action")
        if value == "*":
            return "action"
        name = value.lower()
        if "*" in name or "?" in name:
            groups.add(name)
        names.append(f"Action::{cedar_string(name)}")
    return f"action in [{', '.join(names)}]"


def translate_statement(statement: Document, label: str, translation: Translation) -> str:
    """One IAM statement as one Cedar policy (raises :class:`UntranslatableError`)."""
    if "Principal" in statement or "NotPrincipal" in statement:
        raise UntranslatableError("Principal element in an identity policy")
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise UntranslatableError(f"Effect {effect!r}")
    groups: set[str] = set()
    tests: list[str] = []
    if "Action" in statement:
        scope = _action_scope(_as_list(statement["Action"]), groups)
    elif "NotAction" in statement:
        scope = "action"
        inner = _action_scope(_as_list(statement["NotAction"]), groups)
        tests.append("false" if inner == "action" else _not(inner))
    else:
        raise UntranslatableError("no Action or NotAction")
    if "Resource" in statement:
        tests.append(_any([resource_test(r) for r in _as_list(statement["Resource"])]))
    elif "NotResource" in statement:
        tests.append(_not(_any([resource_test(r) for r in _as_list(statement["NotResource"])])))
    else:
        raise UntranslatableError("no Resource or NotResource")
    keys: set[str] = set()
    condition = statement.get("Condition") or {}
    for operator, block in condition.items():
        for key, value in block.items():
            tests.append(condition_test(operator, key, _as_list(value)))
            keys.add(key.lower())
    translation.groups |= groups
    translation.condition_keys |= keys
    verb = "permit" if effect == "Allow" else "forbid"
    when = _all(tests)
    body = f"@id({cedar_string(label)})\n{verb} (principal, {scope}, resource)"
    if when != "true":
        body += f"\nwhen {{ {when} }}"
    return body + ";"


def translate_policy_set(name: str, policy_set: Document, check: Any) -> Translation:
    """Every identity statement of a policy set, translated or recorded as dropped.

    ``check`` parses one Cedar policy (``cedarpy.PolicySet.from_str``): a statement whose
    translation Cedar rejects (an invalid IP literal, say) is dropped alone, instead of the
    whole policy set failing to load.
    """
    translation = Translation()
    for number, document in enumerate(policy_set.get("identity") or []):
        statements = document.get("Statement", [])
        if isinstance(statements, Mapping):
            statements = [statements]
        for index, statement in enumerate(statements):
            label = f"{name}.identity[{number}].{statement.get('Sid') or index}"
            try:
                text = translate_statement(statement, label, translation)
                check(text)
            except UntranslatableError as why:
                translation.dropped.append((label, str(why), statement))
                continue
            except ValueError as why:
                reason = f"Cedar rejected the translation: {str(why).splitlines()[0]}"
                translation.dropped.append((label, reason, statement))
                continue
            translation.text.append(text)
    return translation


def could_apply(statement: Document, action: str, resource: str) -> bool:
    """Whether a dropped statement might apply to a request (an over-approximation).

    Variables are widened to ``*`` and conditions ignored, so a ``False`` here is certain and
    the request's Cedar answer cannot have been changed by the statement's absence.
    """
    if "Action" in statement:
        patterns = _as_list(statement["Action"])
        if not any(wildcard_regex(p, widen_variables=True).fullmatch(action) for p in patterns):
            return False
    if "Resource" in statement:
        patterns = _as_list(statement["Resource"])
        return any(
            p == "*" or wildcard_regex(p, widen_variables=True).fullmatch(resource) is not None
            for p in patterns
        )
    return True


# --- the engine ---------------------------------------------------------------------------


def resource_attributes(resource: str) -> dict[str, Any]:
    """The attributes of a ``Resource`` entity: the ARN split into its six fields."""
    fields = resource.split(":", 5)
    if resource == "*" or len(fields) != 6:
        return {"is_arn": False, **dict.fromkeys(ARN_FIELDS, "")}
    attributes: dict[str, Any] = {"is_arn": True}
    for index, value in enumerate(fields):
        attributes[ARN_FIELDS[index]] = value.lower() if index in _FOLDED else value
    return attributes


class CedarEngines:
    """Shared setup for the per-decision and the batch cedarpy engines."""

    def __init__(self, doc: Document, positions: Sequence[int]) -> None:
        try:
            import cedarpy
        except ImportError as error:
            raise PeerUnavailableError(f"cedarpy not importable: {error}") from error
        self.cedarpy = cedarpy
        if not hasattr(cedarpy, "PolicySet") or not hasattr(cedarpy, "Entities"):
            raise PeerUnavailableError("cedarpy too old: needs PolicySet/Entities handles (>= 4.x)")

        self.translations: dict[str, Translation] = {}
        self.policy_sets: dict[str, Any] = {}
        skipped_sets: dict[str, list[str]] = {}
        for name, policy_set in doc["policy_sets"].items():
            layers = policy_set_layers(policy_set)
            if layers:
                skipped_sets[name] = layers
            translation = translate_policy_set(name, policy_set, cedarpy.PolicySet.from_str)
            self.translations[name] = translation
            text = "\n\n".join(translation.text)
            self.policy_sets[name] = cedarpy.PolicySet.from_str(text)

        raws = requests_of(doc, positions)
        groups = set().union(*(t.groups for t in self.translations.values()))
        matchers = [(g, wildcard_regex(g, widen_variables=False)) for g in sorted(groups)]
        entities: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in raws:
            action = raw["action"].lower()
            if ("Action", action) not in entities:
                parents = [
                    {"type": "Action", "id": g}
                    for g, rx in matchers
                    if g != action and rx.fullmatch(action)
                ]
                entities[("Action", action)] = {
                    "uid": {"type": "Action", "id": action},
                    "attrs": {},
                    "parents": parents,
                }
            resource = raw.get("resource", "*")
            if ("Resource", resource) not in entities:
                entities[("Resource", resource)] = {
                    "uid": {"type": "Resource", "id": resource},
                    "attrs": resource_attributes(resource),
                    "parents": [],
                }
        self.entities = cedarpy.Entities.from_json_str(json.dumps(list(entities.values())))

        self.calls: list[tuple[dict[str, Any], Any]] = []
        unfaithful: set[int] = set()
        multi_valued = 0
        for position, raw in zip(positions, raws, strict=True):
            name = raw["policy_set"]
            translation = self.translations[name]
            context = {str(k).lower(): v for k, v in (raw.get("context") or {}).items()}
            action, resource = raw["action"], raw.get("resource", "*")
            if name in skipped_sets or any(
                could_apply(statement, action, resource) for _, _, statement in translation.dropped
            ):
                unfaithful.add(position)
            elif any(isinstance(context.get(k), list) for k in translation.condition_keys):
                unfaithful.add(position)  # single-valued operators on a multi-valued key
                multi_valued += 1
            request = {
                "principal": {"type": "User", "id": raw.get("principal") or "anonymous"},
                "action": {"type": "Action", "id": action.lower()},
                "resource": {"type": "Resource", "id": resource},
                "context": json.dumps(context),
            }
            self.calls.append((request, self.policy_sets[name]))
        self.positions = list(positions)
        self.unfaithful = frozenset(unfaithful)

        notes = [
            "policies and entities are pre-parsed handles (cedarpy.PolicySet / Entities); the "
            "context is pre-serialised JSON; action wildcards are resolved into Action-group "
            "parents when the entity store is built (outside the timed call)",
        ]
        for name, translation in self.translations.items():
            count = len(translation.text)
            total = count + len(translation.dropped)
            notes.append(f"policy set {name!r}: {count}/{total} statements translated")
            for label, reason, _ in translation.dropped:
                notes.append(f"  not translated: {label}: {reason}")
        for name, layers in skipped_sets.items():
            notes.append(
                f"policy set {name!r}: layers {', '.join(layers)} not translated (identity only)"
            )
        if unfaithful:
            notes.append(
                f"{len(unfaithful)} requests could be touched by what was not translated; "
                "their disagreements are reported apart"
            )
        if multi_valued:
            notes.append(f"{multi_valued} requests carry multi-valued keys used by conditions")
        self.notes = notes

    def outcome(self, result: Any) -> str:
        """Allow -> Allowed; Deny with a satisfied forbid -> explicit; Deny without -> implicit."""
        if result.allowed:
            return ALLOWED
        return EXPLICIT_DENY if result.diagnostics.reasons else IMPLICIT_DENY

    def cedar_text(self) -> str:
        """The translated policies, for inspection (``--cedar-out``)."""
        return "\n\n".join(
            f"// ---- policy set {name}\n" + "\n\n".join(t.text)
            for name, t in self.translations.items()
        )


class CedarEngine:
    """Times one ``cedarpy.is_authorized`` call per request."""

    def __init__(self, shared: CedarEngines) -> None:
        self.shared = shared
        self.info = EngineInfo(
            name="cedarpy",
            positions=shared.positions,
            unfaithful=shared.unfaithful,
            notes=shared.notes,
        )

    def run_pass(self) -> Pass:
        """One pass; a policy that errors during evaluation is counted in ``errors``."""
        clock = perf_counter_ns
        is_authorized = self.shared.cedarpy.is_authorized
        entities = self.shared.entities
        times: list[int] = []
        results: list[Any] = []
        for request, policies in self.shared.calls:
            start = clock()
            result = is_authorized(request, policies, entities)
            end = clock()
            times.append(end - start)
            results.append(result)
        outcomes = []
        errors = 0
        for result in results:
            if result.diagnostics.errors:
                errors += 1
            outcomes.append(self.shared.outcome(result))
        self.info.eval_errors = errors
        return Pass(times, outcomes, sum(times))

    def close(self) -> None:
        """Nothing to release: cedarpy runs in-process."""


class CedarBatchEngine:
    """Times ``cedarpy.is_authorized_batch`` over all requests of a policy set at once.

    Only the batch total is known, so the per-decision figure is a mean and there is no p99.
    It is reported beside the per-decision figure because a batch call amortises the
    Python-to-Rust crossing, which is Cedar's best case from Python.
    """

    def __init__(self, shared: CedarEngines) -> None:
        self.shared = shared
        by_set: dict[int, tuple[Any, list[int], list[dict[str, Any]]]] = {}
        for index, (request, policies) in enumerate(shared.calls):
            entry = by_set.setdefault(id(policies), (policies, [], []))
            entry[1].append(index)
            entry[2].append(request)
        self.batches = list(by_set.values())
        self.info = EngineInfo(
            name="cedarpy-batch",
            positions=shared.positions,
            per_decision=False,
            unfaithful=shared.unfaithful,
            notes=["is_authorized_batch over all requests; per-decision figure = batch time / n"],
        )

    def run_pass(self) -> Pass:
        """One batch call per policy set; outcomes are put back in request order."""
        clock = perf_counter_ns
        batch = self.shared.cedarpy.is_authorized_batch
        entities = self.shared.entities
        outcomes = [ERROR] * len(self.shared.calls)
        total = 0
        for policies, indices, requests in self.batches:
            start = clock()
            results = batch(requests, policies, entities)
            total += clock() - start
            for index, result in zip(indices, results, strict=True):
                outcomes[index] = self.shared.outcome(result)
        return Pass([], outcomes, total)

    def close(self) -> None:
        """Nothing to release: cedarpy runs in-process."""


def build(doc: Document, positions: Sequence[int]) -> list[CedarEngine | CedarBatchEngine]:
    """The per-decision and batch cedarpy engines, sharing one translation."""
    shared = CedarEngines(doc, positions)
    return [CedarEngine(shared), CedarBatchEngine(shared)]
