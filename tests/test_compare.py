"""compare(): a reform against itself gives zeros; a known reform's changes by hand."""

import numpy as np
import pytest

from simulation import simulate
from simulation.compare import compare
from simulation.projection import project
from tests.conftest import claim, person, population


def pop():
    persons = [
        person(1, 1, category="dibao", income=8_000.0),
        person(2, 1, category="dibao", income=0.0),
        person(3, 2, income=40_000.0),
        person(4, 3, category="dibian", income=15_000.0),
        person(5, 4, scheme="employee", income=90_000.0),
    ]
    claims = [
        claim(1, level=1, policy=10_000.0),
        claim(3, level=2, policy=30_000.0, total=32_000.0),
        claim(4, level=3, policy=20_000.0),
        claim(5, level=3, policy=50_000.0),
    ]
    return population(persons, claims)


def test_self_comparison_is_zero(presets):
    scn = presets["linan_2024"]
    p = pop()
    c = compare(simulate(p, scn), simulate(p, scn))
    assert np.allclose(c.tiers["change"], 0.0)
    assert np.allclose(c.by_category.filter(like="_change").fillna(0.0), 0.0)
    assert np.allclose(c.by_decile.filter(like="_change").fillna(0.0), 0.0)
    assert c.households["better_off"] == 0 and c.households["worse_off"] == 0
    assert c.households["unchanged"] == pytest.approx(4)
    assert c.added_public_cost == pytest.approx(0.0)
    pj = project(p, scn, years=3)
    cp = compare(pj, project(p, scn, years=3))
    assert np.allclose(cp.funds.filter(like="_change"), 0.0)
    assert np.allclose(cp.tiers["change"], 0.0)
    assert len(cp.tiers.index.get_level_values("year").unique()) == 3


def test_assistance_ratio_reform_by_hand(presets):
    base = presets["linan_2024"].with_changes({"supplement.enabled": False, "family_cap.enabled": False})
    reform = base.with_changes({"medical_assistance.inpatient_ratio.dibao": 1.0})
    p = pop()
    rb, rr = simulate(p, base), simulate(p, reform)
    c = compare(rb, rr)
    # only person 1 (dibao, 10,000 at level 1) changes: assistance rises by 10% of what basic left
    left = rb.persons.loc[1, "oop"] + rb.persons.loc[1, "assistance_paid"]
    d = 0.1 * left
    t = c.tiers.xs(base.year, level="year")
    assert t.loc["assistance_paid", "change"] == pytest.approx(d)
    assert t.loc["oop", "change"] == pytest.approx(-d)
    assert c.added_public_cost == pytest.approx(d)
    assert c.households["better_off"] == 1 and c.households["worse_off"] == 0
    assert c.by_category.loc["dibao", "oop_change"] == pytest.approx(-d)
    assert c.by_category.loc["none", "oop_change"] == pytest.approx(0.0)
    # household 1 (two persons, per-capita income 4,000) is in the lowest decile present
    assert c.by_decile["oop_change"].iloc[0] == pytest.approx(-d)
    assert c.by_decile["oop_change"].iloc[1:].abs().max() == pytest.approx(0.0)


def test_different_populations_are_refused(presets):
    from simulation.errors import WorkbenchError

    scn = presets["linan_2024"]
    other = population([person(99)], [])
    with pytest.raises(WorkbenchError, match="same population"):
        compare(simulate(pop(), scn), simulate(other, scn))


def test_change_bands_by_hand():
    from simulation.compare import BANDS, change_band

    # income 10,000: a fall of 600 (6%) a large gain, of 400 a small one; 0.005 yuan unchanged;
    # a rise of 400 a small loss, of 600 a large one; without income any change is large
    d = np.array([-600.0, -400.0, 0.005, 400.0, 600.0, -1.0, 1.0])
    inc = np.array([10_000.0] * 5 + [0.0, 0.0])
    assert [BANDS[b] for b in change_band(d, inc)] == [
        "gain_large",
        "gain_small",
        "unchanged",
        "lose_small",
        "lose_large",
        "gain_large",
        "lose_large",
    ]


def test_bands_of_a_reform(presets):
    from simulation.compare import BANDS

    base = presets["linan_2024"].with_changes({"supplement.enabled": False, "family_cap.enabled": False})
    reform = base.with_changes({"medical_assistance.inpatient_ratio.dibao": 1.0})
    p = pop()
    rb = simulate(p, base)
    c = compare(rb, simulate(p, reform))
    for table in (c.bands_by_decile, c.bands_by_category, c.bands_by_district):
        assert np.allclose(table[list(BANDS)].sum(axis=1)[table["persons"] > 0], 1.0)
    assert list(c.bands_by_decile.index) == list(range(1, 11))
    # household 1 (two 低保 persons, income 8,000 + 0) gains 10% of what basic left of person 1's
    # 10,000: a large gain if that exceeds 5% of 8,000 = 400 yuan
    d = 0.1 * (rb.persons.loc[1, "oop"] + rb.persons.loc[1, "assistance_paid"])
    band = "gain_large" if d > 400.0 else "gain_small"
    assert c.bands_by_category.loc["dibao", band] == pytest.approx(1.0)
    assert c.bands_by_category.loc["dibao", "persons"] == pytest.approx(2.0)
    assert c.bands_by_category.loc["none", "unchanged"] == pytest.approx(1.0)
    assert c.bands_by_district["persons"].sum() == pytest.approx(5.0)
    same = compare(simulate(p, base), simulate(p, base))
    assert same.bands_by_decile["unchanged"][same.bands_by_decile["persons"] > 0].eq(1.0).all()
