"""Analyzers: create, read, list, update, delete, and their tags.

iamd analyses one account at a time, so the account-level types are the ones it runs:
``ACCOUNT`` (external access to the account's roles) and ``ACCOUNT_UNUSED_ACCESS``.  iamd has
no AWS Organizations, so the organization-level types are refused with a ValidationException
that says so, as is internal access (which AWS analyses for resources iamd does not hold).
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CreateAnalyzer.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-quotas.html
"""

from __future__ import annotations

from typing import Any

from iamd.services.analyzer.common import (
    REGISTRY,
    analyzer_by_arn,
    analyzer_by_name,
    analyzer_name_target,
    check_tags,
    now,
    paginate,
    request_tag_context,
    star_target,
)
from iamd.services.analyzer.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from iamd.services.analyzer.filters import check_filter
from iamd.services.analyzer.unused import DEFAULT_AGE
from iamd.services.call import Call
from iamd.services.registry import Target
from iamd.store import ConflictError, Tx
from iamd.store.records import Tag
from iamd.store.repos.analyzers import Analyzer, Analyzers, analyzer_arn

ANALYZER = "AWS::AccessAnalyzer::Analyzer"
SUPPORTED = ("ACCOUNT", "ACCOUNT_UNUSED_ACCESS")
ORGANIZATION = ("ORGANIZATION", "ORGANIZATION_UNUSED_ACCESS", "ORGANIZATION_INTERNAL_ACCESS")
MAX_ARCHIVE_RULES = 100


def _configuration(type_: str, raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """The configuration to store: unused-access analyzers get ``unusedAccessAge`` (1-365,
    90 when not given); other types take none."""
    raw = raw or {}
    if type_ != "ACCOUNT_UNUSED_ACCESS":
        if raw:
            raise ValidationException(
                f"Configuration is not supported for analyzers of type {type_}.",
                field="configuration",
            )
        return None
    if "internalAccess" in raw:
        raise ValidationException(
            "internalAccess configuration is only for internal access analyzers.",
            field="configuration",
        )
    unused = dict(raw.get("unusedAccess") or {})
    age = unused.get("unusedAccessAge", DEFAULT_AGE)
    if not isinstance(age, int) or not 1 <= age <= 365:
        raise ValidationException(
            "unusedAccessAge must be between 1 and 365 days.",
            field="configuration.unusedAccess.unusedAccessAge",
        )
    unused["unusedAccessAge"] = age
    for criteria in (unused.get("analysisRule") or {}).get("exclusions") or []:
        if criteria.get("accountIds"):
            raise ValidationException(
                "Account IDs can only be applied to the analysis rule criteria for "
                "organization-level analyzers.",
                field="configuration.unusedAccess.analysisRule.exclusions.accountIds",
            )
    return {"unusedAccess": unused}


def analyzer_dict(analyzer: Analyzer, tags: list[Tag]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": analyzer.arn,
        "name": analyzer.name,
        "type": analyzer.type,
        "createdAt": analyzer.create_date,
        "tags": {t.key: t.value for t in tags},
        "status": analyzer.status,
    }
    if analyzer.last_resource_analyzed:
        out["lastResourceAnalyzed"] = analyzer.last_resource_analyzed
        out["lastResourceAnalyzedAt"] = analyzer.last_resource_analyzed_at
    if analyzer.configuration:
        out["configuration"] = analyzer.configuration
    return out


def _create_target(call: Call, tx: Tx) -> Target:
    name = call.param("analyzerName") or ""
    return Target(
        analyzer_arn(call.region, call.account_id, name),
        request_tag_context(call.param("tags")),
    )


def _check_type(type_: str) -> None:
    if type_ in ORGANIZATION:
        raise ValidationException(
            f"iamd has no AWS Organizations, so it cannot create an analyzer of type {type_}: "
            "use ACCOUNT or ACCOUNT_UNUSED_ACCESS.",
            reason="notSupported",
            field="type",
        )
    if type_ not in SUPPORTED:
        raise ValidationException(
            f"iamd does not support analyzers of type {type_}: use ACCOUNT or "
            "ACCOUNT_UNUSED_ACCESS.",
            reason="notSupported",
            field="type",
        )


@REGISTRY.operation("CreateAnalyzer", target=_create_target)
def create_analyzer(call: Call) -> dict[str, Any]:
    name = call.params["analyzerName"]
    type_ = call.params["type"]
    _check_type(type_)
    configuration = _configuration(type_, call.param("configuration"))
    tags = check_tags(call.param("tags"))
    rules = call.param("archiveRules") or []
    if len(rules) > MAX_ARCHIVE_RULES:
        raise ValidationException(
            f"At most {MAX_ARCHIVE_RULES} archive rules are allowed.", field="archiveRules"
        )
    names = [rule["ruleName"] for rule in rules]
    if len(set(names)) != len(names):
        raise ValidationException("Archive rule names must be unique.", field="archiveRules")
    filters = [check_filter(rule["filter"], archive_rule=True) for rule in rules]
    when = now(call)
    with call.store.write() as tx:
        repo = tx.repo(Analyzers)
        arn = analyzer_arn(call.region, call.account_id, name)
        existing = repo.get(arn)
        if existing is not None:
            if call.param("clientToken") and existing.type == type_:
                return {"arn": arn}  # an idempotent retry
            raise ConflictException(
                f"Analyzer {name} already exists.", resource_id=name, resource_type=ANALYZER
            )
        if repo.all(call.account_id, call.region, type_):
            raise ServiceQuotaExceededException(
                f"You can create only one analyzer of type {type_} per account per Region.",
                resource_id=name,
                resource_type=ANALYZER,
            )
        try:
            analyzer = repo.create(call.region, call.account_id, name, type_, configuration, when)
        except ConflictError:
            raise ConflictException(
                f"Analyzer {name} already exists.", resource_id=name, resource_type=ANALYZER
            ) from None
        for rule_name, filter_ in zip(names, filters, strict=True):
            repo.add_rule(analyzer.arn, rule_name, filter_, when)
        tx.tags.put("analyzer", analyzer.arn, [Tag(k, v) for k, v in tags.items()])
    return {"arn": analyzer.arn}


@REGISTRY.operation("GetAnalyzer", target=analyzer_name_target())
def get_analyzer(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        analyzer = analyzer_by_name(tx, call, call.params["analyzerName"])
        tags = tx.tags.all("analyzer", analyzer.arn)
    return {"analyzer": analyzer_dict(analyzer, tags)}


@REGISTRY.operation("ListAnalyzers", target=star_target)
def list_analyzers(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        found = tx.repo(Analyzers).all(call.account_id, call.region, call.param("type"))
        found.sort(key=lambda a: a.name)
        page, more = paginate(call, found, key=lambda a: a.name)
        out = [analyzer_dict(a, tx.tags.all("analyzer", a.arn)) for a in page]
    return {"analyzers": out, **more}


@REGISTRY.operation("UpdateAnalyzer", target=analyzer_name_target())
def update_analyzer(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        analyzer = analyzer_by_name(tx, call, call.params["analyzerName"])
        given = call.param("configuration")
        if given is None:  # nothing to change
            return {"configuration": analyzer.configuration} if analyzer.configuration else {}
        unused = given.get("unusedAccess")
        before = (analyzer.configuration or {}).get("unusedAccess") or {}
        if isinstance(unused, dict) and "unusedAccessAge" not in unused and before:
            # A new analysis rule alone keeps the tracking period.
            given = {
                **given,
                "unusedAccess": {**unused, "unusedAccessAge": before["unusedAccessAge"]},
            }
        configuration = _configuration(analyzer.type, given)
        tx.repo(Analyzers).set_configuration(analyzer.arn, configuration)
    return {"configuration": configuration} if configuration else {}


@REGISTRY.operation("DeleteAnalyzer", target=analyzer_name_target())
def delete_analyzer(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        analyzer = analyzer_by_name(tx, call, call.params["analyzerName"])
        tx.repo(Analyzers).delete(analyzer.arn)
        tx.tags.drop("analyzer", analyzer.arn)
    return {}


# Tags ----------------------------------------------------------------------------------


def _tagged(tx: Tx, call: Call) -> str:
    arn = call.params["resourceArn"]
    try:
        return analyzer_by_arn(tx, call, arn).arn
    except ResourceNotFoundException:
        raise ResourceNotFoundException(
            f"Resource {arn} not found.", resource_id=arn, resource_type=ANALYZER
        ) from None


def _tag_target(call: Call, tx: Tx) -> Target:
    arn = call.param("resourceArn") or ""
    context = request_tag_context(call.param("tags"))
    for tag in tx.tags.all("analyzer", arn):
        context[f"aws:ResourceTag/{tag.key}"] = tag.value
    if call.param("tagKeys"):
        context["aws:TagKeys"] = list(call.params["tagKeys"])
    return Target(arn, context)


@REGISTRY.operation("TagResource", target=_tag_target)
def tag_resource(call: Call) -> dict[str, Any]:
    tags = check_tags(call.params["tags"])
    with call.store.write() as tx:
        arn = _tagged(tx, call)
        keys = {t.key for t in tx.tags.all("analyzer", arn)} | set(tags)
        if len(keys) > 50:
            raise ValidationException("Too many tags: at most 50 are allowed.", field="tags")
        tx.tags.put("analyzer", arn, [Tag(k, v) for k, v in tags.items()])
    return {}


@REGISTRY.operation("UntagResource", target=_tag_target)
def untag_resource(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        arn = _tagged(tx, call)
        tx.tags.remove("analyzer", arn, list(call.params["tagKeys"]))
    return {}


@REGISTRY.operation("ListTagsForResource", target=_tag_target)
def list_tags_for_resource(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        arn = _tagged(tx, call)
        tags = tx.tags.all("analyzer", arn)
    return {"tags": {t.key: t.value for t in tags}}
