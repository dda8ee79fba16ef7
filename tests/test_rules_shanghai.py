"""Shanghai, 沪府办规〔2022〕19号: what is not a hand case.

The hand calculations from the clauses are data in tests/cases/shanghai_2023/ (run by test_cases.py).
"""

import pytest

from simulation import ScenarioError, simulate


def test_expenditure_poor_ratio_stays_inside_the_texts_range(presets):
    # 二(二)4 支出型贫困 50%-70%: 70% is accepted, 75% refused
    scn = presets["shanghai_2023"]
    assert scn.with_changes({"medical_assistance.inpatient_ratio.expenditure_poor": 0.7})
    with pytest.raises(ScenarioError, match=r"expenditure_poor.*\[0\.5, 0\.7\]"):
        scn.with_changes({"medical_assistance.inpatient_ratio.expenditure_poor": 0.75})


def test_generated_population_has_out_of_city_admissions(presets):
    """二(二)3: generated admissions include registered and unregistered out-of-city care; counting all
    of it (a reform) can only raise assistance."""
    from simulation import generate_population

    scn = presets["shanghai_2023"]
    pop = generate_population(scn, persons=20_000, seed=5)
    codes = set(pop.claims["out_of_city"])
    assert {"local", "registered", "unregistered"} <= codes
    base = simulate(pop, scn).summary["assistance_paid"]
    every = simulate(pop, scn.with_changes({"medical_assistance.out_of_city": "all"})).summary[
        "assistance_paid"
    ]
    assert every >= base
