"""Shanghai, 沪府办规〔2022〕19号: hand calculations from the clauses."""

import pytest

from simulation import ScenarioError, simulate
from tests.conftest import claim, person, population

# An adult resident at a level-1 hospital: deductible 50, ratio 90% (the preset's basic terms).
# policy 99,550 → basic 0.9 × 99,500 = 89,550, leaving 10,000 policy-range OOP after insurance
# (居保大病 pays 门诊大病 only, and adults have no mutual-aid plan).
POLICY_FOR_10000 = 99_550.0
BASIC_FOR_10000 = 89_550.0


def run(scn, persons, claims):
    return simulate(population(persons, claims), scn)


def test_dibao_inpatient_gets_90_percent(presets):
    res = run(
        presets["shanghai_2023"],
        [person(1, category="dibao")],
        [claim(1, level=1, policy=POLICY_FOR_10000)],
    )
    p = res.persons.loc[1]
    assert p.basic_paid == pytest.approx(BASIC_FOR_10000)
    assert p.critical_paid == 0
    assert p.assistance_paid == pytest.approx(9_000.0)  # 二(二)4 低保 90%
    assert p.oop == pytest.approx(1_000.0)


def test_low_income_inpatient_gets_80_percent(presets):
    res = run(
        presets["shanghai_2023"],
        [person(1, category="dibian")],
        [claim(1, level=1, policy=POLICY_FOR_10000)],
    )
    assert res.persons.loc[1, "assistance_paid"] == pytest.approx(8_000.0)  # 低收入 80%


@pytest.mark.parametrize("category,expected", [("dibao", 0.60 * 2550), ("dibian", 0.50 * 2550)])
def test_outpatient_60_and_50_percent(presets, category, expected):
    # outpatient: annual deductible 1500, ratio 70% at level 1: 5000 → basic 2450, OOP 2550
    res = run(
        presets["shanghai_2023"],
        [person(1, scheme="employee", category=category)],
        [claim(1, setting="outpatient", level=1, policy=5_000.0)],
    )
    assert res.persons.loc[1, "basic_paid"] == pytest.approx(2_450.0)
    assert res.persons.loc[1, "assistance_paid"] == pytest.approx(expected)


def test_orphan_is_paid_as_dibao_and_two_categories_once(presets):
    res = run(
        presets["shanghai_2023"],
        [
            person(1, category="orphan", age=30),
            person(2, category="dibao|orphan", age=30),
        ],
        [claim(1, level=1, policy=POLICY_FOR_10000), claim(2, level=1, policy=POLICY_FOR_10000)],
    )
    assert res.persons.loc[1, "assistance_paid"] == pytest.approx(9_000.0)  # 参照低保
    assert res.persons.loc[2, "assistance_paid"] == pytest.approx(9_000.0)  # 就高不重复: once


def test_cost_below_the_basic_deductible_is_assisted(presets):
    # 二(二)3: 基本医保起付线以下的政策范围内费用纳入救助保障
    res = run(
        presets["shanghai_2023"],
        [person(1, category="dibao")],
        [claim(1, level=3, policy=300.0)],
    )
    assert res.persons.loc[1, "basic_paid"] == 0  # resident level-3 deductible is 300
    assert res.persons.loc[1, "assistance_paid"] == pytest.approx(270.0)


def test_expenditure_poor_ratio_stays_inside_the_texts_range(presets):
    scn = presets["shanghai_2023"]
    res = run(
        scn,
        [person(1, category="expenditure_poor")],
        [claim(1, level=1, policy=POLICY_FOR_10000)],
    )
    assert res.persons.loc[1, "assistance_paid"] == pytest.approx(6_000.0)  # 50-70%, preset 60%
    assert scn.with_changes({"medical_assistance.inpatient_ratio.expenditure_poor": 0.7})
    with pytest.raises(ScenarioError, match=r"expenditure_poor.*\[0\.5, 0\.7\]"):
        scn.with_changes({"medical_assistance.inpatient_ratio.expenditure_poor": 0.75})


def test_premium_subsidies(presets):
    scn = presets["shanghai_2023"]
    contribution = scn.params.financing.resident_individual
    res = run(
        scn,
        [
            person(1, category="dibao"),
            person(2, category="dibian", age=65),
            person(3, category="dibian", age=50),
            person(4, category="dibao", scheme="employee"),
        ],
        [],
    )
    ps = res.persons["premium_subsidy"]
    assert ps.loc[1] == contribution  # 全额资助
    assert ps.loc[2] == 300.0  # 低收入 60+ 定额 (preset amount)
    assert ps.loc[3] == 0.0
    assert ps.loc[4] == 0.0  # employees pay no resident contribution


def test_resident_critical_illness_tilt_for_dibao(presets):
    # resident 门诊大病 (chronic): no deductible, ratio 70%: 10,000 → basic 7,000, OOP 3,000.
    # 居保大病 60% + 5 points for 低保 (二(二)2 倾斜) → 1,950; outpatient assistance 60% of 1,050 = 630
    res = run(
        presets["shanghai_2023"],
        [person(1, category="dibao")],
        [claim(1, setting="chronic", policy=10_000.0)],
    )
    p = res.persons.loc[1]
    assert p.basic_paid == pytest.approx(7_000.0)
    assert p.critical_paid == pytest.approx(1_950.0)
    assert p.assistance_paid == pytest.approx(630.0)


def test_resident_inpatient_is_not_critical_illness_in_shanghai(presets):
    res = run(presets["shanghai_2023"], [person(1)], [claim(1, policy=10_300.0)])
    assert res.persons.loc[1, "critical_paid"] == 0.0


def test_type2_expenditure_poor_household_found_and_assisted(presets):
    # household income 50,000 (per capita 25,000 below the income line); out-of-catalogue OOP
    # 20,000 = 40% of income → type 2 (四), and 政策找人 gives the members expenditure-poor terms
    scn = presets["shanghai_2023"].with_changes({"supplement.enabled": False})
    res = run(
        scn,
        [person(1, 1, income=25_000.0), person(2, 1, income=25_000.0)],
        [claim(1, level=1, total=20_000.0 + POLICY_FOR_10000, policy=POLICY_FOR_10000)],
    )
    hh = res.households.loc[1]
    assert bool(hh.newly_identified)
    assert res.persons.loc[1, "category_applied"] == "expenditure_poor"
    assert res.persons.loc[1, "assistance_paid"] == pytest.approx(6_000.0)
    assert bool(hh.expenditure_poor)  # still ≥ 40% after assistance: 24,000 / 50,000


def test_no_policy_finds_people_no_assistance_for_ordinary(presets):
    scn = presets["shanghai_2023"].with_changes({"flags.policy_finds_people": False})
    res = run(
        scn,
        [person(1, 1, income=25_000.0)],
        [claim(1, level=1, total=20_000.0 + POLICY_FOR_10000, policy=POLICY_FOR_10000)],
    )
    assert res.persons.loc[1, "assistance_paid"] == 0


def test_mutual_aid_pays_before_assistance(presets):
    # 二(四)2 职工医疗互助保障计划 (preset: 50%, limit 10,000) after basic, then 低保 assistance
    # (四 自负医疗费用
    # is counted after 各类政策性补充医疗保障). Employee level 1: deductible 1,500, ratio 92%:
    # policy 107,750 → basic 97,750, OOP 10,000 → mutual aid 5,000 → assistance 90% of 5,000 = 4,500
    res = run(
        presets["shanghai_2023"],
        [person(1, scheme="employee", category="dibao")],
        [claim(1, level=1, policy=107_750.0)],
    )
    p = res.persons.loc[1]
    assert p.mutual_aid_paid == pytest.approx(5_000.0)
    assert p.assistance_paid == pytest.approx(4_500.0)
    assert p.oop == pytest.approx(500.0)


def test_children_fund_and_its_contribution_subsidy(presets):
    # 少儿住院互助基金 for a child (≤ 18); contributions of 低保/孤儿 children paid in full (二(四)2)
    res = run(
        presets["shanghai_2023"],
        [person(1, age=10, category="dibao"), person(2, age=10), person(3, age=40, category="dibao")],
        [claim(1, level=1, policy=POLICY_FOR_10000), claim(3, level=1, policy=POLICY_FOR_10000)],
    )
    assert res.persons.loc[1, "mutual_aid_paid"] == pytest.approx(5_000.0)
    assert res.persons.loc[3, "mutual_aid_paid"] == 0.0
    assert res.summary["mutual_aid_subsidy"] == pytest.approx(150.0)  # child 1 only


def test_out_of_city_care_counts_only_when_registered(presets):
    """二(二)3 救助对象办理就医关系转移或异地就医实时结算后, 其在外省市定点医疗机构发生的符合规定的
    医疗费用, 可纳入医疗救助范围: a 低保 patient's 10,000 left after basic is assisted at 90% = 9,000
    when local or registered, not at all when unregistered; with one local and one unregistered
    admission (each leaving 10,000) only the local 10,000 is assisted (9,000)."""
    scn = presets["shanghai_2023"]
    persons = [person(i, category="dibao") for i in (1, 2, 3, 4)]
    claims = [
        claim(1, level=1, policy=POLICY_FOR_10000, out_of_city="本市"),
        claim(2, level=1, policy=POLICY_FOR_10000, out_of_city="registered"),
        claim(3, level=1, policy=POLICY_FOR_10000, out_of_city="未备案"),
        claim(4, level=1, policy=POLICY_FOR_10000),
        claim(4, level=1, policy=POLICY_FOR_10000, out_of_city="unregistered"),
    ]
    p = run(scn, persons, claims).persons
    assert p.loc[1, "assistance_paid"] == pytest.approx(9_000.0)
    assert p.loc[2, "assistance_paid"] == pytest.approx(9_000.0)
    assert p.loc[3, "assistance_paid"] == 0
    assert p.loc[3, "oop"] == pytest.approx(10_000.0)
    assert p.loc[4, "assistance_paid"] == pytest.approx(9_000.0)
    assert p.loc[4, "oop"] == pytest.approx(11_000.0)
    # a scenario counting all out-of-city care assists the unregistered admission too
    every = scn.with_changes({"medical_assistance.out_of_city": "all"})
    assert run(every, persons, claims).persons.loc[3, "assistance_paid"] == pytest.approx(9_000.0)


def test_special_relief_has_its_own_standards(presets):
    """二(二)4 特殊救济对象等医疗救助标准另行制定: own parameters (the preset's assumption: 80% inpatient,
    the 低收入 level); raising them leaves 低收入 unchanged: 10,000 → 8,000, then 9,500 at 95%."""
    scn = presets["shanghai_2023"]
    persons = [person(1, category="special_relief"), person(2, category="dibian")]
    claims = [claim(1, level=1, policy=POLICY_FOR_10000), claim(2, level=1, policy=POLICY_FOR_10000)]
    p = run(scn, persons, claims).persons
    assert p["assistance_paid"].tolist() == pytest.approx([8_000.0, 8_000.0])
    reform = scn.with_changes({"medical_assistance.inpatient_ratio.special_relief": 0.95})
    p = run(reform, persons, claims).persons
    assert p["assistance_paid"].tolist() == pytest.approx([9_500.0, 8_000.0])


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
