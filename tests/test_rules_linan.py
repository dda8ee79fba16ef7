"""Lin'an household cap (临安 封顶制方案): hand calculations from the clauses."""

import pytest

from simulation import simulate
from tests.conftest import claim, person, population


@pytest.fixture
def linan(presets):
    # isolate the cap: costs outside the catalogue reach no earlier tier once 西湖益联保 is off,
    # and the (assumed) 负面清单 share is tested on its own below
    return presets["linan_2024"].with_changes(
        {"supplement.enabled": False, "family_cap.negative_list_share": 0.0}
    )


def outside(pid, amount):
    return claim(pid, total=amount, policy=0.0)


def test_dibao_household_40000_gets_10000(linan):
    # 二(三): 低保家庭 3万元, 100% above
    res = simulate(population([person(1, category="dibao")], [outside(1, 40_000.0)]), linan)
    assert res.persons.loc[1, "cap_paid"] == pytest.approx(10_000.0)
    assert res.persons.loc[1, "oop"] == pytest.approx(30_000.0)
    assert res.households.loc[1, "category"] == "dibao"


def test_tekun_at_4000_gets_nothing(linan):
    res = simulate(population([person(1, category="tekun")], [outside(1, 4_000.0)]), linan)
    assert res.persons.loc[1, "cap_paid"] == 0.0


@pytest.mark.parametrize("category,cost,paid", [("tekun", 8_000, 3_000), ("dibian", 60_000, 10_000)])
def test_caps_by_category(linan, category, cost, paid):
    res = simulate(population([person(1, category=category)], [outside(1, float(cost))]), linan)
    assert res.persons.loc[1, "cap_paid"] == pytest.approx(paid)


def test_household_cap_split_in_proportion_and_most_favourable_category(linan):
    # a household with a 低保 member and a 低边 member takes the 低保 cap (3万);
    # 40,000 of OOP above it is 10,000, split 30:10 between the members
    persons = [person(1, 7, category="dibao"), person(2, 7, category="dibian")]
    res = simulate(population(persons, [outside(1, 30_000.0), outside(2, 10_000.0)]), linan)
    assert res.persons.loc[1, "cap_paid"] == pytest.approx(7_500.0)
    assert res.persons.loc[2, "cap_paid"] == pytest.approx(2_500.0)
    assert res.households.loc[7, "oop"] == pytest.approx(30_000.0)


def test_ordinary_household_has_no_cap(linan):
    res = simulate(population([person(1)], [outside(1, 100_000.0)]), linan)
    assert res.persons.loc[1, "cap_paid"] == 0.0


def test_warning_lines(linan):
    # 三(一): employee OOP > urban income line, resident > rural line, assistance objects > 2万
    persons = [
        person(1, scheme="employee"),
        person(2, scheme="employee"),
        person(3),
        person(4, category="dibao"),
        person(5, category="dibao"),
    ]
    claims = [
        outside(1, 70_000.0),  # > 68,000
        outside(2, 60_000.0),  # < 68,000
        outside(3, 50_000.0),  # > 45,000
        outside(4, 25_000.0),  # > 20,000 (cap not yet counted: warning is on OOP before the cap)
        outside(5, 15_000.0),
    ]
    res = simulate(population(persons, claims), linan)
    assert res.households["warning"].to_dict() == {1: True, 2: False, 3: True, 4: True, 5: False}
    assert res.summary["warnings"] == 3


def test_fiscal_share_parameter_is_one_third(presets):
    assert presets["linan_2024"].params.financing.charity_fiscal_share_max == pytest.approx(1 / 3)


def test_veteran_gets_the_veterans_subsidy_before_the_cap(linan):
    # 三(三) 梯次减负: 退役军人事务 pays first (preset: 30% up to 10,000), the cap takes what remains.
    # 低保 veteran, 40,000 OOP → 10,000 (limit) from 退役军人事务; 30,000 left = the cap → 0
    res = simulate(population([person(1, category="dibao", veteran=True)], [outside(1, 40_000.0)]), linan)
    p = res.persons.loc[1]
    assert p.other_paid == pytest.approx(10_000.0)
    assert p.cap_paid == pytest.approx(0.0)
    assert p.oop == pytest.approx(30_000.0)
    # 50,000: 10,000 from the department, 40,000 left → 10,000 above the 3万 cap
    res = simulate(population([person(1, category="dibao", veteran=True)], [outside(1, 50_000.0)]), linan)
    assert res.persons.loc[1, "other_paid"] == pytest.approx(10_000.0)
    assert res.persons.loc[1, "cap_paid"] == pytest.approx(10_000.0)


def test_disabled_then_union_in_order(linan):
    # 残联 30% of 20,000 = 6,000 → limit 5,000; 总工会 20% of the 15,000 left = 3,000
    res = simulate(
        population([person(1, category="dibian", disabled=True, union_member=True)], [outside(1, 20_000.0)]),
        linan,
    )
    assert res.persons.loc[1, "other_paid"] == pytest.approx(8_000.0)


def test_negative_list_share_is_outside_the_cap_base(linan):
    scn = linan.with_changes({"family_cap.negative_list_share": 0.10})
    res = simulate(population([person(1, category="dibao")], [outside(1, 40_000.0)]), scn)
    assert res.persons.loc[1, "cap_paid"] == pytest.approx(36_000.0 - 30_000.0)


def test_warning_cleared_rate(linan):
    # a 低保 person warned at 25,000 (> 2万): the cap does not bring it below 2万 (3万 cap) → not cleared;
    # a 特困 person at 25,000: cap 5,000 → OOP 5,000 < 2万 → cleared
    persons = [person(1, category="dibao"), person(2, category="tekun")]
    res = simulate(population(persons, [outside(1, 25_000.0), outside(2, 25_000.0)]), linan)
    assert res.households["warning_cleared"].to_dict() == {1: False, 2: True}
    assert res.summary["warning_cleared_rate"] == pytest.approx(0.5)


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
