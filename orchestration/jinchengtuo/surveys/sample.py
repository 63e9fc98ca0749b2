"""The SYNTHETIC resident-survey sample: what residents would say, from the same model as the documents.

Each street-year has a "visible quality" per capacity, computed from the very figures the sample
documents state (corpus/model.py, the same seed): for public service its livelihood spending per
resident, staff and grid workers per 10k residents and request closure rate; for emergency
management its emergency spending per resident, drills and fires per 10k; for safety its
public-safety spending, mediation success, petitions per 10k and crime change; for deliberation
its meetings per community, volunteers per 1k and items published per 10k; for execution its staff
fill, reliance on contract staff and 三公 share — each standardised across the streets of the year.
The official scores are computed from those figures as extracted, so the two views are *related*;
but residents also weigh what no document states: every street has its own persistent
"what residents feel" effect per capacity and a yearly shock, so the residents' view is never
*determined* by the official one. Each survey answer is then sampled (a binomial draw of n
respondents), so the margins of error are real sampling error. A few street-years have too few
respondents to publish (n < 100), and the surveys do not cover every capacity everywhere (EXE,
the least visible to residents, in about half the street-years).

The 12345 hotline summary takes the citizen requests the work summaries state (the model's figure),
of which the hotline carries a street-specific share; closed = received × the stated closure rate;
satisfaction from the service quality.

Written as `居民满意度调查_SYNTHETIC示例_<years>.csv` and `12345热线_SYNTHETIC示例_<years>.xlsx` under
DIR/surveys/, each row with 示例 = synthetic.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

SURVEY_HEADER = ["街道", "年度", "能力", "满意率(%)", "样本量", "调查机构", "调查方式", "示例"]
HOTLINE_HEADER = ["街道", "年度", "受理量", "办结量", "满意率(%)", "回访样本量", "示例"]
CAPACITY_ZH = {"EXE": "行政执行能力", "SRV": "为民服务能力", "DLB": "议事协商能力", "EMG": "应急管理能力", "SAF": "平安建设能力", "ALL": "总体"}
SAMPLE_TAG = "synthetic"
SUFFIX = "_SYNTHETIC示例_"


def _z(values: dict) -> dict:
    arr = np.array(list(values.values()), dtype="float64")
    mu, sd = arr.mean(), arr.std() or 1.0
    return {k: (v - mu) / sd for k, v in values.items()}


def _visible_measures(sy) -> dict[str, list[tuple[float, int]]]:
    """capacity -> [(figure, direction)] for one street-year, from what its documents state."""
    pop = max(1, sy.population)
    ct = sy.class_totals()
    livelihood = sum(ct.get(c, 0) for c in ("205", "207", "208", "210", "212", "221"))
    w, rl, st, d = sy.work, sy.rule_of_law, sy.staff, sy.disclosure
    return {
        "SRV": [(livelihood / pop, 1), (st["actual"] * 1e4 / pop, 1), (w["grid_workers"] * 1e4 / pop, 1), (w["requests_closed_rate"], 1)],
        "EMG": [(ct.get("224", 0) / pop, 1), (w["emergency_drills"] * 1e4 / pop, 1), (w["fire_incidents"] * 1e4 / pop, -1)],
        "SAF": [(ct.get("204", 0) / pop, 1), (rl["mediation_success_rate"], 1), (w["petition_batches"] * 1e4 / pop, -1),
                (w["crime_change_pct"], -1)],
        "DLB": [(w["council_meetings"] / max(1, w["communities"]), 1), (w["volunteers"] * 1e3 / pop, 1), (d["items_published"] * 1e4 / pop, 1)],
        "EXE": [(min(1.0, st["actual"] / max(1, st["posts"])), 1), (w["contract_staff"] / max(1, st["actual"] + w["contract_staff"]), -1),
                (sy.three_public["total"] / max(1, sy.total), -1)],
    }


def latent_qualities(model) -> dict[tuple[str, int], dict[str, float]]:
    """(street_code, year) -> capacity -> visible quality (standardised across the year's streets)."""
    out: dict[tuple[str, int], dict[str, float]] = {key: {} for key in model}
    for year in sorted({y for _, y in model}):
        keys = [k for k in model if k[1] == year]
        measures = {k: _visible_measures(model[k]) for k in keys}
        for cap in ("EXE", "SRV", "DLB", "EMG", "SAF"):
            n_parts = len(measures[keys[0]][cap])
            parts = [_z({k: measures[k][cap][i][0] * measures[k][cap][i][1] for k in keys}) for i in range(n_parts)]
            combined = _z({k: sum(p[k] for p in parts) / n_parts for k in keys})
            for k in keys:
                out[k][cap] = combined[k]
    return out


def _name_form(street, rng: np.random.Generator) -> str:
    u = rng.random()
    if u < 0.7:
        return street.street_name
    if u < 0.85:
        return street.district_name + street.street_name
    return street.core + ("办事处" if street.district_name == "大鹏新区" else "街道办事处")


def build_sample(model, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(survey rows, hotline rows) with the file headers, for every street-year of the model."""
    quality = latent_qualities(model)
    codes = sorted({code for code, _ in model})
    rng_street = {code: np.random.default_rng([seed, 13, int(code)]) for code in codes}
    # persistent residents' effects (what no document states) and base satisfaction per capacity
    feel = {code: {cap: r.normal(0, 0.8) for cap in ("EXE", "SRV", "DLB", "EMG", "SAF")} for code, r in rng_street.items()}
    hot_share = {code: r.uniform(0.45, 0.8) for code, r in rng_street.items()}
    base = {"EXE": 1.0, "SRV": 1.3, "DLB": 0.9, "EMG": 1.5, "SAF": 1.6}
    weight = {"EXE": 0.15, "SRV": 0.3, "DLB": 0.15, "EMG": 0.15, "SAF": 0.25}
    surveys, hotline = [], []
    for (code, year), sy in sorted(model.items()):
        r = np.random.default_rng([seed, 17, int(code), year])
        name = _name_form(sy.street, r)
        n_base = int(np.clip(r.normal(380, 110), 150, 800)) if r.random() > 0.03 else int(r.integers(40, 100))
        logits = {}
        for cap in ("EXE", "SRV", "DLB", "EMG", "SAF"):
            shock = r.normal(0, 0.25) + (-0.35 if year in (2020, 2022) and cap in ("SRV", "EMG") else 0.0)
            logits[cap] = base[cap] + 0.4 * quality[(code, year)][cap] + 0.35 * feel[code][cap] + shock
        logits["ALL"] = sum(weight[c] * logits[c] for c in weight) + r.normal(0, 0.1)
        covered = ["ALL", "SRV", "DLB", "EMG", "SAF"] + (["EXE"] if r.random() < 0.5 else [])
        for cap in ("EXE", "SRV", "DLB", "EMG", "SAF", "ALL"):
            if cap not in covered:
                continue
            n = n_base if cap == "ALL" else max(30, int(round(n_base * r.uniform(0.85, 1.0))))  # item non-response
            p = 1 / (1 + math.exp(-logits[cap]))
            satisfied = int(r.binomial(n, p))
            surveys.append([name, year, CAPACITY_ZH[cap] if r.random() < 0.6 else cap, round(100 * satisfied / n, 1), n,
                            "示例调查机构 sample surveyor", "入户与电话抽样 household and phone sample", SAMPLE_TAG])
        requests = int(sy.work.get("citizen_requests") or 0)
        closed_rate = float(sy.work.get("requests_closed_rate") or 97.0)
        received = max(50, int(round(requests * hot_share[code] * r.uniform(0.92, 1.08))))
        closed = min(received, int(round(received * closed_rate / 100)))
        rated = max(1, int(round(closed * r.uniform(0.2, 0.4))))
        p_hot = 1 / (1 + math.exp(-(1.8 + 0.4 * quality[(code, year)]["SRV"] + 0.25 * feel[code]["SRV"] + r.normal(0, 0.2))))
        hotline.append([name, year, received, closed, round(100 * r.binomial(rated, p_hot) / rated, 1), rated, SAMPLE_TAG])
    return pd.DataFrame(surveys, columns=SURVEY_HEADER), pd.DataFrame(hotline, columns=HOTLINE_HEADER)


def write_sample(out: Path, years: list[int], seed: int = 2026, census_dir: Path | None = None) -> list[Path]:
    """Write DIR/surveys/ (the two SYNTHETIC sample files; other files there are left alone)."""
    from jinchengtuo.corpus.model import build_model, load_inputs

    streets, census, growth = load_inputs(census_dir)
    model = build_model(streets, census, growth, sorted(years), seed)
    survey, hotline = build_sample(model, seed)
    folder = Path(out) / "surveys"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"*{SUFFIX}*"):  # a previous sample (other years)
        old.unlink()
    span = f"{min(years)}-{max(years)}" if len(years) > 1 else str(years[0])
    paths = [folder / f"居民满意度调查{SUFFIX}{span}.csv", folder / f"12345热线{SUFFIX}{span}.xlsx"]
    tmp = [p.with_name(f".{p.name}.tmp{os.getpid()}{p.suffix}") for p in paths]
    survey.to_csv(tmp[0], index=False, encoding="utf-8-sig")
    hotline.to_excel(tmp[1], index=False, sheet_name="12345热线 SYNTHETIC")
    for t, p in zip(tmp, paths):
        os.replace(t, p)
    return paths
