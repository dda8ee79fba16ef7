"""Monte Carlo over population seeds and the growth assumptions' ranges.

Each draw generates a population with its own seed (`generate_population(scn, persons=N,
seed=S)`), draws every growth assumption uniformly from `projection.ranges` and projects the funds.
Result: P10/P50/P90 of each fund's balance per year and the probability that each fund is exhausted
(balance below zero in some year) within the horizon.

    mc = monte_carlo(scn, persons=100_000, draws=200, years=10, seed=1)
    mc.bands          # year, fund, p10, p50, p90 (balance, yuan)
    mc.exhaustion     # fund -> probability
"""

from __future__ import annotations

from collections.abc import Callable
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
    if draws < 1:
        raise WorkbenchError(f"draws: expected at least 1, got {draws}")
    cfg = projection_config(scenario)
    rng_ranges = dict(cfg.ranges if ranges is None else ranges)
    for k, v in rng_ranges.items():
        if len(v) != 2 or v[0] > v[1]:
            raise WorkbenchError(f"ranges.{k}: expected [low, high]")
    factory = population_factory or _default_factory(scenario, persons)
    n_pops = draws if populations is None else max(1, min(int(populations), draws))
    rng = np.random.default_rng(seed)
    pop_seeds = rng.integers(0, 2**31 - 1, n_pops)
    cache: dict[int, object] = {}
    frames, assumptions = [], []
    for d in range(draws):
        s = int(pop_seeds[d % n_pops])
        if s in cache:
            pop = cache[s]
        else:
            pop = factory(s)
            if n_pops < draws:  # reused by later draws
                cache[s] = pop
        overrides = {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in rng_ranges.items()}
        proj = project(pop, scenario, years=years, seed=s, overrides=overrides)
        f = proj.funds[["year", "fund", "balance", "months_payable"]].copy()
        f.insert(0, "draw", d)
        frames.append(f)
        assumptions.append({"draw": d, "seed": s, **overrides})
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
