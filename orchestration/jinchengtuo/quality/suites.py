"""Suites are data: JSON files under expectations/<layer>/ in Great Expectations' suite format
(`name`, `expectations` with `type`, `kwargs`, `meta`) plus a `meta` block saying what to check:

    "meta": {
      "asset": "marts/dim_street",        the Dagster asset the check is attached to
      "table": "marts.dim_street",        the warehouse table to validate, or
      "query": "select …",                a query whose result is validated (cross-table checks)
      "row_key": ["street_code"],         columns that identify a failing row in the report
      "scope": "year" | "all",            what a failed error blocks (see below)
      "description": "…"
    }

Each expectation's `meta.severity` is `error` (blocking) or `warning` (recorded and shown, never
blocks). Facts of the Shenzhen scope (reference/scope.py, JCT_SCOPE) are marked on the
expectation: `meta.shenzhen_only: true` (its 74 streets, 4403 codes, ten districts, a census row
for every street) applies in the Shenzhen scope only; `meta.units_in_scope: true` has its 74
(`value`, `min_value`, `max_value`) replaced, in another scope, by the number of units the scope
scores. In the Shenzhen scope every suite is as written. What an error blocks is the suite's `scope`:
  "all"   the release of the whole warehouse (a Dagster blocking check failing with ERROR);
  "year"  the publication of the years its failing rows belong to (the data must have a `year`
          column); the warehouse is still released and the other years are published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from jinchengtuo import config

SCOPES = ("year", "all")
SEVERITIES = ("error", "warning")


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
    scope: str = "all"
    path: Path | None = None

    @property
    def has_errors(self) -> bool:
        return any(e.get("meta", {}).get("severity", "error") == "error" for e in self.expectations)

    @property
    def blocks_release(self) -> bool:
        """True when a failed error stops the release of the whole warehouse."""
        return self.has_errors and self.scope == "all"

    @property
    def table_name(self) -> str:
        """The table validated, or for a query suite the tables it reads."""
        if self.table:
            return self.table
        import re

        return ", ".join(dict.fromkeys(re.findall(r"\b(?:raw|staging|intermediate|marts|framework|quality|meta)\.[a-z_0-9]+", self.query or "")))

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
    if meta.get("scope") not in SCOPES:
        raise ValueError(f"{path}: suite meta 'scope' must be one of {', '.join(SCOPES)} (got {meta.get('scope')!r})")
    if data["name"] != path.stem:
        raise ValueError(f"{path}: suite name {data['name']!r} differs from the file name; the check is named after both")
    for i, e in enumerate(data["expectations"], start=1):
        if not isinstance(e, dict) or "type" not in e or "kwargs" not in e:
            raise ValueError(f"{path}: expectation {i} needs 'type' and 'kwargs'")
        severity = e.get("meta", {}).get("severity", "error")
        if severity not in SEVERITIES:
            raise ValueError(f"{path}: expectation {i} ({e['type']}): severity must be one of {', '.join(SEVERITIES)} (got {severity!r})")
    return Suite(
        name=data["name"], layer=path.parent.name, asset=meta["asset"], expectations=_for_scope(data["expectations"]),
        table=meta.get("table"), query=meta.get("query"), row_key=meta.get("row_key", []),
        description=meta.get("description", ""), scope=meta["scope"], path=path,
    )


def _for_scope(expectations: list[dict]) -> list[dict]:
    """The expectations as they apply in this process's scope (see the module doc)."""
    from jinchengtuo.reference.scope import Scope

    scope = Scope.from_env()
    if scope.is_shenzhen or not any(e.get("meta", {}).get(k) for e in expectations for k in ("shenzhen_only", "units_in_scope")):
        return expectations
    n_units = len(scope.units(config.reference_dir()))
    kept = []
    for e in expectations:
        meta = e.get("meta", {})
        if meta.get("shenzhen_only"):
            continue
        if meta.get("units_in_scope"):
            e = {**e, "kwargs": {k: (n_units if k in ("value", "min_value", "max_value") and v == 74 else v) for k, v in e["kwargs"].items()}}
        kept.append(e)
    return kept


def load_suites(directory: Path | None = None) -> list[Suite]:
    directory = directory or config.EXPECTATIONS_DIR
    return [load_suite(p) for p in sorted(directory.glob("*/*.json"))]
