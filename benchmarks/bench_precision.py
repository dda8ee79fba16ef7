"""How much the headline figures move from seed to seed at each population size, against the
precision the Results page shows (`simulation.precision`, delete-a-group jackknife).

    python benchmarks/bench_precision.py [--sizes 20000 50000 100000 200000] [--seeds 10] [--write-results]

For each size, `--seeds` populations of the preset are generated (seeds 1..S) and simulated; the
table gives, for coverage of the poor (困难群众综合保障率) and 个人负担率, the standard deviation over
the seeds, the mean and the largest absolute change between two seeds, and the mean standard
error the page estimates from a single population (it should match the seeds' standard deviation).
The app's default size is chosen so that the mean change of coverage of the poor between two
seeds stays below 0.5 percentage point. `--write-results` puts the table in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIGURES = ("coverage_rate_poor", "personal_burden_rate")
LIMIT_PP = 0.5  # the mean change of coverage of the poor between two seeds the default size keeps under


def measure(preset: str, n: int, seeds: int) -> dict:
    from simulation import generate_population, load_scenario, simulate
    from simulation.precision import precision

    scn = load_scenario(preset)
    values = {k: [] for k in FIGURES}
    ses = {k: [] for k in FIGURES}
    t0 = time.perf_counter()
    gen = sim = 0.0
    for seed in range(1, seeds + 1):
        a = time.perf_counter()
        pop = generate_population(scn, persons=n, seed=seed)
        b = time.perf_counter()
        res = simulate(pop, scn)
        s = res.summary
        sim += time.perf_counter() - b
        gen += b - a
        p = precision(res)
        for k in FIGURES:
            values[k].append(100.0 * s[k])
            ses[k].append(100.0 * p.at[k, "se"])
        del pop, res
    out = {"n": n, "seeds": seeds, "generate_s": gen / seeds, "simulate_s": sim / seeds}
    for k in FIGURES:
        v = values[k]
        pairs = [abs(x - y) for x, y in itertools.combinations(v, 2)]
        out[k] = {
            "mean": statistics.fmean(v),
            "sd": statistics.stdev(v),
            "mean_change": statistics.fmean(pairs),
            "median_change": statistics.median(pairs),
            "max_change": max(pairs),
            "se_page": statistics.fmean(ses[k]),
        }
    out["seconds"] = time.perf_counter() - t0
    return out


def table(rows: list[dict], preset: str) -> str:
    lines = [
        "| persons | figure | mean | sd over seeds | mean change, two seeds | median change | largest change "
        "| SE the page shows | generate s | simulate s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"coverage_rate_poor": "困难群众综合保障率", "personal_burden_rate": "个人负担率"}
    for r in rows:
        for k in FIGURES:
            f = r[k]
            lines.append(
                f"| {r['n']:,} | {names[k]} | {f['mean']:.2f}% | {f['sd']:.2f} pt | "
                f"{f['mean_change']:.2f} pt | {f['median_change']:.2f} pt | {f['max_change']:.2f} pt | "
                f"{f['se_page']:.2f} pt | "
                f"{r['generate_s']:.2f} | {r['simulate_s']:.3f} |"
            )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="linan_2024")
    ap.add_argument("--sizes", type=float, nargs="+", default=[20_000, 50_000, 100_000, 200_000])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--write-results", action="store_true")
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)
    rows = []
    for n in args.sizes:
        r = measure(args.preset, int(n), args.seeds)
        rows.append(r)
        c = r["coverage_rate_poor"]
        print(
            f"{int(n):>9,}  coverage of the poor {c['mean']:.2f}%  sd {c['sd']:.2f} pt  mean change "
            f"{c['mean_change']:.2f} pt  median {c['median_change']:.2f} pt  max {c['max_change']:.2f} pt  "
            f"page SE {c['se_page']:.2f} pt  "
            f"({r['seconds']:.0f} s)",
            flush=True,
        )
    ok = [r["n"] for r in rows if r["coverage_rate_poor"]["mean_change"] < LIMIT_PP]
    verdict = (
        f"Smallest size measured whose mean change of coverage of the poor between two seeds is below "
        f"{LIMIT_PP} pt: {min(ok):,} persons."
        if ok
        else f"No size measured keeps the mean change below {LIMIT_PP} pt."
    )
    print(verdict)
    if args.write_results:
        from benchmarks.results_section import write_section

        load = os.getloadavg()[0]
        md = "\n".join(
            [
                "## Precision: seed-to-seed spread by population size (`benchmarks/bench_precision.py`)",
                "",
                f"Preset {args.preset}, seeds 1-{args.seeds} at each size, "
                f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC "
                f"(load average {load:.2f}; the spreads do not depend on the load, the seconds do). "
                "*mean change*: the mean absolute difference between two seeds; *SE the page shows*: the "
                "delete-a-group jackknife standard error of `simulation.precision` on one population (its "
                "95% half-width is 2.09 × SE), averaged over the seeds.",
                "",
                table(rows, args.preset),
                "",
                verdict + (f" {args.note}" if args.note else ""),
            ]
        )
        write_section("precision", md)
        print("wrote benchmarks/RESULTS.md (section precision)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
