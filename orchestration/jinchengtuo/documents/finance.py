"""Final accounts (部门决算) and budgets (部门预算): figures from their tables, staff from their prose.

Tables arrive as `grids.Grid`s, whatever the file format. A table is recognised by the words
of its caption (支出决算表, 收入支出决算总表, 一般公共预算财政拨款支出决算表, "三公"经费…), or, when
it has no caption, by its column headers; columns by their header words (本年支出合计 / 合计,
基本支出, 项目支出, 年初预算数, 决算数, 因公出国（境）费 …), rows by their labels (合计, 本年支出合计,
a 3-digit 类 code or a 类 name), never by position. Header rows are the rows above the first
row holding a figure; a header repeated mid-table (a page break) and a 栏次 row are skipped.

Money is always returned in 万元: a table declaring 单位：元 is converted with
`numbers.yuan_to_wanyuan` (exact, never rounded). A table that declares no unit takes the
unit the other tables of the document declare, else its magnitude decides; either way an
issue says so.

What is read (final accounts / budget):
- 支出决算表 / 支出预算表: the 合计 row (total, basic, project) and the 类 rows (fa_exp_<class>,
  bu_exp_<class>); 款 (5-digit) and 项 (7-digit) rows are not classes.
- 收入支出决算总表 / 收支预算总表: 本年支出合计 (never 总计, which adds 年末结转和结余), as the
  fallback and cross-check of the total. A budget's 支出总计 is used only when the table
  shows no carry-over.
- 一般公共预算财政拨款支出决算表: 合计 row, 年初预算数 and 决算数 (合计) columns;
  一般公共预算支出表 (budget): 合计 row, 合计 column.
- "三公"经费表: the 决算数 block (final accounts) or the 预算数 block (budget), horizontal (one
  data row) or transposed (one row per item); a '-' or blank cell there is 0.
- Staff (final accounts, prose of 部门概况): authorized posts (核定编制, else 行政编制 +
  事业编制), staff present (实有人数 / 年末在职人数 / 在职在编), contract staff (编外人员 / 聘员 /
  临聘人员 / 政府购买服务人员). Figures of another year (上年, 去年, 同期, 比上年…的) are skipped.

Checks (issues, severity warning, code identity_failed, naming the table, the row and both
numbers): 类 rows sum to the total, basic + project = total, 三公 parts sum to their total,
支出决算表 total vs the summary table's 本年支出合计. A field read from two tables (or two rows)
with different figures gives conflicting_values with both; the first read is kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from jinchengtuo.documents import catalog
from jinchengtuo.documents.grids import Grid
from jinchengtuo.documents.numbers import (
    NumberParseError,
    UnitError,
    convert,
    find_numbers,
    is_no_value,
    normalize,
    parse_number,
    unit_from_header,
)

CLASSES = ("201", "204", "205", "207", "208", "210", "211", "212", "213", "221", "224")

FINANCE_REQUIRED = {doc_type: catalog.required(doc_type) for doc_type in ("final_accounts", "budget")}

# 类 of the government expenditure functional classification (政府收支分类科目), with the names
# they have carried: sources/reference/expenditure_classes.csv. A 类 row without its code is
# recognised by its name.
CLASS_NAMES: dict[str, str] = catalog.class_names()

MONEY_UNITS = ("元", "千元", "万元", "百万元", "亿元")
MAX_SOURCE = 500
# a street office never spends 1,000,000 万元 (100 亿元) a year: a table above that is in 元
YUAN_MAGNITUDE = 1_000_000

# --------------------------------------------------------------------------- text helpers

_NOISE = re.compile(r"[\s\u3000\"'“”‘’「」『』]")


@lru_cache(maxsize=65536)
def _norm(text: str) -> str:
    """Full-width forms to ASCII, whitespace and quotes removed: '“三公” 经费' -> '三公经费'."""
    return _NOISE.sub("", normalize(text or ""))


def flat(text: str) -> str:
    """`_norm` for a whole page (not cached): its line breaks go with the other white space, so
    lines wrapped by the layout are joined too."""
    return _NOISE.sub("", normalize(text or ""))


_CJK = re.compile(r"[\u4e00-\u9fff]")
_CODE_CELL = re.compile(r"\d{3}(?:\d{2}){0,2}")
_CODE_LEAD = re.compile(r"^\s*(\d{3}(?:\d{2}){0,2})(?!\d)\s*[.、]?\s*")


def _source_text(caption: str, row: list[str]) -> str:
    cells: list[str] = []
    for c in row:
        c = " ".join(str(c).split())
        if c and (not cells or cells[-1] != c):  # a spanned cell once
            cells.append(c)
    text = f"{caption}: {' | '.join(cells)}"
    return text if len(text) <= MAX_SOURCE else text[: MAX_SOURCE - 1] + "…"


def _fmt(x: float) -> str:
    return f"{x:,.6f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- table kinds

# (kind, caption pattern, words that exclude the caption), per document type; first match wins
_KINDS = {
    "final_accounts": (
        ("three_public", re.compile(r"三公"), None),
        ("gpb", re.compile(r"一般公共预算(?:财政拨款)?支出决算(?:明细)?表"), re.compile(r"基本支出|三公")),
        ("summary", re.compile(r"收入支出决算总表|收支决算总表"), re.compile(r"财政拨款")),
        ("expenditure", re.compile(r"支出决算(?:明细)?表"), re.compile(r"一般公共预算|政府性基金|国有资本|财政拨款|基本支出|收入|项目支出")),
    ),
    "budget": (
        ("three_public", re.compile(r"三公"), None),
        ("gpb", re.compile(r"一般公共预算(?:财政拨款)?支出(?:功能分类)?(?:预算)?(?:明细)?表"), re.compile(r"基本支出|三公|经济分类")),
        ("summary", re.compile(r"收支(?:预算)?总表|收入支出预算总表"), re.compile(r"财政拨款")),
        ("expenditure", re.compile(r"支出(?:预算)?(?:总)?表"), re.compile(r"一般公共预算|政府性基金|国有资本|财政拨款|基本支出|收入|收支|项目支出|三公")),
    ),
}
KIND_NAMES = {"three_public": '"三公"经费表', "gpb": "一般公共预算财政拨款支出表", "summary": "收支总表", "expenditure": "支出表"}


def classify(doc_type: str, caption: str, headers: list[str]) -> str | None:
    """The kind of a table from its caption, or from its column headers when it has no caption."""
    cap = _norm(caption)
    for kind, pattern, exclude in _KINDS.get(doc_type, ()):
        if pattern.search(cap) and not (exclude and exclude.search(cap)):
            return kind
    if "表" in cap:
        return None  # a captioned table of another kind (收入决算表, 基本支出表 …)
    head = "".join(headers)
    if "出国" in head and "接待" in head:
        return "three_public"
    if doc_type == "final_accounts" and "年初预算" in head and "决算" in head:
        return "gpb"
    return None


# --------------------------------------------------------------------------- grid layout

_TITLE_ROW = re.compile(r"表|单位")
_META_CELL = re.compile(r"^(?:编制单位|填报单位|部门名称|单位名称|部门|单位)[:：]|^公开\d+表$")


@lru_cache(maxsize=65536)
def _cell_kind(cell: str) -> str:
    """'num' (a figure or a dash), 'text', or '' (blank)."""
    s = normalize(cell or "").strip()
    if not s:
        return ""
    if is_no_value(s):
        return "num"
    try:
        return "num" if parse_number(s) is not None else ""
    except NumberParseError:
        # '12.3.4', '1,2345': a figure misprinted, not a word; read (and reported) as a figure
        return "num" if re.search(r"\d", s) and not _CJK.search(s) else "text"


@dataclass
class Layout:
    headers: list[str]  # per column: its header words top to bottom, normalised
    data: list[int]  # indices of rows that hold figures
    titles: list[str]  # title rows inside the grid (caption, unit line)


def layout(grid: Grid) -> Layout:
    width = grid.width
    header_rows: list[list[str]] = []
    titles: list[str] = []
    data: list[int] = []
    in_header = True
    for i, row in enumerate(grid.rows):
        cells = [c for c in row if str(c).strip()]
        if not cells:
            continue
        kinds = [_cell_kind(c) for c in row]
        distinct = set(_norm(c) for c in cells)
        if any("栏次" in _norm(c) or "行次" == _norm(c) for c in row[:3]) and "num" in kinds:
            continue  # the column-number row
        if "num" not in kinds:
            if in_header:
                if len(distinct) == 1 and width > 1 and _TITLE_ROW.search(cells[0]):
                    titles.append(cells[0])  # a title or unit line spanning the table
                elif any(unit_from_header(c) or _META_CELL.match(_norm(c)) for c in cells):
                    titles.extend(dict.fromkeys(cells))  # '公开01表 | 编制单位：… | 单位：元'
                else:
                    header_rows.append(row)
            # after the header: a header repeated at a page break, or a note; no figure in it
            continue
        in_header = False
        data.append(i)
    headers = []
    for j in range(width):
        parts: list[str] = []
        for row in header_rows:
            t = _norm(row[j]) if j < len(row) else ""
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        headers.append("".join(parts))
    return Layout(headers, data, titles)


# --------------------------------------------------------------------------- extraction state


@dataclass
class _Candidate:
    value: float
    page: int
    text: str
    place: str
    method: str = "table"


@dataclass
class _State:
    doc_type: str
    issues: list[dict] = field(default_factory=list)
    found: dict[str, list[_Candidate]] = field(default_factory=dict)
    # every identity tested on the document's own evidence, passed or not (the verification)
    checks: list[dict] = field(default_factory=list)
    gpb_parts: dict[str, _Candidate] = field(default_factory=dict)  # the 一般公共预算 table's classes and split
    empty_kinds: dict[str, int] = field(default_factory=dict)  # kinds of table printed without any figure -> page

    def record(self, check: str, passed: bool, detail: str, page: int | None = None) -> None:
        self.checks.append({"check": check, "passed": bool(passed), "detail": detail, "source_page": page})

    def issue(self, severity: str, code: str, message: str, page: int | None = None, field_id: str | None = None) -> None:
        self.issues.append({"severity": severity, "code": code, "message": message, "source_page": page, "field_id": field_id})

    def offer(self, field_id: str, cand: _Candidate) -> None:
        self.found.setdefault(field_id, []).append(cand)

    def first(self, field_id: str) -> _Candidate | None:
        c = self.found.get(field_id)
        return c[0] if c else None


@dataclass
class _Table:
    grid: Grid
    kind: str
    caption: str
    unit: str
    lay: Layout

    def place(self, r: int) -> str:
        label = _row_label(self.grid.rows[r], self.label_cols()) or f"row {r + 1}"
        return f"{self.caption}, row {label}"

    def label_cols(self) -> int:
        """Columns before the first column holding figures in most data rows (computed once)."""
        cached = self.__dict__.get("_label_cols")
        if cached is None:
            cached = 1
            for j in range(self.grid.width):
                nums = sum(1 for r in self.lay.data if _cell_kind(self.grid.rows[r][j]) == "num" and not _is_code(self.grid.rows[r][j], self.lay.headers[j]))
                if nums and nums * 2 >= len(self.lay.data):
                    cached = j
                    break
            self.__dict__["_label_cols"] = cached
        return cached


# the 款 and 项 parts of a code split over 类 | 款 | 项 columns ('201 | 06 | 01')
_SUB_CODE = re.compile(r"\d{2}")
# the 类 | 款 | 项 sub-header words, printed on the same text line as the 合计 row in some layouts
_SUB_HEADER = frozenset(("类", "款", "项", "栏次"))


_CODE_HEADER = re.compile(r"编码|代码|[类款项]$")
_AMOUNT_HEADER = re.compile(r"合计|支出|收入|决算|预算|金额|经费|结转|结余")


def _is_code(cell: str, header: str) -> bool:
    """A 科目 code cell: a 3/5/7-digit code, or a 2-digit 款/项 part in a code column. Under a header
    that names an amount ('本年支出合计') digits are an amount, even 7 of them in a 元 table."""
    t = _norm(cell)
    h = header or ""
    if _SUB_CODE.fullmatch(t):
        return bool(_CODE_HEADER.search(h) or "科目" in h)
    return bool(_CODE_CELL.fullmatch(t)) and (bool(_CODE_HEADER.search(h)) or not _AMOUNT_HEADER.search(h))


def _label_text(row: list[str], ncols: int) -> str:
    """A row's label cells joined (a spanned cell once), without 类/款/项 sub-header words."""
    return _norm("".join(c for c in dict.fromkeys(row[:ncols]) if _norm(c) not in _SUB_HEADER))


def _row_label(row: list[str], ncols: int) -> str:
    parts: list[str] = []
    for c in row[: max(1, ncols)]:
        t = " ".join(str(c).split())
        if t and t not in parts:
            parts.append(t)
    return " ".join(parts)


def _money(state: _State, table: _Table, r: int, c: int | None, field_id: str | None, *, dash_is_zero: bool = False) -> float | None:
    """The cell (r, c) of a table in 万元; None for no value (0 when dash_is_zero)."""
    if c is None or c >= len(table.grid.rows[r]):
        return None
    cell = table.grid.rows[r][c]
    try:
        parsed = parse_number(cell)
    except NumberParseError:
        state.issue("warning", "unreadable_cell",
                    f"{table.place(r)}, column {table.lay.headers[c] or c + 1}: {cell!r} is not a number",
                    table.grid.page_of(r), field_id)
        return None
    if parsed is None:
        return 0.0 if dash_is_zero else None
    if parsed.percent:
        state.issue("warning", "unreadable_cell", f"{table.place(r)}: {cell!r} is a percentage, not an amount", table.grid.page_of(r), field_id)
        return None
    return convert(parsed.value, table.unit, "万元")


def _offer_cell(state: _State, table: _Table, field_id: str, r: int, c: int | None, *, dash_is_zero: bool = False) -> float | None:
    v = _money(state, table, r, c, field_id, dash_is_zero=dash_is_zero)
    if v is not None:
        state.offer(field_id, _Candidate(v, table.grid.page_of(r), _source_text(table.caption, table.grid.rows[r]), table.place(r)))
    return v


def _check(state: _State, field_id: str, place: str, what: str, parts: float, total: float, n: int, page: int | None) -> None:
    ok = abs(parts - total) <= 0.01 * max(1, n) + 1e-9
    state.record(f"{field_id}: {what}", ok, f"{place}: {what} = {_fmt(parts)} 万元, total {_fmt(total)} 万元", page)
    if not ok:
        state.issue("warning", "identity_failed",
                    f"{place}: {what} = {_fmt(parts)} 万元 but the total is {_fmt(total)} 万元 (difference {_fmt(parts - total)})",
                    page, field_id)


# --------------------------------------------------------------------------- columns

def _col(headers: list[str], test, start: int = 0) -> int | None:
    for j in range(start, len(headers)):
        if headers[j] and test(headers[j]):
            return j
    return None


def _is_total_header(h: str) -> bool:
    return bool(re.search(r"合计|总计|小计", h)) and not re.search(r"基本支出|项目支出|上缴|经营|附属|上年", h)


def _expenditure_columns(headers: list[str], first_amount: int) -> dict[str, int | None]:
    cols = {
        "basic": _col(headers, lambda h: "基本支出" in h and "上年" not in h, first_amount),
        "project": _col(headers, lambda h: "项目支出" in h and "上年" not in h, first_amount),
        "total": _col(headers, _is_total_header, first_amount),
    }
    if cols["total"] is None:  # a single amount column ('金额', '决算数', '预算数')
        cols["total"] = _col(headers, lambda h: re.search(r"金额|决算数|预算数|支出$", h) is not None
                             and not re.search(r"基本支出|项目支出|上年", h), first_amount)
    return cols


_TOTAL_ROW = re.compile(r"^(?:合计|总计|本年支出合计|支出合计|支出总计|本年合计|合计数)$")


def _row_code_name(row: list[str], ncols: int, headers: list[str]) -> tuple[str | None, str]:
    """(科目 code, name) of a row from its label cells: a code column (or 类 | 款 | 项 columns),
    or a code written in front of the name ('201 一般公共服务支出')."""
    code_parts: list[str] = []
    name = ""
    split_code = sum(1 for h in headers[:ncols] if re.search(r"(?:^|编码|代码)[类款项]$", h)) >= 2
    for j, cell in enumerate(row[: max(1, ncols)]):
        t = _norm(cell)
        if not t or t in _SUB_HEADER:
            continue
        if _CODE_CELL.fullmatch(t) or (split_code and re.fullmatch(r"\d{2,3}", t)):
            if split_code:
                code_parts.append(t)
            elif not code_parts:
                code_parts.append(t)
            continue
        if code_parts and len("".join(code_parts)) in (3, 5) and _SUB_CODE.fullmatch(t):
            # 款 / 项 in columns of their own under a header that does not say so ('201 | 06 | 01')
            code_parts.append(t)
            continue
        m = _CODE_LEAD.match(normalize(cell))
        if m and not code_parts:
            code_parts.append(m.group(1))
            t = _norm(normalize(cell)[m.end():])
        if t and not name:
            name = t
    code = "".join(code_parts) or None
    name = _ORDINAL.sub("", name)
    return code, name


# '其中：', '一、', '（一）', '1.' in front of a row label
_ORDINAL = re.compile(r"^(?:其中[:：]?)?(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}[、.．](?!\d))?")


# --------------------------------------------------------------------------- the tables


def _read_expenditure(state: _State, table: _Table, prefix: str) -> None:
    """支出决算表 / 支出预算表: 合计 row and 类 rows."""
    grid, lay = table.grid, table.lay
    ncols = table.label_cols()
    cols = _expenditure_columns(lay.headers, ncols)
    if cols["total"] is None:
        state.issue("warning", "column_not_found",
                    f"{table.caption}: no 合计 column among the headers ({' | '.join(h for h in lay.headers if h)})", grid.page)
        return
    total_rows: list[int] = []
    classes: dict[str, tuple[int, float]] = {}
    for r in lay.data:
        row = grid.rows[r]
        label = _label_text(row, ncols)
        code, name = _row_code_name(row, ncols, lay.headers)
        if _TOTAL_ROW.match(label) or (code is None and _TOTAL_ROW.match(name)):
            total_rows.append(r)
            continue
        cls = None
        if code is not None:
            if len(code) == 3:
                cls = code
        elif name in CLASS_NAMES:
            cls = CLASS_NAMES[name]
        if cls is None:
            continue  # 款 / 项 rows, and rows of other labels
        value = _money(state, table, r, cols["total"], f"{prefix}_exp_{cls}")
        if value is None:
            state.issue("info", "no_value", f"{table.place(r)}: class {cls} row has no amount in the total column", grid.page_of(r))
            continue
        if cls in classes:
            if code is None:
                continue  # without codes, a 款/项 named like its class ('其他支出' under 229)
            prev_r, prev_v = classes[cls]
            if abs(prev_v - value) > 1e-9:
                state.issue("warning", "conflicting_values",
                            f"{table.caption}: class {cls} appears twice, {_fmt(prev_v)} 万元 ({table.place(prev_r)}) and {_fmt(value)} 万元 ({table.place(r)}); kept the first",
                            grid.page_of(r), f"{prefix}_exp_{cls}")
            continue
        classes[cls] = (r, value)
        if cls in CLASSES:
            state.offer(f"{prefix}_exp_{cls}", _Candidate(value, grid.page_of(r), _source_text(table.caption, row), table.place(r)))
    if not total_rows:
        state.issue("warning", "row_not_found", f"{table.caption}: no 合计 row", grid.page, f"{prefix}_total_expenditure")
        return
    r = total_rows[0]
    total = _offer_cell(state, table, f"{prefix}_total_expenditure", r, cols["total"])
    for other in total_rows[1:]:
        _offer_cell(state, table, f"{prefix}_total_expenditure", other, cols["total"])
    basic = project = None
    if prefix == "fa":
        basic = _offer_cell(state, table, "fa_basic_expenditure", r, cols["basic"])
        project = _offer_cell(state, table, "fa_project_expenditure", r, cols["project"])
    else:
        basic = _money(state, table, r, cols["basic"], None)
        project = _money(state, table, r, cols["project"], None)
    if total is None:
        return
    if classes:
        s = sum(v for _, v in classes.values())
        _check(state, f"{prefix}_total_expenditure", table.place(r), f"the 类 rows ({', '.join(sorted(classes))}) sum", s, total, len(classes), grid.page_of(r))
    _basic_project_check(state, table, r, cols, total, basic, project, f"{prefix}_total_expenditure")


def _basic_project_check(state, table, r, cols, total, basic, project, field_id) -> None:
    if cols["basic"] is None or cols["project"] is None:
        return
    # a blank basic or project cell next to a total is a zero, for the check
    b = basic if basic is not None else 0.0
    p = project if project is not None else 0.0
    extras = [j for j, h in enumerate(table.lay.headers) if re.search(r"上缴上级|经营支出|附属单位", h)]
    extra = sum(_money(state, table, r, j, None) or 0.0 for j in extras)
    what = "基本支出 + 项目支出" + (" + other spending columns" if extras else "")
    _check(state, field_id, table.place(r), what, b + p + extra, total, 2 + len(extras), table.grid.page_of(r))


def _read_summary(state: _State, table: _Table, prefix: str) -> dict[str, _Candidate]:
    """本年支出合计 (and, for budgets, 支出总计 when there is no carry-over) of a 收支总表."""
    grid, lay = table.grid, table.lay
    skip = {j for j, h in enumerate(lay.headers) if re.search(r"行次|栏次", h)}
    found: dict[str, _Candidate] = {}
    carry_over = False

    wanted = "决算" if prefix == "fa" else "预算"

    def amount_right_of(r: int, j: int) -> float | None:
        """The label's amount: the figure after it (before the next label), in the 决算数 /
        预算数 column when the side has several ('年初预算数 | 决算数')."""
        row = grid.rows[r]
        figures: list[int] = []
        for k in range(j + 1, len(row)):
            if k in skip or _norm(row[k]) == _norm(row[j]):
                continue
            kind = _cell_kind(row[k])
            if kind == "text":
                break  # the next label
            if kind == "num":
                figures.append(k)
        if not figures:
            return None
        named = [k for k in figures if wanted in lay.headers[k] and not re.search(r"年初|全年|上年", lay.headers[k])]
        k = named[0] if named and len(figures) > 1 else figures[0]
        return _money(state, table, r, k, f"{prefix}_total_expenditure", dash_is_zero=True)

    grand_sides: list[tuple[float, int]] = []
    for r in range(len(grid.rows)):
        row = grid.rows[r]
        for j, cell in enumerate(row):
            t = _norm(cell)
            if j and _norm(row[j - 1]) == t:
                continue
            name = _ORDINAL.sub("", t)
            if name in CLASS_NAMES and j > 0:  # the 支出 side's class lines (the 收入 side's labels are no class)
                v = amount_right_of(r, j)
                cls = CLASS_NAMES[name]
                if v is not None and f"class_{cls}" not in found:
                    found[f"class_{cls}"] = _Candidate(v, grid.page_of(r), _source_text(table.caption, row), f"{table.caption}, row {cell.strip()}")
                continue
            if t == "总计":
                v = amount_right_of(r, j)
                if v is not None:
                    grand_sides.append((v, r))
            if t in ("本年支出合计", "本年支出小计", "支出合计") and "this_year" not in found:
                v = amount_right_of(r, j)
                if v is not None:
                    found["this_year"] = _Candidate(v, grid.page_of(r), _source_text(table.caption, row), f"{table.caption}, row {cell.strip()}")
            elif re.match(r"^(?:年末结转和结余|年末结转|结转下年|年末结余|结余分配)", t):
                v = amount_right_of(r, j)
                if v:
                    carry_over = True
            elif t in ("支出总计",) or (t == "总计" and j > 0 and any(_norm(c) == "总计" for c in row[:j])):
                v = amount_right_of(r, j)
                if v is not None:
                    found["grand"] = _Candidate(v, grid.page_of(r), _source_text(table.caption, row), f"{table.caption}, row {cell.strip()}")
    if len(grand_sides) >= 2:  # 收入 总计 = 支出 总计: the table balances
        (a, _), (b, rb) = grand_sides[0], grand_sides[1]
        ok = abs(a - b) <= 0.01 + 1e-9
        state.record("summary_balance", ok, f"{table.caption}: 收入 总计 {_fmt(a)} 万元, 支出 总计 {_fmt(b)} 万元", grid.page_of(rb))
        if not ok:
            state.issue("warning", "identity_failed", f"{table.caption}: the 收入 side's 总计 is {_fmt(a)} 万元 but the 支出 side's is {_fmt(b)} 万元",
                        grid.page_of(rb), f"{prefix}_total_expenditure")
    if prefix == "bu" and "this_year" not in found and "grand" in found and not carry_over:
        found["this_year"] = found["grand"]
    return found


def _read_gpb(state: _State, table: _Table, prefix: str) -> None:
    """一般公共预算财政拨款支出决算表 (年初预算数, 决算数) / 一般公共预算支出表 (budget)."""
    grid, lay = table.grid, table.lay
    ncols = table.label_cols()
    heads = lay.headers
    total_rows = [r for r in lay.data if _TOTAL_ROW.match(_label_text(grid.rows[r], ncols))]
    if not total_rows:
        state.issue("warning", "row_not_found", f"{table.caption}: no 合计 row", grid.page, f"{prefix}_gpb_expenditure")
        return
    r = total_rows[0]
    if prefix == "fa":
        budget_cols = [j for j in range(ncols, len(heads)) if "年初预算" in heads[j]]
        spent_cols = [j for j in range(ncols, len(heads)) if re.search(r"决算|本年支出|实际支出", heads[j]) and "预算" not in heads[j]]
        if not spent_cols:  # '决算数' not written: the columns that are no budget
            spent_cols = [j for j in range(ncols, len(heads)) if heads[j] and "预算" not in heads[j]]
        budget = _pick_total(heads, budget_cols)
        spent = _pick_total(heads, spent_cols)
        if budget is None:
            state.issue("warning", "column_not_found", f"{table.caption}: no 年初预算数 column ({' | '.join(h for h in heads if h)})", grid.page, "fa_gpb_initial_budget")
        else:
            for tr in total_rows:
                _offer_cell(state, table, "fa_gpb_initial_budget", tr, budget)
        if spent is None:
            state.issue("warning", "column_not_found", f"{table.caption}: no 决算数 合计 column ({' | '.join(h for h in heads if h)})", grid.page, "fa_gpb_expenditure")
            return
        cols = {"total": spent,
                "basic": next((j for j in spent_cols if "基本支出" in heads[j]), None),
                "project": next((j for j in spent_cols if "项目支出" in heads[j]), None)}
    else:
        cols = _expenditure_columns(heads, ncols)
        if cols["total"] is None:
            state.issue("warning", "column_not_found", f"{table.caption}: no 合计 column ({' | '.join(h for h in heads if h)})", grid.page, "bu_gpb_expenditure")
            return
    total = None
    for tr in total_rows:
        v = _offer_cell(state, table, f"{prefix}_gpb_expenditure", tr, cols["total"])
        total = v if total is None else total
    # the class rows and the split of the total: the fallback of the 支出表 when the document has
    # none and all its spending is general public budget (see extract_finance)
    gpb = state.gpb_parts
    for rr in lay.data:
        code, name = _row_code_name(grid.rows[rr], ncols, heads)
        cls = code if code is not None and len(code) == 3 else (CLASS_NAMES.get(name) if code is None else None)
        if cls in CLASSES and f"class_{cls}" not in gpb:
            v = _money(state, table, rr, cols["total"], None)
            if v is not None:
                gpb[f"class_{cls}"] = _Candidate(v, grid.page_of(rr), _source_text(table.caption, grid.rows[rr]), table.place(rr))
    if total is not None:
        basic = _money(state, table, r, cols["basic"], None)
        project = _money(state, table, r, cols["project"], None)
        src = _source_text(table.caption, grid.rows[r])
        if basic is not None:
            gpb["basic"] = _Candidate(basic, grid.page_of(r), src, table.place(r))
        if project is not None:
            gpb["project"] = _Candidate(project, grid.page_of(r), src, table.place(r))
        _basic_project_check(state, table, r, cols, total, basic, project, f"{prefix}_gpb_expenditure")


def _pick_total(heads: list[str], cols: list[int]) -> int | None:
    """Among the columns of one block (年初预算数, 决算数), its total: 合计/小计, else the one
    that is neither 基本支出 nor 项目支出."""
    if not cols:
        return None
    for j in cols:
        if re.search(r"合计|小计|总计", heads[j]):
            return j
    plain = [j for j in cols if not re.search(r"基本支出|项目支出", heads[j])]
    return plain[0] if plain else None


_TP_ITEMS = (  # (field suffix, test on a header or a row label)
    ("travel", lambda h: "出国" in h),
    ("reception", lambda h: "接待" in h),
    ("vehicles", lambda h: "用车" in h and _vehicle_sub(h) == ""),
    ("vehicle_purchase", lambda h: "用车" in h and _vehicle_sub(h) == "购置"),
    ("vehicle_running", lambda h: "用车" in h and _vehicle_sub(h) == "运行"),
    ("total", lambda h: re.search(r"合计|总计|三公", h) is not None and not re.search(r"出国|用车|接待", h)),
)


def _vehicle_sub(h: str) -> str:
    """'' for 公务用车购置及运行费 (or its 小计), '购置' / '运行' for its two parts."""
    rest = h.split("购置及运行", 1)[1] if "购置及运行" in h else h[h.index("用车"):]
    rest = re.sub(r"^费", "", rest)
    if rest in ("", "小计", "合计") or re.fullmatch(r"费?(?:小计|合计)?", rest):
        return ""
    if "购置" in rest:
        return "购置"
    if "运行" in rest or "运维" in rest:
        return "运行"
    return ""


def _read_three_public(state: _State, table: _Table, prefix: str) -> None:
    grid, lay = table.grid, table.lay
    ncols = table.label_cols()
    labels = [_norm("".join(dict.fromkeys(grid.rows[r][:ncols]))) for r in lay.data]
    transposed = any("出国" in lb for lb in labels) and any("接待" in lb for lb in labels)
    block = "决算" if prefix == "fa" else "预算"
    parts: dict[str, tuple[int, int]] = {}  # item -> (row, column)
    if transposed:
        cols = [j for j in range(ncols, len(lay.headers)) if block in lay.headers[j] and not re.search(r"上年|增减|比较|变动", lay.headers[j])]
        if prefix == "bu":
            cols = _latest_year(lay.headers, cols)
        col = cols[0] if cols else (ncols if ncols < grid.width and len(set(lay.headers[ncols:])) <= 1 else None)
        if col is None:
            state.issue("warning", "column_not_found", f"{table.caption}: no {block}数 column ({' | '.join(h for h in lay.headers if h)})", grid.page, f"{prefix}_three_public_total")
            return
        for r, lb in zip(lay.data, labels):
            lb = re.sub(r"^其中[:：]?|^\d+[.、]|^[一二三四五六七八九十]+、", "", lb)
            for item, test in _TP_ITEMS:
                if test(lb) and item not in parts:
                    parts[item] = (r, col)
                    break
    else:
        cols = [j for j in range(ncols, len(lay.headers)) if block in lay.headers[j] and not re.search(r"上年|增减|比较|变动", lay.headers[j])]
        if not cols and not any(re.search(r"决算|预算", h) for h in lay.headers):
            cols = list(range(ncols, len(lay.headers)))  # one block, not named
        if prefix == "bu":
            cols = _latest_year(lay.headers, cols)
        if not cols:
            state.issue("warning", "column_not_found", f"{table.caption}: no {block}数 block ({' | '.join(h for h in lay.headers if h)})", grid.page, f"{prefix}_three_public_total")
            return
        rows = [r for r in lay.data if any(_cell_kind(grid.rows[r][j]) == "num" for j in cols)]
        if not rows:
            state.issue("warning", "row_not_found", f"{table.caption}: no data row", grid.page, f"{prefix}_three_public_total")
            return
        r = rows[0]
        for j in cols:
            sub = lay.headers[j].split(block, 1)[1] if block in lay.headers[j] else lay.headers[j]
            sub = re.sub(r"^数", "", sub)
            for item, test in _TP_ITEMS:
                if test(sub or "合计") and item not in parts:
                    parts[item] = (r, j)
                    break
    values: dict[str, float] = {}
    fields = {"total": f"{prefix}_three_public_total", "travel": "fa_three_public_travel",
              "vehicles": "fa_three_public_vehicles", "reception": "fa_three_public_reception"}
    for item, (r, c) in parts.items():
        v = _money(state, table, r, c, fields.get(item), dash_is_zero=True)
        if v is None:
            continue
        values[item] = v
        if item == "total" or (prefix == "fa" and item in fields):
            state.offer(fields[item], _Candidate(v, grid.page_of(r), _source_text(table.caption, grid.rows[r]), table.place(r)))
    if "vehicles" not in values and "vehicle_purchase" in values and "vehicle_running" in values:
        r, _ = parts["vehicle_running"]
        values["vehicles"] = values["vehicle_purchase"] + values["vehicle_running"]
        if prefix == "fa":
            state.offer("fa_three_public_vehicles", _Candidate(values["vehicles"], grid.page_of(r), _source_text(table.caption, grid.rows[r]),
                                                               table.place(r), "table_sum"))
    if "total" not in values:
        state.issue("warning", "column_not_found", f"{table.caption}: no 合计 in the {block}数 block", grid.page, f"{prefix}_three_public_total")
        return
    if all(k in values for k in ("travel", "vehicles", "reception")):
        r = parts["total"][0]
        _check(state, f"{prefix}_three_public_total", table.place(r), "因公出国（境）费 + 公务用车购置及运行费 + 公务接待费",
               values["travel"] + values["vehicles"] + values["reception"], values["total"], 3, grid.page_of(r))
    if all(k in values for k in ("vehicles", "vehicle_purchase", "vehicle_running")) and "vehicles" in {k for k in parts}:
        r = parts["vehicles"][0]
        _check(state, f"{prefix}_three_public_vehicles", table.place(r), "公务用车购置费 + 公务用车运行费",
               values["vehicle_purchase"] + values["vehicle_running"], values["vehicles"], 2, grid.page_of(r))


def _latest_year(headers: list[str], cols: list[int]) -> list[int]:
    """Budget 三公 tables may show last year's budget beside this year's: keep the latest year."""
    years = {j: [int(y) for y in re.findall(r"((?:19|20)\d\d)年?", headers[j])] for j in cols}
    latest = max((max(v) for v in years.values() if v), default=None)
    if latest is None:
        return cols
    return [j for j in cols if not years[j] or max(years[j]) == latest]


# --------------------------------------------------------------------------- units


def _unit_near_caption(grid: Grid, pages: dict[int, list[str]]) -> str | None:
    """The unit line written next to the table's caption in the page text ('支出决算表' then
    '单位：元'), for a table reader that did not attach it: the nearest within three lines,
    after the caption first."""
    cap = _norm(grid.caption)
    if not cap:
        return None
    lines = pages.get(grid.page, [])
    for i, line in enumerate(lines):
        if _norm(line) != cap:
            continue
        for k in (1, 2, 3):
            if i + k >= len(lines):
                break
            unit = unit_from_header(lines[i + k])
            if unit:
                return unit
            if not re.search(r"单位|表|\d", lines[i + k]):
                break  # the table's own text begins
        for k in (1, 2):
            if i - k >= 0 and unit_from_header(lines[i - k]):
                return unit_from_header(lines[i - k])
    return None


def _declared_unit(grid: Grid, lay: Layout, pages: dict[int, list[str]]) -> str | None:
    unit = grid.unit or _unit_near_caption(grid, pages)
    if unit is None:
        for text in [*lay.titles, *lay.headers]:
            unit = unit_from_header(text)
            if unit:
                break
    if unit is None:
        for h in lay.headers:  # '金额（万元）'
            m = re.search(r"\((百万元|亿元|万元|千元|元)\)", normalize(h))
            if m:
                unit = m.group(1)
                break
    return unit


def _continues(prev: Grid, grid: Grid) -> bool:
    """A grid with no caption of its own (or one marked 续) right after a read table, with as
    many columns, continues it."""
    cap = _norm(grid.caption)
    return (grid.index == prev.index + 1 and grid.width == prev.width and grid.page >= prev.page
            and (not cap or "续" in cap or "表" not in cap))


def _resolve_units(state: _State, tables: list[tuple[Grid, str, Layout, str | None]]) -> list[_Table]:
    declared = Counter(u for _, _, _, u in tables if u in MONEY_UNITS)
    doc_unit = declared.most_common(1)[0][0] if declared else None
    out = []
    for grid, kind, lay, unit in tables:
        caption = grid.caption.strip() or KIND_NAMES[kind] + f" (table {grid.index})"
        if unit is not None and unit not in MONEY_UNITS:
            state.issue("warning", "unit_not_money", f"{caption}: declares unit {unit!r}, not an amount of money; table not read", grid.page)
            continue
        if unit is None:
            if doc_unit is not None:
                unit = doc_unit
                why = f"the unit the document's other tables declare ({doc_unit})"
            else:
                biggest = 0.0
                for r in lay.data:
                    for c in grid.rows[r]:
                        try:
                            p = parse_number(c)
                        except NumberParseError:
                            continue
                        if p is not None and not _CODE_CELL.fullmatch(_norm(c)):
                            biggest = max(biggest, abs(p.value))
                unit = "元" if biggest >= YUAN_MAGNITUDE else "万元"
                why = f"its largest figure is {_fmt(biggest)}"
            state.issue("warning", "unit_assumed", f"{caption}: no unit declared; read in {unit} from {why}", grid.page)
        out.append(_Table(grid, kind, caption, unit, lay))
    return out


# --------------------------------------------------------------------------- staff (prose)

_OTHER_TIME = re.compile(r"上年|去年|上一年|前一年|同期|上年度|年初|上期")
_STAFF_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("posts", re.compile(r"(?<![行政事业工勤专项机关参公])(?:核定|批准|下达|现有|共有)?(?:编制数|编制总数|编制人数|编制)(?:共|为|是|有|合计|共计|总数为|数为)?\s*[:：]?\s*$")),
    ("posts_admin", re.compile(r"行政(?:编制|编)(?:数)?(?:共|为|有)?\s*[:：]?\s*$")),
    ("posts_public", re.compile(r"事业(?:编制|编)(?:数)?(?:共|为|有)?\s*[:：]?\s*$")),
    ("actual", re.compile(r"(?<!编外)(?:年末|期末)?(?:实有人数|实有人员|实有在编人员|实有在职人员|实有在编人数|在职人数|在职人员|在职在编人员|在职在编人数|在编在岗人员|在岗人员|在编人员|在编人数|实有)(?:共|为|是|有|合计|共计)?\s*[:：]?\s*$")),
    ("contract", re.compile(r"(?:编外聘用人员|编外人员|编外用工|聘员|聘用人员|合同制人员|临聘人员|政府购买服务人员|购买服务人员|雇员|劳务派遣人员)(?:共|为|是|有|合计|共计|人数为|数为)?\s*[:：]?\s*$")),
)
_STAFF_CUE = re.compile(r"编制|实有|在职|在编|在岗|编外|聘|购买服务|雇员|派遣")
_CONTRACT_AFTER = re.compile(r"^\s*(?:名|人)(?:编外聘用人员|编外人员|聘员|临聘人员|政府购买服务人员|购买服务人员|雇员)")
_STAFF_FIELDS = {"posts": "fa_authorized_posts", "actual": "fa_actual_staff", "contract": "fa_contract_staff"}


def _join_lines(text: str) -> str:
    """Lines wrapped by the layout joined (a line ending a sentence keeps its break)."""
    return re.sub(r"(?<![。；;！？!?：:])\s*\n\s*", "", text)


def _staff(state: _State, blocks: list[tuple[int, str]], year: int | None) -> None:
    found: dict[str, list[tuple[float, int, str]]] = {}
    for page, text in blocks:
        joined = normalize(_join_lines(str(text)))
        for sm in re.finditer(r"[^。；;!?！？\n]+", joined):
            sentence = sm.group(0)
            if not _STAFF_CUE.search(sentence):
                continue
            for n in find_numbers(sentence, normalized=True):
                if n.percent or n.approximate or n.value != int(n.value) or n.value < 0:
                    continue
                after = sentence[n.end:]
                measure = re.match(r"\s*(名|人|个)(?!次)", after)
                if not measure:
                    continue
                clause_start = max(sentence.rfind(ch, 0, n.start) for ch in "，,、(（") + 1
                clause = sentence[clause_start:n.start]
                head = sentence[max(sentence.rfind(ch, 0, n.start) for ch in "，,") + 1:n.start]
                if _OTHER_TIME.search(head) or _other_year(head, year) or re.search(r"增加|减少|增长|下降|比|较", clause[-4:]):
                    continue
                kind = None
                for k, rx in _STAFF_PATTERNS:
                    if rx.search(clause):
                        kind = k
                        break
                if kind is None and _CONTRACT_AFTER.match(after):
                    kind = "contract"
                if kind is None or (kind == "actual" and re.search(r"编外|聘|退休|离休|临时", clause)):
                    continue
                if measure.group(1) == "个" and not kind.startswith("posts"):
                    continue  # posts are counted in 个, people are not
                source = " ".join(sentence.split())
                found.setdefault(kind, []).append((n.value, page, source[:MAX_SOURCE]))
    posts = found.get("posts")
    if not posts and found.get("posts_admin") and found.get("posts_public"):
        a, p = found["posts_admin"][0], found["posts_public"][0]
        found["posts"] = [(a[0] + p[0], a[1], a[2] if a[2] == p[2] else f"{a[2]}；{p[2]}"[:MAX_SOURCE])]
        state.issue("info", "posts_summed", f"部门概况: no total of posts stated; 行政编制 {a[0]:g} + 事业编制 {p[0]:g} = {a[0] + p[0]:g}", a[1], "fa_authorized_posts")
    elif not posts and (found.get("posts_admin") or found.get("posts_public")):
        kind = "行政编制" if found.get("posts_admin") else "事业编制"
        state.issue("warning", "posts_incomplete", f"部门概况: only {kind} is stated, no total of posts; fa_authorized_posts not set", None, "fa_authorized_posts")
    for kind, field_id in _STAFF_FIELDS.items():
        cands = found.get(kind)
        if not cands:
            continue
        value, page, source = cands[0]
        state.offer(field_id, _Candidate(value, page, source, "部门概况", "prose"))
        others = sorted({v for v, _, _ in cands[1:] if v != value})
        if others:
            state.issue("info", "conflicting_values",
                        f"部门概况: {field_id} stated as {value:g} (“{source[:60]}”) and also as {', '.join(f'{v:g}' for v in others)}; kept {value:g}",
                        page, field_id)


def _other_year(text: str, year: int | None) -> bool:
    if year is None:
        return False
    return any(int(y) != year for y in re.findall(r"((?:19|20)\d\d)\s*年", text))


# --------------------------------------------------------------------------- API


def extract_finance(doc_type: str, grids: list[Grid], blocks: list[tuple[int, str]], *, year: int | None = None) -> tuple[list[dict], list[dict]]:
    """Figures of a final-accounts (``final_accounts``) or budget (``budget``) document.

    ``grids``: the document's tables (any format); ``blocks``: its text as (page or section,
    text) pairs, for staff counts; ``year``: the year the document reports on, when known (a
    staff figure of another year is then skipped). Returns (values, issues): values are dicts
    ``field_id, value, unit, source_page, source_text, method`` with money in 万元; issues are
    dicts ``severity, code, message, source_page, field_id``.
    """
    return _extract(doc_type, grids, blocks, year=year)


def _extract(doc_type: str, grids: list[Grid], blocks: list[tuple[int, str]], *, year: int | None = None,
             checks: list | None = None) -> tuple[list[dict], list[dict]]:
    if doc_type not in FINANCE_REQUIRED:
        raise ValueError(f"extract_finance reads final_accounts and budget documents, not {doc_type!r}")
    prefix = "fa" if doc_type == "final_accounts" else "bu"
    state = _State(doc_type)
    if checks is not None:
        state.checks = checks
    pages: dict[int, list[str]] = {}
    for page, text in blocks:
        pages.setdefault(page, []).extend(ln.strip() for ln in str(text).splitlines() if ln.strip())
    pending = []
    for grid in grids:
        if not grid.rows:
            continue
        lay = layout(grid)
        # a title row inside the table is nearer to it than the text the reader found above it
        caption, kind = grid.caption, None
        for cap in [*(t for t in lay.titles if "表" in t and not _META_CELL.match(_norm(t))), grid.caption]:
            kind = classify(doc_type, cap, lay.headers)
            if kind is not None:
                caption = cap
                break
        if caption != grid.caption:
            grid = Grid(grid.index, grid.rows, grid.page, caption, grid.unit, grid.row_pages)
        if kind is None and pending and _continues(pending[-1][0], grid):
            # a table the reader left in two pieces over a page break: one table again
            prev, kind, _, unit = pending.pop()
            rows = prev.rows + grid.rows
            row_pages = [prev.page_of(i) for i in range(len(prev.rows))] + [grid.page_of(i) for i in range(len(grid.rows))]
            grid = Grid(prev.index, rows, prev.page, prev.caption, prev.unit, row_pages)
            lay = layout(grid)
            state.issue("info", "table_continued", f"{prev.caption}: the table after it ({caption or 'no caption'}, same columns) read as its continuation", row_pages[len(prev.rows)])
            pending.append((grid, kind, lay, unit))
            continue
        if kind is None:
            continue
        if not lay.data:
            state.issue("warning", "table_empty", f"{caption}: the table holds no figure", grid.page)
            state.empty_kinds.setdefault(kind, grid.page)
            continue
        pending.append((grid, kind, lay, _declared_unit(grid, lay, pages)))
    tables = _resolve_units(state, pending)
    order = ("expenditure", "summary", "gpb", "three_public")
    summaries: list[dict[str, _Candidate]] = []
    for kind in order:
        for table in (t for t in tables if t.kind == kind):
            try:
                if kind == "expenditure":
                    _read_expenditure(state, table, prefix)
                elif kind == "summary":
                    summaries.append(_read_summary(state, table, prefix))
                elif kind == "gpb":
                    _read_gpb(state, table, prefix)
                else:
                    _read_three_public(state, table, prefix)
            except UnitError as exc:  # pragma: no cover - units are checked above
                state.issue("warning", "unit_not_money", f"{table.caption}: {exc}", table.grid.page)
    total_field = f"{prefix}_total_expenditure"
    for s in summaries:
        # the summary's class lines: the second reading of the 支出表's 类 rows (or the only one)
        for key, c in s.items():
            if key.startswith("class_") and key[6:] in CLASSES:
                state.offer(f"{prefix}_exp_{key[6:]}", c)
        cand = s.get("this_year")
        if cand is None:
            continue
        first = state.first(total_field)
        if first is None:
            state.offer(total_field, cand)
        else:
            ok = abs(first.value - cand.value) <= 0.01 + 1e-9
            state.record("total_vs_summary", ok, f"{first.place}: {_fmt(first.value)} 万元; {cand.place}: {_fmt(cand.value)} 万元", cand.page)
            if not ok:
                kept = _reading_that_balances(state, prefix, first, cand)
                state.issue("warning", "identity_failed",
                            f"{first.place} gives {_fmt(first.value)} 万元 but {cand.place} gives {_fmt(cand.value)} 万元; kept {_fmt(kept.value)}"
                            + ("" if kept is first else f" ({kept.place} is the reading the class rows and the basic + project split add up to)"),
                            cand.page, total_field)
    _gpb_fallback(state, prefix)
    if doc_type == "final_accounts":
        _staff(state, blocks, year)
    _prose_channel(state, doc_type, blocks, year)
    if "three_public" in state.empty_kinds:
        _blank_three_public(state, blocks, state.empty_kinds["three_public"])
    grand = next((s["grand"] for s in summaries if "grand" in s), None)
    if grand is not None:
        _prose_grand_total(state, blocks, grand)

    values: list[dict] = []
    units = {"fa_authorized_posts": "人", "fa_actual_staff": "人", "fa_contract_staff": "人"}
    for field_id, cands in state.found.items():
        keep = cands[0]
        for other in cands[1:]:
            # tables of one document round separately: 0.01 apart is one figure
            if abs(other.value - keep.value) > 0.01 + 1e-9 and other.method != "prose" and keep.method != "prose":
                state.issue("warning", "conflicting_values",
                            f"{field_id}: {keep.place} gives {_fmt(keep.value)} but {other.place} gives {_fmt(other.value)}; kept {_fmt(keep.value)}",
                            other.page, field_id)
        values.append({"field_id": field_id, "value": keep.value, "unit": units.get(field_id, "万元"),
                       "source_page": keep.page, "source_text": keep.text,
                       "method": "prose" if keep.method == "prose" else "table"})
    return values, state.issues


def _reading_that_balances(state: _State, prefix: str, first: _Candidate, other: _Candidate) -> _Candidate:
    """Two readings of the total disagree: the one the document's own parts add up to (its 类 rows,
    or basic + project) is kept; the first when neither or both do."""
    parts = []
    classes = [state.first(f"{prefix}_exp_{c}") for c in CLASSES]
    if any(classes):
        parts.append(sum(c.value for c in classes if c))
    basic, project = state.first(f"{prefix}_basic_expenditure"), state.first(f"{prefix}_project_expenditure")
    if basic and project:
        parts.append(basic.value + project.value)

    def fits(c: _Candidate) -> bool:
        return any(abs(p - c.value) <= 0.01 * len(CLASSES) + 1e-9 for p in parts)

    if fits(other) and not fits(first):
        field_id = f"{prefix}_total_expenditure"
        state.found[field_id] = [other] + [c for c in state.found[field_id] if c is not other]
        state.record(f"{field_id}: the reading that balances", True, f"kept {other.place} ({_fmt(other.value)} 万元), which its parts add up to; "
                     f"not {first.place} ({_fmt(first.value)} 万元)", other.page)
        return other
    return first


def extract_finance_checked(doc_type: str, grids: list[Grid], blocks: list[tuple[int, str]], *, year: int | None = None
                            ) -> tuple[list[dict], list[dict], list[dict]]:
    """`extract_finance` plus the identities tested on the document's own evidence:
    dicts ``check, passed, detail, source_page`` (see `verify`)."""
    checks: list[dict] = []
    values, issues = _extract(doc_type, grids, blocks, year=year, checks=checks)
    return values, issues, checks


def _gpb_fallback(state: _State, prefix: str) -> None:
    """A document without 支出决算表 (some publish only some tables): when all its spending is
    general public budget (the 一般公共预算 table's total equals 本年支出合计), that table's class
    rows and its basic / project split are the document's."""
    gpb, total = state.first(f"{prefix}_gpb_expenditure"), state.first(f"{prefix}_total_expenditure")
    if not state.gpb_parts or gpb is None or total is None or abs(gpb.value - total.value) > 0.01 + 1e-9:
        return
    fields = {f"class_{c}": f"{prefix}_exp_{c}" for c in CLASSES}
    if prefix == "fa":
        fields |= {"basic": "fa_basic_expenditure", "project": "fa_project_expenditure"}
    used = []
    for key, field_id in fields.items():
        cand = state.gpb_parts.get(key)
        if cand is not None and field_id not in state.found:
            state.offer(field_id, cand)
            used.append(field_id)
    if used:
        state.issue("info", "from_gpb_table", f"{gpb.place.split(',')[0]}: {', '.join(used)} read from the general public budget table "
                    f"(no 支出表 states them; its total equals 本年支出合计, {_fmt(total.value)} 万元)", gpb.page)


def _prose_channel(state: _State, doc_type: str, blocks: list[tuple[int, str]], year: int | None) -> None:
    """The 情况说明: fills a field no table states; compared with the table's figure otherwise."""
    from jinchengtuo.documents.finance_prose import read_finance_prose

    for field_id, fig in read_finance_prose(doc_type, blocks, year=year).items():
        first = state.first(field_id)
        if first is None:
            state.offer(field_id, _Candidate(fig.value, fig.page, fig.text, fig.place, "prose"))
            continue
        if first.method == "prose":
            continue
        ok = abs(first.value - fig.value) <= 0.01 + 1e-9
        state.record(f"{field_id}: table vs prose", ok, f"{first.place}: {_fmt(first.value)} 万元; 情况说明 (page {fig.page}): {_fmt(fig.value)} 万元", fig.page)
        if not ok:
            state.issue("warning", "table_prose_disagree",
                        f"{field_id}: {first.place} (page {first.page}) gives {_fmt(first.value)} 万元 but the 情况说明 (page {fig.page}) says "
                        f"{_fmt(fig.value)} 万元 (“{fig.text[:80]}”); kept the table's", fig.page, field_id)


_PROSE_TP_BUDGET = re.compile(r"三公经费(?:财政拨款)?支出(?:的)?年初预算(?:数)?为(\d[\d,]*(?:\.\d+)?)万元")


def _blank_three_public(state: _State, blocks: list[tuple[int, str]], page: int) -> None:
    """A 三公 table printed wholly blank is consistent only when the prose states no budget either."""
    for p, text in blocks:
        m = _PROSE_TP_BUDGET.search(flat(str(text)))
        if m:
            v = float(m.group(1).replace(",", ""))
            state.record("three_public_table_vs_prose", v == 0,
                         f"the 三公 table (page {page}) is blank; the 情况说明 (page {p}) states a 年初预算 of {_fmt(v)} 万元", p)
            if v:
                state.issue("warning", "table_prose_disagree", f"the \"三公\" table (page {page}) is blank but the 情况说明 (page {p}) states its "
                            f"年初预算 as {_fmt(v)} 万元", p, "fa_three_public_total")
            return


_PROSE_GRAND = re.compile(r"(?<!拨款)收入支出(?:决算)?总计(?:为)?(\d[\d,]*(?:\.\d+)?)万元")


def _prose_grand_total(state: _State, blocks: list[tuple[int, str]], grand: _Candidate) -> None:
    """The 情况说明's 收入支出总计 against the summary table's 总计."""
    for page, text in blocks:
        joined = flat(str(text))
        for m in _PROSE_GRAND.finditer(joined):
            v = float(m.group(1).replace(",", ""))
            ok = abs(v - grand.value) <= 0.01 + 1e-9
            state.record("prose_grand_total", ok, f"page {page}: the 情况说明 says 收入支出总计 {_fmt(v)} 万元; {grand.place}: {_fmt(grand.value)} 万元", page)
            if not ok:
                state.issue("warning", "table_prose_disagree", f"the 情况说明 (page {page}) says 收入支出总计 {_fmt(v)} 万元 but {grand.place} (page {grand.page}) "
                            f"gives {_fmt(grand.value)} 万元", page, None)


def missing_required(doc_type: str, values: list[dict]) -> list[str]:
    got = {v["field_id"] for v in values}
    return [f for f in FINANCE_REQUIRED.get(doc_type, ()) if f not in got]
