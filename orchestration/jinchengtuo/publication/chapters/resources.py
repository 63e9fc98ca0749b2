"""需求与资源 Demand and resources: the governance demand index against the people and money a
street has (marts.fct_resource_gap; method in docs/demand.md).

The report section shows the demand vs staff scatter with the year's fitted line and band (the
streets outside it labelled), the ranked staff and spending gaps, the contract and seconded staff
picture, and a table of every street with which of its context figures are real. Each profile
gets its demand index, expected vs actual staff and spending and the flag. Everything drawn from
sample or synthetic inputs is stamped (`charts.mark_sample`); a synthetic figure is never called
census data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from markupsafe import Markup

from jinchengtuo.publication import charts
from jinchengtuo.publication.chapters import Chapter, ChapterData, render, tables

FLAG_LABELS = {
    "under_resourced": "资源不足 under-resourced",
    "over_resourced": "资源偏多 over-resourced",
    "within_band": "在区间内 within band",
}
RESOURCE_LABELS = {"staff": "在编人员 establishment staff", "spending": "支出 spending"}
RESOURCE_UNITS = {"staff": "人 people", "spending": "万元 10k yuan"}
RANKING_COLUMNS = ["demand_index", "staff_expected", "staff_gap", "staff_flag", "spending_expected", "spending_gap", "spending_flag"]


def load(con, year: int) -> ChapterData | None:
    if "fct_resource_gap" not in tables(con):
        return None
    gap = con.execute("select * from marts.fct_resource_gap where year = ? order by street_code", [year]).df()
    if gap.empty:
        return None
    frames = {"resource_gap": gap}
    if "field_catalog" in tables(con, "framework"):
        frames["spending_classes"] = con.execute(
            "select substr(field_id, 8) as class_code, label_zh from framework.field_catalog "
            "where field_id like 'fa\\_exp\\_%' escape '\\' order by field_id").df()
    info: dict = {"model_version": _first(gap, "model_version"), "band_level": _first(gap, "band_level")}
    for r in ("staff", "spending"):
        info[r] = {k: _first(gap, f"{r}_{k}") for k in ("n_fit", "r2", "slope", "intercept", "rse")}
    return ChapterData(frames=frames, info=info)


def _first(df: pd.DataFrame, col: str):
    if col not in df:
        return None
    s = df[col].dropna()
    if not len(s):
        return None
    v = s.iloc[0]
    return v.item() if hasattr(v, "item") else v


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or (not isinstance(v, str) and pd.isna(v))


def _clean(v):
    if _missing(v):
        return None
    return v.item() if hasattr(v, "item") else v


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in df.to_dict("records")]


# --- charts ------------------------------------------------------------------------------------

def demand_scatter(gap: pd.DataFrame, resource: str = "staff", label_top: int = 8) -> str | None:
    """Demand index against the resource (log-log), the year's fitted line and prediction band;
    the streets outside the band labelled (at most `label_top` of the largest gaps)."""
    df = gap.dropna(subset=["demand_index", f"{resource}_actual"])
    df = df[df[f"{resource}_actual"] > 0]
    slope, intercept = _first(gap, f"{resource}_slope"), _first(gap, f"{resource}_intercept")
    if len(df) < 3:
        return None
    import matplotlib.pyplot as plt

    with plt.rc_context(charts.STYLE):
        fig, ax = plt.subplots(figsize=(8, 5.2))
        flags = df[f"{resource}_flag"].fillna("none")
        colours = flags.map({"under_resourced": "#2f5f8a", "over_resourced": "#8b1a1a"}).fillna("#9a9a9a")
        ax.scatter(df["demand_index"], df[f"{resource}_actual"], s=22, c=list(colours), zorder=3)
        if slope is not None and intercept is not None:
            band = gap.dropna(subset=["demand_index", f"{resource}_expected"]).sort_values("demand_index")
            xs = band["demand_index"].to_numpy()
            ax.plot(xs, band[f"{resource}_expected"], color="#333333", linewidth=1.1,
                    label=f"拟合 fit: ln y = {intercept:.2f} + {slope:.2f} ln x")
            ax.fill_between(xs, band[f"{resource}_expected_lower"], band[f"{resource}_expected_upper"], color="#cccccc",
                            alpha=0.45, linewidth=0, label=f"{100 * float(_first(gap, 'band_level') or 0.9):.0f}% 预测区间 prediction band")
        ax.set_xscale("log")
        ax.set_yscale("log")
        from matplotlib.ticker import FuncFormatter, NullFormatter

        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
            axis.set_minor_formatter(NullFormatter())
        out = df[flags.isin(["under_resourced", "over_resourced"])]
        out = out.reindex(out[f"{resource}_gap_pct"].abs().sort_values(ascending=False).index)[:label_top]
        for r in out.itertuples():
            ax.annotate(r.street_name, (r.demand_index, getattr(r, f"{resource}_actual")), fontsize=7,
                        xytext=(4, 3), textcoords="offset points")
        ax.set_xlabel("治理需求指数 demand index (100 = city mean street; log scale)")
        ax.set_ylabel(f"{RESOURCE_LABELS[resource]} ({RESOURCE_UNITS[resource]}; log scale)")
        ax.set_title("需求与在编人员 Demand vs establishment staff" if resource == "staff" else "需求与支出 Demand vs spending")
        handles, labels = ax.get_legend_handles_labels()
        handles += [plt.Line2D([], [], marker="o", linestyle="", color=c) for c in ("#2f5f8a", "#8b1a1a", "#9a9a9a")]
        labels += ["资源不足 under-resourced", "资源偏多 over-resourced", "区间内 within band"]
        ax.legend(handles, labels, fontsize=7, frameon=False, loc="upper left")
        return charts.to_svg(fig, f"demand-{resource}")


def gap_bars(gap: pd.DataFrame, resource: str = "staff") -> str | None:
    """The streets ranked by their gap (actual - expected), in the resource's unit."""
    df = gap.dropna(subset=[f"{resource}_gap"]).sort_values(f"{resource}_gap")
    if df.empty:
        return None
    import matplotlib.pyplot as plt

    with plt.rc_context(charts.STYLE):
        fig, ax = plt.subplots(figsize=(8, max(2.5, 0.16 * len(df) + 1)))
        flags = df[f"{resource}_flag"]
        colours = flags.map({"under_resourced": "#2f5f8a", "over_resourced": "#8b1a1a"}).fillna("#bbbbbb")
        ax.barh([f"{r.street_name}（{r.district_name}）" for r in df.itertuples()], df[f"{resource}_gap"], color=list(colours), height=0.75)
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.tick_params(axis="y", labelsize=6)
        ax.set_ylim(-0.7, len(df) - 0.3)
        ax.set_xlabel(f"实际 − 预期 actual − expected ({RESOURCE_UNITS[resource]})")
        ax.set_title(f"{RESOURCE_LABELS[resource]} 缺口排序 gap, ranked")
        return charts.to_svg(fig, f"gap-{resource}")


def staff_mix(gap: pd.DataFrame) -> str | None:
    """Establishment, contract and seconded staff per street, in demand order: who does the work."""
    df = gap.dropna(subset=["demand_index"]).sort_values("demand_index").reset_index(drop=True)
    if df.empty or not df[["staff_actual", "contract_staff", "seconded_staff"]].notna().any().any():
        return None
    import matplotlib.pyplot as plt

    x = np.arange(len(df))
    with plt.rc_context(charts.STYLE):
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 6), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
        staff = df["staff_actual"].fillna(0)
        contract = df["contract_staff"].fillna(0)
        ax1.bar(x, staff, 0.8, color="#d99694", label="实有在编 establishment staff present")
        ax1.bar(x, contract, 0.8, bottom=staff, color="#4f6d8a", label="编外 contract staff")
        ax1.bar(x, -df["seconded_staff"].fillna(0), 0.8, color="#6b4c9a", label="被借调 seconded upwards (below 0)")
        ax1.axhline(0, color="#333333", linewidth=0.6)
        ax1.set_ylabel("人数 people")
        ax1.legend(fontsize=7, frameon=False, ncol=3)
        ax1.set_title("谁在干活：在编、编外与借调 Who does the work: establishment, contract, seconded (streets by demand)")
        share = df["contract_staff"] / (df["staff_actual"] + df["contract_staff"])
        ax2.bar(x, share * 100, 0.8, color="#4f6d8a")
        med = share.median()
        if pd.notna(med):
            ax2.axhline(med * 100, color="#333333", linestyle="--", linewidth=0.8)
            ax2.text(len(df) - 0.5, med * 100, f"中位数 median {100 * med:.0f}%", ha="right", va="bottom", fontsize=7)
        ax2.set_ylabel("编外占比 %\ncontract share")
        ax2.set_xticks(x, df["street_name"], rotation=90, fontsize=6)
        ax2.set_xlim(-0.6, len(df) - 0.4)
        return charts.to_svg(fig, "staff-mix")


# --- report and profile ------------------------------------------------------------------------

def _mark(data, svg: str | None) -> Markup | None:
    if not svg:
        return None
    return Markup(charts.mark_sample(svg)) if data.is_sample else Markup(svg)


def spending_classes(gap: pd.DataFrame, classes: pd.DataFrame | None, street_code: str | None = None) -> list[dict]:
    """Spending by function class: the city median per resident (元) and per km² (万元) and the
    median share of total spending; with `street_code`, that street's figures beside them."""
    if classes is None or classes.empty:
        return []
    out = []
    for c in classes.itertuples():
        col = f"spending_{c.class_code}"
        if col not in gap or not gap[col].notna().any():
            continue
        per_res = gap[col] * 10000 / gap["population"]
        per_km2 = gap[col] / gap["area_km2"]
        share = gap[col] / gap["spending_actual"]
        row = {"class_code": c.class_code, "label": c.label_zh, "n": int(gap[col].notna().sum()),
               "median_per_resident": _clean(per_res.median()), "median_per_km2": _clean(per_km2.median()),
               "median_share": _clean(share.median())}
        if street_code is not None:
            mine = gap["street_code"] == street_code
            row.update(value=_clean(gap.loc[mine, col].max()), per_resident=_clean(per_res[mine].max()),
                       per_km2=_clean(per_km2[mine].max()), share=_clean(share[mine].max()))
        out.append(row)
    return out


def _street_rows(gap: pd.DataFrame) -> list[dict]:
    rows = _records(gap.sort_values(["demand_index", "street_code"], ascending=[False, True], na_position="last"))
    for r in rows:
        for res in ("staff", "spending"):
            r[f"{res}_flag_label"] = FLAG_LABELS.get(r.get(f"{res}_flag")) if r.get(f"{res}_flag") else None
    return rows


def report_html(data, cd: ChapterData) -> Markup | None:
    gap = cd.frames.get("resource_gap")
    if gap is None or gap.empty:
        return None
    svgs = {
        "scatter_staff": _mark(data, demand_scatter(gap, "staff")),
        "scatter_spending": _mark(data, demand_scatter(gap, "spending")),
        "gap_staff": _mark(data, gap_bars(gap, "staff")),
        "gap_spending": _mark(data, gap_bars(gap, "spending")),
        "staff_mix": _mark(data, staff_mix(gap)),
    }
    counts = {}
    for res in ("staff", "spending"):
        vc = gap[f"{res}_flag"].value_counts()
        counts[res] = {k: int(vc.get(k, 0)) for k in FLAG_LABELS} | {"none": int(gap[f"{res}_flag"].isna().sum())}
    flagged = {res: _records(gap[gap[f"{res}_flag"].isin(["under_resourced", "over_resourced"])]
                             .sort_values(f"{res}_gap_pct")) for res in ("staff", "spending")}
    real = {
        "population": int(gap["is_population_real"].fillna(False).astype(bool).sum()),
        "population_2020": int(gap["is_population_real_2020"].fillna(False).astype(bool).sum()) if "is_population_real_2020" in gap else 0,
        "area": int(gap["is_area_real"].fillna(False).astype(bool).sum()),
        "communities": int(gap["is_communities_real"].fillna(False).astype(bool).sum()),
        "census_shares": int(gap["is_census_shares_real"].fillna(False).astype(bool).sum()),
        "n": len(gap),
    }
    return render("resources.html.j2", data=data, info=cd.info, charts=svgs, counts=counts, flagged=flagged,
                  real=real, streets=_street_rows(gap), flag_labels=FLAG_LABELS, no_index=int(gap["demand_index"].isna().sum()),
                  classes=spending_classes(gap, cd.frames.get("spending_classes")))


def profile_html(data, cd: ChapterData, street_code: str) -> Markup | None:
    gap = cd.frames.get("resource_gap")
    if gap is None:
        return None
    rows = gap[gap["street_code"] == street_code]
    if rows.empty:
        return None
    r = _street_rows(rows)[0]
    n = int(gap["demand_index"].notna().sum())
    rank = None
    if r.get("demand_index") is not None:
        rank = int((gap["demand_index"] > r["demand_index"]).sum()) + 1
    classes = [c for c in spending_classes(gap, cd.frames.get("spending_classes"), street_code) if c.get("value") is not None]
    return render("resources_profile.html.j2", data=data, info=cd.info, r=r, demand_rank=rank, n_index=n,
                  flag_labels=FLAG_LABELS, classes=classes)


def ranking_columns(data, cd: ChapterData) -> pd.DataFrame | None:
    gap = cd.frames.get("resource_gap")
    if gap is None:
        return None
    return gap[["street_code", *RANKING_COLUMNS]].copy()


def files(data, cd: ChapterData) -> dict[str, bytes]:
    gap = cd.frames.get("resource_gap")
    if gap is None:
        return {}
    out = gap.copy()
    out.insert(2, "is_sample_data", bool(data.is_sample))
    return {"resource_gap.csv": out.to_csv(index=False).encode("utf-8-sig")}


CHAPTER = Chapter(
    id="resources", title_zh="需求与资源", title_en="Demand and resources", load=load,
    report_html=report_html, profile_html=profile_html, ranking_columns=ranking_columns, files=files,
)
