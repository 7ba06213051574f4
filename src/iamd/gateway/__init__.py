"""The enforcement gateway: IAM in front of S3 and other AWS-compatible services."""

from iamd.gateway.backend import BackendConfig
from iamd.gateway.gateway import Gateway
from iamd.gateway.routing import for_gateway

__all__ = ["BackendConfig", "Gateway", "for_gateway"]
