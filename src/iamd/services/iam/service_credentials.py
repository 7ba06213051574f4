"""Service-specific credentials (a user name and password for CodeCommit's Git over HTTPS or
Amazon Keyspaces): CreateServiceSpecificCredential, ListServiceSpecificCredentials,
UpdateServiceSpecificCredential, ResetServiceSpecificCredential,
DeleteServiceSpecificCredential.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceSpecificCredential.html

IAM generates both halves: the user name is ``<user>-at-<account id>``, the password 60
characters of base64 (44 random bytes).  The password is shown only by Create and Reset and is
sealed at rest.  At most two per user per service.

Unsupported services: AWS answers ``NoSuchEntity`` (404) with "No such service ... is supported
for Service Specific Credentials", not the ``NotSupportedService`` the model also lists, as
recorded by LocalStack's AWS-validated IAM tests (github.com/localstack/localstack,
services/iam/provider.py).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from iamd.errors import InvalidInput, LimitExceeded, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, entity_target, find_user, paginate, user_or_404
from iamd.services.registry import Target
from iamd.store import Tx
from iamd.store.records import User
from iamd.store.repos.user_credentials import ServiceCredential, ServiceCredentials

SUPPORTED_SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com")
MAX_PER_SERVICE = 2
PASSWORD_BYTES = 44

_user = entity_target("user", "UserName", find_user)
_self_or_user = entity_target("user", "UserName", find_user, default_self=True)


def _list_target(call: Call, tx: Tx) -> Target:
    """AllUsers lists every user's credentials: authorize it against all the account's users."""
    if call.param("AllUsers"):
        return Target(f"arn:aws:iam::{call.account_id}:user/*")
    return _self_or_user(call, tx)


def _check_service(name: str) -> None:
    if name not in SUPPORTED_SERVICES:
        raise NoSuchEntity(f"No such service {name} is supported for Service Specific Credentials")


def new_service_password() -> str:
    return base64.b64encode(secrets.token_bytes(PASSWORD_BYTES)).decode()


def _owner(call: Call, tx: Tx) -> User:
    name = call.param("UserName")
    if name:
        return user_or_404(tx, call.account_id, name)
    if call.caller.user_id is None:
        raise NoSuchEntity("Must specify userName when calling with non-User credentials")
    user = tx.users.get_by_id(call.caller.user_id)
    if user is None:
        raise NoSuchEntity("The user with name unknown cannot be found.")
    return user


def _credential_of(tx: Tx, user: User, credential_id: str) -> ServiceCredential:
    credential = tx.repo(ServiceCredentials).get(credential_id)
    if credential is None or credential.user_id != user.id:
        raise NoSuchEntity(f"No such credential {credential_id} exists")
    return credential


def _metadata(user_name: str, credential: ServiceCredential) -> dict[str, Any]:
    return {
        "UserName": user_name,
        "Status": credential.status,
        "ServiceUserName": credential.service_user_name,
        "CreateDate": credential.create_date,
        "ServiceSpecificCredentialId": credential.id,
        "ServiceName": credential.service_name,
    }


def _with_password(user_name: str, credential: ServiceCredential, password: str) -> dict[str, Any]:
    return {**_metadata(user_name, credential), "ServicePassword": password}


@REGISTRY.operation("CreateServiceSpecificCredential", target=_user)
def create_service_specific_credential(call: Call) -> dict[str, Any]:
    service = call.params["ServiceName"]
    with call.store.write() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        _check_service(service)
        credentials = tx.repo(ServiceCredentials)
        if len(credentials.of_user(user.id, service)) >= MAX_PER_SERVICE:
            raise LimitExceeded(
                "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: "
                f"{MAX_PER_SERVICE}"
            )
        password = new_service_password()
        credential = credentials.create(
            user.id, service, f"{user.name}-at-{call.account_id}", password
        )
        tx.changes.record("service-credential", credential.id)
    return {"ServiceSpecificCredential": _with_password(user.name, credential, password)}


@REGISTRY.operation("ListServiceSpecificCredentials", target=_list_target)
def list_service_specific_credentials(call: Call) -> dict[str, Any]:
    service = call.param("ServiceName")
    if service is not None:
        _check_service(service)
    with call.store.read() as tx:
        if call.param("AllUsers"):
            if call.param("UserName"):
                raise InvalidInput("AllUsers cannot be specified together with UserName.")
            owned = tx.repo(ServiceCredentials).of_account(call.account_id, service)
        else:
            user = _owner(call, tx)
            owned = [(user.name, c) for c in tx.repo(ServiceCredentials).of_user(user.id, service)]
    page, more = paginate(
        call, owned, key=lambda item: f"{item[1].create_date.isoformat()}|{item[1].id}"
    )
    return {"ServiceSpecificCredentials": [_metadata(name, c) for name, c in page], **more}


@REGISTRY.operation("UpdateServiceSpecificCredential", target=_self_or_user)
def update_service_specific_credential(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = _owner(call, tx)
        credential = _credential_of(tx, user, call.params["ServiceSpecificCredentialId"])
        tx.repo(ServiceCredentials).set_status(credential.id, call.params["Status"])
        tx.changes.record("service-credential", credential.id)
    return {}


@REGISTRY.operation("ResetServiceSpecificCredential", target=_self_or_user)
def reset_service_specific_credential(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = _owner(call, tx)
        credential = _credential_of(tx, user, call.params["ServiceSpecificCredentialId"])
        password = new_service_password()
        tx.repo(ServiceCredentials).reset_password(credential.id, password)
        tx.changes.record("service-credential", credential.id)
    return {"ServiceSpecificCredential": _with_password(user.name, credential, password)}


@REGISTRY.operation("DeleteServiceSpecificCredential", target=_self_or_user)
def delete_service_specific_credential(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = _owner(call, tx)
        credential = _credential_of(tx, user, call.params["ServiceSpecificCredentialId"])
        tx.repo(ServiceCredentials).delete(credential.id)
        tx.changes.record("service-credential", credential.id)
    return {}
