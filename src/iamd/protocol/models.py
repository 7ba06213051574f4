"""botocore's service models, loaded once per process and indexed for the request path.

Wire compatibility comes from these models (see DESIGN.md): the operation list, every parameter
shape, the result wrappers and the error codes are AWS's own, read from the installed botocore
data rather than copied by hand.  Loading a model costs milliseconds, so each service is loaded
once and every later lookup is a dictionary access.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from botocore.loaders import Loader  # type: ignore[import-untyped]
from botocore.model import ServiceModel  # type: ignore[import-untyped]

# botocore ships no type information; these aliases name what a value is, for the reader.
Shape = Any
OperationModel = Any


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What a service model declares about one error code.

    ``status`` is None when the model names the error without an HTTP status (a few IAM errors
    do); the caller's own status then applies.
    """

    code: str
    status: int | None
    sender: bool


class ServiceSpec:
    """One service's model with the lookups the protocol layer needs on every request."""

    def __init__(self, name: str, model: Any) -> None:
        self.name = name
        self.model = model
        metadata = model.metadata
        self.api_version: str = metadata["apiVersion"]
        self.xml_namespace: str = metadata.get("xmlNamespace", "")
        self.protocol: str = metadata["protocol"]
        self.operation_names: tuple[str, ...] = tuple(model.operation_names)
        self._operation_set = frozenset(self.operation_names)
        self._operations: dict[str, OperationModel] = {}
        self.errors: dict[str, ErrorInfo] = _error_infos(model)

    def operation(self, name: str) -> OperationModel | None:
        """The operation's model, or None when the service has no operation of that name."""
        found = self._operations.get(name)
        if found is None and name in self._operation_set:
            found = self.model.operation_model(name)
            self._operations[name] = found
        return found

    def error(self, code: str) -> ErrorInfo | None:
        """What the model declares for an error code, if it declares it."""
        return self.errors.get(code)

    def __repr__(self) -> str:
        return f"ServiceSpec({self.name} {self.api_version})"


def _error_infos(model: Any) -> dict[str, ErrorInfo]:
    infos: dict[str, ErrorInfo] = {}
    for shape in model.error_shapes:
        trait = shape.metadata.get("error") or {}
        # Without an explicit code, botocore (and AWS) use the shape's name as the code.
        code = trait.get("code", shape.name)
        status = trait.get("httpStatusCode")
        infos[code] = ErrorInfo(
            code=code,
            status=int(status) if status is not None else None,
            sender=bool(trait.get("senderFault", False)),
        )
    return infos


@functools.cache
def _loader() -> Any:
    return Loader()


@functools.cache
def load_service(name: str) -> ServiceSpec:
    """The installed botocore model of a service ("iam", "sts", ...), loaded once."""
    data = _loader().load_service_model(name, "service-2")
    return ServiceSpec(name, ServiceModel(data, service_name=name))


def lower_camel(name: str) -> str:
    """A member's name as AWS writes it in validation messages: ``UserName`` -> ``userName``.

    Only the first letter changes (``SAMLAssertion`` -> ``sAMLAssertion``), as AWS's own
    messages show.
    """
    return name[:1].lower() + name[1:]
