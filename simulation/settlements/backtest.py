"""`backtest(observed, scenario)`: run the scenario that was in force on the observed settlements and
reconcile what it pays with what the platform paid, per tier (`codes.TIERS`: `hifp_pay` ↔ basic,
`hifmi_pay + hifob_pay` ↔ 大病, `maf_pay` ↔ assistance, `psn_part_amt` ↔ the person's part ...), by
hospital level × setting × category × month, with the settlements of the largest gaps: the first
place to look for a misread rule or a data problem.

    bt = backtest(load_settlements("s.csv", "p.csv"), load_scenario("linan_2024"))
    bt.totals()                               # per tier: observed, simulated, gap, relative gap (yuan)
    bt.table(by=("setting", "category"))      # the same per group
    bt.largest_gaps(20)                       # the settlements furthest from the model
    bt.exact("critical_paid", ("setting",))   # True: that sum does not depend on the apportionment

The simulated side is `simulate`'s own per-person figures apportioned to the settlements
(`apportion.claim_payments`, in cents); `gap = simulated - observed`. Which aggregates are free of
the apportionment rule is `apportion.EXACT_LEVELS`: basic insurance at every level; 大病, assistance
and mutual aid by setting and category; the rest by category (see docs/CONTRACT-settlements.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..api import simulate
from ..result import Result
from ..scenario import Scenario
from . import codes as C
from .apportion import EXACT_LEVELS, cents, claim_payments
from .extract import ObservedPopulation

DIMENSIONS: tuple[str, ...] = ("hospital_level", "setting", "category", "month")


@dataclass
class Backtest:
    """A scenario run on observed settlements: `claims` has one row a settlement (its ids, the four
    dimensions, and per tier `obs_<tier>` / `sim_<tier>` in cents); `result` is the run."""

    scenario: Scenario
    observed: ObservedPopulation
    result: Result
    claims: pd.DataFrame

    def totals(self) -> pd.DataFrame:
        """Per tier (`codes.TIERS` order): observed, simulated, gap, relative gap (yuan; the
        relative gap is NaN where nothing was observed)."""
        return self._stats(self.claims, [])

    def table(self, by=DIMENSIONS) -> pd.DataFrame:
        """One row a group of `by` (any of DIMENSIONS) and tier: observed, simulated, gap,
        relative gap (yuan)."""
        by = list(by)
        bad = [d for d in by if d not in DIMENSIONS]
        if bad:
            raise ValueError(
                f"backtest table: unknown dimension {bad[0]!r} (dimensions: {', '.join(DIMENSIONS)})"
            )
        return self._stats(self.claims, by)

    @staticmethod
    def _stats(claims: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        cols = [f"{p}_{t}" for t in C.TIER_KEYS for p in ("obs", "sim")]
        if by:
            g = claims.groupby(by, sort=True, observed=True)[cols].sum()
        else:
            g = claims[cols].sum().to_frame().T
            g.index = pd.Index(["all"], name="group")
        frames = []
        for t in C.TIER_KEYS:
            obs = g[f"obs_{t}"].to_numpy(dtype=np.int64)
            sim = g[f"sim_{t}"].to_numpy(dtype=np.int64)
            gap = sim - obs
            f = pd.DataFrame(
                {
                    "tier": t,
                    "observed": obs / 100.0,
                    "simulated": sim / 100.0,
                    "gap": gap / 100.0,
                    "relative_gap": np.divide(gap, obs, out=np.full(len(obs), np.nan), where=obs != 0),
                },
                index=g.index,
            )
            frames.append(f)
        out = pd.concat(frames).reset_index()
        if not by:
            out = out.drop(columns="group").set_index("tier")
            return out
        out["tier"] = pd.Categorical(out["tier"], categories=list(C.TIER_KEYS))
        return out.sort_values([*by, "tier"], kind="stable").reset_index(drop=True)

    def largest_gaps(self, n: int = 20, tier: str | None = None) -> pd.DataFrame:
        """The `n` settlements with the largest absolute gap of `tier` (default: the sum of the
        absolute gaps of every payer), with their ids, dimensions, observed and simulated payers."""
        c = self.claims
        if tier is None:
            size = sum(np.abs(c[f"sim_{t}"].to_numpy() - c[f"obs_{t}"].to_numpy()) for t in C.PAID_TIERS)
        else:
            C.tier(tier)
            size = np.abs(c[f"sim_{tier}"].to_numpy() - c[f"obs_{tier}"].to_numpy())
        top = np.argsort(-size, kind="stable")[: max(int(n), 0)]
        top = top[size[top] > 0]
        keep = ["setl_id", "psn_no", *DIMENSIONS]
        out = c.iloc[top][keep].reset_index(drop=True)
        for t in C.PAID_TIERS:
            out[f"obs_{t}"] = c[f"obs_{t}"].to_numpy()[top] / 100.0
            out[f"sim_{t}"] = c[f"sim_{t}"].to_numpy()[top] / 100.0
        out["abs_gap"] = size[top] / 100.0
        return out

    @staticmethod
    def exact(tier: str, by) -> bool:
        """Whether the tier's simulated sum by `by` is free of the apportionment rule (it equals
        `simulate`'s per-person columns summed over whole persons or person x settings)."""
        return all(d in EXACT_LEVELS[col] for col in C.tier(tier).model for d in by)

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """Per month and tier: observed and simulated (cents) — the in-year monitor's profile."""
        cols = [f"{p}_{t}" for t in C.TIER_KEYS for p in ("obs", "sim")]
        return self.claims.groupby("month", sort=True)[cols].sum()


def backtest(observed: ObservedPopulation, scenario: Scenario, *, year: int | None = None) -> Backtest:
    """Run `scenario` (the one in force; `year` for a phased reform) on the observed settlements and
    reconcile it with what was paid (see the module's text)."""
    if not isinstance(observed, ObservedPopulation):
        raise TypeError(
            f"backtest: expected an ObservedPopulation (load_settlements), got {type(observed).__name__}"
        )
    res = simulate(observed.population, scenario, year=year)
    return Backtest(scenario, observed, res, reconcile(observed, res))


def reconcile(observed: ObservedPopulation, res: Result) -> pd.DataFrame:
    """One row a settlement: ids, dimensions, and per tier observed and simulated cents."""
    pop = observed.population
    cl = pop.claims
    sim = claim_payments(res)
    person = pd.Index(pop.persons["person_id"].to_numpy()).get_indexer(cl["person_id"].to_numpy())
    out = pd.DataFrame(
        {
            "setl_id": observed.observed["setl_id"].to_numpy(),
            "psn_no": observed.observed["psn_no"].to_numpy(),
            "hospital_level": cl["hospital_level"].astype(str).to_numpy(),
            "setting": cl["setting"].astype(str).to_numpy(),
            "category": pop.persons["category"].astype(str).to_numpy()[person],
            "month": cl["month"].to_numpy().astype(np.int64),
        }
    )
    ob = observed.observed
    for t in C.TIERS:
        out[f"obs_{t.key}"] = sum(cents(ob[f].to_numpy()) for f in t.observed)
        out[f"sim_{t.key}"] = sum(sim[k] for k in t.model)
    return out
