"""Slider move → page idle in a real browser (Chromium driven by Playwright), on the Results page.

    python benchmarks/bench_browser.py [--sizes 20000 1000000] [--moves 12] [--url URL] [--write-results]

Starts the app (or uses `--url`), opens `/results?n=SIZE` in Debian's Chromium
(`/usr/bin/chromium`; nothing is downloaded), waits for the population and the first run, then
moves the quick lever 住院救助比例（低保对象） one step (0.5 point) with the keyboard `--moves`
times, each to a value not run before (no cached run is hit). For each move it records, in the
page's own clock:

* **total**: key press → page idle: the script has finished (`data-test-script-state` back to
  `notRunning`) and the page's DOM has not changed for `QUIET_MS` (charts drawn, tables filled);
  the idle time is the last change, not the end of the quiet window;
* **server**: the script's run (state `running` → `notRunning`): the rerun, the simulation, the
  figures and sending them;
* **to server**: key press → `running` (the widget message reaching the server);
* **browser**: `notRunning` → idle (React and plotly drawing what arrived).

The median over the moves is reported per size (one warm-up move first, not counted). The goals
(issue 24): ≤ 0.3 s at the default size, ≤ 0.5 s at 1e6 persons. `--write-results` puts the
table in benchmarks/RESULTS.md; the README quotes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUIET_MS = 150  # no DOM change for this long after the script ends: the page is idle
LEVER = "低保对象"  # the quick lever moved (住院救助比例（低保对象）（%）)
GOALS = {"default": 0.3, 1_000_000: 0.5}

# records the script-state transitions and the DOM's last change, in performance.now() time
RECORDER = """() => {
  if (window.__bench) return;
  const app = document.querySelector("[data-testid='stApp']");
  const b = window.__bench = {states: [], lastMutation: performance.now()};
  new MutationObserver(() => {
    const s = app.getAttribute('data-test-script-state');
    const last = b.states.length ? b.states[b.states.length - 1][0] : null;
    if (s !== last) b.states.push([s, performance.now()]);
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  new MutationObserver(() => { b.lastMutation = performance.now(); })
    .observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""

# true once the script ran and ended after t0 and the DOM has been quiet for QUIET_MS
IDLE_AFTER = """([t0, quiet]) => {
  const b = window.__bench;
  const run = b.states.find(([s, t]) => s === 'running' && t >= t0);
  if (!run) return false;
  const end = b.states.find(([s, t]) => s === 'notRunning' && t >= run[1]);
  if (!end) return false;
  if (document.querySelector("[data-testid='stApp'][data-test-script-state='running']")) return false;
  return performance.now() - b.lastMutation >= quiet;
}"""

TIMES = """([t0]) => {
  const b = window.__bench;
  const run = b.states.find(([s, t]) => s === 'running' && t >= t0);
  const end = b.states.find(([s, t]) => s === 'notRunning' && t >= run[1]);
  const idle = Math.max(b.lastMutation, end[1]);
  return {total: idle - t0, to_server: run[1] - t0, server: end[1] - run[1], browser: idle - end[1]};
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
         "--server.fileWatcherType=none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("streamlit did not start")


def measure(browser, url: str, n: int, moves: int, timeout_s: float) -> dict:
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    t_open = time.perf_counter()
    page.goto(f"{url}/results?n={n}", timeout=int(timeout_s * 1000))
    page.wait_for_selector("[data-testid='stMetric']", timeout=int(timeout_s * 1000))
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=int(timeout_s * 1000)
    )
    first = time.perf_counter() - t_open
    page.evaluate(RECORDER)
    thumb = page.locator("[data-testid='stSlider']").filter(has_text=LEVER).first.get_by_role("slider")
    rows = []
    for i in range(moves + 1):
        thumb.focus()
        t0 = page.evaluate("performance.now()")
        thumb.press("ArrowRight")  # a new value each time: no cached run
        page.wait_for_function(IDLE_AFTER, arg=[t0, QUIET_MS], timeout=int(timeout_s * 1000), polling=20)
        if i:  # the first move warms up (not counted)
            rows.append(page.evaluate(TIMES, [t0]))
    page.close()
    med = {k: statistics.median(r[k] for r in rows) / 1000 for k in rows[0]}
    return {
        "n": n,
        "first_load_s": first,
        "moves": moves,
        **med,
        "max_total": max(r["total"] for r in rows) / 1000,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| persons | median move → idle s | goal s | server s | to server s | browser s | slowest s "
        "| first load s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        goal = r.get("goal")
        lines.append(
            f"| {r['n']:,} | {r['total']:.2f} | {'≤ ' + format(goal, '.1f') if goal else '—'} | "
            f"{r['server']:.2f} | {r['to_server']:.3f} | {r['browser']:.2f} | {r['max_total']:.2f} | "
            f"{r['first_load_s']:.0f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    from app_pages._common import DEFAULT_PERSONS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[DEFAULT_PERSONS, 1_000_000])
    ap.add_argument("--moves", type=int, default=12)
    ap.add_argument("--url", default="", help="an app already running (default: start one)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds for a page to load")
    ap.add_argument("--write-results", action="store_true")
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    proc = None
    url = args.url
    if not url:
        proc, url = start_app()
    load0 = os.getloadavg()[0]
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for n in args.sizes:
                r = measure(browser, url, int(n), args.moves, args.timeout)
                r["goal"] = GOALS["default"] if int(n) == DEFAULT_PERSONS else GOALS.get(int(n))
                rows.append(r)
                print(
                    f"{int(n):>10,} persons: median {r['total']:.2f} s (server {r['server']:.2f}, to server "
                    f"{r['to_server']:.3f}, browser {r['browser']:.2f}; slowest {r['max_total']:.2f}; first "
                    f"load {r['first_load_s']:.0f} s)",
                    flush=True,
                )
            browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    load1 = os.getloadavg()[0]
    if args.write_results:
        from benchmarks.results_section import write_section

        loaded = load0 > 0.5 * (os.cpu_count() or 1)
        md = "\n".join(
            [
                "## Browser: slider move → page idle (`benchmarks/bench_browser.py`)",
                "",
                f"Chromium {CHROMIUM} driven by Playwright, Results page, the quick lever "
                f"住院救助比例（低保对象） moved one step {args.moves} times (one warm-up move before), "
                f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average {load0:.2f} at start, "
                f"{load1:.2f} at end on {os.cpu_count()} cores"
                + (": **measured under load**, upper bounds." if loaded else ".")
                + " *server*: the script's run; *to server*: key press to the run's start; *browser*: the "
                "run's end to the page's last DOM change.",
                "",
                table(rows),
            ]
            + (["", args.note] if args.note else [])
        )
        write_section("browser", md)
        print("wrote benchmarks/RESULTS.md (section browser)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
