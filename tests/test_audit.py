"""The statistical audit (scoring/audit.py) against cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from jinchengtuo.scoring import Framework, Panel, ScoringOptions
from jinchengtuo.scoring.audit import (Audit, AuditConfig, meaningful_difference, significant_rank_changes,
                                       sobol_indices)
from jinchengtuo.scoring.framework import CAPACITIES

YEARS = (2019, 2020, 2021, 2022, 2023)


@pytest.fixture(scope="module")
def fw() -> Framework:
    return Framework.load()


def make_panel(fw: Framework, n_streets=30, seed=0, missing=0.05, dominant: int | None = None) -> Panel:
    rng = np.random.default_rng(seed)
    sc = fw.scored
    values = rng.uniform(10, 20, (len(YEARS), n_streets, len(sc)))
    values[rng.random(values.shape) < missing] = np.nan
    direction = sc.direction.to_numpy(float)
    if dominant is not None:  # strictly best on every indicator, every year
        values[:, dominant, :] = np.where(direction > 0, 25.0, 5.0)
    codes = np.array([f"S{k:03d}" for k in range(n_streets)])
    districts = np.array([f"D{k % 4}" for k in range(n_streets)])
    return Panel(np.array(YEARS), codes, districts, sc.indicator_id.to_numpy(),
                 np.array([CAPACITIES.index(c) for c in sc.capacity]), direction, sc.default_weight.to_numpy(float),
                 values, np.full((len(YEARS), n_streets), 5.0))


@pytest.mark.parametrize("opt", [ScoringOptions(), ScoringOptions(normalisation="zscore", aggregation="geometric"),
                                 ScoringOptions(normalisation="minmax_year", weighting="entropy")])
def test_zero_perturbation_collapses_to_nominal_rank(fw, opt):
    panel = make_panel(fw)
    audit = Audit(panel, fw, opt, AuditConfig.fixed(opt, n_runs=20))
    u = audit.rank_uncertainty()
    ranked = u["nominal_rank"].notna()
    assert ranked.sum() > 0
    for col in ("median_rank", "rank_p05", "rank_p95"):
        np.testing.assert_array_equal(u.loc[ranked, col].to_numpy(), u.loc[ranked, "nominal_rank"].to_numpy())


def test_perturbation_widens_some_intervals_and_they_contain_the_median(fw):
    audit = Audit(make_panel(fw), fw, config=AuditConfig(n_runs=200, seed=3))
    u = audit.rank_uncertainty()
    assert (u["rank_p95"] - u["rank_p05"]).max() > 0
    assert ((u["rank_p05"] <= u["median_rank"]) & (u["median_rank"] <= u["rank_p95"])).all()


@pytest.mark.parametrize("aggregations", [("arithmetic",), ("geometric",), ("copeland",),
                                          ("arithmetic", "geometric", "copeland")])
def test_dominating_street_is_first_in_every_run(fw, aggregations):
    panel = make_panel(fw, dominant=7, missing=0.0)
    audit = Audit(panel, fw, config=AuditConfig(n_runs=150, seed=11, aggregations=aggregations))
    ranks = audit.run()
    assert (ranks[:, :, 7] == 1).all()
    # the others really move (the runs differ), and nobody else shares first place
    assert (np.nanmax(ranks[:, :, np.arange(30) != 7], axis=0) > np.nanmin(ranks[:, :, np.arange(30) != 7], axis=0)).any()
    assert ((ranks == 1).sum(2) == 1).all()


def test_unranked_street_gets_no_interval(fw):
    panel = make_panel(fw)
    panel.n_documents[2, 4] = 0  # fails the street document gate in 2021
    audit = Audit(panel, fw, config=AuditConfig(n_runs=50))
    u = audit.rank_uncertainty().set_index(["street_code", "year"])
    row = u.loc[("S004", 2021)]
    assert np.isnan(row["nominal_rank"]) and np.isnan(row["rank_p05"]) and np.isnan(row["rank_p95"])
    assert row["n_runs"] == 0
    assert np.isfinite(u.loc[("S004", 2020), "rank_p05"])


def test_same_seed_same_result_other_seed_differs(fw):
    panel = make_panel(fw)
    a = Audit(panel, fw, config=AuditConfig(n_runs=100, seed=5)).rank_uncertainty()
    b = Audit(panel, fw, config=AuditConfig(n_runs=100, seed=5)).rank_uncertainty()
    c = Audit(panel, fw, config=AuditConfig(n_runs=100, seed=6)).run()
    assert a.equals(b)
    assert not np.array_equal(Audit(panel, fw, config=AuditConfig(n_runs=100, seed=5)).run(), c, equal_nan=True)


def test_convergence_reports_interval_changes(fw):
    conv = Audit(make_panel(fw), fw, config=AuditConfig(n_runs=100, seed=2)).convergence()
    assert conv["n_runs"] == 100
    assert 0 <= conv["max_change_p05"] < 30 and 0 <= conv["max_change_p95"] < 30


def test_sobol_ishigami_matches_analytic_values():
    a, b = 7.0, 0.1

    def ishigami(X):
        x = -np.pi + 2 * np.pi * X
        return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])

    v = a ** 2 / 8 + b * np.pi ** 4 / 5 + b ** 2 * np.pi ** 8 / 18 + 0.5
    v1 = 0.5 * (1 + b * np.pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * np.pi ** 8 * (1 / 18 - 1 / 50)
    expected_s1 = [v1 / v, v2 / v, 0.0]
    expected_st = [(v1 + v13) / v, v2 / v, v13 / v]
    si = sobol_indices(ishigami, ["x1", "x2", "x3"], 2 ** 13, seed=1)[0]
    for k, name in enumerate(["x1", "x2", "x3"]):
        assert si[name]["first_order"] == pytest.approx(expected_s1[k], abs=0.03)
        assert si[name]["total_order"] == pytest.approx(expected_st[k], abs=0.03)


def test_sobol_grouped_linear_model_matches_analytic_values():
    """Y = 1·X0 + 2·X1 + 3·X2 with X uniform: S_i = a_i² / Σa², and X1, X2 as one group."""
    coef = np.array([1.0, 2.0, 3.0])
    si = sobol_indices(lambda X: X @ coef, ["a", "bc", "bc"], 2 ** 12, seed=4)[0]
    assert si["a"]["first_order"] == pytest.approx(1 / 14, abs=0.02)
    assert si["bc"]["first_order"] == pytest.approx(13 / 14, abs=0.02)
    assert si["bc"]["total_order"] == pytest.approx(13 / 14, abs=0.02)


def test_sensitivity_through_the_audit(fw):
    audit = Audit(make_panel(fw), fw, config=AuditConfig(sobol_base_samples=32, seed=1))
    sens = audit.sensitivity()
    sob = sens[sens["analysis"] == "sobol"]
    assert set(sob["factor"]) == {"weights", "weighting", "normalisation", "aggregation", "imputation", "dropped_indicator"}
    assert set(sob["year"]) == set(YEARS)
    drop = sens[sens["analysis"] == "drop_one_indicator"]
    assert len(drop) == len(YEARS) * len(fw.scored)
    assert (drop["mean_abs_rank_change"] >= 0).all() and (drop["mean_abs_rank_change"] > 0).any()


def test_options_that_cannot_be_applied_fail_with_their_name(fw):
    for kw, name in (({"aggregations": ("borda",)}, "aggregations"), ({"normalisations": ("rank",)}, "normalisations"),
                     ({"weightings": ()}, "weightings"), ({"weight_noise": 1.2}, "weight_noise"),
                     ({"n_runs": 0}, "n_runs"), ({"sobol_base_samples": 100}, "sobol_base_samples")):
        with pytest.raises(ValueError, match=name):
            AuditConfig(**kw)
    audit = Audit(make_panel(fw), fw, ScoringOptions(weighting="critic"), AuditConfig(weightings=("expert", "equal")))
    with pytest.raises(ValueError, match="weightings"):
        audit.sensitivity()


def test_coherence_flags_and_alpha(fw):
    panel = make_panel(fw, missing=0.0)
    sc = fw.scored
    caps = sc.capacity.to_numpy()
    i, j = np.flatnonzero(caps == "EXE")[:2]
    panel.raw[:, :, j] = panel.raw[:, :, i] * (1 if sc.direction[i] == sc.direction[j] else -1) + 100
    coh = Audit(panel, fw, config=AuditConfig(n_runs=10)).coherence()
    pair = coh[(coh.measure == "correlation") & (coh.indicator_id == sc.indicator_id[i])
               & (coh.other_indicator_id == sc.indicator_id[j])]
    assert (pair["value"] > 0.99).all() and (pair["flag"] == "high_correlation").all()
    alpha = coh[coh.measure == "cronbach_alpha"]
    assert set(alpha["capacity"]) == set(CAPACITIES)
    eff = coh[(coh.measure == "effective_weight") & coh.indicator_id.notna()]
    assert np.allclose(eff.groupby(["year", "capacity"])["value"].sum(), 1.0)


def test_significance_needs_non_overlapping_intervals():
    import pandas as pd
    u = pd.DataFrame({"street_code": ["A", "A", "A", "B", "B"], "year": [2021, 2022, 2023, 2022, 2023],
                      "nominal_rank": [10, 2, 4, 5, np.nan], "median_rank": [10, 2, 4, 5, np.nan],
                      "rank_p05": [8, 1, 2, 3, np.nan], "rank_p95": [12, 3, 6, 7, np.nan], "n_runs": [100] * 4 + [0]})
    s = significant_rank_changes(u).set_index(["street_code", "year"])["rank_change_significant"]
    assert s[("A", 2022)] == True  # noqa: E712  [8,12] vs [1,3]
    assert s[("A", 2023)] == False  # noqa: E712  [1,3] vs [2,6]
    assert s.isna()[("A", 2021)] and s.isna()[("B", 2023)]


def test_meaningful_difference_sentence(fw):
    import pandas as pd
    n = 10  # intervals of ±1 place: ranks 3 apart never overlap, 2 apart touch
    u = pd.DataFrame({"street_code": [f"S{k}" for k in range(n)], "year": 2023, "nominal_rank": np.arange(1, n + 1),
                      "rank_p05": np.arange(1, n + 1) - 1, "rank_p95": np.arange(1, n + 1) + 1, "n_runs": 100})
    out = meaningful_difference(u, 2023)
    assert out["gap"] == 3 and out["median_width"] == 2
    assert "3" in out["sentence"] and "2023" in out["sentence"]


# ---- scale (issue 14): sorted ranks, chunked runs, the rank spill ----------------------------------

def test_sorted_competition_ranks_equal_the_pairwise_definition():
    from jinchengtuo.scoring.audit import _competition_ranks, _competition_ranks_pairwise
    from jinchengtuo.scoring.index import _competition_rank, _competition_rank_pairwise

    rng = np.random.default_rng(4)
    for trial in range(200):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 40)))
        # few distinct values (ties, also within 1e-6), NaN and ineligible units
        score = np.round(rng.uniform(0, 3, shape), int(rng.integers(0, 3))) + rng.choice([0.0, 1e-8, 4e-7], shape)
        score[rng.random(shape) < 0.1] = np.nan
        eligible = rng.random(shape[1:]) < rng.uniform(0.2, 1.0)
        np.testing.assert_array_equal(_competition_ranks(score, eligible[None]), _competition_ranks_pairwise(score, eligible[None]))
        groups = None if trial % 2 else rng.choice(np.array(["a", "b", "c"]), shape[2])
        ok = eligible & np.isfinite(score[0])
        for a, b in zip(_competition_rank(score[0], ok, groups), _competition_rank_pairwise(score[0], ok, groups)):
            np.testing.assert_array_equal(a, b)


def _tables(audit, ranks):
    from jinchengtuo.scoring.audit import convergence_by_year, uncertainty_table

    return uncertainty_table(audit, ranks), convergence_by_year(audit, ranks)


@pytest.mark.parametrize("aggregations", [AuditConfig().aggregations, ("arithmetic", "geometric")])
def test_streamed_summary_equals_the_dense_runs(fw, aggregations):
    """The pipeline's run_summary (chunks of runs, ranks spilled by blocks of units) gives exactly
    the tables of the dense (runs × years × units) ranks, in memory and on disk, and the chunk size
    set by the memory budget does not change a rank."""
    import pandas as pd

    panel = make_panel(fw, n_streets=30, missing=0.1)
    base = AuditConfig(n_runs=80, seed=9, aggregations=aggregations)
    dense = Audit(panel, fw, config=base)
    ranks = dense.run()
    want = _tables(dense, ranks)
    for budget in (512, 0.02):  # 0.02 MiB: one run a chunk, the ranks on disk in blocks of units
        audit = Audit(panel, fw, config=replace_cfg(base, memory_budget_mib=budget))
        summary = audit.run_summary()
        assert summary.on_disk == (budget < 1) and (summary.block_units < 30) == (budget < 1)
        assert (audit.runs_per_chunk < base.chunk_runs) == (budget < 1)
        np.testing.assert_array_equal(audit.run(), ranks)  # chunking does not change a rank
        for got, exp in zip(_tables(audit, summary), want):
            pd.testing.assert_frame_equal(got, exp)
    # the sensitivity reduces each chunk (never all ranks) to the same values
    small = Audit(panel, fw, config=replace_cfg(base, memory_budget_mib=0.02, sobol_base_samples=8))
    big = Audit(panel, fw, config=replace_cfg(base, sobol_base_samples=8))
    pd.testing.assert_frame_equal(small.sensitivity(), big.sensitivity())


def replace_cfg(cfg, **kw):
    from dataclasses import replace

    return replace(cfg, **kw)


def test_summary_memory_is_bounded_by_the_budget_not_the_runs(fw):
    """The dense ranks of 1,200 runs × 2 years × 300 units are 5.8 MB; the summary's peak of traced
    allocations stays near the 0.75 MiB budget (one chunk of runs, one block of units: ~1.9 MB
    measured) and does not grow with the runs."""
    import tracemalloc

    sc = fw.scored
    rng = np.random.default_rng(1)
    S, years = 300, np.array([2021, 2022])
    values = rng.uniform(10, 20, (2, S, len(sc)))
    panel = Panel(years, np.array([f"U{k:04d}" for k in range(S)]), np.array([f"C{k % 20}" for k in range(S)]),
                  sc.indicator_id.to_numpy(), np.array([CAPACITIES.index(c) for c in sc.capacity]),
                  sc.direction.to_numpy(float), sc.default_weight.to_numpy(float), values, np.full((2, S), 5.0))
    peaks = {}
    for n in (300, 1200):
        audit = Audit(panel, fw, config=AuditConfig(n_runs=n, seed=2, memory_budget_mib=0.75,
                                                    aggregations=("arithmetic", "geometric")))
        tracemalloc.start()
        summary = audit.run_summary()
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert summary.on_disk == (n == 1200) and summary.full["n"].max() == n
    dense = 1200 * 2 * S * 8
    assert peaks[1200] < dense / 2, peaks
    assert peaks[1200] < 1.5 * peaks[300] + 2 ** 20, peaks


def test_copeland_is_left_out_above_its_unit_bound(fw):
    panel = make_panel(fw, n_streets=30)
    audit = Audit(panel, fw, config=AuditConfig(n_runs=20, copeland_max_units=10))
    assert "copeland" not in audit.config.aggregations and audit.notes and "Copeland left out" in audit.notes[0]
    assert Audit(panel, fw, config=AuditConfig(n_runs=20)).notes == []
    with pytest.raises(ValueError, match="aggregations"):
        Audit(panel, fw, config=AuditConfig(n_runs=20, aggregations=("copeland",), copeland_max_units=10))
    with pytest.raises(ValueError, match="memory_budget_mib"):
        AuditConfig(memory_budget_mib=0)


def test_district_medians_of_all_groups_at_once_equal_each_groups_median():
    """scoring.index imputes by district median with one sort per year and indicator (not a loop
    over ~2,800 counties × the whole national panel): the same medians as each group's own."""
    from jinchengtuo.scoring.index import _group_nanmedian, _nanmedian

    rng = np.random.default_rng(8)
    for _ in range(100):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 30)), int(rng.integers(1, 5)))
        a = np.round(rng.normal(size=shape), int(rng.integers(0, 3)))
        a[rng.random(shape) < rng.uniform(0, 0.9)] = np.nan
        groups = rng.choice(np.array(["x", "y", "z", "w"])[: int(rng.integers(1, 5))], shape[1])
        got = _group_nanmedian(a, groups)
        for d in np.unique(groups):
            cols = groups == d
            want = np.broadcast_to(_nanmedian(a[:, cols, :])[:, None, :], got[:, cols, :].shape)
            np.testing.assert_array_equal(got[:, cols, :], want)


def test_meaningful_difference_counted_by_blocks_equals_all_pairs_at_once():
    import pandas as pd

    rng = np.random.default_rng(12)
    for _ in range(30):
        n = int(rng.integers(2, 50))
        rank = rng.integers(1, n + 1, n).astype(float)
        lo = np.maximum(1, rank - rng.integers(0, 6, n))
        u = pd.DataFrame({"year": 2023, "street_code": [f"S{k:02d}" for k in range(n)], "nominal_rank": rank,
                          "rank_p05": lo, "rank_p95": lo + rng.integers(0, 10, n), "n_runs": 100})
        # the definition: every pair at once
        i, j = np.triu_indices(n, 1)
        diff = np.abs(rank[i] - rank[j]).astype(int)
        apart = (u.rank_p95.to_numpy()[i] < u.rank_p05.to_numpy()[j]) | (u.rank_p95.to_numpy()[j] < u.rank_p05.to_numpy()[i])
        share = {d: apart[diff == d].mean() for d in np.unique(diff) if d > 0}
        good = [share.get(d, 1.0) >= 0.5 for d in range(1, diff.max() + 1)]
        tail = [all(good[k:]) for k in range(len(good))]
        want = next((k + 1 for k, ok in enumerate(tail) if ok and any(d >= k + 1 for d in share)), None)
        for block in (1, 7, 4_000_000):
            assert meaningful_difference(u, 2023, block_pairs=block)["gap"] == want


def test_group_rank_intervals_equal_the_dense_ranks_within_each_group(fw):
    """run_summary(groups=…) ranks every run's composite within groups (as fct_peer_rank does:
    streets and towns apart, within a city): the intervals equal those of the dense within-group
    ranks, the nominal group ranks are the reference scorer's ranks within the groups, and one
    group holding everyone gives the overall intervals."""
    from jinchengtuo.scoring.audit import (_group_competition_ranks, _rank_quantiles, group_uncertainty_table)
    from jinchengtuo.scoring.index import _competition_rank_pairwise

    panel = make_panel(fw, n_streets=30, missing=0.1)
    codes = np.array([f"{'street' if k % 3 else 'town'}:C{k % 2}" for k in range(30)])
    audit = Audit(panel, fw, config=AuditConfig(n_runs=90, seed=4, memory_budget_mib=0.02))
    summary = audit.run_summary(groups={"city": codes, "all": np.zeros(30, dtype=int)})
    design = audit.design_from_unit(audit.unit_sample(90))
    comp = np.full((90,) + panel.raw.shape[:2], np.nan)
    for sel, _, c in audit.chunks(design, scores=True):
        comp[sel] = c
    want = _rank_quantiles(_group_competition_ranks(comp, audit.eligible[None], codes))
    for k in ("p05", "median", "p95", "n"):
        np.testing.assert_array_equal(summary.groups["city"].full[k], want[k])
        np.testing.assert_array_equal(summary.groups["all"].full[k], summary.full[k])
    nominal, _, _ = _competition_rank_pairwise(audit.nominal.composite, audit.eligible, codes)
    np.testing.assert_array_equal(summary.nominal_groups["city"], nominal)
    t = group_uncertainty_table(audit, summary, "city", codes)
    assert len(t) == audit.eligible.sum() and (t.rank_p05 <= t.rank_p95).all() and (t.rank_p95 <= t.n_in_group).all()
    assert (t.groupby(["year", "group_code"]).nominal_rank.min() == 1).all()


def test_copeland_with_unranked_units_and_a_year_with_nobody_ranked(fw):
    """Copeland pairs the year's ranked units only (ranked², not units²: 41,352 units of which none is
    ranked once took the audit 40 minutes): unranked units get no rank, the others do, a street that
    dominates every indicator stays first, and a year with nobody ranked is empty, not an error."""
    panel = make_panel(fw, dominant=7, missing=0.0)
    panel.n_documents[1, [2, 5, 9]] = 0  # three streets fail the document gate in the second year
    ranks = Audit(panel, fw, config=AuditConfig(n_runs=30, seed=5, aggregations=("copeland",))).run()
    assert np.isnan(ranks[:, 1, [2, 5, 9]]).all() and np.isfinite(np.delete(ranks[:, 1, :], [2, 5, 9], axis=1)).all()
    assert (ranks[:, :, 7] == 1).all() and ((ranks == 1).sum(2) == 1).all()
    panel0 = make_panel(fw)
    panel0.n_documents[0, :] = 0
    r0 = Audit(panel0, fw, config=AuditConfig(n_runs=4, seed=5, aggregations=("copeland",))).run()
    assert np.isnan(r0[:, 0, :]).all() and np.isfinite(r0[:, 1, :]).any()
