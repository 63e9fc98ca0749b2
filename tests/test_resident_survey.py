"""The two-way evaluation: the resident_survey source type, resident scores with margins of error,
the two-way marts, the official ranking left alone, and the chapter published.

Fast tests: the loader's errors on hand-written files, MOE against the textbook formula, the
sample generator. Slow tests (one dbt build each fixture): a hand case through the survey marts
(official scores written by hand, only the survey models run by dbt), and one synthetic warehouse
(dbt build) for the composite-unchanged check and the publication of a sample year.
"""

from __future__ import annotations

import io
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

from jinchengtuo import config
from jinchengtuo.reference.streets import StreetDirectory
from jinchengtuo.surveys import MIN_PUBLISHABLE_N, load_survey_dir, moe, read_survey_file
from jinchengtuo.surveys.load import load_surveys

DBT = str(Path(sys.executable).with_name("dbt"))
SURVEY_MODELS = ["stg_surveys__resident_survey", "stg_surveys__hotline_summary", "fct_resident_score", "fct_two_way",
                 "fct_two_way_correlation", "fct_blended_score"]


@pytest.fixture(scope="module")
def streets():
    return StreetDirectory.load(config.reference_dir() / "streets.csv")


def _dbt(args: list[str], warehouse: Path, target: Path, vars_: str | None = None) -> subprocess.Popen:
    cmd = [DBT, *args, "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(target / "logs")]
    if vars_:
        cmd += ["--vars", vars_]
    env = {**os.environ, "JCT_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _ok(proc: subprocess.Popen) -> str:
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0 and "Completed successfully" in out, out[-4000:]
    return out


# ---- margins of error -------------------------------------------------------------------------

@pytest.mark.parametrize("p, n, N, expected", [
    (50.0, 100, None, 9.8),  # 1.96 · sqrt(0.25 / 100) = 0.098
    (80.0, 400, None, 3.92),  # 1.96 · sqrt(0.16 / 400) = 1.96 · 0.02
    (90.0, 900, None, 1.96),  # 1.96 · sqrt(0.09 / 900) = 1.96 · 0.01
    (80.0, 400, 1000, 3.92 * math.sqrt(600 / 999)),  # finite-population correction
    (100.0, 250, None, 0.0),  # everyone satisfied: the Wald interval has no width
])
def test_moe_is_the_textbook_formula(p, n, N, expected):
    assert moe(p, n, N) == pytest.approx(expected, abs=1e-9)


def test_the_minimum_sample_is_where_the_moe_reaches_ten_points():
    assert MIN_PUBLISHABLE_N == 100
    assert moe(50.0, MIN_PUBLISHABLE_N) == pytest.approx(9.8)


# ---- the loader -------------------------------------------------------------------------------

def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _issues_by_row(issues):
    return {i.source_row: i for i in issues}


def test_survey_rows_with_problems_are_reported_with_file_row_column_and_skipped(tmp_path, streets):
    f = _write(tmp_path / "满意度2022.csv", "\n".join([
        "街道,年度,能力,满意率(%),样本量",
        "园岭街道,2022,为民服务能力,86.5,400",  # 2: good
        "福田区华富街道,2022,SAF,0.91,300",  # 3: good, a fraction → 91%
        "火星街道,2022,SRV,80,300",  # 4: unknown street
        "园岭街道办事处,2022,EMG,120,300",  # 5: impossible rate
        "园岭,2022,DLB,-3,300",  # 6: impossible rate
        "华富,2022,EMG,75,60",  # 7: too small to publish (kept, unpublished)
        "园岭,2022,总体,abc,400",  # 8: not a number
        "园岭,2022,幸福感,80,400",  # 9: unknown capacity
        "园岭,2022,SRV,80,400",  # 10: duplicate of row 2
        "园岭,2099,SRV,80,400",  # 11: a year after the current one
    ]))
    kind, df, issues = read_survey_file(f, streets)
    assert kind == "survey"
    by_row = _issues_by_row(issues)
    assert set(by_row) == {4, 5, 6, 7, 8, 9, 10, 11}
    for row, code, column in [(4, "unknown_street", "街道"), (5, "impossible_rate", "满意率"), (6, "impossible_rate", "满意率"),
                              (7, "sample_too_small", "样本量"), (8, "not_a_number", "满意率"), (9, "unknown_capacity", "能力"),
                              (10, "duplicate_row", None), (11, "out_of_range", "年度")]:
        i = by_row[row]
        assert i.code == code and i.source_file == "surveys/满意度2022.csv", i
        assert column is None or column in i.column, i
        assert f"row {row}" in str(i) and "surveys/满意度2022.csv" in str(i)
    assert "火星街道" in by_row[4].message and "skipped" in by_row[4].message
    assert "120" in by_row[5].message and "0–100" in by_row[5].message
    assert by_row[7].severity == "warning" and "60 < 100" in by_row[7].message
    assert all(i.severity == "error" for r, i in by_row.items() if r != 7)
    # the good rows and the too-small one are loaded; the small one is not publishable, with its reason
    assert list(df.source_row) == [2, 3, 7]
    assert list(df.capacity) == ["SRV", "SAF", "EMG"]
    assert df.satisfied_pct.tolist() == [86.5, 91.0, 75.0]
    assert df.is_publishable.tolist() == [True, True, False]
    assert "n = 60" in df.not_published_reason.iloc[2]
    assert not df.is_synthetic.any()


def test_a_file_missing_a_required_column_is_rejected_with_the_column_named(tmp_path, streets):
    f = _write(tmp_path / "bad.csv", "街道,年度,能力,满意率\n园岭,2022,SRV,80\n")
    kind, df, issues = read_survey_file(f, streets)
    assert df.empty and len(issues) == 1
    i = issues[0]
    assert (i.code, i.source_row, i.severity) == ("missing_column", 1, "error")
    assert "样本量" in i.column and "surveys/bad.csv" in str(i) and "missing" in i.message
    f2 = _write(tmp_path / "nothing.csv", "名称,数值\n园岭,1\n")
    _, df2, issues2 = read_survey_file(f2, streets)
    assert df2.empty and issues2[0].code == "missing_column"


def test_hotline_summary_in_xlsx_with_english_headers_and_its_impossible_rows(tmp_path, streets):
    path = tmp_path / "hotline.xlsx"
    pd.DataFrame([
        ["Yuanling", 2021, 1000, 950, 88.0, 300],  # 2: good (a street name in pinyin is unknown)
        ["园岭街道", 2021, 1000, 950, 88.0, 300],  # 3: good
        ["华富街道", 2021, 1000, 1200, 88.0, 300],  # 4: closed > received
        ["莲花街道", 2021, 1000, 900, 101.0, 300],  # 5: rate > 100%
        ["香蜜湖街道", 2021, 1000, 900, 90.0, 50],  # 6: too few rated to publish
        ["沙头街道", 2021, 800, 700, 93.0, None],  # 7: no n_rated: every closed request counts
    ], columns=["street", "year", "requests_received", "requests_closed", "satisfaction_pct", "n_rated"]).to_excel(path, index=False)
    kind, df, issues = read_survey_file(path, streets)
    assert kind == "hotline"
    by_row = _issues_by_row(issues)
    assert by_row[2].code == "unknown_street"
    assert by_row[4].code == "impossible_rate" and "closed (1200) than received (1000)" in by_row[4].message
    assert by_row[5].code == "impossible_rate" and "101" in by_row[5].message
    assert by_row[6].code == "sample_too_small" and by_row[6].severity == "warning"
    assert list(df.source_row) == [3, 6, 7]
    assert df.is_publishable.tolist() == [True, False, True]
    assert pd.isna(df.n_rated.iloc[2])


def test_the_survey_folder_loads_into_raw_tables_and_load_issue_keeps_census_rows(tmp_path, streets):
    folder = tmp_path / "surveys"
    folder.mkdir()
    _write(folder / "a.csv", "street,year,capacity,satisfied_pct,n\n园岭,2022,SRV,80,400\n火星,2022,SRV,80,400\n")
    _write(folder / "b.csv", "街道,年度,能力,满意率,样本量\n园岭街道,2022,为民服务,70,300\n")  # same street-year-capacity again
    loaded = load_survey_dir(folder, streets)
    assert len(loaded.surveys) == 1 and loaded.surveys.satisfied_pct.iloc[0] == 80
    codes = sorted((i.source_file, i.source_row, i.code) for i in loaded.issues)
    assert codes == [("surveys/a.csv", 3, "unknown_street"), ("surveys/b.csv", 2, "duplicate_row")]
    assert "surveys/a.csv row 2" in next(i for i in loaded.issues if i.code == "duplicate_row").message
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        from jinchengtuo.warehouse.schema import ensure_raw_schema

        ensure_raw_schema(con)
        con.execute("insert into raw.load_issue values ('census.csv', 3, 'warning', 'x', 'a census warning')")
        for _ in range(2):  # loading twice replaces the survey rows only
            result = load_surveys(con, folder, config.reference_dir())
        assert result["resident_survey"] == 1 and result["hotline_summary"] == 0
        rows = con.execute("select source_file, source_row, severity, code, message from raw.load_issue order by 1, 2").fetchall()
    finally:
        con.close()
    assert rows[0][:2] == ("census.csv", 3)
    assert [r[:4] for r in rows[1:]] == [("surveys/a.csv", 3, "error", "unknown_street"), ("surveys/b.csv", 2, "error", "duplicate_row")]
    assert rows[1][4].startswith("column 街道 (street): ")



def test_every_sheet_of_a_workbook_is_read_and_a_notes_sheet_is_skipped_with_a_warning(tmp_path, streets):
    folder = tmp_path / "surveys"
    folder.mkdir()
    with pd.ExcelWriter(folder / "2022年居民评价.xlsx") as xw:
        pd.DataFrame([["说明：本表为抽样调查结果"]]).to_excel(xw, sheet_name="说明", index=False, header=False)
        pd.DataFrame([["园岭街道", 2022, "SRV", 81.0, 350], ["火星街道", 2022, "SRV", 81.0, 350]],
                     columns=["街道", "年度", "能力", "满意率", "样本量"]).to_excel(xw, sheet_name="满意度", index=False)
        pd.DataFrame([["园岭街道", 2022, 5000, 4900, 92.5, 1500]],
                     columns=["街道", "年度", "受理量", "办结量", "满意率", "回访样本量"]).to_excel(xw, sheet_name="12345", index=False)
    loaded = load_survey_dir(folder, streets)
    assert len(loaded.surveys) == 1 and len(loaded.hotline) == 1
    assert loaded.surveys.source_file.iloc[0] == "surveys/2022年居民评价.xlsx[满意度]"
    assert loaded.hotline.satisfaction_pct.iloc[0] == 92.5 and loaded.files == ["2022年居民评价.xlsx"]
    by_code = {i.code: i for i in loaded.issues}
    assert set(by_code) == {"sheet_skipped", "unknown_street"}
    assert by_code["sheet_skipped"].severity == "warning" and "[说明]" in by_code["sheet_skipped"].source_file
    assert (by_code["unknown_street"].source_file, by_code["unknown_street"].source_row) == ("surveys/2022年居民评价.xlsx[满意度]", 3)

def test_no_survey_folder_is_no_resident_data_not_an_error(tmp_path, streets):
    loaded = load_survey_dir(tmp_path / "absent", streets)
    assert loaded.surveys.empty and loaded.hotline.empty and loaded.issues == []


# ---- the sample generator ---------------------------------------------------------------------

def test_the_sample_is_synthetic_deterministic_and_related_to_but_not_determined_by_the_model(tmp_path, streets):
    from jinchengtuo.corpus.model import build_model, load_inputs
    from jinchengtuo.surveys.sample import latent_qualities, write_sample

    years = [2021, 2022]
    a = write_sample(tmp_path / "a", years, seed=7)
    b = write_sample(tmp_path / "b", years, seed=7)
    assert [p.name for p in a] == ["居民满意度调查_SYNTHETIC示例_2021-2022.csv", "12345热线_SYNTHETIC示例_2021-2022.xlsx"]
    assert a[0].read_bytes() == b[0].read_bytes()
    assert "示例" in pd.read_csv(a[0]).columns and set(pd.read_csv(a[0])["示例"]) == {"synthetic"}
    loaded = load_survey_dir(a[0].parent, streets)
    assert loaded.errors == []
    s, h = loaded.surveys, loaded.hotline
    assert s.is_synthetic.all() and h.is_synthetic.all()
    assert set(s.street_code) == {st.street_code for st in streets} and len(h) == 74 * len(years)
    assert {"ALL", "SRV", "DLB", "EMG", "SAF"} <= set(s.capacity) and 0 < (s.capacity == "EXE").sum() < 74 * len(years)
    assert 0 < (~s.is_publishable).sum() < 0.1 * len(s)  # a few samples too small to publish
    # related to the latent qualities of the document model, not determined by them
    st, census, growth = load_inputs()
    model = build_model(st, census, growth, years, 7)
    q = latent_qualities(model)
    for cap in ("SRV", "SAF", "EMG", "DLB"):
        sub = s[(s.capacity == cap) & s.is_publishable]
        r = np.corrcoef([q[(c, y)][cap] for c, y in zip(sub.street_code, sub.year)], sub.satisfied_pct)[0, 1]
        assert 0.3 < r < 0.9, (cap, r)
    # the hotline's received requests follow the documents' citizen requests
    stated = [model[(r.street_code, r.year)].work["citizen_requests"] for r in h.itertuples()]
    assert np.corrcoef(np.log(stated), np.log(h.requests_received.astype(float)))[0, 1] > 0.9


# ---- the survey marts on a hand case (official scores written by hand) ---------------------------

HAND = {  # street -> (official composite, resident overall %, n)
    "440304001": (80.0, 90.0, 400),
    "440304002": (70.0, 50.0, 400),
    "440304004": (60.0, 85.0, 400),
    "440304005": (50.0, 60.0, 400),
    "440304006": (40.0, 70.0, 400),
    "440304007": (30.0, 40.0, 400),
}
DERIVED = "440304008"  # official 55; no overall row, capacities EXE 70, SRV 80, DLB 60 → resident composite 70
SMALL = "440304009"  # official 65; overall n = 60: not published, not in the two-way view
EXPECTED_QUADRANTS = {  # medians: official 55 (of 80 70 60 50 40 30 55), residents 70 (of 90 50 85 60 70 40 70)
    "440304001": "both_high", "440304002": "official_high_residents_low", "440304004": "both_high",
    "440304005": "both_low", "440304006": "official_low_residents_high", "440304007": "both_low",
    DERIVED: "both_high",  # exactly at both medians: a score at the median counts as high
}


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    root = tmp_path_factory.mktemp("two_way_hand")
    wh = root / "hand.duckdb"
    con = duckdb.connect(str(wh))
    try:
        from jinchengtuo.warehouse.schema import ensure_raw_schema, replace_table

        ensure_raw_schema(con)
        codes = [*HAND, DERIVED, SMALL]
        for schema in ("marts", "intermediate"):
            con.execute(f"create schema {schema}")
        con.execute("create table marts.dim_street as select street_code, 'S' || street_code as street_name, '福田区' as district_name "
                    "from (select unnest(?) as street_code)", [codes])
        con.execute("create table intermediate.int_street_year__population as select street_code, 2022 as year, "
                    "1000::bigint as population from (select unnest(?) as street_code)", [codes])
        official = {**{c: v[0] for c, v in HAND.items()}, DERIVED: 55.0, SMALL: 65.0}
        con.execute("create table marts.fct_composite_score as select street_code, 2022 as year, composite_score, "
                    "rank() over (order by composite_score desc) as rank from (select unnest(?) as street_code, unnest(?) as composite_score)",
                    [list(official), list(official.values())])
        con.execute("create table marts.fct_capacity_score as select '440304001' as street_code, 2022 as year, 'SRV' as capacity, "
                    "40.0 as score, 1 as rank union all select '440304002', 2022, 'SRV', 30.0, 2")
        rows = [{"street_code": c, "year": 2022, "capacity": "ALL", "satisfied_pct": r, "n": n, "is_publishable": True,
                 "is_synthetic": False, "source_file": "surveys/hand.csv", "source_row": i + 2}
                for i, (c, (_, r, n)) in enumerate(HAND.items())]
        rows += [{"street_code": DERIVED, "year": 2022, "capacity": cap, "satisfied_pct": v, "n": 200, "is_publishable": True,
                  "is_synthetic": False, "source_file": "surveys/hand.csv", "source_row": 20 + k}
                 for k, (cap, v) in enumerate([("EXE", 70.0), ("SRV", 80.0), ("DLB", 60.0)])]
        rows += [{"street_code": SMALL, "year": 2022, "capacity": "ALL", "satisfied_pct": 75.0, "n": 60, "is_publishable": False,
                  "not_published_reason": "样本量不足 sample too small: n = 60 respondents < 100", "is_synthetic": False,
                  "source_file": "surveys/hand.csv", "source_row": 30}]
        rows += [{"street_code": "440304001", "year": 2022, "capacity": "SRV", "satisfied_pct": 82.0, "n": 300, "is_publishable": True,
                  "is_synthetic": False, "source_file": "surveys/hand.csv", "source_row": 31}]
        replace_table(con, "resident_survey", pd.DataFrame(rows))
        replace_table(con, "hotline_summary", pd.DataFrame([
            {"street_code": c, "year": 2022, "requests_received": 1000, "requests_closed": 900, "satisfaction_pct": s, "n_rated": 400,
             "is_publishable": True, "is_synthetic": False, "source_file": "surveys/hot.xlsx", "source_row": i + 2}
            for i, (c, s) in enumerate([("440304001", 95.0), ("440304002", 60.0)])]))
    finally:
        con.close()
    _ok(_dbt(["seed", "--select", "capacity_framework"], wh, root / "target"))
    _ok(_dbt(["run", "--select", *SURVEY_MODELS], wh, root / "target", vars_='{survey_fpc: true}'))
    con = duckdb.connect(str(wh), read_only=True)
    try:
        yield {t: con.execute(f"select * from marts.{t}").df() for t in ("fct_resident_score", "fct_two_way", "fct_two_way_correlation", "fct_blended_score")}
    finally:
        con.close()


@pytest.mark.slow
def test_resident_scores_carry_the_textbook_moe_with_the_finite_population_correction(hand):
    rs = hand["fct_resident_score"]
    for r in rs[rs.is_published].itertuples():
        assert r.fpc_applied  # survey_fpc on, N = 1000 > n
        assert r.moe == pytest.approx(moe(r.resident_score, r.n, 1000), abs=1e-9), r
    a = rs[(rs.street_code == "440304001") & (rs.capacity == "ALL")].iloc[0]
    assert a.moe == pytest.approx(100 * 1.96 * math.sqrt(0.9 * 0.1 / 400) * math.sqrt(600 / 999))
    small = rs[rs.street_code == SMALL].iloc[0]
    assert pd.isna(small.resident_score) and pd.isna(small.moe) and not small.is_published
    assert "n = 60" in small.not_published_reason
    hot = rs[rs.source == "hotline_12345"]
    assert set(hot.capacity) == {"SRV"} and len(hot) == 2
    assert hot.requests_received.tolist() == [1000, 1000] and hot.closure_rate_pct.tolist() == [90.0, 90.0]
    assert hot.n.tolist() == [400, 400]  # the callers asked, not every request


@pytest.mark.slow
def test_two_way_quadrants_and_disagreement_on_the_hand_case(hand):
    tw = hand["fct_two_way"]
    comp = tw[tw.measure == "composite"].set_index("street_code")
    assert SMALL not in comp.index  # unpublished sample: no two-way row
    assert comp.quadrant.to_dict() == EXPECTED_QUADRANTS
    assert comp.official_median.iloc[0] == 55 and comp.resident_median.iloc[0] == 70
    d = comp.loc[DERIVED]
    assert d.resident_source == "survey_capacities" and d.resident_score == pytest.approx(70.0)
    m = [moe(v, 200, 1000) for v in (70.0, 80.0, 60.0)]
    assert d.resident_moe == pytest.approx(math.sqrt(sum((0.2 * x) ** 2 for x in m)) / 0.6)
    # disagreement computed here from its definition: standardised gap beyond the MOE and ≥ 1.5 sd
    o, r = comp.official_score, comp.resident_score
    zo, zr = (o - o.mean()) / o.std(ddof=1), (r - r.mean()) / r.std(ddof=1)
    gap = (zr - zo) * r.std(ddof=1)
    expected = (gap.abs() > comp.resident_moe) & ((zr - zo).abs() >= 1.5)
    assert comp.gap_points.to_dict() == pytest.approx(gap.to_dict())
    assert comp.is_disagreement.to_dict() == expected.to_dict()
    assert expected.any() and not expected.all()
    assert set(comp[comp.is_disagreement].disagreement_direction) <= {"residents_lower", "residents_higher"}
    assert comp.loc["440304002"].is_disagreement and comp.loc["440304002"].disagreement_direction == "residents_lower"
    # SRV: the survey where there is one, the hotline otherwise; two streets are too few to standardise
    srv = tw[tw.measure == "SRV"].set_index("street_code")
    assert srv.resident_source.to_dict() == {"440304001": "survey", "440304002": "hotline_12345"}
    assert srv.resident_score.to_dict() == {"440304001": 82.0, "440304002": 60.0}
    assert srv.is_disagreement.isna().all()
    corr = hand["fct_two_way_correlation"].set_index("measure").loc["composite"]
    assert corr.n_streets == 7
    assert corr.pearson_r == pytest.approx(np.corrcoef(o, r)[0, 1])
    assert corr.spearman_rho == pytest.approx(o.rank().corr(r.rank()))  # average ranks for the tie at 70
    assert (corr.n_both_high, corr.n_official_high_residents_low, corr.n_official_low_residents_high, corr.n_both_low) == (3, 1, 1, 2)
    assert corr.pearson_ci_low < corr.pearson_r < corr.pearson_ci_high
    assert hand["fct_blended_score"].empty  # no blend unless configured


# ---- one synthetic warehouse: the official ranking untouched, the chapter published -------------

YEARS = [2021]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from jinchengtuo.scoring.synthetic import make_synthetic_raw, write_synthetic_raw
    from jinchengtuo.surveys.sample import write_sample

    root = tmp_path_factory.mktemp("two_way_world")
    wh = root / "with.duckdb"
    con = duckdb.connect(str(wh))
    try:
        write_synthetic_raw(con, make_synthetic_raw(YEARS))
        write_sample(root / "sources", YEARS, seed=3)
        loaded = load_surveys(con, root / "sources" / "surveys", config.reference_dir())
        assert loaded["resident_survey"] > 0 and loaded["errors"] == []
    finally:
        con.close()
    _ok(_dbt(["build", "--exclude-resource-type", "test"], wh, root / "target"))
    _ok(_dbt(["test", "--select", *SURVEY_MODELS], wh, root / "target"))
    # the same warehouse without any survey file, rebuilt up to the official composite, with a blend configured
    without = root / "without.duckdb"
    shutil.copyfile(wh, without)
    con = duckdb.connect(str(without))
    try:
        con.execute("delete from raw.resident_survey")
        con.execute("delete from raw.hotline_summary")
    finally:
        con.close()
    blend = root / "blend.duckdb"
    shutil.copyfile(wh, blend)
    procs = [_dbt(["run", "--select", "+fct_composite_score", "+fct_capacity_score"], without, root / "target_without",
                  '{two_way_blend_weight: 0.3, survey_fpc: true}'),
             _dbt(["run", "--select", "fct_blended_score"], blend, root / "target_blend", '{two_way_blend_weight: 0.3}')]
    for p in procs:
        _ok(p)
    return root, wh, without, blend


def _frame(path: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@pytest.mark.slow
def test_the_official_composite_is_identical_with_and_without_survey_files(world):
    _, wh, without, _ = world
    for table, key in (("fct_composite_score", "street_code, year"), ("fct_capacity_score", "street_code, year, capacity")):
        a = _frame(wh, f"select * from marts.{table} order by {key}")
        b = _frame(without, f"select * from marts.{table} order by {key}")
        assert len(a) == 74 * len(YEARS) * (5 if table == "fct_capacity_score" else 1)
        pd.testing.assert_frame_equal(a, b)
    assert _frame(without, "select count(*) n from raw.resident_survey").n.iloc[0] == 0
    assert _frame(wh, "select count(*) n from marts.fct_two_way").n.iloc[0] > 0


@pytest.mark.slow
def test_a_configured_blend_is_a_separate_labelled_output_with_its_weights(world):
    _, wh, _, blend = world
    assert _frame(wh, "select count(*) n from marts.fct_blended_score").n.iloc[0] == 0  # off by default
    b = _frame(blend, "select * from marts.fct_blended_score")
    tw = _frame(blend, "select * from marts.fct_two_way where measure = 'composite'")
    assert len(b) == len(tw) > 0
    assert set(b.official_weight) == {0.7} and set(b.resident_weight) == {0.3}
    assert np.allclose(b.blended_score, 0.7 * b.official_composite + 0.3 * b.resident_composite)
    assert b.label.str.contains("not the official ranking").all()
    pd.testing.assert_frame_equal(_frame(wh, "select * from marts.fct_composite_score order by street_code, year"),
                                  _frame(blend, "select * from marts.fct_composite_score order by street_code, year"))


@pytest.mark.slow
def test_the_chapter_and_two_way_csv_are_published_for_a_sample_year(world):
    from jinchengtuo.publication import publish_year

    root, wh, _, _ = world
    year = YEARS[0]
    publish_year(year, warehouse=wh, reports_root=root / "reports")
    year_dir = root / "reports" / str(year)
    raw = (year_dir / "two_way.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM like ranking.csv
    csv = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype={"street_code": str})
    tw = _frame(wh, f"select * from marts.fct_two_way where year = {year}")
    assert len(csv) == len(tw) and set(csv.measure) == set(tw.measure)
    assert set(csv.quadrant) <= {"both_high", "official_high_residents_low", "official_low_residents_high", "both_low"}
    assert csv.is_synthetic.all()
    ranking = pd.read_csv(year_dir / "ranking.csv", encoding="utf-8-sig")
    assert not [c for c in ranking.columns if "resident" in c or "two_way" in c]  # the ranking file is not touched
    html = (year_dir / "report.html").read_text(encoding="utf-8")
    start = html.index('<section id="two_way"')
    section = html[start:html.index("</section>", start)]
    assert "双向评价" in section and "Two-way evaluation" in section
    assert 'data-chart="two-way"' in section and "sample-mark" in section  # the chart stamped as sample
    assert "合成居民调查 synthetic survey" in section and "two-way-disagreements" in section
    assert 'data-measure="composite"' in section
    code = tw[tw.measure == "composite"].street_code.iloc[0]
    profile = (year_dir / "streets" / f"{code}.html").read_text(encoding="utf-8")
    block = profile[profile.index('<section id="two_way"'):]
    assert "±" in block and "示例 SAMPLE" in block


def test_sample_surveys_follows_the_generated_corpus_and_skips_a_national_one(tmp_path):
    import json

    from typer.testing import CliRunner

    from jinchengtuo.cli import app

    (tmp_path / "sz" / "truth").mkdir(parents=True)
    (tmp_path / "sz" / "truth" / "corpus.json").write_text(json.dumps({"synthetic": True, "seed": 5, "years": [2022]}))
    res = CliRunner().invoke(app, ["sample-surveys", "--out", str(tmp_path / "sz")])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "sz" / "surveys").iterdir()) == [
        "12345热线_SYNTHETIC示例_2022.xlsx", "居民满意度调查_SYNTHETIC示例_2022.csv"]
    (tmp_path / "cn" / "truth").mkdir(parents=True)
    (tmp_path / "cn" / "truth" / "corpus.json").write_text(json.dumps({"synthetic": True, "scope": "national", "units": ["1"]}))
    res = CliRunner().invoke(app, ["sample-surveys", "--out", str(tmp_path / "cn")])
    assert res.exit_code == 0 and "no survey sample" in res.output
    assert not (tmp_path / "cn" / "surveys").exists()
