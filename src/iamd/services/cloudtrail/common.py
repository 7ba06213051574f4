"""Shared pieces of the CloudTrail handlers."""

from __future__ import annotations

from iamd.services.registry import Registry

REGISTRY = Registry("cloudtrail")
