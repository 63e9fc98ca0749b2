"""Read what a publication needs from the warehouse marts (read-only), as pandas frames.

Everything published for a year comes from one `YearData`: the ranking frame (columns fixed by
the spec), capacity scores, indicator values with their imputation flags, the document
inventory, the street-year context measures, the framework and the data-quality summary.
The quality table (`quality.check_result`) is optional: without it the summary says "not run".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

CAPACITIES = ("EXE", "SRV", "DLB", "EMG", "SAF")
# the spec's columns, then what every published row must say about itself: whether and how it is
# ranked (coverage gates), how much rests on its own data, and whether the inputs are a sample
RANKING_COLUMNS = [
    "year", "street_code", "street_name", "district_name", "composite_score", "rank", "tier",
    *[f"score_{c}" for c in CAPACITIES], "rank_change", "methodology_version",
    "rank_status", "rank_note", "data_coverage", "n_imputed", "release_status", "is_sample_data",
]
MARTS = ("dim_street", "dim_indicator", "dim_capacity", "fct_street_year", "fct_indicator_value",
         "fct_capacity_score", "fct_composite_score", "fct_document_inventory", "fct_year_coverage", "dim_release_inputs")
QUALITY_COLUMNS = ["run_id", "check_name", "table_name", "severity", "passed", "failing_rows", "sample", "checked_at", "year"]


class PublicationInputError(RuntimeError):
    """The warehouse cannot be published from (missing file, mart or year)."""


class YearNotScored(PublicationInputError):
    """The warehouse has no scores at all for the year (no documents of that year in the sources)."""


@dataclass
class YearData:
    year: int
    ranking: pd.DataFrame  # RANKING_COLUMNS, ranked streets first by rank, then the unranked
    composite: pd.DataFrame  # fct_composite_score rows of the year (every street)
    capacity: pd.DataFrame  # fct_capacity_score rows of the year
    indicators: pd.DataFrame  # fct_indicator_value rows of the year
    inventory: pd.DataFrame  # fct_document_inventory rows of the year
    street_year: pd.DataFrame  # fct_street_year rows of the year
    history: pd.DataFrame  # fct_composite_score of every year up to this one (rank movement)
    capacity_history: pd.DataFrame  # fct_capacity_score of every year up to this one
    streets: pd.DataFrame  # dim_street
    dim_capacity: pd.DataFrame
    dim_indicator: pd.DataFrame
    quality: pd.DataFrame | None  # one row per check of the latest run, this year's results; None: not run
    release: dict = field(default_factory=dict)  # marts.fct_year_coverage row: release_status, release_reason, gates
    inputs: dict = field(default_factory=dict)  # marts.dim_release_inputs row: is_sample_data, synthetic_inputs, …
    warehouse: str = ""
    methodology_versions: list[str] = field(default_factory=list)
    # publication.chapters: chapter id -> what it read for this year (absent: its marts are not there)
    chapters: dict = field(default_factory=dict)
    # marts.dim_methodology: the full option set of the build (empty for a warehouse without it)
    methodology: pd.DataFrame = field(default_factory=pd.DataFrame)
    # marts.fct_indicator_year of the year: goalposts (scale_low, scale_high, scale_basis), coverage, weights
    indicator_year: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the method vintages of the year's releases (set by publication.release before rendering)
    vintages: list = field(default_factory=list)

    @property
    def is_sample(self) -> bool:
        return bool(self.inputs.get("is_sample_data"))

    @property
    def is_provisional(self) -> bool:
        return self.release.get("release_status") != "ranking"

    @property
    def methodology_version(self) -> str:
        return ", ".join(self.methodology_versions) or "unknown"

    def fingerprint(self) -> str:
        """A hash of every input the year's publication is made from (not of run times or ids)."""
        h = hashlib.sha256()
        frames = {
            "ranking": self.ranking, "composite": self.composite, "capacity": self.capacity,
            "indicators": self.indicators, "inventory": self.inventory.drop(columns=["extracted_at"], errors="ignore"),
            "street_year": self.street_year, "history": self.history, "streets": self.streets.drop(columns=["name_variants"], errors="ignore"),
            "dim_capacity": self.dim_capacity, "dim_indicator": self.dim_indicator,
            "quality": None if self.quality is None else self.quality.drop(columns=["run_id", "checked_at"], errors="ignore"),
            "release": pd.DataFrame([self.release]), "inputs": pd.DataFrame([self.inputs]),
            "methodology": self.methodology, "indicator_year": self.indicator_year,
        }
        for cid in sorted(self.chapters):
            for fname, frame in sorted(self.chapters[cid].frames.items()):
                frames[f"chapter:{cid}:{fname}"] = frame
        for name, df in frames.items():
            h.update(name.encode())
            if df is None:
                h.update(b"<none>")
                continue
            df = df.copy()
            for c in df.columns:  # lists and arrays are not hashable by to_csv in a stable way
                if df[c].dtype == object:
                    df[c] = df[c].map(lambda v: repr(list(v)) if hasattr(v, "__len__") and not isinstance(v, str) else v)
            # the rows as a set: their order from the warehouse is not part of the input
            lines = df.to_csv(index=False, float_format="%.9g").split("\n")
            h.update("\n".join(lines[:1] + sorted(lines[1:])).encode())
        return h.hexdigest()


def connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    path = Path(path)
    if not path.exists():
        raise PublicationInputError(f"{path}: no warehouse file (run `jinchengtuo refresh` first)")
    return duckdb.connect(str(path), read_only=True)


def _tables(con, schema: str) -> set[str]:
    rows = con.execute("select table_name from information_schema.tables where table_schema = ?", [schema]).fetchall()
    return {r[0] for r in rows}


def check_marts(con, where: str = "warehouse") -> None:
    missing = [m for m in MARTS if m not in _tables(con, "marts")]
    if missing:
        raise PublicationInputError(f"{where}: marts missing: {', '.join('marts.' + m for m in missing)} (has dbt built the warehouse?)")


def published_years(con) -> list[int]:
    """Years that have composite scores (one row per street), ascending."""
    return [int(r[0]) for r in con.execute("select distinct year from marts.fct_composite_score order by year").fetchall()]


def _df(con, sql: str, params=None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def quality_rows(con, year: int | None) -> pd.DataFrame | None:
    """The latest quality run's results for `year` (rows with a null year apply to all years)."""
    if "check_result" not in _tables(con, "quality"):
        return None
    cols = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema='quality' and table_name='check_result'").fetchall()}
    missing = [c for c in QUALITY_COLUMNS if c not in cols]
    if missing:
        raise PublicationInputError(f"quality.check_result: columns missing: {', '.join(missing)}")
    has_expectation = "expectation" in cols
    # the run that built this warehouse wrote the newest rows. One row per check: its results for
    # this year (a year-less row only for checks with no row of this year: facts without a year),
    # with how many expectations failed at each severity and the failing rows as an integer
    df = _df(con, f"""
        with latest as (
            select run_id from quality.check_result order by checked_at desc limit 1
        ),
        run_rows as (
            select * from quality.check_result where run_id = (select run_id from latest)
        ),
        has_year as (
            select distinct check_name from run_rows where year = ?
        ),
        rows_ as (
            select * from run_rows
            where year = ? or (year is null and check_name not in (select check_name from has_year))
        )
        select
            any_value(run_id) as run_id, check_name, string_agg(distinct table_name, ', ' order by table_name) as table_name,
            case when bool_or(not passed and severity = 'error') then 'error'
                 when bool_or(not passed and severity = 'warning') then 'warning'
                 when bool_or(severity = 'error') then 'error' else 'warning' end as severity,
            bool_and(passed) as passed,
            count(*) filter (where not passed and severity = 'error') as n_errors_failed,
            count(*) filter (where not passed and severity = 'warning') as n_warnings_failed,
            count(*) as n_results,
            coalesce(sum(coalesce(failing_rows, 0)) filter (where not passed), 0)::bigint as failing_rows,
            {"string_agg(distinct expectation, '; ' order by expectation) filter (where not passed)" if has_expectation else "null"} as failed_expectations,
            -- ordered to the last tie, so the same results always give the same summary
            first(sample order by passed, failing_rows desc nulls last, year nulls first{", expectation" if has_expectation else ""}, sample)
                filter (where not passed) as sample,
            max(checked_at) as checked_at, max(year) as year
        from rows_
        group by check_name
        order by passed, severity, table_name, check_name
    """, [year, year])
    for c in ("n_errors_failed", "n_warnings_failed", "n_results", "failing_rows"):
        df[c] = df[c].astype("int64")
    return df


def ranking_from_composite(composite: pd.DataFrame, capacity: pd.DataFrame, inputs: dict | None = None) -> pd.DataFrame:
    """The published ranking: one row per street of the year with the fixed columns."""
    wide = capacity.pivot_table(index=["street_code", "year"], columns="capacity", values="score", aggfunc="first")
    wide = wide.reindex(columns=list(CAPACITIES)).rename(columns={c: f"score_{c}" for c in CAPACITIES}).reset_index()
    df = composite.merge(wide, on=["street_code", "year"], how="left")
    df = df.sort_values(["rank", "street_code"], na_position="last", kind="stable")
    df = df.assign(n_imputed=df["n_indicators_imputed"], is_sample_data=bool((inputs or {}).get("is_sample_data")))
    out = df[RANKING_COLUMNS].copy()
    out["year"] = out["year"].astype("int64")
    for c in ("rank", "rank_change"):
        out[c] = out[c].astype("Int64")
    out["n_imputed"] = out["n_imputed"].astype("int64")
    for c in ["composite_score", *[f"score_{k}" for k in CAPACITIES]]:
        out[c] = out[c].astype("float64").round(2)
    out["data_coverage"] = out["data_coverage"].astype("float64").round(4)
    out["is_sample_data"] = out["is_sample_data"].astype(bool)
    return out.reset_index(drop=True)


def _row(con, sql: str, params) -> dict:
    df = _df(con, sql, params)
    if not len(df):
        return {}
    return {k: (None if (not isinstance(v, (list, dict)) and pd.isna(v)) else (v.item() if hasattr(v, "item") else v))
            for k, v in df.iloc[0].to_dict().items()}


def load_year(con, year: int, *, warehouse: str = "") -> YearData:
    check_marts(con, warehouse or "warehouse")
    years = published_years(con)
    if year not in years:
        raise YearNotScored(
            f"{warehouse or 'warehouse'}: no composite scores for {year} (years scored: {', '.join(map(str, years)) or 'none'})")
    composite = _df(con, "select * from marts.fct_composite_score where year = ? order by rank nulls last, street_code", [year])
    capacity = _df(con, """select c.* from marts.fct_capacity_score c left join marts.dim_capacity d using (capacity)
                           where year = ? order by street_code, d.sort_order""", [year])
    indicators = _df(con, "select * exclude (source_file_sha256s) from marts.fct_indicator_value where year = ? order by street_code, capacity, indicator_id", [year])
    inventory = _df(con, "select * from marts.fct_document_inventory where year = ? or (year is null and ? = (select max(year) from marts.fct_composite_score)) order by district_name, street_code, doc_type, source_path", [year, year])
    street_year = _df(con, "select * from marts.fct_street_year where year = ? order by street_code", [year])
    history = _df(con, "select street_code, street_name, district_name, year, composite_score, rank, tier, rank_change, is_ranked, methodology_version from marts.fct_composite_score where year <= ? order by year, street_code", [year])
    capacity_history = _df(con, "select street_code, year, capacity, score, rank from marts.fct_capacity_score where year <= ? order by year, street_code, capacity", [year])
    streets = _df(con, "select * from marts.dim_street order by street_code")
    dim_capacity = _df(con, "select * from marts.dim_capacity order by sort_order")
    dim_indicator = _df(con, "select * from marts.dim_indicator order by sort_order, indicator_id")
    versions = sorted(set(composite["methodology_version"].dropna().astype(str)))
    release = _row(con, "select * from marts.fct_year_coverage where year = ?", [year])
    inputs = _row(con, "select * from marts.dim_release_inputs where year = ?", [year])
    data = YearData(
        year=year, ranking=ranking_from_composite(composite, capacity, inputs), composite=composite, capacity=capacity,
        indicators=indicators, inventory=inventory, street_year=street_year, history=history,
        capacity_history=capacity_history, streets=streets, dim_capacity=dim_capacity, dim_indicator=dim_indicator,
        quality=quality_rows(con, year), release=release, inputs=inputs, warehouse=warehouse, methodology_versions=versions,
        methodology=(_df(con, "select * from marts.dim_methodology order by sort_order")
                     if "dim_methodology" in _tables(con, "marts") else pd.DataFrame()),
        indicator_year=_df(con, """select indicator_id, capacity, coverage, is_included, exclusion_reason, scale_low, scale_high,
                                   scale_basis, base_weight, normalisation from marts.fct_indicator_year where year = ?
                                   order by indicator_id""", [year]),
    )
    from jinchengtuo.publication import chapters

    for chapter in chapters.chapters():
        loaded = chapter.load(con, year)
        if loaded is not None:
            data.chapters[chapter.id] = loaded
    for chapter in chapters.chapters():  # extra ranking columns, after the fixed ones, in chapter order
        if chapter.id in data.chapters:
            extra = chapter.ranking_columns(data, data.chapters[chapter.id])
            if extra is not None and len(extra.columns) > 1:
                data.ranking = data.ranking.merge(extra, on="street_code", how="left", validate="one_to_one")
    return data


def panel_frame(con) -> pd.DataFrame:
    """All years, long form: one row per street, year and measure (composite or a capacity)."""
    check_marts(con)
    comp = _df(con, """
        select c.year, c.street_code, c.street_name, c.district_name, 'composite' as measure, '综合得分' as measure_zh,
               c.composite_score as score, c.rank, c.n_ranked::bigint as n_ranked, c.tier, c.rank_change, c.is_ranked,
               c.rank_status, c.data_coverage, c.n_indicators_imputed::bigint as n_imputed, c.release_status,
               coalesce(i.is_sample_data, false) as is_sample_data, c.methodology_version
        from marts.fct_composite_score c left join marts.dim_release_inputs i using (year)""")
    cap = _df(con, """
        select c.year, c.street_code, s.street_name, s.district_name, c.capacity as measure, c.capacity_name_zh as measure_zh,
               c.score, c.rank, c.n_ranked, null::varchar as tier, null::bigint as rank_change, c.rank is not null as is_ranked,
               k.rank_status, k.data_coverage, c.n_indicators_imputed::bigint as n_imputed, k.release_status,
               coalesce(i.is_sample_data, false) as is_sample_data, c.methodology_version
        from marts.fct_capacity_score c join marts.dim_street s using (street_code)
        join marts.fct_composite_score k using (street_code, year)
        left join marts.dim_release_inputs i using (year)""")
    df = pd.concat([comp, cap], ignore_index=True)
    # the statistical audit's rank interval of the composite rank (defs/audit.py), when the warehouse has it
    if "fct_rank_uncertainty" in _tables(con, "marts"):
        unc = _df(con, """select year, street_code, 'composite' as measure, rank_p05, rank_p95, rank_change_significant
                          from marts.fct_rank_uncertainty""")
        df = df.merge(unc, on=["year", "street_code", "measure"], how="left", validate="many_to_one")
    else:
        df = df.assign(rank_p05=pd.NA, rank_p95=pd.NA, rank_change_significant=pd.NA)
    df["rank_change_significant"] = df["rank_change_significant"].astype("boolean")
    order = {m: i for i, m in enumerate(["composite", *CAPACITIES])}
    df = df.assign(_o=df["measure"].map(order)).sort_values(["year", "_o", "rank", "street_code"], na_position="last").drop(columns="_o")
    df["score"] = df["score"].astype("float64").round(4)
    df["data_coverage"] = df["data_coverage"].astype("float64").round(4)
    for c in ("rank", "n_ranked", "rank_change", "n_imputed", "rank_p05", "rank_p95"):
        df[c] = df[c].astype("Int64")
    return df.reset_index(drop=True)
