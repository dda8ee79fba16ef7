"""Instructions per `simulate` call of two source trees, counted by callgrind over the calls alone.

    python benchmarks/bench_callgrind.py OLD_TREE NEW_TREE [--persons 100000]
        [--presets shanghai_2023 linan_2024] [--calls 3] [--repeats 2] [--annotate DIR]

Each tree is a checkout of the repository (e.g. `git worktree add /tmp/old <commit>`).

What is counted: the instructions (callgrind's Ir) executed by `simulate(pop, scenario).summary`
and nothing else: not the imports, not numba compiling or loading its on-disk cache, not the
population's generation. A whole-process count mixes those in, and they vary from run to run (a
kernel loaded from the cache in one run is compiled in the next), by more than the difference to be
measured. Here valgrind starts with instrumentation and collection off (`--instr-atstart=no
--collect-atstart=no`); the child process generates the population (seed 7), calls `simulate` once
to compile or load every kernel and touch the memory, collects garbage, and only then switches
instrumentation and collection on through a small C library built at run time from valgrind's
`callgrind.h` (client requests, loaded with ctypes; outside valgrind they do nothing). After each of
`--calls` calls it writes a dump (`CALLGRIND_DUMP_STATS_AT`, which also zeroes the counters), so
every call has its own count; the table gives the mean over the calls.

Settings, the same for both trees: `NUMBA_NUM_THREADS=1` (valgrind runs one thread at a time; with
one thread the kernels' serial variants run, so no thread start or wait is counted),
`NUMBA_CPU_NAME=generic` (the compiled code must not depend on what the CPU reports under valgrind,
and must use no instruction valgrind cannot run, such as AVX-512; it also fixes numba's cache key),
`PYTHONHASHSEED=0`, one BLAS thread. Each tree has its own `NUMBA_CACHE_DIR`, warmed by a run
outside valgrind before any count (a cold cache only makes the uncounted warm-up call slower).

Runs alternate old, new, old, new (`--repeats` of each per preset); *spread* is (max - min) / mean
of one tree's per-run counts, which should be near 0: the count does not depend on the host's load.
`--annotate DIR` keeps the dumps there and prints, per preset, the counted instructions by object
(the Python interpreter, numpy, libc, numba's compiled code, which valgrind cannot name: `???`).
"""

from __future__ import annotations

import argparse
import bisect
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from statistics import mean

PRESETS = ("shanghai_2023", "linan_2024")

# Client requests for callgrind (valgrind/callgrind.h); no-ops when not run under valgrind.
TOGGLE_C = r"""
#include <valgrind/callgrind.h>
void cg_begin(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; CALLGRIND_TOGGLE_COLLECT; }
void cg_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
void cg_end(void) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_STOP_INSTRUMENTATION; }
int cg_running(void) { return RUNNING_ON_VALGRIND; }
"""

_CHILD = """
import ctypes, gc, json, sys
from simulation import generate_population, load_scenario, simulate
preset, persons, calls, lib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), ctypes.CDLL(sys.argv[4])
lib.cg_dump.argtypes = [ctypes.c_char_p]
scn = load_scenario(preset)
pop = generate_population(scn, persons=persons, seed=7)
simulate(pop, scn).summary  # warm-up: compile or load the cache, touch the memory (not counted)
gc.collect()
lib.cg_begin()
for i in range(calls):
    simulate(pop, scn).summary
    lib.cg_dump(b"call %d" % i)
lib.cg_end()
# where each compiled function starts (valgrind cannot name numba's code): dispatcher overloads
from numba.core.dispatcher import Dispatcher
starts = {}
for d in gc.get_objects():
    if isinstance(d, Dispatcher):
        for cres in list(d.overloads.values()):
            name = cres.fndesc.qualname
            for sym in (cres.fndesc.llvm_func_name, cres.fndesc.llvm_cpython_wrapper_name):
                address = cres.library.get_pointer_to_function(sym)
                if address:
                    starts[address] = f"{d.py_func.__module__}.{name}"
print(json.dumps({"claims": len(pop.claims), "valgrind": lib.cg_running(), "starts": starts}))
"""


def build_toggle(directory: str) -> str:
    """Compile the client-request library into `directory`; returns the .so's path."""
    header = "/usr/include/valgrind/callgrind.h"
    if not os.path.exists(header):
        sys.exit(f"{header} not found: install valgrind's headers (Debian: the valgrind package)")
    src = os.path.join(directory, "callgrind_toggle.c")
    lib = os.path.join(directory, "libcallgrind_toggle.so")
    with open(src, "w") as f:
        f.write(TOGGLE_C)
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", lib, src], check=True)
    return lib


def child_env(tree: str, cache: str) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": tree,
        "NUMBA_CACHE_DIR": cache,
        "NUMBA_NUM_THREADS": "1",
        "NUMBA_CPU_NAME": "generic",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def warm(tree: str, cache: str, preset: str, lib: str) -> None:
    """Fill the tree's numba cache outside valgrind (a small population has the same types)."""
    subprocess.run(
        [sys.executable, "-c", _CHILD, preset, "10000", "1", lib],
        cwd=tree, env=child_env(tree, cache), check=True, capture_output=True, text=True,
    )  # fmt: skip


def count(tree: str, cache: str, preset: str, persons: int, calls: int, lib: str, out_dir: str) -> list[int]:
    """Ir of each counted call, from one process under callgrind; the dumps stay in `out_dir`."""
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, "callgrind.out")
    cmd = [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
        "--dump-instr=yes", "--compress-pos=no", "--compress-strings=no",
        f"--callgrind-out-file={base}.%p",
        sys.executable, "-c", _CHILD, preset, str(persons), str(calls), lib,
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tree, env=child_env(tree, cache), capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"callgrind run failed ({tree}, {preset}):\n{proc.stderr[-3000:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    if not info["valgrind"]:
        sys.exit("the child did not run under valgrind")
    with open(os.path.join(out_dir, "starts.json"), "w") as f:
        json.dump(info["starts"], f)
    per_call = {}
    for path in glob.glob(base + ".*"):
        with open(path) as f:
            text = f.read()
        trigger = re.search(r"^desc: Trigger: Client Request: call (\d+)$", text, re.M)
        if trigger:
            per_call[int(trigger.group(1))] = int(re.search(r"^summary: (\d+)", text, re.M).group(1))
        else:
            os.remove(path)  # the dump at exit: nothing collected after the last call
    if sorted(per_call) != list(range(calls)):
        sys.exit(f"expected {calls} dumps in {out_dir}, found calls {sorted(per_call)}")
    return [per_call[i] for i in range(calls)]


def by_object(out_dir: str) -> dict[str, int]:
    """Counted instructions (self cost) by object file, summed over the dumps in `out_dir`."""
    totals: dict[str, int] = defaultdict(int)
    line = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?\S.*\[(.*)\]\s*$")
    for path in sorted(glob.glob(os.path.join(out_dir, "callgrind.out.*"))):
        out = subprocess.run(
            ["callgrind_annotate", "--inclusive=no", "--threshold=100", path],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        for row in out.splitlines():
            m = line.match(row)
            if m:
                totals[os.path.basename(m.group(2))] += int(m.group(1).replace(",", ""))
    return dict(totals)


def by_kernel(out_dir: str) -> dict[str, int]:
    """Counted instructions in numba's compiled code (object `???`) by compiled function, summed
    over the dumps in `out_dir`: each instruction address goes to the nearest function start at or
    below it (`starts.json`, written by the child), so a kernel's figure includes the callees
    linked into its code. Addresses more than 1 MiB above any start count as `other`."""
    with open(os.path.join(out_dir, "starts.json")) as f:
        starts = sorted((int(a), name) for a, name in json.load(f).items())
    addresses = [a for a, _ in starts]
    totals: dict[str, int] = defaultdict(int)
    for path in sorted(glob.glob(os.path.join(out_dir, "callgrind.out.*"))):
        jit = skip = False
        with open(path) as f:
            for row in f:
                if skip:  # the cost line after calls=: the callee's inclusive cost
                    skip = False
                elif row.startswith("ob="):
                    jit = row.strip() == "ob=???"
                elif row.startswith("calls="):
                    skip = True
                elif jit and row.startswith("0x"):
                    address, *_, ir = row.split()
                    a = int(address, 16)
                    i = bisect.bisect_right(addresses, a) - 1
                    name = starts[i][1] if i >= 0 and a - starts[i][0] < 1 << 20 else "other"
                    totals[name] += int(ir)
    return dict(totals)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--presets", nargs="*", default=list(PRESETS))
    ap.add_argument("--calls", type=int, default=3, help="counted calls per process")
    ap.add_argument("--repeats", type=int, default=2, help="processes per tree and preset")
    ap.add_argument("--cache-old", default="/tmp/cg-old", help="NUMBA_CACHE_DIR of the old tree")
    ap.add_argument("--cache-new", default="/tmp/cg-new", help="NUMBA_CACHE_DIR of the new tree")
    ap.add_argument("--annotate", metavar="DIR", help="keep the dumps in DIR and print Ir by object")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found")
    trees = {
        "old": (os.path.abspath(args.old), args.cache_old),
        "new": (os.path.abspath(args.new), args.cache_new),
    }
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
        lib = build_toggle(tmp)
        for preset in args.presets:
            for tree, cache in trees.values():
                warm(tree, cache, preset, lib)
        load = os.getloadavg()[0]
        print(
            f"callgrind Ir per simulate(pop, scenario).summary at {args.persons:,} persons (seed 7), "
            f"{args.calls} counted calls per process, {args.repeats} processes per tree, interleaved; "
            f"NUMBA_NUM_THREADS=1, NUMBA_CPU_NAME=generic; load average at start {load:.2f}",
            flush=True,
        )
        print(
            f"{'preset':<15} {'old Ir/call':>15} {'new Ir/call':>15} {'new/old':>8} "
            f"{'spread old':>11} {'spread new':>11}"
        )
        keep = args.annotate or tmp
        rows = []
        for preset in args.presets:
            runs: dict[str, list[float]] = {"old": [], "new": []}
            calls: dict[str, list[int]] = {"old": [], "new": []}
            for r in range(args.repeats):
                for name, (tree, cache) in trees.items():
                    out_dir = os.path.join(keep, f"{preset}-{name}-{r}")
                    ir = count(tree, cache, preset, args.persons, args.calls, lib, out_dir)
                    runs[name].append(mean(ir))
                    calls[name].extend(ir)
                    if not args.annotate:
                        shutil.rmtree(out_dir)
            o, n = mean(runs["old"]), mean(runs["new"])
            so = (max(runs["old"]) - min(runs["old"])) / o
            sn = (max(runs["new"]) - min(runs["new"])) / n
            print(f"{preset:<15} {o:15,.0f} {n:15,.0f} {n / o:8.4f} {so:11.4%} {sn:11.4%}", flush=True)
            rows.append((preset, o, n, calls))
        print("per call (all processes):")
        for preset, _, _, calls in rows:
            for name in ("old", "new"):
                print(f"  {preset} {name}: " + ", ".join(f"{c:,}" for c in calls[name]))
        if args.annotate:
            for preset, *_ in rows:
                objs = {name: by_object(os.path.join(keep, f"{preset}-{name}-0")) for name in ("old", "new")}
                print(f"\n{preset}: Ir per call by object (first process of each tree; self cost)")
                print(f"{'object':<40} {'old':>14} {'new':>14} {'new - old':>14}")
                names = sorted(set(objs["old"]) | set(objs["new"]), key=lambda k: -objs["new"].get(k, 0))
                for obj in names:
                    a = objs["old"].get(obj, 0) / args.calls
                    b = objs["new"].get(obj, 0) / args.calls
                    print(f"{obj:<40} {a:14,.0f} {b:14,.0f} {b - a:+14,.0f}")
                ks = {name: by_kernel(os.path.join(keep, f"{preset}-{name}-0")) for name in ("old", "new")}
                print(
                    f"\n{preset}: Ir per call in compiled code by function "
                    "(with its inlined and linked callees)"
                )
                print(f"{'function':<60} {'old':>14} {'new':>14} {'new - old':>14}")
                names = sorted(
                    set(ks["old"]) | set(ks["new"]),
                    key=lambda k: -max(ks["new"].get(k, 0), ks["old"].get(k, 0)),
                )
                for k in names:
                    a = ks["old"].get(k, 0) / args.calls
                    b = ks["new"].get(k, 0) / args.calls
                    print(f"{k[:60]:<60} {a:14,.0f} {b:14,.0f} {b - a:+14,.0f}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
