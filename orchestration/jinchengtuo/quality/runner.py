"""Run a suite with Great Expectations Core (ephemeral context, pandas data source,
ValidationDefinition) on a DataFrame read from the warehouse.

Failing rows are reported by the suite's `row_key` columns plus `year` when the data has one, so
every failure can be attributed to the years it concerns (per-year blocking of publication).

With `docs_dir`, the validation is also rendered by GX's own data docs builder (SiteBuilder with
a filesystem store backend) into that folder: one ephemeral context per folder, so the site of a
run lists that run's validations only.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from jinchengtuo.quality.suites import Suite

SAMPLE_ROWS = 20
YEAR_SAMPLE = 10
DOCS_SITE = "jinchengtuo_run"


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None
    observed: object
    failing_rows: list[dict] = field(default_factory=list)
    # failing rows per year of the data (None: rows without a year); None when the expectation
    # is not about rows (row count, distinct values, ...) or the data has no `year` column
    failing_by_year: dict[int | None, int] | None = None
    sample_by_year: dict[int | None, list[dict]] = field(default_factory=dict)  # ≤ YEAR_SAMPLE rows per year
    why: str = ""

    def describe(self) -> str:
        what = self.expectation + (f" on {self.column}" if self.column else "")
        if self.success:
            return f"{what}: passed"
        detail = f"{self.unexpected_count} row(s) failed" if self.unexpected_count else f"observed {self.observed!r}"
        if self.failing_by_year:
            detail += " (" + ", ".join(f"{y if y is not None else 'no year'}: {n}" for y, n in sorted(
                self.failing_by_year.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))) + ")"
        rows = "; ".join(json.dumps(r, ensure_ascii=False, default=str) for r in self.failing_rows[:5])
        return f"{what} [{self.severity}]: {detail}" + (f" — e.g. {rows}" if rows else "") + (f" — {self.why}" if self.why else "")

    @property
    def failing_years(self) -> set[int | None]:
        """Years with failing rows; {None} for a failure that concerns no particular year."""
        if self.success:
            return set()
        if self.failing_by_year:
            return set(self.failing_by_year)
        return {None}


@dataclass
class SuiteResult:
    suite: Suite
    n_rows: int
    outcomes: list[ExpectationOutcome]
    years: list[int] = field(default_factory=list)  # distinct years of the validated data
    docs_page: Path | None = None  # this validation's data docs page
    docs_index: Path | None = None  # the site's index.html

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

    @property
    def blocked_years(self) -> set[int | None]:
        """Years whose publication the suite's failed errors block (None: every year)."""
        return set().union(*(o.failing_years for o in self.failures)) if self.failures else set()

    def summary(self) -> str:
        bad = self.failures + self.warnings
        head = f"suite {self.suite.name}: {len(self.outcomes) - len(bad)}/{len(self.outcomes)} expectations passed on {self.n_rows} rows"
        return "\n".join([head] + [f"  - {o.describe()}" for o in bad])


def _new_context(docs_dir: str | None):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir:
        ctx.add_data_docs_site(DOCS_SITE, {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs_dir},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "show_cta_footer": False},
        })
    return ctx


@functools.lru_cache(maxsize=4)
def _context(docs_dir: str | None = None):
    return _new_context(docs_dir)


def _year(v) -> int | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def run_suite(suite: Suite, df: pd.DataFrame, *, docs_dir: Path | None = None) -> SuiteResult:
    """Validate `df` against `suite`; with `docs_dir`, render the result into that data docs site."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    has_year = "year" in df.columns
    if suite.scope == "year" and not has_year:
        raise ValueError(f"{suite.path}: scope 'year' but the data has no 'year' column (columns: {', '.join(df.columns)})")
    ctx = _context(str(Path(docs_dir).resolve()) if docs_dir else None)
    uid = f"{suite.layer}.{suite.name}"
    for store in (ctx.validation_definitions, ctx.suites):
        try:
            store.delete(uid)
        except Exception:  # not there yet: GX raises different errors per store
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
    key = list(dict.fromkeys([c for c in suite.row_key if c in df.columns] + (["year"] if has_year else [])))
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": key} if key else {"result_format": "SUMMARY"}
    if key:
        # rows in a stable order (a query's row order is not): the same data gives the same
        # failing-row samples, so history and publications do not change when nothing did
        df = df.sort_values(key, kind="stable", na_position="first").reset_index(drop=True)
    result = validation.run(batch_parameters={"dataframe": _plain_frame(df)}, result_format=result_format)
    outcomes = []
    for r in result.results:
        cfg = r.expectation_config
        res = r.result or {}
        info = r.exception_info or {}
        if isinstance(info, dict) and info.get("raised_exception"):
            # an expectation that could not be evaluated fails with the reason, never silently
            raise RuntimeError(f"{suite.path}: expectation {cfg.type} ({json.dumps(cfg.kwargs, ensure_ascii=False, default=str)}) "
                               f"could not be evaluated: {info.get('exception_message')}")
        index_rows = res.get("unexpected_index_list")
        rows = index_rows if isinstance(index_rows, list) and index_rows and isinstance(index_rows[0], dict) else [
            {"value": v} for v in (res.get("partial_unexpected_list") or [])
        ]
        by_year, sample_by_year = None, {}
        if has_year and res.get("unexpected_count") is not None and isinstance(index_rows, list):
            by_year = {}
            for row in index_rows:
                y = _year(row.get("year")) if isinstance(row, dict) else None
                by_year[y] = by_year.get(y, 0) + 1
                if by_year[y] <= YEAR_SAMPLE and isinstance(row, dict):
                    sample_by_year.setdefault(y, []).append({k: (y if k == "year" else _plain(v)) for k, v in row.items()})
        sample = [{k: _plain(v) for k, v in row.items()} for row in rows[:SAMPLE_ROWS]]
        for row in sample:
            if "year" in row:
                row["year"] = _year(row["year"])
        outcomes.append(
            ExpectationOutcome(
                expectation=cfg.type, column=cfg.kwargs.get("column") or cfg.kwargs.get("column_A"),
                severity=(cfg.meta or {}).get("severity", "error"), success=bool(r.success),
                unexpected_count=res.get("unexpected_count"), observed=_plain(res.get("observed_value")),
                failing_rows=sample, failing_by_year=by_year, sample_by_year=sample_by_year, why=(cfg.meta or {}).get("why", ""),
            )
        )
    years = sorted({y for y in (_year(v) for v in df["year"].unique())} - {None}) if has_year else []
    out = SuiteResult(suite=suite, n_rows=len(df), outcomes=outcomes, years=years)
    if docs_dir:
        out.docs_index, out.docs_page = _build_docs(ctx, uid, Path(docs_dir))
    return out


def _build_docs(ctx, suite_uid: str, docs_dir: Path) -> tuple[Path, Path | None]:
    """Render this suite's newest validation and the suite into the site, and rebuild the index;
    the index and the validation's page. Only the new pages are rendered: re-rendering every
    stored validation on each check made the docs cost grow with the square of the checks run."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    keys = [k for k in ctx.validation_results_store.list_keys() if k.expectation_suite_identifier.name == suite_uid]
    newest = max(keys, key=lambda k: k.run_id.run_time) if keys else None
    resources = [ExpectationSuiteIdentifier(name=suite_uid)] + ([newest] if newest else [])
    ctx.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=resources)
    from jinchengtuo.quality.docs import localize_site

    localize_site(docs_dir)  # CDN stylesheets and scripts -> the vendored copies: the site works offline
    page = None
    if newest:
        urls = ctx.get_docs_sites_urls(resource_identifier=newest, site_name=DOCS_SITE)
        url = urls[0].get("site_url") if urls else None
        if url and url.startswith("file://"):
            from urllib.parse import unquote, urlparse

            page = Path(unquote(urlparse(url).path))
    return docs_dir / "index.html", page


def _plain_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A RangeIndex and no pandas extension dtypes (Int64, boolean, string): GX's comparisons fail on
    pd.NA, so nullable columns become object columns holding None."""
    out = df.reset_index(drop=True)
    for col in out.columns:
        if isinstance(out[col].dtype, pd.api.extensions.ExtensionDtype) and not isinstance(out[col].dtype, pd.DatetimeTZDtype):
            values = out[col].astype(object)
            out[col] = values.where(out[col].notna(), None)
    return out


def _plain(v):
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None  # JSON has no NaN: a missing value is null
    if v is pd.NA or v is pd.NaT:
        return None
    return v
