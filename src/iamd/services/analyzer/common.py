"""Shared pieces of the Access Analyzer handlers."""

from __future__ import annotations

from iamd.services.registry import Registry

REGISTRY = Registry("access-analyzer")
