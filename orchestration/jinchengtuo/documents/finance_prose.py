"""The prose part of final accounts and budgets (情况说明): a second, independent reading of figures.

The national template's 第三部分 情况说明 restates most table totals in sentences such as
"本年支出合计2940.05万元，其中：基本支出2336.91万元，占79.49%；项目支出603.14万元" or
"一般公共预算财政拨款支出年初预算为2993.92万元，支出决算为2940.05万元，完成年初预算的98.20%",
and states some figures nowhere else (the initial budget, a 三公 table left blank: "无“三公”经费
财政拨款支出"). `read_finance_prose` returns, per field, the first statement found, with its page
and sentence. `extract_finance` fills a field from it when no table states it, and compares it
with the table otherwise (a disagreement is flagged with both numbers and places).

The rules are data (`RULES`): one entry per field and wording, a regular expression over the
normalised text (full-width forms to ASCII, quotes and spaces removed, lines wrapped by the
layout joined) whose group `v` is the number and `u` its unit. Zero statements ("无…支出") are
`ZERO_RULES`. A sentence about another year (上年, 2023年度 when the document is 2024) is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jinchengtuo.documents.finance import flat


NUM = r"(?P<v>\d+(?:,\d{3})*(?:\.\d+)?)(?P<u>万元|元)"
_ANY = r"[^。；;]{0,%d}?"

# (field_id, doc_type, pattern): first match of the first rule of a field wins
RULES: tuple[tuple[str, str, str], ...] = (
    ("fa_total_expenditure", "final_accounts", r"本年支出合计(?:为|是)?" + NUM),
    ("fa_basic_expenditure", "final_accounts", r"本年支出合计(?:为|是)?\d[\d,.]*(?:万元|元)[,，]?其中[:：]?" + _ANY % 20 + r"基本支出(?:为)?" + NUM),
    ("fa_project_expenditure", "final_accounts", r"本年支出合计(?:为|是)?\d[\d,.]*(?:万元|元)" + _ANY % 80 + r"项目支出(?:为)?" + NUM),
    ("fa_gpb_initial_budget", "final_accounts", r"一般公共预算财政拨款支出(?:的)?年初预算(?:数)?(?:为|是)?" + NUM),
    ("fa_gpb_expenditure", "final_accounts", r"一般公共预算财政拨款支出(?:的)?年初预算(?:数)?(?:为|是)?\d[\d,.]*(?:万元|元)[,，]?(?:支出)?决算(?:数)?(?:为|是)?" + NUM),
    ("fa_gpb_expenditure", "final_accounts", r"(?<!年初预算)一般公共预算财政拨款支出(?:决算)?(?:为|是)?" + NUM),
    ("fa_three_public_total", "final_accounts", r"三公经费(?:财政拨款)?支出(?:年初预算(?:数)?为\d[\d,.]*(?:万元|元)[,，]?)?(?:支出)?决算(?:数)?(?:为|是)?" + NUM),
    ("fa_three_public_total", "final_accounts", r"三公经费(?:财政拨款)?支出(?:合计|总额)?(?:为|是|共)?" + NUM),
    ("fa_three_public_travel", "final_accounts", r"因公出国\(境\)(?:费用|费)(?:支出)?(?:决算(?:数)?)?(?:为|是)?" + NUM),
    ("fa_three_public_vehicles", "final_accounts", r"公务用车购置及运行(?:维护)?(?:费用|费)(?:支出)?(?:决算(?:数)?)?(?:为|是)?" + NUM),
    ("fa_three_public_reception", "final_accounts", r"公务接待(?:费用|费)(?:支出)?(?:决算(?:数)?)?(?:为|是)?" + NUM),
    ("bu_three_public_total", "budget", r"三公经费(?:财政拨款)?预算(?:数)?(?:合计)?(?:为|是)?" + NUM),
)

# a statement that there was none: a 0 for the fields it names, and only those
ZERO_RULES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("fa_three_public_total", "fa_three_public_travel", "fa_three_public_vehicles", "fa_three_public_reception"),
     "final_accounts", r"(?:无|没有|未发生)三公经费(?:财政拨款)?(?:支出|开支)"),
    (("fa_three_public_travel",), "final_accounts", r"(?:无|没有|未发生)因公出国\(境\)(?:费用|费)?(?:支出)?"),
    (("fa_three_public_reception",), "final_accounts", r"(?:无|没有|未发生)公务接待(?:费用|费)?(?:支出)?"),
)

# another period than the document's: skip the clause
_OTHER_PERIOD = re.compile(r"上年|去年|上一年|同期|上年度|比上年|较上年|与上年")
_YEAR = re.compile(r"((?:19|20)\d\d)年")


@dataclass
class ProseFigure:
    field_id: str
    value: float  # 万元
    page: int
    text: str  # the sentence, as printed (wrapped lines joined)
    place: str = "情况说明"




def _sentences(text: str):
    for m in re.finditer(r"[^。；;!?！？\n]+", text):
        yield m.group(0)


def _about_other_year(before: str, year: int | None) -> bool:
    if _OTHER_PERIOD.search(before):
        return True
    return year is not None and any(int(y) != year for y in _YEAR.findall(before))


def read_finance_prose(doc_type: str, blocks: list[tuple[int, str]], *, year: int | None = None) -> dict[str, ProseFigure]:
    """The figures the prose states, per field: the first statement found (money in 万元)."""
    found: dict[str, ProseFigure] = {}
    rules = [(f, re.compile(p)) for f, d, p in RULES if d == doc_type]
    zeros = [(fs, re.compile(p)) for fs, d, p in ZERO_RULES if d == doc_type]
    for page, text in blocks:
        for sentence in _sentences(flat(str(text))):
            for field_id, rx in rules:
                if field_id in found:
                    continue
                for m in rx.finditer(sentence):
                    clause_start = max(sentence.rfind(ch, 0, m.start()) for ch in ",，") + 1
                    if _about_other_year(sentence[clause_start:m.start()] + m.group(0)[: m.start("v") - m.start()], year):
                        continue
                    v = float(m.group("v").replace(",", ""))
                    if m.group("u") == "元":
                        v = v / 10_000
                    found[field_id] = ProseFigure(field_id, v, page, sentence[:500])
                    break
            for fields, rx in zeros:
                m = rx.search(sentence)
                if m and not _about_other_year(sentence[: m.start()], year):
                    for f in fields:
                        found.setdefault(f, ProseFigure(f, 0.0, page, sentence[:500]))
    return found
