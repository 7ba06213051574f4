"""The IAM policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy, decided by iamd's
own policy engine -- the same engine that authorizes every call -- and reported the way AWS
reports them.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html

As AWS does today, there is one ``EvaluationResult`` per action: its top-level fields are the
aggregate over every requested resource (the most restrictive decision, the union of matched
statements and missing keys) and ``ResourceSpecificResults`` carries one entry per resource
when ``ResourceArns`` is given.  ``EvalResourceName`` is then the ARN format of the action's
resource type from the service reference, or ``*``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from iamd.catalog.actions import lookup_action
from iamd.catalog.resources import matching_resource_types, resource_type
from iamd.errors import AWSError, InvalidInput
from iamd.policy import (
    Evaluator,
    Outcome,
    Policy,
    PolicyKind,
    PolicySet,
    PolicyType,
    Request,
    service_rules,
)
from iamd.policy.explain import StatementTrace, explain
from iamd.policy.model import Effect
from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, paginate, resource_tag_context, star_target
from iamd.services.iam.simulation_support import (
    BOUNDARY_TYPE,
    IDENTITY_TYPE,
    ORGANIZATIONS_TYPE,
    RESOURCE_TYPE,
    ContextValue,
    Exclusions,
    SourcePolicy,
    context_from_entries,
    entity_arn_or_invalid,
    find_entity,
    input_policy,
    load_principal,
    parse_entity_arn,
    resource_owner,
    statement_keys,
    stored_policy,
    unique_keys,
)
from iamd.services.registry import Target
from iamd.store import Tx

DECISIONS = {
    Outcome.ALLOWED: "allowed",
    Outcome.EXPLICIT_DENY: "explicitDeny",
    Outcome.IMPLICIT_DENY: "implicitDeny",
}
_RESTRICTIVENESS = {"allowed": 0, "implicitDeny": 1, "explicitDeny": 2}
_DETAIL_NAMES = {
    PolicyType.IDENTITY: IDENTITY_TYPE,
    PolicyType.RESOURCE: RESOURCE_TYPE,
    PolicyType.BOUNDARY: BOUNDARY_TYPE,
}
RESOURCE_HANDLING_OPTIONS = frozenset(
    {
        "EC2-VPC-InstanceStore",
        "EC2-VPC-InstanceStore-Subnet",
        "EC2-VPC-EBS",
        "EC2-VPC-EBS-Subnet",
        "EC2-Classic-InstanceStore",
        "EC2-Classic-EBS",
    }
)
"""The scenarios of ``ResourceHandlingOption`` (the EC2-Classic ones remain accepted)."""


def most_restrictive(decisions: Sequence[str]) -> str:
    """``explicitDeny`` over ``implicitDeny`` over ``allowed``, as AWS aggregates resources."""
    return max(decisions, key=_RESTRICTIVENESS.__getitem__, default="implicitDeny")


@dataclass
class Simulation:
    """Everything one simulate call asks about, its policies already parsed."""

    identity: list[SourcePolicy]
    boundary: SourcePolicy | None
    resource: SourcePolicy | None
    scps: list[list[SourcePolicy]]
    caller: str
    caller_account: str
    owner: str | None
    """``ResourceOwner``: the account of resources whose ARN names none."""
    context: dict[str, ContextValue]
    resources: list[str] | None
    """``ResourceArns`` as given (``None``: not given, which simulates ``*``)."""


@dataclass
class _PerResource:
    """The simulator's answer for one action on one resource."""

    resource: str
    decision: str
    matched: list[tuple[SourcePolicy, int]]
    missing: list[str]
    details: dict[str, str] | None
    boundary_allowed: bool | None
    organizations_allowed: bool | None
    ended_by_scp: bool
    """An SCP denied: AWS's evaluation stops there and reports no per-type details."""


@dataclass
class _Runner:
    """Runs one simulation: compiles its policy set once and traces each request through the
    engine, so the decision is the engine's own and the matched statements, missing keys and
    per-type details come from the same trace."""

    simulation: Simulation
    _by_name: dict[str, tuple[SourcePolicy, PolicyType]] = field(default_factory=dict)
    _scp_level: dict[str, int] = field(default_factory=dict)
    _evaluators: dict[str, Evaluator] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sim = self.simulation
        self._identity = [self._name(p, PolicyType.IDENTITY) for p in sim.identity]
        self._boundary = self._name(sim.boundary, PolicyType.BOUNDARY) if sim.boundary else None
        self._resource = self._name(sim.resource, PolicyType.RESOURCE) if sim.resource else None
        self._scp: list[list[Policy]] = []
        for level, policies in enumerate(sim.scps):
            named = [self._name(p, PolicyType.SCP) for p in policies]
            self._scp_level.update((p.name, level) for p in named)
            self._scp.append(named)

    def _name(self, source: SourcePolicy, policy_type: PolicyType) -> Policy:
        """The policy under a name unique in this simulation (two policies may share a name)."""
        name = f"{len(self._by_name)}:{source.source_id}"
        self._by_name[name] = (source, policy_type)
        return dataclasses.replace(source.policy, name=name)

    def evaluator(self, action: str, resource: str, owner: str) -> Evaluator:
        """The compiled policy set for a request.

        The simulator evaluates only the policies it is given.  For a KMS key, where iamd's
        engine (like AWS) lets identity policies count only if the key policy delegates to the
        account, a simulation without ``ResourcePolicy`` is given the default key policy that
        does so, as every key gets from AWS when none is specified; it is never reported.
        https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
        """
        delegate = self._resource is None and (
            service_rules.trust(action, resource, False) is service_rules.Trust.EXPLICIT
        )
        key = owner if delegate else ""
        found = self._evaluators.get(key)
        if found is None:
            resource_policy = _account_delegation(owner) if delegate else self._resource
            found = Evaluator(
                PolicySet(
                    identity=self._identity,
                    boundary=self._boundary,
                    resource=resource_policy,
                    scp=self._scp,
                )
            )
            self._evaluators[key] = found
        return found

    def one(self, action: str, resource: str) -> _PerResource:
        sim = self.simulation
        owner = _account_of(resource) or sim.owner or sim.caller_account
        request = Request.build(sim.caller, action, resource, sim.context, owner)
        try:
            trace = explain(self.evaluator(action, resource, owner), request)
        except Exception as exc:  # The engine never raises for a parsed policy; fail loudly.
            raise AWSError(
                f"Policy evaluation failed for {action} on {resource}: {exc}",
                code="PolicyEvaluation",
                status=500,
            ) from None
        decision = trace.decision
        matched: dict[PolicyType, list[tuple[SourcePolicy, StatementTrace]]] = {
            t: [] for t in PolicyType
        }
        missing: list[str] = []
        scp_levels = [[False, False] for _ in sim.scps]  # [allowed, denied] per level
        for st in trace.statements:
            entry = self._by_name.get(st.policy_name)
            if entry is None:
                continue  # The implied key policy.
            source, policy_type = entry
            if policy_type is PolicyType.SCP:
                if st.matched:
                    scp_levels[self._scp_level[st.policy_name]][st.effect == Effect.DENY] = True
                continue
            if _relevant(st):
                missing += [
                    key
                    for key in statement_keys(source.policy, st.index)
                    if key.lower() not in request.context
                ]
            if st.matched:
                matched[policy_type].append((source, st))

        outcome = DECISIONS[decision.outcome]
        reported: list[tuple[SourcePolicy, StatementTrace]] = []
        if decision.outcome is Outcome.EXPLICIT_DENY:
            for policy_type in (PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.RESOURCE):
                reported += [m for m in matched[policy_type] if m[1].effect == Effect.DENY]
        elif decision.outcome is Outcome.ALLOWED and decision.decided_by is not None:
            granting = [PolicyType.IDENTITY]
            if decision.decided_by is PolicyType.RESOURCE:
                granting = [PolicyType.RESOURCE]
                if not request.same_account:  # Across accounts both sides granted.
                    granting.insert(0, PolicyType.IDENTITY)
            for policy_type in granting:
                reported += [m for m in matched[policy_type] if m[1].effect == Effect.ALLOW]

        scp_denied = decision.decided_by is PolicyType.SCP and not decision.allowed
        details: dict[str, str] | None = None
        if not request.same_account and not scp_denied:
            details = {
                _DETAIL_NAMES[t]: _type_decision(matched[t])
                for t in (PolicyType.IDENTITY, PolicyType.RESOURCE)
            }
            if sim.boundary is not None:
                details[BOUNDARY_TYPE] = _type_decision(matched[PolicyType.BOUNDARY])
        boundary_allowed = (
            _type_decision(matched[PolicyType.BOUNDARY]) == "allowed"
            if sim.boundary is not None
            else None
        )
        organizations_allowed = (
            all(allowed and not denied for allowed, denied in scp_levels) if sim.scps else None
        )
        return _PerResource(
            resource=resource,
            decision=outcome,
            matched=[(source, st.index) for source, st in reported],
            missing=unique_keys(missing),
            details=details,
            boundary_allowed=boundary_allowed,
            organizations_allowed=organizations_allowed,
            ended_by_scp=scp_denied,
        )

    def action(self, action: str) -> dict[str, Any]:
        """The ``EvaluationResult`` of one action over every requested resource."""
        sim = self.simulation
        resources = sim.resources if sim.resources else ["*"]
        parts = [self.one(action, resource) for resource in resources]
        decision = most_restrictive([p.decision for p in parts])
        matched: list[tuple[SourcePolicy, int]] = []
        for part in parts:
            if part.decision == decision:
                matched += [m for m in part.matched if m not in matched]
        result: dict[str, Any] = {
            "EvalActionName": action,
            "EvalResourceName": resource_name(action, sim.resources),
            "EvalDecision": decision,
            "MatchedStatements": [_statement(source, index) for source, index in matched],
            "MissingContextValues": unique_keys(k for p in parts for k in p.missing),
        }
        if sim.scps:
            result["OrganizationsDecisionDetail"] = {
                "AllowedByOrganizations": all(p.organizations_allowed for p in parts)
            }
        if sim.boundary is not None:
            result["PermissionsBoundaryDecisionDetail"] = {
                "AllowedByPermissionsBoundary": all(p.boundary_allowed for p in parts)
            }
        details = _merge_details([p.details for p in parts if p.details is not None])
        if details or (sim.resources and not all(p.ended_by_scp for p in parts)):
            # Within one account AWS returns an empty map for named resources and no map
            # at all for "*"; across accounts, the most restrictive decision per policy type.
            result["EvalDecisionDetails"] = details
        if sim.resources:
            result["ResourceSpecificResults"] = [_specific(p) for p in parts]
        return result


def _relevant(st: StatementTrace) -> bool:
    """Whether a statement applies to the request but for its conditions: its missing keys are
    the ones the simulation needs.  A Resource with a variable that did not resolve counts,
    since the missing variable is exactly what keeps it from matching."""
    if not st.action_matched:
        return False
    if st.principal is not None and st.principal == "NONE":
        return False
    return st.resource_matched or any(resolved is None for _, resolved in st.resources)


def _type_decision(entries: list[tuple[SourcePolicy, StatementTrace]]) -> str:
    if any(st.effect == Effect.DENY for _, st in entries):
        return "explicitDeny"
    if entries:
        return "allowed"
    return "implicitDeny"


def _merge_details(all_details: list[dict[str, str]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for details in all_details:
        for name, decision in details.items():
            merged[name] = most_restrictive([merged.get(name, "allowed"), decision])
    return merged


def _statement(source: SourcePolicy, index: int) -> dict[str, Any]:
    return {
        "SourcePolicyId": source.source_id,
        "SourcePolicyType": source.source_type,
        **source.position(index),
    }


def _specific(part: _PerResource) -> dict[str, Any]:
    out: dict[str, Any] = {
        "EvalResourceName": part.resource,
        "EvalResourceDecision": part.decision,
        "MatchedStatements": [_statement(source, index) for source, index in part.matched],
        "MissingContextValues": part.missing,
    }
    if part.details is not None:
        out["EvalDecisionDetails"] = part.details
    if part.boundary_allowed is not None:
        out["PermissionsBoundaryDecisionDetail"] = {
            "AllowedByPermissionsBoundary": part.boundary_allowed
        }
    return out


def resource_name(action: str, resources: list[str] | None) -> str:
    """The top-level ``EvalResourceName``: the ARN format of the action's resource type that the
    requested ARNs name (e.g. ``arn:${Partition}:s3:::${BucketName}/${ObjectName}``), or ``*``
    when no ARN is named or the action has no resource types."""
    named = [r for r in resources or () if r != "*"]
    info = lookup_action(action)
    if not named or info is None:
        return "*"
    types = [t for t in (resource_type(info.service, r.name) for r in info.resource_types) if t]
    for candidate in types:
        if any(matching_resource_types(arn, [candidate]) for arn in named):
            return candidate.arn_format
    return types[0].arn_format if types else "*"


def _account_of(arn: str) -> str | None:
    fields = arn.split(":", 5)
    return fields[4] if len(fields) == 6 and fields[4] else None


def _account_delegation(account: str) -> Policy:
    source = stored_policy(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": '
        f'"arn:aws:iam::{account}:root"}}, "Action": "*", "Resource": "*"}}]}}',
        PolicyKind.RESOURCE,
        "iamd:default-key-policy",
        RESOURCE_TYPE,
    )
    assert source is not None
    return source.policy


# Inputs ------------------------------------------------------------------------------


def _actions(call: Call) -> list[str]:
    """``ActionNames``: each a ``service:Action`` name; wildcards are not simulated."""
    names: list[str] = list(call.params["ActionNames"])
    for name in names:
        service, sep, operation = name.partition(":")
        if not sep or not service or not operation or ":" in operation:
            raise InvalidInput(f"Invalid Input Actions: {name} is not a valid action name.")
        if "*" in name or "?" in name:
            raise InvalidInput(f"Invalid Input Actions: wildcards are not supported ({name}).")
    return names


def _input_boundary(call: Call) -> SourcePolicy | None:
    documents = call.param("PermissionsBoundaryPolicyInputList") or []
    if len(documents) > 1:
        raise InvalidInput(
            "Only one permissions boundary may be given in PermissionsBoundaryPolicyInputList."
        )
    if not documents:
        return None
    return input_policy(
        documents[0], PolicyKind.BOUNDARY, "PermissionsBoundaryPolicyInputList.1", BOUNDARY_TYPE
    )


def _input_identity(call: Call) -> list[SourcePolicy]:
    return [
        input_policy(text, PolicyKind.IDENTITY, f"PolicyInputList.{n}", IDENTITY_TYPE)
        for n, text in enumerate(call.param("PolicyInputList") or [], start=1)
    ]


def _input_resource_policy(call: Call) -> SourcePolicy | None:
    text = call.param("ResourcePolicy")
    if text is None:
        return None
    return input_policy(text, PolicyKind.RESOURCE, "ResourcePolicy", RESOURCE_TYPE)


def _input_scps(call: Call) -> list[list[SourcePolicy]]:
    levels = []
    for depth, level in enumerate(call.param("OrderedOrganizationPolicyInputList") or [], 1):
        texts = level.get("ServiceControlPolicyInputList") or []
        levels.append(
            [
                input_policy(
                    text,
                    PolicyKind.SCP,
                    f"OrderedOrganizationPolicyInputList.{depth}.{n}",
                    ORGANIZATIONS_TYPE,
                )
                for n, text in enumerate(texts, 1)
            ]
        )
    return levels


def _caller(call: Call, default: str | None) -> str:
    given = call.param("CallerArn")
    if given is not None:
        return entity_arn_or_invalid(given).arn
    if default is None:
        raise InvalidInput("CallerArn is required when a ResourcePolicy is given.")
    return default


def _check_handling_option(call: Call) -> None:
    option = call.param("ResourceHandlingOption")
    if option is not None and option not in RESOURCE_HANDLING_OPTIONS:
        raise InvalidInput(f"Invalid ResourceHandlingOption: {option}")


def _respond(call: Call, simulation: Simulation, actions: list[str]) -> dict[str, Any]:
    runner = _Runner(simulation)
    results = [runner.action(action) for action in actions]
    page, more = paginate(call, list(enumerate(results)), key=lambda item: f"{item[0]:08d}")
    return {"EvaluationResults": [result for _, result in page], **more}


# Operations ---------------------------------------------------------------------------


def principal_target(call: Call, tx: Tx) -> Target:
    """The user, group or role named by ``PolicySourceArn``, with its tags as resource tags.

    The call is always one on the caller's own account: another account's ARN is then the
    handler's ``InvalidInput`` (as AWS answers it), not a cross-account denial.
    """
    arn = str(call.param("PolicySourceArn") or "")
    entity = parse_entity_arn(arn)
    found = None
    if entity is not None and entity.account == call.account_id:
        found = find_entity(tx, call.account_id, entity)
    if entity is None or found is None:
        return Target(arn, resource_account=call.account_id)
    tags = resource_tag_context(tx.tags.all(entity.kind, found.id))
    return Target(found.arn, tags, resource_account=call.account_id)


@REGISTRY.operation("SimulatePrincipalPolicy", target=principal_target)
def simulate_principal_policy(call: Call) -> dict[str, Any]:
    """The principal's policies (a user's groups' too) and boundary, plus any given ones.

    A boundary in ``PermissionsBoundaryPolicyInputList`` replaces the entity's own.
    """
    source = entity_arn_or_invalid(call.params["PolicySourceArn"])
    if source.account != call.account_id:
        raise InvalidInput(
            f"Invalid Policy Source Arn: caller's account {call.account_id} does not have "
            f"access to policies in account {source.account}"
        )
    actions = _actions(call)
    _check_handling_option(call)
    extra = _input_identity(call)
    boundary = _input_boundary(call)
    resource = _input_resource_policy(call)
    exclusions = Exclusions.parse(call.param("PolicyExclusionList"))
    context = context_from_entries(call.param("ContextEntries"))
    owner = resource_owner(call.param("ResourceOwner"))
    with call.store.read() as tx:
        principal = load_principal(tx, call.account_id, source, exclusions)
    caller = _caller(call, principal.arn)
    simulation = Simulation(
        identity=principal.identity + extra,
        boundary=boundary if boundary is not None else principal.boundary,
        resource=resource,
        scps=[],
        caller=caller,
        caller_account=_account_of(caller) or call.account_id,
        owner=owner,
        context=context,
        resources=call.param("ResourceArns") or None,
    )
    return _respond(call, simulation, actions)


@REGISTRY.operation("SimulateCustomPolicy", target=star_target)
def simulate_custom_policy(call: Call) -> dict[str, Any]:
    """Only the given policies.  Without ``CallerArn`` the request is the caller's own, which
    only matters to a resource policy -- and with one, AWS requires ``CallerArn``."""
    actions = _actions(call)
    _check_handling_option(call)
    identity = _input_identity(call)
    boundary = _input_boundary(call)
    resource = _input_resource_policy(call)
    scps = _input_scps(call)
    context = context_from_entries(call.param("ContextEntries"))
    owner = resource_owner(call.param("ResourceOwner"))
    caller = _caller(call, None if resource is not None else call.caller.arn)
    simulation = Simulation(
        identity=identity,
        boundary=boundary,
        resource=resource,
        scps=scps,
        caller=caller,
        caller_account=_account_of(caller) or call.account_id,
        owner=owner,
        context=context,
        resources=call.param("ResourceArns") or None,
    )
    return _respond(call, simulation, actions)
