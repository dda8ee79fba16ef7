"""The best buy per public yuan: which lever, given one more 1,000万元, raises 综合保障率, lowers
catastrophic spending or clears warning-list households the most; the least-cost combinations of
up to three levers reaching each coverage level; the cheapest single lever change that takes
each warned household off the list.

    me = marginal_effects(pop, scn)                    # one row a lever, ranked by coverage per 1,000万元
    fr = frontier(pop, scn, me.path[:3].tolist(), (0, 5e7))
    fr.frontier                                        # Pareto: public cost against coverage
    cl = clearing(pop, scn, me)                        # each warned household's cheapest lever

Every figure is a `simulate` of the scenario with the lever moved (`Scenario.with_changes`), on one
population; public cost is the public payers' total (`compare.PUBLIC_TIERS`, as goal-seek counts
it). A marginal effect is a finite difference over one step of the lever in the direction that
spends more until it has spent 1,000万元 (or as far as it goes), read as the change per 1,000万元.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .api import simulate
from .compare import PUBLIC_TIERS
from .errors import ScenarioError, WorkbenchError
from .registry import Lever, fmt_count, fmt_money, fmt_points, format_value, metric_label
from .scenario import Scenario

BUDGET_STEP = 1e7  # 1,000万元: the marginal effects are per this much added public spending
# the figures a planner buys, and whether more of them is better
FIGURES: dict[str, bool] = {
    "coverage_rate_poor": True,
    "catastrophic_rate_10_persons": False,
    "warnings_remaining": False,
}
# one step of a lever: a rate by one percentage point, an amount by 5% of its value, a count
# (ages, months) by one; `frontier` and `clearing` span a lever from its value to its generous end
# (a rate to its bound, an amount to nothing or to twice its value) in `steps` points
STEPS = {"rate": 0.01, "money": 0.05, "number": 1.0}
SPAN_MONEY = 1.0  # an amount moves at most by its own value (to 0, or to twice it)
MIN_COST = 1.0  # yuan: an added public cost below this is no cost (the runs are exact)


def public_cost(summary) -> float:
    """The public payers' total of a run (basic, 大病, assistance, other departments, cap, premium
    subsidies: `compare.PUBLIC_TIERS`), yuan."""
    return float(sum(summary[k] for k in PUBLIC_TIERS))


def warnings_remaining(summary) -> float:
    """Warned households still above the line after subsidies and the cap (not 动态清零)."""
    return float(summary["warnings"]) * (1.0 - float(summary["warning_cleared_rate"]))


def figures(summary) -> dict[str, float]:
    """The figures of FIGURES and the public cost of a run."""
    out = {k: float(summary[k]) for k in FIGURES if k != "warnings_remaining"}
    out["warnings_remaining"] = warnings_remaining(summary)
    out["public_cost"] = public_cost(summary)
    return out


def movable(scenario: Scenario) -> list[Lever]:
    """The levers a budget can move: every rate, amount and count (not the switches), except an
    amount at 0 (no relative step: a deductible of 0 has nowhere cheaper to go)."""
    out = []
    for lv in scenario.levers():
        if lv.kind not in STEPS or isinstance(lv.value, bool) or not isinstance(lv.value, (int, float)):
            continue
        if lv.kind == "money" and float(lv.value) == 0.0:
            continue
        out.append(lv)
    return out


def _clip(lv: Lever, x: float) -> float:
    lo, hi = lv.bounds
    if lo is not None:
        x = max(x, float(lo))
    if hi is not None:
        x = min(x, float(hi))
    return x


def _cast(lv: Lever, x: float):
    return int(round(x)) if isinstance(lv.value, int) and not isinstance(lv.value, bool) else float(x)


def step_value(lv: Lever, sign: int):
    """The lever one step up (`sign` 1) or down (−1), within its bounds; None when it cannot move."""
    v = float(lv.value)
    d = STEPS[lv.kind] * (abs(v) if lv.kind == "money" else 1.0)
    x = _cast(lv, _clip(lv, v + sign * d))
    return None if float(x) == v else x


def span(lv: Lever, sign: int, steps: int) -> list:
    """`steps` values of the lever from its value (excluded) to its generous end in direction
    `sign`: a rate to its bound (0 or 100% without one), an amount by SPAN_MONEY of its value, a
    count by `steps`."""
    v = float(lv.value)
    if lv.kind == "rate":
        lo, hi = lv.bounds
        end = (1.0 if hi is None else float(hi)) if sign > 0 else (0.0 if lo is None else float(lo))
    elif lv.kind == "money":
        end = _clip(lv, v + sign * SPAN_MONEY * abs(v))
    else:
        end = _clip(lv, v + sign * steps)
    vals = []
    for x in np.linspace(v, end, steps + 1)[1:]:
        c = _cast(lv, x)
        if float(c) != v and c not in vals:
            vals.append(c)
    return vals


class _Runner:
    """Runs of one population and scenario, each kept as its figures only (and the households'
    list flags when asked), by the changes applied."""

    def __init__(self, pop, scenario: Scenario, year: int | None, households: bool = False):
        self.pop, self.scenario, self.year, self.households = pop, scenario, year, households
        self.cache: dict[tuple, dict] = {}
        self.flags: dict[tuple, np.ndarray] = {}
        self.runs = 0
        self.base = self({})

    def __call__(self, changes: Mapping[str, object]) -> dict:
        key = tuple(sorted((k, float(v)) for k, v in changes.items()))
        if key not in self.cache:
            scn = self.scenario.with_changes(dict(changes)) if changes else self.scenario
            res = simulate(self.pop, scn, year=self.year)
            self.runs += 1
            self.cache[key] = figures(res.summary)
            if self.households:
                h = res.household_arrays()
                self.flags[key] = h["warning"] & ~h["warning_cleared"]
                if not key:
                    self.household_ids = h["household_id"]
                    self.categories = np.asarray(res.household_category).astype(str)
                    self.oop = h["oop"]
            del res
        return self.cache[key]

    def added(self, changes) -> float:
        return self(changes)["public_cost"] - self.base["public_cost"]


def _direction(run: _Runner, lv: Lever) -> tuple[int, object, float] | None:
    """(sign, value, added cost) of the first step that spends more; None if neither does."""
    for sign in (1, -1):
        x = step_value(lv, sign)
        if x is None:
            continue
        try:
            cost = run.added({lv.path: x})
        except ScenarioError:  # a value the scenario's own rules refuse (a corridor's order ...)
            continue
        if cost > MIN_COST:
            return sign, x, cost
    return None


def _budget_value(run: _Runner, lv: Lever, sign: int, budget: float, steps: int = 5):
    """The lever's value, in direction `sign`, whose added public cost is `budget` (within 2%, by
    the Illinois variant of regula falsi on the monotone cost), or its generous end (`span`) when
    even that spends less: (value, added cost, reached)."""
    end = span(lv, sign, steps)[-1]
    try:
        c_end = run.added({lv.path: end})
    except ScenarioError:
        return None
    if c_end <= budget:
        return end, c_end, False
    is_int = isinstance(lv.value, int)
    a, fa = float(lv.value), -budget
    b, fb = float(end), c_end - budget
    side = 0
    x, c = end, c_end
    for _ in range(12):
        xm = b - fb * (b - a) / (fb - fa)
        xm = float(round(xm)) if is_int else xm
        if xm in (a, b):  # an integer lever between two neighbours: take the one over budget
            break
        try:
            cm = run.added({lv.path: _cast(lv, xm)})
        except ScenarioError:
            break
        fm = cm - budget
        if fm > 0:
            x, c = xm, cm
        if abs(fm) <= 0.02 * budget:
            x, c = xm, cm
            break
        if (fm > 0) == (fb > 0):
            b, fb = xm, fm
            if side == -1:
                fa /= 2
            side = -1
        else:
            a, fa = xm, fm
            if side == 1:
                fb /= 2
            side = 1
    return _cast(lv, x), c, True


def marginal_effects(
    pop,
    scenario: Scenario,
    levers: Sequence[str] | None = None,
    *,
    budget: float = BUDGET_STEP,
    year: int | None = None,
    rank_by: str = "coverage_rate_poor",
) -> pd.DataFrame:
    """What an extra `budget` (default 1,000万元) of public spending buys through each lever: the
    lever is moved in the direction that spends more until its added public cost is `budget` (or
    to its generous end, `span`, when it cannot absorb that much: `reached` False), and each figure
    of FIGURES is read there, as the change per `budget` (`per_budget_*`: a rate as a fraction,
    warned households as a count; the raw change is `change_*`). Levers no step of which adds
    public cost are left out (`movable` lists the candidates). Ranked by `rank_by`, best first,
    ties broken by the other figures (every yuan that lowers the poor's out-of-pocket raises their
    综合保障率 alike, so the levers aimed at them tie on it)."""
    if rank_by not in FIGURES:
        raise WorkbenchError(f"rank_by: expected one of {', '.join(FIGURES)}, got {rank_by!r}")
    if not budget > 0:
        raise WorkbenchError(f"budget: expected a positive amount of yuan, got {budget}")
    run = _Runner(pop, scenario, year)
    cands = movable(scenario) if levers is None else [scenario.lever(p) for p in levers]
    rows = []
    for lv in cands:
        found = _direction(run, lv)
        if found is None:
            continue
        sign = found[0]
        moved = _budget_value(run, lv, sign, budget)
        if moved is None:
            continue
        x, cost, reached = moved
        f = run({lv.path: x})
        row = {
            "path": lv.path,
            "label": lv.label,
            "label_en": lv.label_en,
            "tier": lv.tier,
            "kind": lv.kind,
            "value": lv.value,
            "new_value": x,
            "direction": sign,
            "added_cost": cost,
            "reached": reached,
        }
        for k in FIGURES:
            d = f[k] - run.base[k]
            row[f"change_{k}"] = d
            row[f"per_budget_{k}"] = d * budget / cost
        rows.append(row)
    cols = ["path", "label", "label_en", "tier", "kind", "value", "new_value", "direction", "added_cost"]
    cols += ["reached", *(f"{p}_{k}" for k in FIGURES for p in ("change", "per_budget"))]
    df = pd.DataFrame(rows, columns=cols)
    if len(df):
        order = [rank_by, *(k for k in FIGURES if k != rank_by)]
        # better first; a rate to 6 significant digits so float noise does not split a tie
        keys = {
            f"_{k}": (df[f"per_budget_{k}"] * (1.0 if FIGURES[k] else -1.0)).map(lambda v: float(f"{v:.6g}"))
            for k in order
        }
        df = (
            df.assign(**keys).sort_values(list(keys), ascending=False, kind="stable").drop(columns=list(keys))
        )
    df.attrs["runs"] = run.runs
    df.attrs["base"] = run.base
    df.attrs["budget"] = budget
    return df.reset_index(drop=True)


@dataclass
class Frontier:
    """Every evaluated combination and the Pareto frontier of public cost against the figure."""

    levers: list[str]
    figure: str
    budget_range: tuple[float, float]
    points: pd.DataFrame  # one row a combination: each lever's value, moved, added_cost, figures, in_budget
    frontier: pd.DataFrame  # the points no other evaluated point dominates, by added cost
    base: dict
    runs: int

    def __repr__(self) -> str:
        n, k = len(self.points), len(self.frontier)
        return f"Frontier({len(self.levers)} levers, {n} points, {k} on the frontier)"


def pareto(points: pd.DataFrame, figure: str, higher: bool = True) -> pd.DataFrame:
    """The rows no other row dominates (no more added cost and at least as good a figure, one of
    the two strictly), by added cost ascending."""
    if not len(points):
        return points.copy()
    y = points[figure].to_numpy() * (1.0 if higher else -1.0)
    order = np.lexsort((-y, points["added_cost"].to_numpy()))
    keep, best = [], -np.inf
    for i in order:
        if y[i] > best:
            keep.append(i)
            best = y[i]
    return points.iloc[keep].reset_index(drop=True)


def frontier(
    pop,
    scenario: Scenario,
    levers: Sequence[str] | Mapping[str, Sequence[float]],
    budget_range: tuple[float, float],
    *,
    steps: int = 5,
    figure: str = "coverage_rate_poor",
    max_levers: int = 3,
    year: int | None = None,
) -> Frontier:
    """The least-cost combinations of up to `max_levers` of `levers` reaching each level of
    `figure`, within `budget_range` (added public cost, yuan). Each lever takes its value and
    `steps` values towards its generous end (`span`), or the values a mapping gives; every
    combination of up to `max_levers` moved levers is simulated once."""
    if figure not in FIGURES:
        raise WorkbenchError(f"figure: expected one of {', '.join(FIGURES)}, got {figure!r}")
    lo_b, hi_b = (float(b) for b in budget_range)
    if lo_b > hi_b:
        raise WorkbenchError(f"budget_range: expected (low, high), got ({lo_b:g}, {hi_b:g})")
    if not 1 <= max_levers <= 3:
        raise WorkbenchError(f"max_levers: expected 1-3, got {max_levers}")
    if steps < 1:
        raise WorkbenchError(f"steps: expected at least 1, got {steps}")
    run = _Runner(pop, scenario, year)
    paths = list(levers)
    if not paths:
        raise WorkbenchError("frontier: give at least one lever")
    grids: dict[str, list] = {}
    for p in paths:
        lv = scenario.lever(p)
        if isinstance(levers, Mapping):
            grids[p] = [v for v in levers[p] if float(v) != float(lv.value)]
        else:
            found = _direction(run, lv)
            if found is None:
                raise WorkbenchError(
                    f"{p}: no step of this lever adds public cost / 该参数调整不增加公共支出"
                )
            grids[p] = span(lv, found[0], steps)
    rows = []
    seen = set()
    for k in range(0, min(max_levers, len(paths)) + 1):
        for subset in itertools.combinations(paths, k):
            for values in itertools.product(*(grids[p] for p in subset)):
                changes = dict(zip(subset, values))
                key = tuple(sorted(changes.items()))
                if key in seen:
                    continue
                seen.add(key)
                try:
                    f = run(changes)
                except ScenarioError:  # a combination the scenario's rules refuse
                    continue
                row = {p: changes.get(p, scenario.get(p)) for p in paths}
                row["moved"] = len(changes)
                row["added_cost"] = f["public_cost"] - run.base["public_cost"]
                row.update({k2: f[k2] for k2 in FIGURES})
                rows.append(row)
    points = pd.DataFrame(rows)
    points["in_budget"] = (points["added_cost"] >= lo_b - MIN_COST) & (
        points["added_cost"] <= hi_b + MIN_COST
    )
    front = pareto(points[points["in_budget"]], figure, FIGURES[figure])
    return Frontier(paths, figure, (lo_b, hi_b), points, front, run.base, run.runs)


def clearing(
    pop,
    scenario: Scenario,
    marginal: pd.DataFrame | None = None,
    *,
    steps: int = 8,
    year: int | None = None,
) -> pd.DataFrame:
    """For each household on the warning list (warned, not brought below the line by subsidies and
    the cap), the cheapest single lever change that takes it off: each lever of `marginal` (default
    `marginal_effects`) moved through `span` in its spending direction, the first value clearing
    the household priced by its added public cost (for the whole population). A household no
    lever clears within its span has no lever (path None)."""
    if marginal is None:
        marginal = marginal_effects(pop, scenario, year=year)
    run = _Runner(pop, scenario, year, households=True)
    on_list = run.flags[()]
    idx = np.flatnonzero(on_list)
    best_cost = np.full(len(idx), np.inf)
    best_path = np.full(len(idx), None, dtype=object)
    best_value = np.full(len(idx), np.nan)
    for r in marginal.itertuples():
        lv = scenario.lever(r.path)
        open_ = np.ones(len(idx), dtype=bool)  # not yet cleared by this lever
        for x in span(lv, int(r.direction), steps):
            try:
                cost = run.added({r.path: x})
            except ScenarioError:
                break
            cleared = open_ & ~run.flags[((r.path, float(x)),)][idx]
            better = cleared & (cost < best_cost)
            best_cost[better], best_path[better], best_value[better] = cost, r.path, float(x)
            open_ &= ~cleared
            if not open_.any():
                break
    labels = {lv.path: lv for lv in scenario.levers()}
    out = pd.DataFrame(
        {
            "household_id": run.household_ids[idx],
            "category": run.categories[idx],
            "oop": run.oop[idx],
            "path": best_path,
            "label": [labels[p].label if p else None for p in best_path],
            "label_en": [labels[p].label_en if p else None for p in best_path],
            "value": best_value,
            "added_cost": np.where(np.isfinite(best_cost), best_cost, np.nan),
        }
    )
    out.attrs["runs"] = run.runs
    return out.sort_values(["added_cost", "household_id"], na_position="last", kind="stable").reset_index(
        drop=True
    )


# ---------------------------------------------------------------------------- printing


def marginal_table(df: pd.DataFrame, scenario: Scenario, lang: str = "zh") -> pd.DataFrame:
    """The ranked table as text in the registry's labels: the lever, its move, the added cost and
    what 1,000万元 buys (points of a rate, households)."""
    levers = {lv.path: lv for lv in scenario.levers()}
    zh = lang == "zh"
    budget = df.attrs.get("budget", BUDGET_STEP)
    per = (
        f"（每{fmt_money(budget, lang, digits=0)}）" if zh else f" (per {fmt_money(budget, lang, digits=0)})"
    )
    rows = []
    for r in df.itertuples():
        lv = levers[r.path]
        rows.append(
            {
                ("参数" if zh else "lever"): lv.label_in(lang),
                ("调整" if zh else "move"): f"{lv.format(r.value, lang)} → {lv.format(r.new_value, lang)}",
                metric_label("added_cost", lang): fmt_money(r.added_cost, lang),
                metric_label("coverage_rate_poor", lang) + per: fmt_points(
                    r.per_budget_coverage_rate_poor, lang, 2
                ),
                metric_label("catastrophic_rate_10_persons", lang) + per: fmt_points(
                    r.per_budget_catastrophic_rate_10_persons, lang, 2
                ),
                metric_label("warnings_remaining", lang) + per: fmt_count(
                    r.per_budget_warnings_remaining, 1, signed=True
                ),
                ("可投满" if zh else "absorbs it"): ("是" if zh else "yes")
                if r.reached
                else ("否" if zh else "no"),
            }
        )
    return pd.DataFrame(rows)


def frontier_table(fr: Frontier, scenario: Scenario, lang: str = "zh") -> pd.DataFrame:
    """The frontier as text: each lever's value, the added cost and the figures."""
    levers = {p: scenario.lever(p) for p in fr.levers}
    rows = []
    for r in fr.frontier.to_dict("records"):
        row = {levers[p].label_in(lang): levers[p].format(r[p], lang) for p in fr.levers}
        row[metric_label("added_cost", lang)] = fmt_money(r["added_cost"], lang)
        for k in FIGURES:
            row[metric_label(k, lang)] = format_value(
                k, r[k], lang, digits=2 if k != "warnings_remaining" else 0
            )
        rows.append(row)
    return pd.DataFrame(rows)
