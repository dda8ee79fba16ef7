"""Bijie (毕节 医保扶贫方案): hand calculations from the clauses."""

import pytest

from simulation import simulate
from tests.conftest import claim, person, population


def test_unreferred_admission_paid_less_and_extra_outside_later_bases(presets):
    # poor resident, level 3, policy 20,000. Referred (special terms, assumed table): deductible 500,
    # ratio 70% → basic 13,650; base for 大病 and assistance excludes the deductible (二(四)1):
    # 20,000 − 13,650 − 500 = 5,850 → 大病 band 0-1万 at 50% = 2,925 → assistance 70% of 2,925.
    # Unreferred (二(七)): deductible 2,000, ratio 50% → basic 9,000; the 4,650 it loses stays
    # with the patient and outside the 大病 and assistance bases, which are unchanged.
    scn = presets["bijie_2019"]
    persons = [person(1, category="poverty_registered"), person(2, category="poverty_registered")]
    claims = [claim(1, policy=20_000.0), claim(2, policy=20_000.0, referred=False)]
    res = simulate(population(persons, claims), scn)
    ref, unref = res.persons.loc[1], res.persons.loc[2]
    assert ref.basic_paid == pytest.approx(13_650.0)
    assert unref.basic_paid == pytest.approx(9_000.0)
    assert ref.critical_paid == pytest.approx(2_925.0)
    assert unref.critical_paid == pytest.approx(2_925.0)
    assert ref.assistance_paid == pytest.approx(0.7 * 2_925.0)
    assert unref.assistance_paid == pytest.approx(0.7 * 2_925.0)
    assert unref.oop - ref.oop == pytest.approx(4_650.0)
    assert unref.unreferred_extra == pytest.approx(4_650.0)


def test_non_designated_private_hospital_pays_nothing(presets):
    res = simulate(
        population(
            [person(1, category="poverty_registered")],
            [claim(1, level="private_undesignated", policy=10_000.0)],
        ),
        presets["bijie_2019"],
    )
    p = res.persons.loc[1]
    assert p.basic_paid == p.critical_paid == p.assistance_paid == 0
    assert p.oop == 10_000.0


def test_family_planning_households_at_least_50_percent(presets):
    # 计生两户: ordinary resident terms, level 1: deductible 200, ratio 85%: policy 10,200 → basic
    # 8,500, OOP 1,700; the base excludes the 200 deductible → 1,500 → 50% = 750
    res = simulate(
        population([person(1, category="family_planning")], [claim(1, level=1, policy=10_200.0)]),
        presets["bijie_2019"],
    )
    assert res.persons.loc[1, "basic_paid"] == pytest.approx(8_500.0)
    assert res.persons.loc[1, "assistance_paid"] == pytest.approx(750.0)


def test_premium_subsidies_full_and_100_yuan(presets):
    scn = presets["bijie_2019"]
    res = simulate(
        population([person(1, category="tekun"), person(2, category="poverty_registered"), person(3)], []),
        scn,
    )
    ps = res.persons["premium_subsidy"]
    assert ps.loc[1] == scn.params.financing.resident_individual
    assert ps.loc[2] == 100.0
    assert ps.loc[3] == 0.0


def test_poor_residents_have_no_fund_cap(presets):
    # 表2 不设封顶线: 1,000,000 at level 1 → 90% of (1,000,000 − 100), not stopped at 200,000
    res = simulate(
        population(
            [person(1, category="poverty_registered"), person(2)],
            [claim(1, level=1, policy=1e6), claim(2, level=1, policy=1e6)],
        ),
        presets["bijie_2019"],
    )
    assert res.persons.loc[1, "basic_paid"] == pytest.approx(0.9 * (1e6 - 100))
    assert res.persons.loc[2, "basic_paid"] == pytest.approx(200_000.0)


def test_upward_transfer_pays_only_the_deductible_difference(presets):
    # 二(四)1 双向转诊只收一次起付线: level 1 (poor: 100) then level 3 (500) in one chain → the second
    # admission pays 500 − 100 = 400; a later downward transfer back to level 1 pays none
    scn = presets["bijie_2019"]
    claims = [
        claim(1, level=1, policy=10_000.0, referral_chain=7, month=3),
        claim(1, level=3, policy=10_000.0, referral_chain=7, month=4),
        claim(1, level=1, policy=10_000.0, referral_chain=7, month=5),
    ]
    res = simulate(population([person(1, category="poverty_registered")], claims), scn)
    c = res.claims.sort_values("month")
    assert list(c["basic_paid"]) == pytest.approx([0.9 * 9_900, 0.7 * 9_600, 0.9 * 10_000])
    # without the chain each admission pays its full deductible
    solo = [claim(2, level=3, policy=10_000.0)]
    res2 = simulate(population([person(2, category="poverty_registered")], solo), scn)
    assert res2.persons.loc[2, "basic_paid"] == pytest.approx(0.7 * 9_500)


def test_major_disease_above_quota_is_borne_by_the_hospital(presets):
    # 二(四)4: 胃癌 quota (preset, assumed) 45,000; a 60,000 case → 15,000 hospital_paid, tiers see 45,000
    scn = presets["bijie_2019"]
    pop = population(
        [person(1, category="poverty_registered")],
        [claim(1, total=60_000.0, policy=55_000.0, disease="gastric_cancer")],
    )
    res = simulate(pop, scn)
    p = res.persons.loc[1]
    assert p.hospital_paid == pytest.approx(15_000.0)
    assert p.total_cost == 60_000.0
    # policy cost is held within the quota: 45,000 → basic 70% of (45,000 − 500)
    assert p.basic_paid == pytest.approx(0.7 * 44_500)


def test_poor_out_of_catalogue_above_10_percent_borne_by_the_hospital(presets):
    # 二(六): a 低保 patient's claim of 12,000 with 9,000 in the catalogue; out-of-catalogue may be at most
    # 10% of the claim: 9,000 × 0.1 / 0.9 = 1,000 → the other 2,000 lands in hospital_paid
    scn = presets["bijie_2019"]
    pop = population(
        [person(1, category="dibao"), person(2)],
        [
            claim(1, level=1, total=12_000.0, policy=9_000.0),
            claim(2, level=1, total=12_000.0, policy=9_000.0),
        ],
    )
    res = simulate(pop, scn)
    assert res.persons.loc[1, "hospital_paid"] == pytest.approx(2_000.0)
    assert res.persons.loc[2, "hospital_paid"] == 0.0  # the rule protects the poor only


def test_premium_subsidy_shared_by_county_class(presets):
    # 二(三): 100 yuan per 建档立卡 person: 威宁县 all province, 七星关区 5:2:3, 金沙县 all county
    persons = [
        person(1, category="poverty_registered", district="威宁县"),
        person(2, category="poverty_registered", district="七星关区"),
        person(3, category="poverty_registered", district="金沙县"),
    ]
    s = simulate(population(persons, []), presets["bijie_2019"]).summary
    assert s["premium_subsidy_province"] == pytest.approx(100 + 50)
    assert s["premium_subsidy_city"] == pytest.approx(20)
    assert s["premium_subsidy_county"] == pytest.approx(30 + 100)


def test_new_poor_identified_by_end_of_august_are_insured_this_year(presets):
    """二(二) 每年8月底前新认定的医保扶贫保障对象纳入当年度基本医保; 9月至12月新认定且未参保的纳入下一年度.
    Three uninsured 建档立卡 residents, each with one level-1 admission of policy 10,100 (poor terms:
    deductible 100, ratio 90% → basic 9,000): identified in August → insured, basic 9,000 and the
    100-yuan premium subsidy; identified in September and uninsured → no insurance tier pays, no
    subsidy this year; identified in October but already insured → paid as usual (9,000)."""
    scn = presets["bijie_2019"]
    persons = [
        person(1, category="poverty_registered", enrolled=False, identified_month=8),
        person(2, category="poverty_registered", enrolled=False, identified_month=9),
        person(3, category="poverty_registered", enrolled=True, identified_month=10),
    ]
    claims = [claim(i, level=1, policy=10_100.0) for i in (1, 2, 3)]
    res = simulate(population(persons, claims), scn)
    p = res.persons
    assert p.loc[1, "basic_paid"] == pytest.approx(9_000.0)
    assert p.loc[1, "premium_subsidy"] == pytest.approx(100.0)
    assert p.loc[2, "basic_paid"] == p.loc[2, "critical_paid"] == 0
    assert p.loc[2, "premium_subsidy"] == 0
    assert p.loc[3, "basic_paid"] == pytest.approx(9_000.0)
    assert res.summary["enrolled_rate"] == pytest.approx(2 / 3)
    # a deadline at the end of September (a reform) insures the second person too
    later = simulate(population(persons, claims), scn.with_changes({"enrolment.new_poor_deadline_month": 9}))
    assert later.persons.loc[2, "basic_paid"] == pytest.approx(9_000.0)
    # scenarios without the rule ignore the month
    assert simulate(population(persons, claims), presets["linan_2024"]).summary[
        "enrolled_rate"
    ] == pytest.approx(1 / 3)


def test_seven_hospital_classes_have_their_own_terms(presets):
    """二(四)1 表1/表2: seven classes of designated hospitals, each its own level (the tables lost
    their numbers: the preset's assumptions). A poor resident's admission of policy 11,000 pays
    (deductible, ratio): 省外公立 (1,000, 60%) → 6,000; Ⅰ类省级 (800, 65%) → 6,630;
    定点民营 (250, 80%) → 8,600; 非定点民营 → nothing (不予报销)."""
    scn = presets["bijie_2019"]
    labels = {v.label for v in scn.params.hospital_levels.values()}
    for cls in (
        "一级专科及二级定点医疗机构",
        "二、三级专科及三级定点医疗机构",
        "Ⅰ类贵州省级定点医疗机构",
        "Ⅱ类贵州省级定点医疗机构",
        "省内非贵州省级定点公立医疗机构",
        "省外非贵州省级定点公立医疗机构",
        "毕节市、县定点民营医疗机构",
    ):
        assert cls in labels
    levels = ("out_of_province", "province_1", "private_designated", "private_undesignated")
    persons = [person(i, category="poverty_registered") for i in range(1, 5)]
    claims = [claim(i, level=lv, policy=11_000.0) for i, lv in enumerate(levels, start=1)]
    p = simulate(population(persons, claims), scn).persons
    assert p["basic_paid"].tolist() == pytest.approx([6_000.0, 6_630.0, 8_600.0, 0.0])


def test_upward_transfer_to_a_provincial_hospital_pays_the_difference(presets):
    """二(四)1 上转患者只需要补足高级别医院起付线: 一级专科及二级 (poor: 250) then Ⅰ类省级 (800) in one
    referral chain: the second admission's deductible is 800 − 250 = 550, so on policy 10,000 at 65%
    it pays 0.65 × 9,450 = 6,142.50 instead of 0.65 × 9,200 = 5,980 alone."""
    scn = presets["bijie_2019"]
    chain = [
        claim(1, level=2, policy=10_000.0, referral_chain=1, month=3),
        claim(1, level="province_1", policy=10_000.0, referral_chain=1, month=4),
    ]
    alone = [claim(2, level="province_1", policy=10_000.0)]
    persons = [person(1, category="poverty_registered"), person(2, category="poverty_registered")]
    p = simulate(population(persons, chain + alone), scn).persons
    assert p.loc[1, "basic_paid"] == pytest.approx(0.85 * 9_750 + 0.65 * 9_450)
    assert p.loc[2, "basic_paid"] == pytest.approx(0.65 * 9_200)


def test_generated_population_carries_the_bijie_clauses(presets):
    """The generator draws what the clauses need: counties (二(三) premium sharing by county class),
    the 25 quota diseases (二(四)4, cost above the quota → hospital_paid), referral chains (二(四)1) and
    identification months with some new poor uninsured (二(二)); the deep-poverty counties hold more
    poor households than 金沙县."""
    from simulation import generate_population

    scn = presets["bijie_2019"]
    pop = generate_population(scn, persons=30_000, seed=11)
    pp, cc = pop.persons, pop.claims
    assert set(pp["district"]) <= set(scn.params.premium_sharing.districts)
    poor = pp["category"] != "none"
    share = poor.groupby(pp["district"]).mean()
    assert share[["纳雍县", "赫章县", "威宁县"]].min() > share["金沙县"]
    coded = cc[cc["disease"] != ""]
    assert len(coded) > 0 and set(coded["disease"]) <= set(scn.params.hospital_liability.disease_quota)
    assert (coded["setting"] == "inpatient").all()
    assert (cc["referral_chain"] >= 0).any()
    assert pp["identified_month"].between(0, 12).all() and (pp["identified_month"] > 0).any()
    assert ((pp["identified_month"] > 0) | pp["enrolled"]).all()  # only new poor start uninsured
    res = simulate(pop, scn)
    assert res.summary["hospital_paid"] > 0
    levels = res.summary
    assert levels["premium_subsidy_province"] > 0 and levels["premium_subsidy_county"] > 0


def test_district_codes_are_factorized_once_across_runs(presets, monkeypatch):
    """二(二) gives each run a derived population (the year's enrolment) sharing the persons table;
    its district codes come from the base population, so a slider move does not factorize a million
    strings again (8 ms at 1e6 persons)."""
    from simulation import generate_population
    from simulation.population import model
    from simulation.rules.enrolment import with_enrolment

    scn = presets["bijie_2019"]
    pop = generate_population(scn, persons=3_000, seed=4)
    assert with_enrolment(pop, scn.params.enrolment) is not pop  # someone enrolled by the deadline
    calls = []
    factorize = model.factorize_text
    monkeypatch.setattr(model, "factorize_text", lambda s: calls.append(s.name) or factorize(s))
    first = simulate(pop, scn).summary
    again = simulate(pop, scn).summary
    assert calls.count("district") == 1 and first == again
    assert first["premium_subsidy_province"] > 0
