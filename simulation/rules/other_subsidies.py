"""Other departments' medical subsidies before the household cap (临安 封顶制方案 三(三) 梯次减负):
民政, 残联, 退役军人事务, 总工会, 卫生健康, 农业农村 pay in the scenario's order, each a ratio of the
reasonable cost still borne, up to its annual limit; the cap's base is what remains."""

from __future__ import annotations

import numpy as np

from ..parameters import CAT_BIT_OF, OtherSubsidy


def eligible(rule: OtherSubsidy, arrays, cat_mask: np.ndarray) -> np.ndarray:
    if rule.eligible == "all":
        ok = np.ones(len(cat_mask), dtype=bool)
    elif rule.eligible == "poor":
        ok = cat_mask != 0
    else:
        ok = np.asarray(getattr(arrays, rule.eligible), dtype=bool)
    if rule.categories:
        bits = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in rule.categories])
        ok = ok & ((cat_mask & bits) != 0)
    return ok


def other_subsidies(rules: list[OtherSubsidy], counted: np.ndarray, arrays, cat_mask: np.ndarray):
    """(total paid per person, counted cost left). Each rule pays on what the earlier ones left."""
    paid = np.zeros_like(counted)
    left = counted
    for rule in rules:
        pay = rule.ratio * left * eligible(rule, arrays, cat_mask)
        if rule.annual_limit is not None:
            pay = np.minimum(pay, rule.annual_limit)
        paid = paid + pay
        left = left - pay
    return paid, np.maximum(left, 0.0)
