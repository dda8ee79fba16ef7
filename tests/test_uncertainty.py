"""Monte Carlo: percentile bands and exhaustion probabilities."""

import numpy as np
import pytest

from simulation.funds import FUNDS
from simulation.uncertainty import monte_carlo
from tests.conftest import claim, person, population


def factory(seed):
    rng = np.random.default_rng(seed)
    persons = [person(i, income=30_000.0, category="dibao" if i == 1 else "none") for i in range(1, 6)]
    claims = [claim(i, level=2, policy=float(rng.uniform(1_000, 50_000))) for i in range(1, 6)]
    return population(persons, claims)


def test_bands_and_exhaustion(presets):
    scn = presets["shuozhou_2021"]
    mc = monte_carlo(scn, draws=12, years=3, seed=3, populations=4, population_factory=factory)
    assert len(mc.assumptions) == 12 and mc.assumptions["seed"].nunique() == 4
    assert set(mc.bands["fund"]) == set(FUNDS)
    assert len(mc.bands) == 3 * len(FUNDS)
    assert (mc.bands["p10"] <= mc.bands["p50"] + 1e-9).all() and (
        mc.bands["p50"] <= mc.bands["p90"] + 1e-9
    ).all()
    lo, hi = 0.03, 0.11
    assert mc.assumptions["medical_cost_growth"].between(lo, hi).all()
    # exhaustion probability = share of draws whose balance goes below zero, by hand
    for fund in FUNDS:
        d = mc.draws[mc.draws["fund"] == fund]
        p = (d.groupby("draw")["balance"].min() < 0).mean()
        assert mc.exhaustion[fund] == pytest.approx(p)


def test_a_fund_that_always_runs_out(presets):
    # no assistance budget at all: a dibao member's assistance exhausts the fund in every draw
    scn = presets["shuozhou_2021"].with_changes(
        {"financing.assistance_fiscal_per_capita": 0.0, "financing.opening_reserve_months.assistance": 0.0}
    )
    mc = monte_carlo(scn, draws=3, years=2, population_factory=factory)
    assert mc.exhaustion["assistance"] == 1.0


def test_with_the_generator(presets):
    pytest.importorskip("simulation.population", reason="generator")
    from simulation import population as popmod

    if not hasattr(popmod, "generate_population"):
        pytest.skip("generate_population not available yet")
    mc = monte_carlo(presets["linan_2024"], persons=2_000, draws=3, years=2, seed=1)
    assert len(mc.bands) == 2 * len(FUNDS)
    assert mc.assumptions["seed"].nunique() == 3


def test_exhaustion_by_year_by_hand():
    import pandas as pd

    from simulation.uncertainty import exhaustion_by_year

    # draw 0 runs out in 2026 and recovers in 2027 (still counted), draw 1 in 2027, draw 2 never
    rows = []
    for draw, balances in enumerate(([5.0, -1.0, 3.0], [5.0, 2.0, -4.0], [1.0, 1.0, 1.0])):
        for year, b in zip((2025, 2026, 2027), balances):
            rows.append({"draw": draw, "year": year, "fund": "assistance", "balance": b})
            rows.append({"draw": draw, "year": year, "fund": "charity", "balance": 1.0})
    p = exhaustion_by_year(pd.DataFrame(rows))
    assert list(p.columns) == ["assistance", "charity"]
    assert p["assistance"].tolist() == pytest.approx([0.0, 1 / 3, 2 / 3])
    assert p["charity"].tolist() == pytest.approx([0.0, 0.0, 0.0])


def test_exhaustion_by_year_ends_at_exhaustion(presets):
    scn = presets["shuozhou_2021"].with_changes(
        {"financing.assistance_fiscal_per_capita": 0.0, "financing.opening_reserve_months.assistance": 0.0}
    )
    mc = monte_carlo(scn, draws=4, years=3, seed=1, populations=2, population_factory=factory)
    by_year = mc.exhaustion_by_year
    assert list(by_year.index) == sorted(set(mc.draws["year"]))
    assert (by_year.diff().fillna(0.0) >= 0).all().all()  # cumulative: never falls
    for fund in by_year.columns:
        assert by_year[fund].iloc[-1] == pytest.approx(mc.exhaustion[fund])
