"""Differential tests: iamd's policy engine against an external oracle process."""
