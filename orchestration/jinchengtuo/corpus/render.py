"""Render an abstract document (headings, paragraphs, tables with spans) to PDF, HTML or DOCX.

Every renderer is deterministic: PDFs are written with reportlab's invariant mode (fixed
creation date and document ID), DOCX zips carry fixed timestamps and core properties, HTML is
plain text. PDF text uses the built-in CID font STSong-Light, which needs no font file and
whose text PyMuPDF extracts as Unicode.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache

FONT = "STSong-Light"
_FONT_READY = False


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    align: str = ""  # left | right | center ('' = by position)
    bold: bool = False


@dataclass
class Table:
    rows: list[list[Cell | str]]
    header_rows: int = 1
    caption: str = ""
    unit_note: str = ""  # 单位：万元
    col_widths: list[float] | None = None  # relative widths
    numeric_from: int = 1  # columns from this index are right-aligned numbers
    font_size: float = 8.0
    repeat_header: bool = True  # a table continued on the next page repeats its header rows (PDF)
    compiler: str = ""  # 编制单位：… line between caption and unit line
    compiler_inline: bool = False  # the compiler and the unit note on one line


@dataclass
class Para:
    text: str
    kind: str = "p"  # title | subtitle | h | p | meta | note


@dataclass
class PageBreak:
    landscape: bool | None = None  # PDF: the following pages landscape (True), portrait (False), unchanged (None)


@dataclass
class Doc:
    title: str
    blocks: list = field(default_factory=list)
    published: str = ""  # 2023-09-15
    source: str = ""  # 来源 shown by web pages
    landscape: bool = False  # PDF: the first page's orientation
    running_head: str = ""  # PDF: printed at the top of every page but the first
    page_numbers: str = ""  # PDF: a format such as "- {n} -" printed at the foot of every page
    # HTML, the shapes real street pages have (corpus family web_*):
    untitled: bool = False  # no title anywhere: the site's name as <title>, menus, breadcrumbs, 信息提供日期 … 来源 …, a 文件已失效 banner
    traditional: bool = False  # a 繁體 mirror with Taiwan word choices (文件 → 檔案, 信息 → 資訊)
    menu: tuple = ()  # untitled pages: the names in the site menu (other streets: never the issuer)
    inline_tags: bool = False  # figures wrapped in <span>s, a space before the measure word ('<span>3.7</span> 万处')

    def p(self, text: str, kind: str = "p") -> None:
        self.blocks.append(Para(text, kind))


def _cell(c: Cell | str) -> Cell:
    return c if isinstance(c, Cell) else Cell(str(c))


def expand(rows: list[list[Cell | str]]) -> tuple[list[list[Cell | None]], list[tuple[int, int, int, int]]]:
    """Lay spanned cells on a grid: (grid with None under spans, spans as (r0, c0, r1, c1))."""
    grid: dict[tuple[int, int], Cell | None] = {}
    spans = []
    ncols = 0
    for r, row in enumerate(rows):
        c = 0
        for raw in row:
            cell = _cell(raw)
            while (r, c) in grid:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    grid[(r + dr, c + dc)] = cell if (dr, dc) == (0, 0) else None
            if cell.rowspan > 1 or cell.colspan > 1:
                spans.append((r, c, r + cell.rowspan - 1, c + cell.colspan - 1))
            c += cell.colspan
            ncols = max(ncols, c)
    nrows = max((r for r, _ in grid), default=-1) + 1
    out = [[grid.get((r, c), Cell("")) for c in range(ncols)] for r in range(nrows)]
    return out, spans


# ------------------------------------------------------------------------------- PDF
def _ensure_font() -> None:
    global _FONT_READY
    if not _FONT_READY:
        from reportlab import rl_config
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        rl_config.invariant = 1
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _FONT_READY = True


def to_pdf(doc: Doc) -> bytes:
    _ensure_font()
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus import BaseDocTemplate, Frame, NextPageTemplate, PageTemplate, Paragraph, Spacer
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    styles = {
        "title": ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, alignment=TA_CENTER, spaceAfter=8, wordWrap="CJK"),
        "subtitle": ParagraphStyle("subtitle", fontName=FONT, fontSize=11, leading=16, alignment=TA_CENTER, spaceAfter=6, wordWrap="CJK"),
        "h": ParagraphStyle("h", fontName=FONT, fontSize=12, leading=18, spaceBefore=6, spaceAfter=4, wordWrap="CJK"),
        "p": ParagraphStyle("p", fontName=FONT, fontSize=10.5, leading=16, firstLineIndent=21, spaceAfter=3, wordWrap="CJK"),
        "meta": ParagraphStyle("meta", fontName=FONT, fontSize=9, leading=12, alignment=TA_CENTER, wordWrap="CJK"),
        "note": ParagraphStyle("note", fontName=FONT, fontSize=8.5, leading=12, wordWrap="CJK"),
        "caption": ParagraphStyle("caption", fontName=FONT, fontSize=11, leading=16, alignment=TA_CENTER, spaceBefore=6, spaceAfter=2, wordWrap="CJK"),
    }
    buf = io.BytesIO()

    def decorate(canvas, tpl_doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        w, h = canvas._pagesize
        if doc.running_head and tpl_doc.page > 1:
            canvas.drawCentredString(w / 2, h - 28, doc.running_head)
        if doc.page_numbers:
            canvas.drawCentredString(w / 2, 22, doc.page_numbers.format(n=tpl_doc.page))
        canvas.restoreState()

    templates = []
    for name, size in (("portrait", A4), ("landscape", landscape(A4))):
        frame = Frame(40, 45, size[0] - 80, size[1] - 90, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        templates.append(PageTemplate(id=name, frames=[frame], pagesize=size, onPage=decorate))
    if doc.landscape:
        templates.reverse()  # the first template is the first page's
    tpl = BaseDocTemplate(buf, pagesize=landscape(A4) if doc.landscape else A4, leftMargin=40, rightMargin=40,
                          topMargin=45, bottomMargin=45, title=doc.title, author="", subject="", creator="",
                          producer="", pageTemplates=templates)
    is_landscape = doc.landscape
    width = (landscape(A4) if is_landscape else A4)[0] - 80
    story = []
    for block in doc.blocks:
        if isinstance(block, Para):
            story.append(Paragraph(html.escape(block.text), styles.get(block.kind, styles["p"])))
        elif isinstance(block, PageBreak):
            if block.landscape is not None and block.landscape != is_landscape:
                is_landscape = block.landscape
                story.append(NextPageTemplate("landscape" if is_landscape else "portrait"))
                width = (landscape(A4) if is_landscape else A4)[0] - 80
            story.append(RLPageBreak())
        elif isinstance(block, Table):
            if block.caption:
                story.append(Paragraph(html.escape(block.caption), styles["caption"]))
            unit_style = ParagraphStyle("unit", parent=styles["note"], alignment=2)
            if block.compiler and block.compiler_inline:
                story.append(Paragraph(html.escape(f"{block.compiler}　　　　{block.unit_note}"), styles["note"]))
            else:
                if block.compiler:
                    story.append(Paragraph(html.escape(block.compiler), styles["note"]))
                if block.unit_note:
                    story.append(Paragraph(html.escape(block.unit_note), unit_style))
            story.append(_pdf_table(block, width, RLTable, TableStyle, Paragraph, ParagraphStyle, colors))
            story.append(Spacer(1, 6))
    tpl.build(story)
    return buf.getvalue()


def _text_width(text: str, fs: float) -> float:
    return sum(fs if ord(ch) > 0x2E7F else fs * 0.5 for ch in text)


def _wrap(text: str, width: float, fs: float) -> str:
    """Break `text` into lines no wider than `width` points (CJK characters are square)."""
    if _text_width(text, fs) <= width:
        return text
    lines, line, w = [], "", 0.0
    for ch in text:
        cw = fs if ord(ch) > 0x2E7F else fs * 0.5
        if line and w + cw > width:
            lines.append(line)
            line, w = "", 0.0
        line += ch
        w += cw
    if line:
        lines.append(line)
    return "\n".join(lines)


def _pdf_table(block: Table, width: float, RLTable, TableStyle, Paragraph, ParagraphStyle, colors):
    grid, spans = expand(block.rows)
    ncols = len(grid[0])
    rel = block.col_widths or [1.0] * ncols
    total = sum(rel)
    widths = [width * w / total for w in rel]
    fs = block.font_size
    data = []
    for r, row in enumerate(grid):
        out = []
        for c, cell in enumerate(row):
            if cell is None:
                out.append("")
                continue
            span_w = sum(widths[c:c + cell.colspan])
            # long labels wrap inside their cell as explicit lines (plain strings are several
            # times faster to lay out than Paragraphs)
            out.append(_wrap(cell.text, span_w - 6, fs))
        data.append(out)
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, fs, fs + 2.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if block.header_rows:
        style.append(("ALIGN", (0, 0), (-1, block.header_rows - 1), "CENTER"))
    if block.numeric_from < ncols:
        style.append(("ALIGN", (block.numeric_from, block.header_rows), (-1, -1), "RIGHT"))
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell is not None and cell.align:
                style.append(("ALIGN", (c, r), (c, r), cell.align.upper()))
    for r0, c0, r1, c1 in spans:
        style.append(("SPAN", (c0, r0), (c1, r1)))
    table = RLTable(data, colWidths=widths, repeatRows=block.header_rows if block.repeat_header else 0)
    table.setStyle(TableStyle(style))
    return table


# ------------------------------------------------------------------------------ HTML
SKINS = {
    "gov_a": ("""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{charset}">
<title>{title_e}</title>
<meta name="ArticleTitle" content="{title_e}">
<meta name="PubDate" content="{published}">
<style>body{{font-family:SimSun,serif}} table{{border-collapse:collapse}} td,th{{border:1px solid #000;padding:2px 4px}}</style>
</head>
<body>
<div class="header"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <span>{column}</span></div>
<div class="article">
<h1 class="title">{title_e}</h1>
<div class="info"><span>发布时间：{published}</span>&nbsp;&nbsp;<span>来源：{source_e}</span>&nbsp;&nbsp;<span>【字体：大 中 小】</span></div>
<div class="TRS_Editor" id="zoom">
{body}
</div>
</div>
<div class="footer">主办单位：{source_e}&nbsp;&nbsp;网站标识码4403000000&nbsp;&nbsp;粤ICP备00000000号</div>
</body>
</html>
"""),
    "gov_b": ("""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}" />
<title>{title_e}_{column}</title>
</head>
<body>
<table width="1000" align="center"><tr><td class="position">当前位置：首页 &gt;&gt; {column}</td></tr></table>
<table width="1000" align="center" class="content"><tr><td>
<div class="tit">{title_e}</div>
<div class="xx">信息来源：{source_e}　发布日期：{published}　浏览次数：<span id="count"></span></div>
<div class="con">
{body}
</div>
<div class="print"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
</td></tr></table>
</body>
</html>
"""),
}


UNTITLED_PAGE = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>{site_e}</title></head>
<body>
<div id="nav"><a href="/">首页</a> | <a href="/xxgk/">信息公开</a> | <a href="/hdjl/">互动交流</a> | <a href="/bsfw/">办事服务</a></div>
<ul class="menu">{menu}</ul>
<div class="position">您现在的位置：<a href="/">首页</a> &gt; <a href="/xxgk/">信息公开</a> &gt; <a href="/xxgk/{column_e}/">{column_e}</a></div>
<div class="content">
{banner}<p class="xx">信息提供日期：{published}　　来源：{source_e}</p>
{body}
</div>
<div class="share"><a href="#">微信</a> <a href="#">微博</a> <a href="#">打印</a></div>
</body></html>
"""
_FIGURE = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)")


def to_html(doc: Doc, charset: str = "utf-8", skin: str = "gov_a", column: str = "政务公开") -> bytes:
    body = []
    for block in doc.blocks:
        if isinstance(block, Para):
            text = html.escape(block.text)
            if doc.inline_tags and block.kind == "p":
                text = _FIGURE.sub(r"<span>\1</span> ", text)
            if block.kind == "title":
                continue  # the page shows the title above the body
            if block.kind in ("h",):
                body.append(f"<p style=\"font-weight:bold\">{text}</p>")
            elif block.kind in ("subtitle", "meta"):
                body.append(f"<p style=\"text-align:center\">{text}</p>")
            else:
                body.append(f"<p style=\"text-indent:2em\">{text}</p>")
        elif isinstance(block, Table):
            body.append(_html_table(block))
    if doc.untitled:
        page = UNTITLED_PAGE.format(charset=charset, site_e=html.escape("政府门户网站"), column_e=html.escape(column),
                                    menu="".join(f"<li><a href=\"/{i}\">{html.escape(m)}</a></li>" for i, m in enumerate(doc.menu)),
                                    banner="<p class=\"warn\">【该文件已失效】</p>\n" if len(doc.title) % 2 else "",
                                    published=doc.published, source_e=html.escape(doc.source), body="\n".join(body))
    else:
        page = SKINS[skin].format(charset=charset, title_e=html.escape(doc.title), published=doc.published,
                                  source_e=html.escape(doc.source), column=html.escape(column), body="\n".join(body))
    if doc.traditional:
        page = _converter("s2twp").convert(page)
    return page.encode("gbk" if charset.lower() in ("gbk", "gb2312", "gb18030") else charset, errors="xmlcharrefreplace")


@lru_cache(maxsize=2)
def _converter(config: str):
    """One OpenCC converter per process (building one reads its dictionaries: ~0.1–0.4 s)."""
    import opencc

    return opencc.OpenCC(config)


def _html_table(block: Table) -> str:
    out = []
    if block.caption:
        out.append(f"<p style=\"text-align:center\"><strong>{html.escape(block.caption)}</strong></p>")
    if block.compiler:
        out.append(f"<p>{html.escape(block.compiler)}</p>")
    if block.unit_note:
        out.append(f"<p style=\"text-align:right\">{html.escape(block.unit_note)}</p>")
    out.append("<table border=\"1\" cellspacing=\"0\" cellpadding=\"0\">")
    for r, row in enumerate(block.rows):
        tag = "td"
        cells = []
        for raw in row:
            cell = _cell(raw)
            attrs = ""
            if cell.rowspan > 1:
                attrs += f" rowspan=\"{cell.rowspan}\""
            if cell.colspan > 1:
                attrs += f" colspan=\"{cell.colspan}\""
            text = html.escape(cell.text) if cell.text else "&nbsp;"
            if cell.bold:
                text = f"<strong>{text}</strong>"
            cells.append(f"<{tag}{attrs}>{text}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


# ------------------------------------------------------------------------------ DOCX
FIXED_TIME = dt.datetime(2020, 1, 1, 0, 0, 0)


def to_docx(doc: Doc, when: dt.datetime | None = None) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    d = docx.Document()
    when = when or FIXED_TIME
    cp = d.core_properties
    cp.author = ""
    cp.last_modified_by = ""
    cp.title = doc.title
    cp.created = when
    cp.modified = when
    cp.last_printed = when
    cp.revision = 1
    for block in doc.blocks:
        if isinstance(block, Para):
            if block.kind == "title":
                para = d.add_heading(block.text, level=1)
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif block.kind == "h":
                d.add_heading(block.text, level=2)
            elif block.kind in ("subtitle", "meta"):
                para = d.add_paragraph(block.text)
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                d.add_paragraph(block.text)
        elif isinstance(block, PageBreak):
            d.add_page_break()
        elif isinstance(block, Table):
            if block.caption:
                d.add_paragraph(block.caption).alignment = WD_ALIGN_PARAGRAPH.CENTER
            if block.compiler:
                d.add_paragraph(block.compiler)
            if block.unit_note:
                d.add_paragraph(block.unit_note).alignment = WD_ALIGN_PARAGRAPH.RIGHT
            grid, spans = expand(block.rows)
            t = d.add_table(rows=len(grid), cols=len(grid[0]))
            t.style = "Table Grid"
            for r, row in enumerate(grid):
                for c, cell in enumerate(row):
                    if cell is not None:
                        t.cell(r, c).text = cell.text
            for r0, c0, r1, c1 in spans:
                t.cell(r0, c0).merge(t.cell(r1, c1))
    buf = io.BytesIO()
    d.save(buf)
    return _fix_zip(buf.getvalue())


def _fix_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps so that the same content gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()
