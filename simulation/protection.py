"""Financial protection of a run's households: catastrophic and impoverishing out-of-pocket spending
as WHO and the World Bank report it (SDG 3.8.2, person-weighted), the capacity-to-pay measure of
WHO Europe, the poverty gap against the 低保 line, the overshoot, and ADePT's tables (the headcount
over thresholds, by income quintile, the concentration index over income).

The household tests are the scalar rules of `simulation.rules.protection`; `_household_loop` runs
them over the households of a run and sums, per group, the additive parts of every figure: weighted
persons, never ratios, so a partitioned run adds the parts of its partitions (`result.add_parts`)
and `protection_figures` divides once, after summing (docs/CONTRACT-distributed.md).

Weights: a household counts with its members' summed weights (persons), as SDG 3.8.2 counts the
population living in households with catastrophic spending; `catastrophic_rate` and
`catastrophic_rate_25` of the summary keep counting households.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from .rules.protection import (
    capacity_to_pay,
    catastrophic_capacity,
    catastrophic_share,
    impoverishment,
    overshoot,
)

BUDGET_THRESHOLDS = (0.10, 0.25)  # SDG 3.8.2
CAPACITY_THRESHOLD = 0.40  # WHO Europe, capacity to pay
CURVE_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 11))  # 5%, 10%, ..., 50%
QUINTILES = 5

# the additive parts of the figures (weighted persons, or weighted persons x yuan)
PARTS = (
    "protection_persons",
    "catastrophic_persons_10",
    "catastrophic_persons_25",
    "catastrophic_persons_ctp40",
    "impoverished_persons",
    "further_impoverished_persons",
    "poverty_gap_before_sum",
    "poverty_gap_after_sum",
    "overshoot_10_sum",
)
# the summary figures made of them (registered in simulation.registry)
FIGURES = (
    "catastrophic_rate_10_persons",
    "catastrophic_rate_25_persons",
    "catastrophic_rate_ctp40",
    "impoverished_rate",
    "further_impoverished_rate",
    "poverty_gap_before_oop",
    "poverty_gap_after_oop",
    "mean_positive_overshoot_10",
)


@njit(cache=True, nogil=True, inline="always")
def _household_parts(inc, paid, m, w, dibao_monthly, t10, t25, t_ctp):
    """One household's weighted `PARTS` (w: its weighted member count)."""
    capacity = capacity_to_pay(inc, m, dibao_monthly)
    impoverished, further, gap_before, gap_after = impoverishment(inc, paid, m, dibao_monthly)
    return (
        w,
        w * (1.0 if catastrophic_share(paid, inc, t10) else 0.0),
        w * (1.0 if catastrophic_share(paid, inc, t25) else 0.0),
        w * (1.0 if catastrophic_capacity(paid, capacity, t_ctp) else 0.0),
        w * (1.0 if impoverished else 0.0),
        w * (1.0 if further else 0.0),
        w * gap_before,
        w * gap_after,
        w * overshoot(paid, inc, t10),
    )


@njit(cache=True, nogil=True)
def _household_loop(group, n_groups, size, income, oop, persons, dibao_monthly, t10, t25, t_ctp):
    """Per group, the weighted sums of `PARTS` over households, in household order."""
    out = np.zeros((n_groups, 9))
    for h in range(len(size)):
        g = group[h]
        x = _household_parts(income[h], oop[h], size[h], persons[h], dibao_monthly, t10, t25, t_ctp)
        for k in range(9):
            out[g, k] += x[k]
    return out


@njit(cache=True, nogil=True)
def _household_totals(size, income, oop, persons, dibao_monthly, t10, t25, t_ctp):
    """The sums of `PARTS` over all households, in household order: `_household_loop` with one
    group, its sums held in registers (the same additions in the same order)."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = s8 = 0.0
    for h in range(len(size)):
        x = _household_parts(income[h], oop[h], size[h], persons[h], dibao_monthly, t10, t25, t_ctp)
        s0 += x[0]
        s1 += x[1]
        s2 += x[2]
        s3 += x[3]
        s4 += x[4]
        s5 += x[5]
        s6 += x[6]
        s7 += x[7]
        s8 += x[8]
    return np.array([s0, s1, s2, s3, s4, s5, s6, s7, s8])


@njit(cache=True, nogil=True)
def _headcounts(size, income, oop, persons, rank, dibao_monthly, thresholds, out):
    """Per threshold k: weighted persons (col 0) and households (col 1) catastrophic at the budget
    share `thresholds[k]`, weighted persons catastrophic on capacity to pay (col 2), and Σ w (r − ½)
    over the persons catastrophic at the budget share (col 3), r the household's income rank: the
    concentration index's covariance term, summed here so that no household-by-threshold flag
    table is made on every redraw."""
    for h in range(len(size)):
        w = persons[h]
        wh = w / max(size[h], 1)
        centred = w * (rank[h] - 0.5)
        capacity = capacity_to_pay(income[h], size[h], dibao_monthly)
        for k in range(len(thresholds)):
            if catastrophic_share(oop[h], income[h], thresholds[k]):
                out[k, 0] += w
                out[k, 1] += wh
                out[k, 3] += centred
            if catastrophic_capacity(oop[h], capacity, thresholds[k]):
                out[k, 2] += w


def _concentration_from_sums(flagged, flagged_centred, rank, w) -> np.ndarray:
    """`concentration_index` of k flags from their sums: Σ w h and Σ w h (r − ½) per flag, by
    cov_w(h, r) = Σ w h (r − ½) / W − mean_w(h) Σ w (r − ½) / W; NaN where nobody is flagged."""
    total = w.sum()
    if total <= 0:
        return np.full(len(flagged), np.nan)
    mu = flagged / total
    cov = flagged_centred / total - mu * (np.dot(w, rank - 0.5) / total)
    ok = mu > 0
    return np.where(ok, 2.0 * cov / np.where(ok, mu, 1.0), np.nan)


def _arrays(size, income, oop, persons):
    return (
        np.ascontiguousarray(size, dtype=np.int64),
        np.ascontiguousarray(income, dtype=np.float64),
        np.ascontiguousarray(oop, dtype=np.float64),
        np.ascontiguousarray(persons, dtype=np.float64),
    )


def group_parts(
    size, income, oop, persons, dibao_monthly: float, group=None, n_groups: int = 1
) -> np.ndarray:
    """(n_groups, len(PARTS)) weighted sums over households. `persons` is each household's weighted
    member count (the sum of its members' weights); `group` its group (default: one group)."""
    size, income, oop, persons = _arrays(size, income, oop, persons)
    if group is None:
        group = np.zeros(len(size), dtype=np.int64)
    t10, t25 = BUDGET_THRESHOLDS
    return _household_loop(
        np.ascontiguousarray(group, dtype=np.int64), int(n_groups), size, income, oop, persons,
        float(dibao_monthly), t10, t25, CAPACITY_THRESHOLD,
    )  # fmt: skip


def protection_parts(size, income, oop, persons, dibao_monthly: float) -> dict[str, float]:
    """The additive parts of the summary's protection figures over all households."""
    size, income, oop, persons = _arrays(size, income, oop, persons)
    t10, t25 = BUDGET_THRESHOLDS
    totals = _household_totals(size, income, oop, persons, float(dibao_monthly), t10, t25, CAPACITY_THRESHOLD)
    return dict(zip(PARTS, totals.tolist()))


def protection_figures(parts) -> dict[str, float]:
    """The figures from (summed) parts: shares of persons, yuan per person, the mean overshoot among
    persons in catastrophic households (10%)."""
    t = parts
    n = t["protection_persons"]

    def share(x: float, of: float) -> float:
        return x / of if of > 0 else 0.0

    return {
        "catastrophic_rate_10_persons": share(t["catastrophic_persons_10"], n),
        "catastrophic_rate_25_persons": share(t["catastrophic_persons_25"], n),
        "catastrophic_rate_ctp40": share(t["catastrophic_persons_ctp40"], n),
        "impoverished_rate": share(t["impoverished_persons"], n),
        "further_impoverished_rate": share(t["further_impoverished_persons"], n),
        "poverty_gap_before_oop": share(t["poverty_gap_before_sum"], n),
        "poverty_gap_after_oop": share(t["poverty_gap_after_sum"], n),
        "mean_positive_overshoot_10": share(t["overshoot_10_sum"], t["catastrophic_persons_10"]),
    }


# ---------------------------------------------------------------------------- ADePT's tables


def fractional_rank(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each unit's weighted fractional rank in (0, 1) by `x`: the weight below it plus half its own
    (tied values share the rank of their group), over the total weight."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    total = ws.sum()
    if total <= 0:
        return np.full(len(x), 0.5)
    _, start, inverse = np.unique(xs, return_index=True, return_inverse=True)
    group_w = np.bincount(inverse, weights=ws)
    below = np.concatenate(([0.0], np.cumsum(group_w)[:-1]))
    r = np.empty(len(x))
    r[order] = (below + group_w / 2.0)[inverse] / total
    return r


def concentration_index(h: np.ndarray, rank: np.ndarray, w: np.ndarray) -> float:
    """Concentration index of `h` over the ranking (O'Donnell et al. 2008, ch. 8, the 'convenient
    covariance' form): 2 cov_w(h, r) / mean_w(h). Negative: `h` is concentrated among the poor; 0
    when nobody (or everybody) has it, where the index is undefined (NaN)."""
    total = w.sum()
    if total <= 0:
        return float("nan")
    mu = float(np.dot(w, h) / total)
    if mu <= 0:
        return float("nan")
    cov = float(np.dot(w, (h - mu) * (rank - 0.5)) / total)
    return 2.0 * cov / mu


def concentration_indices(flags: np.ndarray, rank: np.ndarray, w: np.ndarray) -> np.ndarray:
    """`concentration_index` of every column of `flags` (units x k) at once, from the two sums
    per column that `protection`'s loop gathers as it goes."""
    f = np.asarray(flags, dtype=np.float64)
    if f.ndim != 2:
        return np.full(0, np.nan)
    return _concentration_from_sums(w @ f, (w * (rank - 0.5)) @ f, rank, w)


def income_quintiles(per_capita_income: np.ndarray, persons: np.ndarray, k: int = QUINTILES) -> np.ndarray:
    """Group 1..k of each household by per-capita income, each holding about 1/k of the persons
    (by the fractional rank of the household's persons)."""
    r = fractional_rank(per_capita_income, persons)
    return np.minimum((r * k).astype(np.int64) + 1, k)


@dataclass(frozen=True)
class Protection:
    """Financial protection of one run (`Result.protection()`).

    `curve`: index `threshold` (share of income); columns `catastrophic_rate_persons`,
    `catastrophic_rate_households` (budget share), `catastrophic_rate_capacity` (share of capacity
    to pay at the same threshold), `concentration_index` (of persons' catastrophic spending at the
    threshold over household per-capita income). `by_quintile`: index `quintile` 1..5 of household
    per-capita income (persons-weighted), columns `persons`, `per_capita_income` and the summary's
    protection figures (`FIGURES`) within the quintile. `figures`: the summary's figures."""

    curve: pd.DataFrame
    by_quintile: pd.DataFrame
    figures: dict
    dibao_monthly: float

    @property
    def concentration_index(self) -> float:
        """At 10% of income (SDG 3.8.2)."""
        return (
            float(self.curve.loc[0.10, "concentration_index"]) if 0.10 in self.curve.index else float("nan")
        )


def _households(size, income, persons) -> dict:
    """What depends on the households alone, not on what they paid: weighted persons and
    households, per-capita income, its fractional rank, the income quintiles and each quintile's
    mean per-capita income."""
    n = persons.sum()
    hh = (persons / np.maximum(size, 1)).sum()
    pc = income / np.maximum(size, 1)
    rank = fractional_rank(pc, persons)
    q = np.minimum((rank * QUINTILES).astype(np.int64) + 1, QUINTILES)
    pc_q = []
    for g in range(QUINTILES):
        inq = q == g + 1
        w = persons[inq]
        pc_q.append(float(np.dot(w, pc[inq]) / w.sum()) if w.sum() > 0 else float("nan"))
    return {"n": n, "hh": hh, "rank": rank, "q": q, "per_capita_income": pc_q}


def _households_memo(size, income, persons, memo: dict | None) -> dict:
    """`_households`, reused from `memo` when the households are the same (equal size, income and
    persons; a slider's runs of one population): the ranking's sorts are most of the work."""
    if memo is None:
        return _households(size, income, persons)
    key = memo.get("arrays")
    if key is None or not all(np.array_equal(a, b) for a, b in zip(key, (size, income, persons))):
        memo["arrays"] = (size.copy(), income.copy(), persons.copy())
        memo["households"] = _households(size, income, persons)
    return memo["households"]


def protection(
    size, income, oop, persons, dibao_monthly: float, thresholds=CURVE_THRESHOLDS, memo: dict | None = None
) -> Protection:
    """The tables of `Protection` from household arrays (size, income, oop and weighted persons).
    `memo`: a dict the caller keeps for its households (`Result.protection` keeps one on the
    population), where what does not depend on `oop` is kept between calls."""
    size, income, oop, persons = _arrays(size, income, oop, persons)
    th = np.asarray(sorted(float(t) for t in thresholds), dtype=np.float64)
    if len(th) == 0 or np.any(th < 0):
        raise ValueError("protection: thresholds must be shares ≥ 0")
    hs = _households_memo(size, income, persons, memo)
    n, hh, rank, q = hs["n"], hs["hh"], hs["rank"], hs["q"]
    counts = np.zeros((len(th), 4))
    _headcounts(size, income, oop, persons, rank, float(dibao_monthly), th, counts)
    ci = _concentration_from_sums(counts[:, 0], counts[:, 3], rank, persons)
    curve = pd.DataFrame(
        {
            "catastrophic_rate_persons": counts[:, 0] / n if n > 0 else 0.0,
            "catastrophic_rate_households": counts[:, 1] / hh if hh > 0 else 0.0,
            "catastrophic_rate_capacity": counts[:, 2] / n if n > 0 else 0.0,
            "concentration_index": ci,
        },
        index=pd.Index(np.round(th, 6), name="threshold"),
    )
    parts = group_parts(size, income, oop, persons, dibao_monthly, q - 1, QUINTILES)
    rows = []
    for g in range(QUINTILES):
        p = dict(zip(PARTS, parts[g].tolist()))
        rows.append(
            {
                "quintile": g + 1,
                "persons": p["protection_persons"],
                "per_capita_income": hs["per_capita_income"][g],
                **protection_figures(p),
            }
        )
    by_quintile = pd.DataFrame(rows).set_index("quintile")
    figures = protection_figures(dict(zip(PARTS, parts.sum(axis=0).tolist())))
    return Protection(
        curve=curve, by_quintile=by_quintile, figures=figures, dibao_monthly=float(dibao_monthly)
    )


__all__ = [
    "BUDGET_THRESHOLDS",
    "CAPACITY_THRESHOLD",
    "CURVE_THRESHOLDS",
    "FIGURES",
    "PARTS",
    "Protection",
    "concentration_index",
    "concentration_indices",
    "fractional_rank",
    "group_parts",
    "income_quintiles",
    "protection",
    "protection_figures",
    "protection_parts",
]
