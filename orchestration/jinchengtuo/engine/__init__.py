"""The distributed extraction engine (Dask): outside documents/, so a change here never changes
EXTRACTOR_VERSION (a hash of the extractor's code) nor invalidates the extraction cache."""
