"""Repositories: the only code that reads and writes iamd's tables."""
