"""Fund projection: balance identities, growth compounding, deposit/margin arithmetic by hand."""

import numpy as np
import pandas as pd
import pytest

from simulation import ScenarioError, simulate
from simulation.cli import main
from simulation.funds import FUNDS
from simulation.projection import ProjectionConfig, poverty_step, project, projection_config
from tests.conftest import claim, person, population


@pytest.fixture
def shuozhou(presets):
    return presets["shuozhou_2021"]


def small_pop():
    persons = [
        person(1, scheme="employee", age=45, income=60_000.0),
        person(2, age=70, income=20_000.0),
        person(3, category="dibao", income=8_000.0),
        person(4, age=30, income=30_000.0),
    ]
    claims = [
        claim(1, level=3, policy=20_000.0, total=25_000.0),
        claim(2, level=2, policy=60_000.0, total=70_000.0),
        claim(3, level=1, policy=10_000.0),
        claim(4, setting="outpatient", level=1, policy=1_000.0),
    ]
    return population(persons, claims)


def flat(scn, **extra):
    """No growth at all: every year repeats the first."""
    zero = dict(
        medical_cost_growth=0.0,
        income_growth=0.0,
        enrolment_growth={"employee": 0.0, "resident": 0.0},
        old_age_weight_growth=0.0,
        employee_contribution_growth=0.0,
        resident_individual_growth=0.0,
        resident_subsidy_growth=0.0,
        assistance_fiscal_growth=0.0,
    )
    zero.update(extra)
    return scn.with_changes({"projection": zero}) if "projection" in scn.raw else _add(scn, zero)


def _add(scn, section):
    from simulation.scenario import Scenario

    raw = scn.to_dict()
    raw["projection"] = section
    return Scenario(raw, scn.path)


def test_balance_identity_every_year_and_fund(presets):
    for name in ("linan_2024", "shuozhou_2021", "jiaxing_2025"):
        proj = project(small_pop(), presets[name], years=4)
        f = proj.funds
        assert list(f["fund"].unique()) == list(FUNDS)
        assert len(f) == 4 * len(FUNDS)
        np.testing.assert_allclose(f["balance"], f["opening"] + f["income"] - f["expenditure"], atol=1e-6)
        for fund in FUNDS:  # each year opens with last year's balance
            g = f[f["fund"] == fund]
            np.testing.assert_allclose(g["opening"].to_numpy()[1:], g["balance"].to_numpy()[:-1])
        # critical illness: the balance is the quality deposit held
        ci = f[f["fund"] == "critical_illness"]
        np.testing.assert_allclose(ci["balance"], ci["deposit_withheld"])
        s = proj.summaries
        spend = f[f["fund"] == "employee_pool"]["expenditure"].to_numpy()
        np.testing.assert_allclose(
            f[f["fund"] == "employee_pool"]["months_payable"],
            12 * f[f["fund"] == "employee_pool"]["balance"] / spend,
        )
        assert len(s) == 4


def test_first_year_matches_one_year_flows_by_hand(shuozhou):
    # Shuozhou: resident-only 大病保险 at 100 yuan; 3 residents enrolled, 1 employee
    scn = flat(shuozhou)
    proj = project(small_pop(), scn, years=2)
    res = proj.results[0]
    p = scn.params
    f = proj.funds.set_index(["year", "fund"])
    y0 = scn.year
    emp = f.loc[(y0, "employee_pool")]
    assert emp["income"] == pytest.approx(p.financing.employee_per_capita)
    assert emp["expenditure"] == pytest.approx(res.persons.loc[1, "basic_paid"])
    assert emp["opening"] == pytest.approx(
        p.financing.opening_reserve_months["employee_pool"] * emp["expenditure"] / 12
    )
    prem = 100.0 * 3
    s = res.summary
    assert s["insurer_premium"] == pytest.approx(prem)
    resid = f.loc[(y0, "resident_pool")]
    assert resid["income"] == pytest.approx(
        3 * (p.financing.resident_individual + p.financing.resident_subsidy) + s["insurer_surplus_returned"]
    )
    basic_res = res.persons.loc[[2, 3, 4], "basic_paid"].sum()
    assert resid["expenditure"] == pytest.approx(basic_res + prem + s["insurer_loss_compensation"])
    asst = f.loc[(y0, "assistance")]
    assert asst["income"] == pytest.approx(4 * p.financing.assistance_fiscal_per_capita)
    assert asst["expenditure"] == pytest.approx(s["assistance_paid"] + s["premium_subsidy"])
    # no growth: the second year has the same flows
    y1 = f.xs(y0 + 1, level="year")
    np.testing.assert_allclose(y1["income"], f.xs(y0, level="year")["income"])


def test_deposit_and_margin_arithmetic(shuozhou):
    # claims far below the premium: the margin is capped at 5%, the rest returned; deposit 10%
    persons = [person(i) for i in range(1, 11)]
    scn = flat(shuozhou)
    proj = project(population(persons, [claim(1, level=1, policy=100.0)]), scn, years=3)
    s = proj.results[0].summary
    premium = 10 * 100.0
    assert s["insurer_premium"] == pytest.approx(premium)
    assert s["insurer_margin"] == pytest.approx(0.05 * premium)
    assert s["insurer_surplus_returned"] == pytest.approx(premium - s["insurer_claims"] - 0.05 * premium)
    assert s["quality_deposit"] == pytest.approx(0.10 * premium)
    ci = proj.funds[proj.funds["fund"] == "critical_illness"].reset_index(drop=True)
    # year 0 opens with last year's deposit (steady state) and releases it
    assert ci.loc[0, "opening"] == pytest.approx(100.0)
    assert ci.loc[0, "deposit_released"] == pytest.approx(100.0)
    assert ci.loc[1, "deposit_released"] == pytest.approx(100.0)
    assert ci["balance"].tolist() == pytest.approx([100.0] * 3)
    # expenditure = claims + surplus + margin − this year's deposit + last year's released
    assert ci.loc[1, "expenditure"] == pytest.approx(
        s["insurer_claims"] + s["insurer_surplus_returned"] + 50.0
    )


def test_deposit_forfeited_goes_back_to_the_resident_pool(shuozhou):
    persons = [person(i) for i in range(1, 11)]
    pop = population(persons, [claim(1, level=1, policy=100.0)])
    kept = project(pop, flat(shuozhou), years=2).funds.set_index(["year", "fund"])
    lost = project(pop, flat(shuozhou).with_changes({"critical_illness.deposit_released": False}), years=2)
    lost = lost.funds.set_index(["year", "fund"])
    y = shuozhou.year + 1
    assert lost.loc[(y, "resident_pool"), "income"] - kept.loc[
        (y, "resident_pool"), "income"
    ] == pytest.approx(100.0)
    assert lost.loc[(y, "critical_illness"), "deposit_released"] == 0.0


def test_an_operating_loss_is_the_insurers(shuozhou):
    # claims above the premium on the contract's own policy: 经营性亏损由承保公司全部承担 (朔州 六(四)),
    # the fund adds nothing
    scn = flat(shuozhou)
    persons = [person(1), person(2)]
    proj = project(population(persons, [claim(1, level=1, policy=400_000.0)]), scn, years=1)
    s = proj.results[0].summary
    premium = 200.0
    assert s["insurer_loss_compensation"] == 0.0
    assert s["insurer_margin"] == pytest.approx(premium - s["insurer_claims"])
    ci = proj.funds[proj.funds["fund"] == "critical_illness"].iloc[0]
    assert ci["income"] == pytest.approx(premium)


def test_growth_compounds(shuozhou):
    scn = flat(shuozhou, medical_cost_growth=0.10, resident_subsidy_growth=0.05)
    pop = small_pop()
    proj = project(pop, scn, years=4)
    tc = proj.summaries["total_cost"].to_numpy()
    np.testing.assert_allclose(tc, tc[0] * 1.1 ** np.arange(4))
    sub = scn.params.financing.resident_subsidy
    res_fiscal = proj.funds[proj.funds["fund"] == "resident_pool"]["fiscal_income"].to_numpy()
    np.testing.assert_allclose(res_fiscal, 3 * sub * 1.05 ** np.arange(4))


def test_per_year_rate_series_compounds(shuozhou):
    scn = flat(shuozhou, medical_cost_growth={2022: 0.10, 2024: 0.0})
    tc = project(small_pop(), scn, years=5).summaries["total_cost"].to_numpy()
    np.testing.assert_allclose(tc / tc[0], [1, 1.1, 1.21, 1.21, 1.21])


def test_phased_reform_series_wins_over_growth(shuozhou):
    scn = flat(shuozhou, resident_subsidy_growth=0.5).with_changes(
        {"financing.resident_subsidy": {2021: 580, 2022: 610, 2023: 640}}
    )
    f = project(small_pop(), scn, years=3).funds
    np.testing.assert_allclose(f[f["fund"] == "resident_pool"]["fiscal_income"], [3 * 580, 3 * 610, 3 * 640])


def test_enrolment_and_ageing_reweight(shuozhou):
    scn = flat(shuozhou, enrolment_growth={"employee": 0.1, "resident": -0.1}, old_age_weight_growth=0.2)
    proj = project(small_pop(), scn, years=2)
    w = proj.results[1]._y.population.arrays.weight
    assert w[0] == pytest.approx(1.1)  # the one employee
    assert w[1:].sum() == pytest.approx(3 * 0.9)  # residents total
    assert w[1] / w[3] == pytest.approx(1.2)  # the 70-year-old gains against the 30-year-old


def test_no_growth_keeps_every_weight_exactly(presets):
    # grown by nothing, each scheme is scaled to its own total: by exactly 1.0
    from simulation import generate_population

    scn = flat(presets["linan_2024"])
    pop = generate_population(scn, 50_000, seed=3)
    proj = project(pop, scn, years=2)
    for r in proj.results[1:]:
        np.testing.assert_array_equal(r._y.population.arrays.weight, pop.arrays.weight)
    assert proj.summaries["persons"].nunique() == 1


def test_charity_fund_and_fiscal_share(presets):
    scn = flat(presets["linan_2024"])
    proj = project(small_pop(), scn, years=2)
    fin = scn.params.financing
    ch = proj.funds[proj.funds["fund"] == "charity"].iloc[0]
    assert ch["income"] == pytest.approx(
        4 * (fin.charity_donations_per_capita + fin.charity_fiscal_per_capita)
    )
    share = proj.summaries["charity_fiscal_share"].iloc[0]
    assert share == pytest.approx(5 / 15)
    assert share <= fin.charity_fiscal_share_max + 1e-9


def test_utilisation_response_off_by_default_and_lowers_spending_when_prices_rise(shuozhou):
    pop = small_pop()
    base = project(pop, flat(shuozhou), years=1)
    assert not projection_config(shuozhou).behaviour.utilisation_response
    # a reform that raises the resident OOP price, measured against the status quo
    reform = flat(shuozhou, behaviour={"utilisation_response": True}).with_changes(
        {"basic_insurance.resident.inpatient.ratio": 0.3}
    )
    static = project(
        pop, flat(shuozhou).with_changes({"basic_insurance.resident.inpatient.ratio": 0.3}), years=1
    )
    resp = project(pop, reform, years=1, reference=shuozhou)
    assert resp.summaries["total_cost"].iloc[0] < static.summaries["total_cost"].iloc[0]
    assert static.summaries["total_cost"].iloc[0] == pytest.approx(base.summaries["total_cost"].iloc[0])


def test_poverty_transitions_move_categories():
    from simulation.projection import Behaviour

    beh = Behaviour(
        poverty_transitions=True, entry={"dibao": 1.0}, exit={"dibao": 1.0}, entry_income_quantile=0.5
    )
    cat = np.array([0, 0, 4, 4], dtype=np.int64)  # bit 4 = dibao
    hh = np.array([0, 0, 1, 2])
    pc = np.array([1000.0, 50_000.0, 900.0])
    out = poverty_step(cat, hh, 3, pc, beh, ["none", "dibao"], np.random.default_rng(0))
    # household 0 (poorest, no category) enters; households 1, 2 leave
    assert out.tolist() == [4, 4, 0, 0]


def test_projection_section_validated(shuozhou):
    # refused when the scenario is built (loaded or changed), before any projection runs
    with pytest.raises(ScenarioError, match="medical_cost_growht"):
        _add(shuozhou, {"medical_cost_growht": 0.05})
    assert ProjectionConfig().behaviour.elasticity == -0.2


def test_result_funds_is_the_lazy_projection(shuozhou):
    res = simulate(small_pop(), shuozhou)
    assert "funds" not in res.__dict__
    f = res.funds
    horizon = projection_config(shuozhou).horizon_years
    assert len(f) == horizon * len(FUNDS)
    assert {"year", "fund", "income", "expenditure", "balance"} <= set(f.columns)
    assert f["year"].min() == shuozhou.year


def test_presets_projection_sections_validate(presets):
    for scn in presets.values():
        projection_config(scn)


def test_cli_project(monkeypatch, capsys, presets):
    import simulation.cli as cli

    monkeypatch.setattr(cli, "population_from_args", lambda args, scn: small_pop())
    assert main(["project", "linan_2024", "--years", "3"]) == 0
    out = capsys.readouterr().out
    assert "暖心基金" in out and "综合保障率" in out
    assert main(["project", "linan_2024", "--years", "0"]) == 2


def test_released_years_rebuild_bit_equal(presets, monkeypatch):
    """A projection keeps each year's summary and fund rows and releases the arrays; a year asked
    for again is run again, equal bit for bit to the year as first simulated (utilisation response
    and poverty transitions on, so every year has its own derived population)."""
    from simulation import generate_population
    from simulation.result import Result

    scn = presets["bijie_2019"].with_changes(
        {"projection.behaviour.utilisation_response": True, "projection.behaviour.poverty_transitions": True}
    )
    pop = generate_population(scn, 3000, seed=5)
    reform = scn.with_changes({"basic_insurance.resident.inpatient.ratio": 0.5})
    proj = project(pop, reform, years=3, seed=2, reference=scn)
    assert all(r._arrays is None and "_person_arrays" not in r.__dict__ for r in proj.results)
    monkeypatch.setattr(Result, "_release", lambda self, rebuild: None)
    kept = project(pop, reform, years=3, seed=2, reference=scn)
    pd.testing.assert_frame_equal(proj.funds, kept.funds, check_exact=True)
    pd.testing.assert_frame_equal(proj.summaries, kept.summaries, check_exact=True)
    for r, k in zip(proj.results, kept.results):
        assert r._arrays is None
        for table in ("persons", "households", "claims"):
            pd.testing.assert_frame_equal(getattr(r, table), getattr(k, table), check_exact=True)
        assert r._arrays is not None  # rebuilt, and kept until released again


def test_projection_does_not_release_the_callers_first_year(shuozhou):
    res = simulate(small_pop(), shuozhou)
    persons = res.persons
    proj = project(small_pop(), shuozhou, years=2, first_result=res)
    assert proj.results[0] is res and res._arrays is not None and res.persons is persons
    assert proj.results[1]._arrays is None


def test_the_cap_is_paid_the_year_after(presets):
    # 临安 封顶制方案 二(三) 对其上一年度承担的合理医疗费用: year t's cap payments leave the charity fund in
    # year t+1; the first year pays the year before's, taken equal to its own (steady state)
    linan = presets["linan_2024"].with_changes(
        {"supplement.enabled": False, "family_cap.negative_list_share": 0.0}
    )
    persons = [person(1, category="dibao"), person(2)]
    pop = population(persons, [claim(1, level=1, total=40_000.0)])  # out-of-catalogue: cap 10,000
    proj = project(pop, flat(linan, medical_cost_growth=0.10), years=3)
    cap = [r.summary["cap_paid"] for r in proj.results]
    assert cap[0] == pytest.approx(10_000.0)  # 40,000 − 30,000 (低保家庭)
    assert cap[1] == pytest.approx(14_000.0)  # 44,000 − 30,000: costs grown 10%
    charity = proj.funds[proj.funds["fund"] == "charity"].set_index("year")["expenditure"]
    years = list(proj.years)
    assert charity[years[0]] == pytest.approx(cap[0])  # steady state: last year's payments as this year's
    assert charity[years[1]] == pytest.approx(cap[0])  # year 2 pays year 1's 10,000
    assert charity[years[2]] == pytest.approx(cap[1])  # year 3 pays year 2's 14,000
    same_year = flat(linan.with_changes({"family_cap.paid_next_year": False}), medical_cost_growth=0.10)
    paid_now = project(pop, same_year, years=2)
    now = paid_now.funds[paid_now.funds["fund"] == "charity"].set_index("year")["expenditure"]
    assert now[years[1]] == pytest.approx(cap[1])


def test_exhaustion_years_and_active_funds():
    import pandas as pd

    from simulation.funds import active_funds, exhaustion_years

    funds = pd.DataFrame(
        [
            # (year, fund, opening, income, expenditure, balance)
            (2025, "assistance", 10.0, 5.0, 8.0, 7.0),
            (2026, "assistance", 7.0, 5.0, 8.0, 4.0),
            (2027, "assistance", 4.0, 5.0, 10.0, -1.0),  # runs out in 2027
            (2025, "charity", 1.0, 2.0, 1.0, 2.0),
            (2026, "charity", 2.0, 2.0, 1.0, 3.0),
            (2027, "charity", 3.0, 2.0, 1.0, 4.0),
            (2025, "long_term_care", 0.0, 0.0, 0.0, 0.0),  # no such fund in the scenario
            (2026, "long_term_care", 0.0, 0.0, 0.0, 0.0),
            (2027, "long_term_care", 0.0, 0.0, 0.0, 0.0),
        ],
        columns=["year", "fund", "opening", "income", "expenditure", "balance"],
    )
    ex = exhaustion_years(funds)
    assert list(ex.index) == ["assistance", "charity", "long_term_care"]  # FUNDS order
    assert ex["assistance"] == 2027
    assert np.isnan(ex["charity"]) and np.isnan(ex["long_term_care"])
    assert active_funds(funds) == ["assistance", "charity"]
