"""Premium subsidies (资助参保): the resident contribution paid by assistance for eligible persons,
in full or a fixed amount by category and age; several rules → the highest (就高不重复)."""

from __future__ import annotations

from ..jit import rule


@rule
def rule_met(holds_category, age, min_age, max_age, scheme_covered, enrolled):
    """Whether one subsidy rule pays the person's contribution: an enrolled person of its categories,
    ages and schemes (the highest amount among the rules met is paid: 就高不重复)."""
    return enrolled and holds_category and min_age <= age <= max_age and scheme_covered
