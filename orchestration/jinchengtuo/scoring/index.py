"""A numpy reference implementation of the 金秤砣 index, independent of the dbt models.

It takes the raw indicator values (marts.fct_indicator_value.raw_value, or any long table of
street_code, year, indicator_id, raw_value) and recomputes every later step on dense arrays of
shape (years, streets, indicators): coverage screening, imputation, COINr winsorisation,
normalisation, weights, capacity and composite scores, ranks, tiers. Everything is vectorised
over streets and indicators, so one run over 74 streets × 5 years takes milliseconds and the
Monte Carlo audit can call `score` thousands of times (optionally overriding weights).

The rules are those written in the dbt models' headers and in docs/methodology.md; the tests
compare this implementation with the marts for every option.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from jinchengtuo.scoring.framework import CAPACITIES, Framework
from jinchengtuo.scoring.options import DATA_WEIGHTINGS, ScoringOptions, check_reference_years

IMPUTATION_METHODS = (None, "own_previous_year", "district_median", "city_median")
EPS_WEIGHT = 1e-9
EPS_TERM = 1e-12
EPS_SD = 1e-9


@dataclass
class Panel:
    """The raw indicator values as dense arrays."""

    years: np.ndarray  # (Y,) int, ascending
    street_codes: np.ndarray  # (S,) str
    district_names: np.ndarray  # (S,) str
    indicator_ids: np.ndarray  # (I,) str, framework order
    capacity_index: np.ndarray  # (I,) int into CAPACITIES
    direction: np.ndarray  # (I,) +1 / -1
    default_weight: np.ndarray  # (I,)
    raw: np.ndarray  # (Y, S, I) float, NaN = missing
    n_documents: np.ndarray  # (Y, S) counting documents per street-year
    district_index: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        _, self.district_index = np.unique(self.district_names, return_inverse=True)

    @classmethod
    def from_long(cls, raw_values: pd.DataFrame, streets: pd.DataFrame, framework: Framework,
                  n_documents: pd.DataFrame | None = None, years=None) -> "Panel":
        """raw_values: street_code, year, indicator_id, raw_value (CTX rows are ignored);
        streets: street_code, district_name; n_documents: street_code, year, n_counting_documents
        (when absent, every street-year counts as having documents)."""
        scored = framework.scored
        ids = scored["indicator_id"].to_numpy()
        cap = np.array([CAPACITIES.index(c) for c in scored["capacity"]])
        streets = streets.sort_values("street_code").reset_index(drop=True)
        codes = streets["street_code"].astype(str).to_numpy()
        if years is None:
            years = sorted(pd.unique(raw_values["year"]))
        years = np.array(sorted(int(y) for y in years))
        raw = np.full((len(years), len(codes), len(ids)), np.nan)
        df = raw_values[raw_values["indicator_id"].isin(ids)]
        unknown_streets = set(df["street_code"].astype(str)) - set(codes)
        if unknown_streets:
            raise ValueError(f"raw values name streets not in the street list: {sorted(unknown_streets)[:5]}")
        yi = np.searchsorted(years, df["year"].astype(int).to_numpy())
        si = np.searchsorted(codes, df["street_code"].astype(str).to_numpy())
        ii = pd.Index(ids).get_indexer(df["indicator_id"])
        ok = (yi < len(years)) & (years[np.minimum(yi, len(years) - 1)] == df["year"].astype(int).to_numpy())
        raw[yi[ok], si[ok], ii[ok]] = pd.to_numeric(df["raw_value"], errors="coerce").to_numpy(dtype=float)[ok]
        docs = np.ones((len(years), len(codes)))
        if n_documents is not None:
            docs = np.zeros((len(years), len(codes)))
            nd = n_documents[n_documents["year"].astype(int).isin(years)]
            docs[np.searchsorted(years, nd["year"].astype(int)), np.searchsorted(codes, nd["street_code"].astype(str))] = nd[
                "n_counting_documents"].to_numpy(dtype=float)
        return cls(years, codes, streets["district_name"].to_numpy(), ids, cap,
                   scored["direction"].to_numpy(dtype=float), scored["default_weight"].to_numpy(dtype=float), raw, docs)


@dataclass
class ScoreResult:
    options: ScoringOptions
    methodology_version: str
    coverage: np.ndarray  # (Y, I)
    included: np.ndarray  # (Y, I) bool
    value: np.ndarray  # (Y, S, I) after imputation
    imputation: np.ndarray  # (Y, S, I) int8 index into IMPUTATION_METHODS
    imputed_from_year: np.ndarray  # (Y, S, I) float
    treated: np.ndarray  # (Y, S, I)
    normalised: np.ndarray  # (Y, S, I)
    base_weight: np.ndarray  # (Y, I)
    weight: np.ndarray  # (Y, S, I), NaN where the indicator does not count
    capacity_score: np.ndarray  # (Y, S, C)
    capacity_weight: np.ndarray  # (Y, S, C) renormalised weight in the composite
    composite: np.ndarray  # (Y, S)
    data_coverage: np.ndarray  # (Y, S)
    is_ranked: np.ndarray  # (Y, S) bool
    rank: np.ndarray  # (Y, S) float, NaN when unranked
    is_tied: np.ndarray  # (Y, S) bool
    n_ranked: np.ndarray  # (Y,)
    tier_band: np.ndarray  # (Y, S) float
    rank_in_district: np.ndarray  # (Y, S)
    rank_change: np.ndarray  # (Y, S)
    capacity_rank: np.ndarray  # (Y, S, C)
    has_enough_data: np.ndarray  # (Y, S) bool: meets the street coverage gates
    rank_status: np.ndarray  # (Y, S) str: ranked / provisional / insufficient_data
    release_status: np.ndarray  # (Y,) str: ranking / provisional (the year gates)


def _competition_rank(scores: np.ndarray, eligible: np.ndarray, groups: np.ndarray | None = None):
    """Competition ranks (1, 2, 2, 4) on scores at 6-decimal precision, per row of `scores`.

    scores, eligible: (Y, S); groups: (S,) — rank inside each group when given. By sorting, in
    O(S log S) memory and time per row (the pairwise S × S comparison of `_competition_rank_pairwise`,
    which gives the same ranks, needs 41,352² cells a year at national scale)."""
    # the tie key of the SQL models: floor(score × 10⁶ + 0.5), the same IEEE operations in both
    with np.errstate(invalid="ignore"):
        r = np.where(eligible, np.floor(np.where(eligible, scores, 0.0) * 1e6 + 0.5), -np.inf)
    if np.isnan(r).any():  # an eligible NaN score: the pairwise definition (NaN beats nobody, nobody beats it)
        return _competition_rank_pairwise(scores, eligible, groups)
    Y, S = r.shape
    g = np.zeros(S, dtype=np.int64) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1].reshape(S)
    rank = np.full((Y, S), np.nan)
    tied = np.zeros((Y, S), dtype=bool)
    n_group = np.zeros((Y, S), dtype=np.int64)
    pos = np.arange(S)
    for y in range(Y):
        el = eligible[y]
        order = np.lexsort((-r[y], ~el, g))  # by group, the eligible first, best score first
        gs, ks, es = g[order], r[y][order], el[order]
        new_group = np.r_[True, gs[1:] != gs[:-1]]
        new_key = new_group | np.r_[True, ks[1:] != ks[:-1]] | np.r_[True, es[1:] != es[:-1]]
        group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
        key_start = np.maximum.accumulate(np.where(new_key, pos, 0))
        key_end = np.r_[np.flatnonzero(new_key)[1:], S]  # run k spans key_start .. key_end[k] − 1
        run_len = (key_end - np.flatnonzero(new_key))[np.cumsum(new_key) - 1]
        n_el = np.bincount(g[el], minlength=int(g.max()) + 1)
        out_rank = np.where(es, 1.0 + key_start - group_start, np.nan)
        rank[y, order] = out_rank
        tied[y, order] = es & (run_len > 1)
        n_group[y, order] = np.where(es, n_el[gs], 0)
    return rank, tied, n_group


def _competition_rank_pairwise(scores: np.ndarray, eligible: np.ndarray, groups: np.ndarray | None = None):
    """The definition of `_competition_rank` by pairwise comparison ((Y, S, S) cells)."""
    with np.errstate(invalid="ignore"):
        r = np.where(eligible, np.floor(np.where(eligible, scores, 0.0) * 1e6 + 0.5), -np.inf)
    same = eligible[:, None, :] & eligible[:, :, None]
    if groups is not None:
        same &= (groups[None, :] == groups[:, None])[None, :, :]
    better = (r[:, None, :] > r[:, :, None]) & same  # [y, s, s'] s' beats s
    equal = (r[:, None, :] == r[:, :, None]) & same
    rank = np.where(eligible, 1 + better.sum(2), np.nan)
    n_group = np.where(eligible, same.sum(2), 0)
    tied = eligible & (equal.sum(2) > 1)
    return rank, tied, n_group


def _nanmedian(a: np.ndarray) -> np.ndarray:
    """Median along axis 1 ignoring NaN (mean of the two middle values for an even count; NaN
    when empty) — np.nanmedian is much slower on small arrays."""
    s = np.sort(a, axis=1)  # NaN sort last
    n = (~np.isnan(a)).sum(1)
    lo = np.clip((n - 1) // 2, 0, None)
    hi = np.clip(n // 2, 0, a.shape[1] - 1)
    lo_v = np.take_along_axis(s, lo[:, None, :], axis=1)[:, 0, :]
    hi_v = np.take_along_axis(s, np.minimum(hi, np.maximum(n - 1, 0))[:, None, :], axis=1)[:, 0, :]
    return np.where(n > 0, (lo_v + hi_v) / 2.0, np.nan)


def _group_nanmedian(a: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """(Y, S, I) → (Y, S, I): in every cell the median along axis 1 over the streets of its group,
    ignoring NaN — what `_nanmedian` gives for the group's streets, for all groups at once by one
    sort per year and indicator (a loop over the groups costs groups × the whole panel: ~2,800
    counties × 41,352 units at national scale)."""
    Y, S, I = a.shape
    _, g = np.unique(np.asarray(groups), return_inverse=True)
    g = g.reshape(S)
    n_groups = int(g.max()) + 1 if S else 0
    out = np.full(a.shape, np.nan)
    for y in range(Y):
        for i in range(I):
            v = a[y, :, i]
            order = np.lexsort((v, g))  # by group, then value (NaN last within its group)
            sv = v[order]
            n = np.bincount(g, weights=~np.isnan(v), minlength=n_groups).astype(int)
            start = np.r_[0, np.cumsum(np.bincount(g, minlength=n_groups))[:-1]]
            lo = sv[start + np.clip((n - 1) // 2, 0, None)]
            hi = sv[start + np.minimum(n // 2, np.maximum(n - 1, 0))]
            med = np.where(n > 0, (lo + hi) / 2.0, np.nan)
            out[y, :, i] = med[g]
    return out


def _skew_kurt(v: np.ndarray):
    """Sample skewness and excess kurtosis along axis 1 (e1071 / Excel type 2), NaN-aware."""
    mask = ~np.isnan(v)
    n = mask.sum(1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(mask, v, 0).sum(1) / n
        d = np.where(mask, v - mean[:, None, :], 0)
        m2, m3, m4 = (d ** 2).sum(1), (d ** 3).sum(1), (d ** 4).sum(1)
        skew = np.sqrt(n) * m3 / m2 ** 1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * m4 / m2 ** 2
        kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    vmax = np.where(mask, v, -np.inf).max(1)
    vmin = np.where(mask, v, np.inf).min(1)
    flat = ~(vmax > vmin)
    skew = np.where(flat | (n < 3), np.nan, skew)
    kurt = np.where(flat | (n < 4), np.nan, kurt)
    return n, skew, kurt, vmax, vmin


@dataclass
class Prepared:
    """Steps 1–4 (screening, imputation, treatment, normalisation): reusable across weightings."""

    panel: Panel
    options: ScoringOptions
    has: np.ndarray
    coverage: np.ndarray
    included: np.ndarray
    value: np.ndarray
    imputation: np.ndarray
    from_year: np.ndarray
    treated: np.ndarray
    normalised: np.ndarray


def score(panel: Panel, framework: Framework, options: ScoringOptions | None = None, *,
          indicator_weights: np.ndarray | None = None, capacity_weights: np.ndarray | None = None) -> ScoreResult:
    """Compute the index. `indicator_weights` (I,) replaces the scheme's raw weights and
    `capacity_weights` (C,) the framework's capacity weights (for sensitivity analysis).
    For many weightings of one method, call `prepare` once and `aggregate` per weighting."""
    return aggregate(prepare(panel, options), framework, indicator_weights=indicator_weights,
                     capacity_weights=capacity_weights)


def prepare(panel: Panel, options: ScoringOptions | None = None) -> Prepared:
    """Coverage screening, imputation, outlier treatment and normalisation."""
    opt = options or ScoringOptions()
    raw = panel.raw
    Y, S, I = raw.shape
    years = panel.years
    has = ~np.isnan(raw)
    check_reference_years(opt, years)  # goalposts need a reference year among the data's years

    # 1. coverage screening
    n_with = has.sum(1)
    coverage = n_with / S
    included = (n_with > 0) & (coverage >= opt.min_indicator_coverage)

    # 2. imputation: own earlier years, district median, city median (none when switched off:
    # missing cells stay missing and the weights renormalise over the indicators a street has)
    value = np.where(has, raw, np.nan)
    imputation = np.zeros((Y, S, I), dtype=np.int8)
    from_year = np.full((Y, S, I), np.nan)
    need = ~has & included[:, None, :] & (opt.imputation != "off")
    year_pos = {int(y): k for k, y in enumerate(years)}
    for k, y in enumerate(years):
        for g in range(1, opt.impute_max_gap_years + 1):
            j = year_pos.get(int(y) - g)
            if j is None:
                continue
            take = need[k] & has[j]
            value[k][take] = raw[j][take]
            imputation[k][take] = 1
            from_year[k][take] = int(y) - g
            need[k] &= ~take
    med = _group_nanmedian(raw, panel.district_index)  # (Y, S, I): the median of each street's district
    take = need & ~np.isnan(med)
    value = np.where(take, med, value)
    imputation[take] = 2
    need &= ~take
    city = _nanmedian(raw)
    take = need & ~np.isnan(city)[:, None, :]
    value = np.where(take, city[:, None, :], value)
    imputation[take] = 3
    value = np.where(included[:, None, :], value, np.nan)

    # 3. outlier treatment (COINr winsorise)
    v = value.copy()
    present = ~np.isnan(value)
    for _ in range(opt.winsor_max_points):
        n, skew, kurt, vmax, vmin = _skew_kurt(v)
        n_changed = (present & (v != value)).sum(1)
        with np.errstate(invalid="ignore"):
            fails = ((n >= 4) & np.isfinite(skew) & np.isfinite(kurt) & (np.abs(skew) >= opt.winsor_skew_threshold)
                     & (kurt >= opt.winsor_kurtosis_threshold) & (n_changed < opt.winsor_max_points))
        if not fails.any():
            break
        next_lower = np.where(present & (v < vmax[:, None, :]), v, -np.inf).max(1)
        next_higher = np.where(present & (v > vmin[:, None, :]), v, np.inf).min(1)
        high = fails & (skew >= 0) & np.isfinite(next_lower)
        low = fails & (skew < 0) & np.isfinite(next_higher)
        v = np.where(high[:, None, :] & (v == vmax[:, None, :]), next_lower[:, None, :], v)
        v = np.where(low[:, None, :] & (v == vmin[:, None, :]), next_higher[:, None, :], v)
    treated = v

    # 4. normalisation onto 0–100, direction applied
    t = treated
    tmask = ~np.isnan(t)
    direction = panel.direction[None, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        if opt.normalisation in ("goalposts", "minmax_year"):
            if opt.normalisation == "goalposts":
                ref = np.isin(years, list(opt.goalpost_reference_years))
                sel = tmask & ref[:, None, None]
                lo = np.where(sel, t, np.inf).min((0, 1))
                hi = np.where(sel, t, -np.inf).max((0, 1))
                first = np.argmax(tmask.any(1), axis=0)  # earliest year with values, per indicator
                first_vals = t[first, :, np.arange(I)]  # (I, S)
                fallback = ~sel.any((0, 1))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    lo = np.where(fallback, np.nanmin(first_vals, axis=1), lo)
                    hi = np.where(fallback, np.nanmax(first_vals, axis=1), hi)
                lo, hi = lo[None, None, :], hi[None, None, :]
            else:
                lo = np.where(tmask, t, np.inf).min(1)[:, None, :]
                hi = np.where(tmask, t, -np.inf).max(1)[:, None, :]
            up = np.where(hi == lo, 50.0, np.clip(100.0 * (t - lo) / (hi - lo), 0.0, 100.0))
            normalised = np.where(direction == -1, 100.0 - up, up)
        else:
            cnt = tmask.sum(1)
            mean = np.where(tmask, t, 0).sum(1) / cnt
            sd = np.sqrt(np.where(tmask, (t - mean[:, None, :]) ** 2, 0).sum(1) / cnt)
            sd3 = sd[:, None, :]
            normalised = np.where(~(sd3 >= EPS_SD), 50.0,
                                  np.clip(50.0 + 10.0 * direction * (t - mean[:, None, :]) / sd3, 0.0, 100.0))
        normalised = np.where(tmask, normalised, np.nan)

    return Prepared(panel, opt, has, coverage, included, value, imputation, from_year, treated, normalised)


def aggregate(prep: Prepared, framework: Framework, *, indicator_weights: np.ndarray | None = None,
              capacity_weights: np.ndarray | None = None) -> ScoreResult:
    """Weights, capacity and composite scores, ranks and tiers from prepared values."""
    panel, opt = prep.panel, prep.options
    has, coverage, included, normalised = prep.has, prep.coverage, prep.included, prep.normalised
    Y, S, I = panel.raw.shape
    years = panel.years
    year_pos = {int(y): k for k, y in enumerate(years)}

    # 5. weights inside each capacity (per year)
    nmask = ~np.isnan(normalised)
    present_iy = nmask.any(1)  # (Y, I)
    if indicator_weights is None and opt.weighting in DATA_WEIGHTINGS:
        # entropy and CRITIC need values of at least two streets for every included indicator-year
        lacking = included & ((has & included[:, None, :]).sum(1) < 2)
        if lacking.any():
            yk, ik = np.nonzero(lacking)
            where = "; ".join(f"{years[a]} {panel.indicator_ids[b]} ({int(has[a, :, b].sum())})" for a, b in list(zip(yk, ik))[:5])
            raise ValueError(f"scoring option weighting={opt.weighting} cannot be applied: it needs values of at least two streets "
                             f"for every included indicator-year, and {len(yk)} have fewer (year, indicator, streets with values: "
                             f"{where}{' …' if len(yk) > 5 else ''}); choose another weighting or screen them out with "
                             "min_indicator_coverage")
    if indicator_weights is not None:
        raw_w = np.broadcast_to(np.asarray(indicator_weights, float), (Y, I)).copy()
    elif opt.weighting == "expert":
        raw_w = np.broadcast_to(panel.default_weight, (Y, I)).copy()
    elif opt.weighting == "equal":
        raw_w = np.ones((Y, I))
    elif opt.weighting == "entropy":
        m = nmask.sum(1)
        total = np.where(nmask, normalised, 0).sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = normalised / total[:, None, :]
            terms = np.where(nmask & (normalised > 0) & (total[:, None, :] > 0), p * np.log(p), 0.0).sum(1)
            d = 1.0 - (-terms / np.log(m))
        d = np.where((m < 2) | ~(total > 0), 0.0, d)
        raw_w = np.where(d < EPS_TERM, 0.0, d)
    else:  # critic
        cnt = nmask.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(nmask, normalised, 0).sum(1) / cnt
            sd = np.sqrt(np.where(nmask, (normalised - mean[:, None, :]) ** 2, 0).sum(1) / cnt)
        conflict = np.zeros((Y, I))
        for c in range(len(CAPACITIES)):
            idx = np.flatnonzero(panel.capacity_index == c)
            for i in idx:
                for j in idx:
                    if i == j:
                        continue
                    both = nmask[:, :, i] & nmask[:, :, j]
                    npairs = both.sum(1)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        a = np.where(both, normalised[:, :, i], 0.0)
                        b = np.where(both, normalised[:, :, j], 0.0)
                        ma = a.sum(1) / npairs
                        mb = b.sum(1) / npairs
                        da = np.where(both, a - ma[:, None], 0.0)
                        db = np.where(both, b - mb[:, None], 0.0)
                        cov = (da * db).sum(1) / npairs
                        sda = np.sqrt((da ** 2).sum(1) / npairs)
                        sdb = np.sqrt((db ** 2).sum(1) / npairs)
                        r = np.where((npairs >= 2) & (sda >= EPS_SD) & (sdb >= EPS_SD), cov / (sda * sdb), 0.0)
                    conflict[:, i] += np.where(npairs >= 1, 1.0 - r, 0.0)
        cw = sd * conflict
        raw_w = np.where(~(cw >= EPS_TERM), 0.0, cw)
    raw_w = np.where(present_iy, raw_w, 0.0)
    base_weight = np.full((Y, I), np.nan)
    for c in range(len(CAPACITIES)):
        idx = panel.capacity_index == c
        tot = np.where(present_iy[:, idx], raw_w[:, idx], 0).sum(1, keepdims=True)
        cnt = present_iy[:, idx].sum(1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            bw = np.where(tot > EPS_WEIGHT, raw_w[:, idx] / tot, 1.0 / cnt)
        base_weight[:, idx] = np.where(present_iy[:, idx], bw, np.nan)

    # 6. capacity scores
    counts = nmask
    C = len(CAPACITIES)
    weight = np.full((Y, S, I), np.nan)
    capacity_score = np.full((Y, S, C), np.nan)
    for c in range(C):
        idx = panel.capacity_index == c
        bw = np.where(counts[:, :, idx], base_weight[:, None, idx], 0.0)
        tot = bw.sum(2, keepdims=True)
        ncount = counts[:, :, idx].sum(2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(counts[:, :, idx], np.where(tot > EPS_TERM, bw / tot, 1.0 / ncount), np.nan)
        weight[:, :, idx] = w
        nv = normalised[:, :, idx]
        if opt.aggregation == "arithmetic":
            s = np.where(counts[:, :, idx], w * nv, 0.0).sum(2)
        else:
            s = (np.exp(np.where(counts[:, :, idx], w * np.log(1.0 + 0.99 * np.where(counts[:, :, idx], nv, 0)), 0.0).sum(2)) - 1.0) / 0.99
        capacity_score[:, :, c] = np.where(ncount[:, :, 0] > 0, s, np.nan)

    # 7. composite
    cap_w = np.asarray(capacity_weights if capacity_weights is not None else
                       framework.capacities.set_index("capacity").loc[list(CAPACITIES), "weight"].to_numpy(), float)
    scored = ~np.isnan(capacity_score)
    wsum = np.where(scored, cap_w, 0.0).sum(2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        capacity_weight = np.where(scored, cap_w / wsum, np.nan)
    if opt.aggregation == "arithmetic":
        comp = np.where(scored, capacity_weight * np.nan_to_num(capacity_score), 0.0).sum(2)
    else:
        comp = (np.exp(np.where(scored, capacity_weight * np.log(1.0 + 0.99 * np.nan_to_num(capacity_score)), 0.0).sum(2)) - 1.0) / 0.99
    composite = np.where(scored.any(2), comp, np.nan)

    # 8. coverage gates (seeds/coverage_gates.csv), counted against the full framework: a street
    # without enough own data gets no composite, no capacity scores and no rank
    gates = framework.gates
    own_mask = has & included[:, None, :]  # (Y, S, I)
    own = own_mask.sum(2)
    data_coverage = own / I
    caps_own = np.zeros((Y, S), dtype=int)
    caps_covered = np.zeros(Y, dtype=int)
    for c in range(C):
        idx = panel.capacity_index == c
        caps_own += own_mask[:, :, idx].any(2)
        caps_covered += included[:, idx].any(1)
    enough = ((panel.n_documents >= gates["street_min_documents"]) & (data_coverage >= gates["street_min_indicator_share"])
              & (caps_own >= gates["street_min_capacities"]))
    composite = np.where(enough, composite, np.nan)
    capacity_score = np.where(enough[:, :, None], capacity_score, np.nan)
    capacity_weight = np.where(enough[:, :, None], capacity_weight, np.nan)
    scored = scored & enough[:, :, None]
    is_ranked = enough & ~np.isnan(composite)
    full_ranking = ((enough.sum(1) / S >= gates["year_min_ranked_share"]) & (included.sum(1) / I >= gates["year_min_indicator_share"])
                    & (caps_covered >= gates["year_min_capacities"]))
    rank_status = np.where(~is_ranked, "insufficient_data", np.where(full_ranking[:, None], "ranked", "provisional"))

    # 9. ranks, tiers, district ranks, rank change
    rank, is_tied, n_group = _competition_rank(composite, is_ranked)
    n_ranked = is_ranked.sum(1)
    tier_band = np.full((Y, S), np.nan)
    for band, pct in zip(framework.tiers["tier_band"][::-1], framework.tiers["upper_rank_pct"][::-1]):
        inside = is_ranked & ((rank - 1) * 100 < pct * n_ranked[:, None])
        tier_band = np.where(inside, band, tier_band)
    rank_in_district, _, _ = _competition_rank(composite, is_ranked, panel.district_index)
    rank_change = np.full((Y, S), np.nan)
    for k, y in enumerate(years):
        j = year_pos.get(int(y) - 1)
        if j is not None:
            rank_change[k] = rank[j] - rank[k]
    capacity_rank = np.full((Y, S, C), np.nan)
    for c in range(C):
        capacity_rank[:, :, c], _, _ = _competition_rank(capacity_score[:, :, c], is_ranked & scored[:, :, c])

    return ScoreResult(opt, opt.methodology_version(framework.version), coverage, included, prep.value, prep.imputation,
                       prep.from_year, prep.treated, normalised, base_weight, weight, capacity_score, capacity_weight, composite,
                       data_coverage, is_ranked, rank, is_tied, n_ranked, tier_band, rank_in_district, rank_change,
                       capacity_rank, enough, rank_status, np.where(full_ranking, "ranking", "provisional"))


def to_frames(panel: Panel, result: ScoreResult, framework: Framework) -> dict[str, pd.DataFrame]:
    """Long tables shaped like the marts: indicator_value, capacity_score, composite_score."""
    Y, S, I = panel.raw.shape
    yy, ss, ii = np.meshgrid(np.arange(Y), np.arange(S), np.arange(I), indexing="ij")
    caps = np.array(CAPACITIES)
    ind = pd.DataFrame({
        "street_code": panel.street_codes[ss.ravel()], "year": panel.years[yy.ravel()],
        "indicator_id": panel.indicator_ids[ii.ravel()], "capacity": caps[panel.capacity_index[ii.ravel()]],
        "raw_value": panel.raw.ravel(), "is_included": result.included[yy.ravel(), ii.ravel()],
        "is_imputed": result.imputation.ravel() > 0,
        "imputation_method": np.array(IMPUTATION_METHODS, dtype=object)[result.imputation.ravel()],
        "imputed_from_year": result.imputed_from_year.ravel(), "value_used": result.value.ravel(),
        "treated_value": result.treated.ravel(),
        "is_treated": ~np.isnan(result.treated.ravel()) & (result.treated.ravel() != result.value.ravel()),
        "normalised_value": result.normalised.ravel(), "base_weight": result.base_weight[yy.ravel(), ii.ravel()],
        "weight": result.weight.ravel(), "counts_in_score": ~np.isnan(result.weight.ravel()),
    })
    yy2, ss2, cc = np.meshgrid(np.arange(Y), np.arange(S), np.arange(len(CAPACITIES)), indexing="ij")
    cap = pd.DataFrame({
        "street_code": panel.street_codes[ss2.ravel()], "year": panel.years[yy2.ravel()], "capacity": caps[cc.ravel()],
        "score": result.capacity_score.ravel(), "rank": result.capacity_rank.ravel(),
        "capacity_weight": result.capacity_weight.ravel(),
    })
    yy3, ss3 = np.meshgrid(np.arange(Y), np.arange(S), indexing="ij")
    tiers = framework.tiers.set_index("tier_band")
    band = result.tier_band.ravel()
    comp = pd.DataFrame({
        "street_code": panel.street_codes[ss3.ravel()], "year": panel.years[yy3.ravel()],
        "district_name": panel.district_names[ss3.ravel()], "composite_score": result.composite.ravel(),
        "rank": result.rank.ravel(), "is_tied": result.is_tied.ravel(), "n_ranked": result.n_ranked[yy3.ravel()],
        "tier_band": band, "tier": [tiers.loc[int(b), "label_zh"] if b == b else None for b in band],
        "rank_in_district": result.rank_in_district.ravel(), "rank_change": result.rank_change.ravel(),
        "is_ranked": result.is_ranked.ravel(), "data_coverage": result.data_coverage.ravel(),
        "has_enough_data": result.has_enough_data.ravel(), "rank_status": result.rank_status.ravel(),
        "release_status": result.release_status[yy3.ravel()],
        "normalisation": result.options.normalisation, "weighting": result.options.weighting,
        "aggregation": result.options.aggregation, "methodology_version": result.methodology_version,
    })
    return {"indicator_value": ind, "capacity_score": cap, "composite_score": comp}


def compute_index(raw_values: pd.DataFrame, streets: pd.DataFrame, framework: Framework | None = None,
                  options: ScoringOptions | None = None, n_documents: pd.DataFrame | None = None,
                  years=None) -> dict[str, pd.DataFrame]:
    """One call from long raw values to mart-shaped tables."""
    framework = framework or Framework.load()
    panel = Panel.from_long(raw_values, streets, framework, n_documents, years)
    return to_frames(panel, score(panel, framework, options), framework)


def panel_from_warehouse(con, framework: Framework | None = None) -> Panel:
    """The panel of a built warehouse (for the audit): raw values from marts.fct_indicator_value."""
    framework = framework or Framework.load()
    raw = con.execute("select street_code, year, indicator_id, raw_value from marts.fct_indicator_value").df()
    streets = con.execute("select street_code, district_name from marts.dim_street").df()
    docs = con.execute("select street_code, year, n_counting_documents from marts.fct_composite_score").df()
    years = con.execute("select distinct year from marts.fct_composite_score").df()["year"].tolist()
    return Panel.from_long(raw, streets, framework, docs, years)
