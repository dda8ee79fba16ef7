"""Split-sample precision: the run's own value, zero error where households are all alike,
the same groups for the same seed, and an error that shrinks as the population grows."""

import numpy as np
import pytest

from simulation import generate_population, simulate
from simulation.errors import WorkbenchError
from simulation.precision import FIGURES, precision
from tests.conftest import claim, person, population


def test_value_is_the_summary(presets):
    scn = presets["linan_2024"]
    res = simulate(generate_population(scn, persons=4_000, seed=2), scn)
    p = precision(res)
    assert list(p.index) == list(FIGURES)
    for k in FIGURES:
        assert p.loc[k, "value"] == pytest.approx(res.summary[k], rel=1e-9), k
    assert (p["half_width"] > 0).all()
    assert p.equals(precision(res))  # the same seed, the same groups
    # t(0.975, 19) × se
    assert p.loc["oop", "half_width"] == pytest.approx(2.093 * p.loc["oop", "se"], rel=1e-3)


def test_identical_households_have_no_error(presets):
    scn = presets["linan_2024"]
    # every household alike (one 低保 person, one claim of 5,000): each random group's figures equal
    # the whole population's, whatever the split
    persons = [person(i, i, category="dibao", income=20_000.0) for i in range(40)]
    claims = [claim(i, level=2, policy=5_000.0) for i in range(40)]
    res = simulate(population(persons, claims), scn)
    p = precision(res)
    assert p["se"].to_numpy() == pytest.approx(np.zeros(len(FIGURES)), abs=1e-6)


def test_error_shrinks_with_size(presets):
    scn = presets["linan_2024"]
    small = precision(simulate(generate_population(scn, persons=5_000, seed=4), scn))
    large = precision(simulate(generate_population(scn, persons=80_000, seed=4), scn))
    # 16 times the persons: a quarter of the error in expectation; a factor 2 either way allowed
    ratio = large.loc["coverage_rate_poor", "se"] / small.loc["coverage_rate_poor", "se"]
    assert 0.125 < ratio < 0.5


def test_too_few_households(presets):
    scn = presets["linan_2024"]
    res = simulate(population([person(1, 1)], [claim(1, policy=100.0)]), scn)
    with pytest.raises(WorkbenchError, match="groups"):
        precision(res)
    with pytest.raises(WorkbenchError):
        precision(res, groups=1)
