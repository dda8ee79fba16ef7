"""Mutual aid after basic insurance (上海 沪府办规〔2022〕19号 二(四)2): 职工医疗互助保障计划 for
employees and 少儿住院互助基金 for children pay part of the policy-range cost left after basic
insurance and 大病, before medical assistance (whose base is what remains, 四 自负医疗费用)."""

from __future__ import annotations

import numpy as np

from ..parameters import CAT_BIT_OF, SETTINGS, MutualAidPlan
from .groups import rowsum


def members(plan: MutualAidPlan, age: np.ndarray, employee: np.ndarray, enrolled: np.ndarray) -> np.ndarray:
    ok = enrolled & (age >= plan.min_age)
    if plan.max_age is not None:
        ok &= age <= plan.max_age
    if plan.members == "employee":
        ok &= employee
    elif plan.members == "resident":
        ok &= ~employee
    return ok


def mutual_aid_payment(
    plans: list[MutualAidPlan], rem3: np.ndarray, is_member: list[np.ndarray]
) -> np.ndarray:
    """Payment per person x setting of every plan, in order, on what the earlier ones left."""
    paid = np.zeros_like(rem3)
    for plan, ok in zip(plans, is_member):
        on = np.array([s in plan.settings for s in SETTINGS], dtype=float)
        base3 = (rem3 - paid) * on
        base = rowsum(base3)
        pay = plan.ratio * np.maximum(base - plan.deductible, 0.0)
        if plan.annual_limit is not None:
            pay = np.minimum(pay, plan.annual_limit)
        pay = pay * ok
        paid += base3 * np.divide(pay, base, out=np.zeros_like(base), where=base > 0)[:, None]
    return paid


def contribution_subsidy(plans, is_member, cat_mask: np.ndarray) -> np.ndarray:
    """Contributions paid for members in the plans' subsidised categories, per person (yuan)."""
    paying = [(p, ok) for p, ok in zip(plans, is_member) if p.subsidised_categories and p.contribution > 0]
    if not paying:  # read-only zeros without memory
        return np.broadcast_to(np.zeros(1), (len(cat_mask),))
    out = np.zeros(len(cat_mask))
    for plan, ok in paying:
        bits = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in plan.subsidised_categories])
        np.add(out, plan.contribution, out=out, where=ok & ((cat_mask & bits) != 0))  # no float temporary
    return out
