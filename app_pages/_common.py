"""Shared state of the app: the scenario (a preset plus a diff), the population, cached runs,
number formatting and the lever widgets. Only calls `simulation`; no policy logic here. Labels,
units, kinds and bounds of figures and levers come from `simulation.registry` (a lever's from
`Scenario.levers()`); numbers are formatted by the registry's one formatter per kind.

State lives in non-widget session keys (`preset`, `changes`, `pop_n`, `pop_seed`, `upload`, `lang`)
so it survives page switches, and is mirrored into the URL (`st.query_params`) after every run.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from simulation import (
    Population,
    Scenario,
    ScenarioError,
    WorkbenchError,
    available_presets,
    generate_population,
    limits,
    load_population,
    load_scenario,
    simulate,
)
from simulation.compare import compare, income_deciles
from simulation.parameters import CAT_BIT_OF, CATEGORY_CODES
from simulation.precision import precision
from simulation.projection import project
from simulation.registry import (
    PAID_COLUMNS,
    Lever,
    category_label,
    cite_text,
    coverage,
    fmt_money,
    fmt_rate,
    format_value,
    metric_label,
    metric_title,
    per,
)

from ._charts import PLOTLY
from ._text import text

DEFAULT_PRESET = "linan_2024"
# 400,000 persons: coverage of the poor then moves about 0.25 point between two seeds (mean absolute
# change, 30 seeds), half the 0.5 point a planner can ignore next to a 90% target; at 20,000 it moved
# 0.9 point and 100,000-300,000 hover near the limit (benchmarks/bench_precision.py, RESULTS.md)
DEFAULT_PERSONS = 400_000
DEFAULT_SEED = 7
RESERVED = ("preset", "lang", "n", "seed", "household")  # URL keys that are not parameter paths
PAYERS_SHOWN = PAID_COLUMNS  # every payer of the identity, in settlement order (zeros are not drawn)


# ---------------------------------------------------------------------------- language
def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **kw) -> str:
    return text(lang(), key, **kw)


def t_in(language: str, key: str, **kw) -> str:
    return text(language, key, **kw)


def cap(text: str) -> str:
    """An English label as a heading, a card or an axis shows it: capitalised (Chinese unchanged)."""
    return text if lang() == "zh" or not text else text[:1].upper() + text[1:]


def label(key: str) -> str:
    return cap(metric_label(key, lang()))


def title(key: str) -> str:
    """A figure's label with its unit (a table column, an axis): 医疗总费用（元）."""
    return metric_title(key, lang())


def row_label(key: str) -> str:
    """A figure's label heading a table row (an English label starts with a capital)."""
    return label(key)


def figure_table(summaries: dict[str, dict], keys) -> pd.DataFrame:
    """A small table of figures: one row a figure (its label), one column a run (`summaries` maps
    the column's heading to a summary), each value in its registry kind."""
    table = {t("protection_figure"): [row_label(k) for k in keys]}
    for heading, s in summaries.items():
        table[heading] = [fmt_figure(k, float(s[k])) for k in keys]
    return pd.DataFrame(table)


def cat_label(code: str) -> str:
    """Label of a category code, or of a combination `a|b` (labels joined by +)."""
    return cap(category_label(code, lang()))


# ---------------------------------------------------------------------------- formatting
def money(x: float) -> str:
    """Yuan in 亿元 / 万元 / 元 (zh) or ¥ bn / m (en): `registry.fmt_money`."""
    return fmt_money(x, lang())


def pct(x: float) -> str:
    return fmt_rate(x)


def fmt_figure(key: str, x: float) -> str:
    """A figure in its registry kind: money, rate or count."""
    return format_value(key, x, lang())


# ---------------------------------------------------------------------------- state
def init_state() -> None:
    """First run of a session: read the URL; later runs keep the session's state."""
    ss = st.session_state
    if ss.get("_init"):
        return
    qp = st.query_params.to_dict()
    ss["_init"] = True
    ss["lang"] = qp.get("lang", "zh") if qp.get("lang") in ("zh", "en") else "zh"
    preset = qp.get("preset", DEFAULT_PRESET)
    ss["preset"] = preset if preset in available_presets() else DEFAULT_PRESET
    ss["pop_n"] = _int(qp.get("n"), DEFAULT_PERSONS, 100, 10_000_000)
    ss["pop_seed"] = _int(qp.get("seed"), DEFAULT_SEED, 0, 2**31 - 1)
    ss["upload"] = None
    hid = _int(qp.get("household"), -1, -(2**62), 2**62)  # a household opened on the 家庭测算 page
    if hid != -1:
        ss["explain_hid"] = hid
    base = preset_scenario(ss["preset"])
    changes, errors = {}, []
    for path, raw in qp.items():
        if path in RESERVED:
            continue
        try:
            like = base.get(path)
        except ScenarioError:
            errors.append((path, t_in(ss["lang"], "problem_unknown_path")))
            continue
        try:
            value = parse_value(raw, like)
        except ValueError:
            key = "problem_bool_parsing" if isinstance(like, bool) else "problem_float_parsing"
            errors.append((path, t_in(ss["lang"], key)))
            continue
        try:
            base.with_changes({path: value}).params  # noqa: B018 (validates)
            changes[path] = value
        except ScenarioError as e:
            errors.append((path, problems_text(e, base, ss["lang"])))
    ss["changes"] = changes
    ss["url_errors"] = errors


def _int(raw, default: int, lo: int, hi: int) -> int:
    try:
        return min(max(int(float(raw)), lo), hi)
    except (TypeError, ValueError):
        return default


def parse_value(raw: str, like):
    """A URL string as the type of the preset's value."""
    if isinstance(like, bool):
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise ValueError(f"expected true/false, got {raw!r}")
    if isinstance(like, int):
        return int(float(raw))
    return float(raw)


def sync_url() -> None:
    ss = st.session_state
    qp = {"preset": ss["preset"]}
    if ss["lang"] != "zh":
        qp["lang"] = ss["lang"]
    if ss["pop_n"] != DEFAULT_PERSONS:
        qp["n"] = str(ss["pop_n"])
    if ss["pop_seed"] != DEFAULT_SEED:
        qp["seed"] = str(ss["pop_seed"])
    if ss.get("explain_hid") is not None:
        qp["household"] = str(ss["explain_hid"])
    for path, v in sorted(ss["changes"].items()):
        qp[path] = str(v).lower() if isinstance(v, bool) else repr(v) if isinstance(v, float) else str(v)
    if st.query_params.to_dict() != qp:
        st.query_params.from_dict(qp)


def set_change(path: str, value) -> None:
    base = preset_scenario(st.session_state["preset"]).get(path)
    changes = dict(st.session_state["changes"])
    if _same(base, value):
        changes.pop(path, None)
    else:
        changes[path] = value
    st.session_state["changes"] = changes


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-12
    return a == b


def changes_key() -> str:
    return json.dumps(st.session_state["changes"], sort_keys=True)


# ---------------------------------------------------------------------------- errors
_BOUND_KEYS = {"le": "le", "ge": "ge", "lt": "lt", "gt": "gt"}
_NUMBER_TYPES = ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float", "finite_number")


def param_name(path: str, scn, language: str | None = None) -> str:
    """A parameter as a planner reads it: the lever's label, else the path as it was written
    (a key of an uploaded file or of the address that is not a lever has no other name)."""
    try:
        text = scn.lever(path).label_in(language or lang())
        return text if (language or lang()) == "zh" else text[:1].upper() + text[1:]
    except (ScenarioError, AttributeError):
        return path or t_in(language or lang(), "problem_file")


def problems_text(e: Exception, scn, language: str | None = None) -> str:
    """A ScenarioError in the interface's language, from its structured `problems` (the lever's
    label, what was expected with the bounds in the lever's unit); the English message only for
    a problem the catalogue has no words for."""
    lg = language or lang()
    problems = getattr(e, "problems", None) or []
    if not problems:
        return str(e)
    parts = []
    for p in problems[:5]:
        path, kind, ctx = p.get("path", ""), p.get("type", ""), p.get("ctx") or {}
        try:
            spec = scn.lever(path)
        except (ScenarioError, AttributeError):
            spec = None

        def shown(v, spec=spec):
            return spec.format(v, lg) if spec is not None and isinstance(v, (int, float)) else str(v)

        if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
            bound = next(v for k, v in ctx.items() if k in _BOUND_KEYS)
            msg = t_in(lg, f"problem_{kind}", bound=shown(bound))
        elif kind == "out_of_constraint":
            msg = t_in(lg, "problem_out_of_constraint", lo=shown(ctx.get("lo")), hi=shown(ctx.get("hi")))
        elif kind in _NUMBER_TYPES:
            msg = t_in(lg, "problem_float_parsing")
        elif kind in ("bool_parsing", "bool_type"):
            msg = t_in(lg, "problem_bool_parsing")
        elif kind in ("missing", "extra_forbidden", "unknown_path"):
            msg = t_in(lg, f"problem_{kind}")
        elif kind == "yaml_syntax":
            msg = t_in(lg, "problem_yaml_syntax", line=ctx.get("line") or "?")
        else:
            msg = t_in(lg, "problem_other", detail=str(e))
        who = param_name(path, scn, lg)
        parts.append(f"{who}：{msg}" if lg == "zh" else f"{who}: {msg}")
    more = len(problems) - len(parts)
    if more > 0:
        parts.append(t_in(lg, "problem_more", n=more))
    return ("；" if lg == "zh" else "; ").join(parts)


# ---------------------------------------------------------------------------- cached objects
@st.cache_resource(max_entries=8)
def preset_scenario(name: str):
    return load_scenario(name)


@st.cache_resource(max_entries=64)
def _scenario(preset: str, changes_json: str):
    return preset_scenario(preset).with_changes(json.loads(changes_json))


def scenario():
    """The edited scenario; on an invalid combination, the preset and an error shown."""
    ss = st.session_state
    try:
        return _scenario(ss["preset"], changes_key())
    except ScenarioError as e:
        st.error(t("bad_scenario", msg=problems_text(e, preset_scenario(ss["preset"]))))
        return preset_scenario(ss["preset"])


@st.cache_resource(max_entries=4, show_spinner=False)
def generated_population(preset: str, persons: int, seed: int):
    return generate_population(preset_scenario(preset), persons=persons, seed=seed)


@st.cache_resource(max_entries=2, show_spinner=False)
def uploaded_population(digest: str, persons: bytes, claims: bytes):
    return load_population(persons, claims)


def population_key() -> str:
    ss = st.session_state
    if ss.get("upload"):
        return f"upload:{ss['upload']['digest']}"
    return f"gen:{ss['preset']}:{ss['pop_n']}:{ss['pop_seed']}"


def population():
    ss = st.session_state
    up = ss.get("upload")
    if up:
        return uploaded_population(up["digest"], up["persons"], up["claims"])
    key = (ss["preset"], ss["pop_n"], ss["pop_seed"])
    if ss.get("_pop_ready") == key:  # built (and shown) before in this session: the cached one
        return generated_population(*key)
    pop = _build_with_progress(*key)
    ss["_pop_ready"] = key
    return pop


# persons generated a second on this project's 2-core machines (1e6 persons in about 25-35 s),
# until a build of this process has measured its own rate
BUILD_RATE = 35_000.0
SHOW_AFTER = 0.3  # seconds: a cached population comes back sooner and shows no progress


@st.cache_resource(show_spinner=False)
def _build_rates() -> dict:
    return {}


def with_progress(fn, label: str, expected: float):
    """Run `fn()` in a thread; when it takes longer than SHOW_AFTER, the page shows `label`, a
    progress bar of the time taken against the `expected` seconds and the seconds so far, until it
    ends. Returns fn's value and the seconds it took; its error is raised here."""
    out: dict = {}

    def work():
        try:
            out["value"] = fn()
        except BaseException as e:  # re-raised on the page's thread
            out["error"] = e

    worker = threading.Thread(target=work, name="workbench-wait", daemon=True)
    add_script_run_ctx(worker, get_script_run_ctx())
    t0 = time.perf_counter()
    worker.start()
    worker.join(SHOW_AFTER)
    if worker.is_alive():
        box = st.empty()
        with box.container():
            status = st.status(label, expanded=True)
            bar = status.progress(0.0)
            note = status.empty()
            while worker.is_alive():
                worker.join(0.5)
                el = time.perf_counter() - t0
                bar.progress(min(el / max(expected, 1e-9), 0.95))
                note.caption(t("wait_elapsed", elapsed=el, expected=expected))
        box.empty()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out["value"], time.perf_counter() - t0


def _build_with_progress(preset: str, persons: int, seed: int):
    """`generated_population` with a progress bar when it takes time (the expected time from the
    rate of this process's last build)."""
    rates = _build_rates()
    expected = persons / rates.get("rate", BUILD_RATE)
    pop, seconds = with_progress(
        lambda: generated_population(preset, persons, seed),
        t("pop_building", n=persons, expected=expected),
        expected,
    )
    if seconds > SHOW_AFTER:  # a real build, not the cache
        rates["rate"] = persons / seconds
    return pop


# Results and projections are large (about 470 bytes a person for a Result with its person and
# household columns, one Result a year for a projection: 0.47 GB and 2.1 GB at 1e6 persons), so
# they live in stores shared by every session,
# bounded by bytes rather than by a count: one for runs (the Results page), one for projections
# (Funds, Compare), so a projection never pushes the current run out. The small tables the pages
# draw (fund table, targets, comparison) are cached apart under string keys and outlive the runs.
# 1000 MB holds the preset's run and the current one at 1e6 persons: a larger store keeps more
# runs alive, and each new one then faults in fresh memory (~1 s a run on this project's VMs,
# bench_app: median redraw 0.37 s at 1000 MB, 0.9 s at 1500 or 2000 MB over 12 moves).
RUN_BUDGET = int(float(os.environ.get("WORKBENCH_RUN_CACHE_MB", "1000")) * 1e6)
PROJECTION_BUDGET = int(float(os.environ.get("WORKBENCH_PROJECTION_CACHE_MB", "1500")) * 1e6)
EVICT_DELAY = 1.0  # seconds before an evicted run is freed (off the redraw's critical path)
# The run store's memory is touched once at start, on the compute thread, after the warm-up
# (simulation.memory_reuse.prefault): until the store is full every new run would fault in fresh
# pages, ~14,000 a run on the compute thread at 400,000 persons, 0.1 s of a 0.35 s slider move
# (benchmarks/bench_browser.py); a fifth more for the runs evicted but not yet freed.
PREFAULT_BYTES = int(RUN_BUDGET * 1.2)


def prefault_bytes() -> int:
    """PREFAULT_BYTES, or a quarter of the memory available when that is less: a small machine
    keeps its memory for the runs themselves."""
    avail, _ = limits.available_memory()
    return PREFAULT_BYTES if avail is None else int(min(PREFAULT_BYTES, avail // 4))


def _nbytes(x, seen: set[int] | None = None, depth: int = 0) -> int:
    """Approximate bytes of numpy arrays and DataFrames reachable from a Result or Projection
    (the population, shared by every run, is not counted, nor the scenario: thousands of small
    objects and no array, whose walk took longer than the rest on every slider move)."""
    seen = set() if seen is None else seen
    if id(x) in seen or depth > 4 or isinstance(x, (Population, Scenario, str, bytes, int, float)):
        return 0
    seen.add(id(x))
    if isinstance(x, np.ndarray):
        return x.nbytes
    if isinstance(x, (pd.DataFrame, pd.Series)):
        return int(x.memory_usage(deep=False).sum()) if isinstance(x, pd.DataFrame) else x.nbytes
    if isinstance(x, dict):
        return sum(_nbytes(v, seen, depth + 1) for v in x.values())
    if isinstance(x, (list, tuple)):
        return sum(_nbytes(v, seen, depth + 1) for v in x)
    d = getattr(x, "__dict__", None)
    return sum(_nbytes(v, seen, depth + 1) for v in d.values()) if d else 0


class RunStore:
    """Least-recently-used store of runs bounded by `budget` bytes, shared across sessions.

    `get(key, make)` returns the cached value or makes it (once, even when two sessions ask at
    the same time). Entries flagged `pinned` (the preset's own run, which the other pages compare
    against) are evicted only after every unpinned one, and the most recently used pinned entry
    and the newest entry never: the budget may be exceeded by those two."""

    def __init__(self, budget: int):
        self.budget = budget
        self._d: OrderedDict = OrderedDict()  # key -> (value, bytes, pinned)
        self._lock = threading.Lock()
        self._making: dict = {}

    def __len__(self) -> int:
        return len(self._d)

    def items(self) -> list[tuple]:
        """(key, value) pairs, least recently used first."""
        with self._lock:
            return [(k, v[0]) for k, v in self._d.items()]

    @property
    def nbytes(self) -> int:
        return sum(b for _, b, _ in self._d.values())

    def get(self, key, make, pinned: bool = False):
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key][0]
            key_lock = self._making.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._d:
                    self._d.move_to_end(key)
                    return self._d[key][0]
            try:
                value = make()
            except BaseException:
                with self._lock:
                    self._making.pop(key, None)
                raise
            size = _nbytes(value)
            with self._lock:
                self._d[key] = (value, size, pinned)
                self._making.pop(key, None)
                self._evict(newest=key)
        return value

    def _evict(self, newest) -> None:
        total = self.nbytes
        dropped = []
        while total > self.budget:
            keys = [k for k in self._d if k != newest]
            pinned = [k for k in keys if self._d[k][2]]
            victims = [k for k in keys if not self._d[k][2]] or pinned[:-1]
            if not victims:
                break
            value, size, _ = self._d.pop(victims[0])
            dropped.append(value)
            total -= size
        if dropped:
            # freeing a 1e6-person run returns ~0.4 GB to the OS (~0.1 s of munmap): do it on a
            # timer thread after the page has been drawn, not inside the slider's redraw
            timer = threading.Timer(EVICT_DELAY, dropped.clear)
            timer.daemon = True
            timer.start()


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    return RunStore(RUN_BUDGET)


@st.cache_resource(show_spinner=False)
def projection_store() -> RunStore:
    """Projections: the preset's (pinned) and the newest always stay, more while they fit."""
    return RunStore(PROJECTION_BUDGET)


def scenario_key(scn) -> str:
    """The scenario's changes against its preset, as canonical JSON (a cache key)."""
    return json.dumps(dict(scn.changes), sort_keys=True)


COMPUTE_THREAD = "workbench-compute"


@st.cache_resource(show_spinner=False)
def _compute_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=COMPUTE_THREAD)


def in_compute_thread(fn):
    """fn() run on the server's one long-lived compute thread (directly when already on it).

    Streamlit runs every rerun on a new thread. A new thread takes a fresh glibc arena (its own
    heaps, handed back when emptied) and, at its first parallel loop, a fresh OpenMP team with
    fresh stacks: each slider move then touched its run's memory for the first time, about 22,000
    page faults (88 MB) a move at 400,000 persons, which on this project's VMs cost ~10x a reused
    page (simulation/memory_reuse.py). On one thread that lives as long as the server, a run
    reuses the memory the evicted runs freed and the same worker threads."""
    if threading.current_thread().name.startswith(COMPUTE_THREAD):
        return fn()
    return _compute_pool().submit(fn).result()


def _simulated(pop, scn):
    """A run with the arrays every page of a run reads (the person and household columns), all
    made on the compute thread."""
    res = simulate(pop, scn)
    res.person_arrays()
    res.household_arrays()
    return res


def _run(pop_key: str, preset: str, changes_json: str, pop, scn):
    return run_store().get(
        (pop_key, preset, changes_json),
        lambda: in_compute_thread(lambda: _simulated(pop, scn)),
        pinned=changes_json == "{}",
    )


def result():
    """The current scenario's Result (cached per population and scenario)."""
    ss = st.session_state
    scn = scenario()
    return _run(population_key(), ss["preset"], scenario_key(scn), population(), scn)


@st.cache_resource(max_entries=64, show_spinner=False)
def _precision(pop_key: str, preset: str, changes_json: str, _res) -> pd.DataFrame:
    return precision(_res)


def result_precision():
    """The current run's split-sample precision (`simulation.precision`): value, se and 95%
    half-width of coverage of the poor, 个人负担率, out-of-pocket and total cost; None when the
    population is too small to split."""
    ss = st.session_state
    scn = scenario()
    try:
        return _precision(population_key(), ss["preset"], scenario_key(scn), result())
    except WorkbenchError:
        return None


def baseline_result():
    ss = st.session_state
    return _run(population_key(), ss["preset"], "{}", population(), preset_scenario(ss["preset"]))


def _projection(pop_key: str, preset: str, changes_json: str, pop, scn):
    def make():
        # the first year is the run the Results page already made (same scenario, same year)
        first = None if scn.series else _run(pop_key, preset, changes_json, pop, scn)
        return project(pop, scn, first_result=first)

    return projection_store().get((pop_key, preset, changes_json), make, pinned=changes_json == "{}")


def projection(base: bool = False):
    ss = st.session_state
    scn = preset_scenario(ss["preset"]) if base else scenario()
    key = "{}" if base else scenario_key(scn)
    return _projection(population_key(), ss["preset"], key, population(), scn)


@st.cache_resource(max_entries=64, show_spinner=False)
def _fund_tables(pop_key: str, preset: str, changes_json: str, _pop, _scn):
    proj = _projection(pop_key, preset, changes_json, _pop, _scn)
    return proj.funds, proj.targets


def fund_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The edited scenario's fund table and per-year targets table (small; cached apart from the
    projection, which may be evicted)."""
    ss = st.session_state
    scn = scenario()
    return _fund_tables(population_key(), ss["preset"], scenario_key(scn), population(), scn)


@st.cache_resource(max_entries=64, show_spinner=False)
def _comparison(pop_key: str, preset: str, changes_json: str, _pop, _scn):
    base = _projection(pop_key, preset, "{}", _pop, preset_scenario(preset))
    return compare(base, _projection(pop_key, preset, changes_json, _pop, _scn))


def comparison():
    """compare(preset projection, edited projection), cached per population and scenario."""
    ss = st.session_state
    scn = scenario()
    return _comparison(population_key(), ss["preset"], scenario_key(scn), population(), scn)


def _mask_name(mask: int) -> str:
    return "|".join(c for c in CATEGORY_CODES if c != "none" and mask & CAT_BIT_OF[c]) or "none"


@st.cache_resource(max_entries=8, show_spinner=False)
def category_codes(pop_key: str, _pop) -> tuple[np.ndarray, list[str]]:
    """Group of each person by the set of categories held (the engine's bit mask, so aliases and
    the order of `a|b` do not split groups), and the groups' names (`none`, `dibao`, `dibao|orphan`)."""
    masks, codes = np.unique(_pop.arrays.cat_mask, return_inverse=True)
    return codes.astype(np.intp), [_mask_name(int(m)) for m in masks]


# ---------------------------------------------------------------------------- levers
def lever_groups(scn) -> dict[str, list[Lever]]:
    """The scenario's levers (`Scenario.levers()`) grouped by tier, in schema order."""
    groups: dict[str, list[Lever]] = {}
    for lv in scn.levers():
        groups.setdefault(lv.tier, []).append(lv)
    return groups


def lever_spec(scn, path: str) -> Lever:
    return scn.lever(path)


def source_help(spec: Lever) -> str:
    """The hover text of a lever: the clause (or the assumption) of its value and its range, in the
    session's language (the path stays in the URL, never in a label)."""
    lo, hi = spec.bounds
    cite = cite_text(spec.source, spec.assumption, lang())
    if lo is None and hi is None:
        return cite
    lo_s = "—" if lo is None else spec.format(lo, lang())
    hi_s = "—" if hi is None else spec.format(hi, lang())
    return f"{cite}\n\n" + t("lever_range", lo=lo_s, hi=hi_s)


def lever_label(spec: Lever) -> str:
    """The lever's label with its unit, in the session's language: 住院救助比例（低保对象）（%）."""
    return cap(spec.titled(lang()))


def preset_label(name: str, language: str | None = None) -> str:
    """A preset as a planner knows it (临安 2024 / Lin'an 2024), never its file name. A widget's
    format function passes the language it was drawn in (it may be called outside the run)."""
    try:
        return preset_scenario(name).name_in(language or lang())
    except ScenarioError:
        return name


# money levers from 10,000 yuan up are entered in 万元 (3.00 rather than 30000.00): an input box
# has no thousands separator, and five zeros are misread
WAN = 1e4


def _in_wan(spec: Lever, base_value) -> bool:
    return spec.kind == "money" and base_value is not None and abs(float(base_value)) >= WAN


def money_lever_title(spec: Lever) -> str:
    """The label of a money lever entered in 万元: 封顶线（低保家庭）（万元）."""
    unit = ("万" + spec.unit) if lang() == "zh" else spec.unit_en.replace("yuan", "10k yuan", 1)
    return f"{spec.label}（{unit}）" if lang() == "zh" else cap(f"{spec.label_en} ({unit})")


def _on_lever(path: str, wkey: str, kind: str) -> None:
    v = st.session_state[wkey]
    if kind == "pct":
        v = round(float(v) / 100.0, 6)
    elif kind == "float":
        v = float(v)
    elif kind == "int":
        v = int(v)
    elif kind == "wan_float":
        v = round(float(v) * WAN, 2)
    elif kind == "wan_int":
        v = int(round(float(v) * WAN))
    set_change(path, v)


def lever(scn, path: str, base_value, prefix: str = "lv") -> None:
    """One widget for a lever, as the registry describes it: a slider in % for a rate, a number
    input within the lever's bounds for an amount (in 万元 from 10,000 yuan up), a toggle for a
    switch. The value shown is the current scenario's; the hover text is the citation and range."""
    spec = lever_spec(scn, path)
    current = st.session_state["changes"].get(path, base_value)
    wkey = f"{prefix}:{path}"
    help_ = source_help(spec)
    lab = lever_label(spec)
    lo, hi = spec.bounds
    if spec.kind == "switch":
        st.session_state[wkey] = bool(current)
        st.toggle(lab, key=wkey, help=help_, on_change=_on_lever, args=(path, wkey, "bool"))
    elif spec.kind == "rate":
        st.session_state[wkey] = round(float(current) * 100, 2)
        st.slider(
            lab,
            100.0 * (0.0 if lo is None else lo),
            100.0 * (1.0 if hi is None else hi),
            step=0.5,
            format="%.1f%%",
            key=wkey,
            help=help_,
            on_change=_on_lever,
            args=(path, wkey, "pct"),
        )
    elif _in_wan(spec, base_value):
        st.session_state[wkey] = float(current) / WAN
        step = 10.0 ** (int(np.floor(np.log10(abs(float(base_value)) / WAN))) - 1)
        st.number_input(
            money_lever_title(spec),
            min_value=None if lo is None else float(lo) / WAN,
            max_value=None if hi is None else float(hi) / WAN,
            step=max(step, 0.01),
            format="%.2f",
            key=wkey,
            help=help_,
            on_change=_on_lever,
            args=(path, wkey, "wan_int" if isinstance(base_value, int) else "wan_float"),
        )
    elif isinstance(base_value, int):
        st.session_state[wkey] = int(current)
        st.number_input(
            lab,
            min_value=None if lo is None else int(lo),
            max_value=None if hi is None else int(hi),
            step=1,
            key=wkey,
            help=help_,
            on_change=_on_lever,
            args=(path, wkey, "int"),
        )
    else:
        st.session_state[wkey] = float(current)
        step = 10 ** max(0, int(np.log10(abs(base_value))) - 1) if base_value else 1.0
        whole = float(base_value).is_integer() and float(current).is_integer()
        st.number_input(
            lab,
            min_value=None if lo is None else float(lo),
            max_value=None if hi is None else float(hi),
            step=float(step),
            format="%.0f" if whole and step >= 1 else "%.2f",
            key=wkey,
            help=help_,
            on_change=_on_lever,
            args=(path, wkey, "float"),
        )


def assistance_ratio_paths(scn) -> list[tuple[str, object]]:
    """The inpatient assistance ratio of each category (the Results page's quick levers)."""
    return [
        (lv.path, lv.value)
        for lv in scn.levers()
        if lv.path.startswith("medical_assistance.inpatient_ratio.") and lv.kind == "rate"
    ]


def rate_levers(scn) -> list[Lever]:
    """The levers that are rates (the parameters goal-seek can move)."""
    return [lv for lv in scn.levers() if lv.kind == "rate"]


# ---------------------------------------------------------------------------- aggregates
def _group_matrix(group: np.ndarray, weight: np.ndarray, k: int):
    """Sparse k x n matrix with the weight of row i in column i at row group[i]: `M @ x` gives the
    weighted sum of x per group in one pass, without the temporaries of `bincount(g, w * x)`."""
    from scipy import sparse

    n = len(group)
    return sparse.csr_matrix((weight, (group, np.arange(n))), shape=(k, n))


@st.cache_resource(max_entries=8, show_spinner=False)
def _category_matrix(pop_key: str, _pop):
    codes, names = category_codes(pop_key, _pop)
    m = _group_matrix(codes, _pop.arrays.weight, len(names))
    return m, np.asarray(m.sum(axis=1)).ravel()


def by_category(res, pop_key: str, pop) -> pd.DataFrame:
    """Weighted persons, total cost, oop and coverage by category (a cached sparse matrix per
    population times the result's arrays)."""
    _, names = category_codes(pop_key, pop)
    m, persons = _category_matrix(pop_key, pop)
    pa = res.person_arrays()
    cost, oop = m @ pa["total_cost"], m @ pa["oop"]
    cols = {
        "persons": persons,
        "total_cost": cost,
        "oop": oop,
        "coverage": coverage(oop, cost),
        "oop_per_person": per(oop, persons),
    }
    return pd.DataFrame(cols, index=pd.Index(names, name="category"))


@st.cache_resource(max_entries=8, show_spinner=False)
def _deciles(pop_key: str, _res) -> tuple:
    """Household income deciles depend on the population only, so they are computed once: the
    sparse 10 x households matrix of household weights, and each decile's persons and income."""
    h = _res.household_arrays()
    m = _group_matrix((income_deciles(_res) - 1).astype(np.intp), h["weight"], 10)
    return m, m @ h["size"].astype(float), m @ h["income"]


def by_decile(res, pop_key: str) -> pd.DataFrame:
    """Persons, cost, oop, coverage and oop share of income by household income decile (1-10)."""
    h = res.household_arrays()
    m, persons, income = _deciles(pop_key, res)
    cost, oop = m @ h["total_cost"], m @ h["oop"]
    cols = {
        "persons": persons,
        "total_cost": cost,
        "oop": oop,
        "income": income,
        "coverage": coverage(oop, cost),
        "oop_share": per(oop, income),
    }
    return pd.DataFrame(cols, index=pd.Index(range(1, 11), name="decile"))


def open_household(hid) -> None:
    """Open a household of the run on the 家庭测算 page (a row clicked in a list)."""
    st.session_state["explain_hid"] = int(hid)
    st.session_state["hh_opened"] = True
    st.switch_page("app_pages/household.py")


def safe(fn, *args, **kw):
    """Run fn; show a workbench error in the page instead of a traceback."""
    try:
        return fn(*args, **kw)
    except (WorkbenchError, ValueError) as e:
        st.error(str(e))
        return None


# ---------------------------------------------------------------------------- tables, charts, CSV
def csv_bytes(df: pd.DataFrame, index: bool = False) -> bytes:
    """A table as CSV for Excel (UTF-8 with BOM, so Chinese headers open correctly)."""
    return df.to_csv(index=index).encode("utf-8-sig")


def download_csv(df: pd.DataFrame | None, key: str, name: str, index: bool = False, make=None) -> None:
    """A small CSV download button under a table or chart: `df` (with the headers shown), or
    `make()` building it only when the button is pressed."""
    if df is None and make is None:
        return
    st.download_button(
        t("download_data"),
        data=(lambda: csv_bytes(make(), index)) if make is not None else csv_bytes(df, index),
        file_name=f"{name}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"{key}_csv",
        type="tertiary",
        icon=":material/download:",
    )


def table(view: pd.DataFrame, key: str, name: str, data: pd.DataFrame | None = None, **kw):
    """A table as shown (formatted values, headers with units) and its CSV download: `data`, the
    same rows with numbers unformatted, or the table itself. Returns st.dataframe's value (its
    selection, with `on_select`)."""
    kw.setdefault("width", "stretch")
    shown = st.dataframe(view, key=key, **kw)
    rows = view if data is None else data  # written out only when the button is pressed
    download_csv(None, key, name, index=not kw.get("hide_index", False), make=lambda: rows)
    return shown


def money_columns(df: pd.DataFrame, rates=()) -> dict:
    """Column formats of a table of numbers: thousands separators for amounts and weighted counts
    (float columns; integer ones are identifiers and sizes, shown plain), one decimal for the
    `rates` columns (given in percent, the header saying %). The numbers stay numbers, so the table
    sorts by value."""
    cfg = {}
    for c in df.columns:
        if c in rates:
            cfg[c] = st.column_config.NumberColumn(c, format="%.1f")
        elif pd.api.types.is_float_dtype(df[c]):  # (integer columns: identifiers, sizes)
            cfg[c] = st.column_config.NumberColumn(c, format="localized")
    return cfg


def figure_data(fig) -> pd.DataFrame:
    """The data a chart draws, one row a point: series, x, y (headed by the axis titles)."""
    lay = fig.layout
    xt = (lay.xaxis.title.text if lay.xaxis and lay.xaxis.title else None) or t("csv_x")
    yt = (lay.yaxis.title.text if lay.yaxis and lay.yaxis.title else None) or t("csv_value")
    rows = []
    for i, tr in enumerate(fig.data):
        name = getattr(tr, "name", None) or (lay.title.text if lay.title else "") or str(i + 1)
        xs, ys = getattr(tr, "x", None), getattr(tr, "y", None)
        if xs is None or ys is None:
            continue
        if tr.type == "scatter" and getattr(tr, "showlegend", None) is False and not tr.name:
            name = t("csv_band")  # the edges of a P10-P90 band
        relative = list(getattr(tr, "measure", None) or [])
        for j, (x, y) in enumerate(zip(xs, ys)):
            v = abs(y) if relative and j < len(relative) and relative[j] == "relative" else y
            rows.append({t("csv_series"): name, xt: x, yt: v})
    return pd.DataFrame(rows, columns=[t("csv_series"), xt, yt])


def chart(fig, key: str, name: str | None = None, where=None) -> None:
    """A plotly chart (without Streamlit's theme: less for the browser to restyle on each redraw)
    and the CSV of the points it draws; `where`: a column or container (default the page)."""
    if where is not None:
        with where:
            chart(fig, key, name)
        return
    st.plotly_chart(fig, key=key, **PLOTLY)
    download_csv(None, key, name or key.removeprefix("ch_"), make=lambda: figure_data(fig))


# ---------------------------------------------------------------------------- uploads
def upload_notice(key: str, kind: str, types: str) -> None:
    """The upload widget in the page's language: Streamlit prints its own English button text and
    the server-wide size ("200MB per file"); this restyles that widget (`key`) to say what the
    app enforces for this kind of file, in the session's language."""
    from ._limits import human_size, upload_limit

    limit = human_size(upload_limit(kind))
    note = t("upload_limit", limit=limit, types=types)
    css = f"""<style>
.st-key-{key} [data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p {{
  font-size: 0; }}
.st-key-{key} [data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after {{
  content: "{t("upload_button")}"; font-size: 0.875rem; }}
.st-key-{key} [data-testid='stFileUploaderDropzoneInstructions'] span {{ font-size: 0; }}
.st-key-{key} [data-testid='stFileUploaderDropzoneInstructions'] span::after {{
  content: "{note}"; font-size: 0.875rem; }}
</style>"""
    st.html(css)
