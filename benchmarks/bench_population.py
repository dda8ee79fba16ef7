"""Generation speed at 1e6 persons and peak memory at 1e7 (chunked).

    python benchmarks/bench_population.py [--scenario linan_2024] [--big 10000000]

Each size runs in a fresh subprocess so the peak resident memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys
sys.path.insert(0, {root!r})
from benchmarks.bench_population import peak_rss_bytes, time_generate
from simulation import load_scenario
pop, dt = time_generate(load_scenario({scenario!r}), {n}, seed=7)
print(json.dumps({{"seconds": dt, "claims": len(pop.claims), "peak_bytes": peak_rss_bytes()}}))
"""


def time_generate(scn, n: int, seed: int = 7):
    """(population, seconds) of one `generate_population` call."""
    from simulation import generate_population

    t = time.perf_counter()
    pop = generate_population(scn, persons=n, seed=seed)
    return pop, time.perf_counter() - t


def peak_rss_bytes() -> int:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(n: int, scenario: str) -> dict:
    code = CHILD.format(root=str(ROOT), scenario=scenario, n=n)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="linan_2024")
    ap.add_argument("--small", type=int, default=1_000_000)
    ap.add_argument("--big", type=int, default=10_000_000)
    a = ap.parse_args()
    r = run(a.small, a.scenario)
    print(
        f"{a.scenario}: {a.small:,} persons, {r['claims']:,} claims in {r['seconds']:.2f} s "
        f"= {a.small / r['seconds']:,.0f} persons/s (peak {r['peak_bytes'] / 2**30:.2f} GiB)"
    )
    r = run(a.big, a.scenario)
    print(
        f"{a.scenario}: {a.big:,} persons, {r['claims']:,} claims in {r['seconds']:.1f} s, "
        f"peak memory {r['peak_bytes'] / 2**30:.2f} GiB"
    )


if __name__ == "__main__":
    main()
