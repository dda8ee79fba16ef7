"""Multi-year fund projection: the scenario's `projection:` section and `project()`.

Each year reuses the vectorised one-year calculator (`engine.run_year`) on the base population's
arrays, re-priced, re-weighted and (optionally) with poverty status moved on; the population is
never regenerated and no loop runs over persons or claims (loops are over years only).

Ageing is *static* (reweighting, the usual method of static microsimulation): persons keep their
ages and claims, and the weights of persons at or above `old_age` grow by `old_age_weight_growth`
relative to the younger ones, then each scheme's weights are scaled to its enrolment growth.
Per-capita financing grows at its own rate unless the scenario gives that parameter a per-year
series (`{2025: 670, 2026: 700}`), which then wins. Every rate may itself be a per-year series.

Fund accounts per year (`Projection.funds`, one row per (year, fund)):

* employee_pool / resident_pool: contributions + subsidies − basic payments − the critical-illness
  premium transferred (+ surplus returned and forfeited quality deposits − policy-loss
  compensation, resident side);
* critical_illness: premium + loss compensation in; claims + surplus returned + the insurer's margin
  out, except the 10% quality deposit, withheld each year and released to the insurer after the
  next year's assessment (or forfeited to the resident pool); its balance is the deposit held;
* assistance: fiscal income − assistance − premium subsidies (balance vs Jiaxing's ≤ 15%);
* charity (暖心基金): donations + fiscal − household-cap payments (fiscal share ≤ 1/3, Lin'an);
* long_term_care (长期护理保险, Jiaxing): individual + pool transfer + fiscal − care benefits; its
  per-capita financing, care prices and benefit limits follow income growth (care is labour).

`balance = opening + income − expenditure` for every row; `months_payable` is the balance in months
of the year's spending (累计结存可支付月数). Year 0 opens with `financing.opening_reserve_months`.
"""

from __future__ import annotations

import dataclasses
import functools
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from . import kernels

# names that moved down (the `projection:` schema to assumptions.py, the fund accounts over years to
# funds.py) stay importable from here: `as` marks the re-exports
from .assumptions import DEFAULT_SOURCES as DEFAULT_SOURCES
from .assumptions import FINANCING_GROWTH, GROWTH_KEYS, Behaviour, ProjectionConfig, projection_config
from .engine import run_year
from .errors import WorkbenchError
from .explain import explain_result
from .funds import FUND_COLUMNS as FUND_COLUMNS
from .funds import FundChain
from .funds import fund_table as fund_table
from .parameters import CAT_BIT_OF, ScenarioModel
from .population.derive import derived_population
from .population.model import Population
from .registry import FUND_LABELS, code_label, fmt_count, fmt_money, unit_label
from .result import Result
from .scenario import Scenario
from .targets import derived_indicators, targets_table


def _with_overrides(cfg: ProjectionConfig, overrides: dict[str, float] | None) -> ProjectionConfig:
    if not overrides:
        return cfg
    upd: dict[str, Any] = {}
    enrol = dict(cfg.enrolment_growth)
    for k, v in overrides.items():
        if k.startswith("enrolment_growth."):
            enrol[k.split(".", 1)[1]] = float(v)
        elif k in ProjectionConfig.model_fields:
            upd[k] = v
        else:
            raise WorkbenchError(f"projection override {k!r}: not a projection assumption")
    upd["enrolment_growth"] = enrol
    return ProjectionConfig.model_validate({**cfg.model_dump(), **upd})


# ---------------------------------------------------------------------------- poverty transitions


def _household_mask(household: np.ndarray, cat_mask: np.ndarray, n_households: int) -> np.ndarray:
    out = np.zeros(n_households, dtype=np.int64)
    np.bitwise_or.at(out, household, cat_mask)
    return out


def poverty_step(
    cat_mask: np.ndarray,
    household: np.ndarray,
    n_households: int,
    per_capita_income: np.ndarray,
    beh: Behaviour,
    categories: list[str],
    rng: np.random.Generator,
) -> np.ndarray:
    """One year of entry to and exit from 特困/低保/低边, by household (vectorised).

    A household holding a category leaves it with the exit rate; a household holding none, with
    per-capita income below the `entry_income_quantile`, enters one with the entry rates.
    """
    hh = _household_mask(household, cat_mask, n_households)
    u_exit = rng.random(n_households)
    u_entry = rng.random(n_households)
    remove = np.zeros(n_households, dtype=np.int64)
    for code, rate in beh.exit.items():
        bit = CAT_BIT_OF[code]
        remove |= np.where(((hh & bit) != 0) & (u_exit < rate), bit, 0)
    add = np.zeros(n_households, dtype=np.int64)
    if n_households:
        line = np.quantile(per_capita_income, beh.entry_income_quantile)
        eligible = (hh == 0) & (per_capita_income <= line)
        lo = 0.0
        for code, rate in beh.entry.items():
            if code not in categories or code == "none":
                continue
            hit = eligible & (u_entry >= lo) & (u_entry < lo + rate)
            add |= np.where(hit, CAT_BIT_OF[code], 0)
            lo += rate
    return (cat_mask & ~remove[household]) | add[household]


# ---------------------------------------------------------------------------- year parameters


def _scaled_params(
    p_t: ScenarioModel, base: ScenarioModel, scenario: Scenario, factors: dict[str, float], income_f: float
) -> ScenarioModel:
    """The year's parameters with financing grown and income-linked thresholds indexed, except
    where the scenario gives the parameter its own per-year series."""
    fin = {}
    premium = None
    for path, key in FINANCING_GROWTH.items():
        if path in scenario.series:
            continue
        section, name = path.split(".")
        v = getattr(getattr(base, section), name) * factors[key]
        if section == "financing":
            fin[name] = v
        else:
            premium = v
    upd: dict[str, Any] = {"financing": p_t.financing.model_copy(update=fin)}
    if premium is not None:
        upd["critical_illness"] = p_t.critical_illness.model_copy(update={"premium_per_capita": premium})
    cfg = projection_config(p_t)
    if cfg.index_thresholds_to_income and income_f != 1.0:
        fl = p_t.flags
        fupd: dict[str, Any] = {}
        if "flags.dibao_monthly" not in scenario.series:
            fupd["dibao_monthly"] = base.flags.dibao_monthly * income_f
        lim = base.flags.expenditure_poor_income_limit_per_capita
        if lim is not None and "flags.expenditure_poor_income_limit_per_capita" not in scenario.series:
            fupd["expenditure_poor_income_limit_per_capita"] = lim * income_f
        if len(fl.warning) == len(base.flags.warning):
            fupd["warning"] = [
                w.model_copy(update={"threshold": bw.threshold * income_f})
                if w.assistance_objects is False
                else w
                for w, bw in zip(fl.warning, base.flags.warning)
            ]
        upd["flags"] = fl.model_copy(update=fupd)
    if (
        p_t.long_term_care.enabled
        and income_f != 1.0
        and not any(k.startswith("long_term_care.") for k in scenario.series)
    ):
        upd["long_term_care"] = _indexed_ltc(base.long_term_care, income_f)
    return p_t.model_copy(update=upd)


def _indexed_ltc(ltc, f: float):
    """Long-term care with per-capita financing, care prices and benefit limits times `f`
    (DEFAULT_SOURCES["long_term_care_indexing"])."""
    fin = {
        k: v.model_copy(update={n: getattr(v, n) * f for n in type(v).model_fields})
        for k, v in ltc.financing.items()
    }
    settings = {
        k: v.model_copy(
            update={
                "care_cost": {lv: c * f for lv, c in v.care_cost.items()},
                "monthly_limit": {lv: c * f for lv, c in v.monthly_limit.items()},
            }
        )
        for k, v in ltc.settings.items()
    }
    return ltc.model_copy(update={"financing": fin, "settings": settings})


# ---------------------------------------------------------------------------- the projection


@dataclasses.dataclass
class Projection:
    """A multi-year run: per-year Results, the fund table and the targets table."""

    scenario: Scenario
    years: list[int]
    results: list  # Result per year
    funds: pd.DataFrame
    config: ProjectionConfig
    assumptions: dict[str, float]

    @cached_property
    def summaries(self) -> pd.DataFrame:
        """One row per year: the Result summary plus the fund-derived indicators."""
        df = pd.DataFrame([dict(r.summary) for r in self.results], index=pd.Index(self.years, name="year"))
        return df.join(derived_indicators(self.funds, df))

    @cached_property
    def targets(self) -> pd.DataFrame:
        return targets_table(self)

    def result(self, year: int):
        return self.results[self.years.index(year)]

    def __repr__(self) -> str:
        return f"Projection({self.scenario.id}, {self.years[0]}-{self.years[-1]})"


def _year_arrays(base, old, scheme_w0, factors, enrol_f, cat_mask, mult) -> dict[str, np.ndarray]:
    """A projected year's person and claim arrays that differ from the base year's: weights grown
    (the old relative to the rest, then each scheme to its enrolment), income and claim costs
    scaled, the year's categories, the behavioural claim multipliers per person (`mult`, or None)."""
    targets = [scheme_w0[k] * enrol_f[k] for k in ("employee", "resident")]
    w = kernels.grown_weights(base.weight, old, base.employee, factors["old_age_weight_growth"], *targets)
    arrays = {"weight": w, "income": base.income * factors["income_growth"], "cat_mask": cat_mask}
    cost_f = factors["medical_cost_growth"]
    if mult is not None:
        m_claim = mult[base.claim_person]
        arrays["claim_total"] = base.claim_total * cost_f * m_claim
        arrays["claim_policy"] = base.claim_policy * cost_f * m_claim
    elif cost_f != 1.0:
        arrays["claim_total"] = base.claim_total * cost_f
        arrays["claim_policy"] = base.claim_policy * cost_f
    return arrays


def _rerun(params, pop: Population, *derive):
    """A released year run again (`Result._release`): its population derived anew from the base
    year's by `_year_arrays(*derive)` (the base itself without `derive`), then the same run."""
    return run_year(derived_population(pop, **_year_arrays(pop.arrays, *derive)) if derive else pop, params)


def _price(res) -> np.ndarray:
    pa = res._person_arrays
    return np.divide(pa["oop"], pa["total_cost"], out=np.ones_like(pa["oop"]), where=pa["total_cost"] > 0)


def project(
    pop: Population,
    scenario: Scenario,
    years: int | None = None,
    *,
    start_year: int | None = None,
    seed: int = 0,
    overrides: dict[str, float] | None = None,
    reference: Scenario | None = None,
    first_result=None,
) -> Projection:
    """Project the scenario's funds over `years` (default: its `projection.horizon_years`).

    `overrides` replaces growth assumptions (e.g. {"medical_cost_growth": 0.08}, used by the
    Monte Carlo); `reference` is the status-quo scenario whose out-of-pocket prices the behavioural
    utilisation response is measured against (default: this scenario's own first year);
    `first_result` reuses an already simulated first year (as `Result.funds` does).
    """
    if not isinstance(pop, Population):
        raise TypeError(f"project: expected a Population, got {type(pop).__name__}")
    if not isinstance(scenario, Scenario):
        raise TypeError(f"project: expected a Scenario, got {type(scenario).__name__}")
    y0 = scenario.year if start_year is None else int(start_year)
    p0 = scenario.params if (start_year is None and not scenario.series) else scenario.for_year(y0)
    cfg0 = _with_overrides(projection_config(p0), overrides)
    n_years = cfg0.horizon_years if years is None else int(years)
    if not 1 <= n_years <= 50:
        raise WorkbenchError(f"years: expected 1-50 projection years, got {n_years}")

    base = pop.arrays
    w0 = base.weight
    employee = base.employee
    old = base.age >= cfg0.old_age
    scheme_w0 = dict(zip(("employee", "resident"), kernels.scheme_totals(w0, employee)))
    hh_size = np.bincount(base.household, minlength=base.n_households)
    cat_mask = base.cat_mask
    rng = np.random.default_rng(seed)

    factors = dict.fromkeys(GROWTH_KEYS, 1.0)
    enrol_f = {"employee": 1.0, "resident": 1.0}
    price_ref: np.ndarray | None = None
    results = []
    funds = FundChain()
    year_list = list(range(y0, y0 + n_years))
    for t, year in enumerate(year_list):
        p_t = p0 if t == 0 else scenario.for_year(year)
        cfg = cfg0 if t == 0 else _with_overrides(projection_config(p_t), overrides)
        if t > 0:
            for k in GROWTH_KEYS:
                factors[k] *= 1.0 + getattr(cfg, k)
            for k in enrol_f:
                enrol_f[k] *= 1.0 + cfg.enrolment_growth.get(k, 0.0)
        income_f = factors["income_growth"]
        params = p_t if t == 0 else _scaled_params(p_t, p0, scenario, factors, income_f)

        if t > 0 and cfg.behaviour.poverty_transitions:
            income = base.income * income_f
            pc = np.bincount(base.household, weights=income, minlength=base.n_households) / np.maximum(
                hh_size, 1
            )
            cat_mask = poverty_step(
                cat_mask, base.household, base.n_households, pc, cfg.behaviour, p_t.categories, rng
            )
        # what a released year is rebuilt from: scalars and the arrays it shares, none of its own
        derive = (old, scheme_w0, dict(factors), dict(enrol_f), cat_mask, None)
        pop_t = derived_population(pop, **_year_arrays(base, *derive)) if t > 0 else pop
        if t == 0 and first_result is not None:
            res = first_result
        else:
            res = Result(
                run_year(pop_t, params), scenario, year, funds_from=result_funds, explain_from=explain_result
            )
        beh = cfg.behaviour
        if beh.utilisation_response:
            if price_ref is None:
                if reference is not None:
                    ref_p = reference.for_year(y0) if reference.series else reference.params
                    price_ref = _price(
                        Result(
                            run_year(pop, ref_p),
                            reference,
                            y0,
                            funds_from=result_funds,
                            explain_from=explain_result,
                        )
                    )
                else:
                    price_ref = _price(res)
            mult = ((_price(res) + beh.min_price) / (price_ref + beh.min_price)) ** beh.elasticity
            mult = np.clip(mult, 1.0 / (1.0 + beh.max_change), 1.0 + beh.max_change)
            if not np.allclose(mult, 1.0):
                derive = (*derive[:-1], mult)
                pop_t = derived_population(pop, **_year_arrays(base, *derive))
                res = Result(
                    run_year(pop_t, params),
                    scenario,
                    year,
                    funds_from=result_funds,
                    explain_from=explain_result,
                )
        funds.add(res, year)
        if res is not first_result:
            # each year keeps its summary and fund rows; its arrays are rebuilt if asked for, so
            # the years do not pile up (at 1e6 persons ~0.3 GiB each: ten years filled 3.9 GiB)
            res._release(functools.partial(_rerun, params, pop, *(derive if pop_t is not pop else ())))
        results.append(res)

    assumptions = {k: getattr(cfg0, k) for k in GROWTH_KEYS}
    assumptions.update({f"enrolment_growth.{k}": v for k, v in cfg0.enrolment_growth.items()})
    return Projection(
        scenario=scenario,
        years=year_list,
        results=results,
        funds=funds.table(),
        config=cfg0,
        assumptions=assumptions,
    )


def result_funds(res: Result) -> pd.DataFrame:
    """`Result.funds`: the fund accounts over the scenario's horizon from the result's own year on,
    the result itself being the first year (given to every Result by `simulate` and `project`)."""
    return project(res._population, res.scenario, start_year=res.year, first_result=res).funds


# ---------------------------------------------------------------------------- printing


def format_funds(funds: pd.DataFrame, lang: str = "zh") -> str:
    df = funds.copy()
    df["fund"] = df["fund"].map(lambda f: code_label(FUND_LABELS, f, lang))
    for c in ("opening", "income", "expenditure", "balance"):
        df[c] = df[c].map(lambda v: fmt_money(v, lang, "wan", digits=1, unit=False))
    df["months_payable"] = df["months_payable"].map(lambda v: fmt_count(v, digits=1))
    unit = unit_label("money", lang, "wan")
    cols = ["year", "fund", "opening", "income", "expenditure", "balance", "months_payable"]
    heads = (
        ["年度", "基金", "期初结存", "基金收入", "基金支出", "期末结存", "可支付月数"]
        if lang == "zh"
        else ["Year", "Fund", "Opening", "Income", "Expenditure", "Balance", "Months payable"]
    )
    return f"({unit})\n" + df[cols].set_axis(heads, axis=1).to_string(index=False)
