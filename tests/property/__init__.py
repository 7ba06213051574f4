"""Property-based tests: iamd's compiled engine against a literal reference, and parser fuzzing."""
