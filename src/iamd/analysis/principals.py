"""Each principal of an account with the policies that apply to it, ready for the engine.

A user's permissions are its inline policies, its attached managed policies (their default
version) and those of every group it is in, limited by its permissions boundary; a role's are
its own, limited by its boundary, and reached through its trust policy.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

An analysis asks the engine about a known, small set of actions.  The engine decides an action
from the statements whose ``Action`` covers it only, so :class:`ActionFilter` drops every other
statement before anything is compiled: an account of 20,000 policies that mostly grant
``s3:GetObject`` compiles only the few statements that can touch IAM, STS or compute.  The
decision for any action in the filter is unchanged.  Each distinct document is parsed once,
however many principals it is attached to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from iamd.analysis.account import Account, InlinePolicy, Role, User
from iamd.policy import (
    Evaluator,
    MalformedPolicyError,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    Statement,
    parse_policy,
)
from iamd.policy.wildcard import compile_glob

SESSION_NAME = "iamd-analysis"
"""The session name the analysis gives a role's caller (``assumed-role/NAME/iamd-analysis``)."""


class ActionFilter:
    """Keeps the statements that can decide one of ``actions``; ``None`` keeps everything."""

    def __init__(self, actions: Iterable[str] | None) -> None:
        self.actions = None if actions is None else frozenset(a.lower() for a in actions)
        self._vendors = frozenset(a.partition(":")[0] for a in self.actions or ())
        self._covered: dict[str, frozenset[str]] = {}

    def covered(self, pattern: str) -> frozenset[str]:
        """The filter's actions (lower case) that an ``Action`` entry covers."""
        found = self._covered.get(pattern)
        if found is not None:
            return found
        actions = self.actions or frozenset()
        lowered = pattern.lower()
        vendor = lowered.partition(":")[0]
        if "*" not in lowered and "?" not in lowered:
            found = frozenset({lowered} & actions)
        elif "*" not in vendor and "?" not in vendor and vendor not in self._vendors:
            found = frozenset()
        else:
            regex = compile_glob(lowered, fold=True)
            found = frozenset(a for a in actions if regex.fullmatch(a))
        self._covered[pattern] = found
        return found

    def hits(self, pattern: str) -> bool:
        """Whether an ``Action`` entry covers one of the actions."""
        return self.actions is None or bool(self.covered(pattern))

    def keeps(self, statement: Statement) -> bool:
        if statement.action is None:
            return True  # NotAction covers nearly everything.
        return any(self.hits(p) for p in statement.action)

    def keeps_raw(self, statement: Any) -> bool:
        """The same question on the JSON text, before parsing (anything odd is kept, so the
        parser sees and reports it)."""
        if self.actions is None or not isinstance(statement, Mapping):
            return True
        if "NotAction" in statement or "Action" not in statement:
            return True
        value = statement["Action"]
        patterns = [value] if isinstance(value, str) else value
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            return True
        return any(self.hits(p) for p in patterns)


class PolicyLibrary:
    """Parses each document once and narrows it to the filter's statements."""

    def __init__(self, action_filter: ActionFilter) -> None:
        self.filter = action_filter
        self.notes: list[str] = []
        self._by_object: dict[tuple[int, PolicyKind], Policy | None] = {}
        self._by_text: dict[tuple[str, PolicyKind], Policy | None] = {}
        self._keep_alive: list[Any] = []

    def get(self, document: Any, kind: PolicyKind, label: str) -> Policy | None:
        """The narrowed policy named ``label``, or ``None`` if the document is unusable."""
        if document is None:
            return None
        key = (id(document), kind)
        if key in self._by_object:
            policy = self._by_object[key]
        else:
            self._keep_alive.append(document)
            text = json.dumps(document, sort_keys=True, separators=(",", ":"))
            text_key = (text, kind)
            if text_key in self._by_text:
                policy = self._by_text[text_key]
            else:
                policy = self._parse(document, kind, label)
                self._by_text[text_key] = policy
            self._by_object[key] = policy
        if policy is None:
            return None
        return policy if policy.name == label else replace(policy, name=label)

    def _parse(self, document: Any, kind: PolicyKind, label: str) -> Policy | None:
        """Parse only the statements that can matter; their indices stay the document's."""
        kept_indices: list[int] | None = None
        source = document
        if isinstance(document, Mapping) and isinstance(document.get("Statement"), (list, dict)):
            raw = document["Statement"]
            items = raw if isinstance(raw, list) else [raw]
            kept_indices = [i for i, item in enumerate(items) if self.filter.keeps_raw(item)]
            if not kept_indices and kind is not PolicyKind.BOUNDARY:
                return None  # nothing here can decide an action the analysis asks about
            if len(kept_indices) < len(items):
                source = {**document, "Statement": [items[i] for i in kept_indices]}
            else:
                kept_indices = None
        try:
            policy = parse_policy(source, kind, label)
        except MalformedPolicyError as exc:
            self.notes.append(f"{label}: not a valid policy ({exc}); ignored")
            return None
        if kept_indices is None:
            return policy
        statements = tuple(
            replace(s, index=kept_indices[s.index], pointer=f"/Statement/{kept_indices[s.index]}")
            for s in policy.statements
        )
        return replace(policy, statements=statements)


@dataclass(eq=False)
class Principal:
    """A user or a role, with its (narrowed) policies and the context the engine sees."""

    kind: str
    """``user`` or ``role``."""
    name: str
    arn: str
    id: str
    account: str
    caller: str
    """The ARN the engine sees calling: the user, or a session of the role."""
    policies: tuple[Policy, ...]
    boundary: Policy | None
    boundary_arn: str | None
    groups: tuple[str, ...] = ()
    managed: tuple[str, ...] = ()
    """Customer or AWS managed policies that apply, directly or through a group."""
    trust: Policy | None = None
    instance_profiles: tuple[str, ...] = ()
    context: Mapping[str, str] = field(default_factory=dict)
    _evaluator: Evaluator | None = field(default=None, repr=False)

    @property
    def evaluator(self) -> Evaluator:
        if self._evaluator is None:
            self._evaluator = Evaluator(PolicySet(identity=self.policies, boundary=self.boundary))
        return self._evaluator

    def request(
        self, action: str, resource: str = "*", extra: Mapping[str, str] | None = None
    ) -> Request:
        context = dict(self.context)
        if extra:
            context.update(extra)
        return Request.build(self.caller, action, resource, context)

    def with_policies(self, extra: Iterable[Policy]) -> Evaluator:
        """An evaluator as if ``extra`` were attached too (the boundary still applies)."""
        return Evaluator(PolicySet(identity=(*self.policies, *extra), boundary=self.boundary))


def _context(
    kind: str, arn: str, account: str, user_id: str, name: str, tags: Mapping[str, str]
) -> dict[str, str]:
    """What any request of this principal carries, as far as an offline file can tell.

    Facts of the request itself (source IP, MFA, time) are unknown and left out: conditions
    that need them do not hold, so the analysis never reports access that depends on them.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
    """
    context = {
        "aws:PrincipalArn": arn,
        "aws:PrincipalAccount": account,
        "aws:PrincipalType": "User" if kind == "user" else "AssumedRole",
        "aws:userid": user_id if kind == "user" else f"{user_id}:{SESSION_NAME}",
        "aws:SecureTransport": "true",
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "false",
    }
    if kind == "user":
        context["aws:username"] = name
    for key, value in tags.items():
        context[f"aws:PrincipalTag/{key}"] = value
    return context


def _inline_label(kind: str, owner: str, policy: InlinePolicy) -> str:
    return f"{kind}/{owner} inline {policy.name}"


class _Builder:
    def __init__(self, account: Account, library: PolicyLibrary) -> None:
        self.account = account
        self.library = library

    def managed(self, arn: str, kind: PolicyKind = PolicyKind.IDENTITY) -> Policy | None:
        policy = self.account.policies.get(arn)
        if policy is None:
            return None
        return self.library.get(policy.document, kind, arn)

    def owned(
        self, kind: str, owner: str, inline: Iterable[InlinePolicy], attached: Iterable[str]
    ) -> list[Policy]:
        out: list[Policy] = []
        for item in inline:
            policy = self.library.get(
                item.document, PolicyKind.IDENTITY, _inline_label(kind, owner, item)
            )
            if policy is not None:
                out.append(policy)
        for arn in attached:
            policy = self.managed(arn)
            if policy is not None:
                out.append(policy)
        return out

    def boundary(self, arn: str | None) -> Policy | None:
        if arn is None:
            return None
        policy = self.managed(arn, PolicyKind.BOUNDARY)
        if policy is None:
            # A boundary whose document is unknown still limits: treat it as allowing nothing
            # rather than everything, so no path is reported through it.
            return parse_policy(
                {"Version": "2012-10-17", "Statement": []}, PolicyKind.BOUNDARY, arn
            )
        return policy

    def user(self, user: User) -> Principal:
        policies = self.owned("user", user.name, user.inline, user.attached)
        managed = list(user.attached)
        for group_name in user.groups:
            group = self.account.groups.get(group_name)
            if group is None:
                continue
            policies += self.owned("group", group.name, group.inline, group.attached)
            managed += group.attached
        account = self.account.account_id
        return Principal(
            kind="user",
            name=user.name,
            arn=user.arn,
            id=user.id,
            account=account,
            caller=user.arn,
            policies=tuple(policies),
            boundary=self.boundary(user.boundary),
            boundary_arn=user.boundary,
            groups=user.groups,
            managed=tuple(dict.fromkeys(managed)),
            context=_context("user", user.arn, account, user.id, user.name, user.tags),
        )

    def role(self, role: Role) -> Principal:
        account = self.account.account_id
        trust = None
        if role.trust is not None:
            trust = self.library.get(role.trust, PolicyKind.TRUST, f"{role.arn} trust policy")
        session = f"arn:{self.account.partition}:sts::{account}:assumed-role/{role.name}/"
        return Principal(
            kind="role",
            name=role.name,
            arn=role.arn,
            id=role.id,
            account=account,
            caller=session + SESSION_NAME,
            policies=tuple(self.owned("role", role.name, role.inline, role.attached)),
            boundary=self.boundary(role.boundary),
            boundary_arn=role.boundary,
            managed=tuple(dict.fromkeys(role.attached)),
            trust=trust,
            instance_profiles=role.instance_profiles,
            context=_context("role", role.arn, account, role.id, role.name, role.tags),
        )


def build_principals(account: Account, library: PolicyLibrary) -> list[Principal]:
    """Every user and role of ``account``, users first, in the file's order."""
    builder = _Builder(account, library)
    out = [builder.user(u) for u in account.users]
    out += [builder.role(r) for r in account.roles]
    return out


def group_policies(account: Account, library: PolicyLibrary, group_name: str) -> list[Policy]:
    """A group's own policies (for "what would joining this group give")."""
    group = account.groups.get(group_name)
    if group is None:
        return []
    return _Builder(account, library).owned("group", group.name, group.inline, group.attached)


def rebuild(account: Account, library: PolicyLibrary, principal: Principal) -> Principal:
    """The same principal with its policies read through another library (another filter)."""
    builder = _Builder(account, library)
    if principal.kind == "user":
        user = next(u for u in account.users if u.arn == principal.arn)
        return builder.user(user)
    role = next(r for r in account.roles if r.arn == principal.arn)
    return builder.role(role)
