"""Read documents, identify them from their content, extract their figures with provenance.

`extract_file` is a pure function of one file's bytes (plus the street directory): the format
is sniffed from the bytes, the text read page by page (PDF) or section by section (HTML, DOCX,
text), and the document type, street and reported year read from the content; folder and file
name are hints only. Tables arrive as `grids.Grid`s whatever the format (HTML tables; PDF
tables rebuilt from words and ruling lines by `pdf_tables`; DOCX tables) and are read by
`finance` (final accounts, budgets) and `disclosure` (information-disclosure reports, both
templates); prose documents (rule_of_law, work_summary) go through `prose`. A document missing a
required field ends `partial` with the fields named; an unreadable one `failed` with the reason.

Identification lives in `identify`; walking a folder, the cache and the worker pool in `corpus`.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinchengtuo.documents import catalog
from jinchengtuo.documents.identify import _folder_hints, identify, issuer_name
from jinchengtuo import config
from jinchengtuo.reference.streets import StreetDirectory



def _extractor_version() -> str:
    """The extractor's identity, the cache key: a hash of its code (every module of this package and
    the reference module it attributes with) and of the data it reads (the field catalogue, the
    expenditure classes), so any change that can change a result invalidates cached results
    without anybody remembering to bump a number."""
    from jinchengtuo.documents import catalog

    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    parts = sorted(here.rglob("*.py")) + sorted((here.parent / "reference").glob("*.py"))
    parts += [config.DBT_PROJECT_DIR / "seeds" / "field_catalog.csv", catalog.EXPENDITURE_CLASSES_CSV]
    for p in parts:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return f"{EXTRACTOR_RELEASE}+{h.hexdigest()[:12]}"


EXTRACTOR_RELEASE = "0.4"  # the human-readable part; the hash after it changes by itself
PROSE_TYPES = ("rule_of_law", "work_summary")
TABLE_TYPES = ("final_accounts", "budget", "info_disclosure")

# an error page saved instead of a document; a bare 404 is a figure like any other (主动公开信息404条)
NOT_FOUND = re.compile(r"(?<![\d.])404(?![\d.])\s*(?:错误|error|not found|页面|[-–—:：|])|(?:错误|error)\s*(?:代码)?[:：]?\s*404(?![\d.])"
                       r"|页面不存在|找不到(该|您要访问的)?页面|页面已删除|not found", re.I)
CHARSET = re.compile(rb"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.I)
PUBLISHED = re.compile(r"((?:19|20)\d\d)\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?")


# what a file's extension claims (a file is read by its content; a mismatch is reported)
EXTENSION_FORMATS = {".pdf": ("pdf",), ".html": ("html",), ".htm": ("html",), ".shtml": ("html",), ".docx": ("docx",),
                     ".txt": ("txt",), ".text": ("txt",)}


@dataclass
class Block:
    page: int
    text: str
    converted: bool = False  # read from traditional Chinese and converted (documents.chinese)


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
    # the issuing unit as printed (title, 编制单位 line); street_code is its attribution, None when
    # the issuer is in no directory (status `unidentified`, figures kept)
    issuer_name: str | None = None
    # set when the content is not the format its extension says (e.g. "html named .pdf")
    content_format_mismatch: str | None = None
    # the document's own evidence: verified / inconsistent / unverifiable, with the checks
    verification: str = "unverifiable"
    checks_passed: int = 0
    checks_failed: int = 0
    verification_detail: str | None = None  # JSON list of {check, passed, detail}
    values: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)


class UnreadableDocument(Exception):
    pass


# Bounds on what one untrusted document may make a parser consume, checked before the parser
# runs (the time and memory budgets of `corpus.DocumentPool` are the backstop from outside).
MAX_ARCHIVE_MEMBERS = 5_000              # parts in a DOCX/XLSX package
MAX_ARCHIVE_UNCOMPRESSED = 256 * 2**20   # all parts together, as declared in the central directory
MAX_COMPRESSION_RATIO = 200              # per part over 1 MiB (text XML compresses 5-20x)
MAX_HTML_DEPTH = 512                     # nested elements (real pages: < 60)
MAX_PDF_OBJECTS = 500_000                # xref entries (a 300-page report: ~20,000)
MAX_PDF_PAGES = 5_000


def check_archive(data: bytes, kind: str = "DOCX") -> None:
    """Refuse a zip package (DOCX, XLSX) whose parts would expand beyond the bounds, from the
    central directory alone, before any part is decompressed. zipfile never inflates a part past
    the size its directory entry declares, so the declared sizes are the bound."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise UnreadableDocument(f"{kind} is not a readable zip package ({exc})") from exc
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise UnreadableDocument(f"{kind} package has {len(infos):,} parts (limit {MAX_ARCHIVE_MEMBERS:,}): refused unopened")
    total = sum(i.file_size for i in infos)
    if total > MAX_ARCHIVE_UNCOMPRESSED:
        raise UnreadableDocument(f"{kind} parts would expand to {total / 2**20:,.0f} MiB from {len(data) / 2**20:,.1f} MiB "
                                 f"(limit {MAX_ARCHIVE_UNCOMPRESSED // 2**20} MiB): a zip bomb? refused unopened")
    for i in infos:
        if i.file_size > 2**20 and i.file_size > MAX_COMPRESSION_RATIO * max(i.compress_size, 1):
            raise UnreadableDocument(f"{kind} part {i.filename} is compressed {i.file_size / max(i.compress_size, 1):,.0f}:1 "
                                     f"(limit {MAX_COMPRESSION_RATIO}:1): a zip bomb? refused unopened")


def check_html_depth(text: str) -> None:
    """Refuse a page nested deeper than MAX_HTML_DEPTH elements, measured by lxml's parser with a
    counting target (no tree is built): the section walk over a deep soup is quadratic in depth."""
    import lxml.etree

    class _Depth:
        depth = deepest = 0

        def start(self, tag, attrib):
            self.depth += 1
            if self.depth > self.deepest:
                self.deepest = self.depth
                if self.deepest > MAX_HTML_DEPTH:
                    raise UnreadableDocument(f"HTML nested more than {MAX_HTML_DEPTH} elements deep: refused "
                                             "(a pathological page; real pages nest fewer than 60)")

        def end(self, tag):
            self.depth -= 1

        def close(self):
            return self.deepest

    parser = lxml.etree.HTMLParser(target=_Depth(), recover=True)
    try:
        parser.feed(text)
        parser.close()
    except UnreadableDocument:
        raise
    except lxml.etree.LxmlError:
        pass  # unparseable markup: BeautifulSoup, which recovers more, decides


# ---------------------------------------------------------------- reading


def sniff_format(data: bytes, name: str) -> str:
    if not data.strip():
        return "empty"
    if data[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:  # some servers prepend a few bytes
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
    declared = max((int(m.group(1)) for m in re.finditer(rb"/Size\s+(\d{1,15})", data)), default=0)
    if declared > MAX_PDF_OBJECTS:  # before MuPDF sizes its cross-reference table by it
        raise UnreadableDocument(f"PDF declares {declared:,} objects (limit {MAX_PDF_OBJECTS:,}): refused unparsed")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except MemoryError:
        raise  # over the memory budget: the worker reports it (corpus.DocumentPool)
    except Exception as exc:
        raise UnreadableDocument(f"damaged or truncated PDF ({exc})") from exc
    if doc.xref_length() > MAX_PDF_OBJECTS or doc.page_count > MAX_PDF_PAGES:
        n_objects, n_pages = doc.xref_length(), doc.page_count
        doc.close()
        raise UnreadableDocument(f"PDF has {n_objects:,} objects and {n_pages:,} pages (limits {MAX_PDF_OBJECTS:,} "
                                 f"and {MAX_PDF_PAGES:,}): refused unread")
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
    converted: bool = False  # the page was traditional Chinese, read converted (documents.chinese)


# site chrome around the text: navigation, menus, breadcrumbs, share bars, footers. An element
# is chrome by its tag, or by its class/id when most of its text is links and it holds no table
# and no heading (so an article whose class happens to say 'position' is never dropped).
_CHROME_TAGS = ("nav", "aside", "form", "select", "button", "footer")
_CHROME_ATTR = re.compile(r"nav|menu|breadcrumb|crumb|bread|footer|sidebar|share|toolbar|dqwz|location|position|weizhi|friendlink|quicklink", re.I)
# named so whatever their links: a footer, a copyright line, a share bar (short, no table, no heading)
_CHROME_ATTR_ALWAYS = re.compile(r"footer|copyright|share|toolbar|breadcrumb|crumb", re.I)
_CHROME_LINE = re.compile(r"^(?:当前位置|您现在的位置|您的位置|所在位置|当前的位置)\s*[:：]|^(?:首页|网站首页|主页)\s*(?:[>＞»›/|]|&gt;)")
_WS = re.compile(r"[ \t\r\f\v\u00a0\u3000\u200b\ufeff]+")
# a space next to a Chinese character or full-width punctuation is an artefact of inline tags
# ('<span>3.7</span> 万处', '受理<b>12</b> 件') or of the HTML source's line breaks
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]) +| +(?=[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef])")


def _compact(text: str) -> str:
    lines = (_CJK_GAP.sub("", _WS.sub(" ", ln)).strip() for ln in text.split("\n"))
    return "\n".join(ln for ln in lines if ln)


def _link_share(el) -> tuple[int, float]:
    """(number of links, share of the element's text inside links)."""
    links = el.find_all("a")
    total = len("".join(el.get_text("").split()))
    if not links or not total:
        return len(links), 0.0
    inside = sum(len("".join(a.get_text("").split())) for a in links)
    return len(links), inside / total


def _drop_chrome(body) -> None:
    for tag in body.find_all(_CHROME_TAGS):
        if not tag.find(["h1", "h2", "table"]):
            tag.decompose()
    for el in body.find_all(True):
        if getattr(el, "decomposed", False) or el.attrs is None:
            continue  # inside an element dropped already
        attrs = " ".join([el.get("id") or "", *(el.get("class") or [])])
        if attrs and _CHROME_ATTR.search(attrs) and not el.find(["table", "h1", "h2"]):
            n, share = _link_share(el)
            if (n >= 1 and share >= 0.5) or (_CHROME_ATTR_ALWAYS.search(attrs) and len(el.get_text("").strip()) < 300):
                el.decompose()


def _is_chrome_line(el, line: str) -> bool:
    """A breadcrumb, a menu entry, a bar of links: not the document's text."""
    if _CHROME_LINE.match(line):
        return True
    n, share = _link_share(el)
    if el.name == "li" and n >= 1 and share >= 0.8:
        return True
    return n >= 2 and share >= 0.7 and len(line) < 300


def _element_text(el) -> str:
    if el.name == "tr":  # cells apart, whatever their inner tags
        cells = (_compact(c.get_text("")).replace("\n", " ") for c in el.find_all(["td", "th"], recursive=False))
        return " ".join(c for c in cells if c)
    for br in el.find_all("br"):
        br.replace_with("\n")
    return _compact(el.get_text(""))


def read_html(data: bytes) -> HtmlDocument:
    """The page's text in sections (a new one at every heading) and its soup for the tables.

    Real pages: text split by inline tags is joined without the spaces a browser would not
    show ('<span>3.7</span>万处' is '3.7万处'); site chrome (menus, breadcrumbs, share bars,
    footers) is left out; a traditional-Chinese page is converted to simplified before it is
    parsed (`documents.chinese`), so the title, the prose and the tables are all simplified."""
    from bs4 import BeautifulSoup

    from jinchengtuo.documents.chinese import to_simplified

    m = CHARSET.search(data[:4096])
    text = _decode(data, m.group(1).decode("ascii", "ignore") if m else None)
    if text is None:
        raise UnreadableDocument("HTML is neither in its declared encoding nor UTF-8/GBK")
    text, converted = to_simplified(text)
    check_html_depth(text)  # bounds (issue 15): before the soup is built and walked
    soup = BeautifulSoup(text, "lxml")
    for tag in soup(["script", "style", "noscript", "iframe", "object", "embed"]):
        tag.decompose()  # never executed, never shown
    title = _compact(soup.title.get_text(" ")).replace("\n", " ") if soup.title else None
    body = soup.body or soup
    _drop_chrome(body)
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
        if el.find(["p", "div", "tr", "li"]):  # containers (a layout table's row, a Word cell): their children are visited
            continue
        line = _element_text(el)
        if not line or (el.name != "tr" and _is_chrome_line(el, line)):
            continue
        if el.name in ("h1", "h2", "h3", "h4"):
            # a heading opens a new section and is a block of its own: it never runs into a sentence
            if current:
                blocks.append(Block(section, "\n".join(current), converted))
                section += 1
            blocks.append(Block(section, line, converted))
            current = []
            continue
        current.append(line)
    if current:
        blocks.append(Block(section, "\n".join(current), converted))
    if not blocks:
        raw = _compact(body.get_text("\n"))
        blocks = [Block(1, raw, converted)] if raw else []
    return HtmlDocument(blocks, title, soup, table_sections, converted)


def read_docx(data: bytes) -> list[Block]:
    import docx

    check_archive(data, "DOCX")  # before python-docx inflates any part
    try:
        document = docx.Document(io.BytesIO(data))
    except MemoryError:
        raise  # over the memory budget: the worker reports it (corpus.DocumentPool)
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
    from jinchengtuo.documents.chinese import is_traditional, simplify

    if blocks and is_traditional("\n".join(b.text for b in blocks)):  # a 繁體 document: its text read simplified
        blocks = [Block(b.page, simplify(b.text), True) for b in blocks]
    return blocks


def read_text(data: bytes) -> list[Block]:
    """A text file as one block; traditional Chinese converted to simplified (documents.chinese)."""
    from jinchengtuo.documents.chinese import to_simplified

    text = _decode(data, None)
    if text is None:
        raise UnreadableDocument("text is neither UTF-8 nor GBK")
    text, converted = to_simplified(text)
    return [Block(1, text, converted)]


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

    claimed = EXTENSION_FORMATS.get(path.suffix.lower())
    if claimed and fmt not in ("empty", "unknown") and fmt not in claimed:
        # read by its content, whatever its name says
        res.content_format_mismatch = f"{fmt} named {path.suffix.lower()}"
        issue("warning", "format_mismatch", f"{rel.as_posix()}: the content is {fmt.upper()}, not the {path.suffix.lower()} its name says; read as {fmt.upper()}")

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
    if any(b.converted for b in blocks):
        issue("info", "converted_to_simplified", f"{rel.as_posix()}: written in traditional Chinese; read converted to simplified "
              "(OpenCC tw2sp), so quoted source texts are in simplified characters")
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
        issue("warning", "year_differs_from_folder", f"{rel.as_posix()}: reports on {year}, filed under {folder_year}")
    res.issuer_name = issuer_name(blocks, title)
    if street is not None and res.issuer_name is None:
        res.issuer_name = streets.get(street).street_name
    current_year = date.today().year
    if year is not None and year > current_year:
        # a document cannot report on a year that has not come: a typo or a planning document
        res.status = "failed"
        res.reason = (f"{rel.as_posix()}: reports on {year}, after the current year {current_year}: a year that has not come "
                      "is not real (a typo in the document, or a plan); not read")
        issue("error", "future_year", res.reason)
        return res
    missing = [n for n, v in (("document type", doc_type), ("street", street), ("year", year)) if v is None]
    if doc_type is None or year is None:
        res.status = "unidentified"
        res.reason = f"{rel.as_posix()}: {', '.join(missing)} not found in the title or first lines ({head[:80]!r})"
        issue("error", "unidentified", res.reason)
        return res
    from jinchengtuo.documents.verify import is_blank_template

    template = is_blank_template([(b.page, b.text) for b in blocks])
    if template:
        res.status = "unidentified"
        res.reason = f"{rel.as_posix()}: {template}; it states no figure of any unit, nothing read"
        issue("warning", "blank_template", res.reason)
        return res
    reader_checks, captions = None, []
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
        reader_checks, captions = _finance_values(res, issue, fmt=fmt, data=data, blocks=blocks, html=html, pdf_words=pdf_words)
    else:
        res.status = "partial"
        res.reason = f"identified as {doc_type}; this extractor version does not read {doc_type} tables in {fmt.upper()} yet"
        issue("warning", "tables_not_read", f"{rel.as_posix()}: {res.reason}")
    _verify(res, blocks, reader_checks, captions)
    if street is None:
        # read whoever issued it; the figures are kept, attributed to no street
        who = f"issuer {res.issuer_name!r}" if res.issuer_name else "no issuing unit named"
        res.reason = (f"{rel.as_posix()}: street not found: {who} is not one of the {len(streets)} units of the directory ({getattr(streets, 'source', 'sources/reference/streets.csv')}); "
                      f"{len(res.values)} figure(s) kept without a street ({res.reason})")
        res.status = "unidentified"
        issue("warning", "issuer_not_in_directory", res.reason)
    return res


def _verify(res: DocumentResult, blocks: list[Block], reader_checks: list[dict] | None, captions: list[str]) -> None:
    """The document's verification result from its own evidence (see `verify`). `reader_checks`:
    the identities the table reader tested (None for a reader that reports failures as issues only)."""
    from jinchengtuo.documents.verify import document_checks, summarise

    checks = list(reader_checks or [])
    reader_recorded = reader_checks is not None
    checks += document_checks(res.doc_type, [(b.page, b.text) for b in blocks], captions, res.year, res.values)
    res.verification, res.checks_passed, res.checks_failed, res.verification_detail = summarise(checks, res.issues, reader_recorded=reader_recorded)
    for c in checks:
        if not c["passed"] and c["check"] in ("standard_tables_present", "headings_name_the_year", "no_placeholders", "prose_comparison_wording"):
            res.issues.append({"severity": "warning", "code": "verification_failed", "message": f"{res.source_path}: {c['check']}: {c['detail']}",
                               "source_page": c.get("source_page"), "field_id": None})


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
                    pdf_words: list | None = None) -> tuple[list[dict], list[str]]:
    """Tables (and staff prose) of a final-accounts or budget document; required fields decide the
    status. Returns the identities tested and the tables' captions, for the verification."""
    from jinchengtuo.documents.finance import extract_finance_checked, missing_required

    grids, not_read = _table_grids(fmt, data, html, pdf_words)
    values, issues, checks = extract_finance_checked(res.doc_type, grids or [], [(b.page, b.text) for b in blocks], year=res.year)
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
    return checks, [g.caption for g in grids or []]


DISCLOSURE_REQUIRED = catalog.required("info_disclosure")


def _disclosure_values(res: DocumentResult, issue, *, fmt: str, data: bytes, blocks: list[Block], html: "HtmlDocument | None",
                       pdf_words: list | None = None) -> None:
    """Tables 二, 三 and 四 of an information-disclosure report (2019–2020 or 2021 template; HTML,
    PDF or DOCX), plus what its prose states and no table does; the tables' checks become issues."""
    from jinchengtuo.documents.disclosure import merge_prose, read_disclosure_tables
    from jinchengtuo.documents.prose import extract_prose

    grids, not_read = _table_grids(fmt, data, html, pdf_words)
    tables = read_disclosure_tables(grids) if grids is not None else None
    if tables is not None:
        res.values.extend(tables.values)
        for i in tables.issues:
            issue(i["severity"], i["code"], f"{res.source_path}: {i['message']}", i["source_page"], i["field_id"])
    prose_values, prose_issues = extract_prose("info_disclosure", [(b.page, b.text) for b in blocks])
    # the prose part as a second channel: fields no table states; disagreements flagged (disclosure.merge_prose)
    added, merge_issues = merge_prose(res.values, prose_values, prose_issues)
    res.values.extend(added)
    for i in merge_issues:
        issue(i["severity"], i["code"], f"{res.source_path}: {i['message']}", i["source_page"], i["field_id"])
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


EXTRACTOR_VERSION = _extractor_version()
