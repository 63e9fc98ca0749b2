"""A synthetic national corpus: documents of N township-level units anywhere in China.

    jinchengtuo sample-corpus --scope national --units N --years 2021,2022 --out DIR

Layout (the contract with the extraction engine):
    DIR/documents/<year>/<province_code>/<county_code>/<unit_code>/<downloaded file name>
    DIR/truth/files.jsonl, DIR/truth/values.jsonl   (the fields of the Shenzhen corpus's truth;
                                                     street_code = the unit's 9-digit code)
    DIR/truth/corpus.json                           (seed, years, the sampled units, synthetic)
    DIR/truth/units.csv                             (the sampled units: hierarchy, kind, and the synthetic
                                                     2020 population and area the documents were made from)
    DIR/census/national/七普乡镇人口_SYNTHETIC样例_<scope>.csv   (the same population and area as a
                                                     synthetic census extract, read outside the Shenzhen scope)

The units are drawn deterministically (seed) across all provinces from the national reference
(sources/reference/national/), in proportion to each province's units, among the units a
document can name: streets (…街道), towns (…镇) and townships (…乡, …苏木). Units of kind `other`
(开发区, 农场, 管理处 …: names without such an ending, which no directory can find in a text) are
not drawn.

A lighter mix than the Shenzhen corpus: per unit-year one final account and one
information-disclosure report, built by the same builders (corpus/documents.py) from the same
model (corpus/model.py) and rendered by corpus/render.py. The issuer names its county (and often
its province and city), as real documents do; a unit whose name is unique in the country is
sometimes named alone. Formats: rendering a PDF costs ~20× an HTML page and a DOCX with tables
more still, so final accounts are HTML (80%) or PDF (20%), disclosure reports HTML (90%) or PDF
(10%) — see `FORMATS`. No deliberate mess (duplicates, broken downloads): every file is `extracted` or
`partial` by its content.

Generation is parallel and streams: the units are cut into chunks, a process pool renders a chunk
and writes its files as it goes (a worker holds one chunk's model, never more), and the parent
appends each chunk's truth to the jsonl files in chunk order, printing progress. Memory is bounded
by the chunk size whatever N is. The same seed gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import shutil
import time
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import pandas as pd

from jinchengtuo.corpus import documents as builders
from jinchengtuo.corpus.families import HTML_ONLY, is_held_out
from jinchengtuo.corpus.families import ordered as ordered_families
from jinchengtuo.corpus.generate import FIELD_UNITS, _expected, _file_name, FilePlan, swap_in
from jinchengtuo.corpus.model import build_model
from jinchengtuo.corpus.render import to_docx, to_html, to_pdf
from jinchengtuo.reference.scope import national_units
from jinchengtuo.reference.streets import Street

GENERATOR_VERSION = "national-1"
DOC_TYPES = ("final_accounts", "info_disclosure")  # the light mix (the default)
# the mixes a national corpus can have: `light` (final accounts and disclosure reports, the issue's
# lighter mix) or `full` (plus the rule-of-law report and the work summary, whose prose figures the
# framework's other indicators read: with the light mix a unit has own data for about 7 of the 26
# scored indicators, below the street coverage gate, so no unit is ranked)
MIXES = {"light": DOC_TYPES, "full": DOC_TYPES + ("rule_of_law", "work_summary")}
# (format, weight) per document type. Rendering costs (wall time, one process on the loaded 2-core
# machine): a final account 6 ms as HTML, 135 ms as PDF, 0.3–2 s as DOCX (python-docx's cell lookup
# is quadratic in a table's cells); a disclosure report ~10 ms as HTML, 40 ms as PDF, ~2 s as DOCX.
# No DOCX in the national corpus. With this mix a file costs 8.4 ms of CPU on average
# (benchmarks/bench_national_corpus.py).
FORMATS = {
    "final_accounts": (("html", 0.80), ("pdf", 0.20)),
    "info_disclosure": (("html", 0.90), ("pdf", 0.10)),
    "rule_of_law": (("html", 0.90), ("pdf", 0.10)),
    "work_summary": (("html", 0.90), ("pdf", 0.10)),
}
CHUNK_UNITS = 20
# a name the directories can find in a text (reference/national.py UNIT_SUFFIXES, _MAX_NAME)
_NAMEABLE = re.compile(r"(街道|镇|乡|苏木)$")
_MAX_NAME = 12


@dataclass(frozen=True)
class NationalUnit(Street):
    """A township-level unit as the sample documents name it (a Street for the builders)."""

    unit_kind: str = "street"
    city_name: str = ""  # the printable city (the province's name for 市辖区)
    province_name: str = ""
    unique_name: bool = False  # no other unit of the country has this name
    county_unique: bool = True  # no other county of the same name has a unit of this name (市中区永安镇: two)
    menu: tuple = ()  # sibling units of the county (an untitled page's site menu)

    @property
    def core(self) -> str:
        for suffix in ("街道", "苏木", "镇", "乡"):
            if self.street_name.endswith(suffix):
                return self.street_name[: -len(suffix)]
        return self.street_name

    @property
    def office(self) -> str:
        """The issuing body: 青山镇人民政府, 园岭街道办事处."""
        if self.unit_kind == "street":
            return self.core + "街道办事处"
        return self.street_name + "人民政府"

    def _region(self) -> str:
        """province + city as printed (a municipality once: 北京市东城区…)."""
        if self.city_name == self.province_name:
            return self.province_name
        return self.province_name + self.city_name

    def name_forms(self) -> list[str]:
        """Five forms; the builders' formal choice takes the 1st, 3rd and 5th (all name the county)."""
        county = self.district_name
        city = "" if self.city_name == self.province_name else self.city_name
        # a county name shared with another county that has a unit of the same name: the city too
        local = f"{county}{self.office}" if self.county_unique else f"{city or self.province_name}{county}{self.office}"
        bare = self.office if self.unique_name else local
        return [
            local,
            f"{county}{self.street_name}",
            f"{self._region()}{county}{self.office}",
            bare,
            f"{city}{county}{self.office}",
        ]


def _eligible(units: pd.DataFrame) -> pd.DataFrame:
    names = units["unit_name"].astype(str)
    ok = names.str.contains(_NAMEABLE.pattern.replace("(", "(?:")) & (names.str.len() <= _MAX_NAME) & units["peer_kind"].isin(["street", "town"])
    return units.loc[ok]


def sample_units(n: int, seed: int = 2026, reference: Path | None = None, scope=None) -> pd.DataFrame:
    """N units drawn across provinces in proportion to their nameable units (largest remainder;
    every province at least one when N allows), deterministic for the seed; sorted by code.
    `scope` (a reference.scope.Scope) restricts the draw to its units (default: national)."""
    units = national_units(reference / "national" if reference else None)
    if scope is not None and not scope.is_national:
        units = units.loc[units["unit_code"].isin(scope.unit_codes(reference))]
    pool = _eligible(units)
    if n >= len(pool):
        return pool.reset_index(drop=True)
    if n <= 0:
        return pool.iloc[0:0].reset_index(drop=True)
    sizes = pool.groupby("province_code").size().sort_index()
    provinces = list(sizes.index)
    base = {p: (1 if n >= len(provinces) else 0) for p in provinces}
    rest = n - sum(base.values())
    quota = {p: rest * (sizes[p] - base[p]) / (len(pool) - sum(base.values())) for p in provinces}
    alloc = {p: base[p] + int(math.floor(quota[p])) for p in provinces}
    left = n - sum(alloc.values())
    r = random.Random(f"national-sample|{seed}")
    order = sorted(provinces, key=lambda p: (-(quota[p] - math.floor(quota[p])), r.random()))
    for p in order[:left]:
        alloc[p] += 1
    picked = []
    for p in provinces:
        codes = sorted(pool.loc[pool["province_code"] == p, "unit_code"].astype(str))
        k = min(alloc[p], len(codes))
        picked += random.Random(f"national-sample|{seed}|{p}").sample(codes, k)
    out = pool.loc[pool["unit_code"].isin(picked)]
    return out.sort_values("unit_code").reset_index(drop=True)


def _as_unit(row: dict, name_counts: dict[str, int], siblings: dict[str, list[str]],
             county_pairs: dict[str, int] | None = None) -> NationalUnit:
    return NationalUnit(
        street_code=row["unit_code"], street_name=row["unit_name"], district_name=row["county_name"],
        district_code=row["county_code"], area_km2=None, area_source="synthetic",
        unit_kind=row["unit_kind"], city_name=row["city_label"], province_name=row["province_name"],
        unique_name=name_counts.get(row["unit_name"], 0) == 1,
        county_unique=(county_pairs or {}).get(row["county_name"] + "|" + row["unit_name"], 1) <= 1,
        menu=tuple(m for m in siblings.get(row["county_code"], []) if m != row["unit_name"])[:5],
    )


def _census(unit: NationalUnit, seed: int) -> dict:
    """Synthetic 2020 population and area: dense small streets, larger sparse towns and townships."""
    r = random.Random(f"national-census|{seed}|{unit.street_code}")
    mean_pop, mean_area = {"street": (60000, 12.0), "town": (32000, 110.0), "township": (14000, 190.0)}.get(unit.unit_kind, (20000, 80.0))
    pop = int(round(mean_pop * math.exp(r.gauss(0.0, 0.55))))
    area = round(mean_area * math.exp(r.gauss(0.0, 0.6)), 2)
    return {"population": max(1500, pop), "area_km2": max(0.8, area), "households": None}


def _fmt(doc_type: str, r: random.Random) -> str:
    options = FORMATS[doc_type]
    return r.choices([f for f, _ in options], [w for _, w in options])[0]


def _worker_init() -> None:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which terminates the pool


def _render_chunk(task: tuple) -> tuple[list[dict], list[dict], int]:
    """Build and write every document of a chunk of units; return its truth (files, values)."""
    rows, years, seed, stage_docs, name_counts, siblings, county_pairs, doc_types = task
    build = {"final_accounts": builders.final_accounts, "info_disclosure": builders.info_disclosure,
             "rule_of_law": builders.rule_of_law, "work_summary": builders.work_summary}
    units = [_as_unit(row, name_counts, siblings, county_pairs) for row in rows]
    census = {u.street_code: _census(u, seed) for u in units}
    model = build_model(units, census, {}, list(years), seed)
    files: list[dict] = []
    values_out: list[dict] = []
    nbytes = 0
    root = Path(stage_docs)
    for unit, row in zip(units, rows):
        for year in years:
            sy = model[(unit.street_code, year)]
            r = random.Random(f"national-plan|{seed}|{unit.street_code}|{year}")
            folder = f"{year}/{row['province_code']}/{row['county_code']}/{unit.street_code}"
            taken: set[str] = set()
            for doc_type in doc_types:
                fmt = _fmt(doc_type, r)
                charset = "gbk" if r.random() < 0.2 else "utf-8"
                skin = r.choice(["gov_a", "gov_b"])
                name = _file_name(doc_type, fmt, unit.street_name, year, r)
                while name in taken:
                    stem, ext = name.rsplit(".", 1)
                    name = f"{stem}_{len(taken)}.{ext}"
                taken.add(name)
                rel = f"{folder}/{name}"
                rd = random.Random(f"doc|{seed}|{unit.street_code}|{year}|{doc_type}|0")
                built = build[doc_type](sy, rd)
                families = built.families if fmt == "html" else [f for f in built.families if f not in HTML_ONLY]
                if fmt == "html":
                    data = to_html(built.doc, charset=charset, skin=skin)
                elif fmt == "pdf":
                    data = to_pdf(built.doc)
                else:
                    data = to_docx(built.doc)
                target = root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                nbytes += len(data)
                plan = FilePlan(rel, unit.street_code, year, doc_type, fmt, charset, skin)
                files.append({
                    "file": rel, "doc_type": doc_type, "street_code": unit.street_code, "year": year,
                    "intended": {"doc_type": doc_type, "street_code": unit.street_code, "year": year},
                    "expected_status": _expected(plan, built.values), "misfiled": False, "deliberately_inconsistent": False,
                    "corrected": False, "format": fmt, "sha256": hashlib.sha256(data).hexdigest(), "note": "",
                    "family": families[0] if families else None, "families": ordered_families(families),
                    "held_out": is_held_out(families),
                    "issuer_printed": built.name_used, "unit_kind": unit.unit_kind, "province_code": row["province_code"],
                })
                for field_id, value in sorted(built.values.items()):
                    values_out.append({"file": rel, "doc_type": doc_type, "street_code": unit.street_code, "year": year,
                                       "field_id": field_id, "value": float(value), "unit": FIELD_UNITS[field_id]})
    return files, values_out, nbytes


@dataclass
class NationalCorpus:
    n_units: int = 0
    n_files: int = 0
    n_values: int = 0
    n_bytes: int = 0
    seconds: float = 0.0
    statuses: dict | None = None


CENSUS_EXTRACT_PREFIX = "七普乡镇人口_SYNTHETIC样例_"


def write_census_extract(out: Path, units: pd.DataFrame, scope=None) -> Path:
    """DIR/census/national/七普乡镇人口_SYNTHETIC样例_<scope>.csv: the synthetic 2020 population and
    area of the sampled units (the figures their documents were generated from) as a census
    extract the census loader reads for scopes other than Shenzhen (its name says SYNTHETIC, so
    every figure from it is flagged synthetic and the release is labelled sample). Replaces a
    previous such file of this command; never touches other files of the folder."""
    folder = Path(out) / "census" / "national"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(CENSUS_EXTRACT_PREFIX + "*.csv"):
        old.unlink()
    path = folder / f"{CENSUS_EXTRACT_PREFIX}{scope.slug if scope is not None else 'national'}.csv"
    extract = pd.DataFrame({
        "区划代码": units["unit_code"].astype(str), "乡镇街道": units["unit_name"].astype(str),
        "常住人口": units["population_2020"].astype("int64"), "面积": units["area_km2"],
    })
    tmp = path.with_suffix(".csv.tmp")
    extract.to_csv(tmp, index=False, encoding="utf-8")
    os.replace(tmp, path)
    return path


def generate_national(out: Path, n_units: int, years: list[int], seed: int = 2026, workers: int | None = None,
                      chunk_units: int = CHUNK_UNITS, progress: Callable[[str], None] | None = None,
                      reference: Path | None = None, scope=None, unit_codes: list[str] | None = None,
                      mix: str = "light") -> NationalCorpus:
    """Write DIR/documents and DIR/truth for `n_units` sampled units (replacing a previous
    generated corpus there atomically); see the module doc. `unit_codes`: exactly these units
    instead of a sample (n_units is then ignored). `mix`: light or full (MIXES)."""
    if mix not in MIXES:
        raise ValueError(f"mix {mix!r} is not one of {', '.join(MIXES)}")
    doc_types = MIXES[mix]
    t0 = time.perf_counter()
    out = Path(out)
    years = sorted(set(years))
    everyone = national_units(reference / "national" if reference else None)
    if unit_codes is not None:
        wanted = {str(c) for c in unit_codes}
        units = everyone.loc[everyone["unit_code"].isin(wanted)].reset_index(drop=True)
        unknown = sorted(wanted - set(units["unit_code"].astype(str)))
        if unknown:
            raise ValueError(f"unit code(s) not in the national reference: {', '.join(unknown[:10])}")
    else:
        units = sample_units(n_units, seed, reference, scope)
    name_counts = everyone["unit_name"].value_counts().to_dict()
    pair_counts = (everyone["county_name"] + "|" + everyone["unit_name"]).value_counts().to_dict()
    eligible = _eligible(everyone)
    rows = [{k: str(v) for k, v in rec.items()} for rec in units.to_dict("records")]
    counties = {row["county_code"] for row in rows}
    names_by_county = eligible.loc[eligible["county_code"].isin(counties)].groupby("county_code")["unit_name"]
    siblings = {str(c): sorted(str(n) for n in names)[:8] for c, names in names_by_county}
    stage = out / f".sample-corpus.{os.getpid()}.tmp"
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "documents").mkdir(parents=True)
    (stage / "truth").mkdir()
    chunks = [rows[i:i + chunk_units] for i in range(0, len(rows), chunk_units)]
    tasks = [(chunk, tuple(years), seed, str(stage / "documents"), {r["unit_name"]: name_counts[r["unit_name"]] for r in chunk},
              {r["county_code"]: siblings[r["county_code"]] for r in chunk},
              {r["county_name"] + "|" + r["unit_name"]: pair_counts[r["county_name"] + "|" + r["unit_name"]] for r in chunk},
              doc_types)
             for chunk in chunks]
    workers = workers or min(os.cpu_count() or 1, 8)
    result = NationalCorpus(n_units=len(rows), statuses={})
    done_units = 0
    say = progress or (lambda _msg: None)
    last_said = [0.0]
    with (stage / "truth" / "files.jsonl").open("w", encoding="utf-8") as ff, \
            (stage / "truth" / "values.jsonl").open("w", encoding="utf-8") as fv:
        def take(chunk_result, n_chunk_units):
            nonlocal done_units
            files, values, nbytes = chunk_result
            for f in files:
                ff.write(json.dumps(f, ensure_ascii=False) + "\n")
                result.statuses[f["expected_status"]] = result.statuses.get(f["expected_status"], 0) + 1
            for v in values:
                fv.write(json.dumps(v, ensure_ascii=False) + "\n")
            result.n_files += len(files)
            result.n_values += len(values)
            result.n_bytes += nbytes
            done_units += n_chunk_units
            elapsed = time.perf_counter() - t0
            if elapsed - last_said[0] < 2.0 and done_units < len(rows):
                return  # progress at most every two seconds, and at the end
            last_said[0] = elapsed
            say(f"units {done_units}/{len(rows)}, files {result.n_files}, {result.n_bytes / 2**20:.0f} MiB, "
                f"{elapsed:.1f} s, {result.n_files / max(elapsed, 1e-9):.0f} files/s")

        if workers > 1 and len(tasks) > 1:
            # spawn-free fork context: the workers inherit the imported modules; imap keeps chunk order
            # and holds only the chunks finished ahead of the one being written
            # closed and joined, not terminated: Pool.__exit__ terminates its workers, and a worker
            # killed while it holds the task queue's lock leaves the other one waiting for it forever
            # (seen under pytest-xdist, whose forked workers inherit a SIGTERM handler); the
            # workers get the default SIGTERM back (_worker_init)
            pool = get_context("fork").Pool(workers, initializer=_worker_init, maxtasksperchild=200)
            try:
                for task, res in zip(tasks, pool.imap(_render_chunk, tasks, chunksize=1)):
                    take(res, len(task[0]))
                pool.close()
            except BaseException:
                pool.terminate()
                raise
            finally:
                pool.join()
        else:
            for task in tasks:
                take(_render_chunk(task), len(task[0]))
    meta = {"generator_version": GENERATOR_VERSION, "scope": scope.spec if scope is not None else "national", "seed": seed, "years": years,
            "n_units": len(rows), "n_files": result.n_files, "n_values": result.n_values, "synthetic": True,
            "layout": "documents/<year>/<province_code>/<county_code>/<unit_code>/<file name>",
            "mix": mix, "doc_types": list(doc_types), "formats": {k: dict(FORMATS[k]) for k in doc_types},
            "units": [r["unit_code"] for r in rows],
            "note": "Generated sample documents: figures come from a model, not from real township offices."}
    # the sampled units with the synthetic 2020 population and area their documents were generated from
    units_out = units.copy()
    facts = [_census(_as_unit({k: str(v) for k, v in rec.items()}, name_counts, {}), seed) for rec in units.to_dict("records")]
    units_out["population_2020"] = [f["population"] for f in facts]
    units_out["area_km2"] = [f["area_km2"] for f in facts]
    units_out["is_synthetic"] = True
    units_out.to_csv(stage / "truth" / "units.csv", index=False, encoding="utf-8")
    write_census_extract(out, units_out, scope)
    (stage / "truth" / "corpus.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    swap_in(stage, out)
    result.seconds = time.perf_counter() - t0
    return result


def attribution(truth_dir: Path, documents: pd.DataFrame) -> dict:
    """How many documents extraction attributed to the unit the truth says (documents: the
    raw.document columns, source_path and street_code). Returns counts and the wrong/missing ones."""
    from jinchengtuo.corpus.evaluate import read_truth

    files, _ = read_truth(Path(truth_dir))
    expected = {f: c for f, c in zip(files["file"], files["street_code"]) if c}
    got = dict(zip(documents["source_path"], documents["street_code"]))
    right = [f for f, c in expected.items() if got.get(f) == c]
    wrong = [{"file": f, "truth": c, "extracted": got.get(f)} for f, c in expected.items() if got.get(f) not in (None, c)
             and got.get(f) == got.get(f)]
    missing = [{"file": f, "truth": c} for f, c in expected.items() if f not in got or got.get(f) is None or got.get(f) != got.get(f)]
    return {"n": len(expected), "right": len(right), "wrong": wrong, "unattributed": missing,
            "share_right": len(right) / len(expected) if expected else 1.0}
