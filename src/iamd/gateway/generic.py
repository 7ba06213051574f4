"""Mapping a request to any service other than S3, from botocore's model and the catalog.

The operation comes from the wire: ``X-Amz-Target`` for json services, ``Action`` for query and
EC2 services, the request URI template for rest-json ones, read with the model of the service the
request is for among those sharing its signing name (:func:`request_service`). Its action is
``{catalog prefix}:{Operation}``, which must be an action the catalog knows, else the request is
not mapped (and the gateway denies it). The resource is the ARN of the action's one required
resource type when the request names it (``TableName``, ``QueueUrl``, ``InstanceId.N``), else
``*``; tags in the request become ``aws:RequestTag/*`` and ``aws:TagKeys``
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html).
Batches, transactions and the other operations :mod:`iamd.gateway.compound` lists need other
actions, or several checks; their resources become ARNs here, the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from iamd.authorize.context import ContextValue
from iamd.catalog.actions import ActionInfo, lookup_action
from iamd.catalog.resources import resource_type
from iamd.gateway.compound import RULES, Need, Rule
from iamd.gateway.s3_actions import Check, UnmappedOperationError
from iamd.gateway.services import ServiceInfo, candidates

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)\}")
_FIXED = ("Partition", "Region", "Account")
_QUERY_TAG = re.compile(r"^(?:Tags?|TagSpecification\.\d+\.Tag)\.(?:member\.)?(\d+)\.Key$")


@dataclass(slots=True)
class Mapped:
    operation: str
    checks: list[Check]
    params: dict[str, Any] = field(default_factory=dict)


ACTION_EXCEPTIONS: dict[tuple[str, str], str] = {
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
    # ("Invoke" and its streaming form are authorized as lambda:InvokeFunction).
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("lambda", "InvokeWithResponseStream"): "lambda:InvokeFunction",
}
"""Operations whose IAM action is not named after them (S3's table is in s3_actions)."""


def _form(text: str) -> dict[str, str]:
    return dict(parse_qsl(text, keep_blank_values=True))


def request_service(
    service: ServiceInfo, method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> ServiceInfo:
    """The model a request is for, among the services that sign with its signing name: the one
    whose ``targetPrefix`` its ``X-Amz-Target`` (or its RPCv2 ``/service/{prefix}/operation/``
    path) names, for a query request the one with its ``Action`` (and its ``Version``), for a
    rest one the first whose URI templates match; ``service`` when none tells them apart, or
    when it is the only one. DynamoDB Streams signs as ``dynamodb``, SES v2 as ``ses``.

    The same wire is read as by :func:`map_request`, which is then given the service chosen."""
    found = candidates(service.signing_name)
    if len(found) < 2:
        return service
    target = headers.get("x-amz-target")
    if not target and "/operation/" in path and path.startswith("/service/"):
        prefix, _, operation = path[len("/service/") :].partition("/operation/")
        target = f"{prefix}.{operation}"
    if target:
        prefix, _, operation = target.rpartition(".")
        named = [c for c in found if _metadata(c).get("targetPrefix") == prefix]
        return _having(named, operation) or (named[0] if named else service)
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded") or "Action=" in query:
        params = {**_form(query), **_form(body.decode("utf-8", "replace"))}
        queries = [c for c in found if c.protocol in ("query", "ec2")]
        version = params.get("Version")
        same = [c for c in queries if c.spec is not None and c.spec.api_version == version]
        action = params.get("Action", "")
        return _having(same, action) or _having(queries, action) or service
    for candidate in found:
        rest = candidate.protocol in ("rest-json", "rest-xml")
        if rest and _match_uri(candidate.name, method, path, query) is not None:
            return candidate
    return service


def _metadata(service: ServiceInfo) -> dict[str, Any]:
    return service.spec.model.metadata if service.spec is not None else {}


def _having(services: list[ServiceInfo], operation: str) -> ServiceInfo | None:
    """The first of ``services`` with the operation (Timestream's Write and Query share one
    ``targetPrefix``; ELB's two versions share ``CreateLoadBalancer``)."""
    return next(
        (s for s in services if s.spec is not None and s.spec.operation(operation) is not None),
        None,
    )


def _operation(
    service: ServiceInfo, method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> tuple[str | None, dict[str, Any]]:
    content_type = headers.get("content-type", "")
    target = headers.get("x-amz-target")
    if target:
        try:
            params = json.loads(body) if body else {}
        except ValueError:
            params = {}
        return target.rsplit(".", 1)[-1], params if isinstance(params, dict) else {}
    if "/operation/" in path:
        return path.rsplit("/operation/", 1)[-1], {}
    if content_type.startswith("application/x-www-form-urlencoded") or "Action=" in query:
        params = {**_form(query), **_form(body.decode("utf-8", "replace"))}
        return params.get("Action"), params
    if service.protocol in ("rest-json", "rest-xml"):
        found = _match_uri(service.name, method, path, query)
        if found is not None:
            params = {**_query_members(service.name, found[0], query), **found[1]}
            if body and "json" in content_type:
                try:
                    loaded = json.loads(body)
                    if isinstance(loaded, dict):
                        params.update(loaded)
                except ValueError:
                    pass
            return found[0], params
    return None, {}


@cache
def _uri_templates(
    service: str,
) -> tuple[tuple[str, re.Pattern[str], tuple[tuple[str, str], ...], int], ...]:
    """Each operation's method and name, path pattern, and the query its URI fixes
    (``GET /2018-10-31/layers?find=LayerVersion`` is GetLayerVersionByArn, the same path
    without it ListLayers); the most literal first."""
    from iamd.protocol.models import load_service

    spec = load_service(service)
    out = []
    for name in spec.operation_names:
        op = spec.operation(name)
        assert op is not None
        method, (uri, _, fixed) = op.http["method"], op.http["requestUri"].partition("?")
        pattern = re.sub(
            r"\\\{([A-Za-z0-9]+)(\\\+)?\\\}",
            lambda m: f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)",
            re.escape(uri.rstrip("/") or "/"),
        )
        literal = len(_VARIABLE.sub("", uri.replace("{", "${"))) + len(fixed)
        required = tuple(parse_qsl(fixed, keep_blank_values=True))
        out.append((f"{method} {name}", re.compile(f"^{pattern}/?$"), required, literal))
    return tuple(sorted(out, key=lambda t: -t[3]))


@lru_cache(maxsize=1024)
def _match_uri(
    service: str, method: str, path: str, query: str = ""
) -> tuple[str, dict[str, str]] | None:
    """The operation a rest request's method, path and query are, and the path's members.
    Remembered for a while: :func:`request_service` and :func:`map_request` both ask of the
    same request. The members are not to be changed by the caller."""
    given = set(parse_qsl(query, keep_blank_values=True)) if query else set()
    for key, pattern, required, _ in _uri_templates(service):
        op_method, name = key.split(" ", 1)
        if op_method != method or not given.issuperset(required):
            continue
        found = pattern.match(path)
        if found:
            return name, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def _query_members(service: str, operation: str, query: str) -> dict[str, str]:
    """The members a rest request carries in its query string, by member name (Lambda's
    GetLayerVersionByArn takes its ``Arn`` there)."""
    if not query:
        return {}
    from iamd.protocol.models import load_service

    op = load_service(service).operation(operation)
    shape = op.input_shape if op is not None else None
    if shape is None:
        return {}
    where = {
        member.serialization.get("name", name): name
        for name, member in shape.members.items()
        if member.serialization.get("location") == "querystring"
    }
    return {where[k]: v for k, v in parse_qsl(query, keep_blank_values=True) if k in where}


def _values(params: dict[str, Any], name: str) -> list[str]:
    """A parameter's values: ``Name`` in json, ``Name`` / ``Name.N`` / ``Name.member.N`` in a
    query, a list of strings in json."""
    value = params.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    prefix = f"{name}."
    return [v for k, v in params.items() if k.startswith(prefix) and isinstance(v, str)]


def _resources(
    action: str, params: dict[str, Any], region: str, account: str, backend: str | None = None
) -> list[str]:
    info = lookup_action(action)
    if info is None:
        return ["*"]
    named = _named(info, params, region, account, backend)
    if named:
        return named
    formats = [
        rtype.arn_format
        for r in info.resource_types
        if (rtype := resource_type(info.service, r.name)) is not None
    ]
    typed = tuple(_camel(r.name) + "Arn" for r in info.resource_types)
    found = _resource_arn(params, formats, typed)
    return [found] if found else ["*"]


def _camel(name: str) -> str:
    """A catalog resource type's name as a member names it: ``configuration-set`` ->
    ``ConfigurationSet``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name))


def _named(
    info: ActionInfo, params: dict[str, Any], region: str, account: str, backend: str | None = None
) -> list[str]:
    """The ARNs of the action's one required resource type, from the parameter that names it
    (``TableName``, ``QueueUrl``, ``InstanceId.N``); empty when there is no such parameter.
    ``backend`` is the backend's account, when known."""
    required = [r for r in info.resource_types if r.required]
    if len(required) != 1:
        return []
    rtype = resource_type(info.service, required[0].name)
    if rtype is None:
        return []
    arn_format = rtype.arn_format
    variables = [v for v in _VARIABLE.findall(arn_format) if v not in _FIXED]
    if len(variables) != 1:
        return []
    variable = variables[0]
    arn_name = variable.removesuffix("Name") + "Arn"
    # json services spell members either way: TableArn, stateMachineArn.
    for name in (arn_name, arn_name[:1].lower() + arn_name[1:]):
        for value in _values(params, name):
            if value.startswith("arn:"):
                return [value]
    values = _values(params, variable) or _values(params, variable[:1].lower() + variable[1:])
    url = params.get(variable.removesuffix("Name") + "Url")
    if not values and isinstance(url, str):
        parts = urlsplit(url).path.strip("/").split("/")
        if parts and parts[-1]:
            # The backend keeps every account's queues in its own account: a URL naming it
            # names the caller's queue. One naming another account names that account's
            # queue, as a queue URL names its owner on AWS.
            values = [parts[-1]]
            named = parts[-2] if len(parts) > 1 else ""
            if backend and named != backend and len(named) == 12 and named.isdigit():
                account = named
    # A name parameter may carry the whole ARN (Lambda's FunctionName, Secrets Manager's
    # SecretId, KMS's KeyId): that ARN is the resource, not a name inside another one.
    return [
        value if value.startswith("arn:") else _arn(arn_format, region, account, {variable: value})
        for value in values
    ]


def _arn(arn_format: str, region: str, account: str, names: dict[str, str]) -> str:
    """The ARN of a resource of the caller's account and Region, by the catalog's format."""
    arn = arn_format.replace("${Partition}", "aws").replace("${Region}", region)
    arn = arn.replace("${Account}", account)
    for variable, value in names.items():
        arn = arn.replace("${" + variable + "}", value)
    return arn


def _needed(
    operation: str,
    need: Need,
    params: dict[str, Any],
    region: str,
    account: str,
    backend: str | None,
) -> list[str]:
    """The ARNs a compound operation's :class:`Need` names."""
    resource = need.resource
    if resource is None:
        return _resources(need.action, params, region, account, backend)
    if isinstance(resource, str) and (resource == "*" or resource.startswith("arn:")):
        return [resource]
    names = (resource,) if isinstance(resource, str) else resource
    info = lookup_action(need.action)
    required = [r.name for r in info.resource_types if r.required] if info else []
    rname = need.resource_type or (required[0] if len(required) == 1 else None)
    rtype = resource_type(need.action.split(":", 1)[0], rname) if rname else None
    variables = [v for v in _VARIABLE.findall(rtype.arn_format) if v not in _FIXED] if rtype else []
    if rtype is None or len(variables) != len(names):
        shown = "/".join(names)
        raise UnmappedOperationError(f"{operation} ({need.action} on {shown!r}, no ARN format)")
    return [_arn(rtype.arn_format, region, account, dict(zip(variables, names, strict=True)))]


def _compound(
    operation: str,
    rule: Rule,
    params: dict[str, Any],
    region: str,
    account: str,
    backend: str | None,
) -> list[tuple[str, str]]:
    """Each (action, resource) a compound operation needs, once, in the request's order."""
    needs = rule.needs(params)
    if not needs:
        raise UnmappedOperationError(f"{operation}, which names nothing to authorize,")
    out: dict[tuple[str, str], None] = {}
    for need in needs:
        if need.action not in rule.actions or lookup_action(need.action) is None:
            raise UnmappedOperationError(f"{operation} ({need.action})")
        for resource in _needed(operation, need, params, region, account, backend):
            out[(need.action, resource)] = None
    return list(out)


_RESOURCE_ARN_PARAMS = ("ResourceArn", "resourceArn", "ResourceARN", "Resource", "ARN")
"""Where tagging operations name their resource: DynamoDB's and SNS's TagResource take
``ResourceArn``, Step Functions' ``resourceArn``, Lambda's ``Resource`` (``{ARN}`` in its URI)."""


_ARN_PREFIXED = ("ShardIterator",)
"""Members whose value opens with its resource's ARN, up to a ``|``: a DynamoDB Streams shard
iterator is its stream's ARN, ``|1|`` and an opaque part, so GetRecords is authorized on the
stream
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_GetShardIterator.html)."""


def _resource_arn(
    params: dict[str, Any], formats: list[str], typed: tuple[str, ...] = ()
) -> str | None:
    """An ARN the request gives under a generic name, or under its resource type's
    (``StreamArn``), when it is one of the action's resource types (so ``dynamodb:TagResource``
    on a table is authorized on the table's ARN, ``dynamodb:DescribeStream`` on the stream's)."""
    for name in (*_RESOURCE_ARN_PARAMS, *typed, *(t[:1].lower() + t[1:] for t in typed)):
        for value in _values(params, name):
            if value.startswith("arn:") and any(_arn_pattern(f).match(value) for f in formats):
                return value
    for name in _ARN_PREFIXED:
        carrier = params.get(name)
        if isinstance(carrier, str) and carrier.startswith("arn:") and "|" in carrier:
            arn = carrier.split("|", 1)[0]
            if any(_arn_pattern(f).match(arn) for f in formats):
                return arn
    return None


@cache
def _arn_pattern(arn_format: str) -> re.Pattern[str]:
    """``arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}`` as a pattern: the
    literal parts escaped, a variable any non-empty text (a log group's name holds slashes)."""
    pieces = _VARIABLE.split(arn_format)
    out = []
    for n, piece in enumerate(pieces):
        if n % 2 == 0:
            out.append(re.escape(piece))
        else:
            out.append("[^:]*" if piece in ("Region", "Account") else ".+")
    return re.compile("".join(out) + "$")


def request_tags(params: dict[str, Any]) -> dict[str, ContextValue]:
    tags: dict[str, str] = {}
    for name in ("Tags", "tags", "Tag"):
        value = params.get(name)
        if isinstance(value, dict):
            tags.update({str(k): str(v) for k, v in value.items()})
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and "Key" in item:
                    tags[str(item["Key"])] = str(item.get("Value", ""))
    for key, value in params.items():
        found = _QUERY_TAG.match(key) if isinstance(key, str) else None
        if found and isinstance(value, str):
            tags[value] = str(params.get(key[: -len("Key")] + "Value", ""))
    context: dict[str, ContextValue] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    if tags:
        context["aws:TagKeys"] = list(tags)
    return context


def map_request(
    service: ServiceInfo,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    region: str,
    account: str,
    backend_account: str | None = None,
) -> Mapped:
    """The operation and the checks of a request, or :class:`UnmappedOperationError`.
    ``service`` is the request's own model, as :func:`request_service` chooses it."""
    operation, params = _operation(service, method, path, query, headers, body)
    what = f"{service.signing_name} request {method} {path}"
    if not operation:
        raise UnmappedOperationError(f"the {what} names no operation iamd recognises")
    if service.spec is None or service.spec.operation(operation) is None:
        raise UnmappedOperationError(
            f"{service.signing_name}:{operation}, which is not in the service's model,"
        )
    if service.iam_prefix is None:
        raise UnmappedOperationError(f"{service.signing_name} has no IAM actions in iamd's catalog")
    context = request_tags(params)
    rule = RULES.get((service.iam_prefix, operation))
    if rule is not None:
        needed = _compound(operation, rule, params, region, account, backend_account)
        return Mapped(operation, [Check(a, r, None, context) for a, r in needed], params)
    action = ACTION_EXCEPTIONS.get(
        (service.iam_prefix, operation), f"{service.iam_prefix}:{operation}"
    )
    if lookup_action(action) is None:
        raise UnmappedOperationError(f"{operation} has no IAM action of the same name ({action})")
    checks = [
        Check(action, resource, None, context)
        for resource in _resources(action, params, region, account, backend_account)
    ]
    return Mapped(operation, checks, params)
