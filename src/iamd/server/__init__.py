"""The ASGI application: the only layer that knows HTTP."""
