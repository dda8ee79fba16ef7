"""Speed of `simulate` (persons/second) at 1e5 and 1e6 persons, against the memory-bandwidth floor.

The floor is numpy reading the rule inputs once and writing the result columns once (the least any
implementation must do). Run: python benchmarks/bench_rules.py [--sizes 100000 1000000] [--preset X]
(`python -m benchmarks` runs this with generation, OpenFisca and projection for every preset.)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulation import generate_population, load_scenario, simulate


def floor_seconds(pop, repeats: int = 3) -> float:
    """Read every array the rules read and write the nine contract result columns, once."""
    a = pop.arrays
    inputs = [
        a.claim_total,
        a.claim_policy,
        a.claim_person,
        a.claim_setting,
        a.claim_level,
        a.claim_referred,
        a.age,
        a.employee,
        a.cat_mask,
        a.income,
        a.weight,
        a.household,
    ]
    n = a.n_persons
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        acc = 0.0
        for x in inputs:
            acc += float(x.sum())  # one read of each input
        out = np.empty((9, n))
        out[:] = acc  # one write of each output column
        best = min(best, time.perf_counter() - t)
    return best


def floor_bytes(pop) -> int:
    """Bytes `floor_seconds` moves: every input read once, nine float64 result columns written once."""
    a = pop.arrays
    inputs = (
        a.claim_total,
        a.claim_policy,
        a.claim_person,
        a.claim_setting,
        a.claim_level,
        a.claim_referred,
        a.age,
        a.employee,
        a.cat_mask,
        a.income,
        a.weight,
        a.household,
    )
    return int(sum(x.nbytes for x in inputs) + 9 * 8 * a.n_persons)


def time_simulate(pop, scn, repeats: int = 5) -> dict[str, float]:
    """{"first": the first call (includes any compile), "best" and "median" of `repeats` after it}.
    On a shared virtual machine single runs vary by ±20%: the best is the machine's speed, the
    median what a planner usually waits."""
    _ = pop.arrays  # encode once, as the app's cached population does
    t = time.perf_counter()
    simulate(pop, scn)
    first = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        simulate(pop, scn)
        times.append(time.perf_counter() - t)
    return {"first": first, "best": float(np.min(times)), "median": float(np.median(times))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--preset", default="linan_2024")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    scn = load_scenario(args.preset)
    print(f"preset {args.preset}; simulate = one year, all tiers, summary (tables are lazy)")
    print(f"{'persons':>10} {'claims':>10} {'simulate s':>11} {'persons/s':>12} {'floor s':>9} {'ratio':>7}")
    for n in args.sizes:
        pop = generate_population(scn, persons=n, seed=1)
        best = time_simulate(pop, scn, args.repeats)["best"]
        fl = floor_seconds(pop)
        print(
            f"{n:>10,} {len(pop.claims):>10,} {best:>11.3f} {n / best:>12,.0f} {fl:>9.4f} {best / fl:>7.1f}x"
        )


if __name__ == "__main__":
    main()
