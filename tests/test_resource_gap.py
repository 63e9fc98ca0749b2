"""Demand against resources (marts.fct_resource_gap, the 需求与资源 chapter) and the real context
figures of the reference data.

One small warehouse: the synthetic raw layer (two years) with the project's real reference data
(sources/reference/streets.csv: real areas, populations and community counts with sources),
two streets' 2020 staff pushed far from their demand and one street's staff figure removed.
A copy of it has the 2021 demand and resources replaced by a tiny hand-made table with a known
regression, and only fct_resource_gap rebuilt on it.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from jinchengtuo import config
from jinchengtuo.scoring.synthetic import make_synthetic_raw, write_synthetic_raw
from jinchengtuo.warehouse.loaders import load_reference

pytestmark = pytest.mark.slow  # builds a warehouse with dbt (about a minute)

DBT = str(Path(sys.executable).with_name("dbt"))
YEARS = [2020, 2021]
HUAFU = "440304009"  # 华富街道: real 2020 census population, area and community count in streets.csv
NANYUAN = "440304001"  # 南园街道: no real figure found
OVER, UNDER, NO_STAFF = "440306017", "440305002", "440303005"  # 新安 ×6, 南山 ÷6, 南湖 without a staff figure


def dbt(args: list[str], warehouse: Path, target: Path) -> None:
    cmd = [DBT, *args, "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(target / "logs")]
    env = {**os.environ, "JCT_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert "Completed successfully" in out.stdout, out.stdout[-4000:]


def _query(wh: Path, sql: str, params=None) -> pd.DataFrame:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("resource_gap")
    wh = root / "warehouse.duckdb"
    raw = make_synthetic_raw(YEARS)
    con = duckdb.connect(str(wh))
    try:
        write_synthetic_raw(con, raw)
        load_reference(con, config.reference_dir())  # the real reference data, with its facts and sources
        staff = "field_id = 'fa_actual_staff' and year = 2020 and street_code = ?"
        con.execute(f"update raw.extracted_value set value = value * 6 where {staff}", [OVER])
        con.execute(f"update raw.extracted_value set value = value / 6 where {staff}", [UNDER])
        con.execute(f"delete from raw.extracted_value where {staff}", [NO_STAFF])
    finally:
        con.close()
    dbt(["build", "--exclude-resource-type", "test"], wh, root / "target")
    dbt(["test", "--select", "demand_framework demand_model int_street_year__demand_inputs int_street_year__demand_measures "
         "int_street_year__demand int_street_year__resources fct_resource_gap dim_street"], wh, root / "target")
    return {"root": root, "warehouse": wh}


# --- the tiny hand-made case: a regression known exactly ---------------------------------------------
#   x = ln(demand_index) = -2 -2 -1 -1 0 0 1 1 2 2 0 0, y = ln(staff) = 1 + 0.5 x + e,
#   e = ±0.1 in pairs and ±1.0 at x = 0: sum(e) = sum(e·x) = 0, so b = 0.5 and a = 1 exactly;
#   SSE = 10·0.01 + 2·1 = 2.1, s = sqrt(2.1 / 10), SST = 0.25·20 + 2.1 = 7.1, R² = 1 - 2.1/7.1.
TINY_X = np.array([-2, -2, -1, -1, 0, 0, 1, 1, 2, 2, 0, 0], dtype=float)
TINY_E = np.array([0.1, -0.1, 0.1, -0.1, 0.1, -0.1, 0.1, -0.1, 0.1, -0.1, 1.0, -1.0])
TINY_Y = 1 + 0.5 * TINY_X + TINY_E


@pytest.fixture(scope="module")
def tiny(world):
    wh = world["root"] / "tiny.duckdb"
    shutil.copyfile(world["warehouse"], wh)
    codes = _query(wh, "select street_code from marts.dim_street order by street_code").street_code.tolist()
    chosen, no_staff = codes[:12], codes[12]
    con = duckdb.connect(str(wh))
    try:
        con.execute("update intermediate.int_street_year__demand set demand_index = null where year = 2021")
        con.execute("update intermediate.int_street_year__resources set staff = null, spending = null where year = 2021")
        for code, x, y in zip(chosen, TINY_X, TINY_Y):
            con.execute("update intermediate.int_street_year__demand set demand_index = ? where year = 2021 and street_code = ?",
                        [math.exp(x), code])
            con.execute("update intermediate.int_street_year__resources set staff = ? where year = 2021 and street_code = ?",
                        [math.exp(y), code])
        con.execute("update intermediate.int_street_year__demand set demand_index = ? where year = 2021 and street_code = ?",
                    [math.exp(1.0), no_staff])
    finally:
        con.close()
    dbt(["run", "--select", "fct_resource_gap"], wh, world["root"] / "target_tiny")
    gap = _query(wh, "select * from marts.fct_resource_gap where year = 2021").set_index("street_code")
    return {"gap": gap, "chosen": chosen, "no_staff": no_staff}


def test_tiny_regression_is_the_hand_computed_one(tiny):
    g, chosen = tiny["gap"], tiny["chosen"]
    fit = g.loc[chosen]
    assert (fit.staff_n_fit == 12).all()
    assert fit.staff_slope.iloc[0] == pytest.approx(0.5, abs=1e-12)
    assert fit.staff_intercept.iloc[0] == pytest.approx(1.0, abs=1e-12)
    assert fit.staff_r2.iloc[0] == pytest.approx(1 - 2.1 / 7.1, rel=1e-12)
    s = math.sqrt(2.1 / 10)
    assert fit.staff_rse.iloc[0] == pytest.approx(s, rel=1e-12)
    expected = np.exp(1 + 0.5 * TINY_X)
    assert np.allclose(fit.staff_expected, expected, rtol=1e-12)
    assert np.allclose(fit.staff_gap, np.exp(TINY_Y) - expected, rtol=1e-9)
    # the 90% prediction interval: t(0.95, 10) · s · sqrt(1 + 1/12 + x²/20) on the log scale
    half = stats.t.ppf(0.95, 10) * s * np.sqrt(1 + 1 / 12 + TINY_X ** 2 / 20)
    assert np.allclose(np.log(fit.staff_expected_upper) - np.log(fit.staff_expected), half, rtol=1e-3)
    assert np.allclose(np.log(fit.staff_expected) - np.log(fit.staff_expected_lower), half, rtol=1e-3)
    # ±1.0 at x = 0 is outside (half width 0.8645), ±0.1 everywhere inside
    assert fit.staff_flag.tolist() == ["within_band"] * 10 + ["over_resourced", "under_resourced"]
    # the simpler reading: the city median of staff / demand index times the street's demand index
    ratio = np.median(np.exp(TINY_Y) / np.exp(TINY_X))
    assert np.allclose(fit.staff_expected_median_ratio, ratio * np.exp(TINY_X), rtol=1e-9)


def test_tiny_case_streets_without_inputs_get_nulls_and_a_reason(tiny):
    g = tiny["gap"]
    row = g.loc[tiny["no_staff"]]  # a demand index but no staff figure: expected yes, gap no
    assert row.staff_expected == pytest.approx(math.exp(1.5))
    assert pd.isna(row.staff_gap) and pd.isna(row.staff_flag) and row.staff_reason == "no figure in the documents"
    others = g.drop(index=[*tiny["chosen"], tiny["no_staff"]])
    assert others.staff_expected.isna().all() and others.staff_gap.isna().all()
    assert set(others.staff_reason) == {"no demand index"}
    # no spending figure anywhere that year: no fit, so no expected spending and no gap, with the reason
    assert g.spending_expected.isna().all() and g.spending_gap.isna().all() and g.spending_flag.isna().all()
    assert set(g.loc[tiny["chosen"]].spending_reason) == {"too few streets to fit (0 < 10)"}


# --- the model on the small warehouse ----------------------------------------------------------------

def test_gap_model_matches_an_independent_fit(world):
    g = _query(world["warehouse"], "select * from marts.fct_resource_gap where year = 2020")
    for res in ("staff", "spending"):
        fit = g.dropna(subset=["demand_index", f"{res}_actual"])
        fit = fit[fit[f"{res}_actual"] > 0]
        x, y = np.log(fit.demand_index.to_numpy()), np.log(fit[f"{res}_actual"].to_numpy())
        b, a = np.polyfit(x, y, 1)
        n = len(x)
        resid = y - (a + b * x)
        s = math.sqrt((resid ** 2).sum() / (n - 2))
        assert n >= 50 and (fit[f"{res}_n_fit"] == n).all()
        assert fit[f"{res}_slope"].iloc[0] == pytest.approx(b, rel=1e-9)
        assert fit[f"{res}_intercept"].iloc[0] == pytest.approx(a, rel=1e-9)
        assert fit[f"{res}_rse"].iloc[0] == pytest.approx(s, rel=1e-9)
        assert fit[f"{res}_r2"].iloc[0] == pytest.approx(1 - (resid ** 2).sum() / ((y - y.mean()) ** 2).sum(), rel=1e-9)
        half = stats.t.ppf(0.95, n - 2) * s * np.sqrt(1 + 1 / n + (x - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum())
        assert np.allclose(np.log(fit[f"{res}_expected_upper"]) - (a + b * x), half, rtol=1e-3)
        flag = np.where(resid > half, "over_resourced", np.where(resid < -half, "under_resourced", "within_band"))
        clear = np.abs(np.abs(resid) - half) > 1e-3 * half  # not on the band's edge
        assert (fit[f"{res}_flag"].to_numpy()[clear] == flag[clear]).all()
    staff = g.set_index("street_code")
    assert staff.loc[OVER, "staff_flag"] == "over_resourced" and staff.loc[OVER, "staff_gap"] > 0
    assert staff.loc[UNDER, "staff_flag"] == "under_resourced" and staff.loc[UNDER, "staff_gap"] < 0
    assert pd.isna(staff.loc[NO_STAFF, "staff_gap"]) and staff.loc[NO_STAFF, "staff_reason"] == "no figure in the documents"
    assert set(g.model_version) == {"demand-2026.1"}


def test_demand_index_is_the_documented_formula(world):
    wh = world["warehouse"]
    m = _query(wh, "select * from intermediate.int_street_year__demand_measures where year = 2020")
    fw = pd.read_csv(config.DBT_PROJECT_DIR / "seeds" / "demand_framework.csv").set_index("measure_id")
    t = m.raw_value.copy()
    tr = m.measure_id.map(fw["transform"])
    t[tr == "log"] = np.log(m.raw_value.where(m.raw_value > 0))
    t[tr == "log1p"] = np.log1p(m.raw_value.where(m.raw_value >= 0))
    m["t"] = t
    by = m.groupby("measure_id")["t"]
    mean, sd, n = m.measure_id.map(by.mean()), m.measure_id.map(by.std(ddof=1)), m.measure_id.map(by.count())
    m["z"] = ((m.t - mean) / sd).where((n >= 3) & (sd > 0))
    assert np.allclose(m.z.fillna(-99), m.z_score.fillna(-99), atol=1e-9)
    assert m.z.notna().sum() > 400  # most measures of most streets
    m["w"] = m.measure_id.map(fw.weight)
    have = m.dropna(subset=["z"]).assign(wz=lambda d: d.w * d.z)
    score = have.groupby("street_code").wz.sum() / have.groupby("street_code").w.sum()
    cover = have.groupby("street_code").w.sum() / fw.weight.sum()
    required = set(fw.index[fw.required])
    complete = have.groupby("street_code").measure_id.apply(lambda s: required <= set(s))
    ok = (cover >= 0.6) & complete
    d = _query(wh, "select * from intermediate.int_street_year__demand where year = 2020").set_index("street_code")
    assert ok.sum() >= 50
    assert np.allclose(d.loc[ok[ok].index, "demand_index"], 100 * np.exp(score[ok]), rtol=1e-9)
    assert d.loc[ok[~ok].index, "demand_index"].isna().all() and d.loc[ok[~ok].index, "demand_reason"].notna().all()


# --- real context figures first -------------------------------------------------------------------

def test_real_reference_figures_replace_the_synthetic_ones(world):
    wh = world["warehouse"]
    s = _query(wh, "select * from marts.dim_street").set_index("street_code")
    hf = s.loc[HUAFU]
    assert hf.population_2020 == 59995 and bool(hf.is_population_real) and "第七次人口普查" in hf.population_source
    assert hf.area_km2 == pytest.approx(5.75) and bool(hf.is_area_real) and not bool(hf.is_area_synthetic)
    assert "mbji.cn" in hf.area_source
    assert hf.communities == 8 and bool(hf.is_communities_real)
    assert "人口 population" in hf.real_context and "面积 area" in hf.real_context
    assert "人口 population" not in hf.synthetic_context and "年龄结构 age shares" in hf.synthetic_context
    ny = s.loc[NANYUAN]
    assert not bool(ny.is_population_real) and not bool(ny.is_area_real) and pd.isna(ny.communities)
    assert "人口 population" in ny.synthetic_context and "面积 area" in ny.synthetic_context and pd.isna(ny.real_context)
    assert ny.population_source.startswith("synthetic sample")
    assert int(s.is_population_real.sum()) == 7 and int(s.is_area_real.sum()) >= 28
    sy = _query(wh, "select * from marts.fct_street_year where street_code = ? order by year", [HUAFU])
    assert sy.population.tolist()[0] == 59995 and sy.is_population_real.tolist() == [True, False]
    gap = _query(wh, "select * from marts.fct_resource_gap where street_code = ? and year = 2020", [HUAFU]).iloc[0]
    assert bool(gap.is_population_real) and bool(gap.is_area_real) and gap.population == 59995
    assert "人口 population (census)" in gap.real_context
    later = _query(wh, "select * from marts.fct_resource_gap where street_code = ? and year = 2021", [HUAFU]).iloc[0]
    # 2021 scales the real 2020 figure by sample district totals: not real, and said so
    assert not bool(later.is_population_real) and bool(later.is_population_real_2020)
    assert "population" not in later.real_context and "scaled by sample district totals" in later.synthetic_context
    # the release still says the census is synthetic (the shares of every street are) and counts fewer synthetic areas
    inputs = _query(wh, "select * from marts.dim_release_inputs where year = 2020").iloc[0]
    assert bool(inputs.is_census_synthetic) and inputs.n_streets_area_synthetic == 74 - int(s.is_area_real.sum())


# --- the chapter -------------------------------------------------------------------------------------

def test_chapter_in_report_profile_ranking_and_files(world):
    from jinchengtuo.publication import chapters
    from jinchengtuo.publication.chapters import resources
    from jinchengtuo.publication.data import connect, load_year
    from jinchengtuo.publication.html import render_report

    assert "resources" in chapters.CHAPTER_MODULES
    con = connect(world["warehouse"])
    try:
        data = load_year(con, 2020)
    finally:
        con.close()
    assert "resources" in data.chapters and data.is_sample
    page = render_report(data, revision=1, published_at="2026-01-01T00:00:00Z")
    section = page[page.index('<section id="resources"'):]
    section = section[: section.index("</section>")]
    assert "需求与资源" in section and "Demand and resources" in section
    for chart in ("demand-staff", "gap-staff", "demand-spending", "gap-spending", "staff-mix"):
        assert f'aria-label="{chart}"' in section, chart
    assert section.count('class="sample-mark"') >= 5 and section.count('class="sample-tag"') >= 5  # every chart of sample data is stamped
    assert "not census data" in section and "示例数据 SAMPLE DATA" in section
    assert "新安街道" in section  # the over-resourced street is labelled and listed
    cd = data.chapters["resources"]
    over = resources.profile_html(data, cd, OVER)
    assert "资源偏多 over-resourced" in over and "治理需求指数" in over
    missing = resources.profile_html(data, cd, NO_STAFF)
    assert "no figure in the documents" in missing
    real = resources.profile_html(data, cd, HUAFU)
    assert "人口 population (census)" in real.split("真实数据 real figures")[1].split(".")[0]
    assert {"demand_index", "staff_expected", "staff_gap", "staff_flag", "spending_gap"} <= set(data.ranking.columns)
    files = resources.files(data, cd)
    csv = pd.read_csv(pd.io.common.BytesIO(files["resource_gap.csv"]), encoding="utf-8-sig", dtype={"street_code": str})
    assert len(csv) == 74 and csv.is_sample_data.all() and {"staff_gap", "spending_gap", "real_context"} <= set(csv.columns)


def test_quality_suite_passes_on_the_mart(world):
    from jinchengtuo.quality import load_suites, run_suite

    suite = next(s for s in load_suites() if s.name == "fct_resource_gap")
    result = run_suite(suite, _query(world["warehouse"], suite.sql))
    assert result.passed, result.summary()
    # and it catches a flag that contradicts the band
    df = _query(world["warehouse"], suite.sql)
    row = df.index[df.staff_flag == "within_band"][0]
    df.loc[row, "staff_flag_matches_band"] = False
    assert not run_suite(suite, df).passed
