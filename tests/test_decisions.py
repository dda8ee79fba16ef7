"""Decisions: the 大病 contract's price (simulation.contract), the best buy per public yuan
(simulation.best_buy) and the tornado (simulation.sensitivity), each checked against direct runs
of `simulate` / `project`."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import WorkbenchError, available_presets, generate_population, load_scenario, simulate
from simulation.best_buy import FIGURES, clearing, figures, frontier, marginal_effects, pareto
from simulation.contract import PREMIUM, price_critical_illness
from simulation.projection import project
from simulation.sensitivity import final_figures, run_end, tornado

N = 2_000

INSURED = [p for p in available_presets() if load_scenario(p).params.critical_illness.enabled]


@pytest.fixture(scope="module")
def linan():
    scn = load_scenario("linan_2024")
    return scn, generate_population(scn, persons=N, seed=7)


def _year_summary(pop, scn, year):
    if year == scn.year:
        return simulate(pop, scn).summary
    return project(pop, scn, years=year - scn.year + 1).result(year).summary


# ---------------------------------------------------------------------------- contract pricing


def test_every_preset_has_an_insurer():
    assert set(INSURED) == set(available_presets())  # all five carry the corridor: all are priced


@pytest.mark.parametrize("preset", INSURED)
def test_solved_premium_puts_the_central_margin_inside_the_corridor(preset):
    scn = load_scenario(preset)
    pop = generate_population(scn, persons=N, seed=7)
    pr = price_critical_illness(pop, scn, draws=6)
    ci = scn.params.critical_illness
    assert pr.year == scn.year + 1
    assert pr.expected_margin_rate == pytest.approx(pr.target, abs=1e-6)
    assert pr.target == pytest.approx((ci.margin_floor + ci.margin_ceiling) / 2)
    # re-simulated from the solved scenario, independently of the pricing's own central run
    s = _year_summary(pop, pr.solved, pr.year)
    assert ci.margin_floor - 1e-9 <= s["insurer_margin_rate"] <= ci.margin_ceiling + 1e-9
    assert s["insurer_margin_rate"] == pytest.approx(pr.central["insurer_margin_rate"])
    # the solved scenario charges the solved premium in the priced year, the old one before it
    assert s["insurer_premium"] == pytest.approx(pr.premium * pr.draws["insured"].iloc[0], rel=0.05)
    assert pr.solved.for_year(scn.year).critical_illness.premium_per_capita == ci.premium_per_capita


def test_each_draw_settles_as_the_summary_does(linan):
    """A draw's settlement at the solved premium equals the run of that draw's assumptions with the
    premium applied (the summary's own `settle_insurer`)."""
    scn, pop = linan
    pr = price_critical_illness(pop, scn, draws=3)
    d = pr.draws.iloc[1]
    overrides = {k: d[k] for k in scn.params.projection["ranges"]}
    res = project(pop, pr.solved, years=2, seed=int(d["seed"]), overrides=overrides).result(pr.year)
    assert res.summary["insurer_claims"] == pytest.approx(d["claims"], rel=1e-9)
    assert res.summary["insurer_margin"] == pytest.approx(d["margin"], rel=1e-9, abs=1e-6)
    assert res.summary["insurer_surplus_returned"] == pytest.approx(d["surplus_returned"], rel=1e-9, abs=1e-6)


@pytest.fixture(scope="module")
def spread_pricing():
    """Draws on populations of their own (the sampling spread), so losses occur in some draws."""
    scn = load_scenario("shuozhou_2021")
    pop = generate_population(scn, persons=N, seed=7)
    return price_critical_illness(pop, scn, draws=8, populations=4)


@settings(max_examples=40, deadline=None)
@given(a=st.floats(1.0, 400.0), b=st.floats(1.0, 400.0))
def test_loss_probability_falls_as_the_premium_rises(spread_pricing, a, b):
    lo, hi = sorted((a, b))
    at_lo, at_hi = spread_pricing.at(lo), spread_pricing.at(hi)
    assert at_hi["p_loss"] <= at_lo["p_loss"]
    assert at_hi["expected_margin_rate"] >= at_lo["expected_margin_rate"] - 1e-12
    assert at_hi["p_surplus"] >= at_lo["p_surplus"]


def test_loss_probability_spans_zero_to_one(spread_pricing):
    per_capita = spread_pricing.draws["claims"] / spread_pricing.draws["insured"]
    assert spread_pricing.at(per_capita.min() * 0.9)["p_loss"] == 1.0
    assert spread_pricing.at(per_capita.max() * 1.1)["p_loss"] == 0.0


def test_solving_a_band_ratio_reaches_the_target():
    scn = load_scenario("shanghai_2023")
    pop = generate_population(scn, persons=N, seed=7)
    path = "critical_illness.terms.bands.0.ratio"
    pr = price_critical_illness(pop, scn, draws=3, solve=path)
    assert pr.parameter == path and 0.0 < pr.value < 1.0
    assert pr.expected_margin_rate == pytest.approx(pr.target, abs=1e-6)
    assert pr.solved.for_year(pr.year).critical_illness.terms.bands[0].ratio == pytest.approx(pr.value)
    with pytest.raises(WorkbenchError):
        pr.at(100.0)


def test_pricing_errors_are_specific(linan):
    scn, pop = linan
    with pytest.raises(WorkbenchError, match="corridor"):
        price_critical_illness(pop, scn, draws=2, target=0.10)
    with pytest.raises(WorkbenchError, match="no critical-illness"):
        price_critical_illness(pop, scn.with_changes({"critical_illness.enabled": False}), draws=2)
    with pytest.raises(WorkbenchError, match="solve"):
        price_critical_illness(pop, scn, draws=2, solve="family_cap.cap.dibao")
    with pytest.raises(WorkbenchError, match="stays above"):  # Lin'an's 120 yuan: no ratio brings it to 4%
        price_critical_illness(pop, scn, draws=2, solve="critical_illness.terms.bands.0.ratio")
    assert PREMIUM == "critical_illness.premium_per_capita"


# ---------------------------------------------------------------------------- best buy


@pytest.fixture(scope="module")
def marginal(linan):
    scn, pop = linan
    return marginal_effects(pop, scn)


def test_marginal_effects_reproduce_direct_runs(linan, marginal):
    scn, pop = linan
    base = figures(simulate(pop, scn).summary)
    assert len(marginal) > 5
    for r in marginal.head(4).itertuples():
        f = figures(simulate(pop, scn.with_changes({r.path: r.new_value})).summary)
        assert f["public_cost"] - base["public_cost"] == pytest.approx(r.added_cost, rel=1e-9)
        assert r.added_cost > 0
        for k in FIGURES:
            assert f[k] - base[k] == pytest.approx(getattr(r, f"change_{k}"), abs=1e-12)
            assert getattr(r, f"per_budget_{k}") == pytest.approx((f[k] - base[k]) * 1e7 / r.added_cost)
        if r.reached:
            assert r.added_cost == pytest.approx(1e7, rel=0.021)


def test_marginal_effects_are_ranked(marginal):
    v = marginal["per_budget_coverage_rate_poor"].map(lambda x: float(f"{x:.6g}")).to_numpy()
    assert np.all(np.diff(v) <= 0)


def test_frontier_points_are_not_dominated(linan, marginal):
    scn, pop = linan
    paths = ["medical_assistance.inpatient_ratio.dibao", "critical_illness.terms.bands.0.ratio",
             "basic_insurance.resident.inpatient.deductible.1"]  # fmt: skip
    fr = frontier(pop, scn, paths, (0.0, 2e7), steps=3)
    pts = fr.points[fr.points["in_budget"]]
    assert len(fr.points) == 4**3 and 1 <= len(fr.frontier) < len(pts)
    y, c = pts["coverage_rate_poor"].to_numpy(), pts["added_cost"].to_numpy()
    for row in fr.frontier.itertuples():
        dominated = (
            (c <= row.added_cost)
            & (y >= row.coverage_rate_poor)
            & ((c < row.added_cost) | (y > row.coverage_rate_poor))
        )
        assert not dominated.any()
    # and every point left off is dominated by one on the frontier
    fy, fc = fr.frontier["coverage_rate_poor"].to_numpy(), fr.frontier["added_cost"].to_numpy()
    for row in pts.itertuples():
        on = (fc == row.added_cost) & (fy == row.coverage_rate_poor)
        if not on.any():
            assert ((fc <= row.added_cost) & (fy >= row.coverage_rate_poor)).any()
    # a point reproduces a direct run
    p = fr.frontier.iloc[-1]
    f = figures(simulate(pop, scn.with_changes({k: p[k] for k in paths})).summary)
    assert f["coverage_rate_poor"] == pytest.approx(p["coverage_rate_poor"])
    assert f["public_cost"] - fr.base["public_cost"] == pytest.approx(p["added_cost"])


def test_pareto_keeps_the_cheapest_of_equal_points():
    import pandas as pd

    pts = pd.DataFrame({"added_cost": [0, 1, 1, 2, 3], "coverage_rate_poor": [0.5, 0.6, 0.55, 0.6, 0.7]})
    assert pareto(pts, "coverage_rate_poor")["added_cost"].tolist() == [0, 1, 3]
    low = pareto(
        pts.rename(columns={"coverage_rate_poor": "warnings_remaining"}), "warnings_remaining", False
    )
    assert low["added_cost"].tolist() == [0]


def test_clearing_takes_each_household_off_the_list(linan, marginal):
    scn, pop = linan
    cl = clearing(pop, scn, marginal.head(12), steps=4)
    base = simulate(pop, scn).household_arrays()
    listed = set(base["household_id"][base["warning"] & ~base["warning_cleared"]])
    assert set(cl["household_id"]) == listed and len(listed) > 0
    for r in cl.dropna(subset=["path"]).head(3).itertuples():
        h = simulate(pop, scn.with_changes({r.path: r.value})).household_arrays()
        i = np.flatnonzero(h["household_id"] == r.household_id)[0]
        assert not (h["warning"][i] and not h["warning_cleared"][i])


# ---------------------------------------------------------------------------- tornado


@pytest.fixture(scope="module")
def small_tornado(linan):
    scn, pop = linan
    levers = [
        "medical_assistance.inpatient_ratio.dibao",
        "financing.resident_subsidy",
        "family_cap.cap.dibao",
    ]
    return tornado(pop, scn, levers=levers, assumptions=["medical_cost_growth", "behaviour.elasticity"])


def test_tornado_bars_are_ordered_by_swing(small_tornado):
    s = small_tornado.table["swing_balance"].to_numpy()
    assert len(s) == 5 and np.all(np.diff(s) <= 0)
    top = small_tornado.top(5, by="public_cost")["swing_public_cost"].to_numpy()
    assert np.all(np.diff(top) <= 0)


def test_each_swing_reproduces_a_direct_projection(linan, small_tornado):
    scn, pop = linan
    for sw, row in zip(small_tornado.swings, small_tornado.table.itertuples()):
        assert sw.key == row.key
        for end in ("low", "high"):
            changes = sw.low_changes if end == "low" else sw.high_changes
            overrides = sw.low_overrides if end == "low" else sw.high_overrides
            direct = final_figures(project(pop, scn.with_changes(changes), overrides=overrides or None))
            for f in ("balance", "coverage_rate_poor", "public_cost"):
                assert getattr(row, f"{f}_{end}") == pytest.approx(direct[f], rel=1e-12, abs=1e-9)
            assert run_end(pop, scn, sw, end, None, None) == direct


def test_tornado_ranges_say_where_they_come_from(linan, small_tornado):
    t = small_tornado.table.set_index("key")
    assert "projection range" in t.at["medical_cost_growth", "range_source_en"]
    assert (t.at["medical_cost_growth", "low"], t.at["medical_cost_growth", "high"]) == (0.03, 0.11)
    assert "default" in t.at["medical_assistance.inpatient_ratio.dibao", "range_source_en"]
    assert t.at["behaviour.elasticity", "low"] == -0.4
    scn = load_scenario("shanghai_2023")  # a constraint range: 支出型贫困 50%-70%
    pop = generate_population(scn, persons=500, seed=1)
    tn = tornado(pop, scn, levers=["medical_assistance.inpatient_ratio.expenditure_poor"], assumptions=False)
    row = tn.table.iloc[0]
    assert (row["low"], row["high"]) == (0.5, 0.7) and "constraint" in row["range_source_en"]
    with pytest.raises(WorkbenchError, match="switch"):
        tornado(pop, scn, levers=["critical_illness.enabled"], assumptions=False)


# ---------------------------------------------------------------------------- report


def test_report_carries_the_decision_tables(linan, marginal, small_tornado, tmp_path):
    import openpyxl

    from simulation.report import html_bytes, write_report

    scn, pop = linan
    res = simulate(pop, scn)
    pr = price_critical_illness(pop, scn, draws=2)
    dec = {"pricing": pr, "marginal": marginal, "tornado": small_tornado}
    path = write_report(res, tmp_path / "d.xlsx", decisions=dec)
    wb = openpyxl.load_workbook(path)
    assert {"决策-大病定价", "决策-最优投入", "决策-敏感性"} <= set(wb.sheetnames)
    ws = wb["决策-大病定价"]
    head = [c.value for c in ws[3]]
    row = [c.value for c in ws[4]]
    assert row[head.index("承办机构预期盈利率")] == pytest.approx(pr.expected_margin_rate)
    assert row[head.index("经营性亏损概率")] == pytest.approx(pr.p_loss)
    ws = wb["决策-敏感性"]
    assert ws.max_row - 3 == len(small_tornado.table)
    html = html_bytes(res, lang="en", decisions=dec).decode()
    assert "Pricing the critical-illness contract" in html and "Best buy" in html
    with pytest.raises(WorkbenchError, match="decisions"):
        html_bytes(res, decisions={"frontier": None})


# ---------------------------------------------------------------------------- command line


def test_cli_commands(capsys):
    from simulation.cli import main

    assert main(["price", "shuozhou_2021", "--persons", "800", "--draws", "2", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "premium per insured person" in out.lower() and "probability of an operating loss" in out
    assert main(["best-buy", "linan_2024", "--persons", "300", "--frontier", "a.b"]) == 2
    assert "a.b" in capsys.readouterr().err
    assert main(["tornado", "linan_2024", "--persons", "300", "--top", "0"]) == 2
    assert main(["price", "linan_2024", "--persons", "300", "--target", "9"]) == 2
    assert len([x for x in capsys.readouterr().err.splitlines() if x.strip()]) == 2
