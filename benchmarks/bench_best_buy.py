"""Benchmark: the best-buy frontier over three levers at 1e5 persons (issue 26: within 60 s on 2
cores), with the marginal table and the contract pricing beside it. Not a timed test: nothing
asserts a speed; rerun on a quiet host before quoting the figures.

python benchmarks/bench_best_buy.py [--scenario linan_2024] [--persons 100000] [--steps 5]
    [--levers PATH,PATH,PATH] [--budget 1e8] [--marginal] [--price-draws 50]

The frontier simulates every combination of the three levers (each at its value and --steps values
towards its generous end: (steps + 1)^3 runs, 216 at the default) on one population; the time per
run is printed so the scaling to other grids is plain.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation import generate_population, load_scenario, simulate
from simulation.best_buy import frontier, marginal_effects
from simulation.contract import price_critical_illness

LEVERS = (
    "medical_assistance.inpatient_ratio.dibao",
    "critical_illness.terms.bands.0.ratio",
    "basic_insurance.resident.inpatient.deductible.1",
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="linan_2024")
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--levers", default=",".join(LEVERS))
    ap.add_argument("--budget", type=float, default=1e8, help="largest added public cost, yuan")
    ap.add_argument("--marginal", action="store_true", help="also time marginal_effects over every lever")
    ap.add_argument(
        "--price-draws", type=int, default=0, help="also time price_critical_illness with N draws"
    )
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (noisy when above the cores)")

    scn = load_scenario(args.scenario)
    t = time.perf_counter()
    pop = generate_population(scn, persons=args.persons, seed=7)
    print(f"generate {args.persons:,} persons: {time.perf_counter() - t:.1f} s")
    simulate(pop, scn)  # compile / warm the kernels outside the timing
    t = time.perf_counter()
    for _ in range(5):
        _ = simulate(pop, scn).summary
    print(f"simulate + summary: {(time.perf_counter() - t) / 5:.3f} s a run")

    levers = [p.strip() for p in args.levers.split(",") if p.strip()]
    t = time.perf_counter()
    fr = frontier(pop, scn, levers, (0.0, args.budget), steps=args.steps)
    dt = time.perf_counter() - t
    print(
        f"frontier over {len(levers)} levers, {len(fr.points)} combinations ({fr.runs} runs): {dt:.1f} s "
        f"({dt / max(fr.runs, 1):.3f} s a run), {len(fr.frontier)} on the frontier"
    )
    if args.marginal:
        t = time.perf_counter()
        me = marginal_effects(pop, scn)
        dt = time.perf_counter() - t
        print(f"marginal effects: {len(me)} levers, {me.attrs['runs']} runs: {dt:.1f} s")
    if args.price_draws:
        t = time.perf_counter()
        pr = price_critical_illness(pop, scn, draws=args.price_draws)
        print(f"price_critical_illness, {args.price_draws} draws: {time.perf_counter() - t:.1f} s ({pr})")


if __name__ == "__main__":
    main()
