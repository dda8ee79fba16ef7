"""Tier 5, the household out-of-pocket cap (封顶制, paid by the 暖心基金): the household's reasonable
cost still borne above its category's cap is paid at the scenario's share and split back to the
members in proportion to what each counted (临安 封顶制方案 二(二)-(三))."""

from __future__ import annotations

import numpy as np

from ..parameters import CAT_BIT_OF, FamilyCap
from .groups import group_sum


def household_cap_amount(fc: FamilyCap, cat_mask: np.ndarray, household: np.ndarray, n_households: int):
    """Each household's cap: the lowest cap among its members' categories (inf: not covered)."""
    cap = np.full(n_households, np.inf)
    for category, amount in fc.cap.items():
        holds = (cat_mask & CAT_BIT_OF[category]) != 0
        if holds.any():
            has = np.bincount(household, weights=holds.astype(float), minlength=n_households) > 0
            cap = np.where(has, np.minimum(cap, amount), cap)
    return cap


def family_cap_payment(
    fc: FamilyCap, counted: np.ndarray, cat_mask: np.ndarray, household: np.ndarray, n_households: int
) -> tuple[np.ndarray, np.ndarray]:
    """(per-person cap payment, per-household cap). `counted` is each person's reasonable cost."""
    cap = household_cap_amount(fc, cat_mask, household, n_households)
    if not fc.enabled:
        return np.zeros_like(counted), cap
    hh_counted = group_sum(household, counted, n_households)
    hh_paid = fc.share * np.maximum(hh_counted - cap, 0.0)
    hh_paid = np.where(np.isfinite(cap), hh_paid, 0.0)
    frac = np.divide(
        counted, hh_counted[household], out=np.zeros_like(counted), where=hh_counted[household] > 0
    )
    return hh_paid[household] * frac, cap
