"""Publication against a real warehouse: synthetic raw layer for 74 streets × 2 years, built by dbt.

The ranking files are read back as their readers would (the CSV as Excel does: BOM and Chinese
intact; the XLSX with openpyxl), releases are checked as records (nothing rewritten when nothing
changed, a new revision after a document changed and dbt rebuilt, recovery after a crash), and
document-derived text is checked to be escaped and links to stay inside the documents folder.
The browser test is in test_publication_browser.py.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from jinchengtuo import config
from jinchengtuo.publication import RANKING_COLUMNS, PublicationInputError, YearNotScored, publish_panel, publish_year, publish_years, release
from jinchengtuo.scoring.synthetic import make_synthetic_raw, write_synthetic_raw

YEARS = [2020, 2021]
DBT = str(Path(sys.executable).with_name("dbt"))
EVIL_NAME = '<img src=x onerror="alert(1)">报告.pdf'
EVIL_REASON = "<script>alert('x')</script> 无法读取"


def dbt(args: list[str], warehouse: Path, target: Path) -> None:
    cmd = [DBT, *args, "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(target / "logs")]
    env = {**os.environ, "JCT_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert "Completed successfully" in out.stdout, out.stdout[-4000:]


def _raw_with_bad_documents():
    raw = make_synthetic_raw(YEARS)
    s = raw.streets.iloc[3]
    extra = []
    for i, (path, name) in enumerate([
        (f"../../outside/{EVIL_NAME}", EVIL_NAME),  # would leave the documents folder
        (f"2021/{s.district_name}/{s.street_name}/link.pdf", "link.pdf"),  # a symlink to a file outside
        (f"2021/{s.district_name}/{s.street_name}/正常文件 (1).pdf", "正常文件 (1).pdf"),  # a real file, spaces and brackets
    ]):
        extra.append({**raw.documents.iloc[0].to_dict(), "source_file_sha256": hashlib.sha256(path.encode()).hexdigest(),
                      "source_path": path, "file_name": name, "doc_type": "rule_of_law", "street_code": s.street_code,
                      "folder_street_code": s.street_code, "year": 2021, "folder_year": 2021, "title": EVIL_NAME,
                      "status": "failed", "reason": EVIL_REASON, "n_values": 0})
    raw.documents = pd.concat([raw.documents, pd.DataFrame(extra)], ignore_index=True)
    return raw, s


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("publication")
    wh = root / "warehouse.duckdb"
    raw, street = _raw_with_bad_documents()
    con = duckdb.connect(str(wh))
    try:
        write_synthetic_raw(con, raw)
    finally:
        con.close()
    dbt(["build", "--exclude-resource-type", "test"], wh, root / "target")
    docs = root / "sources" / "documents"
    folder = docs / "2021" / street.district_name / street.street_name
    folder.mkdir(parents=True)
    (folder / "正常文件 (1).pdf").write_bytes(b"%PDF-1.4 test")
    outside = root / "outside.txt"
    outside.write_text("secret")
    (folder / "link.pdf").symlink_to(outside)
    reports = root / "reports"
    # in parallel processes, as the refresh does; every test below reads what they wrote
    results = dict(publish_years(YEARS, warehouse=wh, reports_root=reports, documents_root=docs, workers=2))
    panel = publish_panel(warehouse=wh, reports_root=reports)
    return {"root": root, "warehouse": wh, "docs": docs, "reports": reports, "results": results, "panel": panel,
            "street": street, "raw": raw}


def _marts(wh: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _tree(path: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(path).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*") if p.is_file()}


# --- the ranking files ---------------------------------------------------------------------------

def test_csv_reads_as_excel_does(world):
    path = world["reports"] / "2021" / "ranking.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0].keys())[: len(RANKING_COLUMNS)] == RANKING_COLUMNS  # report chapters add theirs after
    assert len(rows) == 74
    streets = _marts(world["warehouse"], "select street_code, street_name, district_name from marts.dim_street")
    names = dict(zip(streets.street_code, streets.street_name))
    assert {r["street_code"]: r["street_name"] for r in rows} == names  # Chinese intact, every street
    assert all(r["district_name"].endswith(("区", "新区")) for r in rows)
    # ranks agree with the mart, ranked streets first in rank order
    comp = _marts(world["warehouse"], "select street_code, rank, composite_score, tier from marts.fct_composite_score where year = 2021")
    mart = comp.set_index("street_code")
    ranks = [int(r["rank"]) for r in rows if r["rank"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    for r in rows:
        m = mart.loc[r["street_code"]]
        assert (r["rank"] == "") == pd.isna(m["rank"])
        if r["rank"]:
            assert int(r["rank"]) == int(m["rank"])
            assert float(r["composite_score"]) == pytest.approx(float(m["composite_score"]), abs=0.006)
            assert r["tier"] == m["tier"]
    assert {r["year"] for r in rows} == {"2021"} and {r["methodology_version"] for r in rows} != {""}


def test_parquet_matches_csv_and_capacity_scores(world):
    d = world["reports"] / "2021"
    pq = pd.read_parquet(d / "ranking.parquet")
    csv_df = pd.read_csv(d / "ranking.csv", encoding="utf-8-sig", dtype={"street_code": str})
    assert list(pq.columns)[: len(RANKING_COLUMNS)] == RANKING_COLUMNS and list(pq.columns) == list(csv_df.columns)
    assert pq["street_code"].tolist() == csv_df["street_code"].tolist()
    cap = _marts(world["warehouse"], "select street_code, capacity, score from marts.fct_capacity_score where year = 2021")
    want = cap.pivot(index="street_code", columns="capacity", values="score")
    got = pq.set_index("street_code")
    for c in ("EXE", "SRV", "DLB", "EMG", "SAF"):
        both = pd.concat([got[f"score_{c}"], want[c].round(2)], axis=1).dropna()
        assert len(both) >= 70
        assert (both.iloc[:, 0] - both.iloc[:, 1]).abs().max() < 1e-9


def test_xlsx_sheets_headers_and_flags(world):
    wb = load_workbook(world["reports"] / "2021" / "ranking.xlsx")
    assert wb.sheetnames == ["ranking", "capacity_scores", "indicator_values", "document_inventory", "data_quality",
                             "methodology", "framework"]
    ws = wb["ranking"]
    assert [c.value for c in ws[1]][:5] == ["年度", "街道代码", "街道", "区", "综合得分"]
    assert [c.value for c in ws[2]][: len(RANKING_COLUMNS)] == RANKING_COLUMNS
    assert ws.max_row == 2 + 74 and ws.freeze_panes == "A3"
    assert ws.cell(row=3, column=6).value == 1  # the first data row is rank 1
    ind = wb["indicator_values"]
    header = [c.value for c in ind[2]]
    assert {"is_imputed", "imputation_method", "normalised_value", "raw_value"} <= set(header)
    flags = [r[header.index("is_imputed")] for r in ind.iter_rows(min_row=3, values_only=True)]
    assert True in flags and False in flags  # the synthetic year has imputed values
    inv = wb["document_inventory"]
    names = [r[[c.value for c in inv[2]].index("file_name")] for r in inv.iter_rows(min_row=3, values_only=True)]
    assert EVIL_NAME in names  # text kept as written in the workbook (it is data, not markup)
    assert "not run" in str(list(wb["data_quality"].iter_rows(min_row=3, values_only=True)))
    meth = [r for r in wb["methodology"].iter_rows(min_row=3, values_only=True)]
    assert any("EXE" in str(r[0]) and "weight" in str(r[1]) for r in meth)


# --- report and profiles -----------------------------------------------------------------------

def test_report_is_self_contained_and_complete(world):
    page = (world["reports"] / "2021" / "report.html").read_text(encoding="utf-8")
    for section in ("ranking", "capacities", "districts", "findings", "movement", "coverage", "method"):
        assert f'id="{section}"' in page
    for chart in ("ranking", "capacities", "districts", "area-density", "staffing", "spending", "rank-movement", "coverage"):
        assert f'data-chart="{chart}"><svg' in page, chart
    assert "<script" not in page
    # nothing is fetched: no remote (or any) src, no remote links, no url() to the network
    assert not re.search(r'\ssrc=', page) and not re.search(r'(href|url)\(?=?"?\s*(https?:)?//', page)
    assert page.count('href="streets/') >= 74
    assert "未运行 not run" in page  # no quality table in this warehouse
    first = (world["reports"] / "2020" / "report.html").read_text(encoding="utf-8")
    assert 'data-chart="rank-movement"' not in first and "No earlier ranked year" in first


def test_profiles_escape_document_text_and_link_inside_sources_only(world):
    s = world["street"]
    for base in (world["reports"] / "2021", world["reports"] / "2021" / "revisions" / "1"):
        page = (base / "streets" / f"{s.street_code}.html").read_text(encoding="utf-8")
        assert "<img src=x" not in page and "<script>alert" not in page
        assert "&lt;img src=x onerror=" in page and "&lt;script&gt;" in page
        hrefs = [h for h in _hrefs(page) if not h.startswith(("#", "../report.html"))]
        assert len(hrefs) == 1, hrefs  # only the real file: not the escaping path, not the symlink
        target = (base / "streets" / unquote(hrefs[0])).resolve()
        assert target == (world["docs"] / "2021" / s.district_name / s.street_name / "正常文件 (1).pdf").resolve()
        assert "JCT-SOURCES" not in page


def _hrefs(page: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', page)


def test_profiles_cover_every_street_with_history(world):
    d = world["reports"] / "2021" / "streets"
    pages = sorted(p.stem for p in d.glob("*.html"))
    assert len(pages) == 74
    ranked = _marts(world["warehouse"], "select street_code, rank from marts.fct_composite_score where year = 2021 and rank = 1")
    page = (d / f"{ranked.street_code[0]}.html").read_text(encoding="utf-8")
    assert "全市第 <strong>1</strong>" in page
    assert "<td>2020</td>" in page and "<td>2021</td>" in page  # scores and ranks over the years
    assert 'data-chart="street-capacities"><svg' in page
    assert "区中位数" in page and "全市中位数" in page


# --- releases as records -----------------------------------------------------------------------

def test_manifest_records_the_release(world):
    m = json.loads((world["reports"] / "2021" / "manifest.json").read_text(encoding="utf-8"))
    assert m["revision"] == 1 and m["previous_revision"] is None and m["methodology_version"]
    assert m["changes"]["summary"] == "first release of this year"
    rev = world["reports"] / "2021" / "revisions" / "1"
    for rel, meta in m["files"].items():
        assert hashlib.sha256((rev / rel).read_bytes()).hexdigest() == meta["sha256"], rel
    for rel, meta in m["current_files"].items():
        assert hashlib.sha256((world["reports"] / "2021" / rel).read_bytes()).hexdigest() == meta["sha256"], rel
    assert any(d["source_path"].endswith("正常文件 (1).pdf") for d in m["source_documents"])
    latest = json.loads((world["reports"] / "2021" / "latest.json").read_text(encoding="utf-8"))
    assert latest["revision"] == 1 and latest["path"] == "revisions/1"


def test_republishing_unchanged_writes_nothing(world):
    before = _tree(world["reports"])
    for y in YEARS:
        res = publish_year(y, warehouse=world["warehouse"], reports_root=world["reports"], documents_root=world["docs"])
        assert not res.changed and not res.repaired and res.revision == 1
    assert not publish_panel(warehouse=world["warehouse"], reports_root=world["reports"]).changed
    assert _tree(world["reports"]) == before


def test_fingerprint_depends_on_the_rows_not_their_order(world):
    import dataclasses

    from jinchengtuo.publication.data import connect, load_year

    con = connect(world["warehouse"])
    try:
        data = load_year(con, 2021)
    finally:
        con.close()
    fp = data.fingerprint()
    shuffled = dataclasses.replace(data, indicators=data.indicators.sample(frac=1, random_state=7),
                                   inventory=data.inventory.iloc[::-1], capacity=data.capacity.sample(frac=1, random_state=3))
    assert shuffled.fingerprint() == fp  # a forced rebuild with the same inputs publishes nothing
    column = next(c for c in data.capacity.columns if c == "score")
    changed = dataclasses.replace(data, capacity=data.capacity.assign(**{column: data.capacity[column].fillna(0) + 0.01}))
    assert changed.fingerprint() != fp


def test_quality_summary_is_the_same_whatever_order_the_history_rows_have():
    from jinchengtuo.publication.data import quality_rows

    rows = [("r1", "gx_a", "marts.x", "warning", False, 3, f'[{{"k": "{k}"}}]', 2021, e)
            for k, e in (("a", "expect_one"), ("b", "expect_two"), ("c", "expect_three"))]
    summaries = []
    for order in (rows, rows[::-1]):
        con = duckdb.connect()
        con.execute("create schema quality")
        con.execute("""create table quality.check_result (run_id varchar, check_name varchar, table_name varchar, severity varchar,
                       passed boolean, failing_rows bigint, sample varchar, year integer, expectation varchar, checked_at timestamp)""")
        for r in order:
            con.execute("insert into quality.check_result values (?, ?, ?, ?, ?, ?, ?, ?, ?, timestamp '2026-01-01')", list(r))
        summaries.append(quality_rows(con, 2021).drop(columns=["checked_at"]).to_dict("records"))
        con.close()
    assert summaries[0] == summaries[1]
    assert summaries[0][0]["failed_expectations"] == "expect_one; expect_three; expect_two"


def test_parallel_publication_keeps_order_and_reports_each_year(world, tmp_path):
    reports = tmp_path / "reports"
    out = list(publish_years([1999, 2021], warehouse=world["warehouse"], reports_root=reports, documents_root=world["docs"],
                             workers=2))
    assert [y for y, _ in out] == [1999, 2021]
    assert isinstance(out[0][1], YearNotScored) and "1999" in str(out[0][1])  # said, not raised: 2021 still published
    res = out[1][1]
    assert res.changed and res.revision == 1
    # the same inputs as the fixture's release of 2021: the same fingerprint and the same ranking bytes
    assert res.manifest["fingerprint"] == world["results"][2021].manifest["fingerprint"]
    assert (reports / "2021" / "ranking.csv").read_bytes() == (world["reports"] / "2021" / "ranking.csv").read_bytes()
    assert not (reports / "1999").exists()


def test_changed_document_makes_a_new_revision_and_keeps_the_old(world, tmp_path):
    reports = tmp_path / "reports"
    shutil.copytree(world["reports"], reports, symlinks=True)
    wh = tmp_path / "changed.duckdb"
    shutil.copyfile(world["warehouse"], wh)
    # a corrected work summary of one ranked 2021 street: new bytes (hash), a very different figure
    comp = _marts(wh, "select street_code from marts.fct_composite_score where year = 2021 and rank = 40")
    code = comp.street_code[0]
    con = duckdb.connect(str(wh))
    try:
        old_sha, path = con.execute("select source_file_sha256, source_path from raw.document where street_code = ? and year = 2021 "
                                    "and doc_type = 'work_summary'", [code]).fetchone()
        new_sha = hashlib.sha256(b"corrected").hexdigest()
        con.execute("update raw.document set source_file_sha256 = ? where source_file_sha256 = ?", [new_sha, old_sha])
        con.execute("update raw.extracted_value set source_file_sha256 = ?, value = value * 20 where source_file_sha256 = ?",
                    [new_sha, old_sha])
    finally:
        con.close()
    dbt(["run"], wh, world["root"] / "target")
    old_rev1 = _tree(reports / "2021" / "revisions" / "1")
    res21 = publish_year(2021, warehouse=wh, reports_root=reports, documents_root=world["docs"])
    assert res21.changed and res21.revision == 2
    ch = res21.manifest["changes"]
    assert ch["documents_changed"] == [path]
    assert any(r["street_code"] == code for r in ch["ranking_changed"])
    assert "1 document(s) changed" in ch["summary"]
    assert _tree(reports / "2021" / "revisions" / "1") == old_rev1  # the old release is kept as it was
    assert json.loads((reports / "2021" / "latest.json").read_text())["revision"] == 2
    assert json.loads((reports / "2021" / "revisions" / "index.json").read_text())["current"] == 2
    new = pd.read_csv(reports / "2021" / "ranking.csv", encoding="utf-8-sig", dtype={"street_code": str}).set_index("street_code")
    old = pd.read_csv(reports / "2021" / "revisions" / "1" / "ranking.csv", encoding="utf-8-sig", dtype={"street_code": str}).set_index("street_code")
    assert new.loc[code, "composite_score"] != old.loc[code, "composite_score"]
    # 2020 reads nothing of 2021: unchanged, nothing written
    before20 = _tree(reports / "2020")
    res20 = publish_year(2020, warehouse=wh, reports_root=reports, documents_root=world["docs"])
    assert not res20.changed and _tree(reports / "2020") == before20
    # and once more: nothing new
    assert not publish_year(2021, warehouse=wh, reports_root=reports, documents_root=world["docs"]).changed


def test_crash_after_revision_is_finished_by_the_next_run(world, tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    shutil.copytree(world["reports"], reports, symlinks=True)
    wh = tmp_path / "q.duckdb"
    shutil.copyfile(world["warehouse"], wh)
    con = duckdb.connect(str(wh))  # the quality stage's table appears: the report changes
    try:
        con.execute("create schema quality")
        con.execute("""create table quality.check_result (run_id varchar, check_name varchar, table_name varchar, severity varchar,
                       passed boolean, failing_rows bigint, sample varchar, checked_at timestamp, year integer)""")
        con.execute("""insert into quality.check_result values
            ('r1', 'rates_in_range', 'marts.fct_street_year', 'warning', false, 2, '<b>rate 130%</b>', now(), 2021),
            ('r1', 'street_codes_known', 'marts.dim_street', 'error', true, 0, null, now(), null)""")
    finally:
        con.close()
    (reports / "2021" / "revisions" / ".tmp-9-dead").mkdir()  # debris of an earlier crash

    def crash(*a, **k):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(release, "_sync_current", crash)
    with pytest.raises(OSError):
        publish_year(2021, warehouse=wh, reports_root=reports, documents_root=world["docs"])
    monkeypatch.undo()
    assert (reports / "2021" / "revisions" / "2" / "manifest.json").exists()
    assert json.loads((reports / "2021" / "latest.json").read_text())["revision"] == 1  # old release still current
    assert not list((reports / "2021" / "revisions").glob(".tmp-*"))
    res = publish_year(2021, warehouse=wh, reports_root=reports, documents_root=world["docs"])
    assert res.repaired and not res.changed and res.revision == 2
    assert json.loads((reports / "2021" / "latest.json").read_text())["revision"] == 2
    page = (reports / "2021" / "report.html").read_text(encoding="utf-8")
    assert "rates_in_range" in page and "&lt;b&gt;rate 130%&lt;/b&gt;" in page and "1 / 2 项通过" in page
    wb = load_workbook(reports / "2021" / "ranking.xlsx")
    assert "rates_in_range" in str(list(wb["data_quality"].iter_rows(values_only=True)))
    assert not publish_year(2021, warehouse=wh, reports_root=reports, documents_root=world["docs"]).repaired


# --- panel and bad input ---------------------------------------------------------------------------

def test_panel_long_form(world):
    p = world["panel"]
    assert p.changed and p.years == YEARS
    raw = p.csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(p.csv_path, encoding="utf-8-sig", dtype={"street_code": str})
    assert len(df) == 74 * len(YEARS) * 6
    assert set(df["measure"]) == {"composite", "EXE", "SRV", "DLB", "EMG", "SAF"}
    assert {"street_code", "street_name", "year", "score", "rank", "methodology_version"} <= set(df.columns)
    pq = pd.read_parquet(p.parquet_path)
    assert len(pq) == len(df)
    one = pd.read_csv(world["reports"] / "2021" / "ranking.csv", encoding="utf-8-sig", dtype={"street_code": str})
    comp = df[(df.year == 2021) & (df.measure == "composite")].set_index("street_code")
    for r in one.dropna(subset=["rank"]).itertuples():
        assert comp.loc[r.street_code, "rank"] == r.rank


def test_bad_inputs_give_clear_errors(world, tmp_path):
    with pytest.raises(PublicationInputError, match="no warehouse file"):
        publish_year(2021, warehouse=tmp_path / "none.duckdb", reports_root=tmp_path)
    with pytest.raises(PublicationInputError, match="no composite scores for 2031.*2020, 2021"):
        publish_year(2031, warehouse=world["warehouse"], reports_root=tmp_path)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublicationInputError, match="marts missing: marts.dim_street"):
        publish_year(2021, warehouse=empty, reports_root=tmp_path)
    assert not (tmp_path / "2031").exists()


# --- the report in a real browser ------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.browser
def test_report_renders_in_chromium(world, tmp_path_factory):
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but /usr/bin/chromium is missing: the set-up must `apt-get install -y chromium`")
        pytest.skip("/usr/bin/chromium is absent (Debian: apt-get install -y chromium); set CI=true to make this a failure")
    from playwright.sync_api import sync_playwright

    shots = tmp_path_factory.mktemp("screenshots")
    report = world["reports"] / "2021" / "report.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems, requests = [], []
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            charts = page.evaluate("""() => Array.from(document.querySelectorAll('figure.chart')).map(f => {
                const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                return {name: f.dataset.chart, width: box.width, height: box.height,
                        marks: svg ? svg.querySelectorAll('path, use, rect, text').length : 0};
            })""")
            assert {c["name"] for c in charts} >= {"ranking", "capacities", "districts", "area-density", "staffing",
                                                    "spending", "rank-movement", "coverage"}  # + the chapters' charts
            for c in charts:
                assert c["width"] > 300 and c["height"] > 150 and c["marks"] > 20, c
            assert page.locator("table.ranking tbody tr").count() == 74
            assert page.title().startswith("2021 深圳街道治理能力观评榜")
            page.screenshot(path=str(shots / "report_2021.png"), full_page=False)
            # a profile, reached by the report's own link
            page.locator("table.ranking tbody tr").first.locator("a").click()
            page.wait_for_load_state("load")
            assert "一街一档" in page.title()
            box = page.locator('figure[data-chart="street-capacities"] svg').bounding_box()
            assert box and box["width"] > 300
            page.screenshot(path=str(shots / "profile.png"), full_page=True)
        finally:
            browser.close()
    assert not problems, problems
    assert all(u.startswith("file://") for u in requests), [u for u in requests if not u.startswith("file://")]
    assert (shots / "report_2021.png").stat().st_size > 20_000
    print(f"screenshots: {shots}")


# --- Dagster ---------------------------------------------------------------------------------------

def test_dagster_assets_publish_and_report_metadata(world, tmp_path, monkeypatch):
    import dagster as dg

    from jinchengtuo.defs.publication import rankings_panel, yearly_release
    from jinchengtuo.defs.resources import WarehouseResource

    reports = tmp_path / "reports"
    monkeypatch.setenv("JCT_REPORTS", str(reports))
    monkeypatch.setenv("JCT_SOURCES", str(world["docs"].parent))
    resources = {"warehouse": WarehouseResource(published_path=str(world["warehouse"]))}
    with dg.instance_for_test() as instance:
        for state in ("new revision", "unchanged, nothing written"):
            result = dg.materialize([yearly_release], partition_key="2020", resources=resources, instance=instance)
            assert result.success
            mats = result.asset_materializations_for_node("publication__yearly_release")
            assert len(mats) == 1 and mats[0].partition == "2020"
            md = mats[0].metadata
            assert state in md["releases"].value
            assert md["manifest"].value["2020"]["revision"] == 1
            assert md["dagster/row_count"].value == 74
            assert "| rank |" in md["preview"].value and md["report"].value == str(reports / "2020" / "report.html")
        assert (reports / "2020" / "ranking.csv").exists() and not (reports / "2021").exists()
        panel = dg.materialize([rankings_panel], resources=resources, instance=instance)
        assert panel.success
        pm = panel.asset_materializations_for_node("publication__rankings_panel")[0].metadata
        assert pm["changed"].value is True and pm["dagster/row_count"].value == 74 * 2 * 6
        assert (reports / "panel" / "rankings_panel.parquet").exists()
    assert yearly_release.backfill_policy == dg.BackfillPolicy.single_run()
    spec = next(iter(yearly_release.specs))
    assert dg.AssetKey("warehouse_release") in {d.asset_key for d in spec.deps}
    assert spec.group_name == "publication" and yearly_release.op.pool == "reports_writer"


def test_links_out_of_a_year_resolve_from_the_current_files_and_from_a_revision(tmp_path):
    """A report links earlier revisions and the reports folder (data-quality docs) with tokens resolved per
    place: reports/<year>/report.html and its copy reports/<year>/revisions/<n>/report.html reach the same files."""
    from jinchengtuo.publication.release import REPORTS_ROOT_TOKEN, REVISIONS_TOKEN, _localise_revisions

    page = (f'<a href="{REVISIONS_TOKEN}1/report.html">v1</a>'
            f'<a href="{REPORTS_ROOT_TOKEN}quality/latest/index.html" data-link="data-docs">docs</a>').encode()
    reports = tmp_path / "reports"
    year_dir = reports / "2021"
    for where, in_revision in ((year_dir, False), (year_dir / "revisions" / "2", True)):
        html = _localise_revisions({"report.html": page}, in_revision=in_revision)["report.html"].decode()
        hrefs = re.findall(r'href="([^"]+)"', html)
        assert [(where / h).resolve() for h in hrefs] == [(year_dir / "revisions" / "1" / "report.html").resolve(),
                                                          (reports / "quality" / "latest" / "index.html").resolve()], (where, hrefs)
