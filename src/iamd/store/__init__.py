"""Persistence behind small repository interfaces; services never write SQL."""

from iamd.store.repos.base import ConflictError, MissingError
from iamd.store.store import Store, Tx

__all__ = ["ConflictError", "MissingError", "Store", "Tx"]
