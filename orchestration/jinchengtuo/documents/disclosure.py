"""Tables of the government-information-disclosure annual report (政府信息公开工作年度报告),
2021 template (国办公开办函〔2021〕30号), from HTML.

HTML tables are expanded into grids (rowspan and colspan repeated into every cell they cover),
rows are found by their labels, not by position, and the 总计 column by its header:
- 二 主动公开: 行政规范性文件 本年制发件数 / 现行有效件数, 行政许可, 行政处罚, 行政强制 (本年处理决定数量),
  行政事业性收费 (本年收费金额, 万元);
- 三 依申请公开: new and carried-in requests, results, total, carried out (总计 column);
- 四 复议诉讼: 行政复议 (结果纠正, 总计), 行政诉讼 未经复议直接起诉 + 复议后起诉 (结果纠正, 总计).
The 2019–2020 template is not read here yet (its requests table is laid out differently).
"""

from __future__ import annotations

import re
from jinchengtuo.documents.grids import Grid, html_grids
from jinchengtuo.documents.numbers import NumberParseError, parse_number

LABEL_NOISE = re.compile(r"[\s\u3000（）()、.．:：]")


def _label(text: str) -> str:
    return LABEL_NOISE.sub("", text)


def _num(text: str) -> float | None:
    try:
        parsed = parse_number(text)
    except (NumberParseError, ValueError, TypeError):
        return None
    if parsed is None:
        return None
    return float(getattr(parsed, "value", parsed))


def _row_numbers(row: list[str]) -> list[float | None]:
    return [_num(c) for c in row]


def _find_row(grid: Grid, *cues: str) -> list[str] | None:
    for row in grid.rows:
        head = _label("".join(dict.fromkeys(row[:3])))
        if all(c in head for c in cues):
            return row
    return None


def _last_number(row: list[str]) -> float | None:
    nums = [n for n in _row_numbers(row) if n is not None]
    return nums[-1] if nums else None


def extract_disclosure_tables(soup, page_of_table: dict[int, int] | None = None) -> list[dict]:
    """Figures of the 2021 template's tables, each with its table row as source text."""
    out: list[dict] = []
    page_of_table = page_of_table or {}

    def add(field_id, value, unit, grid, row):
        if value is not None:
            text = " | ".join(dict.fromkeys(c for c in row if c))
            out.append({"field_id": field_id, "value": value, "unit": unit, "source_page": page_of_table.get(grid.index, 1),
                        "source_text": f"表{grid.index}: {text}"[:500], "method": "table"})

    for grid in html_grids(soup):
        flat = _label("".join(c for row in grid.rows[:3] for c in row))
        if "本年新收政府信息公开申请数量" in _label("".join(c for row in grid.rows for c in row[:3])):
            add("rq_new", _last_number(_find_row(grid, "本年新收") or []), "件", grid, _find_row(grid, "本年新收") or [])
            add("rq_carried_in", _last_number(_find_row(grid, "上年结转") or []), "件", grid, _find_row(grid, "上年结转") or [])
            # result rows carry their label in the first cells: （一）予以公开, （二）部分公开, （三）不予公开 1.…8.
            for field_id, cue in (("rq_granted", "予以公开"), ("rq_partly", "部分公开"), ("rq_denied", "不予公开"), ("rq_unavailable", "无法提供")):
                rows = [r for r in grid.rows if cue in _label("".join(dict.fromkeys(r[:3])))]
                values = [_last_number(r) for r in rows]
                if rows and all(v is not None for v in values):
                    add(field_id, sum(values), "件", grid, rows[0])
            total = _find_row(grid, "总计")
            if total is not None and "本年新收" not in _label("".join(total[:3])):
                add("rq_total_handled", _last_number(total), "件", grid, total)
            out_row = _find_row(grid, "结转下年度")
            add("rq_carried_out", _last_number(out_row or []), "件", grid, out_row or [])
        elif "行政复议" in flat and "行政诉讼" in flat:
            data = next((r for r in grid.rows if sum(n is not None for n in _row_numbers(r)) >= 10), None)
            if data is None:
                continue
            nums = _row_numbers(data)
            if len(nums) >= 15 and all(n is not None for n in nums[:15]):
                add("rv_corrected", nums[1], "件", grid, data)
                add("rv_total", nums[4], "件", grid, data)
                add("lt_corrected", nums[6] + nums[11], "件", grid, data)
                add("lt_total", nums[9] + nums[14], "件", grid, data)
        elif "行政规范性文件" in _label("".join(c for r in grid.rows for c in r)) or "行政许可" in _label("".join(c for r in grid.rows for c in r)):
            header = next((r for r in grid.rows if any("本年制发" in _label(c) for c in r)), None)
            docs = _find_row(grid, "行政规范性文件")
            if header is not None and docs is not None:
                for field_id, cue in (("od_regdocs_issued", "本年制发"), ("od_regdocs_valid", "现行有效")):
                    col = next((i for i, c in enumerate(header) if cue in _label(c)), None)
                    if col is not None and col < len(docs):
                        add(field_id, _num(docs[col]), "件", grid, docs)
            for field_id, cue in (("od_permits", "行政许可"), ("od_penalties", "行政处罚"), ("od_coercion", "行政强制")):
                row = _find_row(grid, cue)
                if row is not None:
                    add(field_id, _last_number(row), "件", grid, row)
            fees = _find_row(grid, "行政事业性收费")
            if fees is not None:
                add("od_fees", _last_number(fees), "万元", grid, fees)
    return out
