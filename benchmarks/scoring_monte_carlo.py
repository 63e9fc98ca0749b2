"""How fast is the numpy reference index? (run by hand; prints figures, asserts nothing)

    .venv/bin/python benchmarks/scoring_monte_carlo.py [N_RUNS] [WAREHOUSE.duckdb]

Without a warehouse it scores the synthetic panel (74 streets × 5 years × 26 indicators). It
times N runs per method and a Monte Carlo loop that perturbs indicator and capacity weights
(Dirichlet around the expert weights), the workload of the rank-interval audit.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from jinchengtuo.scoring import Framework, Panel, ScoringOptions, aggregate, prepare, score
from jinchengtuo.scoring.framework import CAPACITIES


def synthetic_panel(fw: Framework, years=(2019, 2020, 2021, 2022, 2023)) -> Panel:
    from jinchengtuo.scoring.synthetic import make_synthetic_raw
    raw = make_synthetic_raw(list(years))
    rng = np.random.default_rng(0)
    scored = fw.scored
    values = rng.lognormal(0, 0.6, (len(years), len(raw.streets), len(scored)))
    values[rng.random(values.shape) < 0.1] = np.nan
    streets = raw.streets.sort_values("street_code")
    return Panel(np.array(years), streets.street_code.to_numpy(), streets.district_name.to_numpy(),
                 scored.indicator_id.to_numpy(), np.array([CAPACITIES.index(c) for c in scored.capacity]),
                 scored.direction.to_numpy(float), scored.default_weight.to_numpy(float), values,
                 np.ones((len(years), len(streets))))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    fw = Framework.load()
    if len(sys.argv) > 2:
        import duckdb
        from jinchengtuo.scoring import panel_from_warehouse
        con = duckdb.connect(sys.argv[2], read_only=True)
        panel = panel_from_warehouse(con, fw)
        con.close()
    else:
        panel = synthetic_panel(fw)
    print(f"panel: {panel.raw.shape[0]} years × {panel.raw.shape[1]} streets × {panel.raw.shape[2]} indicators")
    for opt in (ScoringOptions(), ScoringOptions(normalisation="minmax_year", aggregation="geometric"),
                ScoringOptions(normalisation="zscore", weighting="entropy"), ScoringOptions(weighting="critic")):
        score(panel, fw, opt)
        t = time.perf_counter()
        for _ in range(max(n // 10, 10)):
            score(panel, fw, opt)
        per = (time.perf_counter() - t) / max(n // 10, 10)
        print(f"{opt.normalisation:12s} {opt.weighting:8s} {opt.aggregation:10s} {per * 1000:7.2f} ms per run")
    rng = np.random.default_rng(1)
    ranks = np.empty((n,) + panel.raw.shape[:2])
    t = time.perf_counter()
    prepared = prepare(panel)  # screening → normalisation once; only the weights vary
    for k in range(n):
        w = rng.dirichlet(panel.default_weight * 20) * len(panel.default_weight)
        cw = rng.dirichlet(np.full(5, 20.0))
        ranks[k] = aggregate(prepared, fw, indicator_weights=w, capacity_weights=cw).rank
    elapsed = time.perf_counter() - t
    lo, hi = np.nanpercentile(ranks, [5, 95], axis=0)
    print(f"Monte Carlo: {n} runs in {elapsed:.2f} s ({elapsed / n * 1000:.2f} ms per run); "
          f"median 90% rank-interval width {np.nanmedian(hi - lo):.1f} places")


if __name__ == "__main__":
    main()
