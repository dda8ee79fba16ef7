"""Jiaxing long-term care insurance (嘉兴 共富方案 二(二)6): what is not a hand case.

The text sets the design (独立险种, 覆盖全民、城乡一体, 多方筹资, 重度失能人员"一个不漏""应享尽享");
the amounts are the preset's stated assumptions: 10 months of care a year; home care 80% of a
monthly package (level 3: 1,350, limit 1,200); institutional care 70% (level 3: 2,400, limit 1,500);
financing per head: employees 60 individual + 60 from the pool; residents 40 + 30 pool + 50 fiscal.
The hand calculations (benefits, financing, the fund's account, a wider eligibility) are data in
tests/cases/jiaxing_2025/long_term_care.yaml, and the optional 大病无忧 fiscal enrolment (二(二)7)
in tests/cases/jiaxing_2025/supplement.yaml (run by test_cases.py).
"""

import numpy as np
import pandas as pd
import pytest

from simulation import PopulationError, ScenarioError, simulate
from simulation.parameters import LongTermCare
from simulation.projection import project
from simulation.rules.long_term_care import care_year, contribution, financing_item, insured, monthly_tables
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


def test_care_is_not_a_medical_claim(jiaxing):
    """独立险种: care has its own columns and fund; the medical tiers and the identity (each tier's
    payment + OOP = total cost) are untouched by it (the care figures are cases in
    tests/cases/jiaxing_2025/long_term_care.yaml)."""
    res = simulate(population(_persons(), [claim(1, policy=1_000.0)]), jiaxing)
    p = res.persons
    assert not any(c.startswith("ltc_") and c.endswith("_paid") for c in p.columns)
    paid = p[[c for c in p.columns if c.endswith("_paid")]].sum(axis=1)
    np.testing.assert_allclose(paid + p["oop"], p["total_cost"], atol=0.01)


def _care(ltc, need, institution, is_insured):
    """(cost, benefit) of a year of care per person, from the rules (rules.long_term_care)."""
    cost_m, benefit_m = monthly_tables(ltc)
    out = [
        care_year(ltc.months, cost_m[int(i), n], benefit_m[int(i), n], ok)
        for n, i, ok in zip(need, institution, is_insured)
    ]
    return np.array([c for c, _, _ in out]), np.array([b for _, b, _ in out])


def test_generosity_is_monotone_and_never_negative(jiaxing):
    need = np.array([0, 1, 2, 3, 3, 3])
    inst = np.array([False, False, True, False, True, True])
    ok = np.array([True, True, True, True, True, False])
    ltc = jiaxing.params.long_term_care
    prev = None
    for ratio in (0.0, 0.3, 0.7, 0.9, 1.0):
        settings = {k: v.model_copy(update={"ratio": ratio}) for k, v in ltc.settings.items()}
        cost, benefit = _care(ltc.model_copy(update={"settings": settings}), need, inst, ok)
        assert (benefit >= 0).all() and (benefit <= cost + 1e-9).all()
        if prev is not None:
            assert (benefit >= prev - 1e-9).all()
        prev = benefit
    assert prev[-1] == 0  # uninsured


def test_rules_and_schemes():
    ltc = LongTermCare(
        enabled=True,
        schemes=["employee"],
        financing={"employee": {"individual": 10, "pool_transfer": 20, "fiscal": 30}},
        settings={
            "home": {"care_cost": {"3": 1000}, "ratio": 0.5},
            "institution": {"care_cost": {"3": 2000}, "ratio": 0.5, "monthly_limit": {"3": 600}},
        },
    )
    covered = [s in ltc.schemes for s in ("employee", "resident")]
    ins = [insured(True, covered[0]), insured(True, covered[1])]
    assert ins == [True, False]  # residents not covered in this design
    assert [contribution(10.0, ok, False) for ok in ins] == [(10.0, 0.0), (0.0, 0.0)]
    assert contribution(10.0, True, True) == (0.0, 10.0)  # 资助参保 pays a subsidised person's part
    assert [financing_item(20.0, ok) for ok in ins] == [20.0, 0.0]
    cost, benefit = _care(ltc, [3, 3], [True, True], ins)
    # 12 months x 2,000; the fund pays min(50% x 2,000, 600) a month, insured only
    assert cost.tolist() == [24_000, 24_000] and benefit.tolist() == [12 * 600, 0]


def test_schema_and_column_errors(jiaxing):
    with pytest.raises(ScenarioError, match="long_term_care"):
        jiaxing.with_changes({"long_term_care.settings.home.ratio": 1.5})
    with pytest.raises(ScenarioError, match="care level 3"):
        jiaxing.with_changes({"long_term_care.settings.home.care_cost": {"1": 1.0}})
    with pytest.raises(PopulationError, match="care_setting"):
        population([person(1, care_setting="hotel")], [])


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


def test_compiled_pass_and_sums_on_the_cores_equal_serial(jiaxing, monkeypatch):
    """Above PARALLEL_MIN the care pass and its weighted sums run in chunks on the cores: the arrays
    equal the serial pass exactly, the sums equal numpy's dot products of the same arrays, and serial
    and parallel sums are the same bits (64 fixed chunks added in order)."""
    from simulation import generate_population, kernels
    from simulation.engine import _long_term_care
    from simulation.result import ltc_parts
    from simulation.rules.long_term_care import LTC_PART_KEYS

    pop = generate_population(jiaxing, persons=20_000, seed=6)
    a, ltc = pop.arrays, jiaxing.params.long_term_care
    ref = _long_term_care(ltc, pop, a.cat_mask)
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 0)
    fast = _long_term_care(ltc, pop, a.cat_mask)
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
