"""Tables from PDF (words + ruling lines) and DOCX as Grids.

PDFs are built here with reportlab (platypus tables with SPAN/GRID styles, the built-in CID font
STSong-Light, invariant mode) and, for Excel-like borders, with the reportlab canvas; DOCX with
python-docx. Every test asserts the exact cell texts.
"""

from __future__ import annotations

import io

import pytest

pytest.importorskip("reportlab")
pymupdf = pytest.importorskip("pymupdf")

from reportlab import rl_config  # noqa: E402
from reportlab.lib import colors  # noqa: E402
from reportlab.lib.pagesizes import A4, landscape  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # noqa: E402
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle  # noqa: E402

from jinchengtuo.documents.pdf_tables import (  # noqa: E402
    TableReadError,
    caption_and_unit,
    docx_grids,
    join_pieces,
    pdf_grids,
)

FONT = "STSong-Light"
rl_config.invariant = 1
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

CELL = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, wordWrap="CJK")
PROSE = ParagraphStyle("p", fontName=FONT, fontSize=10.5, leading=16, firstLineIndent=21, wordWrap="CJK")
CAPTION = ParagraphStyle("cap", fontName=FONT, fontSize=11, leading=16, alignment=1)
UNIT = ParagraphStyle("unit", fontName=FONT, fontSize=8.5, leading=12, alignment=2)

LONG_LABEL = "一般公共服务支出之政府办公厅（室）及相关机构事务行政运行"
PROSE_TEXT = ("本街道2022年度收入支出决算总体情况说明：收入总计比上年增加，主要原因是辖区重点项目建设投入加大，"
              "支出总计相应增加。以下各表单位均以表头所示为准。")


def _pdf(story, pagesize=A4, running_head: str = "") -> bytes:
    """Pages numbered 第 N 页 at the foot, with an optional running head on every page."""

    def furniture(canvas, doc):
        canvas.setFont(FONT, 9)
        canvas.drawCentredString(doc.pagesize[0] / 2, 20, f"第 {doc.page} 页")
        if running_head:
            canvas.drawString(40, doc.pagesize[1] - 30, f"{running_head}  {doc.page}")

    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=pagesize, leftMargin=40, rightMargin=40, topMargin=45, bottomMargin=45).build(
        story, onFirstPage=furniture, onLaterPages=furniture)
    return buf.getvalue()


def _table(data, spans=(), widths=None, repeat=0, right_from=(0, 0)):
    """A ruled platypus table; strings longer than their column wrap as Paragraphs."""
    ncols = len(data[0])
    widths = widths or [480 / ncols] * ncols
    cells = [[Paragraph(c, CELL) if isinstance(c, str) and len(c) * 8 > widths[j] - 6 else c
              for j, c in enumerate(row)] for row in data]
    style = [("FONT", (0, 0), (-1, -1), FONT, 8), ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", right_from, (-1, -1), "RIGHT")]
    style += [("SPAN", a, b) for a, b in spans]
    t = Table(cells, colWidths=widths, repeatRows=repeat)
    t.setStyle(TableStyle(style))
    return t


def _rows(grid):
    return [list(r) for r in grid.rows]


# ----------------------------------------------------------------------------- one page, two tables

SPENDING_HEADER = [["项目", "", "本年支出合计", "基本支出", "项目支出"],
                   ["科目编码", "科目名称", "", "", ""]]
SPENDING_SPANS = [((0, 0), (1, 0)), ((2, 0), (2, 1)), ((3, 0), (3, 1)), ((4, 0), (4, 1))]
SPENDING_BODY = [["201", LONG_LABEL, "1,234,567.00", "1,000,000.00", "234,567.00"],
                 ["20101", "人大事务", "(1,234.00)", "-", ""],
                 ["", "合计", "1,233,333.00", "", "-"]]

SANGONG = [["合计", "因公出国（境）费", "公务用车购置及运行费", "", "", "公务接待费"],
           ["", "", "小计", "公务用车购置费", "公务用车运行费", ""],
           ["12.50", "-", "8.00", "", "8.00", "4.50"]]
SANGONG_SPANS = [((0, 0), (0, 1)), ((1, 0), (1, 1)), ((2, 0), (4, 0)), ((5, 0), (5, 1))]


@pytest.fixture(scope="module")
def two_tables_pdf() -> bytes:
    story = [
        Paragraph("2022年某某街道部门决算", CAPTION),
        Paragraph(PROSE_TEXT, PROSE),
        Paragraph("支出决算表", CAPTION),
        Paragraph("单位：万元", UNIT),
        _table(SPENDING_HEADER + SPENDING_BODY, SPENDING_SPANS, widths=[60, 150, 90, 90, 90], right_from=(2, 2)),
        Spacer(1, 8),
        Paragraph(PROSE_TEXT, PROSE),
        Paragraph("“三公”经费支出决算表", CAPTION),
        Paragraph("公开02表　　　　单位：元", UNIT),
        _table(SANGONG, SANGONG_SPANS, right_from=(0, 2)),
        Paragraph(PROSE_TEXT, PROSE),
    ]
    return _pdf(story)


def test_nested_header_wrapped_label_code_column(two_tables_pdf):
    grids = pdf_grids(two_tables_pdf)
    assert len(grids) == 2
    g = grids[0]
    assert (g.index, g.page, g.caption, g.unit) == (1, 1, "支出决算表", "万元")
    assert _rows(g) == [
        ["项目", "项目", "本年支出合计", "基本支出", "项目支出"],
        ["科目编码", "科目名称", "本年支出合计", "基本支出", "项目支出"],
        *SPENDING_BODY,
    ]
    assert g.row_pages == [1] * 5


def test_second_table_on_the_page_three_level_header(two_tables_pdf):
    g = pdf_grids(two_tables_pdf)[1]
    assert (g.index, g.page, g.caption, g.unit) == (2, 1, "“三公”经费支出决算表", "元")
    assert _rows(g) == [
        ["合计", "因公出国（境）费", "公务用车购置及运行费", "公务用车购置及运行费", "公务用车购置及运行费", "公务接待费"],
        ["合计", "因公出国（境）费", "小计", "公务用车购置费", "公务用车运行费", "公务接待费"],
        ["12.50", "-", "8.00", "", "8.00", "4.50"],
    ]


# ----------------------------------------------------------------------------- page breaks

def _long_body(n, start):
    return [[f"{2010100 + start + i} 项目名称{start + i}", f"{(start + i) * 1000:,}.00", "-" if i % 7 == 0 else f"{i}.50"]
            for i in range(n)]


LONG_HEADER = [["科目", "金额", "", ], ["", "本年", "上年"]]
LONG_SPANS = [((0, 0), (0, 1)), ((1, 0), (2, 0))]


@pytest.fixture(scope="module")
def paged_pdf() -> bytes:
    body_a = _long_body(70, 0)
    body_b = _long_body(70, 100)
    story = [
        Paragraph("一般公共预算财政拨款支出决算表", CAPTION),
        Paragraph("金额单位：元", UNIT),
        _table(LONG_HEADER + body_a, LONG_SPANS, widths=[200, 140, 140], repeat=2, right_from=(1, 2)),
        Paragraph("政府性基金预算财政拨款支出决算表", CAPTION),
        Paragraph("单位：万元", UNIT),
        _table(LONG_HEADER + body_b, LONG_SPANS, widths=[200, 140, 140], repeat=0, right_from=(1, 2)),
        PageBreak(),
        Paragraph("部门决算表3", CAPTION),
        Paragraph("单位：元", UNIT),
        _table(LONG_HEADER + _long_body(3, 500), LONG_SPANS, widths=[200, 140, 140], right_from=(1, 2)),
        PageBreak(),
        Paragraph("部门决算表4", CAPTION),
        Paragraph("单位：元", UNIT),  # the same line at the top of two pages is not a running head
        _table(LONG_HEADER + _long_body(2, 600), LONG_SPANS, widths=[200, 140, 140], right_from=(1, 2)),
    ]
    return _pdf(story, running_head="某某街道2022年部门决算")


def test_table_over_page_breaks_with_and_without_repeated_header(paged_pdf):
    grids = pdf_grids(paged_pdf)
    assert [g.caption for g in grids] == ["一般公共预算财政拨款支出决算表", "政府性基金预算财政拨款支出决算表", "部门决算表3", "部门决算表4"]
    assert [g.unit for g in grids] == ["元", "万元", "元", "元"]
    expected_header = [["科目", "金额", "金额"], ["科目", "本年", "上年"]]
    a, b, c, d = grids
    assert _rows(a) == expected_header + _long_body(70, 0)  # repeated header rows dropped
    assert _rows(b) == expected_header + _long_body(70, 100)  # continuation without header
    assert _rows(c) == expected_header + _long_body(3, 500)  # new caption on a new page: a new table
    doc = pymupdf.open(stream=paged_pdf)
    # every row's page is the page its label is printed on
    for g in (a, b, c):
        assert len(g.row_pages) == len(g.rows)
        for row, page in zip(g.rows[2:], g.row_pages[2:]):
            assert doc[page - 1].search_for(row[0].split()[0]), (row, page)
    assert a.page == 1 and a.row_pages[-1] > 1  # it did run over a page break
    assert b.row_pages[-1] > b.page
    assert c.page == c.row_pages[0] == len(doc) - 1
    assert _rows(d) == expected_header + _long_body(2, 600) and d.page == len(doc)


DISCLOSURE_HEADER = [["（本列数据的勾稽关系为：第一项加第二项之和）", "", "申请人情况", ""], ["", "", "自然人", "法人或其他组织"]]
DISCLOSURE_BODY = [["三、本年度办理结果", "（一）予以公开", "28", "2"], ["", "（二）部分公开", "17", "1"],
                   ["四、结转下年度继续办理", "", "3", "0"]]
DISCLOSURE_SPANS = [((0, 0), (1, 1)), ((2, 0), (3, 0)), ((0, 2), (0, 3)), ((0, 4), (1, 4))]
DISCLOSURE_GRID = [
    ["（本列数据的勾稽关系为：第一项加第二项之和）"] * 2 + ["申请人情况"] * 2,
    ["（本列数据的勾稽关系为：第一项加第二项之和）"] * 2 + ["自然人", "法人或其他组织"],
    ["三、本年度办理结果", "（一）予以公开", "28", "2"],
    ["三、本年度办理结果", "（二）部分公开", "17", "1"],
    ["四、结转下年度继续办理", "四、结转下年度继续办理", "3", "0"],
]


@pytest.mark.parametrize("repeat", [0, 2])
def test_page_break_right_after_the_header_rows(repeat):
    """The page holds the caption and at most the header rows: without repeated headers the
    header rows stay alone on page 1 (where the merged cells hide the border between the first
    two columns); with them, reportlab moves the whole table and leaves the caption behind."""
    table = _table(DISCLOSURE_HEADER + DISCLOSURE_BODY, DISCLOSURE_SPANS, widths=[120, 160, 100, 100], repeat=repeat)
    table.wrap(480, 1000)
    heights = table._rowHeights
    space = 740 - 16 - heights[0] - heights[1] - heights[2] / 2 - 4
    data = _pdf([Spacer(1, space), Paragraph("三、收到和处理政府信息公开申请情况", CAPTION), table])
    grids = pdf_grids(data)
    assert len(grids) == 1
    g = grids[0]
    assert g.caption == "三、收到和处理政府信息公开申请情况"
    assert _rows(g) == DISCLOSURE_GRID
    assert g.row_pages == ([1, 1, 2, 2, 2] if repeat == 0 else [2] * 5)


# ----------------------------------------------------------------------------- landscape pages

WIDE_HEADER = ["科目编码", "科目名称", "合计", "工资福利支出", "商品和服务支出", "对个人和家庭的补助",
               "资本性支出", "其他支出", "上年结转", "年末结余"]
WIDE_ROWS = [["2010101", "行政运行", "3,456.78", "2,000.00", "1,000.00", "456.78", "-", "", "12.00", "0.00"],
             ["2130101", "农业农村事务之" + "行政运行及一般行政管理事务", "10.00", "", "10.00", "", "", "-", "", "(2.00)"]]


def _landscape_pdf() -> bytes:
    widths = [60, 130] + [70] * 8
    story = [Paragraph("财政拨款支出决算明细表", CAPTION), Paragraph("（单位：万元）", UNIT),
             _table([WIDE_HEADER] + WIDE_ROWS, widths=widths, right_from=(2, 1))]
    return _pdf(story, pagesize=landscape(A4))


def test_landscape_page():
    grids = pdf_grids(_landscape_pdf())
    assert len(grids) == 1
    g = grids[0]
    assert (g.caption, g.unit) == ("财政拨款支出决算明细表", "万元")
    assert _rows(g) == [WIDE_HEADER] + WIDE_ROWS


def test_rotated_page_reads_as_displayed():
    """A landscape table drawn sideways on a portrait page turned by /Rotate."""
    src = pymupdf.open(stream=_landscape_pdf())
    for rotation in (90, 270):
        doc = pymupdf.open()
        page = doc.new_page(width=src[0].rect.width, height=src[0].rect.height)
        page.show_pdf_page(page.rect, src, 0, rotate=rotation)
        page.set_rotation(rotation)
        words = pymupdf.open(stream=doc.tobytes())[0].get_text("words")
        first = next(w for w in words if w[4] == "科目编码")
        assert first[3] - first[1] > first[2] - first[0]  # stored sideways
        g = pdf_grids(doc.tobytes())[0]
        assert _rows(g) == [WIDE_HEADER] + WIDE_ROWS, rotation


# ----------------------------------------------------------------------------- Excel-like borders

def test_filled_rectangle_borders_page_frame_and_run_together_text():
    """Borders drawn as thin filled rectangles (Excel/WPS exports), a frame around the whole
    page, and two cells' texts drawn as one string over their border."""
    from reportlab.pdfgen import canvas as rl_canvas

    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    c.setLineWidth(1)
    c.rect(20, 20, width - 40, height - 40, stroke=1, fill=0)  # page frame
    c.setFont(FONT, 12)
    c.drawString(100, height - 80, "收支预算总表")
    c.setFont(FONT, 9)
    c.drawString(400, height - 96, "单位：元")
    xs = [100, 200, 300, 400]
    ys = [height - 100, height - 120, height - 140, height - 160]
    for y in ys:
        c.rect(xs[0], y - 0.25, xs[-1] - xs[0], 0.5, stroke=0, fill=1)
    for x in xs:
        c.rect(x - 0.25, ys[-1], 0.5, ys[0] - ys[-1], stroke=0, fill=1)
    c.setFont(FONT, 10)
    c.drawString(160, ys[1] + 6, "收入科目预算数")  # 4 characters left of the border at x=200, 3 right
    c.drawString(305, ys[1] + 6, "备注")
    c.drawString(105, ys[2] + 6, "财政拨款")
    c.drawRightString(295, ys[2] + 6, "1,000.00")
    c.drawRightString(395, ys[2] + 6, "—")
    c.drawString(105, ys[3] + 6, "其他收入")
    c.drawRightString(295, ys[3] + 6, "20.00")
    c.drawCentredString(width / 2, 30, "- 1 -")
    c.showPage()
    c.save()
    words = pymupdf.open(stream=buf.getvalue())[0].get_text("words")
    assert any(w[4] == "收入科目预算数" for w in words)  # one word over the border
    grids = pdf_grids(buf.getvalue())
    assert len(grids) == 1
    g = grids[0]
    assert (g.caption, g.unit, g.page) == ("收支预算总表", "元", 1)
    assert _rows(g) == [["收入科目", "预算数", "备注"],
                        ["财政拨款", "1,000.00", "—"],
                        ["其他收入", "20.00", ""]]


# ----------------------------------------------------------------------------- tables without vertical lines

def _rules_table(data, style, widths, valign="MIDDLE"):
    cells = [[Paragraph(c, CELL) if isinstance(c, str) and len(c) * 8 > widths[j] - 6 else c for j, c in enumerate(row)]
             for row in data]
    t = Table(cells, colWidths=widths)
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8), ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                           ("ALIGN", (1, 0), (-1, 0), "CENTER"), ("VALIGN", (0, 0), (-1, -1), valign)] + style))
    return t


INCOME = [["项目", "本年数", "上年数"],
          ["一、一般公共预算拨款", "81,482.17", "70,000.00"],
          ["二、政府性基金预算拨款之城乡社区公共设施及其他相关支出", "-", ""],
          ["三、其他收入", "5,277.60", "(12.00)"],
          ["合    计", "86,759.77", "70,012.00"]]
INCOME_GRID = [r[:] for r in INCOME]
INCOME_GRID[-1][0] = "合计"  # letter-spaced CJK joins
THREE_LINE = [("LINEABOVE", (0, 0), (-1, 0), 1, colors.black), ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
              ("LINEBELOW", (0, -1), (-1, -1), 1, colors.black)]
ROW_RULES = [("BOX", (0, 0), (-1, -1), 0.5, colors.black), ("LINEBELOW", (0, 0), (-1, -2), 0.4, colors.black)]


def test_tables_with_horizontal_rules_only():
    """A three-line table, then a box with rules between rows but no inner vertical lines, the
    same width, one above the other; prose between and after them."""
    story = [Paragraph("收入决算表", CAPTION), Paragraph("单位：万元", UNIT), _rules_table(INCOME, THREE_LINE, [200, 120, 120]),
             Paragraph(PROSE_TEXT, PROSE),
             Paragraph("收入预算表", CAPTION), Paragraph("公开05表 单位：元", UNIT), _rules_table(INCOME, ROW_RULES, [200, 120, 120]),
             Paragraph(PROSE_TEXT, PROSE)]
    grids = pdf_grids(_pdf(story))
    assert [(g.caption, g.unit) for g in grids] == [("收入决算表", "万元"), ("收入预算表", "元")]
    for g in grids:
        assert _rows(g) == INCOME_GRID


def test_three_line_table_with_a_header_over_two_columns_and_a_category_row():
    data = [["项目", "金额", ""], ["", "本年", "上年"],
            ["一、基本支出", "", ""], ["工资福利支出", "1,000.00", "900.00"], ["商品和服务支出", "200.50", "-"]]
    style = THREE_LINE[:1] + [("LINEBELOW", (0, 1), (-1, 1), 0.5, colors.black), THREE_LINE[2],
                              ("SPAN", (1, 0), (2, 0)), ("SPAN", (0, 0), (0, 1))]
    g = pdf_grids(_pdf([Paragraph("基本支出决算明细表", CAPTION), _rules_table(data, style, [200, 120, 120])]))[0]
    assert g.caption == "基本支出决算明细表"
    # two header rows over one rule: 项目 centred beside both spans both, 金额 spans both figure columns
    assert _rows(g) == [["项目", "金额", "金额"], ["项目", "本年", "上年"],
                        ["一、基本支出", "", ""], ["工资福利支出", "1,000.00", "900.00"], ["商品和服务支出", "200.50", "-"]]


def test_three_line_table_over_a_page_break():
    body = [[f"{2010100 + i} 项目名称{i}", f"{i * 1000:,}.00", "-" if i % 7 == 0 else f"{i}.50"] for i in range(80)]
    table = _rules_table([["项目", "本年数", "上年数"]] + body, THREE_LINE, [200, 120, 120])
    table.repeatRows = 1
    g_all = pdf_grids(_pdf([Paragraph("项目支出明细表", CAPTION), table]))
    assert len(g_all) == 1
    g = g_all[0]
    assert _rows(g) == [["项目", "本年数", "上年数"]] + body
    assert g.row_pages[0] == 1 and g.row_pages[-1] == 2


def test_tables_side_by_side_keep_their_own_captions():
    left = _table([["项目", "金额"], ["工资福利支出", "1.00"], ["商品和服务支出", "2.00"]], widths=[120, 90])
    right = _table([["项目", "人数"], ["在职人员", "12"], ["退休人员", "3"]], widths=[120, 90])
    layout = Table([[Paragraph("基本支出表", CAPTION), Paragraph("人员情况表", CAPTION)], [left, right]], colWidths=[240, 240])
    grids = pdf_grids(_pdf([layout]))
    assert [(g.caption, _rows(g)) for g in grids] == [
        ("基本支出表", [["项目", "金额"], ["工资福利支出", "1.00"], ["商品和服务支出", "2.00"]]),
        ("人员情况表", [["项目", "人数"], ["在职人员", "12"], ["退休人员", "3"]]),
    ]


def test_rules_around_prose_are_not_a_table():
    from reportlab.platypus.flowables import HRFlowable

    rule = HRFlowable(width="100%", thickness=0.5, color=colors.black)
    story = [rule, Paragraph(PROSE_TEXT * 2, PROSE), rule, Paragraph("联系人：张三        联系电话：0755-12345678", PROSE), rule,
             Paragraph(PROSE_TEXT, PROSE), rule]
    assert pdf_grids(_pdf(story)) == []


# ----------------------------------------------------------------------------- DOCX

def _docx() -> bytes:
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_paragraph("2022年某某街道部门预算")
    d.add_paragraph(PROSE_TEXT)
    d.add_paragraph("支出预算表")
    d.add_paragraph("单位：万元")
    t = d.add_table(rows=4, cols=4)
    t.style = "Table Grid"
    t.cell(0, 0).merge(t.cell(0, 1)).text = "项目"
    t.cell(0, 2).merge(t.cell(1, 2)).text = "合计"
    t.cell(0, 3).merge(t.cell(1, 3)).text = "项目支出"
    for j, text in enumerate(["科目编码", "科目名称"]):
        t.cell(1, j).text = text
    values = [["201", "一般公共服务支出", "1,234.00", "-"], ["20101", "", "(5.00)", ""]]
    for i, row in enumerate(values, start=2):
        for j, text in enumerate(row):
            t.cell(i, j).text = text
    label = t.cell(3, 1)
    label.text = "政府办公厅（室）及相关"  # a label in two paragraphs of one cell
    label.add_paragraph("机构事务")
    d.add_paragraph(PROSE_TEXT)
    d.add_section()  # the next table is in section 2
    d.add_paragraph("“三公”经费支出预算表")
    d.add_paragraph("公开03表 单位：元")
    t2 = d.add_table(rows=2, cols=3)
    t2.style = "Table Grid"
    for j, text in enumerate(["合计", "公务接待费", "公务用车运行费"]):
        t2.cell(0, j).text = text
    t2.cell(1, 1).text = "4.50"
    t2.cell(1, 2).text = "8.00"
    # the second row starts one grid column late (w:gridBefore), as Word allows
    tr = t2.rows[1]._tr
    tr.remove(tr.tc_lst[0])
    tr_pr = tr.get_or_add_trPr()
    grid_before = OxmlElement("w:gridBefore")
    grid_before.set(qn("w:val"), "1")
    tr_pr.insert(0, grid_before)
    # a third table inside a content control (w:sdt), as templates wrap them
    d.add_paragraph("人员情况表")
    t3 = d.add_table(rows=2, cols=2)
    for j, text in enumerate(["在职人员", "退休人员"]):
        t3.cell(0, j).text = text
    t3.cell(1, 0).text, t3.cell(1, 1).text = "12", "3"
    sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    sdt.append(content)
    t3._tbl.addprevious(sdt)
    content.append(t3._tbl)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_merged_cells_captions_sections():
    grids = docx_grids(_docx())
    assert len(grids) == 3
    a, b, c = grids
    assert (a.index, a.page, a.caption, a.unit) == (1, 1, "支出预算表", "万元")
    assert _rows(a) == [
        ["项目", "项目", "合计", "项目支出"],
        ["科目编码", "科目名称", "合计", "项目支出"],
        ["201", "一般公共服务支出", "1,234.00", "-"],
        ["20101", "政府办公厅（室）及相关机构事务", "(5.00)", ""],
    ]
    assert a.row_pages == [1] * 4
    assert (b.index, b.page, b.caption, b.unit) == (2, 2, "“三公”经费支出预算表", "元")
    assert _rows(b) == [["合计", "公务接待费", "公务用车运行费"], ["", "4.50", "8.00"]]
    assert (c.index, c.page, c.caption, c.unit) == (3, 2, "人员情况表", None)
    assert _rows(c) == [["在职人员", "退休人员"], ["12", "3"]]


# ----------------------------------------------------------------------------- errors and helpers

def test_unreadable_input_says_why():
    with pytest.raises(TableReadError, match="PDF"):
        pdf_grids(b"%PDF-1.4 truncated")
    with pytest.raises(TableReadError, match="DOCX"):
        docx_grids(b"PK\x03\x04 not a zip")


def test_prose_only_pdf_has_no_tables():
    assert pdf_grids(_pdf([Paragraph(PROSE_TEXT, PROSE)] * 3)) == []


def test_joining_and_captions():
    assert join_pieces(["政府办公厅（室）及相关机", "构事务"]) == "政府办公厅（室）及相关机构事务"
    assert join_pieces(["20101", "人大事务"], wrapped=False) == "20101 人大事务"
    assert join_pieces(["合", "计"], wrapped=False) == "合计"
    assert join_pieces(["1,234,", "567.00"]) == "1,234,567.00"
    assert join_pieces(["Total", "expenditure"]) == "Total expenditure"
    assert caption_and_unit(["部门决算表3", "支出决算表", "公开02表 单位：元"]) == ("支出决算表", "元")
    assert caption_and_unit(["公开02表 单位：元"]) == ("公开02表", "元")
    assert caption_and_unit(["一般公共预算支出表（单位：万元）"]) == ("一般公共预算支出表", "万元")
