"""Financial protection (issue 25): the summary's SDG 3.8.2, capacity-to-pay and impoverishment
figures for every preset, `Result.protection()`'s curve and quintile tables, and the concentration
index. The household tests themselves are hand cases (tests/cases/protection, shanghai_2023)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import available_presets, generate_population, load_scenario, simulate
from simulation import protection as pr
from simulation.registry import OUTPUTS
from simulation.result import add_parts, summary_from_parts

RATES = (
    "catastrophic_rate_10_persons",
    "catastrophic_rate_25_persons",
    "catastrophic_rate_ctp40",
    "impoverished_rate",
    "further_impoverished_rate",
    "mean_positive_overshoot_10",
)


@pytest.fixture(scope="module")
def runs():
    out = {}
    for name in available_presets():
        scn = load_scenario(name)
        out[name] = simulate(generate_population(scn, persons=3_000, seed=11), scn)
    return out


@pytest.mark.parametrize("name", available_presets())
def test_every_preset_has_the_figures_in_range(runs, name):
    s = runs[name].summary
    for key in pr.FIGURES:
        assert key in s and key in OUTPUTS, key
    for key in RATES:
        assert 0.0 <= s[key] <= 1.0, (key, s[key])
    assert s["catastrophic_rate_25_persons"] <= s["catastrophic_rate_10_persons"]
    assert s["poverty_gap_after_oop"] >= s["poverty_gap_before_oop"] >= 0.0
    # the persons-weighted rate is not the household one (different weights), but close in size
    assert s["catastrophic_rate_10_persons"] == pytest.approx(s["catastrophic_rate"], abs=0.05)


@pytest.mark.parametrize("name", ["linan_2024", "bijie_2019"])
def test_curve_and_quintiles_agree_with_the_summary(runs, name):
    res = runs[name]
    s = res.summary
    p = res.protection()
    c = p.curve
    assert list(c.index) == list(pr.CURVE_THRESHOLDS)
    assert c.index[0] == 0.05 and c.index[-1] == 0.5
    for col in ("catastrophic_rate_persons", "catastrophic_rate_households", "catastrophic_rate_capacity"):
        assert np.all(np.diff(c[col].to_numpy()) <= 1e-15), col  # a higher threshold never counts more
    assert c.loc[0.10, "catastrophic_rate_persons"] == pytest.approx(s["catastrophic_rate_10_persons"])
    assert c.loc[0.25, "catastrophic_rate_persons"] == pytest.approx(s["catastrophic_rate_25_persons"])
    assert c.loc[0.10, "catastrophic_rate_households"] == pytest.approx(s["catastrophic_rate"])
    assert c.loc[0.40, "catastrophic_rate_capacity"] == pytest.approx(s["catastrophic_rate_ctp40"])
    # catastrophic spending is concentrated among the poor
    assert -1.0 <= p.concentration_index < 0.0
    q = p.by_quintile
    assert list(q.index) == [1, 2, 3, 4, 5]
    assert q["persons"].sum() == pytest.approx(s["persons"])
    assert q["persons"].min() > 0.1 * s["persons"]  # about a fifth each
    assert np.all(np.diff(q["per_capita_income"].to_numpy()) > 0)
    for key in pr.FIGURES:
        assert p.figures[key] == pytest.approx(s[key], rel=1e-9, abs=1e-12), key
    # the quintiles' rates, weighted by their persons, give the whole
    whole = np.dot(q["persons"], q["catastrophic_rate_10_persons"]) / q["persons"].sum()
    assert whole == pytest.approx(s["catastrophic_rate_10_persons"])
    assert q.loc[1, "catastrophic_rate_10_persons"] > q.loc[5, "catastrophic_rate_10_persons"]


def test_other_thresholds(runs):
    p = runs["linan_2024"].protection(thresholds=[0.4, 0.1])
    assert list(p.curve.index) == [0.1, 0.4]
    with pytest.raises(ValueError):
        runs["linan_2024"].protection(thresholds=[])


def test_the_parts_add_across_partitions():
    """Two halves of the households: their parts summed give the figures of the whole, exactly as a
    partitioned run reduces them (docs/CONTRACT-distributed.md)."""
    rng = np.random.default_rng(3)
    n = 400
    size = rng.integers(1, 6, n)
    income = rng.lognormal(10.5, 0.8, n) * size
    income[:7] = 0.0
    oop = rng.lognormal(7.5, 1.5, n) * (rng.random(n) < 0.6)
    persons = size * rng.uniform(50, 150, n)
    whole = pr.protection_parts(size, income, oop, persons, 900.0)
    a = pr.protection_parts(size[:150], income[:150], oop[:150], persons[:150], 900.0)
    b = pr.protection_parts(size[150:], income[150:], oop[150:], persons[150:], 900.0)
    summed = {k: a[k] + b[k] for k in a}
    for k in pr.PARTS:
        assert summed[k] == pytest.approx(whole[k], rel=1e-12)
    assert pr.protection_figures(summed) == pytest.approx(pr.protection_figures(whole), rel=1e-12)


def test_summary_from_parts_keeps_the_protection_figures(runs):
    res = runs["shuozhou_2021"]
    parts = res.parts()
    again = summary_from_parts(add_parts(parts, parts), res.scenario)  # twice the weights: same rates
    for key in pr.FIGURES:
        assert again[key] == pytest.approx(res.summary[key], rel=1e-12)


def test_concentration_index_by_hand():
    w = np.ones(2)
    rank = pr.fractional_rank(np.array([1.0, 2.0]), w)
    assert rank.tolist() == [0.25, 0.75]
    # all of it with the poorer: 2 × mean((h − 0.5)(r − 0.5)) / 0.5 = 2 × (−0.125) / 0.5
    assert pr.concentration_index(np.array([1.0, 0.0]), rank, w) == pytest.approx(-0.5)
    assert pr.concentration_index(np.array([0.0, 1.0]), rank, w) == pytest.approx(0.5)
    assert np.isnan(pr.concentration_index(np.zeros(2), rank, w))  # nobody: undefined
    # tied incomes share a rank
    assert pr.fractional_rank(np.array([5.0, 5.0, 9.0]), np.ones(3)).tolist() == pytest.approx(
        [1 / 3, 1 / 3, 5 / 6]
    )
    assert pr.income_quintiles(np.arange(10.0), np.ones(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_compare_before_and_after_a_reform(runs):
    from simulation.compare import compare

    base = runs["shanghai_2023"]
    same = compare(base, base)
    assert (same.protection.filter(like="_change").abs().fillna(0) == 0).all().all()
    reform_scn = base.scenario.with_changes({"medical_assistance.inpatient_ratio.dibao": 1.0})
    reform = simulate(base._population, reform_scn)
    c = compare(base, reform)
    assert list(c.protection.index) == list(pr.CURVE_THRESHOLDS)
    assert (c.protection["catastrophic_rate_persons_change"] <= 1e-12).all()  # more assistance, never more
    assert list(c.protection_by_quintile.index) == [1, 2, 3, 4, 5]
    assert c.summary.loc["catastrophic_rate_ctp40", "change"] <= 1e-12


def test_reports_carry_the_protection_tables(runs, tmp_path):
    import openpyxl

    from simulation.report import write_report
    from simulation.report.data import build

    res = runs["linan_2024"]
    d = build(res, "zh")
    assert [tb.sheet for tb in d.protection] == ["风险保护-阈值", "风险保护-收入组"]
    path = write_report(res, tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(path)["风险保护-阈值"]
    thresholds = [ws.cell(row=r, column=1).value for r in range(4, 14)]
    assert thresholds == pytest.approx(list(pr.CURVE_THRESHOLDS))
    assert ws.cell(row=5, column=2).value == pytest.approx(res.summary["catastrophic_rate_10_persons"])
    html = (write_report(res, tmp_path / "r.html", lang="en")).read_text(encoding="utf-8")
    assert "Financial protection by household income quintile" in html
    assert "Concentration index" in html


def test_concentration_indices_equal_one_at_a_time():
    rng = np.random.default_rng(3)
    n = 500
    w = rng.uniform(0.5, 3.0, n)
    rank = pr.fractional_rank(rng.lognormal(9, 1, n), w)
    flags = rng.random((n, 6)) < np.array([0.0, 0.01, 0.1, 0.5, 0.9, 1.0])
    batched = pr.concentration_indices(flags, rank, w)
    one = [pr.concentration_index(flags[:, k].astype(float), rank, w) for k in range(flags.shape[1])]
    assert np.isnan(batched[0]) and np.isnan(one[0])  # nobody flagged: undefined
    np.testing.assert_allclose(batched[1:], one[1:], rtol=1e-9, atol=1e-12)


def test_the_curves_concentration_index_equals_one_at_a_time():
    """The curve's concentration indices, summed inside the headcount loop, equal
    `concentration_index` of each threshold's flags made one household at a time."""
    scn = load_scenario("linan_2024")
    res = simulate(generate_population(scn, persons=3_000, seed=5), scn)
    h = res.household_arrays()
    size, income, oop, persons = h["size"], h["income"], h["oop"], h["weight"] * h["size"]
    p = pr.protection(size, income, oop, persons, 800.0)
    rank = pr.fractional_rank(income / np.maximum(size, 1), persons)
    for t, ci in p.curve["concentration_index"].items():
        flags = np.array([pr.catastrophic_share(o, i, t) for o, i in zip(oop, income)], dtype=float)
        one = pr.concentration_index(flags, rank, persons)
        if np.isnan(one):
            assert np.isnan(ci)
        else:
            assert ci == pytest.approx(one, rel=1e-9, abs=1e-12)


def test_the_households_memo_gives_the_same_tables():
    """A memo kept for the households (Result.protection keeps one on the population) gives the
    tables computed without it, exactly; other households (a changed income) are ranked anew."""
    scn = load_scenario("linan_2024")
    res = simulate(generate_population(scn, persons=3_000, seed=5), scn)
    h = res.household_arrays()
    size, income, oop, persons = h["size"], h["income"], h["oop"], h["weight"] * h["size"]
    memo: dict = {}
    for inc in (income, income, income * 1.5):  # the same households twice, then other incomes
        fresh = pr.protection(size, inc, oop, persons, 800.0)
        kept = pr.protection(size, inc, oop, persons, 800.0, memo=memo)
        assert fresh.curve.equals(kept.curve)
        assert fresh.by_quintile.equals(kept.by_quintile)
        assert fresh.figures == kept.figures
    # a slider's runs of one population: the run's own tables equal a fresh call's
    other = simulate(res._y.population, scn.with_changes({"medical_assistance.inpatient_ratio.dibao": 0.95}))
    for r in (res, other):
        _, sz, hs, _ = r._pass
        fresh = pr.protection(sz, hs[0], hs[6], hs[1], r._y.scenario.flags.dibao_monthly)
        assert fresh.by_quintile.equals(r.protection().by_quintile)
        assert fresh.curve.equals(r.protection().curve)
