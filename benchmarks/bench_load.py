"""Load: N planners at once in real browsers against one app server.

One server (`streamlit run app.py`, as deployed) and, for each N, N browser sessions (each its own
Chromium context: its own cookies and Streamlit session) on the Results page of the same generated
population. Each session starts from its own 低保 assistance ratio (in its URL) and moves that
slider `--moves` times, one keyboard step at a time, all sessions together; the latency of a move
is from the key press until the session's URL carries the new value and the page is idle again
(the run is drawn and the URL synced at the end of the script).

Isolation is checked at the end of each round: every session's URL and slider hold its own value,
and each of its eight KPI cards reads what `simulate` gives for that scenario recomputed here,
independently of the app, formatted by the registry.

Reported per N: latency median and p90 over every move of every session, the server's CPU seconds
per move, and its peak resident memory (the server and its children, sampled every 0.1 s).

    python benchmarks/bench_load.py [--sessions 1 3 6] [--persons 1000000] [--moves 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.app_server import ARGS, CHROMIUM, IDLE, start_app  # noqa: E402
from simulation import generate_population, load_scenario, simulate  # noqa: E402
from simulation.registry import category_label, format_value, metric_label  # noqa: E402

PRESET = "linan_2024"
PATH = "medical_assistance.inpatient_ratio.dibao"
KPIS = (
    "coverage_rate_poor",
    "policy_reimbursement_rate_employee",
    "policy_reimbursement_rate_resident",
    "insurer_margin_rate",
    "catastrophic_rate",
    "warnings",
    "total_cost",
    "oop",
)
STEP = 0.005  # one key press on a rate slider: 0.5 percentage points


class Peak:
    """Peak resident memory of a process and its children, sampled on a thread."""

    def __init__(self, pid: int):
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        total = 0
        for p in (self.proc, *self.proc.children(recursive=True)):
            with contextlib.suppress(psutil.Error):  # a child gone meanwhile
                total += p.memory_info().rss
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.1)

    def __enter__(self):
        self.peak = 0
        self._t = threading.Thread(target=self._run, daemon=True)
        self._stop.clear()
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def _lever_in(url: str) -> float | None:
    """The session's lever value in its URL (None: the preset's)."""
    values = parse_qs(urlsplit(url).query).get(PATH)
    return round(float(values[-1]), 6) if values else None


def start(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


async def session(browser, url: str, persons: int, start_value: float, moves: int, latencies: list):
    """One planner: open Results with its own lever value, move the slider `moves` steps down."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1600})
    page = await context.new_page()
    await page.goto(f"{url}/results?n={persons}&{PATH}={start(start_value)}", timeout=600_000)
    await page.wait_for_selector("[data-testid='stMetric']", timeout=600_000)
    await page.wait_for_selector(IDLE, timeout=600_000)
    label = category_label("dibao", "zh")
    thumb = page.locator("[data-testid='stSlider']").filter(has_text=label).first.get_by_role("slider")
    value = start_value
    for _ in range(moves):
        value = round(value - STEP, 6)
        await thumb.focus()
        t0 = time.perf_counter()
        await thumb.press("ArrowLeft")
        await page.wait_for_url(lambda u, v=value: _lever_in(u) == v, timeout=600_000)
        await page.wait_for_selector(IDLE, timeout=600_000)
        latencies.append(time.perf_counter() - t0)
    return context, page, value


async def read_state(page) -> tuple[str, str, dict[str, str]]:
    label = category_label("dibao", "zh")
    slider = page.locator("[data-testid='stSlider']").filter(has_text=label).first.get_by_role("slider")
    cards = {}
    for key in KPIS:
        card = page.locator("[data-testid='stMetric']").filter(has_text=metric_label(key, "zh")).first
        cards[key] = (await card.locator("[data-testid='stMetricValue']").inner_text()).strip()
    return page.url, await slider.input_value(), cards


async def one_round(url: str, n: int, persons: int, moves: int, expected) -> dict:
    from playwright.async_api import async_playwright

    latencies: list[float] = []
    starts = [round(0.90 - 0.05 * i, 6) for i in range(n)]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        done = await asyncio.gather(*(session(browser, url, persons, s, moves, latencies) for s in starts))
        checks = 0
        for _context, page, value in done:
            page_url, slider, cards = await read_state(page)
            assert _lever_in(page_url) == value, (page_url, value)
            assert abs(float(slider) - value * 100) < 1e-6, (slider, value)
            want = expected(value)
            for key in KPIS:
                assert cards[key] == want[key], (value, key, cards[key], want[key])
                checks += 1
        await browser.close()
    return {"latencies": latencies, "checks": checks}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 3, 6])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--moves", type=int, default=8)
    args = ap.parse_args(argv)

    scn = load_scenario(PRESET)
    pop = generate_population(scn, persons=args.persons, seed=7)  # the app's default seed
    memo: dict[float, dict[str, str]] = {}

    def expected(value: float) -> dict[str, str]:
        if value not in memo:
            s = simulate(pop, scn.with_changes({PATH: value})).summary
            memo[value] = {k: format_value(k, float(s.get(k, float("nan"))), "zh") for k in KPIS}
        return memo[value]

    proc, url = start_app()
    rows = []
    try:
        server = psutil.Process(proc.pid)
        asyncio.run(one_round(url, 1, args.persons, 1, expected))  # population built, kernels loaded
        for n in args.sessions:
            cpu0 = sum(server.cpu_times()[:2])
            with Peak(proc.pid) as peak:
                out = asyncio.run(one_round(url, n, args.persons, args.moves, expected))
            cpu = sum(server.cpu_times()[:2]) - cpu0
            lat = sorted(out["latencies"])
            p90 = lat[min(len(lat) - 1, int(round(0.9 * (len(lat) - 1))))]
            rows.append((n, len(lat), statistics.median(lat), p90, cpu / len(lat), peak.peak, out["checks"]))
            print(f"N={n}: median {statistics.median(lat):.2f} s, p90 {p90:.2f} s", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    cores = psutil.cpu_count()
    print(f"\n{args.persons:,} persons ({PRESET}), {args.moves} moves a session, {cores} cores, one server")
    print("| sessions | moves | latency median | latency p90 | server CPU s / move | server peak memory |")
    print("|---|---|---|---|---|---|")
    for n, m, med, p90, cpu, peak, _checks in rows:
        print(f"| {n} | {m} | {med:.2f} s | {p90:.2f} s | {cpu:.2f} | {peak / 2**30:.2f} GiB |")
    total = sum(r[-1] for r in rows)
    print(f"isolation: every session's URL, slider and {total} KPI readings matched its own recomputed run")


if __name__ == "__main__":
    main()
