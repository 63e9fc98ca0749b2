"""Hostile documents (issue 15): each file is built here, and each must end `failed` (or read)
within its budget while the good files next to it are still extracted.

- a zip-bomb DOCX (document.xml expands to > 1 GiB from ~5 MB), refused from its central directory;
- an HTML page nested 200,000 elements deep, refused before the soup is walked;
- PDFs with more objects than the limit (real objects, and a /Size that lies);
- a document whose reader takes longer than a 0.5 s time budget, and one that needs more memory
  than a 64 MiB budget: the worker is ended from outside and replaced, the run goes on.
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import pytest

from jinchengtuo import config
from jinchengtuo.documents import extract_corpus
from jinchengtuo.documents.corpus import Budget, DocumentPool, extract_file_bounded, extract_files_bounded
from jinchengtuo.documents.extract import MAX_HTML_DEPTH, MAX_PDF_OBJECTS
from jinchengtuo.reference import StreetDirectory

GOOD = "2021/福田区/园岭街道/总结.html"


def summary_text(street: str = "园岭街道", year: int = 2021) -> str:
    return (f"{street}{year}年工作总结\n"
            f"{year}年，{street}全年受理群众诉求12345件，办结率98.5%。开展应急演练30场。辖10个社区。\n")


def summary_html(paragraphs: int = 0) -> bytes:
    lines = summary_text().strip().splitlines()
    body = "".join(f"<p>{ln}</p>" for ln in lines)
    filler = "".join(f"<p>第{i}项：社区网格巡查记录，走访居民，处理事项并回访。</p>" for i in range(paragraphs))
    return f"<html><head><meta charset='utf-8'><title>{lines[0]}</title></head><body>{body}{filler}</body></html>".encode()


# ---------------------------------------------------------------- builders


def _deflate(data: bytes, final: bool = False) -> bytes:
    """A raw deflate segment from a fresh compressor, byte-aligned by a full flush: segments can be
    concatenated (and one repeated) into a valid stream, so a huge part is compressed once per chunk."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip file from (name, deflated bytes, crc32, uncompressed size), written by hand."""
    out, central = io.BytesIO(), []
    for name, comp, crc, size in members:
        offset = out.tell()
        n = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(comp), size, len(n), 0) + n)
        out.write(comp)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(comp), size,
                                   len(n), 0, 0, 0, 0, 0, offset) + n)
    start = out.tell()
    cd = b"".join(central)
    out.write(cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(cd), start, 0))
    return out.getvalue()


def big_docx(expands_to: int, chunk_size: int = 2**20) -> bytes:
    """A DOCX whose word/document.xml (well-formed WordprocessingML, valid deflate, right CRC)
    expands to `expands_to` bytes or more: one chunk of paragraphs compressed once, repeated (a
    1 MiB chunk compresses ~230:1, a 16 KiB one ~80:1)."""
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
    para = b"<w:p><w:r><w:t>" + "园岭街道2021年工作总结".encode() * 8 + b"</w:t></w:r></w:p>"
    chunk = para * (chunk_size // len(para))
    tail = b"</w:body></w:document>"
    n = expands_to // len(chunk) + 1
    crc = zlib.crc32(head)
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    doc = (b"".join([_deflate(head)] + [_deflate(chunk)] * n + [_deflate(tail, final=True)]), crc,
           len(head) + n * len(chunk) + len(tail))
    types = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             b'wordprocessingml.document.main+xml"/></Types>')
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            b'Target="word/document.xml"/></Relationships>')
    return _zip([(name, _deflate(part, final=True), zlib.crc32(part), len(part)) for name, part in
                 (("[Content_Types].xml", types), ("_rels/.rels", rels))] + [("word/document.xml", *doc)])


def zip_bomb_docx() -> bytes:
    """document.xml expands to > 1 GiB from ~5 MB."""
    return big_docx(2**30 + 2**20)


def deep_html(depth: int) -> bytes:
    return (b"<html><head><meta charset='utf-8'><title>" + summary_text().splitlines()[0].encode() + b"</title></head><body>"
            + b"<div>" * depth + "园岭街道".encode() + b"</div>" * depth + b"</body></html>")


def many_objects_pdf(n_objects: int, declared_size: int | None = None) -> bytes:
    """A valid one-page PDF with a text layer and `n_objects` objects in its cross-reference table
    (the extra ones null objects); `declared_size` makes the trailer's /Size lie."""
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")

    def obj(num: int, body: bytes) -> None:
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (num, body))

    text = b"BT /F1 12 Tf 72 720 Td (Yuanling 2021) Tj ET"
    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
    obj(4, b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text))
    obj(5, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i in range(6, n_objects):
        offsets.append(out.tell())
        out.write(b"%d 0 obj null endobj\n" % i)
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % n_objects + b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (declared_size or n_objects, xref))
    return out.getvalue()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def streets() -> StreetDirectory:
    return StreetDirectory.load(config.reference_dir() / "streets.csv")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb_docx()


def write(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def root(tmp_path) -> Path:
    root = tmp_path / "documents"
    write(root, GOOD, summary_html())
    write(root, "2022/福田区/园岭街道/2022总结.html", summary_html().replace(b"2021", b"2022"))
    return root


def assert_good_files_read(docs) -> None:
    for rel, year in ((GOOD, 2021), ("2022/福田区/园岭街道/2022总结.html", 2022)):
        good = docs.loc[rel]
        assert good.status == "extracted" and good.year == year and good.n_values >= 4, good.reason


def issue_codes(issues, rel: str) -> set[str]:
    return set(issues[issues.source_path == rel].code)


# ---------------------------------------------------------------- archive, depth and object bounds


def test_the_zip_bomb_is_a_real_one(bomb):
    import zipfile

    assert len(bomb) < 8 * 2**20
    with zipfile.ZipFile(io.BytesIO(bomb)) as z:
        info = z.getinfo("word/document.xml")
        assert info.file_size > 2**30  # declared, and true: the first MiB inflates to the XML
        with z.open(info) as fh:
            start = fh.read(2**20)
    assert start.startswith(b"<?xml") and "园岭街道2021年工作总结".encode() in start


def test_zip_bomb_docx_is_refused_unopened_and_the_run_goes_on(root, bomb, streets, tmp_path):
    write(root, "2021/福田区/园岭街道/bomb.docx", bomb)
    t = time.monotonic()
    res = extract_corpus(root, streets=streets, cache_dir=tmp_path / "cache", workers=2, budget=Budget(seconds=30, memory_mib=512))
    elapsed = time.monotonic() - t
    docs = res.documents.set_index("source_path")
    bad = docs.loc["2021/福田区/园岭街道/bomb.docx"]
    assert bad.status == "failed" and bad.file_format == "docx"
    assert "zip bomb" in bad.reason and "refused unopened" in bad.reason and "MiB" in bad.reason
    assert bad.reason.startswith("2021/福田区/园岭街道/bomb.docx: ")
    assert "unreadable" in issue_codes(res.issues, "2021/福田区/园岭街道/bomb.docx")
    assert_good_files_read(docs)
    assert elapsed < 30


def test_html_nested_200000_deep_is_refused_quickly(root, streets):
    write(root, "2021/福田区/园岭街道/deep.html", deep_html(200_000))
    write(root, "2021/福田区/园岭街道/nested.html", deep_html(MAX_HTML_DEPTH - 10))  # deep but within the bound: read
    res = extract_corpus(root, streets=streets, workers=1, budget=Budget(seconds=20, memory_mib=1024))
    docs = res.documents.set_index("source_path")
    deep = docs.loc["2021/福田区/园岭街道/deep.html"]
    assert deep.status == "failed" and f"nested more than {MAX_HTML_DEPTH} elements deep" in deep.reason
    assert docs.loc["2021/福田区/园岭街道/nested.html"].status != "failed"
    assert_good_files_read(docs)
    assert res.stats["over_budget"] == 0  # refused by the bound, not by the budget


def test_pdf_with_too_many_objects_is_refused(root, streets):
    write(root, "2021/福田区/园岭街道/objects.pdf", many_objects_pdf(MAX_PDF_OBJECTS + 50_000))
    write(root, "2021/福田区/园岭街道/liar.pdf", many_objects_pdf(50, declared_size=2_000_000_000))
    write(root, "2021/福田区/园岭街道/small.pdf", many_objects_pdf(50))  # the same file, fewer objects: read
    res = extract_corpus(root, streets=streets, workers=2, budget=Budget(seconds=20, memory_mib=1024))
    docs = res.documents.set_index("source_path")
    many = docs.loc["2021/福田区/园岭街道/objects.pdf"]
    assert many.status == "failed" and f"{MAX_PDF_OBJECTS + 50_000:,} objects" in many.reason
    liar = docs.loc["2021/福田区/园岭街道/liar.pdf"]
    assert liar.status == "failed" and "declares 2,000,000,000 objects" in liar.reason
    small = docs.loc["2021/福田区/园岭街道/small.pdf"]
    assert small.file_format == "pdf" and "objects" not in small.reason  # read (too little text to identify)
    assert_good_files_read(docs)


# ---------------------------------------------------------------- budgets enforced from outside


def test_a_reader_over_its_time_budget_is_ended_and_replaced(root, streets, tmp_path):
    # a real, large page: reading it takes well over half a second
    slow = write(root, "2021/福田区/园岭街道/long.html", summary_html(paragraphs=8_000))
    for i in range(6):  # more good files than workers: the replaced worker goes on with them
        write(root, f"2021/福田区/园岭街道/copy{i}.html", summary_html().replace("总结".encode(), f"总结{i}".encode(), 1))
    budget = Budget(seconds=0.5, memory_mib=2048)
    t = time.monotonic()
    res = extract_corpus(root, streets=streets, cache_dir=tmp_path / "cache", workers=2, budget=budget)
    elapsed = time.monotonic() - t
    docs = res.documents.set_index("source_path")
    long = docs.loc["2021/福田区/园岭街道/long.html"]
    assert long.status == "failed"
    assert long.reason == "2021/福田区/园岭街道/long.html: exceeded its time budget of 0.5 s (the reader was stopped; JCT_DOC_TIME_BUDGET sets the budget)"
    assert issue_codes(res.issues, "2021/福田区/园岭街道/long.html") == {"over_time_budget"}
    assert_good_files_read(docs)
    assert all(docs.loc[f"2021/福田区/园岭街道/copy{i}.html"].status == "extracted" for i in range(6))
    assert res.stats["over_budget"] == 1 and res.stats["workers_replaced"] == 1
    assert elapsed < 15
    # an over-budget result says nothing about the file: it is not cached, a larger budget reads it
    again = extract_corpus(root, streets=streets, cache_dir=tmp_path / "cache", workers=2, budget=Budget(seconds=120))
    assert again.stats["cache_hits"] == 8 and again.stats["read"] == 1
    assert again.documents.set_index("source_path").loc["2021/福田区/园岭街道/long.html"].status != "failed"
    # the same document through the single-file entry point (`jinchengtuo extract`)
    t = time.monotonic()
    one = extract_file_bounded(slow, documents_root=root, streets=streets, budget=budget)
    assert one.status == "failed" and "exceeded its time budget of 0.5 s" in one.reason
    assert time.monotonic() - t < 10


def test_a_reader_over_its_memory_budget_is_ended_and_replaced(root, streets):
    # within the archive bounds (200 MiB of XML at ~80:1), but reading it needs far more than 128 MiB
    big = write(root, "2021/福田区/园岭街道/big.docx", big_docx(200 * 2**20, chunk_size=2**14))
    t = time.monotonic()
    results = extract_files_bounded([big, root / GOOD], documents_root=root, streets=streets, workers=1,
                                    budget=Budget(seconds=120, memory_mib=128))
    bad, good = results
    assert bad.status == "failed" and bad.source_path == "2021/福田区/园岭街道/big.docx"
    assert [i["code"] for i in bad.issues] == ["over_memory_budget"]
    assert bad.reason == ("2021/福田区/园岭街道/big.docx: exceeded its memory budget of 128 MiB "
                          "(the reader was stopped; JCT_DOC_MEMORY_BUDGET sets the budget)")
    assert good.status == "extracted" and good.year == 2021  # read by the replacement worker
    assert time.monotonic() - t < 60


def test_the_pool_survives_a_worker_killed_from_outside(root, streets):
    import os
    import signal

    pool = DocumentPool(root, streets, workers=1, budget=Budget(seconds=60))
    paths = [root / GOOD, root / "2022/福田区/园岭街道/2022总结.html"]
    it = pool.map(paths)
    first = next(it)
    os.kill(pool.workers[0]["proc"].pid, signal.SIGKILL)  # the idle worker dies (an OOM killer, a stray kill)
    pool.workers[0]["proc"].join()
    rest = list(it)
    assert {first["source_path"], *(r["source_path"] for r in rest)} == {GOOD, "2022/福田区/园岭街道/2022总结.html"}
    assert all(r["status"] == "extracted" for r in [first, *rest])


def test_budgets_from_the_environment(monkeypatch):
    monkeypatch.setenv("JCT_DOC_TIME_BUDGET", "7.5")
    monkeypatch.setenv("JCT_DOC_MEMORY_BUDGET", "300")
    assert Budget.from_env() == Budget(seconds=7.5, memory_mib=300)
    monkeypatch.setenv("JCT_DOC_MEMORY_BUDGET", "lots")
    with pytest.raises(ValueError, match="JCT_DOC_MEMORY_BUDGET='lots': not a number"):
        Budget.from_env()
    monkeypatch.delenv("JCT_DOC_TIME_BUDGET")
    monkeypatch.delenv("JCT_DOC_MEMORY_BUDGET")
    assert Budget.from_env() == Budget()
