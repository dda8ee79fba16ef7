"""Mutual aid after basic insurance (上海 沪府办规〔2022〕19号 二(四)2): 职工医疗互助保障计划 for
employees and 少儿住院互助基金 for children pay part of the policy-range cost left after basic
insurance and 大病, before medical assistance (whose base is what remains, 四 自负医疗费用)."""

from __future__ import annotations

import numpy as np

from ..jit import rule
from ..parameters import SETTINGS, MutualAidPlan, ScenarioModel, category_bits, or_inf, terms


def members(plan: MutualAidPlan, age: np.ndarray, employee: np.ndarray, enrolled: np.ndarray) -> np.ndarray:
    """Who a plan covers: enrolled persons of its ages and scheme."""
    ok = enrolled & (age >= plan.min_age)
    if plan.max_age is not None:
        ok &= age <= plan.max_age
    if plan.members == "employee":
        ok &= employee
    elif plan.members == "resident":
        ok &= ~employee
    return ok


@terms("bits", "amount")
def contribution_terms(p: ScenarioModel) -> dict:
    """Each plan's subsidised category bits and contribution (yuan), 0 and 0.0 for a plan paying
    none (kernels._contribution_range)."""
    plans = p.mutual_aid
    bits = np.zeros(len(plans), dtype=np.int64)
    amount = np.zeros(len(plans))
    for j, plan in enumerate(plans):
        if plan.subsidised_categories and plan.contribution > 0:
            bits[j] = category_bits(plan.subsidised_categories)
            amount[j] = float(plan.contribution)
    return dict(bits=bits, amount=amount)


@terms("plan_on", "plan_ratio", "plan_ded", "plan_limit")
def plan_terms(p: ScenarioModel) -> dict:
    """Per plan: the settings it pays in (1.0/0.0), ratio, deductible and annual limit
    (kernels._tiers_range)."""
    plans = p.mutual_aid
    return dict(
        plan_on=np.array([[s in pl.settings for s in SETTINGS] for pl in plans], dtype=float).reshape(-1, 3),
        plan_ratio=np.array([pl.ratio for pl in plans], dtype=float),
        plan_ded=np.array([pl.deductible for pl in plans], dtype=float),
        plan_limit=np.array([or_inf(pl.annual_limit) for pl in plans], dtype=float),
    )


# ---------------------------------------------------------------------------- the rules of one person
@rule
def plan_payment(borne, ratio, deductible, annual_limit, member):
    """One plan's payment of the year: its ratio of the cost still borne in its settings above its
    deductible, up to its annual limit; members only. Plans pay in order, each on what the earlier
    ones left."""
    pay = ratio * max(borne - deductible, 0.0)
    return min(pay, annual_limit) * member


@rule
def contribution_subsidy(member, holds_subsidised, contribution):
    """The plan's contribution paid for a member holding one of its subsidised categories."""
    return contribution if member and holds_subsidised else 0.0
