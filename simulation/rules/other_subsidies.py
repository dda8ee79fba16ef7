"""Other departments' medical subsidies before the household cap (临安 封顶制方案 三(三) 梯次减负):
民政, 残联, 退役军人事务, 总工会, 卫生健康, 农业农村 pay in the scenario's order, each a ratio of the
reasonable cost still borne, up to its annual limit; the cap's base is what remains."""

from __future__ import annotations

import numpy as np

from ..jit import rule
from ..parameters import ScenarioModel, category_bits, or_inf, terms

# kinds of `OtherSubsidy.eligible`, as the household driver reads them (kernels._cap_chunk)
SUBSIDY_KINDS = ("all", "poor", "disabled", "veteran", "union_member")


@rule
def eligible(kind, poor, disabled, veteran, union_member, in_categories):
    """Whether a department's rule reaches the person: everyone, the poor (any assistance category),
    持证残疾人, veterans or union members (by `kind`, SUBSIDY_KINDS), and only the rule's categories
    where it names some (`in_categories`)."""
    if kind == 0:
        ok = True
    elif kind == 1:
        ok = poor
    elif kind == 2:
        ok = disabled
    elif kind == 3:
        ok = veteran
    else:
        ok = union_member
    return ok and in_categories


@rule
def subsidy_payment(still_borne, ratio, annual_limit, reached):
    """One department's subsidy: its ratio of the reasonable cost the earlier ones left, up to its
    annual limit (the next department pays on what is left after it)."""
    pay = ratio * still_borne * (1.0 if reached else 0.0)
    return min(pay, annual_limit)


@terms("rule_kind", "rule_bits", "rule_ratio", "rule_limit")
def subsidy_terms(p: ScenarioModel) -> dict:
    """Per subsidy in the scenario's order: its kind (SUBSIDY_KINDS), category bits (0: any),
    ratio and annual limit (the household driver, kernels._cap_chunk)."""
    rules = p.other_subsidies
    return dict(
        rule_kind=np.array([SUBSIDY_KINDS.index(r.eligible) for r in rules], dtype=np.int64),
        rule_bits=np.array([category_bits(r.categories) for r in rules], dtype=np.int64),
        rule_ratio=np.array([r.ratio for r in rules], dtype=float),
        rule_limit=np.array([or_inf(r.annual_limit) for r in rules], dtype=float),
    )
