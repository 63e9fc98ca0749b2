"""A document's verification from its own evidence, where no ground truth exists.

The readers record every identity they test (`finance`: 类 rows = total, basic + project =
total, 三公 parts, the summary's two 总计 sides, 支出表 vs 收支总表, table vs 情况说明). This module adds
checks on the document as a whole — the standard tables its table of contents lists are all
there, its headings name its own year and issuer (no "2023年度" in a 2024 document, no "XX"
placeholder), the prose's "决算数大于/小于预算数" agrees with the two numbers it states, the
prose's 收入支出总计 agrees with the summary table, the information-disclosure requests identity —
and turns them into one result:

- ``verified``: at least one check, none failed;
- ``inconsistent``: at least one check failed (each named with both numbers and places);
- ``unverifiable``: nothing could be checked (a prose document, a table-less page).
"""

from __future__ import annotations

import json
import re

from jinchengtuo.documents.numbers import normalize

VERIFIED, INCONSISTENT, UNVERIFIABLE = "verified", "inconsistent", "unverifiable"

# the standard tables, as a table of contents lists them ("三、支出决算表")
_TOC_TABLE = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]\s*(.{2,40}?(?:决算表|预算表|总表))\s*$")
_DOC_YEAR = re.compile(r"((?:19|20)\d\d)\s*年度?\s*(?:部门|单位)(?:决算|预算)")
_PLACEHOLDER = re.compile(r"(?:[XＸ×]{2,}|某某)(?:局|委|办|街道|镇|乡|单位|部门|区|市)")
_CMP = re.compile(r"年初预算(?:数)?为(?P<b>\d[\d,]*(?:\.\d+)?)万元[,，]?\s*(?:支出)?决算(?:数)?为(?P<a>\d[\d,]*(?:\.\d+)?)万元[。,，;；]?"
                  r"\s*决算数(?P<w>大于|小于|等于|与预算数(?:基本)?持平|与预算数相等)")


def _norm(text: str) -> str:
    return re.sub(r"[\s\u3000\"'“”‘’]", "", normalize(text or ""))




def is_blank_template(blocks: list[tuple[int, str]]) -> str | None:
    """The reason a document is a blank template ('上海市XX局'), or None."""
    head = "\n".join(str(t) for _, t in blocks[:2])[:1500]
    m = _PLACEHOLDER.search(_norm(head))
    return f"a blank template: the issuer is a placeholder ({m.group(0)!r})" if m else None


def document_checks(doc_type: str, blocks: list[tuple[int, str]], captions: list[str], year: int | None,
                    values: list[dict]) -> list[dict]:
    """Checks on the whole document (see the module docstring)."""
    checks: list[dict] = []

    def record(check, passed, detail, page=None):
        checks.append({"check": check, "passed": bool(passed), "detail": detail, "source_page": page})

    if doc_type in ("final_accounts", "budget"):
        have = {_norm(c) for c in captions if c}
        listed: dict[str, int] = {}
        for page, text in blocks[:4]:
            for line in str(text).splitlines():
                m = _TOC_TABLE.match(normalize(line))
                if m:
                    listed.setdefault(_norm(m.group(1)), page)
        if listed:
            # a caption is the listed name, maybe behind a year or the issuer ('2026年部门支出预算总表'),
            # never behind more table words ('一般公共预算财政拨款支出决算表' is not '支出决算表')
            # and a table of the kinds the reader knows under any of its names ('部门收支决算总表' is the
            # '收入支出决算总表' of another province's template)
            from jinchengtuo.documents.finance import classify

            kinds = {classify(doc_type, h, []) for h in have} - {None}
            def present(name: str) -> bool:
                if any(h == name or (h.endswith(name) and re.search(r"(?:年|年度|\)|\d)$", h[: -len(name)])) for h in have):
                    return True
                kind = classify(doc_type, name, [])
                return kind is not None and kind in kinds

            missing = [name for name in listed if not present(name)]
            record("standard_tables_present", not missing,
                   f"the table of contents lists {len(listed)} tables; " + (f"not found: {', '.join(missing)}" if missing else "all found"),
                   next(iter(listed.values())))
        if year is not None:
            wrong: list[tuple[int, str]] = []
            for page, text in blocks:
                for line in str(text).splitlines():
                    n = _norm(line)
                    if len(n) > 60:
                        continue  # a heading, not a sentence
                    for y in _DOC_YEAR.findall(n):
                        if int(y) != year:
                            wrong.append((page, n))
            record("headings_name_the_year", not wrong,
                   f"headings name {year}" if not wrong else "; ".join(f"page {p}: “{t}”" for p, t in wrong[:3]) + f" (the document reports on {year})",
                   wrong[0][0] if wrong else None)
        placeholders = [(p, m.group(0)) for p, t in blocks for m in [_PLACEHOLDER.search(_norm(str(t)))] if m]
        record("no_placeholders", not placeholders,
               "no placeholder in the text" if not placeholders else "; ".join(f"page {p}: {t!r}" for p, t in placeholders[:3]),
               placeholders[0][0] if placeholders else None)
        for page, text in blocks:
            joined = _norm(str(text))  # line breaks go with the white space: wrapped lines are joined
            for m in _CMP.finditer(joined):
                b, a = float(m.group("b").replace(",", "")), float(m.group("a").replace(",", ""))
                said = m.group("w")
                truth = "大于" if a > b + 1e-9 else "小于" if a < b - 1e-9 else "等于"
                ok = said == truth or (truth == "等于" and "持平" in said or "相等" in said) or (
                    "持平" in said and abs(a - b) <= 0.02 * max(b, 1))
                record("prose_comparison_wording", ok, f"page {page}: 年初预算 {b:g} 万元, 决算 {a:g} 万元, the text says 决算数{said}预算数", page)
    if doc_type == "info_disclosure":
        got = {v["field_id"]: v["value"] for v in values}
        if all(f in got for f in ("rq_new", "rq_carried_in", "rq_total_handled", "rq_carried_out")):
            left, right = got["rq_new"] + got["rq_carried_in"], got["rq_total_handled"] + got["rq_carried_out"]
            record("requests_identity", abs(left - right) < 1e-9,
                   f"新收 + 上年结转 = {left:g}; 办理结果总计 + 结转下年度 = {right:g}")
    return checks


def summarise(checks: list[dict], issues: list[dict], *, reader_recorded: bool) -> tuple[str, int, int, str]:
    """(verification, checks passed, checks failed, detail as JSON). A reader that does not record
    its checks (information disclosure, prose) reports a failed identity only as an issue (code
    identity_failed): those count as failed checks."""
    detail = [{"check": c["check"], "passed": c["passed"], "detail": c["detail"], "source_page": c.get("source_page")} for c in checks]
    for i in issues:
        if not reader_recorded and i.get("code") in ("identity_failed", "table_prose_disagree"):
            detail.append({"check": i["code"], "passed": False, "detail": i["message"], "source_page": i.get("source_page")})
    passed = sum(1 for d in detail if d["passed"])
    failed = sum(1 for d in detail if not d["passed"])
    status = INCONSISTENT if failed else VERIFIED if passed else UNVERIFIABLE
    return status, passed, failed, json.dumps(detail, ensure_ascii=False)
