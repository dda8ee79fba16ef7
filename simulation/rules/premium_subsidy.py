"""Premium subsidies (资助参保): the resident contribution paid by assistance for eligible persons,
in full or a fixed amount by category and age; several rules → the highest (就高不重复)."""

from __future__ import annotations

import numpy as np

from ..jit import rule
from ..parameters import SCHEMES, ScenarioModel, category_bits, terms


@rule
def rule_met(holds_category, age, min_age, max_age, scheme_covered, enrolled):
    """Whether one subsidy rule pays the person's contribution: an enrolled person of its categories,
    ages and schemes (the highest amount among the rules met is paid: 就高不重复)."""
    return enrolled and holds_category and min_age <= age <= max_age and scheme_covered


@terms("bits", "min_age", "max_age", "scheme_ok", "amount")
def premium_terms(p: ScenarioModel) -> dict:
    """Per premium-subsidy rule: category bits, ages, schemes and the amount ("full": the year's
    resident contribution; a fixed amount at most that) (kernels._premium_range)."""
    rules, contribution = p.premium_subsidy, p.financing.resident_individual
    return dict(
        bits=np.array([category_bits(r.categories) for r in rules], dtype=np.int64),
        min_age=np.array([r.min_age for r in rules], dtype=float),
        max_age=np.array([np.inf if r.max_age is None else r.max_age for r in rules], dtype=float),
        scheme_ok=np.array([[s in r.schemes for s in SCHEMES] for r in rules], dtype=bool).reshape(
            -1, len(SCHEMES)
        ),
        amount=np.array(
            [contribution if r.amount == "full" else min(float(r.amount), contribution) for r in rules],
            dtype=float,
        ),
    )
