"""``aws:ResourceTag/<key>`` of the resources a request names, read from the backend.

AWS evaluates ``aws:ResourceTag/<key>`` against the tags the resource has when the call is made
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html), and some services also
publish a key of their own with the same value: ``ec2:ResourceTag/<key>``,
``secretsmanager:ResourceTag/<key>``, ``ssm:resourceTag/<key>`` (the catalog says which). The
backend holds the tags, so the gateway asks it, with its own credentials, only when a policy
that applies to the caller names such a key, and keeps the answer for ``ttl`` seconds.

Where the tags come from, per service, chosen for what both AWS and the embedded moto answer:

- EC2: ``DescribeTags`` filtered by resource id, one call for every instance a request names
  (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/control-access-with-iam.html);
- SQS ``ListQueueTags`` (by queue URL), DynamoDB ``ListTagsOfResource``, SNS and CloudWatch
  Logs and Step Functions ``ListTagsForResource``, Lambda ``ListTags``, KMS
  ``ListResourceTags``, Secrets Manager ``DescribeSecret``: each service's own call, exact for
  its ARNs (a secret's ARN ends in a random suffix that a name-built ARN lacks; SQS needs the
  queue URL);
- any other service: the Resource Groups Tagging API's ``GetResources`` with
  ``ResourceARNList`` (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html),
  which answers for every resource type it supports and leaves out untagged resources.

Tags of a DynamoDB table apply to its indexes
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/attribute-based-access-control.html);
a Lambda function's to its versions and aliases
(https://docs.aws.amazon.com/lambda/latest/dg/attribute-based-access-control.html). Other
services' pages: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-abac-tagging-resource-control.html,
https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access-abac.html,
https://docs.aws.amazon.com/kms/latest/developerguide/abac.html,
https://docs.aws.amazon.com/step-functions/latest/dg/tag-based-policies.html.

The backend keeps every account's resources in its own account (the embedded moto runs in
iamd's), so the ARN iamd authorizes, built with the caller's account, is read with the
backend's account in its place; the cache ignores the account for the same reason.

A call through the gateway that changes tags (``TagResource``, ``UntagQueue``, ``CreateTags``,
...) or creates or deletes the resource (``DeleteQueue``, ``CreateTable``) drops the entry
once the backend accepts it, so the next request sees the change; the time limit only bounds how
long a change made behind iamd's back goes unseen. Tags that could not be read (the backend
failed, or refused the gateway) are *unknown*: the request is evaluated without them and, if
that would allow it, denied all the same, since a Deny on a tag cannot be ruled out. A missing
resource has no tags.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from iamd.authorize.context import ContextValue
from iamd.catalog.actions import lookup_action
from iamd.catalog.condition_keys import lookup_condition_key
from iamd.errors import AWSError
from iamd.gateway import calls, mentions, responses
from iamd.gateway.backend import Backend
from iamd.gateway.expiring import MISSING, Expiring
from iamd.gateway.forward import Forwarder
from iamd.gateway.s3_actions import Check
from iamd.gateway.services import ServiceInfo
from iamd.policy import Policy
from iamd.policy.evaluator import PolicySet

log = logging.getLogger("iamd.gateway")

Tags = dict[str, str]

MAX_PAGES = 20
BATCH = 100
"""ARNs per GetResources call (its limit) and resource ids per DescribeTags filter."""
ACCOUNT_RETRY = 60.0
_MISSING = ("NotFound", "NonExistent", "DoesNotExist", "NoSuch")
"""Error codes saying the resource does not exist (ResourceNotFoundException,
AWS.SimpleQueueService.NonExistentQueue, NotFoundException, ...): it has no tags."""
_READS = ("List", "Get", "Describe")
_LIFECYCLE = re.compile(r"^(?:Create|Delete)(.+)$")


# ARNs ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn | None:
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or not parts[2] or not parts[5]:
            return None
        return cls(parts[1], parts[2], parts[3], parts[4], parts[5])

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    def in_account(self, account: str | None) -> Arn:
        """The same resource in the backend's account (an ARN with no account keeps none)."""
        if not account or not self.account:
            return self
        return Arn(self.partition, self.service, self.region, account, self.resource)

    @property
    def key(self) -> str:
        """The cache's key: the account left out, as the backend has only one."""
        return f"arn:{self.partition}:{self.service}:{self.region}::{self.resource}"


def tagged(arn: Arn) -> Arn:
    """The resource whose tags apply to ``arn``: a DynamoDB index's table, a Lambda version's
    or alias's function, a log group named with CloudWatch Logs' ``:*``."""
    resource = arn.resource
    if arn.service == "dynamodb" and resource.startswith("table/"):
        resource = "/".join(resource.split("/", 2)[:2])
    elif arn.service == "lambda" and resource.startswith("function:"):
        resource = ":".join(resource.split(":", 2)[:2])
    elif arn.service == "logs":
        resource = resource.removesuffix(":*")
    if resource == arn.resource:
        return arn
    return Arn(arn.partition, arn.service, arn.region, arn.account, resource)


# Condition keys ------------------------------------------------------------------------------


@cache
def service_key(prefix: str | None) -> str | None:
    """``secretsmanager:ResourceTag`` when the catalog lists ``<prefix>:ResourceTag/${TagKey}``
    for the service (in the catalog's spelling), else None."""
    if not prefix:
        return None
    info = lookup_condition_key(f"{prefix}:ResourceTag/x")
    if info is None or info.is_global or prefix not in info.services:
        return None
    if info.name.lower() != f"{prefix}:resourcetag/${{tagkey}}":
        return None
    return info.name.rsplit("/", 1)[0]


def key_prefixes(prefix: str | None) -> tuple[str, ...]:
    """The lower-case condition-key prefixes that read a resource's tags in a service."""
    own = service_key(prefix)
    return ("aws:resourcetag/", f"{own.lower()}/") if own else ("aws:resourcetag/",)


def context_of(tags: Mapping[str, str], own: str | None) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {}
    for key, value in tags.items():
        context[f"aws:ResourceTag/{key}"] = value
        if own:
            context[f"{own}/{key}"] = value
    return context


def applicable(policies: PolicySet) -> list[Policy | None]:
    """Every policy the request is evaluated against (a tag key in any of them needs tags)."""
    session = policies.session
    sessions = [session] if isinstance(session, Policy) else list(session or ())
    return [
        *policies.identity,
        policies.boundary,
        *sessions,
        policies.resource,
        *(p for level in policies.scp for p in level),
        *(p for level in policies.rcp for p in level),
    ]


# Reading the tags of an answer ---------------------------------------------------------------


def pairs(value: Any) -> Tags:
    """Tags in any of the services' shapes: a map (SQS, Lambda, Logs), or a list of
    ``{Key, Value}`` (most), ``{key, value}`` (Step Functions), ``{TagKey, TagValue}`` (KMS)."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out: Tags = {}
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, dict):
                continue
            key = item.get("Key", item.get("key", item.get("TagKey")))
            if key is not None:
                out[str(key)] = str(item.get("Value", item.get("value", item.get("TagValue", ""))))
    return out


class UnreadableError(Exception):
    """The backend did not say what the tags are (it failed or refused)."""


def missing(answer: calls.Answer) -> bool:
    return answer.status == 404 or any(m in answer.code for m in _MISSING)


_TOKENS = (
    ("NextToken", "NextToken"),
    ("nextToken", "nextToken"),
    ("NextMarker", "Marker"),
    ("PaginationToken", "PaginationToken"),
)
"""(output member, input member) of the pagination tokens the readers meet."""


Call = Callable[[str, str, dict[str, Any], str], Awaitable[calls.Answer]]
"""(signing name, operation, parameters, region) -> the backend's answer."""


async def pages(
    call: Call, signing_name: str, operation: str, params: dict[str, Any], region: str
) -> list[dict[str, Any]]:
    """Every page of an operation's output; [] when the resource does not exist."""
    out: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        answer = await call(signing_name, operation, params, region)
        if not answer.ok:
            if missing(answer):
                return []
            raise UnreadableError(f"{operation} answered {answer.status} {answer.code}".strip())
        out.append(answer.data)
        token = next(
            ((given, answer.data[member]) for member, given in _TOKENS if answer.data.get(member)),
            None,
        )
        if token is None:
            return out
        params = {**params, token[0]: token[1]}
    return out


# Readers -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _OneCall:
    """One call per resource: the service's own tag-listing operation."""

    signing_name: str
    operation: str
    params: Callable[[Arn, str], dict[str, Any]]
    """(the backend's ARN, the backend's URL) -> the call's parameters."""
    member: str


def _queue_url(arn: Arn, url: str) -> dict[str, Any]:
    return {"QueueUrl": f"{url}/{arn.account}/{arn.resource}"}


_ONE_CALL: dict[str, _OneCall] = {
    "sqs": _OneCall("sqs", "ListQueueTags", _queue_url, "Tags"),
    "dynamodb": _OneCall(
        "dynamodb", "ListTagsOfResource", lambda a, _: {"ResourceArn": str(a)}, "Tags"
    ),
    "sns": _OneCall("sns", "ListTagsForResource", lambda a, _: {"ResourceArn": str(a)}, "Tags"),
    "lambda": _OneCall("lambda", "ListTags", lambda a, _: {"Resource": str(a)}, "Tags"),
    "kms": _OneCall("kms", "ListResourceTags", lambda a, _: {"KeyId": str(a)}, "Tags"),
    "secretsmanager": _OneCall(
        "secretsmanager", "DescribeSecret", lambda a, _: {"SecretId": str(a)}, "Tags"
    ),
    "logs": _OneCall("logs", "ListTagsForResource", lambda a, _: {"resourceArn": str(a)}, "tags"),
    "states": _OneCall(
        "states", "ListTagsForResource", lambda a, _: {"resourceArn": str(a)}, "tags"
    ),
}


async def _one(call: Call, reader: _OneCall, arn: Arn, url: str, region: str) -> Tags:
    if arn.service == "kms" and "alias/" in arn.resource:
        # Requests may name a key by its alias; aliases carry no tags, their key does.
        alias = "alias/" + arn.resource.split("alias/", 1)[1]
        found = await pages(call, "kms", "DescribeKey", {"KeyId": alias}, region)
        key = found[0].get("KeyMetadata", {}).get("Arn") if found else None
        if not isinstance(key, str):
            return {}
        arn = Arn.parse(key) or arn
    tags: Tags = {}
    for page in await pages(
        call, reader.signing_name, reader.operation, reader.params(arn, url), region
    ):
        tags.update(pairs(page.get(reader.member)))
    return tags


async def _ec2(call: Call, arns: Sequence[Arn], region: str) -> dict[str, Tags]:
    by_id: dict[str, list[Arn]] = {}
    for arn in arns:
        by_id.setdefault(arn.resource.split("/", 1)[-1], []).append(arn)
    out: dict[str, Tags] = {str(a): {} for a in arns}
    ids = list(by_id)
    for start in range(0, len(ids), BATCH):
        params = {"Filters": [{"Name": "resource-id", "Values": ids[start : start + BATCH]}]}
        for page in await pages(call, "ec2", "DescribeTags", params, region):
            for item in page.get("Tags") or []:
                for arn in by_id.get(str(item.get("ResourceId")), []):
                    out[str(arn)][str(item.get("Key"))] = str(item.get("Value", ""))
    return out


async def _tagging(call: Call, arns: Sequence[Arn], region: str) -> dict[str, Tags]:
    out: dict[str, Tags] = {str(a): {} for a in arns}
    texts = list(out)
    for start in range(0, len(texts), BATCH):
        params = {"ResourceARNList": texts[start : start + BATCH]}
        for page in await pages(call, "tagging", "GetResources", params, region):
            for item in page.get("ResourceTagMappingList") or []:
                arn = str(item.get("ResourceARN"))
                if arn in out:
                    out[arn] = pairs(item.get("Tags"))
    return out


# The cache -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    """The tags of a request's resources: known (possibly none) or None when unreadable."""

    own: str | None
    tags: Mapping[str, Tags | None]

    def context(self, resource: str) -> dict[str, ContextValue]:
        tags = self.tags.get(resource)
        return context_of(tags, self.own) if tags else {}

    def unknown(self, resource: str) -> bool:
        return resource in self.tags and self.tags[resource] is None


NOTHING = Found(None, {})


def changes_tags(operation: str, action: str) -> bool:
    """Whether a successful call may have changed the tags of the resources it names: it
    tags or untags (TagQueue, UntagResource, CreateTags, AddTagsToResource), or creates or
    deletes a resource of the type its action acts on (DeleteQueue, CreateTable; not
    DeleteMessage or DeleteItem, the hot paths of SQS and DynamoDB)."""
    if operation.startswith(_READS):
        return False
    if "Tag" in operation or operation.startswith("Untag"):
        return True
    return creates_or_deletes(operation, action)


def creates_or_deletes(operation: str, action: str) -> bool:
    """Whether the operation creates or deletes a resource of the type its action acts on
    (DeleteQueue, CreateKey; not DeleteMessage, whose noun is no resource type of SQS's)."""
    found = _LIFECYCLE.match(operation)
    info = lookup_action(action)
    if found is None or info is None:
        return False
    noun = _squash(found.group(1))
    return any(_squash(r.name) == noun for r in info.resource_types)


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class ResourceTags:
    def __init__(self, backend: Backend, forwarder: Forwarder, ttl: float = 30.0) -> None:
        self.backend = backend
        self.forwarder = forwarder
        self.ttl = ttl
        self.reads = 0
        """Calls made to the backend for tags (tests and metrics watch it)."""
        self._entries: Expiring[str, Tags] = Expiring(ttl)
        self._account: str | None = None
        self._account_retry = 0.0

    # Looking up ------------------------------------------------------------------------------

    async def lookup(
        self,
        policies: Iterable[Policy | None],
        service: ServiceInfo,
        resources: Iterable[str],
        region: str,
    ) -> Found:
        """The tags of ``resources`` when a policy among ``policies`` names a resource-tag key
        of the service; :data:`NOTHING` (no call to the backend) otherwise."""
        named = {r: arn for r in resources if r != "*" and (arn := Arn.parse(r)) is not None}
        if not named or not mentions.any_names(policies, key_prefixes(service.iam_prefix)):
            return NOTHING
        account = await self.backend_account(region)
        wanted = {r: tagged(arn).in_account(account) for r, arn in named.items()}
        known: dict[str, Tags | None] = {}
        unread: list[Arn] = []
        for resource, arn in wanted.items():
            hit = self._entries.get(arn.key)
            if hit is not MISSING:
                known[resource] = hit
            elif arn not in unread:
                unread.append(arn)
        if unread:
            generation = self._entries.generation
            read = await self._read(unread, region)
            for text, tags in read.items():
                arn = Arn.parse(text)
                if tags is not None and arn is not None:
                    self._entries.put(arn.key, tags, generation)
            for resource, arn in wanted.items():
                if resource not in known:
                    known[resource] = read.get(str(arn))
        return Found(service_key(service.iam_prefix), known)

    async def _read(self, arns: list[Arn], region: str) -> dict[str, Tags | None]:
        """Each ARN's tags, None for those the backend did not tell."""
        batches: dict[tuple[str, str], list[Arn]] = {}
        singles: list[Arn] = []
        for arn in arns:
            if arn.service in _ONE_CALL:
                singles.append(arn)
            else:
                kind = "ec2" if arn.service == "ec2" else "tagging"
                batches.setdefault((kind, arn.region or region), []).append(arn)
        jobs: list[Awaitable[dict[str, Tags | None]]] = [
            self._guarded([arn], self._single(_ONE_CALL[arn.service], arn, arn.region or region))
            for arn in singles
        ]
        for (kind, where), group in batches.items():
            reader = _ec2 if kind == "ec2" else _tagging
            jobs.append(self._guarded(group, reader(self._call, group, where)))
        out: dict[str, Tags | None] = {}
        for result in await asyncio.gather(*jobs):
            out.update(result)
        return out

    async def _single(self, reader: _OneCall, arn: Arn, region: str) -> dict[str, Tags]:
        url = await self.backend.url()
        return {str(arn): await _one(self._call, reader, arn, url, region)}

    async def _guarded(
        self, arns: list[Arn], job: Awaitable[dict[str, Tags]]
    ) -> dict[str, Tags | None]:
        """The job's tags; every ARN of the job unknown (and a warning) when it fails."""
        try:
            return dict(await job)
        except Exception as error:  # the request is then denied, never crashed
            log.warning(
                "gateway: could not read the tags of %s from the backend: %s",
                ", ".join(str(a) for a in arns),
                error or type(error).__name__,
            )
            return dict.fromkeys((str(a) for a in arns), None)

    async def _call(
        self, signing_name: str, operation: str, params: dict[str, Any], region: str
    ) -> calls.Answer:
        self.reads += 1
        return await calls.call(self.forwarder, signing_name, operation, params, region)

    async def backend_account(self, region: str) -> str | None:
        """The account the backend keeps resources in: the embedded moto's is iamd's; another
        backend is asked once with sts:GetCallerIdentity (ARNs are read as given until then)."""
        if self.backend.embedded:
            return self.backend.account_id or None
        if self._account is not None or time.monotonic() < self._account_retry:
            return self._account
        try:
            answer = await calls.call(self.forwarder, "sts", "GetCallerIdentity", {}, region)
            account = answer.data.get("Account") if answer.ok else None
        except Exception as error:
            answer, account = None, None
            log.warning("gateway: the backend's GetCallerIdentity failed: %s", error)
        if isinstance(account, str) and account:
            self._account = account
        else:
            if answer is not None:
                log.warning("gateway: the backend's GetCallerIdentity answered %s", answer.status)
            self._account_retry = time.monotonic() + ACCOUNT_RETRY
        return self._account

    # Invalidation ----------------------------------------------------------------------------

    def after(self, operation: str, checks: Sequence[Check], status: int) -> None:
        """Forget the tags a successful call may have changed."""
        if status >= 300 or not checks or not changes_tags(operation, checks[0].action):
            return
        for check in checks:
            arn = Arn.parse(check.resource)
            if arn is not None:
                self._entries.drop([tagged(arn).key])
            else:  # "*" (EC2's CreateTags): which resources is not known; forget the service's
                self._entries.drop(where=partial(_of_service, check.action.split(":", 1)[0]))


def _of_service(service: str, key: str) -> bool:
    """Whether a cache key (an ARN) names a resource of the service."""
    return key.split(":", 3)[2] == service


def unreadable(service: ServiceInfo, caller_arn: str, check: Check) -> AWSError:
    """The denial of a request whose resource's tags the backend did not tell."""
    return AWSError(
        f"User: {caller_arn} is not authorized to perform: {check.action} on resource: "
        f"{check.resource} because iamd could not read the resource's tags from the backend, "
        "which a policy's conditions need",
        code=responses.denied_code(service),
        status=responses.denied_status(service),
        sender=True,
    )
