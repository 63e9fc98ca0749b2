"""The statistical audit in the pipeline: one real Dagster refresh of the sample corpus (one
street's documents of the last year removed, so the coverage gates leave it unranked), with a
small number of Monte Carlo runs, then the audit marts, their checks and every published place
that carries the intervals. Plus the asset's helpers on hand-made tables (fast)."""

from __future__ import annotations

import re
import shutil

import dagster as dg
import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import SAMPLE_YEARS
from jinchengtuo import config

N_RUNS, SOBOL_N, SEED = 120, 16, 7
AUDIT_MARTS = ("fct_rank_uncertainty", "fct_sensitivity", "fct_indicator_coherence", "fct_capacity_coherence",
               "fct_indicator_correlation", "fct_audit_summary")
LAST = max(SAMPLE_YEARS)


@pytest.fixture(scope="module")
def env(sample_corpus, tmp_path_factory):
    corpus_dir, _ = sample_corpus
    root = tmp_path_factory.mktemp("audit_pipeline")
    sources = root / "sources"
    shutil.copytree(config.reference_dir(), sources / "reference")
    shutil.copytree(config.census_dir(), sources / "census")
    shutil.copytree(corpus_dir / "documents", sources / "documents")
    # one street publishes nothing in the last year: no counting document, so no rank and no interval
    street_dir = sorted(p for p in (sources / "documents" / str(LAST)).glob("*/*") if p.is_dir())[0]
    shutil.rmtree(street_dir)
    mp = pytest.MonkeyPatch()
    mp.setenv("JCT_SOURCES", str(sources))
    mp.setenv("JCT_WAREHOUSE", str(root / "warehouse" / "jct.duckdb"))
    mp.setenv("JCT_REPORTS", str(root / "reports"))
    mp.setenv("JCT_CACHE", str(root / "cache"))
    from jinchengtuo.refresh import run_refresh

    result = run_refresh([str(y) for y in SAMPLE_YEARS], instance=dg.DagsterInstance.ephemeral(), quiet=True,
                         run_config={"ops": {"statistical_audit": {"config": {"n_runs": N_RUNS, "seed": SEED,
                                                                               "sobol_base_samples": SOBOL_N}}}})
    yield {"root": root, "result": result, "removed": street_dir.name}
    mp.undo()


def _q(sql: str, params=None) -> pd.DataFrame:
    con = duckdb.connect(str(config.warehouse_path()), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def _csv(year: int) -> pd.DataFrame:
    return pd.read_csv(config.reports_dir() / str(year) / "ranking.csv", encoding="utf-8-sig", dtype={"street_code": str})


@pytest.mark.slow
def test_refresh_succeeds_and_the_audit_marts_cover_every_year(env):
    assert env["result"].success
    for mart in AUDIT_MARTS:
        years = set(_q(f"select distinct year from marts.{mart}")["year"])
        assert years == set(SAMPLE_YEARS), mart
    summary = _q("select * from marts.fct_audit_summary order by year")
    assert (summary["n_runs"] == N_RUNS).all() and (summary["seed"] == SEED).all()
    assert (summary["convergence_runs_half"] == N_RUNS // 2).all()
    assert (summary["convergence_max_change_p05"] >= 0).all() and (summary["convergence_max_change_p95"] >= 0).all()
    sens = _q("select * from marts.fct_sensitivity")
    assert set(sens.analysis) == {"sobol", "drop_one_indicator"}
    n_ind = int(_q("select count(*) as n from marts.dim_indicator where is_scored")["n"][0])
    assert (sens[sens.analysis == "drop_one_indicator"].groupby("year").size() == n_ind).all()
    alpha = _q("select * from marts.fct_capacity_coherence")
    assert (alpha.groupby("year").size() == 5).all() and (alpha["cronbach_alpha"].dropna() <= 1).all()


@pytest.mark.slow
def test_intervals_are_ordered_and_nominal_ranks_are_the_published_ranks(env):
    m = _q("""select u.*, c.rank, c.n_ranked as c_n_ranked from marts.fct_rank_uncertainty u
              join marts.fct_composite_score c using (year, street_code)""")
    assert len(m) > 0
    assert (m["nominal_rank"] == m["rank"]).all()
    assert ((m["rank_p05"] <= m["median_rank"]) & (m["median_rank"] <= m["rank_p95"])).all()
    assert ((m["rank_p05"] >= 1) & (m["rank_p95"] <= m["c_n_ranked"])).all()
    assert (m["n_runs"] == N_RUNS).all()
    assert (m["rank_p95"] > m["rank_p05"]).any()  # the method choices do move ranks
    for year in SAMPLE_YEARS:  # and the published files say the same
        csv = _csv(year).dropna(subset=["rank"]).set_index("street_code")
        mine = m[m.year == year].set_index("street_code")
        assert sorted(csv.index) == sorted(mine.index)
        assert (csv.loc[mine.index, "rank"].astype(int) == mine["nominal_rank"]).all()
        assert (csv.loc[mine.index, "rank_p05"].astype(int) == mine["rank_p05"]).all()
        assert (csv.loc[mine.index, "rank_p95"].astype(int) == mine["rank_p95"]).all()


@pytest.mark.slow
def test_unranked_streets_have_no_interval_anywhere(env):
    c = _q("select c.year, c.street_code, c.street_name, c.is_ranked, u.street_code is not null as has_interval "
           "from marts.fct_composite_score c left join marts.fct_rank_uncertainty u using (year, street_code)")
    assert (c["is_ranked"] == c["has_interval"]).all()
    unranked = c[~c.is_ranked & (c.year == LAST)]
    assert len(unranked) >= 1  # at least the street whose documents were removed
    csv = _csv(LAST).set_index("street_code")
    for code in unranked.street_code:
        assert pd.isna(csv.loc[code, "rank_p05"]) and pd.isna(csv.loc[code, "rank_p95"])
        assert pd.isna(csv.loc[code, "rank_change_significant"])
        page = (config.reports_dir() / str(LAST) / "streets" / f"{code}.html").read_text(encoding="utf-8")
        block = page[page.index('<section id="audit"'):]
        block = block[:block.index("</section>")]
        assert "没有排名区间" in block and "90% 区间" not in block


@pytest.mark.slow
def test_ranking_files_and_panel_carry_the_interval_columns(env):
    cols = ["rank_p05", "rank_p95", "rank_change_significant"]
    for year in SAMPLE_YEARS:
        d = config.reports_dir() / str(year)
        csv = _csv(year)
        assert cols == list(csv.columns[-3:])
        pq = pd.read_parquet(d / "ranking.parquet")
        assert set(cols) <= set(pq.columns)
        ws = load_workbook(d / "ranking.xlsx")["ranking"]
        header = [c.value for c in next(ws.iter_rows(min_row=2, max_row=2))]  # row 1 Chinese labels, row 2 column names
        assert cols == header[-3:], header
        # no audited previous year (the sample years are not consecutive): no change can be called significant
        assert csv["rank_change_significant"].isna().all()
    panel = pd.read_parquet(config.reports_dir() / "panel" / "rankings_panel.parquet")
    assert set(cols) <= set(panel.columns)
    comp = panel[panel.measure == "composite"].merge(
        _q("select year, street_code, rank_p05 as u05, rank_p95 as u95 from marts.fct_rank_uncertainty"),
        on=["year", "street_code"], how="left")
    assert (comp["rank_p05"].isna() == comp["u05"].isna()).all()
    ok = comp["u05"].notna()
    assert (comp.loc[ok, "rank_p05"].astype(int) == comp.loc[ok, "u05"]).all()
    assert (comp.loc[ok, "rank_p95"].astype(int) == comp.loc[ok, "u95"]).all()
    assert panel.loc[panel.measure != "composite", "rank_p05"].isna().all()


@pytest.mark.slow
def test_report_has_the_chapter_its_charts_and_profiles_show_the_interval(env):
    u = _q("select * from marts.fct_rank_uncertainty")
    for year in SAMPLE_YEARS:
        page = (config.reports_dir() / str(year) / "report.html").read_text(encoding="utf-8")
        section = page[page.index('<section id="audit"'):]
        section = section[:section.index("</section>")]
        assert "不确定性与敏感性" in section and "Uncertainty and sensitivity" in section
        for chart in ("audit-intervals", "audit-sensitivity", "audit-correlation"):
            block = re.search(rf'data-chart="{chart}">(.*?)</figure>', section, re.S)
            assert block and "<svg" in block.group(1), chart
            assert 'class="sample-mark"' in block.group(1), chart  # sample data: every chart is stamped
        assert "Cronbach" in section
        sentence = re.search(r'<p class="meaningful"[^>]*><strong>(.*?)</strong>', section, re.S).group(1)
        assert f"{year}年" in sentence and f"In {year}" in sentence
        top = u[u.year == year].sort_values("nominal_rank").iloc[0]
        profile = (config.reports_dir() / str(year) / "streets" / f"{top.street_code}.html").read_text(encoding="utf-8")
        assert f"第 {top.nominal_rank} 名（90% 区间 {top.rank_p05}–{top.rank_p95}）" in profile


@pytest.mark.slow
def test_the_audit_suites_ran_in_the_refresh_and_passed_their_errors(env):
    q = _q("""select check_name, bool_and(passed or severity = 'warning') as ok, count(*) as n
              from quality.check_result where check_name in ('gx_fct_rank_uncertainty', 'gx_fct_sensitivity',
              'gx_fct_indicator_coherence', 'gx_fct_capacity_coherence', 'gx_fct_indicator_correlation', 'gx_fct_audit_summary')
              group by 1""")
    assert len(q) == 6 and q["ok"].all(), q


# --- the asset's helpers, on hand-made tables -------------------------------------------------------

def test_replace_years_keeps_the_other_years_and_follows_new_columns():
    from jinchengtuo.defs.audit import replace_years

    con = duckdb.connect()
    replace_years(con, "t", pd.DataFrame({"year": [2020, 2021, 2021], "v": [1.0, 2.0, 3.0]}), [2020, 2021])
    n = replace_years(con, "t", pd.DataFrame({"year": [2021], "v": [9.0], "extra": ["x"]}), [2021])
    assert n == 1
    rows = con.execute("select year, v, extra from marts.t order by year").fetchall()
    assert rows == [(2020, 1.0, None), (2021, 9.0, "x")]
    replace_years(con, "t", pd.DataFrame({"year": pd.Series([], dtype="int64"), "v": pd.Series([], dtype=float)}), [2020])
    assert con.execute("select year from marts.t").fetchall() == [(2021,)]


def test_nominal_rank_check_names_the_streets():
    from jinchengtuo.defs.audit import check_nominal_ranks

    comp = pd.DataFrame({"year": [2020, 2020, 2020], "street_code": ["A", "B", "C"], "rank": [1, 2, None]})
    good = pd.DataFrame({"year": [2020, 2020], "street_code": ["A", "B"], "nominal_rank": [1, 2]})
    check_nominal_ranks(good, comp, [2020])
    bad = pd.DataFrame({"year": [2020, 2020, 2020], "street_code": ["A", "B", "C"], "nominal_rank": [2, 1, 3]})
    with pytest.raises(ValueError, match="3 street-year") as exc:
        check_nominal_ranks(bad, comp, [2020])
    assert "2020 A" in str(exc.value) and "2020 C" in str(exc.value)


def test_the_method_is_read_back_from_the_methodology_version():
    from jinchengtuo.scoring import Framework, ScoringOptions
    from jinchengtuo.scoring.audit import options_from_methodology_version

    v = Framework.load().version
    for opt in (ScoringOptions(), ScoringOptions(normalisation="zscore", weighting="critic"),
                ScoringOptions(goalpost_reference_years=(2020, 2021), min_indicator_coverage=0.5)):
        assert options_from_methodology_version(opt.methodology_version(v), v) == opt
    with pytest.raises(ValueError, match="scoring_colour"):
        options_from_methodology_version(v + "+scoring_colour=red", v)
    with pytest.raises(ValueError, match="framework version"):
        options_from_methodology_version("other-1.0", v)
