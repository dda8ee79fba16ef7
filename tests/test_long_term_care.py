"""Jiaxing long-term care insurance (嘉兴 共富方案 二(二)6) and the optional 大病无忧 fiscal enrolment
(二(二)7), computed by hand from the preset's parameters.

The text sets the design (独立险种, 覆盖全民、城乡一体, 多方筹资, 重度失能人员"一个不漏""应享尽享");
the amounts are the preset's stated assumptions: 10 months of care a year; home care 80% of a
monthly package (level 3: 1,350, limit 1,200); institutional care 70% (level 3: 2,400, limit 1,500);
financing per head: employees 60 individual + 60 from the pool; residents 40 + 30 pool + 50 fiscal.
"""

import numpy as np
import pandas as pd
import pytest

from simulation import PopulationError, ScenarioError, simulate
from simulation.parameters import LongTermCare
from simulation.projection import project
from simulation.rules.long_term_care import care_payment, contributions, insured
from tests.conftest import claim, person, population


@pytest.fixture(scope="module")
def jiaxing(presets):
    return presets["jiaxing_2025"]


def _persons():
    return [
        person(1, care_need=3),  # severe, at home
        person(2, care_need=3, care_setting="机构护理"),  # severe, in an institution
        person(3, care_need=2),  # moderate: not 重度失能
        person(4, scheme="employee"),  # no care need
        person(5, category="dibao", care_need=3, enrolled=False),  # not insured
        person(6, category="dibao"),  # contribution paid by the government
    ]


def test_severe_disability_home_and_institution(jiaxing):
    """二(二)6 重度失能人员 应享尽享: level 3 at home 10 × min(80% × 1,350 = 1,080, 1,200) = 10,800 of
    13,500 (OOP 2,700); in an institution 10 × min(70% × 2,400 = 1,680, 1,500) = 15,000 of 24,000
    (the limit binds; OOP 9,000); moderate need (level 2) is not paid: 10 × 900 = 9,000 all OOP."""
    res = simulate(population(_persons(), [claim(1, policy=1_000.0)]), jiaxing)
    p = res.persons
    assert p.loc[1, ["ltc_cost", "ltc_benefit", "ltc_oop"]].tolist() == pytest.approx([13_500, 10_800, 2_700])
    assert p.loc[2, ["ltc_cost", "ltc_benefit", "ltc_oop"]].tolist() == pytest.approx([24_000, 15_000, 9_000])
    assert p.loc[3, ["ltc_cost", "ltc_benefit", "ltc_oop"]].tolist() == pytest.approx([9_000, 0, 9_000])
    assert p.loc[4, "ltc_cost"] == 0 and p.loc[4, "ltc_benefit"] == 0
    # an uninsured person draws nothing and pays nothing
    assert p.loc[5, ["ltc_benefit", "ltc_individual", "ltc_subsidy"]].tolist() == [0, 0, 0]
    s = res.summary
    assert s["ltc_beneficiaries"] == 2
    assert s["ltc_benefit"] == pytest.approx(25_800)
    assert s["ltc_benefit_rate"] == pytest.approx(25_800 / (13_500 + 24_000 + 9_000 + 13_500))
    # care is not a medical claim: the medical identity and tiers are untouched
    assert not any(c.startswith("ltc_") and c.endswith("_paid") for c in p.columns)
    paid = p[[c for c in p.columns if c.endswith("_paid")]].sum(axis=1)
    np.testing.assert_allclose(paid + p["oop"], p["total_cost"], atol=0.01)


def test_financing_multi_channel_and_subsidised_contributions(jiaxing):
    """多方筹资: residents 40 + 30 + 50, employees 60 + 60 + 0; the 低保 resident's 40 is paid by the
    government (资助参保). Insured: persons 1, 2, 3, 4, 6 (person 5 is not enrolled).
    individual = 40 × 3 (persons 1-3) + 60 (person 4) = 180; subsidy 40 (person 6);
    pool = 30 × 4 + 60 = 180 (employee part 60); fiscal = 50 × 4 + 40 = 240; income = 600."""
    res = simulate(population(_persons(), []), jiaxing)
    s = res.summary
    assert s["ltc_insured"] == 5
    assert s["ltc_individual"] == pytest.approx(180)
    assert s["ltc_contribution_subsidy"] == pytest.approx(40)
    assert s["ltc_pool_transfer"] == pytest.approx(180)
    assert s["ltc_pool_transfer_employee"] == pytest.approx(60)
    assert s["ltc_fiscal"] == pytest.approx(240)
    assert s["ltc_income"] == pytest.approx(600)
    assert res.persons.loc[6, ["ltc_individual", "ltc_subsidy"]].tolist() == [0, 40]


def test_fund_account_and_pool_transfer(jiaxing):
    """独立险种: its own fund row: income 600, expenditure 25,800 (previous test's persons); the
    transfer is carved out of the pools' contributions: employee pool income = 5,500 − 60."""
    res = simulate(population(_persons(), [claim(1, policy=1_000.0)]), jiaxing)
    f = res.funds
    first = f[f["year"] == jiaxing.year].set_index("fund")
    assert first.loc["long_term_care", "income"] == pytest.approx(600)
    assert first.loc["long_term_care", "expenditure"] == pytest.approx(25_800)
    assert first.loc["long_term_care", "fiscal_income"] == pytest.approx(240)
    assert first.loc["employee_pool", "income"] == pytest.approx(5_500 - 60)
    opening = 6 * 25_800 / 12  # opening_reserve_months.long_term_care = 6
    assert first.loc["long_term_care", "opening"] == pytest.approx(opening)
    assert first.loc["long_term_care", "balance"] == pytest.approx(opening + 600 - 25_800)


def test_expanding_eligibility_to_moderate_need(jiaxing):
    """稳步扩大待遇享受范围: min_level 2 pays the level-2 person 10 × min(80% × 900 = 720, 700) = 7,000."""
    reform = jiaxing.with_changes({"long_term_care.min_level": 2})
    p = simulate(population(_persons(), []), reform).persons
    assert p.loc[3, "ltc_benefit"] == pytest.approx(7_000)
    assert p.loc[1, "ltc_benefit"] == pytest.approx(10_800)  # unchanged


def test_generosity_is_monotone_and_never_negative(jiaxing):
    need = np.array([0, 1, 2, 3, 3, 3])
    inst = np.array([False, False, True, False, True, True])
    ok = np.array([True, True, True, True, True, False])
    ltc = jiaxing.params.long_term_care
    prev = None
    for ratio in (0.0, 0.3, 0.7, 0.9, 1.0):
        settings = {k: v.model_copy(update={"ratio": ratio}) for k, v in ltc.settings.items()}
        cost, benefit = care_payment(ltc.model_copy(update={"settings": settings}), need, inst, ok)
        assert (benefit >= 0).all() and (benefit <= cost + 1e-9).all()
        if prev is not None:
            assert (benefit >= prev - 1e-9).all()
        prev = benefit
    assert prev[-1] == 0  # uninsured


def test_pure_functions_and_schemes():
    ltc = LongTermCare(
        enabled=True,
        schemes=["employee"],
        financing={"employee": {"individual": 10, "pool_transfer": 20, "fiscal": 30}},
        settings={
            "home": {"care_cost": {"3": 1000}, "ratio": 0.5},
            "institution": {"care_cost": {"3": 2000}, "ratio": 0.5, "monthly_limit": {"3": 600}},
        },
    )
    emp = np.array([True, False])
    ins = insured(ltc, emp, np.array([True, True]))
    assert ins.tolist() == [True, False]  # residents not covered in this design
    ind, sub, pool, fis = contributions(ltc, emp, ins, np.zeros(2, dtype=np.int64))
    assert ind.tolist() == [10, 0] and pool.tolist() == [20, 0] and fis.tolist() == [30, 0]
    cost, benefit = care_payment(ltc, np.array([3, 3]), np.array([True, True]), ins)
    assert cost.tolist() == [24_000, 24_000] and benefit.tolist() == [12 * 600, 0]


def test_schema_and_column_errors(jiaxing):
    with pytest.raises(ScenarioError, match="long_term_care"):
        jiaxing.with_changes({"long_term_care.settings.home.ratio": 1.5})
    with pytest.raises(ScenarioError, match="care level 3"):
        jiaxing.with_changes({"long_term_care.settings.home.care_cost": {"1": 1.0}})
    with pytest.raises(PopulationError, match="care_setting"):
        population([person(1, care_setting="hotel")], [])
    # absent columns: nobody needs care; other presets have no fund and zero figures
    res = simulate(population([person(1)], []), jiaxing)
    assert res.summary["ltc_benefit"] == 0 and res.summary["ltc_insured"] == 1


def test_other_presets_have_an_empty_fund(presets):
    res = simulate(population([person(1, care_need=3)], []), presets["linan_2024"])
    assert "ltc_benefit" not in res.persons.columns
    assert res.summary["ltc_income"] == 0 and res.summary["ltc_benefit"] == 0
    row = res.funds[res.funds["fund"] == "long_term_care"].iloc[0]
    assert row["income"] == row["expenditure"] == row["balance"] == 0


def test_projection_indexes_financing_and_prices_to_income(jiaxing):
    """Financing, care prices and limits follow income growth (5.3% in the preset), so year 2's
    income and benefit are year 1's × 1.053 with unchanged weights (all persons under 60)."""
    pop = population(_persons(), [])
    zero = {"enrolment_growth": {"employee": 0.0, "resident": 0.0}, "old_age_weight_growth": 0.0}
    proj = project(pop, jiaxing.with_changes({f"projection.{k}": v for k, v in zero.items()}), years=2)
    f = proj.funds[proj.funds["fund"] == "long_term_care"].set_index("year")
    y0, y1 = jiaxing.year, jiaxing.year + 1
    assert f.loc[y1, "income"] == pytest.approx(f.loc[y0, "income"] * 1.053)
    assert f.loc[y1, "expenditure"] == pytest.approx(f.loc[y0, "expenditure"] * 1.053)


def test_da_bing_wu_you_optional_fiscal_enrolment(jiaxing):
    """二(二)7 积极争取将60岁以上老人、持证残疾人纳入政府资助范围: off in the baseline (a 65-year-old
    takes it up at 75%: out-of-catalogue 35,000 → 50% × (35,000 − 15,000) × 0.75 = 7,500); with
    the option on, uptake 1 → 10,000, and the government pays the 120-yuan premium of each."""
    persons = [person(1, age=65), person(2, disabled=True), person(3)]
    claims = [claim(i, total=35_000.0) for i in (1, 2, 3)]
    pop = population(persons, claims)
    base = simulate(pop, jiaxing)
    assert base.persons["supplement_paid"].tolist() == pytest.approx([7_500, 7_500, 7_500])
    assert base.summary["supplement_fiscal_enrollees"] == 0
    reform = jiaxing.with_changes(
        {"supplement.fiscal_enrolment_min_age": 60, "supplement.fiscal_enrolment_disabled": True}
    )
    res = simulate(pop, reform)
    assert res.persons["supplement_paid"].tolist() == pytest.approx([10_000, 10_000, 7_500])
    assert res.summary["supplement_fiscal_enrollees"] == 2
    assert res.summary["supplement_fiscal_premium"] == pytest.approx(240)


def test_generated_population_has_care_need(jiaxing):
    from simulation import generate_population

    pop = generate_population(jiaxing, persons=20_000, seed=3)
    pp = pop.persons
    assert set(pp["care_need"].unique()) <= {0, 1, 2, 3} and (pp["care_need"] == 3).any()
    assert set(pp["care_setting"].unique()) <= {"home", "institution"}
    old = pp["age"] >= 80
    assert (pp.loc[old, "care_need"] == 3).mean() > (pp.loc[~old, "care_need"] == 3).mean()
    assert isinstance(pp, pd.DataFrame)
    res = simulate(pop, jiaxing)
    share = res.summary["ltc_beneficiaries"] / res.summary["ltc_insured"]
    assert 0.002 < share < 0.015  # about 0.7% nationally (2023 bulletin, R)


def test_compiled_pass_and_sums_on_the_cores_equal_the_rules(jiaxing, monkeypatch):
    """Above PARALLEL_MIN the care pass and its weighted sums run in chunks on the cores: the arrays
    equal the numpy rules (long_term_care) exactly, the sums equal numpy's dot products of the same
    arrays, and serial and parallel sums are the same bits (64 fixed chunks added in order)."""
    from simulation import generate_population, kernels
    from simulation.rules.long_term_care import LTC_PART_KEYS, ltc_parts, year_long_term_care

    pop = generate_population(jiaxing, persons=20_000, seed=6)
    a, ltc = pop.arrays, jiaxing.params.long_term_care
    ref = year_long_term_care(ltc, pop, a.cat_mask, fast=False)
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 0)
    fast = year_long_term_care(ltc, pop, a.cat_mask, fast=True)
    for k in (
        "insured",
        "eligible",
        "cost",
        "benefit",
        "oop",
        "individual",
        "subsidy",
        "pool_transfer",
        "fiscal",
    ):
        np.testing.assert_array_equal(getattr(fast, k), getattr(ref, k), err_msg=k)
    w = a.weight
    dots = {
        "ltc_insured": w @ ref.insured, "ltc_beneficiaries": w @ (ref.benefit > 0), "ltc_cost": w @ ref.cost,
        "ltc_benefit": w @ ref.benefit, "ltc_oop": w @ ref.oop, "ltc_individual": w @ ref.individual,
        "ltc_pool_transfer": w @ ref.pool_transfer,
        "ltc_pool_transfer_employee": (w * a.employee) @ ref.pool_transfer,
        "ltc_contribution_subsidy": w @ ref.subsidy, "ltc_fiscal": w @ ref.fiscal + w @ ref.subsidy,
    }  # fmt: skip
    parallel = ltc_parts(fast, w)
    assert parallel.keys() == dots.keys() == set(LTC_PART_KEYS)
    for k, v in dots.items():
        assert parallel[k] == pytest.approx(v, rel=1e-12) and v > 0, k
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 10**9)
    assert ltc_parts(fast, w) == parallel
