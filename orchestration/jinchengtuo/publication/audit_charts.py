"""Charts of the statistical audit chapter (publication/chapters/audit.py): rank intervals as error
bars, sensitivity bars and the indicator correlation heatmap. Inline SVG like publication/charts.py."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from jinchengtuo.publication.charts import CAP_COLOURS, STYLE, to_svg

FACTOR_LABELS = {
    "weights": "权重扰动 weights ±", "weighting": "赋权方案 weighting scheme", "normalisation": "标准化 normalisation",
    "aggregation": "加总方式 aggregation", "imputation": "插补与否 imputation on/off",
    "dropped_indicator": "剔除一项指标 one indicator dropped",
}


def rank_intervals(uncertainty: pd.DataFrame, names: dict[str, str]) -> str | None:
    """Every ranked street, sorted by its published rank: the 5th–95th percentile interval as an
    error bar, the median rank as a dot and the published rank as a tick."""
    df = uncertainty.dropna(subset=["rank_p05", "rank_p95"]).sort_values(["nominal_rank", "street_code"])
    if df.empty:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, max(2.5, 0.17 * len(df) + 1.2)))
        y = np.arange(len(df))[::-1]
        lo = df["rank_p05"].to_numpy(float)
        hi = df["rank_p95"].to_numpy(float)
        med = df["median_rank"].to_numpy(float)
        sig = df["rank_change_significant"].fillna(False).astype(bool).to_numpy() if "rank_change_significant" in df else np.zeros(len(df), bool)
        ax.hlines(y, lo, hi, color="#9db3c9", linewidth=3, label="90% 排名区间 90% rank interval (p05–p95)")
        ax.scatter(med, y, s=14, color="#4f6d8a", zorder=3, label="中位名次 median rank")
        ax.scatter(df["nominal_rank"].to_numpy(float), y, marker="|", s=60, color="#8b1a1a", zorder=4,
                   label="公布名次 published rank")
        if sig.any():
            ax.scatter(hi[sig] + 0.8, y[sig], marker="*", s=28, color="#d9822b", zorder=4,
                       label="名次变化显著 significant change")
        ax.set_yticks(y, [f"{int(r.nominal_rank)}. {names.get(r.street_code, r.street_code)}" for r in df.itertuples()],
                      fontsize=7)
        n = int(df["n_ranked"].max()) if "n_ranked" in df else int(hi.max())
        ax.set_xlim(0.5, n + 2)
        ax.invert_xaxis()
        ax.set_xlabel("名次 rank (1 = 最好 best)")
        ax.set_title("排名的不确定性 Rank intervals over reasonable method choices")
        ax.set_ylim(-0.7, len(df) - 0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        return to_svg(fig, "audit-intervals")


def sensitivity_bars(sensitivity: pd.DataFrame, indicator_names: dict[str, str]) -> str | None:
    """Left: Sobol' first- and total-order indices per factor (with SALib's confidence half-widths).
    Right: the mean absolute rank change when each indicator is left out (largest first)."""
    sob = sensitivity[sensitivity["analysis"] == "sobol"].sort_values("total_order")
    drop = sensitivity[sensitivity["analysis"] == "drop_one_indicator"].sort_values("mean_abs_rank_change").tail(12)
    if sob.empty and drop.empty:
        return None
    with plt.rc_context(STYLE):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, max(3.0, 0.28 * max(len(sob), len(drop)) + 1.4)))
        if len(sob):
            y = np.arange(len(sob))
            a1.barh(y + 0.2, sob["total_order"], 0.38, xerr=sob["total_order_conf"], color="#8b1a1a",
                    label="总效应 total order", error_kw={"elinewidth": 0.8, "ecolor": "#555555"})
            a1.barh(y - 0.2, sob["first_order"], 0.38, xerr=sob["first_order_conf"], color="#d99694",
                    label="一阶效应 first order", error_kw={"elinewidth": 0.8, "ecolor": "#555555"})
            a1.set_yticks(y, [FACTOR_LABELS.get(f, f) for f in sob["factor"]], fontsize=8)
            a1.axvline(0, color="#333333", linewidth=0.6)
            a1.set_xlabel("Sobol' 指数 index (平均名次偏移的方差份额 share of the variance of the mean rank shift)")
            a1.legend(fontsize=7, frameon=False, loc="lower right")
        else:
            a1.text(0.5, 0.5, "未运行 Sobol' not run", ha="center", va="center", transform=a1.transAxes)
        a1.set_title("哪项方法选择影响最大 Which choice moves the ranks")
        if len(drop):
            y = np.arange(len(drop))
            a2.barh(y, drop["mean_abs_rank_change"], color="#4f6d8a")
            a2.set_yticks(y, [f"{indicator_names.get(f, f)} {f}" for f in drop["factor"]], fontsize=7)
            a2.set_xlabel("平均名次变化 mean |rank change| (places)")
        a2.set_title("剔除单项指标 Leaving one indicator out")
        fig.subplots_adjust(wspace=0.9)
        return to_svg(fig, "audit-sensitivity")


def correlation_heatmap(correlation: pd.DataFrame, indicators: pd.DataFrame) -> str | None:
    """Pearson r between every pair of scored indicators (framework order, grouped by capacity)."""
    if correlation.empty:
        return None
    ind = indicators.reset_index(drop=True)
    ids = ind["indicator_id"].tolist()
    pos = {k: i for i, k in enumerate(ids)}
    mat = np.full((len(ids), len(ids)), np.nan)
    for r in correlation.itertuples():
        if r.indicator_id in pos and r.other_indicator_id in pos:
            mat[pos[r.indicator_id], pos[r.other_indicator_id]] = mat[pos[r.other_indicator_id], pos[r.indicator_id]] = r.r
    np.fill_diagonal(mat, 1.0)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8.2, 7.4))
        im = ax.imshow(np.ma.masked_invalid(mat), cmap="RdBu_r", vmin=-1, vmax=1)
        labels = [f"{i}" for i in ids]
        ax.set_xticks(range(len(ids)), labels, rotation=90, fontsize=6)
        ax.set_yticks(range(len(ids)), labels, fontsize=6)
        caps = ind["capacity"].tolist()
        for k in range(1, len(caps)):
            if caps[k] != caps[k - 1]:
                ax.axhline(k - 0.5, color="#333333", linewidth=0.7)
                ax.axvline(k - 0.5, color="#333333", linewidth=0.7)
        for lab, cap in zip(ax.get_yticklabels(), caps):
            lab.set_color(CAP_COLOURS.get(cap, "#333333"))
        flagged = correlation[correlation["flag"].notna()]
        for r in flagged.itertuples():
            if r.indicator_id in pos and r.other_indicator_id in pos:
                for a, b in ((pos[r.indicator_id], pos[r.other_indicator_id]), (pos[r.other_indicator_id], pos[r.indicator_id])):
                    ax.text(b, a, "!", ha="center", va="center", fontsize=7, color="black", fontweight="bold")
        fig.colorbar(im, ax=ax, shrink=0.6, label="相关系数 Pearson r")
        ax.set_title("指标相关性（按能力分组）Indicator correlations, by capacity (! = flagged)")
        return to_svg(fig, "audit-correlation")
