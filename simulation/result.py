"""`Result`: per-person and per-household tables, the weighted summary and the fund accounts.

Tables are built on first access; the summary is computed from arrays at once, so a slider move
that only needs the KPIs does not pay for building million-row DataFrames.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from . import kernels
from .engine import CATEGORY_PRIORITY, YearArrays
from .errors import WorkbenchError
from .funds import fund_cells
from .parameters import CAT_BIT_OF, CATEGORY_CODES, SETTINGS, ScenarioModel, category_bits
from .protection import CURVE_THRESHOLDS, Protection, protection, protection_figures, protection_parts
from .registry import PAID_COLUMNS, PERSON_SUMS, coverage  # payers in settlement order, summed columns
from .rules.critical_illness import settle_insurer
from .rules.long_term_care import LTC_PART_KEYS, LtcArrays, ltc_figures
from .rules.medical_assistance import paid_by_family_planning_fund
from .rules.premium_sharing import premium_by_level
from .scenario import Scenario


def rowsum(m: np.ndarray) -> np.ndarray:
    """Sum over the 3 settings of an (n, 3) array; numpy's axis=1 reduction over 3 is slow."""
    return m[:, 0] + m[:, 1] + m[:, 2]


class Summary(dict):
    """The named figures of a run (a dict; `res.summary["coverage_rate_poor"]`)."""

    def __repr__(self) -> str:
        return "Summary(" + ", ".join(f"{k}={v:,.4g}" for k, v in self.items()) + ")"


class Result:
    def __init__(
        self,
        y: YearArrays,
        scenario: Scenario,
        year: int,
        *,
        funds_from: Callable[[Result], pd.DataFrame] | None = None,
        explain_from: Callable[..., Any] | None = None,
    ):
        self._arrays: YearArrays | None = y
        self._rebuild: Callable[[], YearArrays] | None = None  # runs a released year again
        self._population = y.population
        self._funds_from = funds_from  # the fund projection (`funds`), given by simulate / project
        self._explain_from = explain_from  # explain.explain_result, given by simulate / project
        self.scenario = scenario
        self.year = year
        self.summary: Summary = self._summary()

    @property
    def _y(self) -> YearArrays:
        """The year's arrays; rebuilt by running the year again if released (`_release`)."""
        y = self._arrays
        if y is None:
            y = self._arrays = self._rebuild()
        return y

    def _release(self, rebuild: Callable[[], YearArrays]) -> None:
        """Drop the year's arrays and the tables built on them (the summary stays); `rebuild()`
        runs the year again on next use. run_year is deterministic (block sums in a fixed order),
        so the rebuilt arrays are equal bit for bit: this is how a projection holds many years in
        the memory of one (projection.project)."""
        self._rebuild = rebuild
        self._arrays = None
        for name in _ARRAY_TABLES:
            self.__dict__.pop(name, None)

    @cached_property
    def funds(self) -> pd.DataFrame:
        """One row per (year, fund) over the scenario's projection horizon (computed on first use,
        so `simulate` stays fast): `projection.result_funds`, which `simulate` and `project` give
        the Results they build (the projection is a layer above this module)."""
        if self._funds_from is None:
            raise WorkbenchError(
                "Result.funds: this Result was built without a fund projection; "
                "use simulation.simulate or simulation.projection.project"
            )
        return self._funds_from(self)

    @cached_property
    def fund_cells(self) -> dict[str, float]:
        """Weight and basic payments by scheme x enrolment (`funds.fund_cells`)."""
        return fund_cells(self._y)

    @classmethod
    def from_year(
        cls,
        y: YearArrays,
        scenario: Scenario,
        year: int,
        *,
        funds_from: Callable[[Result], pd.DataFrame] | None = None,
        explain_from: Callable[..., Any] | None = None,
    ) -> Result:
        return cls(y, scenario, year, funds_from=funds_from, explain_from=explain_from)

    def explain(self, household_id, baseline=None):
        """One household of this run step by step (`simulation.explain.Explanation`): every rule
        applied to it, the payer of each amount and the clause it comes from; with `baseline` (a
        Scenario or a preset name), the same under it and the difference per step. The
        explanation (a layer above this module) is given by `simulate` and `project`."""
        if self._explain_from is None:
            raise WorkbenchError(
                "Result.explain: this Result was built without the explanation; "
                "use simulation.simulate or simulation.projection.project"
            )
        return self._explain_from(self, household_id, baseline)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"Result({self.scenario.id}, {self.year}: {len(self._population.persons):,} rows weighted to "
            f"{s['persons']:,.0f} persons, total cost "
            f"{s['total_cost'] / 1e8:,.2f} 亿元, coverage of the poor {s['coverage_rate_poor']:.1%})"
        )

    # ------------------------------------------------------------------ per person
    @cached_property
    def _family_planning(self) -> np.ndarray | None:
        """Per person, whether the family-planning fund pays their assistance (the kept category is
        one the scenario books there, 毕节 二(四)3); None when no category is."""
        y = self._y
        own = paid_by_family_planning_fund(y.scenario.medical_assistance, CATEGORY_CODES)
        return own[y.category] if own.any() else None

    def _split_assistance(self, asst: np.ndarray, person: np.ndarray | None = None) -> tuple:
        """(medical-assistance fund, family-planning fund) parts of assistance payments `asst`
        (per person, or per claim with `person` its person's row)."""
        fp = self._family_planning
        if fp is None:
            return asst, np.zeros_like(asst)
        own = fp if person is None else fp[person]
        if asst.ndim == 2:
            own = own[:, None]
        return np.where(own, 0.0, asst), np.where(own, asst, 0.0)

    @cached_property
    def _person_arrays(self) -> dict[str, np.ndarray]:
        y = self._y
        # one compiled pass (kernels.person_columns): the row sums and the OOP identity
        cols = kernels.person_columns(
            y.total3, y.policy3, y.basic3, y.critical3, y.assistance3, y.supplement3,
            y.supplement_outside, y.hospital3, y.mutual3, y.extra3, tuple(y.payers.values()),
        )  # fmt: skip
        assistance, family_planning = self._split_assistance(cols[5])
        return {
            "total_cost": cols[0],  # as billed; the hospital's part enters no tier
            "policy_cost": cols[1],
            "basic_paid": cols[2],
            "critical_paid": cols[3],
            "mutual_aid_paid": cols[4],
            "assistance_paid": assistance,
            "family_planning_paid": family_planning,
            "supplement_paid": cols[6],
            **y.payers,  # the payers of the person's year, in settlement order
            "hospital_paid": cols[7],
            "oop": cols[8],
            "premium_subsidy": y.premium_subsidy,
            "oop_before_cap": y.oop_before_cap,
            "unreferred_extra": cols[9],
        }

    @cached_property
    def persons(self) -> pd.DataFrame:
        a = self._y.population.arrays
        pp = self._y.population.persons
        df = pd.DataFrame(self._person_arrays)
        df.insert(0, "household_id", pp["household_id"].to_numpy())
        df["scheme"] = pp["scheme"].to_numpy()
        df["category"] = pp["category"].to_numpy()
        df["category_applied"] = np.asarray(CATEGORY_CODES, dtype=object)[self._y.category]
        df["age"] = a.age
        df["income"] = a.income
        df["weight"] = a.weight
        df["warning"] = self._y.warning_person
        ltc = self._y.ltc
        if ltc is not None:  # long-term care: its own fund, outside the medical identity (no _paid)
            for k in ("cost", "benefit", "oop", "individual", "subsidy"):
                df[f"ltc_{k}"] = getattr(ltc, k)
        df.index = pd.Index(pp["person_id"].to_numpy(), name="person_id")
        return df

    # ------------------------------------------------------------------ per household
    @cached_property
    def _pass(self) -> tuple:
        """The summary's weighted person sums and the household sums, from the year's own pass
        (kernels.year_pass), without building the person columns (those wait until a table asks)."""
        return tuple(self._y.summary_sums[:4])

    @cached_property
    def _household_arrays(self) -> dict[str, np.ndarray]:
        _, size, sums, counts = self._pass
        return household_table(self._y, size, sums, counts)

    @cached_property
    def household_category(self) -> np.ndarray:
        """The household's most favourable category: lowest cap, then the priority order."""
        y = self._y
        a = y.population.arrays
        rank = np.full(a.n_households, len(CATEGORY_PRIORITY))
        for r, code in enumerate(CATEGORY_PRIORITY[:-1]):
            holds = (y.cat_mask & CAT_BIT_OF[code]) != 0
            has = np.bincount(a.household, weights=holds.astype(float), minlength=a.n_households) > 0
            rank = np.where(has, np.minimum(rank, r), rank)
        names = np.asarray(CATEGORY_PRIORITY + ("none",), dtype=object)
        cat = names[rank]
        fc = y.scenario.family_cap
        if fc.cap:  # the cap decides where the household has one: its cheapest category
            capped = np.isfinite(y.household_cap)
            by_cap = {v: k for k, v in sorted(fc.cap.items(), key=lambda kv: -kv[1])}
            cap_cat = np.array([by_cap.get(c, "none") for c in y.household_cap[capped]], dtype=object)
            cat[capped] = cap_cat
        return cat

    @cached_property
    def households(self) -> pd.DataFrame:
        a = self._y.population.arrays
        df = pd.DataFrame(self._household_arrays)
        df.insert(1, "category", self.household_category)
        df.index = pd.Index(a.household_ids, name="household_id")
        return df

    # ------------------------------------------------------------------ per claim (for reports)
    @cached_property
    def claims(self) -> pd.DataFrame:
        """Claims with each tier's share, person-level tiers split in proportion to each claim's
        base within its person x setting."""
        y = self._y
        a = y.population.arrays
        cp, s = a.claim_person, a.claim_setting.astype(np.int64)
        key = cp * 3 + s
        base3 = np.bincount(key, weights=y.claim_base, minlength=3 * a.n_persons).reshape(-1, 3)
        frac = np.divide(y.claim_base, base3[cp, s], out=np.zeros_like(y.claim_base), where=base3[cp, s] > 0)
        total = a.claim_total
        pol3 = y.policy3
        frac_pol = np.divide(a.claim_policy, pol3[cp, s], out=np.zeros_like(total), where=pol3[cp, s] > 0)
        out = y.total3 - y.policy3
        out_p = rowsum(out)
        frac_out = np.divide(total - a.claim_policy, out_p[cp], out=np.zeros_like(total), where=out_p[cp] > 0)
        df = self._y.population.claims.iloc[a.claim_order].reset_index(drop=True).copy()
        df["basic_paid"] = y.claim_basic
        df["critical_paid"] = y.critical3[cp, s] * frac
        df["mutual_aid_paid"] = y.mutual3[cp, s] * frac
        asst, family_planning = self._split_assistance(y.assistance3[cp, s] * frac, cp)
        df["assistance_paid"], df["family_planning_paid"] = asst, family_planning
        df["supplement_paid"] = y.supplement3[cp, s] * frac_pol + y.supplement_outside[cp] * frac_out
        person_cost = rowsum(y.total3)
        frac_cost = np.divide(total, person_cost[cp], out=np.zeros_like(total), where=person_cost[cp] > 0)
        for k, v in y.payers.items():  # the payers of the person's year, in proportion to cost
            df[k] = v[cp] * frac_cost
        df["hospital_paid"] = y.claim_hospital
        paid = df[list(PAID_COLUMNS)].sum(axis=1).to_numpy()
        df["oop"] = np.maximum(total - paid, 0.0)
        return df

    # ------------------------------------------------------------------ summary
    def by_setting(self) -> pd.DataFrame:
        """Weighted totals by setting and tier (yuan)."""
        y = self._y
        w = y.population.arrays.weight[:, None]
        assistance, family_planning = self._split_assistance(y.assistance3)
        rows = {
            "total_cost": ((y.total3 + y.hospital3) * w).sum(0),
            "policy_cost": (y.policy3 * w).sum(0),
            "basic_paid": (y.basic3 * w).sum(0),
            "critical_paid": (y.critical3 * w).sum(0),
            "assistance_paid": (assistance * w).sum(0),
            "family_planning_paid": (family_planning * w).sum(0),
            "supplement_paid": (y.supplement3 * w).sum(0),
        }
        return pd.DataFrame(rows, index=pd.Index(SETTINGS, name="setting"))

    def by_district(self) -> pd.DataFrame:
        """Per district (town/street): persons, cost, OOP, 个人负担率 and coverage of the poor."""
        codes, names = self._y.population.districts
        w = self._y.population.arrays.weight
        pa = self._person_arrays
        poor = (self._y.cat_mask != 0).astype(float)
        k = len(names)

        def tot(x):
            return np.bincount(codes, weights=w * x, minlength=k)

        cost, oop = tot(pa["total_cost"]), tot(pa["oop"])
        cost_p, oop_p = tot(pa["total_cost"] * poor), tot(pa["oop"] * poor)
        df = pd.DataFrame(
            {
                "persons": tot(np.ones(len(w))),
                "total_cost": cost,
                "oop": oop,
                "personal_burden_rate": np.divide(oop, cost, out=np.zeros(k), where=cost > 0),
                "coverage_rate_poor": coverage(oop_p, cost_p),
            },
            index=pd.Index(names, name="district"),
        )
        return df

    def _summary(self) -> Summary:
        return summary_from_parts(self.parts(), self._y.scenario)

    def parts(self) -> dict:
        """The additive parts of the summary, from the compiled person pass: what
        a partitioned run sums across partitions (`add_parts`) before `summary_from_parts`."""
        y = self._y
        sums = self._pass[0]
        parts = dict(zip(kernels.SUMMARY_SUMS, sums.tolist()))
        # the family-planning fund's share of the assistance sum (毕节 二(四)3): a booking, the rule
        # is assistance's; moved between the two payers, so the identity's sum is unchanged
        parts["family_planning_paid"] = 0.0
        fp = paid_by_family_planning_fund(y.scenario.medical_assistance, CATEGORY_CODES)
        if fp.any():
            # summed over the fund's persons only, in person order as the column's: the other
            # persons add exact zeros, so the sum is the column's, bit for bit
            own = kernels.wdot_rows_where(y.population.arrays.weight, y.assistance3, y.category, fp)
            parts["family_planning_paid"] = own
            parts["assistance_paid"] -= own
        # the households' weighted counts, summed in the year's own pass (no household table)
        parts.update(zip(kernels.HOUSEHOLD_SUMS, y.summary_sums[4].tolist()))
        # financial protection (SDG 3.8.2, capacity to pay, impoverishment): weighted persons of the
        # households, from the pass's household sums (no household table)
        _, size, hs, _ = self._pass
        parts.update(protection_parts(size, hs[0], hs[6], hs[1], y.scenario.flags.dibao_monthly))
        return _other_parts(y, parts)

    def protection(self, thresholds=CURVE_THRESHOLDS) -> Protection:
        """Financial protection as ADePT tabulates it: the catastrophic headcount (persons,
        households, capacity to pay) over `thresholds` (shares of income, default 5%-50%) with the
        concentration index of catastrophic spending over household per-capita income, and the
        summary's protection figures by income quintile (`simulation.protection.Protection`)."""
        _, size, hs, _ = self._pass
        # the income ranking depends on the households only: kept on the population, so the runs
        # of one population (a slider's redraws) sort it once
        memo = self._y.population.__dict__.setdefault("_protection_households", {})
        return protection(
            size, hs[0], hs[6], hs[1], self._y.scenario.flags.dibao_monthly, thresholds, memo=memo
        )

    # ------------------------------------------------------------------ arrays (no DataFrames)
    def person_arrays(self) -> dict[str, np.ndarray]:
        """The per-person figures as numpy arrays, in the row order of `persons` (the population's
        table order), without building a DataFrame: `person_id`, `household` (position of the
        person's household in `household_arrays()`), `weight`, `cat_mask` (bit mask of the person's
        categories, `parameters.CAT_BIT_OF`), `employee` (bool), `warning` (bool), and the money
        columns of `persons` (`total_cost, policy_cost`, every `*_paid`, `oop`, `premium_subsidy`,
        `oop_before_cap`, `unreferred_extra`). A new dict of shared, read-only-by-convention arrays:
        do not modify them in place."""
        y = self._y
        a = y.population.arrays
        return {
            "person_id": y.population.persons["person_id"].to_numpy(),
            "household": a.household,
            "weight": a.weight,
            "cat_mask": a.cat_mask,
            "employee": a.employee,
            "warning": y.warning_person,
            **self._person_arrays,
        }

    def claim_arrays(self) -> dict[str, np.ndarray]:
        """The year's per-claim and per-person x setting arrays as the engine computed them, for
        figures of a single claim (simulation.settlements), without building a DataFrame. Claims
        are in the engine's order (by person, then month, then table row):

        - `claim_order` (the row of `population.claims` of each), `claim_person` (person row),
          `claim_setting` (0 inpatient, 1 outpatient, 2 chronic);
        - `claim_total`, `claim_policy` (as billed), `claim_total_used`, `claim_policy_used` (what
          the tiers saw, after any hospital's part);
        - `claim_basic` (basic insurance), `claim_base` (the policy-range cost the claim leaves for
          the later tiers' bases), `claim_hospital` (the hospital's part);
        - per person x setting, (persons, 3): `critical3`, `mutual3`, `assistance3`,
          `family_planning3`, `supplement3`;
        - per person: `supplement_outside` (the supplement on out-of-catalogue cost) and each payer
          of the person's year after tiers 2-4 (`registry.PERSON_PAYERS`: `other_paid`,
          `cap_paid`, ...).

        Shared arrays: do not modify them in place."""
        y = self._y
        a = y.population.arrays
        return {
            "claim_order": a.claim_order,
            "claim_person": a.claim_person,
            "claim_setting": a.claim_setting,
            "claim_total": a.claim_total,
            "claim_policy": a.claim_policy,
            "claim_total_used": a.claim_total if y.claim_total_used is None else y.claim_total_used,
            "claim_policy_used": a.claim_policy if y.claim_policy_used is None else y.claim_policy_used,
            "claim_basic": y.claim_basic,
            "claim_base": y.claim_base,
            "claim_hospital": y.claim_hospital,
            "critical3": y.critical3,
            "mutual3": y.mutual3,
            # the medical-assistance fund's part and the family-planning fund's (毕节 二(四)3)
            "assistance3": self._split_assistance(y.assistance3)[0],
            "family_planning3": self._split_assistance(y.assistance3)[1],
            "supplement3": y.supplement3,
            "supplement_outside": y.supplement_outside,
            **y.payers,
        }

    def household_arrays(self) -> dict[str, np.ndarray]:
        """The per-household figures as numpy arrays, in the row order of `households`, without
        building a DataFrame: `household_id` and the columns of `households` except `category`
        (`size, income, total_cost, oop, oop_share, expenditure_poor, catastrophic, warning,
        weight`, …); `household_category` gives the category when needed. A new dict of shared
        arrays: do not modify them in place."""
        return {"household_id": self._y.population.arrays.household_ids, **self._household_arrays}


# ---------------------------------------------------------------------------- summary from additive parts
# The summary is computed in two steps so a population split into partitions (households whole)
# reduces exactly: `Result.parts()` gives weighted sums and counts, which add across partitions
# (`add_parts`); `summary_from_parts` turns the totals into the figures, ratios and the nonlinear
# insurer settlement after summing. The in-memory summary is this same path over one part.


def household_table(y: YearArrays, size, sums, counts) -> dict[str, np.ndarray]:
    """The household columns from the per-household sums of the year's pass (`kernels.year_pass`):
    member count, the eight money sums (the last the OOP 第二类 counts) and the two warning counts."""
    income, weight_sum, total, oop_pre, other, cap, oop, counted = sums
    p = y.scenario
    fl = p.flags
    limit = fl.expenditure_poor_income_limit_per_capita
    share, t2, t1 = kernels.household_flags(
        size,
        income,
        oop,
        counted,  # 第二类's OOP: at 本市定点 only
        np.inf if limit is None else float(limit),
        fl.expenditure_poor_share,
        fl.dibao_monthly,
    )
    warned = counts[0] > 0
    return {
        "size": size,
        "income": income,
        "total_cost": total,
        "oop_before_cap": oop_pre,
        "other_paid": other,
        "cap_paid": cap,
        "oop": oop,
        "oop_share": share,
        "expenditure_poor": t2,
        "expenditure_poor_type1": t1,
        "catastrophic": share > p.flags.catastrophic_threshold,
        "warning": warned,
        # 高额医疗费用动态清零: warned on OOP before, below every line after subsidies and the cap
        "warning_cleared": warned & ~(counts[1] > 0),
        "newly_identified": y.newly_identified,
        "household_cap": y.household_cap,
        "weight": weight_sum / np.maximum(size, 1),
    }


def _other_parts(y: YearArrays, parts: dict) -> dict:
    """`parts` with the shared premium subsidy per district and long-term care added."""
    p = y.scenario
    a = y.population.arrays
    if p.premium_sharing is not None:
        ps = p.premium_sharing
        codes, names = y.population.districts
        bits = category_bits(ps.categories)
        per = kernels.district_sums(codes, len(names), y.premium_subsidy, a.weight, y.cat_mask, bits)
        parts["premium_shared_by_district"] = {str(n): float(v) for n, v in zip(names, per)}
    # long-term care insurance (嘉兴 二(二)6)
    parts.update(ltc_parts(y.ltc, a.weight))
    return parts


def ltc_parts(ltc: LtcArrays | None, weight: np.ndarray) -> dict[str, float]:
    """Long-term care's additive weighted totals (yuan, persons); zeros when the scenario has no such
    fund. `ltc_fiscal` is the government's whole outlay: its per-capita subsidy plus the individual
    contributions it pays for subsidised persons (`ltc_contribution_subsidy`)."""
    out = dict.fromkeys(LTC_PART_KEYS, 0.0)
    if ltc is None:
        return out
    sums = kernels.ltc_sums(
        weight, ltc.insured, ltc.employee, ltc.cost, ltc.benefit, ltc.oop, ltc.individual, ltc.pool_transfer,
        ltc.subsidy, ltc.fiscal,
    )  # fmt: skip
    keys = ("insured", "beneficiaries", "cost", "benefit", "oop", "individual", "pool_transfer",
            "pool_transfer_employee", "contribution_subsidy")  # fmt: skip
    out.update((f"ltc_{k}", float(v)) for k, v in zip(keys, sums[:9]))
    out["ltc_fiscal"] = float(sums[9]) + out["ltc_contribution_subsidy"]
    return out


def add_parts(a: dict, b: dict) -> dict:
    """The parts of two disjoint sets of households (sums add, per-district sums add by key)."""
    if a.keys() != b.keys():
        raise ValueError(f"add_parts: different keys ({sorted(a.keys() ^ b.keys())})")
    out: dict = {}
    for k, v in a.items():
        if isinstance(v, dict):
            d = dict(v)
            for name, x in b[k].items():
                d[name] = d.get(name, 0.0) + x
            out[k] = d
        else:
            out[k] = v + b[k]
    return out


def summary_from_parts(parts: dict, scenario: ScenarioModel | Scenario) -> Summary:
    """The summary from (summed) parts; `scenario` is the year's parameters (or a Scenario, whose
    own year is used). Ratios and the insurer settlement are computed here, after summing."""
    p = scenario.params if isinstance(scenario, Scenario) else scenario
    t = parts
    s = Summary()
    s["persons"] = t["persons"]
    s["households"] = t["households"]
    for k in PERSON_SUMS:
        s[k] = t[k]
    cost_poor = t["total_cost_poor"]
    s["coverage_rate_poor"] = 1.0 - t["oop_poor"] / cost_poor if cost_poor > 0 else 1.0
    s["personal_burden_rate"] = s["oop"] / s["total_cost"] if s["total_cost"] > 0 else 0.0
    for scheme in ("employee", "resident"):
        pol = t[f"inpatient_policy_cost_{scheme}"]
        paid = t[f"inpatient_basic_critical_{scheme}"]
        s[f"policy_reimbursement_rate_{scheme}"] = paid / pol if pol > 0 else 0.0
    ci = p.critical_illness
    premium = ci.premium_per_capita * t["critical_insured_persons"] if ci.enabled else 0.0
    settlement = settle_insurer(premium, s["critical_paid"], ci)
    s["insurer_premium"] = settlement.premium
    s["insurer_claims"] = settlement.claims
    s["insurer_margin"] = settlement.margin
    s["insurer_margin_rate"] = settlement.margin_rate
    s["insurer_surplus_returned"] = settlement.surplus_returned
    s["insurer_loss_compensation"] = settlement.loss_compensation
    s["quality_deposit"] = settlement.quality_deposit
    hh_total = t["households"]
    s["catastrophic_rate"] = t["catastrophic_households"] / hh_total if hh_total else 0.0
    s["catastrophic_rate_25"] = t["catastrophic_households_25"] / hh_total if hh_total else 0.0
    s["mutual_aid_subsidy"] = t["mutual_aid_subsidy"]
    if p.premium_sharing is not None:
        # the per-district sums as one row each (weight 1, in a shared category): the rule itself
        # splits them by county class, so the in-memory and partitioned paths share it
        per = t.get("premium_shared_by_district", {})
        names = np.asarray(list(per), dtype=str)
        values = np.fromiter(per.values(), dtype=float, count=len(per))
        bits = category_bits(p.premium_sharing.categories)
        s.update(
            premium_by_level(
                p.premium_sharing, values, np.ones(len(values)), np.full(len(values), bits), names
            )
        )
    s["warnings"] = t["warnings"]
    s["warning_cleared_rate"] = t["warnings_cleared"] / s["warnings"] if s["warnings"] else 1.0
    s["expenditure_poor_households"] = t["expenditure_poor_households"]
    s["newly_identified_households"] = t["newly_identified_households"]
    s["poor_persons"] = t["poor_persons"]
    s["unreferred_extra"] = t["unreferred_extra"]
    s["enrolled_rate"] = t["enrolled_persons"] / s["persons"] if s["persons"] else 0.0
    s.update(ltc_figures(t))
    s["supplement_fiscal_enrollees"] = t["supplement_fiscal_enrollees"]
    s["supplement_fiscal_premium"] = p.supplement.premium * t["supplement_fiscal_enrollees"]
    s.update(protection_figures(t))
    return s


# the cached tables built on a year's arrays, dropped with them by Result._release (not the small
# `funds` and `fund_cells`)
_ARRAY_TABLES = tuple(
    k for k, v in vars(Result).items() if isinstance(v, cached_property) and k not in ("funds", "fund_cells")
)
