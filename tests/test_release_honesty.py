"""A release claims no more than its data: coverage gates and sample labels, end to end.

One synthetic warehouse (dbt build, no tests) with three years: 2020 complete, 2021 with the
documents of only 4 streets (the "handful of real files in a new year" case), 2022 with 59 of
the 74 streets publishing (enough to rank most of them, too few streets for a full ranking). Every
published format is read back as its reader would. The synthetic raw layer is a sample (made-up
documents and census), so everything must say so; a copy whose raw layer says real documents
checks which labels remain (synthetic census) and, with every input real, that none do.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from jinchengtuo import config
from jinchengtuo.publication import publish_panel, publish_years
from jinchengtuo.publication.data import connect, load_year
from jinchengtuo.publication import tables
from jinchengtuo.publication.html import render_profiles, render_report
from jinchengtuo.scoring.synthetic import make_synthetic_raw, write_synthetic_raw

YEARS = [2020, 2021, 2022]
FEW_YEAR, FEW_STREETS = 2021, 4
PARTIAL_YEAR, PARTIAL_STREETS = 2022, 59  # 59 / 74 < 80%: provisional whatever else
DBT = str(Path(sys.executable).with_name("dbt"))
FORMATS = ("ranking.csv", "ranking.parquet", "ranking.xlsx")

pytestmark = pytest.mark.slow  # builds a warehouse with dbt and publishes three years (a few minutes)


def dbt(args: list[str], warehouse: Path, target: Path) -> None:
    cmd = [DBT, *args, "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(target / "logs")]
    env = {**os.environ, "JCT_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert "Completed successfully" in out.stdout, out.stdout[-4000:]


def _few_documents_raw():
    raw = make_synthetic_raw(YEARS)
    codes = raw.streets.street_code.tolist()
    keep = {FEW_YEAR: set(codes[30:30 + FEW_STREETS]), PARTIAL_YEAR: set(codes[:PARTIAL_STREETS])}
    docs = raw.documents
    drop = docs.year.isin(keep) & ~docs.apply(lambda r: r.street_code in keep.get(r.year, set()), axis=1)
    gone = set(docs.loc[drop, "source_file_sha256"])
    raw.documents = docs[~drop].reset_index(drop=True)
    raw.values = raw.values[~raw.values.source_file_sha256.isin(gone)].reset_index(drop=True)
    return raw, keep


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("honesty")
    wh = root / "warehouse.duckdb"
    raw, keep = _few_documents_raw()
    con = duckdb.connect(str(wh))
    try:
        write_synthetic_raw(con, raw)
    finally:
        con.close()
    dbt(["build", "--exclude-resource-type", "test"], wh, root / "target")
    reports = root / "reports"
    docs = root / "sources" / "documents"
    docs.mkdir(parents=True)
    results = dict(publish_years(YEARS, warehouse=wh, reports_root=reports, documents_root=docs, workers=2))
    for y, r in results.items():
        assert not isinstance(r, Exception), (y, r)
    panel = publish_panel(warehouse=wh, reports_root=reports)
    return {"root": root, "warehouse": wh, "reports": reports, "docs": docs, "results": results, "panel": panel,
            "keep": keep, "raw": raw}


def _marts(wh: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _read_formats(year_dir: Path) -> dict[str, pd.DataFrame]:
    out = {
        "ranking.csv": pd.read_csv(year_dir / "ranking.csv", encoding="utf-8-sig", dtype={"street_code": str}),
        "ranking.parquet": pd.read_parquet(year_dir / "ranking.parquet"),
    }
    ws = load_workbook(year_dir / "ranking.xlsx")["ranking"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    out["ranking.xlsx"] = pd.DataFrame(rows[1:], columns=rows[0])
    return out


# --- coverage gates --------------------------------------------------------------------------------

def test_streets_without_data_get_no_score_and_no_rank_in_any_format(world):
    year_dir = world["reports"] / str(FEW_YEAR)
    published = set(world["keep"][FEW_YEAR])
    for name, df in _read_formats(year_dir).items():
        assert len(df) == 74, name
        assert {"rank_status", "data_coverage", "n_imputed", "release_status", "is_sample_data"} <= set(df.columns), name
        silent = df[~df.street_code.isin(published)]
        assert len(silent) == 70
        # never an imputed 50: no composite, no capacity score, no rank, no tier
        for c in ["composite_score", "rank", "tier", "score_EXE", "score_SRV", "score_DLB", "score_EMG", "score_SAF"]:
            assert silent[c].isna().all(), (name, c)
        assert set(silent.rank_status) == {"insufficient_data"}, name
        assert silent.rank_note.str.contains("数据不足 insufficient data").all() and silent.rank_note.str.contains("no counting document").all()
        assert pd.to_numeric(df.data_coverage).between(0, 1).all() and (pd.to_numeric(df.n_imputed) >= 0).all()
    # the 4 streets that published measure their data against the whole framework (26 indicators),
    # not against the one indicator every street has: too little to be scored
    mart = _marts(world["warehouse"], f"select * from marts.fct_composite_score where year = {FEW_YEAR}")
    mine = mart[mart.street_code.isin(published)]
    assert (mine.n_framework_indicators == 26).all() and (mine.data_coverage < 0.2).all()
    assert mine.composite_score.isna().all() and set(mine.rank_status) == {"insufficient_data"}
    assert mine.rank_note.str.contains("framework indicators").all()


def test_a_year_below_the_gates_is_provisional_with_its_reason(world):
    for year in (FEW_YEAR, PARTIAL_YEAR):
        m = world["results"][year].manifest
        assert m["release_status"] == "provisional" and m["release_reason"], year
        assert json.loads((world["reports"] / str(year) / "manifest.json").read_text(encoding="utf-8"))["release_status"] == "provisional"
        page = (world["reports"] / str(year) / "report.html").read_text(encoding="utf-8")
        assert 'id="provisional-banner"' in page and "暂定排名 PROVISIONAL" in page
        assert m["release_reason"].split(";")[0].replace("≥", "&ge;")[:20] in page or m["release_reason"][:20] in page
        assert set(_read_formats(world["reports"] / str(year))["ranking.csv"].release_status) == {"provisional"}
    assert "streets have enough data" in world["results"][FEW_YEAR].manifest["release_reason"]
    assert "indicators pass the coverage screening" in world["results"][FEW_YEAR].manifest["release_reason"]
    # the partial year: its 55 streets have enough data and are ranked, as provisional
    part = _read_formats(world["reports"] / str(PARTIAL_YEAR))["ranking.csv"]
    ranked = part[part["rank"].notna()]
    assert 40 <= len(ranked) <= PARTIAL_STREETS and set(ranked.rank_status) == {"provisional"}
    assert set(part.loc[part["rank"].isna(), "rank_status"]) == {"insufficient_data"}
    reason = world["results"][PARTIAL_YEAR].manifest["release_reason"]
    assert f"{len(ranked)} / 74 个街道数据充足 streets have enough data" in reason
    # the complete year publishes as a full ranking
    full = world["results"][2020].manifest
    assert full["release_status"] == "ranking" and full["release_reason"] is None and full["n_ranked"] >= 70
    page = (world["reports"] / "2020" / "report.html").read_text(encoding="utf-8")
    assert 'id="provisional-banner"' not in page and "综合得分最高的街道是" in page


def test_provisional_years_name_no_headline_winner(world):
    for year in (FEW_YEAR, PARTIAL_YEAR):
        page = (world["reports"] / str(year) / "report.html").read_text(encoding="utf-8")
        assert "综合得分最高的街道是" not in page and "The highest composite score" not in page
    assert "不评选榜首" in (world["reports"] / str(PARTIAL_YEAR) / "report.html").read_text(encoding="utf-8")
    few = (world["reports"] / str(FEW_YEAR) / "report.html").read_text(encoding="utf-8")
    assert "本年度没有街道达到排名条件" in few and "第一梯队" not in few.split('id="capacities"')[0].split('<table class="ranking">')[1]


def test_a_tie_for_first_names_no_winner(world):
    con = connect(world["warehouse"])
    try:
        data = load_year(con, 2020)
    finally:
        con.close()
    assert not data.is_provisional
    # the first two streets share the first place (as two identical documents would)
    ranking = data.ranking.copy()
    ranking.loc[1, ["composite_score", "rank"]] = [ranking.loc[0, "composite_score"], 1]
    page = render_report(dataclasses.replace(data, ranking=ranking), revision=1, published_at="2026-01-01")
    assert "综合得分最高的街道是" not in page
    assert "2 个街道并列第一" in page and "no single winner is named" in page
    plain = render_report(data, revision=1, published_at="2026-01-01")
    assert f"综合得分最高的街道是 <strong>{data.ranking.street_name.iloc[0]}</strong>" in plain


def test_panel_carries_status_coverage_and_sample_flag(world):
    for df in (pd.read_csv(world["panel"].csv_path, encoding="utf-8-sig", dtype={"street_code": str}),
               pd.read_parquet(world["panel"].parquet_path)):
        assert {"rank_status", "data_coverage", "n_imputed", "release_status", "is_sample_data"} <= set(df.columns)
        assert df.is_sample_data.astype(bool).all()
        few = df[(df.year == FEW_YEAR)]
        assert few.score.isna().all() and few["rank"].isna().all()
        assert set(df.loc[df.year == 2020, "release_status"]) == {"ranking"}


def test_the_quality_suite_accepts_the_gated_ranking(world):
    from jinchengtuo.quality.runner import run_suite
    from jinchengtuo.quality.suites import load_suite

    suite = load_suite(config.PROJECT_DIR / "expectations" / "marts" / "fct_composite_score.json")
    con = duckdb.connect(str(world["warehouse"]), read_only=True)
    try:
        df = con.execute(suite.query).df()
    finally:
        con.close()
    result = run_suite(suite, df)
    assert all(o.success for o in result.outcomes), [(o.expectation, o.observed) for o in result.outcomes if not o.success]
    # an imputed score on an unranked street is caught
    bad = df.copy()
    i = bad.index[~bad.is_ranked][0]
    bad.loc[i, "unranked_has_no_score"] = False
    assert not all(o.success for o in run_suite(suite, bad).outcomes)


# --- sample labels ---------------------------------------------------------------------------------

def test_every_file_and_page_of_a_sample_release_says_so(world):
    for year in YEARS:
        d = world["reports"] / str(year)
        for name, df in _read_formats(d).items():
            assert df.is_sample_data.astype(str).isin(["True", "true", "1"]).all(), (year, name)
        ws = load_workbook(d / "ranking.xlsx")
        for sheet in ws.worksheets:
            assert "示例数据 SAMPLE DATA" in sheet.oddHeader.center.text, (year, sheet.title)
        meth = dict((r[0], r[1]) for r in ws["methodology"].iter_rows(min_row=3, values_only=True))
        assert str(meth["示例数据 sample data"]).startswith("示例数据 SAMPLE DATA")
        m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        assert m["is_sample_data"] is True and "sample corpus" in m["synthetic_inputs"] and "synthetic census" in m["synthetic_inputs"]
        pages = [d / "report.html", *sorted((d / "streets").glob("*.html"))]
        assert len(pages) == 75
        for p in pages:
            text = p.read_text(encoding="utf-8")
            assert 'id="sample-banner"' in text and "示例数据 SAMPLE DATA" in text, p
            assert "from public documents" not in text, p  # the footer does not claim real documents
        report = pages[0].read_text(encoding="utf-8")
        figures = re.findall(r'<figure class="chart" data-chart="([^"]+)">(.*?)</figure>', report, flags=re.S)
        assert figures
        for name, body in figures:
            assert 'class="sample-mark"' in body and "sample-tag" in body, (year, name)  # on every chart
        profile = pages[1].read_text(encoding="utf-8")
        chart = re.search(r'data-chart="street-capacities">(.*?)</figure>', profile, flags=re.S).group(1)
        assert 'class="sample-mark"' in chart


def test_synthetic_figures_are_marked_where_shown(world):
    d = world["reports"] / "2020" / "streets"
    page = next(iter(sorted(d.glob("*.html")))).read_text(encoding="utf-8")
    context = page.split('<table class="context">')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(.*?)</td>", context, flags=re.S)
    marked = {r.split(" <span")[0].strip() for r in rows if "示例 synthetic" in r}
    assert "常住人口 population" in marked and "万人编制数 posts per 10k" in marked
    assert "编外人员占比 contract-staff share" not in marked  # not computed from population or area
    header = page.split("</header>")[0]
    assert "人口 population" in header and header.count("示例 sample") >= 2
    # per-resident indicators carry the mark, the others do not
    row = re.search(r"<tr><td>人均民生支出.*?</tr>", page, flags=re.S).group(0)
    assert "示例 synthetic input" in row
    row = re.search(r"<tr><td>信息公开完整度.*?</tr>", page, flags=re.S).group(0)
    assert "示例 synthetic input" not in row


def _copy(world, tmp_path, name: str, sql: list[str], models: list[str]) -> Path:
    """A copy of the warehouse with its raw layer changed by `sql` and `models` rebuilt by dbt."""
    wh = tmp_path / name
    shutil.copyfile(world["warehouse"], wh)
    con = duckdb.connect(str(wh))
    try:
        for q in sql:
            con.execute(q[0], q[1]) if isinstance(q, tuple) else con.execute(q)
    finally:
        con.close()
    dbt(["run", "--select", *models], wh, world["root"] / "target")
    return wh


def _year(wh: Path, year: int):
    con = connect(wh)
    try:
        return load_year(con, year, warehouse=str(wh))
    finally:
        con.close()


def _render(data, tmp_path: Path, n_profiles: int = 3) -> dict[str, str]:
    """The report, a few profiles and the ranking CSV, rendered as a release renders them."""
    tables.write_csv(data.ranking, tmp_path / "ranking.csv")
    few = dataclasses.replace(data, streets=data.streets.head(n_profiles))
    pages = {"report.html": render_report(data, revision=1, published_at="2026-01-01")}
    pages.update({f"streets/{k}.html": v for k, v in render_profiles(few, revision=1, published_at="2026-01-01", documents_root=None).items()})
    return pages


RELABEL_MODELS = ["dim_street", "int_street_year__population", "dim_release_inputs",
                  # the demand chapter's per-street real/synthetic context (fct_resource_gap) follows the same inputs
                  "int_street_year__demand_inputs", "int_street_year__demand_measures", "int_street_year__demand",
                  "fct_resource_gap"]


def test_sample_labels_follow_the_inputs(world, tmp_path):
    # real documents with the synthetic census: still labelled, naming the synthetic figures
    wh = _copy(world, tmp_path, "real_docs.duckdb", ["update raw.corpus set is_sample = false"], RELABEL_MODELS)
    data = _year(wh, 2020)
    assert data.is_sample and "sample corpus" not in data.inputs["synthetic_inputs"]
    assert "synthetic census" in data.inputs["synthetic_inputs"]
    page = _render(data, tmp_path)["report.html"]
    assert 'id="sample-banner"' in page and "合成人口普查 synthetic census" in page and "示例文件 sample corpus" not in page
    cov = re.search(r'data-chart="coverage">(.*?)</figure>', page, flags=re.S).group(1)
    assert 'class="sample-mark"' not in cov  # the document inventory is real
    spend = re.search(r'data-chart="spending">(.*?)</figure>', page, flags=re.S).group(1)
    assert 'class="sample-mark"' in spend  # spending per resident rests on the synthetic census
    # every input real: no label anywhere, and the footer may say public documents
    wh = _copy(world, tmp_path, "real.duckdb", [
        "update raw.corpus set is_sample = false",
        "update raw.census_street set is_synthetic = false",
        "update raw.district_population set is_sample = false",
        "update raw.street set area_km2 = 10.0 where area_km2 is null",
    ], RELABEL_MODELS)
    data = _year(wh, 2020)
    assert not data.is_sample and data.inputs["synthetic_inputs"] is None and data.inputs["sample_label"] is None
    pages = _render(data, tmp_path)
    assert not pd.read_csv(tmp_path / "ranking.csv", encoding="utf-8-sig").is_sample_data.any()
    for name, text in pages.items():
        assert 'id="sample-banner"' not in text and 'class="sample-mark"' not in text and 'class="sample-tag"' not in text, name
        assert "from public documents" in text, name


# --- the report's details --------------------------------------------------------------------------

def test_quality_table_and_document_verification(world, tmp_path):
    con = duckdb.connect(str(world["warehouse"]), read_only=True)
    try:
        shas = [r[0] for r in con.execute("select source_file_sha256 from raw.document where year = 2020 order by source_path").fetchall()]
    finally:
        con.close()
    quality = [
        "create schema quality",
        """create table quality.check_result (run_id varchar, check_name varchar, table_name varchar, severity varchar,
           passed boolean, failing_rows bigint, sample varchar, checked_at timestamp, year integer, expectation varchar)""",
    ]
    rows = [
        # one check, two expectations of two severities, results for two years
        ("gx_inventory", "marts.fct_document_inventory", "warning", False, 21, '["misfiled 2020"]', 2020, "expect_a"),
        ("gx_inventory", "marts.fct_document_inventory", "error", True, 0, None, 2020, "expect_b"),
        ("gx_inventory", "marts.fct_document_inventory", "warning", False, 5, '["misfiled 2022"]', 2022, "expect_a"),
        ("gx_inventory", "marts.fct_document_inventory", "error", False, 3, '["other year"]', 2022, "expect_b"),
        ("gx_streets", "marts.dim_street", "error", True, 0, None, None, "expect_c"),  # a fact without a year
    ]
    quality += [("insert into quality.check_result values ('r1', ?, ?, ?, ?, ?, ?, timestamp '2026-01-01', ?, ?)", list(r)) for r in rows]
    verification = [
        "update raw.document set verification = 'unverifiable'",
        ("update raw.document set verification = 'verified', checks_passed = 4 where source_file_sha256 in (select unnest(?))", [shas[:30]]),
        ("update raw.document set verification = 'inconsistent', checks_failed = 1 where source_file_sha256 in (select unnest(?))", [shas[30:33]]),
        "update raw.document set verification = 'verified' where year = 2022",  # another year: not counted
    ]
    wh = _copy(world, tmp_path, "q.duckdb", quality + verification, ["int_documents__inventory", "fct_document_inventory"])
    inv = _marts(wh, "select verification, checks_passed, checks_failed, issuer_name, content_format_mismatch, verification_detail "
                     "from marts.fct_document_inventory where year = 2020")
    assert (inv.verification == "verified").sum() == 30 and (inv.verification == "inconsistent").sum() == 3
    assert inv.loc[inv.verification == "verified", "checks_passed"].eq(4).all()
    data = _year(wh, 2020)
    page = render_report(data, revision=1, published_at="2026-01-01")
    table = page.split('<table class="quality">')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    assert body.count("<tr>") == 2 and body.count("gx_inventory") == 1  # one row per check
    assert "misfiled 2022" not in table and "other year" not in table  # this year's rows only
    assert ">21<" in table and "21.0" not in table  # an integer count
    inv_row = re.search(r"<tr><td>gx_inventory.*?</tr>", body, flags=re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', inv_row) == ["0", "1", "21"]  # errors failed, warnings failed, rows
    assert "1 / 2 项通过" in page
    counts = dict(re.findall(r'data-verification="(\w+)">(\d+)<', page))
    assert counts == {"verified": "30", "inconsistent": "3", "unverifiable": str(len(shas) - 33)}
    tables.write_xlsx(data, tmp_path / "ranking.xlsx")
    wb = load_workbook(tmp_path / "ranking.xlsx")
    q = list(wb["data_quality"].iter_rows(min_row=2, values_only=True))
    header = list(q[0])
    row = next(r for r in q[1:] if r[0] == "gx_inventory")
    assert row[header.index("failing_rows")] == 21 and isinstance(row[header.index("failing_rows")], int)
    assert "verification" in [c.value for c in wb["document_inventory"][2]]


# --- in a browser ----------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.browser
def test_banners_show_in_chromium(world):
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but /usr/bin/chromium is missing: the set-up must `apt-get install -y chromium`")
        pytest.skip("/usr/bin/chromium is absent (Debian: apt-get install -y chromium); set CI=true to make this a failure")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((world["reports"] / str(PARTIAL_YEAR) / "report.html").as_uri(), wait_until="load")
            for banner, words in (("#sample-banner", "示例数据 SAMPLE DATA"), ("#provisional-banner", "暂定排名 PROVISIONAL")):
                loc = page.locator(banner)
                assert loc.is_visible() and words in loc.inner_text()
                box = loc.bounding_box()
                assert box and box["y"] < 400 and box["width"] > 1000  # at the top, across the page
            statuses = page.evaluate("() => Array.from(document.querySelectorAll('td[data-rank-status]')).map(td => td.dataset.rankStatus)")
            assert len(statuses) == 74 and set(statuses) == {"provisional", "insufficient_data"}
            marks = page.locator("figure.chart svg text.sample-mark")
            assert marks.count() == page.locator("figure.chart svg").count() > 0
            # a profile, reached by the report's own link
            page.locator("table.ranking tbody tr").first.locator("a").click()
            page.wait_for_load_state("load")
            assert "一街一档" in page.title()
            loc = page.locator("#sample-banner")
            assert loc.is_visible() and "示例数据 SAMPLE DATA" in loc.inner_text()
            assert page.locator("#provisional-banner").is_visible()
            assert page.locator("figure[data-chart='street-capacities'] svg text.sample-mark").count() == 1
        finally:
            browser.close()
