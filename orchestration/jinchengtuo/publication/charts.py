"""The report's charts, drawn with matplotlib and embedded in the HTML as inline SVG.

Text stays text in the SVG (svg.fonttype 'none'), so the reader's browser draws the Chinese
labels with its own CJK font: nothing is downloaded, nothing depends on fonts on this machine.
IDs inside each SVG are salted with the chart name so several charts live in one page.
"""

from __future__ import annotations

import io
import logging
import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from jinchengtuo.publication.data import CAPACITIES  # noqa: E402

CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei",
             "Microsoft YaHei", "PingFang SC", "Heiti SC", "DejaVu Sans"]
TIER_COLOURS = {1: "#8b1a1a", 2: "#c0504d", 3: "#d99694", 4: "#9db3c9", 5: "#4f6d8a"}
CAP_COLOURS = {"EXE": "#8b1a1a", "SRV": "#d9822b", "DLB": "#3d7a3d", "EMG": "#2f5f8a", "SAF": "#6b4c9a"}
STYLE = {
    "svg.fonttype": "none", "font.family": "sans-serif", "font.sans-serif": CJK_FONTS, "font.size": 9,
    "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 11, "axes.titleweight": "bold",
    "axes.unicode_minus": False, "figure.dpi": 96,
}
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def to_svg(fig, name: str) -> str:
    """The figure as an inline <svg> element (no XML prolog, no creation date, stable ids)."""
    buf = io.StringIO()
    with plt.rc_context({"svg.hashsalt": f"jct-{name}"}), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing CJK glyphs on this machine only affect text metrics
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "jinchengtuo (matplotlib)"})
    plt.close(fig)
    return _inline(buf.getvalue(), name)


def _inline(svg: str, name: str) -> str:
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)  # RDF boilerplate, no content
    # ids are global in an HTML page: prefix them per chart
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', svg)
    svg = re.sub(r'(url\(#|xlink:href="#|href="#)([^")]+)', lambda m: f"{m.group(1)}{name}-{m.group(2)}", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{name}" class="chart-svg" ', 1)


def _fig(w: float, h: float):
    with plt.rc_context(STYLE):
        return plt.subplots(figsize=(w, h))


def _label(row) -> str:
    return f"{row.street_name}（{row.district_name}）"


def ranking_bars(ranking: pd.DataFrame, composite: pd.DataFrame) -> str:
    df = ranking.dropna(subset=["rank"]).merge(composite[["street_code", "tier_band"]], on="street_code", how="left")
    df = df.sort_values("rank", ascending=False)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, max(2.5, 0.17 * len(df) + 1)))
        colours = [TIER_COLOURS.get(int(b) if pd.notna(b) else 5, "#999999") for b in df["tier_band"]]
        ax.barh([f"{int(r.rank)}. {_label(r)}" for r in df.itertuples()], df["composite_score"], color=colours, height=0.75)
        ax.set_xlabel("综合得分 composite score (0–100)")
        ax.set_title("综合排名 Composite ranking")
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylim(-0.7, len(df) - 0.3)
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in TIER_COLOURS.values()]
        ax.legend(handles, ["第一梯队 Tier 1", "第二梯队 Tier 2", "第三梯队 Tier 3", "第四梯队 Tier 4", "第五梯队 Tier 5"],
                  loc="lower right", fontsize=7, frameon=False)
        return to_svg(fig, "ranking")


def capacity_heatmap(ranking: pd.DataFrame, dim_capacity: pd.DataFrame) -> str:
    df = ranking.dropna(subset=["rank"]).sort_values("rank")
    cols = [f"score_{c}" for c in CAPACITIES]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.5, max(2.5, 0.17 * len(df) + 1.2)))
        mat = df[cols].astype("float64").to_numpy()
        im = ax.imshow(np.ma.masked_invalid(mat), aspect="auto", cmap="RdYlGn", vmin=0, vmax=100)
        names = dict(zip(dim_capacity["capacity"], dim_capacity["name_zh"]))
        ax.set_xticks(range(len(CAPACITIES)), [f"{names.get(c, c)}\n{c}" for c in CAPACITIES], fontsize=8)
        ax.set_yticks(range(len(df)), [f"{int(r.rank)}. {r.street_name}" for r in df.itertuples()], fontsize=7)
        ax.xaxis.tick_top()
        fig.colorbar(im, ax=ax, shrink=0.4, label="能力得分 capacity score")
        ax.set_title("五项能力得分 Capacity profiles", pad=28)
        return to_svg(fig, "capacities")


def district_boxes(ranking: pd.DataFrame) -> str:
    df = ranking.dropna(subset=["composite_score"])
    order = df.groupby("district_name")["composite_score"].median().sort_values(ascending=False).index.tolist()
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 3.6))
        data = [df.loc[df.district_name == d, "composite_score"].to_numpy() for d in order]
        ax.boxplot(data, tick_labels=order, patch_artist=True, boxprops={"facecolor": "#f3e3e3", "edgecolor": "#8b1a1a"},
                   medianprops={"color": "#8b1a1a"})
        for i, vals in enumerate(data, start=1):
            ax.scatter(np.full(len(vals), i) + np.linspace(-0.12, 0.12, len(vals)), vals, s=9, color="#333333", zorder=3)
        ax.set_ylabel("综合得分 composite score")
        ax.set_title("各区街道得分分布 Streets' scores by district (median order)")
        ax.tick_params(axis="x", labelsize=8)
        return to_svg(fig, "districts")


def area_density(street_year: pd.DataFrame) -> str | None:
    df = street_year.dropna(subset=["area_km2", "density_per_km2"])
    if df.empty:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 4.6))
        districts = sorted(df["district_name"].unique())
        cmap = plt.get_cmap("tab10")
        for i, d in enumerate(districts):
            sub = df[df.district_name == d]
            size = 12 + 60 * (sub["population"].fillna(0) / max(1.0, float(df["population"].max() or 1)))
            ax.scatter(sub["area_km2"], sub["density_per_km2"], s=size, color=cmap(i % 10), alpha=0.8, label=d, edgecolor="white", linewidth=0.4)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("辖区面积 area (km², log)")
        ax.set_ylabel("人口密度 residents per km² (log)")
        ax.set_title("发现一：面积与人口并不同步 Area and population do not move together")
        big_sparse = df.assign(k=np.log(df["area_km2"]) - np.log(df["density_per_km2"])).nlargest(4, "k")
        small_dense = df.assign(k=np.log(df["density_per_km2"]) - np.log(df["area_km2"])).nlargest(4, "k")
        for r in pd.concat([big_sparse, small_dense]).itertuples():
            ax.annotate(r.street_name, (r.area_km2, r.density_per_km2), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.legend(fontsize=7, ncol=2, frameon=False, title="区 district (点大小 = 人口)", title_fontsize=7)
        return to_svg(fig, "area-density")


def staffing(street_year: pd.DataFrame) -> str | None:
    df = street_year.sort_values(["district_name", "street_code"]).reset_index(drop=True)
    if not df[["fa_authorized_posts", "fa_actual_staff", "contract_staff"]].notna().any().any():
        return None
    x = np.arange(len(df))
    with plt.rc_context(STYLE):
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 6.2), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
        w = 0.28
        ax1.bar(x - w, df["fa_authorized_posts"], w, label="编制数 establishment posts", color="#8b1a1a")
        ax1.bar(x, df["fa_actual_staff"], w, label="实有人数 staff present", color="#d99694")
        ax1.bar(x + w, df["contract_staff"], w, label="编外人员 contract staff", color="#4f6d8a")
        ax1.set_ylabel("人数 people")
        ax1.legend(fontsize=7, frameon=False, ncol=3)
        ax1.set_title("发现二：人员配置不均 Staffing is uneven")
        ax2.bar(x, df["ctx_staff_per_10k"], color="#6b4c9a")
        med = df["ctx_staff_per_10k"].median()
        if pd.notna(med):
            ax2.axhline(med, color="#333333", linestyle="--", linewidth=0.8)
            ax2.text(len(df) - 0.5, med, f"中位数 median {med:.1f}", ha="right", va="bottom", fontsize=7)
        ax2.set_ylabel("每万人在编人员\nstaff per 10k residents")
        ax2.set_xticks(x, df["street_name"], rotation=90, fontsize=6)
        ax2.set_xlim(-0.6, len(df) - 0.4)
        return to_svg(fig, "staffing")


def spending(street_year: pd.DataFrame) -> str | None:
    df = street_year.dropna(subset=["ctx_spending_per_capita"]).sort_values("ctx_spending_per_capita", ascending=False)
    if df.empty:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(11, 3.8))
        ax.bar(range(len(df)), df["ctx_spending_per_capita"], color="#d9822b")
        med = df["ctx_spending_per_capita"].median()
        if pd.notna(med):
            ax.axhline(med, color="#333333", linestyle="--", linewidth=0.8)
            ax.text(len(df) - 0.5, med, f"中位数 median {med:,.0f}", ha="right", va="bottom", fontsize=7)
        ax.set_xticks(range(len(df)), df["street_name"], rotation=90, fontsize=6)
        ax.set_xlim(-0.6, max(0, len(df) - 0.4))
        ax.set_ylabel("人均支出（元）spending per resident (yuan)")
        hi, lo = df["ctx_spending_per_capita"].max(), df["ctx_spending_per_capita"].min()
        ratio = f"  最高/最低 = {hi / lo:.1f}×" if len(df) and lo and lo > 0 else ""
        ax.set_title(f"发现三：支出标准差异巨大 Spending per resident (final accounts){ratio}")
        return to_svg(fig, "spending")


def rank_movement(history: pd.DataFrame) -> str | None:
    df = history.dropna(subset=["rank"]).assign(rank=lambda d: d["rank"].astype("float64"))
    years = sorted(df["year"].unique())
    if len(years) < 2:
        return None
    wide = df.pivot_table(index="street_code", columns="year", values="rank", aggfunc="first")
    names = df.drop_duplicates("street_code").set_index("street_code")["street_name"]
    last, first = years[-1], years[-2]
    change = (wide[first] - wide[last]).dropna()
    movers = set(change.nlargest(4).index) | set(change.nsmallest(4).index)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 6))
        for code, row in wide.iterrows():
            hl = code in movers
            ax.plot(years, row.reindex(years).astype("float64").to_numpy(), marker="o", markersize=2.5 if not hl else 4,
                    linewidth=0.6 if not hl else 1.8, color="#bbbbbb" if not hl else "#8b1a1a", zorder=3 if hl else 2)
            if hl and pd.notna(row.get(last)):
                ax.annotate(f"{names.get(code, code)} ({int(change.get(code, 0)):+d})", (last, row[last]), fontsize=7,
                            xytext=(4, 0), textcoords="offset points", va="center", color="#8b1a1a")
        ax.invert_yaxis()
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_ylabel("排名 rank (1 = best)")
        ax.set_title("名次变化 Rank movement across years (largest movers highlighted)")
        return to_svg(fig, "rank-movement")


def coverage(inventory: pd.DataFrame) -> str | None:
    if inventory.empty:
        return None
    tab = pd.crosstab(inventory["doc_type"].fillna("unknown"), inventory["status"].fillna("unknown"))
    status_colours = {"extracted": "#3d7a3d", "partial": "#d9822b", "failed": "#8b1a1a", "unidentified": "#6b4c9a",
                      "duplicate": "#9db3c9", "superseded": "#bbbbbb"}
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 3.2))
        left = np.zeros(len(tab))
        for s in tab.columns:
            ax.barh(tab.index, tab[s], left=left, label=s, color=status_colours.get(s, "#777777"))
            left += tab[s].to_numpy()
        ax.set_xlabel("文件数 files")
        ax.set_title("数据覆盖：各类文件的处理状态 Documents by type and status")
        ax.legend(fontsize=7, frameon=False, ncol=3)
        return to_svg(fig, "coverage")


class StreetCapacityChart:
    """One street's five capacity scores against its district's and the city's medians.

    One figure is drawn and reused for every street of a year (only bar heights and the
    legend label change), which keeps 74 profiles to a few seconds."""

    def __init__(self, city: pd.Series):
        with plt.rc_context(STYLE):
            self.fig, ax = plt.subplots(figsize=(7, 2.9))
            x = np.arange(len(CAPACITIES))
            w = 0.27
            zeros = np.zeros(len(CAPACITIES))
            self.mine = ax.bar(x - w, zeros, w, label="本街道", color="#8b1a1a")
            self.district = ax.bar(x, zeros, w, label="区中位数 district median", color="#d99694")
            self.city = ax.bar(x + w, city.reindex(CAPACITIES).astype("float64").fillna(0).to_numpy(), w,
                               label="全市中位数 city median", color="#9db3c9")
            ax.set_xticks(x, list(CAPACITIES))
            ax.set_ylim(0, 100)
            ax.set_ylabel("得分 score")
            self.legend = ax.legend(fontsize=7, frameon=False, ncol=3, loc="upper center", bbox_to_anchor=(0.5, 1.2))
            self.fig.subplots_adjust(left=0.09, right=0.98, bottom=0.1, top=0.82)

    def render(self, name: str, mine: pd.Series, district: pd.Series, chart_id: str) -> str:
        for bars, values in ((self.mine, mine), (self.district, district)):
            for bar, v in zip(bars, values.reindex(CAPACITIES).astype("float64").to_numpy()):
                bar.set_height(0.0 if np.isnan(v) else float(v))
        self.legend.get_texts()[0].set_text(name)
        buf = io.StringIO()
        with plt.rc_context({**STYLE, "svg.hashsalt": f"jct-{chart_id}"}), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "jinchengtuo (matplotlib)"})
        return _inline(buf.getvalue(), chart_id)

    def close(self) -> None:
        plt.close(self.fig)


SAMPLE_MARK = "示例数据 SAMPLE DATA"


def mark_sample(svg: str, label: str = SAMPLE_MARK) -> str:
    """Stamp a chart drawn from sample or synthetic inputs: the label is drawn inside the SVG itself,
    top left, so the mark travels with the chart wherever it is copied."""
    if not svg:
        return svg
    mark = (f'<text class="sample-mark" x="4" y="13" fill="#b71c1c" fill-opacity="0.85" font-size="12" font-weight="bold" '
            f'font-family="sans-serif">{label}</text>')
    end = svg.rindex("</svg>")
    return svg[:end] + mark + svg[end:]
