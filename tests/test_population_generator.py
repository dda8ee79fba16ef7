"""Synthetic population: determinism, weights, structure, tail share, spec errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import ScenarioError, generate_population, load_scenario, simulate
from simulation.calibration import top_share
from simulation.population.model import validate_claims, validate_persons

PRESETS = ["shanghai_2023", "linan_2024", "bijie_2019", "shuozhou_2021", "jiaxing_2025"]
N = 20_000


@pytest.fixture(scope="module")
def sh():
    return load_scenario("shanghai_2023")


@pytest.fixture(scope="module")
def sh_pop(sh):
    return generate_population(sh, persons=N, seed=5)


def test_deterministic_for_a_seed(sh, sh_pop):
    again = generate_population(sh, persons=N, seed=5)
    pd.testing.assert_frame_equal(sh_pop.persons, again.persons)
    pd.testing.assert_frame_equal(sh_pop.claims, again.claims)
    other = generate_population(sh, persons=N, seed=6)
    assert not other.claims["total_cost"].equals(sh_pop.claims["total_cost"])


def test_chunked_generation_is_deterministic_and_complete(sh):
    a = generate_population(sh, persons=5_000, seed=1, chunk_persons=2_000)
    b = generate_population(sh, persons=5_000, seed=1, chunk_persons=2_000)
    pd.testing.assert_frame_equal(a.claims, b.claims)
    assert len(a.persons) == 5_000 and a.persons["person_id"].is_unique
    assert set(a.claims["person_id"]) <= set(a.persons["person_id"])
    # households do not straddle chunks
    assert a.persons.groupby("household_id")["person_id"].count().max() <= 8


@pytest.mark.parametrize("name", PRESETS)
def test_weighted_total_is_the_insured_population(name):
    scn = load_scenario(name)
    pop = generate_population(scn, persons=3_000, seed=2)
    insured = scn.params.population["insured"]
    assert pop.persons["weight"].sum() == pytest.approx(insured, rel=1e-9)
    res = simulate(pop, scn)
    assert res.summary["persons"] == pytest.approx(insured, rel=1e-9)


def test_canonical_columns_survive_validation(sh_pop):
    """Generated tables are already in the form validation produces."""
    p, _ = validate_persons(sh_pop.persons)
    pd.testing.assert_frame_equal(p, sh_pop.persons)
    c = validate_claims(sh_pop.claims, sh_pop.persons["person_id"].to_numpy())
    pd.testing.assert_frame_equal(c, sh_pop.claims)
    assert (sh_pop.claims["policy_cost"] <= sh_pop.claims["total_cost"]).all()
    assert sh_pop.claims["month"].between(1, 12).all()


def test_households_ages_schemes(sh_pop):
    p = sh_pop.persons
    size = p.groupby("household_id").size()
    assert 2.0 < size.mean() < 2.7 and size.max() <= 8
    assert p["age"].between(0, 100).all()
    assert (p.loc[p["age"] < 18, "scheme"] == "resident").all()
    # urban working-age persons are mostly employees in Shanghai
    work = p[(p["age"].between(18, 59)) & p["urban"]]
    assert (work["scheme"] == "employee").mean() > 0.7


def test_poverty_concentrated_in_households_older_and_sicker(sh_pop):
    p = sh_pop.persons
    poor = p["category"] != "none"
    # household categories are shared by all members (orphan is a person category)
    hh_part = p["category"].str.replace(r"\|?orphan", "", regex=True).replace("", "none")
    assert hh_part.groupby(p["household_id"]).nunique().max() == 1
    assert p.loc[poor, "age"].mean() > p.loc[~poor, "age"].mean()
    adm = sh_pop.claims[sh_pop.claims["setting"] == "inpatient"].groupby("person_id").size()
    rate = p["person_id"].map(adm).fillna(0)
    assert rate[poor].mean() > rate[~poor].mean()
    assert p.loc[poor, "income"].mean() < 0.5 * p.loc[~poor, "income"].mean()


def test_bijie_is_poorer_and_more_rural_than_shanghai(sh_pop):
    bj = generate_population(load_scenario("bijie_2019"), persons=N, seed=5)
    b, s = bj.persons, sh_pop.persons
    assert (b["category"] != "none").mean() > 5 * (s["category"] != "none").mean()
    assert b["category"].str.contains("poverty_registered").mean() > 0.1
    assert b["income"].mean() < 0.3 * s["income"].mean()
    assert (b["scheme"] == "employee").mean() < 0.15 < 0.7 < (s["scheme"] == "employee").mean()
    assert (~b["urban"]).mean() > (~s["urban"]).mean()


def test_tail_share_matches_evidence(sh):
    pop = generate_population(sh, persons=60_000, seed=9)
    c = pop.claims[pop.claims["setting"] == "inpatient"]
    per = c.groupby("person_id")["total_cost"].sum().to_numpy()
    top10 = top_share(per, np.ones(len(per)), 0.10)
    assert 0.43 <= top10 <= 0.55  # Fan et al. 2022: top 10% of inpatients ~49%
    allc = pop.claims.groupby("person_id")["total_cost"].sum().to_numpy()
    assert 0.12 <= top_share(allc, np.ones(len(allc)), 0.01) <= 0.26
    # heavy right tail: the largest admission is far above the mean
    assert c["total_cost"].max() > 20 * c["total_cost"].mean()


def test_top_share_helper():
    v = np.array([100.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    assert top_share(v, np.ones(len(v)), 0.1) == pytest.approx(100 / 109)
    assert top_share(np.ones(10), np.ones(10), 0.1) == pytest.approx(0.1)


def test_missing_or_bad_population_section(sh):
    raw = sh.to_dict()
    raw.pop("population")
    from simulation.scenario import Scenario

    bare = Scenario(raw, "bare.yaml")
    with pytest.raises(ScenarioError, match=r"bare.yaml: population: the scenario has no population section"):
        generate_population(bare, persons=100)
    # a bad section is refused when the scenario is changed or loaded, before any generation
    with pytest.raises(ScenarioError, match=r"population\.inpatient\.sigma"):
        sh.with_changes({"population.inpatient.sigma": -1})
    with pytest.raises(ScenarioError, match=r"population\.households\.kids: unknown key"):
        sh.with_changes({"population.households": {"mean_size": 2.3, "head_age": {"18-100": 1}, "kids": 1}})
    with pytest.raises(ScenarioError, match=r"population\.inpatient\.age_profile.*gaps"):
        sh.with_changes({"population.inpatient.age_profile": {"0-50": 1.0, "60-100": 2.0}})
    with pytest.raises(ScenarioError, match=r"population\.outpatient\.level_share\.9: hospital level '9'"):
        sh.with_changes({"population.outpatient.level_share": {"1": 0.5, "9": 0.5}})


@pytest.mark.parametrize("persons", [0, -5, 2.5, True])
def test_bad_persons_argument(sh, persons):
    from simulation import PopulationError

    with pytest.raises(PopulationError, match="persons must be a positive integer"):
        generate_population(sh, persons=persons)
