"""How fast is the ranking audit, and how much memory does it take? (run by hand; prints figures,
asserts nothing)

    .venv/bin/python benchmarks/bench_audit.py [N_RUNS ...] [--units 74] [--years 5]
        [--warehouse WAREHOUSE.duckdb] [--no-sensitivity] [--no-coherence]

Default: synthetic indicator data (74 streets × 5 years × the framework's indicators, 10 %
missing) and the full uncertainty model of scoring/audit.py (weights ±25 %, four weighting
schemes, three normalisations, arithmetic / geometric / Copeland, imputation on/off, one
indicator dropped). Targets (issue 12): 1,000 runs under 10 s and 10,000 runs under a minute on 2
cores. Each size is timed end to end as the pipeline's asset does it (`Audit.run_summary`: the
runs streamed into the rank spill and summarised by blocks of units, the interval table with the
year-over-year significance, the convergence check of n/2 vs n runs) and reported as runs per
second beside its target.

--units N: a synthetic panel of N units (counties of ~15 units) — national scale is 41,352.
--warehouse: the panel of a built warehouse (marts.fct_indicator_value, e.g. a national-scope
build of benchmarks/bench_scale.py --scope national) under the method its marts were built with;
the audit's nominal ranks are checked against marts.fct_composite_score.rank. With --peer-groups the
same runs are also ranked within fct_peer_rank's groups (streets and towns apart, within city,
province and nation; marts.dim_unit), the nominal peer ranks checked against fct_peer_rank.rank,
and the median width of those intervals printed.
Peak RSS of this process is printed after each step (ru_maxrss: the high-water mark so far).
The machine's load average is printed: on a shared machine the figures are upper bounds of what
the code costs.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

# the products are small (74 streets × 26 indicators × a chunk of runs): one BLAS thread per
# process is fastest, and multi-threaded BLAS on a loaded 2-core machine thrashes (measured
# 1.4 s vs 5.3 s for 1,000 runs). Set before numpy loads; override from the environment.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from jinchengtuo.scoring import Framework, Panel  # noqa: E402
from jinchengtuo.scoring.audit import (Audit, AuditConfig, coherence_tables, convergence_by_year,  # noqa: E402
                                       sensitivity_table, uncertainty_table)
from jinchengtuo.scoring.framework import CAPACITIES  # noqa: E402

TARGETS = {1000: 10.0, 10000: 60.0}  # runs -> seconds (issue 12, 2 cores, 74 streets)
YEARS = (2019, 2020, 2021, 2022, 2023)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_panel(fw: Framework, n_streets: int = 74, n_years: int = 5) -> Panel:
    rng = np.random.default_rng(0)
    sc = fw.scored
    # 5 years: 2019–2023; fewer: from 2021 on (the national corpus's years; 2021 is a goalpost reference year)
    years = YEARS if n_years == len(YEARS) else tuple(range(2021, 2021 + n_years))
    values = rng.lognormal(0, 0.6, (len(years), n_streets, len(sc)))
    values[rng.random(values.shape) < 0.1] = np.nan
    n_districts = 10 if n_streets <= 74 else max(10, n_streets // 15)
    return Panel(np.array(years), np.array([f"S{k:05d}" if n_streets > 999 else f"S{k:03d}" for k in range(n_streets)]),
                 np.array([f"D{k % n_districts}" for k in range(n_streets)]), sc.indicator_id.to_numpy(),
                 np.array([CAPACITIES.index(c) for c in sc.capacity]), sc.direction.to_numpy(float),
                 sc.default_weight.to_numpy(float), values, np.full((len(years), n_streets), 5.0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="*", type=int, help="Monte Carlo sizes (default: 1,000, the default, 10,000)")
    ap.add_argument("--units", type=int, default=74)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--warehouse", help="audit the panel of this built warehouse instead of a synthetic one")
    ap.add_argument("--no-sensitivity", action="store_true")
    ap.add_argument("--no-coherence", action="store_true")
    ap.add_argument("--sobol-base", type=int, default=AuditConfig().sobol_base_samples)
    ap.add_argument("--peer-groups", action="store_true", help="with --warehouse: intervals of fct_peer_rank's ranks too")
    args = ap.parse_args()
    sizes = args.runs or sorted({1000, AuditConfig().n_runs, 10000})  # the targets and the default
    fw = Framework.load()
    options, composite = None, None
    t = time.perf_counter()
    if args.warehouse:
        import duckdb

        from jinchengtuo.scoring.audit import options_from_methodology_version
        from jinchengtuo.scoring.index import panel_from_warehouse

        with duckdb.connect(args.warehouse, read_only=True) as con:
            composite = con.execute("select year, street_code, rank, methodology_version from marts.fct_composite_score").df()
            panel = panel_from_warehouse(con, fw)
            if args.peer_groups:
                units = con.execute("select unit_code, peer_kind, city_code, province_code from marts.dim_unit").df()
                peer = con.execute("select unit_code, year, peer_level, rank from marts.fct_peer_rank").df()
        options = options_from_methodology_version(sorted(set(composite["methodology_version"].astype(str)))[0], fw.version)
        source = f"warehouse {args.warehouse}"
    else:
        panel = synthetic_panel(fw, args.units, args.years)
        source = "synthetic"
    print(f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}; load average {os.getloadavg()[0]:.1f}")
    print(f"panel ({source}): {panel.raw.shape[0]} years × {panel.raw.shape[1]} units × {panel.raw.shape[2]} indicators "
          f"in {time.perf_counter() - t:.1f} s; peak RSS {peak_mib():.0f} MiB")
    cfg = AuditConfig(sobol_base_samples=args.sobol_base)
    t = time.perf_counter()
    audit = Audit(panel, fw, options, config=cfg)
    print(f"setup (prepare × normalisations, scheme weights): {time.perf_counter() - t:.2f} s; ranked a year "
          f"{audit.nominal.n_ranked.tolist()}; {audit.runs_per_chunk} runs a chunk; notes: {audit.notes or 'none'}; "
          f"peak RSS {peak_mib():.0f} MiB")
    groups = {}
    if args.warehouse and args.peer_groups:
        u = units.set_index("unit_code").loc[panel.street_codes]
        groups = {"city": (u.peer_kind + ":city:" + u.city_code).to_numpy(),
                  "province": (u.peer_kind + ":province:" + u.province_code).to_numpy(),
                  "national": (u.peer_kind + ":national:CN").to_numpy()}
    for n in sizes:
        t = time.perf_counter()
        summary = audit.run_summary(n, groups=groups)
        t_runs = time.perf_counter() - t
        unc = uncertainty_table(audit, summary)
        conv_y = convergence_by_year(audit, summary)
        el = time.perf_counter() - t
        if composite is not None:
            from jinchengtuo.defs.audit import check_nominal_ranks

            check_nominal_ranks(unc, composite, sorted(int(y) for y in composite["year"].unique()))
        width = (unc.rank_p95 - unc.rank_p05).median()
        target = TARGETS.get(n) if panel.raw.shape[1] <= 74 else None
        verdict = "" if target is None else f"; target < {target:.0f} s: {'met' if el < target else 'MISSED'}"
        print(f"uncertainty: {n:6d} runs in {el:6.2f} s ({t_runs:.2f} s the runs) = {n / el:7.1f} runs/s{verdict}; "
              f"median 90% interval width {width:.0f} places; convergence {n // 2} vs {n} runs: max |Δp05| "
              f"{conv_y.convergence_max_change_p05.max():.0f}, max |Δp95| {conv_y.convergence_max_change_p95.max():.0f} places; "
              f"ranks {'spilled to disk' if summary.on_disk else 'in memory'} ({summary.block_units} units a block); "
              f"peak RSS {peak_mib():.0f} MiB" + ("; nominal ranks = fct_composite_score.rank" if composite is not None else ""))
        if groups:
            from jinchengtuo.scoring.audit import group_uncertainty_table

            for level, codes in groups.items():
                g = group_uncertainty_table(audit, summary, level, codes)
                m = g.merge(peer[peer.peer_level == level], left_on=["street_code", "year"], right_on=["unit_code", "year"], how="left")
                same = int((m["rank"].astype("float64") == m["nominal_rank"].astype("float64")).sum())
                print(f"    peer ranks, {level}: {g.group_code.nunique()} groups, median {g.n_in_group.median():.0f} units ranked a group; "
                      f"median 90% interval width {(g.rank_p95 - g.rank_p05).median():.0f} places "
                      f"({((g.rank_p95 - g.rank_p05) / g.n_in_group).median():.1%} of the group); "
                      f"nominal = fct_peer_rank.rank for {same} of {len(g)} unit-years")
    if not args.no_sensitivity:
        t = time.perf_counter()
        sens = sensitivity_table(audit)
        n_sobol = audit.config.sobol_base_samples * (len(audit.factor_groups()) + 2)
        print(f"sensitivity: Sobol' ({n_sobol} runs) + drop-one-indicator in {time.perf_counter() - t:.2f} s; "
              f"peak RSS {peak_mib():.0f} MiB")
        print(sens[sens.analysis == "sobol"].groupby("factor")[["first_order", "total_order"]].mean().round(3).to_string())
    if not args.no_coherence:
        t = time.perf_counter()
        coherence_tables(audit.coherence())
        print(f"coherence: {time.perf_counter() - t:.2f} s; peak RSS {peak_mib():.0f} MiB")
    print(f"load average after: {os.getloadavg()[0]:.1f} (2 cores, shared with other work: figures are upper bounds)")


if __name__ == "__main__":
    main()
