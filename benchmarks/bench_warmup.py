"""What a user waits for after install, with and without `python -m simulation warmup`.

In a fresh, empty compiled cache (a temporary `NUMBA_CACHE_DIR`, so the repository's own cache is
left alone) it measures, each in a new process:
  - the first page: the app started, a browser opening the Results page (default population),
    seconds until its figures show;
  - the first run at 1e6 persons: `simulate` once on a generated population of 1e6 (the
    generation itself is timed apart); above `kernels.PARALLEL_MIN` the parallel loops run;
first without the warm-up (each compiles what it needs), then after the warm-up in a second empty
cache (the warm-up's own time is reported).

    python benchmarks/bench_warmup.py [--persons 1000000] [--preset linan_2024]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.app_server import ARGS, CHROMIUM, IDLE, start_app, stop  # noqa: E402

FIRST_RUN = """
import sys, time
from simulation import generate_population, load_scenario, simulate
scn = load_scenario(sys.argv[1])
t0 = time.perf_counter()
pop = generate_population(scn, persons=int(sys.argv[2]), seed=7)
t1 = time.perf_counter()
simulate(pop, scn).summary
t2 = time.perf_counter()
print(f"{t1 - t0:.2f} {t2 - t1:.2f}")
"""


def first_page(env: dict) -> float:
    """Seconds from the browser asking for Results to its figures shown, on a fresh server."""
    from playwright.sync_api import sync_playwright

    proc, url = start_app(env, wait_s=600.0)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page.goto(f"{url}/results", timeout=600_000)
            page.wait_for_selector("[data-testid='stMetric']", timeout=600_000)
            page.wait_for_selector(IDLE, timeout=600_000)
            seconds = time.perf_counter() - t0
            browser.close()
        return seconds
    finally:
        stop(proc)


def first_run(env: dict, preset: str, persons: int) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", FIRST_RUN, preset, str(persons)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    gen, run = out.stdout.split()[-2:]
    return float(gen), float(run)


def warm(env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "simulation", "warmup"], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - t0


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--preset", default="linan_2024")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as cold, tempfile.TemporaryDirectory() as warmed:
        base = {**os.environ, "PYTHONPATH": str(ROOT)}
        env = {**base, "NUMBA_CACHE_DIR": cold}
        page = first_page(env)
        gen, run = first_run(env, args.preset, args.persons)
        rows.append(("without warm-up", None, page, gen, run))
        env = {**base, "NUMBA_CACHE_DIR": warmed}
        seconds = warm(env)
        page = first_page(env)
        gen, run = first_run(env, args.preset, args.persons)
        rows.append(("after warm-up", seconds, page, gen, run))
    n = f"{args.persons:.0e}"
    print(f"\n| | warm-up | first Results page | generate {n} | first simulate {n} |")
    print("|---|---|---|---|---|")
    for name, w, page, gen, run in rows:
        ws = "" if w is None else f"{w:.0f} s"
        print(f"| {name} | {ws} | {page:.1f} s | {gen:.1f} s | {run:.2f} s |")


if __name__ == "__main__":
    main()
