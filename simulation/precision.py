"""How precise a run's headline figures are at the population size in use: a split-sample
estimate of their standard error over households (the delete-a-group jackknife).

A generated population is a sample: another seed gives other households and other figures. The
households are split at random into `groups` equal parts; each figure is computed `groups` times,
each time without one part (totals scaled up by groups / (groups − 1), ratios as they are), and
SE² = (groups − 1) / groups × Σ (figure without part g − their mean)² (the delete-a-group
jackknife, Kott 2001, J. Official Statistics 17(4); Wolter, *Introduction to Variance
Estimation*, 2nd ed., ch. 4). Unlike the plain random-group estimate it stays defined when a part
holds no poor person. The 95% half-width uses Student's t with groups − 1 degrees of freedom.
Households are kept whole (their members share a cap and a warning), so the error reflects the
household clustering of the costs.

    from simulation.precision import precision
    precision(res)   # index figure: value, se, half_width (95%), groups

Checked against the seed-to-seed spread of generated populations in `benchmarks/bench_precision.py`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats

from .errors import WorkbenchError

GROUPS = 20  # random groups: 19 degrees of freedom, t = 2.09
CONFIDENCE = 0.95
# the figures estimated, each from additive per-household sums (numerator, denominator or None)
FIGURES = ("coverage_rate_poor", "personal_burden_rate", "oop", "total_cost")


def _group_matrix(res, groups: int, seed: int):
    """The groups x persons sparse matrix of the persons' weights (row: the person's household's
    random group), kept on the population: the groups depend on the households only, so every
    run of the population (a slider's redraw) reuses them."""
    pop = res._y.population
    cache = pop.__dict__.setdefault("_precision_groups", {})
    key = (groups, seed)
    if key not in cache:
        a = pop.arrays
        n = int(a.n_households)
        if n < groups:
            raise WorkbenchError(f"precision: {n} households cannot be split into {groups} groups")
        rng = np.random.default_rng(seed)
        # equal groups (sizes differ by at most one household), assigned at random
        g = np.empty(n, dtype=np.int64)
        g[rng.permutation(n)] = np.arange(n) % groups
        m = len(a.household)
        cache[key] = sparse.csr_matrix((a.weight, (g[a.household], np.arange(m))), shape=(groups, m))
    return cache[key]


def _group_sums(res, groups: int, seed: int) -> dict[str, np.ndarray]:
    """Weighted sums per group of households of what the figures are made of (the summary's
    definitions: the poor are the persons holding a category in the run's year)."""
    y = res._y
    pa = res._person_arrays
    m = _group_matrix(res, groups, seed)
    poor = y.cat_mask != 0
    cost, oop = pa["total_cost"], pa["oop"]
    return {
        "total_cost": m @ cost,
        "oop": m @ oop,
        "total_cost_poor": m @ np.where(poor, cost, 0.0),
        "oop_poor": m @ np.where(poor, oop, 0.0),
    }


def _figures(t: dict[str, np.ndarray], scale: float) -> dict[str, np.ndarray]:
    """The figures from group sums (arrays over groups); totals scaled by `scale`."""
    cost_p = t["total_cost_poor"]
    cov = 1.0 - np.divide(t["oop_poor"], cost_p, out=np.zeros_like(cost_p), where=cost_p > 0)
    cov = np.where(cost_p > 0, cov, np.nan)
    cost = t["total_cost"]
    burden = np.divide(t["oop"], cost, out=np.full_like(cost, np.nan), where=cost > 0)
    return {
        "coverage_rate_poor": cov,
        "personal_burden_rate": burden,
        "oop": t["oop"] * scale,
        "total_cost": t["total_cost"] * scale,
    }


def precision(res, groups: int = GROUPS, seed: int = 0) -> pd.DataFrame:
    """Standard error and 95% half-width of `FIGURES` for a Result, by the delete-a-group jackknife
    over `groups` random groups of households (the same `seed` gives the same groups). Index:
    figure; columns `value` (the run's own figure), `se`, `half_width`, `groups`. A figure that a
    replicate cannot estimate (every poor person in one group) has NaN error."""
    if groups < 2:
        raise WorkbenchError(f"precision: expected at least 2 groups, got {groups}")
    parts = _group_sums(res, groups, seed)
    whole = {k: np.array([v.sum()]) for k, v in parts.items()}
    without = {k: whole[k] - v for k, v in parts.items()}  # every part but one
    replicates = _figures(without, groups / (groups - 1.0))
    value = _figures(whole, 1.0)
    t = float(stats.t.ppf(0.5 + CONFIDENCE / 2, groups - 1))
    rows = []
    for k in FIGURES:
        x = replicates[k]
        ok = np.all(np.isfinite(x))
        se = float(np.sqrt((groups - 1) / groups * np.sum((x - x.mean()) ** 2))) if ok else np.nan
        rows.append(
            {"figure": k, "value": float(value[k][0]), "se": se, "half_width": t * se, "groups": groups}
        )
    return pd.DataFrame(rows).set_index("figure")
