"""Extraction speed: documents per second cold and with a warm cache, and our time on PDFs
against PyMuPDF's bare text extraction of the same files.

Run by hand: .venv/bin/python benchmarks/bench_extraction.py [N]
Reads sources/documents/ when it exists; otherwise writes N documents per kind (disclosure HTML
from the test fixture, GBK work summaries, one-page PDFs) for the 74 streets into a temp folder.
Targets (issue #4): warm re-run < 10% of cold; parse overhead <= 2x bare text extraction."""

import sys
import tempfile
import time
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "orchestration"))

from jinchengtuo import config  # noqa: E402
from jinchengtuo.documents import extract_corpus  # noqa: E402
from jinchengtuo.documents.extract import list_documents  # noqa: E402
from jinchengtuo.reference import StreetDirectory  # noqa: E402

SUMMARY = ("<html><head><meta charset='gbk'><title>{name}{year}年工作总结</title></head><body><h1>{name}{year}年工作总结</h1>"
           "<p>{year}年，街道辖{c}个社区，划分网格{g}个，配备专职网格员{w}名。全年受理群众诉求{r}件，办结率9{d}.5%。</p>"
           "<h2>应急管理</h2><p>开展应急演练{e}场，排查整改安全隐患{h}处。全年发生火灾{f}起。</p></body></html>")


def make_corpus(folder: Path, n: int, streets: StreetDirectory) -> None:
    disclosure = (ROOT / "tests/fixtures/documents/info_disclosure_2021.html").read_text(encoding="utf-8")
    for i in range(n):
        s = streets.streets[i % len(streets)]
        d = folder / str(2019 + i % 5) / s.district_name / s.street_name
        d.mkdir(parents=True, exist_ok=True)
        year = 2019 + i % 5
        (d / f"信息公开{i}.html").write_text(disclosure.replace("罗湖区东门街道", s.district_name + s.street_name).replace("2022年", f"{year}年"), encoding="utf-8")
        (d / f"总结{i}.html").write_bytes(SUMMARY.format(name=s.district_name + s.street_name, year=year, c=5 + i % 9, g=40 + i,
                                                          w=100 + i, r=1000 + 7 * i, d=i % 9, e=3 + i % 20, h=200 + i, f=i % 4).encode("gbk"))
        pdf = pymupdf.open()
        for p in range(4):
            page = pdf.new_page()
            for line in range(30):
                page.insert_text((40, 40 + line * 24), f"{s.street_name}{year}年部门决算 第{p + 1}页 第{line}行 201 一般公共服务支出 {i * 13 + line}.00",
                                 fontname="china-s", fontsize=9)
        pdf.save(d / f"决算{i}.pdf")


def main(n: int) -> None:
    streets = StreetDirectory.load()
    with tempfile.TemporaryDirectory() as tmp:
        root = config.documents_dir()
        if not root.is_dir():
            root = Path(tmp) / "documents"
            make_corpus(root, n, streets)
        files = list_documents(root)[0]
        pdfs = [p for p in files if p.read_bytes()[:5] == b"%PDF-"]
        cache = Path(tmp) / "cache"
        t = time.perf_counter()
        cold = extract_corpus(root, streets=streets, cache_dir=cache, workers=None)
        t_cold = time.perf_counter() - t
        t = time.perf_counter()
        extract_corpus(root, streets=streets, cache_dir=cache, workers=None)
        t_warm = time.perf_counter() - t
        print(f"{len(files)} files ({len(pdfs)} PDF) under {root}")
        print(f"cold: {t_cold:6.2f} s  {len(files) / t_cold:7.1f} docs/s  ({len(cold.values)} values, statuses {cold.documents.status.value_counts().to_dict()})")
        print(f"warm: {t_warm:6.2f} s  {len(files) / t_warm:7.1f} docs/s  = {100 * t_warm / t_cold:.1f}% of cold (target < 10%)")
        # parse overhead on PDFs, one process each way
        t = time.perf_counter()
        for p in pdfs:
            with pymupdf.open(p) as doc:
                for page in doc:
                    page.get_text("text")
        t_bare = time.perf_counter() - t
        pdf_root = Path(tmp) / "pdfs"
        for i, p in enumerate(pdfs):
            target = pdf_root / p.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(p.read_bytes())
        t = time.perf_counter()
        extract_corpus(pdf_root, streets=streets, cache_dir=None, workers=1)
        t_ours = time.perf_counter() - t
        print(f"PDF: bare PyMuPDF text {t_bare:.2f} s, our extraction {t_ours:.2f} s (1 process): ratio {t_ours / max(t_bare, 1e-9):.2f}x (target <= 2x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 370)
