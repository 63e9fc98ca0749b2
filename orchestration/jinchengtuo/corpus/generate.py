"""Write the sample corpus: every document of every street and year, the mess real folders
have, and the ground truth.

Layout (the one users drop downloaded documents into, see sources/README.md):
    DIR/documents/<year>/<district>/<street>/<downloaded file name>
    DIR/truth/files.jsonl, DIR/truth/values.jsonl, DIR/truth/corpus.json

Planning is sequential and cheap (which documents exist, in which format, under which name,
which ones are broken, duplicated, corrected or misfiled); rendering runs in a process pool,
one task per file, each a pure function of (seed, street, year, document plan). The same seed
gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jinchengtuo.corpus import documents as builders
from jinchengtuo.corpus.families import HTML_ONLY, is_held_out
from jinchengtuo.corpus.families import ordered as ordered_families
from jinchengtuo.corpus.model import StreetYear, build_model, load_inputs
from jinchengtuo.corpus.render import to_docx, to_html, to_pdf

DOC_TYPES = ("final_accounts", "budget", "info_disclosure", "rule_of_law", "work_summary")
DEFAULT_YEARS = (2019, 2020, 2021, 2022, 2023)
GENERATOR_VERSION = "1"

# the unit of every field (copied from the project's field catalogue: money in 万元, rates in %)
FIELD_UNITS: dict[str, str] = {
    **{f: "万元" for f in ("fa_total_expenditure", "fa_gpb_expenditure", "fa_gpb_initial_budget", "fa_basic_expenditure",
                          "fa_project_expenditure", "fa_three_public_total", "fa_three_public_travel",
                          "fa_three_public_vehicles", "fa_three_public_reception", "bu_total_expenditure",
                          "bu_gpb_expenditure", "bu_three_public_total", "od_fees")},
    **{f"fa_exp_{c}": "万元" for c in ("201", "204", "205", "207", "208", "210", "211", "212", "213", "221", "224")},
    **{f"bu_exp_{c}": "万元" for c in ("201", "204", "205", "207", "208", "210", "211", "212", "213", "221", "224")},
    "fa_authorized_posts": "人", "fa_actual_staff": "人", "fa_contract_staff": "人",
    "od_regdocs_issued": "件", "od_regdocs_valid": "件", "od_permits": "件", "od_penalties": "件", "od_coercion": "件",
    "od_items_published": "条",
    **{f: "件" for f in ("rq_new", "rq_carried_in", "rq_granted", "rq_partly", "rq_denied", "rq_unavailable",
                         "rq_total_handled", "rq_carried_out", "rv_total", "rv_corrected", "lt_total", "lt_corrected")},
    "rl_enforcement_cases": "宗", "rl_review_cases": "宗", "rl_litigation_cases": "宗", "rl_litigation_lost": "宗",
    "rl_legal_reviews": "件", "rl_law_education_events": "场", "rl_mediation_cases": "宗",
    "rl_mediation_success_rate": "%", "rl_leaders_in_court": "宗",
    "ws_communities": "个", "ws_grids": "个", "ws_grid_workers": "人", "ws_citizen_requests": "件",
    "ws_requests_closed_rate": "%", "ws_petition_batches": "批次", "ws_petition_persons": "人次",
    "ws_safety_inspections": "家次", "ws_hazards_rectified": "处", "ws_emergency_drills": "场", "ws_fire_incidents": "起",
    "ws_crime_change_pct": "%", "ws_council_meetings": "场", "ws_volunteers": "人", "ws_livelihood_projects": "项",
    "ws_contract_staff": "人", "ws_seconded_staff": "人",
}
# a document whose required fields are all there is `extracted`; otherwise `partial`
REQUIRED = {
    "final_accounts": ("fa_total_expenditure", "fa_gpb_expenditure", "fa_gpb_initial_budget", "fa_basic_expenditure",
                       "fa_project_expenditure", "fa_exp_201", "fa_three_public_total", "fa_authorized_posts",
                       "fa_actual_staff"),
    "budget": ("bu_total_expenditure", "bu_gpb_expenditure"),
    "info_disclosure": ("od_regdocs_issued", "od_permits", "od_penalties", "od_coercion", "rq_new", "rq_carried_in",
                        "rq_granted", "rq_partly", "rq_total_handled", "rq_carried_out", "rv_total", "rv_corrected",
                        "lt_total", "lt_corrected"),
    "rule_of_law": (),
    "work_summary": (),
}


@dataclass
class FilePlan:
    """One file to write under documents/."""

    rel: str  # path under documents/
    street_code: str  # the street the content is about
    year: int
    doc_type: str
    fmt: str  # pdf | html | docx | empty | truncated_pdf | not_found | scanned_pdf
    charset: str = "utf-8"
    skin: str = "gov_a"
    corrected: bool = False  # a corrected re-publication (title says 更正)
    slip: bool = False  # contains a deliberate inconsistency
    misfiled: bool = False
    copy_of: str | None = None  # a second upload of the same bytes
    note: str = ""


@dataclass
class Corpus:
    files: list[dict] = field(default_factory=list)
    values: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def _rng(seed: int, *keys: object) -> random.Random:
    return random.Random("|".join(str(k) for k in ("plan", seed, *keys)))


def _file_name(doc_type: str, fmt: str, street_folder: str, year: int, r: random.Random) -> str:
    ext = {"pdf": "pdf", "html": "html", "docx": "docx"}[fmt]
    label = {"final_accounts": f"{year}年度部门决算", "budget": f"{year}年部门预算",
             "info_disclosure": f"{year}年政府信息公开工作年度报告", "rule_of_law": f"{year}年法治政府建设年度报告",
             "work_summary": f"{year}年工作总结"}[doc_type]
    publish_year = year if doc_type == "budget" else year + 1
    u = r.random()
    if fmt == "html":
        if u < 0.6:
            return f"t{publish_year}{r.randint(1, 12):02d}{r.randint(1, 28):02d}_{r.randint(1000000, 9999999)}.html"
        return f"content_{r.randint(100000, 999999)}.html" if u < 0.8 else f"{street_folder}{label}.html"
    if u < 0.35:
        return f"P0{publish_year}{r.randint(1, 12):02d}{r.randint(10, 28)}{r.randint(100000, 999999)}.{ext}"
    if u < 0.55:
        return f"附件{r.randint(1, 3)}：{label}.{ext}"
    if u < 0.75:
        return f"{label}.{ext}"
    return f"{street_folder}{label}.{ext}"


def _format(doc_type: str, r: random.Random) -> tuple[str, str, str]:
    """(format, charset, skin)."""
    skin = r.choice(["gov_a", "gov_b"])
    charset = "gbk" if r.random() < 0.25 else "utf-8"
    if doc_type in ("final_accounts", "budget"):
        return "pdf", charset, skin
    if doc_type == "info_disclosure":
        return ("pdf" if r.random() < 0.1 else "html"), charset, skin
    u = r.random()
    return ("html" if u < 0.5 else "docx" if u < 0.75 else "pdf"), charset, skin


def plan_corpus(streets, years: list[int], seed: int, gaps: list[dict] | None = None) -> list[FilePlan]:
    """Every file of the corpus, with the mess of real folders, deterministic for the seed.
    `gaps`, when given, receives the documents deliberately not published."""
    plans: list[FilePlan] = []
    gaps = gaps if gaps is not None else []
    by_code = {s.street_code: s for s in streets}
    codes = sorted(by_code)
    for year in years:
        for code in codes:
            s = by_code[code]
            r = _rng(seed, code, year)
            folder = f"{year}/{s.district_name}/{s.street_name}"
            missing = r.choice(DOC_TYPES) if r.random() < 0.07 else None  # not published this year
            if missing:
                gaps.append({"street_code": code, "year": year, "doc_type": missing})
            for doc_type in DOC_TYPES:
                if doc_type == missing:
                    continue
                fmt, charset, skin = _format(doc_type, r)
                name = _file_name(doc_type, fmt, s.street_name, year, r)
                plans.append(FilePlan(f"{folder}/{name}", code, year, doc_type, fmt, charset, skin))
    # the mess: chosen with one generator over the whole plan so that counts stay small and fixed
    r = _rng(seed, "mess")
    normal = [p for p in plans]

    def pick(pred, n):
        pool = [p for p in normal if pred(p) and p.note == ""]
        return r.sample(pool, min(n, len(pool)))

    n = max(1, len(plans) // 250)
    for p in pick(lambda p: p.doc_type == "final_accounts", 2 * n):
        # a first publication with a slip, then the corrected one (both kept, the later supersedes)
        p.slip = True
        p.note = "first publication with an error (class rows do not add up to the total); a corrected version follows"
        stem, ext = p.rel.rsplit(".", 1)
        plans.append(FilePlan(f"{stem}（更正）.{ext}", p.street_code, p.year, p.doc_type, p.fmt, p.charset, p.skin,
                              corrected=True, note="corrected re-publication"))
    for p in pick(lambda p: p.doc_type == "info_disclosure", n):
        p.slip = True
        p.note = "the requests table does not add up (one request too many carried over): a deliberate inconsistency"
    for p in pick(lambda p: True, 2 * n):
        stem, ext = p.rel.rsplit(".", 1)
        copy = FilePlan(f"{stem}_副本.{ext}" if r.random() < 0.5 else f"{stem}(1).{ext}", p.street_code, p.year,
                        p.doc_type, p.fmt, p.charset, p.skin, p.corrected, p.slip, copy_of=p.rel, note="the same file uploaded twice")
        p.note = p.note or "uploaded twice"
        plans.append(copy)
    for p in pick(lambda p: p.fmt == "pdf", n):
        p.fmt, p.note = "truncated_pdf", "download cut short: a truncated PDF"
    for p in pick(lambda p: True, max(1, n // 2)):
        p.fmt, p.note = "empty", "an empty file (failed download)"
    for p in pick(lambda p: p.fmt == "html", n):
        p.fmt, p.note = "not_found", "the site's 'page not found' page saved instead of the report"
    for p in pick(lambda p: p.fmt == "pdf", max(1, n // 2)):
        p.fmt, p.note = "scanned_pdf", "a scan: a PDF with pages as images and no text layer"
    for p in pick(lambda p: p.doc_type == "final_accounts" and p.fmt == "pdf" and not p.slip and not p.corrected, max(1, n // 2)):
        p.fmt, p.note = "template_pdf", "the blank national template (XX placeholders, no figures) published instead of the final account"
    for p in pick(lambda p: p.fmt in ("pdf", "html", "docx") and p.copy_of is None and not p.corrected, n):
        # filed in the folder of another street of the same district
        others = [c for c in codes if c != p.street_code and by_code[c].district_name == by_code[p.street_code].district_name]
        if not others:
            continue
        wrong = by_code[r.choice(others)]
        p.misfiled = True
        p.rel = f"{p.year}/{wrong.district_name}/{wrong.street_name}/{p.rel.rsplit('/', 1)[1]}"
        p.note = f"a document of another street filed in the folder of {wrong.street_name}"
    # a copy has the bytes of its original, whatever the mess later did to the original
    by_rel = {p.rel: p for p in plans}
    for p in plans:
        if p.copy_of is not None:
            original = by_rel[p.copy_of]
            p.fmt, p.slip = original.fmt, original.slip
            if original.fmt in ("empty", "not_found", "truncated_pdf", "scanned_pdf"):
                p.note = f"the same broken file uploaded twice ({original.note})"
    # no two plans may write the same path
    seen: set[str] = set()
    for p in plans:
        while p.rel in seen:
            stem, ext = p.rel.rsplit(".", 1)
            p.rel = f"{stem}_{len(seen)}.{ext}"
        seen.add(p.rel)
    return plans


# ---------------------------------------------------------------------------- rendering
_MODEL: dict | None = None
_SEED: int = 0


def _init_worker(seed: int, years: list[int], census_dir: str | None) -> None:
    global _MODEL, _SEED
    streets, census, growth = load_inputs(Path(census_dir) if census_dir else None)
    _MODEL = build_model(streets, census, growth, years, seed)
    _SEED = seed


def _build(plan: FilePlan) -> builders.Built:
    sy: StreetYear = _MODEL[(plan.street_code, plan.year)]
    r = random.Random(f"doc|{_SEED}|{plan.street_code}|{plan.year}|{plan.doc_type}|{int(plan.corrected)}")
    if plan.doc_type == "final_accounts":
        built = builders.final_accounts(sy, r, corrected=plan.corrected, slip=plan.slip)
    elif plan.doc_type == "info_disclosure":
        built = builders.info_disclosure(sy, r, inconsistent=plan.slip)
    else:
        built = builders.BUILDERS[plan.doc_type](sy, r)
    return built


def _scanned_pdf(title: str) -> bytes:
    """A PDF whose pages carry only drawn shapes (a stand-in for scanned images): no text layer."""
    import io

    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rl_config.invariant = 1
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle("")
    for page in range(2):
        for i in range(40):
            c.setFillGray(0.2 + 0.015 * i)
            c.rect(60, 760 - 17 * i, 300 + (i * 37 + page * 11) % 170, 9, stroke=0, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


NOT_FOUND_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>404 页面不存在</title></head>
<body><div class="error"><h1>抱歉，您访问的页面不存在或已被删除！</h1>
<p>您可以：<a href="/">返回首页</a></p><p>Error 404 - Not Found</p></div></body></html>
"""


def _render(plan: FilePlan) -> tuple[bytes, dict, list[str]]:
    """(bytes, the figures the file states, its layout families); unreadable files state none."""
    if plan.fmt == "empty":
        return b"", {}, []
    if plan.fmt == "not_found":
        return NOT_FOUND_PAGE.encode("utf-8"), {}, []
    built = _build(plan)
    doc, values, families = built.doc, built.values, built.families
    if plan.fmt != "html":  # untitled pages, 繁體 mirrors, inline tags: only an HTML rendering has them
        families = [f for f in families if f not in HTML_ONLY]
    if plan.fmt == "scanned_pdf":
        return _scanned_pdf(doc.title), {}, []
    if plan.fmt == "template_pdf":
        template = builders.blank_template(built, plan.year)
        return to_pdf(template.doc), {}, template.families
    if plan.fmt in ("pdf", "truncated_pdf"):
        data = to_pdf(doc)
        if plan.fmt == "truncated_pdf":
            return data[: int(len(data) * 0.4)], {}, []
        return data, values, families
    if plan.fmt == "html":
        return to_html(doc, charset=plan.charset, skin=plan.skin), values, families
    if plan.fmt == "docx":
        return to_docx(doc), values, families
    raise ValueError(f"unknown format {plan.fmt}")


def _render_task(plan: FilePlan) -> tuple[str, bytes, dict, list[str]]:
    data, values, families = _render(plan)
    return plan.rel, data, values, families


def _expected(plan: FilePlan, values: dict) -> str:
    if plan.fmt in ("empty", "not_found", "truncated_pdf", "scanned_pdf"):
        return "failed"
    if plan.fmt == "template_pdf":
        return "unidentified"  # a placeholder issuer: no street, no figure
    need = REQUIRED[plan.doc_type]
    if not values or any(f not in values for f in need):
        return "partial"
    return "extracted"


def generate(out: Path, years: list[int] | None = None, seed: int = 2026, workers: int | None = None,
             census_dir: Path | None = None) -> Corpus:
    """Write DIR/documents and DIR/truth (replacing a previously generated corpus atomically)."""
    t0 = time.perf_counter()
    years = sorted(years or DEFAULT_YEARS)
    out = Path(out)
    streets, _, _ = load_inputs(census_dir)
    gaps: list[dict] = []
    plans = plan_corpus(streets, years, seed, gaps)
    stage = out / f".sample-corpus.{os.getpid()}.tmp"
    if stage.exists():
        shutil.rmtree(stage)
    (stage / "documents").mkdir(parents=True)
    (stage / "truth").mkdir()
    workers = workers or min(os.cpu_count() or 1, 8)
    rendered: dict[str, tuple[bytes, dict, list[str]]] = {}
    args = (seed, years, str(census_dir) if census_dir else None)
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=args) as pool:
            for rel, data, values, families in pool.map(_render_task, plans, chunksize=8):
                rendered[rel] = (data, values, families)
    else:
        _init_worker(*args)
        for p in plans:
            rel, data, values, families = _render_task(p)
            rendered[rel] = (data, values, families)
    corpus = Corpus()
    by_sha: dict[str, list[str]] = {}
    for p in plans:
        data, values, families = rendered[p.rel]
        if p.copy_of is not None:
            data, values, families = rendered[p.copy_of]
        target = stage / "documents" / p.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        unreadable = p.fmt in ("empty", "not_found", "truncated_pdf", "scanned_pdf")
        if p.fmt not in ("empty",):
            by_sha.setdefault(sha, []).append(p.rel)
        corpus.files.append({
            "file": p.rel, "doc_type": None if unreadable else p.doc_type,
            "street_code": None if unreadable or p.fmt == "template_pdf" else p.street_code,
            "year": None if unreadable else p.year,
            "intended": {"doc_type": p.doc_type, "street_code": p.street_code, "year": p.year},
            "expected_status": _expected(p, values), "misfiled": p.misfiled, "deliberately_inconsistent": p.slip,
            "corrected": p.corrected, "format": p.fmt, "sha256": sha, "note": p.note,
            # layout families (corpus/families.py): the primary one and all of them
            "family": families[0] if families else None, "families": ordered_families(families),
            "held_out": is_held_out(families),
        })
        for field_id, value in sorted(values.items()):
            corpus.values.append({"file": p.rel, "doc_type": p.doc_type, "street_code": p.street_code, "year": p.year,
                                  "field_id": field_id, "value": float(value), "unit": FIELD_UNITS[field_id]})
    # corpus-level statuses, as the inventory decides them: same bytes → the later path is a
    # duplicate; a corrected re-publication supersedes the first one
    entries = {f["file"]: f for f in corpus.files}
    for rels in by_sha.values():
        for rel in sorted(rels)[1:]:
            if entries[rel]["expected_status"] != "failed":  # two broken downloads are two failures
                entries[rel]["expected_status"] = "duplicate"
    corrected = {(f["street_code"], f["year"], f["doc_type"]) for f in corpus.files if f["corrected"] and f["expected_status"] != "duplicate"}
    for f in corpus.files:
        key = (f["street_code"], f["year"], f["doc_type"])
        if key in corrected and not f["corrected"] and f["expected_status"] in ("extracted", "partial"):
            f["expected_status"] = "superseded"
    corpus.files.sort(key=lambda f: f["file"])
    with (stage / "truth" / "files.jsonl").open("w", encoding="utf-8") as fh:
        for f in corpus.files:
            fh.write(json.dumps(f, ensure_ascii=False) + "\n")
    with (stage / "truth" / "values.jsonl").open("w", encoding="utf-8") as fh:
        for v in sorted(corpus.values, key=lambda v: (v["file"], v["field_id"])):
            fh.write(json.dumps(v, ensure_ascii=False) + "\n")
    corpus.seconds = time.perf_counter() - t0
    meta = {"generator_version": GENERATOR_VERSION, "seed": seed, "years": years, "n_files": len(corpus.files),
            "n_values": len(corpus.values), "synthetic": True, "not_published": gaps,
            "note": "Generated sample documents: figures come from a model, not from real street offices."}
    (stage / "truth" / "corpus.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    swap_in(stage, out)
    return corpus


def is_generated(out: Path) -> bool:
    """True when DIR/documents was written by this generator (so it may be replaced)."""
    meta = Path(out) / "truth" / "corpus.json"
    try:
        return bool(json.loads(meta.read_text(encoding="utf-8")).get("synthetic"))
    except (OSError, ValueError):
        return False


def as_dict(plan: FilePlan) -> dict:
    return asdict(plan)


def swap_in(stage: Path, out: Path) -> None:
    """Replace out/documents and out/truth by the staged ones together (the old ones moved aside
    first, then removed), then remove the stage."""
    for part in ("documents", "truth"):
        final = out / part
        if final.exists():
            old = out / f".{part}.old.{os.getpid()}"
            os.replace(final, old)
            shutil.rmtree(old)
        os.replace(stage / part, final)
    shutil.rmtree(stage)
