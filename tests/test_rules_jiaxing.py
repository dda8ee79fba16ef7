"""Jiaxing (嘉兴 共富方案): targets and clauses computed by hand."""

import pytest

from simulation import ScenarioError, simulate
from tests.conftest import claim, person, population


def test_uninsured_claims_are_paid_by_no_insurance_tier(presets):
    # an uninsured person (enrolled false): no basic, 大病 or 大病无忧; assistance needs enrolment
    scn = presets["jiaxing_2025"]
    pop = population(
        [person(1, category="dibao", enrolled=False), person(2, category="dibao")],
        [claim(1, policy=50_000.0), claim(2, policy=50_000.0)],
    )
    res = simulate(pop, scn)
    p1 = res.persons.loc[1]
    assert p1.basic_paid == p1.critical_paid == p1.supplement_paid == p1.assistance_paid == 0
    assert p1.oop == 50_000.0
    assert res.persons.loc[2, "basic_paid"] > 0
    assert res.summary["enrolled_rate"] == pytest.approx(0.5)  # the ≥ 99% target fails here


def test_chronic_outpatient_ratio_at_least_60_percent(presets):
    # 二(二)4: 慢病门诊合规费用最低报销比例 60%; resident chronic 10,000 at the preset's 60% → 6,000
    res = simulate(
        population([person(1)], [claim(1, setting="chronic", level=1, policy=10_000.0)]),
        presets["jiaxing_2025"],
    )
    assert res.persons.loc[1, "basic_paid"] == pytest.approx(6_000.0)
    with pytest.raises(ScenarioError, match=r"basic_insurance\.resident\.chronic\.ratio.*\[0\.6, 1\.0\]"):
        presets["jiaxing_2025"].with_changes({"basic_insurance.resident.chronic.ratio": 0.5})


def test_policy_reimbursement_rate_includes_critical_illness(presets):
    # resident level 3: deductible 800, ratio 65%: policy 100,800 → basic 65,000; 大病 base excludes the
    # deductible: 35,000 → 70% of (35,000 − 15,000) = 14,000; rate = (65,000 + 14,000) / 100,800
    res = simulate(population([person(1)], [claim(1, policy=100_800.0)]), presets["jiaxing_2025"])
    assert res.persons.loc[1, "critical_paid"] == pytest.approx(14_000.0)
    assert res.summary["policy_reimbursement_rate_resident"] == pytest.approx(79_000.0 / 100_800.0)


def test_fiscal_enrolment_in_da_bing_wu_you(presets):
    # 二(二)7: 特困、低保、低边 enrolled by the government (uptake 1) vs 75% uptake for others.
    # out-of-catalogue 35,000: deductible 15,000, 50% of 20,000 = 10,000 (× uptake)
    pop = population(
        [person(1, category="dibian"), person(2)], [claim(1, total=35_000.0), claim(2, total=35_000.0)]
    )
    res = simulate(pop, presets["jiaxing_2025"])
    assert res.persons.loc[1, "supplement_paid"] == pytest.approx(10_000.0)
    assert res.persons.loc[2, "supplement_paid"] == pytest.approx(7_500.0)
