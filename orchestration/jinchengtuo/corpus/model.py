"""The figures behind the sample corpus: one coherent model of every street and year.

Population and area (from the committed census extract) drive spending, staffing and counts;
each street has persistent traits (spending standard, staffing gaps, request propensity …) so
its figures move smoothly from year to year, with a few real breaks (the 2020–2022 epidemic
years, a function transfer in 2021 or 2022 for some streets). The seed's three findings are
built in: large sparse streets vs small dense ones (area enters spending and grids, population
the counts), uneven staffing (posts vs staff present, contract staff, staff seconded upwards),
and a spending standard per resident that differs several-fold between streets.

Money is kept in integer 元, always a multiple of 100, so that 万元 figures have exactly two
decimals and every sum (项 → 款 → 类 → total, 三公 parts → total) holds in both units.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from jinchengtuo.reference.streets import Street

# Function classes of the government expenditure classification (政府收支分类科目) used by
# street offices: class -> (name, mean share, [(款 code, 款 name, [(项 code, 项 name, basic?)])]).
# This table is the generator's own; the extractor must not use it.
CLASSES: dict[str, tuple[str, float, list[tuple[str, str, list[tuple[str, str, bool]]]]]] = {
    "201": ("一般公共服务支出", 0.36, [
        ("20101", "人大事务", [("2010101", "行政运行", True), ("2010108", "代表工作", False)]),
        ("20103", "政府办公厅（室）及相关机构事务", [("2010301", "行政运行", True), ("2010302", "一般行政管理事务", False), ("2010350", "事业运行", True), ("2010399", "其他政府办公厅（室）及相关机构事务支出", False)]),
        ("20106", "财政事务", [("2010602", "一般行政管理事务", False)]),
        ("20111", "纪检监察事务", [("2011101", "行政运行", True), ("2011102", "一般行政管理事务", False)]),
        ("20129", "群众团体事务", [("2012902", "一般行政管理事务", False)]),
        ("20131", "党委办公厅（室）及相关机构事务", [("2013102", "一般行政管理事务", False)]),
        ("20132", "组织事务", [("2013202", "一般行政管理事务", False)]),
        ("20199", "其他一般公共服务支出", [("2019999", "其他一般公共服务支出", False)]),
    ]),
    "204": ("公共安全支出", 0.04, [
        ("20402", "公安", [("2040299", "其他公安支出", False)]),
        ("20406", "司法", [("2040604", "基层司法业务", False), ("2040610", "社区矫正", False)]),
    ]),
    "205": ("教育支出", 0.01, [
        ("20509", "教育费附加安排的支出", [("2050999", "其他教育费附加安排的支出", False)]),
    ]),
    "207": ("文化旅游体育与传媒支出", 0.03, [
        ("20701", "文化和旅游", [("2070109", "群众文化", False), ("2070199", "其他文化和旅游支出", False)]),
        ("20703", "体育", [("2070308", "群众体育", False)]),
    ]),
    "208": ("社会保障和就业支出", 0.10, [
        ("20802", "民政管理事务", [("2080208", "基层政权建设和社区治理", False)]),
        ("20805", "行政事业单位养老支出", [("2080505", "机关事业单位基本养老保险缴费支出", True), ("2080506", "机关事业单位职业年金缴费支出", True)]),
        ("20808", "抚恤", [("2080801", "死亡抚恤", True)]),
        ("20810", "社会福利", [("2081002", "老年福利", False)]),
        ("20828", "退役军人管理事务", [("2082850", "事业运行", True), ("2082899", "其他退役军人事务管理支出", False)]),
    ]),
    "210": ("卫生健康支出", 0.05, [
        ("21004", "公共卫生", [("2100408", "基本公共卫生服务", False), ("2100410", "突发公共卫生事件应急处理", False)]),
        ("21011", "行政事业单位医疗", [("2101101", "行政单位医疗", True), ("2101102", "事业单位医疗", True)]),
    ]),
    "211": ("节能环保支出", 0.03, [
        ("21103", "污染防治", [("2110302", "水体", False), ("2110399", "其他污染防治支出", False)]),
    ]),
    "212": ("城乡社区支出", 0.27, [
        ("21201", "城乡社区管理事务", [("2120101", "行政运行", True), ("2120104", "城管执法", False), ("2120199", "其他城乡社区管理事务支出", False)]),
        ("21203", "城乡社区公共设施", [("2120399", "其他城乡社区公共设施支出", False)]),
        ("21205", "城乡社区环境卫生", [("2120501", "城乡社区环境卫生", False)]),
        ("21299", "其他城乡社区支出", [("2129999", "其他城乡社区支出", False)]),
    ]),
    "213": ("农林水支出", 0.02, [
        ("21303", "水利", [("2130314", "防汛", False), ("2130399", "其他水利支出", False)]),
    ]),
    "221": ("住房保障支出", 0.04, [
        ("22102", "住房改革支出", [("2210201", "住房公积金", True), ("2210203", "购房补贴", True)]),
    ]),
    "224": ("灾害防治及应急管理支出", 0.04, [
        ("22401", "应急管理事务", [("2240106", "安全监管", False), ("2240199", "其他应急管理支出", False)]),
        ("22402", "消防救援事务", [("2240204", "消防应急救援", False)]),
    ]),
}
CLASS_CODES = tuple(CLASSES)

# The function classes of the national classification in the order final-account summary tables
# list them (printed with Chinese ordinals by position: 十九、住房保障支出); 234 since 2020.
NATIONAL_CLASSES: tuple[tuple[str, str], ...] = (
    ("201", "一般公共服务支出"), ("202", "外交支出"), ("203", "国防支出"), ("204", "公共安全支出"), ("205", "教育支出"),
    ("206", "科学技术支出"), ("207", "文化旅游体育与传媒支出"), ("208", "社会保障和就业支出"), ("210", "卫生健康支出"),
    ("211", "节能环保支出"), ("212", "城乡社区支出"), ("213", "农林水支出"), ("214", "交通运输支出"),
    ("215", "资源勘探工业信息等支出"), ("216", "商业服务业等支出"), ("217", "金融支出"), ("219", "援助其他地区支出"),
    ("220", "自然资源海洋气象等支出"), ("221", "住房保障支出"), ("222", "粮油物资储备支出"), ("223", "国有资本经营预算支出"),
    ("224", "灾害防治及应急管理支出"), ("229", "其他支出"), ("231", "债务还本支出"), ("232", "债务付息支出"),
    ("234", "抗疫特别国债安排的支出"),
)
OPTIONAL_CLASSES = ("205", "211", "213")  # some streets have no spending there in some years

# information-request outcome categories (the cells of the disclosure report's table 三)
DENIED_SUB = 8
UNAVAILABLE_SUB = 3
NOT_PROCESSED_SUB = 5
OTHER_SUB = 3
APPLICANT_TYPES = 6  # 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他


def round100(x: float) -> int:
    """Round 元 to a multiple of 100 (two decimals in 万元)."""
    return int(round(x / 100.0)) * 100


def wan(yuan: int) -> float:
    return round(yuan / 10000.0, 2)


@dataclass
class StreetTraits:
    """Persistent characteristics of one street (constant across years)."""

    spend_factor: float
    growth: float
    break_year: int | None
    break_shift: float
    class_bias: dict[str, float]
    gpb_share: float
    exec_rate: float
    adm_posts: int
    inst_posts: int
    vacancy: float
    contract_factor: float
    seconded_share: float
    request_propensity: float
    enforcement_factor: float
    communities: int
    grid_density: float
    volunteer_base: float
    safety_factor: float
    permits_factor: float


@dataclass
class Item:
    """A 项 row of a spending table: all amounts in 元."""

    class_code: str
    kuan_code: str
    kuan_name: str
    code: str
    name: str
    basic: int
    project: int
    gpb: int  # general public budget appropriation spent
    gpb_budget: int  # initial budget of the appropriation
    budget_all: int  # planned spending, all funds (budget document)

    @property
    def total(self) -> int:
        return self.basic + self.project


@dataclass
class StreetYear:
    street: Street
    year: int
    population: int
    area_km2: float
    households: int
    items: list[Item]
    three_public: dict[str, int]  # travel, vehicles (purchase, running), reception, total (元)
    three_public_budget: dict[str, int]
    three_public_prev: int
    total_prev: int  # last year's total spending (元) — the distractor in the explanations
    staff: dict[str, int]
    disclosure: dict
    rule_of_law: dict[str, float]
    work: dict[str, float]
    district_work: dict[str, float] = field(default_factory=dict)

    # ---- sums -------------------------------------------------------------------------
    def class_totals(self, what: str = "total") -> dict[str, int]:
        out: dict[str, int] = {}
        for it in self.items:
            out[it.class_code] = out.get(it.class_code, 0) + getattr(it, what)
        return out

    @property
    def total(self) -> int:
        return sum(it.total for it in self.items)

    @property
    def basic(self) -> int:
        return sum(it.basic for it in self.items)

    @property
    def project(self) -> int:
        return sum(it.project for it in self.items)

    @property
    def gpb(self) -> int:
        return sum(it.gpb for it in self.items)

    @property
    def gpb_budget(self) -> int:
        return sum(it.gpb_budget for it in self.items)

    @property
    def budget_all(self) -> int:
        return sum(it.budget_all for it in self.items)


def _rng(seed: int, *keys: object) -> random.Random:
    return random.Random("|".join(str(k) for k in (seed, *keys)))


def _known_or(known: int | None, drawn: int) -> int:
    return known if known else drawn


def make_traits(street: Street, population: int, area: float, seed: int) -> StreetTraits:
    r = _rng(seed, "traits", street.street_code)
    break_year = r.choice([2021, 2022]) if r.random() < 0.18 else None
    return StreetTraits(
        spend_factor=math.exp(r.gauss(0.0, 0.38)),
        growth=r.gauss(0.045, 0.025),
        break_year=break_year,
        break_shift=r.choice([-1, 1]) * r.uniform(0.12, 0.25),
        class_bias={c: math.exp(r.gauss(0.0, 0.3)) for c in CLASS_CODES},
        gpb_share=r.uniform(0.82, 0.97),
        exec_rate=r.uniform(0.86, 1.08),
        adm_posts=int(round(28 + population / 9000 * r.uniform(0.7, 1.3))),
        inst_posts=int(round(14 + population / 16000 * r.uniform(0.6, 1.4))),
        vacancy=r.uniform(0.70, 1.0),
        contract_factor=math.exp(r.gauss(0.0, 0.5)),
        seconded_share=r.uniform(0.15, 0.30) if r.random() < 0.2 else r.uniform(0.0, 0.08),
        request_propensity=math.exp(r.gauss(0.0, 0.8)),
        enforcement_factor=math.exp(r.gauss(0.0, 0.5)),
        # a real community count (sources/reference/streets.csv) when known; the draw is made either
        # way so every other trait stays as it was
        communities=_known_or(street.communities, max(4, int(round(population / 14000 * r.uniform(0.6, 1.4) + area / 25)))),
        grid_density=r.uniform(0.7, 1.4),
        volunteer_base=r.uniform(0.03, 0.12),
        safety_factor=math.exp(r.gauss(0.0, 0.4)),
        permits_factor=r.uniform(0.0, 1.5) if r.random() < 0.7 else 0.0,
    )


def _level(traits: StreetTraits, year: int, population: int, area: float) -> float:
    """Total spending in 元 for the year (before class split)."""
    base = (6.0e7 + 800.0 * population + 4.0e5 * area) * traits.spend_factor
    level = base * (1 + traits.growth) ** (year - 2019)
    if year in (2020, 2021, 2022):
        level *= {2020: 1.08, 2021: 1.05, 2022: 1.10}[year]
    if traits.break_year and year >= traits.break_year:
        level *= 1 + traits.break_shift
    return level


def _items(traits: StreetTraits, year: int, total: float, r: random.Random) -> list[Item]:
    shares = {}
    for code, (_, mean, _) in CLASSES.items():
        s = mean * traits.class_bias[code] * math.exp(r.gauss(0, 0.06))
        if code == "210" and year in (2020, 2021, 2022):
            s *= {2020: 2.6, 2021: 1.8, 2022: 2.4}[year]
        if code == "224" and year in (2020, 2022):
            s *= 1.4
        if code in OPTIONAL_CLASSES and _rng(0, traits.spend_factor, code, year).random() < 0.25:
            s = 0.0
        shares[code] = s
    norm = sum(shares.values())
    items: list[Item] = []
    for code, (_, _, kuans) in CLASSES.items():
        amount = total * shares[code] / norm
        if amount <= 0:
            continue
        leaves = [(k, kn, c, n, b) for k, kn, xs in kuans for c, n, b in xs]
        # a street does not use every 项 every year
        keep = [leaf for leaf in leaves if r.random() < 0.8] or leaves[:1]
        weights = [r.uniform(0.3, 1.7) * (2.0 if leaf[4] else 1.0) for leaf in keep]
        wsum = sum(weights)
        for (k, kn, c, n, is_basic), w in zip(keep, weights):
            amt = max(round100(amount * w / wsum), 1000)
            basic = amt if is_basic else round100(amt * r.uniform(0.0, 0.15))
            project = amt - basic
            gpb = round100(amt * min(1.0, traits.gpb_share * r.uniform(0.95, 1.08)))
            gpb_budget = round100(gpb / (traits.exec_rate * r.uniform(0.9, 1.1)))
            other = amt - gpb
            budget_all = gpb_budget + round100(other * r.uniform(0.8, 1.2))
            items.append(Item(code, k, kn, c, n, basic, project, gpb, gpb_budget, budget_all))
    return items


def _requests(r: random.Random, carried_in: list[int], population: int, traits: StreetTraits, year: int) -> dict:
    """Information requests as individual cases, cross-tabulated (so rows and columns add up)."""
    lam = population / 25000 * traits.request_propensity * (1.15 if year >= 2021 else 1.0)
    new = _poisson(r, lam)
    applicant_w = [0.86, 0.07, 0.005, 0.01, 0.025, 0.03]

    def applicant() -> int:
        return r.choices(range(APPLICANT_TYPES), applicant_w)[0]

    cases_new = [applicant() for _ in range(new)]
    rows: dict[str, list[int]] = {}

    def bump(key: str, a: int) -> None:
        rows.setdefault(key, [0] * APPLICANT_TYPES)[a] += 1

    for a in cases_new:
        bump("new", a)
    for a in carried_in:
        bump("carried_in", a)
    carried_out: list[int] = []
    for a in cases_new + carried_in:
        u = r.random()
        if u < 0.07:
            carried_out.append(a)
            bump("carried_out", a)
        elif u < 0.50:
            bump("granted", a)
        elif u < 0.60:
            bump("partly", a)
        elif u < 0.68:
            bump(f"denied_{r.randrange(DENIED_SUB)}", a)
        elif u < 0.90:
            bump(f"unavailable_{r.choices(range(UNAVAILABLE_SUB), [0.7, 0.2, 0.1])[0]}", a)
        elif u < 0.96:
            bump(f"notproc_{r.randrange(NOT_PROCESSED_SUB)}", a)
        else:
            bump(f"other_{r.randrange(OTHER_SUB)}", a)
    for key in ("new", "carried_in", "carried_out", "granted", "partly"):
        rows.setdefault(key, [0] * APPLICANT_TYPES)
    return {"rows": rows, "carried_out_cases": carried_out}


def _poisson(r: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, int(round(r.gauss(lam, math.sqrt(lam)))))
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= r.random()
        if p <= threshold:
            return k
        k += 1


def _nonzero(x: float) -> float:
    return x if abs(x) >= 0.5 else -0.8


def _review_cells(r: random.Random, n: int) -> list[int]:
    """维持, 纠正, 其他结果, 尚未审结, 总计."""
    cells = [0, 0, 0, 0]
    for _ in range(n):
        cells[r.choices(range(4), [0.6, 0.12, 0.18, 0.1])[0]] += 1
    return cells + [sum(cells)]


def build_model(streets: list[Street], census: dict[str, dict], district_growth: dict[tuple[str, int], float],
                years: list[int], seed: int) -> dict[tuple[str, int], StreetYear]:
    """Every street-year of `years` (computed from 2019 on, so carried-over figures chain)."""
    out: dict[tuple[str, int], StreetYear] = {}
    first = min(2019, min(years))
    for street in streets:
        c = census[street.street_code]
        pop2020, area = int(c["population"]), float(c["area_km2"])
        traits = make_traits(street, pop2020, area, seed)
        r0 = _rng(seed, "chain", street.street_code)
        carried_in = [0] * _poisson(r0, 1.0)
        prev_total = round100(_level(traits, first - 1, pop2020, area) * r0.uniform(0.95, 1.02))
        prev_three = 0
        volunteers = pop2020 * traits.volunteer_base * 0.8
        communities = traits.communities
        for year in range(first, max(years) + 1):
            r = _rng(seed, street.street_code, year)
            pop = int(round(pop2020 * district_growth.get((street.district_name, year), 1.0)))
            households = int(round(c.get("households") or pop / 2.6) * pop / pop2020)
            total = _level(traits, year, pop, area) * math.exp(r.gauss(0, 0.03))
            items = _items(traits, year, total, r)
            staff_scale = 1 + 0.01 * (year - 2019)
            adm = int(round(traits.adm_posts * staff_scale))
            inst = int(round(traits.inst_posts * staff_scale))
            actual = int(round((adm + inst) * min(1.03, traits.vacancy * r.uniform(0.97, 1.03))))
            contract = int(round(pop / 300 * traits.contract_factor * r.uniform(0.93, 1.07)))
            seconded = int(round(actual * traits.seconded_share * r.uniform(0.8, 1.2)))
            staff = {"adm": adm, "inst": inst, "posts": adm + inst, "actual": actual, "contract": contract,
                     "seconded": seconded, "retired": int(round(actual * r.uniform(0.1, 0.4)))}
            # 三公: vehicles scale with staff; travel only outside the epidemic years
            vp = round100(r.uniform(0, 250000)) if r.random() < 0.15 else 0
            vr = round100((actual * 2200) * r.uniform(0.6, 1.4))
            rec = round100(r.uniform(3000, 60000) * (0.5 if year in (2020, 2021, 2022) else 1.0))
            travel = round100(r.uniform(8000, 60000)) if (year in (2019, 2023) and r.random() < 0.2) else 0
            three = {"travel": travel, "vehicle_purchase": vp, "vehicle_running": vr, "vehicles": vp + vr,
                     "reception": rec, "total": travel + vp + vr + rec}
            tb = {k: round100(v * r.uniform(1.0, 1.35)) for k, v in three.items() if k not in ("total", "vehicles")}
            tb["vehicles"] = tb["vehicle_purchase"] + tb["vehicle_running"]
            tb["total"] = tb["travel"] + tb["vehicles"] + tb["reception"]
            if _rng(seed, "no-three-public", street.street_code, year).random() < 0.06:
                # no 三公 spending at all this year although the budget had some (own generator,
                # so that the other figures of the seed stay as they were)
                three = {k: 0 for k in three}
            # disclosure
            req = _requests(r, carried_in, pop, traits, year)
            carried_in = req.pop("carried_out_cases")
            rv = _review_cells(r, _poisson(r, 0.4 * traits.request_propensity))
            lt_direct = _review_cells(r, _poisson(r, 0.25 * traits.request_propensity))
            lt_after = _review_cells(r, _poisson(r, 0.1))
            penalties = int(round(pop / 160 * traits.enforcement_factor * r.uniform(0.85, 1.15)))
            disclosure = {
                "regdocs_issued": r.choice([0, 0, 0, 1, 1, 2, 3]),
                "regdocs_valid": r.randint(2, 12),
                "regdocs_repealed": r.choice([0, 0, 1]),
                "permits": int(round(pop / 900 * traits.permits_factor * r.uniform(0.8, 1.2))),
                "penalties": penalties,
                "coercion": int(round(penalties * r.uniform(0.01, 0.08))),
                "fees": 0.0,
                "items_published": int(round((250 + pop / 900) * r.uniform(0.7, 1.4))),
                "requests": req["rows"],
                "review": rv, "lit_direct": lt_direct, "lit_after": lt_after,
            }
            lit = _poisson(r, 1.5 * traits.enforcement_factor)
            rule = {
                "enforcement_cases": int(round(penalties * r.uniform(1.05, 1.6))),
                "review_cases": _poisson(r, 2.0 * traits.enforcement_factor),
                "litigation_cases": lit,
                "litigation_lost": min(lit, _poisson(r, 0.25)),
                "legal_reviews": int(round((60 + pop / 2500) * r.uniform(0.7, 1.3))),
                "law_education_events": int(round((25 + pop / 6000) * r.uniform(0.6, 1.5))),
                "mediation_cases": int(round(pop / 250 * r.uniform(0.6, 1.4))),
                "mediation_success_rate": round(r.uniform(95.0, 99.8), 1),
                "leaders_in_court": 0,
            }
            rule["leaders_in_court"] = r.randint(0, lit) if lit else 0
            if traits.break_year == 2021 and year == 2021 and street.street_code[-1] in "13579":
                communities += 2  # communities re-divided
            grids = int(round(pop / 1400 * traits.grid_density + area / 2.0))
            volunteers *= r.uniform(1.06, 1.22)
            requests = int(round(pop * 0.09 * traits.request_propensity ** 0.3 * r.uniform(0.8, 1.2)
                                 * (1.3 if year >= 2020 else 1.0)))
            batches = int(round(pop / 1200 * r.uniform(0.5, 1.5)))
            work = {
                "communities": communities,
                "grids": grids,
                "grid_workers": int(round(grids * r.uniform(0.95, 1.4))),
                "citizen_requests": requests,
                "requests_closed_rate": round(r.uniform(96.0, 99.9), 1),
                "petition_batches": batches,
                "petition_persons": int(round(batches * r.uniform(1.8, 4.5))),
                "safety_inspections": int(round((pop / 12 + area * 40) * traits.safety_factor * r.uniform(0.8, 1.2))),
                "hazards_rectified": int(round((pop / 60 + area * 10) * traits.safety_factor * r.uniform(0.7, 1.3))),
                "emergency_drills": int(round((12 + pop / 9000) * r.uniform(0.6, 1.5))),
                "fire_incidents": _poisson(r, pop / 9000 + area / 6),
                "crime_change_pct": _nonzero(round(r.uniform(-28.0, 6.0), 1)),
                "council_meetings": int(round(communities * r.uniform(2.0, 12.0))),
                "volunteers": int(round(volunteers)),
                "livelihood_projects": r.randint(6, 40),
                "contract_staff": contract,
                "seconded_staff": seconded,
            }
            sy = StreetYear(street=street, year=year, population=pop, area_km2=area, households=households,
                            items=items, three_public=three, three_public_budget=tb, three_public_prev=prev_three,
                            total_prev=prev_total, staff=staff, disclosure=disclosure, rule_of_law=rule, work=work)
            prev_total, prev_three = sy.total, three["total"]
            if year in years:
                out[(street.street_code, year)] = sy
    # district-wide figures (the distractors "全区共…")
    for (code, year), sy in out.items():
        same = [o for (c2, y2), o in out.items() if y2 == year and o.street.district_name == sy.street.district_name]
        sy.district_work = {k: sum(o.work[k] for o in same) for k in ("grid_workers", "citizen_requests", "volunteers",
                                                                      "safety_inspections", "emergency_drills")}
        sy.district_work["mediation_cases"] = sum(o.rule_of_law["mediation_cases"] for o in same)
    return out


def load_inputs(census_dir: Path | None = None) -> tuple[list[Street], dict[str, dict], dict[tuple[str, int], float]]:
    """The 74 streets, their 2020 census row and the district population index (year / 2020)."""
    from jinchengtuo import config
    from jinchengtuo.census import load_census_dir
    from jinchengtuo.reference.streets import StreetDirectory, load_streets

    reference = config.reference_dir() / "streets.csv"
    if not reference.exists():
        reference = config.PROJECT_DIR / "sources" / "reference" / "streets.csv"
    streets = load_streets(reference)
    census_dir = census_dir or config.census_dir()
    if not census_dir.is_dir():
        census_dir = config.PROJECT_DIR / "sources" / "census"
    loaded = load_census_dir(census_dir, StreetDirectory(streets))
    census = {row["street_code"]: row for row in loaded.streets.to_dict("records")}
    missing = [s.street_code for s in streets if s.street_code not in census]
    if missing:
        raise ValueError(f"{census_dir}: no census row for street(s) {', '.join(missing)}")
    for s in streets:
        row = census[s.street_code]
        if not row.get("area_km2") or row["area_km2"] != row["area_km2"]:
            row["area_km2"] = s.area_km2 or 20.0
    growth: dict[tuple[str, int], float] = {}
    dp = loaded.district_population
    if len(dp):
        base = {r.district_name: r.population for r in dp.itertuples() if int(r.year) == 2020}
        for r in dp.itertuples():
            if r.district_name in base and base[r.district_name]:
                growth[(r.district_name, int(r.year))] = float(r.population) / float(base[r.district_name])
    return streets, census, growth

