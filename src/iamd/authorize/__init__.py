"""The authorize step: the caller's policies from the store, compiled, cached, and decided."""
