"""Goal-seek against answers known in closed form, and an honest 'out of reach'."""

import pytest

from simulation import simulate
from simulation.goal_seek import goal_seek
from tests.conftest import claim, person, population

RATIO = "medical_assistance.inpatient_ratio.dibao"
THRESHOLD = "critical_illness.terms.threshold"


@pytest.fixture
def linan(presets):
    return presets["linan_2024"].with_changes({"supplement.enabled": False, "family_cap.enabled": False})


def pop(with_rich=False):
    # a dibao resident with 10,000 policy-range cost at level 1: basic pays 85% above 300 = 8,245;
    # 1,755 is left, assistance pays r of it (base includes the deductible part), critical illness
    # never (base 9,700 below half the threshold)
    persons = [person(1, category="dibao", income=8_000.0)]
    claims = [claim(1, level=1, policy=10_000.0)]
    if with_rich:  # a non-poor resident whose critical-illness payment depends on the threshold
        persons.append(person(2, income=50_000.0))
        claims.append(claim(2, level=1, policy=400_000.0))  # ~100,000 left after the fund cap
    return population(persons, claims)


def test_one_parameter_closed_form(linan):
    # coverage = 1 − 1755 (1 − r) / 10000 = 0.90  ⇒  r = 1 − 1000/1755
    gs = goal_seek(pop(), linan, RATIO, "coverage_rate_poor", 0.90, bounds=(0.0, 1.0))
    assert gs.reached
    assert gs.values[RATIO] == pytest.approx(1 - 1000 / 1755, abs=1e-6)
    assert gs.achieved == pytest.approx(0.90, abs=1e-8)
    base_r = linan.params.medical_assistance.inpatient_ratio["dibao"]
    assert gs.added_cost == pytest.approx(1755 * (gs.values[RATIO] - base_r), abs=0.01)
    res = simulate(pop(), gs.scenario)
    assert res.summary["coverage_rate_poor"] >= 0.90 - 1e-8


def test_out_of_reach_reports_best_achievable(linan):
    gs = goal_seek(pop(), linan, RATIO, "coverage_rate_poor", 0.90, bounds=(0.0, 0.3))
    assert not gs.reached
    assert "out of reach" in gs.message
    assert gs.values[RATIO] == pytest.approx(0.3)
    assert gs.achieved == pytest.approx(1 - 1755 * 0.7 / 10_000)


def test_budget_limit(linan):
    # reaching 0.90 needs r ≈ 0.43; from the preset's 0.90 that is a saving, so start from 0.2
    low = linan.with_changes({RATIO: 0.2})
    gs = goal_seek(pop(), low, RATIO, "coverage_rate_poor", 0.90, bounds=(0.0, 1.0), budget=100.0)
    assert not gs.reached and "budget" in gs.message
    assert gs.added_cost == pytest.approx(100.0, abs=0.01)
    assert gs.values[RATIO] == pytest.approx(0.2 + 100 / 1755, abs=1e-6)


def test_two_parameters_least_cost(linan):
    # raising the critical-illness threshold only saves money (the poor person never reaches it),
    # so the cheapest way is the highest threshold with the closed-form ratio
    gs = goal_seek(
        pop(with_rich=True),
        linan,
        [RATIO, THRESHOLD],
        "coverage_rate_poor",
        0.90,
        bounds=[(0.0, 1.0), (15_000.0, 45_000.0)],
        grid=4,
    )
    assert gs.reached
    assert gs.values[THRESHOLD] == pytest.approx(45_000.0, rel=1e-3)
    assert gs.values[RATIO] == pytest.approx(1 - 1000 / 1755, abs=1e-6)


def test_two_parameters_out_of_reach(linan):
    gs = goal_seek(
        pop(with_rich=True),
        linan,
        [RATIO, THRESHOLD],
        "coverage_rate_poor",
        0.99,
        bounds=[(0.0, 0.5), (15_000.0, 45_000.0)],
        grid=3,
    )
    assert not gs.reached and "out of reach" in gs.message
    assert gs.values[RATIO] == pytest.approx(0.5)


def test_reach_range_says_which_range_reaches(linan):
    from simulation.goal_seek import reach_range

    # coverage = 1 − 1755 (1 − r) / 10000 ≥ 0.90  ⇔  r ≥ 1 − 1000/1755 = 0.43020
    gs = goal_seek(pop(), linan, RATIO, "coverage_rate_poor", 0.90, bounds=(0.0, 0.3))
    assert not gs.reached and gs.bounds == [(0.0, 0.3)] and not gs.over_budget
    r = reach_range(pop(), linan, RATIO, "coverage_rate_poor", 0.90, (0.0, 1.0))
    ((lo, hi),) = r.ranges
    assert hi == 1.0 and r.best == pytest.approx(1.0)
    assert lo == pytest.approx(1 - 1000 / 1755, abs=2e-4) and lo >= 1 - 1000 / 1755
    # nothing in [0, 40%] reaches it; 40% gives 1 − 1755 × 0.6 / 10000
    r = reach_range(pop(), linan, RATIO, "coverage_rate_poor", 0.90, (0.0, 0.4))
    assert r.ranges is None and r.best == pytest.approx(1 - 1755 * 0.6 / 10_000)
    # at_most: the lower end of the range reaches a ceiling
    ((lo, hi),) = reach_range(
        pop(), linan, RATIO, "coverage_rate_poor", 0.90, (0.0, 1.0), sense="at_most"
    ).ranges
    assert lo == 0.0 and hi == pytest.approx(1 - 1000 / 1755, abs=2e-4)
