"""The district view (临安 封顶制方案 三(二) 医保立体防贫地图): by-district figures that add up to the
run's summary, rates computed as the summary computes them, and the cost rankings by hand."""

import numpy as np
import pandas as pd
import pytest

from simulation import generate_population, simulate
from simulation.districts import DISTRICT_COLUMNS, cost_ranking, district_table, has_diseases, ranking_labels
from simulation.errors import WorkbenchError
from tests.conftest import claim, person, population


def hand_pop():
    persons = [
        # 东镇: a 低保 household of two (one patient) and a household without category
        person(1, 1, category="dibao", income=8_000.0, district="东镇", weight=2.0),
        person(2, 1, category="dibao", income=0.0, district="东镇", weight=2.0),
        person(3, 2, income=40_000.0, district="东镇"),
        # 西镇: one employee
        person(4, 3, scheme="employee", income=90_000.0, district="西镇", weight=3.0),
    ]
    claims = [
        claim(1, level=1, policy=10_000.0),
        claim(1, setting="outpatient", level=1, policy=200.0),
        claim(3, level=2, policy=30_000.0, total=32_000.0),
        claim(4, level=3, policy=50_000.0),
    ]
    return population(persons, claims)


def test_districts_add_up_to_the_summary(presets):
    scn = presets["linan_2024"]
    res = simulate(hand_pop(), scn)
    d = district_table(res)
    assert list(d.columns) == list(DISTRICT_COLUMNS)
    assert list(d.index) == ["东镇", "西镇"]
    s = res.summary
    for k in ("persons", "households", "total_cost", "oop", "warnings", "poor_persons"):
        assert d[k].sum() == pytest.approx(s[k]), k
    assert d.loc["东镇", "persons"] == pytest.approx(5.0)  # 2 + 2 + 1
    assert d.loc["西镇", "households"] == pytest.approx(3.0)
    # 西镇 has no poor person: no coverage of the poor to report
    assert np.isnan(d.loc["西镇", "coverage_rate_poor"])
    # 东镇 holds every poor person, so its coverage of the poor is the summary's
    assert d.loc["东镇", "coverage_rate_poor"] == pytest.approx(s["coverage_rate_poor"])
    p = res.persons
    east = p[p.index.isin([1, 2, 3])]
    burden = (east["oop"] * east["weight"]).sum() / (east["total_cost"] * east["weight"]).sum()
    assert d.loc["东镇", "personal_burden_rate"] == pytest.approx(burden)


def test_generated_districts_add_up(presets):
    scn = presets["linan_2024"]
    res = simulate(generate_population(scn, persons=3_000, seed=3), scn)
    d = district_table(res)
    assert len(d) == 18  # Lin'an's 5 streets and 13 towns
    s = res.summary
    for k in ("persons", "households", "total_cost", "oop", "warnings", "poor_persons"):
        assert d[k].sum() == pytest.approx(s[k], rel=1e-9), k
    assert d["catastrophic_households"].sum() / d["households"].sum() == pytest.approx(s["catastrophic_rate"])
    assert ((d["warning_rate"] >= 0) & (d["warning_rate"] <= 1)).all()


def test_cost_ranking_by_hand(presets):
    scn = presets["linan_2024"]
    res = simulate(hand_pop(), scn)
    lv = cost_ranking(res, "hospital_level", top=None)
    # level 3: person 4's 50,000 × weight 3; level 1: person 1's 10,200 × 2; level 2: 32,000 × 1
    assert list(lv.index) == ["3", "2", "1"]
    assert lv.loc["3", "total_cost"] == pytest.approx(150_000.0)
    assert lv.loc["1", "claims"] == pytest.approx(4.0)  # two claims of a person weighted 2
    assert lv.loc["1", "patients"] == pytest.approx(2.0)  # one person weighted 2
    assert lv.loc["1", "cost_per_claim"] == pytest.approx(20_400.0 / 4.0)
    assert lv["cost_share"].sum() == pytest.approx(1.0)
    east = cost_ranking(res, "setting", district="东镇")
    assert east.loc["inpatient", "total_cost"] == pytest.approx(20_000.0 + 32_000.0)
    assert east.loc["outpatient", "total_cost"] == pytest.approx(400.0)
    assert cost_ranking(res, "hospital_level", top=1).index.tolist() == ["3"]
    assert not has_diseases(res) and cost_ranking(res, "disease").empty
    with pytest.raises(WorkbenchError, match="district"):
        cost_ranking(res, district="北镇")
    with pytest.raises(WorkbenchError):
        cost_ranking(res, "drug")


def test_disease_ranking_on_bijie(presets):
    scn = presets["bijie_2019"]
    res = simulate(generate_population(scn, persons=20_000, seed=1), scn)
    assert has_diseases(res)
    r = cost_ranking(res, "disease", top=None)
    labels = ranking_labels(scn, "disease")
    assert len(r) and set(r.index) <= set(labels)
    assert r["total_cost"].is_monotonic_decreasing
    claims = res._y.population.claims
    coded = claims[claims["disease"].astype(str) != ""]
    w = res.persons["weight"]
    expect = (coded["total_cost"] * coded["person_id"].map(w)).sum()
    assert r["total_cost"].sum() == pytest.approx(expect)
    assert isinstance(ranking_labels(scn, "hospital_level", "en"), dict)
    assert pd.api.types.is_float_dtype(r["claims"])
