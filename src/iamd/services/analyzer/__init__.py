"""The IAM Access Analyzer API (rest-json).

Importing this package registers every implemented operation: each module here registers
its handlers with :data:`REGISTRY` when imported."""

import importlib
import pkgutil

from iamd.services.analyzer.common import REGISTRY

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["REGISTRY"]
