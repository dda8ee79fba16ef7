"""Flags of illness-induced poverty: 支出型贫困 type 1 and 2 (沪府办规〔2022〕19号 四), catastrophic
health expenditure (SDG 3.8.2) and the scenario's early-warning rules (临安 封顶制方案 三(一))."""

from __future__ import annotations

import numpy as np

from ..parameters import SCHEMES, Flags


def oop_share(oop: np.ndarray, income: np.ndarray) -> np.ndarray:
    """OOP / income; a household with no income and any OOP has an infinite share."""
    with np.errstate(over="ignore"):  # a tiny income under a large OOP overflows to inf, as meant
        return np.divide(oop, income, out=np.where(oop > 0, np.inf, 0.0), where=income > 0)


def expenditure_poor(fl: Flags, hh_oop, hh_income, hh_size) -> tuple[np.ndarray, np.ndarray]:
    """(type 2, type 1) tests per household.

    Type 2: the year's medical OOP ≥ the share (40%) of household disposable income.
    Type 1: monthly per-capita income after medical OOP below the dibao standard.
    Both also need per-capita income below the scenario's income limit where one is set.
    """
    income_ok = np.ones(len(hh_oop), dtype=bool)
    if fl.expenditure_poor_income_limit_per_capita is not None:
        income_ok = hh_income / np.maximum(hh_size, 1) < fl.expenditure_poor_income_limit_per_capita
    type2 = income_ok & (hh_oop > 0) & (hh_oop >= fl.expenditure_poor_share * hh_income)
    monthly = (hh_income - hh_oop) / np.maximum(hh_size, 1) / 12.0
    type1 = income_ok & (hh_oop > 0) & (monthly < fl.dibao_monthly)
    return type2, type1


def person_warning(fl: Flags, oop: np.ndarray, employee: np.ndarray, poor: np.ndarray) -> np.ndarray:
    """True where any early-warning rule fires for the person's own OOP."""
    out = np.zeros(len(oop), dtype=bool)
    scheme = np.where(employee, 0, 1)
    for rule in fl.warning:
        hit = oop > rule.threshold
        if rule.scheme is not None:
            hit &= scheme == SCHEMES.index(rule.scheme)
        if rule.assistance_objects:
            hit &= poor
        out |= hit
    return out
