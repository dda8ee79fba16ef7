"""Premium subsidies (资助参保): the resident contribution paid by assistance for eligible persons,
in full or a fixed amount by category and age; several rules → the highest (就高不重复)."""

from __future__ import annotations

import numpy as np

from ..parameters import CAT_BIT_OF, SCHEMES, ScenarioModel


def premium_subsidy(
    p: ScenarioModel, cat_mask: np.ndarray, age: np.ndarray, employee: np.ndarray, enrolled: np.ndarray
) -> np.ndarray:
    out = np.zeros(len(cat_mask))
    contribution = p.financing.resident_individual
    for rule in p.premium_subsidy:
        bits = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in rule.categories] or [0])
        ok = (cat_mask & bits) != 0
        ok &= age >= rule.min_age
        if rule.max_age is not None:
            ok &= age <= rule.max_age
        schemes = np.array([s in rule.schemes for s in SCHEMES])
        ok &= schemes[np.where(employee, 0, 1)]
        amount = contribution if rule.amount == "full" else min(float(rule.amount), contribution)
        out = np.where(ok, np.maximum(out, amount), out)
    return np.where(enrolled, out, 0.0)
