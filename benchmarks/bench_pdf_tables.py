"""PDF tables: milliseconds per page of `pdf_grids` against PyMuPDF's plain text extraction
(`page.get_text("text")`) and, with --find-tables, PyMuPDF's `page.find_tables()`.

Run by hand: .venv/bin/python benchmarks/bench_pdf_tables.py [--pages N] [--find-tables] [FILE.pdf|DIR ...]
With folders, every *.pdf under them is timed once and the mean printed (damaged files are
named and skipped). Without files it builds a final-accounts-like PDF with reportlab (ruled tables with spanned
headers, wrapped labels, tables over page breaks with repeated headers, prose between tables),
about N pages (default 40). Target: pdf_grids <= ~10 ms/page.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "orchestration"))

from jinchengtuo.documents.pdf_tables import pdf_grids  # noqa: E402

FONT = "STSong-Light"


def build_pdf(pages: int) -> bytes:
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    rl_config.invariant = 1
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, wordWrap="CJK")
    prose = ParagraphStyle("p", fontName=FONT, fontSize=10.5, leading=16, firstLineIndent=21, wordWrap="CJK")
    caption = ParagraphStyle("cap", fontName=FONT, fontSize=11, leading=16, alignment=1)
    story = []
    # one table of ~45 rows per page, with a paragraph before each
    for t in range(max(1, pages // 2)):
        story.append(Paragraph(f"{t + 1}. 本街道年度支出决算情况说明：支出总计比上年增加，主要原因是辖区重点项目建设投入加大。" * 3, prose))
        story.append(Paragraph(f"部门决算表{t + 1} 支出决算表", caption))
        story.append(Paragraph("单位：万元", ParagraphStyle("u", parent=prose, alignment=2)))
        header = [["项目", "", "本年支出合计", "基本支出", "项目支出"], ["科目编码", "科目名称", "", "", ""]]
        body = []
        for i in range(80):
            label = "政府办公厅（室）及相关机构事务之行政运行" if i % 9 == 0 else f"项目名称{i}"
            body.append([str(2010100 + i), Paragraph(label, cell) if len(label) > 12 else label,
                         f"{i * 1234.5:,.2f}", "-" if i % 5 == 0 else f"{i * 1000:,.2f}", "" if i % 4 == 0 else f"({i}.00)"])
        table = Table(header + body, colWidths=[60, 150, 90, 90, 90], repeatRows=2)
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8), ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                                   ("SPAN", (0, 0), (1, 0)), ("SPAN", (2, 0), (2, 1)), ("SPAN", (3, 0), (3, 1)),
                                   ("SPAN", (4, 0), (4, 1)), ("ALIGN", (2, 2), (-1, -1), "RIGHT")]))
        story.append(table)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()


def per_page_ms(fn, data: bytes, n_pages: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.process_time()  # CPU time: other processes on the machine do not count
        fn(data)
        times.append(time.process_time() - t)
    return statistics.median(times) * 1000 / n_pages


def plain_text(data: bytes) -> None:
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for page in doc:
            page.get_text("text")


def find_tables(data: bytes) -> None:
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for page in doc:
            page.find_tables()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, help="PDF files or folders (searched for *.pdf)")
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--find-tables", action="store_true", help="also time PyMuPDF find_tables (slow)")
    args = ap.parse_args()
    files = [f for p in args.paths for f in (sorted(p.rglob("*.pdf")) if p.is_dir() else [p])]
    docs = [(f.name, f.read_bytes()) for f in files] or [("generated final accounts", build_pdf(args.pages))]
    repeat = args.repeat if len(docs) <= 10 else 1
    print(f"{'document':40} {'pages':>5} {'tables':>6} {'pdf_grids':>12} {'get_text':>12}" + (f" {'find_tables':>12}" if args.find_tables else ""))
    total = {"pages": 0, "tables": 0, "ours": 0.0, "text": 0.0, "find": 0.0}
    for name, data in docs:
        try:
            with pymupdf.open(stream=data, filetype="pdf") as doc:
                n = len(doc)
            grids = pdf_grids(data)
        except Exception as exc:  # a damaged file of a corpus: say so, time the others
            print(f"{name[:40]:40} unreadable: {exc}")
            continue
        ours = per_page_ms(pdf_grids, data, n, repeat)
        text = per_page_ms(plain_text, data, n, repeat)
        find = per_page_ms(find_tables, data, n, 1) if args.find_tables else 0.0
        for key, value in (("pages", n), ("tables", len(grids)), ("ours", ours * n), ("text", text * n), ("find", find * n)):
            total[key] += value
        if len(docs) <= 10:
            line = f"{name[:40]:40} {n:5d} {len(grids):6d} {ours:9.2f} ms {text:9.2f} ms"
            print(line + (f" {find:9.2f} ms" if args.find_tables else "") + "   (CPU per page, median)")
    if len(docs) > 10 and total["pages"]:
        n = total["pages"]
        line = (f"{f'{len(docs)} files':40} {n:5d} {total['tables']:6d} {total['ours'] / n:9.2f} ms "
                f"{total['text'] / n:9.2f} ms")
        print(line + (f" {total['find'] / n:9.2f} ms" if args.find_tables else "") + "   (CPU per page, mean)")


if __name__ == "__main__":
    main()
