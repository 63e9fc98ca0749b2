"""Scoring options: the method is configuration, declared once in dbt_project/seeds/scoring_options.csv.

That file lists every option with its step (screen, impute, treat, normalise, weight, aggregate),
dbt var, type, default, allowed values or range and a description in Chinese and English. The
dbt macro `scoring_option()` (dbt_project/macros/scoring_options.sql) reads it as a seed, this
module reads it with csv: `ScoringOptions` has one typed field per row (its default the file's),
the CLI help, the Dagster launchpad config (`defs/dbt.py`) and docs/methodology.md are built from
it. A value that cannot be applied is refused with a ValueError naming the option and why, never
replaced by its default.

`methodology_version` builds the same version string the marts record: the framework version,
plus '+var=value,…' for every option that differs from its default. The coverage gates that
decide whether a street is scored and ranked and a year published as a ranking are framework
data (dbt_project/seeds/coverage_gates.csv, `Framework.gates`), not options.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, field, fields, make_dataclass, replace
from functools import lru_cache
from pathlib import Path

from jinchengtuo import config

OPTIONS_FILE = "scoring_options.csv"
STEPS = ("screen", "impute", "treat", "normalise", "weight", "aggregate")
TYPES = ("choice", "float", "int", "int_list")
COLUMNS = ("option", "dbt_var", "step", "sort_order", "type", "default_value", "allowed", "minimum", "maximum",
           "label_zh", "label_en", "description_zh", "description_en")


def options_path() -> Path:
    return config.DBT_PROJECT_DIR / "seeds" / OPTIONS_FILE


@dataclass(frozen=True)
class OptionSpec:
    """One row of scoring_options.csv."""

    option: str
    dbt_var: str
    step: str
    sort_order: int
    type: str
    default: object
    allowed: tuple[str, ...]
    minimum: float | None
    maximum: float | None
    label_zh: str
    label_en: str
    description_zh: str
    description_en: str

    @property
    def python_type(self):
        return {"choice": str, "float": float, "int": int, "int_list": tuple[int, ...]}[self.type]

    def _fail(self, value, reason: str, what: str = ""):
        via = f" (dbt var {self.dbt_var})" if self.dbt_var != self.option else ""
        raise ValueError(f"scoring option {self.option}={value!r}{what} {reason}{via}")

    def _number(self, value, *, integer: bool, what: str = ""):
        kind = "a whole number" if integer else "a number"
        if isinstance(value, bool) or value is None:
            self._fail(value, f"is not {kind}", what)
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            self._fail(value, f"is not {kind}", what)
        if not math.isfinite(number):
            self._fail(value, "is not a finite number", what)
        if integer and number != int(number):
            self._fail(value, "is not a whole number", what)
        if (self.minimum is not None and number < self.minimum) or (self.maximum is not None and number > self.maximum):
            self._fail(value, f"is outside its range {self.minimum:g} to {self.maximum:g}", what)
        return int(number) if integer else number

    def parse(self, value):
        """The typed value of `value` (a value of the right type or its text); ValueError naming the
        option and why when it cannot be applied."""
        if self.type == "choice":
            if not isinstance(value, str) or value not in self.allowed:
                self._fail(value, f"is not one of {', '.join(self.allowed)}")
            return value
        if self.type in ("float", "int"):
            return self._number(value, integer=self.type == "int")
        # int_list: a list of whole numbers, or their text separated by commas or |
        items = value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            items = [value]
        elif isinstance(value, str):
            items = [p for p in value.replace("|", ",").split(",") if p.strip()]
        if not isinstance(items, (list, tuple)) or not items:
            self._fail(value, "is not a non-empty list of years")
        return tuple(self._number(v, integer=True, what=f" (item {v!r})") for v in items)

    def text(self, value) -> str:
        """The value as text, as the dbt macro `scoring_option_text` formats it."""
        return option_text(value)


def option_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (tuple, list)):
        return "|".join(f"{v:g}" for v in value)
    return f"{value:g}"


@lru_cache(maxsize=4)
def load_specs(path: Path | None = None) -> tuple[OptionSpec, ...]:
    """The options of scoring_options.csv in file order; ValueError naming the row when it is inconsistent."""
    path = Path(path or options_path())
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: columns must be {', '.join(COLUMNS)}, found {', '.join(reader.fieldnames or ())}")
        rows = list(reader)
    specs, seen = [], set()
    for n, r in enumerate(rows, start=2):
        where = f"{path.name} line {n} ({r['option']})"
        if r["step"] not in STEPS:
            raise ValueError(f"{where}: step {r['step']!r} is not one of {', '.join(STEPS)}")
        if r["type"] not in TYPES:
            raise ValueError(f"{where}: type {r['type']!r} is not one of {', '.join(TYPES)}")
        if r["option"] in seen or r["dbt_var"] in seen:
            raise ValueError(f"{where}: option or dbt var declared twice")
        seen |= {r["option"], r["dbt_var"]}
        allowed = tuple(a for a in r["allowed"].split("|") if a)
        if (r["type"] == "choice") != bool(allowed):
            raise ValueError(f"{where}: a choice needs its allowed values (and only a choice has them)")
        spec = OptionSpec(r["option"], r["dbt_var"], r["step"], int(r["sort_order"]), r["type"], None, allowed,
                          float(r["minimum"]) if r["minimum"] else None, float(r["maximum"]) if r["maximum"] else None,
                          r["label_zh"], r["label_en"], r["description_zh"], r["description_en"])
        try:
            default = spec.parse(r["default_value"])
        except ValueError as exc:
            raise ValueError(f"{where}: the default is not allowed: {exc}") from None
        specs.append(replace(spec, default=default))
    order = [STEPS.index(s.step) for s in sorted(specs, key=lambda s: s.sort_order)]
    if order != sorted(order):
        raise ValueError(f"{path.name}: sort_order must follow the steps {', '.join(STEPS)}")
    return tuple(sorted(specs, key=lambda s: s.sort_order))


SPECS = load_specs()
SPEC_BY_OPTION = {s.option: s for s in SPECS}
SPEC_BY_VAR = {s.dbt_var: s for s in SPECS}
# option name in Python → dbt var name
DBT_VAR_NAMES = {s.option: s.dbt_var for s in SPECS}
NORMALISATIONS = SPEC_BY_OPTION["normalisation"].allowed
WEIGHTINGS = SPEC_BY_OPTION["weighting"].allowed
AGGREGATIONS = SPEC_BY_OPTION["aggregation"].allowed
# weightings computed from the data: they need values of at least two streets per included indicator-year
DATA_WEIGHTINGS = ("entropy", "critic")


class _Methods:
    def __post_init__(self) -> None:
        for spec in SPECS:
            object.__setattr__(self, spec.option, spec.parse(getattr(self, spec.option)))

    def with_(self, **changes) -> "ScoringOptions":
        unknown = sorted(set(changes) - set(SPEC_BY_OPTION))
        if unknown:
            raise ValueError(f"unknown scoring option(s) {', '.join(unknown)}; the options are {', '.join(SPEC_BY_OPTION)}")
        return replace(self, **changes)

    @classmethod
    def from_dbt_vars(cls, dbt_vars: dict | None) -> "ScoringOptions":
        """Options from a mapping of dbt vars (or option names); an unknown name is refused."""
        dbt_vars = dict(dbt_vars or {})
        unknown = sorted(k for k in dbt_vars if k not in SPEC_BY_VAR and k not in SPEC_BY_OPTION)
        if unknown:
            raise ValueError(f"unknown scoring option(s) {', '.join(map(repr, unknown))}; the options (dbt vars) are "
                             f"{', '.join(SPEC_BY_VAR)}")
        return cls(**{(SPEC_BY_VAR.get(k) or SPEC_BY_OPTION[k]).option: v for k, v in dbt_vars.items()})

    @classmethod
    def from_records(cls, records) -> "ScoringOptions":
        """Options from rows of marts.dim_methodology (option = dbt var, value = text): the full
        option set a run recorded; every option must be there."""
        values = {r["option"]: r["value"] for r in records}
        missing = sorted(set(SPEC_BY_VAR) - set(values))
        if missing:
            raise ValueError(f"the recorded method lacks option(s) {', '.join(missing)}")
        return cls.from_dbt_vars(values)

    def dbt_vars(self, *, full: bool = False) -> dict:
        """The dbt --vars mapping for these options (only the non-default ones unless `full`)."""
        out = {}
        for spec in SPECS:
            value = getattr(self, spec.option)
            if full or value != spec.default:
                out[spec.dbt_var] = list(value) if isinstance(value, tuple) else value
        return out

    option_text = staticmethod(option_text)

    def variant_suffix(self) -> str:
        parts = []
        for spec in sorted(SPECS, key=lambda s: s.dbt_var):
            text = option_text(getattr(self, spec.option))
            if text != option_text(spec.default):
                parts.append(f"{spec.dbt_var}={text}")
        return "+" + ",".join(parts) if parts else ""

    def methodology_version(self, framework_version: str) -> str:
        return framework_version + self.variant_suffix()

    def records(self) -> list[dict]:
        """The full option set, one row per option as marts.dim_methodology records it."""
        return [{"step": s.step, "option": s.dbt_var, "value": option_text(getattr(self, s.option)),
                 "is_default": option_text(getattr(self, s.option)) == option_text(s.default),
                 "description": s.description_en} for s in SPECS]

    def as_dict(self) -> dict:
        return asdict(self)


def _field_type(spec: OptionSpec):
    return {"choice": "str", "float": "float", "int": "int", "int_list": "tuple[int, ...]"}[spec.type]


ScoringOptions = make_dataclass(
    "ScoringOptions", [(s.option, _field_type(s), field(default=s.default)) for s in SPECS], bases=(_Methods,),
    frozen=True)
ScoringOptions.__module__ = __name__
ScoringOptions.__doc__ = ("The scoring options, one field per row of dbt_project/seeds/scoring_options.csv "
                          "(defaults from the file). " + "; ".join(f"{s.option}: {s.description_en}" for s in SPECS))


def check_reference_years(options: "ScoringOptions", data_years) -> None:
    """Goalposts need at least one reference year among the data's years."""
    if options.normalisation != "goalposts":
        return
    data_years = sorted(int(y) for y in data_years)
    if data_years and not set(options.goalpost_reference_years) & set(data_years):
        raise ValueError(
            f"scoring option goalpost_reference_years={option_text(options.goalpost_reference_years)} cannot be applied: "
            f"none of these years is a year of the data ({', '.join(map(str, data_years))}), so no goalposts can be set "
            "from them; choose reference years the data cover")


__all__ = ["AGGREGATIONS", "DATA_WEIGHTINGS", "DBT_VAR_NAMES", "NORMALISATIONS", "OptionSpec", "SPECS", "STEPS",
           "ScoringOptions", "WEIGHTINGS", "check_reference_years", "load_specs", "option_text", "options_path"]
