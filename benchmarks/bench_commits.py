"""`simulate` of two source trees on the same host, interleaved: median seconds per call at one size.

    python benchmarks/bench_commits.py OLD_TREE NEW_TREE [--persons 1000000] [--rounds 2]

Each tree is a checkout of the repository (e.g. `git worktree add /tmp/old <commit>`). For every
preset and round, the old tree and then the new one run in a fresh process: generate the preset's
population at the size (seed 7, each tree with its own generator), one warm-up call (compiles on a
cold cache), then the median of `--repeats` timed calls. Interleaving puts both trees under the same
background load; the table gives each tree's median over rounds and their ratio (new / old).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from statistics import median

PRESETS = ("shanghai_2023", "linan_2024", "jiaxing_2025", "shuozhou_2021", "bijie_2019")

_CHILD = """
import json, sys, time
from statistics import median
from simulation import generate_population, load_scenario, simulate
scn = load_scenario(sys.argv[1])
pop = generate_population(scn, persons=int(sys.argv[2]), seed=7)
simulate(pop, scn).summary  # warm-up: compile or load the cache, touch the memory
times = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter()
    simulate(pop, scn).summary
    times.append(time.perf_counter() - t)
print(json.dumps(median(times)))
"""


def run(tree: str, preset: str, persons: int, repeats: int) -> float:
    env = {**os.environ, "PYTHONPATH": tree}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, preset, str(persons), str(repeats)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--presets", nargs="*", default=list(PRESETS))
    args = ap.parse_args()
    t0 = time.perf_counter()
    print(f"simulate at {args.persons:,} persons, median of {args.repeats} calls, {args.rounds} rounds")
    print(f"{'preset':<15} {'old s':>8} {'new s':>8} {'new/old':>8}")
    for preset in args.presets:
        old, new = [], []
        for _ in range(args.rounds):
            old.append(run(args.old, preset, args.persons, args.repeats))
            new.append(run(args.new, preset, args.persons, args.repeats))
        o, n = median(old), median(new)
        print(f"{preset:<15} {o:8.3f} {n:8.3f} {n / o:8.2f}", flush=True)
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
