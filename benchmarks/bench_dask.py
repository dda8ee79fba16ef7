"""Out-of-core scale-out (issue 7): generate N persons straight to Parquet partitions, then simulate
them on Dask (a LocalCluster here) and reduce the summary exactly.

    python benchmarks/bench_dask.py                      # 5e7 persons under /tmp/medsec_bench_dask
    python benchmarks/bench_dask.py --persons 2e6 --partition-persons 5e5 --no-out
    python benchmarks/bench_dask.py --reuse              # skip generation if the directory matches

Prints generation time, simulate time, persons/s, peak memory (the sum of the resident set sizes
of this process and every process it started — nannies and workers — sampled every 0.2 s, and each
worker's own peak from getrusage) and the disk used by the population and the per-person output.

Measured 2026-11-23 on this machine (2 cores, 23.5 GiB RAM, shared with five other engineers' test
and benchmark runs: load average 7-12 during the first run, 4-8 during the second), linan_2024,
5e7 persons in 50 partitions of 1e6 (47.8 million claims):
  generate_partitioned           270 s (185,000 persons/s), peak RSS 0.94 GiB, 1.54 GiB of Parquet
  simulate + per-person output  1,517 s (33,000 persons/s), peak RSS summed over client, nannies
                                 and 2 workers 3.62 GiB (one worker ≤ 1.39 GiB); output 2.94 GiB
  simulate, --no-out               398 s (126,000 persons/s), peak RSS summed 2.86 GiB (≤ 1.29 GiB)
The two runs' summaries are equal to the bit (partition-order reduction).

Measured again 2026-11-24 on a quiet machine of the same kind (a Zen 4 host, load average 0.7 at the
start; one run, with the per-person output), same arguments:
  generate_partitioned            56 s (895,000 persons/s), peak RSS 1.04 GiB, 1.58 GiB of Parquet
  simulate + per-person output    55 s (911,000 persons/s; a partition 2.06 s: read 0.55, simulate
                                 0.32, the rest writing its tables), peak RSS summed 3.69 GiB
                                 (one worker <= 1.32 GiB); output 2.98 GiB
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import psutil

GIB = 1024**3


class RssSampler:
    """Peak of the summed RSS of this process and all its descendants, sampled in a thread."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = 0
        for p in [me, *me.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=float, default=5e7)
    ap.add_argument("--partition-persons", type=float, default=1e6)
    ap.add_argument("--scenario", default="linan_2024")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", default="/tmp/medsec_bench_dask", help="working directory (population, output)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--memory-limit", default="auto", help="per worker, e.g. 4GiB (dask's 'auto' splits RAM)")
    ap.add_argument("--no-out", action="store_true", help="do not write the per-person tables")
    ap.add_argument(
        "--reuse", action="store_true", help="reuse a population already generated with these args"
    )
    ap.add_argument("--json", default=None, help="also write the measurements to this JSON file")
    args = ap.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    from simulation import load_scenario
    from simulation.distributed import simulate_partitioned
    from simulation.population.parquet import generate_partitioned, open_partitioned

    n, ppp = int(args.persons), int(args.partition_persons)
    scn = load_scenario(args.scenario)
    work = Path(args.dir)
    pop_dir, out_dir = work / "population", work / "output"
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / GIB:.1f} GiB RAM, "
        f"{shutil.disk_usage(work).free / GIB:.0f} GiB free on {work}"
    )

    reuse = False
    if args.reuse and (pop_dir / "partitions.json").is_file():
        m = json.loads((pop_dir / "partitions.json").read_text())
        reuse = (m.get("persons"), m.get("scenario"), m.get("seed"), m.get("persons_per_partition")) == (
            n,
            scn.id,
            args.seed,
            ppp,
        )
    if reuse:
        gen_s, gen_peak = float("nan"), 0
        print(f"reusing {pop_dir}")
    else:
        if pop_dir.exists():
            shutil.rmtree(pop_dir)
        t = time.perf_counter()

        def progress(i, total):
            el = time.perf_counter() - t
            print(f"  generated {i}/{total} partitions, {el:,.0f} s", file=sys.stderr, flush=True)

        with RssSampler() as gen_mem:
            generate_partitioned(
                scn, n, pop_dir, seed=args.seed, persons_per_partition=ppp, progress=progress
            )
        gen_s, gen_peak = time.perf_counter() - t, gen_mem.peak
    pp = open_partitioned(pop_dir)
    pop_bytes = du(pop_dir)
    print(f"population: {pp}; {pp.manifest['claims']:,} claims; {pop_bytes / GIB:.2f} GiB on disk")

    if out_dir.exists():
        shutil.rmtree(out_dir)
    with RssSampler() as sim_mem:
        t = time.perf_counter()
        cluster = LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=args.memory_limit,
        )
        client = Client(cluster)
        t_cluster = time.perf_counter() - t

        def progress(i, total):
            el = time.perf_counter() - t
            print(f"  simulated {i}/{total} partitions, {el:,.0f} s", file=sys.stderr, flush=True)

        try:
            res = simulate_partitioned(
                pp, scn, client, out=None if args.no_out else out_dir, progress=progress
            )
        finally:
            client.close()
            cluster.close()
        sim_s = time.perf_counter() - t
    worker_peak = max(p["worker_max_rss_bytes"] for p in res.partitions)
    out_bytes = du(out_dir)
    per_part = [p["total_s"] for p in res.partitions]
    m = {
        "persons": n,
        "partitions": len(pp),
        "persons_per_partition": ppp,
        "claims": pp.manifest["claims"],
        "scenario": scn.id,
        "workers": args.workers,
        "generate_s": gen_s,
        "generate_persons_per_s": n / gen_s if gen_s == gen_s else None,
        "generate_peak_rss_gib": gen_peak / GIB,
        "cluster_start_s": t_cluster,
        "simulate_s": sim_s,
        "simulate_persons_per_s": n / sim_s,
        "partition_s_mean": sum(per_part) / len(per_part),
        "partition_read_s_mean": sum(p["read_s"] for p in res.partitions) / len(per_part),
        "partition_simulate_s_mean": sum(p["simulate_s"] for p in res.partitions) / len(per_part),
        "simulate_peak_rss_sum_gib": sim_mem.peak / GIB,
        "worker_peak_rss_gib": worker_peak / GIB,
        "population_disk_gib": pop_bytes / GIB,
        "output_disk_gib": out_bytes / GIB,
        "total_cost_yuan": res.summary["total_cost"],
        "coverage_rate_poor": res.summary["coverage_rate_poor"],
    }
    print(f"generate: {gen_s:,.1f} s ({n / gen_s:,.0f} persons/s), peak RSS {gen_peak / GIB:.2f} GiB")
    print(
        f"simulate on Dask ({args.workers} workers, cluster start {t_cluster:.1f} s): {sim_s:,.1f} s, "
        f"{n / sim_s:,.0f} persons/s; per partition {m['partition_s_mean']:.2f} s "
        f"(read {m['partition_read_s_mean']:.2f}, simulate {m['partition_simulate_s_mean']:.2f}, "
        "rest writing the tables)"
    )
    print(
        f"peak RSS, client + nannies + workers summed: {sim_mem.peak / GIB:.2f} GiB; "
        f"largest single worker: {worker_peak / GIB:.2f} GiB"
    )
    print(
        f"disk: population {pop_bytes / GIB:.2f} GiB, per-person/household output {out_bytes / GIB:.2f} GiB"
    )
    print(res)
    if args.json:
        Path(args.json).write_text(json.dumps(m, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
