"""Layout families and wordings of the sample corpus: the catalogue, and which ones are held out.

A *family* is one way real documents are laid out or worded, as listed in
`../shared/spec/real-documents.md` (section numbers in `spec`). Every generated document is
tagged with the families it exhibits: `Built.tag(family_id, ...)` in `corpus/documents.py`.
The truth (`truth/files.jsonl`) carries them as

- `families`: every family the document exhibits (catalogue order, no repeats), and
- `family`: the primary one (the first tagged: for finance documents the code layout of the
  spending tables, for web pages the title/template variant); null for unreadable files.

`HELD_OUT` are families the extractor is *not tuned against*: tests that tune extraction
thresholds (`tests/test_extraction_corpus.py`) judge only documents with no held-out family;
`benchmarks/bench_extraction.py` reports the held-out families apart, so the figure says how
the extractor does on layouts it was not tuned to. This constant is the only list of them.

The catalogue is the generator's own; the extractor must not import it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    id: str
    doc_types: tuple[str, ...]
    spec: str  # the section of real-documents.md it reproduces
    description: str


_FA = ("final_accounts",)
_BU = ("budget",)
_FIN = ("final_accounts", "budget")
_ID = ("info_disclosure",)
_RL = ("rule_of_law",)
_WS = ("work_summary",)
_WEB = ("info_disclosure", "rule_of_law", "work_summary")

FAMILIES: tuple[Family, ...] = (
    # --- 1. codes
    Family("codes_split_columns", _FIN, "1", "codes in split 类 | 款 | 项 columns (201 | 06 | 01)"),
    Family("codes_column", _FIN, "1", "one column of full 3/5/7-digit codes, the name in its own column"),
    Family("codes_in_name", _FIN, "1", "the code in front of the name in one cell"),
    Family("codes_none_ordinals", _FIN, "1", "no codes: class names only, with Chinese ordinals (十九、住房保障支出)"),
    # --- 2. the 合计 row
    Family("total_on_subheader_line", _FIN, "2", "the 合计 row on the same text line as the 类/款/项 sub-header"),
    Family("total_first_and_last", _FA, "2", "合计 first in one table and last in another of the same document"),
    # --- 3. headers
    Family("header_merged_rows", _FIN, "3", "headers over several rows, a merged 项目 over code and name columns"),
    Family("header_wrapped", _FIN, "3", "headers wrapped mid-word (本年支出合\\n计), names wrapped in narrow columns"),
    # --- 4. two-sided summary
    Family("summary_two_sided", _FIN, "4", "two-sided summary table 收入 项目|决算数 ‖ 支出 项目|决算数"),
    Family("summary_all_classes", _FA, "4", "the summary lists 24–26 class lines, blank cells for absent classes"),
    Family("summary_split_by_page", _FA, "4", "the 本年收入合计 / 本年支出合计 / 年末结转和结余 / 总计 rows split off by a page break"),
    # --- 5. distractors of the same shape
    Family("distractor_income_table", _FA, "5", "收入决算表: class rows that are income, not spending"),
    Family("distractor_fiscal_summary", _FA, "5", "财政拨款收入支出决算总表 with its own 总计"),
    Family("distractor_basic_economic", _FA, "5", "basic-expenditure table with economic codes (301, 302, 310) in two side-by-side halves"),
    # --- 6. the 三公 table
    Family("three_public_across", _FA, "6", "三公 table: 预算数 | 决算数 on top, the items below each"),
    Family("three_public_down", _FA, "6", "三公 table: items down the rows, 预算数 / 决算数 columns"),
    Family("three_public_items_top", _FA, "6", "三公 table: items in the top header, 预算数 / 决算数 in a header row below each item"),
    Family("three_public_budget_only", _FA, "6", "三公 table with only the 预算数 cells filled (the 决算 figures in the prose)"),
    Family("blank_table_note", _FA, "6", "a table left blank with a note 本年度没有…故本表无数据"),
    # --- 7. figures stated only in prose
    Family("prose_initial_budget", _FA, "7", "the initial budget only in the prose: 年初预算为X万元，支出决算为Y万元，完成年初预算的Z%"),
    Family("prose_three_public_none", _FA, "7", "三公 stated in the prose as 0.00万元 / 无“三公”经费财政拨款支出"),
    Family("no_staff_paragraph", _FA, "7", "a template with no staffing paragraph"),
    # --- 8. units and number forms
    Family("unit_wan", _FIN, "8", "amounts in 万元"),
    Family("unit_yuan", _FIN, "8", "amounts in 元"),
    Family("unit_mixed", _FA, "8", "a 万元 table inside a 元 document"),
    Family("no_thousands_separator", _FIN, "8", "amounts printed without thousands separators"),
    Family("zero_marks_mixed", _FA, "8", "“0”, “0.00”, “-”, blank and “/” for zero in one document"),
    Family("rounding_between_tables", _FA, "8", "0.01 rounding differences between the summary and the spending table"),
    # --- 9. budgets
    Family("budget_caption_year", _BU, "9", "budget captions with a year prefix (2026年一般公共预算支出功能分类预算表, 财务收支预算总表)"),
    Family("compiler_line", _FIN, "9", "an 编制部门： / 编制单位： line between caption and unit line"),
    # --- 10. pages
    Family("landscape_tables", _FIN, "10", "portrait text and landscape table pages in one file"),
    Family("blank_page", _FIN, "10", "a blank page inside the document"),
    Family("running_heads", _FIN, "10", "running heads and page numbers on every page"),
    Family("table_continued_no_header", _FIN, "10", "a table continued on the next page without repeated headers"),
    Family("table_continued_header", _FIN, "10", "a table continued on the next page with repeated headers"),
    Family("title_wrapped", _FIN, "10", "the title wrapped over two lines"),
    Family("year_spaced", _FIN, "10", "years written with spaces: “2024 年度”"),
    # --- 11. issuers
    Family("issuer_street_office", _FIN, "11", "issued by a street office (the issuing unit is whatever the title says)"),
    # --- 12. defects
    Family("defect_missing_table", _FA, "12", "one standard table missing"),
    Family("defect_caption_split", _FA, "12", "a caption split by another heading"),
    Family("defect_wrong_year_heading", _FA, "12", "a heading with the wrong year"),
    Family("defect_reordered_paragraphs", _FA, "12", "the prose paragraphs in another order"),
    Family("blank_template", _FA, "12", "a blank template with XX placeholders: no figure, issuer unidentified"),
    # --- web pages (disclosure, rule of law, work summaries): the "Web pages" section
    Family("web_title_annual_report", _ID, "web", "title …政府信息公开工作年度报告"),
    Family("web_title_work_report", _ID, "web", "title …年度政府信息公开工作报告 (not a work summary)"),
    Family("web_title_short", _ID, "web", "title …政府信息公开年度报告"),
    Family("web_title_situation", _ID, "web", "title …政府信息公开工作情况报告"),
    Family("web_rol_title_annual", _RL, "web", "title …法治政府建设(年度|情况)报告"),
    Family("web_rol_title_about", _RL, "web", "title 关于…年(度)法治政府建设情况的报告"),
    Family("web_ws_title", _WS, "web", "title …年(度)工作总结"),
    Family("web_issuer_street", _WEB, "web", "issuer printed as …街道 / …街道办事处"),
    Family("web_issuer_street_ban", _WEB, "web", "issuer printed as …街道办"),
    Family("web_issuer_office_no_street", _WEB, "web", "大鹏新区: issuer printed as …办事处 without 街道"),
    Family("web_untitled_page", _WEB, "web", "no title: site name as <title>, menus naming other streets, breadcrumbs, 信息提供日期 … 来源 …, 文件已失效 banner"),
    Family("web_traditional", _WEB, "web", "traditional-Chinese mirror with word substitutions (文件 → 檔案, 信息 → 資訊)"),
    Family("web_inline_tags", _WEB, "web", "figures wrapped in <span>s with a space before the measure word"),
    Family("web_prose_requests", _ID, "web", "request counts restated in prose beside table 三 (新收/受理/核收/收到 … 申请 N 宗/件/个)"),
    Family("web_prose_only_requests", _ID, "web", "request counts in prose only (no table 三): 仍在法定办理期限内, 不予公开, 本机关不掌握"),
    Family("web_negated_zeros", _WEB, "web", "zeros stated as negations (未发生/未收到 … 行政复议、行政诉讼; 无…纠错及…败诉)"),
    Family("web_cumulative_beside_yearly", _ID, "web", "累计公开信息X条（本年新增Y条）: the yearly count is the field"),
    Family("web_word_order", _ID, "web", "共主动公开了N条政府信息 / 主动公开政府信息共N条 / 发布各类信息共N条"),
    Family("web_approximate_beside", _WEB, "web", "an approximate figure beside the exact ones (300多篇, 近150条, 420余次)"),
    Family("web_lookalike_court_times", _RL, "web", "出庭应诉N次 beside the lawsuits in 宗"),
    Family("web_multiplied_units", _WS, "web", "multiplied units: 3.7万处, 1.25万家次, 6.8万人"),
    Family("web_pre2019_layout", _ID, "web", "a 2017/2018 report in the older seven-section layout, figures in prose only"),
)

FAMILY_IDS: tuple[str, ...] = tuple(f.id for f in FAMILIES)
BY_ID: dict[str, Family] = {f.id: f for f in FAMILIES}

# families the extractor is not tuned against (see the module docstring): split code columns and
# the summary table whose total rows are split off by a page break.
HELD_OUT: frozenset[str] = frozenset({"codes_split_columns", "summary_split_by_page"})


# families that only reports about early years have: {family: first year without it}. A sample
# corpus whose years all come later cannot show them (tests/test_corpus.py checks them apart).
BEFORE_YEAR: dict[str, int] = {"web_pre2019_layout": 2019}

# families that only an HTML rendering shows (a PDF or DOCX of the same document does not have them)
HTML_ONLY: frozenset[str] = frozenset({"web_untitled_page", "web_traditional", "web_inline_tags"})


def ordered(families) -> list[str]:
    """Families in catalogue order without repeats; an unknown id is an error (a typo would
    silently drop a document from its family's figures)."""
    unknown = sorted(set(families) - set(BY_ID))
    if unknown:
        raise KeyError(f"unknown corpus families {unknown}: add them to corpus/families.py FAMILIES")
    seen = set(families)
    return [f for f in FAMILY_IDS if f in seen]


def is_held_out(families) -> bool:
    return any(f in HELD_OUT for f in families)
