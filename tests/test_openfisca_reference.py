"""The core chain written as OpenFisca variables (benchmarks/openfisca_reference.py) gives the same
totals as `simulate` with the tiers outside the chain switched off (issue #7).

Needs the dev requirement openfisca-core (requirements-dev.txt); skipped without it.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("openfisca_core")

from benchmarks.openfisca_reference import (
    TIERS,
    check_supported,
    core_scenario,
    engine_totals,
    reference_totals,
)
from simulation import Population, generate_population, load_scenario

RTOL = 1e-9


@pytest.fixture(scope="module")
def linan():
    scn = core_scenario("linan_2024")
    pop = generate_population(scn, persons=5_000, seed=11)
    # harder cases than the generator makes: two categories at once (就高) and uninsured persons
    persons = pop.persons.astype({"category": object})
    rng = np.random.default_rng(0)
    idx = rng.choice(len(persons), 400, replace=False)
    persons.loc[persons.index[idx[:200]], "category"] = ["dibao|dibian", "tekun|dibao"] * 100
    persons.loc[persons.index[idx[200:]], "enrolled"] = False
    return scn, Population(persons, pop.claims)


def _assert_same(ref, ours):
    for k in TIERS:
        assert ref[k] == pytest.approx(ours[k], rel=RTOL, abs=0.0), k


def test_core_chain_totals_equal(linan):
    scn, pop = linan
    ref, ours = reference_totals(pop, scn), engine_totals(pop, scn)
    _assert_same(ref, ours)
    assert all(ours[k] > 0 for k in TIERS)  # every tier is exercised, including the household cap


@pytest.mark.parametrize(
    "change",
    [
        {"family_cap.cap.dibao": 10_000},
        {"medical_assistance.inpatient_ratio.dibian": 0.5},
        {"critical_illness.terms.threshold": 10_000},
        {"basic_insurance.resident.outpatient.deductible": 600},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_reform_moves_both_the_same_way(linan, change):
    """A perturbed parameter changes the totals, and OpenFisca follows (so the test can fail)."""
    scn, pop = linan
    base = engine_totals(pop, scn)
    reform = scn.with_changes(change)
    ours = engine_totals(pop, reform)
    assert any(abs(ours[k] - base[k]) > 1.0 for k in TIERS), "the change must move a total"
    _assert_same(reference_totals(pop, reform), ours)
    # and the reference computed with the old parameters no longer matches the reform's totals
    stale = reference_totals(pop, scn)
    assert any(not np.isclose(stale[k], ours[k], rtol=RTOL, atol=0.0) for k in TIERS)


def test_other_presets_core_chain():
    """Shuozhou (outpatient fund cap, assistance deductible) through the same variables."""
    scn = core_scenario("shuozhou_2021")
    pop = generate_population(scn, persons=3_000, seed=5)
    _assert_same(reference_totals(pop, scn), engine_totals(pop, scn))


def test_features_outside_the_chain_are_refused():
    with pytest.raises(NotImplementedError, match="supplement"):
        check_supported(load_scenario("linan_2024").params)
    with pytest.raises(NotImplementedError, match="special_terms"):
        check_supported(core_scenario("bijie_2019").params)
