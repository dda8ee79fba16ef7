"""Tier 3, medical assistance (医疗救助): category ratios on the policy-range cost still borne,
an optional annual deductible and annual limits (沪府办规〔2022〕19号 二(二)3-4)."""

from __future__ import annotations

import numpy as np

from ..jit import rule
from ..parameters import MedicalAssistance, ScenarioModel, or_inf, table_rows, terms


def paid_by_family_planning_fund(ma: MedicalAssistance, codes) -> np.ndarray:
    """Which categories (`codes`, in order) draw their assistance from the family-planning fund
    (计划生育利益导向资金, 毕节 二(四)3) rather than the medical-assistance fund: the aid is the
    same rule's; only the paying fund differs (a person's kept category decides)."""
    return np.array([c in ma.family_planning_fund for c in codes], dtype=bool)


def assistance_ratios(ma: MedicalAssistance, category: str) -> np.ndarray:
    """[inpatient, outpatient, chronic] ratios of a category (chronic falls back to outpatient)."""
    out = ma.outpatient_ratio.get(category, 0.0)
    return np.array([ma.inpatient_ratio.get(category, 0.0), out, ma.chronic_ratio.get(category, out)])


def out_of_city_lowest(ma: MedicalAssistance) -> int:
    """The lowest out-of-city code whose care is outside the assistance base (3: none): codes 0 local,
    1 registered, 2 unregistered (population.model.OUT_OF_CITY_CODES). Shanghai counts registered
    out-of-city care only (沪府办规〔2022〕19号 二(二)3)."""
    return {"all": 3, "registered": 2}.get(ma.out_of_city, 1)


@terms("ma_from_base", "ma_needs_enrolment", "ma_ratio", "ma_ded", "ma_out_limit", "ma_limit")
def assistance_terms(p: ScenarioModel) -> dict:
    """Per table row (parameters.table_rows): the ratios per setting, the deductible and the
    outpatient and annual limits; and whether the base counts the cost below the basic deductible
    and whether aid needs enrolment (kernels._tiers_range)."""
    ma, rows = p.medical_assistance, table_rows(p)
    return dict(
        ma_from_base=ma.base_includes_below_deductible,
        ma_needs_enrolment=bool(ma.requires_enrolment),
        ma_ratio=np.array([assistance_ratios(ma, c) for c in rows], dtype=float),
        ma_ded=np.array([ma.deductible.get(c, 0.0) for c in rows], dtype=float),
        ma_out_limit=np.array([or_inf(ma.outpatient_annual_limit.get(c)) for c in rows]),
        ma_limit=np.array([or_inf(ma.annual_limit.get(c)) for c in rows]),
    )


# ---------------------------------------------------------------------------- the rules of one person
@rule
def assistance_base(base, critical, mutual, supplement, still_borne):
    """The setting's assistance base: the policy-range cost the later tiers leave (四 自负医疗费用),
    never more than what is still borne after them."""
    return max(min(base - critical - mutual - supplement, still_borne - supplement), 0.0)


@rule
def assistance_payment(base0, base1, base2, ratio0, ratio1, ratio2, deductible, outpatient_limit,
                       annual_limit, reached):  # fmt: skip
    """Assistance per setting (inpatient, outpatient, chronic) of a category: the annual deductible
    off the year's combined base, the category's ratio of each setting's base (二(二)3-4), then the
    outpatient and chronic annual limit and the annual limit, scaling the payments down; 0 for a
    person assistance does not reach."""
    tot = base0 + base1 + base2
    if deductible > 0:
        keep = max(tot - deductible, 0.0) / tot if tot > 0 else 0.0
        base0 = base0 * keep
        base1 = base1 * keep
        base2 = base2 * keep
    a0 = base0 * ratio0
    a1 = base1 * ratio1
    a2 = base2 * ratio2
    op = a1 + a2
    if op > outpatient_limit:
        sc = outpatient_limit / max(op, 1e-300)
        a1 *= sc
        a2 *= sc
    at = a0 + a1 + a2
    if at > annual_limit:
        sc = annual_limit / max(at, 1e-300)
        a0 *= sc
        a1 *= sc
        a2 *= sc
    return a0 * reached, a1 * reached, a2 * reached
