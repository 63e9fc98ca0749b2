"""The field contract, read once from the dbt seed `field_catalog.csv` (one place for every field's
label, unit, document type and whether it is required)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from jinchengtuo import config


@dataclass(frozen=True)
class FieldSpec:
    field_id: str
    doc_type: str
    label_zh: str
    unit: str
    required: bool
    description: str


@lru_cache(maxsize=1)
def fields() -> dict[str, FieldSpec]:
    path = config.DBT_PROJECT_DIR / "seeds" / "field_catalog.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return {r["field_id"]: FieldSpec(r["field_id"], r["doc_type"], r["label_zh"], r["unit"], r["required"].strip().lower() == "yes",
                                         r.get("description") or "")
                for r in csv.DictReader(f)}


def label(field_id: str) -> str:
    spec = fields().get(field_id)
    return spec.label_zh if spec else field_id
