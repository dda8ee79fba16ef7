"""Goal-seek: the value of one or two named parameters that reaches a target at the least added
public cost, under an optional budget; "out of reach" is reported, never a wrong value.

One parameter: `scipy.optimize.brentq` on the (monotone) response, after checking the bracket.
Two parameters: a search along the target contour: for each value of the second parameter the
first is solved with brentq, and the added cost is minimised over the second (a grid, then
`scipy.optimize.minimize_scalar` between the best grid neighbours).

    gs = goal_seek(pop, scn, "medical_assistance.inpatient_ratio.dibao", "coverage_rate_poor", 0.90,
                   bounds=(0.5, 1.0))
    gs.reached, gs.values, gs.achieved, gs.added_cost
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from .api import simulate
from .compare import PUBLIC_TIERS
from .errors import WorkbenchError
from .scenario import Scenario


@dataclass
class GoalSeekResult:
    reached: bool
    values: dict[str, float]  # the answer, or the best achievable values when not reached
    achieved: float  # the target figure at `values`
    target: str
    goal: float
    added_cost: float  # public cost (basic + critical + assistance + cap + subsidies) vs the scenario
    message: str
    evaluations: int
    scenario: Scenario | None = None  # the scenario with `values` applied
    trace: list[dict] = field(default_factory=list, repr=False)
    bounds: list[tuple[float, float]] = field(default_factory=list)  # the ranges searched, per parameter
    over_budget: bool = False  # reachable within the bounds, but not within the budget


def _public_cost(summary) -> float:
    return float(sum(summary[t] for t in PUBLIC_TIERS))


class _Evaluator:
    def __init__(self, pop, scenario: Scenario, params: list[str], target: str, year: int | None):
        self._simulate = simulate
        self.pop, self.scenario, self.params, self.target, self.year = pop, scenario, params, target, year
        base = simulate(pop, scenario, year=year)
        if target not in base.summary:
            raise WorkbenchError(f"goal_seek: {target!r} is not a summary figure")
        self.base_cost = _public_cost(base.summary)
        self.cache: dict[tuple, tuple[float, float]] = {}
        self.trace: list[dict] = []

    def scenario_for(self, values: Sequence[float]) -> Scenario:
        return self.scenario.with_changes({p: float(v) for p, v in zip(self.params, values)})

    def __call__(self, values: Sequence[float]) -> tuple[float, float]:
        key = tuple(round(float(v), 12) for v in values)
        if key not in self.cache:
            res = self._simulate(self.pop, self.scenario_for(values), year=self.year)
            out = (float(res.summary[self.target]), _public_cost(res.summary) - self.base_cost)
            self.cache[key] = out
            self.trace.append({**dict(zip(self.params, key)), "value": out[0], "added_cost": out[1]})
        return self.cache[key]


def goal_seek(
    pop,
    scenario: Scenario,
    params: str | Sequence[str],
    target: str,
    value: float,
    bounds: Sequence[float] | Sequence[Sequence[float]],
    *,
    sense: str = "at_least",
    budget: float | None = None,
    year: int | None = None,
    grid: int = 9,
    xtol: float | None = None,
) -> GoalSeekResult:
    """Find parameter values reaching `target` (a summary figure) `at_least`/`at_most` `value`.

    `bounds` is (low, high) for one parameter or one pair per parameter; `budget` caps the added
    public cost (yuan/year). Responses are assumed monotone in each parameter within its bounds.
    """
    names = [params] if isinstance(params, str) else list(params)
    if not 1 <= len(names) <= 2:
        raise WorkbenchError("goal_seek: give one or two parameters")
    bnds = [tuple(bounds)] if len(names) == 1 and np.isscalar(bounds[0]) else [tuple(b) for b in bounds]
    if len(bnds) != len(names) or any(len(b) != 2 or b[0] > b[1] for b in bnds):
        raise WorkbenchError("goal_seek: bounds must be one (low, high) pair per parameter")
    if sense not in ("at_least", "at_most"):
        raise WorkbenchError("goal_seek: sense is 'at_least' or 'at_most'")
    ev = _Evaluator(pop, scenario, names, target, year)
    for name, b in zip(names, bnds):  # fail early on a bad path or a bound the scenario rejects
        for v in b:
            scenario.with_changes({name: float(v)})
    sign = 1.0 if sense == "at_least" else -1.0
    tol_val = 1e-9

    def ok(v: float) -> bool:
        return sign * (v - value) >= -tol_val

    def solve_first(rest: list[float]) -> tuple[float | None, float, float]:
        """(x or None, achieved, cost): the cheapest first-parameter value reaching the goal."""
        lo, hi = bnds[0]
        (flo, clo), (fhi, chi) = ev([lo, *rest]), ev([hi, *rest])
        if ok(flo) and ok(fhi):
            return (lo, flo, clo) if clo <= chi else (hi, fhi, chi)
        if not ok(flo) and not ok(fhi):
            best = (lo, flo, clo) if sign * flo >= sign * fhi else (hi, fhi, chi)
            return None, best[1], best[2]
        tol = xtol if xtol is not None else 1e-7 * max(hi - lo, 1e-12)
        x = optimize.brentq(lambda t: ev([t, *rest])[0] - value, lo, hi, xtol=tol)
        # step to the side where the goal holds (brentq stops within xtol of the crossing)
        good_end = lo if ok(flo) else hi
        f, c = ev([x, *rest])
        if not ok(f):
            x = x + tol * np.sign(good_end - x)
            f, c = ev([x, *rest])
        return float(x), f, c

    def finish(xs: list[float] | None, achieved: float, cost: float, best_xs: list[float], msg: str):
        reached = xs is not None
        values = dict(zip(names, xs if reached else best_xs))
        return GoalSeekResult(
            reached=reached,
            values={k: float(v) for k, v in values.items()},
            achieved=achieved,
            target=target,
            goal=value,
            added_cost=cost,
            message=msg,
            evaluations=len(ev.cache),
            scenario=ev.scenario_for(list(values.values())),
            trace=ev.trace,
            bounds=[(float(lo), float(hi)) for lo, hi in bnds],
            over_budget=not reached and msg.startswith("out of reach within the budget"),
        )

    if len(names) == 1:
        x, f, c = solve_first([])
        if x is None:
            lo, hi = bnds[0]
            best_x = lo if sign * ev([lo])[0] >= sign * ev([hi])[0] else hi
            return finish(
                None,
                f,
                c,
                [best_x],
                f"out of reach: {target} reaches at best {f:.6g} within {names[0]} in [{lo:g}, {hi:g}]",
            )
        if budget is not None and c > budget + 1e-6:
            return _over_budget(ev, names, bnds, target, value, budget, x, f, c, finish)
        return finish([x], f, c, [x], f"{names[0]} = {x:.6g} gives {target} = {f:.6g}")

    # two parameters: minimise the added cost along the target contour
    lo2, hi2 = bnds[1]
    grid_v = np.linspace(lo2, hi2, max(grid, 2))
    found = []
    for v in grid_v:
        x, f, c = solve_first([float(v)])
        found.append((v, x, f, c))
    feasible = [(c, i) for i, (v, x, f, c) in enumerate(found) if x is not None]
    if not feasible:
        i_best = int(np.argmax([sign * f for (_, _, f, _) in found]))
        v, _, f, c = found[i_best]
        lo1, hi1 = bnds[0]
        x_best = lo1 if sign * ev([lo1, v])[0] >= sign * ev([hi1, v])[0] else hi1
        return finish(
            None,
            f,
            c,
            [x_best, float(v)],
            f"out of reach: {target} reaches at best {f:.6g} within the bounds of {', '.join(names)}",
        )
    _, i = min(feasible)
    a, b = grid_v[max(i - 1, 0)], grid_v[min(i + 1, len(grid_v) - 1)]
    penalty = max(abs(c) for c, _ in feasible) * 10 + 1.0

    def cost_of(v: float) -> float:
        x, _, c = solve_first([float(v)])
        return c if x is not None else penalty

    best_v, best_x, best_f, best_c = found[i]
    if b > a:
        r = optimize.minimize_scalar(
            cost_of, bounds=(a, b), method="bounded", options={"xatol": 1e-4 * (hi2 - lo2)}
        )
        x, f, c = solve_first([float(r.x)])
        if x is not None and c < best_c - 1e-9:
            best_v, best_x, best_f, best_c = float(r.x), x, f, c
    if budget is not None and best_c > budget + 1e-6:
        return finish(
            None,
            best_f,
            best_c,
            [best_x, float(best_v)],
            f"out of reach within the budget: the cheapest way to reach {target} = {value:g} adds "
            f"{best_c:,.0f} yuan, above the budget {budget:,.0f}",
        )
    return finish(
        [best_x, float(best_v)],
        best_f,
        best_c,
        [best_x, float(best_v)],
        f"{names[0]} = {best_x:.6g}, {names[1]} = {best_v:.6g} give {target} = {best_f:.6g}",
    )


def _over_budget(ev, names, bnds, target, value, budget, x, f, c, finish):
    """One parameter over budget: report the value the budget buys (cost assumed monotone)."""
    lo, hi = bnds[0]
    c_lo, c_hi = ev([lo])[1], ev([hi])[1]
    cheap = lo if c_lo <= c_hi else hi
    if ev([cheap])[1] > budget:
        xb = cheap
    else:
        xb = optimize.brentq(lambda t: ev([t])[1] - budget, cheap, x, xtol=1e-7 * max(hi - lo, 1e-12))
    fb, cb = ev([xb])
    return finish(
        None,
        fb,
        cb,
        [xb],
        f"out of reach within the budget: {names[0]} = {x:.6g} reaches {target} = {value:g} but adds "
        f"{c:,.0f} yuan (budget {budget:,.0f}); the budget buys {names[0]} = {xb:.6g}, {target} = {fb:.6g}",
    )


@dataclass
class Reach:
    """`reach_range`'s answer: the ranges (one (low, high) a parameter) within which the goal is
    reached, or None; `best`, the best value of the target within the whole ranges."""

    ranges: list[tuple[float, float]] | None
    best: float


def reach_range(
    pop,
    scenario: Scenario,
    params: str | Sequence[str],
    target: str,
    value: float,
    full_bounds: Sequence[float] | Sequence[Sequence[float]],
    *,
    sense: str = "at_least",
    year: int | None = None,
    xtol: float = 1e-4,
) -> Reach:
    """Where the goal can be reached within each parameter's whole range (`full_bounds`, e.g. the
    lever's bounds), for a goal-seek that could not reach it within a narrower one: for one
    parameter, the part of its range where the goal holds (the response is monotone, so it runs
    from the crossing to the favourable end); for two, their whole ranges when a corner of them
    reaches the goal; `ranges` None when nothing within the whole ranges reaches it, and `best` the
    best value of the target over them (at an end, or a corner, of the ranges)."""
    names = [params] if isinstance(params, str) else list(params)
    bnds = (
        [tuple(full_bounds)]
        if len(names) == 1 and np.isscalar(full_bounds[0])
        else [tuple(b) for b in full_bounds]
    )
    if len(bnds) != len(names) or not 1 <= len(names) <= 2:
        raise WorkbenchError("reach_range: one (low, high) pair per parameter, one or two parameters")
    sign = 1.0 if sense == "at_least" else -1.0
    ev = _Evaluator(pop, scenario, names, target, year)

    def ok(v: float) -> bool:
        return sign * (v - value) >= -1e-9

    if len(names) == 2:
        values = [ev([a, b])[0] for a in bnds[0] for b in bnds[1]]
        best = max(values, key=lambda v: sign * v)
        whole = [(float(lo), float(hi)) for lo, hi in bnds]
        return Reach(whole if ok(best) else None, best)
    lo, hi = map(float, bnds[0])
    f_lo, f_hi = ev([lo])[0], ev([hi])[0]
    best = max(f_lo, f_hi, key=lambda v: sign * v)
    if ok(f_lo) and ok(f_hi):
        return Reach([(lo, hi)], best)
    if not ok(f_lo) and not ok(f_hi):
        return Reach(None, best)
    x = float(optimize.brentq(lambda t: ev([t])[0] - value, lo, hi, xtol=xtol * max(hi - lo, 1e-12)))
    # the crossing rounded outwards by xtol, so the range's end surely reaches the goal
    if ok(f_hi):
        return Reach([(min(hi, x + xtol * (hi - lo)), hi)], best)
    return Reach([(lo, max(lo, x - xtol * (hi - lo)))], best)
