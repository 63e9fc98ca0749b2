"""The statistical audit of a ranking: rank intervals, sensitivity and coherence (issue 12).

Domain code only (no Dagster, no dbt). It starts from the same inputs as the numpy reference
scorer (`index.prepare` once per normalisation, `index.aggregate` for the nominal ranking and for
the data-driven weighting schemes) and evaluates every Monte Carlo run at once on dense arrays
(runs × years × streets × indicators, in chunks of runs); there is no Python loop over streets
or over runs.

One run is a set of choices a reasonable analyst could make:
  * weights: the weighting scheme's indicator weights (expert / equal / entropy / critic) and the
    framework's capacity weights, each multiplied by an independent factor 1 + noise·(2u − 1);
  * normalisation (goalposts / minmax_year / zscore);
  * aggregation: arithmetic, geometric, or Copeland (non-compensatory: street A beats street B
    when the weighted majority of the indicators both report favours A; a street's score is its
    wins minus its losses);
  * imputation on or off (off: imputed cells are left out and each street's weights renormalise
    over its own data; the normalisation bounds stay those of the imputed data);
  * at most one indicator dropped.
The audit varies the method, not who is ranked: only streets ranked by the nominal method (the
coverage gates) are ranked in a run, and a street without a nominal rank gets no interval.

Scale (issue 14). The audited rank is the published one, `marts.fct_composite_score.rank`: the
rank among every unit the scope ranks (for the Shenzhen scope the 74 streets; for a wider scope
all its units, streets and towns together, as fct_composite_score ranks them). Memory is bounded
whatever the number of units: a chunk of runs holds at most `memory_budget_mib` of work arrays
(fewer runs a chunk as the units grow; the Shenzhen chunks of `chunk_runs` are unchanged), ranks
are computed by sorting (never a units × units comparison), and `Audit.run_summary` streams the
runs' ranks as small integers into a spill (memory, or temporary files past the budget) laid out
by blocks of units, then takes each block's quantiles over all runs — the same p05, median, p95
and mean as over the dense (runs × years × units) array of `Audit.run`, which it never builds.
Copeland compares every pair of units (units² × indicators a run): above `copeland_max_units`
ranked units in a year it is left out of the aggregations (`Audit.notes` and the summary's
`variations` say so).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from jinchengtuo.scoring.framework import CAPACITIES, Framework
from jinchengtuo.scoring.index import EPS_TERM, Panel, aggregate, prepare
from jinchengtuo.scoring.options import AGGREGATIONS, NORMALISATIONS, WEIGHTINGS, ScoringOptions

AUDIT_AGGREGATIONS = AGGREGATIONS + ("copeland",)
CATEGORICAL = ("weighting", "normalisation", "aggregation", "imputation", "dropped_indicator")


@dataclass(frozen=True)
class AuditConfig:
    """What the uncertainty analysis varies. Every value is checked: a choice that cannot be
    applied raises ValueError naming the option."""

    n_runs: int = 4000  # intervals of 2,000 vs 4,000 runs differ by ≤ 2 places (benchmarks/bench_audit.py)
    seed: int = 20240601
    weight_noise: float = 0.25  # weights × U(1 − noise, 1 + noise)
    weightings: tuple[str, ...] = WEIGHTINGS
    normalisations: tuple[str, ...] = NORMALISATIONS
    aggregations: tuple[str, ...] = AUDIT_AGGREGATIONS
    imputation: tuple[bool, ...] = (True, False)
    drop_indicators: bool = True
    sobol_base_samples: int = 256  # SALib N (a power of 2); runs = N × (factors + 2)
    chunk_runs: int = 250
    # the work arrays of one chunk of runs, and the ranks the summary holds in memory, stay below
    # this (runs a chunk shrink as the units grow; past it the ranks spill to temporary files)
    memory_budget_mib: float = 512
    # Copeland costs units² × indicators a run: above this many ranked units a year it is left out
    copeland_max_units: int = 2000

    def __post_init__(self) -> None:
        def bad(name, value, why):
            raise ValueError(f"audit option {name}={value!r} cannot be applied: {why}")

        for name, allowed in (("weightings", WEIGHTINGS), ("normalisations", NORMALISATIONS),
                              ("aggregations", AUDIT_AGGREGATIONS)):
            values = tuple(getattr(self, name))
            object.__setattr__(self, name, values)
            if not values:
                bad(name, values, "needs at least one value")
            for v in values:
                if v not in allowed:
                    bad(name, v, f"not one of {', '.join(allowed)}")
        imp = tuple(bool(v) for v in self.imputation)
        object.__setattr__(self, "imputation", imp)
        if not imp:
            bad("imputation", imp, "needs at least one value (True / False)")
        if not (isinstance(self.n_runs, (int, np.integer)) and self.n_runs >= 1):
            bad("n_runs", self.n_runs, "must be a positive integer")
        if not 0 <= self.weight_noise < 1:
            bad("weight_noise", self.weight_noise, "must lie in [0, 1) so that every weight stays positive")
        n = self.sobol_base_samples
        if not (isinstance(n, (int, np.integer)) and n >= 2 and (n & (n - 1)) == 0):
            bad("sobol_base_samples", n, "must be a power of 2 (Sobol' sequence)")
        if self.chunk_runs < 1:
            bad("chunk_runs", self.chunk_runs, "must be positive")
        if not self.memory_budget_mib > 0:
            bad("memory_budget_mib", self.memory_budget_mib, "must be positive")
        if self.copeland_max_units < 2:
            bad("copeland_max_units", self.copeland_max_units, "must be at least 2")

    @classmethod
    def fixed(cls, options: ScoringOptions, **kw) -> "AuditConfig":
        """No perturbation at all: every run is the nominal method."""
        return cls(weight_noise=0.0, weightings=(options.weighting,), normalisations=(options.normalisation,),
                   aggregations=(options.aggregation,), imputation=(True,), drop_indicators=False, **kw)


@dataclass
class Design:
    """Per-run choices (R runs): indices into the audit's lists."""

    weight_mult: np.ndarray  # (R, I)
    capacity_mult: np.ndarray  # (R, C)
    weighting: np.ndarray  # (R,) int
    normalisation: np.ndarray
    aggregation: np.ndarray
    imputation: np.ndarray
    dropped: np.ndarray  # (R,) int, -1 = none

    def take(self, sel) -> "Design":
        return Design(*(getattr(self, f)[sel] for f in ("weight_mult", "capacity_mult", "weighting", "normalisation",
                                                         "aggregation", "imputation", "dropped")))


def _competition_ranks(score: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """(..., S) → competition ranks on the scorer's 6-decimal tie key, NaN when not eligible: 1 +
    the number of eligible units with a strictly higher key, found by sorting each row (O(S log S);
    equal to the pairwise count of `_competition_ranks_pairwise`)."""
    ok = eligible & np.isfinite(score)
    key = np.where(ok, np.floor(np.where(ok, score, 0.0) * 1e6 + 0.5), -np.inf)
    shape = key.shape
    S = shape[-1]
    k2 = key.reshape(-1, S)
    order = np.argsort(-k2, axis=1, kind="stable")  # best first; not eligible (−inf) last
    ks = np.take_along_axis(k2, order, 1)
    new = np.ones(ks.shape, dtype=bool)
    new[:, 1:] = ks[:, 1:] != ks[:, :-1]
    first = np.maximum.accumulate(np.where(new, np.arange(S)[None, :], 0), axis=1)  # units with a higher key
    r = np.empty(k2.shape)
    np.put_along_axis(r, order, first + 1.0, 1)
    return np.where(ok, r.reshape(shape), np.nan)


def _competition_ranks_pairwise(score: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """The definition by pairwise comparison ((..., S, S) cells; for tests and small panels)."""
    ok = eligible & np.isfinite(score)
    key = np.where(ok, np.floor(np.where(ok, score, 0.0) * 1e6 + 0.5), -np.inf)
    better = (key[..., None, :] > key[..., :, None]) & ok[..., None, :]
    return np.where(ok, 1.0 + better.sum(-1), np.nan)


def _group_competition_ranks(score: np.ndarray, eligible: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """(..., S) → competition ranks within the groups `codes` (S,) (e.g. fct_peer_rank's peer
    groups: streets and towns apart, within a city), on the same tie key, NaN when not eligible."""
    ok = eligible & np.isfinite(score)
    key = np.where(ok, np.floor(np.where(ok, score, 0.0) * 1e6 + 0.5), -np.inf)
    shape = key.shape
    S = shape[-1]
    k2 = key.reshape(-1, S)
    _, g = np.unique(np.asarray(codes), return_inverse=True)
    g2 = np.broadcast_to(g.reshape(1, S), k2.shape)
    order = np.lexsort((-k2, g2), axis=-1)  # by group, best first; not eligible last in its group
    ks, gs = np.take_along_axis(k2, order, 1), np.take_along_axis(g2, order, 1)
    pos = np.arange(S)[None, :]
    new_group = np.ones(ks.shape, dtype=bool)
    new_group[:, 1:] = gs[:, 1:] != gs[:, :-1]
    new_key = new_group.copy()
    new_key[:, 1:] |= ks[:, 1:] != ks[:, :-1]
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0), axis=1)
    key_start = np.maximum.accumulate(np.where(new_key, pos, 0), axis=1)
    r = np.empty(k2.shape)
    np.put_along_axis(r, order, (key_start - group_start) + 1.0, 1)
    return np.where(ok, r.reshape(shape), np.nan)


class RankSpill:
    """The ranks of R runs over (Y, S), written chunk by chunk and read back by blocks of units.

    Ranks are stored as small integers (0 = not ranked): uint16 below 65,535 units, else uint32.
    Each block of `block` units has its own store — an array in memory, or, when all the runs'
    ranks exceed `budget_bytes`, a temporary file (a chunk's rows of the block appended) — so
    reading one block over every run is one contiguous read and memory holds one block."""

    def __init__(self, n_runs: int, Y: int, S: int, budget_bytes: int, spill_dir: str | None = None):
        self.R, self.Y, self.S = n_runs, Y, S
        self.dtype = np.dtype(np.uint16 if S < 65535 else np.uint32)
        # a block read back as float64 and sorted takes ~4 × R × Y × 8 bytes a unit
        self.block = int(max(1, min(S, budget_bytes // max(1, 4 * n_runs * Y * 8))))
        self.starts = list(range(0, S, self.block))
        self.on_disk = n_runs * Y * S * self.dtype.itemsize > budget_bytes
        self.order: list[np.ndarray] = []  # the run index of every stored row, in storage order
        self._n = 0
        if self.on_disk:
            self._dir = tempfile.TemporaryDirectory(prefix="jct-audit-ranks-", dir=spill_dir)
            self._files = [open(os.path.join(self._dir.name, f"block-{k}.bin"), "w+b") for k in range(len(self.starts))]
        else:
            self._dir = None
            self._mem = np.zeros((n_runs, Y, S), dtype=self.dtype)

    def write(self, runs: np.ndarray, ranks: np.ndarray) -> None:
        """Store the ranks (r, Y, S) of the runs `runs` (their indices into 0..R−1)."""
        runs = np.asarray(runs)
        small = np.where(np.isnan(ranks), 0, ranks).astype(self.dtype)
        if self.on_disk:
            for f, s0 in zip(self._files, self.starts):
                f.write(np.ascontiguousarray(small[:, :, s0:s0 + self.block]).tobytes())
        else:
            self._mem[self._n:self._n + len(runs)] = small
        self.order.append(runs)
        self._n += len(runs)

    def blocks(self):
        """Yield (s0, s1, run_index (R,), ranks (R, Y, s1 − s0) float with NaN = not ranked)."""
        order = np.concatenate(self.order) if self.order else np.zeros(0, dtype=int)
        for k, s0 in enumerate(self.starts):
            s1 = min(self.S, s0 + self.block)
            if self.on_disk:
                f = self._files[k]
                f.flush()
                f.seek(0)
                small = np.fromfile(f, dtype=self.dtype).reshape(self._n, self.Y, s1 - s0)
            else:
                small = self._mem[:self._n, :, s0:s1]
            yield s0, s1, order, np.where(small == 0, np.nan, small.astype(float))

    def close(self) -> None:
        if self._dir is not None:
            for f in self._files:
                f.close()
            self._dir.cleanup()
            self._dir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@dataclass
class RankSummary:
    """What the published tables need of the runs' ranks, per (year, unit): the quantiles of all
    runs and of the first half (the convergence check), the number of runs ranking the unit and
    the sum of its ranks (the mean). Equal to `_rank_quantiles` of the dense ranks."""

    n_runs: int
    full: dict  # p05, p95, median, n: (Y, S)
    half: dict
    rank_sum: np.ndarray  # (Y, S)
    on_disk: bool = False
    block_units: int = 0
    # per grouping asked for (run_summary(groups=…)): the same summary of the ranks within the groups
    groups: dict = field(default_factory=dict)
    nominal_groups: dict = field(default_factory=dict)  # name → (Y, S) nominal rank within its group


class Audit:
    """The uncertainty, sensitivity and coherence analysis of one panel under one nominal method."""

    def __init__(self, panel: Panel, framework: Framework, options: ScoringOptions | None = None,
                 config: AuditConfig | None = None):
        self.panel, self.framework = panel, framework
        self.options = options or ScoringOptions()
        self.config = config or AuditConfig()
        cfg, opt = self.config, self.options
        Y, S, I = panel.raw.shape
        if cfg.drop_indicators and I < 2:
            raise ValueError("audit option drop_indicators=True cannot be applied: the framework has fewer than 2 indicators")
        self.C = len(CAPACITIES)
        self.E = np.zeros((I, self.C))
        self.E[np.arange(I), panel.capacity_index] = 1.0
        self.cap_weight = framework.capacities.set_index("capacity").loc[list(CAPACITIES), "weight"].to_numpy(float)
        # the nominal ranking, from the reference scorer itself
        self.nominal_prep = prepare(panel, opt)
        self.nominal = aggregate(self.nominal_prep, framework)
        self.eligible = self.nominal.is_ranked & np.isfinite(self.nominal.composite)
        self.notes: list[str] = []
        n_max = int(self.eligible.sum(1).max()) if self.eligible.size else 0
        if "copeland" in cfg.aggregations and n_max > cfg.copeland_max_units:
            rest = tuple(a for a in cfg.aggregations if a != "copeland")
            if not rest:
                raise ValueError(f"audit option aggregations={cfg.aggregations!r} cannot be applied: Copeland compares every "
                                 f"pair of units and {n_max} are ranked in a year (copeland_max_units={cfg.copeland_max_units})")
            self.config = cfg = replace(cfg, aggregations=rest)
            self.notes.append(f"Copeland left out: {n_max} units ranked in a year > copeland_max_units {cfg.copeland_max_units} "
                              f"(it compares every pair of units)")
        # one prepared panel per normalisation; scheme weights per (normalisation, weighting)
        self.norm_values = []  # per normalisation: (Y, S, I) normalised, NaN = does not count
        self.scheme_w = np.zeros((len(cfg.normalisations), len(cfg.weightings), Y, I))
        for n, norm in enumerate(cfg.normalisations):
            prep = self.nominal_prep if norm == opt.normalisation else prepare(panel, opt.with_(normalisation=norm))
            self.norm_values.append(prep.normalised)
            for w, scheme in enumerate(cfg.weightings):
                p = replace(prep, options=prep.options.with_(weighting=scheme))
                self.scheme_w[n, w] = np.nan_to_num(aggregate(p, framework).base_weight)
        self.has = self.nominal_prep.has
        self.n_factors = I + self.C + len(CATEGORICAL)

    # ---- designs ----------------------------------------------------------------------------
    def design_from_unit(self, U: np.ndarray) -> Design:
        """Map points of the unit hypercube (R, I + C + 5) onto run choices."""
        cfg = self.config
        Y, S, I = self.panel.raw.shape
        C = self.C

        def pick(u, k):
            return np.minimum((u * k).astype(int), k - 1)

        a = 2.0 * U - 1.0
        k = I + C
        return Design(1.0 + cfg.weight_noise * a[:, :I], 1.0 + cfg.weight_noise * a[:, I:k],
                      pick(U[:, k], len(cfg.weightings)), pick(U[:, k + 1], len(cfg.normalisations)),
                      pick(U[:, k + 2], len(cfg.aggregations)), pick(U[:, k + 3], len(cfg.imputation)),
                      pick(U[:, k + 4], I + 1) - 1 if cfg.drop_indicators else np.full(len(U), -1))

    def nominal_design(self, n: int) -> Design:
        """n runs of the nominal method (indices of the nominal choices; options not in the audit
        lists are refused)."""
        cfg, opt = self.config, self.options
        Y, S, I = self.panel.raw.shape

        def index(name, values, v):
            if v not in values:
                raise ValueError(f"audit option {name}: the nominal {v!r} is not among {values}")
            return np.full(n, values.index(v))

        return Design(np.ones((n, I)), np.ones((n, self.C)), index("weightings", cfg.weightings, opt.weighting),
                      index("normalisations", cfg.normalisations, opt.normalisation),
                      index("aggregations", cfg.aggregations, opt.aggregation),
                      index("imputation", cfg.imputation, True), np.full(n, -1))

    # ---- the vectorised engine -------------------------------------------------------------
    @property
    def runs_per_chunk(self) -> int:
        """Runs evaluated at once: `chunk_runs`, fewer when their work arrays (~24 arrays of
        years × units × capacities a run) would pass `memory_budget_mib`."""
        Y, S, I = self.panel.raw.shape
        per_run = 24 * Y * S * self.C * 8
        return int(max(1, min(self.config.chunk_runs, int(self.config.memory_budget_mib * 2 ** 20) // per_run)))

    def chunks(self, design: Design, scores: bool = False):
        """Yield (run indices, ranks (r, Y, S)) chunk by chunk (runs grouped by normalisation and
        imputation, at most `runs_per_chunk` a chunk); with `scores`, (indices, ranks, composite)."""
        groups = design.normalisation * len(self.config.imputation) + design.imputation
        step = self.runs_per_chunk
        for g in np.unique(groups):
            runs = np.flatnonzero(groups == g)
            for start in range(0, len(runs), step):
                sel = runs[start:start + step]
                out = self._ranks_chunk(design.take(sel), scores=scores)
                yield (sel, *out) if scores else (sel, out)

    def ranks(self, design: Design, reduce=None) -> np.ndarray:
        """(R, Y, S) ranks of every run (NaN = not ranked); with `reduce` (a function of a chunk's
        ranks (r, Y, S) → (r, …)), the reduced values (R, …) instead, never holding all ranks."""
        R = len(design.weighting)
        Y, S, I = self.panel.raw.shape
        out = None if reduce is not None else np.full((R, Y, S), np.nan)
        for sel, ranks in self.chunks(design):
            if reduce is not None:
                value = np.asarray(reduce(ranks))
                if out is None:
                    out = np.full((R,) + value.shape[1:], np.nan)
                out[sel] = value
            else:
                out[sel] = ranks
        return out

    def _ranks_chunk(self, d: Design, scores: bool = False):
        cfg = self.config
        Y, S, I = self.panel.raw.shape
        C, E = self.C, self.E
        R = len(d.weighting)
        x = self.norm_values[d.normalisation[0]]
        mask = ~np.isnan(x)
        if not cfg.imputation[d.imputation[0]]:
            mask &= self.has
        x0 = np.where(mask, x, 0.0)
        m = mask.astype(float)
        keep = np.ones((R, I))
        dropped = d.dropped >= 0
        keep[np.flatnonzero(dropped), d.dropped[dropped]] = 0.0
        # per-run indicator weights (R, Y, I) and capacity weights (R, C)
        W = self.scheme_w[d.normalisation[0]][d.weighting] * d.weight_mult[:, None, :] * keep[:, None, :]
        CW = self.cap_weight[None, :] * d.capacity_mult
        agg = np.array(cfg.aggregations)[d.aggregation]
        comp = np.full((R, Y, S), np.nan)
        compensatory = np.flatnonzero(agg != "copeland")
        if len(compensatory):
            r = compensatory
            logx = np.where(mask, np.log1p(0.99 * x0), 0.0)
            WE = W[r][:, :, :, None] * E[None, None]  # (r, Y, I, C)
            KE = np.broadcast_to(keep[r][:, None, :, None] * E[None, None], WE.shape)
            data = np.concatenate([x0, logx, m], axis=1)  # (Y, 3S, I): one batched BLAS product per weighting
            nr = len(r)

            def weighted(w):  # (nr, Y, I, C) → 3 × (nr, Y, S, C)
                out = data @ w.transpose(1, 2, 0, 3).reshape(Y, I, nr * C)
                return out.reshape(Y, 3, S, nr, C).transpose(1, 3, 0, 2, 4)

            num, lnum, den = weighted(WE)
            enum, elog, cnt = weighted(np.ascontiguousarray(KE))
            with np.errstate(invalid="ignore", divide="ignore"):
                fallback = ~(den > EPS_TERM)  # the scorer's rule: equal weights when they sum to ~0
                arith = np.where(fallback, enum / cnt, num / den)
                geo = (np.exp(np.where(fallback, elog / cnt, lnum / den)) - 1.0) / 0.99
            is_geo = (agg[r] == "geometric")[:, None, None, None]
            cap = np.where(is_geo, geo, arith)
            scored = cnt > 0
            cw = np.where(scored, CW[r][:, None, None, :], 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                cwn = cw / cw.sum(-1, keepdims=True)
                a = (cwn * np.where(scored, cap, 0.0)).sum(-1)
                gsum = (cwn * np.where(scored, np.log1p(0.99 * np.where(scored, cap, 0.0)), 0.0)).sum(-1)
                g = (np.exp(gsum) - 1.0) / 0.99
            comp[r] = np.where(scored.any(-1), np.where(is_geo[..., 0], g, a), np.nan)
        cope = np.flatnonzero(agg == "copeland")
        if len(cope):
            comp[cope] = self._copeland(x0, mask, W[cope], CW[cope])
        ranks = _competition_ranks(comp, self.eligible[None])
        return (ranks, comp) if scores else ranks

    def _copeland(self, x0, mask, W, CW) -> np.ndarray:
        """Copeland scores (r, Y, S): pairwise weighted majority over the indicators both report."""
        Y, S, I = x0.shape
        E = self.E
        with np.errstate(invalid="ignore", divide="ignore"):
            capsum = np.einsum("ryi,ic->ryc", W, E)
            wi = W / np.maximum(capsum @ E.T, EPS_TERM) * (CW / CW.sum(1, keepdims=True) @ E.T)[:, None, :]
        R = len(W)
        out = np.zeros((R, Y, S))
        # only the year's n ranked units take part (a pair with an unranked unit counts 0): the
        # pairwise work is n², not units² (41,352 units of which none is ranked cost nothing).
        # Rows of the pairwise matrices at once: all n when they fit the budget (the one-shot
        # product), else blocks of rows (G: rows × n × I, net: R × rows × n, a few copies each)
        for y in range(Y):
            idx = np.flatnonzero(self.eligible[y])
            n = len(idx)
            if not n:
                continue
            xs, ms = x0[y][idx], mask[y][idx]
            per_row = n * I * 24 + R * n * 32
            rows = int(max(1, min(n, int(self.config.memory_budget_mib * 2 ** 20) // per_row)))
            for a0 in range(0, n, rows):
                a1 = min(n, a0 + rows)
                b = a1 - a0
                both = ms[a0:a1, None, :] & ms[None, :, :]
                G = np.where(both, np.sign(xs[a0:a1, None, :] - xs[None, :, :]), 0.0).reshape(b * n, I)
                net = (G @ wi[:, y, :].T).T.reshape(R, b, n)
                net = np.where(np.abs(net) < 1e-12, 0.0, net)
                out[:, y, idx[a0:a1]] = np.sign(net).sum(-1)
        return out

    # ---- uncertainty ------------------------------------------------------------------------
    def unit_sample(self, n: int) -> np.ndarray:
        return np.random.default_rng(self.config.seed).random((n, self.n_factors))

    def run(self, n: int | None = None) -> np.ndarray:
        """(n, Y, S) ranks of n seeded Monte Carlo runs (dense: for small panels and tests; the
        pipeline uses `run_summary`)."""
        return self.ranks(self.design_from_unit(self.unit_sample(n or self.config.n_runs)))

    def run_summary(self, n: int | None = None, spill_dir: str | None = None,
                    groups: dict[str, np.ndarray] | None = None) -> RankSummary:
        """The same n seeded runs as `run(n)`, summarised without the dense ranks: each chunk's
        ranks go into a `RankSpill` (memory up to `memory_budget_mib`, else temporary files under
        `spill_dir`), then every block of units gets its quantiles over all runs and over the
        first half. Memory: one chunk of runs plus one block of units, whatever the units.

        `groups`: name → (S,) group codes of the units (e.g. fct_peer_rank's peer groups, streets
        and towns apart within a city): the runs' composite scores are also ranked within each
        grouping, summarised the same way (`summary.groups[name]`, nominal ranks in
        `summary.nominal_groups[name]`)."""
        n = n or self.config.n_runs
        Y, S = self.panel.raw.shape[:2]
        half = max(1, n // 2)
        groups = dict(groups or {})
        for name, codes in groups.items():
            if len(codes) != S:
                raise ValueError(f"run_summary groups {name!r}: {len(codes)} codes for {S} units")
        design = self.design_from_unit(self.unit_sample(n))
        budget = int(self.config.memory_budget_mib * 2 ** 20)
        spills = {None: RankSpill(n, Y, S, budget, spill_dir), **{k: RankSpill(n, Y, S, budget, spill_dir) for k in groups}}
        try:
            for sel, ranks, comp in self.chunks(design, scores=True):
                spills[None].write(sel, ranks)
                for name, codes in groups.items():
                    spills[name].write(sel, _group_competition_ranks(comp, self.eligible[None], codes))
            summaries = {name: _summarise(spill, n, half) for name, spill in spills.items()}
        finally:
            for spill in spills.values():
                spill.close()
        out = summaries.pop(None)
        out.groups = summaries
        out.nominal_groups = {name: _group_competition_ranks(self.nominal.composite, self.eligible, codes)
                              for name, codes in groups.items()}
        return out

    def rank_uncertainty(self, ranks: np.ndarray | None = None) -> pd.DataFrame:
        """fct_rank_uncertainty: street_code, year, nominal_rank, median_rank, rank_p05, rank_p95,
        n_runs (NaN intervals for streets without a nominal rank)."""
        ranks = self.run_summary() if ranks is None else ranks
        q = ranks.full if isinstance(ranks, RankSummary) else _rank_quantiles(ranks)
        Y, S = q["n"].shape
        yy, ss = np.meshgrid(np.arange(Y), np.arange(S), indexing="ij")
        df = pd.DataFrame({
            "street_code": self.panel.street_codes[ss.ravel()], "year": self.panel.years[yy.ravel()],
            "nominal_rank": self.nominal.rank.ravel(), "median_rank": q["median"].ravel(),
            "rank_p05": q["p05"].ravel(), "rank_p95": q["p95"].ravel(), "n_runs": q["n"].ravel(),
            "methodology_version": self.nominal.methodology_version,
        })
        none = ~self.eligible.ravel()
        df.loc[none, ["median_rank", "rank_p05", "rank_p95"]] = np.nan
        df.loc[none, "n_runs"] = 0
        return df

    def convergence(self, n: int | None = None) -> dict:
        """Intervals at n runs vs 2n runs (the first n are shared, same seed): the largest change
        of p05 and p95 in rank places over all ranked street-years."""
        n = n or self.config.n_runs
        ranks = self.run(2 * n)
        a, b = _rank_quantiles(ranks[:n]), _rank_quantiles(ranks)
        el = self.eligible
        d05 = np.abs(a["p05"] - b["p05"])[el]
        d95 = np.abs(a["p95"] - b["p95"])[el]
        return {"n_runs": n, "max_change_p05": float(np.nanmax(d05, initial=0.0)),
                "max_change_p95": float(np.nanmax(d95, initial=0.0)),
                "mean_change_p05": float(np.nanmean(d05)) if d05.size else 0.0,
                "mean_change_p95": float(np.nanmean(d95)) if d95.size else 0.0}

    # ---- sensitivity ------------------------------------------------------------------------
    def _mean_abs_shift(self, ranks: np.ndarray) -> np.ndarray:
        """(R, Y): mean over ranked streets of |rank − nominal rank|."""
        diff = np.where(self.eligible[None], np.abs(ranks - self.nominal.rank[None]), np.nan)
        n = (~np.isnan(diff)).sum(2)
        return np.where(n > 0, np.nansum(diff, axis=2) / np.maximum(n, 1), 0.0)

    def factor_groups(self) -> list[tuple[str, list[int]]]:
        """The factors Sobol' analyses (only those the config varies): name → hypercube columns."""
        cfg = self.config
        Y, S, I = self.panel.raw.shape
        k = I + self.C
        groups = []
        if cfg.weight_noise > 0:
            groups.append(("weights", list(range(k))))
        for j, (name, n) in enumerate((("weighting", len(cfg.weightings)), ("normalisation", len(cfg.normalisations)),
                                       ("aggregation", len(cfg.aggregations)), ("imputation", len(cfg.imputation)),
                                       ("dropped_indicator", I + 1 if cfg.drop_indicators else 1))):
            if n > 1:
                groups.append((name, [k + j]))
        return groups

    def sensitivity(self) -> pd.DataFrame:
        """fct_sensitivity: Sobol' first/total-order indices of the mean absolute rank shift, per
        year, and the drop-one-indicator table."""
        groups = self.factor_groups()
        rows = []
        years = self.panel.years
        if groups:
            fixed = np.full(self.n_factors, 0.5)
            nom = self.nominal_design(1)
            cfg = self.config
            k = self.panel.raw.shape[2] + self.C
            fixed[k:k + 4] = [(nom.weighting[0] + .5) / len(cfg.weightings), (nom.normalisation[0] + .5) / len(cfg.normalisations),
                              (nom.aggregation[0] + .5) / len(cfg.aggregations), (nom.imputation[0] + .5) / len(cfg.imputation)]
            fixed[k + 4] = 0.5 / (self.panel.raw.shape[2] + 1)

            cols_all = np.array([c for _, cols in groups for c in cols])

            def model(X):
                U = np.tile(fixed, (len(X), 1))
                U[:, cols_all] = X
                return self.ranks(self.design_from_unit(U), reduce=self._mean_abs_shift)

            names = [n for n, cols in groups for _ in cols]
            indices = sobol_indices(model, names, self.config.sobol_base_samples, self.config.seed)
            for y, year in enumerate(years):
                for name, s in indices[y].items():
                    rows.append({"year": int(year), "analysis": "sobol", "factor": name, **s})
        drop = self.drop_one_indicator()
        return pd.concat([pd.DataFrame(rows), drop], ignore_index=True) if rows else drop

    def drop_one_indicator(self) -> pd.DataFrame:
        I = self.panel.raw.shape[2]
        d = self.nominal_design(I)
        d.dropped = np.arange(I)
        shift = self.ranks(d, reduce=self._mean_abs_shift)  # (I, Y)
        yy, ii = np.meshgrid(np.arange(len(self.panel.years)), np.arange(I), indexing="ij")
        return pd.DataFrame({"year": self.panel.years[yy.ravel()].astype(int), "analysis": "drop_one_indicator",
                             "factor": self.panel.indicator_ids[ii.ravel()],
                             "mean_abs_rank_change": shift.T[yy.ravel(), ii.ravel()]})

    # ---- coherence --------------------------------------------------------------------------
    def coherence(self) -> pd.DataFrame:
        return indicator_coherence(self.panel, self.nominal, self.framework)


def _summarise(spill: RankSpill, n: int, half: int) -> RankSummary:
    """Quantiles of all runs and of the first `half`, count and sum, block of units by block."""
    Y, S = spill.Y, spill.S
    full = {k: np.full((Y, S), np.nan) for k in ("p05", "p95", "median")}
    full["n"] = np.zeros((Y, S), dtype=int)
    halfq = {k: v.copy() for k, v in full.items()}
    total = np.zeros((Y, S))
    for s0, s1, order, block in spill.blocks():
        # rows in run order: the first half is the first `half` rows, as in ranks[:half]
        block = block[np.argsort(order, kind="stable")]
        for target, q in ((full, _rank_quantiles(block)), (halfq, _rank_quantiles(block[:half]))):
            for k in target:
                target[k][:, s0:s1] = q[k]
        total[:, s0:s1] = np.nansum(block, axis=0)
    return RankSummary(n, full, halfq, total, spill.on_disk, spill.block)


def sobol_indices(model, names: list[str], n_base: int, seed: int) -> list[dict]:
    """First- and total-order Sobol' indices with SALib (Saltelli design, Sobol' sequence, Jansen
    estimator). `model` maps (M, D) points of [0, 1]^D to (M,) or (M, K) outputs; `names` gives each
    column's group (columns sharing a name form one grouped factor). Returns one dict per output
    column: factor → {first_order, first_order_conf, total_order, total_order_conf}."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": len(names), "names": [f"x{j}" for j in range(len(names))],
               "bounds": [[0.0, 1.0]] * len(names), "groups": list(names)}
    if len(set(names)) == len(names):
        problem.pop("groups")
        problem["names"] = list(names)
    X = sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)
    out = np.asarray(model(X), float)
    if out.ndim == 1:
        out = out[:, None]
    unique = list(dict.fromkeys(names))
    result = []
    for k in range(out.shape[1]):
        yk = out[:, k]
        if not np.nanstd(yk) > 0:  # no variance at all: every index is zero
            result.append({n: {"first_order": 0.0, "first_order_conf": 0.0, "total_order": 0.0, "total_order_conf": 0.0}
                           for n in unique})
            continue
        si = sobol_analyze.analyze(problem, yk, calc_second_order=False, seed=seed)
        result.append({n: {"first_order": float(si["S1"][j]), "first_order_conf": float(si["S1_conf"][j]),
                           "total_order": float(si["ST"][j]), "total_order_conf": float(si["ST_conf"][j])}
                       for j, n in enumerate(unique)})
    return result


def _rank_quantiles(ranks: np.ndarray) -> dict:
    """Median and the 5th/95th percentiles (inverted CDF: ranks that occurred) along axis 0,
    ignoring NaN, without np.nanquantile's slow path."""
    s = np.sort(ranks, axis=0)  # NaN last
    n = (~np.isnan(ranks)).sum(0)
    R = ranks.shape[0]

    def at(i):
        return np.take_along_axis(s, np.clip(i, 0, R - 1)[None], 0)[0]

    p05 = at(np.ceil(0.05 * n).astype(int) - 1)
    p95 = at(np.ceil(0.95 * n).astype(int) - 1)
    med = (at((n - 1) // 2) + at(n // 2)) / 2.0
    empty = n == 0
    return {"p05": np.where(empty, np.nan, p05), "p95": np.where(empty, np.nan, p95),
            "median": np.where(empty, np.nan, med), "n": n}


def indicator_coherence(panel: Panel, result, framework: Framework) -> pd.DataFrame:
    """fct_indicator_coherence, long: one row per (year, measure, …).

    measure = correlation (pairwise Pearson of normalised values over streets that report both;
    flag high_correlation when |r| > 0.9, negative_within_capacity when r < 0 inside a capacity),
    cronbach_alpha (per capacity, streets with every indicator of the capacity), effective_weight
    (indicator: r² with its capacity score, normalised within the capacity, beside its nominal
    weight; capacity: r² with the composite, normalised, beside the capacity weight)."""
    x = result.normalised
    Y, S, I = x.shape
    caps = np.array(CAPACITIES)
    ids = panel.indicator_ids
    ci = panel.capacity_index
    rows = []
    cap_w = framework.capacities.set_index("capacity").loc[list(CAPACITIES), "weight"].to_numpy(float)
    for y, year in enumerate(panel.years):
        year = int(year)
        r, n = _pairwise_corr(x[y], x[y])
        for i in range(I):
            for j in range(i + 1, I):
                same = ci[i] == ci[j]
                v = r[i, j]
                flag = None
                if np.isfinite(v) and abs(v) > 0.9:
                    flag = "high_correlation"
                elif np.isfinite(v) and same and v < 0:
                    flag = "negative_within_capacity"
                rows.append({"year": year, "measure": "correlation", "capacity": caps[ci[i]], "indicator_id": ids[i],
                             "other_capacity": caps[ci[j]], "other_indicator_id": ids[j], "value": v,
                             "n_streets": int(n[i, j]), "flag": flag})
        cs = result.capacity_score[y]
        rc, nc = _pairwise_corr(x[y], cs)
        for c in range(len(CAPACITIES)):
            idx = np.flatnonzero(ci == c)
            sub = x[y][:, idx]
            complete = ~np.isnan(sub).any(1)
            alpha = np.nan
            k = len(idx)
            if k >= 2 and complete.sum() >= 3:
                z = sub[complete]
                tot = z.sum(1).var(ddof=1)
                if tot > 0:
                    alpha = k / (k - 1) * (1 - z.var(0, ddof=1).sum() / tot)
            rows.append({"year": year, "measure": "cronbach_alpha", "capacity": caps[c], "value": alpha,
                         "n_streets": int(complete.sum())})
            r2 = np.nan_to_num(rc[idx, c]) ** 2
            eff = r2 / r2.sum() if r2.sum() > 0 else np.full(k, np.nan)
            nominal = result.base_weight[y, idx]
            for j, i in enumerate(idx):
                rows.append({"year": year, "measure": "effective_weight", "capacity": caps[c], "indicator_id": ids[i],
                             "value": eff[j], "nominal_weight": nominal[j], "n_streets": int(nc[i, c])})
        rk, nk = _pairwise_corr(cs, result.composite[y][:, None])
        r2 = np.nan_to_num(rk[:, 0]) ** 2
        for c in range(len(CAPACITIES)):
            rows.append({"year": year, "measure": "effective_weight", "capacity": caps[c], "indicator_id": None,
                         "value": r2[c] / r2.sum() if r2.sum() > 0 else np.nan, "nominal_weight": cap_w[c],
                         "n_streets": int(nk[c, 0])})
    cols = ["year", "measure", "capacity", "indicator_id", "other_capacity", "other_indicator_id", "value",
            "nominal_weight", "n_streets", "flag"]
    return pd.DataFrame(rows).reindex(columns=cols)


def _pairwise_corr(a: np.ndarray, b: np.ndarray):
    """Pearson r between the columns of a (S, P) and b (S, Q) over rows where both are present."""
    ma, mb = ~np.isnan(a), ~np.isnan(b)
    A, B = np.where(ma, a, 0.0), np.where(mb, b, 0.0)
    fa, fb = ma.astype(float), mb.astype(float)
    n = fa.T @ fb
    sa, sb = A.T @ fb, fa.T @ B
    saa, sbb = (A ** 2).T @ fb, fa.T @ (B ** 2)
    sab = A.T @ B
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sab - sa * sb / n
        va, vb = saa - sa ** 2 / n, sbb - sb ** 2 / n
        r = cov / np.sqrt(va * vb)
    ok = (n >= 3) & (va > 1e-9 * np.maximum(n, 1)) & (vb > 1e-9 * np.maximum(n, 1))
    return np.where(ok, np.clip(r, -1, 1), np.nan), n


def significant_rank_changes(uncertainty: pd.DataFrame) -> pd.DataFrame:
    """street_code, year, rank_change (previous nominal rank − this one), rank_change_significant:
    True only when this year's and the previous year's 90% intervals do not overlap; missing when
    either year has no interval."""
    u = uncertainty.sort_values(["street_code", "year"])
    prev = u.assign(year=u["year"] + 1)[["street_code", "year", "nominal_rank", "rank_p05", "rank_p95"]]
    m = u.merge(prev, on=["street_code", "year"], how="left", suffixes=("", "_prev"))
    has = m[["rank_p05", "rank_p95", "rank_p05_prev", "rank_p95_prev"]].notna().all(axis=1)
    apart = (m["rank_p95"] < m["rank_p05_prev"]) | (m["rank_p95_prev"] < m["rank_p05"])
    return pd.DataFrame({"street_code": m["street_code"], "year": m["year"],
                         "rank_change": m["nominal_rank_prev"] - m["nominal_rank"],
                         "rank_change_significant": apart.where(has, pd.NA).astype("boolean")})


def meaningful_difference(uncertainty: pd.DataFrame, year: int, block_pairs: int = 4_000_000) -> dict:
    """How large a rank difference must be to mean anything, from one year's intervals.

    Over all pairs of streets with intervals, `gap` is the smallest difference d of nominal rank
    such that for d and every larger difference at least half the pairs have non-overlapping
    intervals. Returns the figures and one plain sentence (Chinese, then English). The pairs are
    counted by blocks of about `block_pairs` (memory bounded; 41,352 units are 855 M pairs)."""
    u = uncertainty[(uncertainty["year"] == year) & uncertainty["rank_p05"].notna()]
    n_runs = int(u["n_runs"].max()) if len(u) else 0
    if len(u) < 2:
        return {"year": year, "n_streets": len(u), "median_width": None, "gap": None,
                "sentence": f"{year}年排名区间不足，无法判断名次差距的意义。 Too few ranked streets in {year} to say "
                            f"how large a rank difference must be."}
    lo, hi, rank = (u[c].to_numpy(float) for c in ("rank_p05", "rank_p95", "nominal_rank"))
    width = float(np.median(hi - lo))
    # per rank difference d: the pairs and the pairs whose intervals do not overlap, counted over
    # blocks of rows (every pair once, ~4 M pairs a block: bounded memory for 41,352 units)
    n = len(u)
    n_max = int(np.abs(rank.max() - rank.min())) + 1
    irank = rank.astype(np.int64)
    pairs, apart_pairs = np.zeros(n_max), np.zeros(n_max)
    step = max(1, block_pairs // n)
    for a0 in range(0, n - 1, step):
        a1 = min(n - 1, a0 + step)
        i = np.arange(a0, a1)[:, None]
        j = np.arange(a0 + 1, n)[None, :]
        upper = j > i
        diff = np.abs(irank[i] - irank[j])[upper]
        apart = ((hi[i] < lo[j]) | (hi[j] < lo[i]))[upper]
        pairs += np.bincount(diff, minlength=n_max)
        apart_pairs += np.bincount(diff, weights=apart, minlength=n_max)
    d_max = int(np.flatnonzero(pairs)[-1]) if pairs.any() else 0
    ds = np.arange(1, d_max + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pairs[ds] > 0, apart_pairs[ds] / pairs[ds], np.nan)
    good = np.where(np.isnan(share), True, share >= 0.5)
    tail_ok = np.flip(np.cumprod(np.flip(good))).astype(bool)
    gap = int(ds[np.argmax(tail_ok)]) if tail_ok.any() and not np.isnan(share[tail_ok]).all() else None
    if gap is None:
        zh = f"{year}年：在所检验的方法选择下，各街道的90%排名区间普遍重叠，名次差距不能说明孰优孰劣。"
        en = (f"In {year}, under the method choices tested ({n_runs} runs), the streets' 90% rank intervals overlap so much "
              f"that no rank difference says which street did better.")
    else:
        zh = (f"{year}年：半数街道的90%排名区间不超过{width:g}位；两条街道名次相差{gap}位及以上时，区间才通常不重叠，"
              f"更小的差距不能说明孰优孰劣。")
        en = (f"In {year}, half of the streets' 90% rank intervals span {width:g} places or fewer; two streets' ranks must "
              f"differ by {gap} or more places before their intervals usually stop overlapping — a smaller gap does not "
              f"show which street did better (under the method choices tested, {n_runs} runs).")
    return {"year": year, "n_streets": len(u), "median_width": width, "gap": gap, "sentence": zh + " " + en}


# ---- what the pipeline publishes (defs/audit.py writes these frames as marts) ------------------

def options_from_methodology_version(version: str, framework_version: str) -> ScoringOptions:
    """The scoring options a marts' methodology_version names: the framework version plus
    '+var=value,…' for every option that differs from its default (ScoringOptions.variant_suffix).
    An unknown framework version or option name, or a value that does not parse, raises naming it."""
    from dataclasses import fields

    from jinchengtuo.scoring.options import DBT_VAR_NAMES

    version = str(version)
    if not version.startswith(framework_version):
        raise ValueError(f"methodology_version {version!r} is not of the framework version {framework_version!r}")
    suffix = version[len(framework_version):]
    default = ScoringOptions()
    if not suffix:
        return default
    if not suffix.startswith("+"):
        raise ValueError(f"methodology_version {version!r}: expected '+option=value,…' after {framework_version!r}")
    by_var = {v: k for k, v in DBT_VAR_NAMES.items()}
    types = {f.name: f for f in fields(ScoringOptions)}
    changes = {}
    # values never contain ',' (tuples are written with '|'), so the suffix splits on ','
    for part in suffix[1:].split(","):
        var, sep, text = part.partition("=")
        if not sep or var not in by_var or by_var[var] not in types:
            raise ValueError(f"methodology_version {version!r}: option {var!r} is not a scoring option")
        name = by_var[var]
        current = getattr(default, name)
        try:
            if isinstance(current, tuple):
                value = tuple(type(current[0])(float(v)) if current else float(v) for v in text.split("|"))
            elif isinstance(current, bool):
                value = text.lower() in ("true", "1", "on", "yes")
            elif isinstance(current, int):
                value = int(float(text))
            elif isinstance(current, float):
                value = float(text)
            else:
                value = text
        except ValueError as exc:
            raise ValueError(f"methodology_version {version!r}: option {var}={text!r} does not parse: {exc}") from exc
        changes[name] = value
    options = default.with_(**changes)
    if options.methodology_version(framework_version) != version:
        raise ValueError(f"methodology_version {version!r} does not round-trip (read back as "
                         f"{options.methodology_version(framework_version)!r})")
    return options


def rank_quantiles_by_year(ranks: np.ndarray) -> dict:
    return _rank_quantiles(ranks)


def convergence_by_year(audit: "Audit", ranks: "np.ndarray | RankSummary") -> pd.DataFrame:
    """The intervals of the first half of the runs against all of them (the same seeded stream):
    per year the largest and the mean change of p05 and p95, in rank places, over ranked streets."""
    if isinstance(ranks, RankSummary):
        half = max(1, ranks.n_runs // 2)
        a, b = ranks.half, ranks.full
    else:
        half = max(1, ranks.shape[0] // 2)
        a, b = _rank_quantiles(ranks[:half]), _rank_quantiles(ranks)
    rows = []
    for y, year in enumerate(audit.panel.years):
        el = audit.eligible[y]
        d05 = np.abs(a["p05"][y] - b["p05"][y])[el]
        d95 = np.abs(a["p95"][y] - b["p95"][y])[el]
        rows.append({"year": int(year), "convergence_runs_half": half,
                     "convergence_max_change_p05": float(d05.max()) if d05.size else 0.0,
                     "convergence_max_change_p95": float(d95.max()) if d95.size else 0.0,
                     "convergence_mean_change_p05": float(d05.mean()) if d05.size else 0.0,
                     "convergence_mean_change_p95": float(d95.mean()) if d95.size else 0.0})
    return pd.DataFrame(rows)


def uncertainty_table(audit: "Audit", ranks: "np.ndarray | RankSummary") -> pd.DataFrame:
    """marts.fct_rank_uncertainty: one row per ranked street-year (an unranked street has no row):
    nominal, median, 5th/95th percentile and mean rank over the runs, and whether the change since
    the previous year is significant (the two 90% intervals do not overlap)."""
    u = audit.rank_uncertainty(ranks)
    if isinstance(ranks, RankSummary):
        n, total = ranks.full["n"], ranks.rank_sum
    else:
        n, total = (~np.isnan(ranks)).sum(0), np.nansum(ranks, axis=0)
    mean = np.where(audit.eligible & (n > 0), total / np.maximum(n, 1), np.nan)
    u["rank_mean"] = mean.ravel()
    u["n_ranked"] = np.repeat(audit.nominal.n_ranked, len(audit.panel.street_codes)).astype("int64")
    sig = significant_rank_changes(u)
    u = u.merge(sig[["street_code", "year", "rank_change_significant"]], on=["street_code", "year"], how="left")
    u = u[u["nominal_rank"].notna()].copy()
    for c in ("nominal_rank", "rank_p05", "rank_p95"):
        u[c] = u[c].round().astype("int64")
    u["median_rank"] = u["median_rank"].astype("float64")
    u["rank_mean"] = u["rank_mean"].astype("float64").round(4)
    u["year"] = u["year"].astype("int64")
    u["n_runs"] = u["n_runs"].astype("int64")
    u["seed"] = np.int64(audit.config.seed)
    u["rank_change_significant"] = u["rank_change_significant"].astype("boolean")
    cols = ["year", "street_code", "nominal_rank", "median_rank", "rank_p05", "rank_p95", "rank_mean", "n_ranked",
            "rank_change_significant", "n_runs", "seed", "methodology_version"]
    return u[cols].sort_values(["year", "nominal_rank", "street_code"]).reset_index(drop=True)


def group_uncertainty_table(audit: "Audit", summary: RankSummary, name: str, codes) -> pd.DataFrame:
    """The intervals of the ranks within a grouping (`run_summary(groups={name: codes})`): one row
    per ranked unit-year — its group, nominal rank in the group (for fct_peer_rank's groups: its
    published peer rank), median, 5th/95th percentile and mean over the runs, ranked units in the
    group."""
    s, nominal = summary.groups[name], summary.nominal_groups[name]
    Y, S = nominal.shape
    yy, ss = np.meshgrid(np.arange(Y), np.arange(S), indexing="ij")
    codes = np.asarray(codes)
    el = audit.eligible
    n_in = np.zeros((Y, S), dtype=int)
    for y in range(Y):
        _, inv, counts = np.unique(np.where(el[y], codes, None).astype(str), return_inverse=True, return_counts=True)
        n_in[y] = np.where(el[y], counts[inv.reshape(S)], 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(el & (s.full["n"] > 0), s.rank_sum / np.maximum(s.full["n"], 1), np.nan)
    df = pd.DataFrame({"year": audit.panel.years[yy.ravel()].astype("int64"), "street_code": audit.panel.street_codes[ss.ravel()],
                       "grouping": name, "group_code": codes[ss.ravel()], "nominal_rank": nominal.ravel(),
                       "median_rank": s.full["median"].ravel(), "rank_p05": s.full["p05"].ravel(),
                       "rank_p95": s.full["p95"].ravel(), "rank_mean": mean.ravel().round(4),
                       "n_in_group": n_in.ravel(), "n_runs": s.full["n"].ravel()})
    df = df[el.ravel()].copy()
    for c in ("nominal_rank", "rank_p05", "rank_p95"):
        df[c] = df[c].round().astype("int64")
    return df.sort_values(["year", "group_code", "nominal_rank", "street_code"]).reset_index(drop=True)


def coherence_tables(coherence: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The long coherence frame (indicator_coherence) as three marts:

    indicator_coherence: year × indicator: capacity, nominal and effective weight, the largest |r|
        with any other indicator, the number of |r| > 0.9 partners and of negative partners inside
        its capacity, and the flags ('high_correlation', 'negative_within_capacity', '; '-joined);
    capacity_coherence: year × capacity: Cronbach's alpha (streets with every indicator of the
        capacity) and the capacity's effective vs nominal weight in the composite;
    indicator_correlation: year × pair of indicators (each unordered pair once): r, streets, flag."""
    c = coherence
    corr = c[c["measure"] == "correlation"].copy()
    corr = corr.rename(columns={"value": "r"})
    corr["same_capacity"] = corr["capacity"] == corr["other_capacity"]
    corr = corr[["year", "indicator_id", "capacity", "other_indicator_id", "other_capacity", "same_capacity", "r",
                 "n_streets", "flag"]].reset_index(drop=True)
    both = pd.concat([corr, corr.rename(columns={"indicator_id": "other_indicator_id", "other_indicator_id": "indicator_id",
                                                 "capacity": "other_capacity", "other_capacity": "capacity"})],
                     ignore_index=True)
    both["abs_r"] = both["r"].abs()
    agg = both.groupby(["year", "indicator_id"]).agg(
        max_abs_correlation=("abs_r", "max"),
        n_high_correlation=("flag", lambda f: int((f == "high_correlation").sum())),
        n_negative_within_capacity=("flag", lambda f: int((f == "negative_within_capacity").sum())),
    ).reset_index()
    eff = c[(c["measure"] == "effective_weight") & c["indicator_id"].notna()]
    ind = eff.rename(columns={"value": "effective_weight"})[["year", "indicator_id", "capacity", "nominal_weight",
                                                              "effective_weight", "n_streets"]]
    ind = ind.merge(agg, on=["year", "indicator_id"], how="left")
    for k in ("n_high_correlation", "n_negative_within_capacity"):
        ind[k] = ind[k].fillna(0).astype("int64")

    def flags(r):
        f = [name for name, k in (("high_correlation", "n_high_correlation"),
                                  ("negative_within_capacity", "n_negative_within_capacity")) if r[k] > 0]
        return "; ".join(f) if f else None

    ind["flags"] = ind.apply(flags, axis=1) if len(ind) else pd.Series(dtype=object)
    alpha = c[c["measure"] == "cronbach_alpha"].rename(columns={"value": "cronbach_alpha", "n_streets": "alpha_n_streets"})
    capw = c[(c["measure"] == "effective_weight") & c["indicator_id"].isna()].rename(
        columns={"value": "effective_weight", "n_streets": "n_streets"})
    cap = alpha[["year", "capacity", "cronbach_alpha", "alpha_n_streets"]].merge(
        capw[["year", "capacity", "nominal_weight", "effective_weight", "n_streets"]], on=["year", "capacity"], how="outer")
    n_ind = ind.groupby(["year", "capacity"]).size().rename("n_indicators").reset_index()
    cap = cap.merge(n_ind, on=["year", "capacity"], how="left")
    for df in (ind, cap, corr):
        df["year"] = df["year"].astype("int64")
        df["n_streets"] = df["n_streets"].astype("int64")
    cap["alpha_n_streets"] = cap["alpha_n_streets"].astype("int64")
    cap["n_indicators"] = cap["n_indicators"].fillna(0).astype("int64")
    for df, cols in ((ind, ["nominal_weight", "effective_weight", "max_abs_correlation"]),
                     (cap, ["cronbach_alpha", "nominal_weight", "effective_weight"]), (corr, ["r"])):
        for col in cols:
            df[col] = df[col].astype("float64")
    return {"indicator_coherence": ind.sort_values(["year", "capacity", "indicator_id"]).reset_index(drop=True),
            "capacity_coherence": cap.sort_values(["year", "capacity"]).reset_index(drop=True),
            "indicator_correlation": corr.sort_values(["year", "indicator_id", "other_indicator_id"]).reset_index(drop=True)}


def sensitivity_table(audit: "Audit") -> pd.DataFrame:
    """marts.fct_sensitivity: Sobol' rows (first/total order with SALib's 95% confidence half-widths)
    and drop-one-indicator rows (mean absolute rank change when the indicator is left out)."""
    s = audit.sensitivity()
    cols = ["year", "analysis", "factor", "first_order", "first_order_conf", "total_order", "total_order_conf",
            "mean_abs_rank_change"]
    s = s.reindex(columns=cols)
    s["year"] = s["year"].astype("int64")
    for c in cols[3:]:
        s[c] = s[c].astype("float64")
    cfg = audit.config
    s["n_runs"] = np.where(s["analysis"] == "sobol", cfg.sobol_base_samples * (len(audit.factor_groups()) + 2), 1).astype("int64")
    s["seed"] = np.int64(cfg.seed)
    s["methodology_version"] = audit.nominal.methodology_version
    return s.sort_values(["year", "analysis", "factor"]).reset_index(drop=True)


def describe_variations(config: AuditConfig) -> str:
    """What the Monte Carlo varies, in one line (recorded with every audited year)."""
    parts = [f"weights ×U({1 - config.weight_noise:g}, {1 + config.weight_noise:g})",
             "weighting " + "|".join(config.weightings), "normalisation " + "|".join(config.normalisations),
             "aggregation " + "|".join(config.aggregations),
             "imputation " + "|".join("on" if v else "off" for v in config.imputation)]
    if config.drop_indicators:
        parts.append("drop one indicator or none")
    return "; ".join(parts)
