"""Run a suite with Great Expectations Core (ephemeral context, pandas data source,
ValidationDefinition) on a DataFrame read from the warehouse."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

import pandas as pd

from jinchengtuo.quality.suites import Suite

SAMPLE_ROWS = 20


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None
    observed: object
    failing_rows: list[dict] = field(default_factory=list)

    def describe(self) -> str:
        what = self.expectation + (f" on {self.column}" if self.column else "")
        if self.success:
            return f"{what}: passed"
        detail = f"{self.unexpected_count} row(s) failed" if self.unexpected_count else f"observed {self.observed!r}"
        rows = "; ".join(json.dumps(r, ensure_ascii=False, default=str) for r in self.failing_rows[:5])
        return f"{what} [{self.severity}]: {detail}" + (f" — e.g. {rows}" if rows else "")


@dataclass
class SuiteResult:
    suite: Suite
    n_rows: int
    outcomes: list[ExpectationOutcome]

    @property
    def passed(self) -> bool:
        """False when an error-severity expectation failed (warnings do not fail a suite)."""
        return all(o.success for o in self.outcomes if o.severity == "error")

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != "error"]

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "error"]

    def summary(self) -> str:
        bad = self.failures + self.warnings
        head = f"suite {self.suite.name}: {len(self.outcomes) - len(bad)}/{len(self.outcomes)} expectations passed on {self.n_rows} rows"
        return "\n".join([head] + [f"  - {o.describe()}" for o in bad])


@functools.lru_cache(maxsize=1)
def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


def run_suite(suite: Suite, df: pd.DataFrame) -> SuiteResult:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    ctx = _context()
    uid = f"{suite.layer}.{suite.name}"
    for store in (ctx.validation_definitions, ctx.suites):
        try:
            store.delete(uid)
        except Exception:
            pass
    try:
        ds = ctx.data_sources.get("warehouse")
    except Exception:
        ds = ctx.data_sources.add_pandas("warehouse")
    try:
        asset = ds.get_asset(uid)
    except LookupError:
        asset = ds.add_dataframe_asset(uid)
    try:
        batch = asset.get_batch_definition("all")
    except (KeyError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe("all")
    gx_suite = gx.ExpectationSuite(name=uid)
    for e in suite.expectations:
        meta = {"severity": "error", **e.get("meta", {})}
        gx_suite.add_expectation_configuration(ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=meta))
    if len(gx_suite.expectations) != len(suite.expectations):
        # GX merges expectations it considers the same (type and column): one would be lost silently
        raise ValueError(
            f"{suite.path}: {len(suite.expectations)} expectations but Great Expectations kept {len(gx_suite.expectations)}; "
            "two expectations of the same type on the same column collapse into one: make them distinct"
        )
    gx_suite = ctx.suites.add(gx_suite)
    validation = ctx.validation_definitions.add(gx.ValidationDefinition(name=uid, data=batch, suite=gx_suite))
    key = [c for c in suite.row_key if c in df.columns]
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": key} if key else {"result_format": "SUMMARY"}
    result = validation.run(batch_parameters={"dataframe": df}, result_format=result_format)
    outcomes = []
    for r in result.results:
        cfg = r.expectation_config
        res = r.result or {}
        rows = res.get("unexpected_index_list") or [
            {"value": v} for v in (res.get("partial_unexpected_list") or [])
        ]
        outcomes.append(
            ExpectationOutcome(
                expectation=cfg.type, column=cfg.kwargs.get("column") or cfg.kwargs.get("column_A"),
                severity=(cfg.meta or {}).get("severity", "error"), success=bool(r.success),
                unexpected_count=res.get("unexpected_count"), observed=res.get("observed_value"),
                failing_rows=[{k: _plain(v) for k, v in row.items()} for row in rows[:SAMPLE_ROWS]] if isinstance(rows, list) else [],
            )
        )
    return SuiteResult(suite=suite, n_rows=len(df), outcomes=outcomes)


def _plain(v):
    if hasattr(v, "item"):
        return v.item()
    return v
