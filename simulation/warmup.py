"""Warm-up: compile every variant of the compiled loops into numba's on-disk cache before a user
waits for it (`python -m simulation warmup`).

The loops are compiled on first use, once per variant, and kept on disk (`cache=True`): the
serial and the parallel copy of each loop (the parallel one is taken above `kernels.PARALLEL_MIN`
persons), households contiguous in the table (blocks of whole households) or not (a pass over
persons), and one variant per combination of argument types a scenario's features give (a tier
that pays nothing passes a zero view, not an array). The warm-up compiles them by running the
public API (`simulate`, `project` and the result's tables) on small generated populations of
every preset, with each of the preset's switches flipped in turn, four ways: serial and parallel
(by lowering `kernels.PARALLEL_MIN` for the duration), households contiguous and shuffled. It
knows nothing of the loops' names or arguments, so it keeps working when they change; what it
compiled is read back from numba's dispatchers afterwards.

A second warm-up only loads the cache (a few seconds); a changed source file is compiled again.
The cache lives beside the sources in `simulation/__pycache__`, or under `NUMBA_CACHE_DIR`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numba
from numba.core import config as numba_config
from numba.core.registry import CPUDispatcher

from . import kernels
from .api import simulate
from .errors import ScenarioError
from .population import Population, generate_population
from .projection import project
from .scenario import Scenario, available_presets, load_scenario

DEFAULT_PERSONS = 3_000  # small: the time goes into compiling, not into the runs
MODES = (
    ("serial", False, False),
    ("serial", False, True),
    ("parallel", True, False),
    ("parallel", True, True),
)


@dataclass
class WarmupReport:
    seconds: float = 0.0
    runs: int = 0
    presets: list[str] = field(default_factory=list)
    compiled: int = 0  # loop variants (loop x argument types) called from Python and ready
    loops: int = 0  # compiled loops found
    # loops without a variant of their own in this process: called only from inside other loops
    # (compiled into them; a cache load does not list them), or on no path of these runs
    idle: list[str] = field(default_factory=list)
    cache_dir: str = ""
    threads: int = 1
    steps: list[tuple[str, float]] = field(default_factory=list)  # (preset, seconds)

    def lines(self) -> list[str]:
        out = [f"{name:<16}{sec:8.1f} s" for name, sec in self.steps]
        out.append(
            f"warm-up: {self.runs} runs of {len(self.presets)} presets in {self.seconds:.1f} s; "
            f"{self.compiled} compiled variants of {self.loops} loops ({self.threads} threads)"
        )
        out.append(f"compiled cache: {self.cache_dir}")
        return out


def cache_dir() -> Path:
    """Where numba keeps the compiled loops: `NUMBA_CACHE_DIR`, else `__pycache__` beside the
    sources (which must then be writable by the user that runs the warm-up and the app)."""
    configured = numba_config.CACHE_DIR or os.environ.get("NUMBA_CACHE_DIR", "")
    return Path(configured) if configured else Path(kernels.__file__).resolve().parent / "__pycache__"


def _dispatchers() -> dict[str, CPUDispatcher]:
    """The compiled loops of `kernels` by name: module-level dispatchers and those kept in tuples
    (serial, parallel), without the rules inlined into them (never compiled on their own)."""
    found: dict[str, CPUDispatcher] = {}
    for name, value in vars(kernels).items():
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, CPUDispatcher) and item.targetoptions.get("inline", "never") == "never":
                if getattr(item.py_func, "__module__", "") != kernels.__name__:
                    continue
                found.setdefault(item.py_func.__qualname__ or name, item)
    return found


def shuffled(pop: Population, seed: int = 0) -> Population:
    """The same persons in another order: households no longer contiguous (the loops' other path)."""
    persons = pop.persons.reset_index(drop=True).sample(frac=1.0, random_state=seed)
    return Population(persons=persons.reset_index(drop=True), claims=pop.claims)


def variants(scn: Scenario) -> Iterable[tuple[str, Scenario]]:
    """The preset, then the preset with each of its switches flipped (a feature on or off changes
    which arrays the loops get); a flip the scenario refuses is skipped."""
    yield "", scn
    for lv in scn.levers():
        if lv.kind != "switch":
            continue
        try:
            yield lv.path, scn.with_changes({lv.path: not bool(lv.value)})
        except ScenarioError:
            continue


def _exercise(pop: Population, scn: Scenario, years: int) -> None:
    """What the app, the CLI and the reports ask of a run: the summary, the person, household and
    claim tables, the breakdowns and a short projection."""
    res = simulate(pop, scn)
    _ = res.summary, res.persons, res.households, res.claims, res.by_setting(), res.by_district()
    project(pop, scn, years=years, first_result=res)


def warmup(
    presets: list[str] | None = None,
    persons: int = DEFAULT_PERSONS,
    seed: int = 7,
    years: int = 2,
    progress: Callable[[str], None] | None = None,
) -> WarmupReport:
    """Compile every loop variant the presets reach, serial and parallel, households contiguous
    and not, into the on-disk cache; `progress` gets one line a preset (its name and seconds)."""
    names = list(available_presets() if presets is None else presets)
    report = WarmupReport(presets=names, cache_dir=str(cache_dir()), threads=numba.get_num_threads())
    start = time.perf_counter()
    saved = kernels.PARALLEL_MIN
    try:
        for name in names:
            t0 = time.perf_counter()
            scn = load_scenario(name)
            pop = generate_population(scn, persons=persons, seed=seed)
            pops = (pop, shuffled(pop, seed))
            for _mode, parallel, scattered in MODES:
                # 1: every loop takes its parallel copy; above any population: the serial one
                kernels.PARALLEL_MIN = 1 if parallel else 2**62
                for _path, variant in variants(scn):
                    _exercise(pops[scattered], variant, years)
                    report.runs += 1
            report.steps.append((name, time.perf_counter() - t0))
            if progress:
                progress(f"{name:<16}{report.steps[-1][1]:8.1f} s")
    finally:
        kernels.PARALLEL_MIN = saved
    report.seconds = time.perf_counter() - start
    found = _dispatchers()
    report.loops = len(found)
    report.compiled = sum(len(d.signatures) for d in found.values())
    report.idle = sorted(n for n, d in found.items() if not d.signatures)
    return report
