"""Enrolment of persons newly identified as poor during the year (毕节 医保扶贫方案 二(二)).

每年8月底前动态调整新认定的医保扶贫保障对象, 纳入当年度基本医保; 9月至12月新认定且未参保的医保扶贫
保障对象统一纳入下一年度基本医保. A person's `identified_month` (1-12; 0: not newly identified) is
the month of identification: by the deadline the person is insured this year (and so paid by the
insurance tiers and subsidised like the category's other members); after it, a person not already
insured stays uninsured until next year. Vectorised; returns the effective `enrolled` array.
"""

from __future__ import annotations

import numpy as np

from ..parameters import Enrolment, category_bits
from ..population.derive import derived_population


def effective_enrolment(
    rule: Enrolment, enrolled: np.ndarray, identified_month: np.ndarray | None, cat_mask: np.ndarray
) -> np.ndarray:
    """`enrolled` plus the new poor identified by the deadline month (inclusive)."""
    if rule.new_poor_deadline_month is None or identified_month is None:
        return enrolled
    new = identified_month > 0
    if rule.new_poor_categories:
        bits = category_bits(rule.new_poor_categories)
        new &= (cat_mask & bits) != 0
    return enrolled | (new & (identified_month <= rule.new_poor_deadline_month))


def with_enrolment(pop, rule: Enrolment):
    """The population with the effective enrolment of the year (itself when nothing changes)."""
    a = pop.arrays
    if rule.new_poor_deadline_month is None or a.identified_month is None or not a.identified_month.any():
        return pop
    enrolled = effective_enrolment(rule, a.enrolled, a.identified_month, a.cat_mask)
    if np.array_equal(enrolled, a.enrolled):
        return pop
    return derived_population(pop, enrolled=enrolled)
