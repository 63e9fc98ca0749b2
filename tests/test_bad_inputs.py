"""Catalogue of bad inputs. Each case asserts the error or flag (naming file, place and reason) AND
that nothing else was lost: the other files are still extracted, the other rows still pass, the
other years are still published, the previous outputs are intact.

Extraction cases run `extract_file` / `extract_corpus` on small documents built here; census cases
the census loader; data cases the real suites of expectations/ (their own SQL, on a DuckDB built
here with the raw schema, or on DataFrames); the warehouse-level cases share one module-scoped
pair of refreshes (marked slow)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from jinchengtuo import config
from jinchengtuo.census.loader import CensusError, load_census_dir
from jinchengtuo.documents import extract_corpus, extract_file
from jinchengtuo.quality import load_suites, run_suite
from jinchengtuo.quality import docs as quality_docs
from jinchengtuo.reference import StreetDirectory
from jinchengtuo.warehouse.schema import ensure_raw_schema

YUANLING, FUTIAN = "440304002", "440304004"  # 园岭街道, 福田街道 (福田区)


def summary_text(street: str = "园岭街道", year: int = 2021, title_extra: str = "") -> str:
    return (f"{street}{year}年工作总结{title_extra}\n"
            f"{year}年，{street}全年受理群众诉求12345件，办结率98.5%。开展应急演练30场。辖10个社区。\n")


def html_bytes(text: str, *, encoding: str = "utf-8", declared: str | None = "utf-8") -> bytes:
    meta = f"<meta charset='{declared}'>" if declared else ""
    lines = text.strip().splitlines()
    body = "".join(f"<p>{ln}</p>" for ln in lines)
    return f"<html><head>{meta}<title>{lines[0]}</title></head><body>{body}</body></html>".encode(encoding)


def pdf_bytes(text: str | None) -> bytes:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    if text is None:  # a scan: drawn content, no text layer
        page.draw_rect(pymupdf.Rect(50, 50, 400, 500), color=(0, 0, 0), fill=(0.6, 0.6, 0.6))
    else:
        page.insert_text((50, 72), text, fontname="china-s", fontsize=11)
    data = doc.tobytes()
    doc.close()
    return data


@pytest.fixture(scope="module")
def streets() -> StreetDirectory:
    return StreetDirectory.load(config.reference_dir() / "streets.csv")


@pytest.fixture
def docs_root(tmp_path) -> Path:
    root = tmp_path / "documents"
    good = root / "2021" / "福田区" / "园岭街道"
    good.mkdir(parents=True)
    (good / "总结.html").write_bytes(html_bytes(summary_text()))
    return root


def write(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def corpus(root: Path, streets) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    res = extract_corpus(root, streets=streets, cache_dir=None, workers=1)
    return res.documents.set_index("source_path"), res.values, res.issues


def assert_good_file_kept(docs: pd.DataFrame, values: pd.DataFrame) -> None:
    """The well-formed work summary next to the bad input is still read in full."""
    good = docs.loc["2021/福田区/园岭街道/总结.html"]
    assert good.status == "extracted" and good.street_code == YUANLING and good.year == 2021
    sha = good.source_file_sha256
    assert set(values[values.source_file_sha256 == sha].field_id) >= {"ws_citizen_requests", "ws_requests_closed_rate",
                                                                       "ws_emergency_drills", "ws_communities"}


# ---------------------------------------------------------------- documents


def test_truncated_pdf(docs_root, streets):
    data = pdf_bytes(summary_text())
    write(docs_root, "2021/福田区/园岭街道/cut.pdf", data[: len(data) // 2])
    docs, values, issues = corpus(docs_root, streets)
    bad = docs.loc["2021/福田区/园岭街道/cut.pdf"]
    assert bad.status == "failed" and "2021/福田区/园岭街道/cut.pdf" in bad.reason and "truncated" in bad.reason
    assert (issues[issues.source_path == "2021/福田区/园岭街道/cut.pdf"].code == "unreadable").any()
    assert_good_file_kept(docs, values)


def test_empty_pdf(docs_root, streets):
    write(docs_root, "2021/福田区/园岭街道/empty.pdf", b"")
    docs, values, _ = corpus(docs_root, streets)
    bad = docs.loc["2021/福田区/园岭街道/empty.pdf"]
    assert bad.status == "failed" and bad.reason == "2021/福田区/园岭街道/empty.pdf: the file is empty"
    assert_good_file_kept(docs, values)


def test_scanned_pdf_without_text_layer(docs_root, streets):
    write(docs_root, "2021/福田区/园岭街道/scan.pdf", pdf_bytes(None))
    docs, values, _ = corpus(docs_root, streets)
    bad = docs.loc["2021/福田区/园岭街道/scan.pdf"]
    assert bad.status == "failed" and "no text layer" in bad.reason and "scan.pdf" in bad.reason
    assert_good_file_kept(docs, values)


@pytest.mark.parametrize("declared", [None, "utf-8"], ids=["gbk-without-charset", "gbk-declared-utf8"])
def test_wrong_encoding_is_read_as_gbk(docs_root, streets, declared):
    # a GBK page that does not say so, or says it is UTF-8: read through the GBK fallback, nothing lost
    write(docs_root, "2022/福田区/园岭街道/gbk.html", html_bytes(summary_text(year=2022), encoding="gbk", declared=declared))
    docs, values, _ = corpus(docs_root, streets)
    doc = docs.loc["2022/福田区/园岭街道/gbk.html"]
    assert doc.status == "extracted" and doc.street_code == YUANLING and doc.year == 2022
    got = dict(values[values.source_file_sha256 == doc.source_file_sha256][["field_id", "value"]].itertuples(index=False))
    assert got["ws_citizen_requests"] == 12345 and got["ws_requests_closed_rate"] == 98.5
    assert "园岭街道" in doc.title  # the Chinese text survived decoding
    assert_good_file_kept(docs, values)


def test_document_of_another_street_is_misfiled(docs_root, streets):
    write(docs_root, "2021/福田区/园岭街道/other.html", html_bytes(summary_text(street="福田街道")))
    docs, values, issues = corpus(docs_root, streets)
    doc = docs.loc["2021/福田区/园岭街道/other.html"]
    assert doc.street_code == FUTIAN and doc.folder_street_code == YUANLING  # attributed to what it says
    msg = issues[(issues.source_path == "2021/福田区/园岭街道/other.html") & (issues.code == "misfiled")].message.iloc[0]
    assert "filed under street 440304002" in msg and "about 440304004" in msg
    assert set(values[values.street_code == FUTIAN].field_id) >= {"ws_citizen_requests"}
    assert_good_file_kept(docs, values)


def test_document_of_another_year(docs_root, streets):
    write(docs_root, "2021/福田区/园岭街道/old.html", html_bytes(summary_text(year=2020)))
    docs, values, issues = corpus(docs_root, streets)
    doc = docs.loc["2021/福田区/园岭街道/old.html"]
    assert doc.year == 2020 and doc.folder_year == 2021
    msg = issues[issues.code == "year_differs_from_folder"].message.iloc[0]
    assert msg == "2021/福田区/园岭街道/old.html: reports on 2020, filed under 2021"
    assert (values[values.source_file_sha256 == doc.source_file_sha256].year == 2020).all()
    assert_good_file_kept(docs, values)


def test_duplicate_file(docs_root, streets):
    shutil.copyfile(docs_root / "2021/福田区/园岭街道/总结.html", docs_root / "2021/福田区/园岭街道/总结(1).html")
    docs, values, _ = corpus(docs_root, streets)
    a, b = docs.loc["2021/福田区/园岭街道/总结.html"], docs.loc["2021/福田区/园岭街道/总结(1).html"]
    assert a.source_file_sha256 == b.source_file_sha256  # both listed, same content: dbt marks the later one duplicate
    assert len(values[values.source_file_sha256 == a.source_file_sha256]) == 4  # figures stored once, not twice
    assert_good_file_kept(docs, values)


def test_corrected_republication(docs_root, streets):
    write(docs_root, "2021/福田区/园岭街道/总结（更正）.html",
          html_bytes(summary_text(title_extra="（更正）").replace("12345件", "12346件")))
    docs, values, _ = corpus(docs_root, streets)
    corrected = docs.loc["2021/福田区/园岭街道/总结（更正）.html"]
    original = docs.loc["2021/福田区/园岭街道/总结.html"]
    assert bool(corrected.is_correction) and not bool(original.is_correction)
    got = values[values.source_file_sha256 == corrected.source_file_sha256].set_index("field_id").value
    assert got["ws_citizen_requests"] == 12346
    assert_good_file_kept(docs, values)  # the original keeps its figures; dbt marks it superseded


def test_unknown_street_name_in_a_document(docs_root, streets):
    write(docs_root, "2021/福田区/园岭街道/x.html", html_bytes(summary_text(street="桃花源街道")))
    docs, values, issues = corpus(docs_root, streets)
    doc = docs.loc["2021/福田区/园岭街道/x.html"]
    assert doc.status == "unidentified" and "street not found" in doc.reason and "x.html" in doc.reason
    # the folder's street is a hint only: it is named but not used
    assert (issues[issues.source_path == "2021/福田区/园岭街道/x.html"].code == "street_from_folder").any()
    assert_good_file_kept(docs, values)


def test_html_page_not_found(docs_root, streets):
    page = "<html><head><title>404 页面不存在</title></head><body><p>对不起，您访问的页面不存在</p></body></html>"
    write(docs_root, "2021/福田区/园岭街道/t2022_1.html", page.encode("utf-8"))
    docs, values, _ = corpus(docs_root, streets)
    bad = docs.loc["2021/福田区/园岭街道/t2022_1.html"]
    assert bad.status == "failed" and "page not found" in bad.reason and "t2022_1.html" in bad.reason
    assert_good_file_kept(docs, values)


def test_symlink_out_of_the_sources_folder_is_never_followed(docs_root, streets, tmp_path):
    secret = tmp_path / "outside" / "secret.html"
    write(secret.parent, secret.name, html_bytes(summary_text(street="福田街道")))
    (docs_root / "2021/福田区/园岭街道/link.html").symlink_to(secret)
    (docs_root / "2021/linked_dir").symlink_to(secret.parent, target_is_directory=True)
    docs, values, issues = corpus(docs_root, streets)
    assert not any("link" in p for p in docs.index)  # never read
    assert FUTIAN not in set(values.street_code)
    msgs = issues[issues.code == "link_not_followed"].set_index("source_path").message
    assert "links are never followed" in msgs["2021/福田区/园岭街道/link.html"]
    assert "links are never followed" in msgs["2021/linked_dir/"]  # a linked folder is reported, not entered
    assert_good_file_kept(docs, values)


def test_final_accounts_without_tables(docs_root, streets):
    fa = "园岭街道2021年度部门决算\n一、部门基本情况\n本部门无表格。"
    write(docs_root, "2021/福田区/园岭街道/决算.html", html_bytes(fa))
    docs, values, issues = corpus(docs_root, streets)
    doc = docs.loc["2021/福田区/园岭街道/决算.html"]
    assert doc.doc_type == "final_accounts" and doc.status == "partial"
    assert "fa_total_expenditure" in doc.reason and "0 table(s)" in doc.reason
    msg = issues[(issues.source_path == "2021/福田区/园岭街道/决算.html") & (issues.code == "missing_required")].message.iloc[0]
    assert msg.startswith("2021/福田区/园岭街道/决算.html: required field(s) not found")
    assert_good_file_kept(docs, values)


def test_empty_sources_folder(tmp_path, streets):
    root = tmp_path / "documents"
    root.mkdir()
    res = extract_corpus(root, streets=streets, cache_dir=None, workers=1)
    assert res.stats["files"] == 0 and len(res.documents) == 0 and len(res.values) == 0
    assert list(res.documents.columns) == list(pd.DataFrame(columns=res.documents.columns).columns)  # tables still have their columns
    with pytest.raises(CensusError, match="no street census extract"):
        load_census_dir(tmp_path / "documents")


# ---------------------------------------------------------------- census


@pytest.fixture
def census_dir(tmp_path) -> Path:
    target = tmp_path / "census"
    shutil.copytree(config.census_dir(), target)
    return target


def _edit_header(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8-sig")
    head, rest = text.split("\n", 1)
    path.write_text(head.replace(old, new) + "\n" + rest, encoding="utf-8-sig")


def test_census_file_with_a_missing_column(census_dir):
    f = census_dir / "七普街道人口_SYNTHETIC样例_罗湖区.csv"
    df = pd.read_csv(f, encoding="utf-8-sig").drop(columns=["常住人口"])
    df.to_csv(f, index=False, encoding="utf-8-sig")
    with pytest.raises(CensusError) as err:
        load_census_dir(census_dir)
    text = str(err.value)
    assert f.name in text and "row 1" in text and "常住人口 (resident population) is missing" in text
    assert len(err.value.issues) == 1  # only that file is faulted; every other file loaded cleanly


def test_census_file_with_a_renamed_column(census_dir):
    # a usual alternative spelling is understood: nothing lost
    _edit_header(census_dir / "七普街道人口_SYNTHETIC样例_罗湖区.csv", "常住人口", "常住人口数")
    loaded = load_census_dir(census_dir)
    assert len(loaded.streets) == 74 and loaded.streets.population.notna().all()
    # an unknown spelling is a missing column, named with the header as written
    _edit_header(census_dir / "七普街道人口_SYNTHETIC样例_罗湖区.csv", "常住人口数", "人口合计（万）")
    with pytest.raises(CensusError, match=r"七普街道人口_SYNTHETIC样例_罗湖区\.csv.*常住人口 \(resident population\) is missing.*人口合计（万）"):
        load_census_dir(census_dir)


def test_unknown_street_name_in_the_census(census_dir):
    f = census_dir / "七普街道人口_SYNTHETIC样例_罗湖区.csv"
    lines = f.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = "桃花源街道" + lines[2][lines[2].index(","):]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    with pytest.raises(CensusError) as err:
        load_census_dir(census_dir)
    problems = [str(i) for i in err.value.issues]
    assert any(f.name in p and "row 3" in p and "'桃花源街道' matches none of the 74 streets" in p for p in problems), problems


# ---------------------------------------------------------------- data: the suites on bad figures


def _suite(name):
    return next(s for s in load_suites() if s.name == name)


@pytest.fixture
def raw_db():
    """An in-memory warehouse with the raw schema: the suites' own SQL runs on it."""
    con = duckdb.connect()
    ensure_raw_schema(con)
    yield con
    con.close()


def _add_values(con, sha: str, path: str, rows: list[tuple], doc_type: str = "final_accounts", street=YUANLING, year=2021):
    con.execute("insert into raw.document (source_file_sha256, source_path, status) values (?, ?, 'extracted')", [sha, path])
    for field_id, value, unit in rows:
        con.execute("insert into raw.extracted_value (source_file_sha256, doc_type, street_code, year, field_id, value, unit, "
                    "source_page, source_text) values (?, ?, ?, ?, ?, ?, ?, 3, ?)",
                    [sha, doc_type, street, year, field_id, value, unit, f"{field_id} {value}"])


FA_OK = [("fa_total_expenditure", 30000.0, "万元"), ("fa_basic_expenditure", 12000.0, "万元"), ("fa_project_expenditure", 18000.0, "万元"),
         ("fa_exp_201", 20000.0, "万元"), ("fa_exp_212", 10000.0, "万元"), ("fa_three_public_total", 18.5, "万元"),
         ("fa_three_public_travel", 0.0, "万元"), ("fa_three_public_vehicles", 15.0, "万元"), ("fa_three_public_reception", 3.5, "万元")]


def test_identity_that_does_not_add_up(raw_db):
    _add_values(raw_db, "a" * 64, "2021/福田区/园岭街道/决算.pdf", FA_OK)
    bad = [(f, v + 1 if f == "fa_exp_212" else v, u) for f, v, u in FA_OK]  # class rows one 万元 over the total
    _add_values(raw_db, "b" * 64, "2022/福田区/园岭街道/决算.pdf", bad, year=2022)
    suite = _suite("final_accounts_identities")
    result = run_suite(suite, raw_db.execute(suite.sql).df())
    assert result.passed  # warnings only: flagged, not blocking
    (flag,) = result.warnings
    assert flag.column == "class_rows_gap" and flag.failing_by_year == {2022: 1}
    assert flag.failing_rows[0]["source_path"] == "2022/福田区/园岭街道/决算.pdf"
    assert flag.failing_rows[0]["class_rows_sum"] == 30001 and flag.failing_rows[0]["total_expenditure"] == 30000


def test_yuan_written_where_wan_yuan_was_meant(raw_db):
    _add_values(raw_db, "a" * 64, "2021/福田区/园岭街道/决算.pdf", FA_OK)
    slipped = [(f, v * 10000 if f == "fa_three_public_total" else v, u) for f, v, u in FA_OK]
    _add_values(raw_db, "b" * 64, "2022/福田区/园岭街道/决算.pdf", slipped, year=2022)
    ranges = _suite("extracted_value_ranges")
    result = run_suite(ranges, raw_db.execute(ranges.sql).df())
    (flag,) = result.warnings
    assert flag.failing_by_year == {2022: 1}
    assert {k: flag.failing_rows[0][k] for k in ("field_id", "value", "source_path")} == {
        "field_id": "fa_three_public_total", "value": 185000.0, "source_path": "2022/福田区/园岭街道/决算.pdf"}
    assert flag.unexpected_count == 1  # the 2021 figures and the other 2022 figures pass
    # the cross-year check flags the same slip against the street's previous year
    jumps = _suite("cross_year_jumps")
    measures = pd.DataFrame([{"street_code": YUANLING, "year": y, "field_id": f, "unit": u, "value": v,
                              "source_path": p, "source_page": 3}
                             for y, p, rows in ((2021, "2021/a.pdf", FA_OK), (2022, "2022/b.pdf", slipped)) for f, v, u in rows])
    con = duckdb.connect()
    con.execute("create schema intermediate")
    con.execute("create table intermediate.int_street_year__measures as select *, 'extracted' as measure_origin from measures")
    jr = run_suite(jumps, con.execute(jumps.sql).df())
    (jflag,) = jr.warnings
    assert jflag.failing_by_year == {2022: 1}
    row = jflag.failing_rows[0]
    assert row["field_id"] == "fa_three_public_total" and row["jump_factor"] == 10000 and row["previous_year"] == 2021
    # every other money field compared too, and passed: the zero travel cost and the 3.5 万元
    # reception (below the suite's 5 万元 floor in both years) are skipped
    assert jr.n_rows == 7


def test_negative_count_and_rate_above_100(raw_db):
    _add_values(raw_db, "c" * 64, "2021/福田区/园岭街道/总结.html",
                [("ws_citizen_requests", 12345.0, "件"), ("ws_emergency_drills", -3.0, "场"), ("ws_requests_closed_rate", 985.0, "%"),
                 ("ws_crime_change_pct", -12.0, "%")], doc_type="work_summary")
    suite = _suite("extracted_value")
    result = run_suite(suite, raw_db.execute(suite.sql).df())
    assert result.passed and len(result.warnings) == 2  # both flagged, neither blocks
    by_condition = {o.failing_rows[0]["field_id"]: o for o in result.warnings}
    assert by_condition["ws_requests_closed_rate"].failing_rows == [
        {"source_path": "2021/福田区/园岭街道/总结.html", "field_id": "ws_requests_closed_rate", "value": 985.0, "source_page": 3, "year": 2021}]
    negative = next(o for o in result.warnings if o.unexpected_count == 1 and o.failing_rows[0]["value"] == -3.0)
    assert negative.failing_rows[0]["field_id"] == "ws_emergency_drills"
    # the signed change (-12%) and the valid figures are not flagged
    assert all(r["field_id"] not in ("ws_crime_change_pct", "ws_citizen_requests") for o in result.warnings for r in o.failing_rows)


def test_figure_in_a_wrong_unit_or_unknown_field_blocks_its_year_only(raw_db):
    rows = pd.DataFrame([
        {"street_code": YUANLING, "year": 2021, "field_id": "fa_total_expenditure", "value": 3e8, "unit": "元", "doc_type": "final_accounts",
         "source_page": 2, "catalog_unit": "万元", "catalog_doc_type": "final_accounts", "source_path": "2021/a.pdf"},
        {"street_code": YUANLING, "year": 2022, "field_id": "fa_total_expenditure", "value": 3e4, "unit": "万元", "doc_type": "final_accounts",
         "source_page": 2, "catalog_unit": "万元", "catalog_doc_type": "final_accounts", "source_path": "2022/a.pdf"},
    ])
    result = run_suite(_suite("extracted_value_units"), rows)
    assert not result.passed and result.blocked_years == {2021}
    (bad,) = result.failures
    assert bad.failing_rows[0]["source_path"] == "2021/a.pdf" and bad.failing_rows[0]["unit"] == "元"


# ---------------------------------------------------------------- reports folder


def test_reports_folder_disk_full_or_read_only(tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    first = quality_docs.prepare_run("run-1", reports)
    (first / "index.html").write_text("<html>run 1</html>", encoding="utf-8")
    before = {p: p.read_bytes() for p in (reports / "quality").rglob("*") if p.is_file()}
    if os.geteuid() != 0:
        os.chmod(reports / "quality", 0o555)
        try:
            with pytest.raises(OSError) as err:
                quality_docs.prepare_run("run-2", reports)
        finally:
            os.chmod(reports / "quality", 0o755)
        assert "run-2" in str(err.value) or str(reports / "quality") in str(err.value)
    else:  # root ignores permissions: a full disk at the pointer's atomic replace instead
        def full(src, dst):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))

        monkeypatch.setattr(quality_docs.os, "replace", full)
        with pytest.raises(OSError) as err:
            quality_docs.prepare_run("run-2", reports)
        assert err.value.errno == errno.ENOSPC and "latest" in str(err.value)
        monkeypatch.undo()
    # the previous run's docs and the pointer to it are intact
    for p, data in before.items():
        assert p.read_bytes() == data, p
    assert (reports / "quality" / "latest.txt").read_text().strip() == "run-1"


# ---------------------------------------------------------------- warehouse level: one shared pair of refreshes


def _sha_tree(path: Path) -> dict[str, str]:
    return {p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.rglob("*")) if p.is_file()}


BLOCKED_YEAR, DISTRICT = "2018", "福田区"
KEPT_YEARS = ("2017", "2018", "2019", "2020", "2021")


@pytest.fixture(scope="module")
def two_refreshes(tmp_path_factory):
    """Refresh A on clean sources (reference and census, no readable documents: every year has no
    documents but a zip bomb and a page nested 200,000 deep, in 2021), then refresh B after
    removing 福田区's population for BLOCKED_YEAR."""
    import dagster as dg

    from jinchengtuo.refresh import run_refresh

    root = tmp_path_factory.mktemp("bad_inputs")
    sources = root / "sources"
    shutil.copytree(config.reference_dir(), sources / "reference")
    shutil.copytree(config.census_dir(), sources / "census")
    # the census years around the blocked one, the census year and the documents' year (2017–2021, not
    # every year of the census table): every year is scored and published in both refreshes, so fewer
    # years make the pair shorter and test the same (the years before and after BLOCKED_YEAR are kept)
    table = sources / "census" / "district_population.csv"
    lines = table.read_text(encoding="utf-8-sig").splitlines()
    table.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if ln.split(",")[1] in KEPT_YEARS]) + "\n", encoding="utf-8-sig")
    # hostile documents among the sources: each ends failed within its budget, the refresh goes on
    from test_hostile_documents import deep_html, zip_bomb_docx

    hostile = sources / "documents" / "2021" / "福田区" / "园岭街道"
    hostile.mkdir(parents=True)
    (hostile / "炸弹.docx").write_bytes(zip_bomb_docx())
    (hostile / "深.html").write_bytes(deep_html(200_000))
    mp = pytest.MonkeyPatch()
    mp.setenv("JCT_SOURCES", str(sources))
    mp.setenv("JCT_WAREHOUSE", str(root / "warehouse" / "jct.duckdb"))
    mp.setenv("JCT_REPORTS", str(root / "reports"))
    instance = dg.DagsterInstance.ephemeral()
    try:
        first = run_refresh(instance=instance, quiet=True)
        reports = config.reports_dir()
        snapshot = _sha_tree(reports / BLOCKED_YEAR) if (reports / BLOCKED_YEAR).exists() else {}
        table = sources / "census" / "district_population.csv"
        lines = table.read_text(encoding="utf-8-sig").splitlines()
        kept = [ln for ln in lines if not ln.startswith(f"{DISTRICT},{BLOCKED_YEAR},")]
        assert len(kept) == len(lines) - 1
        table.write_text("\n".join(kept) + "\n", encoding="utf-8-sig")
        second = run_refresh(instance=instance, quiet=True)
        yield {"root": root, "first": first, "second": second, "snapshot": snapshot, "reports": reports,
               "warehouse": config.warehouse_path()}
    finally:
        mp.undo()


@pytest.mark.slow
def test_a_year_with_a_blocking_failure_is_not_published_the_others_are(two_refreshes):
    first, second, reports = two_refreshes["first"], two_refreshes["second"], two_refreshes["reports"]
    assert first.success
    assert two_refreshes["snapshot"], "refresh A published the year"
    # refresh B: the warehouse is released (the failure is about one year), the yearly publication fails for that year only
    assert not second.success
    assert second.is_node_success("warehouse_release")
    failure = next(e for e in second.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "publication__yearly_release"
    text = failure.event_specific_data.error.to_string()
    assert f"{BLOCKED_YEAR}: not published (previous release kept)" in text
    assert "gx_fct_street_year" in text and "expect_column_values_to_not_be_null on population" in text
    assert "failing row(s)" in text and "440304" in text  # the 福田区 streets named
    # the blocked year's previous release is intact, byte for byte
    assert _sha_tree(reports / BLOCKED_YEAR) == two_refreshes["snapshot"]
    # every other year was published in refresh B
    published = {e.event_specific_data.materialization.partition for e in second.all_events
                 if e.event_type_value == "ASSET_MATERIALIZATION"
                 and e.event_specific_data.materialization.asset_key.to_user_string() == "publication/yearly_release"}
    years = {p.name for p in reports.iterdir() if p.name.isdigit()}
    assert published == years - {BLOCKED_YEAR} and len(published) >= 2
    for y in published:
        assert (reports / y / "ranking.csv").exists()


@pytest.mark.slow
def test_check_history_accumulates_with_years_and_data_docs_are_linked(two_refreshes):
    con = duckdb.connect(str(two_refreshes["warehouse"]), read_only=True)
    try:
        runs = [r[0] for r in con.execute("select run_id from meta.refresh_log order by released_at").fetchall()]
        assert len(runs) == 2
        per_run = dict(con.execute("select run_id, count(*) from quality.check_result group by 1").fetchall())
        assert set(per_run) == set(runs)  # history survived the second promotion
        bad = con.execute(
            "select year, failing_rows, sample, scope, table_name from quality.check_result "
            "where run_id = ? and check_name = 'gx_fct_street_year' and not passed and severity = 'error'", [runs[1]]).fetchall()
        assert {r[0] for r in bad} == {int(BLOCKED_YEAR)}
        year, n, sample, scope, table = bad[0]
        assert scope == "year" and table == "marts.fct_street_year"
        n_futian = con.execute("select count(*) from marts.dim_street where district_name = ?", [DISTRICT]).fetchone()[0]
        assert n == n_futian and len(json.loads(sample)) == min(10, n_futian)
        # the same check passed for every other year, and in refresh A for all years
        assert con.execute("select bool_and(passed) from quality.check_result where run_id = ? and check_name = 'gx_fct_street_year' "
                           "and year <> ?", [runs[1], int(BLOCKED_YEAR)]).fetchone()[0]
        assert con.execute("select bool_and(passed) from quality.check_result where run_id = ? and severity = 'error'", [runs[0]]).fetchone()[0]
    finally:
        con.close()
    quality = two_refreshes["reports"] / "quality"
    assert (quality / "latest.txt").read_text().strip() == runs[1]
    assert (quality / runs[0] / "index.html").exists() and (quality / runs[1] / "index.html").exists()
    evals = [e for e in two_refreshes["second"].all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
             and e.event_specific_data.asset_check_key.name == "gx_fct_street_year"]
    meta = evals[0].event_specific_data.metadata
    page = Path(meta["data_docs"].value)
    assert page.exists() and page.is_relative_to(quality / runs[1]) and "fct_street_year" in page.read_text(encoding="utf-8")
    assert meta["blocked_years"].value == BLOCKED_YEAR


@pytest.mark.slow
def test_hostile_documents_fail_within_their_budget_and_the_refresh_finishes(two_refreshes):
    assert two_refreshes["first"].success
    con = duckdb.connect(str(two_refreshes["warehouse"]), read_only=True)
    try:
        rows = dict(con.execute("select file_name, status || ': ' || reason from marts.fct_document_inventory").fetchall())
    finally:
        con.close()
    assert rows["炸弹.docx"].startswith("failed") and "zip bomb" in rows["炸弹.docx"], rows
    assert rows["深.html"].startswith("failed") and "nested" in rows["深.html"], rows
