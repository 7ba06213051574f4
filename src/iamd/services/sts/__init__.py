"""The STS API.  Importing this package registers every implemented operation."""

import importlib
import pkgutil

from iamd.services.sts.common import REGISTRY

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["REGISTRY"]
