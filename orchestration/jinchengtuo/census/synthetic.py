"""Write the SYNTHETIC street census sample shipped in sources/census/.

Street-level 2020 census figures and most street areas were not available to the project, so the
sample is made up — but constrained by real facts: street populations add up exactly to the real
2020 district census totals, street areas add up to the real district land areas, and the real
street figures of sources/reference/streets.csv (2020 census populations of a few streets, the
published areas of about 30, each with its source) are kept as they are. Each district gets its own file
with a Chinese header and street names in the different forms real tables use, one as XLSX.
District populations for other years are sample values (2020 = census), labelled as such.

Run: python -m jinchengtuo.census.synthetic [OUT_DIR]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from jinchengtuo import config
from jinchengtuo.reference.streets import load_districts, load_streets

SEED = 20201101
YEARS = range(2017, 2026)
HEADER = ["街道", "常住人口", "家庭户", "0-14岁人口占比(%)", "60岁及以上人口占比(%)", "65岁及以上人口占比(%)", "流动人口占比(%)", "面积(平方公里)"]


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - out))[: total - out.sum()]:
        out[i] += 1
    return out


def build(out_dir: Path) -> list[Path]:
    rng = np.random.default_rng(SEED)
    streets = load_streets()
    districts = {d["district_name"]: d for d in load_districts()}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    name_forms = [lambda s: s.street_name, lambda s: s.street_name + "办事处", lambda s: s.district_name + s.street_name, lambda s: s.core]
    for k, (dname, d) in enumerate(districts.items()):
        members = [s for s in streets if s.district_name == dname]
        # populations: real ones kept (streets.csv), the rest of the district's census total shared out
        weights = rng.lognormal(0, 0.45, len(members))
        known_pop = {i: s.population_2020 for i, s in enumerate(members) if s.population_2020}
        free_pop = [i for i in range(len(members)) if i not in known_pop]
        pop = np.zeros(len(members), dtype=int)
        for i, p in known_pop.items():
            pop[i] = p
        if free_pop:
            pop[free_pop] = _largest_remainder(int(d["population_2020_census"]) - sum(known_pop.values()), weights[free_pop])
        # areas: real ones kept, the rest of the district's land shared out; a few large sparse streets
        known = {i: s.area_km2 for i, s in enumerate(members) if s.area_km2}
        # published street areas may add up to more than the district's land area (sources differ,
        # water included): then the streets without one get a small share, never a negative area
        rest = max(float(d["area_km2"]) - sum(known.values()), 2.0 * (len(members) - len(known)))
        w = rng.lognormal(0, 0.7, len(members))
        free = [i for i in range(len(members)) if i not in known]
        areas = np.zeros(len(members))
        areas[free] = w[free] / w[free].sum() * rest
        for i, a in known.items():
            areas[i] = a
        areas = np.round(areas, 2)
        if free and rest == float(d["area_km2"]) - sum(known.values()):  # rounded areas add up exactly to the district's
            areas[free[-1]] = round(float(d["area_km2"]) - (areas.sum() - areas[free[-1]]), 2)
        form = name_forms[k % len(name_forms)]
        rows = []
        for s, p, a in zip(members, pop, areas):
            young = rng.uniform(10, 20)
            old60 = rng.uniform(3, 13)
            rows.append([form(s), int(p), int(round(p / rng.uniform(2.2, 3.0))), round(young, 2), round(old60, 2),
                         round(old60 * rng.uniform(0.55, 0.7), 2), round(rng.uniform(40, 85), 2), f"{a:.2f}"])
        stem = f"七普街道人口_SYNTHETIC样例_{dname}"
        if dname == "坪山区":  # one district as a spreadsheet, as some users get them
            import openpyxl

            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "街道常住人口"
            ws.append([f"{dname}第七次全国人口普查街道数据（合成样例，非官方数据 / SYNTHETIC SAMPLE）"])
            ws.append(HEADER)
            for r in rows:
                ws.append(r[:7] + [float(r[7])])
            ws.append(["合计", int(pop.sum())])
            path = out_dir / f"{stem}.xlsx"
            wb.properties.created = wb.properties.modified = __import__("datetime").datetime(2021, 5, 11)
            wb.save(path)
        else:
            path = out_dir / f"{stem}.csv"
            with path.open("w", encoding="utf-8-sig", newline="") as fh:
                wr = csv.writer(fh)
                wr.writerow(HEADER)
                wr.writerows(rows)
        written.append(path)
    # district-by-year population: 2020 is the census; other years sample growth paths
    path = out_dir / "district_population.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["district_name", "year", "population", "is_sample", "source"])
        for dname, d in districts.items():
            base = int(d["population_2020_census"])
            growth = rng.uniform(0.005, 0.03)
            for y in YEARS:
                if y == 2020:
                    wr.writerow([dname, y, base, "false", "2020 census (districts.csv)"])
                else:
                    factor = (1 + growth) ** (y - 2020) * (0.99 if y == 2022 else 1.0)
                    wr.writerow([dname, y, int(round(base * factor)), "true", "SAMPLE value (synthetic growth path), not an official figure"])
    written.append(path)
    return written


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else config.census_dir()
    for p in build(out):
        print(p)
