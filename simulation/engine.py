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
from .parameters import CAT_BIT_OF, SCHEMES, ScenarioModel
from .population.model import Population
from .records import (
    CapPersons,
    TierPersons,
    cap_terms,
    category_bits,
    claims_records,
    or_inf,
    premium_tables,
    summary_tables,
    tier_terms,
    warning_tables,
)
from .rules.basic_insurance import map_levels
from .rules.enrolment import with_enrolment
from .rules.hospital_liability import disease_quota, out_of_catalogue_bits
from .rules.long_term_care import LtcArrays, monthly_tables, scheme_rates
from .rules.mutual_aid import contribution_tables
from .rules.mutual_aid import members as mutual_aid_members

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
    _, bits, min_age, disabled_on = summary_tables(p)  # the same fiscal-enrolment tables
    return kernels.take_up_pass(
        a.cat_mask, a.age, a.disabled, a.enrolled, bits, min_age, disabled_on, float(p.supplement.uptake)
    )


def _contribution(plans, aid_members, cat_mask) -> np.ndarray:
    """The mutual-aid contribution subsidy per person (rules.mutual_aid.contribution_subsidy)."""
    bits, amount = contribution_tables(plans)
    if not bits.any():
        return kernels.zeros(len(cat_mask))
    members = np.array(aid_members, dtype=bool).reshape(len(plans), len(cat_mask))
    return kernels.contribution_pass(members, cat_mask, bits, amount)


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
    cap_paid: np.ndarray
    other_paid: np.ndarray  # departments' subsidies before the cap (梯次减负)
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
    ltc: LtcArrays | None = None  # long-term care insurance, a separate fund (None: not in the scenario)
    # the summary's person and household sums from the year's own pass, as kernels.summary_pass
    # returns them but for the mutual-aid contribution subsidy, then the households' weighted
    # counts (kernels.HOUSEHOLD_SUMS) (None: the Result runs that pass)
    summary_sums: tuple | None = None


IN_BLOCKS = True  # the year in one pass over household blocks when households are contiguous


def _year_in_blocks(pop, p, a, claims, basic, who, tiers, aid_members) -> dict:
    """Every rule of the year in one compiled pass over blocks of whole households
    (kernels.year_pass): the arrays of the separate passes, the same operations in the same order."""
    fl = p.flags
    found_on = bool(fl.policy_finds_people and "expenditure_poor" in p.categories)
    limit = or_inf(fl.expenditure_poor_income_limit_per_capita)
    return kernels.year_pass(
        pop.arrays.household_starts, a.household, a.n_households, a.cat_mask, claims, basic, who, tiers,
        CapPersons(a.disabled, a.veteran, a.union_member), cap_terms(p),
        any_out_of_city=basic.ooc_lowest < 3, found_on=found_on, found_bit=CAT_BIT_OF["expenditure_poor"],
        income=a.income, found_args=(limit, fl.expenditure_poor_share, fl.dibao_monthly),
        warn_args=(a.employee, *warning_tables(fl)),
        prem_args=(a.age, a.employee, a.enrolled, *premium_tables(p)),
        aid_args=(who.members, *contribution_tables(p.mutual_aid)),
        sum_args=(a.weight, a.employee, a.enrolled, a.age, a.disabled, *summary_tables(p)),
        hh_args=(fl.catastrophic_threshold, limit, fl.expenditure_poor_share),
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


def run_year(pop: Population, p: ScenarioModel) -> YearArrays:
    """One year, every tier in settlement order (simulation.kernels, calling the rules of
    simulation.rules): in one pass over blocks of whole households when households are contiguous
    (as generated), else pass by pass over persons."""
    pop = with_enrolment(pop, p.enrolment)  # 毕节 二(二): the new poor identified by the deadline
    a = pop.arrays
    n = a.n_persons
    hospital_claim = kernels.zeros(len(a.claim_total))  # a hospital bears nothing unless the scenario says
    total_in = a.claim_total
    hl = p.hospital_liability
    if hl.disease_quota or hl.out_of_catalogue_share_max is not None:
        quota = disease_quota(hl, a.disease_names) if hl.disease_quota else np.zeros(0)
        share = 0.0 if hl.out_of_catalogue_share_max is None else float(hl.out_of_catalogue_share_max)
        hospital_claim, total, policy = kernels.hospital_pass(
            a.claim_total, a.claim_policy, a.claim_disease, a.claim_person, a.cat_mask, quota,
            out_of_catalogue_bits(hl), share,
        )  # fmt: skip
        a = dataclasses.replace(a, claim_total=total, claim_policy=policy)  # tiers see what is left
    # the scenario's level of each claim, one byte a claim (two past 127 levels: never silently wrapped)
    small = np.int8 if len(p.hospital_levels) < 128 else np.int16
    level = map_levels(a.level_names, p, pop.source).astype(small)[a.claim_level]
    aid_members = [mutual_aid_members(m, a.age, a.employee, a.enrolled) for m in p.mutual_aid]
    claims, basic = claims_records(a, pop.arrays.claim_offsets, level, hospital_claim, p)
    who = TierPersons(
        a.enrolled, a.employee, _take_up(p, a), np.array(aid_members, dtype=bool).reshape(len(aid_members), n)
    )
    tiers = tier_terms(p)
    if IN_BLOCKS and pop.arrays.household_starts is not None:
        # households contiguous (as generated): the whole year block by block, in the cache
        y = _year_in_blocks(pop, p, a, claims, basic, who, tiers, aid_members)
        claim_paid, claim_base = y["paid"], y["base"]
        total3, policy3, basic3, extra3, hospital3 = (
            y[k] for k in ("total3", "policy3", "basic3", "extra3", "hospital3")
        )
        crit, asst, sup, sup_out, mut, category = (
            y[k] for k in ("crit", "asst", "sup", "sup_out", "mut", "category")
        )
        oop_pre, other_paid, cap_paid, hh_cap = y["oop_pre"], y["other"], y["cap_paid"], y["hh_cap"]
        newly, cat_mask = y["newly"], y["cat_mask"]
        warning_person, warning_after, subsidy = y["warn_before"], y["warn_after"], y["premium"]
        summary_sums, aid = y["summary"], y["aid"]
    else:
        summary_sums = None
        claim_paid, claim_base, (total3, policy3, basic3, base3, ded3, extra3, hospital3, excl3) = (
            kernels.claims_pass(claims, basic, basic.ooc_lowest < 3)
        )
        if basic.ooc_lowest >= 3:
            excl3 = np.empty((0, 3))  # the tiers pass derives the bases per person itself
        cat_mask = a.cat_mask  # 政策找人 makes a new mask, never writes into this one

        def person_tiers(cat_mask, idx=None, into=None):
            bases = (total3, policy3, basic3, base3, ded3, excl3)
            return kernels.tiers_pass(idx, cat_mask, bases, who, tiers, into=into)

        kept = person_tiers(cat_mask)
        caps, cap_persons = cap_terms(p), CapPersons(a.disabled, a.veteran, a.union_member)

        def finish(kept, cat_mask: np.ndarray):
            # OOP before the cap and the counted cost come from the tiers pass itself
            other_paid, cap_paid, hh_cap = kernels.cap_pass(
                kept[7], cat_mask, a.household, a.n_households, pop.arrays.household_starts, cap_persons, caps
            )
            return kept[6], other_paid, cap_paid, hh_cap

        oop_pre, other_paid, cap_paid, hh_cap = finish(kept, cat_mask)
        newly = np.zeros(a.n_households, dtype=bool)
        fl = p.flags
        if fl.policy_finds_people and "expenditure_poor" in p.categories:
            # 政策找人: households the type-1/2 tests newly find get the expenditure-poor terms this year
            newly = kernels.found_pass(
                a.household, a.n_households, oop_pre, other_paid, cap_paid, a.income, cat_mask,
                or_inf(fl.expenditure_poor_income_limit_per_capita), fl.expenditure_poor_share,
                fl.dibao_monthly,
            )  # fmt: skip
            if newly.any():
                members = newly[a.household]
                cat_mask = np.where(members, cat_mask | CAT_BIT_OF["expenditure_poor"], cat_mask)
                person_tiers(cat_mask, np.flatnonzero(members), into=kept)  # the found persons' rows again
                oop_pre = other_paid = cap_paid = hh_cap = None  # freed before finish allocates anew
                base3 = ded3 = excl3 = None  # as below, before the second finish
                oop_pre, other_paid, cap_paid, hh_cap = finish(kept, cat_mask)
        # the tiers' bases are done with: freed now (the closures hold them too), not at return
        base3 = ded3 = excl3 = None
        crit, asst, sup, sup_out, mut, category = kept[:6]
        warning_person, warning_after = kernels.warnings_pass(
            oop_pre, other_paid, cap_paid, a.employee, cat_mask, *warning_tables(p.flags)
        )
        subsidy = kernels.premium_pass(cat_mask, a.age, a.employee, a.enrolled, *premium_tables(p))
        aid = _contribution(p.mutual_aid, aid_members, cat_mask)
    return YearArrays(
        scenario=p,
        population=pop,
        cat_mask=cat_mask,
        total3=total3,
        policy3=policy3,
        basic3=basic3,
        critical3=crit,
        assistance3=asst,
        supplement3=sup,
        supplement_outside=sup_out,
        extra3=extra3,
        cap_paid=cap_paid,
        other_paid=other_paid,
        mutual3=mut,
        mutual_aid_subsidy=aid,
        hospital3=hospital3,
        claim_hospital=hospital_claim,
        claim_total_in=total_in,
        warning_after=warning_after,
        premium_subsidy=subsidy,
        category=category,
        oop_before_cap=oop_pre,
        warning_person=warning_person,
        household_cap=hh_cap,
        newly_identified=newly,
        claim_basic=claim_paid,
        claim_base=claim_base,
        ltc=_long_term_care(p.long_term_care, pop, cat_mask),
        summary_sums=summary_sums,
    )
