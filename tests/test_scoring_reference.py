"""The numpy reference implementation and the framework data, without dbt (fast)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from jinchengtuo import config
from jinchengtuo.scoring import CAPACITIES, Framework, Panel, ScoringOptions, score
from jinchengtuo.scoring import methodology
from jinchengtuo.scoring.index import _competition_rank


@pytest.fixture(scope="module")
def fw():
    return Framework.load()


def make_panel(fw, raw, years=None, districts=None, n_documents=None):
    Y, S, I = raw.shape
    scored = fw.scored
    assert I == len(scored)
    years = np.array(years if years is not None else range(2019, 2019 + Y))
    codes = np.array([f"4403{k:05d}" for k in range(S)])
    districts = np.array(districts if districts is not None else [f"D{k % 4}" for k in range(S)])
    return Panel(years, codes, districts, scored.indicator_id.to_numpy(),
                 np.array([CAPACITIES.index(c) for c in scored.capacity]), scored.direction.to_numpy(float),
                 scored.default_weight.to_numpy(float), raw,
                 np.ones((Y, S)) if n_documents is None else n_documents)


def random_raw(fw, Y=3, S=74, seed=1):
    rng = np.random.default_rng(seed)
    return rng.lognormal(0, 0.5, (Y, S, len(fw.scored)))


# --- framework and documentation -------------------------------------------------------------

def test_framework_loads_and_is_consistent(fw):
    assert len(fw.scored) == 26 and set(fw.scored.capacity) == set(CAPACITIES)
    assert np.isclose(fw.capacities.weight.sum(), 1)
    assert fw.version == "jct-2026.2"
    assert {"CTX_density", "CTX_spending_per_capita", "CTX_spending_per_km2", "CTX_staff_per_10k",
            "CTX_contract_staff_share"} <= set(fw.context.indicator_id)


def test_a_broken_framework_is_refused_with_the_reason(tmp_path):
    for name in ("indicator_framework.csv", "capacity_framework.csv", "tier_bands.csv", "field_catalog.csv", "coverage_gates.csv"):
        shutil.copy(config.DBT_PROJECT_DIR / "seeds" / name, tmp_path / name)
    path = tmp_path / "indicator_framework.csv"
    text = path.read_text(encoding="utf-8").replace("ws_fire_incidents;population", "ws_fires;population")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="EMG_fire_per_10k: source_fields not in field_catalog.csv"):
        Framework.load(tmp_path)
    (tmp_path / "tier_bands.csv").unlink()
    with pytest.raises(FileNotFoundError, match="tier_bands.csv"):
        Framework.load(tmp_path)


def test_methodology_document_is_generated_from_the_framework(fw):
    text = methodology.render(fw)
    assert methodology.DOC_PATH.read_text(encoding="utf-8") == text, "run python -m jinchengtuo.scoring.methodology"
    for r in fw.indicators.itertuples():
        assert f"`{r.indicator_id}`" in text and r.name_zh in text
    for r in fw.tiers.itertuples():
        assert r.label_zh in text


def test_options_are_declared_once_in_the_options_file():
    """The macro holds no defaults or choices of its own: it reads the seed the Python scorer reads."""
    import csv

    import yaml

    from jinchengtuo.scoring.options import DBT_VAR_NAMES, SPECS, STEPS, options_path

    macro = (config.DBT_PROJECT_DIR / "macros" / "scoring_options.sql").read_text(encoding="utf-8")
    assert "ref('scoring_options')" in macro
    for spec in SPECS:  # no option value written into the macro
        assert f"'{spec.dbt_var}':" not in macro and "'goalposts'" not in macro and "'expert'" not in macro
    rows = list(csv.DictReader(options_path().open(encoding="utf-8")))
    assert [r["dbt_var"] for r in rows] == list(DBT_VAR_NAMES.values())
    assert {r["step"] for r in rows} == set(STEPS)  # every step has its options
    defaults = ScoringOptions()
    for r in rows:
        spec = next(s for s in SPECS if s.dbt_var == r["dbt_var"])
        assert ScoringOptions.option_text(getattr(defaults, spec.option)) == ScoringOptions.option_text(spec.parse(r["default_value"]))
        assert r["description_zh"] and r["description_en"]
    # the macro's list of non-option vars is the project's vars
    project_vars = yaml.safe_load((config.DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    listed = re.search(r"macro project_vars\(\) %}\s*\{\{ return\((\[[^\]]*\])\) \}\}", macro).group(1)
    assert sorted(yaml.safe_load(listed)) == sorted(project_vars), \
        "list every var of dbt_project.yml in project_vars() of dbt_project/macros/scoring_options.sql (else dbt refuses it as an unknown option)"


def test_a_broken_options_file_is_refused_with_the_row(tmp_path):
    from jinchengtuo.scoring.options import load_specs, options_path

    text = options_path().read_text(encoding="utf-8")
    for old, new, message in [(",treat,4,float,2,", ",trim,4,float,2,", r"line 5 \(winsor_skew_threshold\): step 'trim'"),
                              ("min_indicator_coverage,screen,1,float,0.65,", "min_indicator_coverage,screen,1,float,1.65,",
                               r"line 2 \(min_indicator_coverage\): the default is not allowed: .*outside its range 0 to 1"),
                              ("choice,expert,expert|equal", "choice,expert,equal", r"weighting.*the default is not allowed"),
                              ("min_indicator_coverage,screen,1,", "min_indicator_coverage,aggregate,1,", "sort_order must follow the steps")]:
        assert old in text
        bad = tmp_path / f"options_{len(message)}.csv"
        bad.write_text(text.replace(old, new), encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            load_specs(bad)


def test_a_choice_that_cannot_be_applied_is_refused_naming_the_option(fw):
    from jinchengtuo.scoring import prepare

    for bad, message in [(dict(normalisation="rank"), "normalisation='rank' is not one of goalposts"),
                         (dict(min_indicator_coverage=1.5), "min_indicator_coverage=1.5 is outside its range 0 to 1"),
                         (dict(winsor_max_points=2.5), "winsor_max_points=2.5 is not a whole number"),
                         (dict(imputation="maybe"), "imputation='maybe' is not one of on, off"),
                         (dict(goalpost_reference_years=()), "goalpost_reference_years=() is not a non-empty list"),
                         (dict(goalpost_reference_years=(1899,)), "outside its range 2000 to 2100"),
                         (dict(winsor_skew_threshold=True), "winsor_skew_threshold=True is not a number")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            ScoringOptions(**bad)
    with pytest.raises(ValueError, match="unknown scoring option.*'scoring_normalization'"):
        ScoringOptions.from_dbt_vars({"scoring_normalization": "zscore"})
    with pytest.raises(ValueError, match="unknown scoring option"):
        ScoringOptions().with_(normalization="zscore")
    assert ScoringOptions.from_dbt_vars({"scoring_weighting": "equal", "goalpost_reference_years": "2020,2021"}) == \
        ScoringOptions(weighting="equal", goalpost_reference_years=(2020, 2021))
    # data-dependent: no reference year among the data's years; entropy without two streets' values
    panel = make_panel(fw, random_raw(fw, Y=2), years=[2022, 2023])
    with pytest.raises(ValueError, match=r"goalpost_reference_years=2019\|2020\|2021 cannot be applied: none of these years"):
        prepare(panel)
    prepare(panel, ScoringOptions(normalisation="minmax_year"))  # no goalposts, no reference years needed
    raw = random_raw(fw, Y=1)
    raw[0, 1:, 0] = np.nan  # one street in 74 has the first indicator: kept with no screening
    thin = make_panel(fw, raw, years=[2020])
    with pytest.raises(ValueError, match=r"weighting=entropy cannot be applied: .* 1 have fewer .*2020 " + fw.scored.indicator_id[0]):
        score(thin, fw, ScoringOptions(weighting="entropy", min_indicator_coverage=0.0))
    score(thin, fw, ScoringOptions(weighting="entropy"))  # screened out at 65 %: applicable


def test_imputation_off_leaves_cells_missing_and_renormalises(fw):
    raw = random_raw(fw, Y=2)
    raw[1, 0, 0] = np.nan  # street 0 lacks indicator 0 in the second year
    panel = make_panel(fw, raw, years=[2020, 2021])
    on = score(panel, fw)
    off = score(panel, fw, ScoringOptions(imputation="off"))
    assert on.imputation[1, 0, 0] == 1 and on.value[1, 0, 0] == raw[0, 0, 0]  # own previous year
    assert off.imputation.max() == 0 and np.isnan(off.value[1, 0, 0]) and np.isnan(off.weight[1, 0, 0])
    cap = fw.scored.capacity[0]
    idx = np.flatnonzero(fw.scored.capacity.to_numpy() == cap)
    assert np.isclose(np.nansum(off.weight[1, 0, idx]), 1.0)  # the capacity's other indicators carry its weight
    c = CAPACITIES.index(cap)
    expected = np.nansum(off.weight[1, 0, idx] * off.normalised[1, 0, idx])
    assert np.isclose(off.capacity_score[1, 0, c], expected)
    others = np.ones(panel.raw.shape[1], bool); others[0] = False  # the other streets are unchanged
    assert np.allclose(off.composite[1, others], on.composite[1, others])
    assert off.methodology_version == fw.version + "+scoring_imputation=off"


# --- the steps ------------------------------------------------------------------------------

def coinr_winsorise(x, winmax=5, skew_t=2.0, kurt_t=3.5):
    """A plain, loop-by-loop port of COINr's winsorise() for one vector."""
    def skew(v):
        n = len(v); d = v - v.mean()
        return np.sqrt(n) * np.sum(d ** 3) / np.sum(d ** 2) ** 1.5 * np.sqrt(n * (n - 1)) / (n - 2)

    def kurt(v):
        n = len(v); d = v - v.mean(); r = n * np.sum(d ** 4) / np.sum(d ** 2) ** 2
        return ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))

    x = x.copy(); orig = x.copy()
    while abs(skew(x)) >= skew_t and kurt(x) >= kurt_t and (x != orig).sum() < winmax:
        if skew(x) >= 0:
            top = x == x.max(); x[top] = x[~top].max()
        else:
            bottom = x == x.min(); x[bottom] = x[~bottom].min()
    return x


def test_winsorisation_matches_a_plain_port_of_coinr(fw):
    rng = np.random.default_rng(5)
    raw = rng.lognormal(0, 1.2, (4, 74, len(fw.scored)))
    raw[0, :3, 0] = [40, 60, 60]  # outliers with a tie at the top
    raw[1, :2, 1] = [-50, -80]  # low outliers
    panel = make_panel(fw, raw)
    res = score(panel, fw)
    checked = 0
    for y in range(4):
        for i in range(len(fw.scored)):
            expected = coinr_winsorise(raw[y, :, i])
            assert np.allclose(res.treated[y, :, i], expected), (y, i)
            checked += not np.array_equal(expected, raw[y, :, i])
    assert checked >= 5


def test_competition_ranks_ties_and_tiers(fw):
    scores = np.array([[3.0, 5.0, 5.0, 1.0, np.nan]])
    eligible = ~np.isnan(scores)
    rank, tied, _ = _competition_rank(scores, eligible)
    assert rank[0, :4].tolist() == [3, 1, 1, 4] and np.isnan(rank[0, 4])
    assert tied[0].tolist() == [False, True, True, False, False]
    raw = random_raw(fw, Y=1, S=10)
    raw[0, 1] = raw[0, 0]  # identical streets in the same district
    res = score(make_panel(fw, raw, districts=["A", "A"] + ["B"] * 8), fw)
    assert res.rank[0, 0] == res.rank[0, 1] and res.is_tied[0, 0]
    order = np.argsort(res.rank[0])
    bands = res.tier_band[0][order]
    assert list(bands) == sorted(bands) and bands[0] == 1 and bands[-1] == 5
    # the band rule on 10 streets without ties: ranks 1–2 → band 1, … 9–10 → band 5
    for rank, band in zip(res.rank[0], res.tier_band[0]):
        assert band == {0: 1, 1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4, 8: 5, 9: 5}[int(rank) - 1]
    assert res.tier_band[0, 0] == res.tier_band[0, 1]


def test_entropy_and_critic_weights_match_their_textbook_formulas(fw):
    raw = random_raw(fw, Y=1, S=74, seed=3)
    panel = make_panel(fw, raw)
    ent = score(panel, fw, ScoringOptions(weighting="entropy"))
    cri = score(panel, fw, ScoringOptions(weighting="critic"))
    n = ent.normalised[0]  # same normalisation for both
    for c in CAPACITIES:
        idx = np.flatnonzero(fw.scored.capacity == c)
        x = n[:, idx]
        p = x / x.sum(0)
        e = -(p * np.log(np.where(p > 0, p, 1))).sum(0) / np.log(len(x))
        assert np.allclose(ent.base_weight[0, idx], (1 - e) / (1 - e).sum())
        sd = x.std(0)
        r = np.corrcoef(x, rowvar=False) if len(idx) > 1 else np.ones((1, 1))
        cw = sd * (1 - r).sum(0)
        expected = cw / cw.sum() if cw.sum() > 0 else np.full(len(idx), 1 / len(idx))
        assert np.allclose(cri.base_weight[0, idx], expected)
    for res in (ent, cri):
        for c in range(5):
            w = res.weight[0][:, np.asarray(panel.capacity_index) == c]
            assert np.allclose(np.nansum(w, 1), 1)


def test_goalposts_reward_improvement_that_minmax_hides(fw):
    raw = random_raw(fw, Y=2, S=74, seed=9)
    improving = fw.scored.direction.to_numpy() == 1
    raw[1] = raw[0]
    raw[1][:, improving] *= 1.1  # every street improves by 10% on every higher-is-better indicator
    raw[1][:, ~improving] *= 0.9
    panel = make_panel(fw, raw, years=[2020, 2021])
    gp = score(panel, fw, ScoringOptions(goalpost_reference_years=(2020,)))
    mm = score(panel, fw, ScoringOptions(normalisation="minmax_year"))
    assert np.nanmean(gp.composite[1] - gp.composite[0]) > 1
    assert np.allclose(mm.composite[1], mm.composite[0], atol=1e-6)


def test_adding_a_year_leaves_earlier_years_unchanged(fw):
    raw = random_raw(fw, Y=4, S=74, seed=11)
    raw[np.random.default_rng(2).random(raw.shape) < 0.15] = np.nan
    small = score(make_panel(fw, raw[:3], years=[2019, 2020, 2021]), fw)
    big = score(make_panel(fw, raw, years=[2019, 2020, 2021, 2022]), fw)
    for name in ("value", "treated", "normalised", "weight", "capacity_score", "composite", "rank", "rank_change"):
        assert np.allclose(getattr(small, name), getattr(big, name)[:3], equal_nan=True), name


def test_imputation_order_and_flags(fw):
    raw = random_raw(fw, Y=3, S=74, seed=4)
    raw[2, 0, 0] = np.nan  # previous year available → own value of 2020
    raw[1:, 1, 1] = np.nan
    raw[0, 1, 1] = np.nan  # no own value within 2 years → district median
    res = score(make_panel(fw, raw, districts=["A"] * 5 + ["B"] * 69), fw)
    assert res.imputation[2, 0, 0] == 1 and res.value[2, 0, 0] == raw[1, 0, 0] and res.imputed_from_year[2, 0, 0] == 2020
    assert res.imputation[2, 1, 1] == 2 and np.isclose(res.value[2, 1, 1], np.nanmedian(raw[2, :5, 1]))
    assert (res.imputation[~np.isnan(raw)] == 0).all()


def test_coverage_screening_excludes_and_redistributes(fw):
    raw = random_raw(fw, Y=1, S=74, seed=6)
    raw[0, :30, 0] = np.nan  # 44/74 = 59% < 65%
    res = score(make_panel(fw, raw), fw)
    assert not res.included[0, 0] and np.isnan(res.weight[0, :, 0]).all()
    exe = np.asarray(fw.scored.capacity == "EXE")
    assert np.allclose(np.nansum(res.weight[0][:, exe], 1), 1)


def test_a_street_without_documents_gets_no_score_and_no_rank(fw):
    raw = random_raw(fw, Y=1, S=74, seed=8)
    docs = np.ones((1, 74)); docs[0, 3] = 0
    res = score(make_panel(fw, raw, n_documents=docs), fw)
    assert np.isnan(res.composite[0, 3]) and not res.is_ranked[0, 3] and np.isnan(res.rank[0, 3])
    assert np.isnan(res.capacity_score[0, 3]).all()  # no imputed capacity scores either
    assert res.rank_status[0, 3] == "insufficient_data" and res.n_ranked[0] == 73
    assert res.release_status[0] == "ranking" and (res.rank_status[0, np.arange(74) != 3] == "ranked").all()


def test_street_gates_count_against_the_full_framework(fw):
    gates = fw.gates
    raw = random_raw(fw, Y=1, S=74, seed=9)
    I = len(fw.scored)
    # street 5: own data for just under the share of the framework (the rest imputed)
    keep = int(np.ceil(gates["street_min_indicator_share"] * I)) - 1
    raw[0, 5, keep:] = np.nan
    # street 6: plenty of data but none for one capacity (SAF)
    saf = np.asarray(fw.scored.capacity == "SAF")
    raw[0, 6, saf] = np.nan
    res = score(make_panel(fw, raw), fw)
    assert np.isclose(res.data_coverage[0, 5], keep / I)
    assert not res.has_enough_data[0, 5] and np.isnan(res.composite[0, 5])
    assert not res.has_enough_data[0, 6] and np.isnan(res.composite[0, 6])
    assert res.has_enough_data[0, 7] and res.rank_status[0, 7] == "ranked"


def test_a_year_with_few_streets_is_provisional(fw):
    raw = random_raw(fw, Y=1, S=74, seed=10)
    docs = np.zeros((1, 74)); docs[0, :10] = 1  # 10 of 74 streets published anything
    res = score(make_panel(fw, raw, n_documents=docs), fw)
    assert res.release_status[0] == "provisional"
    assert set(res.rank_status[0, :10]) == {"provisional"} and set(res.rank_status[0, 10:]) == {"insufficient_data"}
    assert np.isnan(res.composite[0, 10:]).all() and res.n_ranked[0] == 10
    # indicators: too few pass the screening → provisional too, even with every street publishing
    raw2 = random_raw(fw, Y=1, S=74, seed=11)
    raw2[0, :40, :8] = np.nan  # 8 of 26 indicators below 65% coverage
    res2 = score(make_panel(fw, raw2), fw)
    assert res2.included[0].sum() == len(fw.scored) - 8 and res2.release_status[0] == "provisional"


def test_coverage_gates_are_framework_data(fw):
    g = fw.coverage_gates
    assert set(g.gate_id) == {"street_min_documents", "street_min_indicator_share", "street_min_capacities",
                              "year_min_ranked_share", "year_min_indicator_share", "year_min_capacities"}
    assert set(g.methodology_version) == {fw.version}
    assert not hasattr(ScoringOptions(), "min_street_coverage")  # a gate, not an option


def test_weight_overrides_for_sensitivity_analysis(fw):
    raw = random_raw(fw, Y=1, S=74, seed=12)
    panel = make_panel(fw, raw)
    base = score(panel, fw)
    only_exe = score(panel, fw, capacity_weights=np.array([1.0, 0, 0, 0, 0]))
    assert np.allclose(only_exe.composite, only_exe.capacity_score[:, :, 0])
    same = score(panel, fw, indicator_weights=panel.default_weight)
    assert np.allclose(same.composite, base.composite)


def test_prepare_once_aggregate_many_gives_the_same_result(fw):
    from jinchengtuo.scoring import aggregate, prepare
    raw = random_raw(fw, Y=2, S=74, seed=13)
    panel = make_panel(fw, raw)
    prepared = prepare(panel, ScoringOptions(weighting="critic"))
    w = np.linspace(0.5, 1.5, len(fw.scored))
    a = aggregate(prepared, fw, indicator_weights=w)
    b = score(panel, fw, ScoringOptions(weighting="critic"), indicator_weights=w)
    assert np.allclose(a.composite, b.composite) and np.array_equal(a.rank, b.rank, equal_nan=True)
