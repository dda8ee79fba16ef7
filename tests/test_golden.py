"""Every preset's outputs equal its golden file bit for bit (tests/golden): a change of any figure
fails here, and a commit that rewrites a golden file says which figures moved and why."""

from __future__ import annotations

import pytest

from tests.golden import PRESETS, SIZES, VARIANTS, differences, load, run


@pytest.fixture(scope="module")
def goldens():
    return {preset: load(preset) for preset in PRESETS}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("preset", PRESETS)
def test_outputs_equal_golden(goldens, preset, variant, size):
    expected = goldens[preset][variant][str(size)]
    got = run(preset, variant, size)
    same_input = expected["population"] == got["population"]
    diff = differences(expected, got)
    assert not diff, (
        f"{preset}/{variant}/{size}: {len(diff)} figures differ from tests/golden/{preset}.json"
        + ("" if same_input else " (the generated population itself differs)")
        + ":\n  "
        + "\n  ".join(diff[:40])
    )


def test_a_moved_figure_is_reported():
    """The comparison is sharp: one ulp in one summary figure is a difference."""
    old = {"summary": {"x": (1.0).hex()}, "persons": {"oop": "abc"}}
    new = {"summary": {"x": (1.0 + 2**-52).hex()}, "persons": {"oop": "abc"}}
    assert differences(old, new) == ["summary.x: 1.000000 -> 1.000000"]
    assert differences(old, old) == []


def test_every_variant_moves_something(goldens):
    """The variants are not vacuous: each perturbation changes a lever, most move the summary, the
    subsidy variant always does, and `scattered` reorders the persons."""
    for preset in PRESETS:
        g = goldens[preset]
        base = g["published"]["100000"]["summary"]
        assert g["every_subsidy"]["100000"]["summary"] != base, preset
        assert g["scattered"]["100000"]["persons"] != g["published"]["100000"]["persons"], preset
        perturbed = [g[v]["100000"] for v in VARIANTS if v.startswith("perturbed_")]
        assert all(len(e["changes"]) >= 2 for e in perturbed), preset  # a lever and 政策找人
        assert sum(e["summary"] != base for e in perturbed) >= 3, preset
