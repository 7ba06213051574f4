"""The resource-based policy of the resource a request names (S3 aside), read from the backend.

AWS decides a request with the caller's identity-based policies *and* the target's
resource-based policy (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
a Deny in either denies; within an account either may allow (a KMS key aside, below); across
accounts both must (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
The backend holds these policies, so the gateway reads them with its own credentials:

- KMS key: ``GetKeyPolicy`` with ``PolicyName=default``. A key policy must trust the account
  before IAM policies count at all, even the account's own (the default key policy's "Enable
  IAM User Permissions" statement, principal the account's root, does;
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html), and the
  root user is subject to it too. A request naming a key by its alias is authorized on the key,
  with the key's policy, as KMS does
  (https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html); the alias
  is resolved with ``DescribeKey``.
- SQS queue: ``GetQueueAttributes`` (``AttributeNames=[Policy]``, by queue URL)
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html).
- SNS topic: ``GetTopicAttributes``' ``Policy``
  (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
- Lambda function: ``GetPolicy`` (no policy is a 404); a version or alias has its own policy,
  read with its ``Qualifier``, and ``$LATEST`` is the function
  (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html).
- Secrets Manager secret: ``GetResourcePolicy``
  (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html).

**Read always, not only across accounts.** A Deny in a queue, topic, function or secret policy
applies to the owner's own principals too, a statement naming a principal grants it without
any identity policy, and a key policy decides every KMS request; skipping the read for
same-account callers would get all three wrong. The answer is kept ``ttl`` (30) seconds per
resource, so a hit costs a few dictionary lookups (~13 us measured), and the authorizer
reuses the evaluator compiled with the same policy object (~25 us a decision, against ~90 us
rebuilt); a backend read happens once per resource per 30 s. A call through the gateway that
changes a policy (``PutKeyPolicy``, ``SetQueueAttributes``, ``SetTopicAttributes``,
``AddPermission``/``RemovePermission``, ``Put/DeleteResourcePolicy``, a KMS alias change) or
creates or deletes the resource drops its entry once the backend accepts it; the time limit
only bounds how long a change made behind iamd's back goes unseen.

**Whose resource.** The resource belongs to the account its ARN names (the ARN the request
names, or the one the gateway built with the caller's account from a name or, for SQS, from
the queue URL). The backend keeps every account's resources in its own account (the embedded
moto runs in iamd's), so the resource is read with the backend's account in its place, and in
the document of a resource of another account the backend's account id stands for the
resource's owner: the backend wrote it there on the owner's behalf (the default key policy's
root principal, the ARNs it hands out). The cost: a policy on another account's resource
cannot name the backend's account's own principals (they read as the owner's, never as
anyone outside the owner's account).

**Failing closed.** A policy the backend cannot be asked for (it failed, or refused the
gateway) or that does not parse is *unknown*: the request is evaluated without it and, if that
would allow it, denied all the same, saying why, since a Deny in it cannot be ruled out (and
across accounts it is the only possible grant).

**The root user** may do anything in its own account that no policy explicitly denies, as it
may without a resource policy, except on a KMS key, whose key policy must allow it (the
default key policy does).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iamd.errors import AWSError
from iamd.gateway import calls, responses
from iamd.gateway.expiring import MISSING, Expiring
from iamd.gateway.resource_tags import Arn, UnreadableError, creates_or_deletes, missing
from iamd.gateway.s3_actions import Check
from iamd.gateway.services import ServiceInfo
from iamd.policy import Decision, MalformedPolicyError, Outcome, Policy, PolicyKind, parse_policy
from iamd.services.caller import Caller

log = logging.getLogger("iamd.gateway")

SERVICES = frozenset({"kms", "sqs", "sns", "lambda", "secretsmanager"})
POLICY_WRITES = frozenset(
    {
        "PutKeyPolicy",
        "SetQueueAttributes",
        "SetTopicAttributes",
        "AddPermission",
        "RemovePermission",
        "PutResourcePolicy",
        "DeleteResourcePolicy",
        # KMS aliases (which key an alias names) and Lambda aliases (their own policies).
        "CreateAlias",
        "UpdateAlias",
        "DeleteAlias",
    }
)
"""Operations that change a resource policy (or which policy applies), on success."""
_ALLOWED = Decision(Outcome.ALLOWED, None)

Call = Callable[[str, str, dict[str, Any], str], Awaitable[calls.Answer]]
"""(signing name, operation, parameters, region) -> the backend's answer."""
Account = Callable[[str], Awaitable[str | None]]
"""(region) -> the backend's account, when known."""
Url = Callable[[], Awaitable[str]]
"""The backend's base URL (SQS names a queue by URL)."""


# Which resources have one --------------------------------------------------------------------


def holder(arn: Arn) -> Arn | None:
    """The resource whose policy applies to ``arn``, or None when its service keeps none iamd
    reads: a KMS key or alias, an SQS queue, an SNS topic (not a subscription), a Lambda
    function (a version's or alias's own, ``$LATEST`` being the function), a secret."""
    service, name = arn.service, arn.resource
    if service == "kms":
        return arn if name.startswith(("key/", "alias/")) else None
    if service in ("sqs", "sns"):
        return arn if name and ":" not in name and "/" not in name else None
    if service == "secretsmanager":
        return arn if name.startswith("secret:") else None
    if service == "lambda" and name.startswith("function:"):
        parts = name.split(":")
        if len(parts) > 3 or not parts[1]:
            return None
        if len(parts) == 3 and parts[2] in ("", "$LATEST"):
            return Arn(arn.partition, arn.service, arn.region, arn.account, f"function:{parts[1]}")
        return arn
    return None


def _alias_named(arn: Arn) -> bool:
    """A KMS alias: ``alias/x``, or ``key/alias/x`` as a ``KeyId`` of ``alias/x`` reads when
    put in a key's ARN."""
    return arn.service == "kms" and arn.resource.startswith(("alias/", "key/alias/"))


def localize(value: Any, backend: str, owner: str) -> Any:
    """``value`` (a policy document, or a part of one) with the backend's account id read as
    ``owner``'s: as a whole string (``"111122223333"``) and as an ARN's account field."""
    if isinstance(value, str):
        if value == backend:
            return owner
        if value.startswith("arn:"):
            fields = value.split(":", 5)
            if len(fields) == 6 and fields[4] == backend:
                fields[4] = owner
                return ":".join(fields)
        return value
    if isinstance(value, list):
        return [localize(v, backend, owner) for v in value]
    if isinstance(value, dict):
        return {k: localize(v, backend, owner) for k, v in value.items()}
    return value


def lambda_principals(document: str) -> str:
    """A function policy with AddPermission's ``Principal`` in the form AWS stores it: an
    account id as ``{"AWS": "arn:aws:iam::ID:root"}``, an ARN as ``{"AWS": ARN}``. (moto keeps
    the bare string, which is no valid Principal; services and ``{...}`` pass unchanged.)
    https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html"""
    try:
        loaded = json.loads(document)
    except ValueError:
        return document  # parse_policy says what is wrong with it
    statements = loaded.get("Statement") if isinstance(loaded, dict) else None
    if not isinstance(statements, list):
        return document
    for statement in statements:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if not isinstance(principal, str) or principal == "*":
            continue
        if len(principal) == 12 and principal.isdigit():
            statement["Principal"] = {"AWS": f"arn:aws:iam::{principal}:root"}
        elif principal.startswith("arn:"):
            statement["Principal"] = {"AWS": principal}
        elif principal.endswith(".amazonaws.com"):
            statement["Principal"] = {"Service": principal}
    return json.dumps(loaded)


def changes_policy(operation: str, action: str) -> bool:
    """Whether a successful call may have changed the policy that applies to the resources it
    names: a policy write, or creating or deleting a resource of the type its action acts on
    (DeleteQueue, CreateKey, DeleteSecret; not DeleteMessage, SQS's hot path)."""
    return operation in POLICY_WRITES or creates_or_deletes(operation, action)


# Reading -------------------------------------------------------------------------------------


def _output(answer: calls.Answer, operation: str) -> dict[str, Any] | None:
    """The answer's output; None when the resource (or its policy) does not exist."""
    if answer.ok:
        return answer.data
    if missing(answer):
        return None
    raise UnreadableError(f"{operation} answered {answer.status} {answer.code}".strip())


async def read_policy(call: Call, arn: Arn, url: str, region: str) -> str | None:
    """The policy document of ``arn`` (in the backend's account) as the backend holds it, None
    when it has none; :class:`UnreadableError` when the backend did not tell."""
    service, name = arn.service, arn.resource
    if service == "kms":
        params: dict[str, Any] = {"KeyId": str(arn), "PolicyName": "default"}
        data = _output(await call("kms", "GetKeyPolicy", params, region), "GetKeyPolicy")
        value = data.get("Policy") if data else None
    elif service == "sqs":
        params = {"QueueUrl": f"{url}/{arn.account}/{name}", "AttributeNames": ["Policy"]}
        answer = await call("sqs", "GetQueueAttributes", params, region)
        data = _output(answer, "GetQueueAttributes")
        value = (data.get("Attributes") or {}).get("Policy") if data else None
    elif service == "sns":
        answer = await call("sns", "GetTopicAttributes", {"TopicArn": str(arn)}, region)
        data = _output(answer, "GetTopicAttributes")
        value = (data.get("Attributes") or {}).get("Policy") if data else None
    elif service == "lambda":
        parts = name.split(":")
        base = Arn(arn.partition, arn.service, arn.region, arn.account, ":".join(parts[:2]))
        params = {"FunctionName": str(base)}
        if len(parts) == 3:
            params["Qualifier"] = parts[2]
        data = _output(await call("lambda", "GetPolicy", params, region), "GetPolicy")
        value = data.get("Policy") if data else None
        if isinstance(value, str):
            value = lambda_principals(value)
    elif service == "secretsmanager":
        answer = await call("secretsmanager", "GetResourcePolicy", {"SecretId": str(arn)}, region)
        data = _output(answer, "GetResourcePolicy")
        value = data.get("ResourcePolicy") if data else None
    else:
        raise ValueError(f"no resource policy reader for {arn}")
    return value if isinstance(value, str) and value.strip() else None


# What the gateway authorizes with ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """What one check is authorized with."""

    resource: str
    """The resource authorized: the request's, or the key an alias names."""
    account: str | None = None
    """The resource's owner (None: the ARN names none, the caller's then)."""
    policy: Policy | None = None
    key_policy: bool = False
    """A KMS key's: it decides for the root user too."""
    unknown: bool = False
    """The policy could not be read or parsed: a Deny in it cannot be ruled out."""


@dataclass(frozen=True, slots=True)
class Found:
    targets: Mapping[str, Target] = field(default_factory=dict)

    def target(self, check: Check) -> Target:
        return self.targets.get(check.resource) or Target(check.resource)

    def policies(self) -> list[Policy]:
        """The resource policies found (a resource-tag key in one needs the tags read)."""
        return [t.policy for t in self.targets.values() if t.policy is not None]


NOTHING = Found()


@dataclass(slots=True)
class _Entry:
    document: str | None
    parsed: dict[str, Policy | None] = field(default_factory=dict)
    """By owner account: the document read in that account."""


class ResourcePolicies:
    def __init__(self, call: Call, account: Account, url: Url, ttl: float = 30.0) -> None:
        self.call_backend = call
        self.account = account
        self.url = url
        self.ttl = ttl
        self.reads = 0
        """Calls made to the backend for policies and aliases (tests watch it)."""
        self._entries: Expiring[str, _Entry] = Expiring(ttl)
        self._aliases: Expiring[str, Arn | None] = Expiring(ttl)

    async def _call(
        self, signing_name: str, operation: str, params: dict[str, Any], region: str
    ) -> calls.Answer:
        self.reads += 1
        return await self.call_backend(signing_name, operation, params, region)

    # Looking up ------------------------------------------------------------------------------

    async def lookup(self, checks: Iterable[Check], region: str) -> Found:
        """The targets of the checks naming a resource that has a resource policy;
        :data:`NOTHING` (no work at all) when none does."""
        wanted: dict[str, Arn] = {}
        for check in checks:
            if check.resource in wanted or check.resource == "*":
                continue
            arn = Arn.parse(check.resource)
            if arn is None or arn.service not in SERVICES:
                continue
            found = holder(arn)
            if found is not None:
                wanted[check.resource] = found
        if not wanted:
            return NOTHING
        backend = await self.account(region)
        if len(wanted) == 1:  # most requests: no task to schedule
            ((resource, arn),) = wanted.items()
            return Found({resource: await self._target(arn, backend, region)})
        resources = list(wanted)
        results = await asyncio.gather(
            *(self._target(wanted[r], backend, region) for r in resources)
        )
        return Found(dict(zip(resources, results, strict=True)))

    async def _target(self, arn: Arn, backend: str | None, region: str) -> Target:
        owner = arn.account or None
        try:
            if _alias_named(arn):
                key = await self._alias(arn, backend, region)
                if key is None:  # no such alias: the backend will say so
                    return Target(str(arn), owner)
                arn = key
            entry = await self._entry(arn, backend, region)
        except Exception as error:  # the request is then denied, never crashed
            log.warning(
                "gateway: could not read the resource policy of %s from the backend: %s",
                arn,
                error or type(error).__name__,
            )
            return Target(str(arn), owner, key_policy=arn.service == "kms", unknown=True)
        key_policy = arn.service == "kms"
        try:
            policy = self._parsed(entry, arn, backend)
        except MalformedPolicyError as error:
            log.warning("gateway: the resource policy of %s does not parse: %s", arn, error)
            return Target(str(arn), owner, key_policy=key_policy, unknown=True)
        return Target(str(arn), owner, policy, key_policy)

    async def _alias(self, arn: Arn, backend: str | None, region: str) -> Arn | None:
        """The key an alias names, in the alias's account."""
        hit = self._aliases.get(arn.key)
        if hit is not MISSING:
            key = hit
        else:
            generation = self._aliases.generation
            where = arn.region or region
            alias = "alias/" + arn.resource.split("alias/", 1)[1]
            answer = await self._call("kms", "DescribeKey", {"KeyId": alias}, where)
            data = _output(answer, "DescribeKey")
            text = (data.get("KeyMetadata") or {}).get("Arn") if data else None
            key = Arn.parse(text) if isinstance(text, str) else None
            self._aliases.put(arn.key, key, generation)
        if key is None:
            return None
        return Arn(arn.partition, "kms", arn.region or key.region, arn.account, key.resource)

    async def _entry(self, arn: Arn, backend: str | None, region: str) -> _Entry:
        hit = self._entries.get(arn.key)
        if hit is not MISSING:
            return hit
        generation = self._entries.generation
        url = await self.url() if arn.service == "sqs" else ""
        document = await read_policy(self._call, arn.in_account(backend), url, arn.region or region)
        entry = _Entry(document)
        self._entries.put(arn.key, entry, generation)  # unless a policy change passed by
        return entry

    @staticmethod
    def _parsed(entry: _Entry, arn: Arn, backend: str | None) -> Policy | None:
        owner = arn.account
        if owner in entry.parsed:
            return entry.parsed[owner]
        if entry.document is None:
            return None
        source: Any = entry.document
        if backend and owner and owner != backend:
            with contextlib.suppress(ValueError):  # else parse_policy says what is wrong
                source = localize(json.loads(entry.document), backend, owner)
        policy = parse_policy(source, PolicyKind.RESOURCE, f"resource policy of {arn}")
        entry.parsed[owner] = policy
        return policy

    # Invalidation ----------------------------------------------------------------------------

    def after(self, operation: str, checks: Sequence[Check], status: int) -> None:
        """Forget the policies a successful call may have changed."""
        if status >= 300 or not checks or not changes_policy(operation, checks[0].action):
            return
        for check in checks:
            arn = Arn.parse(check.resource)
            service = arn.service if arn is not None else check.action.split(":", 1)[0]
            if service not in SERVICES:
                continue
            found = holder(arn) if arn is not None else None
            if service == "kms" and "Alias" in operation:
                self._aliases.clear()
            if found is None or _alias_named(found):
                # Which resources is not known ("*", an alias): forget the service's.
                self._forget(f":{service}:", prefix=False)
            elif service == "lambda":
                # The function's and its versions' and aliases' own policies.
                name = found.resource.split(":")[1]
                self._forget(
                    Arn(found.partition, "lambda", found.region, "", f"function:{name}").key
                )
            else:
                self._entries.drop([found.key])

    def _forget(self, start: str, prefix: bool = True) -> None:
        """Drop the entries whose key is ``start`` or starts with ``start:`` (with ``prefix``
        False: whose key holds ``start``, a service's ``:kms:``)."""
        if prefix:
            self._entries.drop(where=lambda key: key == start or key.startswith(start + ":"))
        else:
            self._entries.drop(where=lambda key: start in key)


def settle(caller: Caller, target: Target, decision: Decision) -> Decision:
    """The decision, with the root user's rule: in its own account it may do anything that no
    policy explicitly denies, a resource policy notwithstanding, except on a KMS key (its key
    policy decides, https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html)."""
    if decision.allowed or not caller.is_root or decision.outcome is Outcome.EXPLICIT_DENY:
        return decision
    if target.policy is None or target.key_policy:
        return decision
    if target.account is not None and target.account != caller.account_id:
        return decision
    return _ALLOWED


def unreadable(service: ServiceInfo, caller_arn: str, action: str, resource: str) -> AWSError:
    """The denial of a request whose resource policy iamd could not read or parse."""
    return AWSError(
        f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource} "
        "because iamd could not read the resource's resource-based policy from the backend",
        code=responses.denied_code(service),
        status=responses.denied_status(service),
        sender=True,
    )
