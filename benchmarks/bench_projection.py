"""Benchmark: a 10-year projection at 1e6 persons and a 200-draw Monte Carlo at 1e5 persons.

/work/venv/bin/python benchmarks/bench_projection.py [--scenario linan_2024] [--persons 1000000]
    [--mc-persons 100000] [--draws 200] [--years 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation import load_scenario
from simulation.projection import format_funds, project
from simulation.uncertainty import monte_carlo


def time_projection(pop, scn, years: int = 10):
    """(projection, seconds) of one `project` call over `years`."""
    t = time.perf_counter()
    proj = project(pop, scn, years=years)
    return proj, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="linan_2024")
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--mc-persons", type=int, default=100_000)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--populations", type=int, default=None, help="distinct seeds (default: one per draw)")
    ap.add_argument("--years", type=int, default=10)
    args = ap.parse_args()

    from simulation.population import generate_population

    scn = load_scenario(args.scenario)
    t = time.perf_counter()
    pop = generate_population(scn, persons=args.persons, seed=7)
    t_gen = time.perf_counter() - t
    print(f"generate {args.persons:,} persons: {t_gen:.1f} s ({pop})")
    proj, t_proj = time_projection(pop, scn, args.years)
    print(
        f"{args.years}-year projection at {args.persons:,} persons: {t_proj:.1f} s "
        f"({t_proj / args.years:.2f} s/year)"
    )
    print(format_funds(proj.funds[proj.funds["year"].isin([proj.years[0], proj.years[-1]])]))

    t = time.perf_counter()
    mc = monte_carlo(
        scn, persons=args.mc_persons, draws=args.draws, years=args.years, seed=1, populations=args.populations
    )
    t_mc = time.perf_counter() - t
    print(
        f"Monte Carlo {args.draws} draws x {args.years} years at {args.mc_persons:,} persons: {t_mc:.1f} s "
        f"({t_mc / args.draws:.2f} s/draw, population generation included)"
    )
    print(mc.exhaustion.to_string())
    last = mc.bands[mc.bands["year"] == mc.bands["year"].max()]
    print((last.set_index("fund")[["p10", "p50", "p90"]] / 1e4).round(1).to_string())


if __name__ == "__main__":
    main()
