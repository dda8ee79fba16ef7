"""Array helpers for grouped sums and running totals, so no rule loops over persons or claims.

Claims arrive sorted by person (then month), so a group's claims are contiguous and a running total
within a group is a global cumsum minus the cumsum at the group's start.
"""

from __future__ import annotations

import numpy as np


def group_sum(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of `values` per group `index` (0..n-1)."""
    return np.bincount(index, weights=values, minlength=n)


def group_cumsum(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running total of `values` within runs of equal `keys` (keys must be grouped, e.g. sorted).

    Returns the total up to and including each element.
    """
    if len(values) == 0:
        return values.copy()
    total = np.cumsum(values)
    start = np.empty(len(keys), dtype=bool)
    start[0] = True
    np.not_equal(keys[1:], keys[:-1], out=start[1:])
    # cumsum just before each run's first element, carried forward over the run
    before = np.where(start, total - values, 0.0)
    run_id = np.cumsum(start) - 1
    offsets = before[start]
    return total - offsets[run_id]


def capped_increments(keys: np.ndarray, values: np.ndarray, cap: np.ndarray | float) -> np.ndarray:
    """Per-element share of `values` that fits under a per-group running cap.

    With running totals c (inclusive) and c - v (exclusive), an element keeps
    min(c, cap) - min(c - v, cap): the first claims of the year use the cap first.
    """
    cum = group_cumsum(keys, values)
    return np.minimum(cum, cap) - np.minimum(cum - values, cap)


def allocate(amount: np.ndarray, shares: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Split a per-group `amount` over the group's elements in proportion to `shares`."""
    total = group_sum(group, shares, n)
    frac = np.divide(shares, total[group], out=np.zeros_like(shares), where=total[group] > 0)
    return amount[group] * frac


def group_any(group: np.ndarray, flag: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(group, weights=flag.astype(np.float64), minlength=n) > 0


def rowsum(m: np.ndarray) -> np.ndarray:
    """Sum over the 3 settings of an (n, 3) array; numpy's axis=1 reduction over 3 is slow."""
    return m[:, 0] + m[:, 1] + m[:, 2]
