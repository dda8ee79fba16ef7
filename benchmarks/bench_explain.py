"""Time of `Result.explain` (the engine's loops as Python, every rule call recorded) per household,
per preset: python benchmarks/bench_explain.py [--persons 3000] [--households 200].

The property test (tests/test_explain.py) explains about 250 households of each preset; this prints
the median and the 95th percentile per household and the total, so its budget can be checked on a
quiet host."""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulation import available_presets, generate_population, load_scenario, simulate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--households", type=int, default=200)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    for preset in available_presets():
        scn = load_scenario(preset)
        res = simulate(generate_population(scn, persons=args.persons, seed=args.seed), scn)
        h = res.household_arrays()
        ids = h["household_id"][h["total_cost"] > 0][: args.households]
        res.explain(ids[0])  # the first call loads what the rest share
        times = []
        for hid in ids:
            t0 = time.perf_counter()
            res.explain(hid)
            times.append(time.perf_counter() - t0)
        t = np.array(times)
        print(
            f"{preset:<14} {len(t)} households: median {np.median(t) * 1e3:.1f} ms, "
            f"p95 {np.percentile(t, 95) * 1e3:.1f} ms, total {t.sum():.1f} s"
        )


if __name__ == "__main__":
    main()
