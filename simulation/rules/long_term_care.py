"""Long-term care insurance (长期护理保险), an independent fund beside the medical tiers.

嘉兴 共富方案 二(二)6: 覆盖全民、城乡一体 (employees and residents alike), 多方筹资 (individual,
the medical pool and the government), 重度失能人员 "一个不漏、应享尽享" (everyone at the qualifying
care level is paid), 基础服务项目 (a basic care package paid by the fund). Care is not a medical
claim: its cost, benefit and out-of-pocket part are their own columns (`ltc_*`, none ending in
`_paid`), so the medical identity `total_cost = Σ *_paid + oop` is untouched.

Per person and year (the rules at the end; the care pass in simulation.kernels looks up the tables):

    insured  = enrolled and the person's scheme is covered
    cost     = months × care_cost[setting][care_need]            (0 without care need)
    benefit  = months × min(ratio[setting] × care_cost, monthly_limit[setting][care_need])
               for insured persons with care_need ≥ min_level, else 0
    oop      = cost − benefit
    individual + subsidy = financing[scheme].individual (the subsidy: the government pays it for
               persons holding a subsidised category, 资助参保)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..jit import rule
from ..parameters import CARE_LEVELS, CARE_SETTINGS, SCHEMES, LongTermCare


@dataclass(frozen=True)
class LtcArrays:
    """Per-person long-term-care amounts of one year (yuan, unweighted)."""

    insured: np.ndarray  # bool: contributes to and is covered by the fund
    eligible: np.ndarray  # bool: insured and care_need ≥ min_level
    cost: np.ndarray  # cost of the basic care package over the year
    benefit: np.ndarray  # paid by the fund
    oop: np.ndarray  # cost − benefit, borne by the person
    individual: np.ndarray  # individual contribution the person pays
    subsidy: np.ndarray  # individual contribution the government pays (资助参保)
    pool_transfer: np.ndarray  # transferred from the medical pool for the person
    fiscal: np.ndarray  # fiscal subsidy per person (besides `subsidy`)
    employee: np.ndarray  # bool: the person's scheme is employee (for the pool transfer)


def monthly_tables(ltc: LongTermCare) -> tuple[np.ndarray, np.ndarray]:
    """(cost, benefit) per month, shape (2 settings, 4 care levels 0-3); level 0 costs nothing."""
    cost = np.zeros((len(CARE_SETTINGS), len(CARE_LEVELS) + 1))
    benefit = np.zeros_like(cost)
    for i, st in enumerate(CARE_SETTINGS):
        terms = ltc.settings.get(st)
        if terms is None:
            continue
        for lv in CARE_LEVELS:
            c = terms.care_cost.get(lv, 0.0)
            limit = terms.monthly_limit.get(lv, np.inf)
            cost[i, int(lv)] = c
            if int(lv) >= ltc.min_level:
                benefit[i, int(lv)] = monthly_benefit(terms.ratio, c, limit)
    return cost, benefit


def scheme_rates(ltc: LongTermCare, name: str) -> np.ndarray:
    """The financing item `name` (individual, pool_transfer, fiscal) per scheme, yuan a year."""
    return np.array([getattr(ltc.financing[s], name) if s in ltc.financing else 0.0 for s in SCHEMES])


LTC_PART_KEYS = (
    "ltc_insured",
    "ltc_beneficiaries",
    "ltc_cost",
    "ltc_benefit",
    "ltc_oop",
    "ltc_individual",
    "ltc_contribution_subsidy",
    "ltc_pool_transfer",
    "ltc_pool_transfer_employee",
    "ltc_fiscal",
)


def ltc_figures(parts: dict) -> dict[str, float]:
    """Summary figures from (summed) parts: the totals, `ltc_income` (individual + pool + fiscal)
    and `ltc_benefit_rate` (benefit / cost of care)."""
    out = {k: parts[k] for k in LTC_PART_KEYS}
    out["ltc_income"] = out["ltc_individual"] + out["ltc_pool_transfer"] + out["ltc_fiscal"]
    out["ltc_benefit_rate"] = out["ltc_benefit"] / out["ltc_cost"] if out["ltc_cost"] > 0 else 0.0
    return out


# ---------------------------------------------------------------------------- the rules of one person
@rule
def monthly_benefit(ratio, care_cost, monthly_limit):
    """The fund's monthly payment for a care level it pays: its ratio of the care package's cost, up to
    the level's monthly limit (基础服务项目)."""
    return min(ratio * care_cost, monthly_limit)


@rule
def insured(enrolled, scheme_covered):
    """覆盖全民: an enrolled person of a covered scheme contributes and is covered."""
    return enrolled and scheme_covered


@rule
def eligible(is_insured, care_need, min_level):
    """重度失能 一个不漏: every insured person at the qualifying care level is paid."""
    return is_insured and care_need >= min_level


@rule
def care_year(months, cost_month, benefit_month, is_insured):
    """(cost, benefit, oop) of the person's year of care; the fund pays insured persons only."""
    cost = months * cost_month
    benefit = months * benefit_month * (1.0 if is_insured else 0.0)
    return cost, benefit, cost - benefit


@rule
def financing_item(rate, is_insured):
    """One financing item of the person's scheme (individual, pool transfer, fiscal), insured only."""
    return rate * (1.0 if is_insured else 0.0)


@rule
def contribution(individual_rate, is_insured, subsidised):
    """(individual contribution the person pays, the part the government pays): 资助参保 pays the
    whole individual contribution of a person holding a subsidised category."""
    ind = financing_item(individual_rate, is_insured)
    sub = ind if subsidised else 0.0
    return ind - sub, sub
