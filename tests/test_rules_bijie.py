"""Bijie (毕节 医保扶贫方案): what is not a hand case.

The hand calculations from the clauses are data in tests/cases/bijie_2019/ (run by test_cases.py).
"""

from simulation import simulate


def test_seven_hospital_classes_are_in_the_preset(presets):
    """二(四)1 表1/表2: seven classes of designated hospitals, each its own level (the tables lost
    their numbers: the preset's assumptions; what each pays is a case in basic_insurance.yaml)."""
    labels = {v.label for v in presets["bijie_2019"].params.hospital_levels.values()}
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
