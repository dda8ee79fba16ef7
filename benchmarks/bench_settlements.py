"""Import speed of the national platform's settlement extract: a synthetic extract of about
1,000,000 settlements in GBK (simulation.settlements.synthetic_extract), read by `load_settlements`
(decode, map the fields, net the reversals, decode the codes, validate, build the population), and
the back-test of the same scenario on it (which must reconcile to the cent).

    python benchmarks/bench_settlements.py [--settlements 1000000] [--scenario linan_2024] [--runs 3]

The extract is written once to `--dir` (default: a folder in the system's temp directory) and
reused. The goal (issue 27): under 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation import load_scenario  # noqa: E402
from simulation.settlements import backtest, load_settlements, synthetic_extract, write_extract  # noqa: E402


def make(scenario: str, settlements: int, directory: Path):
    """The extract's files, written if absent (about 0.96 settlements a person in Lin'an)."""
    s, p, m = directory / "settlements.csv", directory / "persons.csv", directory / "mapping.yaml"
    if s.is_file() and p.is_file():
        return s, p, (m if m.is_file() else None)
    scn = load_scenario(scenario)
    t = time.perf_counter()
    persons = int(settlements * 1.06)  # about 0.96 settlements a person (Lin'an): a few more than asked
    ex = synthetic_extract(scn, persons=persons, seed=11)
    f = write_extract(ex, directory)
    size = f.settlements.stat().st_size / 2**20
    print(
        f"wrote {len(ex.settlements):,} settlement rows of {persons:,} persons ({size:,.0f} MiB, GBK) "
        f"in {time.perf_counter() - t:.1f} s"
    )
    return f.settlements, f.persons, f.mapping


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="linan_2024")
    ap.add_argument("--settlements", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where the extract is written and reused")
    a = ap.parse_args()
    d = (
        Path(a.dir)
        if a.dir
        else Path(tempfile.gettempdir()) / f"bench_settlements_{a.scenario}_{a.settlements}"
    )
    d.mkdir(parents=True, exist_ok=True)
    s, p, m = make(a.scenario, a.settlements, d)
    times = []
    for _ in range(a.runs):
        t = time.perf_counter()
        obs = load_settlements(s, p, mapping=m)
        times.append(time.perf_counter() - t)
    r = obs.report
    print(
        f"load_settlements: {r.rows:,} rows -> {r.settlements:,} settlements of {r.persons:,} persons, "
        f"best {min(times):.1f} s, runs {', '.join(f'{x:.1f}' for x in times)} s "
        f"(goal < 30 s); warnings {r.counts()}"
    )
    t = time.perf_counter()
    bt = backtest(obs, load_scenario(a.scenario))
    gaps = bt.totals()["gap"].abs().max()
    print(
        f"backtest: {time.perf_counter() - t:.1f} s, largest tier gap {gaps:.2f} yuan (same scenario: 0.00)"
    )
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
