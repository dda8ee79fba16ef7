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
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import kernels
from .errors import ScenarioError, WorkbenchError
from .funds import FUNDS, fund_flows
from .parameters import CAT_BIT_OF, Category, ScenarioModel
from .population.model import Population
from .registry import FUND_LABELS, code_label, fmt_count, fmt_money, unit_label
from .scenario import Scenario

Rate = Annotated[float, Field(ge=-0.5, le=1.0, allow_inf_nan=False)]
Prob = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]

# Where each default comes from (calibration = /shared/calibration/china_medical_security.yaml).
DEFAULT_SOURCES: dict[str, str] = {
    "horizon_years": "assumption: a 5-year budget horizon (the 共富 plans run 2021-2025)",
    "medical_cost_growth": (
        "calibration D: fund spending per insured 2023→2024 = (29,764.03/132,662.08)/(28,208.38/133,389)"
        " − 1 ≈ 6.1%; range 3-11% spans 2024 and the post-COVID 2023 rebound (+15.7%)"
    ),
    "income_growth": "calibration V/D: national per-capita disposable income 39,218→41,314 (2023→2024) +5.3%",
    "enrolment_growth": (
        "calibration D: employees 37,095→37,948.34 万 (+2.3%), residents 96,294→94,713.74 万 (−1.6%), "
        "2023→2024"
    ),
    "old_age_weight_growth": (
        "calibration D: employee retirees 9,636→10,457.5 万 (+4.2%/yr) vs in-service 26,607→27,491.84 万 "
        "(+1.6%/yr), 2022→2024: relative growth ≈ 2.5%/yr"
    ),
    "employee_contribution_growth": "assumption: employee contributions follow wages (= income growth 5%)",
    "resident_individual_growth": (
        "calibration V/R: national minimum individual contribution 350→380→400 (2022-2024) ≈ +6.9%/yr; "
        "2025 unchanged at 400 (V): 5% assumed"
    ),
    "resident_subsidy_growth": "calibration V: minimum fiscal subsidy 670 (2024) → 700 (2025) +4.5%",
    "assistance_fiscal_growth": "assumption: assistance budgets follow fiscal revenue (≈ income growth 5%)",
    "charity_donations_growth": "assumption: donations flat in nominal terms",
    "charity_fiscal_growth": "assumption: fiscal top-up flat in nominal terms",
    "critical_premium_growth": "assumption: the 大病保险 premium is fixed per year by policy (朔州 100 元)",
    "index_thresholds_to_income": (
        "临安 封顶制方案 三(一): warning lines are last year's per-capita disposable income, so they move "
        "with income; dibao standards are indexed too (assumption)"
    ),
    "long_term_care_indexing": (
        "assumption: long-term-care financing per head, care prices and benefit limits follow "
        "per-capita income (care is labour; contributions are set against income, 嘉兴 二(一)2)"
    ),
    "behaviour.elasticity": (
        "RAND Health Insurance Experiment: price elasticity of medical spending about −0.2 "
        "(Manning et al. 1987, American Economic Review 77(3): 251-277; Aron-Dine, Einav & Finkelstein "
        "2013, J. Econ. Perspectives 27(1): 197-222)"
    ),
    "behaviour.entry": "assumption: yearly entry rates of bottom-quintile households (order of magnitude)",
    "behaviour.exit": "assumption: yearly exit rates (dibao households leave at about 10%/yr), unverified",
}

GROWTH_KEYS = (
    "medical_cost_growth",
    "income_growth",
    "old_age_weight_growth",
    "employee_contribution_growth",
    "resident_individual_growth",
    "resident_subsidy_growth",
    "assistance_fiscal_growth",
    "charity_donations_growth",
    "charity_fiscal_growth",
    "critical_premium_growth",
)
# financing parameter -> the growth rate it follows
FINANCING_GROWTH = {
    "financing.employee_per_capita": "employee_contribution_growth",
    "financing.resident_individual": "resident_individual_growth",
    "financing.resident_subsidy": "resident_subsidy_growth",
    "financing.assistance_fiscal_per_capita": "assistance_fiscal_growth",
    "financing.charity_donations_per_capita": "charity_donations_growth",
    "financing.charity_fiscal_per_capita": "charity_fiscal_growth",
    "critical_illness.premium_per_capita": "critical_premium_growth",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Behaviour(_Model):
    """Behavioural responses, both off by default (the presets' baseline is static)."""

    utilisation_response: bool = False
    elasticity: float = Field(-0.2, ge=-2.0, le=0.0, allow_inf_nan=False)
    min_price: float = Field(0.05, gt=0.0, le=1.0)  # floor of the OOP price, so a free good stays finite
    max_change: float = Field(1.0, gt=0.0, le=10.0)  # spending multiplier kept in [1/(1+x), 1+x]
    poverty_transitions: bool = False
    entry: dict[Category, Prob] = {"tekun": 0.001, "dibao": 0.005, "dibian": 0.01}
    exit: dict[Category, Prob] = {"tekun": 0.02, "dibao": 0.10, "dibian": 0.15}
    entry_income_quantile: Prob = 0.2  # households below this per-capita income quantile may enter


class ProjectionConfig(_Model):
    """The scenario's `projection:` section (defaults and their sources in DEFAULT_SOURCES)."""

    horizon_years: int = Field(5, ge=1, le=50)
    medical_cost_growth: Rate = 0.061
    income_growth: Rate = 0.053
    enrolment_growth: dict[str, Rate] = {"employee": 0.023, "resident": -0.016}
    old_age: int = Field(60, ge=0, le=120)
    old_age_weight_growth: Rate = 0.025
    employee_contribution_growth: Rate = 0.05
    resident_individual_growth: Rate = 0.05
    resident_subsidy_growth: Rate = 0.045
    assistance_fiscal_growth: Rate = 0.05
    charity_donations_growth: Rate = 0.0
    charity_fiscal_growth: Rate = 0.0
    critical_premium_growth: Rate = 0.0
    index_thresholds_to_income: bool = True
    behaviour: Behaviour = Behaviour()
    # Monte Carlo ranges [low, high] of growth assumptions (uniform draws), see uncertainty.py
    ranges: dict[str, list[float]] = {
        "medical_cost_growth": [0.03, 0.11],
        "income_growth": [0.03, 0.07],
        "old_age_weight_growth": [0.01, 0.04],
        "resident_subsidy_growth": [0.02, 0.06],
    }

    def model_post_init(self, _ctx: Any) -> None:
        for k in self.enrolment_growth:
            if k not in ("employee", "resident"):
                raise ValueError(f"enrolment_growth.{k}: expected employee or resident")
        for k, v in self.ranges.items():
            if k not in GROWTH_KEYS and not k.startswith("enrolment_growth."):
                raise ValueError(f"ranges.{k}: not a growth assumption ({', '.join(GROWTH_KEYS)})")
            if len(v) != 2 or v[0] > v[1]:
                raise ValueError(f"ranges.{k}: expected [low, high]")


def projection_config(p: ScenarioModel | Scenario, where: str = "projection") -> ProjectionConfig:
    """Validate a scenario's `projection:` section (ScenarioError naming the bad key)."""
    model = p.params if isinstance(p, Scenario) else p
    try:
        return ProjectionConfig.model_validate(model.projection or {})
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the projection schema; check the spelling)"
        raise ScenarioError(f"{where}.{loc}: {msg}" if loc else f"{where}: {msg}") from None


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


# ---------------------------------------------------------------------------- populations on arrays


def derived_population(base: Population, **arrays: np.ndarray) -> Population:
    """A Population sharing the base tables with some encoded arrays replaced (no re-validation,
    no re-sorting). Its persons/claims DataFrames stay the base year's; every rule reads arrays."""
    pop = Population.trusted(base.persons, base.claims, source=base.source)
    # the same persons table: what is computed from it (district codes) is computed once, on the base
    pop.__dict__["_same_persons_as"] = base.__dict__.get("_same_persons_as", base)
    for v in arrays.values():
        v.flags.writeable = False
    derived = dataclasses.replace(base.arrays, **arrays)
    # orders computed from unchanged arrays carry over (cached properties are not fields)
    keep = {"household_starts": ("household",), "claim_offsets": ("claim_person",),
            "claim_ps_order": ("claim_person", "claim_setting"),
            "claim_ps_inverse": ("claim_person", "claim_setting")}  # fmt: skip
    for name, inputs in keep.items():
        if any(k in arrays for k in inputs):
            continue
        if name in ("household_starts", "claim_offsets"):  # every compiled run reads them: kept on the base
            getattr(base.arrays, name)  # (else each derived population, one a run, sorts them anew)
        if name in base.arrays.__dict__:
            derived.__dict__[name] = base.arrays.__dict__[name]
    pop.__dict__["arrays"] = derived
    return pop


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
        from .targets import derived_indicators

        df = pd.DataFrame([dict(r.summary) for r in self.results], index=pd.Index(self.years, name="year"))
        return df.join(derived_indicators(self.funds, df))

    @cached_property
    def targets(self) -> pd.DataFrame:
        from .targets import targets_table

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
    from .engine import run_year

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
    from .engine import run_year
    from .result import Result

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
            res = Result(run_year(pop_t, params), scenario, year)
        beh = cfg.behaviour
        if beh.utilisation_response:
            if price_ref is None:
                if reference is not None:
                    ref_p = reference.for_year(y0) if reference.series else reference.params
                    price_ref = _price(Result(run_year(pop, ref_p), reference, y0))
                else:
                    price_ref = _price(res)
            mult = ((_price(res) + beh.min_price) / (price_ref + beh.min_price)) ** beh.elasticity
            mult = np.clip(mult, 1.0 / (1.0 + beh.max_change), 1.0 + beh.max_change)
            if not np.allclose(mult, 1.0):
                derive = (*derive[:-1], mult)
                pop_t = derived_population(pop, **_year_arrays(base, *derive))
                res = Result(run_year(pop_t, params), scenario, year)
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


# ---------------------------------------------------------------------------- fund table

FUND_COLUMNS = [
    "year",
    "fund",
    "opening",
    "income",
    "expenditure",
    "balance",
    "months_payable",
    "fiscal_income",
    "deposit_withheld",
    "deposit_released",
]


def fund_table(results: list, years: list[int]) -> pd.DataFrame:
    """Chain the one-year fund flows of consecutive Results into accounts with carried balances."""
    chain = FundChain()
    for res, year in zip(results, years):
        chain.add(res, year)
    return chain.table()


class FundChain:
    """The fund accounts built a year at a time (`add` each year's Result in order; `table`):
    a projection adds each year as it is simulated, before releasing its arrays."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.balance: dict[str, float] = {}
        self.prev_deposit: tuple | None = None

    def add(self, res, year: int) -> None:
        t = 0 if not self.rows else 1
        balance = self.balance
        p = res._y.scenario
        s = res.summary
        flows = {k: list(v) for k, v in fund_flows(res).items()}
        ci = p.critical_illness
        deposit = s["quality_deposit"]
        if self.prev_deposit is None:  # steady state: last year's deposit is released this year
            self.prev_deposit = (deposit, ci.deposit_released)
        d_prev, released = self.prev_deposit
        # critical illness: the insurer's margin is paid out except the deposit withheld this year;
        # last year's deposit goes to the insurer (assessment passed) or back to the resident pool
        flows["critical_illness"][1] += s["insurer_margin"] - deposit + d_prev
        if not released:
            flows["resident_pool"][0] += d_prev
        self.prev_deposit = (deposit, ci.deposit_released)
        fin = p.financing
        res_enrolled = res.fund_cells["weight_resident_enrolled"]
        fiscal = {
            "employee_pool": 0.0,
            "resident_pool": fin.resident_subsidy * res_enrolled,
            "critical_illness": 0.0,
            "assistance": flows["assistance"][0],
            "charity": fin.charity_fiscal_per_capita * s["persons"],
            "long_term_care": s["ltc_fiscal"],
        }
        months = fin.opening_reserve_months
        for fund in FUNDS:
            income, expenditure = flows[fund]
            if t == 0:
                opening = d_prev if fund == "critical_illness" else months.get(fund, 0.0) * expenditure / 12.0
            else:
                opening = balance[fund]
            bal = opening + income - expenditure
            balance[fund] = bal
            spend = s["insurer_claims"] if fund == "critical_illness" else expenditure
            self.rows.append(
                {
                    "year": year,
                    "fund": fund,
                    "opening": opening,
                    "income": income,
                    "expenditure": expenditure,
                    "balance": bal,
                    "months_payable": 12.0 * bal / spend if spend > 0 else np.inf,
                    "fiscal_income": fiscal[fund],
                    "deposit_withheld": deposit if fund == "critical_illness" else 0.0,
                    "deposit_released": (d_prev if released else 0.0) if fund == "critical_illness" else 0.0,
                }
            )

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=FUND_COLUMNS)


# ---------------------------------------------------------------------------- command line


def format_funds(funds: pd.DataFrame, lang: str = "zh") -> str:
    df = funds.copy()
    df["fund"] = df["fund"].map(lambda f: code_label(FUND_LABELS, f, lang))
    for c in ("opening", "income", "expenditure", "balance"):
        df[c] = df[c].map(lambda v: fmt_money(v, lang, "wan", digits=1, unit=False))
    df["months_payable"] = df["months_payable"].map(lambda v: fmt_count(v, digits=1))
    unit = unit_label("money", lang, "wan")
    cols = ["year", "fund", "opening", "income", "expenditure", "balance", "months_payable"]
    return f"({unit})\n" + df[cols].to_string(index=False)


def _add_args(p) -> None:
    from .cli import _add_population_args

    _add_population_args(p)
    p.add_argument("--years", type=int, default=None, help="projection years (default: the scenario's)")


def _run(args) -> int:
    from .cli import population_from_args
    from .scenario import load_scenario
    from .targets import format_targets

    scn = load_scenario(args.scenario)
    if args.years is not None and not 1 <= args.years <= 50:
        raise WorkbenchError(f"--years: expected 1-50, got {args.years}")
    pop = population_from_args(args, scn)
    proj = project(pop, scn, years=args.years, seed=args.seed)
    print(f"{scn.params.title} — {pop} — {proj.years[0]}-{proj.years[-1]}")
    print(format_funds(proj.funds, args.lang))
    print()
    print(format_targets(proj.targets, args.lang))
    return 0


def _register() -> None:
    from .cli import register

    register("project", "project the funds over years and check the policy targets", _add_args, _run)


_register()
