"""Chapter 双向评价 Two-way evaluation: what residents say beside the official scores.

Reads marts.fct_two_way, fct_two_way_correlation, fct_resident_score (and fct_blended_score when
a user configured a blend). The official ranking is never changed here: this chapter adds a
section, a block to every street profile and `two_way.csv` beside ranking.csv; it adds no ranking
column. Synthetic survey data (the generated sample) is labelled 示例 SAMPLE in the text and on
every chart.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from jinchengtuo.publication import charts
from jinchengtuo.publication.chapters import Chapter, ChapterData, render, tables

MARTS = ("fct_two_way", "fct_two_way_correlation", "fct_resident_score")
CSV_COLUMNS = [
    "year", "street_code", "street_name", "district_name", "measure", "measure_name_zh", "official_score", "official_rank",
    "resident_score", "resident_moe", "n", "resident_source", "quadrant", "quadrant_label", "official_median", "resident_median",
    "z_official", "z_resident", "gap_z", "gap_points", "is_disagreement", "disagreement_direction", "is_synthetic",
]
QUADRANT_COLOURS = {"both_high": "#3d7a3d", "official_high_residents_low": "#c0504d",
                    "official_low_residents_high": "#d9822b", "both_low": "#4f6d8a"}
QUADRANT_LABELS = {"both_high": "双高 both high", "official_high_residents_low": "官评高·居民低 official high, residents low",
                   "official_low_residents_high": "官评低·居民高 official low, residents high", "both_low": "双低 both low"}
SOURCE_LABELS = {"survey": "居民调查 survey", "hotline_12345": "12345热线 hotline", "survey_capacities": "各能力调查加权 weighted capacities"}
SAMPLE_LABEL = "示例 SAMPLE（合成居民调查 synthetic survey）"


def load(con, year: int) -> ChapterData | None:
    if not set(MARTS) <= tables(con):
        return None
    q = lambda sql: con.execute(sql, [year]).df()  # noqa: E731
    two_way = q("select * from marts.fct_two_way where year = ? order by sort_order, official_score desc, street_code")
    corr = q("select * from marts.fct_two_way_correlation where year = ? order by sort_order")
    resident = q("""select * exclude (source_file, source_row) from marts.fct_resident_score where year = ?
                    order by street_code, capacity, source""")
    frames = {"two_way": two_way, "correlation": corr, "resident": resident}
    if "fct_blended_score" in tables(con):
        frames["blended"] = q("select * from marts.fct_blended_score where year = ? order by blended_rank, street_code")
    synthetic = bool(resident["is_synthetic"].fillna(False).astype(bool).any()) if len(resident) else False
    return ChapterData(frames=frames, info={"is_synthetic": synthetic, "has_data": bool(len(two_way))})


def _marked(data, cd: ChapterData, svg: str | None) -> str | None:
    if svg and (data.is_sample or cd.info.get("is_synthetic")):
        return charts.mark_sample(svg, "示例数据 SAMPLE DATA" if data.is_sample else SAMPLE_LABEL)
    return svg


def quadrant_chart(df: pd.DataFrame, title: str, name: str) -> str | None:
    """Official (x) against resident (y) composite, ± the resident MOE, split at the city medians;
    the disagreeing streets labelled."""
    df = df.dropna(subset=["official_score", "resident_score"])
    if df.empty:
        return None
    with plt.rc_context(charts.STYLE):
        fig, ax = plt.subplots(figsize=(8, 5.6))
        for quad, colour in QUADRANT_COLOURS.items():
            sub = df[df.quadrant == quad]
            if sub.empty:
                continue
            ax.errorbar(sub.official_score, sub.resident_score, yerr=sub.resident_moe.fillna(0).to_numpy(), fmt="o", ms=4,
                        color=colour, ecolor=colour, elinewidth=0.6, alpha=0.85, label=f"{QUADRANT_LABELS[quad]} ({len(sub)})")
        xm, ym = float(df.official_median.iloc[0]), float(df.resident_median.iloc[0])
        ax.axvline(xm, color="#555555", lw=0.8, ls="--")
        ax.axhline(ym, color="#555555", lw=0.8, ls="--")
        ax.text(xm, ax.get_ylim()[1], f" 官评中位数 official median {xm:.1f}", fontsize=7, va="top", color="#555555")
        ax.text(ax.get_xlim()[1], ym, f"居民中位数 residents' median {ym:.1f} ", fontsize=7, ha="right", va="bottom", color="#555555")
        for r in df[df.is_disagreement.fillna(False).astype(bool)].itertuples():
            ax.annotate(r.street_name, (r.official_score, r.resident_score), fontsize=7, xytext=(4, 3), textcoords="offset points")
        ax.set_xlabel("官方评价得分 official score (0–100, from the documents)")
        ax.set_ylabel("居民评价 residents: % satisfied (±95% MOE)")
        ax.set_title(title)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return charts.to_svg(fig, name)


def capacity_panels(df: pd.DataFrame, names: dict[str, str]) -> str | None:
    caps = [c for c in charts.CAPACITIES if (df.measure == c).any()]
    if not caps:
        return None
    with plt.rc_context(charts.STYLE):
        fig, axes = plt.subplots(1, len(caps), figsize=(2.3 * len(caps) + 0.6, 2.9), squeeze=False)
        for ax, cap in zip(axes[0], caps):
            sub = df[df.measure == cap]
            ax.scatter(sub.official_score, sub.resident_score, s=8, c=[QUADRANT_COLOURS[q] for q in sub.quadrant])
            ax.axvline(float(sub.official_median.iloc[0]), color="#777777", lw=0.6, ls="--")
            ax.axhline(float(sub.resident_median.iloc[0]), color="#777777", lw=0.6, ls="--")
            ax.set_title(f"{names.get(cap, cap)} {cap}", fontsize=9)
            ax.set_xlabel("官评 official", fontsize=7)
            ax.tick_params(labelsize=6)
        axes[0][0].set_ylabel("居民 residents %", fontsize=7)
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.2, top=0.86, wspace=0.3)
        return charts.to_svg(fig, "two-way-capacities")


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for r in df.to_dict("records"):
        out.append({k: (None if not isinstance(v, (list, dict, str)) and pd.isna(v) else v) for k, v in r.items()})
    return out


def report_html(data, cd: ChapterData):
    tw, corr, resident = cd.frames["two_way"], cd.frames["correlation"], cd.frames["resident"]
    names = dict(zip(data.dim_capacity["capacity"], data.dim_capacity["name_zh"]))
    composite = tw[tw.measure == "composite"]
    chart = _marked(data, cd, quadrant_chart(composite, "官方评价与居民评价 Official and residents' views (composite)", "two-way"))
    panels = _marked(data, cd, capacity_panels(tw, names))
    disagree = tw[tw.is_disagreement.fillna(False).astype(bool)].copy()
    disagree = disagree.assign(_abs=disagree.gap_z.abs()).sort_values(["sort_order", "_abs"], ascending=[True, False])
    comp_corr = corr[corr.measure == "composite"]
    headline = _records(comp_corr)[0] if len(comp_corr) else None
    unpublished = resident[~resident.is_published.fillna(False).astype(bool)]
    blended = cd.frames.get("blended")
    return render(
        "two_way.html.j2", year=data.year, has_data=cd.info.get("has_data"), synthetic=cd.info.get("is_synthetic"),
        sample_label=SAMPLE_LABEL, chart=chart, panels=panels, headline=headline, correlations=_records(corr),
        disagreements=_records(disagree), n_disagreements=len(disagree), quadrant_labels=QUADRANT_LABELS,
        source_labels=SOURCE_LABELS, n_resident=int(resident.street_code.nunique()) if len(resident) else 0,
        unpublished=_records(unpublished), blended=_records(blended) if blended is not None and len(blended) else [],
        min_gap_sd=float(tw.min_gap_sd.iloc[0]) if len(tw) and "min_gap_sd" in tw else 1.5,
    )


def profile_html(data, cd: ChapterData, street_code: str):
    resident = cd.frames["resident"]
    mine = resident[resident.street_code == street_code]
    tw = cd.frames["two_way"]
    tw_mine = tw[tw.street_code == street_code].set_index("measure")
    official = data.capacity[data.capacity.street_code == street_code].set_index("capacity")["score"]
    comp = data.composite[data.composite.street_code == street_code]["composite_score"]
    order = {c: i for i, c in enumerate(["ALL", *charts.CAPACITIES])}
    rows = []
    for r in _records(mine.assign(_o=mine.capacity.map(order)).sort_values(["_o", "source"])):
        measure = "composite" if r["capacity"] == "ALL" else r["capacity"]
        off = (comp.iloc[0] if len(comp) else None) if measure == "composite" else official.get(measure)
        two = tw_mine.loc[measure] if measure in tw_mine.index else None
        used = two is not None and (two["resident_source"] == r["source"])
        rows.append({**r, "official": None if off is None or pd.isna(off) else float(off),
                     "quadrant": two["quadrant"] if used else None,
                     "disagree": bool(two["is_disagreement"]) if used and pd.notna(two["is_disagreement"]) else False,
                     "direction": two["disagreement_direction"] if used else None})
    return render("two_way_profile.html.j2", rows=rows, synthetic=cd.info.get("is_synthetic"), sample_label=SAMPLE_LABEL,
                  quadrant_labels=QUADRANT_LABELS, source_labels=SOURCE_LABELS, has_data=cd.info.get("has_data"))


def _csv_bytes(df: pd.DataFrame) -> bytes:
    """As publication.tables.write_csv: UTF-8 with BOM (Excel reads the Chinese), CRLF."""
    return ("\ufeff" + df.to_csv(index=False, lineterminator="\r\n", float_format="%.4f")).encode("utf-8")


def files(data, cd: ChapterData) -> dict[str, bytes]:
    tw = cd.frames["two_way"]
    if tw.empty:
        return {}
    out = tw.sort_values(["sort_order", "official_rank", "street_code"], na_position="last")[CSV_COLUMNS].copy()
    for c in ("official_rank", "n"):
        out[c] = out[c].astype("Int64")
    result = {"two_way.csv": _csv_bytes(out)}
    blended = cd.frames.get("blended")
    if blended is not None and len(blended):
        result["blended_score.csv"] = _csv_bytes(blended)
    return result


CHAPTER = Chapter(id="two_way", title_zh="双向评价", title_en="Two-way evaluation", load=load,
                  report_html=report_html, profile_html=profile_html, files=files)
