"""Information-disclosure reports (政府信息公开工作年度报告): both templates, HTML / PDF / DOCX, checks."""

import re
from pathlib import Path

import pytest

from jinchengtuo.documents import extract_file
from jinchengtuo.documents.disclosure import detect_template, extract_disclosure_tables, read_disclosure_tables
from jinchengtuo.documents.grids import Grid
from jinchengtuo.reference import StreetDirectory

FIXTURES = Path(__file__).parent / "fixtures" / "documents"

DISCLOSURE_2021 = {
    "od_regdocs_issued": 3, "od_regdocs_valid": 12, "od_permits": 58, "od_penalties": 1204, "od_coercion": 37,
    "rq_new": 46, "rq_carried_in": 3, "rq_granted": 22, "rq_partly": 6, "rq_denied": 2, "rq_unavailable": 10,
    "rq_total_handled": 44, "rq_carried_out": 5, "rv_corrected": 1, "rv_total": 3, "lt_corrected": 1, "lt_total": 3,
    "od_items_published": 1236,
}
# 2019–2020 template (info_disclosure_2019.html, GBK): 处理决定数量 not 上一年项目数量; no fee amount
DISCLOSURE_2019 = {
    "od_regdocs_issued": 2, "od_regdocs_valid": 9, "od_permits": 65, "od_penalties": 880, "od_coercion": 21,
    "rq_new": 37, "rq_carried_in": 2, "rq_granted": 15, "rq_partly": 3, "rq_denied": 4, "rq_unavailable": 8,
    "rq_total_handled": 34, "rq_carried_out": 5, "rv_corrected": 1, "rv_total": 3, "lt_corrected": 1, "lt_total": 4,
    "od_items_published": 2048,
}


@pytest.fixture(scope="module")
def streets():
    return StreetDirectory.load()


def _extract(tmp_path, data: bytes, streets, name="report.html"):
    root = tmp_path / "docs"
    (root / "2022").mkdir(parents=True, exist_ok=True)
    (root / "2022" / name).write_bytes(data)
    return extract_file(root / "2022" / name, documents_root=root, streets=streets)


def _html_2021(encoding="utf-8") -> bytes:
    html = (FIXTURES / "info_disclosure_2021.html").read_text(encoding="utf-8")
    if encoding != "utf-8":
        html = html.replace('charset="utf-8"', f'charset="{encoding}"')
    return html.encode(encoding)


def _html_2019() -> str:
    return (FIXTURES / "info_disclosure_2019.html").read_bytes().decode("gbk")


def _values(r) -> dict:
    return {v["field_id"]: v["value"] for v in r.values}


def _flagged(r, code="identity_failed") -> list[str]:
    return [i["message"] for i in r.issues if i["code"] == code]


# ---------------------------------------------------------------- 2021 template, HTML


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_2021_template_tables_with_spans(tmp_path, streets, encoding):
    r = _extract(tmp_path, _html_2021(encoding), streets)
    assert (r.status, r.doc_type, r.street_code, r.year) == ("extracted", "info_disclosure", "440303003", 2022)
    assert _values(r) == DISCLOSURE_2021  # od_fees is '-': no value, not 0
    assert "2021 template" in r.reason
    rows = {v["field_id"]: v for v in r.values}
    # caption of the table, then the row as read (a spanned cell shown once)
    assert rows["rq_total_handled"]["source_text"] == "三、收到和处理政府信息公开申请情况: 三、本年度办理结果 | （七）总计 | 39 | 4 | 0 | 0 | 1 | 0 | 44"
    assert rows["od_permits"]["source_text"] == "二、主动公开政府信息情况: 行政许可 | 58"
    assert rows["rq_new"]["source_page"] == 3 and rows["od_permits"]["source_page"] == 2 and rows["lt_total"]["source_page"] == 4
    # 三、本年度办理结果 has rowspan=15 over 10 rows: 四、结转下年度 is pushed one column right and read back
    assert rows["rq_carried_out"]["value"] == 5
    assert not _flagged(r) and not _flagged(r, "unreadable_cell")


def test_requests_identity_failure_names_the_rows_and_both_numbers(tmp_path, streets):
    html = _html_2021().decode("utf-8").replace(
        '<td colspan="3">四、结转下年度继续办理</td><td>4</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>5</td>',
        '<td colspan="3">四、结转下年度继续办理</td><td>4</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>7</td>')
    r = _extract(tmp_path, html.encode("utf-8"), streets)
    flagged = _flagged(r)
    assert len(flagged) == 2
    identity = next(m for m in flagged if "requests:" in m)
    assert "一、本年新收 + 二、上年结转 = 49" in identity and "（七）总计 + 四、结转下年度继续办理 = 51" in identity
    row_sum = next(m for m in flagged if "applicant columns" in m)
    assert "四、结转下年度继续办理" in row_sum and "总计 column = 7" in row_sum and "sum to 5" in row_sum
    assert r.status == "extracted"  # a failed check is a warning; the figures are still what the report says
    assert _values(r)["rq_carried_out"] == 7


def test_report_without_its_requests_table_is_partial(tmp_path, streets):
    html = _html_2021().decode("utf-8")
    html = html[:html.index("<h2>三、")] + html[html.index("<h2>四、"):]
    r = _extract(tmp_path, html.encode("utf-8"), streets)
    assert r.status == "partial"
    assert "required field(s) not found: rq_new, rq_carried_in" in r.reason
    assert {v["field_id"] for v in r.values} >= {"od_permits", "rv_total", "lt_total"}


# ---------------------------------------------------------------- 2019–2020 template, HTML


def test_2019_template_gbk_page_with_site_skin(tmp_path, streets):
    data = (FIXTURES / "info_disclosure_2019.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the fixture really is GBK
    r = _extract(tmp_path, data, streets)
    assert (r.status, r.street_code, r.year) == ("extracted", "440305007", 2020)
    assert _values(r) == DISCLOSURE_2019  # 行政事业性收费 has no amount in this template: no od_fees
    assert "2019–2020 template" in r.reason
    assert not _flagged(r) and not _flagged(r, "unreadable_cell") and not _flagged(r, "conflicting_values")
    rows = {v["field_id"]: v for v in r.values}
    assert rows["od_permits"]["source_text"] == "二、主动公开政府信息情况: 行政许可 | 120 | +3 | 65"
    assert rows["rq_denied"]["source_text"].startswith("三、收到和处理政府信息公开申请情况: 三、本年度办理结果 | （三）不予公开 | 1.属于国家秘密")


def test_2019_template_decisions_column_not_the_previous_year_count(tmp_path, streets):
    """上一年项目数量 sits next to 处理决定数量: with the columns reordered and a blank decisions
    cell, the previous-year count is never taken (a last-number or position rule would take it)."""
    html = _html_2019()
    header = "<tr><td><p>信息内容</p></td><td><p>上一年项目数量</p></td><td><p>本年增/减</p></td><td><p>处理决定数量</p></td></tr>"
    assert html.count(header) == 2
    # (五): 处理决定数量 first
    html = html.replace(header, "<tr><td><p>信息内容</p></td><td><p>处理决定数量</p></td><td><p>上一年项目数量</p></td><td><p>本年增/减</p></td></tr>", 1)
    html = html.replace('<td colspan="1"><p>120</p></td><td colspan="1"><p>+3</p></td><td colspan="1"><p>65</p></td>',
                        '<td colspan="1"><p>65</p></td><td colspan="1"><p>120</p></td><td colspan="1"><p>+3</p></td>')
    # (六): 行政强制 has no decisions figure
    html = html.replace('<td colspan="1"><p>4</p></td><td colspan="1"><p>0</p></td><td colspan="1"><p>21</p></td>',
                        '<td colspan="1"><p>4</p></td><td colspan="1"><p>0</p></td><td colspan="1"><p>—</p></td>')
    r = _extract(tmp_path, html.encode("gbk"), streets)
    got = _values(r)
    assert got["od_permits"] == 65 and got["od_penalties"] == 880
    assert "od_coercion" not in got  # not 4 (上一年项目数量), not 0 (本年增/减)
    assert r.status == "partial" and "required field(s) not found: od_coercion" in r.reason


def test_2019_template_internal_sums_are_checked(tmp_path, streets):
    html = _html_2019()
    # 4.保护第三方合法权益: applicants 1 + 1 but the 总计 column says 3
    row = "<td><p>4.保护第三方合法权益</p></td><td>1</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>2</td>"
    assert row in html
    r = _extract(tmp_path, html.replace(row, row[:-10] + "<td>3</td>").encode("gbk"), streets)
    flagged = _flagged(r)
    assert any("'三、本年度办理结果 （三）不予公开 4.保护第三方合法权益'" in m and "总计 column = 3" in m and "sum to 2" in m for m in flagged)
    assert any("（七）总计 = 34 but （一）…（六） sum to 35" in m for m in flagged)
    assert len(flagged) == 2  # received + carried in = handled + carried out still holds (37 + 2 = 34 + 5)
    assert _values(r)["rq_denied"] == 5  # the report's figures, as stated


def test_template_is_told_by_wording_not_year(tmp_path, streets):
    # a 2019-template report on 2022 and a 2021-template report on 2020
    old = _html_2019().replace("2020年", "2022年")
    r = _extract(tmp_path, old.encode("gbk"), streets, "a.html")
    assert r.year == 2022 and "2019–2020 template" in r.reason and _values(r)["od_permits"] == 65
    new = _html_2021().decode("utf-8").replace("2022年", "2020年")
    r = _extract(tmp_path, new.encode("utf-8"), streets, "b.html")
    assert r.year == 2020 and "2021 template" in r.reason and _values(r)["od_permits"] == 58


def test_unknown_wording_is_reported_not_guessed(tmp_path, streets):
    html = _html_2021().decode("utf-8")
    for cue in ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额"):
        html = html.replace(cue, "数量")
    r = _extract(tmp_path, html.encode("utf-8"), streets)
    assert r.status == "partial" and "template not recognised" in r.reason
    assert any("neither the 2019–2020 nor the 2021 template" in m for m in _flagged(r, "template_unknown"))
    assert not {"od_permits", "od_penalties"} & set(_values(r))
    assert _values(r)["rq_new"] == 46  # tables common to both templates are still read


@pytest.mark.parametrize(("header", "cell", "wanyuan"), [("本年收费金额（单位：万元）", "3.5", 3.5), ("本年收费金额（元）", "12,345", 1.2345),
                                                     ("本年收费金额（单位：元）", "800", 0.08)])
def test_fee_amount_in_the_unit_its_header_declares(tmp_path, streets, header, cell, wanyuan):
    html = _html_2021().decode("utf-8").replace("本年收费金额（单位：万元）", header)
    html = html.replace('<td>行政事业性收费</td><td colspan="3">-</td>', f'<td>行政事业性收费</td><td colspan="3">{cell}</td>')
    r = _extract(tmp_path, html.encode("utf-8"), streets)
    fees = [v for v in r.values if v["field_id"] == "od_fees"]
    assert len(fees) == 1 and fees[0]["unit"] == "万元" and fees[0]["value"] == pytest.approx(wanyuan, abs=1e-9)


def test_text_in_a_figure_cell_is_reported(tmp_path, streets):
    html = _html_2021().decode("utf-8").replace('<td>行政强制</td><td colspan="3">37</td>', '<td>行政强制</td><td colspan="3">见附件</td>')
    r = _extract(tmp_path, html.encode("utf-8"), streets)
    assert "od_coercion" not in _values(r)
    assert any("行政强制" in m and "'见附件' is not a number" in m for m in _flagged(r, "unreadable_cell"))


# ---------------------------------------------------------------- grids as a PDF reader gives them


def _pdf_like_grids() -> list[Grid]:
    """The 2019 tables as a PDF table reader may give them: group labels not repeated into their
    sub-rows, part headers of table 四 not repeated over their columns, rows on two pages."""
    t2 = [["第二十条第（五）项", "", "", ""], ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
          ["行政许可", "120", "+3", "65"], ["第二十条第（六）项", "", "", ""], ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
          ["行政处罚", "15", "-2", "880"], ["行政强制", "4", "0", "21"], ["第二十条第（一）项", "", "", ""],
          ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"], ["规范性文件", "2", "2", "9"]]
    head = [["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "", "申请人情况", "", ""],
            ["", "", "自然人", "法人或其他组织", "总计"]]
    body = [["一、本年新收政府信息公开申请数量", "", "10", "2", "12"], ["二、上年结转政府信息公开申请数量", "", "1", "0", "1"],
            ["三、本年度办理结果", "（一）予以公开", "5", "1", "6"], ["", "（二）部分公开", "1", "0", "1"],
            ["", "（三）不予公开", "", "", ""], ["", "1.属于国家秘密", "0", "0", "0"], ["", "2.保护第三方合法权益", "1", "0", "1"],
            ["", "（四）无法提供", "", "", ""], ["", "1.本机关不掌握相关政府信息", "2", "0", "2"], ["", "2.没有现成信息需要另行制作", "0", "1", "1"],
            ["", "（五）不予处理", "1", "0", "1"], ["", "（六）其他处理", "0", "0", "0"], ["", "（七）总计", "10", "2", "12"],
            ["四、结转下年度继续办理", "", "1", "0", "1"]]
    t4 = [["行政复议", "", "", "", "", "行政诉讼"] + [""] * 9, [""] * 5 + ["未经复议直接起诉", "", "", "", "", "复议后起诉", "", "", "", ""],
          ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3, ["1", "1", "0", "1", "3", "2", "0", "0", "1", "3", "0", "1", "0", "0", "1"]]
    return [Grid(1, t2, 2, "二、主动公开政府信息情况", None, [2] * len(t2)),
            Grid(2, head + body, 3, "三、收到和处理政府信息公开申请情况", None, [3] * 8 + [4] * 8),
            Grid(3, t4, 5, "", None, [5] * 4)]


def test_grids_without_repeated_spans_and_rows_across_pages():
    grids = _pdf_like_grids()
    assert detect_template(grids)[0] == "2019"
    out = read_disclosure_tables(grids)
    got = {v["field_id"]: v for v in out.values}
    assert {k: v["value"] for k, v in got.items()} == {
        "od_permits": 65, "od_penalties": 880, "od_coercion": 21, "od_regdocs_issued": 2, "od_regdocs_valid": 9,
        "rq_new": 12, "rq_carried_in": 1, "rq_granted": 6, "rq_partly": 1, "rq_denied": 1, "rq_unavailable": 3,
        "rq_total_handled": 12, "rq_carried_out": 1, "rv_corrected": 1, "rv_total": 3, "lt_corrected": 1, "lt_total": 4}
    assert not out.issues
    # the page of the row, not of the table
    assert got["rq_new"]["source_page"] == 3 and got["rq_total_handled"]["source_page"] == 4
    assert got["rv_total"]["source_text"].startswith("表3: 1 | 1 | 0 | 1 | 3")
    assert extract_disclosure_tables(grids) == out.values


def test_tables_split_by_a_page_break_are_joined():
    """A PDF reader that could not continue tables 三 and 四 over a page break (differently ruled
    columns) returns their second parts as grids of their own: they are joined back."""
    grids = _pdf_like_grids()
    t3, t4 = grids[1], grids[2]
    part1 = Grid(2, [[r[0]] + r[2:] for r in t3.rows[:4]], 3, t3.caption, None, [3] * 4)  # labels merged into one column
    header = [["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] * 2 + ["申请人情况"] * 3, ["", "", "自然人", "法人或其他组织", "总计"]]
    part2 = Grid(3, header + t3.rows[4:], 4, "", None, [4] * (len(header) + len(t3.rows) - 4))  # header repeated
    review1 = Grid(4, [["行政复议", "行政诉讼", "行政诉讼"], ["行政复议", "未经复议直接起诉", "复议后起诉"]], 4, "四、政府信息公开行政复议、行政诉讼情况", None, [4, 4])
    review2 = Grid(5, t4.rows[2:], 5, "", None, [5, 5])
    out = read_disclosure_tables([grids[0], part1, part2, review1, review2])
    whole = read_disclosure_tables(grids)
    assert {v["field_id"]: v["value"] for v in out.values} == {v["field_id"]: v["value"] for v in whole.values}
    assert not out.issues
    got = {v["field_id"]: v for v in out.values}
    assert got["rq_carried_in"]["source_page"] == 3 and got["rq_granted"]["source_page"] == 4 and got["rv_total"]["source_page"] == 5


def test_part_of_a_table_that_cannot_be_placed_is_reported():
    grids = _pdf_like_grids()
    stray = Grid(4, [["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"], ["", "自然人"]], 6, "", None, [6, 6])
    out = read_disclosure_tables(grids + [stray])
    assert [i["code"] for i in out.issues] == ["layout_not_recognised"]
    assert "table 4 (page 6) looks like part of the 主动公开 or 申请 table" in out.issues[0]["message"]
    # a continuation whose figure columns do not line up is not joined, and says so
    head, body = grids[1].rows[:4], grids[1].rows[4:]  # header, 一、本年新收, 二、上年结转 | 三、本年度办理结果 …
    split = [Grid(1, grids[0].rows, 2, "二、主动公开政府信息情况", None), Grid(2, head, 3, "三、收到和处理政府信息公开申请情况", None),
             Grid(3, [r + ["0"] for r in body], 4, "", None), grids[2]]
    out = read_disclosure_tables(split)
    assert any(i["code"] == "layout_not_recognised" and "do not line up" in i["message"] for i in out.issues)
    assert "rq_granted" not in {v["field_id"] for v in out.values}


def test_review_part_totals_are_checked():
    grids = _pdf_like_grids()
    grids[2].rows[3][9] = "4"  # 未经复议直接起诉: 2 + 0 + 0 + 1 stated as 4
    out = read_disclosure_tables(grids)
    assert [i["message"] for i in out.issues] == ["table 3: 未经复议直接起诉 总计 = 4 but its four results sum to 3"]
    assert {v["field_id"]: v["value"] for v in out.values}["lt_total"] == 5


# ---------------------------------------------------------------- PDF and DOCX


def _pdf_report(repeat_header: bool = False) -> bytes:
    """The 2019-template report as a PDF drawn with reportlab (CID font STSong-Light, ruled tables
    with spans). Table 三 runs over a page break, its first page holding only merged label
    columns (the header repeated on the new page when `repeat_header`)."""
    import io

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10, leading=14)
    title = ParagraphStyle("title", parent=body, fontSize=14, leading=20)
    style = [("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 7),
             ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    from bs4 import BeautifulSoup

    from jinchengtuo.documents.grids import html_grids

    # the same tables as the HTML fixture, spans and all
    soup = BeautifulSoup(_html_2019(), "lxml")
    tables = [g for g in html_grids(soup) if g.index <= 3]
    story = [Paragraph("深圳市南山区粤海街道办事处2020年政府信息公开工作年度报告", title),
             Paragraph("一、总体情况", body), Paragraph("2020年，粤海街道办事处主动公开政府信息2,048条。", body)]
    captions = ["二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"]
    for caption, grid in zip(captions, tables):
        rows = [list(r) for r in grid.rows]
        spans = []
        for r, row in enumerate(rows):  # spans back from repeated cells: across, then down
            c = 0
            while c < len(row):
                c2 = c
                while c2 + 1 < len(row) and row[c2 + 1] == row[c] and row[c] and not re.fullmatch(r"[\d+\-.,]+", row[c]):
                    c2 += 1
                if c2 > c:
                    spans.append(("SPAN", (c, r), (c2, r)))
                c = c2 + 1
        width = grid.width
        for c in range(width):
            r = 0
            while r < len(rows):
                r2 = r
                while r2 + 1 < len(rows) and rows[r2 + 1][c] == rows[r][c] and rows[r][c] and not re.fullmatch(r"[\d+\-.,]+", rows[r][c]):
                    r2 += 1
                if r2 > r and all(not any(s[1] == (c, rr) or (s[1][0] < c <= s[2][0] and s[1][1] == rr) for s in spans) for rr in range(r, r2 + 1)):
                    spans.append(("SPAN", (c, r), (c, r2)))
                r = r2 + 1
        cells = [[Paragraph(x, ParagraphStyle("cell", parent=body, fontSize=7, leading=9)) for x in row] for row in rows]
        repeat = 3 if repeat_header and caption.startswith("三") else 0
        story += [Paragraph(caption, body), Table(cells, style=TableStyle(style + spans), repeatRows=repeat), Spacer(1, 10)]
    story.append(Paragraph("深圳市南山区粤海街道办事处 2021年1月28日", body))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=landscape(A4)).build(story)
    return out.getvalue()


@pytest.mark.parametrize("repeat_header", [False, True])
def test_pdf_report(tmp_path, streets, repeat_header):
    data = _pdf_report(repeat_header)
    r = _extract(tmp_path, data, streets, "report.pdf")
    assert (r.file_format, r.doc_type, r.street_code, r.year) == ("pdf", "info_disclosure", "440305007", 2020)
    assert _values(r) == DISCLOSURE_2019, r.issues
    assert r.status == "extracted" and "2019–2020 template" in r.reason
    assert not _flagged(r) and not _flagged(r, "layout_not_recognised")
    rows = {v["field_id"]: v for v in r.values}
    assert rows["rq_new"]["source_page"] == 1 and rows["rq_total_handled"]["source_page"] == 2


def test_docx_report(tmp_path, streets):
    import io

    import docx

    d = docx.Document()
    d.add_heading("深圳市罗湖区东门街道办事处2022年政府信息公开工作年度报告", level=1)
    d.add_paragraph("2022年，东门街道办事处主动公开政府信息共1,236条。")
    from bs4 import BeautifulSoup

    from jinchengtuo.documents.grids import html_grids

    for grid in html_grids(BeautifulSoup(_html_2021().decode("utf-8"), "lxml")):
        d.add_paragraph(grid.caption)
        table = d.add_table(rows=len(grid.rows), cols=grid.width)
        for r, row in enumerate(grid.rows):
            c = 0
            while c < len(row):  # merge the cells a colspan repeated
                c2 = c
                while c2 + 1 < len(row) and row[c2 + 1] == row[c]:
                    c2 += 1
                cell = table.cell(r, c).merge(table.cell(r, c2)) if c2 > c else table.cell(r, c)
                cell.text = row[c]
                c = c2 + 1
    buf = io.BytesIO()
    d.save(buf)
    r = _extract(tmp_path, buf.getvalue(), streets, "report.docx")
    assert (r.file_format, r.doc_type, r.year) == ("docx", "info_disclosure", 2022)
    assert _values(r) == DISCLOSURE_2021, r.issues
    assert r.status == "extracted" and not _flagged(r)


def test_merge_prose_fills_fields_no_table_states_and_flags_disagreements():
    from jinchengtuo.documents.disclosure import merge_prose
    from jinchengtuo.documents.prose import extract_prose

    prose = [(1, "某某街道2022年政府信息公开工作年度报告"),
             (2, "全年共收到政府信息公开申请12宗，上年结转1宗，2宗仍在法定办理期限内。全年未发生因政府信息公开申请提起的行政复议和行政诉讼。")]
    values, issues = extract_prose("info_disclosure", prose)
    table = [{"field_id": "rq_new", "value": 12.0, "unit": "件", "source_page": 3, "source_text": "表: 一、本年新收 | 12", "method": "table"},
             {"field_id": "rq_carried_in", "value": 2.0, "unit": "件", "source_page": 3, "source_text": "表: 二、上年结转 | 2", "method": "table"}]
    added, flagged = merge_prose(table, values, issues)
    got = {v["field_id"]: v["value"] for v in added}
    # the tables' fields are not added again; the others come from the prose
    assert got == {"rq_carried_out": 2, "rv_total": 0, "lt_total": 0}
    # 12 agrees (silent); 上年结转 1 against the table's 2 is flagged with both figures and places
    assert [(i["code"], i["field_id"]) for i in flagged] == [("prose_table_disagree", "rq_carried_in")]
    assert "2" in flagged[0]["message"] and "1" in flagged[0]["message"] and "section/page 3" in flagged[0]["message"]
