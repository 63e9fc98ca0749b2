"""Reading, identifying and extracting documents; the corpus walk, cache and CLI."""

import json
import os
from pathlib import Path

import docx
import pymupdf
import pytest
from typer.testing import CliRunner

from jinchengtuo.cli import app
from jinchengtuo.documents import extract_corpus, extract_file
from jinchengtuo.reference import StreetDirectory

SUMMARY = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>深圳市福田区园岭街道办事处2022年工作总结</title></head><body>
<h1>园岭街道办事处2022年工作总结</h1>
<p>2022年，街道辖11个社区，划分网格126个，配备专职网格员320名。全年受理群众诉求12,345件，办结率98.6%。</p>
<h2>二、应急管理</h2><p>开展应急演练二十三场，排查整改安全隐患1,024处。全年未发生火灾。</p>
<script>document.location='http://example.invalid/'</script></body></html>"""


@pytest.fixture(scope="module")
def streets():
    return StreetDirectory.load()


@pytest.fixture()
def corpus(tmp_path):
    root = tmp_path / "documents"
    folder = root / "2022" / "福田区" / "园岭街道"
    folder.mkdir(parents=True)
    (folder / "2022年工作总结.html").write_bytes(SUMMARY.encode("gbk"))
    (folder / "2022年工作总结(1).html").write_bytes(SUMMARY.encode("gbk"))  # uploaded twice
    d = docx.Document()
    d.add_heading("南园街道2022年法治政府建设年度报告", level=1)
    d.add_paragraph("2022年，街道共办理行政处罚案件156宗，无行政诉讼败诉案件，调解矛盾纠纷432宗，调解成功率97.5%。")
    d.save(folder / "南园法治报告.docx")  # another street's report in 园岭's folder
    pdf = pymupdf.open()
    page = pdf.new_page()
    page.insert_text((50, 72), "深圳市福田区园岭街道办事处2022年部门决算", fontname="china-s", fontsize=12)
    page.insert_text((50, 100), "一般公共服务支出 1,234.56", fontname="china-s", fontsize=10)
    pdf.save(folder / "部门决算.pdf")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "truncated.pdf").write_bytes((folder / "部门决算.pdf").read_bytes()[:300])
    (folder / "gone.html").write_text("<html><title>404 页面不存在</title><body>页面不存在</body></html>", encoding="utf-8")
    (folder / "notice.txt").write_text("关于开展安全检查的通知\n各社区：请做好准备。", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("园岭街道2022年工作总结 机密", encoding="utf-8")
    os.symlink(outside, folder / "link.txt")
    return root


def test_gbk_html_work_summary_with_provenance(corpus, streets):
    r = extract_file(corpus / "2022/福田区/园岭街道/2022年工作总结.html", documents_root=corpus, streets=streets)
    assert (r.status, r.doc_type, r.street_code, r.year, r.file_format) == ("extracted", "work_summary", "440304002", 2022, "html")
    got = {v["field_id"]: v for v in r.values}
    assert got["ws_grid_workers"]["value"] == 320 and got["ws_citizen_requests"]["value"] == 12345
    assert got["ws_emergency_drills"]["value"] == 23 and got["ws_fire_incidents"]["value"] == 0
    assert got["ws_requests_closed_rate"]["value"] == pytest.approx(98.6)
    assert got["ws_emergency_drills"]["source_text"] == "开展应急演练二十三场，排查整改安全隐患1,024处。"
    assert got["ws_emergency_drills"]["source_page"] == 2 and got["ws_grids"]["source_page"] == 1
    assert all("example.invalid" not in v["source_text"] for v in r.values)  # scripts are never read


def test_misfiled_docx_is_attributed_to_the_street_it_names(corpus, streets):
    r = extract_file(corpus / "2022/福田区/园岭街道/南园法治报告.docx", documents_root=corpus, streets=streets)
    assert (r.doc_type, r.street_code, r.folder_street_code, r.year) == ("rule_of_law", "440304001", "440304002", 2022)
    assert any(i["code"] == "misfiled" and "attributed to 440304001" in i["message"] for i in r.issues)
    got = {v["field_id"]: v["value"] for v in r.values}
    assert got["rl_enforcement_cases"] == 156 and got["rl_litigation_lost"] == 0 and got["rl_mediation_cases"] == 432


def test_table_documents_are_identified_and_marked_partial(corpus, streets):
    # a one-line PDF with no ruled table: identified, its tables looked for, the missing fields named
    r = extract_file(corpus / "2022/福田区/园岭街道/部门决算.pdf", documents_root=corpus, streets=streets)
    assert (r.file_format, r.doc_type, r.street_code, r.year, r.n_pages) == ("pdf", "final_accounts", "440304002", 2022, 1)
    assert r.status == "partial" and r.values == []
    assert r.reason.startswith("required field(s) not found: fa_total_expenditure") and "(0 table(s) in the PDF)" in r.reason


@pytest.mark.parametrize(
    "name, status, reason",
    [
        ("empty.pdf", "failed", "the file is empty"),
        ("truncated.pdf", "failed", "truncated PDF"),
        ("gone.html", "failed", "page not found"),
        ("notice.txt", "unidentified", "document type, street, year not found"),
    ],
)
def test_bad_files_have_a_status_and_a_located_reason(corpus, streets, name, status, reason):
    r = extract_file(corpus / "2022/福田区/园岭街道" / name, documents_root=corpus, streets=streets)
    assert r.status == status and reason in r.reason and f"2022/福田区/园岭街道/{name}" in r.reason


def test_corpus_lists_every_file_follows_no_link_and_caches(corpus, streets, tmp_path):
    cache = tmp_path / "cache"
    first = extract_corpus(corpus, streets=streets, cache_dir=cache, workers=2)
    docs = first.documents.set_index("file_name")
    assert len(docs) == 8  # every regular file, the link excluded
    assert docs.loc["2022年工作总结(1).html", "source_file_sha256"] == docs.loc["2022年工作总结.html", "source_file_sha256"]
    # the same bytes at two paths: one document row each, figures stored once
    assert first.values.groupby("source_file_sha256").field_id.apply(lambda s: s.is_unique).all()
    link = first.issues[first.issues.code == "link_not_followed"]
    assert link.source_path.tolist() == ["2022/福田区/园岭街道/link.txt"]
    assert "机密" not in first.values.source_text.str.cat()
    assert first.stats["read"] == 8 and first.stats["cache_hits"] == 0
    second = extract_corpus(corpus, streets=streets, cache_dir=cache, workers=2)
    assert second.stats["cache_hits"] == 8 and second.stats["read"] == 0
    cols = ["source_path", "status", "doc_type", "street_code", "year", "n_values"]
    assert second.documents[cols].equals(first.documents[cols])
    assert second.values.sort_values(["source_file_sha256", "field_id"]).reset_index(drop=True).equals(
        first.values.sort_values(["source_file_sha256", "field_id"]).reset_index(drop=True))


def test_the_same_bytes_at_another_path_are_reported_under_that_path(corpus, streets, tmp_path):
    # the 南园 report filed in 园岭's folder (misfiled) and a copy in 南园's own folder; the
    # empty file and the truncated PDF uploaded to 南园's folder too
    src = corpus / "2022/福田区/园岭街道"
    own = corpus / "2022/福田区/南园街道"
    own.mkdir()
    for name, copy in (("南园法治报告.docx", "法治报告.docx"), ("empty.pdf", "empty.pdf"), ("truncated.pdf", "t.pdf")):
        (own / copy).write_bytes((src / name).read_bytes())
    cache = tmp_path / "cache"
    runs = [extract_corpus(corpus, streets=streets, cache_dir=cache, workers=1) for _ in range(2)]
    assert runs[1].stats["read"] == 0  # the second run is served from the cache
    for run in runs:
        docs = run.documents.set_index("source_path")
        for path, reason in docs.reason.items():
            assert not any(other in reason for other in docs.index if other != path), (path, reason)
        assert docs.loc["2022/福田区/南园街道/t.pdf", "reason"].startswith("2022/福田区/南园街道/t.pdf: truncated PDF")
        misfiled = set(run.issues[run.issues.code == "misfiled"].source_path)
        assert "2022/福田区/园岭街道/南园法治报告.docx" in misfiled and "2022/福田区/南园街道/法治报告.docx" not in misfiled
        for _, row in run.issues.dropna(subset=["source_file_sha256"]).iterrows():
            named = [p for p in docs.index if p in row.message]
            assert named in ([], [row.source_path]), (row.source_path, row.message)
    cols = ["source_path", "status", "reason", "street_code", "folder_street_code"]
    assert runs[1].documents[cols].equals(runs[0].documents[cols])


def test_cli_prints_json_values_and_fails_clearly_on_broken_files(corpus):
    folder = corpus / "2022/福田区/园岭街道"
    result = CliRunner().invoke(app, ["extract", "--json", str(folder / "truncated.pdf"), str(folder / "2022年工作总结.html")])
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert rows and {"doc_type", "street_code", "year", "field_id", "value", "unit", "page", "source_text", "file_sha256"} <= set(rows[0])
    assert {r["field_id"] for r in rows} >= {"ws_grid_workers", "ws_citizen_requests"}
    assert "truncated.pdf: truncated PDF" in result.stderr


def test_table_figures_point_to_the_section_of_their_table_even_when_cells_hold_paragraphs():
    """Word-exported pages put <p> inside every cell; the table's section must still be found."""
    from jinchengtuo.reference.streets import StreetDirectory

    path = (Path(__file__).parent / "fixtures" / "documents" / "info_disclosure_2019.html").resolve()
    res = extract_file(path, documents_root=path.parent, streets=StreetDirectory.load())
    pages = {v["field_id"]: v["source_page"] for v in res.values}
    # 二 主动公开 < 三 申请 < 四 复议诉讼, each after the 总体情况 prose of section 1–3
    assert pages["od_permits"] < pages["rq_new"] < pages["rv_total"]
    assert pages["rq_new"] > 1


def test_a_report_that_counts_404_items_is_not_an_error_page(tmp_path):
    from jinchengtuo.documents.extract import NOT_FOUND

    assert not NOT_FOUND.search("通过政府网站主动公开政府信息404条") and not NOT_FOUND.search("行政处罚 404 件")
    assert NOT_FOUND.search("404 页面不存在") and NOT_FOUND.search("Error 404 - Not Found") and NOT_FOUND.search("错误代码：404")


def test_content_decides_the_format_and_a_mismatch_is_reported(corpus, streets):
    folder = corpus / "2022/福田区/园岭街道"
    (folder / "总结.pdf").write_bytes(SUMMARY.encode("gbk"))  # an HTML page saved as .pdf
    (folder / "总结.docx").write_text("园岭街道办事处2022年工作总结\n全年受理群众诉求1,200件。", encoding="utf-8")  # text named .docx
    html = extract_file(folder / "总结.pdf", documents_root=corpus, streets=streets)
    assert (html.file_format, html.content_format_mismatch, html.status) == ("html", "html named .pdf", "extracted")
    assert any(i["code"] == "format_mismatch" and "总结.pdf" in i["message"] for i in html.issues)
    text = extract_file(folder / "总结.docx", documents_root=corpus, streets=streets)
    assert (text.file_format, text.content_format_mismatch) == ("txt", "txt named .docx")
    assert {v["field_id"]: v["value"] for v in text.values}["ws_citizen_requests"] == 1200
    plain = extract_file(folder / "2022年工作总结.html", documents_root=corpus, streets=streets)
    assert plain.content_format_mismatch is None and not any(i["code"] == "format_mismatch" for i in plain.issues)


def test_a_year_after_the_current_one_is_refused(corpus, streets):
    from datetime import date

    nxt = date.today().year + 1
    folder = corpus / "2022/福田区/园岭街道"
    (folder / "future.html").write_text(SUMMARY.replace("2022", str(nxt)), encoding="gbk")
    r = extract_file(folder / "future.html", documents_root=corpus, streets=streets)
    assert r.status == "failed" and r.values == [] and f"reports on {nxt}" in r.reason
    assert [i["code"] for i in r.issues if i["severity"] == "error"] == ["future_year"]


def test_an_issuer_outside_the_directory_keeps_its_figures(corpus, streets):
    folder = corpus / "2022"
    (folder / "town.html").write_text(SUMMARY.replace("深圳市福田区园岭街道办事处", "湖南省某县青山镇人民政府").replace("园岭街道办事处", "青山镇人民政府"),
                                      encoding="gbk")
    r = extract_file(folder / "town.html", documents_root=corpus, streets=streets)
    assert r.status == "unidentified" and r.street_code is None and r.doc_type == "work_summary" and r.year == 2022
    assert r.issuer_name == "青山镇人民政府" or r.issuer_name.endswith("青山镇人民政府"), r.issuer_name
    assert {v["field_id"]: v["value"] for v in r.values}["ws_grid_workers"] == 320
    assert "not one of the 74 units" in r.reason and any(i["code"] == "issuer_not_in_directory" for i in r.issues)
    out = CliRunner().invoke(app, ["extract", str(folder / "town.html"), "--json"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert rows and all(row["street_code"] is None and row["issuer_name"] == r.issuer_name for row in rows)
    assert "work_summary" in out.stderr and "not in the directory" in out.stderr
