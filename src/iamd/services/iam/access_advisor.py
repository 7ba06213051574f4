"""Access Advisor: when users, groups, roles and policies last used the services they allow.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateServiceLastAccessedDetails.html
- The services listed are those the entity's permissions policies allow (no boundaries, SCPs
  or resource policies).  For a group, its members' activity counts; for a managed policy,
  the activity of every user and role it is attached to (directly or through a group).
- "The service last accessed data includes all attempts to access an AWS API, not just the
  successful ones": denied calls count, calls that failed to authenticate do not.
- "The JobId returned by GenerateServiceLastAccessedDetail must be used by the same role
  within a session, or by the same user": another caller's job id is not found.
- Activity comes from the audit trail (folded into ``trail_usage`` as it is written), not
  with AWS's delay of up to four hours.

ACTION_LEVEL: AWS tracks a documented subset of actions; iamd tracks every action of the
services it serves itself, and of those AWS tracks that the gateway fronts (EC2, Lambda and
S3's management actions: "action last accessed information is not available for Amazon S3
data events", the object-level ones) (:data:`TRACKED_SERVICES`).
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed-action-last-accessed.html
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from iamd.catalog.actions import lookup_action
from iamd.catalog.services import service_name
from iamd.errors import InvalidInput, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, paginate, star_target
from iamd.services.iam.policy_services import Grants, granted, merge
from iamd.services.registry import Target
from iamd.store import Store, Tx
from iamd.store.records import Group, ManagedPolicy, Role, User
from iamd.store.repos.access_advisor_jobs import IN_PROGRESS, AccessAdvisorJobs, AdvisorJob
from iamd.store.repos.trail_usage import TrailUsage, Usage

log = logging.getLogger("iamd")

TRACKED_SERVICES = frozenset({"iam", "sts", "cloudtrail", "access-analyzer", "ec2", "lambda", "s3"})
"""Services whose calls iamd sees all of: its own (their operation names are their action
names) and the gateway's that AWS tracks (their events name the actions they needed)."""
KEEP_JOBS = timedelta(days=30)
"""AWS does not document how long a job stays readable; iamd keeps jobs for 30 days."""
GRANULARITIES = ("SERVICE_LEVEL", "ACTION_LEVEL")

Runner = Callable[[Callable[[], None]], None]


def in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="iamd-access-advisor", daemon=True).start()


@dataclass(frozen=True, slots=True)
class Principal:
    """A user or role whose activity a report counts."""

    kind: str
    id: str
    name: str
    path: str
    arn: str

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.id}"

    def info(self) -> dict[str, Any]:
        return {
            "Arn": self.arn,
            "Name": self.name,
            "Type": self.kind.upper(),
            "Id": self.id,
            "Path": self.path,
        }


@dataclass
class Subject:
    """What a report is about: its principals and its policies' documents (with names)."""

    kind: str
    principals: list[Principal] = field(default_factory=list)
    documents: list[PolicyRef] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PolicyRef:
    name: str
    document: str
    arn: str | None = None
    """Managed policies only."""
    owner_kind: str | None = None
    """Inline policies only: USER, GROUP or ROLE, and the owner's name."""
    owner_name: str | None = None

    def shape(self) -> dict[str, Any]:
        if self.arn is not None:
            return {"PolicyName": self.name, "PolicyType": "MANAGED", "PolicyArn": self.arn}
        return {
            "PolicyName": self.name,
            "PolicyType": "INLINE",
            "EntityType": self.owner_kind,
            "EntityName": self.owner_name,
        }


# Resolving an ARN ------------------------------------------------------------------------


def parse_arn(arn: str) -> tuple[str, str, str]:
    """``(account, kind, name)`` of an IAM user, group, role or policy ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or "/" not in parts[5]:
        raise InvalidInput(f"ARN {arn} is not valid.")
    kind, _, rest = parts[5].partition("/")
    if kind not in ("user", "group", "role", "policy") or not rest:
        raise InvalidInput(f"ARN {arn} is not valid.")
    return parts[4], kind, rest.rsplit("/", 1)[-1]


def _user(u: User) -> Principal:
    return Principal("user", u.id, u.name, u.path, u.arn)


def _role(r: Role) -> Principal:
    return Principal("role", r.id, r.name, r.path, r.arn)


def _owned(tx: Tx, kind: str, owner_id: str, owner_name: str) -> list[PolicyRef]:
    refs = [
        PolicyRef(p.name, p.document, owner_kind=kind.upper(), owner_name=owner_name)
        for p in tx.policies.list_inline(kind, owner_id)
    ]
    for arn in tx.policies.attached(kind, owner_id):
        document = tx.policies.default_document(arn)
        if document is not None:
            refs.append(PolicyRef(arn.rsplit("/", 1)[-1], document, arn=arn))
    return refs


def _group_refs(tx: Tx, group: Group) -> list[PolicyRef]:
    return _owned(tx, "group", group.id, group.name)


def resolve(tx: Tx, account_id: str, arn: str, allow_policy: bool = True) -> Subject:
    """The entity an ARN names, or NoSuchEntity; policies only where ``allow_policy``."""
    account, kind, name = parse_arn(arn)
    missing = NoSuchEntity(f"The entity with ARN {arn} cannot be found.")
    if kind == "policy":
        if not allow_policy:
            raise InvalidInput(f"ARN {arn} is not valid.")
        if account not in (account_id, "aws"):
            raise missing
        policy = tx.policies.get(arn)
        if policy is None:
            raise missing
        return _policy_subject(tx, account_id, policy)
    if account != account_id:
        raise missing
    if kind == "user":
        user = tx.users.get(account_id, name)
        if user is None or user.arn != arn:
            raise missing
        refs = _owned(tx, "user", user.id, user.name)
        for group in tx.groups.of_user(user.id):
            refs += _group_refs(tx, group)
        return Subject("user", [_user(user)], refs)
    if kind == "role":
        role = tx.roles.get(account_id, name)
        if role is None or role.arn != arn:
            raise missing
        return Subject("role", [_role(role)], _owned(tx, "role", role.id, role.name))
    found = tx.groups.get(account_id, name)
    if found is None or found.arn != arn:
        raise missing
    members = [_user(u) for u in tx.groups.members(found.id)]
    return Subject("group", members, _group_refs(tx, found))


def _policy_subject(tx: Tx, account_id: str, policy: ManagedPolicy) -> Subject:
    principals: dict[str, Principal] = {}
    for owner_kind, owner_id in tx.policies.attachments_of(policy.arn):
        if owner_kind == "user":
            user = tx.users.get_by_id(owner_id)
            if user is not None and user.account_id == account_id:
                principals[user.id] = _user(user)
        elif owner_kind == "role":
            role = tx.roles.get_by_id(owner_id)
            if role is not None and role.account_id == account_id:
                principals[role.id] = _role(role)
        elif owner_kind == "group":
            group = tx.groups.get_by_id(owner_id)
            if group is not None and group.account_id == account_id:
                for member in tx.groups.members(group.id):
                    principals[member.id] = _user(member)
    document = tx.policies.default_document(policy.arn) or "{}"
    return Subject(
        "policy", list(principals.values()), [PolicyRef(policy.name, document, arn=policy.arn)]
    )


# Building a report -----------------------------------------------------------------------


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _latest(
    principals: list[Principal], usage: dict[str, dict[str, Usage]], scope: str
) -> list[tuple[Principal, Usage]]:
    """Who used ``scope``, most recent first."""
    used = [(p, usage[p.subject][scope]) for p in principals if scope in usage[p.subject]]
    return sorted(used, key=lambda pu: pu[1].last_time, reverse=True)


def report(
    grants: Grants, principals: list[Principal], usage: dict[str, dict[str, Usage]], actions: bool
) -> dict[str, Any]:
    """The job's result: services (in namespace order) and, per service, its entities."""
    services: list[dict[str, Any]] = []
    entities: dict[str, list[dict[str, Any]]] = {}
    for namespace in sorted(grants):
        used = _latest(principals, usage, namespace)
        item: dict[str, Any] = {
            "ServiceName": service_name(namespace) or namespace,
            "ServiceNamespace": namespace,
            "TotalAuthenticatedEntities": len(used),
        }
        if used:
            principal, last = used[0]
            item["LastAuthenticated"] = _iso(last.last_time)
            item["LastAuthenticatedEntity"] = principal.arn
            if last.region:
                item["LastAuthenticatedRegion"] = last.region
        if actions and namespace in TRACKED_SERVICES:
            item["TrackedActionsLastAccessed"] = [
                _tracked(namespace, name, principals, usage)
                for name in sorted(grants[namespace])
                if not _data_event(namespace, name)
            ]
        services.append(item)
        seen = {p.id for p, _ in used}
        entities[namespace] = [
            {"EntityInfo": p.info(), "LastAuthenticated": _iso(u.last_time)} for p, u in used
        ] + [{"EntityInfo": p.info()} for p in principals if p.id not in seen]
    return {"services": services, "entities": entities}


def _data_event(namespace: str, name: str) -> bool:
    """An S3 object-level action (GetObject, PutObject ...): AWS does not track those."""
    if namespace != "s3":
        return False
    info = lookup_action(f"s3:{name}")
    return info is not None and any(r.name == "object" for r in info.resource_types)


def _tracked(
    namespace: str, name: str, principals: list[Principal], usage: dict[str, dict[str, Usage]]
) -> dict[str, Any]:
    item: dict[str, Any] = {"ActionName": name}
    used = _latest(principals, usage, f"{namespace}:{name}")
    if used:
        principal, last = used[0]
        item["LastAccessedEntity"] = principal.arn
        item["LastAccessedTime"] = _iso(last.last_time)
        if last.region:
            item["LastAccessedRegion"] = last.region
    return item


def build(store: Store, job_id: str, account_id: str, arn: str, actions: bool) -> None:
    try:
        with store.read() as tx:
            subject = resolve(tx, account_id, arn)
            usage = tx.repo(TrailUsage).scopes_of(
                account_id, [p.subject for p in subject.principals]
            )
        grants = merge([ref.document for ref in subject.documents])
        result = json.dumps(report(grants, subject.principals, usage, actions))
        with store.write() as tx:
            tx.repo(AccessAdvisorJobs).finish(job_id, datetime.now(UTC), result)
    except Exception as error:
        log.exception("access advisor job %s failed", job_id)
        with store.write() as tx:
            tx.repo(AccessAdvisorJobs).finish(
                job_id, datetime.now(UTC), None, getattr(error, "message", "Internal failure")
            )


def start(
    store: Store,
    account_id: str,
    owner_arn: str,
    arn: str,
    granularity: str,
    now: datetime,
    run: Runner = in_thread,
) -> str:
    if granularity not in GRANULARITIES:
        raise InvalidInput(f"Granularity {granularity} is not valid.")
    job_id = str(uuid.uuid4())
    with store.write() as tx:
        resolve(tx, account_id, arn)  # NoSuchEntity before any job exists
        jobs = tx.repo(AccessAdvisorJobs)
        jobs.purge(account_id, now - KEEP_JOBS)
        jobs.create(job_id, account_id, owner_arn, arn, granularity, now)
    run(lambda: build(store, job_id, account_id, arn, granularity == "ACTION_LEVEL"))
    return job_id


# Handlers --------------------------------------------------------------------------------


def _arn_target(call: Call, tx: Tx) -> Target:
    """The entity or policy reported on, in the caller's own account: an AWS managed policy
    is reported on like the account's own (another account's ARN is the handler's
    NoSuchEntity, not a cross-account denial)."""
    return Target(call.param("Arn") or "*", resource_account=call.account_id)


def _job(call: Call) -> AdvisorJob:
    job_id = call.params["JobId"]
    with call.store.read() as tx:
        job = tx.repo(AccessAdvisorJobs).get(job_id)
    if job is None or job.account_id != call.account_id or job.owner_arn != call.caller.arn:
        raise NoSuchEntity(f"The job with id {job_id} cannot be found.")
    return job


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _status(job: AdvisorJob) -> dict[str, Any]:
    out: dict[str, Any] = {"JobStatus": job.status, "JobCreationDate": job.created}
    if job.completed is not None:
        out["JobCompletionDate"] = job.completed
    if job.error:
        out["Error"] = {"Message": job.error, "Code": "ServiceFailure"}
    return out


@REGISTRY.operation("GenerateServiceLastAccessedDetails", target=_arn_target)
def generate_service_last_accessed_details(call: Call) -> dict[str, Any]:
    job_id = start(
        call.store,
        call.account_id,
        call.caller.arn,
        call.params["Arn"],
        call.param("Granularity") or "SERVICE_LEVEL",
        call.now or datetime.now(UTC),
    )
    return {"JobId": job_id}


@REGISTRY.operation("GetServiceLastAccessedDetails", target=star_target)
def get_service_last_accessed_details(call: Call) -> dict[str, Any]:
    job = _job(call)
    out = {**_status(job), "JobType": job.granularity}
    if job.status == IN_PROGRESS or not job.result:
        return {**out, "ServicesLastAccessed": [], "IsTruncated": False}
    services = json.loads(job.result)["services"]
    for item in services:
        if "LastAuthenticated" in item:
            item["LastAuthenticated"] = _dt(item["LastAuthenticated"])
        for action in item.get("TrackedActionsLastAccessed", []):
            if "LastAccessedTime" in action:
                action["LastAccessedTime"] = _dt(action["LastAccessedTime"])
    page, more = paginate(call, services, key=lambda s: s["ServiceNamespace"])
    return {**out, "ServicesLastAccessed": page, **more}


@REGISTRY.operation("GetServiceLastAccessedDetailsWithEntities", target=star_target)
def get_service_last_accessed_details_with_entities(call: Call) -> dict[str, Any]:
    job = _job(call)
    out = _status(job)
    if job.status == IN_PROGRESS or not job.result:
        return {**out, "EntityDetailsList": [], "IsTruncated": False}
    entities = json.loads(job.result)["entities"].get(call.params["ServiceNamespace"], [])
    for item in entities:
        if "LastAuthenticated" in item:
            item["LastAuthenticated"] = _dt(item["LastAuthenticated"])
    page, more = paginate(call, entities, key=lambda e: e["EntityInfo"]["Id"])
    return {**out, "EntityDetailsList": page, **more}


@REGISTRY.operation("ListPoliciesGrantingServiceAccess", target=_arn_target)
def list_policies_granting_service_access(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        subject = resolve(tx, call.account_id, call.params["Arn"], allow_policy=False)
    out = []
    for namespace in call.params["ServiceNamespaces"]:
        policies = [
            ref.shape() for ref in subject.documents if namespace.lower() in granted(ref.document)
        ]
        out.append({"ServiceNamespace": namespace, "Policies": policies})
    return {"PoliciesGrantingServiceAccess": out, "IsTruncated": False}
