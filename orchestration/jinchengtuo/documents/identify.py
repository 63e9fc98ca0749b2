"""Identification: what a document is (doc type), when it reports on (year) and who issued it.

Everything is read from the content; folder and file names are hints only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from jinchengtuo.reference.streets import StreetDirectory

if TYPE_CHECKING:
    from jinchengtuo.documents.extract import Block

# document type from the title (first match wins; 决算 before 预算: "预决算" titles are accounts)
DOC_TYPE_CUES = (
    ("info_disclosure", re.compile(r"政府信息公开(工作)?年度报告")),
    ("rule_of_law", re.compile(r"法治(政府)?建设.{0,12}(年度)?报告|法治政府建设")),
    ("final_accounts", re.compile(r"决算")),
    ("budget", re.compile(r"预算")),
    ("work_summary", re.compile(r"工作(总结|报告)|年度总结")),
)
YEAR = re.compile(r"((?:19|20)\d\d)\s*年")


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




# ---------------------------------------------------------------- the issuer, as printed

# '编制单位：上海市普陀区司法局', '预算主管部门：…', '编制部门：…'
_ISSUER_LINE = re.compile(r"(?:编制单位|编制部门|填报单位|预算主管部门|主管部门|部门名称|单位名称)\s*[:：]\s*([^\s:：，,（(]{2,40})")
# a title: the issuer, then the year and the document ('上海市普陀区财政局2024年度部门决算')
_TITLE_ISSUER = re.compile(r"^\s*(?:关于)?([^\s\d:：，,（(]{2,40}?)\s*(?:(?:19|20)\d\d\s*年)")
_UNIT_WORD = re.compile(r"(?:街道办事处|街道办|街道|办事处|人民政府|镇|乡|局|委员会|委|办公室|办|中心|院|所|部|厅|署|会|站|队|处)$")


def issuer_name(blocks: "list[Block]", title: str | None) -> str | None:
    """The issuing unit as the document prints it: an 编制单位 / 预算主管部门 line, else the words
    before the year in the title or the first lines. None when nothing looks like a unit."""
    first = "\n".join(b.text for b in blocks[:2])[:3000]
    m = _ISSUER_LINE.search(first)
    if m and _UNIT_WORD.search(m.group(1)):
        return m.group(1)
    lines = [ln.strip() for ln in ([title] if title else []) + first.splitlines() if ln and ln.strip()]
    for i, line in enumerate(lines[:6]):
        m = _TITLE_ISSUER.match(line)
        if m and _UNIT_WORD.search(m.group(1)):
            return m.group(1)
        # the issuer on a line of its own, the year and the title on the next
        if _UNIT_WORD.search(line) and len(line) <= 40 and i + 1 < len(lines) and re.match(r"\s*(?:19|20)\d\d\s*年", lines[i + 1]):
            return line
    return None
