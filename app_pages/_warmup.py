"""The first start's compile, in the open: a thread started with the server runs the default
preset once on a small population (compiling the loops the first page needs, or loading them from
numba's on-disk cache), and every page waits behind a status that says what is happening, how long
it usually takes and how long it has taken so far, instead of a bare spinner. `python -m
simulation warmup` (at install) compiles every variant ahead, and the wait is then a cache load.
"""

from __future__ import annotations

import threading
import time

import streamlit as st

from simulation import generate_population, load_scenario, simulate
from simulation.warmup import cache_dir

from ._text import text

PERSONS = 2_000  # small: the time goes into compiling, not into the run
# usual waits on this project's 2-core machines (benchmarks/bench_warmup.py): compiling the loops
# the first page needs, and loading them once compiled
EXPECTED_COMPILE_S = 60.0
EXPECTED_LOAD_S = 8.0


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
        self.done = threading.Event()
        threading.Thread(target=self._run, name="workbench-warmup", daemon=True).start()

    @property
    def expected(self) -> float:
        return EXPECTED_LOAD_S if self.cached else EXPECTED_COMPILE_S

    def elapsed(self) -> float:
        return self.seconds if self.seconds is not None else time.perf_counter() - self.started

    def _run(self) -> None:
        try:
            scn = load_scenario(self.preset)
            res = simulate(generate_population(scn, persons=PERSONS, seed=7), scn)
            # what the first pages ask of a run: the summary, the arrays, protection, a projection
            _ = res.summary, res.person_arrays(), res.household_arrays(), res.protection(), res.funds
        except Exception as e:  # shown on the page; the page's own run then reports it properly
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.seconds = time.perf_counter() - self.started
            self.done.set()


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
        status = st.status(text(lang, key, expected=w.expected), expanded=True)
        bar = status.progress(0.0)
        note = status.empty()
        while not w.done.wait(0.5):
            el = w.elapsed()
            bar.progress(min(el / w.expected, 0.95))
            note.caption(text(lang, "warmup_elapsed", elapsed=el, expected=w.expected))
    box.empty()
