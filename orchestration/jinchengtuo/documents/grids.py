"""Tables of a document as rectangular grids of cell texts, whatever the file format.

Every reader turns its tables into `Grid`s (spanned cells repeated into every cell they cover),
so the table extractors (final accounts, budgets, information disclosure) never depend on the
format: HTML here (`html_grids`), PDF from words and their positions (`pdf_grids`, in
`documents.pdf_tables`), DOCX from its table XML (`docx_grids`).

`caption` is the text just above the table (its title, e.g. 支出决算表) and `unit` the unit the
table declares (单位：元 → '元'), None when it declares none. `row_pages` gives the page (PDF) or
section (HTML) of every row, so a figure keeps its provenance when a table runs across pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jinchengtuo.documents.numbers import unit_from_header


@dataclass
class Grid:
    index: int  # 1-based table number in the document
    rows: list[list[str]]
    page: int = 1  # page (PDF) or section (HTML) where the table starts
    caption: str = ""
    unit: str | None = None
    row_pages: list[int] = field(default_factory=list)

    def page_of(self, row_index: int) -> int:
        return self.row_pages[row_index] if 0 <= row_index < len(self.row_pages) else self.page

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


CAPTION_HINT = re.compile(r"表|情况|明细|单位")
# the line naming the issuing body between a caption and its unit line ('编制单位：…', '编制部门：…'):
# it holds 单位 but is no caption
META_LINE = re.compile(r"^\s*(?:编制单位|编制部门|填报单位|预算主管部门|主管部门|部门名称|单位名称|预算单位)\s*[:：]")


def is_caption(line: str) -> bool:
    return bool(CAPTION_HINT.search(line)) and not META_LINE.match(line)


def is_data_table(table) -> bool:
    """A table of figures, not a page-layout table: it holds no other table. Government sites
    often lay the whole page out in a table; the report's tables are nested inside it."""
    return table.find("table") is None


def data_tables(soup) -> list:
    """The document's data tables in document order (see `is_data_table`)."""
    return [t for t in soup.find_all("table") if is_data_table(t)]


def _text_before(table, limit: int = 3) -> list[str]:
    """Up to `limit` non-empty text lines just before an HTML table (nearest last)."""
    lines: list[str] = []
    for sib in table.find_all_previous(string=True, limit=60):
        parent = sib.parent
        holder = parent.find_parent("table") if parent is not None else None
        if holder is not None and is_data_table(holder):
            break  # reached the previous table (a page-layout table around everything does not count)
        text = " ".join(str(sib).split())
        if text:
            lines.append(text)
        if len(lines) >= limit:
            break
    return list(reversed(lines))


def html_grids(soup, table_sections: dict[int, int] | None = None) -> list[Grid]:
    """Every data table (see `data_tables`) as a rectangular grid, spans repeated into the cells they cover."""
    grids = []
    table_sections = table_sections or {}
    tables = data_tables(soup)
    for t_index, table in enumerate(tables, start=1):
        rows: list[list[str]] = []
        pending: dict[tuple[int, int], str] = {}
        for r, tr in enumerate(table.find_all("tr")):
            row: list[str] = []
            c = 0
            for cell in tr.find_all(["td", "th"], recursive=False):
                while (r, c) in pending:
                    row.append(pending.pop((r, c)))
                    c += 1
                text = cell.get_text(" ", strip=True)
                try:
                    rs = max(1, min(int(cell.get("rowspan", 1) or 1), 500))
                    cs = max(1, min(int(cell.get("colspan", 1) or 1), 100))
                except ValueError:
                    rs = cs = 1
                for dc in range(cs):
                    row.append(text)
                    for dr in range(1, rs):
                        pending[(r + dr, c + dc)] = text
                c += cs
            while (r, c) in pending:
                row.append(pending.pop((r, c)))
                c += 1
            rows.append(row)
        if not rows:
            continue
        width = max(len(r) for r in rows)
        before = _text_before(table)
        caption = next((ln for ln in reversed(before) if is_caption(ln) and not unit_from_header(ln)),
                       next((ln for ln in reversed(before) if not META_LINE.match(ln)), ""))
        unit = None
        for ln in reversed(before):
            unit = unit_from_header(ln)
            if unit:
                break
        if unit is None:  # a unit stated in the table's first row
            unit = unit_from_header(" ".join(rows[0]))
        section = table_sections.get(t_index, 1)
        grids.append(Grid(t_index, [r + [""] * (width - len(r)) for r in rows], section, caption, unit, [section] * len(rows)))
    return grids
