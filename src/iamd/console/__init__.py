"""The web console at ``/console``: server-rendered pages acting as the signed-in principal.

Every action a page takes goes through :class:`iamd.authorize.dispatch.Dispatcher`, exactly as
an API call does, so the console can do nothing its user could not do with the CLI.
"""

from iamd.console.app import Console

__all__ = ["Console"]
