"""Out-of-core `simulate` on Dask: a partitioned population (`population.parquet.save_partitioned`
or `generate_partitioned`: Parquet partitions that keep households whole) simulated one partition
per task on a `dask.distributed` cluster, reduced exactly on the client.

    from simulation.distributed import simulate_partitioned
    res = simulate_partitioned("data/zhejiang_5e7", scn, "local", out="out/zhejiang")
    res.summary["coverage_rate_poor"]      # the same Summary keys as `simulate(...).summary`
    res.funds                              # the first year's fund accounts (see below)
    res.read_persons()                     # per-person results, read back from `out` (small runs)

Why it is exact: every rule works per person or per household, and a household lies in exactly one
partition, so each person's results are those of the in-memory run. The summary is
`result.summary_from_parts` of the summed `Result.parts()` — the same function the in-memory
`Result.summary` calls on one part — so ratios (coverage, reimbursement, catastrophic rate) and the
nonlinear insurer settlement (margin corridor, `settle_insurer`) are computed after summing, never
averaged over partitions. Parts are summed in partition order, so a run is reproducible to the bit;
against the in-memory run only the order of floating-point additions differs (relative 1e-15).

Workers read their partition's Parquet files themselves (the directory must be visible to them: a
local disk for a LocalCluster, a shared filesystem or object store in production); only the
scenario and small dicts of totals travel over the network. With `out`, each worker writes its
partition's persons and households tables to `out/persons/part-NNNNN.parquet` and
`out/households/part-NNNNN.parquet`; nothing of per-person size is collected on the client.

Funds: `funds` is the first year's fund table (`funds.fund_table` over the reduced totals,
identical to `project(pop, scn, years=1).funds`). The multi-year projection is not run on
partitions: its yearly re-weighting scales each scheme by population-wide totals, and poverty
transitions draw one random stream over all households and an income quantile of all of them, so
it needs a first pass for those totals and, for transitions, a partition-independent random design.
"""

from __future__ import annotations

import json
import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from .api import simulate
from .errors import WorkbenchError
from .funds import fund_cells, fund_table
from .io_safe import atomic_write_text
from .population.parquet import PartitionedPopulation, open_partitioned, read_partition
from .result import Summary, add_parts, summary_from_parts
from .scenario import Scenario

RESULT_MARKER = "result.json"
RESULT_FORMAT = "medsec-partitioned-result/1"


# ---------------------------------------------------------------------------- on a worker


def fund_parts(y, person_arrays: dict | None = None) -> dict[str, float]:
    """Additive totals the fund accounts need beyond the summary: weights and basic payments by
    scheme x enrolment (`funds.fund_cells`, summed from the year's arrays; `person_arrays` is not
    needed and accepted for callers of the first form)."""
    return fund_cells(y)


def _prepare_out(d: Path) -> None:
    """Create the output directory, or clear the parts of a result written there before; refuse a
    non-empty directory that is not one."""
    if d.exists() and not d.is_dir():
        raise WorkbenchError(f"{d}: exists and is not a directory")
    if not d.parent.exists():
        raise WorkbenchError(f"{d}: folder {d.parent} does not exist")
    d.mkdir(exist_ok=True)
    marker = d / RESULT_MARKER
    if marker.is_file():
        marker.unlink()
        for sub in ("persons", "households"):
            for f in (d / sub).glob("part-*.parquet"):
                f.unlink()
    elif any(d.iterdir()):
        raise WorkbenchError(f"{d}: not empty and not a partitioned result; choose an empty directory")
    (d / "persons").mkdir(exist_ok=True)
    (d / "households").mkdir(exist_ok=True)


def simulate_partition(
    directory: str, name: str, scenario: Scenario, year: int | None = None, out: str | None = None
) -> dict:
    """Simulate one partition (runs on a worker). Returns its additive parts and a few statistics;
    with `out`, writes its persons and households tables there first."""
    t0 = time.perf_counter()
    pop = read_partition(directory, name)
    t_read = time.perf_counter() - t0
    res = simulate(pop, scenario, year=year)
    parts = res.parts()
    funds = res.fund_cells
    t_sim = time.perf_counter() - t0 - t_read
    if out is not None:
        o = Path(out)
        res.persons.reset_index().to_parquet(o / "persons" / name, index=False)
        res.households.reset_index().to_parquet(o / "households" / name, index=False)
    return {
        "name": name,
        "persons": int(len(pop.persons)),
        "summary_parts": parts,
        "fund_parts": funds,
        "read_s": t_read,
        "simulate_s": t_sim,
        "total_s": time.perf_counter() - t0,
        "worker_pid": os.getpid(),
        "worker_max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


# ---------------------------------------------------------------------------- on the client


def _reduced_year(params, summary: Summary, funds: dict[str, float]):
    """A stand-in for a one-year Result that `funds.fund_table` / `funds.fund_flows` read:
    the year's parameters, the reduced summary and the summed scheme x enrolment cells."""
    return SimpleNamespace(_y=SimpleNamespace(scenario=params), summary=summary, fund_cells=funds)


@dataclass
class PartitionedResult:
    """The result of `simulate_partitioned`: the reduced summary and first-year funds, the output
    directory (per-person and per-household tables, one Parquet file per partition), timings."""

    scenario: Scenario
    year: int
    population: PartitionedPopulation
    summary: Summary
    funds: pd.DataFrame
    out: Path | None
    parts: dict  # the summed summary parts
    fund_parts: dict
    partitions: list[dict] = field(default_factory=list)  # per partition: name, persons, timings, worker
    seconds: float = 0.0

    def __repr__(self) -> str:
        s, rows = self.summary, self.population.manifest["persons"]
        # the summary's persons are weighted: say how many rows stand for them
        return (
            f"PartitionedResult({self.scenario.id}, {self.year}: {rows:,} rows weighted to "
            f"{s['persons']:,.0f} persons in {len(self.partitions)} partitions, total cost "
            f"{s['total_cost'] / 1e8:,.2f} 亿元, coverage of the poor {s['coverage_rate_poor']:.1%})"
        )

    def read_persons(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The per-person results read back from `out` (indexed by person_id), for populations that
        fit in memory; a large run is read partition by partition with pandas/pyarrow/dask."""
        return self._read("persons", "person_id", columns)

    def read_households(self, columns: list[str] | None = None) -> pd.DataFrame:
        return self._read("households", "household_id", columns)

    def _read(self, table: str, index: str, columns) -> pd.DataFrame:
        if self.out is None:
            raise WorkbenchError("no per-person output: run simulate_partitioned with out=DIR")
        cols = None if columns is None else [index, *columns]
        files = [self.out / table / p["name"] for p in self.partitions]
        df = pd.concat([pd.read_parquet(f, columns=cols) for f in files], ignore_index=True)
        return df.set_index(index)


def _connect(client, timeout: str = "10s"):
    """(Client, owned resources to close). `client` is a dask Client, "local" or an address
    (connection attempts give up after `timeout`)."""
    from dask.distributed import Client, LocalCluster

    if isinstance(client, Client):
        return client, []
    if not isinstance(client, str) or not client.strip():
        raise WorkbenchError(f"--dask: expected 'local' or a scheduler address, got {client!r}")
    if client.strip() == "local":
        n = os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
        c = Client(cluster)
        return c, [c, cluster]
    try:
        c = Client(client.strip(), timeout=timeout)
    except (OSError, TimeoutError, ValueError) as e:
        raise WorkbenchError(
            f"--dask {client}: cannot reach a Dask scheduler there ({type(e).__name__})"
        ) from None
    return c, [c]


def simulate_partitioned(
    population: str | Path | PartitionedPopulation,
    scenario: Scenario,
    client="local",
    *,
    out: str | Path | None = None,
    year: int | None = None,
    progress=None,
) -> PartitionedResult:
    """Simulate every partition of a partitioned population on Dask and reduce exactly.

    `client`: a `dask.distributed.Client`, a scheduler address ("tcp://host:8786"), or "local"
    (a LocalCluster with one single-threaded worker process per core, closed afterwards).
    `out`: a directory for the per-person and per-household tables (workers write into it; it
    must be empty or a previous result). `progress(done, total)` is called as partitions finish.
    Raises PopulationError for a bad directory, WorkbenchError for a bad client or output."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"simulate_partitioned: expected a Scenario, got {type(scenario).__name__}")
    pp = population if isinstance(population, PartitionedPopulation) else open_partitioned(population)
    params = scenario.params if year is None else scenario.for_year(year)
    out_dir = None
    if out is not None:
        out_dir = Path(out).resolve()
        _prepare_out(out_dir)
    t0 = time.perf_counter()
    c, owned = _connect(client)
    try:
        from dask.distributed import as_completed

        names = [p["name"] for p in pp.partitions]
        futures = [
            c.submit(
                simulate_partition,
                str(pp.directory.resolve()),
                name,
                scenario,
                year,
                None if out_dir is None else str(out_dir),
                key=f"simulate-partition-{name}-{os.getpid()}-{time.time_ns()}",
                pure=False,
            )
            for name in names
        ]
        done: dict[str, dict] = {}
        for fut in as_completed(futures):
            r = fut.result()
            done[r["name"]] = r
            fut.release()
            if progress is not None:
                progress(len(done), len(names))
    finally:
        for obj in owned:
            obj.close()
    stats = [done[n] for n in names]  # reduce in partition order: reproducible to the bit
    total = stats[0]["summary_parts"]
    ftotal = stats[0]["fund_parts"]
    for r in stats[1:]:
        total = add_parts(total, r["summary_parts"])
        ftotal = {k: v + r["fund_parts"][k] for k, v in ftotal.items()}
    summary = summary_from_parts(total, params)
    yr = year or params.year
    funds = fund_table([_reduced_year(params, summary, ftotal)], [yr])
    res = PartitionedResult(
        scenario=scenario,
        year=yr,
        population=pp,
        summary=summary,
        funds=funds,
        out=out_dir,
        parts=total,
        fund_parts=ftotal,
        partitions=[{k: v for k, v in r.items() if not k.endswith("_parts")} for r in stats],
        seconds=time.perf_counter() - t0,
    )
    if out_dir is not None:
        marker = {
            "format": RESULT_FORMAT,
            "scenario": scenario.id,
            "scenario_digest": scenario.digest(),
            "year": yr,
            "population": str(pp.directory.resolve()),
            "partitions": [p["name"] for p in pp.partitions],
            "summary": dict(summary),
        }
        atomic_write_text(out_dir / RESULT_MARKER, json.dumps(marker, ensure_ascii=False, indent=1))
    return res


__all__ = ["PartitionedResult", "fund_parts", "simulate_partition", "simulate_partitioned"]
