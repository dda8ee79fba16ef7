"""`run_year`: the tiers in settlement order over one year, from the scenario's parameters as the
loops' tables (simulation.kernels runs the rules of simulation.rules over claims, persons and
households; `simulation.api.simulate` makes a Result of it).

basic insurance (per claim) → critical illness → [mutual aid] → [supplement] → medical assistance
→ [supplement] → departments' subsidies → household cap → 政策找人 → warnings → premium subsidy. A
person holding several categories is paid under the one that pays them most in total (就高不重复):
tiers 2-4 are evaluated once per category the person holds, and the best is kept.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from . import kernels
from .parameters import CAT_BIT_OF, SCHEMES, ScenarioModel, category_bits
from .population.model import Population
from .records import (
    AidInputs,
    CapInputs,
    ClaimInputs,
    FoundInputs,
    HouseholdInputs,
    PremiumInputs,
    SumInputs,
    TierInputs,
    WarningInputs,
    fill,
)
from .rules.basic_insurance import map_levels
from .rules.enrolment import with_enrolment
from .rules.hospital_liability import disease_quota, out_of_catalogue_bits, quota_category_bits
from .rules.long_term_care import LtcArrays, monthly_tables, scheme_rates
from .rules.medical_assistance import out_of_city_lowest
from .rules.mutual_aid import members as mutual_aid_members
from .rules.supplement import fiscal_terms

# Household category when several members differ and no cap decides: most protected first
CATEGORY_PRIORITY = (
    "tekun",
    "orphan",
    "dibao",
    "special_relief",
    "poverty_registered",
    "dibian",
    "expenditure_poor",
    "family_planning",
    "none",
)


def _take_up(p: ScenarioModel, a) -> np.ndarray:
    """The supplement's expected take-up per person (rules.supplement.take_up)."""
    f = fiscal_terms(p)  # the fiscal enrolment the summary counts
    return kernels.take_up_pass(
        a.cat_mask, a.age, a.disabled, a.enrolled, f["fiscal_bits"], f["fiscal_min_age"],
        f["fiscal_disabled"], float(p.supplement.uptake),
    )  # fmt: skip


@dataclass
class YearArrays:
    """Everything one simulated year produces, as arrays (the Result builds tables from them)."""

    scenario: ScenarioModel
    population: Population
    cat_mask: np.ndarray  # after any 政策找人 identification
    total3: np.ndarray
    policy3: np.ndarray
    basic3: np.ndarray
    critical3: np.ndarray
    assistance3: np.ndarray
    supplement3: np.ndarray
    supplement_outside: np.ndarray
    extra3: np.ndarray
    # the payers of the person's year after tiers 2-4, per person, by registry name in settlement
    # order (registry.PERSON_PAYERS: other_paid, the departments' subsidies before the cap, 梯次减负;
    # cap_paid, the household cap): the Result, the settlements, the funds and the explanation
    # read every payer from here
    payers: dict[str, np.ndarray]
    mutual3: np.ndarray  # mutual-aid plans after basic insurance (per setting)
    mutual_aid_subsidy: np.ndarray  # mutual-aid contributions paid for poor children
    hospital3: np.ndarray  # cost the hospital bears (quota excess, out-of-catalogue excess)
    claim_hospital: np.ndarray
    claim_total_in: np.ndarray  # the claims' total cost as billed
    warning_after: np.ndarray  # the warning rule on OOP after subsidies and the cap
    premium_subsidy: np.ndarray
    category: np.ndarray
    oop_before_cap: np.ndarray
    warning_person: np.ndarray
    household_cap: np.ndarray
    newly_identified: np.ndarray  # per household
    claim_basic: np.ndarray  # per sorted claim
    claim_base: np.ndarray
    # the summary's sums from the year's own pass (kernels.year_pass): the weighted person sums
    # (kernels.SUMMARY_SUMS), per household the member count, money sums and warning counts, and
    # the households' weighted counts (kernels.HOUSEHOLD_SUMS)
    summary_sums: tuple
    ltc: LtcArrays | None = None  # long-term care insurance, a separate fund (None: not in the scenario)
    # the claims' total and policy-range cost the tiers saw (after the hospital's part; the billed
    # arrays themselves when no hospital bears any), per sorted claim: a settlement's own figures
    # (simulation.settlements) read them, no rule does
    claim_total_used: np.ndarray | None = None
    claim_policy_used: np.ndarray | None = None

    @property
    def other_paid(self) -> np.ndarray:
        """The departments' subsidies before the cap (梯次减负), per person."""
        return self.payers["other_paid"]

    @property
    def cap_paid(self) -> np.ndarray:
        """The household cap's payment, per person."""
        return self.payers["cap_paid"]


def claim_inputs(a, offsets, level, hospital_claim, p: ScenarioModel) -> ClaimInputs:
    """Tier 1's inputs (records.ClaimInputs) from the claims, the persons and the scenario."""
    ma = p.medical_assistance
    lowest = out_of_city_lowest(ma) if a.claim_out_of_city is not None else 3
    return fill(
        ClaimInputs,
        p,
        offsets=offsets,
        setting=a.claim_setting,
        level=level,
        chain=a.claim_chain,
        referred=a.claim_referred,
        policy=a.claim_policy,
        total=a.claim_total,
        hospital=hospital_claim,
        out_of_city=a.claim_out_of_city if lowest < 3 else np.zeros(0, dtype=np.int8),
        ooc_lowest=lowest,
        ma_from_base=bool(ma.base_includes_below_deductible),
        employee=a.employee,
        age=a.age,
        cat_mask=a.cat_mask,
        insured=a.enrolled,
        # a superset of the claims paid unreferred (rules.basic_insurance.paid_as_referred): the
        # unreferred terms' running totals are kept whenever one might be
        any_unreferred=any(lv.referral_required for lv in p.hospital_levels.values())
        and not a.claim_referred.all(),
        any_hospital=bool(hospital_claim.any()),
    )


def _year_in_blocks(grouped, p, a, level, hospital_claim, aid_members) -> dict:
    """Every rule of the year in one compiled pass over blocks of whole households
    (kernels.year_pass), its inputs built by name (simulation.records); `grouped`: the population's
    arrays with households contiguous, `a` the same with the claims' cost after any hospital's part."""
    fl = p.flags
    members = np.array(aid_members, dtype=bool).reshape(len(aid_members), a.n_persons)
    tiers = fill(TierInputs, p, enrolled=a.enrolled, employee=a.employee, take_up=_take_up(p, a),
                 members=members)  # fmt: skip
    return kernels.year_pass(
        grouped.household_starts, a.household, a.n_households, a.cat_mask,
        claim_inputs(a, grouped.claim_offsets, level, hospital_claim, p), tiers,
        fill(CapInputs, p, disabled=a.disabled, veteran=a.veteran, union_member=a.union_member,
             enrolled=a.enrolled),
        n_claims=len(a.claim_total), sup_on=bool(p.supplement.enabled), n_plans=len(p.mutual_aid),
        found_on=bool(fl.policy_finds_people and "expenditure_poor" in p.categories),
        found_bit=CAT_BIT_OF["expenditure_poor"], income=a.income,
        found=fill(FoundInputs, p),
        warn=fill(WarningInputs, p, employee=a.employee),
        prem=fill(PremiumInputs, p, age=a.age, employee=a.employee, enrolled=a.enrolled),
        aid=fill(AidInputs, p, members=members),
        sums=fill(SumInputs, p, weight=a.weight, employee=a.employee, enrolled=a.enrolled, age=a.age,
                  disabled=a.disabled),
        households=fill(HouseholdInputs, p),
    )  # fmt: skip


def _long_term_care(ltc, pop: Population, cat_mask: np.ndarray) -> LtcArrays | None:
    """The year's long-term-care arrays in one pass (kernels.ltc_pass), or None when the scenario
    has no such fund (嘉兴 共富方案 二(二)6)."""
    if not ltc.enabled:
        return None
    a = pop.arrays
    cost_m, benefit_m = monthly_tables(ltc)
    bits = category_bits(ltc.subsidised_categories)
    covered = np.array([s in ltc.schemes for s in SCHEMES])
    ins, eligible, cost, benefit, oop, individual, subsidy, pool, fiscal = kernels.ltc_pass(
        a.care_need, a.institution, a.employee, a.enrolled, cat_mask, covered, cost_m, benefit_m,
        float(ltc.months), int(ltc.min_level), scheme_rates(ltc, "individual"),
        scheme_rates(ltc, "pool_transfer"), scheme_rates(ltc, "fiscal"), int(bits),
    )  # fmt: skip
    return LtcArrays(
        insured=ins, eligible=eligible, cost=cost, benefit=benefit, oop=oop, individual=individual,
        subsidy=subsidy, pool_transfer=pool, fiscal=fiscal, employee=np.asarray(a.employee, dtype=bool),
    )  # fmt: skip


# the year's per-person arrays (rows in the grouped order inside `run_year`, put back after)
_PERSON_OUT = (
    "cat_mask", "total3", "policy3", "basic3", "crit", "asst", "sup", "sup_out", "extra3",
    "mut", "aid", "hospital3", "warn_after", "premium", "category", "oop_pre", "warn_before",
)  # fmt: skip


def run_year(pop: Population, p: ScenarioModel) -> YearArrays:
    """One year, every tier in settlement order (simulation.kernels, calling the rules of
    simulation.rules) in one pass over blocks of whole households. A population whose households are
    scattered in its table runs with them grouped (`PopulationArrays.grouped_by_household`) and
    its arrays are put back in table order."""
    pop = with_enrolment(pop, p.enrolment)  # 毕节 二(二): the new poor identified by the deadline
    grouped = pop.arrays
    persons = claims = None
    if grouped.household_starts is None:
        grouped, persons, claims = grouped.grouped_by_household()
    a = grouped
    hospital_claim = kernels.zeros(len(a.claim_total))  # a hospital bears nothing unless the scenario says
    hl = p.hospital_liability
    if hl.disease_quota or hl.out_of_catalogue_share_max is not None:
        quota = disease_quota(hl, a.disease_names) if hl.disease_quota else np.zeros(0)
        share = 0.0 if hl.out_of_catalogue_share_max is None else float(hl.out_of_catalogue_share_max)
        hospital_claim, total, policy = kernels.hospital_pass(
            a.claim_total, a.claim_policy, a.claim_disease, a.claim_person, a.cat_mask, quota,
            quota_category_bits(hl), out_of_catalogue_bits(hl), share,
        )  # fmt: skip
        a = dataclasses.replace(a, claim_total=total, claim_policy=policy)  # tiers see what is left
    # the scenario's level of each claim, one byte a claim (two past 127 levels: never silently wrapped)
    small = np.int8 if len(p.hospital_levels) < 128 else np.int16
    level = map_levels(a.level_names, p, pop.source).astype(small)[a.claim_level]
    aid_members = [mutual_aid_members(m, a.age, a.employee, a.enrolled) for m in p.mutual_aid]
    y = _year_in_blocks(grouped, p, a, level, hospital_claim=hospital_claim, aid_members=aid_members)
    y["hospital_claim"] = hospital_claim
    y["claim_total_used"], y["claim_policy_used"] = a.claim_total, a.claim_policy
    if persons is not None:  # back in the table's order
        for k in _PERSON_OUT:
            if len(y[k]) == len(persons):
                y[k] = _unpermute(y[k], persons)
        y["payers"] = {k: _unpermute(v, persons) for k, v in y["payers"].items()}
        for k in ("paid", "base", "hospital_claim", "claim_total_used", "claim_policy_used"):
            y[k] = _unpermute(y[k], claims)
    return YearArrays(
        scenario=p,
        population=pop,
        cat_mask=y["cat_mask"],
        total3=y["total3"],
        policy3=y["policy3"],
        basic3=y["basic3"],
        critical3=y["crit"],
        assistance3=y["asst"],
        supplement3=y["sup"],
        supplement_outside=y["sup_out"],
        extra3=y["extra3"],
        payers=y["payers"],
        mutual3=y["mut"],
        mutual_aid_subsidy=y["aid"],
        hospital3=y["hospital3"],
        claim_hospital=y["hospital_claim"],
        claim_total_in=pop.arrays.claim_total,
        warning_after=y["warn_after"],
        premium_subsidy=y["premium"],
        category=y["category"],
        oop_before_cap=y["oop_pre"],
        warning_person=y["warn_before"],
        household_cap=y["hh_cap"],
        newly_identified=y["newly"],
        claim_basic=y["paid"],
        claim_base=y["base"],
        ltc=_long_term_care(p.long_term_care, pop, y["cat_mask"]),
        summary_sums=y["summary"],
        claim_total_used=y["claim_total_used"],
        claim_policy_used=y["claim_policy_used"],
    )


def _unpermute(x: np.ndarray, order: np.ndarray) -> np.ndarray:
    """`x` computed on rows `order` of a table, in the table's own order."""
    out = np.empty_like(x)
    out[order] = x
    return out
