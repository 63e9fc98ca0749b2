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


def required(doc_type: str) -> tuple[str, ...]:
    """The fields a document of this type must state to be `extracted` (else `partial`)."""
    return tuple(f for f, s in fields().items() if s.doc_type == doc_type and s.required)


# the national classification ships with the project (it is the extractor's knowledge, not a
# user's input): read from the project's own sources/reference, whatever JCT_SOURCES says
EXPENDITURE_CLASSES_CSV = config.PROJECT_DIR / "sources" / "reference" / "expenditure_classes.csv"


@dataclass(frozen=True)
class ExpenditureClass:
    code: str
    name: str
    former_names: tuple[str, ...]
    summary_order: int | None  # its line in the final-account summary table (十九、住房保障支出), None: not listed
    since: int | None  # first year of the classification that has it
    source: str


@lru_cache(maxsize=1)
def expenditure_classes() -> tuple[ExpenditureClass, ...]:
    """The 类 of the government expenditure functional classification (政府收支分类科目)."""
    with EXPENDITURE_CLASSES_CSV.open(encoding="utf-8", newline="") as f:
        return tuple(ExpenditureClass(r["code"], r["name"], tuple(n for n in r["former_names"].split("|") if n),
                                      int(r["summary_order"]) if r["summary_order"] else None,
                                      int(r["since"]) if r["since"] else None, r["source"])
                     for r in csv.DictReader(f))


def class_names() -> dict[str, str]:
    """Every name a 类 has carried -> its code."""
    out: dict[str, str] = {}
    for c in expenditure_classes():
        for n in (c.name, *c.former_names):
            out[n] = c.code
    return out
