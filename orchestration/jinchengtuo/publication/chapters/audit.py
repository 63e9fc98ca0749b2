"""不确定性与敏感性 Uncertainty and sensitivity: the statistical audit of the year's ranking.

Reads the audit marts (defs/audit.py): marts.fct_rank_uncertainty, fct_sensitivity,
fct_indicator_coherence, fct_capacity_coherence, fct_indicator_correlation, fct_audit_summary.
Without them (a warehouse built before the audit existed, or a year not audited) the chapter is
absent. It adds:
  * a report section: rank intervals (error bars sorted by rank), the one sentence on how large a
    rank difference must be to mean anything this year, the significant year-over-year changes,
    Sobol' and drop-one sensitivity bars, the correlation heatmap, Cronbach's alpha per capacity,
    the flagged indicators and effective vs nominal weights, and the convergence check;
  * ranking columns rank_p05, rank_p95, rank_change_significant;
  * on each ranked street's profile: 第 N 名（90% 区间 a–b）.
"""

from __future__ import annotations

import pandas as pd

from jinchengtuo.publication import audit_charts, charts
from jinchengtuo.publication.chapters import Chapter, ChapterData, render, tables
from jinchengtuo.scoring.audit import meaningful_difference

MARTS = {"uncertainty": "fct_rank_uncertainty", "sensitivity": "fct_sensitivity", "indicators": "fct_indicator_coherence",
         "capacities": "fct_capacity_coherence", "correlation": "fct_indicator_correlation", "summary": "fct_audit_summary"}
ORDER = {"uncertainty": "nominal_rank, street_code", "sensitivity": "analysis, factor", "indicators": "capacity, indicator_id",
         "capacities": "capacity", "correlation": "indicator_id, other_indicator_id", "summary": "year"}


def load(con, year: int) -> ChapterData | None:
    have = tables(con)
    if any(t not in have for t in MARTS.values()):
        return None
    frames = {k: con.execute(f"select * from marts.{t} where year = ? order by {ORDER[k]}", [year]).df()
              for k, t in MARTS.items()}
    if frames["summary"].empty:
        return None  # the year was not audited
    return ChapterData(frames=frames, info={"meaningful": meaningful_difference(frames["uncertainty"], year)})


def _names(data) -> dict[str, str]:
    return dict(zip(data.streets["street_code"].astype(str), data.streets["street_name"].astype(str)))


def _indicator_names(data) -> dict[str, str]:
    d = data.dim_indicator
    col = "name_zh" if "name_zh" in d else "indicator_id"
    return dict(zip(d["indicator_id"], d[col]))


def report_html(data, cd: ChapterData):
    f = cd.frames
    unc, summary = f["uncertainty"], f["summary"].iloc[0].to_dict()
    names = _names(data)
    scored = data.dim_indicator
    if "is_scored" in scored:
        scored = scored[scored["is_scored"] == True]  # noqa: E712
    order = [i for i in scored["indicator_id"] if i in set(f["indicators"]["indicator_id"])]
    ind_frame = f["indicators"].set_index("indicator_id").loc[order].reset_index() if order else f["indicators"]
    chart = {
        "intervals": audit_charts.rank_intervals(unc, names),
        "sensitivity": audit_charts.sensitivity_bars(f["sensitivity"], _indicator_names(data)),
        "correlation": audit_charts.correlation_heatmap(f["correlation"], ind_frame[["indicator_id", "capacity"]]),
    }
    if data.is_sample:
        chart = {k: charts.mark_sample(v) if v else v for k, v in chart.items()}
    sig = unc[unc["rank_change_significant"].fillna(False).astype(bool)]
    hist = data.history
    prev = hist[hist["year"] == data.year - 1][["street_code", "rank"]].rename(columns={"rank": "previous_rank"})
    moves = sig.merge(prev, on="street_code", how="left").assign(street_name=lambda d: d["street_code"].map(names))
    n_compared = int(unc["rank_change_significant"].notna().sum())
    inames = _indicator_names(data)
    flagged = f["indicators"][f["indicators"]["flags"].notna()].assign(name_zh=lambda d: d["indicator_id"].map(inames))
    flagged_pairs = f["correlation"][f["correlation"]["flag"].notna()].assign(
        name_zh=lambda d: d["indicator_id"].map(inames), other_name_zh=lambda d: d["other_indicator_id"].map(inames))
    weights = ind_frame.assign(name_zh=lambda d: d["indicator_id"].map(inames))
    top = f["sensitivity"][f["sensitivity"]["analysis"] == "sobol"].sort_values("total_order", ascending=False).head(1)
    return render("audit.html.j2", year=data.year, summary=summary, meaningful=cd.info["meaningful"], charts=chart,
                  sample=data.is_sample, sample_label=charts.SAMPLE_MARK, moves=moves.to_dict("records"),
                  n_compared=n_compared, n_significant=len(sig), capacities=f["capacities"].to_dict("records"),
                  cap_names=dict(zip(data.dim_capacity["capacity"], data.dim_capacity["name_zh"])),
                  flagged=flagged.to_dict("records"), flagged_pairs=flagged_pairs.to_dict("records"),
                  weights=weights.to_dict("records"), top_factor=top.to_dict("records")[0] if len(top) else None,
                  factor_labels=audit_charts.FACTOR_LABELS, n_intervals=len(unc))


def profile_html(data, cd: ChapterData, street_code: str):
    u = cd.frames["uncertainty"]
    row = u[u["street_code"] == street_code]
    rec = None
    if len(row):
        rec = row.iloc[0].to_dict()
        sig = rec.get("rank_change_significant")
        rec["rank_change_significant"] = None if sig is None or pd.isna(sig) else bool(sig)
    return render("audit_profile.html.j2", row=rec, year=data.year,
                  meaningful=cd.info["meaningful"])


def ranking_columns(data, cd: ChapterData) -> pd.DataFrame:
    u = cd.frames["uncertainty"]
    out = pd.DataFrame({"street_code": u["street_code"].astype(str), "rank_p05": u["rank_p05"].astype("Int64"),
                        "rank_p95": u["rank_p95"].astype("Int64"),
                        "rank_change_significant": u["rank_change_significant"].astype("boolean")})
    return out


CHAPTER = Chapter(id="audit", title_zh="不确定性与敏感性", title_en="Uncertainty and sensitivity", load=load,
                  report_html=report_html, profile_html=profile_html, ranking_columns=ranking_columns)
