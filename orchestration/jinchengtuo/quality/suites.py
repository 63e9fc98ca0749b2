"""Suites are data: JSON files under expectations/<layer>/ in Great Expectations' suite format
(`name`, `expectations` with `type`, `kwargs`, `meta`) plus a `meta` block saying what to check:

    "meta": {
      "asset": "marts/dim_street",        the Dagster asset the check is attached to
      "table": "marts.dim_street",        the warehouse table to validate, or
      "query": "select …",                a query whose result is validated (cross-table checks)
      "row_key": ["street_code"],         columns that identify a failing row in the report
      "description": "…"
    }

Each expectation's `meta.severity` is `error` (blocking: stops everything downstream) or
`warning` (recorded and shown). A suite is blocking when any of its expectations is an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from jinchengtuo import config


@dataclass
class Suite:
    name: str
    layer: str
    asset: str
    expectations: list[dict]
    table: str | None = None
    query: str | None = None
    row_key: list[str] = field(default_factory=list)
    description: str = ""
    path: Path | None = None

    @property
    def blocking(self) -> bool:
        return any(e.get("meta", {}).get("severity", "error") == "error" for e in self.expectations)

    @property
    def sql(self) -> str:
        if self.query:
            return self.query
        if self.table:
            return f"select * from {self.table}"
        raise ValueError(f"suite {self.name} ({self.path}) names neither a table nor a query")


def load_suite(path: Path) -> Suite:
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = data.get("meta", {})
    for key in ("name", "expectations"):
        if key not in data:
            raise ValueError(f"{path}: suite has no '{key}'")
    if "asset" not in meta or not (meta.get("table") or meta.get("query")):
        raise ValueError(f"{path}: suite meta needs 'asset' and 'table' or 'query'")
    return Suite(
        name=data["name"], layer=path.parent.name, asset=meta["asset"], expectations=data["expectations"],
        table=meta.get("table"), query=meta.get("query"), row_key=meta.get("row_key", []),
        description=meta.get("description", ""), path=path,
    )


def load_suites(directory: Path | None = None) -> list[Suite]:
    directory = directory or config.EXPECTATIONS_DIR
    return [load_suite(p) for p in sorted(directory.glob("*/*.json"))]
