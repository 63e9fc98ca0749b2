"""The statistical audit of every ranking (issue 12) as one Dagster multi-asset partitioned by year.

Downstream of the dbt marts, upstream of `warehouse_release`: it reads the run's build copy of the
warehouse, rebuilds the panel of raw indicator values (`scoring.index.panel_from_warehouse`, every
year the warehouse scored: goalposts and imputation span years, so the audit always sees the
whole panel), runs the Monte Carlo uncertainty analysis, the Sobol' and drop-one sensitivity
analysis and the coherence analysis (`scoring/audit.py`), and replaces the rows of the run's
partition years in these marts of the build (delete + insert; the other years' rows stay):

    marts.fct_rank_uncertainty      one row per ranked street-year: nominal, median, p05, p95, mean rank
    marts.fct_sensitivity           Sobol' first/total order per factor, drop-one-indicator rank changes
    marts.fct_indicator_coherence   per indicator: nominal vs effective weight, correlation flags
    marts.fct_capacity_coherence    per capacity: Cronbach's alpha, effective vs nominal weight
    marts.fct_indicator_correlation every pair of indicators: Pearson r, flags
    marts.fct_audit_summary         per year: runs, seed, what was varied, the convergence check

The nominal method is the one the marts were built with (their methodology_version); the audit's
nominal ranks must equal marts.fct_composite_score.rank, or the step fails naming the streets.
The audited rank is that published rank for every scope (outside Shenzhen: the rank among all the
scope's ranked units, as fct_composite_score ranks them). Memory is bounded whatever the number
of units: the runs are evaluated in chunks and summarised by blocks of units (`Audit.run_summary`,
ranks spilled to temporary files past `AuditConfig.memory_budget_mib`); above
`copeland_max_units` ranked units a year the Copeland aggregation is left out, as the summary's
`variations` records.
The audit's GX suites (expectations/marts/fct_rank_uncertainty.json, …) are asset checks on these
assets and run before the release like every other suite.
"""


import contextlib
import time

import dagster as dg
import pandas as pd

from jinchengtuo.defs.partitions import year_partitions
from jinchengtuo.defs.resources import WRITER_POOL, WarehouseResource
from jinchengtuo.scoring.audit import AuditConfig

_DEFAULT = AuditConfig()

TABLES = {
    "fct_rank_uncertainty": "Every ranked street's rank distribution per year over the Monte Carlo runs of reasonable "
                            "method choices: nominal, median, 5th and 95th percentile and mean rank; whether the change "
                            "since the previous year is significant (the 90% intervals do not overlap). Unranked streets "
                            "have no row.",
    "fct_sensitivity": "Which method choice moves the ranks most: first- and total-order Sobol' indices of the mean "
                       "absolute rank shift (SALib), and the mean absolute rank change when each indicator is dropped.",
    "fct_indicator_coherence": "Per year and indicator: nominal vs effective weight (share of r² with its capacity "
                               "score), the largest |r| with another indicator, flags for |r| > 0.9 and for negative "
                               "correlations inside a capacity.",
    "fct_capacity_coherence": "Per year and capacity: Cronbach's alpha and the capacity's effective vs nominal weight "
                              "in the composite.",
    "fct_indicator_correlation": "Per year, every pair of scored indicators: Pearson r over the streets reporting both, "
                                 "with its flag.",
    "fct_audit_summary": "Per audited year: the number of runs, the seed, what the Monte Carlo varied, and the "
                         "convergence check (intervals of the first half of the runs vs all of them).",
}
DBT_DEPS = [dg.AssetKey(["marts", m]) for m in ("fct_composite_score", "fct_indicator_value", "dim_street", "dim_indicator")]


class AuditRunConfig(dg.Config):
    """The audit's settings (launchpad): the number of Monte Carlo runs, the seed, the Sobol' base
    sample (a power of 2; runs = base × (factors + 2)) and the weight perturbation."""

    n_runs: int = _DEFAULT.n_runs
    seed: int = _DEFAULT.seed
    sobol_base_samples: int = _DEFAULT.sobol_base_samples
    weight_noise: float = _DEFAULT.weight_noise


@contextlib.contextmanager
def one_blas_thread():
    """The audit's products are small: one BLAS thread is fastest (benchmarks/bench_audit.py), and
    multi-threaded BLAS thrashes on a loaded 2-core machine."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # without threadpoolctl the BLAS keeps its threads (OPENBLAS_NUM_THREADS=1 before start)
        yield "unchanged (threadpoolctl not installed)"
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield "1"


def replace_years(con, table: str, df: pd.DataFrame, years: list[int]) -> int:
    """Replace the rows of `years` in marts.<table> by `df` (the other years' rows stay)."""
    con.execute("create schema if not exists marts")
    exists = con.execute("select count(*) from information_schema.tables where table_schema = 'marts' and table_name = ?",
                         [table]).fetchall()[0][0]
    con.register("_audit_new", df)
    try:
        if exists:
            con.execute(f"create or replace table marts.{table} as select * from marts.{table} "
                        f"where year not in (select unnest(?::integer[])) union all by name select * from _audit_new "
                        f"order by all", [list(years)])
        else:
            con.execute(f"create table marts.{table} as select * from _audit_new order by all")
    finally:
        con.unregister("_audit_new")
    return int(con.execute(f"select count(*) from marts.{table} where year in (select unnest(?::integer[]))",
                           [list(years)]).fetchall()[0][0])


def check_nominal_ranks(uncertainty: pd.DataFrame, composite: pd.DataFrame, years: list[int]) -> None:
    """The audit's nominal ranks (numpy reference scorer) must be the published dbt ranks."""
    dbt_ranks = composite[composite["year"].isin(years)][["year", "street_code", "rank"]]
    ours = uncertainty[uncertainty["year"].isin(years)][["year", "street_code", "nominal_rank"]]
    m = dbt_ranks.merge(ours, on=["year", "street_code"], how="outer")
    a, b = m["rank"], m["nominal_rank"]
    bad = m[(a.isna() != b.isna()) | (a.notna() & b.notna() & (a.astype("float64") != b.astype("float64")))]
    if len(bad):
        listed = "; ".join(f"{r.year} {r.street_code}: dbt rank {r.rank}, audit nominal rank {r.nominal_rank}"
                           for r in bad.head(20).itertuples())
        raise ValueError(f"the audit's nominal ranking differs from marts.fct_composite_score for {len(bad)} street-year(s) "
                         f"(the numpy reference scorer and the dbt models disagree, or the method was not read back "
                         f"from methodology_version): {listed}")


@dg.multi_asset(
    specs=[dg.AssetSpec(["marts", t], description=d, group_name="audit", kinds={"duckdb"}, deps=DBT_DEPS)
           for t, d in TABLES.items()],
    partitions_def=year_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WRITER_POOL,
    name="statistical_audit",
)
def statistical_audit(context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: AuditRunConfig):
    from jinchengtuo.scoring import Framework
    from jinchengtuo.scoring import audit as A
    from jinchengtuo.scoring.index import panel_from_warehouse

    wanted = sorted(int(k) for k in context.partition_keys)
    t0 = time.perf_counter()
    framework = Framework.load()
    with warehouse.write(context.run.run_id) as con:
        composite = con.execute("select year, street_code, rank, methodology_version from marts.fct_composite_score").df()
        scored = sorted(int(y) for y in composite["year"].unique())
        years = [y for y in wanted if y in scored]
        versions = sorted(set(composite["methodology_version"].dropna().astype(str)))
        frames: dict[str, pd.DataFrame] = {}
        summary_md = "no year of the run has scores: nothing audited"
        metadata: dict = {}
        if years:
            if len(versions) != 1:
                raise ValueError(f"marts.fct_composite_score carries {len(versions)} methodology versions ({versions}): "
                                 "the audit needs the one method every year was scored with")
            options = A.options_from_methodology_version(versions[0], framework.version)
            cfg = AuditConfig(n_runs=config.n_runs, seed=config.seed, sobol_base_samples=config.sobol_base_samples,
                              weight_noise=config.weight_noise)
            panel = panel_from_warehouse(con, framework)
            with one_blas_thread() as blas:
                context.log.info(f"progress: audit of {', '.join(map(str, years))}: {cfg.n_runs} runs, seed {cfg.seed} "
                                 f"({panel.raw.shape[1]} streets × {panel.raw.shape[0]} years × {panel.raw.shape[2]} indicators)")
                audit = A.Audit(panel, framework, options, cfg)
                t = time.perf_counter()
                ranks = audit.run_summary()
                t_mc = time.perf_counter() - t
                unc = A.uncertainty_table(audit, ranks)
                check_nominal_ranks(unc, composite, years)
                conv = A.convergence_by_year(audit, ranks)
                t = time.perf_counter()
                sens = A.sensitivity_table(audit)
                t_sens = time.perf_counter() - t
                coh = A.coherence_tables(audit.coherence())
            n_sobol = cfg.sobol_base_samples * (len(audit.factor_groups()) + 2)
            summary = conv.assign(
                methodology_version=versions[0], n_runs=cfg.n_runs, seed=cfg.seed, weight_noise=cfg.weight_noise,
                sobol_base_samples=cfg.sobol_base_samples, n_sobol_runs=n_sobol,
                variations="; ".join([A.describe_variations(audit.config), *audit.notes]),
                n_ranked=[int(n) for n in audit.nominal.n_ranked])
            frames = {"fct_rank_uncertainty": unc, "fct_sensitivity": sens,
                      "fct_indicator_coherence": coh["indicator_coherence"],
                      "fct_capacity_coherence": coh["capacity_coherence"],
                      "fct_indicator_correlation": coh["indicator_correlation"], "fct_audit_summary": summary}
            mine = summary[summary["year"].isin(years)]
            summary_md = "\n".join(
                f"- {r.year}: {r.n_ranked} ranked; intervals at {r.convergence_runs_half} vs {cfg.n_runs} runs: max |Δp05| "
                f"{r.convergence_max_change_p05:g}, max |Δp95| {r.convergence_max_change_p95:g} places"
                for r in mine.itertuples())
            metadata = {"n_runs": cfg.n_runs, "seed": cfg.seed, "n_sobol_runs": n_sobol, "blas_threads": blas,
                        "methodology_version": versions[0], "monte_carlo_seconds": round(t_mc, 2),
                        "sensitivity_seconds": round(t_sens, 2), "units": int(panel.raw.shape[1]),
                        "runs_per_chunk": audit.runs_per_chunk, "ranks_spilled_to_disk": bool(ranks.on_disk),
                        "notes": "; ".join(audit.notes) or "none",
                        "runs_per_second": round(cfg.n_runs / t_mc, 1) if t_mc > 0 else None,
                        "convergence_max_change_p05": float(mine["convergence_max_change_p05"].max()),
                        "convergence_max_change_p95": float(mine["convergence_max_change_p95"].max()),
                        "convergence": dg.MetadataValue.md(summary_md)}
        counts = {}
        for table in TABLES:
            df = frames.get(table)
            if df is None:
                # nothing to audit in the run's years: their old rows go (a year that lost its scores has no audit)
                exists = con.execute("select count(*) from information_schema.tables where table_schema = 'marts' "
                                     "and table_name = ?", [table]).fetchall()[0][0]
                if exists:
                    con.execute(f"delete from marts.{table} where year in (select unnest(?::integer[]))", [wanted])
                counts[table] = 0
                continue
            counts[table] = replace_years(con, table, df[df["year"].isin(years)].reset_index(drop=True), wanted)
    context.log.info(f"progress: audit done in {time.perf_counter() - t0:.1f}s: " + summary_md.replace("\n", " "))
    for table in TABLES:
        yield dg.MaterializeResult(asset_key=["marts", table],
                                   metadata={"dagster/row_count": counts[table], "years": ", ".join(map(str, years)) or "none",
                                             **(metadata if table in ("fct_rank_uncertainty", "fct_audit_summary") else {})})


defs = dg.Definitions(assets=[statistical_audit])
