"""The dbt scoring models against an independent computation, on a synthetic warehouse.

One full `dbt build` of the base warehouse (years 2018 — a year in which one street published —
and 2019–2021); then, in parallel, copies rebuilt from the coverage step on under other
options, and a warehouse with 2022 added. Raw indicator values are checked against formulas
written out here by hand; every later step against jinchengtuo.scoring (numpy).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from jinchengtuo import config
from jinchengtuo.scoring import Framework, ScoringOptions, panel_from_warehouse, score, to_frames
from jinchengtuo.scoring.synthetic import make_synthetic_raw, write_synthetic_raw

pytestmark = pytest.mark.slow  # builds warehouses with dbt (about a minute and a half in all)

BASE_YEARS = [2018, 2019, 2020, 2021]
SINGLE_STREET_YEAR = 2018
DBT = str(Path(sys.executable).with_name("dbt"))

VARIANTS = {
    "minmax_equal_geometric": ScoringOptions(normalisation="minmax_year", weighting="equal", aggregation="geometric"),
    "zscore_entropy_unimputed": ScoringOptions(normalisation="zscore", weighting="entropy", imputation="off"),
    # no screening: the single-street year is scored (geometric on goalposts of 2020)
    "geometric_unscreened": ScoringOptions(aggregation="geometric", min_indicator_coverage=0.0, goalpost_reference_years=(2020,)),
    "critic_geometric": ScoringOptions(weighting="critic", aggregation="geometric", goalpost_reference_years=(2020,)),
}
# options that cannot be applied: (models to run, vars, the error dbt must name)
REFUSED = {
    "bad_option": ("int_indicator__normalised", {"scoring_normalisation": "rank_only"},
                   "scoring_normalisation='rank_only' is not one of goalposts, minmax_year, zscore"),
    "unknown_var": ("int_indicator__coverage", {"scoring_normalization": "zscore"},
                    "unknown scoring option(s) scoring_normalization in --vars"),
    "bad_range": ("int_indicator__coverage", {"winsor_max_points": 2.5}, "scoring option winsor_max_points=2.5 is not a whole number"),
    "goalposts_outside": ("int_indicator__normalised", {"goalpost_reference_years": [2030, 2031]},
                          "scoring option goalpost_reference_years=2030|2031 cannot be applied: none of these years is a year of the data"),
    # without screening, the year in which one street published leaves CRITIC without two streets' values
    "critic_lacking": ("int_indicator__coverage int_indicator__weights", {"scoring_weighting": "critic", "min_indicator_coverage": 0},
                       "scoring option scoring_weighting=critic cannot be applied: it needs values of at least two streets"),
}


def _dbt(args: list[str], warehouse: Path, target: Path, vars_: dict | None = None) -> subprocess.Popen:
    cmd = [DBT, *args, "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(target / "logs")]
    if vars_:
        import json
        cmd += ["--vars", json.dumps(vars_)]
    env = {**os.environ, "JCT_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=600)
    return out


def _write(path: Path, years) -> object:
    raw = make_synthetic_raw(years, single_street_year=SINGLE_STREET_YEAR)
    con = duckdb.connect(str(path))
    try:
        write_synthetic_raw(con, raw)
    finally:
        con.close()
    return raw


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("scoring_dbt")
    base = root / "base.duckdb"
    raw = _write(base, BASE_YEARS)
    out = _finish(_dbt(["build"], base, root / "target_base"))
    assert "Completed successfully" in out, out[-4000:]
    jobs = {}
    for name, opt in VARIANTS.items():
        path = root / f"{name}.duckdb"
        shutil.copyfile(base, path)
        jobs[name] = (path, _dbt(["run", "--select", "int_indicator__coverage+", "dim_methodology"], path, root / f"target_{name}",
                                 opt.dbt_vars()))
    # the extended warehouse: the base file (seeds and models built) with 2022 added to the raw
    # layer; rebuilt with the base's target path so dbt's partial parsing is reused
    extended = root / "extended.duckdb"
    shutil.copyfile(base, extended)
    _write(extended, BASE_YEARS + [2022])
    jobs["extended"] = (extended, _dbt(["run"], extended, root / "target_base"))
    for name, (select, vars_, _) in REFUSED.items():
        bad = root / f"{name}.duckdb"
        shutil.copyfile(base, bad)
        jobs[name] = (bad, _dbt(["run", "--select", *select.split()], bad, root / f"target_{name}", vars_))
    outputs = {name: _finish(proc) for name, (path, proc) in jobs.items()}
    for name in [*VARIANTS, "extended"]:
        assert "Completed successfully" in outputs[name], outputs[name][-4000:]
    paths = {name: path for name, (path, _) in jobs.items()}
    paths["base"] = base
    return {"paths": paths, "raw": raw, "outputs": outputs}


def _con(path: Path):
    return duckdb.connect(str(path), read_only=True)


def _df(path: Path, sql: str) -> pd.DataFrame:
    con = _con(path)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


# --- raw values: the framework's formulas written out by hand -----------------------------------

def _nz(x):
    return x is not None and not (isinstance(x, float) and np.isnan(x))


def _div(a, b, zero=None):
    if not (_nz(a) and _nz(b)):
        return None if not (_nz(b) and b == 0) else zero
    return zero if b == 0 else a / b


def _livelihood(f):
    if not _nz(f.get("fa_exp_201")):
        return None
    return sum(f.get(k) or 0.0 for k in ("fa_exp_205", "fa_exp_207", "fa_exp_208", "fa_exp_210", "fa_exp_212", "fa_exp_221"))


def _contract(f):
    return f.get("fa_contract_staff") if _nz(f.get("fa_contract_staff")) else f.get("ws_contract_staff")


def _sum(*xs):
    return sum(xs) if all(_nz(x) for x in xs) else None


def _mul(x, k):
    return x * k if _nz(x) else None


def _expected_raw(f: dict, pop, area, docs: set) -> dict:
    fa201 = _nz(f.get("fa_exp_201"))
    fill = _div(f.get("fa_actual_staff"), f.get("fa_authorized_posts"))
    staff = f.get("fa_actual_staff")
    contract = _contract(f)
    return {
        "EXE_budget_accuracy": None if _div(f.get("fa_gpb_expenditure"), f.get("fa_gpb_initial_budget")) is None
        else abs(f["fa_gpb_expenditure"] / f["fa_gpb_initial_budget"] - 1),
        "EXE_staff_fill": None if fill is None else min(fill, 1.0),
        "EXE_contract_dependence": _div(contract, _sum(staff, contract)),
        "EXE_three_public_share": _div(f.get("fa_three_public_total"), f.get("fa_total_expenditure")),
        "EXE_review_correction": _div(_sum(f.get("rv_corrected"), f.get("lt_corrected")), _sum(f.get("rv_total"), f.get("lt_total")), 0.0),
        "EXE_litigation_loss": _div(f.get("rl_litigation_lost"), f.get("rl_litigation_cases"), 0.0),
        "SRV_livelihood_per_capita": _div(_mul(_livelihood(f), 10000), pop),
        "SRV_livelihood_share": _div(_livelihood(f), f.get("fa_total_expenditure")),
        "SRV_staff_per_10k": _div(_mul(staff, 10000), pop),
        "SRV_grid_workers_per_10k": _div(_mul(f.get("ws_grid_workers"), 10000), pop),
        "SRV_requests_closed": _div(f.get("ws_requests_closed_rate"), 100),
        "SRV_livelihood_projects": f.get("ws_livelihood_projects"),
        "DLB_disclosure_completeness": len(docs & {"final_accounts", "budget", "info_disclosure", "rule_of_law", "work_summary"}) / 5,
        "DLB_items_per_10k": _div(_mul(f.get("od_items_published"), 10000), pop),
        "DLB_request_grant_rate": _div(_sum(f.get("rq_granted"), f.get("rq_partly")), f.get("rq_total_handled")),
        "DLB_request_backlog": _div(f.get("rq_carried_out"), _sum(f.get("rq_new"), f.get("rq_carried_in"))),
        "DLB_council_per_community": _div(f.get("ws_council_meetings"), f.get("ws_communities")),
        "DLB_volunteers_per_1k": _div(_mul(f.get("ws_volunteers"), 1000), pop),
        "EMG_emergency_per_capita": _div((f.get("fa_exp_224") or 0.0) * 10000, pop) if fa201 else None,
        "EMG_drills_per_10k": _div(_mul(f.get("ws_emergency_drills"), 10000), pop),
        "EMG_hazards_per_inspection": _div(_mul(f.get("ws_hazards_rectified"), 100), f.get("ws_safety_inspections")),
        "EMG_fire_per_10k": _div(_mul(f.get("ws_fire_incidents"), 10000), pop),
        "SAF_public_safety_per_capita": _div((f.get("fa_exp_204") or 0.0) * 10000, pop) if fa201 else None,
        "SAF_mediation_success": _div(f.get("rl_mediation_success_rate"), 100),
        "SAF_petitions_per_10k": _div(_mul(f.get("ws_petition_batches"), 10000), pop),
        "SAF_crime_change": f.get("ws_crime_change_pct"),
        "CTX_population": pop,
        "CTX_density": _div(pop, area),
        "CTX_spending_per_capita": _div(_mul(f.get("fa_total_expenditure"), 10000), pop),
        "CTX_spending_per_km2": _div(f.get("fa_total_expenditure"), area),
        "CTX_area_km2": area,
        "CTX_authorized_posts_per_10k": _div(_mul(f.get("fa_authorized_posts"), 10000), pop),
        "CTX_staff_per_10k": _div(_mul(staff, 10000), pop),
        "CTX_staff_fill_rate": fill,
        "CTX_contract_staff_share": _div(contract, _sum(staff, contract)),
        "CTX_seconded_staff_share": _div(f.get("ws_seconded_staff"), staff),
        "CTX_requests_per_10k": _div(_mul(f.get("ws_citizen_requests"), 10000), pop),
    }


def test_raw_values_match_the_formulas_written_out(built):
    path, raw = built["paths"]["base"], built["raw"]
    sy = _df(path, "select street_code, year, population, area_km2 from marts.fct_street_year")
    db = _df(path, "select street_code, year, indicator_id, raw_value from intermediate.int_indicator__raw_values")
    fields = raw.values.groupby(["street_code", "year"]).apply(lambda g: dict(zip(g.field_id, g.value)), include_groups=False)
    docs = raw.documents.groupby(["street_code", "year"])["doc_type"].apply(set)
    expected = []
    for row in sy.itertuples():
        key = (row.street_code, row.year)
        f = fields.get(key, {})
        area = None if pd.isna(row.area_km2) else row.area_km2
        for ind, value in _expected_raw(f, float(row.population), area, docs.get(key, set())).items():
            expected.append((row.street_code, row.year, ind, np.nan if value is None else float(value)))
    exp = pd.DataFrame(expected, columns=["street_code", "year", "indicator_id", "expected"])
    assert set(exp.indicator_id) == set(Framework.load().indicators.indicator_id)
    m = exp.merge(db, on=["street_code", "year", "indicator_id"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all()
    bad = m[~np.isclose(m.expected, m.raw_value, rtol=1e-9, atol=1e-12, equal_nan=True)]
    assert bad.empty, bad.head(10).to_string()


def test_zero_denominators_follow_the_framework_rule(built):
    path, raw = built["paths"]["base"], built["raw"]
    codes = raw.streets.street_code.tolist()[20:24]
    df = _df(path, f"""select street_code, year, indicator_id, raw_value, raw_value_note from marts.fct_indicator_value
        where street_code in ({', '.join(repr(c) for c in codes)}) and year = 2020""").set_index(["street_code", "indicator_id"])
    notes = df.raw_value_note.fillna("")
    assert notes.str.contains("rule gives 0").sum() >= 4  # review/litigation: no cases → 0
    assert notes.str.contains("rule gives no value").sum() >= 4  # no information requests → missing
    for code in codes:
        zero = df.loc[(code, "EXE_review_correction")]
        if "rv_total" in set(raw.values[(raw.values.street_code == code) & (raw.values.year == 2020)].field_id):
            assert zero.raw_value == 0 and "rule gives 0" in zero.raw_value_note
        grant = df.loc[(code, "DLB_request_grant_rate")]
        assert pd.isna(grant.raw_value)
        assert "denominator" in grant.raw_value_note or "missing measures" in grant.raw_value_note


def _compare(path: Path, options: ScoringOptions):
    fw = Framework.load()
    con = _con(path)
    try:
        panel = panel_from_warehouse(con, fw)
        frames = to_frames(panel, score(panel, fw, options), fw)
        db_iv = con.execute("select * from marts.fct_indicator_value").df()
        db_cs = con.execute("select * from marts.fct_capacity_score").df()
        db_co = con.execute("select * from marts.fct_composite_score").df()
    finally:
        con.close()
    keys = ["street_code", "year", "indicator_id"]
    iv = db_iv.merge(frames["indicator_value"], on=keys, suffixes=("_db", "_np"), how="outer", indicator=True)
    assert (iv["_merge"] == "both").all() and len(iv) == 74 * len(panel.years) * len(panel.indicator_ids)
    for c in ["value_used", "treated_value", "normalised_value", "base_weight", "weight"]:
        bad = iv[~np.isclose(iv[c + "_db"].astype(float), iv[c + "_np"].astype(float), rtol=1e-9, atol=1e-7, equal_nan=True)]
        assert bad.empty, f"{c}:\n" + bad[keys + [c + "_db", c + "_np"]].head().to_string()
    for c in ["is_included", "is_imputed", "is_treated", "counts_in_score"]:
        bad = iv[iv[c + "_db"].astype(bool) != iv[c + "_np"].astype(bool)]
        assert bad.empty, f"{c}:\n" + bad[keys + [c + "_db", c + "_np"]].head().to_string()
    assert (iv["imputation_method_db"].fillna("") == iv["imputation_method_np"].fillna("")).all()
    cs = db_cs.merge(frames["capacity_score"], on=["street_code", "year", "capacity"], suffixes=("_db", "_np"))
    assert len(cs) == 74 * len(panel.years) * 5
    for c in ["score", "rank", "capacity_weight"]:
        bad = cs[~np.isclose(cs[c + "_db"].astype(float), cs[c + "_np"].astype(float), rtol=1e-9, atol=1e-7, equal_nan=True)]
        assert bad.empty, f"{c}:\n" + bad.head().to_string()
    co = db_co.merge(frames["composite_score"], on=["street_code", "year"], suffixes=("_db", "_np"))
    assert len(co) == 74 * len(panel.years)
    for c in ["composite_score", "rank", "tier_band", "rank_in_district", "rank_change", "data_coverage", "n_ranked"]:
        bad = co[~np.isclose(co[c + "_db"].astype(float), co[c + "_np"].astype(float), rtol=1e-9, atol=1e-7, equal_nan=True)]
        assert bad.empty, f"{c}:\n" + bad[["street_code", "year", c + "_db", c + "_np"]].head().to_string()
    for c in ["is_ranked", "is_tied", "has_enough_data", "rank_status", "release_status", "methodology_version",
              "normalisation", "weighting", "aggregation"]:
        bad = co[co[c + "_db"].fillna(False) != co[c + "_np"]]
        assert bad.empty, f"{c}:\n" + bad[["street_code", "year", c + "_db", c + "_np"]].head().to_string()
    assert (co["tier_db"].fillna("") == co["tier_np"].fillna("")).all()
    return co


def test_default_method_matches_the_numpy_implementation(built):
    co = _compare(built["paths"]["base"], ScoringOptions())
    assert set(co.methodology_version_db) == {Framework.load().version}
    assert set(co.normalisation_db) == {"goalposts"} and set(co.weighting_db) == {"expert"} and set(co.aggregation_db) == {"arithmetic"}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_option_matches_the_numpy_implementation(built, variant):
    co = _compare(built["paths"][variant], VARIANTS[variant])
    assert set(co.methodology_version_db) == {VARIANTS[variant].methodology_version(Framework.load().version)}
    assert "+" in co.methodology_version_db.iloc[0]


def test_single_street_year_is_provisional_and_ranks_no_one_without_enough_data(built):
    base = _df(built["paths"]["base"], f"select * from marts.fct_composite_score where year = {SINGLE_STREET_YEAR}")
    assert len(base) == 74
    # the one street that published has data for only the few indicators that survive screening
    # of a year where one street in 74 reports: measured against the full framework, too little
    assert base.is_ranked.sum() == 0 and base.composite_score.isna().all() and base["rank"].isna().all()
    assert set(base.rank_status) == {"insufficient_data"} and set(base.release_status) == {"provisional"}
    assert base.rank_note.str.startswith("数据不足 insufficient data").all()
    assert base.rank_note.str.contains("no counting document").sum() == 73
    ind = _df(built["paths"]["base"], f"select * from marts.fct_indicator_year where year = {SINGLE_STREET_YEAR}")
    assert (~ind.is_included).sum() >= 20 and ind.loc[~ind.is_included, "exclusion_reason"].notna().all()
    year = _df(built["paths"]["base"], f"select * from marts.fct_year_coverage where year = {SINGLE_STREET_YEAR}").iloc[0]
    assert year.release_status == "provisional" and "streets have enough data" in year.release_reason
    assert "indicators pass the coverage screening" in year.release_reason
    # without screening the publishing street has its own data for everything: ranked, alone,
    # in a year that stays provisional; the 73 silent streets still get no score
    open_ = _df(built["paths"]["geometric_unscreened"], f"select * from marts.fct_composite_score where year = {SINGLE_STREET_YEAR}")
    assert open_.composite_score.notna().sum() == 1 and open_.is_ranked.sum() == 1
    assert set(open_.loc[open_.is_ranked, "rank_status"]) == {"provisional"}
    full = _df(built["paths"]["base"], "select year, release_status from marts.fct_year_coverage where year > 2018")
    assert set(full.release_status) == {"ranking"}


def test_ties_share_a_rank_and_the_next_rank_is_skipped(built):
    raw = built["raw"]
    co = _df(built["paths"]["base"], "select * from marts.fct_composite_score where year = 2020")
    pair = co[co.street_code.isin(raw.tie_pair)]
    assert pair.composite_score.round(6).nunique() == 1 and pair["rank"].nunique() == 1 and pair.is_tied.all()
    r = int(pair["rank"].iloc[0])
    assert r + 1 not in set(co["rank"].dropna().astype(int))
    assert pair.tier.nunique() == 1


def test_street_without_documents_is_listed_without_score_or_rank(built):
    code, year = built["raw"].silent_street
    co = _df(built["paths"]["base"], f"select * from marts.fct_composite_score where street_code = '{code}' and year = {year}")
    assert len(co) == 1 and not co.is_ranked.iloc[0] and pd.isna(co["rank"].iloc[0]) and pd.isna(co.tier.iloc[0])
    assert pd.isna(co.composite_score.iloc[0]) and co.n_capacities_scored.iloc[0] == 0  # never an imputed score
    assert co.rank_status.iloc[0] == "insufficient_data" and "no counting document" in co.rank_note.iloc[0]
    cs = _df(built["paths"]["base"], f"select * from marts.fct_capacity_score where street_code = '{code}' and year = {year}")
    assert len(cs) == 5 and cs.score.isna().all() and cs["rank"].isna().all()
    iv = _df(built["paths"]["base"], f"""select * from marts.fct_indicator_value
        where street_code = '{code}' and year = {year} and counts_in_score""")
    assert iv.is_imputed.sum() == len(iv) - 1  # everything but disclosure completeness (a real 0)
    prev = iv[iv.imputation_method == "own_previous_year"]
    assert len(prev)
    for row in prev.itertuples():  # the donor year's documents
        assert f"{int(row.imputed_from_year)}/" in row.source_documents


def test_adding_a_year_leaves_earlier_years_unchanged(built):
    base, ext = built["paths"]["base"], built["paths"]["extended"]
    assert _df(ext, "select max(year) as y from marts.fct_composite_score").y.iloc[0] == 2022
    checks = {
        "fct_indicator_value": (["street_code", "year", "indicator_id"],
                                ["raw_value", "value_used", "treated_value", "normalised_value", "weight", "is_imputed", "is_treated"]),
        "fct_capacity_score": (["street_code", "year", "capacity"], ["score", "rank"]),
        "fct_composite_score": (["street_code", "year"], ["composite_score", "rank", "tier", "rank_in_district", "rank_change", "is_ranked"]),
    }
    for table, (keys, cols) in checks.items():
        a = _df(base, f"select {', '.join(keys + cols)} from marts.{table}").sort_values(keys).reset_index(drop=True)
        b = _df(ext, f"select {', '.join(keys + cols)} from marts.{table} where year <= 2021").sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-9, obj=table)


def test_outliers_are_winsorised_and_flagged(built):
    raw = built["raw"]
    outliers = raw.streets.street_code.tolist()[10:12]
    iv = _df(built["paths"]["base"], """select * from marts.fct_indicator_value
        where indicator_id = 'DLB_volunteers_per_1k' and year between 2019 and 2021""")
    treated = iv[iv.is_treated]
    assert len(treated) and set(treated.street_code) <= set(outliers)
    assert (treated.treated_value < treated.value_used).all()
    year = _df(built["paths"]["base"], "select * from marts.fct_indicator_year where indicator_id = 'DLB_volunteers_per_1k' and year = 2020")
    assert year.n_treated.iloc[0] >= 1 and year.skewness_before.iloc[0] >= 2


def test_composite_is_the_weighted_sum_analysts_can_reproduce(built):
    path = built["paths"]["base"]
    got = _df(path, """
        with cap as (
            select street_code, year, capacity, sum(weight * normalised_value) as score
            from marts.fct_indicator_value where counts_in_score group by all
        )
        select c.street_code, c.year, c.composite_score, sum(d.weight * cap.score) as recomputed, count(*) as n
        from marts.fct_composite_score c
        join cap using (street_code, year)
        join marts.dim_capacity d using (capacity)
        group by all
    """)
    full = got[(got.n == 5) & got.composite_score.notna()]
    assert len(full) > 200
    assert np.allclose(full.composite_score, full.recomputed, atol=1e-9)


def test_fct_street_year_carries_the_context_measures(built):
    sy = _df(built["paths"]["base"], "select * from marts.fct_street_year where year = 2020")
    ctx = [i.lower() for i in Framework.load().context.indicator_id]
    assert set(ctx) <= set(sy.columns)
    assert sy.ctx_spending_per_capita.notna().mean() > 0.8
    assert np.allclose(sy.ctx_density, sy.population / sy.area_km2)


@pytest.mark.parametrize("case", list(REFUSED))
def test_an_option_that_cannot_be_applied_fails_the_build_naming_it(built, case):
    out = built["outputs"][case]
    assert "Compilation Error" in out and REFUSED[case][2] in out, out[-3000:]
    assert "Completed successfully" not in out


@pytest.mark.parametrize("variant", ["base", "zscore_entropy_unimputed", "critic_geometric"])
def test_dim_methodology_regenerates_the_published_scores(built, variant):
    """The full option set recorded by the build, read back and given to the numpy scorer, gives
    the published composite scores and ranks."""
    path = built["paths"][variant]
    method = _df(path, "select * from marts.dim_methodology order by sort_order")
    from jinchengtuo.scoring.options import SPECS

    assert list(method.option) == [s.dbt_var for s in SPECS]  # every option, not only the non-default ones
    assert method.value.notna().all() and set(method.step) == {"screen", "impute", "treat", "normalise", "weight", "aggregate"}
    options = ScoringOptions.from_records(method.to_dict("records"))
    assert options == (ScoringOptions() if variant == "base" else VARIANTS[variant])
    assert list(method.is_default) == [r["is_default"] for r in options.records()]
    fw = Framework.load()
    assert set(method.methodology_version) == {options.methodology_version(fw.version)}
    con = _con(path)
    try:
        panel = panel_from_warehouse(con, fw)
        published = con.execute("select street_code, year, composite_score, rank, methodology_version from marts.fct_composite_score").df()
    finally:
        con.close()
    again = to_frames(panel, score(panel, fw, options), fw)["composite_score"]
    m = published.merge(again, on=["street_code", "year"], suffixes=("_pub", "_re"))
    assert len(m) == len(published) and m.composite_score_pub.notna().sum() > 100
    assert (m.composite_score_pub.isna() == m.composite_score_re.isna()).all()
    assert np.nanmax(np.abs(m.composite_score_pub - m.composite_score_re)) < 1e-9
    assert (m.rank_pub.fillna(-1) == m.rank_re.fillna(-1)).all()
    assert (m.methodology_version_pub == m.methodology_version_re).all()


def test_imputation_off_imputes_nothing(built):
    iv = _df(built["paths"]["zscore_entropy_unimputed"], "select * from marts.fct_indicator_value")
    base = _df(built["paths"]["base"], "select is_imputed from marts.fct_indicator_value")
    assert base.is_imputed.sum() > 0 and iv.is_imputed.sum() == 0 and iv.imputation_method.isna().all()
    missing = iv[iv.is_included & iv.raw_value.isna()]
    assert len(missing) > 0 and missing.value_used.isna().all() and not missing.counts_in_score.any()


def test_every_mart_column_is_described(built):
    import yaml

    described = {}
    for yml in (config.DBT_PROJECT_DIR / "models" / "marts").glob("*.yml"):
        for model in yaml.safe_load(yml.read_text(encoding="utf-8")).get("models", []):
            described[model["name"]] = {c["name"]: c.get("description", "") for c in model.get("columns", [])}
    for table in ("dim_methodology", "dim_indicator", "dim_capacity", "fct_indicator_value", "fct_indicator_year", "fct_capacity_score",
                  "fct_composite_score", "fct_street_year", "fct_year_coverage", "dim_release_inputs", "fct_document_inventory"):
        cols = _df(built["paths"]["base"], f"select * from marts.{table} limit 0").columns
        missing = [c for c in cols if not described.get(table, {}).get(c)]
        assert not missing, f"{table}: columns without a description: {missing}"


def test_a_method_change_is_a_new_vintage_with_a_change_note(built, tmp_path):
    """Publish a year, change the method, republish: revision 2 is a new vintage, revision 1 stays
    downloadable and linked, and the change note says what changed in method, in source data and
    how ranks moved. The goalposts, unit and direction of every indicator are published too."""
    import json

    import openpyxl

    from jinchengtuo.publication.release import publish_year

    reports, docs = tmp_path / "reports", tmp_path / "documents"
    first = publish_year(2020, warehouse=built["paths"]["base"], reports_root=reports, documents_root=docs)
    second = publish_year(2020, warehouse=built["paths"]["zscore_entropy_unimputed"], reports_root=reports, documents_root=docs)
    assert (first.revision, second.revision, second.changed) == (1, 2, True)
    year_dir = reports / "2020"
    assert (year_dir / "revisions" / "1" / "report.html").exists() and (year_dir / "revisions" / "1" / "ranking.xlsx").exists()
    m = json.loads((year_dir / "manifest.json").read_text(encoding="utf-8"))
    # the manifest records every option; the vintages list both method versions with their paths
    assert [r["option"] for r in m["methodology"]][:2] == ["min_indicator_coverage", "scoring_imputation"] and len(m["methodology"]) == 10
    assert [(v["vintage"], v["revisions"], v["path"]) for v in m["vintages"]] == [(1, [1], "revisions/1/"), (2, [2], "revisions/2/")]
    assert m["vintages"][0]["methodology_version"] == Framework.load().version
    assert {r["option"] for r in m["vintages"][1]["method"]} == {"scoring_normalisation", "scoring_weighting", "scoring_imputation"}
    changes = m["changes"]
    assert {(c["option"], c["before"], c["after"]) for c in changes["method_changed"]} == {
        ("scoring_normalisation", "goalposts", "zscore"), ("scoring_weighting", "expert", "entropy"), ("scoring_imputation", "on", "off")}
    assert changes["source_data_changed"] == [] and "source data unchanged" in changes["summary"]
    # rank movement computed by hand from the two published rankings
    old = pd.read_parquet(year_dir / "revisions" / "1" / "ranking.parquet").set_index("street_code")["rank"]
    new = pd.read_parquet(year_dir / "ranking.parquet").set_index("street_code")["rank"]
    both = old.dropna().index.intersection(new.dropna().index)
    delta = (old[both].astype(float) - new[both].astype(float))
    mv = changes["rank_movement"]
    assert mv["n_compared"] == len(both) and mv["mean_abs_rank_change"] == round(float(delta.abs().mean()), 2) > 0
    assert mv["max_abs_rank_change"] == delta.abs().max() and abs(mv["largest_moves"][0]["change"]) == delta.abs().max()
    assert "method changed 方法变更: " in changes["summary"] and "ranks moved 名次变动" in changes["summary"]
    index = json.loads((year_dir / "revisions" / "index.json").read_text(encoding="utf-8"))
    assert [r["path"] for r in index["revisions"]] == ["revisions/1/", "revisions/2/"] and len(index["vintages"]) == 2
    # the report links the earlier vintage from both places it is published
    report = (year_dir / "report.html").read_text(encoding="utf-8")
    assert 'href="revisions/1/report.html"' in report and "JCT-REVISIONS-PREFIX" not in report
    copy = (year_dir / "revisions" / "2" / "report.html").read_text(encoding="utf-8")
    assert 'href="../1/report.html"' in copy
    assert "JCT-REPORTS-ROOT" not in report + copy  # links to the reports folder resolved (test_publication checks where to)
    # goalposts, unit and direction: the report's method section, the XLSX framework sheet, the profiles
    iy = _df(built["paths"]["zscore_entropy_unimputed"], "select * from marts.fct_indicator_year where year = 2020")
    fw = Framework.load().scored.set_index("indicator_id")
    row = iy[iy.is_included].iloc[0]
    assert 'id="goalposts"' in report and fw.loc[row.indicator_id, "unit"] in report and "越低越好 lower is better" in report
    wb = openpyxl.load_workbook(year_dir / "ranking.xlsx", read_only=True)
    rows = list(wb["framework"].iter_rows(values_only=True))
    header = list(rows[2]) if "indicator_id" in rows[2] else list(rows[1])
    body = [dict(zip(header, r)) for r in rows[rows.index(tuple(header)) + 1:] if r[0]]
    got = {r["indicator_id"]: r for r in body}[row.indicator_id]
    assert np.isclose(float(got["goalpost_low"]), row.scale_low) and np.isclose(float(got["goalpost_high"]), row.scale_high)
    assert got["unit"] == fw.loc[row.indicator_id, "unit"] and int(got["direction"]) == fw.loc[row.indicator_id, "direction"]
    assert got["goalpost_basis"] == "year mean and population sd"
    profile = next((year_dir / "streets").glob("*.html")).read_text(encoding="utf-8")
    assert "越高越好 higher is better" in profile and any(f" · {u}" in profile for u in fw.unit.dropna().unique())


def test_goalposts_name_the_reference_years_that_had_values(built):
    base = _df(built["paths"]["base"], "select distinct scale_basis from marts.fct_indicator_year where is_included")
    assert "reference period 2019, 2020, 2021" in set(base.scale_basis)
    one = _df(built["paths"]["geometric_unscreened"], "select distinct scale_basis from marts.fct_indicator_year where is_included")
    assert "reference period 2020" in set(one.scale_basis) and not any("2019" in b for b in one.scale_basis.dropna())
