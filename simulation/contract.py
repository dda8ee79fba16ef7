"""Pricing the critical-illness contract (大病保险承办合同): the per-capita premium (or the threshold, or
a band ratio) that puts the insurer's expected margin rate at a chosen point of the scenario's
corridor (朔州 大病保险方案 六(四): 盈利率 3%-5%, 保本微利), from a Monte Carlo over claim costs and
utilisation.

    pr = price_critical_illness(pop, scn)              # next year's contract, target the corridor's middle
    pr.premium, pr.expected_margin_rate, pr.p_loss, pr.p_surplus, pr.deposit, pr.resident_fund_cost
    pr.at(100.0)                                       # the same figures for any premium
    pr.solved                                          # the scenario with the solved premium for pr.year

The draws are the uncertainty module's (`uncertainty.draw_plan`): each draw projects the population
to the priced year under growth assumptions drawn from the scenario's `projection.ranges`, so a
draw's claims move with medical cost growth (spending per insured: price times utilisation,
assumptions.DEFAULT_SOURCES), enrolment and ageing. By default every draw runs on the population
given; `populations` > 1 draws generated populations of its size too (the sampling spread of which
persons fall ill: a small sample spreads wider than a region's own year, so this bounds the risk
from above). The year defaults to the one after the scenario's: a tender prices next year's
contract on this year's experience.

Every settlement of a draw is `rules.critical_illness.settle_insurer`, the same rule the summary
uses, on the draw's claims and the premium tried: the margin the insurer keeps (a surplus above
the ceiling returned to the fund, an operating loss its own), the surplus returned and the quality
deposit. The contract is priced on the policy in force, so no policy-change loss is shared.
The premium does not change what the insurance pays, so the draws are run once and the premium is
found by root-finding on the draws' settlements; solving the threshold or a band ratio runs the
draws again at every value tried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from .api import simulate
from .errors import ScenarioError, WorkbenchError
from .population import generate_population
from .projection import project
from .registry import fmt_money, fmt_rate, format_value, metric_label
from .rules.critical_illness import settle_insurer
from .scenario import Scenario
from .uncertainty import draw_plan, draw_populations

PREMIUM = "critical_illness.premium_per_capita"


@dataclass(frozen=True)
class _DrawOutcome:
    """What a draw of the priced year gives the contract: the claims paid and the insured persons
    of the covered schemes (all and employees), independent of the premium."""

    claims: float
    insured: float
    insured_employee: float


@dataclass
class Pricing:
    """The solved contract and what it means for the insurer and the fund (yuan, fractions)."""

    scenario: Scenario
    year: int
    parameter: str  # the path solved (the premium, the threshold or a band ratio)
    value: float  # its solved value
    target: float  # the target margin rate
    floor: float
    ceiling: float
    premium: float  # per-capita premium of the priced year (solved, or the scenario's)
    current_premium: float  # the scenario's per-capita premium of that year
    expected_margin_rate: float  # mean over the draws of the margin rate the insurer keeps
    expected_margin: float  # mean margin kept, yuan
    p_loss: float  # P(operating loss): the claims exceed the premium
    p_surplus: float  # P(surplus returned): the margin before settlement exceeds the ceiling
    deposit: float  # the quality deposit withheld (mean), yuan: at stake in the annual assessment
    expected_loss: float  # mean operating loss (zero in draws without one), yuan
    p_loss_beyond_deposit: float  # P(an operating loss larger than the deposit)
    fund_cost: float  # mean net cost to the medical pools: premium − surplus returned
    resident_fund_cost: float  # the resident pool's part of it, yuan
    draws: pd.DataFrame  # one row a draw: draw, seed, its assumptions, claims, insured, and the settlement
    central: dict  # the central run of the priced year with the solution: premium, claims, margin, rate
    solved: Scenario  # the scenario with the solution applied for the priced year
    evaluations: int = 0
    _ci: object = field(default=None, repr=False)
    _outcomes: list = field(default_factory=list, repr=False)

    def at(self, premium: float) -> dict:
        """The insurer's and the fund's figures at another per-capita premium, on the same draws
        (only where the premium was solved: another parameter changes the claims)."""
        if self.parameter != PREMIUM:
            raise WorkbenchError(
                "Pricing.at: the draws were run for a solved threshold or ratio, not the premium"
            )
        return _stats(self._outcomes, float(premium), self._ci)

    def curve(self, premiums) -> pd.DataFrame:
        """`at` over several premiums: one row each (premium, expected_margin_rate, p_loss, ...)."""
        return pd.DataFrame([{"premium": float(p), **self.at(p)} for p in premiums])

    def __repr__(self) -> str:
        return (
            f"Pricing({self.scenario.id} {self.year}: {self.parameter} = {self.value:,.4g}, "
            f"E[margin] {self.expected_margin_rate:.2%}, P(loss) {self.p_loss:.0%}, "
            f"P(surplus) {self.p_surplus:.0%})"
        )


def _settle(o: _DrawOutcome, premium_pc: float, ci):
    return settle_insurer(premium_pc * o.insured, o.claims, ci)


def _stats(outcomes: list[_DrawOutcome], premium_pc: float, ci) -> dict:
    rows = []
    for o in outcomes:
        s = _settle(o, premium_pc, ci)
        # the pools pay the premium (the employee pool for its insured, 基金 flows in funds.py) and
        # receive the surplus; the resident pool takes the whole surplus (funds.fund_flows)
        premium_emp = premium_pc * o.insured_employee
        fund = s.premium - s.surplus_returned + s.loss_compensation
        rows.append(
            (
                s.margin_rate,
                s.margin,
                s.premium - s.claims < 0,
                s.surplus_returned > 0,
                s.quality_deposit,
                max(-s.margin, 0.0),
                -s.margin > s.quality_deposit,
                fund,
                fund - premium_emp,
            )
        )
    a = np.asarray(rows, dtype=float)
    return dict(zip(PRICING_FIGURES, (float(x) for x in a.mean(axis=0))))


def _year_result(pop, scenario: Scenario, year: int, seed: int, overrides: dict | None):
    """The run of `year`: the scenario's own year simulated (growth starts after it), a later one
    projected to."""
    if year == scenario.year:
        return simulate(pop, scenario)
    proj = project(pop, scenario, years=year - scenario.year + 1, seed=seed, overrides=overrides or None)
    return proj.result(year)


def _outcome(res, schemes) -> _DrawOutcome:
    cells = res.fund_cells
    # the covered schemes' enrolled persons are the premium's base (summary_from_parts: premium =
    # per-capita premium × critical_insured_persons)
    insured = sum(cells[f"weight_{s}_enrolled"] for s in schemes)
    emp = cells["weight_employee_enrolled"] if "employee" in schemes else 0.0
    return _DrawOutcome(float(res.summary["insurer_claims"]), float(insured), float(emp))


def _year_premium(res, outcome: _DrawOutcome) -> float:
    """The per-capita premium the run charged (the scenario's, grown or phased to its year)."""
    return float(res.summary["insurer_premium"]) / outcome.insured if outcome.insured > 0 else 0.0


def _with_value(scenario: Scenario, path: str, value: float, year: int) -> Scenario:
    """The scenario with `path` at `value` in `year`: a plain change for the scenario's own year, a
    phased value (a series: the current value until the year before) for a later one, so the
    projection neither grows nor indexes it."""
    if year == scenario.year:
        return scenario.with_changes({path: value})
    series = dict(scenario.series.get(path, {scenario.year: scenario.get(path)}))
    series = {y: v for y, v in series.items() if y < year}
    series[year] = value
    return scenario.with_changes({path: series})


def price_critical_illness(
    pop,
    scenario: Scenario,
    year: int | None = None,
    draws: int = 50,
    *,
    target: float | None = None,
    solve: str = PREMIUM,
    bounds: tuple[float, float] | None = None,
    seed: int = 0,
    populations: int | None = 1,
    population_factory: Callable[[int], object] | None = None,
    ranges: dict[str, list[float]] | None = None,
) -> Pricing:
    """Solve `solve` (the per-capita premium, or `critical_illness.terms.threshold`, or a band ratio
    `critical_illness.terms.bands.N.ratio`) so that the insurer's expected margin rate over `draws`
    Monte Carlo draws equals `target` (default: the middle of the scenario's corridor).

    `year` is the contract year priced (default: the year after the scenario's). `populations` 1
    (the default) runs every draw on `pop`; more (or None: one a draw) draws that many populations of
    `pop`'s size from the scenario's generator (adding the sampling spread of which persons fall
    ill: an n-person sample spreads wider than a region's own year, so this bounds the risk from
    above), or from `population_factory(seed)` as in `monte_carlo`. `bounds` the range
    searched for a threshold or ratio (default: the lever's bounds, a threshold up to 5 times its
    value). Raises WorkbenchError when the scenario has no critical-illness insurance, the target is
    outside the corridor or no value within the bounds reaches it."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"price_critical_illness: expected a Scenario, got {type(scenario).__name__}")
    y = scenario.year + 1 if year is None else int(year)
    if not scenario.year <= y <= scenario.year + 49:
        raise WorkbenchError(
            f"year: expected a contract year from {scenario.year} to {scenario.year + 49}, got {y}"
        )
    ci = scenario.for_year(y).critical_illness
    if not ci.enabled:
        raise WorkbenchError(
            "price_critical_illness: this scenario has no critical-illness insurance "
            "(critical_illness.enabled is false) / 本情景未实施大病保险"
        )
    tgt = (ci.margin_floor + ci.margin_ceiling) / 2 if target is None else float(target)
    if not ci.margin_floor <= tgt <= ci.margin_ceiling:
        raise WorkbenchError(
            f"target: expected a margin rate inside the corridor [{ci.margin_floor:.2%}, "
            f"{ci.margin_ceiling:.2%}], got {tgt:.2%} / 目标盈利率须在盈利率区间内"
        )
    if solve != PREMIUM and not (
        solve == "critical_illness.terms.threshold"
        or (solve.startswith("critical_illness.terms.bands.") and solve.endswith(".ratio"))
    ):
        raise WorkbenchError(
            f"solve: expected {PREMIUM}, critical_illness.terms.threshold or "
            f"critical_illness.terms.bands.N.ratio, got {solve!r}"
        )
    scenario.lever(solve)  # a path the scenario does not have fails here, named
    plan = draw_plan(scenario, draws, seed=seed, populations=populations, ranges=ranges)
    if population_factory is not None:
        factory = population_factory
    elif populations == 1:
        factory = lambda _s: pop  # noqa: E731 - every draw on the population given
    else:  # the generator's own populations of the same size, one a seed
        persons = len(pop.persons)
        factory = lambda s: generate_population(scenario, persons=persons, seed=s)  # noqa: E731
    # a population several draws share is built once and kept (the default: `pop` itself)
    shared = list(draw_populations(plan, factory)) if len({d.seed for d in plan}) < len(plan) else None
    evaluations = 0

    def run_draws(scn: Scenario) -> tuple[list[_DrawOutcome], list[float]]:
        nonlocal evaluations
        evaluations += 1
        outs, prem = [], []
        it = shared if shared is not None else draw_populations(plan, factory)
        for d, p in it:
            res = _year_result(p, scn, y, d.seed, d.overrides)
            o = _outcome(res, ci.schemes)
            outs.append(o)
            prem.append(_year_premium(res, o))
        return outs, prem

    if solve == PREMIUM:
        outcomes, charged = run_draws(scenario)
        current = round(float(np.mean(charged)), 6)  # the scenario's premium, back from the totals
        per_capita = np.array([o.claims / o.insured for o in outcomes if o.insured > 0])
        if len(per_capita) == 0 or per_capita.max() <= 0:
            raise WorkbenchError(
                "price_critical_illness: no claims and no insured persons in the priced year"
            )

        def gap(p: float) -> float:
            return _stats(outcomes, p, ci)["expected_margin_rate"] - tgt

        lo = per_capita.min() * 0.5
        hi = per_capita.max() / (1.0 - ci.margin_ceiling) * 1.01 + 1e-9
        value = _root(gap, lo, hi, tgt, solve)
        premium = value
    else:
        lever = scenario.lever(solve)
        v0 = float(scenario.get(solve))
        if bounds is None:
            blo, bhi = lever.bounds
            blo = 0.0 if blo is None else float(blo)
            if bhi is None:  # a threshold: up to 5 times its value, below the first band's top
                bhi = 5.0 * v0 if v0 > 0 else 1e6
                first = ci.terms.bands[0].upto if ci.terms.bands else None
                bhi = min(bhi, float(first) - 1.0) if first is not None else bhi  # strictly below
            bhi = float(bhi)
        else:
            blo, bhi = (float(b) for b in bounds)
        if not blo < bhi:
            raise WorkbenchError(f"bounds: expected low < high, got [{blo}, {bhi}]")
        cache: dict[float, tuple] = {}

        def at_value(x: float):
            if x not in cache:
                try:
                    scn_x = _with_value(scenario, solve, x, y)
                except ScenarioError as e:
                    raise WorkbenchError(f"{solve} = {x:,.6g} is not a valid contract: {e}") from None
                outs, prem = run_draws(scn_x)
                # the premium stays the scenario's: each draw settles at the premium it charged
                rates = [_settle(o, pc, ci).margin_rate for o, pc in zip(outs, prem)]
                cache[x] = (float(np.mean(rates)), outs, prem)
            return cache[x]

        value = _root(lambda x: at_value(x)[0] - tgt, blo, bhi, tgt, solve)
        _, outcomes, charged = at_value(value)
        current = premium = float(np.mean(charged))
    stats = _stats(outcomes, premium, ci) if solve == PREMIUM else _stats_charged(outcomes, charged, ci)
    solved = _with_value(scenario, solve, value, y)
    central_res = _year_result(pop, solved, y, 0, None)
    central = {
        k: float(central_res.summary[k])
        for k in ("insurer_premium", "insurer_claims", "insurer_margin", "insurer_margin_rate",
                  "insurer_surplus_returned", "quality_deposit")
    }  # fmt: skip
    table = []
    for d, o, pc in zip(plan, outcomes, charged if solve != PREMIUM else [premium] * len(plan)):
        s = _settle(o, pc, ci)
        table.append(
            {
                "draw": d.draw,
                "seed": d.seed,
                **d.overrides,
                "insured": o.insured,
                "claims": o.claims,
                "premium": s.premium,
                "margin": s.margin,
                "margin_rate": s.margin_rate,
                "surplus_returned": s.surplus_returned,
                "quality_deposit": s.quality_deposit,
            }
        )
    return Pricing(
        scenario=scenario,
        year=y,
        parameter=solve,
        value=float(value),
        target=tgt,
        floor=ci.margin_floor,
        ceiling=ci.margin_ceiling,
        premium=float(premium),
        current_premium=current,
        draws=pd.DataFrame(table),
        central=central,
        solved=solved,
        evaluations=evaluations,
        _ci=ci,
        _outcomes=outcomes,
        **stats,
    )


def _stats_charged(outcomes, charged, ci) -> dict:
    """`_stats` where each draw charged its own per-capita premium (a solved threshold or ratio)."""
    parts = [_stats([o], pc, ci) for o, pc in zip(outcomes, charged)]
    return {k: float(np.mean([p[k] for p in parts])) for k in parts[0]}


def _root(f, lo: float, hi: float, target: float, what: str) -> float:
    """brentq on a monotone response after checking the bracket; out of reach is an error, never a
    wrong value."""
    flo, fhi = f(lo), f(hi)
    if flo == 0.0:
        return lo
    if fhi == 0.0:
        return hi
    if np.sign(flo) == np.sign(fhi):
        raise WorkbenchError(
            f"{what}: the expected margin rate stays {'above' if flo > 0 else 'below'} the target "
            f"{target:.2%} for every value in [{lo:,.6g}, {hi:,.6g}] / 在给定范围内无法达到目标盈利率"
        )
    return float(optimize.brentq(f, lo, hi, xtol=1e-9 * max(abs(hi), 1.0), rtol=1e-12))


# ---------------------------------------------------------------------------- printing

PRICING_FIGURES = (
    "expected_margin_rate",
    "expected_margin",
    "p_loss",
    "p_surplus",
    "deposit",
    "expected_loss",
    "p_loss_beyond_deposit",
    "fund_cost",
    "resident_fund_cost",
)


def pricing_rows(pr: Pricing, lang: str = "zh") -> list[tuple[str, str]]:
    """(label, value) of the pricing's figures, in the registry's labels and formatters."""
    lever = pr.scenario.lever(pr.parameter)
    rows = [(lever.label_in(lang), lever.format(pr.value, lang))]
    if pr.parameter != PREMIUM:
        rows.append((metric_label("premium_per_capita", lang), fmt_money(pr.premium, lang, "yuan", digits=2)))
    else:
        solved, current = (fmt_money(x, lang, "yuan", digits=2) for x in (pr.premium, pr.current_premium))
        rows[0] = (rows[0][0], f"{solved}（现行 {current}）" if lang == "zh" else f"{solved} (now {current})")
    rows += [(metric_label(k, lang), format_value(k, getattr(pr, k), lang)) for k in PRICING_FIGURES]
    central = "测算中值年度盈利率" if lang == "zh" else "margin rate at the central assumptions"
    rows.append((central, format_value("insurer_margin_rate", pr.central["insurer_margin_rate"], lang)))
    return rows


def format_pricing(pr: Pricing, lang: str = "zh") -> str:
    if lang == "zh":
        head = (
            f"大病保险合同定价 {pr.year} 年：目标盈利率 {fmt_rate(pr.target)}（区间 {fmt_rate(pr.floor)}—"
            f"{fmt_rate(pr.ceiling)}），{len(pr.draws)} 次抽样"
        )
    else:
        head = (
            f"Critical-illness contract {pr.year}: target margin {fmt_rate(pr.target)} (corridor "
            f"{fmt_rate(pr.floor)}-{fmt_rate(pr.ceiling)}), {len(pr.draws)} draws"
        )
    rows = pricing_rows(pr, lang)
    width = max(len(k) for k, _ in rows) + 2
    return "\n".join([head, *(f"{k:<{width}}\t{v}" for k, v in rows)])
