"""Dagster definitions, one module per stage. `jinchengtuo.definitions` merges them."""
