"""The benchmark suite of issue #7: generation, `simulate` per preset, a 10-year projection, the
memory-bandwidth floor and the OpenFisca reference, each as persons/second, at 1e5-1e7 persons.

    python -m benchmarks [--sizes 1e5 1e6 1e7] [--presets linan_2024 ...] [--quick] [--write-results]

Each (size, preset) runs in a fresh subprocess, so its peak resident memory (ru_maxrss) is its own:
generate the preset's population, time `simulate` (the first call, which includes any compile, then
the best of --repeats), the floor on the same arrays (bench_rules.floor_seconds), the core chain
in OpenFisca (benchmarks/openfisca_reference.py, build and compute timed apart, totals checked equal
to `simulate` of the same core scenario) and a projection over --years. Peak memory is read after
generate + simulate (the figure of the issue's 6 GiB target) and again at the end.

Not timed tests: nothing asserts a speed. --write-results writes benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: the repository on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.results_section import kept_sections

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
COMMAND = "python -m benchmarks --sizes 1e5 1e6 1e7 --write-results"


# ---------------------------------------------------------------------------- one (size, preset)


def measure(n: int, preset: str, repeats: int, years: int, openfisca: bool, projection: bool) -> dict:
    """Everything for one preset at one size, in this process (run it in a fresh one)."""
    import numpy as np

    from benchmarks.bench_population import peak_rss_bytes, time_generate
    from benchmarks.bench_projection import time_projection
    from benchmarks.bench_rules import floor_bytes, floor_seconds, time_simulate
    from simulation import load_scenario

    scn = load_scenario(preset)
    pop, t_gen = time_generate(scn, n, seed=1)
    sim = time_simulate(pop, scn, repeats)
    out = {
        "preset": preset,
        "persons": n,
        "claims": len(pop.claims),
        "generate": t_gen,
        "simulate_first": sim["first"],
        "simulate": sim["best"],
        "simulate_median": sim["median"],
        "peak_simulate": peak_rss_bytes(),
        "floor": floor_seconds(pop),
        "floor_bytes": floor_bytes(pop),
    }
    if openfisca:
        out.update(_openfisca(pop, preset, repeats))
        out["peak_openfisca"] = peak_rss_bytes()
    if projection:
        _, out["projection"] = time_projection(pop, scn, years)
        out["years"] = years
    out["peak_all"] = peak_rss_bytes()
    for k, v in out.items():
        if isinstance(v, np.floating):
            out[k] = float(v)
    return out


OPENFISCA_REPEATS = 3  # a build + compute takes 1-1.5 s at 1e6 persons


def _openfisca(pop, preset: str, repeats: int) -> dict:
    """OpenFisca build + compute on the same arrays, against `simulate` of the same core scenario."""
    try:
        from benchmarks import openfisca_reference as ofr
    except ImportError as e:
        return {"openfisca_note": f"not installed ({e})"}
    from benchmarks.bench_rules import time_simulate

    scn = ofr.core_scenario(preset)
    core = time_simulate(pop, scn, repeats)["best"]  # before OpenFisca's allocations, as the full run
    try:
        ofr.check_supported(scn.params)
        tbs = ofr.build_system(scn)
        # best of OPENFISCA_REPEATS against simulate's best: the same measure on both sides
        runs = [ofr.reference_totals(pop, scn, tbs) for _ in range(OPENFISCA_REPEATS)]
    except NotImplementedError as e:  # a rule outside the core chain (scenario or population)
        return {"openfisca_note": str(e).removeprefix("OpenFisca reference: ")}
    ref = runs[0]
    ours = ofr.engine_totals(pop, scn)
    rel = max(abs(ref[k] - ours[k]) / abs(ours[k]) if ours[k] else abs(ref[k]) for k in ofr.TIERS)
    return {
        "simulate_core": core,
        "openfisca_build": min(r["build_seconds"] for r in runs),
        "openfisca_compute": min(r["compute_seconds"] for r in runs),
        "openfisca_max_rel_diff": rel,
        "openfisca_equal": bool(rel <= 1e-9),
    }


def run_child(n: int, preset: str, args) -> dict:
    """`measure` in a fresh interpreter (so ru_maxrss is this run's alone)."""
    cmd = [
        sys.executable,
        "-m",
        "benchmarks",
        "--child",
        str(n),
        preset,
        "--repeats",
        str(args.repeats),
        "--years",
        str(args.years),
    ]
    if n > args.openfisca_max:
        cmd.append("--no-openfisca")
    if n > args.projection_max:
        cmd.append("--no-projection")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return {"preset": preset, "persons": n, "error": tail[0].replace("|", "/")[:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- reporting


def _rate(n, s):
    return f"{n / s / 1e6:,.2f}" if s else "–"


def _f(x, fmt=".3f"):
    return "–" if x is None else format(x, fmt)


def tables(rows: list[dict], args) -> str:
    """The three markdown tables (simulate and floor; OpenFisca; projection)."""
    out = [
        "### `simulate` (one year, every tier of the preset) against the bandwidth floor",
        "",
        "persons/s in millions (M/s, of the best run). *first* is the first call (any compile included), "
        f"*best* and *median* of {args.repeats} after it. *floor*: numpy reading each input array once "
        "and writing the nine result columns once (`bench_rules.floor_seconds`), on the same arrays. "
        "*peak*: ru_maxrss of the process after generate + simulate.",
        "",
        "| preset | persons | claims | generate s | generate M/s | simulate first s | simulate best s "
        "| simulate median s | simulate M/s | floor s | floor GB/s | simulate / floor | peak GiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['preset']} | {r['persons']:,} | failed: {r['error']} |" + " |" * 10)
            continue
        n = r["persons"]
        out.append(
            f"| {r['preset']} | {n:,} | {r['claims']:,} | {r['generate']:.2f} | {_rate(n, r['generate'])} "
            f"| {r['simulate_first']:.3f} | {r['simulate']:.3f} | {_f(r.get('simulate_median'))} "
            f"| {_rate(n, r['simulate'])} "
            f"| {r['floor']:.4f} | {r['floor_bytes'] / r['floor'] / 1e9:.1f} "
            f"| {r['simulate'] / r['floor']:.0f}× "
            f"| {r['peak_simulate'] / 2**30:.2f} |"
        )
    out += [
        "",
        "### OpenFisca reference of the core chain (basic → critical illness → assistance → household cap)",
        "",
        "The preset with supplement, mutual aid, other subsidies and 政策找人 switched off "
        "(`openfisca_reference.core_scenario`) in both; *simulate core* is our `simulate` of that "
        "scenario on the same population. *equal*: the five totals (basic, critical, assistance, cap, "
        "OOP) agree within rtol 1e-9 (largest relative difference shown). OpenFisca computes only those "
        "five outputs; `simulate` also builds the summary (warnings, premium subsidies, the insurer's "
        "settlement), so the ratios favour OpenFisca slightly. Both sides are the best of their runs "
        f"(`simulate` of {args.repeats}, OpenFisca's build and compute of {OPENFISCA_REPEATS}, each on "
        "a fresh OpenFisca simulation). *peak*: ru_maxrss after OpenFisca.",
        "",
        "| preset | persons | simulate core s | OpenFisca build s | OpenFisca compute s "
        "| OpenFisca M/s (build+compute) | OpenFisca / simulate (compute) "
        "| OpenFisca / simulate (build+compute) "
        "| equal (max rel diff) | peak GiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        if "error" in r:
            continue
        n = r["persons"]
        if "openfisca_compute" in r:
            of = r["openfisca_build"] + r["openfisca_compute"]
            out.append(
                f"| {r['preset']} | {n:,} | {r['simulate_core']:.3f} | {r['openfisca_build']:.3f} "
                f"| {r['openfisca_compute']:.3f} | {_rate(n, of)} "
                f"| {r['openfisca_compute'] / r['simulate_core']:.1f}× "
                f"| {of / r['simulate_core']:.1f}× "
                f"| {'yes' if r['openfisca_equal'] else '**NO**'} ({r['openfisca_max_rel_diff']:.1e}) "
                f"| {r['peak_openfisca'] / 2**30:.2f} |"
            )
        else:
            note = (
                r.get("openfisca_note") or f"skipped above --openfisca-max {args.openfisca_max:,.0f} persons"
            )
            out.append(f"| {r['preset']} | {n:,} | – | – | – | – | – | – | {note} | – |")
    out += [
        "",
        f"### {args.years}-year projection (`simulation.projection.project`)",
        "",
        "person-years/s = persons × years / seconds.",
        "",
        "| preset | persons | years | seconds | M person-years/s | peak GiB (whole run) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            continue
        n = r["persons"]
        if "projection" in r:
            out.append(
                f"| {r['preset']} | {n:,} | {r['years']} | {r['projection']:.2f} "
                f"| {_rate(n * r['years'], r['projection'])} | {r['peak_all'] / 2**30:.2f} |"
            )
        else:
            out.append(
                f"| {r['preset']} | {n:,} | – | skipped above --projection-max {args.projection_max:,.0f} "
                f"persons | – | {r['peak_all'] / 2**30:.2f} |"
            )
    return "\n".join(out)


def machine() -> dict:
    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            key, _, val = line.partition(":")
            if key.strip() == "Model name":
                info["cpu"] = val.strip()
            elif key.strip() in (
                "CPU(s)",
                "Thread(s) per core",
                "L3 cache",
                "CPU family",
                "Model",
                "BogoMIPS",
                "Hypervisor vendor",
            ):
                info[key.strip()] = val.strip()
            elif key.strip() == "Flags":
                info["avx512"] = "avx512f" in val.split()
    except OSError:
        pass
    try:
        # the core generation numba compiles for: these VMs land on different hosts from one day to the
        # next, and a different generation moves every timing here by half
        import llvmlite.binding

        info["llvm cpu"] = llvmlite.binding.get_host_cpu_name()
    except ImportError:
        pass
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
        kb = next(int(x.split()[1]) for x in lines if x.startswith("MemTotal"))
        info["memory"] = f"{kb / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        pass
    versions = {"python": platform.python_version()}
    from importlib.metadata import PackageNotFoundError, version

    for pkg in ("numpy", "pandas", "numba", "openfisca-core"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = "not installed"
    info["versions"] = versions
    try:
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "simulation"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        if dirty:
            info["commit"] += " + uncommitted changes in simulation/"
    except OSError:
        info["commit"] = "?"
    if not (ROOT / ".git").exists():
        info["commit"] = os.environ.get("BENCH_COMMIT", "?") + f" (a snapshot in {ROOT})"
    return info


def write_results(rows: list[dict], args, m: dict, load: tuple, seconds: float) -> None:
    v = m["versions"]
    # the load at the end counts this run's own threads: only the start tells of other processes
    loaded = load[0][0] > 0.5 * (m["cores"] or 1)
    head = [
        "# Benchmark results (issue #7)",
        "",
        "Re-run on a quiet machine (one command; the 1e7 rows take most of the time, since each preset "
        "generates its own 10-million-person population):",
        "",
        "```bash",
        COMMAND,
        "```",
        "",
        "It rewrites this file. `--sizes 1e5 1e6` is quicker; `--presets linan_2024` for one preset; "
        "`--openfisca-max 1e7` also runs OpenFisca at 1e7 (its memory grows about linearly: ten times "
        "the peak at 1e6), `--projection-max 1e6` skips the 1e7 projections (a projection keeps one year's "
        'arrays at a time, so 1e7 fits); `--note "…"` adds a remark below. '
        "One script each: `python benchmarks/bench_rules.py`, `bench_population.py`, `bench_projection.py`, "
        "`python -m benchmarks.openfisca_reference --persons 1000000`.",
        "",
        "## Machine and run",
        "",
        f"- CPU: {m['cpu']}, {m.get('CPU(s)', m['cores'])} logical CPUs"
        + (f", {m['Thread(s) per core']} thread(s) per core" if "Thread(s) per core" in m else "")
        + (f", L3 {m['L3 cache']}" if "L3 cache" in m else "")
        + (f", family {m['CPU family']}" if "CPU family" in m else "")
        + (f" model {m['Model']}" if "Model" in m else "")
        + (f" ({m['llvm cpu']} to LLVM)" if "llvm cpu" in m else "")
        + ({True: ", AVX-512", False: ", no AVX-512"}.get(m.get("avx512"), ""))
        + (f", BogoMIPS {m['BogoMIPS']}" if "BogoMIPS" in m else "")
        + (f", a {m['Hypervisor vendor']} virtual machine" if "Hypervisor vendor" in m else ""),
        f"- Memory: {m.get('memory', '?')}",
        f"- Python {v['python']}, numpy {v['numpy']}, pandas {v['pandas']}, numba {v['numba']}, "
        f"openfisca-core {v['openfisca-core']}",
        f"- Commit {m['commit']}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {seconds / 60:.1f} min; "
        f"sizes {', '.join(f'{n:,}' for n in args.sizes)}; presets {', '.join(args.presets)}; seed 1",
        f"- Load average (1 min) at start {load[0][0]:.2f}, at end {load[1][0]:.2f} (this run's own threads "
        f"included) on {m['cores']} cores"
        + (
            ": **measured under load** (other processes shared the CPUs), so times are upper bounds."
            if loaded
            else "."
        ),
    ]
    if args.note:
        head.append(f"- Note: {args.note}")
    text = "\n".join(head) + "\n\n## Results\n\n" + tables(rows, args) + "\n"
    # the sections other scripts write (precision, browser timings) and the measurements of
    # earlier runs and sessions, under "## History", are kept as they are
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    history = old[old.index("\n## History\n") + 1 :] if "\n## History\n" in old else ""
    kept = kept_sections(old[: len(old) - len(history)]) if old else ""
    RESULTS.write_text(
        text + ("\n" + kept if kept else "") + ("\n" + history if history else ""), encoding="utf-8"
    )
    print(f"wrote {RESULTS}")


# ---------------------------------------------------------------------------- CLI


def _size(s: str) -> int:
    return int(float(s))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=_size, nargs="+", default=None, help="persons (1e5 1e6 1e7)")
    ap.add_argument("--presets", nargs="+", default=None, help="default: every preset")
    ap.add_argument("--quick", action="store_true", help="1e5 persons, one repeat (a smoke run)")
    ap.add_argument("--repeats", type=int, default=None, help="simulate timings after the first (5)")
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--openfisca-max", type=_size, default=1_000_000, help="skip OpenFisca above (1e6)")
    ap.add_argument("--projection-max", type=_size, default=10_000_000, help="skip projection above (1e7)")
    ap.add_argument("--write-results", action="store_true", help="write benchmarks/RESULTS.md")
    ap.add_argument("--note", default="", help="a remark for RESULTS.md")
    ap.add_argument("--child", nargs=2, metavar=("PERSONS", "PRESET"), help=argparse.SUPPRESS)
    ap.add_argument("--no-openfisca", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-projection", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        r = measure(
            _size(args.child[0]),
            args.child[1],
            args.repeats or 5,
            args.years,
            openfisca=not args.no_openfisca,
            projection=not args.no_projection,
        )
        print(json.dumps(r))
        return

    from simulation import available_presets

    args.sizes = args.sizes or ([100_000] if args.quick else [100_000, 1_000_000, 10_000_000])
    args.repeats = args.repeats or (1 if args.quick else 5)
    args.presets = args.presets or list(available_presets())
    m = machine()
    load0 = os.getloadavg()
    t0 = dt.datetime.now()
    print(f"{m['cpu']}; load average {load0[0]:.2f}; sizes {args.sizes}; presets {args.presets}", flush=True)
    rows = []
    for n in args.sizes:
        for preset in args.presets:
            r = run_child(n, preset, args)
            rows.append(r)
            if "error" in r:
                print(f"{preset:>14} {n:>11,}  FAILED: {r['error']}", flush=True)
                continue
            line = (
                f"{preset:>14} {n:>11,}  generate {r['generate']:6.2f} s  simulate {r['simulate']:7.3f} s "
                f"({n / r['simulate'] / 1e6:6.2f} M/s, median {r['simulate_median']:.3f}, "
                f"first {r['simulate_first']:.3f})  "
                f"floor {r['floor']:.4f} s  simulate/floor {r['simulate'] / r['floor']:5.0f}x  "
                f"peak {r['peak_simulate'] / 2**30:.2f} GiB"
            )
            if "openfisca_compute" in r:
                of = r["openfisca_build"] + r["openfisca_compute"]
                line += (
                    f"\n{'':>27}OpenFisca build {r['openfisca_build']:.3f} "
                    f"+ compute {r['openfisca_compute']:.3f} s, "
                    f"openfisca/simulate(core {r['simulate_core']:.3f} s) {of / r['simulate_core']:.1f}x "
                    f"(compute {r['openfisca_compute'] / r['simulate_core']:.1f}x), "
                    f"totals {'equal' if r['openfisca_equal'] else 'DIFFER'} "
                    f"({r['openfisca_max_rel_diff']:.1e})"
                )
            elif "openfisca_note" in r:
                line += f"\n{'':>27}OpenFisca: {r['openfisca_note']}"
            if "projection" in r:
                line += f"\n{'':>27}{r['years']}-year projection {r['projection']:.2f} s"
            print(line, flush=True)
    load1 = os.getloadavg()
    seconds = (dt.datetime.now() - t0).total_seconds()
    print()
    print(tables(rows, args))
    if args.write_results:
        write_results(rows, args, m, (load0, load1), seconds)


if __name__ == "__main__":
    main()
