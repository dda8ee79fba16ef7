"""Slider-to-redraw time of the Results page, measured with AppTest:
`python benchmarks/bench_app.py [persons ...] [--moves N]` (default: 1e5 and 1e6 persons, 7 moves).

For each size it prints
- the population build (generated once per preset/size/seed and cached for every later run),
- the first render of the Results page (population build + first simulate + per-population caches),
- the median (and min/max) over N slider moves of the 低保 inpatient assistance ratio, each a new
  scenario, so a full rerun of the page: simulate + KPIs + aggregates + charts; with the share of
  each redraw spent inside `simulate` (the engine) and the rest (the page). Moves are `--pause`
  seconds apart (default 1.5, a planner reading the page; the app frees evicted runs in that time),
- a move back to the preset's value (its run is kept in the store: the page alone).

Timings are wall clock on a shared machine, with the load average; beside each, the CPU time of
the process (all threads), which other processes do not inflate: on an idle machine the wall time
of the single-threaded page part is about its CPU time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

import app_pages._common as common  # noqa: E402

KEY = "q:medical_assistance.inpatient_ratio.dibao"
COVERAGE = "困难群众综合保障率"
TIMES: dict[str, float] = {}


def _timed(name: str, fn):
    def wrapper(*args, **kw):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kw)
        finally:
            TIMES[name] = TIMES.get(name, 0.0) + time.perf_counter() - t0
            TIMES[name + "_cpu"] = TIMES.get(name + "_cpu", 0.0) + time.process_time() - c0

    return wrapper


# the app module's own references: what the cached runs call
common.simulate = _timed("simulate", common.simulate)
common.generate_population = _timed("generate", common.generate_population)


def _run(step) -> tuple[float, float]:
    """Wall time of one AppTest run and the part of it inside simulate(); the CPU times of both
    are left in TIMES["cpu"] and TIMES["simulate_cpu"]."""
    TIMES.clear()
    t0, c0 = time.perf_counter(), time.process_time()
    at = step()
    wall = time.perf_counter() - t0
    TIMES["cpu"] = time.process_time() - c0
    assert not at.exception, at.exception
    return wall, TIMES.get("simulate", 0.0)


def _load() -> str:
    return "load average {:.1f} {:.1f} {:.1f} on {} cores".format(*os.getloadavg(), os.cpu_count())


def bench(persons: int, moves: int, pause: float = 1.5) -> dict[str, float]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.query_params["n"] = str(persons)
    first, first_sim = _run(at.run)
    build = TIMES.get("generate", 0.0)
    cov0 = next(m.value for m in at.metric if m.label == COVERAGE)
    print(f"\n{persons:,} persons  ({_load()})")
    print(f"  population build (one-off, cached per preset/size/seed): {build:6.2f} s")
    print(
        f"  first render of Results:  {first:6.2f} s  (of which population {build:.2f} s, "
        f"simulate {first_sim:.2f} s, page and per-population caches {first - build - first_sim:.2f} s)"
    )
    walls, sims, cpus, sim_cpus = [], [], [], []
    # each move a new scenario (the preset's value is 90%): up to 99%, then down from 89%
    values = [91.0 + i if i < 9 else 89.0 - (i - 9) for i in range(moves)]
    for value in values:
        time.sleep(pause)
        wall, sim = _run(lambda v=value: at.slider(key=KEY).set_value(v).run())
        walls.append(wall)
        sims.append(sim)
        cpus.append(TIMES["cpu"])
        sim_cpus.append(TIMES.get("simulate_cpu", 0.0))
    cov = next(m.value for m in at.metric if m.label == COVERAGE)
    med, sim_med = statistics.median(walls), statistics.median(sims)
    rest = statistics.median(w - s for w, s in zip(walls, sims))
    cpu, sim_cpu = statistics.median(cpus), statistics.median(sim_cpus)
    rest_cpu = statistics.median(c - s for c, s in zip(cpus, sim_cpus))
    print(
        f"  slider move -> Results redrawn: median {med:.3f} s (min {min(walls):.3f}, max {max(walls):.3f}, "
        f"{moves} moves {pause:g} s apart); simulate {sim_med:.3f} s = {sim_med / med:.0%} of it, "
        f"page {rest:.3f} s"
    )
    print(f"    CPU time: {cpu:.3f} s a redraw, simulate {sim_cpu:.3f} s, page {rest_cpu:.3f} s")
    late = walls[len(walls) // 2 :]
    print(
        f"  the last {len(late)} moves (at 1e6 the run store is full: evicted runs' memory reused): "
        f"median "
        f"{statistics.median(late):.3f} s (min {min(late):.3f}, max {max(late):.3f})"
    )
    back = 90.0  # the preset's own value: its run is pinned in the store
    time.sleep(pause)
    hit, _ = _run(lambda: at.slider(key=KEY).set_value(back).run())
    cpu_hit = TIMES["cpu"]
    print(f"  move back to the preset's value (its run kept: page only): {hit:.3f} s, CPU {cpu_hit:.3f} s")
    print(f"  coverage of the poor {cov0} at 90% -> {cov} at {values[-1]:g}%")
    return {
        "build": build,
        "first": first,
        "median": med,
        "median_late": statistics.median(late),
        "simulate": sim_med,
        "page": rest,
        "cached": hit,
        "cpu": cpu,
        "simulate_cpu": sim_cpu,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("persons", nargs="*", type=float, default=[1e5, 1e6])
    ap.add_argument("--moves", type=int, default=7)
    ap.add_argument("--pause", type=float, default=1.5, help="seconds between moves (not timed)")
    args = ap.parse_args(argv)
    if args.moves < 1:
        ap.error("--moves: at least 1")
    for n in args.persons:
        bench(int(n), args.moves, args.pause)


if __name__ == "__main__":
    main()
