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

# document type from the title (first match wins; 决算 before 预算: "预决算" titles are accounts).
# Text is simplified Chinese by the time it gets here (the readers convert 繁體 pages).
# Disclosure titles: …政府信息公开工作年度报告, …年度政府信息公开工作报告 (not a work summary),
# …政府信息公开年度报告, …政府信息公开工作情况报告, …政府信息公开情况报告
DOC_TYPE_CUES = (
    ("info_disclosure", re.compile(r"政府信息公开\s*(?:工作)?\s*(?:年度|情况)?\s*(?:工作)?\s*(?:情况)?\s*报告")),
    ("rule_of_law", re.compile(r"法治(政府)?建设.{0,12}(年度)?报告|法治政府建设")),
    ("final_accounts", re.compile(r"决算")),
    ("budget", re.compile(r"预算")),
    ("work_summary", re.compile(r"工作(总结|报告)|年度总结")),
)
# a page without a title: the type from the body's own words (first match wins)
BODY_TYPE_CUES = (
    ("info_disclosure", re.compile(r"本年新收政府信息公开申请数量|本报告[^。]{0,40}政府信息公开条例|政府信息公开条例[^。]{0,40}(?:编制|要求)[^。]{0,10}本报告"
                                   r"|(?:编制|发布)[^。]{0,20}政府信息公开[^。]{0,6}(?:年度)?报告")),
    ("rule_of_law", re.compile(r"法治政府建设[^。]{0,20}(?:报告如下|情况报告|年度报告)|推进法治政府建设[^。]{0,30}(?:情况|工作)")),
    ("work_summary", re.compile(r"(?:总结如下|工作总结|现将[^。]{0,20}总结)")),
)
YEAR = re.compile(r"((?:19|20)\d\d)\s*年")
# a year that is the one reported on: before 年度 / 年 and a report word of the title
# ('2022年度政府信息公开工作报告', '关于2017年度法治政府建设情况的报告', '2025年工作总结')
_REPORTED_YEAR = re.compile(r"((?:19|20)\d\d)\s*年\s*度?(?![\d一二三四五六七八九十]{1,2}\s*月)[^\n。；;]{0,40}?(?:报告|总结|报表|决算|预算|情况)")
# the statistics period of a disclosure report: '统计期限自2022年1月1日起至2022年12月31日止'
_PERIOD = re.compile(r"(?:统计期限|统计时限|统计期间|统计时间)[^。]{0,6}?((?:19|20)\d\d)\s*年\s*1\s*月\s*1\s*日")
# dates are not report years: '信息提供日期：2023年01月20日', '2026年2月发布'
_DATE = re.compile(r"(?:19|20)\d\d\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}")


def report_year(head: str, body: str = "") -> int | None:
    """The year a document reports on. From the head (title and first lines): the year before
    its report words, else its first year that is not a date; from the body (a page without a
    title): the disclosure report's statistics period, a reported-year phrase, else the year it
    names most often outside dates (the earliest on a tie). Publication dates never count: a
    report about 2025 published in early 2026 is a 2025 report."""
    m = _REPORTED_YEAR.search(head)
    if m:
        return int(m.group(1))
    years = [int(y) for y in YEAR.findall(_DATE.sub(" ", head))]
    if years:
        return years[0]
    if not body:
        return None
    m = _PERIOD.search(body)
    if m:
        return int(m.group(1))
    text = _DATE.sub(" ", body)
    m = _REPORTED_YEAR.search(text[:3000])
    if m:
        return int(m.group(1))
    counts: dict[int, int] = {}
    for y in YEAR.findall(text):
        counts[int(y)] = counts.get(int(y), 0) + 1
    return max(counts, key=lambda y: (counts[y], -y)) if counts else None


def doc_type_of(head: str, body: str = "") -> str | None:
    """The document type from the head's title cues, else from the body's own words."""
    found = next((t for t, cue in DOC_TYPE_CUES if cue.search(head)), None)
    if found is None and body:
        found = next((t for t, cue in BODY_TYPE_CUES if cue.search(body[:6000])), None)
    return found


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
    body = "\n".join(b.text for b in blocks[:6])
    doc_type = doc_type_of(head, body)
    mentions = streets.find_mentions(head) or streets.find_mentions(first[:3000])
    street = mentions[0][2] if mentions else None
    year = report_year(head, body)
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
