"""Explain one family: every rule `simulate` applies to it, step by step, with the clause each
number comes from (a 待遇测算单).

    from simulation import explain, load_scenario
    ex = explain("linan_2024", persons, claims)        # tables (or lists of dicts) as for Population
    ex = res.explain(household_id)                      # a family inside a run
    ex.steps                                            # one row a rule application, in settlement order

How. There is no third copy of the arithmetic: the family's year is run by the engine itself
(`engine.run_year`) in a shadow namespace where every compiled loop of `simulation.kernels` is its
own Python source (`Dispatcher.py_func`) and every rule of `simulation.rules` the loops call is a
wrapper that calls the rule's Python source and records the call (the rule's name, its arguments
by parameter name, its result, the loop that called it and the loop's indices: person `p`, claim
`k`, category row `c`, schedule `js`, plan `j`, department or warning rule `r`). The shadow is built
from the modules' own namespaces (copies of their globals, the functions cloned onto them), so no
module is modified: a run of `simulate` in another thread (another session of the app) keeps the
compiled loops. The steps are then read from the recorded calls: each step's amount is what the
rule returned (for the category that won, 就高不重复, and the last pass over the person: 政策找人 runs
the found households' tiers again), its words are the rule's arguments, its clause the citation of
the parameters the rule read (`Scenario.source`). `tests/test_explain.py` holds the steps of every
payer equal to `simulate`'s columns for random households of every preset.

The loop indices are read by name from the calling loop's frame (`PLACES`); a loop that renames
them makes `explain` fail loudly (ExplainError), never silently misplace a step.
"""

from __future__ import annotations

import contextvars
import inspect
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pandas as pd
import yaml
from numba.core.dispatcher import Dispatcher

from . import engine
from .assumption_text import assumed, cited_in
from .errors import PopulationError, WorkbenchError
from .parameters import CAT_BIT_OF, CATEGORY_CODES, SETTINGS, ScenarioModel, table_rows
from .population.derive import derived_population
from .population.model import Population, validate_claims, validate_persons
from .registry import OUTPUTS, PAID_COLUMNS, PERSON_PAYERS, category_label, fmt_money, metric_label, tiers
from .result import Result
from .rules.basic_insurance import build_tables, map_levels, paid_as_referred
from .rules.critical_illness import schedules_for
from .scenario import SCENARIO_DIR, Scenario, load_scenario


class ExplainError(WorkbenchError):
    """A family cannot be explained (more than one household, an unknown household id, a trace the
    steps cannot be read from)."""


# ---------------------------------------------------------------------------- the tracer
RULES_PACKAGE = __package__ + ".rules."
# the loop indices a recorded call keeps (names of the loops' own variables, see the module doc)
PLACES = ("p", "k", "c", "js", "j", "r", "h")
_TRACE: contextvars.ContextVar[_Trace | None] = contextvars.ContextVar("simulation_explain", default=None)


@dataclass
class Call:
    """One recorded application of a rule."""

    seq: int
    rule: str
    args: dict[str, Any]
    result: Any
    where: str  # the loop (function) that called the rule
    at: dict[str, int]  # that loop's indices (PLACES)
    entry: int  # which call of a loop (a loop run twice, e.g. for 政策找人, has two entries)
    module: str = ""  # the rule's module (simulation.rules.<tier>)


@dataclass
class _Trace:
    calls: list[Call] = field(default_factory=list)
    entries: int = 0
    stack: list[int] = field(default_factory=list)


def _plain(x):
    if isinstance(x, tuple):
        return tuple(_plain(v) for v in x)
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    return x


def _rule_wrapper(fn, name: str):
    sig = inspect.signature(fn)

    def traced(*args, **kwargs):
        out = fn(*args, **kwargs)
        tr = _TRACE.get()
        if tr is not None:
            frame = sys._getframe(1)
            loc = frame.f_locals
            at = {}
            for k in PLACES:
                v = loc.get(k)
                if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
                    at[k] = int(v)
            bound = sig.bind(*args, **kwargs).arguments
            tr.calls.append(
                Call(
                    seq=len(tr.calls),
                    rule=name,
                    args={k: _plain(v) for k, v in bound.items()},
                    result=_plain(out),
                    where=frame.f_code.co_name,
                    at=at,
                    entry=tr.stack[-1] if tr.stack else 0,
                    module=fn.__module__,
                )
            )
        return out

    traced.__name__ = name
    return traced


def _loop_wrapper(fn):
    def loop(*args, **kwargs):
        tr = _TRACE.get()
        if tr is None:
            return fn(*args, **kwargs)
        tr.entries += 1
        tr.stack.append(tr.entries)
        try:
            return fn(*args, **kwargs)
        finally:
            tr.stack.pop()

    loop.__name__ = fn.__name__
    return loop


def _python(v):
    """The Python source of a compiled function (itself when numba's JIT is off)."""
    return v.py_func if isinstance(v, Dispatcher) else v


def _is_rule(v) -> bool:
    fn = _python(v)
    if not isinstance(fn, types.FunctionType) or not fn.__module__.startswith(RULES_PACKAGE):
        return False
    return isinstance(v, Dispatcher) or numba.config.DISABLE_JIT


def _is_loop(v) -> bool:
    return isinstance(v, Dispatcher) and not _is_rule(v)


def _holds_loops(module) -> bool:
    """Whether a module holds compiled loops (or, with numba's JIT off, is a module of loops: one
    that imports numba's njit and rules of `simulation.rules`)."""
    values = list(vars(module).values())
    if any(_is_loop(v) or (isinstance(v, tuple) and v and all(_is_loop(x) for x in v)) for v in values):
        return True
    return bool(numba.config.DISABLE_JIT) and numba.njit in values and any(_is_rule(v) for v in values)


class _Shadow:
    """Copies of the package's modules on the path of `engine.run_year` whose loops run as Python
    and whose rule calls are recorded; the modules themselves are left as they are. Every function
    of a module of loops is entered through `_loop_wrapper`, so a recorded rule call knows which
    call of its loop made it."""

    def __init__(self, root):
        self.modules: dict[str, types.ModuleType] = {}
        self.loops: dict[str, bool] = {}
        self.root = self.module(root)

    def holds_loops(self, module) -> bool:
        name = module.__name__
        if name not in self.loops:
            self.loops[name] = _holds_loops(module)
        return self.loops[name]

    def needs(self, module) -> bool:
        return module is engine or self.holds_loops(module)

    def module(self, module) -> types.ModuleType:
        name = module.__name__
        if name in self.modules:
            return self.modules[name]
        shadow = types.ModuleType(name)
        self.modules[name] = shadow
        g = shadow.__dict__
        g.update(vars(module))
        loops = self.holds_loops(module)
        for key, v in vars(module).items():
            g[key] = self.value(v, loops)
        return shadow

    def value(self, v, in_loops: bool):
        if isinstance(v, types.ModuleType):
            if v.__name__.startswith(__package__ + ".") and self.needs(v):
                return self.module(v)
            return v
        if isinstance(v, tuple) and v and all(isinstance(_python(x), types.FunctionType) for x in v):
            return tuple(self.value(x, in_loops) for x in v)  # (a loop's serial and parallel variants)
        if _is_rule(v) and (in_loops or isinstance(v, Dispatcher)):
            fn = _python(v)
            return _rule_wrapper(fn, fn.__name__)
        fn = _python(v)
        if isinstance(fn, types.FunctionType) and fn.__module__.startswith(__package__ + "."):
            mod = sys.modules.get(fn.__module__)
            if mod is not None and self.needs(mod):
                clone = self.function(fn)
                return _loop_wrapper(clone) if self.holds_loops(mod) else clone
        return v

    def function(self, fn):
        g = self.module(sys.modules[fn.__module__]).__dict__
        clone = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
        clone.__kwdefaults__ = fn.__kwdefaults__
        clone.__qualname__ = fn.__qualname__
        return clone


def traced_year(pop: Population, params: ScenarioModel):
    """(the year's arrays, the recorded rule calls): `engine.run_year` with the loops as Python and
    every rule call recorded (see the module doc)."""
    run_year = _Shadow(engine).root.run_year
    trace = _Trace()
    token = _TRACE.set(trace)
    try:
        y = run_year(pop, params)
    finally:
        _TRACE.reset(token)
    return y, trace.calls


# ---------------------------------------------------------------------------- the family's tables
def _table(x, what: str) -> pd.DataFrame:
    if x is None:
        return pd.DataFrame()
    if isinstance(x, pd.DataFrame):
        return x.copy()
    if isinstance(x, Mapping):
        return pd.DataFrame(dict(x))
    if isinstance(x, (list, tuple)):
        if not all(isinstance(r, Mapping) for r in x):
            raise PopulationError(f"family {what}: expected a table or a list of rows (mappings)")
        return pd.DataFrame(list(x))
    raise PopulationError(f"family {what}: expected a table or a list of rows, got {type(x).__name__}")


CLAIM_COLUMNS_EMPTY = ("person_id", "setting", "hospital_level", "total_cost", "policy_cost")


def family_population(persons, claims, source: str = "family") -> Population:
    """The family as a Population, validated as `load_population` validates files (its rows counted
    from 1, the first member or claim; a missing `household_id` is the family's one id, 1). Raises
    PopulationError (with `detail` naming the cell), ExplainError for more than one household."""
    pp = _table(persons, "persons")
    cc = _table(claims, "claims")
    if len(pp) and not {"household_id", "家庭编号", "户编号"} & set(map(str, pp.columns)):
        pp["household_id"] = 1
    if cc.empty and not len(cc.columns):
        cc = pd.DataFrame({c: [] for c in CLAIM_COLUMNS_EMPTY})
    persons_v, mask = validate_persons(pp, f"{source} persons", row_offset=1)
    claims_v = validate_claims(cc, persons_v["person_id"].to_numpy(), f"{source} claims", row_offset=1)
    pop = Population.trusted(persons_v, claims_v, source=source)
    pop.__dict__["_cat_mask"] = mask
    n = pop.arrays.n_households
    if n != 1:
        raise ExplainError(f"{source}: the persons belong to {n} households; a family is one household_id")
    return pop


# value arrays of PopulationArrays (per person, per sorted claim) a Result's own population may
# have replaced (a projected year, the year's enrolment): carried into the family's population
_PERSON_VALUES = ("age", "employee", "cat_mask", "income", "weight", "enrolled", "disabled", "veteran",
                  "union_member", "identified_month", "care_need", "institution")  # fmt: skip
_CLAIM_VALUES = ("claim_setting", "claim_total", "claim_policy", "claim_referred", "claim_chain",
                 "claim_month", "claim_out_of_city")  # fmt: skip


def household_population(pop: Population, household_id) -> Population:
    """One household of a population as a population of its own, its arrays those of `pop` (a
    projected year's incomes, costs and categories included), in the same order."""
    a = pop.arrays
    where = np.flatnonzero(np.asarray(a.household_ids) == household_id)
    if len(where) == 0:
        try:
            where = np.flatnonzero(np.asarray(a.household_ids).astype(str) == str(household_id))
        except (TypeError, ValueError):
            where = np.zeros(0, dtype=np.int64)
    if len(where) == 0:
        raise ExplainError(f"household {household_id!r} is not in this run's population")
    rows = np.flatnonzero(a.household == where[0])
    sorted_claims = np.flatnonzero(np.isin(a.claim_person, rows))  # in (person, month, row) order
    claim_rows = np.sort(a.claim_order[sorted_claims])  # the claims table's own order
    persons = pop.persons.iloc[rows].reset_index(drop=True)
    claims = pop.claims.iloc[claim_rows].reset_index(drop=True)
    sub = Population.trusted(persons, claims, source=f"household {household_id}")
    arrays = {}
    for name in _PERSON_VALUES:
        v = getattr(a, name)
        if v is not None:
            arrays[name] = np.array(v[rows])
    for name in _CLAIM_VALUES:
        v = getattr(a, name)
        if v is not None:
            arrays[name] = np.array(v[sorted_claims])
    if sub.arrays.n_households != 1:  # (a household's members share one id by construction)
        raise ExplainError(f"household {household_id!r}: its members do not share one household")
    return derived_population(sub, **arrays)


# ---------------------------------------------------------------------------- words and clauses
def _money(x: float, lang: str) -> str:
    x = float(x)
    digits = 0 if abs(x - round(x)) < 0.005 else 2
    return fmt_money(x, lang, scale="yuan", digits=digits)


def _pct(x: float) -> str:
    s = f"{float(x) * 100:,.2f}".rstrip("0").rstrip(".")
    return f"{s}%"


def _limit(x: float, lang: str) -> str:
    return ("不设限额" if lang == "zh" else "no limit") if not np.isfinite(x) else _money(x, lang)


@dataclass(frozen=True)
class Words:
    zh: str
    en: str


def _w(zh: str, en: str) -> Words:
    return Words(zh, en)


def _changed(scn: Scenario, path: str) -> str | None:
    """The change of the scenario (a path of `scn.changes`) that sets the parameter at `path`."""
    for k in scn.changes:
        if k == path or k.startswith(path + ".") or path.startswith(k + "."):
            return k
    return None


def _clause(scn: Scenario, paths) -> tuple[str, str]:
    """The citations of the parameters at `paths` (source, or the preset's assumption), once each; a
    parameter the scenario changed is cited as the change, with the preset's citation after it."""
    zh, en, seen = [], [], set()
    for path in paths:
        info = scn.source(path)
        if "source" in info:
            key = ("s", str(info["source"]))
            text_zh, text_en = cited_in(str(info["source"]), "zh"), cited_in(str(info["source"]), "en")
        elif "assumption" in info:
            key = ("a", str(info["assumption"]))
            text_zh, text_en = assumed(str(info["assumption"]), "zh"), assumed(str(info["assumption"]), "en")
        else:
            continue
        changed = _changed(scn, path)
        if changed is not None:
            try:
                lever = scn.lever(changed)
                value = scn.changes[changed]
                key = ("c", changed)
                text_zh = f"本方案调整：{lever.label} = {lever.format(value, 'zh')}（预设依据：{text_zh}）"
                text_en = (
                    f"changed in this scenario: {lever.label_en} = {lever.format(value, 'en')} "
                    f"(preset: {text_en})"
                )
            except (KeyError, WorkbenchError):
                pass
        if key in seen:
            continue
        seen.add(key)
        zh.append(text_zh)
        en.append(text_en)
    return "；".join(zh), "; ".join(en)


TIERS = {k: (zh, en) for k, zh, en in tiers()}
SETTING_WORDS = {"inpatient": ("住院", "inpatient"), "outpatient": ("门诊", "outpatient"),
                 "chronic": ("门诊慢特病", "chronic")}  # fmt: skip
# the tier of each payer (a `_paid` column), for the step's tier name: the registry's Output.tier
PAYER_TIER = {k: OUTPUTS[k].tier for k in PAID_COLUMNS}
# the payers whose steps `_Reader` reads rule by rule in its own words; any other payer of the
# person's year (registry.PERSON_PAYERS) is explained from its tier's traced rule calls
# (`_Reader.generic`)
READ_BY_RULE = (
    "hospital_paid", "basic_paid", "critical_paid", "mutual_aid_paid", "supplement_paid", "assistance_paid",
    "family_planning_paid", "other_paid", "cap_paid",
)  # fmt: skip


def _tier_names(payer: str) -> tuple[str, str]:
    if payer == "oop":
        return metric_label("oop", "zh"), metric_label("oop", "en")
    return TIERS[PAYER_TIER[payer]]


@dataclass
class _Step:
    seq: int
    p: int
    claim: int | None
    payer: str
    key: str
    base: float
    amount: float
    rule: Words
    paths: tuple[str, ...]


# ---------------------------------------------------------------------------- reading the trace
class _Reader:
    """The steps of one traced year of one family, from its recorded rule calls."""

    def __init__(self, scn: Scenario, params: ScenarioModel, pop: Population, y, calls: list[Call]):
        self.scn, self.p, self.pop, self.y = scn, params, pop, y
        self.a = pop.arrays
        # the last entry of each loop that reached a person (政策找人 runs tiers and cap again)
        last: dict[tuple[str, int], int] = {}
        for c in calls:
            who = c.at.get("p", c.at.get("k"))
            if who is not None:
                last[(c.where, who)] = max(last.get((c.where, who), 0), c.entry)
        self.calls = [
            c for c in calls if last.get((c.where, c.at.get("p", c.at.get("k"))), c.entry) == c.entry
        ]
        self.steps: list[_Step] = []
        self.levels = list(params.hospital_levels)
        level = map_levels(self.a.level_names, params, pop.source)[self.a.claim_level]
        tables = build_tables(params)
        self.level = level
        self.referred = [
            paid_as_referred(bool(r), bool(tables.level_referral[lv]))
            for r, lv in zip(self.a.claim_referred, level)
        ]
        self.any_unreferred = not bool(np.all(self.referred))
        self.codes = table_rows(params)

    def need(self, c: Call, *keys: str) -> list[int]:
        missing = [k for k in keys if k not in c.at]
        if missing:
            raise ExplainError(
                f"explain: the loop {c.where} calling {c.rule} has no index {', '.join(missing)}: "
                "simulation.explain.PLACES must name the loops' indices"
            )
        return [c.at[k] for k in keys]

    def of(self, where: str, rule: str | None = None, **at) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.where == where
            and (rule is None or c.rule == rule)
            and all(c.at.get(k) == v for k, v in at.items())
        ]

    def claim_no(self, k: int) -> int:
        return int(self.a.claim_order[k]) + 1

    def scheme(self, p: int) -> str:
        return "employee" if self.a.employee[p] else "resident"

    # -------------------------------------------------------------- claims
    def read(self) -> list[_Step]:
        for c in self.calls:
            if c.where == "_hospital_range" and c.rule in ("quota_excess", "out_of_catalogue_excess"):
                self.hospital(c)
        done: set[int] = set()
        for c in self.calls:
            if c.where == "_claims_range" and c.rule == "claim_payment":
                (k,) = self.need(c, "k")
                if k not in done:
                    done.add(k)
                    self.basic(k)
        done_p: set[int] = set()
        for c in self.calls:
            if c.where == "_tiers_range" and c.rule == "reasonable_cost":
                (p,) = self.need(c, "p")
                if p not in done_p:
                    done_p.add(p)
                    self.tiers(p)
        done_p = set()
        for c in self.calls:
            if c.where == "_cap_chunk":
                (p,) = self.need(c, "p")
                if p not in done_p:
                    done_p.add(p)
                    self.cap(p)
        for payer in PERSON_PAYERS:
            if payer not in READ_BY_RULE:
                for p in range(self.a.n_persons):
                    self.generic(payer, p)
        return self.steps

    def add(self, seq, p, claim, payer, key, base, amount, rule, paths):
        self.steps.append(_Step(seq, p, claim, payer, key, float(base), float(amount), rule, tuple(paths)))

    def hospital(self, c: Call) -> None:
        (k,) = self.need(c, "k")
        amount = float(c.result)
        if amount <= 0:
            return
        p = int(self.a.claim_person[k])
        hl = self.p.hospital_liability
        if c.rule == "quota_excess":
            q = c.args["quota"]
            disease = str(self.a.disease_names[self.a.claim_disease[k]])
            label = hl.disease_quota[disease].label if disease in hl.disease_quota else disease
            label_en = (
                (hl.disease_quota[disease].label_en or label) if disease in hl.disease_quota else disease
            )
            rule = _w(
                f"{label}按病种定额 {_money(q, 'zh')}，超出定额的 {_money(amount, 'zh')} 由医院承担",
                f"{label_en} paid by a quota of {_money(q, 'en')}; the {_money(amount, 'en')} above it is "
                "borne by the hospital",
            )
            paths = [f"hospital_liability.disease_quota.{disease}.quota"]
            self.add(c.seq, p, self.claim_no(k), "hospital_paid", f"hospital_quota:{self.claim_no(k)}",
                     c.args["total"], amount, rule, paths)  # fmt: skip
        else:
            share = c.args["share"]
            rule = _w(
                f"目录外费用超过本次费用 {_pct(share)} 的部分 {_money(amount, 'zh')} 由医院承担",
                f"out-of-catalogue cost above {_pct(share)} of the claim, {_money(amount, 'en')}, "
                "is borne by the hospital",
            )
            key = f"hospital_catalogue:{self.claim_no(k)}"
            paths = ["hospital_liability.out_of_catalogue_share_max"]
            self.add(c.seq, p, self.claim_no(k), "hospital_paid", key, c.args["total"], amount, rule, paths)

    def basic(self, k: int) -> None:
        pays = self.of("_claims_range", "claim_payment", k=k)
        unreferred = self.any_unreferred and not bool(self.referred[k])
        c = pays[-1] if unreferred else pays[0]
        (p,) = self.need(c, "p")
        a = c.args
        paid, applied, raw, _ = c.result
        sch = self.scheme(p)
        s = SETTINGS[int(self.a.claim_setting[k])]
        lv = self.levels[int(self.level[k])]
        setting_zh, setting_en = SETTING_WORDS[s]
        lv_def = self.p.hospital_levels[lv]
        lv_zh, lv_en = lv_def.label, lv_def.label_en or lv_def.label
        head = _w(f"{setting_zh}·{lv_zh}：", f"{setting_en}, {lv_en}: ")
        root = self.terms_root(c, p, s)
        if unreferred and self.terms(root).unreferred is not None:
            root += ".unreferred"
        paths = [f"{root}.deductible.{lv}", f"{root}.ratio.{lv}"]
        base = a["insured_cost"]
        policy = float(self.a.claim_policy[k])
        if base <= 0 and policy > 0:
            why = _w(
                "未参保或该级医院不纳入医保支付，基本医保不支付",
                "not insured, or a level the insurance does not pay: basic insurance pays nothing",
            )
            self.add(c.seq, p, self.claim_no(k), "basic_paid", f"basic:{self.claim_no(k)}", policy, paid,
                     _w(head.zh + why.zh, head.en + why.en), [f"hospital_levels.{lv}.pays"])  # fmt: skip
            return
        ratios = self.of("_claims_range", "applied_ratio", k=k)
        ratio = a["ratio"]
        bonus = 0.0
        for r in ratios:
            if r.result == ratio:
                bonus = r.args["retiree_bonus"]
        chains = self.of("_claims_range", "chain_deductible", k=k)
        parts_zh, parts_en = [], []
        if unreferred:
            parts_zh.append("未转诊，按未转诊待遇")
            parts_en.append("not referred: paid on the unreferred terms")
        parts_zh.append(f"政策范围内 {_money(base, 'zh')}")
        parts_en.append(f"policy-range cost {_money(base, 'en')}")
        ded = a["deductible"]
        chain = next((ch for ch in chains if ch.result == ded and ch.args["highest_paid"] > 0), None)
        if chain is not None:
            parts_zh.append(
                f"同一转诊链已付起付线 {_money(chain.args['highest_paid'], 'zh')}，"
                f"本次补差 {_money(ded, 'zh')}"
            )
            parts_en.append(
                f"one deductible per referral chain: {_money(chain.args['highest_paid'], 'en')} already "
                f"paid, {_money(ded, 'en')} more due"
            )
        elif a["per_year"]:
            parts_zh.append(f"年度起付线 {_money(ded, 'zh')}（本次计入 {_money(applied, 'zh')}）")
            parts_en.append(f"annual deductible {_money(ded, 'en')} ({_money(applied, 'en')} of this claim)")
        else:
            parts_zh.append(f"起付线 {_money(ded, 'zh')}")
            parts_en.append(f"deductible {_money(ded, 'en')}")
        if bonus > 0:
            paths.append(f"basic_insurance.{sch}.retiree_ratio_bonus")
            parts_zh.append(f"其余按 {_pct(ratio)} 报销（含退休人员提高 {_pct(bonus)}）")
            parts_en.append(f"the rest at {_pct(ratio)} (retiree bonus {_pct(bonus)} included)")
        else:
            parts_zh.append(f"其余按 {_pct(ratio)} 报销")
            parts_en.append(f"the rest at {_pct(ratio)}")
        if paid < raw - 0.005:
            cap = a["setting_cap"] if np.isfinite(a["setting_cap"]) else a["scheme_cap"]
            parts_zh.append(f"受年度最高支付限额 {_limit(cap, 'zh')} 限制（应付 {_money(raw, 'zh')}）")
            parts_en.append(f"held to the annual fund cap {_limit(cap, 'en')} (due {_money(raw, 'en')})")
            paths += [f"basic_insurance.{sch}.{s}.annual_cap", f"basic_insurance.{sch}.annual_cap"]
        loss = self.of("_claims_range", "claim_base", k=k)
        if unreferred and loss and loss[-1].args["unreferred_loss"] > 0:
            ex = loss[-1].args["unreferred_loss"]
            parts_zh.append(f"比转诊少付 {_money(ex, 'zh')}（不计入大病和救助基数）")
            parts_en.append(
                f"{_money(ex, 'en')} less than if referred (left out of the 大病 and assistance bases)"
            )
        rule = _w(head.zh + "，".join(parts_zh), head.en + "; ".join(parts_en))
        self.add(
            c.seq, p, self.claim_no(k), "basic_paid", f"basic:{self.claim_no(k)}", base, paid, rule, paths
        )

    def terms_root(self, c: Call, p: int, setting: str) -> str:
        """The path of the terms a person's claim is paid on (the special terms of the first set
        whose categories and scheme the person has: their own setting terms, else the scheme's)."""
        sch = self.scheme(p)
        mask = int(self.a.cat_mask[p])
        for i, sp in enumerate(self.p.basic_insurance.special_terms):
            bits = 0
            for cat in sp.categories:
                bits |= CAT_BIT_OF[cat]
            if mask & bits and sch in sp.schemes:
                if getattr(sp, setting) is not None:
                    return f"basic_insurance.special_terms.{i}.{setting}"
                break
        return f"basic_insurance.{sch}.{setting}"

    def terms(self, root: str):
        node: Any = self.p
        for part in root.split("."):
            node = node[int(part)] if part.isdigit() else getattr(node, part)
        return node

    # -------------------------------------------------------------- tiers 2-4
    def tiers(self, p: int) -> None:
        kept = self.of("_tiers_range", "reasonable_cost", p=p)
        (c,) = self.need(kept[-1], "c")
        cat = self.codes[c]
        calls = self.of("_tiers_range", p=p, c=c)
        for call in calls:
            if call.rule == "critical_payment":
                self.critical(p, cat, call, [x for x in calls if x.rule == "band_payment"])
            elif call.rule == "plan_payment":
                self.mutual(p, call)
            elif call.rule == "supplement_payment":
                self.supplement(p, call, calls)
            elif call.rule == "assistance_payment":
                self.assistance(p, cat, call)

    def critical(self, p: int, cat: str, call: Call, bands: list[Call]) -> None:
        ci = self.p.critical_illness
        best, base, reached = call.args["best_schedule"], call.args["base"], call.args["reached"]
        amount = float(call.result)
        if base <= 0:
            return
        paths = ["critical_illness.terms.threshold"]
        if not reached:
            rule = _w(
                "未参保或所属险种不在大病保险范围，大病保险不支付",
                "not insured, or a scheme critical-illness insurance does not cover: nothing paid",
            )
            self.add(
                call.seq,
                p,
                None,
                "critical_paid",
                "critical",
                base,
                amount,
                rule,
                ["critical_illness.schemes"],
            )
            return
        schedules = schedules_for(ci, cat)
        tilts = [i for i, t in enumerate(ci.tilts) if cat in t.categories]
        groups: dict[int, list[Call]] = {}
        for b in bands:
            groups.setdefault(b.at.get("js", 0), []).append(b)
        chosen, index = None, None
        for g in groups.values():
            for i, sc in enumerate(schedules):
                if _bands_of(sc) == [(b.args["lower"], b.args["upper"], b.args["ratio"]) for b in g]:
                    total = min(sum(b.result for b in g), sc.cap)
                    if abs(total - best) <= 1e-9 * max(1.0, abs(best)) and chosen is None:
                        chosen, index = g, i
        words_zh, words_en = [f"年度大病基数 {_money(base, 'zh')}"], [f"the year's base {_money(base, 'en')}"]
        if chosen is None:
            thr = min(sc.threshold for sc in schedules)
            words_zh.append(f"未超过起付线 {_money(thr, 'zh')}，不支付")
            words_en.append(f"not above the threshold {_money(thr, 'en')}: nothing paid")
        else:
            sc = schedules[index]
            if index > 0:
                tilt = ci.tilts[tilts[index - 1]]
                words_zh.append(f"按{tilt.label or '倾斜政策'}")
                words_en.append(f"on the {tilt.label_en or tilt.label or 'tilt'}")
                paths += [f"critical_illness.tilts.{tilts[index - 1]}.{k}"
                          for k in ("threshold", "threshold_factor", "ratio_bonus", "uncapped")]  # fmt: skip
            words_zh.append(f"起付线 {_money(sc.threshold, 'zh')} 以上分段支付")
            words_en.append(f"above the threshold {_money(sc.threshold, 'en')}, band by band")
            for b in chosen:
                if b.result <= 0:
                    continue
                hi_zh = "以上" if not np.isfinite(b.args["upper"]) else f"–{_money(b.args['upper'], 'zh')}"
                hi_en = (
                    " and above" if not np.isfinite(b.args["upper"]) else f"–{_money(b.args['upper'], 'en')}"
                )
                words_zh.append(f"{_money(b.args['lower'], 'zh')}{hi_zh} 按 {_pct(b.args['ratio'])} 付 "
                                f"{_money(b.result, 'zh')}")  # fmt: skip
                words_en.append(f"{_money(b.args['lower'], 'en')}{hi_en} at {_pct(b.args['ratio'])}: "
                                f"{_money(b.result, 'en')}")  # fmt: skip
            band_no = _band_numbers(sc, chosen)
            paths += [f"critical_illness.terms.bands.{i}.ratio" for i in band_no]
            if sum(b.result for b in chosen) > sc.cap:
                words_zh.append(f"年度封顶 {_money(sc.cap, 'zh')}")
                words_en.append(f"annual cap {_money(sc.cap, 'en')}")
                paths.append("critical_illness.terms.cap")
        rule = _w("，".join(words_zh), "; ".join(words_en))
        self.add(call.seq, p, None, "critical_paid", "critical", base, amount, rule, paths)

    def mutual(self, p: int, call: Call) -> None:
        (j,) = self.need(call, "j")
        plan = self.p.mutual_aid[j]
        a = call.args
        if a["borne"] <= 0:
            return
        rule = _w(
            f"{plan.label}：自付 {_money(a['borne'], 'zh')}，起付线 {_money(a['deductible'], 'zh')} 以上按 "
            f"{_pct(a['ratio'])} 支付（年度限额 {_limit(a['annual_limit'], 'zh')}）",
            f"{plan.label_en or plan.label}: {_money(a['borne'], 'en')} borne, {_pct(a['ratio'])} above "
            f"{_money(a['deductible'], 'en')} (annual limit {_limit(a['annual_limit'], 'en')})",
        )
        paths = [f"mutual_aid.{j}.{k}" for k in ("ratio", "deductible", "annual_limit")]
        self.add(
            call.seq, p, None, "mutual_aid_paid", f"mutual_aid:{j}", a["borne"], call.result, rule, paths
        )

    def supplement(self, p: int, call: Call, calls: list[Call]) -> None:
        sup = self.p.supplement
        a = call.args
        pol = a["policy0"] + a["policy1"] + a["policy2"]
        base = pol + a["outside"]
        if base <= 0:
            return
        amount = float(sum(call.result))
        listed = [x for x in calls if x.rule == "listed_cost" and x.seq < call.seq]
        share = listed[-1].args["listed_share"] if listed else 1.0
        tk = a["taken_up"]
        if tk >= 1:
            who_zh, who_en = "财政代缴参保，全额计入", "enrolled by the state: counted in full"
        elif tk <= 0:
            who_zh, who_en = "未参保，不赔付", "not enrolled: nothing paid"
        else:
            who_zh, who_en = (f"按参保率 {_pct(tk)} 计期望赔付", f"expected payment at the uptake {_pct(tk)}")
        rule = _w(
            f"{sup.name}：目录内剩余 {_money(pol, 'zh')}、目录外列入保障 {_money(a['outside'], 'zh')}"
            f"（目录外的 {_pct(share)}），免赔额 {_money(a['deductible'], 'zh')} 后目录内按 "
            f"{_pct(a['ratio_policy'])}、目录外按 {_pct(a['ratio_outside'])} 赔付"
            f"（封顶 {_limit(a['cap'], 'zh')}）；"
            f"{who_zh}",
            f"{sup.name}: {_money(pol, 'en')} left inside the catalogue and {_money(a['outside'], 'en')} "
            f"listed outside it ({_pct(share)} of it); after the deductible {_money(a['deductible'], 'en')}, "
            f"{_pct(a['ratio_policy'])} inside and {_pct(a['ratio_outside'])} outside (cap "
            f"{_limit(a['cap'], 'en')}); {who_en}",
        )
        keys = ("deductible", "ratio_policy", "ratio_out_of_catalogue", "listed_share", "cap", "uptake")
        paths = [f"supplement.{k}" for k in keys]
        self.add(call.seq, p, None, "supplement_paid", "supplement", base, amount, rule, paths)

    def assistance(self, p: int, cat: str, call: Call) -> None:
        a = call.args
        bases = [a["base0"], a["base1"], a["base2"]]
        base = sum(bases)
        if base <= 0:
            return
        amount = float(sum(call.result))
        cat_zh, cat_en = category_label(cat, "zh"), category_label(cat, "en")
        # the same rule; the paying fund follows the kept category (毕节 二(四)3: 计生两户's aid from
        # 计划生育利益导向资金, as Result books it)
        own = cat in self.p.medical_assistance.family_planning_fund
        payer = "family_planning_paid" if own else "assistance_paid"
        if not a["reached"]:
            rule = _w("未参保，医疗救助不支付", "not insured: medical assistance pays nothing")
            self.add(call.seq, p, None, payer, "assistance", base, amount, rule,
                     ["medical_assistance.requires_enrolment"])  # fmt: skip
            return
        parts_zh, parts_en, paths = [], [], []
        keys = ("inpatient_ratio", "outpatient_ratio", "chronic_ratio")
        for s, (b, key) in enumerate(zip(bases, keys)):
            if b <= 0:
                continue
            r = a[f"ratio{s}"]
            zh, en = SETTING_WORDS[SETTINGS[s]]
            parts_zh.append(f"{zh}自付 {_money(b, 'zh')} × {_pct(r)}")
            parts_en.append(f"{en} {_money(b, 'en')} × {_pct(r)}")
            ma = self.p.medical_assistance
            path_key = key if (key != "chronic_ratio" or cat in ma.chronic_ratio) else "outpatient_ratio"
            paths.append(f"medical_assistance.{path_key}.{cat}")
        words_zh = [f"{cat_zh}：" + "，".join(parts_zh)]
        words_en = [f"{cat_en}: " + ", ".join(parts_en)]
        if a["deductible"] > 0:
            words_zh.append(f"年度起付线 {_money(a['deductible'], 'zh')}")
            words_en.append(f"annual deductible {_money(a['deductible'], 'en')}")
            paths.append(f"medical_assistance.deductible.{cat}")
        if np.isfinite(a["outpatient_limit"]):
            words_zh.append(f"门诊年度限额 {_money(a['outpatient_limit'], 'zh')}")
            words_en.append(f"outpatient annual limit {_money(a['outpatient_limit'], 'en')}")
            paths.append(f"medical_assistance.outpatient_annual_limit.{cat}")
        if np.isfinite(a["annual_limit"]):
            words_zh.append(f"年度救助限额 {_money(a['annual_limit'], 'zh')}")
            words_en.append(f"annual limit {_money(a['annual_limit'], 'en')}")
            paths.append(f"medical_assistance.annual_limit.{cat}")
        if own:
            words_zh.append("由计划生育利益导向资金支付")
            words_en.append("paid by the family-planning fund")
            paths.append("medical_assistance.family_planning_fund")
        rule = _w("；".join(words_zh), "; ".join(words_en))
        self.add(call.seq, p, None, payer, "assistance", base, amount, rule, paths)

    # -------------------------------------------------------------- subsidies and the cap
    def cap(self, p: int) -> None:
        calls = self.of("_cap_chunk", p=p)
        for call in calls:
            if call.rule != "subsidy_payment":
                continue
            (r,) = self.need(call, "r")
            a = call.args
            if not a["reached"] or a["still_borne"] <= 0:
                continue
            rule_def = self.p.other_subsidies[r]
            rule = _w(
                f"{rule_def.label}：剩余合理费用 {_money(a['still_borne'], 'zh')} × {_pct(a['ratio'])}"
                f"（年度限额 {_limit(a['annual_limit'], 'zh')}）",
                f"{rule_def.label_en or rule_def.label}: {_money(a['still_borne'], 'en')} left × "
                f"{_pct(a['ratio'])} (annual limit {_limit(a['annual_limit'], 'en')})",
            )
            paths = [f"other_subsidies.{r}.ratio", f"other_subsidies.{r}.annual_limit"]
            self.add(
                call.seq, p, None, "other_paid", f"other:{r}", a["still_borne"], call.result, rule, paths
            )
        counted = [c for c in calls if c.rule == "negative_list_off"]
        own = counted[-1].result if counted else 0.0
        keep = counted[-1].args["keep"] if counted else 1.0
        for call in calls:
            a = call.args
            if call.rule == "person_cap_payment":
                line = a["line"]
                if a["counted"] <= 0:
                    continue
                cat = self.cap_category(line, personal=True)
                rule = _w(
                    f"个人封顶线 {_money(line, 'zh')}（{category_label(cat, 'zh')}）：本人合理自付 "
                    f"{_money(a['counted'], 'zh')}（扣除负面清单 {_pct(1 - keep)}），"
                    f"超过部分按 {_pct(a['share'])} 兜底",
                    f"personal cap {_money(line, 'en')} ({category_label(cat, 'en')}): reasonable cost borne "
                    f"{_money(a['counted'], 'en')} (less the negative list {_pct(1 - keep)}), "
                    f"{_pct(a['share'])} of the part above paid",
                )
                paths = [f"family_cap.cap.{cat}", "family_cap.share", "family_cap.negative_list_share",
                         "family_cap.personal"]  # fmt: skip
                self.add(call.seq, p, None, "cap_paid", "cap", a["counted"], call.result, rule, paths)
            elif call.rule == "member_part":
                hh = [c for c in calls if c.rule == "household_cap_payment" and c.seq < call.seq]
                h = hh[-1].args if hh else {"counted": a["household_counted"], "cap": np.nan, "share": 1.0}
                cat = self.cap_category(h["cap"], personal=False)
                if a["household_paid"] <= 0:
                    rule = _w(
                        f"家庭封顶线 {_money(h['cap'], 'zh')}（{category_label(cat, 'zh')}家庭）："
                        f"家庭合理自付 {_money(h['counted'], 'zh')}（扣除负面清单 {_pct(1 - keep)}）"
                        "未超过封顶线，不兜底",
                        f"household cap {_money(h['cap'], 'en')} ({category_label(cat, 'en')} household): "
                        f"the household's reasonable cost {_money(h['counted'], 'en')} "
                        f"(less the negative list {_pct(1 - keep)}) is not above it: nothing paid",
                    )
                    paths = [f"family_cap.cap.{cat}", "family_cap.negative_list_share"]
                    self.add(call.seq, p, None, "cap_paid", "cap", own, call.result, rule, paths)
                    continue
                rule = _w(
                    f"家庭封顶线 {_money(h['cap'], 'zh')}（{category_label(cat, 'zh')}家庭）："
                    f"家庭合理自付 {_money(h['counted'], 'zh')}（扣除负面清单 {_pct(1 - keep)}），"
                    f"超过部分按 {_pct(h['share'])} 兜底 {_money(a['household_paid'], 'zh')}；"
                    f"本人计入 {_money(a['own_counted'], 'zh')}，按比例分摊",
                    f"household cap {_money(h['cap'], 'en')} ({category_label(cat, 'en')} household): the "
                    f"household's reasonable cost {_money(h['counted'], 'en')} (less the negative list "
                    f"{_pct(1 - keep)}), {_pct(h['share'])} of the part above paid, "
                    f"{_money(a['household_paid'], 'en')}; this member counted "
                    f"{_money(a['own_counted'], 'en')} and takes that share of it",
                )
                paths = [f"family_cap.cap.{cat}", "family_cap.share", "family_cap.negative_list_share"]
                self.add(call.seq, p, None, "cap_paid", "cap", own, call.result, rule, paths)

    def generic(self, payer: str, p: int) -> None:
        """A payer of the person's year with no words of its own: its amount is the engine's
        (YearArrays.payers), its words the terms its tier's rules read (each argument named as a
        lever of the tier: its label and value) and its clause theirs. The rules are those of
        `simulation.rules.<tier>` the loops called for the person (or for the household: a call
        without a person index), in the last pass over them (政策找人 runs the household part again)."""
        tier = PAYER_TIER[payer]
        amount = float(self.y.payers[payer][p])
        calls = [c for c in self.calls if c.module == RULES_PACKAGE + tier and c.at.get("p", p) == p]
        if calls:
            last = max(c.entry for c in calls)
            calls = [c for c in calls if c.entry == last]
        if not calls and amount == 0.0:
            return
        terms_zh, terms_en, paths = [], [], []
        for c in calls:
            for name, value in c.args.items():
                path = f"{tier}.{name}"
                if path in paths:
                    continue
                try:
                    lever = self.scn.lever(path)
                except WorkbenchError:
                    continue
                paths.append(path)
                terms_zh.append(f"{lever.label} {lever.format(value, 'zh')}")
                terms_en.append(f"{lever.label_en} {lever.format(value, 'en')}")
        label = OUTPUTS[payer]
        rule = _w(
            f"{label.label}（{'，'.join(terms_zh)}）：本人 {_money(amount, 'zh')}",
            f"{label.label_en} ({', '.join(terms_en)}): {_money(amount, 'en')} for this member",
        )
        # the base: the first argument of the tier's first rule call (its base, by the rules' habit)
        base = next((v for v in calls[0].args.values() if isinstance(v, float)), 0.0) if calls else 0.0
        seq = calls[-1].seq if calls else len(self.calls)
        self.add(seq, p, None, payer, tier, base, amount, rule, paths)

    def cap_category(self, line: float, personal: bool) -> str:
        fc = self.p.family_cap
        for cat, v in fc.cap.items():
            if v == line and (cat in fc.personal) == personal:
                return cat
        return "none"


def _bands_of(sc) -> list[tuple[float, float, float]]:
    """The paying bands of a schedule as the loop walks them: (lower, upper, ratio), ratio > 0."""
    out, lo = [], sc.threshold
    for hi, r in zip(sc.uppers, sc.ratios):
        if r > 0:
            out.append((lo, hi, r))
        lo = hi
    return out


def _band_numbers(sc, chosen: list[Call]) -> list[int]:
    uppers = list(sc.uppers)
    return [uppers.index(b.args["upper"]) for b in chosen if b.args["upper"] in uppers]


# ---------------------------------------------------------------------------- flags
@dataclass(frozen=True)
class Flag:
    """A household flag: whether it fired, and the numbers that decide it."""

    key: str  # warning, expenditure_poor, expenditure_poor_type1, catastrophic, newly_identified
    fired: bool
    label: str
    label_en: str
    why: str
    why_en: str
    clause: str = ""
    clause_en: str = ""

    def label_in(self, lang: str) -> str:
        return self.label if lang == "zh" else self.label_en

    def why_in(self, lang: str) -> str:
        return self.why if lang == "zh" else self.why_en

    def clause_in(self, lang: str) -> str:
        return self.clause if lang == "zh" else self.clause_en


FLAG_LABELS = {
    "warning": ("因病致贫预警", "early warning"),
    "expenditure_poor": ("支出型贫困（第二类）", "expenditure-poor (type 2)"),
    "expenditure_poor_type1": ("支出型贫困（第一类）", "expenditure-poor (type 1)"),
    "catastrophic": ("灾难性卫生支出", "catastrophic health expenditure"),
    "newly_identified": ("政策找人（新识别）", "found by the policy (政策找人)"),
}


def _flags(scn: Scenario, params: ScenarioModel, reader: _Reader, hh: pd.Series, persons: pd.DataFrame,
           ids: np.ndarray) -> list[Flag]:  # fmt: skip
    fl = params.flags
    out = []
    income, oop, size = float(hh["income"]), float(hh["oop"]), int(hh["size"])

    def flag(key, fired, why: Words, paths):
        zh, en = FLAG_LABELS[key]
        c_zh, c_en = _clause(scn, paths)
        out.append(Flag(key, bool(fired), zh, en, why.zh, why.en, c_zh, c_en))

    # early warning: the persons whose OOP before the cap crossed a line, each rule as it fired
    parts_zh, parts_en, paths, seen = [], [], [], set()
    for c in reader.calls:
        if c.where != "_warnings_range" or c.rule != "warned" or not c.result:
            continue
        p, r = reader.need(c, "p", "r")
        if (p, r) in seen:  # (the test on the OOP after the cap, where it equals the one before)
            continue
        if not np.isclose(c.args["oop"], float(persons["oop_before_cap"].iloc[p]), rtol=0, atol=1e-9):
            continue  # the test on the OOP after subsidies and the cap
        seen.add((p, r))
        rule = fl.warning[r]
        op_zh = "≥" if c.args["inclusive"] else ">"
        parts_zh.append(f"成员 {ids[p]} 自付 {_money(c.args['oop'], 'zh')} {op_zh} {rule.label} "
                        f"{_money(c.args['threshold'], 'zh')}")  # fmt: skip
        parts_en.append(f"member {ids[p]} paid {_money(c.args['oop'], 'en')} {op_zh} the line "
                        f"{_money(c.args['threshold'], 'en')} ({rule.label_en or rule.label})")  # fmt: skip
        paths.append(f"flags.warning.{r}.threshold")
    if bool(hh["warning"]):
        cleared = bool(hh.get("warning_cleared", False))
        tail = _w("；经部门减负和封顶后已降至预警线以下" if cleared else "",
                  "; below every line after the subsidies and the cap" if cleared else "")  # fmt: skip
        why = _w("；".join(parts_zh) + tail.zh, "; ".join(parts_en) + tail.en)
    else:
        lines_zh = "、".join(f"{w.label} {_money(w.threshold, 'zh')}" for w in fl.warning) or "无预警线"
        lines_en = ", ".join(f"{_money(w.threshold, 'en')} ({w.label_en or w.label})" for w in fl.warning)
        why = _w(f"成员自付均未超过预警线（{lines_zh}）",
                 f"no member's out-of-pocket crossed a line ({lines_en or 'none set'})")  # fmt: skip
        paths = [f"flags.warning.{i}.threshold" for i in range(len(fl.warning))]
    flag("warning", hh["warning"], why, paths)

    share = fl.expenditure_poor_share
    limit = fl.expenditure_poor_income_limit_per_capita
    lim_zh = (
        ""
        if limit is None
        else f"，人均收入 {_money(income / max(size, 1), 'zh')}（上限 {_money(limit, 'zh')}）"
    )
    lim_en = (
        ""
        if limit is None
        else f"; income per head {_money(income / max(size, 1), 'en')} (limit {_money(limit, 'en')})"
    )
    op = "≥" if hh["expenditure_poor"] else "<"
    # 第二类 counts the OOP at 本市定点 only: the household test's own argument, as the pass ran it
    counted = next(
        (float(c.args["counted"]) for c in reader.calls
         if c.where == "_household_counts" and c.rule == "expenditure_poor"),
        oop,
    )  # fmt: skip
    local = not np.isclose(counted, oop, rtol=0, atol=0.005)
    where_zh = f"（其中本市定点 {_money(counted, 'zh')}）" if local else ""
    where_en = f" (at the city's designated providers {_money(counted, 'en')})" if local else ""
    flag(
        "expenditure_poor",
        hh["expenditure_poor"],
        _w(
            f"家庭自付 {_money(oop, 'zh')}{where_zh} {op} 家庭年收入 {_money(income, 'zh')} 的 {_pct(share)}"
            f"（{_money(share * income, 'zh')}）{lim_zh}",
            f"household out-of-pocket {_money(oop, 'en')}{where_en} {op} {_pct(share)} of household income "
            f"{_money(income, 'en')} ({_money(share * income, 'en')}){lim_en}",
        ),
        ["flags.expenditure_poor_share", "flags.expenditure_poor_income_limit_per_capita"],
    )
    before = income / max(size, 1) / 12.0
    after = (income - oop) / max(size, 1) / 12.0
    flag(
        "expenditure_poor_type1",
        hh["expenditure_poor_type1"],
        _w(
            f"月人均收入自付前 {_money(before, 'zh')}、自付后 {_money(after, 'zh')}，低保标准 "
            f"{_money(fl.dibao_monthly, 'zh')}/月（自付使其由线上降至线下方认定）",
            f"monthly income per head {_money(before, 'en')} before and {_money(after, 'en')} after the "
            f"out-of-pocket, against the dibao standard {_money(fl.dibao_monthly, 'en')} a month (fires when "
            "the cost takes it from above the line to below it)",
        ),
        ["flags.dibao_monthly"],
    )
    ratio = float(hh["oop_share"])
    op = ">" if hh["catastrophic"] else "≤"
    flag(
        "catastrophic",
        hh["catastrophic"],
        _w(
            f"家庭自付占收入 {_pct(ratio) if np.isfinite(ratio) else '∞'} {op} "
            f"{_pct(fl.catastrophic_threshold)}",
            f"out-of-pocket share of income {_pct(ratio) if np.isfinite(ratio) else '∞'} {op} "
            f"{_pct(fl.catastrophic_threshold)}",
        ),
        ["flags.catastrophic_threshold"],
    )
    if fl.policy_finds_people and "expenditure_poor" in params.categories:
        found = [c for c in reader.calls if c.where == "_found_range" and c.rule == "expenditure_poor"]
        f = found[0].args if found else {"income": income, "oop": oop}
        fired = bool(hh["newly_identified"])
        if fired:
            why = _w(
                f"家庭原无救助类别，经各项结算后自付 {_money(f['oop'], 'zh')}、"
                f"收入 {_money(f['income'], 'zh')}，"
                "符合支出型贫困认定：按支出型贫困待遇重新结算",
                f"no member held an assistance category; after every tier the household paid "
                f"{_money(f['oop'], 'en')} on an income of {_money(f['income'], 'en')}, which meets the "
                "expenditure-poor test: settled again on the expenditure-poor terms",
            )
        else:
            why = _w(
                "家庭已有救助类别，或未达到支出型贫困认定条件",
                "a member already holds an assistance category, or the expenditure-poor test is not met",
            )
        flag("newly_identified", fired, why, ["flags.policy_finds_people", "flags.expenditure_poor_share"])
    return out


# ---------------------------------------------------------------------------- the explanation
STEP_COLUMNS = ("step", "person_id", "claim", "payer", "tier", "tier_en", "clause", "clause_en", "base",
                "rule", "rule_en", "amount", "remaining", "key")  # fmt: skip
MEMBER_COLUMNS = ("total_cost", "policy_cost", *PAID_COLUMNS, "oop", "premium_subsidy")


@dataclass
class Explanation:
    """One family's year, step by step (see the module doc and docs/CONTRACT-explain.md)."""

    scenario: Scenario
    year: int
    household_id: Any
    persons: pd.DataFrame  # the members (validated input columns), in input order
    claims: pd.DataFrame  # the claims, in input order, numbered `claim` 1..m
    steps: pd.DataFrame  # STEP_COLUMNS, in settlement order
    members: pd.DataFrame  # per member: MEMBER_COLUMNS, category, category_applied, income
    family: dict  # totals of MEMBER_COLUMNS, income, oop_share, size, category
    flags: list[Flag]
    baseline: Explanation | None = None
    difference: pd.DataFrame | None = None  # per step key: amount, baseline_amount, difference

    def step_totals(self) -> pd.DataFrame:
        """Per member x payer, the sum of the steps' amounts (members in order, every payer and oop)."""
        ids = self.members.index
        out = pd.DataFrame(0.0, index=ids, columns=[*PAID_COLUMNS, "oop"])
        if len(self.steps):
            g = self.steps.groupby(["person_id", "payer"])["amount"].sum()
            for (pid, payer), v in g.items():
                out.loc[pid, payer] = v
        return out

    def fired(self) -> list[Flag]:
        return [f for f in self.flags if f.fired]

    def __repr__(self) -> str:
        return (
            f"Explanation({self.scenario.id}, {self.year}: household {self.household_id}, "
            f"{len(self.members)} members, {len(self.claims)} claims, {len(self.steps)} steps, "
            f"OOP {self.family['oop']:,.2f} of {self.family['total_cost']:,.2f} yuan)"
        )


def _scenario(x) -> Scenario:
    if isinstance(x, Scenario):
        return x
    if isinstance(x, (str, Path)):
        return load_scenario(x)
    raise ExplainError(f"explain: expected a Scenario or a preset name, got {type(x).__name__}")


def _check_levels(pop: Population, params: ScenarioModel) -> None:
    """A claim at a hospital level the scenario does not define is refused before the run, naming the
    claim (the engine would refuse it too, without the row)."""
    levels = list(params.hospital_levels)
    names = pop.claims["hospital_level"].astype(str).to_numpy()
    bad = np.flatnonzero(~np.isin(names, levels))
    if len(bad) == 0:
        return
    expected = f"a hospital level of scenario {params.id} ({', '.join(levels)})"
    got = repr(str(names[bad[0]]))
    err = PopulationError(
        f"{pop.source} claims: row {bad[0] + 1}, column 'hospital_level': expected {expected} (got {got})"
    )
    err.detail = {
        "source": f"{pop.source} claims",
        "rows": [int(r) + 1 for r in bad[:5]],
        "more": max(len(bad) - 5, 0),
        "column": "hospital_level",
        "expected": expected,
        "expected_zh": f"情景 {params.id} 定义的医院等级（{'、'.join(levels)}）",
        "got": got,
    }
    raise err


def _explain_population(
    scn: Scenario, params: ScenarioModel, year: int, pop: Population, household_id
) -> Explanation:
    _check_levels(pop, params)
    y, calls = traced_year(pop, params)
    res = Result(y, scn, year)
    persons = res.persons
    hh = res.households.iloc[0]
    ids = persons.index.to_numpy()
    reader = _Reader(scn, params, pop, y, calls)
    steps = reader.read()
    # the person's OOP closes its steps: what is left after every payer (the engine's own figure)
    last_seq = max((s.seq for s in steps), default=0) + 1
    for p in range(len(ids)):
        total = float(persons["total_cost"].iloc[p])
        if total <= 0:
            continue
        paid = total - float(persons["oop"].iloc[p])
        outside = total - float(persons["policy_cost"].iloc[p]) - float(persons["hospital_paid"].iloc[p])
        rule = _w(
            f"总费用 {_money(total, 'zh')}（其中目录外 {_money(max(outside, 0.0), 'zh')}）减各方支付 "
            f"{_money(paid, 'zh')}",
            f"total cost {_money(total, 'en')} ({_money(max(outside, 0.0), 'en')} outside the catalogue) "
            f"less {_money(paid, 'en')} paid",
        )
        steps.append(
            _Step(last_seq + p, p, None, "oop", "oop", total, float(persons["oop"].iloc[p]), rule, ())
        )
    rows = []
    remaining = float(persons["total_cost"].sum())
    for i, s in enumerate(sorted(steps, key=lambda s: s.seq)):
        if s.payer != "oop":
            remaining -= s.amount
        tz, te = _tier_names(s.payer)
        cz, ce = _clause(scn, s.paths)
        if not cz and s.payer in PAYER_TIER:  # a rule of the tier itself: the clause putting it in force
            cz, ce = _clause(scn, [f"{PAYER_TIER[s.payer]}.enabled"])
        rows.append(
            {
                "step": i + 1,
                "person_id": ids[s.p],
                "claim": s.claim,
                "payer": s.payer,
                "tier": tz,
                "tier_en": te,
                "clause": cz,
                "clause_en": ce,
                "base": s.base,
                "rule": s.rule.zh,
                "rule_en": s.rule.en,
                "amount": s.amount,
                "remaining": max(remaining, 0.0) if abs(remaining) < 1e-6 else remaining,
                "key": s.key,
            }
        )
    table = pd.DataFrame(rows, columns=list(STEP_COLUMNS))
    table["claim"] = table["claim"].astype("Int64")
    members = persons[[*MEMBER_COLUMNS, "category", "category_applied", "income", "age", "scheme"]].copy()
    members["category"] = [_mask_name(int(m)) for m in pop.arrays.cat_mask]
    family = {k: float(members[k].sum()) for k in MEMBER_COLUMNS}
    family.update(
        income=float(hh["income"]),
        oop_share=float(hh["oop_share"]),
        size=int(hh["size"]),
        category=str(res.household_category[0]),
    )
    claims = pop.claims.copy()
    claims.insert(0, "claim", np.arange(1, len(claims) + 1))
    for name in ("claim_total", "claim_policy"):  # the year's own costs (a projected year's grown ones)
        col = "total_cost" if name == "claim_total" else "policy_cost"
        v = np.empty(len(claims))
        v[pop.arrays.claim_order] = getattr(pop.arrays, name)
        claims[col] = v
    return Explanation(
        scenario=scn,
        year=year,
        household_id=household_id,
        persons=pop.persons.copy(),
        claims=claims,
        steps=table,
        members=members,
        family=family,
        flags=_flags(scn, params, reader, hh, persons, ids),
    )


def _mask_name(mask: int) -> str:
    return "|".join(c for c in CATEGORY_CODES if c != "none" and mask & CAT_BIT_OF[c]) or "none"


def _difference(ex: Explanation, base: Explanation) -> pd.DataFrame:
    keys = ["person_id", "key"]
    a = ex.steps[[*keys, "claim", "payer", "tier", "tier_en", "amount"]]
    b = base.steps[[*keys, "claim", "payer", "tier", "tier_en", "amount"]].rename(
        columns={"amount": "baseline_amount"}
    )
    d = a.merge(b, on=keys, how="outer", suffixes=("", "_b"), sort=False)
    for col in ("claim", "payer", "tier", "tier_en"):
        d[col] = d[col].where(d[col].notna(), d[f"{col}_b"])
    d = d.drop(columns=[f"{c}_b" for c in ("claim", "payer", "tier", "tier_en")])
    d["amount"] = d["amount"].fillna(0.0)
    d["baseline_amount"] = d["baseline_amount"].fillna(0.0)
    d["difference"] = d["amount"] - d["baseline_amount"]
    return d[
        ["person_id", "claim", "payer", "tier", "tier_en", "key", "amount", "baseline_amount", "difference"]
    ]


def _with_baseline(ex: Explanation, baseline: Explanation | None) -> Explanation:
    if baseline is not None:
        ex.baseline = baseline
        ex.difference = _difference(ex, baseline)
    return ex


def explain(scenario, persons, claims=None, baseline=None, *, year: int | None = None) -> Explanation:
    """Explain one family (persons and claims as tables, lists of rows or dicts of columns, the
    columns of `Population`) under `scenario` (a Scenario or a preset name), and under `baseline`
    too when given, with the difference per step. Raises PopulationError for a family
    `load_population` would refuse, ExplainError for more than one household."""
    scn = _scenario(scenario)
    pop = family_population(persons, claims)
    hid = pop.arrays.household_ids[0]
    params = scn.params if year is None else scn.for_year(year)
    ex = _explain_population(scn, params, year or params.year, pop, hid)
    base = None
    if baseline is not None:
        bscn = _scenario(baseline)
        bparams = bscn.params if year is None else bscn.for_year(year)
        base = _explain_population(bscn, bparams, year or bparams.year, pop, hid)
    return _with_baseline(ex, base)


def explain_result(res: Result, household_id, baseline=None) -> Explanation:
    """`Result.explain`: a household of a run, on the run's own year and population arrays."""
    pop = household_population(res._y.population, household_id)
    ex = _explain_population(res.scenario, res._y.scenario, res.year, pop, household_id)
    base = None
    if baseline is not None:
        bscn = _scenario(baseline)
        base = _explain_population(bscn, bscn.for_year(res.year), res.year, pop, household_id)
    return _with_baseline(ex, base)


# ---------------------------------------------------------------------------- typical families
FAMILIES_DIR = SCENARIO_DIR / "families"
_FAMILY_KEYS = {"id", "name", "name_en", "description", "description_en", "source", "assumption", "persons",
                "claims"}  # fmt: skip


@dataclass(frozen=True)
class Family:
    """A family to explain: members and claims, with what it shows and where that comes from."""

    id: str
    name: str
    name_en: str
    description: str
    description_en: str
    citation: dict  # {"source": ...} or {"assumption": ...}
    persons: pd.DataFrame
    claims: pd.DataFrame

    def name_in(self, lang: str) -> str:
        return self.name if lang == "zh" else (self.name_en or self.name)

    def description_in(self, lang: str) -> str:
        return self.description if lang == "zh" else (self.description_en or self.description)


def family_from_dict(d: Mapping, where: str = "family") -> Family:
    """A Family from its YAML mapping (`persons:` and `claims:` lists of rows; `id`, `name`,
    `description`, and `source:` or `assumption:`). The tables are validated as load_population's."""
    if not isinstance(d, Mapping):
        raise PopulationError(f"{where}: expected a mapping with persons: and claims:")
    unknown = sorted(set(d) - _FAMILY_KEYS)
    if unknown:
        raise PopulationError(
            f"{where}: unknown key {unknown[0]!r} (a family has {', '.join(sorted(_FAMILY_KEYS))})"
        )
    if "persons" not in d:
        raise PopulationError(f"{where}: missing persons: (a list of the members)")
    persons, claims = _table(d["persons"], "persons"), _table(d.get("claims") or [], "claims")
    family_population(persons, claims, source=where)  # refused here if load_population would refuse it
    cite = {k: str(d[k]) for k in ("source", "assumption") if k in d}
    fid = str(d.get("id", "family"))
    return Family(
        id=fid,
        name=str(d.get("name", fid)),
        name_en=str(d.get("name_en", "")),
        description=str(d.get("description", "")),
        description_en=str(d.get("description_en", "")),
        citation=cite,
        persons=persons,
        claims=claims,
    )


def _read_yaml(path: Path, where: str):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PopulationError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PopulationError(f"{where}: cannot read the file ({e})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise PopulationError(f"{where}: not valid YAML ({str(e).splitlines()[0]})") from None


def load_family(path: str | Path) -> Family:
    """One family from a YAML file (the keys of `family_from_dict`)."""
    return family_from_dict(_read_yaml(Path(path), str(path)), str(path))


def families_from_yaml(text: str, where: str = "families") -> list[Family]:
    """Families from YAML text: a mapping with `families:` (a list), or one family."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise PopulationError(f"{where}: not valid YAML ({str(e).splitlines()[0]})") from None
    if isinstance(data, Mapping) and "families" in data:
        items = data["families"]
        if not isinstance(items, list) or not items:
            raise PopulationError(f"{where}: families: expected a list of families")
        out = [family_from_dict(f, f"{where}: families.{i}") for i, f in enumerate(items)]
        ids = [f.id for f in out]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise PopulationError(f"{where}: family id {sorted(dup)[0]!r} appears twice")
        return out
    return [family_from_dict(data, where)]


def typical_families(scenario) -> list[Family]:
    """The preset's typical families (典型家庭), `scenarios/families/<preset>.yaml`; [] for a
    scenario without such a file."""
    preset = scenario.preset if isinstance(scenario, Scenario) else str(scenario)
    path = FAMILIES_DIR / f"{preset}.yaml"
    if not path.is_file():
        return []
    return families_from_yaml(path.read_text(encoding="utf-8"), str(path.relative_to(SCENARIO_DIR.parent)))


def explain_family(scenario, family: Family, baseline=None) -> Explanation:
    return explain(scenario, family.persons, family.claims, baseline=baseline)


__all__ = [
    "Call",
    "ExplainError",
    "Explanation",
    "Family",
    "Flag",
    "explain",
    "explain_family",
    "explain_result",
    "families_from_yaml",
    "family_from_dict",
    "family_population",
    "household_population",
    "load_family",
    "traced_year",
    "typical_families",
]
