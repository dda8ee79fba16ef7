"""Lin'an household cap (临安 封顶制方案): what is not a hand case.

The hand calculations from the clauses are data in tests/cases/linan_2024/ (run by test_cases.py).
"""

import pytest

from simulation import simulate


def test_fiscal_share_parameter_is_one_third(presets):
    assert presets["linan_2024"].params.financing.charity_fiscal_share_max == pytest.approx(1 / 3)


def test_generated_population_has_towns_veterans_and_union_members(presets):
    """三(二)-(三): the generator draws Lin'an's 18 towns/streets (per-district KPIs), veterans and union
    members (梯次减负 before the cap), so by_district() has a row per town and other_paid is positive."""
    from simulation import generate_population

    scn = presets["linan_2024"]
    pop = generate_population(scn, persons=20_000, seed=5)
    pp = pop.persons
    assert pp["district"].nunique() == 18
    assert 0.02 < pp["veteran"].mean() < 0.06
    assert pp.loc[pp["union_member"], "scheme"].eq("employee").all()
    res = simulate(pop, scn)
    assert len(res.by_district()) == 18
    assert res.summary["other_paid"] > 0
