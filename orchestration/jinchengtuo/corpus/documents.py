"""The documents of one street-year, as abstract `Doc`s with the figures each one states.

Every builder returns a `Built`: the document (headings, paragraphs, tables) and `values`, the
figures of fields.csv the document states, in the field's unit (money in 万元, rates in %), as
written (a count written 1.2万 is 12000). Layouts vary by document: codes in their own column
or in front of the name, 万元 or 元 tables, extra empty columns, the 三公 table across or down,
the 2019 and 2021 templates of the information-disclosure report, several phrasings of every
sentence, and distractors next to the real figures (last year's figure, the district's figure,
next year's plan).

The wording is the generator's own (written after real street documents); the extractor must
not import anything from here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from jinchengtuo.corpus.families import BY_ID
from jinchengtuo.corpus.model import (
    CLASSES,
    NATIONAL_CLASSES,
    DENIED_SUB,
    NOT_PROCESSED_SUB,
    OTHER_SUB,
    UNAVAILABLE_SUB,
    StreetYear,
    round100,
    wan,
)
from jinchengtuo.corpus.render import Cell, Doc, PageBreak, Table
from jinchengtuo.corpus.wording import Writer, money, street_name, wan_text

C = Cell


@dataclass
class Built:
    doc_type: str
    doc: Doc
    values: dict[str, float] = field(default_factory=dict)
    name_used: str = ""
    families: list[str] = field(default_factory=list)  # layout families (corpus/families.py), primary first

    def tag(self, *families: str) -> None:
        """Record that the document exhibits these families (ids of corpus/families.py)."""
        for f in families:
            if f not in BY_ID:
                raise KeyError(f"unknown corpus family {f!r}: add it to corpus/families.py FAMILIES")
            if f not in self.families:
                self.families.append(f)


def _money_unit(r: random.Random) -> str:
    return "元" if r.random() < 0.4 else "万元"


def _pct_change(now: float, before: float) -> float:
    return round((now - before) / before * 100, 2) if before else 0.0


def _published(year: int, month: int, r: random.Random) -> str:
    return f"{year}-{month:02d}-{r.randint(1, 28):02d}"


# ----------------------------------------------------------------------- final accounts
ZERO_MARKS = ("", "-", "0", "0.00", "/")
PORTRAIT_W, LANDSCAPE_W = 515.0, 762.0  # usable table width (points) on A4 pages
PORTRAIT_H, LANDSCAPE_H = 752.0, 505.0  # usable frame height


class Fmt:
    """How one table writes amounts: unit, separators, decimals in 元, the mark for zero."""

    def __init__(self, unit: str, thousands: bool = True, yuan_decimals: bool = False, zero: str = ""):
        self.unit, self.thousands, self.yuan_decimals, self.zero = unit, thousands, yuan_decimals, zero

    def __call__(self, yuan: int, zero: str | None = None) -> str:
        mark = self.zero if zero is None else zero
        if yuan == 0 and mark != "0":
            return mark if mark != "0.00" or self.unit == "万元" or self.yuan_decimals else "0"
        if self.unit == "元" and self.yuan_decimals:
            return f"{yuan:,.2f}" if self.thousands else f"{yuan:.2f}"
        return money(yuan, self.unit, thousands=self.thousands)

    def other_unit(self) -> Fmt:
        return Fmt("万元" if self.unit == "元" else "元", self.thousands, self.yuan_decimals, self.zero)


def _ordinal(i: int) -> str:
    from jinchengtuo.corpus.wording import chinese_int

    return chinese_int(i) + "、"


def _national_classes(year: int, r: random.Random) -> list[tuple[str, str]]:
    """The class lines of a national-template summary: 26 since 2020, 25 before, one fewer in some."""
    out = [c for c in NATIONAL_CLASSES if c[0] != "234" or year >= 2020]
    if r.random() < 0.3:
        out = [c for c in out if c[0] != "223"]  # some provinces' templates leave this line out
    return out


def _wraps(texts: list[str], rel: list[float], page_w: float, fs: float = 8.0) -> bool:
    """True when one of `texts` (one per column) is wider than its column on the page."""
    from jinchengtuo.corpus.render import _text_width

    total = sum(rel)
    return any(t and _text_width(t, fs) > page_w * w / total - 6 for t, w in zip(texts, rel))


def _continued(n_rows: int, landscape: bool) -> bool:
    """True when a table of `n_rows` one-line rows cannot fit on the page it starts on."""
    return n_rows * 14.5 > (LANDSCAPE_H if landscape else PORTRAIT_H) - 40


def _spend_table(sy: StreetYear, layout: str, heads: list[str], what: tuple, f: Fmt, *, total_pos: str = "first",
                 total_on_subheader: bool = False, slip: dict[str, int] | None = None, class_names=None,
                 wrapped: bool = False) -> tuple[list[list], int, list[float], int]:
    """A 类/款/项 spending-shaped table: (rows, header_rows, relative widths, numeric_from).

    `layout`: split (类|款|项 columns), column (one code column), in_name (code in the name cell),
    none (class rows only, names with their national ordinal). `what`: per amount column an Item
    attribute or a callable of the item. `slip`: a published error in one class row (元)."""

    def amounts(items, delta: int = 0) -> list[str]:
        out = []
        for i, w in enumerate(what):
            total = sum(w(it) if callable(w) else getattr(it, w) for it in items) + (delta if i == 0 else 0)
            out.append(f(total))
        return out

    ordinals = {code: _ordinal(i + 1) for i, (code, _) in enumerate(class_names or NATIONAL_CLASSES)}
    nh = len(heads)
    body: list[list] = []
    for code in sorted({it.class_code for it in sy.items}):
        cls_items = [it for it in sy.items if it.class_code == code]
        name = CLASSES[code][0]
        delta = (slip or {}).get(code, 0)
        if layout == "split":
            body.append([code, "", "", name, *amounts(cls_items, delta)])
        elif layout == "column":
            body.append([code, name, *amounts(cls_items, delta)])
        elif layout == "in_name":
            body.append([f"{code}{' ' if len(body) % 3 else ''}{name}", *amounts(cls_items, delta)])
        else:
            body.append([f"{ordinals[code]}{name}", *amounts(cls_items, delta)])
            continue
        for kuan in sorted({it.kuan_code for it in cls_items}):
            k_items = [it for it in cls_items if it.kuan_code == kuan]
            kname = k_items[0].kuan_name
            if layout == "split":
                body.append([code, kuan[3:5], "", kname, *amounts(k_items)])
            elif layout == "column":
                body.append([kuan, f"  {kname}", *amounts(k_items)])
            else:
                body.append([f"  {kuan} {kname}", *amounts(k_items)])
            for it in k_items:
                if layout == "split":
                    body.append([code, kuan[3:5], it.code[5:7], it.name, *amounts([it])])
                elif layout == "column":
                    body.append([it.code, f"    {it.name}", *amounts([it])])
                else:
                    body.append([f"    {it.code} {it.name}", *amounts([it])])
    total_amounts = amounts(sy.items)
    if layout == "split":
        name_w = 1.7 if wrapped else 3.4
        num_w = 1.05 if wrapped else 1.5
        widths = [0.5, 0.45, 0.45, name_w] + [num_w] * nh
        numeric_from = 4
        if total_on_subheader:
            header = [[C("项目", colspan=4), *[C(h, rowspan=2) for h in heads]],
                      [C("支出功能分类科目编码", colspan=3), "科目名称"],
                      ["类", "款", "项", C("合计", align="center"), *total_amounts]]
            return header + body, 2, widths, numeric_from
        header = [[C("项目", colspan=4), *[C(h, rowspan=3) for h in heads]],
                  [C("支出功能分类科目编码", colspan=3), C("科目名称", rowspan=2)],
                  ["类", "款", "项"]]
        total_row = [C("合计", colspan=4, align="center"), *total_amounts]
    elif layout == "column":
        header = [[C("项目", colspan=2), *[C(h, rowspan=2) for h in heads]], ["科目编码", "科目名称"]]
        total_row = [C("合计", colspan=2, align="center"), *total_amounts]
        widths = [1.2, 2.4 if wrapped else 4.0] + [1.05 if wrapped else 1.5] * nh
        numeric_from = 2
    else:
        header = [["项目（科目编码及名称）" if layout == "in_name" else "项目", *heads]]
        total_row = [C("合计", align="center"), *total_amounts]
        widths = [3.0 if wrapped else 5.0] + [1.05 if wrapped else 1.5] * nh
        numeric_from = 1
    rows = header + ([total_row] + body if total_pos == "first" else body + [total_row])
    return rows, len(header), widths, numeric_from


def _staff_paragraph(sy: StreetYear, name: str, r: random.Random) -> tuple[str, dict[str, float]]:
    s = sy.staff
    prev_actual = max(1, s["actual"] + r.choice([-3, -2, -1, 1, 2, 4]))
    v = r.randrange(4)
    if v == 0:
        text = (f"{name}核定编制{s['posts']}名，其中行政编制{s['adm']}名、事业编制{s['inst']}名；"
                f"年末实有人数{s['actual']}人（上年末为{prev_actual}人）。另有编外聘用人员{s['contract']}名。")
    elif v == 1:
        text = (f"本单位行政编制{s['adm']}名，事业编制{s['inst']}名；截至{sy.year}年12月31日，在职在编人员{s['actual']}人；"
                f"通过政府购买服务方式聘用的编外人员{s['contract']}人。")
    elif v == 2:
        text = (f"人员构成：编制数{s['posts']}人，实有人数{s['actual']}人；聘员{s['contract']}人；"
                f"离退休人员{s['retired']}人（由社保统一管理）。")
    else:
        text = (f"{sy.year}年末，{name}共有编制{s['posts']}个（行政编制{s['adm']}个、事业编制{s['inst']}个），"
                f"年末在职人数{s['actual']}人，比上年增加{abs(s['actual'] - prev_actual)}人；临聘人员{s['contract']}名。")
    return text, {"fa_authorized_posts": s["posts"], "fa_actual_staff": s["actual"], "fa_contract_staff": s["contract"]}


ECONOMIC = {  # economic classification of basic spending: group -> (name, personnel?, [(code, name)])
    "301": ("工资福利支出", True, [("30101", "基本工资"), ("30102", "津贴补贴"), ("30103", "奖金"), ("30107", "绩效工资"),
                              ("30108", "机关事业单位基本养老保险缴费"), ("30109", "职业年金缴费"),
                              ("30110", "职工基本医疗保险缴费"), ("30113", "住房公积金"), ("30199", "其他工资福利支出")]),
    "303": ("对个人和家庭的补助", True, [("30302", "退休费"), ("30305", "生活补助"), ("30399", "其他对个人和家庭的补助")]),
    "302": ("商品和服务支出", False, [("30201", "办公费"), ("30205", "水费"), ("30206", "电费"), ("30207", "邮电费"),
                               ("30211", "差旅费"), ("30213", "维修（护）费"), ("30215", "会议费"), ("30216", "培训费"),
                               ("30217", "公务接待费"), ("30226", "劳务费"), ("30228", "工会经费"), ("30229", "福利费"),
                               ("30231", "公务用车运行维护费"), ("30239", "其他交通费用"), ("30299", "其他商品和服务支出")]),
    "310": ("资本性支出", False, [("31002", "办公设备购置"), ("31007", "信息网络及软件购置更新"), ("31013", "公务用车购置")]),
}


def _split_amount(total: int, n: int, r: random.Random, zero_share: float = 0.3) -> list[int]:
    """`total` 元 over n parts, multiples of 100, some parts zero."""
    weights = [0.0 if r.random() < zero_share else r.uniform(0.2, 3.0) for _ in range(n)]
    if not any(weights):
        weights[-1] = 1.0
    s = sum(weights)
    parts = [round100(total * w / s) for w in weights]
    last = max(i for i, w in enumerate(weights) if w)
    parts[last] += total - sum(parts)
    return parts


def _basic_economic_table(gpb_basic: int, f: Fmt, split_codes: bool, r: random.Random) -> Table:
    """一般公共预算财政拨款基本支出决算表: economic codes (301, 302, 310) in two side-by-side halves."""
    personnel = round100(gpb_basic * r.uniform(0.78, 0.9))
    public = gpb_basic - personnel
    halves: dict[bool, list[tuple[str, str, int]]] = {True: [], False: []}
    for group, (gname, is_personnel, items) in ECONOMIC.items():
        share = r.uniform(0.85, 0.95) if group in ("301", "302") else None
        total = personnel if is_personnel else public
        g_total = round100(total * share) if share else total - sum(a for c, _, a in halves[is_personnel] if len(c) == 3)
        halves[is_personnel].append((group, gname, g_total))
        for (code, name), amount in zip(items, _split_amount(g_total, len(items), r)):
            halves[is_personnel].append((code, name, amount))
    left, right = halves[True], halves[False]
    n = max(len(left), len(right))

    def cells(entry):
        if entry is None:
            return ["", "", ""] + ([""] if split_codes else [])
        code, name, amount = entry
        codes = [code[:3], code[3:5]] if split_codes else [code]
        return [*codes, name, f(amount)]

    if split_codes:
        header = [[C("人员经费", colspan=4), C("公用经费", colspan=4)],
                  [C("科目编码", colspan=2), C("科目名称", rowspan=2), C("决算数", rowspan=2)] * 2,
                  ["类", "款", "类", "款"]]
        # the second header row lays 科目编码 over 类|款 on both halves; the third row fills them
        header[2] = ["类", "款"] + ["类", "款"]
        widths = [0.5, 0.45, 2.4, 1.3] * 2
        num_cols = 4
    else:
        header = [[C("人员经费", colspan=3), C("公用经费", colspan=3)],
                  ["科目编码", "科目名称", "决算数"] * 2]
        widths = [0.9, 2.6, 1.3] * 2
        num_cols = 3
    rows = header + [cells(left[i] if i < len(left) else None) + cells(right[i] if i < len(right) else None) for i in range(n)]
    rows.append([C("人员经费合计", colspan=num_cols - 1), f(personnel), C("公用经费合计", colspan=num_cols - 1), f(public)])
    return Table(rows, header_rows=len(header), caption="一般公共预算财政拨款基本支出决算表", col_widths=widths,
                 numeric_from=num_cols - 1)


def _three_public_table(t: dict, tb: dict, f: Fmt, style: str, budget_only: bool) -> Table:
    keys = ["total", "travel", "vehicles", "vehicle_purchase", "vehicle_running", "reception"]
    actual = (lambda k: "") if budget_only else (lambda k: f(t[k]))
    if style == "across":
        header = [[C("预算数", colspan=6), C("决算数", colspan=6)],
                  [C("合计", rowspan=2), C("因公出国（境）费", rowspan=2), C("公务用车购置及运行费", colspan=3), C("公务接待费", rowspan=2)] * 2,
                  ["小计", "公务用车购置费", "公务用车运行费"] * 2]
        data = [f(tb[k]) for k in keys] + [actual(k) for k in keys]
        return Table(header + [data], header_rows=3, col_widths=[1.0] * 12, numeric_from=0)
    if style == "down":
        rows = [["项目", "预算数", "决算数"]]
        labels = [("合计", "total"), ("1.因公出国（境）费", "travel"), ("2.公务用车购置及运行费", "vehicles"),
                  ("其中：（1）公务用车购置费", "vehicle_purchase"), ("（2）公务用车运行费", "vehicle_running"), ("3.公务接待费", "reception")]
        rows += [[lab, f(tb[k]), actual(k)] for lab, k in labels]
        return Table(rows, header_rows=1, col_widths=[4.0, 2.0, 2.0], numeric_from=1)
    # items in the top header, 预算数 / 决算数 in a header row below each item
    header = [[C("财政拨款“三公”经费", colspan=12)],
              [C("合计", colspan=2, rowspan=2), C("因公出国（境）费", colspan=2, rowspan=2),
               C("公务用车购置及运行(维护)费", colspan=6), C("公务接待费", colspan=2, rowspan=2)],
              [C("小计", colspan=2), C("公务用车购置费", colspan=2), C("公务用车运行(维护)费", colspan=2)],
              ["预算数", "决算数"] * 6]
    data = []
    for k in keys:
        data += [f(tb[k]), actual(k)]
    return Table(header + [data], header_rows=4, col_widths=[1.0] * 12, numeric_from=0)


def _blank_fund_table(name: str, year: int, kind: str) -> tuple[Table, str]:
    header = [[C("项目", colspan=2), C("年初结转和结余", rowspan=2), C("本年收入", rowspan=2), C("本年支出", colspan=3),
               C("年末结转和结余", rowspan=2)],
              ["科目编码", "科目名称", "小计", "基本支出", "项目支出"]]
    rows = header + [[C("合计", colspan=2, align="center"), "", "", "", "", "", ""]]
    caption = {"fund": "政府性基金预算财政拨款收入支出决算表", "soe": "国有资本经营预算财政拨款收入支出决算表"}[kind]
    what = {"fund": "政府性基金预算财政拨款", "soe": "国有资本经营预算财政拨款"}[kind]
    note = (f"注：{name}{year}年度没有{what}收入，也没有使用{what}安排的支出，故本表无数据。" if kind == "fund"
            else f"注：本单位{year}年度无{what}支出，故本表无数据。")
    return Table(rows, header_rows=2, caption=caption, col_widths=[1.2, 3.0, 1.4, 1.2, 1.2, 1.2, 1.2, 1.4], numeric_from=2), note


def final_accounts(sy: StreetYear, r: random.Random, *, corrected: bool = False, slip: bool = False) -> Built:
    """A final account in the national template (nine tables, prose part) or the shorter local one.

    `slip`: the 支出决算表 states class 201 one 万元 too high (a first publication's error)."""
    name = street_name(sy.street, r, formal=True)
    year = sy.year
    national = r.random() < 0.6
    layout = r.choices(["split", "column", "in_name", "none"], [0.3, 0.3, 0.3, 0.1] if national else [0, 0.5, 0.45, 0.05])[0]
    unit = _money_unit(r)
    thousands = r.random() < 0.8
    yuan_decimals = unit == "元" and r.random() < 0.3
    mixed_zero = national and r.random() < 0.6
    base_zero = r.choice(["", "-", "0.00" if unit == "万元" else "0"])

    def fmt(u: str | None = None) -> Fmt:
        return Fmt(u or unit, thousands, yuan_decimals, r.choice(ZERO_MARKS) if mixed_zero else base_zero)

    landscape = national and r.random() < 0.6
    spaced = r.random() < 0.15
    yr = f"{year} 年" if spaced else f"{year}年"
    title = r.choice([f"{name}{yr}度部门决算", f"{name}{yr}部门决算公开", f"{yr}{name}部门决算"])
    if corrected:
        title += "（更正）"
    doc = Doc(title=title, published=_published(year + 1, 9, r), source=name)
    b = Built("final_accounts", doc, name_used=name)
    layout_family = {"split": "codes_split_columns", "column": "codes_column", "in_name": "codes_in_name",
                     "none": "codes_none_ordinals"}[layout]
    b.tag(layout_family, "summary_two_sided", "unit_yuan" if unit == "元" else "unit_wan", "issuer_street_office")
    if spaced:
        b.tag("year_spaced")
    if not thousands:
        b.tag("no_thousands_separator")
    v = b.values
    wrapped_title = national and not corrected and r.random() < 0.3 and title.startswith(name)
    if wrapped_title:
        doc.p(name, "title")
        doc.p(title[len(name):], "title")
        b.tag("title_wrapped")
    else:
        doc.p(title, "title")
    if corrected:
        doc.p("（因原公开文件部分数据有误，现予以更正）", "meta")
    if national and r.random() < 0.5:
        doc.running_head = title
        doc.page_numbers = r.choice(["- {n} -", "{n}", "第 {n} 页"])
        b.tag("running_heads")
    defect = r.choices(["", "missing_table", "caption_split", "wrong_year", "reordered"], [0.8, 0.05, 0.05, 0.05, 0.05])[0] if national else ""
    table_names = ["收入支出决算总表", "收入决算表", "支出决算表", "财政拨款收入支出决算总表", "一般公共预算财政拨款支出决算表",
                   "一般公共预算财政拨款基本支出决算表", "财政拨款“三公”经费支出决算表", "政府性基金预算财政拨款收入支出决算表",
                   "国有资本经营预算财政拨款收入支出决算表"]
    missing = r.choice([0, 1, 3, 5, 7]) if defect == "missing_table" else None
    # some streets publish no 国有资本经营预算 table at all (none of its figures exist): their table
    # of contents lists eight tables; only the missing_table defect leaves a listed table out
    omit_soe = national and r.random() < 0.3
    if omit_soe:
        table_names = table_names[:-1]
    if national:
        doc.blocks.append(PageBreak())
        doc.p("目录", "h")
        doc.p(f"第一部分 {name}概况")
        doc.p(f"第二部分 {name}{yr}度部门决算表")
        for i, t in enumerate(table_names):
            doc.p(f"{_ordinal(i + 1)}{t}")
        doc.p(f"第三部分 {name}{yr}度部门决算情况说明")
        doc.blocks.append(PageBreak())
    doc.p("第一部分 部门概况", "h")
    doc.p("一、主要职能", "h")
    doc.p(f"{name}是{sy.street.district_name}人民政府的派出机关，负责辖区党的建设、经济发展、城市管理、"
          f"社会治理、公共服务和平安建设等工作。")
    if national and r.random() < 0.25:
        b.tag("no_staff_paragraph")
        doc.p("二、部门决算单位构成", "h")
        doc.p(f"{name}部门决算包括本级决算，无下属单位决算。")
    else:
        doc.p("二、机构设置及人员情况", "h")
        staff_text, staff = _staff_paragraph(sy, name, r)
        doc.p(staff_text)
        v.update(staff)

    total = sy.total
    c0 = round100(total * r.uniform(0.0, 0.04))
    c1 = c0 + round100(total * r.uniform(0.0, 0.03))
    gpb_income = sy.gpb
    other_income = total - sy.gpb + (c1 - c0)
    class_totals = sy.class_totals()
    doc.blocks.append(PageBreak(landscape=True if landscape else None))
    if landscape:
        b.tag("landscape_tables")
    wrong_year = year - 1 if defect == "wrong_year" else year
    part2 = f"第二部分 {wrong_year}年度部门决算表" if not spaced else f"第二部分 {wrong_year} 年度部门决算表"
    if defect == "wrong_year":
        b.tag("defect_wrong_year_heading")
    doc.p(part2, "h")
    if missing is not None:
        b.tag("defect_missing_table")
    page_w = LANDSCAPE_W if landscape else PORTRAIT_W
    zero_marks: set[str] = set()

    def add(table: Table, f: Fmt) -> None:
        zero_marks.add(f.zero)
        doc.blocks.append(table)

    # table 1: 收入支出决算总表
    if missing != 0:
        f1 = fmt()
        rounding = national and unit == "万元" and r.random() < 0.08
        if national and r.random() < 0.7:
            b.tag("summary_all_classes")
            lines = _national_classes(year, r)
            right = [(f"{_ordinal(i + 1)}{cname}", class_totals.get(code)) for i, (code, cname) in enumerate(lines)]
            left = [("一、一般公共预算财政拨款收入", gpb_income), ("二、政府性基金预算财政拨款收入", None),
                    ("三、国有资本经营预算财政拨款收入", None), ("四、上级补助收入", None), ("五、事业收入", None),
                    ("六、经营收入", None), ("七、附属单位上缴收入", None), ("八、其他收入", other_income)]
        else:
            right = [(f"{_ordinal(i + 1)}{CLASSES[c][0]}", class_totals[c]) for i, c in enumerate(sorted(class_totals))]
            left = [("一、一般公共预算财政拨款收入", gpb_income), ("二、政府性基金预算财政拨款收入", 0), ("三、其他收入", other_income)]
        if rounding:
            # the summary rounds one class line differently from the spending table (0.01 万元)
            code = max(class_totals, key=class_totals.get)
            idx = next(i for i, (lab, _) in enumerate(right) if lab.endswith(CLASSES[code][0]))
            right[idx] = (right[idx][0], right[idx][1] + r.choice([-100, 100]))
            b.tag("rounding_between_tables")
        head = [[C("收入", colspan=2), C("支出", colspan=2)], ["项目", "决算数", "项目", "决算数"]]
        n = max(len(left), len(right))
        lines_rows = []
        for i in range(n):
            lft = left[i] if i < len(left) else ("", None)
            rgt = right[i] if i < len(right) else ("", None)
            lines_rows.append([lft[0], "" if lft[1] is None else f1(lft[1]), rgt[0], "" if rgt[1] is None else f1(rgt[1])])
        totals_rows = [["本年收入合计", f1(gpb_income + other_income), "本年支出合计", f1(total)]]
        if national:
            totals_rows.append(["使用非财政拨款结余（含专用结余）", "", "结余分配", ""])
        totals_rows += [["年初结转和结余", f1(c0), "年末结转和结余", f1(c1)],
                        ["总计", f1(gpb_income + other_income + c0), "总计", f1(total + c1)]]
        caption = r.choice(["收入支出决算总表", "部门收支决算总表"])
        unit_note = f"公开01表　　单位：{unit}" if not national else f"单位：{unit}"
        widths = [3.2, 1.3, 3.2, 1.3]
        if national and r.random() < 0.35:
            b.tag("summary_split_by_page")
            cut = r.choice([0, 1])  # the page break before or after the 本年收入合计 row
            add(Table(head + lines_rows + totals_rows[:cut], header_rows=2, caption=caption, unit_note=unit_note,
                      col_widths=widths, numeric_from=1), f1)
            doc.blocks.append(PageBreak())
            repeat = r.random() < 0.4
            doc.blocks.append(Table((head if repeat else []) + totals_rows[cut:], header_rows=2 if repeat else 0,
                                    col_widths=widths, numeric_from=1))
        else:
            add(Table(head + lines_rows + totals_rows, header_rows=2, caption=caption, unit_note=unit_note,
                      col_widths=widths, numeric_from=1), f1)
        doc.blocks.append(PageBreak())

    # table 2: 收入决算表 (a distractor: class rows that are income)
    first = min(sy.items, key=lambda it: it.code)
    if national and missing != 1:
        b.tag("distractor_income_table")
        f2 = fmt()
        extra = c1 - c0

        def income(it):
            return it.total + (extra if it is first else 0)

        def other(it):
            return income(it) - it.gpb

        heads2 = ["本年收入合计", "财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"]
        rows, hr, widths, nf = _spend_table(sy, layout, heads2, (income, "gpb", lambda it: 0, lambda it: 0, lambda it: 0,
                                                                  lambda it: 0, other), f2,
                                            total_pos=r.choice(["first", "last"]), total_on_subheader=layout == "split")
        add(Table(rows, header_rows=hr, caption="收入决算表", unit_note=f"单位：{unit}", col_widths=widths, numeric_from=nf), f2)
        doc.blocks.append(PageBreak())

    # table 3: 支出决算表
    f3 = fmt()
    heads = ["本年支出合计", "基本支出", "项目支出"]
    cols: list = ["total", "basic", "project"]
    wrapped = national and r.random() < 0.4
    if national or r.random() < 0.3:
        heads += ["上缴上级支出", "经营支出", "对附属单位补助支出"] if national else ["上缴上级支出", "对附属单位补助支出"]
        cols += [lambda it: 0] * (len(heads) - 3)
    slips = {"201": 10000} if slip else {}
    positions = r.choice([("first", "first"), ("first", "last"), ("last", "first"), ("last", "last")]) if national else ("first", "first")
    on_sub = layout == "split" and r.random() < 0.7
    rows, hr, widths, nf = _spend_table(sy, layout, heads, tuple(cols), f3, total_pos=positions[0],
                                        total_on_subheader=on_sub, slip=slips, wrapped=wrapped)
    if on_sub:
        b.tag("total_on_subheader_line")
    if layout in ("split", "column"):
        b.tag("header_merged_rows")
    sample_names = ["社会保障和就业支出", "机关事业单位基本养老保险缴费支出"]
    if wrapped and (_wraps(["", "", "", "", *heads] if layout == "split" else ["", "", *heads] if layout == "column" else ["", *heads],
                           widths, page_w) or _wraps(["", "", "", sample_names[1]], widths[:4], page_w * sum(widths[:4]) / sum(widths))):
        b.tag("header_wrapped")
    repeat = not (national and r.random() < 0.4)
    if _continued(len(rows), landscape):
        b.tag("table_continued_header" if repeat else "table_continued_no_header")
    add(Table(rows, header_rows=hr, caption="支出决算表", unit_note=f"公开03表　　单位：{unit}" if not national else f"单位：{unit}",
              col_widths=widths, numeric_from=nf, repeat_header=repeat), f3)
    v["fa_total_expenditure"] = wan(total)
    v["fa_basic_expenditure"] = wan(sy.basic)
    v["fa_project_expenditure"] = wan(sy.project)
    for code, amount in class_totals.items():
        v[f"fa_exp_{code}"] = wan(amount + slips.get(code, 0))

    # table 4: 财政拨款收入支出决算总表 (a distractor with its own 总计)
    f0 = round100(sy.gpb * r.uniform(0.0, 0.02))
    gpb_by_class = sy.class_totals("gpb")
    if national and missing != 3:
        b.tag("distractor_fiscal_summary")
        doc.blocks.append(PageBreak())
        f4 = fmt()
        lines = _national_classes(year, r) if r.random() < 0.6 else [(c, CLASSES[c][0]) for c in sorted(gpb_by_class)]
        left = [("一、一般公共预算财政拨款", sy.gpb), ("二、政府性基金预算财政拨款", None), ("三、国有资本经营预算财政拨款", None)]
        rows = [[C("收入", colspan=2), C("支出", colspan=4)],
                [C("项目", rowspan=2), C("决算数", rowspan=2), C("项目", rowspan=2), C("决算数", colspan=3)],
                ["合计", "一般公共预算财政拨款", "政府性基金预算财政拨款"]]
        for i in range(max(len(left), len(lines))):
            lft = left[i] if i < len(left) else ("", None)
            if i < len(lines):
                code, cname = lines[i]
                amt = gpb_by_class.get(code)
                rgt = [f"{_ordinal(i + 1)}{cname}", "" if amt is None else f4(amt), "" if amt is None else f4(amt), ""]
            else:
                rgt = ["", "", "", ""]
            rows.append([lft[0], "" if lft[1] is None else f4(lft[1]), *rgt])
        rows += [["本年收入合计", f4(sy.gpb), "本年支出合计", f4(sy.gpb), f4(sy.gpb), ""],
                 ["年初财政拨款结转和结余", f4(f0), "年末财政拨款结转和结余", f4(f0), f4(f0), ""],
                 ["总计", f4(sy.gpb + f0), "总计", f4(sy.gpb + f0), f4(sy.gpb + f0), ""]]
        add(Table(rows, header_rows=3, caption="财政拨款收入支出决算总表", unit_note=f"单位：{unit}",
                  col_widths=[2.8, 1.2, 2.8, 1.2, 1.3, 1.3], numeric_from=1), f4)
        if r.random() < 0.3:
            doc.blocks.append(PageBreak())  # an empty page left in the file
            b.tag("blank_page")

    # table 5: 一般公共预算财政拨款支出决算表
    doc.blocks.append(PageBreak())

    def gpb_basic(it):
        return round100(it.gpb * it.basic / it.total) if it.total else 0

    f5 = fmt()
    if national and unit == "元" and r.random() < 0.3:
        f5 = f5.other_unit()  # a 万元 table in a 元 document
        b.tag("unit_mixed")
    prose_budget = national and r.random() < 0.6
    if prose_budget:
        b.tag("prose_initial_budget")
        rows, hr, widths, nf = _spend_table(sy, layout, ["合计", "基本支出", "项目支出"],
                                            ("gpb", gpb_basic, lambda it: it.gpb - gpb_basic(it)), f5,
                                            total_pos=positions[1], total_on_subheader=on_sub)
    else:
        rows, hr, widths, nf = _spend_table(sy, layout, ["年初预算数", "决算合计", "基本支出", "项目支出"],
                                            ("gpb_budget", "gpb", gpb_basic, lambda it: it.gpb - gpb_basic(it)), f5,
                                            total_pos=positions[1], total_on_subheader=on_sub)
        if layout != "split" and not national:
            # the local template: 年初预算数 spans both header rows, 决算数 over 合计 | 基本支出 | 项目支出
            if layout == "column":
                rows[:2] = [[C("项目", colspan=2), C("年初预算数", rowspan=2), C("决算数", colspan=3)],
                            ["科目编码", "科目名称", "合计", "基本支出", "项目支出"]]
                hr = 2
            elif layout in ("in_name", "none"):
                rows[:1] = [[C("项目", rowspan=2), C("年初预算数", rowspan=2), C("决算数", colspan=3)], ["合计", "基本支出", "项目支出"]]
                hr = 2
    if positions[0] != positions[1]:
        b.tag("total_first_and_last")
    caption5 = "一般公共预算财政拨款支出决算表"
    if defect == "caption_split":
        b.tag("defect_caption_split")
        doc.p("一般公共预算财政拨款", "h")
        doc.p(f"（{'公开05表' if r.random() < 0.5 else '单位：' + f5.unit}）", "note")
        caption5 = "支出决算表"
    add(Table(rows, header_rows=hr, caption=caption5, unit_note=f"单位：{f5.unit}" if national else f"公开05表　　单位：{f5.unit}",
              col_widths=widths, numeric_from=nf), f5)
    v["fa_gpb_expenditure"] = wan(sy.gpb)
    v["fa_gpb_initial_budget"] = wan(sy.gpb_budget)
    gpb_basic_total = sum(gpb_basic(it) for it in sy.items)

    # table 6: 一般公共预算财政拨款基本支出决算表 (economic codes in two halves: a distractor)
    if national and missing != 5:
        b.tag("distractor_basic_economic")
        doc.blocks.append(PageBreak())
        f6 = fmt()
        t6 = _basic_economic_table(gpb_basic_total, f6, layout == "split", r)
        t6.unit_note = f"单位：{unit}"
        add(t6, f6)

    # table 7: 三公
    doc.blocks.append(PageBreak())
    t, tb = sy.three_public, sy.three_public_budget
    f7 = fmt()
    if national:
        style = r.choice(["items_top", "items_top", "across", "down"])
    else:
        style = "across" if r.random() < 0.6 else "down"
    # no 三公 spending: only the 预算数 cells filled, or the whole table blank with a note (the
    # prose then says 无“三公”经费财政拨款支出); with spending, sometimes the 决算 cells are left
    # blank and the figures are only in the prose
    blank_all = national and t["total"] == 0 and r.random() < 0.5
    if blank_all and style == "down":
        style = "items_top"
    budget_only = style == "items_top" and not blank_all and (t["total"] == 0 or r.random() < 0.15)
    b.tag({"across": "three_public_across", "down": "three_public_down", "items_top": "three_public_items_top"}[style])
    if budget_only:
        b.tag("three_public_budget_only")
    t7 = _three_public_table(t, tb, f7, style, budget_only)
    if blank_all:
        t7.rows = t7.rows[:t7.header_rows] + [[""] * len(t7.rows[-1])]
    t7.caption = "财政拨款“三公”经费支出决算表" if national else "一般公共预算财政拨款“三公”经费支出决算表"
    t7.unit_note = f"单位：{unit}" if national else f"公开07表　　单位：{unit}"
    add(t7, f7)
    if blank_all:
        doc.p(f"注：{name}{year}年度没有使用财政拨款安排的“三公”经费支出，故本表无数据。", "note")
        b.tag("blank_table_note")
    v["fa_three_public_total"] = wan(t["total"])
    v["fa_three_public_travel"] = wan(t["travel"])
    v["fa_three_public_vehicles"] = wan(t["vehicles"])
    v["fa_three_public_reception"] = wan(t["reception"])

    # tables 8, 9: blank, with a note
    if national:
        for kind, idx in (("fund", 7), ("soe", 8)):
            if missing == idx or (kind == "soe" and omit_soe):
                continue
            doc.blocks.append(PageBreak())
            tbl, note = _blank_fund_table(name, year, kind)
            tbl.unit_note = f"单位：{unit}"
            doc.blocks.append(tbl)
            doc.p(note, "note")
            b.tag("blank_table_note")
    if national and len(zero_marks) >= 3:
        b.tag("zero_marks_mixed")

    # part 3: explanations
    doc.blocks.append(PageBreak(landscape=False if landscape else None))
    doc.p(f"第三部分 {yr}度部门决算情况说明" if national else f"第三部分 {year}年度部门决算情况说明", "h")
    change = total - sy.total_prev
    paras: list[str] = []
    if not national:
        paras.append(f"一、收入支出决算总体情况说明：{year}年度收、支总计均为{wan_text(gpb_income + other_income + c0)}万元。"
                     f"其中本年支出{wan_text(total)}万元，与{year - 1}年度（{wan_text(sy.total_prev)}万元）相比"
                     f"{'增加' if change >= 0 else '减少'}{wan_text(abs(change))}万元，"
                     f"{'增长' if change >= 0 else '下降'}{abs(_pct_change(total, sy.total_prev)):.2f}%。")
        paras.append(f"二、“三公”经费支出情况说明：{year}年度“三公”经费支出{wan_text(t['total'])}万元，"
                     f"上年为{wan_text(sy.three_public_prev)}万元。其中：因公出国（境）费{wan_text(t['travel'])}万元"
                     f"{'（本年度未发生因公出国（境）费用）' if t['travel'] == 0 else ''}；公务用车购置及运行费{wan_text(t['vehicles'])}万元；"
                     f"公务接待费{wan_text(t['reception'])}万元。")
        if t["travel"] == 0:
            b.tag("prose_three_public_none")
    else:
        grand = gpb_income + other_income + c0
        paras.append(f"一、收入支出决算总体情况说明\n{name}{year}年度收入、支出总计{wan_text(grand)}万元。与{year - 1}年度相比，"
                     f"收入、支出总计{'增加' if change >= 0 else '减少'}{wan_text(abs(change))}万元。")
        inc = gpb_income + other_income
        paras.append(f"二、收入决算情况说明\n本年收入合计{wan_text(inc)}万元，其中：财政拨款收入{wan_text(gpb_income)}万元，"
                     f"占{gpb_income / inc * 100:.2f}%；其他收入{wan_text(other_income)}万元，占{other_income / inc * 100:.2f}%。")
        paras.append(f"三、支出决算情况说明\n本年支出合计{wan_text(total)}万元，其中：基本支出{wan_text(sy.basic)}万元，"
                     f"占{sy.basic / total * 100:.2f}%；项目支出{wan_text(sy.project)}万元，占{sy.project / total * 100:.2f}%。")
        paras.append(f"四、财政拨款收入支出决算总体情况说明\n{name}{year}年度财政拨款收入、支出总计{wan_text(sy.gpb + f0)}万元。")
        structure = "；".join(f"{CLASSES[c][0]}（类）{wan_text(a)}万元，占{a / sy.gpb * 100:.2f}%" for c, a in sorted(gpb_by_class.items()) if a)
        rate = sy.gpb / sy.gpb_budget * 100 if sy.gpb_budget else 0.0
        # the item-level lines that follow in real documents: initial budgets of single 项 (distractors
        # of the document's initial budget), "X 万元" with a space as often printed
        sp = " " if r.random() < 0.4 else ""
        item_lines = ""
        if r.random() < 0.6:
            picked = sorted(sorted(sy.items, key=lambda it: -it.gpb)[:4], key=lambda it: it.code)
            item_lines = "其中：" + "".join(
                f"{i + 1}、{CLASSES[it.class_code][0]}（类）{it.kuan_name}（款）{it.name}（项）。年初预算为{wan_text(it.gpb_budget)}{sp}万元，"
                f"支出决算为{wan_text(it.gpb)}万元。" for i, it in enumerate(picked))
        paras.append(f"五、一般公共预算财政拨款支出决算情况说明\n（一）一般公共预算财政拨款支出{wan_text(sy.gpb)}万元，"
                     f"占本年支出合计的{sy.gpb / total * 100:.2f}%。（二）主要用于以下方面：{structure}。"
                     f"（三）一般公共预算财政拨款支出年初预算为{wan_text(sy.gpb_budget)}万元，支出决算为{wan_text(sy.gpb)}万元，"
                     f"完成年初预算的{rate:.2f}%。{item_lines}")
        paras.append(f"六、一般公共预算财政拨款基本支出决算情况说明\n一般公共预算财政拨款基本支出{wan_text(gpb_basic_total)}万元，"
                     f"其中：人员经费和公用经费构成详见基本支出决算表。")
        if t["total"] == 0:
            three_text = f"{name}{year}年度无“三公”经费财政拨款支出。"
        else:
            done = t["total"] / tb["total"] * 100 if tb["total"] else 0.0
            three_text = (f"“三公”经费财政拨款支出年初预算为{wan_text(tb['total'])}万元，支出决算为{wan_text(t['total'])}万元，"
                          f"完成预算的{done:.2f}%，其中：因公出国（境）费支出决算为{wan_text(t['travel'])}万元"
                          f"{'，本年度无因公出国（境）费支出' if t['travel'] == 0 else ''}；"
                          f"公务用车购置及运行维护费支出决算为{wan_text(t['vehicles'])}万元；"
                          f"公务接待费支出决算为{wan_text(t['reception'])}万元。")
        if t["total"] == 0 or t["travel"] == 0:
            b.tag("prose_three_public_none")
        paras.append("七、财政拨款“三公”经费支出决算情况说明\n" + three_text)
        paras.append(f"八、政府性基金预算财政拨款收入支出决算情况说明\n{name}{year}年度无政府性基金预算财政拨款收入和支出。")
    if defect == "reordered":
        b.tag("defect_reordered_paragraphs")
        head, rest = paras[:1], paras[1:]
        r.shuffle(rest)
        paras = rest + head
    for para in paras:
        if "\n" in para:
            h, text = para.split("\n", 1)
            doc.p(h, "h")
            doc.p(text)
        else:
            doc.p(para)
    doc.p(f"{name}", "meta")
    doc.p(f"{doc.published[:4]}年{int(doc.published[5:7])}月{int(doc.published[8:10])}日", "meta")
    return b


def blank_template(built: Built, year: int) -> Built:
    """The national template as distributed, not filled in: the issuer a placeholder (XX街道办事处),
    every amount blank, every figure of the prose XX. It states no figure of any unit."""
    import re

    name = built.name_used
    placeholder = "XX街道办事处"

    def blank_text(text: str) -> str:
        text = text.replace(name, placeholder)
        return re.sub(r"\d[\d,.]*", lambda m: m.group() if m.group().startswith(str(year)) else "XX", text)

    doc = built.doc
    out = Doc(title=blank_text(doc.title), published=doc.published, source=placeholder, landscape=doc.landscape,
              running_head=blank_text(doc.running_head), page_numbers=doc.page_numbers)
    for block in doc.blocks:
        if isinstance(block, Table):
            rows = block.rows[:block.header_rows] + [[C("合计", colspan=max(1, block.numeric_from), align="center")]]
            out.blocks.append(Table(rows, header_rows=block.header_rows, caption=block.caption,
                                    unit_note=block.unit_note, col_widths=block.col_widths, numeric_from=block.numeric_from,
                                    compiler=blank_text(block.compiler)))
        elif hasattr(block, "text"):
            out.p(blank_text(block.text), block.kind)
        else:
            out.blocks.append(block)
    b = Built(built.doc_type, out, name_used=placeholder)
    b.tag("blank_template")
    return b


# -------------------------------------------------------------------------------- budget
def budget(sy: StreetYear, r: random.Random) -> Built:
    name = street_name(sy.street, r, formal=True)
    unit = _money_unit(r)
    layout = r.choices(["split", "column", "in_name", "none"], [0.25, 0.35, 0.3, 0.1])[0]
    thousands = r.random() < 0.8
    f = Fmt(unit, thousands, unit == "元" and r.random() < 0.4, r.choice(["", "-"]))
    year = sy.year
    spaced = r.random() < 0.1
    yr = f"{year} 年" if spaced else f"{year}年"
    title = r.choice([f"{name}{yr}部门预算", f"{name}{yr}度部门预算公开", f"{yr}{name}部门预算"])
    doc = Doc(title=title, published=_published(year, r.choice([1, 2]), r), source=name)
    b = Built("budget", doc, name_used=name)
    b.tag({"split": "codes_split_columns", "column": "codes_column", "in_name": "codes_in_name", "none": "codes_none_ordinals"}[layout],
          "summary_two_sided", "unit_yuan" if unit == "元" else "unit_wan", "issuer_street_office")
    if spaced:
        b.tag("year_spaced")
    if not thousands:
        b.tag("no_thousands_separator")
    v = b.values
    if r.random() < 0.2 and title.startswith(name):
        doc.p(name, "title")
        doc.p(title[len(name):], "title")
        b.tag("title_wrapped")
    else:
        doc.p(title, "title")
    if r.random() < 0.4:
        doc.running_head = title
        doc.page_numbers = r.choice(["- {n} -", "{n}"])
        b.tag("running_heads")
    year_caps = r.random() < 0.5
    if year_caps:
        b.tag("budget_caption_year")
    compiler = r.choice(["", f"编制部门：{name}", f"编制单位：{name}"])
    inline = bool(compiler) and r.random() < 0.4
    if compiler:
        b.tag("compiler_line")

    def cap(plain: str, with_year: str) -> str:
        return f"{year}年{with_year}" if year_caps else plain

    doc.p("第一部分 部门概况", "h")
    doc.p(f"{name}主要职责：贯彻执行党和国家的路线方针政策，统筹辖区经济社会发展、城市管理、社会治理和公共服务。")
    landscape = r.random() < 0.4
    if landscape:
        b.tag("landscape_tables")
    doc.blocks.append(PageBreak(landscape=True if landscape else None))
    doc.p(f"第二部分 {yr}部门预算表", "h")

    def basic_share(it):
        return round100(it.budget_all * it.basic / it.total) if it.total else 0

    def table(rows, **kw) -> Table:
        return Table(rows, unit_note=f"单位：{unit}", compiler=compiler, compiler_inline=inline, **kw)

    budget_all = sy.budget_all
    classes = sy.class_totals("budget_all")
    rows = [[C("收入", colspan=2), C("支出", colspan=2)], ["项目", "预算数", "项目", "预算数"]]
    left = [("一、一般公共预算拨款", sy.gpb_budget), ("二、政府性基金预算拨款", 0), ("三、其他收入", budget_all - sy.gpb_budget)]
    right = [(f"{_ordinal(i + 1)}{CLASSES[c][0]}" if layout == "none" else CLASSES[c][0], classes[c]) for i, c in enumerate(sorted(classes))]
    for i in range(max(len(left), len(right))):
        lft = left[i] if i < len(left) else ("", None)
        rgt = right[i] if i < len(right) else ("", None)
        rows.append([lft[0], "" if lft[1] is None else f(lft[1]), rgt[0], "" if rgt[1] is None else f(rgt[1])])
    rows.append(["收入总计", f(budget_all), "支出总计", f(budget_all)])
    doc.blocks.append(table(rows, header_rows=2, caption=cap(r.choice(["收支预算总表", "部门收支总表", "财务收支预算总表"]), "部门财务收支预算总表"),
                            col_widths=[3.0, 1.4, 3.0, 1.4], numeric_from=1))
    doc.blocks.append(PageBreak())
    on_sub = layout == "split" and r.random() < 0.5
    if on_sub:
        b.tag("total_on_subheader_line")
    rows, hr, widths, nf = _spend_table(sy, layout, ["合计", "基本支出", "项目支出"],
                                        ("budget_all", basic_share, lambda it: it.budget_all - basic_share(it)), f,
                                        total_pos=r.choice(["first", "first", "last"]), total_on_subheader=on_sub)
    if layout in ("split", "column"):
        b.tag("header_merged_rows")
    repeat = r.random() < 0.7
    if _continued(len(rows), landscape):
        b.tag("table_continued_header" if repeat else "table_continued_no_header")
    doc.blocks.append(table(rows, header_rows=hr, caption=cap("支出预算表", "部门支出预算总表"), col_widths=widths,
                            numeric_from=nf, repeat_header=repeat))
    v["bu_total_expenditure"] = wan(budget_all)
    for code, amount in classes.items():
        v[f"bu_exp_{code}"] = wan(amount)
    doc.blocks.append(PageBreak())
    if r.random() < 0.5:
        rows, hr, widths, nf = _spend_table(sy, layout, ["一般公共预算支出"], ("gpb_budget",), f,
                                            total_pos=r.choice(["first", "last"]), total_on_subheader=on_sub)
    else:
        def gpb_basic(it):
            return round100(it.gpb_budget * it.basic / it.total) if it.total else 0

        rows, hr, widths, nf = _spend_table(sy, layout, ["合计", "基本支出", "项目支出"],
                                            ("gpb_budget", gpb_basic, lambda it: it.gpb_budget - gpb_basic(it)), f,
                                            total_pos=r.choice(["first", "last"]), total_on_subheader=on_sub)
    doc.blocks.append(table(rows, header_rows=hr, caption=cap("一般公共预算支出表", "一般公共预算支出功能分类预算表"),
                            col_widths=widths, numeric_from=nf))
    v["bu_gpb_expenditure"] = wan(sy.gpb_budget)
    doc.blocks.append(PageBreak())
    tb = sy.three_public_budget
    zero3 = "0.00" if unit == "万元" or f.yuan_decimals else "0"
    amounts = [f(tb[k], zero=zero3) for k in ("total", "travel", "vehicles", "vehicle_purchase", "vehicle_running", "reception")]
    if r.random() < 0.5:
        running = round100(sy.basic * r.uniform(0.05, 0.1))
        rows = [[C("“三公”经费", colspan=6), C("机关运行经费", rowspan=3)],
                [C("合计", rowspan=2), C("因公出国（境）费", rowspan=2), C("公务用车购置及运行费", colspan=3), C("公务接待费", rowspan=2)],
                ["小计", "公务用车购置费", "公务用车运行费"],
                [*amounts, f(running)]]
        doc.blocks.append(table(rows, header_rows=3, caption=cap("“三公”经费和机关运行经费预算表", "“三公”经费和机关运行经费预算表"),
                                numeric_from=0))
    else:
        rows = [[C("合计", rowspan=2), C("因公出国（境）费", rowspan=2), C("公务用车购置及运行费", colspan=3), C("公务接待费", rowspan=2)],
                ["小计", "公务用车购置费", "公务用车运行费"], amounts]
        doc.blocks.append(table(rows, header_rows=2, caption=cap("“三公”经费支出预算表", "“三公”经费支出预算表"), numeric_from=0))
    v["bu_three_public_total"] = wan(tb["total"])
    doc.blocks.append(PageBreak(landscape=False if landscape else None))
    doc.p(f"第三部分 {yr}部门预算情况说明", "h")
    prev = round100(budget_all / (1 + r.uniform(-0.05, 0.12)))
    doc.p(f"{year}年部门预算收支总额{wan_text(budget_all)}万元，比{year - 1}年预算（{wan_text(prev)}万元）"
          f"{'增加' if budget_all >= prev else '减少'}{wan_text(abs(budget_all - prev))}万元。")
    doc.p(f"“三公”经费预算{wan_text(tb['total'])}万元。", "p")
    return b


# ------------------------------------------------------------------ information disclosure
APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
DENIED = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
          "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查处、执法案卷"]
UNAVAILABLE = ["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"]
NOT_PROCESSED = ["1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
                 "5.要求行政机关确认或重新出具已获取信息"]
OTHER_2021 = ["1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
              "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
              "3.其他"]


def _req_row(rows: dict, key: str) -> list[int]:
    return rows.get(key, [0] * len(APPLICANTS))


def _req_cells(counts: list[int]) -> list[str]:
    return [str(n) for n in counts] + [str(sum(counts))]


# ---------------------------------------------------------------------------- web pages
# the shapes of real street web pages (real-documents.md, "Web pages"; families web_* of
# corpus/families.py): issuer forms, untitled pages, traditional mirrors, inline tags
_MENU_STREETS = ("南园街道", "园岭街道", "沙头街道", "梅林街道", "华富街道", "香蜜湖街道")


def _web_name(sy: StreetYear, r: random.Random, formal: bool) -> tuple[str, str]:
    """(the issuer as the page prints it, its family)."""
    s = sy.street
    if hasattr(s, "name_forms"):  # a unit of the national corpus (corpus/national.py): its own forms
        return street_name(s, r, formal=formal), "web_issuer_street"
    if s.district_name == "大鹏新区" and r.random() < 0.5:
        return r.choice([f"大鹏新区{s.core}办事处", f"{s.core}办事处"]), "web_issuer_office_no_street"
    if r.random() < 0.2:
        return r.choice([f"{s.core}街道办", f"{s.district_name}{s.core}街道办"]), "web_issuer_street_ban"
    return street_name(s, r, formal=formal), "web_issuer_street"


def _web_page(b: Built, sy: StreetYear, r: random.Random) -> None:
    """How the page is shown when rendered as HTML (ignored by PDF and DOCX; generate drops the tags)."""
    doc = b.doc
    u = r.random()
    if u < 0.12:
        doc.untitled = True
        doc.menu = tuple(m for m in getattr(sy.street, "menu", _MENU_STREETS) if m != sy.street.street_name)[:4]
        b.tag("web_untitled_page")
    elif u < 0.22:
        doc.traditional = True
        b.tag("web_traditional")
    if r.random() < 0.3:
        doc.inline_tags = True
        b.tag("web_inline_tags")


def _disclosure_pre2019(b: Built, sy: StreetYear, r: random.Random, name: str) -> Built:
    """A report about 2017 or 2018 in the older section layout (before the 2019 template): seven
    sections in prose, no tables; request counts, reviews and lawsuits only in sentences."""
    b.tag("web_pre2019_layout")
    doc, v, d, year = b.doc, b.values, sy.disclosure, sy.year
    req = d["requests"]
    new, cin, cout = (sum(_req_row(req, k)) for k in ("new", "carried_in", "carried_out"))
    granted, partly = sum(_req_row(req, "granted")), sum(_req_row(req, "partly"))
    denied = sum(sum(_req_row(req, f"denied_{i}")) for i in range(DENIED_SUB))
    unit = r.choice(["件", "宗"])
    doc.p(f"本报告由{name}根据《中华人民共和国政府信息公开条例》编制，报告中所列数据统计期限自{year}年1月1日起至{year}年12月31日止。")
    doc.p("一、概述", "h")
    doc.p(f"{year}年，{name}认真落实政府信息公开各项要求，不断完善公开制度。")
    doc.p("二、主动公开政府信息情况", "h")
    doc.p(f"全年主动公开政府信息{d['items_published']}条，其中通过政府网站公开{max(0, d['items_published'] - r.randint(0, 9))}条。")
    doc.p("三、依申请公开政府信息情况", "h")
    doc.p(f"{year}年共受理政府信息公开申请{new}{unit}，上年结转{cin}{unit}；其中予以公开{granted}{unit}，部分公开{partly}{unit}，"
          f"不予公开{denied}{unit}，{cout}{unit}仍在法定办理期限内。")
    doc.p("四、政府信息公开的收费及减免情况", "h")
    doc.p("本年度未收取任何信息检索、复制、邮寄等费用。")
    doc.p("五、因政府信息公开申请行政复议、提起行政诉讼的情况", "h")
    rv, lt = d["review"][4], d["lit_direct"][4] + d["lit_after"][4]
    if rv == 0 and lt == 0:
        b.tag("web_negated_zeros")
        doc.p("全年未发生因政府信息公开申请提起的行政复议和行政诉讼。")
    else:
        doc.p(f"全年因政府信息公开申请被申请行政复议{rv}件，被提起行政诉讼{lt}件。")
    doc.p("六、存在的主要问题及改进措施", "h")
    doc.p("公开内容的针对性有待加强。")
    doc.p("七、其他需要报告的事项", "h")
    doc.p("无。")
    v.update(od_items_published=d["items_published"], rq_new=new, rq_carried_in=cin, rq_granted=granted, rq_partly=partly,
             rq_denied=denied, rq_carried_out=cout, rv_total=rv, lt_total=lt)
    return b


def info_disclosure(sy: StreetYear, r: random.Random, *, inconsistent: bool = False) -> Built:
    name, issuer_family = _web_name(sy, r, formal=True)
    year = sy.year
    template = 2021 if year >= 2021 else 2019
    d = sy.disclosure
    w = Writer(r)
    nd = r.choice(["年", "年度"])
    title_family, title = r.choice([
        ("web_title_annual_report", f"{name}{year}{nd}政府信息公开工作年度报告"),
        ("web_title_work_report", f"{name}{year}年度政府信息公开工作报告"),
        ("web_title_short", f"{name}{year}{nd}政府信息公开年度报告"),
        ("web_title_situation", f"{name}{year}{nd}政府信息公开工作情况报告"),
    ])
    doc = Doc(title=title, published=_published(year + 1, r.choice([1, 2, 3]), r), source=name)
    b = Built("info_disclosure", doc, name_used=name)
    b.tag(title_family, issuer_family)
    _web_page(b, sy, r)
    v = b.values
    doc.p(title, "title")
    if year <= 2018:
        return _disclosure_pre2019(b, sy, r, name)
    doc.p(f"本报告根据《中华人民共和国政府信息公开条例》要求，由{name}编制。本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。")
    doc.p("一、总体情况", "h")
    items = d["items_published"]
    items_text, items_value = w.count(items, allow_wan=False, allow_chinese=False)
    district_items = int(items * r.uniform(8, 14))
    u = r.random()
    if u < 0.4:
        doc.p(f"{year}年，{name}深入贯彻落实政府信息公开工作要求，通过政府网站主动公开政府信息{items_text}条"
              f"（全区各单位共公开{district_items}条），及时回应群众关切。")
    elif u < 0.7:
        b.tag("web_word_order")
        doc.p(f"{year}年，{name}" + r.choice([f"共主动公开了{items_text}条政府信息", f"主动公开政府信息共{items_text}条",
                                               f"通过门户网站发布各类信息共{items_text}条"]) + "，及时回应群众关切。")
    else:
        b.tag("web_cumulative_beside_yearly")
        doc.p(f"{year}年，{name}持续完善政务公开专栏，专栏累计公开信息{items + int(items * r.uniform(5, 20))}条（本年新增{items_text}条）。")
    if r.random() < 0.4:
        b.tag("web_approximate_beside")
        doc.p(f"各类媒体刊发街道政务公开工作报道{r.randint(3, 30) * 10}{r.choice(['多', '余'])}篇。")
    v["od_items_published"] = items_value
    doc.p("二、主动公开政府信息情况", "h")
    if template == 2021:
        rows = [[C("第二十条第（一）项", colspan=4)],
                ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
                ["规章", "0", "0", "0"],
                ["行政规范性文件", str(d["regdocs_issued"]), str(d["regdocs_repealed"]), str(d["regdocs_valid"])],
                [C("第二十条第（五）项", colspan=4)],
                ["信息内容", C("本年处理决定数量", colspan=3)],
                ["行政许可", C(str(d["permits"]), colspan=3)],
                [C("第二十条第（六）项", colspan=4)],
                ["信息内容", C("本年处理决定数量", colspan=3)],
                ["行政处罚", C(str(d["penalties"]), colspan=3)],
                ["行政强制", C(str(d["coercion"]), colspan=3)],
                [C("第二十条第（八）项", colspan=4)],
                ["信息内容", C("本年收费金额（单位：万元）", colspan=3)],
                ["行政事业性收费", C(f"{d['fees']:g}", colspan=3)]]
        v["od_fees"] = d["fees"]
    else:
        items_lic = r.randint(5, 40)
        items_pen = r.randint(20, 200)
        rows = [[C("第二十条第（一）项", colspan=4)],
                ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
                ["规章", "0", "0", "0"],
                ["规范性文件", str(d["regdocs_issued"]), str(d["regdocs_issued"]), str(d["regdocs_valid"])],
                [C("第二十条第（五）项", colspan=4)],
                ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
                ["行政许可", str(items_lic), f"{r.randint(-2, 3):+d}".replace("+0", "0"), str(d["permits"])],
                ["其他对外管理服务事项", str(r.randint(0, 15)), "0", str(r.randint(0, 300))],
                [C("第二十条第（六）项", colspan=4)],
                ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
                ["行政处罚", str(items_pen), f"{r.randint(-5, 8):+d}".replace("+0", "0"), str(d["penalties"])],
                ["行政强制", str(r.randint(2, 20)), "0", str(d["coercion"])],
                [C("第二十条第（八）项", colspan=4)],
                ["信息内容", "上一年项目数量", C("本年增/减", colspan=2)],
                ["行政事业性收费", "0", C("0", colspan=2)],
                [C("第二十条第（九）项", colspan=4)],
                ["信息内容", "采购项目数量", C("采购总金额", colspan=2)],
                ["政府集中采购", str(r.randint(3, 40)), C(f"{r.uniform(50, 900):.2f}", colspan=2)]]
    doc.blocks.append(Table(rows, header_rows=0, caption="", numeric_from=1, col_widths=[2.4, 1.6, 1.6, 1.6]))
    v["od_regdocs_issued"] = d["regdocs_issued"]
    v["od_regdocs_valid"] = d["regdocs_valid"]
    v["od_permits"] = d["permits"]
    v["od_penalties"] = d["penalties"]
    v["od_coercion"] = d["coercion"]

    doc.p("三、收到和处理政府信息公开申请情况", "h")
    req = d["requests"]
    header = [[C("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", colspan=3, rowspan=3), C("申请人情况", colspan=7)],
              [C("自然人", rowspan=2), C("法人或其他组织", colspan=5), C("总计", rowspan=2)],
              ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]]
    body = []
    new, cin, cout = _req_row(req, "new"), _req_row(req, "carried_in"), _req_row(req, "carried_out")
    granted, partly = _req_row(req, "granted"), _req_row(req, "partly")
    denied = [_req_row(req, f"denied_{i}") for i in range(DENIED_SUB)]
    unavail = [_req_row(req, f"unavailable_{i}") for i in range(UNAVAILABLE_SUB)]
    notproc = [_req_row(req, f"notproc_{i}") for i in range(NOT_PROCESSED_SUB)]
    other = [_req_row(req, f"other_{i}") for i in range(OTHER_SUB)]
    handled_rows = [granted, partly, *denied, *unavail, *notproc, *other]
    handled = [sum(col) for col in zip(*handled_rows)]
    n_result_rows = 2 + DENIED_SUB + UNAVAILABLE_SUB + NOT_PROCESSED_SUB + (OTHER_SUB if template == 2021 else 1) + 1
    body.append([C("一、本年新收政府信息公开申请数量", colspan=3), *_req_cells(new)])
    body.append([C("二、上年结转政府信息公开申请数量", colspan=3), *_req_cells(cin)])
    body.append([C("三、本年度办理结果", rowspan=n_result_rows), C("（一）予以公开", colspan=2), *_req_cells(granted)])
    body.append([C("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", colspan=2), *_req_cells(partly)])
    for i, lab in enumerate(DENIED):
        body.append(([C("（三）不予公开", rowspan=DENIED_SUB)] if i == 0 else []) + [lab, *_req_cells(denied[i])])
    for i, lab in enumerate(UNAVAILABLE):
        body.append(([C("（四）无法提供", rowspan=UNAVAILABLE_SUB)] if i == 0 else []) + [lab, *_req_cells(unavail[i])])
    for i, lab in enumerate(NOT_PROCESSED):
        body.append(([C("（五）不予处理", rowspan=NOT_PROCESSED_SUB)] if i == 0 else []) + [lab, *_req_cells(notproc[i])])
    if template == 2021:
        for i, lab in enumerate(OTHER_2021):
            body.append(([C("（六）其他处理", rowspan=OTHER_SUB)] if i == 0 else []) + [lab, *_req_cells(other[i])])
    else:
        merged = [sum(col) for col in zip(*other)]
        body.append([C("（六）其他处理", colspan=2), *_req_cells(merged)])
    total_cells = list(handled)
    carried_out_cells = list(cout)
    if inconsistent:
        # a typing slip in the published table: one more request carried over than the cases say
        carried_out_cells[0] += 1
    body.append([C("（七）总计", colspan=2), *_req_cells(total_cells)])
    body.append([C("四、结转下年度继续办理", colspan=3), *_req_cells(carried_out_cells)])
    prose_only = not inconsistent and r.random() < 0.15
    if not prose_only:
        doc.blocks.append(Table(header + body, header_rows=3, numeric_from=3, font_size=7,
                                col_widths=[0.9, 1.3, 2.6, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]))
    v["rq_new"] = sum(new)
    v["rq_carried_in"] = sum(cin)
    v["rq_granted"] = sum(granted)
    v["rq_partly"] = sum(partly)
    v["rq_denied"] = sum(sum(x) for x in denied)
    v["rq_unavailable"] = sum(sum(x) for x in unavail)
    v["rq_total_handled"] = sum(total_cells)
    v["rq_carried_out"] = sum(carried_out_cells)

    unit = r.choice(["件", "宗", "个"])
    if prose_only:
        b.tag("web_prose_only_requests")
        doc.p(f"本年度新收政府信息公开申请{v['rq_new']}{unit}，上年结转{v['rq_carried_in']}{unit}。"
              f"全年办结{v['rq_total_handled']}{unit}，其中予以公开{v['rq_granted']}{unit}，部分公开{v['rq_partly']}{unit}，"
              f"不予公开{v['rq_denied']}{unit}，无法提供{v['rq_unavailable']}{unit}；{v['rq_carried_out']}{unit}仍在法定办理期限内。")
    elif r.random() < 0.5:
        b.tag("web_prose_requests")
        verb = r.choice(["新收", "受理", "核收", "收到"])
        doc.p(f"全年共{verb}政府信息公开申请{v['rq_new']}{unit}，其中予以公开{v['rq_granted']}{unit}，"
              f"部分公开{v['rq_partly']}{unit}，{v['rq_carried_out']}{unit}仍在法定办理期限内。")
    doc.p("四、政府信息公开行政复议、行政诉讼情况", "h")
    rv, ld, la = d["review"], d["lit_direct"], d["lit_after"]
    if rv[4] == 0 and ld[4] + la[4] == 0 and r.random() < 0.6:
        b.tag("web_negated_zeros")
        doc.p(r.choice(["全年未发生因政府信息公开申请提起的行政复议和行政诉讼。",
                        "本年度未收到针对本机关政府信息公开工作的行政复议、行政诉讼案件。"]))
    elif rv[1] == 0 and ld[1] + la[1] == 0 and r.random() < 0.5:
        b.tag("web_negated_zeros")
        doc.p("本年度无行政复议纠错及行政诉讼败诉情况。")
    five = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    rows = [[C("行政复议", colspan=5), C("行政诉讼", colspan=10)],
            [*[C(h, rowspan=2) for h in five], C("未经复议直接起诉", colspan=5), C("复议后起诉", colspan=5)],
            [*five, *five],
            [str(x) for x in rv + ld + la]]
    doc.blocks.append(Table(rows, header_rows=3, numeric_from=0, font_size=7))
    v["rv_total"] = rv[4]
    v["rv_corrected"] = rv[1]
    v["lt_total"] = ld[4] + la[4]
    v["lt_corrected"] = ld[1] + la[1]
    doc.p("五、存在的主要问题及改进情况", "h")
    doc.p("一是主动公开的深度和广度有待加强；二是政策解读形式较为单一。下一步将加强培训，提升公开质量。")
    doc.p("六、其他需要报告的事项", "h")
    doc.p(f"本年度未收取信息处理费。{name}将继续做好政府信息公开工作。")
    return b


# ---------------------------------------------------------------------------- rule of law
def rule_of_law(sy: StreetYear, r: random.Random) -> Built:
    name, issuer_family = _web_name(sy, r, formal=False)
    year = sy.year
    w = Writer(r, style_bias=r.choice([0.0, 0.2]))
    f = sy.rule_of_law
    title_family, title = r.choice([
        ("web_rol_title_annual", f"{name}{year}年法治政府建设年度报告"),
        ("web_rol_title_about", f"{name}关于{year}年度法治政府建设工作情况的报告"),
        ("web_rol_title_about", f"{name}关于{year}{r.choice(['年', '年度'])}法治政府建设情况的报告"),
        ("web_rol_title_annual", f"{name}{year}年度法治政府建设情况报告"),
    ])
    doc = Doc(title=title, published=_published(year + 1, r.choice([1, 2, 3]), r), source=name)
    b = Built("rule_of_law", doc, name_used=name)
    b.tag(title_family, issuer_family)
    _web_page(b, sy, r)
    v = b.values
    doc.p(title, "title")
    doc.p(f"{year}年，{name}在区委区政府的坚强领导下，深入学习贯彻习近平法治思想，扎实推进法治政府建设各项工作。现将有关情况报告如下：")
    doc.p("一、推进法治政府建设的主要举措和成效", "h")
    # legal reviews
    t, val = w.count(int(f["legal_reviews"]), allow_wan=False)
    doc.p(r.choice([f"（一）严格落实重大行政决策程序。全年对{t}份文件、合同开展合法性审查，提出法律意见建议若干条。",
                    f"（一）健全依法决策机制。街道法律顾问全年审核各类合同、文件共{t}件，确保决策合法合规。"]))
    v["rl_legal_reviews"] = val
    # enforcement
    t, val = w.count(int(f["enforcement_cases"]), allow_wan=False)
    prev_t, _ = w.count(max(1, int(f["enforcement_cases"] * r.uniform(0.7, 1.3))), allow_wan=False)
    doc.p(r.choice([f"（二）规范行政执法。全年共查处各类行政处罚案件{t}宗（上年为{prev_t}宗），执法行为全部公示。",
                    f"（二）严格规范公正文明执法。{year}年办理行政执法案件{t}件，全面落实行政执法“三项制度”。"]))
    v["rl_enforcement_cases"] = val
    # review and litigation
    rv, lit, lost, court = int(f["review_cases"]), int(f["litigation_cases"]), int(f["litigation_lost"]), int(f["leaders_in_court"])
    parts = []
    if rv == 0 and lit == 0 and r.random() < 0.5:
        b.tag("web_negated_zeros")
        parts.append(r.choice(["全年未收到针对街道的行政复议、行政诉讼案件", "全年未发生以街道为被申请人的行政复议和行政诉讼"]))
    else:
        if rv == 0:
            b.tag("web_negated_zeros")
            parts.append("全年未发生行政复议案件")
        else:
            parts.append(f"全年发生行政复议案件{w.count(rv, allow_wan=False)[0]}宗")
        if lit == 0:
            parts.append("未发生行政诉讼案件")
        else:
            parts.append(f"行政诉讼案件{w.count(lit, allow_wan=False)[0]}宗")
    if lit and lost == 0:
        b.tag("web_negated_zeros")
        parts.append(r.choice(["无行政诉讼败诉案件", "无行政复议纠错及行政诉讼败诉情况"]))
    elif lost:
        parts.append(f"其中败诉{w.count(lost, allow_wan=False)[0]}宗")
    if lit:
        if court:
            b.tag("web_lookalike_court_times")
        parts.append(f"行政机关负责人出庭应诉{w.count(court, allow_wan=False)[0]}次" if court else "行政机关负责人未出庭应诉")
    doc.p("（三）依法化解行政争议。" + "，".join(parts) + "。")
    v["rl_review_cases"] = rv
    v["rl_litigation_cases"] = lit
    if lit:
        v["rl_litigation_lost"] = lost
        v["rl_leaders_in_court"] = court
    # education
    t, val = w.count(int(f["law_education_events"]), allow_wan=False)
    if r.random() < 0.4:
        b.tag("web_approximate_beside")
        doc.p(f"街道法律顾问全年提供法律咨询{r.randint(20, 60) * 10}余次，发放宣传资料近{r.randint(2, 9)}千份。")
    doc.p(r.choice([f"（四）深入开展普法宣传。全年开展普法宣传活动{t}场，覆盖群众{w.count(int(sy.population * 0.2), allow_chinese=False)[0]}人次。",
                    f"（四）落实“谁执法谁普法”责任制，开展“民法典进社区”等普法活动{t}场次。"]))
    v["rl_law_education_events"] = val
    # mediation
    t, val = w.count(int(f["mediation_cases"]), allow_chinese=False)
    dist = sy.district_work.get("mediation_cases", 0)
    rate = f["mediation_success_rate"]
    doc.p(r.choice([f"（五）加强矛盾纠纷多元化解。全年调处各类矛盾纠纷{t}宗，调解成功率{w.pct(rate)}（全区共调处{dist}宗）。",
                    f"（五）发挥人民调解作用。街道、社区两级调委会共受理矛盾纠纷{t}宗，调解成功率达{w.pct(rate)}。"]))
    v["rl_mediation_cases"] = val
    v["rl_mediation_success_rate"] = rate
    doc.p("二、存在的不足和原因", "h")
    doc.p("一是执法人员法律素养有待进一步提升；二是基层法治宣传的针对性有待增强。")
    doc.p(f"三、{year + 1}年工作打算", "h")
    doc.p(f"{year + 1}年，{name}将计划开展普法活动{r.randint(30, 80)}场，进一步提升依法行政水平。")
    doc.p(name, "meta")
    doc.p(f"{doc.published[:4]}年{int(doc.published[5:7])}月{int(doc.published[8:10])}日", "meta")
    return b


# --------------------------------------------------------------------------- work summary
def work_summary(sy: StreetYear, r: random.Random) -> Built:
    name, issuer_family = _web_name(sy, r, formal=False)
    year = sy.year
    w = Writer(r, style_bias=r.choice([0.0, 0.15, 0.3]))
    f = sy.work
    dw = sy.district_work
    title = r.choice([f"{name}{year}年工作总结", f"{name}{year}年工作总结和{year + 1}年工作计划", f"{name}{year}年度工作总结"])
    doc = Doc(title=title, published=_published(year + 1, 1, r), source=name)
    b = Built("work_summary", doc, name_used=name)
    b.tag("web_ws_title", issuer_family)
    _web_page(b, sy, r)
    v = b.values

    def cnt(n, **kw):
        return w.count(int(n), **kw)

    doc.p(title, "title")
    doc.p(f"{year}年，{name}坚持以人民为中心的发展思想，统筹发展和安全，各项工作取得新成效。现将有关情况总结如下：")
    doc.p("一、基层治理", "h")
    t_c, v_c = cnt(f["communities"], allow_wan=False)
    t_g, v_g = cnt(f["grids"], allow_wan=False)
    t_w, v_w = cnt(f["grid_workers"], allow_wan=False)
    doc.p(r.choice([f"街道辖{t_c}个社区，划分{t_g}个网格，配备专职网格员{t_w}名（全区共{dw.get('grid_workers', 0)}名），实现网格管理全覆盖。",
                    f"全面推进党建引领基层治理，全街道{t_c}个社区、{t_g}个网格全部建立网格党支部，{t_w}名网格员常态化入户走访。"]))
    v.update(ws_communities=v_c, ws_grids=v_g, ws_grid_workers=v_w)
    t, val = cnt(f["council_meetings"], allow_wan=False)
    doc.p(f"深化居民议事协商，全年召开居民议事会{t}场，协商解决小区停车、加装电梯等问题。")
    v["ws_council_meetings"] = val
    t, val = cnt(f["volunteers"])
    if "万" in str(t):
        b.tag("web_multiplied_units")
    new_vol = int(f["volunteers"] * r.uniform(0.08, 0.2))
    doc.p(r.choice([f"志愿服务蓬勃发展，辖区注册志愿者累计达{t}人，其中本年新增{new_vol}人。",
                    f"本年新注册志愿者{new_vol}名，全街道注册志愿者总数达{t}名。"]))
    v["ws_volunteers"] = val
    doc.p("二、民生服务", "h")
    t, val = cnt(f["citizen_requests"])
    rate = f["requests_closed_rate"]
    doc.p(r.choice([f"畅通民意诉求渠道，全年受理群众诉求{t}件（含12345热线工单），办结率{w.pct(rate)}。",
                    f"依托民生诉求服务平台，全年办理群众诉求{t}件，办结率达{w.pct(rate)}；全区同期受理{dw.get('citizen_requests', 0)}件。"]))
    v["ws_citizen_requests"] = val
    v["ws_requests_closed_rate"] = rate
    planned = f["livelihood_projects"] + r.randint(0, 6)
    t, val = cnt(f["livelihood_projects"], allow_wan=False)
    doc.p(f"年初确定民生实事{planned}项，年内完成{t}项，群众获得感持续增强。")
    v["ws_livelihood_projects"] = val
    t_b, v_b = cnt(f["petition_batches"], allow_wan=False)
    t_p, v_p = cnt(f["petition_persons"], allow_wan=False)
    doc.p(f"扎实做好信访工作，全年接待群众来访{t_b}批次{t_p}人次，信访形势总体平稳。")
    v["ws_petition_batches"] = v_b
    v["ws_petition_persons"] = v_p
    doc.p("三、安全生产和应急管理", "h")
    t_i, v_i = cnt(f["safety_inspections"])
    t_h, v_h = cnt(f["hazards_rectified"])
    if r.random() < 0.5:
        # 1.25万家次, 3.7万处: the figure as written, multiplied (never 10,000)
        if f["safety_inspections"] >= 10000:
            v_i = round(round(f["safety_inspections"] / 10000, 2) * 10000)
            t_i = f"{v_i / 10000:g}万"
            b.tag("web_multiplied_units")
        if f["hazards_rectified"] >= 10000:
            v_h = round(round(f["hazards_rectified"] / 10000, 1) * 10000)
            t_h = f"{v_h / 10000:g}万"
            b.tag("web_multiplied_units")
    doc.p(r.choice([f"全年检查企业（场所）{t_i}家次，排查整改安全隐患{t_h}处。",
                    f"开展安全生产大排查大整治，累计检查各类场所{t_i}家次，发现并整改隐患{t_h}处，整改率100%。"]))
    v["ws_safety_inspections"] = v_i
    v["ws_hazards_rectified"] = v_h
    t, val = cnt(f["emergency_drills"], allow_wan=False)
    doc.p(f"组织开展防汛、消防等应急演练{t}场，提升群众自救互救能力。")
    v["ws_emergency_drills"] = val
    fires = int(f["fire_incidents"])
    if fires == 0:
        doc.p("全年辖区未发生火灾事故，未发生较大以上生产安全事故。")
    else:
        t, _ = cnt(fires, allow_wan=False)
        doc.p(f"全年辖区共发生火灾{t}起，无人员伤亡。")
    v["ws_fire_incidents"] = fires
    doc.p("四、平安建设", "h")
    pct = f["crime_change_pct"]
    doc.p(f"深入推进平安建设，辖区刑事治安警情同比{'下降' if pct < 0 else '上升'}{w.pct(abs(pct))}，群众安全感持续提升。")
    v["ws_crime_change_pct"] = pct
    doc.p("五、队伍建设", "h")
    t_cs, v_cs = cnt(f["contract_staff"], allow_wan=False)
    doc.p(f"加强干部队伍建设，规范编外人员管理，现有政府购买服务人员{t_cs}名。")
    v["ws_contract_staff"] = v_cs
    sec = int(f["seconded_staff"])
    if sec:
        t, val = cnt(sec, allow_wan=False)
        doc.p(f"全年被上级部门借调工作人员{t}人，街道在岗力量相对紧张。")
        v["ws_seconded_staff"] = val
    doc.p(f"六、{year + 1}年工作计划", "h")
    doc.p(f"{year + 1}年，计划完成民生实事{r.randint(10, 40)}项，新增网格员{r.randint(5, 30)}名，开展应急演练{r.randint(10, 40)}场。")
    return b


BUILDERS = {
    "final_accounts": final_accounts,
    "budget": budget,
    "info_disclosure": info_disclosure,
    "rule_of_law": rule_of_law,
    "work_summary": work_summary,
}
