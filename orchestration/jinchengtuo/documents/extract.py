"""Read documents, identify them from their content, extract their figures with provenance.

`extract_file` is a pure function of one file's bytes (plus the street directory): the format
is sniffed from the bytes, the text read page by page (PDF) or section by section (HTML, DOCX,
text), and the document type, street and reported year read from the content; folder and file
name are hints only. Tables arrive as `grids.Grid`s whatever the format (HTML tables; PDF
tables rebuilt from words and ruling lines by `pdf_tables`; DOCX tables) and are read by
`finance` (final accounts, budgets) and `disclosure` (information-disclosure reports, both
templates); prose documents (rule_of_law, work_summary) go through `prose`. A document missing a
required field ends `partial` with the fields named; an unreadable one `failed` with the reason.

`extract_corpus` walks a documents folder (never following links out of it), reuses cached
results by (sha256, extractor version) and reads the rest in a process pool.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd

from jinchengtuo.reference.streets import StreetDirectory
from jinchengtuo.warehouse.schema import columns

EXTRACTOR_VERSION = "0.3.1"  # bump on every change that can change a result (the cache key)
PROSE_TYPES = ("rule_of_law", "work_summary")
TABLE_TYPES = ("final_accounts", "budget", "info_disclosure")

# document type from the title (first match wins; 决算 before 预算: "预决算" titles are accounts)
DOC_TYPE_CUES = (
    ("info_disclosure", re.compile(r"政府信息公开(工作)?年度报告")),
    ("rule_of_law", re.compile(r"法治(政府)?建设.{0,12}(年度)?报告|法治政府建设")),
    ("final_accounts", re.compile(r"决算")),
    ("budget", re.compile(r"预算")),
    ("work_summary", re.compile(r"工作(总结|报告)|年度总结")),
)
# an error page saved instead of a document; a bare 404 is a figure like any other (主动公开信息404条)
NOT_FOUND = re.compile(r"(?<![\d.])404(?![\d.])\s*(?:错误|error|not found|页面|[-–—:：|])|(?:错误|error)\s*(?:代码)?[:：]?\s*404(?![\d.])"
                       r"|页面不存在|找不到(该|您要访问的)?页面|页面已删除|not found", re.I)
YEAR = re.compile(r"((?:19|20)\d\d)\s*年")
CHARSET = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.I)
PUBLISHED = re.compile(r"((?:19|20)\d\d)\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?")


@dataclass
class Block:
    page: int
    text: str


@dataclass
class DocumentResult:
    source_path: str
    source_file_sha256: str
    size_bytes: int
    file_format: str
    status: str
    reason: str
    doc_type: str | None = None
    street_code: str | None = None
    year: int | None = None
    folder_street_code: str | None = None
    folder_year: int | None = None
    title: str | None = None
    published_date: str | None = None
    is_correction: bool = False
    n_pages: int = 0
    values: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)


class UnreadableDocument(Exception):
    pass


# ---------------------------------------------------------------- reading


def sniff_format(data: bytes, name: str) -> str:
    if not data.strip():
        return "empty"
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            return "unknown"
        return "unknown"
    head = data[:2048].lower()
    if b"<html" in head or b"<!doctype html" in head or b"<body" in head or b"<table" in head:
        return "html"
    if name.lower().endswith((".txt", ".text", ".md")):
        return "txt"
    try:
        data[:4096].decode("utf-8")
        return "txt"
    except UnicodeDecodeError:
        return "txt" if _decode(data, None) else "unknown"


def _decode(data: bytes, declared: str | None) -> str | None:
    tried = []
    if declared:
        declared = declared.lower()
        tried.append("gb18030" if declared in ("gb2312", "gbk", "gb18030") else declared)
    tried += ["utf-8-sig", "gb18030"]
    for enc in tried:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def read_pdf(data: bytes, words: list | None = None) -> list[Block]:
    """The PDF's text, a block per page. With `words` (a list), each page's words (PyMuPDF word
    tuples) are appended to it from the same text page, so a table reader needs no second parse."""
    import pymupdf

    if b"%%EOF" not in data[-2048:]:
        # PyMuPDF would repair the file and read what is left; figures from part of a document
        # would pass for the whole, so a cut-off file is refused
        raise UnreadableDocument(f"truncated PDF: {len(data):,} bytes and no end-of-file marker (%%EOF); "
                                 "the download was probably cut short")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:
        raise UnreadableDocument(f"damaged or truncated PDF ({exc})") from exc
    blocks = []
    try:
        for i, page in enumerate(doc, start=1):
            textpage = page.get_textpage(flags=pymupdf.TEXTFLAGS_TEXT)  # the text's and the words' flags are the same
            blocks.append(Block(i, page.get_text("text", textpage=textpage)))
            if words is not None:
                words.append(page.get_text("words", textpage=textpage))
    except Exception as exc:
        raise UnreadableDocument(f"damaged or truncated PDF: page {len(blocks) + 1} cannot be read ({exc})") from exc
    finally:
        doc.close()
    if not any(b.text.strip() for b in blocks):
        raise UnreadableDocument(f"PDF has {len(blocks)} page(s) but no text layer (a scan?): nothing can be read without OCR")
    return blocks


@dataclass
class HtmlDocument:
    blocks: list[Block]
    title: str | None
    soup: object  # BeautifulSoup, scripts removed
    table_sections: dict[int, int]  # 1-based data-table number (grids.data_tables) -> section number


def read_html(data: bytes) -> HtmlDocument:
    from bs4 import BeautifulSoup

    m = CHARSET.search(data[:4096])
    text = _decode(data, m.group(1).decode("ascii", "ignore") if m else None)
    if text is None:
        raise UnreadableDocument("HTML is neither in its declared encoding nor UTF-8/GBK")
    soup = BeautifulSoup(text, "lxml")
    for tag in soup(["script", "style", "noscript", "iframe", "object", "embed"]):
        tag.decompose()  # never executed, never shown
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    body = soup.body or soup
    # sections: a new one at every heading, so `source_page` points near the sentence
    blocks: list[Block] = []
    current: list[str] = []
    section = 1
    from jinchengtuo.documents.grids import data_tables

    tables = data_tables(soup)
    table_no = {id(t): i for i, t in enumerate(tables, start=1)}
    table_sections: dict[int, int] = {}
    for el in body.find_all(["h1", "h2", "h3", "h4", "p", "li", "tr", "div"]):
        if el.name == "tr":  # before the container test: Word-exported cells hold <p>s
            top = el.find_parent("table")  # a data table holds no other table: its rows are its own
            if top is not None and id(top) in table_no:
                table_sections.setdefault(table_no[id(top)], section)
        if el.find(["p", "div", "tr", "li"]):  # containers: their children are visited
            continue
        line = el.get_text(" ", strip=True)
        if not line:
            continue
        if el.name in ("h1", "h2", "h3", "h4"):
            # a heading opens a new section and is a block of its own: it never runs into a sentence
            if current:
                blocks.append(Block(section, "\n".join(current)))
                section += 1
            blocks.append(Block(section, line))
            current = []
            continue
        current.append(line)
    if current:
        blocks.append(Block(section, "\n".join(current)))
    if not blocks:
        raw = body.get_text("\n", strip=True)
        blocks = [Block(1, raw)] if raw else []
    return HtmlDocument(blocks, title, soup, table_sections)


def read_docx(data: bytes) -> list[Block]:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise UnreadableDocument(f"DOCX cannot be opened ({exc})") from exc
    # heading styles by id, looked up once: `paragraph.style` resolves the style part per call
    headings = {s.style_id for s in document.styles if (s.name or "").lower().startswith("heading")}
    blocks, current, section = [], [], 1
    for p in document.paragraphs:
        line = p.text.strip()
        if not line:
            continue
        if p._p.style in headings and current:  # the paragraph's w:pStyle id (None: the default style)
            blocks.append(Block(section, "\n".join(current)))
            current, section = [], section + 1
        current.append(line)
    for table in document.tables:
        for row in table.rows:
            current.append(" ".join(c.text.strip() for c in row.cells))
    if current:
        blocks.append(Block(section, "\n".join(current)))
    return blocks


def read_text(data: bytes) -> list[Block]:
    text = _decode(data, None)
    if text is None:
        raise UnreadableDocument("text is neither UTF-8 nor GBK")
    return [Block(1, text)]


# ---------------------------------------------------------------- identification


def _folder_hints(rel: Path, streets: StreetDirectory) -> tuple[str | None, int | None]:
    code, year = None, None
    for part in rel.parts[:-1]:
        if re.fullmatch(r"(19|20)\d\d", part):
            year = int(part)
        else:
            code = streets.resolve(part) or code
    return code, year


def identify(blocks: list[Block], title: str | None, streets: StreetDirectory) -> tuple[str | None, str | None, int | None, str]:
    """(doc_type, street_code, year, head) read from the title and the first lines."""
    first = "\n".join(b.text for b in blocks[:2])
    lines = [ln.strip() for ln in first.splitlines() if ln.strip()]
    head = " ".join(filter(None, [title or "", *lines[:6]]))[:400]
    doc_type = next((t for t, cue in DOC_TYPE_CUES if cue.search(head)), None)
    mentions = streets.find_mentions(head) or streets.find_mentions(first[:3000])
    street = mentions[0][2] if mentions else None
    years = [int(y) for y in YEAR.findall(head)]
    year = years[0] if years else None
    return doc_type, street, year, head


# ---------------------------------------------------------------- one file


def extract_file(path: Path, *, documents_root: Path, streets: StreetDirectory) -> DocumentResult:
    """Read, identify and extract one document. A pure function of the file's bytes."""
    data = path.read_bytes()
    rel = path.relative_to(documents_root)
    sha = hashlib.sha256(data).hexdigest()
    folder_code, folder_year = _folder_hints(rel, streets)
    fmt = sniff_format(data, path.name)
    res = DocumentResult(rel.as_posix(), sha, len(data), fmt, "failed", "", folder_street_code=folder_code, folder_year=folder_year)

    def issue(severity, code, message, page=None, field_id=None):
        res.issues.append({"severity": severity, "code": code, "message": message, "source_page": page, "field_id": field_id})

    title = None
    html = None
    pdf_words: list = []  # per page, read once with the text: the table readers use them
    try:
        if fmt == "empty":
            raise UnreadableDocument("the file is empty")
        if fmt == "pdf":
            blocks = read_pdf(data, pdf_words)
        elif fmt == "html":
            html = read_html(data)
            blocks, title = html.blocks, html.title
        elif fmt == "docx":
            blocks = read_docx(data)
        elif fmt == "txt":
            blocks = read_text(data)
        else:
            raise UnreadableDocument("not a PDF, HTML, DOCX or text document")
    except UnreadableDocument as exc:
        res.reason = f"{rel.as_posix()}: {exc}"
        issue("error", "unreadable", res.reason)
        return res
    res.n_pages = len(blocks)
    head_text = (title or "") + " " + " ".join(b.text[:300] for b in blocks[:1])
    if NOT_FOUND.search(head_text) and len("".join(b.text for b in blocks)) < 2000:
        res.reason = f"{rel.as_posix()}: an error page ('page not found'), not a document"
        issue("error", "not_a_document", res.reason)
        return res
    doc_type, street, year, head = identify(blocks, title, streets)
    res.title = (title or head)[:200]
    res.doc_type, res.street_code, res.year = doc_type, street, year
    res.is_correction = bool(re.search(r"更正|修订版|更新版", head))
    dates = PUBLISHED.findall("\n".join(b.text for b in blocks[-2:]))
    if dates:
        y, m, d = (int(x) for x in dates[-1])
        try:
            res.published_date = date(y, m, d).isoformat()
        except ValueError:
            pass
    if street is None and folder_code:
        issue("warning", "street_from_folder", f"{rel.as_posix()}: no street named in the document; the folder suggests {folder_code}, not used")
    if street and folder_code and street != folder_code:
        issue("warning", "misfiled", f"{rel.as_posix()}: filed under street {folder_code} but the document is about {street}; attributed to {street}")
    if year and folder_year and year != folder_year:
        issue("info", "year_differs_from_folder", f"{rel.as_posix()}: reports on {year}, filed under {folder_year}")
    missing = [n for n, v in (("document type", doc_type), ("street", street), ("year", year)) if v is None]
    if missing:
        res.status = "unidentified"
        res.reason = f"{rel.as_posix()}: {', '.join(missing)} not found in the title or first lines ({head[:80]!r})"
        issue("error", "unidentified", res.reason)
        return res
    if doc_type in PROSE_TYPES:
        from jinchengtuo.documents.prose import extract_prose

        values, issues = extract_prose(doc_type, [(b.page, b.text) for b in blocks])
        for v in values:
            res.values.append({"field_id": v.field_id, "value": v.value, "unit": v.unit, "source_page": v.source_page,
                               "source_text": v.source_text, "method": v.method})
        for i in issues:
            issue(i.severity, i.code, i.message, i.source_page, i.field_id)
        res.status = "extracted" if res.values else "partial"
        res.reason = f"{len(res.values)} figure(s) read from the prose" if res.values else "no field of fields.csv found in the text"
    elif doc_type == "info_disclosure" and fmt in ("html", "pdf", "docx"):
        _disclosure_values(res, issue, fmt=fmt, data=data, blocks=blocks, html=html, pdf_words=pdf_words)
    elif doc_type in ("final_accounts", "budget"):
        _finance_values(res, issue, fmt=fmt, data=data, blocks=blocks, html=html, pdf_words=pdf_words)
    else:
        res.status = "partial"
        res.reason = f"identified as {doc_type}; this extractor version does not read {doc_type} tables in {fmt.upper()} yet"
        issue("warning", "tables_not_read", f"{rel.as_posix()}: {res.reason}")
    return res


def _table_grids(fmt: str, data: bytes, html: "HtmlDocument | None", pdf_words: list | None = None):
    """(grids, None) for a document read for its tables (final accounts, budget, information
    disclosure), or (None, reason) when its tables cannot be read (a text file has none; a
    PDF/DOCX whose tables are damaged). `pdf_words`: a PDF's words, already read with its text."""
    from jinchengtuo.documents.grids import html_grids
    from jinchengtuo.documents.pdf_tables import TableReadError, docx_grids, pdf_grids

    if fmt == "html" and html is not None:
        return html_grids(html.soup, html.table_sections), None
    if fmt not in ("pdf", "docx"):
        return None, f"a {fmt.upper()} file has no tables to read"
    try:
        return (pdf_grids(data, words=pdf_words) if fmt == "pdf" else docx_grids(data)), None
    except TableReadError as exc:
        return None, f"its tables cannot be read ({exc})"


def _finance_values(res: DocumentResult, issue, *, fmt: str, data: bytes, blocks: list[Block], html: "HtmlDocument | None",
                    pdf_words: list | None = None) -> None:
    """Tables (and staff prose) of a final-accounts or budget document; required fields decide the status."""
    from jinchengtuo.documents.finance import extract_finance, missing_required

    grids, not_read = _table_grids(fmt, data, html, pdf_words)
    values, issues = extract_finance(res.doc_type, grids or [], [(b.page, b.text) for b in blocks], year=res.year)
    res.values.extend(values)
    for i in issues:
        issue(i["severity"], i["code"], f"{res.source_path}: {i['message']}", i["source_page"], i["field_id"])
    need = missing_required(res.doc_type, values)
    if not_read is not None:
        res.status = "partial"
        res.reason = f"identified as {res.doc_type}; {not_read}" + (f"; required field(s) not found: {', '.join(need)}" if need else "")
        issue("warning", "tables_not_read", f"{res.source_path}: {res.reason}")
    elif need:
        res.status = "partial"
        res.reason = f"required field(s) not found: {', '.join(need)} ({len(grids)} table(s) in the {fmt.upper()})"
        issue("warning", "missing_required", f"{res.source_path}: {res.reason}")
    else:
        res.status = "extracted"
        res.reason = f"{len(values)} figure(s) read from the tables and the prose"


DISCLOSURE_REQUIRED = (
    "od_regdocs_issued", "od_permits", "od_penalties", "od_coercion", "rq_new", "rq_carried_in", "rq_granted",
    "rq_partly", "rq_total_handled", "rq_carried_out", "rv_total", "rv_corrected", "lt_total", "lt_corrected",
)


def _disclosure_values(res: DocumentResult, issue, *, fmt: str, data: bytes, blocks: list[Block], html: "HtmlDocument | None",
                       pdf_words: list | None = None) -> None:
    """Tables 二, 三 and 四 of an information-disclosure report (2019–2020 or 2021 template; HTML,
    PDF or DOCX), plus od_items_published from its prose; the tables' checks become issues."""
    from jinchengtuo.documents.disclosure import read_disclosure_tables
    from jinchengtuo.documents.prose import extract_prose

    grids, not_read = _table_grids(fmt, data, html, pdf_words)
    tables = read_disclosure_tables(grids) if grids is not None else None
    if tables is not None:
        res.values.extend(tables.values)
        for i in tables.issues:
            issue(i["severity"], i["code"], f"{res.source_path}: {i['message']}", i["source_page"], i["field_id"])
    prose_values, _ = extract_prose("info_disclosure", [(b.page, b.text) for b in blocks])
    res.values.extend({"field_id": v.field_id, "value": v.value, "unit": v.unit, "source_page": v.source_page,
                       "source_text": v.source_text, "method": v.method}
                      for v in prose_values if v.field_id == "od_items_published")
    got = {v["field_id"] for v in res.values}
    need = [f for f in DISCLOSURE_REQUIRED if f not in got]
    template = {"2019": "2019–2020 template", "2021": "2021 template"}.get(tables.template if tables else None, "template not recognised")
    if not_read is not None:
        res.status = "partial"
        res.reason = f"identified as info_disclosure; {not_read}"
        issue("warning", "tables_not_read", f"{res.source_path}: {res.reason}")
    elif need:
        res.status = "partial"
        res.reason = f"required field(s) not found: {', '.join(need)} ({template}, {len(grids)} table(s) in the {fmt.upper()})"
        issue("warning", "missing_required", f"{res.source_path}: {res.reason}")
    else:
        res.status = "extracted"
        res.reason = f"{len(res.values)} figure(s) read from the tables ({template})"


# ---------------------------------------------------------------- a corpus


@dataclass
class CorpusResult:
    documents: pd.DataFrame
    values: pd.DataFrame
    issues: pd.DataFrame
    stats: dict


def list_documents(root: Path) -> tuple[list[Path], list[str]]:
    """Every regular file under root (hidden files skipped), and the links that were not followed."""
    files, skipped = [], []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        # os.walk lists a symlinked folder among the folders but does not enter it: report it
        skipped.extend((Path(dirpath) / d).relative_to(root).as_posix() + "/" for d in sorted(dirnames)
                       if not d.startswith(".") and (Path(dirpath) / d).is_symlink())
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (Path(dirpath) / d).is_symlink())
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if name.startswith("."):
                continue
            if p.is_symlink():
                skipped.append(p.relative_to(root).as_posix())
                continue
            files.append(p)
    return files, skipped


def _cache_file(cache_dir: Path, sha: str, rel: str) -> Path:
    """A result is a function of the file's bytes and of its path under the sources folder (the
    messages name the file; the folder decides the misfiled warnings), so both make the key:
    the same bytes at another path are read again, never reported under the first path."""
    where = hashlib.sha256(rel.encode("utf-8")).hexdigest()[:16]
    return cache_dir / EXTRACTOR_VERSION / sha[:2] / f"{sha}-{where}.json"


def _work(args) -> dict:
    path, root, streets = args
    try:
        return dataclasses.asdict(extract_file(path, documents_root=root, streets=streets))
    except Exception as exc:  # a bug or an unexpected file: the file is reported, the run goes on
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        return dataclasses.asdict(DocumentResult(
            rel, hashlib.sha256(data).hexdigest(), len(data), "unknown", "failed",
            f"{rel}: extraction error {exc.__class__.__name__}: {exc}",
            issues=[{"severity": "error", "code": "extractor_error", "message": f"{rel}: {exc.__class__.__name__}: {exc}", "source_page": None, "field_id": None}],
        ))


def extract_corpus(documents_root: Path, *, streets: StreetDirectory, cache_dir: Path | None = None, workers: int | None = None) -> CorpusResult:
    root = Path(documents_root).resolve()
    files, skipped_links = list_documents(root)
    results: list[dict] = []
    todo = []
    hits = 0
    for p in files:
        if cache_dir is not None:
            sha = hashlib.sha256(p.read_bytes()).hexdigest()
            cached = _cache_file(cache_dir, sha, p.relative_to(root).as_posix())
            if cached.exists():
                results.append(json.loads(cached.read_text(encoding="utf-8")))
                hits += 1
                continue
        todo.append(p)
    workers = max(1, workers or os.cpu_count() or 1)
    jobs = [(p, root, streets) for p in todo]
    if workers > 1 and len(jobs) > 8:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            fresh = list(pool.map(_work, jobs, chunksize=8))
    else:
        fresh = [_work(j) for j in jobs]
    for r in fresh:
        if cache_dir is not None:
            target = _cache_file(cache_dir, r["source_file_sha256"], r["source_path"])
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, target)
    results.extend(fresh)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    doc_rows, value_rows, issue_rows = [], [], []
    seen_values: set[str] = set()
    for r in sorted(results, key=lambda r: r["source_path"]):
        doc_rows.append({**{k: r.get(k) for k in columns("document") if k in r}, "file_name": Path(r["source_path"]).name,
                         "n_values": len(r["values"]), "extractor_version": EXTRACTOR_VERSION, "extracted_at": now})
        if r["source_file_sha256"] not in seen_values:  # figures are stored once per content
            seen_values.add(r["source_file_sha256"])
            for v in r["values"]:
                value_rows.append({**v, "source_file_sha256": r["source_file_sha256"], "doc_type": r["doc_type"],
                                   "street_code": r["street_code"], "year": r["year"]})
        for i in r["issues"]:
            issue_rows.append({**i, "source_file_sha256": r["source_file_sha256"], "source_path": r["source_path"]})
    for rel in skipped_links:
        issue_rows.append({"source_file_sha256": None, "source_path": rel, "severity": "warning", "code": "link_not_followed",
                           "message": f"{rel}: a symbolic link; links are never followed (they may point out of the sources folder)",
                           "source_page": None, "field_id": None})
    documents = pd.DataFrame(doc_rows, columns=columns("document"))
    if len(documents):
        documents["published_date"] = pd.to_datetime(documents["published_date"], errors="coerce").dt.date
    values = pd.DataFrame(value_rows, columns=columns("extracted_value"))
    issues = pd.DataFrame(issue_rows, columns=columns("extraction_issue"))
    stats = {"files": len(files), "cache_hits": hits, "read": len(todo), "links_not_followed": len(skipped_links),
             "extractor_version": EXTRACTOR_VERSION}
    return CorpusResult(documents, values, issues, stats)
