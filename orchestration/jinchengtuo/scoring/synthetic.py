"""A synthetic raw warehouse for testing and benchmarking the index (never published data).

`write_synthetic_raw(con, years=...)` fills the raw tables of a DuckDB warehouse with made-up
documents and extracted figures for all 74 real streets, built to exercise every rule of the
method: missing documents and fields, a street with no documents in a year, an indicator
below the coverage threshold, zero denominators under both rules, outliers that trigger
winsorisation, two streets with identical data (a tie), and optionally a year in which only
one street published. Each year's figures come from a random stream seeded by (seed, year),
so adding a year never changes the figures of the others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jinchengtuo import config
from jinchengtuo.warehouse.schema import ensure_raw_schema, replace_table

DOC_TYPES = ("final_accounts", "budget", "info_disclosure", "rule_of_law", "work_summary")
CENSUS_YEAR = 2020


@dataclass
class SyntheticRaw:
    streets: pd.DataFrame  # street_code, street_name, district_name
    census: pd.DataFrame  # street_code, population, area_km2
    district_population: pd.DataFrame  # district_name, year, population
    documents: pd.DataFrame  # raw.document rows
    values: pd.DataFrame  # raw.extracted_value rows
    tie_pair: tuple[str, str]  # two streets with identical data
    silent_street: tuple[str, int]  # a street with no documents in one year
    single_street_year: int | None


def _streets(reference_dir: Path) -> pd.DataFrame:
    df = pd.read_csv(reference_dir / "streets.csv", dtype=str, encoding="utf-8-sig")
    return df[["street_code", "street_name", "district_name", "district_code", "area_km2", "area_source"]]


def _sha(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _year_figures(rng: np.random.Generator, pop: float, year: int) -> dict[str, dict[str, float]]:
    """One street's figures for one year, by doc_type (money in 万元, rates in percent)."""
    scale = pop / 100_000
    total = rng.uniform(8_000, 30_000) * scale ** 0.6
    gpb = total * rng.uniform(0.85, 0.98)
    posts = float(round(rng.uniform(80, 260) * scale ** 0.4))
    fa = {
        "fa_total_expenditure": total,
        "fa_gpb_expenditure": gpb,
        "fa_gpb_initial_budget": gpb / rng.uniform(0.8, 1.2),
        "fa_basic_expenditure": total * 0.4,
        "fa_project_expenditure": total * 0.6,
        "fa_exp_201": total * rng.uniform(0.2, 0.4),
        "fa_exp_204": total * rng.uniform(0.02, 0.1),
        "fa_exp_205": total * rng.uniform(0.0, 0.05),
        "fa_exp_207": total * rng.uniform(0.01, 0.05),
        "fa_exp_208": total * rng.uniform(0.05, 0.15),
        "fa_exp_210": total * rng.uniform(0.02, 0.08),
        "fa_exp_212": total * rng.uniform(0.1, 0.3),
        "fa_exp_221": total * rng.uniform(0.0, 0.05),
        "fa_exp_224": total * rng.uniform(0.005, 0.03),
        "fa_three_public_total": total * rng.uniform(0.001, 0.006),
        "fa_authorized_posts": posts,
        "fa_actual_staff": float(round(posts * rng.uniform(0.8, 1.05))),
        "fa_contract_staff": float(round(posts * rng.uniform(0.5, 3.0))),
    }
    bu = {"bu_total_expenditure": total * rng.uniform(0.9, 1.1), "bu_gpb_expenditure": gpb * rng.uniform(0.9, 1.1)}
    rq_new = float(rng.integers(0, 40))
    rq_in = float(rng.integers(0, 5))
    rq_out = float(min(rng.integers(0, 4), rq_new + rq_in))
    handled = rq_new + rq_in - rq_out
    granted = float(round(handled * rng.uniform(0.3, 0.8)))
    rv_total = float(rng.integers(0, 4))
    lt_total = float(rng.integers(0, 3))
    od = {
        "od_regdocs_issued": float(rng.integers(0, 5)),
        "od_permits": float(rng.integers(0, 300)),
        "od_penalties": float(rng.integers(0, 2000)),
        "od_coercion": float(rng.integers(0, 50)),
        "od_items_published": float(rng.integers(100, 3000)),
        "rq_new": rq_new,
        "rq_carried_in": rq_in,
        "rq_granted": granted,
        "rq_partly": float(round((handled - granted) * rng.uniform(0, 0.5))),
        "rq_total_handled": handled,
        "rq_carried_out": rq_out,
        "rv_total": rv_total,
        "rv_corrected": float(min(rv_total, rng.integers(0, 2))),
        "lt_total": lt_total,
        "lt_corrected": float(min(lt_total, rng.integers(0, 2))),
    }
    cases = float(rng.integers(0, 6))
    rl = {
        "rl_enforcement_cases": float(rng.integers(50, 900)),
        "rl_litigation_cases": cases,
        "rl_litigation_lost": float(min(cases, rng.integers(0, 2))),
        "rl_mediation_cases": float(rng.integers(100, 1500)),
        "rl_mediation_success_rate": float(round(rng.uniform(85, 100), 1)),
    }
    ws = {
        "ws_communities": float(rng.integers(6, 30)),
        "ws_grids": float(rng.integers(50, 400)),
        "ws_grid_workers": float(round(rng.uniform(3, 12) * pop / 10_000)),
        "ws_citizen_requests": float(round(rng.uniform(200, 900) * pop / 10_000)),
        "ws_requests_closed_rate": float(round(rng.uniform(90, 100), 1)),
        "ws_petition_batches": float(rng.integers(10, 400)),
        "ws_safety_inspections": float(rng.integers(200, 8000)),
        "ws_hazards_rectified": float(rng.integers(100, 5000)),
        "ws_emergency_drills": float(rng.integers(5, 120)),
        "ws_fire_incidents": float(rng.integers(0, 60)),
        "ws_crime_change_pct": float(round(rng.uniform(-25, 10), 1)),
        "ws_council_meetings": float(rng.integers(10, 300)),
        "ws_volunteers": float(round(rng.uniform(20, 120) * pop / 1000)),
        "ws_livelihood_projects": float(rng.integers(3, 40)),
        "ws_contract_staff": float(rng.integers(50, 600)),
        "ws_seconded_staff": float(rng.integers(0, 30)),
    }
    return {"final_accounts": fa, "budget": bu, "info_disclosure": od, "rule_of_law": rl, "work_summary": ws}


def make_synthetic_raw(years, *, seed: int = 7, single_street_year: int | None = None, silent_year: int = 2021,
                       reference_dir: Path | None = None) -> SyntheticRaw:
    streets = _streets(reference_dir or config.reference_dir())
    codes = streets["street_code"].tolist()
    base_rng = np.random.default_rng(seed)
    population = base_rng.integers(30_000, 400_000, len(codes)).astype(float)
    area = np.round(base_rng.uniform(3, 80, len(codes)), 2)
    # the tie: the last street of the first district with two or more streets copies the first
    by_district = streets.groupby("district_name")["street_code"].apply(list)
    pair = next(v for v in by_district if len(v) >= 2)
    a, b = codes.index(pair[0]), codes.index(pair[1])
    population[b], area[b] = population[a], area[a]
    census = pd.DataFrame({"street_code": codes, "population": population.astype(int), "area_km2": area})

    dist_pop = census.merge(streets[["street_code", "district_name"]]).groupby("district_name")["population"].sum()
    all_years = sorted(set(years) | {CENSUS_YEAR})
    district_population = pd.DataFrame(
        [{"district_name": d, "year": y, "population": int(round(p * (1 + 0.02 * (y - CENSUS_YEAR))))}
         for d, p in dist_pop.items() for y in all_years]
    )

    # a street with no document at all in its year (never ranked that year)
    silent = (codes[5], silent_year)
    docs, vals = [], []
    for year in sorted(years):
        rng = np.random.default_rng([seed, year])
        publishing = codes if year != single_street_year else [codes[0]]
        figures = {code: _year_figures(rng, population[codes.index(code)], year) for code in codes}
        figures[pair[1]] = figures[pair[0]]
        published = {code: rng.random(len(DOC_TYPES)) > 0.07 for code in codes}
        published[pair[1]] = published[pair[0]] = np.ones(len(DOC_TYPES), bool)
        missing_draw = {code: rng.random((len(DOC_TYPES), 40)) for code in codes}
        missing_draw[pair[1]] = missing_draw[pair[0]]
        # outliers: two streets with extreme volunteers and drills (winsorisation triggers)
        for k, code in enumerate(codes[10:12]):
            figures[code]["work_summary"]["ws_volunteers"] *= 40 + 10 * k
            figures[code]["work_summary"]["ws_emergency_drills"] *= 30
        # zero denominators: no review/litigation cases (rule: 0), no requests (rule: missing)
        for code in codes[20:24]:
            od = figures[code]["info_disclosure"]
            od.update(rv_total=0.0, rv_corrected=0.0, lt_total=0.0, lt_corrected=0.0)
            od.update(rq_new=0.0, rq_carried_in=0.0, rq_granted=0.0, rq_partly=0.0, rq_total_handled=0.0, rq_carried_out=0.0)
            figures[code]["rule_of_law"].update(rl_litigation_cases=0.0, rl_litigation_lost=0.0)
            figures[code]["work_summary"]["ws_safety_inspections"] = 0.0
        for code in publishing:
            if (code, year) == silent:
                continue
            street = streets.loc[streets.street_code == code].iloc[0]
            for t, doc_type in enumerate(DOC_TYPES):
                if not published[code][t]:
                    continue
                sha = _sha(seed, year, code, doc_type)
                path = f"{year}/{street.district_name}/{street.street_name}/{year}年{street.street_name}{doc_type}.pdf"
                docs.append({
                    "source_file_sha256": sha, "source_path": path, "file_name": path.rsplit("/", 1)[-1],
                    "size_bytes": 1000, "file_format": "pdf", "doc_type": doc_type, "street_code": code,
                    "year": year, "folder_street_code": code, "folder_year": year, "title": path,
                    "published_date": None, "is_correction": False, "n_pages": 3, "n_values": 0,
                    "status": "extracted", "reason": None, "extractor_version": "synthetic", "extracted_at": None,
                })
                for f, (field_id, value) in enumerate(figures[code][doc_type].items()):
                    draw = missing_draw[code][t, f]
                    if field_id == "od_items_published" and draw < 0.45:
                        continue  # below the 65% coverage threshold: excluded by screening
                    if draw > 0.95:
                        continue  # a field the extraction did not find
                    vals.append({
                        "source_file_sha256": sha, "doc_type": doc_type, "street_code": code, "year": year,
                        "field_id": field_id, "value": float(value), "unit": None, "source_page": 1 + f // 10,
                        "source_text": f"{field_id} {value}", "method": "synthetic",
                    })
    documents = pd.DataFrame(docs)
    values = pd.DataFrame(vals)
    if len(documents):
        documents["n_values"] = documents["source_file_sha256"].map(values.groupby("source_file_sha256").size()).fillna(0).astype(int)
    return SyntheticRaw(streets, census, district_population, documents, values, (pair[0], pair[1]), silent, single_street_year)


def write_synthetic_raw(con, raw: SyntheticRaw) -> None:
    """Write the synthetic raw layer (replacing the raw tables' content)."""
    ensure_raw_schema(con)
    streets = raw.streets.copy()
    streets["area_km2"] = pd.to_numeric(streets["area_km2"], errors="coerce")
    streets["name_variants"] = [[n] for n in streets["street_name"]]
    replace_table(con, "street", streets)
    census = raw.census.merge(raw.streets[["street_code", "street_name"]])
    census = census.assign(
        name_as_written=census["street_name"], households=(census["population"] // 3),
        is_synthetic=True, source_file="synthetic_census.csv", source_file_sha256=None,
        source_row=range(1, len(census) + 1),
    )
    replace_table(con, "census_street", census)
    replace_table(con, "district_population", raw.district_population.assign(is_sample=True, source="synthetic", source_file=None))
    replace_table(con, "document", raw.documents)
    # made-up documents: the warehouse labels everything built on them as sample data
    replace_table(con, "corpus", pd.DataFrame([{"is_sample": True, "generator_version": "scoring.synthetic",
                                                 "note": "synthetic raw layer for tests and benchmarks", "source_file": None}]))
    replace_table(con, "extracted_value", raw.values)
