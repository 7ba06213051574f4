"""iamd: AWS Identity and Access Management you run yourself."""

__version__ = "0.1.0"
