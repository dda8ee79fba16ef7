"""Slider move → page idle in a real browser (Chromium driven by Playwright), on the Results page.

    python benchmarks/bench_browser.py [--sizes 20000 1000000] [--moves 12] [--url URL] [--write-results]

Starts the app (or uses `--url`), opens `/results?n=SIZE` in Debian's Chromium
(`/usr/bin/chromium`; nothing is downloaded), waits for the population and the first run, then
moves the quick lever 住院救助比例（低保对象） one step (0.5 point) with the keyboard `--moves`
times, each to a value not run before (no cached run is hit). For each move it records, in the
page's own clock:

* **total**: key press → page idle: the server's last message of the run has arrived, nothing
  more came for `QUIET_MS`, the script is not running and the page's DOM has not changed for
  `QUIET_MS` (charts drawn, tables filled); the idle time is the last change, not the end of the
  quiet window;
* **to server**: key press → the run's first message reaching the page (the widget message
  travelling to the server, the rerun starting);
* **server**: the run's first → last message (the simulation, the figures, sending them);
* **browser**: the last message → the page's last DOM change (React and plotly drawing).

The CPU seconds the browser's processes and the app's process (when this script starts it) spend
per move are reported too (medians): less sensitive than wall time to other processes' load, they
tell the server's share from the browser's on a busy machine (the parallel loops' waiting threads
count in the server's).

The median over the moves is reported per size (one warm-up move first, not counted). The goals
(issue 24): ≤ 0.3 s at the default size, ≤ 0.5 s at 1e6 persons. `--write-results` puts the
table in benchmarks/RESULTS.md; the README quotes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.app_server import ARGS, CHROMIUM, start_app  # noqa: E402

QUIET_MS = 150  # no DOM change for this long after the script ends: the page is idle
LEVER = "低保对象"  # the quick lever moved (住院救助比例（低保对象）（%）)
GOALS = {"default": 0.3, 1_000_000: 0.5}

# installed before the app loads: the time of every message the server sends (a run's first
# message marks its start reaching the page, its last, `script_finished`, the end), so a run too
# short for the page to show a "running" state is still seen
WS_RECORDER = """(() => {
  const Orig = window.WebSocket;
  window.__ws = [];
  window.WebSocket = class extends Orig {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => window.__ws.push(performance.now()));
    }
  };
})();"""

# the DOM's last change, in performance.now() time
RECORDER = """() => {
  if (window.__bench) return;
  const b = window.__bench = {lastMutation: performance.now()};
  new MutationObserver(() => { b.lastMutation = performance.now(); })
    .observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""

# true once the server has answered the move (a message after t0), has sent nothing for QUIET_MS,
# the script is not running and the DOM has been quiet for QUIET_MS
IDLE_AFTER = """([t0, quiet]) => {
  const msgs = window.__ws.filter(t => t >= t0);
  if (!msgs.length) return false;
  if (document.querySelector("[data-testid='stApp'][data-test-script-state='running']")) return false;
  const now = performance.now();
  return now - msgs[msgs.length - 1] >= quiet && now - window.__bench.lastMutation >= quiet;
}"""

TIMES = """([t0]) => {
  const msgs = window.__ws.filter(t => t >= t0);
  const first = msgs[0], last = msgs[msgs.length - 1];
  const idle = Math.max(window.__bench.lastMutation, last);
  return {total: idle - t0, to_server: first - t0, server: last - first, browser: idle - last};
}"""


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, name, CPU seconds user + system) of every process (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        parts = raw.rsplit(")", 1)[1].split()
        out[int(d)] = (int(parts[1]), name, (int(parts[11]) + int(parts[12])) / tick)
    return out


def tree_cpu(roots: list[int]) -> float:
    """CPU seconds of the processes `roots` and all their descendants."""
    procs = _processes()
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    total, stack, seen = 0.0, list(roots), set()
    while stack:
        p = stack.pop()
        if p in seen or p not in procs:
            continue
        seen.add(p)
        total += procs[p][2]
        stack.extend(kids.get(p, []))
    return total


def browser_roots() -> list[int]:
    """The browser this script started: its descendants named chrom* whose parent is not (the
    browser runs under Playwright's driver, a child of this process)."""
    procs = _processes()
    kids: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    roots, stack = [], [os.getpid()]
    while stack:
        p = stack.pop()
        for c in kids.get(p, []):
            if "chrom" in procs[c][1].lower() and "chrom" not in procs[p][1].lower():
                roots.append(c)
            stack.append(c)
    return roots


def measure(browser, url: str, n: int, moves: int, timeout_s: float, server_pid: int | None = None) -> dict:
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.add_init_script(WS_RECORDER)
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
    roots = browser_roots()
    for i in range(moves + 1):
        thumb.focus()
        cpu0 = tree_cpu(roots), tree_cpu([server_pid]) if server_pid else 0.0
        t0 = page.evaluate("performance.now()")
        thumb.press("ArrowRight")  # a new value each time: no cached run
        page.wait_for_function(IDLE_AFTER, arg=[t0, QUIET_MS], timeout=int(timeout_s * 1000), polling=20)
        cpu1 = tree_cpu(roots), tree_cpu([server_pid]) if server_pid else 0.0
        if i:  # the first move warms up (not counted)
            row = page.evaluate(TIMES, [t0])
            # seconds here (the page's times are in ms, converted below)
            row["cpu_browser"] = 1000 * (cpu1[0] - cpu0[0])
            row["cpu_server"] = 1000 * (cpu1[1] - cpu0[1]) if server_pid else float("nan")
            rows.append(row)
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
        "| CPU browser s | CPU server s | first load s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        goal = r.get("goal")
        lines.append(
            f"| {r['n']:,} | {r['total']:.2f} | {'≤ ' + format(goal, '.1f') if goal else '—'} | "
            f"{r['server']:.2f} | {r['to_server']:.3f} | {r['browser']:.2f} | {r['max_total']:.2f} | "
            f"{r['cpu_browser']:.2f} | {r['cpu_server']:.2f} | {r['first_load_s']:.0f} |"
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
                r = measure(browser, url, int(n), args.moves, args.timeout, proc.pid if proc else None)
                r["goal"] = GOALS["default"] if int(n) == DEFAULT_PERSONS else GOALS.get(int(n))
                rows.append(r)
                print(
                    f"{int(n):>10,} persons: median {r['total']:.2f} s (server {r['server']:.2f}, to server "
                    f"{r['to_server']:.3f}, browser {r['browser']:.2f}; slowest {r['max_total']:.2f}; CPU "
                    f"browser {r['cpu_browser']:.2f} s, server {r['cpu_server']:.2f} s; first load "
                    f"{r['first_load_s']:.0f} s)",
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
                + " *to server*: key press to the run's first message; *server*: its first to last "
                "message; *browser*: the last message to the page's last DOM change; *CPU*: CPU seconds "
                "per move of the browser's processes and of the app's (medians; less sensitive to "
                "other processes than wall time, though the parallel loops' waiting threads count too).",
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
