"""Shuozhou critical-illness insurance (朔州 大病保险方案): insurer arithmetic from the clauses."""

import pytest

from simulation import simulate
from simulation.rules.critical_illness import settle_insurer
from tests.conftest import claim, person, population


def test_bands_on_cumulative_out_of_pocket(presets):
    # resident level 3: deductible 800, ratio 60%; policy 75,800 → basic 45,000, OOP 30,800; the
    # 大病 base excludes the deductible → 30,000; 60% of (30,000 − 10,000) = 12,000
    res = simulate(population([person(1)], [claim(1, policy=75_800.0)]), presets["shuozhou_2021"])
    assert res.persons.loc[1, "basic_paid"] == pytest.approx(45_000.0)
    assert res.persons.loc[1, "critical_paid"] == pytest.approx(12_000.0)


def test_two_admissions_accumulate_over_the_year(presets):
    res = simulate(
        population([person(1)], [claim(1, policy=37_900.0, month=3), claim(1, policy=37_900.0, month=9)]),
        presets["shuozhou_2021"],
    )
    # each: basic 0.6 × 37,100 = 22,260; base 37,900 − 22,260 − 800 = 14,840; year 29,680
    assert res.persons.loc[1, "critical_paid"] == pytest.approx(0.6 * (29_680.0 - 10_000.0))


def test_deposit_is_10_percent_and_margin_inside_corridor(presets):
    scn = presets["shuozhou_2021"]
    # 1,000 residents (weight) → premium 100,000; one of them (weight 10) has 大病 claims
    persons = [person(1, weight=990.0), person(2, weight=10.0)]
    res = simulate(population(persons, [claim(2, policy=75_800.0)]), scn)
    s = res.summary
    assert s["insurer_premium"] == pytest.approx(100_000.0)
    assert s["insurer_claims"] == pytest.approx(120_000.0)
    assert s["quality_deposit"] == pytest.approx(10_000.0)  # 10% of financing
    # claims above premium: the floor shortfall 3,000 + 20,000 is shared half-half
    assert s["insurer_loss_compensation"] == pytest.approx(0.5 * (3_000.0 + 20_000.0))


@pytest.mark.parametrize(
    "claims,margin,surplus,comp",
    [
        (90_000.0, 5_000.0, 5_000.0, 0.0),  # 10% gross: 5% kept, 5% returned to the fund
        (96_000.0, 4_000.0, 0.0, 0.0),  # 4%: inside the corridor
        (99_000.0, 2_000.0, 0.0, 1_000.0),  # 1%: shortfall 2,000 shared, margin 2% (operating loss)
    ],
)
def test_settlement_arithmetic(presets, claims, margin, surplus, comp):
    st = settle_insurer(100_000.0, claims, presets["shuozhou_2021"].params.critical_illness)
    assert st.margin == pytest.approx(margin)
    assert st.surplus_returned == pytest.approx(surplus)
    assert st.loss_compensation == pytest.approx(comp)
    assert st.quality_deposit == pytest.approx(10_000.0)
