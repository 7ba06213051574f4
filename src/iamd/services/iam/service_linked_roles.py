"""Service-linked roles: roles an AWS service creates for itself, that only it may change.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html

The role's name is AWS's own for the service (``AWSServiceRoleForElasticBeanstalk``), its path
``/aws-service-role/<service>/`` and its trust policy lets that service assume it.  Names AWS
gives irregularly are listed in :data:`ROLE_NAMES`; any other ``<label>.amazonaws.com`` gets a
name built the way AWS builds most (``AWSServiceRoleFor`` + the label in CamelCase).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from iamd.errors import InvalidInput, LimitExceeded, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import (
    MAX_ROLES,
    REGISTRY,
    entity_target,
    find_role,
    role_or_404,
)
from iamd.services.iam.roles import role_dict
from iamd.services.registry import Target
from iamd.store import ConflictError, Tx
from iamd.store.records import Role
from iamd.store.repos.roles import role_arn
from iamd.store.repos.service_linked_roles import ServiceLinkedRoleDeletions

PATH_PREFIX = "/aws-service-role/"

# AWSServiceRoleFor<suffix> for services whose role name is not their label in CamelCase.
ROLE_NAMES: dict[str, str] = {
    "es.amazonaws.com": "AmazonElasticsearchService",
    "opensearchservice.amazonaws.com": "AmazonOpenSearchService",
    "autoscaling.amazonaws.com": "AutoScaling",
    "ecs.amazonaws.com": "ECS",
    "eks.amazonaws.com": "AmazonEKS",
    "eks-nodegroup.amazonaws.com": "AmazonEKSNodegroup",
    "rds.amazonaws.com": "RDS",
    "elasticache.amazonaws.com": "ElastiCache",
    "elasticbeanstalk.amazonaws.com": "ElasticBeanstalk",
    "elasticloadbalancing.amazonaws.com": "ElasticLoadBalancing",
    "spot.amazonaws.com": "EC2Spot",
    "spotfleet.amazonaws.com": "EC2SpotFleet",
    "guardduty.amazonaws.com": "AmazonGuardDuty",
    "ssm.amazonaws.com": "AmazonSSM",
    "sso.amazonaws.com": "SSO",
    "dax.amazonaws.com": "DAX",
    "access-analyzer.amazonaws.com": "AccessAnalyzer",
    "cloudtrail.amazonaws.com": "CloudTrail",
    "config.amazonaws.com": "Config",
    "securityhub.amazonaws.com": "SecurityHub",
    "organizations.amazonaws.com": "Organizations",
    "trustedadvisor.amazonaws.com": "TrustedAdvisor",
    "support.amazonaws.com": "Support",
    "elasticmapreduce.amazonaws.com": "EMRCleanup",
    "replicator.lambda.amazonaws.com": "LambdaReplicator",
    "logger.cloudfront.amazonaws.com": "CloudFrontLogger",
    "ops.apigateway.amazonaws.com": "APIGateway",
    "opsdatasync.ssm.amazonaws.com": "SystemsManagerOpsDataSync",
    "dynamodb.application-autoscaling.amazonaws.com": "ApplicationAutoScaling_DynamoDBTable",
    "ecs.application-autoscaling.amazonaws.com": "ApplicationAutoScaling_ECSService",
    "rds.application-autoscaling.amazonaws.com": "ApplicationAutoScaling_RDSCluster",
    "ec2.application-autoscaling.amazonaws.com": "ApplicationAutoScaling_EC2SpotFleetRequest",
}

# Services AWS refuses a CustomSuffix for ("Custom suffix is not allowed for es.amazonaws.com").
NO_CUSTOM_SUFFIX = frozenset({"es.amazonaws.com", "ecs.amazonaws.com"})

_SERVICE = re.compile(r"^(?:[a-z0-9][a-z0-9-]*\.)+amazonaws\.com$")
_TASK = re.compile(r"^task/aws-service-role/(?P<service>[^/]+)/(?P<role>[^/]+)/[0-9a-f-]{36}$")


def _camel(label: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in label.split("-") if part)


def role_name_for(service: str) -> str:
    """AWS's role name for ``service`` (``spot.amazonaws.com`` -> ``AWSServiceRoleForEC2Spot``);
    a service under another's domain names both (``x.y.amazonaws.com`` -> ``Y_X``)."""
    known = ROLE_NAMES.get(service)
    if known:
        return f"AWSServiceRoleFor{known}"
    labels = service.removesuffix(".amazonaws.com").split(".")
    name = _camel(labels[-1])
    if len(labels) > 1:
        name += "_" + "".join(_camel(label) for label in reversed(labels[:-1]))
    return f"AWSServiceRoleFor{name}"


def trust_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def service_of(role: Role) -> str:
    """The service a service-linked role belongs to, from its path."""
    return role.path.removeprefix(PATH_PREFIX).rstrip("/")


def _wanted_role(call: Call) -> tuple[str, str]:
    service = str(call.param("AWSServiceName") or "")
    name = role_name_for(service) if _SERVICE.match(service) else service
    suffix = call.param("CustomSuffix")
    if suffix:
        name = f"{name}_{suffix}"
    return service, name


def _new_role_target(call: Call, tx: Tx) -> Target:
    service, name = _wanted_role(call)
    return Target(
        role_arn(call.account_id, f"{PATH_PREFIX}{service}/", name),
        {"iam:AWSServiceName": service},
    )


def _task_target(call: Call, tx: Tx) -> Target:
    match = _TASK.match(str(call.param("DeletionTaskId") or ""))
    if match is None:
        return Target(role_arn(call.account_id, "/", ""))
    path = f"{PATH_PREFIX}{match['service']}/"
    return Target(role_arn(call.account_id, path, match["role"]))


@REGISTRY.operation("CreateServiceLinkedRole", target=_new_role_target)
def create_service_linked_role(call: Call) -> dict[str, Any]:
    service, name = _wanted_role(call)
    if not _SERVICE.match(service):
        raise InvalidInput(f"Invalid ServiceName: {service}")
    if call.param("CustomSuffix") and service in NO_CUSTOM_SUFFIX:
        raise InvalidInput(f"Custom suffix is not allowed for {service}")
    if len(name) > 64:
        raise InvalidInput(f"The role name {name} is longer than 64 characters.")
    taken = (
        f"Service role name {name} has been taken in this account, please try a different suffix."
    )
    with call.store.write() as tx:
        if tx.roles.get(call.account_id, name) is not None:
            raise InvalidInput(taken)
        if len(tx.roles.all(call.account_id)) >= MAX_ROLES:
            raise LimitExceeded(f"Cannot exceed quota for RolesPerAccount: {MAX_ROLES}")
        try:
            role = tx.roles.create(
                call.account_id,
                name,
                f"{PATH_PREFIX}{service}/",
                trust_policy(service),
                description=call.param("Description"),
                service_linked=True,
            )
        except ConflictError:
            raise InvalidInput(taken) from None
        tx.changes.record("role", role.id)
    return {"Role": role_dict(role)}


@REGISTRY.operation("DeleteServiceLinkedRole", target=entity_target("role", "RoleName", find_role))
def delete_service_linked_role(call: Call) -> dict[str, Any]:
    """Submits the deletion and, since no service holds resources through the role here,
    completes it at once: the task is recorded as SUCCEEDED."""
    with call.store.write() as tx:
        role = role_or_404(tx, call.account_id, call.params["RoleName"])
        if not role.service_linked:
            raise InvalidInput(f"Role {role.name} is not a service-linked role.")
        task_id = f"task{role.path}{role.name}/{uuid.uuid4()}"
        for profile in tx.instance_profiles.of_role(role.id):
            tx.instance_profiles.remove_role(profile.id, role.id)
        tx.policies.delete_owner("role", role.id)
        tx.tags.drop("role", role.id)
        tx.roles.delete(role.id)
        tx.repo(ServiceLinkedRoleDeletions).record(call.account_id, task_id, role.name, "SUCCEEDED")
        tx.changes.record("role", role.id)
    return {"DeletionTaskId": task_id}


@REGISTRY.operation("GetServiceLinkedRoleDeletionStatus", target=_task_target)
def get_service_linked_role_deletion_status(call: Call) -> dict[str, Any]:
    task_id = call.params["DeletionTaskId"]
    if _TASK.match(task_id) is None:
        raise InvalidInput(f"Invalid deletion task id: {task_id}")
    with call.store.read() as tx:
        task = tx.repo(ServiceLinkedRoleDeletions).get(task_id)
    if task is None or task.account_id != call.account_id:
        raise NoSuchEntity(f"Deletion task {task_id} cannot be found.")
    out: dict[str, Any] = {"Status": task.status}
    if task.reason:
        out["Reason"] = {"Reason": task.reason}
    return out
