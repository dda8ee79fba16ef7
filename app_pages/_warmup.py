"""The first start, in the open: a thread started with the server compiles the loops (or loads
them from numba's on-disk cache), builds the default population and runs the default preset on it,
while every page waits behind a status that says what is happening, how long it usually takes and
how long it has taken so far, instead of a bare spinner. The run and the population land in the
app's caches, so the first page then draws at once; the default projection follows in the
background (the Funds and Compare pages). `python -m simulation warmup` at install compiles every
variant ahead, and the wait is then a cache load and the population build.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time

import streamlit as st

from simulation import generate_population, simulate
from simulation.memory_reuse import prefault
from simulation.warmup import cache_dir

from ._common import (
    DEFAULT_PERSONS,
    DEFAULT_SEED,
    _precision,
    _projection,
    _run,
    generated_population,
    in_compute_thread,
    prefault_bytes,
    preset_scenario,
)
from ._text import text

SMALL = 2_000
# usual waits on this project's 2-core machines, each with the default population's build and run:
# compiling the loops the first page needs (an empty numba cache: 43 s, load average 2-4) and
# loading them once compiled (1-3 s)
EXPECTED_COMPILE_S = 45.0
EXPECTED_LOAD_S = 5.0


def compiled_before() -> bool:
    """Whether numba's cache holds compiled loops (a warm-up or an earlier start wrote them)."""
    d = cache_dir()
    return d.is_dir() and any(d.glob("kernels.*.nbi"))


class Warmup:
    """The warm-up thread's state (one a server process: `warmup_state`)."""

    def __init__(self, preset: str):
        self.preset = preset
        self.cached = compiled_before()
        self.started = time.perf_counter()
        self.seconds: float | None = None
        self.error: str | None = None
        self.prefaulted = 0  # bytes of the run store's memory touched after the warm-up
        self.prefault_seconds: float | None = None
        self.done = threading.Event()
        threading.Thread(target=self._run, name="workbench-warmup", daemon=True).start()

    @property
    def expected(self) -> float:
        return EXPECTED_LOAD_S if self.cached else EXPECTED_COMPILE_S

    def elapsed(self) -> float:
        return self.seconds if self.seconds is not None else time.perf_counter() - self.started

    def _run(self) -> None:
        pop = scn = None
        key = f"gen:{self.preset}:{DEFAULT_PERSONS}:{DEFAULT_SEED}"  # _common.population_key's
        try:
            scn = preset_scenario(self.preset)
            # a small population first: the serial loops (a population below kernels.PARALLEL_MIN
            # runs them), then the default one, whose size may take the parallel copies
            small = simulate(generate_population(scn, persons=SMALL, seed=DEFAULT_SEED), scn)
            _ = small.summary, small.person_arrays(), small.household_arrays(), small.protection()
            pop = generated_population(self.preset, DEFAULT_PERSONS, DEFAULT_SEED)
            res = _run(key, self.preset, "{}", pop, scn)
            # what the Results page asks of a run: the summary, the arrays, protection, precision
            _ = res.summary, res.person_arrays(), res.household_arrays(), res.protection()
            _precision(key, self.preset, "{}", res)
        except Exception as e:  # the page's own run then reports it in the page's language
            self.error = f"{type(e).__name__}: {e}"
        finally:
            freeze_startup_objects()
            self.seconds = time.perf_counter() - self.started
            self.done.set()
        if self.error is None:
            # the run store's memory, touched once while nobody waits (see _common.PREFAULT_BYTES)
            t0 = time.perf_counter()
            nbytes = prefault_bytes()
            self.prefaulted = in_compute_thread(lambda: prefault(nbytes))
            self.prefault_seconds = time.perf_counter() - t0
            # the default projection, for the Funds and Compare pages (nobody waits for it; on an
            # error the Funds page builds it again and reports it)
            with contextlib.suppress(Exception):
                _projection(key, self.preset, "{}", pop, scn)


def freeze_startup_objects() -> None:
    """Move the objects alive after the warm-up (modules, compiled loops, plotly's validators,
    the default population and run: about 275,000) out of the garbage collector's sight.

    Streamlit runs a full collection after every script run (`runner.postScriptGC`), and a full
    collection visits every tracked object: 0.08-0.26 s a run here, nearly all of it on these
    objects, which live as long as the server. The collection runs after the run's last message
    is queued but holds the interpreter lock, so the message waits for it to end before it is
    sent: it was part of every slider move's wait (benchmarks/bench_browser.py). Frozen, the
    collection visits only what was made since (sessions, runs, figures), and still frees the
    cycles a run leaves behind: an evicted run is freed by it, and its memory reused by the next
    (with the collection off, a move at 1e6 persons took 0.47 s instead of 0.39 s: runs waited in
    cycles for Python's own, rarer, full collections while new ones faulted in fresh memory).
    Garbage is collected first, so nothing dead is frozen."""
    gc.collect()
    gc.freeze()


@st.cache_resource(show_spinner=False)
def warmup_state(preset: str) -> Warmup:
    return Warmup(preset)


def wait_for_warmup(preset: str, lang: str) -> None:
    """Block the page until the warm-up is done, showing what happens and for how long."""
    w = warmup_state(preset)
    if w.done.is_set():
        return
    key = "warmup_loading" if w.cached else "warmup_compiling"
    box = st.empty()
    with box.container():
        status = st.status(text(lang, key, expected=w.expected, n=DEFAULT_PERSONS), expanded=True)
        bar = status.progress(0.0)
        note = status.empty()
        while not w.done.wait(0.5):
            el = w.elapsed()
            bar.progress(min(el / w.expected, 0.95))
            note.caption(text(lang, "warmup_elapsed", elapsed=el, expected=w.expected))
    box.empty()
