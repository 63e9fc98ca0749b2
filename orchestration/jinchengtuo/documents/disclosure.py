"""Tables of the government-information-disclosure annual report (政府信息公开工作年度报告),
from `Grid`s, so the same code reads HTML, PDF and DOCX.

Two templates are in use and are told apart by their wording, never by the year:
- 2019–2020 (国办公开办函〔2019〕60号): table 二 columns 本年新制作数量 | 本年新公开数量 | 对外公开总数量
  and 上一年项目数量 | 本年增/减 | 处理决定数量; no fee amount;
- 2021 on (国办公开办函〔2021〕30号): 本年制发件数 | 本年废止件数 | 现行有效件数, 本年处理决定数量,
  本年收费金额（单位：万元）.

Table 二 (主动公开) is a sequence of blocks, each a header row starting with 信息内容 followed by
labelled rows; a figure is the cell of its row under the header of its template (so 上一年项目数量
next to 处理决定数量 is never taken). Table 三 (依申请公开) is read in its 总计 column, found by its
header; rows by their labels, sub-rows ((三)不予公开 1.…8.) summed into their group. Table 四
(复议诉讼) by its header: 行政复议, 未经复议直接起诉, 复议后起诉, five columns each.

The prose part (一、总体情况) is a second channel (`merge_prose`): request counts, zeros stated as
negations and the items published, read by `prose`, fill the fields no table states; a figure
both state differently keeps the table's and is flagged with both.

Checks, as `identity_failed` warnings naming the row and both numbers: new + carried-in requests
= handled + carried-out; (七)总计 = (一)…(六); every row's 总计 = the sum of its applicant
columns; a group with a stated subtotal = its sub-rows; each 复议/诉讼 总计 = its four results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jinchengtuo.documents.grids import Grid
from jinchengtuo.documents.numbers import NumberParseError, UnitError, convert, is_no_value, parse_number, split_unit, unit_from_header

LABEL_NOISE = re.compile(r"[\s\u3000（）()、.．:：/／“”\"'‘’]")
SUB_ITEM = re.compile(r"^\s*\d{1,2}\s*[.．、]")

# wording that only one template uses (compared after LABEL_NOISE is removed)
TEMPLATE_CUES = {
    "2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额",
             "申请人无正当理由逾期不补正", "申请人逾期未按收费通知要求缴纳费用"),
    "2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增减", "采购项目数量", "采购总金额"),
}

REGDOCS = ("行政规范性文件", "规范性文件")
# table 二: (field_id, row labels, column header, unit) per template
PROACTIVE = {
    "2021": (
        ("od_regdocs_issued", REGDOCS, "本年制发件数", "件"),
        ("od_regdocs_valid", REGDOCS, "现行有效件数", "件"),
        ("od_permits", ("行政许可",), "本年处理决定数量", "件"),
        ("od_penalties", ("行政处罚",), "本年处理决定数量", "件"),
        ("od_coercion", ("行政强制",), "本年处理决定数量", "件"),
        ("od_fees", ("行政事业性收费",), "本年收费金额", "万元"),
    ),
    "2019": (
        ("od_regdocs_issued", REGDOCS, "本年新制作数量", "件"),
        ("od_regdocs_valid", REGDOCS, "对外公开总数量", "件"),
        ("od_permits", ("行政许可",), "处理决定数量", "件"),
        ("od_penalties", ("行政处罚",), "处理决定数量", "件"),
        ("od_coercion", ("行政强制",), "处理决定数量", "件"),
        # 行政事业性收费 has 上一年项目数量 | 本年增/减 only: no amount, so no od_fees
    ),
}
HEADER_UNIT_TAIL = re.compile(r"^(单位)?(人民币)?(亿元|万元|千元|元|件|个|项)?$")

APPLICANTS = ("自然人", "法人或其他组织", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
# table 三 result groups, in template order
RESULT_GROUPS = (
    ("（一）", "予以公开", "rq_granted"),
    ("（二）", "部分公开", "rq_partly"),
    ("（三）", "不予公开", "rq_denied"),
    ("（四）", "无法提供", "rq_unavailable"),
    ("（五）", "不予处理", None),
    ("（六）", "其他处理", None),
)
REVIEW_RESULTS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
REVIEW_PARTS = ("行政复议", "未经复议直接起诉", "复议后起诉")


def _label(text: str) -> str:
    return LABEL_NOISE.sub("", text or "")


def _num(text: str) -> float | None:
    """A cell's number; None for a blank or dash cell and for text that is not a number."""
    try:
        parsed = parse_number(text)
    except (NumberParseError, ValueError, TypeError):
        return None
    return None if parsed is None else float(parsed.value)


def _is_number_or_blank(text: str) -> bool:
    return is_no_value(text) or _num(text) is not None


def _fmt(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x):,}"


def _row_text(row: list[str], header_rows: list[list[str]]) -> str:
    """The row as read: a cell repeated by a span (same text, same header) is shown once."""
    parts = []
    for c, cell in enumerate(row):
        if not cell.strip():
            continue
        if c > 0 and cell == row[c - 1] and all(c < len(h) and h[c] == h[c - 1] for h in header_rows):
            continue
        parts.append(" ".join(cell.split()))
    return " | ".join(parts)


@dataclass
class DisclosureTables:
    """What the tables of one report give: figures, issues and the template recognised."""

    values: list[dict] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)  # severity, code, message, source_page, field_id
    template: str | None = None  # "2019" (2019–2020 template) or "2021"


def detect_template(grids: list[Grid]) -> tuple[str | None, dict[str, int]]:
    """The template whose wording the tables use, and the number of distinct cue cells of each."""
    cells = {_label(c) for g in grids for row in g.rows for c in row if c}
    hits = {t: sum(1 for cue in cues if any(cue in cell for cell in cells)) for t, cues in TEMPLATE_CUES.items()}
    best = max(hits, key=lambda t: hits[t])
    if hits[best] == 0:
        return None, hits
    if list(hits.values()).count(hits[best]) > 1:
        return None, hits
    return best, hits


class _Reader:
    def __init__(self) -> None:
        self.out = DisclosureTables()
        self._got: dict[str, dict] = {}

    def where(self, grid: Grid) -> str:
        return f"table {grid.index}" + (f" ({grid.caption})" if grid.caption else "")

    def add(self, field_id: str, value: float | None, unit: str, grid: Grid, r: int, header_rows: list[list[str]]) -> None:
        if value is None:
            return
        text = f"{grid.caption or f'表{grid.index}'}: {_row_text(grid.rows[r], header_rows)}"[:500]
        earlier = self._got.get(field_id)
        if earlier is not None:
            if abs(earlier["value"] - value) > 1e-9:
                self.issue("warning", "conflicting_values",
                           f"{self.where(grid)}: {field_id} = {_fmt(value)} here but {_fmt(earlier['value'])} earlier "
                           f"({earlier['source_text'][:80]}); the first is kept", grid.page_of(r), field_id)
            return
        v = {"field_id": field_id, "value": value, "unit": unit, "source_page": grid.page_of(r), "source_text": text, "method": "table"}
        self._got[field_id] = v
        self.out.values.append(v)

    def issue(self, severity: str, code: str, message: str, page: int | None = None, field_id: str | None = None) -> None:
        self.out.issues.append({"severity": severity, "code": code, "message": message, "source_page": page, "field_id": field_id})

    def cell_value(self, grid: Grid, r: int, c: int, what: str, field_id: str | None) -> float | None:
        """The number in a cell; a cell holding text that is no number is reported, not read as 0."""
        text = grid.rows[r][c] if c < len(grid.rows[r]) else ""
        value = _num(text)
        if value is None and not is_no_value(text):
            self.issue("warning", "unreadable_cell",
                       f"{self.where(grid)}, row {r + 1} ({what}): {text.strip()[:60]!r} is not a number", grid.page_of(r), field_id)
        return value

    # ------------------------------------------------------------ table 二
    def proactive(self, grid: Grid, template: str) -> None:
        spec = PROACTIVE[template]
        header: list[str] | None = None
        header_labels: list[str] = []
        for r, row in enumerate(grid.rows):
            first = _label(row[0]) if row else ""
            if first == "信息内容":
                header, header_labels = row, [_label(c) for c in row]
                continue
            if header is None:
                continue
            for field_id, row_labels, column, unit in spec:
                if first not in row_labels:
                    continue
                col, tail = next(((c, m) for c, h in enumerate(header_labels) if h.startswith(column)
                                  for m in [HEADER_UNIT_TAIL.match(h[len(column):])] if m), (None, None))
                if col is None:
                    continue  # this block's header has no such column (e.g. 2019 收费: no amount)
                value = self.cell_value(grid, r, col, f"{row[0].strip()} {header[col].strip()}", field_id)
                if value is not None and field_id == "od_fees":
                    # the header's unit (本年收费金额（单位：万元）, 本年收费金额（元）), else the table's, else the template's 万元
                    declared = (tail.group(3) or unit_from_header(header[col])
                                or (grid.unit if grid.unit and split_unit(grid.unit)[1] == "元" else None) or "万元")
                    try:
                        value = convert(value, declared, unit)
                    except UnitError:
                        self.issue("warning", "unit_not_money", f"{self.where(grid)}, row {r + 1}: 收费金额 in {declared!r}, not money; not read",
                                   grid.page_of(r), field_id)
                        continue
                self.add(field_id, value, unit, grid, r, [header])

    # ------------------------------------------------------------ table 三
    def requests(self, grid: Grid) -> None:
        first_data = next(r for r, row in enumerate(grid.rows) if "本年新收政府信息公开申请数量" in _label("".join(row)))
        header_rows = grid.rows[:first_data]
        columns = list(zip(*header_rows)) if header_rows else []
        total_col = max((c for c, cells in enumerate(columns) if any(_label(x) == "总计" for x in cells)), default=None)
        if total_col is None:
            self.issue("warning", "layout_not_recognised", f"{self.where(grid)}: requests table without a 总计 column header; not read",
                       grid.page_of(first_data))
            return
        applicant_cols = [c for c in range(total_col) if any(_label(x) in APPLICANTS for x in columns[c])]
        if applicant_cols:
            first_value_col = min(applicant_cols)
        else:  # no applicant headers: the label columns are those left of the first number
            row = grid.rows[first_data]
            first_value_col = next((c for c in range(total_col) if _num(row[c]) is not None), total_col)
        # A row pushed right by a rowspan that runs past its group (三、本年度办理结果 rowspan=15 over
        # 10 rows pushes 四、结转下年度 one column right, as a browser shows it) is read shifted back.
        shift = {}
        for r in range(first_data, len(grid.rows)):
            filled = max((c for c, x in enumerate(grid.rows[r]) if x.strip()), default=-1) + 1
            shift[r] = max(0, filled - (total_col + 1))

        def label_of(r: int) -> tuple[str, str]:
            row = grid.rows[r]
            cells = list(dict.fromkeys(row[c].strip() for c in range(first_value_col + shift[r]) if row[c].strip()))
            return _label("".join(cells)), (cells[-1] if cells else "")

        def total_of(r: int, what: str, field_id: str | None) -> float | None:
            return self.cell_value(grid, r, total_col + shift[r], f"{what} 总计", field_id)

        rows: dict[str, int] = {}
        group_rows: dict[str, list[int]] = {}  # group cue -> plain rows
        sub_rows: dict[str, list[int]] = {}  # group cue -> numbered sub-rows
        current_group: str | None = None
        for r in range(first_data, len(grid.rows)):
            label, last_cell = label_of(r)
            if not label:
                continue
            group = next((cue for _, cue, _ in RESULT_GROUPS if cue in label), None)
            if "本年新收" in label:
                rows.setdefault("rq_new", r)
            elif "上年结转" in label:
                rows.setdefault("rq_carried_in", r)
            elif "结转下年度" in label:
                rows.setdefault("rq_carried_out", r)
            elif group is None and "总计" in label:
                rows.setdefault("rq_total_handled", r)
                current_group = None
            elif group is not None:
                current_group = group
                (sub_rows if SUB_ITEM.match(last_cell) else group_rows).setdefault(group, []).append(r)
            elif current_group is not None and SUB_ITEM.match(last_cell):
                # a sub-row whose group label was not repeated into it (a PDF without spans)
                sub_rows.setdefault(current_group, []).append(r)
        for field_id, name in (("rq_new", "一、本年新收"), ("rq_carried_in", "二、上年结转"),
                               ("rq_total_handled", "（七）总计"), ("rq_carried_out", "四、结转下年度继续办理")):
            if field_id in rows:
                self.add(field_id, total_of(rows[field_id], name, field_id), "件", grid, rows[field_id], header_rows)

        group_values: dict[str, float | None] = {}
        for number, cue, field_id in RESULT_GROUPS:
            plain, subs = group_rows.get(cue, []), sub_rows.get(cue, [])
            if not plain and not subs:
                continue
            sub_values = [total_of(r, f"{number}{cue} {label_of(r)[1]}", field_id) for r in subs]
            sub_sum = sum(sub_values) if subs and all(v is not None for v in sub_values) else None
            stated = total_of(plain[0], f"{number}{cue}", field_id) if plain else None
            if stated is not None and sub_sum is not None and abs(stated - sub_sum) > 1e-9:
                self.issue("warning", "identity_failed",
                           f"{self.where(grid)}: {number}{cue} states {_fmt(stated)} in its 总计 column but its sub-rows sum to {_fmt(sub_sum)}",
                           grid.page_of(plain[0]), field_id)
            value = stated if stated is not None else sub_sum
            group_values[cue] = value
            if field_id is not None:
                self.add(field_id, value, "件", grid, plain[0] if plain else subs[0], header_rows)

        # (七)总计 = (一) … (六)
        if "rq_total_handled" in rows and len(group_values) == len(RESULT_GROUPS) and all(v is not None for v in group_values.values()):
            r = rows["rq_total_handled"]
            total = _num(grid.rows[r][total_col + shift[r]])
            parts = sum(group_values.values())
            if total is not None and abs(total - parts) > 1e-9:
                self.issue("warning", "identity_failed",
                           f"{self.where(grid)}: （七）总计 = {_fmt(total)} but （一）…（六） sum to {_fmt(parts)}", grid.page_of(r), "rq_total_handled")
        # every row: 总计 column = sum of the applicant columns
        for r in range(first_data, len(grid.rows)):
            row = grid.rows[r]
            total = _num(row[total_col + shift[r]])
            value_cols = [c + shift[r] for c in range(first_value_col, total_col)]
            if total is None or not value_cols or not all(_is_number_or_blank(row[c]) for c in value_cols):
                continue
            parts = sum(_num(row[c]) or 0.0 for c in value_cols)
            if abs(total - parts) > 1e-9:
                label = " ".join(dict.fromkeys(row[c].strip() for c in range(first_value_col + shift[r]) if row[c].strip()))
                self.issue("warning", "identity_failed",
                           f"{self.where(grid)}, row {label!r}: 总计 column = {_fmt(total)} but the applicant columns sum to {_fmt(parts)}",
                           grid.page_of(r), None)

    # ------------------------------------------------------------ table 四
    def reviews(self, grid: Grid) -> None:
        sub = next((r for r, row in enumerate(grid.rows) if sum(_label(c) == "结果纠正" for c in row) >= 3), None)
        cols: dict[tuple[str, str], int] = {}
        if sub is not None:
            found = [(c, _label(x)) for c, x in enumerate(grid.rows[sub]) if _label(x) in REVIEW_RESULTS]
            for c, result in found:
                above = [_label(grid.rows[h][c]) for h in range(sub)]
                part = next((p for p in ("复议后起诉", "未经复议直接起诉", "行政复议") if any(p in a for a in above)), None)
                if part is not None:
                    cols.setdefault((part, result), c)
            if len(cols) != 15 and len(found) == 15:  # the part headers were not repeated over their columns
                cols = {(REVIEW_PARTS[i // 5], result): c for i, (c, result) in enumerate(found)}
            data_rows = range(sub + 1, len(grid.rows))
        else:
            data_rows = range(len(grid.rows))
        data = None
        if len(cols) == 15:
            data = next((r for r in data_rows if any(_num(grid.rows[r][c]) is not None for c in cols.values())), None)
        else:  # no usable header: the template's 15 numbers in one row
            for r in data_rows:
                numeric = [c for c, x in enumerate(grid.rows[r]) if _num(x) is not None]
                if len(numeric) == 15:
                    cols = {(REVIEW_PARTS[i // 5], REVIEW_RESULTS[i % 5]): c for i, c in enumerate(numeric)}
                    data = r
                    break
        if data is None:
            self.issue("warning", "layout_not_recognised",
                       f"{self.where(grid)}: review and litigation table without a row of its 15 figures; not read", grid.page)
            return
        header_rows = grid.rows[:data]
        v = {k: self.cell_value(grid, data, c, " ".join(k), None) for k, c in cols.items()}
        self.add("rv_corrected", v[("行政复议", "结果纠正")], "件", grid, data, header_rows)
        self.add("rv_total", v[("行政复议", "总计")], "件", grid, data, header_rows)
        for field_id, result in (("lt_corrected", "结果纠正"), ("lt_total", "总计")):
            a, b = v[("未经复议直接起诉", result)], v[("复议后起诉", result)]
            if a is not None and b is not None:
                self.add(field_id, a + b, "件", grid, data, header_rows)
        for part in REVIEW_PARTS:
            results = [v[(part, x)] for x in REVIEW_RESULTS[:4]]
            total = v[(part, "总计")]
            if total is not None and all(x is not None for x in results) and abs(sum(results) - total) > 1e-9:
                self.issue("warning", "identity_failed",
                           f"{self.where(grid)}: {part} 总计 = {_fmt(total)} but its four results sum to {_fmt(sum(results))}",
                           grid.page_of(data), "rv_total" if part == "行政复议" else "lt_total")


PROACTIVE_ROWS = {"规章", "规范性文件", "行政规范性文件", "行政许可", "其他对外管理服务事项", "行政处罚", "行政强制", "行政事业性收费", "政府集中采购"}
REQUEST_HEADER_CUES = ("申请人情况", "勾稽关系", "自然人", "法人或其他组织", "商业企业")
REQUEST_ROW_CUES = ("上年结转", "本年度办理结果", "予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理", "总计", "结转下年度")


def _kinds(grid: Grid) -> set[str]:
    labels = [_label(c) for row in grid.rows for c in row]
    joined = "".join(dict.fromkeys(labels))
    kinds = set()
    if any("本年新收政府信息公开申请数量" in x for x in labels):
        kinds.add("requests")
    elif "行政复议" in joined and "行政诉讼" in joined:
        kinds.add("reviews")
    if any(row and _label(row[0]) == "信息内容" for row in grid.rows):
        kinds.add("proactive")
    return kinds


def _label_width(grid: Grid, start: int = 0) -> int | None:
    """Columns left of the first number in the first row (from `start`) that has one."""
    for row in grid.rows[start:]:
        col = next((c for c, x in enumerate(row) if _num(x) is not None), None)
        if col is not None:
            return col
    return None


def _widen(rows: list[list[str]], at: int, by: int) -> list[list[str]]:
    """Insert `by` columns after the label column `at - 1`, repeating its text (as a span would)."""
    return [r[:at] + [r[at - 1] if at > 0 else ""] * by + r[at:] for r in rows]


def _merge_continuations(grids: list[Grid]) -> tuple[list[Grid], list[dict]]:
    """Join the part of table 二, 三 or 四 that a PDF reader returned as a grid of its own after a
    page break (its columns ruled differently, so it was not continued): a grid without a caption,
    on a later page, whose first row carries the labels of the table before it (for 三 after the
    header repeated on the new page). Label columns may differ (a span on one page, drawn cells on
    the next); the figure columns must match. Table 四 continues when its first part is header
    rows only and the next grid starts with the 结果维持 … 总计 row."""
    out: list[Grid] = []
    issues: list[dict] = []
    for grid in grids:
        prev = out[-1] if out else None
        kinds = _kinds(grid)
        first = next((r for r in grid.rows if any(c.strip() for c in r)), None)
        if (prev is None or kinds or first is None or grid.page <= max(prev.row_pages or [prev.page])
                or (grid.caption and "续" not in grid.caption)):
            out.append(grid)
            continue
        prev_kinds = _kinds(prev)
        rows = grid.rows
        if "reviews" in prev_kinds:
            if not any(_num(c) is not None for r in prev.rows for c in r) and sum(_label(c) == "结果纠正" for c in first) >= 3:
                width = max(prev.width, grid.width)
                padded = [list(r) + [""] * (width - len(r)) for r in prev.rows + grid.rows]
                pages = (prev.row_pages or [prev.page] * len(prev.rows)) + (grid.row_pages or [grid.page] * len(grid.rows))
                out[-1] = Grid(prev.index, padded, prev.page, prev.caption, prev.unit, pages)
            else:
                out.append(grid)
            continue
        if "requests" in prev_kinds:  # the header repeated on the new page is dropped
            repeated = 0
            while repeated < len(rows) and not any(_num(c) is not None for c in rows[repeated]) and any(
                    cue in _label("".join(rows[repeated])) for cue in REQUEST_HEADER_CUES):
                repeated += 1
            if repeated < len(rows):
                rows = rows[repeated:]
                first = rows[0]
        label = _label("".join(dict.fromkeys(c for c in first if _num(c) is None)))
        if "requests" in prev_kinds:
            anchor = next(r for r, row in enumerate(prev.rows) if "本年新收政府信息公开申请数量" in _label("".join(row)))
            continues = any(cue in label for cue in REQUEST_ROW_CUES) or any(SUB_ITEM.match(c) for c in first)
        elif "proactive" in prev_kinds:
            anchor = next(r for r, row in enumerate(prev.rows) if row and _label(row[0]) == "信息内容")
            continues = _label(first[0]) in PROACTIVE_ROWS or _label(first[0]).startswith("第二十条")
        else:
            continues = False
        if not continues:
            out.append(grid)
            continue
        cont = Grid(grid.index, rows, grid.page, grid.caption, grid.unit, (grid.row_pages or [grid.page] * len(grid.rows))[len(grid.rows) - len(rows):])
        left_prev, left_next = _label_width(prev, anchor), _label_width(cont)
        if left_prev is None or left_next is None or prev.width - left_prev != cont.width - left_next:
            issues.append({"severity": "warning", "code": "layout_not_recognised", "field_id": None, "source_page": grid.page,
                           "message": f"table {grid.index} on page {grid.page} looks like the continuation of table {prev.index} "
                                      f"but its figure columns do not line up with it ({cont.width - (left_next or 0)} against "
                                      f"{prev.width - (left_prev or 0)}); read on its own"})
            out.append(grid)
            continue
        prev_rows, next_rows = [list(r) for r in prev.rows], [list(r) for r in cont.rows]
        if left_next > left_prev:
            prev_rows = _widen(prev_rows, left_prev, left_next - left_prev)
        elif left_prev > left_next:
            next_rows = _widen(next_rows, left_next, left_prev - left_next)
        pages = (prev.row_pages or [prev.page] * len(prev.rows)) + cont.row_pages
        out[-1] = Grid(prev.index, prev_rows + next_rows, prev.page, prev.caption, prev.unit, pages)
    return out, issues


def read_disclosure_tables(grids: list[Grid]) -> DisclosureTables:
    """Figures of tables 二, 三 and 四 of either template, with the checks as issues."""
    reader = _Reader()
    template, hits = detect_template(grids)
    reader.out.template = template
    grids, merge_issues = _merge_continuations(grids)
    reader.out.issues.extend(merge_issues)
    proactive_seen = False
    for grid in grids:
        kinds = _kinds(grid)
        if "requests" in kinds:
            reader.requests(grid)
        elif "reviews" in kinds:
            reader.reviews(grid)
        if not kinds and any(cue in _label("".join(row)) for row in grid.rows for cue in ("申请人情况", "本年度办理结果", "第二十条第")):
            reader.issue("warning", "layout_not_recognised",
                         f"table {grid.index} (page {grid.page}) looks like part of the 主动公开 or 申请 table "
                         "but has neither its header nor follows it; not read", grid.page)
        if "proactive" in kinds:
            proactive_seen = True
            if template is not None:
                reader.proactive(grid, template)
    if proactive_seen and template is None:
        reader.issue("warning", "template_unknown",
                     "the 主动公开 table uses the wording of neither the 2019–2020 nor the 2021 template "
                     f"(cue cells: 2019 {hits['2019']}, 2021 {hits['2021']}); it is not read")
    # requests received + carried in = handled + carried out
    got = {v["field_id"]: v for v in reader.out.values}
    if all(f in got for f in ("rq_new", "rq_carried_in", "rq_total_handled", "rq_carried_out")):
        left = got["rq_new"]["value"] + got["rq_carried_in"]["value"]
        right = got["rq_total_handled"]["value"] + got["rq_carried_out"]["value"]
        if abs(left - right) > 1e-9:
            reader.issue("warning", "identity_failed",
                         f"requests: 一、本年新收 + 二、上年结转 = {_fmt(left)} but （七）总计 + 四、结转下年度继续办理 = {_fmt(right)}",
                         got["rq_total_handled"]["source_page"], "rq_total_handled")
    return reader.out


# the fields the report's prose part can state (prose.py reads them): items published, requests,
# reviews and lawsuits
PROSE_FIELD_PREFIXES = ("od_items_published", "rq_", "rv_", "lt_")


def merge_prose(table_values: list[dict], prose_values, prose_issues=()) -> tuple[list[dict], list[dict]]:
    """The prose part's figures as a second channel beside the tables: (values to add, issues).

    A field no table states is taken from the prose (method ``prose`` or ``prose_negation`` for
    a zero stated as "未收到…申请"); a field both state with different figures keeps the
    table's and is flagged ``prose_table_disagree`` with both numbers and both places. Prose
    issues (an approximate figure, a conflict within the prose) are passed on for the fields
    the tables leave empty."""
    by_field = {v["field_id"]: v for v in table_values}
    added: list[dict] = []
    issues: list[dict] = []
    for pv in prose_values:
        if not pv.field_id.startswith(PROSE_FIELD_PREFIXES):
            continue
        table = by_field.get(pv.field_id)
        if table is None:
            added.append({"field_id": pv.field_id, "value": pv.value, "unit": pv.unit, "source_page": pv.source_page,
                          "source_text": pv.source_text, "method": pv.method})
        elif abs(float(table["value"]) - float(pv.value)) > 1e-9:
            issues.append({"severity": "warning", "code": "prose_table_disagree", "field_id": pv.field_id,
                           "source_page": pv.source_page,
                           "message": f"{pv.field_id}: the table states {_fmt(float(table['value']))} "
                                      f"(section/page {table['source_page']}: {table['source_text'][:80]}) but the prose states "
                                      f"{_fmt(float(pv.value))} (section/page {pv.source_page}: “{pv.source_text[:80]}”); the table's figure is kept"})
    for pi in prose_issues:
        if pi.field_id and pi.field_id.startswith(PROSE_FIELD_PREFIXES) and pi.field_id not in by_field:
            issues.append({"severity": pi.severity, "code": pi.code, "field_id": pi.field_id, "source_page": pi.source_page,
                           "message": pi.message})
    return added, issues


def extract_disclosure_tables(grids: list[Grid]) -> list[dict]:
    """The figures of the report's tables (see `read_disclosure_tables` for the checks)."""
    return read_disclosure_tables(grids).values
