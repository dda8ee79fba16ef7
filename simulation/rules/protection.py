"""Financial protection of one household, as WHO and the World Bank measure it.

- Catastrophic spending, budget share (SDG 3.8.2; WHO/World Bank, *Tracking universal health
  coverage: 2021 global monitoring report*; World Bank SDG metadata 3.8.2): the household's
  out-of-pocket health spending (OOP) exceeds 10% or 25% of its budget. The workbench has income,
  not consumption, so the budget is the household's disposable income (calibration che_definitions).
- Catastrophic spending, capacity to pay (WHO Regional Office for Europe, Thomson, Cylus & Evetovits,
  *Can people afford to pay for health care?* 2019; Xu et al., Lancet 2003): OOP exceeds 40% of the
  household's capacity to pay, its budget less a normative spending on basic needs. Here the basic
  needs are the region's 低保 standard (最低生活保障标准) × 12 × household size; a household whose
  income does not cover them has no capacity, and any OOP is catastrophic for it.
- Impoverishing spending (Wagstaff & van Doorslaer 2003; WHO/World Bank 2021 report): a household
  above the poverty line before OOP and below it after is impoverished; one already below it that
  pays OOP is further impoverished. The line is the 低保 standard per person (per-capita income
  strictly below it is poor; exactly at it is not).
- Overshoot (ADePT Health; O'Donnell et al., *Analyzing Health Equity Using Household Survey Data*,
  World Bank 2008, ch. 18): by how much a catastrophic household's OOP share exceeds the threshold.

Each function reads one household's figures (money in yuan a year, the 低保 standard in yuan a
month, shares as fractions); no arrays. `simulation.protection` runs them over the households.
"""

from __future__ import annotations

from ..jit import rule
from .flags import oop_share


@rule
def catastrophic_share(oop, income, threshold):
    """Catastrophic at a budget share (SDG 3.8.2): OOP / income above `threshold` (10% or 25%); a
    household with no income and any OOP is catastrophic at every threshold."""
    return oop_share(oop, income) > threshold


@rule
def capacity_to_pay(income, size, dibao_monthly):
    """Capacity to pay (WHO Europe): household income less basic needs, the 低保 standard × 12 ×
    household size; never below 0."""
    return max(income - dibao_monthly * 12.0 * max(size, 1), 0.0)


@rule
def catastrophic_capacity(oop, capacity, threshold):
    """Catastrophic on capacity to pay: OOP above `threshold` (40%) of capacity; with no capacity,
    any OOP is catastrophic."""
    return oop > threshold * capacity


@rule
def impoverishment(income, oop, size, dibao_monthly):
    """(impoverished, further impoverished, poverty gap before OOP, poverty gap after OOP) of one
    household against the 低保 line (the standard × 12 a person a year).

    Impoverished: per-capita income at or above the line before OOP, below it after. Further
    impoverished: below the line before OOP and paying some. The gaps are per member, yuan a year:
    how far per-capita income falls short of the line (0 at or above it)."""
    m = max(size, 1)
    line = dibao_monthly * 12.0
    before = income / m
    after = (income - oop) / m
    poor_before = before < line
    impoverished = (not poor_before) and after < line
    further = poor_before and oop > 0
    return impoverished, further, max(line - before, 0.0), max(line - after, 0.0)


@rule
def overshoot(oop, income, threshold):
    """By how much the OOP share exceeds `threshold` (0 below it). A share above 100% (OOP beyond the
    year's income, paid from savings or debt, or a household without income) counts as 100%, so
    one household cannot make a mean infinite."""
    share = min(oop_share(oop, income), 1.0)
    return max(share - threshold, 0.0)
