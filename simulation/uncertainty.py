"""Monte Carlo over population seeds and the growth assumptions' ranges.

Each draw generates a population with its own seed (`generate_population(scn, persons=N,
seed=S)`), draws every growth assumption uniformly from `projection.ranges` and projects the funds.
Result: P10/P50/P90 of each fund's balance per year and the probability that each fund is exhausted
(balance below zero in some year) within the horizon.

    mc = monte_carlo(scn, persons=100_000, draws=200, years=10, seed=1)
    mc.bands          # year, fund, p10, p50, p90 (balance, yuan)
    mc.exhaustion     # fund -> probability

`draw_plan` and `draw_populations` give the draws themselves (seed and drawn assumptions), so other
analyses (the 大病 contract's pricing) run the same draws.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import WorkbenchError
from .funds import FUNDS
from .population import generate_population  # the synthetic generator
from .projection import project, projection_config
from .scenario import Scenario


@dataclass
class MonteCarlo:
    draws: pd.DataFrame  # draw, year, fund, balance, months_payable (+ the draw's assumptions)
    assumptions: pd.DataFrame  # one row per draw: seed and each drawn growth rate
    bands: pd.DataFrame  # year, fund, p10, p50, p90 of the balance
    exhaustion: pd.Series  # fund -> probability that the balance goes below zero within the horizon
    # year x fund: probability that the fund's balance has gone below zero in that year or before
    exhaustion_by_year: pd.DataFrame | None = None

    def __repr__(self) -> str:
        p = ", ".join(f"{k} {v:.0%}" for k, v in self.exhaustion.items())
        return f"MonteCarlo({len(self.assumptions)} draws; P(exhausted): {p})"


def _default_factory(scenario: Scenario, persons: int) -> Callable[[int], object]:
    return lambda seed: generate_population(scenario, persons=persons, seed=seed)


@dataclass(frozen=True)
class Draw:
    """One Monte Carlo draw: its number, the population seed (also the projection's) and the growth
    assumptions drawn for it."""

    draw: int
    seed: int
    overrides: dict[str, float]


def draw_plan(
    scenario: Scenario,
    draws: int,
    *,
    seed: int = 0,
    populations: int | None = None,
    ranges: dict[str, list[float]] | None = None,
) -> list[Draw]:
    """The draws of a Monte Carlo: `populations` distinct population seeds cycled through (default
    one per draw) and every growth assumption drawn uniformly from its range (`ranges`, default
    the scenario's `projection.ranges`). The same arguments give the same draws."""
    if draws < 1:
        raise WorkbenchError(f"draws: expected at least 1, got {draws}")
    cfg = projection_config(scenario)
    rng_ranges = dict(cfg.ranges if ranges is None else ranges)
    for k, v in rng_ranges.items():
        if len(v) != 2 or v[0] > v[1]:
            raise WorkbenchError(f"ranges.{k}: expected [low, high]")
    n_pops = draws if populations is None else max(1, min(int(populations), draws))
    rng = np.random.default_rng(seed)
    pop_seeds = rng.integers(0, 2**31 - 1, n_pops)
    return [
        Draw(
            d,
            int(pop_seeds[d % n_pops]),
            {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in rng_ranges.items()},
        )
        for d in range(draws)
    ]


def draw_populations(plan: list[Draw], factory: Callable[[int], object]) -> Iterator[tuple[Draw, object]]:
    """Each draw with its population, `factory(seed)` called once a seed (a population reused by a
    later draw is kept until the end)."""
    reused = len({d.seed for d in plan}) < len(plan)
    cache: dict[int, object] = {}
    for d in plan:
        if d.seed in cache:
            pop = cache[d.seed]
        else:
            pop = factory(d.seed)
            if reused:
                cache[d.seed] = pop
        yield d, pop


def monte_carlo(
    scenario: Scenario,
    persons: int = 100_000,
    draws: int = 200,
    years: int | None = None,
    *,
    seed: int = 0,
    populations: int | None = None,
    population_factory: Callable[[int], object] | None = None,
    ranges: dict[str, list[float]] | None = None,
) -> MonteCarlo:
    """`populations` distinct seeds are cycled through (default: one per draw); `ranges` replaces
    the scenario's `projection.ranges`; `population_factory(seed)` replaces the generator."""
    plan = draw_plan(scenario, draws, seed=seed, populations=populations, ranges=ranges)
    factory = population_factory or _default_factory(scenario, persons)
    frames, assumptions = [], []
    for d, pop in draw_populations(plan, factory):
        proj = project(pop, scenario, years=years, seed=d.seed, overrides=d.overrides)
        f = proj.funds[["year", "fund", "balance", "months_payable"]].copy()
        f.insert(0, "draw", d.draw)
        frames.append(f)
        assumptions.append({"draw": d.draw, "seed": d.seed, **d.overrides})
    all_draws = pd.concat(frames, ignore_index=True)
    q = all_draws.groupby(["year", "fund"], sort=False)["balance"].quantile([0.1, 0.5, 0.9]).unstack()
    q.columns = ["p10", "p50", "p90"]
    bands = q.reset_index()
    bands["fund"] = pd.Categorical(bands["fund"], categories=list(FUNDS), ordered=True)
    bands = bands.sort_values(["year", "fund"]).reset_index(drop=True)
    bands["fund"] = bands["fund"].astype(str)
    exhausted = all_draws.groupby(["fund", "draw"])["balance"].min() < 0
    exhaustion = exhausted.groupby(level="fund").mean().reindex(list(FUNDS)).rename("p_exhausted")
    return MonteCarlo(
        draws=all_draws,
        assumptions=pd.DataFrame(assumptions),
        bands=bands,
        exhaustion=exhaustion,
        exhaustion_by_year=exhaustion_by_year(all_draws),
    )


def exhaustion_by_year(draws: pd.DataFrame) -> pd.DataFrame:
    """From the draws' fund tables (draw, year, fund, balance): for each year and fund the share of
    draws whose balance has been below zero in that year or an earlier one (cumulative, so it never
    falls; the last year's equals `exhaustion`). Index year; columns the funds in `FUNDS` order."""
    d = draws.sort_values(["draw", "fund", "year"])
    # once below zero, exhausted from then on (a later surplus does not undo a missed payment)
    below = (d["balance"] < 0).astype(int).groupby([d["draw"], d["fund"]]).cummax()
    p = below.groupby([d["year"], d["fund"]]).mean().unstack("fund")
    cols = [f for f in FUNDS if f in p.columns]
    return p[cols].rename_axis(index="year", columns="fund")
