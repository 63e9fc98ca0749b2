"""report.html and the street profiles (一街一档), rendered with Jinja2 (autoescaped).

Every text that comes from documents or the warehouse is escaped by the template engine; the
pages carry no script and a Content-Security-Policy that forbids loading anything, so they work
offline. Links to source files are relative and point inside the sources' documents folder only:
a path that would leave it, or a file that is not there, is shown without a link. The profiles
are rendered with SOURCES_TOKEN where the relative prefix to the documents folder goes; the
release writer replaces it for the place each copy is written to.
"""

from __future__ import annotations

import math
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import jinja2
import pandas as pd
from markupsafe import Markup

from jinchengtuo.publication import charts, tables
from jinchengtuo.publication.data import CAPACITIES, YearData

PUBLICATION_VERSION = "pub-2"
SOURCES_TOKEN = "<JCT-SOURCES-PREFIX>"  # '<' never survives escaping, so only our links carry it

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)


def _missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def fmt(v, digits: int = 1) -> str:
    return "—" if _missing(v) else f"{float(v):.{digits}f}"


def fmt0(v) -> str:
    return "—" if _missing(v) else f"{float(v):,.0f}"


def fmtv(v) -> str:
    """A raw value with sensible precision."""
    if _missing(v):
        return "—"
    v = float(v)
    if v == 0 or abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:,.1f}"
    return f"{v:.3g}"


def signed(v) -> str:
    if _missing(v):
        return "—"
    v = int(v)
    return f"+{v}" if v > 0 else str(v)


def _records(df: pd.DataFrame) -> list[dict]:
    def clean(v):
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            return None
        return v

    return [{k: clean(v) for k, v in r.items()} for r in df.to_dict("records")]


def _by_street(df: pd.DataFrame) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in _records(df):
        out.setdefault(r.get("street_code"), []).append(r)
    return out


RANK_STATUS_LABELS = {
    "ranked": "已排名 ranked",
    "provisional": "暂定排名 provisional",
    "insufficient_data": "数据不足 insufficient data",
}


def pct(v) -> str:
    return "—" if _missing(v) else f"{100 * float(v):.0f}%"


def _sample(data: YearData) -> dict | None:
    """What the sample banner says, from marts.dim_release_inputs (None: every input is real)."""
    if not data.is_sample:
        return None
    i = data.inputs
    parts = [p.strip() for p in str(i.get("synthetic_inputs") or "").split(";") if p.strip()]
    return {"label": i.get("sample_label") or charts.SAMPLE_MARK, "parts": parts,
            "corpus": bool(i.get("is_sample_corpus")), "census": bool(i.get("is_census_synthetic")),
            "population": bool(i.get("is_population_sample")), "area": bool(i.get("is_area_synthetic"))}


def helpers() -> dict:
    """The formatting helpers every template (and chapter template) may use."""
    return dict(fmt=fmt, fmt0=fmt0, fmtv=fmtv, signed=signed, pct=pct, rank_status_labels=RANK_STATUS_LABELS)


def _chapter_sections(data: YearData) -> list[dict]:
    from jinchengtuo.publication import chapters

    out = []
    for ch in chapters.chapters():
        if ch.id in data.chapters:
            body = ch.report_html(data, data.chapters[ch.id])
            if body is not None:
                out.append({"id": ch.id, "title_zh": ch.title_zh, "title_en": ch.title_en, "html": Markup(body)})
    return out


def _chapter_profile_blocks(data: YearData, street_code: str) -> list[dict]:
    from jinchengtuo.publication import chapters

    out = []
    for ch in chapters.chapters():
        if ch.id in data.chapters:
            body = ch.profile_html(data, data.chapters[ch.id], street_code)
            if body is not None:
                out.append({"id": ch.id, "title_zh": ch.title_zh, "title_en": ch.title_en, "html": Markup(body)})
    return out


def _common(data: YearData, revision: int, published_at: str) -> dict:
    n_ind = (data.dim_indicator[data.dim_indicator.get("is_scored", True) == True]  # noqa: E712
             .groupby("capacity").size() if "is_scored" in data.dim_indicator else data.dim_indicator.groupby("capacity").size())
    caps = [{**c, "n_indicators": int(n_ind.get(c["capacity"], 0))} for c in _records(data.dim_capacity)]
    release = {"status": data.release.get("release_status") or "provisional", "reason": data.release.get("release_reason"),
               "provisional": data.is_provisional}
    return dict(year=data.year, revision=revision, published_at=published_at, methodology_version=data.methodology_version,
                publication_version=PUBLICATION_VERSION, capacities=caps, **helpers(),
                sample=_sample(data), release=release)


def _synthetic_sources(data: YearData, street: dict | None = None) -> set[str]:
    """The derived measures that are synthetic in this release (for one street: its own area flag)."""
    i = data.inputs
    out = set()
    if i.get("is_census_synthetic") or i.get("is_population_sample"):
        # a street whose 2020 population is real (dim_street.is_population_real) has a real figure
        # in the census year (the years scaled by sample district totals stay synthetic)
        if not (street is not None and street.get("is_population_real") in (True,) and not i.get("is_population_sample")):
            out.add("population")
    if street is not None:
        if street.get("is_area_synthetic"):
            out.add("area_km2")
    elif i.get("is_area_synthetic"):
        out.add("area_km2")
    return out


def _uses(data: YearData, indicator_id: str, synthetic: set[str]) -> bool:
    """True when the indicator (or context measure) is computed from a synthetic measure."""
    if not synthetic or "source_fields" not in data.dim_indicator:
        return False
    row = data.dim_indicator.loc[data.dim_indicator["indicator_id"] == indicator_id, "source_fields"]
    if not len(row):
        return False
    return bool({f.strip() for f in str(row.iloc[0]).split(";")} & synthetic)


def _mark_charts(data: YearData, svgs: dict[str, str | None], document_charts: tuple[str, ...] = ("coverage",)) -> dict:
    """Stamp every chart drawn from sample or synthetic inputs. Charts of the document inventory only
    are marked when the documents are a sample; the others whenever any input is synthetic."""
    sample = _sample(data)
    out = {}
    for name, svg in svgs.items():
        uses = sample is not None and (sample["corpus"] if name in document_charts else True)
        out[name] = Markup(charts.mark_sample(svg)) if (svg and uses) else (Markup(svg) if svg else None)
    return out


def render_report(data: YearData, *, revision: int, published_at: str) -> str:
    comp = data.composite
    extra = [c for c in ("tier_band", "is_tied", "n_indicators_imputed") if c in comp]
    rows = data.ranking.merge(comp[["street_code", *extra]], on="street_code", how="left")
    ranked = rows.dropna(subset=["rank"])
    districts = []
    for d, g in ranked.groupby("district_name"):
        best = g.sort_values("rank").iloc[0]
        districts.append({"district_name": d, "n": len(g), "mean": g.composite_score.mean(), "median": g.composite_score.median(),
                          "best_code": best.street_code, "best_name": best.street_name, "best_rank": int(best["rank"])})
    districts.sort(key=lambda d: -d["median"])
    moved = ranked.dropna(subset=["rank_change"])
    inv = data.inventory
    statuses = [{"status": s, "n": int(n)} for s, n in inv["status"].value_counts().items()] if len(inv) else []
    verification = []
    if len(inv) and "verification" in inv:
        counts = inv["verification"].fillna("unverifiable").value_counts()
        verification = [{"verification": v, "n": int(counts.get(v, 0))} for v in ("verified", "inconsistent", "unverifiable")]
    cov = comp["data_coverage"].mean() if "data_coverage" in comp else float("nan")
    quality = None if data.quality is None else _records(data.quality)
    any_ranked = bool(len(ranked))
    chart_svgs = {
        "ranking": charts.ranking_bars(data.ranking, comp) if any_ranked else None,
        "capacities": charts.capacity_heatmap(data.ranking, data.dim_capacity) if any_ranked else None,
        "districts": charts.district_boxes(data.ranking.dropna(subset=["rank"])) if any_ranked else None,
        "area_density": charts.area_density(data.street_year),
        "staffing": charts.staffing(data.street_year),
        "spending": charts.spending(data.street_year),
        "rank_movement": charts.rank_movement(data.history),
        "coverage": charts.coverage(inv),
    }
    # the headline names a winner only in a full ranking and only when the first place is not shared
    top_rows = ranked[ranked["rank"] == 1]
    if not any_ranked:
        headline = {"kind": "none"}
    elif data.is_provisional:
        headline = {"kind": "provisional"}
    elif len(top_rows) > 1:
        headline = {"kind": "tie", "n": len(top_rows), "score": float(top_rows.composite_score.iloc[0])}
    else:
        headline = {"kind": "winner", "row": _records(top_rows)[0]}
    n_insufficient = int((rows["rank_status"] == "insufficient_data").sum())
    tpl = _env.get_template("report.html.j2")
    return tpl.render(
        **_common(data, revision, published_at), rows=_records(rows), headline=headline,
        n_ranked=len(ranked), n_streets=len(rows), n_insufficient=n_insufficient, districts=districts,
        movers_up=_records(moved.nlargest(5, "rank_change")), movers_down=_records(moved.nsmallest(5, "rank_change")),
        charts=_mark_charts(data, chart_svgs),
        inventory_total=len(inv), statuses=statuses, verification=verification,
        coverage_pct="—" if _missing(cov) else f"{100 * cov:.0f}%",
        quality=quality, quality_passed=sum(1 for q in quality or [] if q.get("passed")),
        method={k: ", ".join(sorted(set(comp[k].dropna().astype(str)))) or "—" for k in ("normalisation", "weighting", "aggregation")},
        chapters=_chapter_sections(data),
        goalposts=_records(tables.goalposts_frame(data)), options=_records(tables.method_options_frame(data)),
        vintages=data.vintages,
    )


def source_href(source_path: str | None, documents_root: Path | None) -> Markup | None:
    """The relative link (with SOURCES_TOKEN as prefix) to a document, or None when it would leave
    the documents folder or the file is not there."""
    if not source_path or documents_root is None:
        return None
    rel = PurePosixPath(str(source_path).replace("\\", "/"))
    if rel.is_absolute() or any(p in ("..", "") for p in rel.parts) or ":" in rel.parts[0]:
        return None
    root = documents_root.resolve()
    target = (root / Path(*rel.parts))
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_file() or target.is_symlink() or root not in real.parents:
        return None
    # percent-encoded parts contain no markup characters, so the link is safe as it stands
    return Markup(SOURCES_TOKEN + "/" + "/".join(quote(p, safe="") for p in rel.parts))


CONTEXT_FIELDS = [
    ("ctx_population", "常住人口 population"), ("ctx_density", "人口密度 residents per km²"),
    ("ctx_spending_per_capita", "人均支出（元）spending per resident"), ("ctx_authorized_posts_per_10k", "万人编制数 posts per 10k"),
    ("ctx_staff_per_10k", "万人在编人员 staff per 10k"), ("ctx_contract_staff_share", "编外人员占比 contract-staff share"),
    ("ctx_requests_per_10k", "万人诉求量 requests per 10k (demand)"),
]


def render_profiles(data: YearData, *, revision: int, published_at: str, documents_root: Path | None) -> dict[str, str]:
    """street_code -> profile HTML (links to sources carry SOURCES_TOKEN)."""
    common = _common(data, revision, published_at)
    tpl = _env.get_template("street.html.j2")
    ind = data.indicators.drop(columns=["direction"], errors="ignore").merge(
        data.dim_indicator[[c for c in ("indicator_id", "name_zh", "name_en", "unit", "direction") if c in data.dim_indicator]],
        on="indicator_id", how="left")
    ind["city_median"] = ind.groupby("indicator_id")["raw_value"].transform("median")
    ind["city_norm"] = ind.groupby("indicator_id")["normalised_value"].transform("median")
    ind["district_median"] = ind.groupby(["district_name", "indicator_id"])["raw_value"].transform("median")
    ind["gap"] = ind["normalised_value"] - ind["city_norm"]
    ind_by_street = _by_street(ind)
    cap = data.capacity
    cap_city = cap.groupby("capacity")["score"].median()
    cap_dist = cap.groupby(["district_name", "capacity"])["score"].median()
    sy = {r["street_code"]: r for r in _records(data.street_year)}
    ctx_cols = [c for c, _ in CONTEXT_FIELDS if c in data.street_year]
    ctx_city = data.street_year[ctx_cols].median()
    ctx_dist = data.street_year.groupby("district_name")[ctx_cols].median()
    comp = {r["street_code"]: r for r in _records(data.composite)}
    hist_by_street = _by_street(data.history.sort_values("year"))
    caph = {}
    for r in _records(data.capacity_history):
        caph.setdefault((r["street_code"], r["year"]), {})[r["capacity"]] = r
    docs_by_street = _by_street(data.inventory)
    caps_by_street = {code: g.set_index("capacity")["score"] for code, g in cap.groupby("street_code")}
    out: dict[str, str] = {}
    chart_maker = charts.StreetCapacityChart(cap_city)
    for street in _records(data.streets):
        code = street["street_code"]
        district = street["district_name"]
        c = comp.get(code)
        y = sy.get(code)
        s = {**street, "composite_score": None, "rank": None, "n_ranked": None, "tier": None, "tier_en": None,
             "rank_in_district": None, "rank_status": "insufficient_data", "rank_note": "没有数据 no data for this year",
             "data_coverage": None, "n_indicators_imputed": None,
             "population": None if y is None else y.get("population"), "density": None if y is None else y.get("density_per_km2")}
        if c is not None:
            for k in ("composite_score", "rank", "n_ranked", "tier", "tier_en", "rank_in_district", "rank_status", "rank_note",
                      "data_coverage", "n_indicators_imputed"):
                v = c.get(k)
                s[k] = None if v is None else (int(v) if k in ("rank", "n_ranked", "rank_in_district", "n_indicators_imputed") else v)
        synthetic = _synthetic_sources(data, street)
        s["synthetic_population"] = "population" in synthetic
        s["synthetic_area"] = "area_km2" in synthetic
        mine = [{**i, "is_synthetic": _uses(data, i["indicator_id"], synthetic)} for i in ind_by_street.get(code, [])]
        scored = [i for i in mine if i.get("counts_in_score") and i.get("gap") is not None]
        strengths = sorted((i for i in scored if i["gap"] > 0), key=lambda i: -i["gap"])[:3]
        weaknesses = sorted((i for i in scored if i["gap"] < 0), key=lambda i: i["gap"])[:3]
        years = []
        for h in hist_by_street.get(code, []):
            years.append({**h, "caps": caph.get((code, h["year"]), {})})
        my_caps = caps_by_street.get(code, pd.Series(dtype=float))
        dist_caps = pd.Series({k: cap_dist.get((district, k)) for k in CAPACITIES}, dtype=float)
        chart = chart_maker.render(street["street_name"], my_caps, dist_caps, f"s{code}")
        if data.is_sample:
            chart = charts.mark_sample(chart)
        context = []
        for col, label in CONTEXT_FIELDS:
            if col in ctx_cols:
                context.append({"label": label, "value": None if y is None else y.get(col),
                                "is_synthetic": _uses(data, "CTX_" + col[len("ctx_"):], synthetic),
                                "district_median": ctx_dist[col].get(district) if district in ctx_dist.index else None,
                                "city_median": ctx_city.get(col)})
        docs = []
        for d in docs_by_street.get(code, []):
            d = {**d, "href": source_href(d.get("source_path"), documents_root)}
            d["file_name"] = d.get("file_name") or d.get("source_path")
            docs.append(d)
        out[code] = tpl.render(**common, s=s, chart=Markup(chart), history=years, strengths=strengths,
                               weaknesses=weaknesses, indicators=mine, context=context, documents=docs,
                               chapter_blocks=_chapter_profile_blocks(data, code))
    chart_maker.close()
    return out
