"""`simulate`: the tiers in settlement order over one year, vectorised over claims and persons.

basic insurance (per claim) → critical illness → [supplement] → medical assistance → [supplement]
→ household cap → flags. A person holding several categories is paid under the one that pays
them most in total (就高不重复): each tier is evaluated once per category a person holds, and the
best is kept; the loop is over the ≤ 9 category codes, never over persons.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from . import kernels
from .parameters import CAT_BIT_OF, CATEGORY_CODES, SCHEMES, SETTINGS, ScenarioModel
from .population.model import Population
from .rules.basic_insurance import (
    BasicResult,
    basic_insurance,
    build_tables,
    map_levels,
    person_term_set,
)
from .rules.critical_illness import critical_payment, schedules_for
from .rules.enrolment import with_enrolment
from .rules.family_cap import family_cap_payment
from .rules.flags import expenditure_poor, person_warning
from .rules.groups import group_sum, rowsum
from .rules.hospital_liability import disease_quota, hospital_liability, out_of_catalogue_bits
from .rules.long_term_care import LtcArrays, year_long_term_care
from .rules.medical_assistance import (
    assistance_payment,
    assistance_ratios,
    out_of_city_excluded,
    out_of_city_lowest,
)
from .rules.mutual_aid import contribution_subsidy, mutual_aid_payment
from .rules.mutual_aid import members as mutual_aid_members
from .rules.other_subsidies import other_subsidies
from .rules.premium_subsidy import premium_subsidy
from .rules.supplement import supplement_payment, uptake

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


@dataclass
class PersonTiers:
    """Person-level tiers (n x 3 by setting where it matters) under each person's best category."""

    critical3: np.ndarray
    assistance3: np.ndarray
    supplement3: np.ndarray
    supplement_outside: np.ndarray
    category: np.ndarray  # index into CATEGORY_CODES of the category applied
    mutual3: np.ndarray | None = None
    oop_pre: np.ndarray | None = None  # compiled path: OOP before the cap, from the same pass
    counted: np.ndarray | None = None  # compiled path: the reasonable cost the cap counts


TIER_FIELDS = ("critical3", "assistance3", "supplement3", "supplement_outside", "category", "mutual3")


def _person_tiers(
    p: ScenarioModel,
    idx: np.ndarray,
    cat_mask: np.ndarray,
    ci_base3: np.ndarray,
    ma_base3: np.ndarray,
    remaining3: np.ndarray,
    outside: np.ndarray,
    ci_ok: np.ndarray,
    ma_ok: np.ndarray,
    take_up: np.ndarray,
    aid_members: list[np.ndarray] | None = None,
) -> PersonTiers:
    """Evaluate tiers 2-4 for persons `idx` under every category they hold; keep the best.

    Everyone is first paid on the general terms (`none`), which any category at least keeps; then
    each defined category is evaluated on its holders only and replaces the result where it pays
    more (ties keep the earlier code, but a real category beats `none`).
    """
    ci, ma, sup = p.critical_illness, p.medical_assistance, p.supplement
    whole = len(idx) == len(cat_mask)  # the first pass: no gathering needed

    def under(code: str, g):
        cib = ci_base3[g]
        cib_tot = rowsum(cib)
        ci_tot = critical_payment(cib_tot, ci, code) * ci_ok[g]
        crit3 = cib * np.divide(ci_tot, cib_tot, out=np.zeros_like(ci_tot), where=cib_tot > 0)[:, None]
        rem3 = np.maximum(remaining3[g] - crit3, 0.0)
        mut3 = np.zeros_like(rem3)
        if p.mutual_aid:
            mut3 = mutual_aid_payment(p.mutual_aid, rem3, [m[g] for m in aid_members])
            rem3 = rem3 - mut3
        sup3 = np.zeros_like(rem3)
        sup_out = np.zeros(len(cib_tot))
        if sup.enabled and sup.order == "before_assistance":
            sup3, sup_out = supplement_payment(rem3, outside[g], sup, take_up[g])
        ma_base = np.maximum(np.minimum(ma_base3[g] - crit3 - mut3 - sup3, rem3 - sup3), 0.0)
        asst3 = assistance_payment(ma_base, ma, code) * ma_ok[g][:, None]
        if sup.enabled and sup.order == "after_assistance":
            sup3, sup_out = supplement_payment(rem3 - asst3, outside[g], sup, take_up[g])
        total = ci_tot + rowsum(mut3) + rowsum(asst3) + rowsum(sup3) + sup_out
        return total, crit3, asst3, sup3, sup_out, mut3

    total, crit3, asst3, sup3, sup_out, mut3 = under("none", slice(None) if whole else idx)
    none_i = CATEGORY_CODES.index("none")
    best = PersonTiers(crit3, asst3, sup3, sup_out, np.full(len(idx), none_i, dtype=np.int64), mut3)
    best_total = total
    defined = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in p.categories])
    mask = (cat_mask if whole else cat_mask[idx]) & defined
    for code_i, code in enumerate(CATEGORY_CODES):
        if code == "none" or code not in p.categories:
            continue
        sel = np.flatnonzero((mask & CAT_BIT_OF[code]) != 0)
        if len(sel) == 0:
            continue
        total, crit3, asst3, sup3, sup_out, mut3 = under(code, idx[sel])
        prev = best_total[sel]
        better = (total > prev) | ((total >= prev) & (best.category[sel] == none_i))
        w = sel[better]
        best_total[w] = total[better]
        best.critical3[w] = crit3[better]
        best.assistance3[w] = asst3[better]
        best.supplement3[w] = sup3[better]
        best.supplement_outside[w] = sup_out[better]
        best.mutual3[w] = mut3[better]
        best.category[w] = code_i
    return best


@dataclass(frozen=True)
class TierTables:
    """Tiers 2-4 parameters as arrays for the compiled pass; row 0 is `none`, then the scenario's
    categories in CATEGORY_CODES order."""

    args: tuple
    code: np.ndarray  # CATEGORY_CODES index of each row


def tier_tables(p: ScenarioModel) -> TierTables:
    ci, ma, sup = p.critical_illness, p.medical_assistance, p.supplement
    codes = ["none"] + [c for c in CATEGORY_CODES if c != "none" and c in p.categories]
    s_lo, s_hi, thr, cap, b_lo, b_hi, upper, ratio = [], [], [], [], [], [], [], []
    for code in codes:
        s_lo.append(len(thr))
        for sched in schedules_for(ci, code):
            thr.append(sched.threshold)
            cap.append(sched.cap)
            b_lo.append(len(upper))
            upper.extend(sched.uppers)
            ratio.extend(sched.ratios)
            b_hi.append(len(upper))
        s_hi.append(len(thr))
    ma_ratio = np.array([assistance_ratios(ma, c) for c in codes], dtype=float)
    plans = p.mutual_aid
    args = (
        np.array([CAT_BIT_OF[c] for c in codes], dtype=np.int64),
        bool(ci.enabled),
        np.array(s_lo, dtype=np.int64),
        np.array(s_hi, dtype=np.int64),
        np.array(thr, dtype=float),
        np.array(cap, dtype=float),
        np.array(b_lo, dtype=np.int64),
        np.array(b_hi, dtype=np.int64),
        np.array(upper, dtype=float),
        np.array(ratio, dtype=float),
        ma_ratio,
        np.array([ma.deductible.get(c, 0.0) for c in codes], dtype=float),
        np.array([_or_inf(ma.outpatient_annual_limit.get(c)) for c in codes]),
        np.array([_or_inf(ma.annual_limit.get(c)) for c in codes]),
        np.array([[s in pl.settings for s in SETTINGS] for pl in plans], dtype=float).reshape(-1, 3),
        np.array([pl.ratio for pl in plans], dtype=float),
        np.array([pl.deductible for pl in plans], dtype=float),
        np.array([_or_inf(pl.annual_limit) for pl in plans], dtype=float),
        bool(sup.enabled),
        sup.order == "before_assistance",
        float(sup.deductible),
        float(sup.ratio_policy),
        float(sup.ratio_out_of_catalogue),
        _or_inf(sup.cap),
    )
    return TierTables(args=args, code=np.array([CATEGORY_CODES.index(c) for c in codes], dtype=np.int8))


def cap_tables(p: ScenarioModel) -> tuple:
    """The other subsidies, the 负面清单 share and the household cap as arrays for `kernels.cap_pass`."""
    rules, fc = p.other_subsidies, p.family_cap
    bits = [int(np.bitwise_or.reduce([CAT_BIT_OF[c] for c in r.categories] or [0])) for r in rules]
    return (
        np.array([kernels.SUBSIDY_KINDS.index(r.eligible) for r in rules], dtype=np.int64),
        np.array(bits, dtype=np.int64),
        np.array([r.ratio for r in rules], dtype=float),
        np.array([_or_inf(r.annual_limit) for r in rules], dtype=float),
        1.0 - fc.negative_list_share,
        np.array([CAT_BIT_OF[c] for c in fc.cap], dtype=np.int64),
        np.array(list(fc.cap.values()), dtype=float),
        bool(fc.enabled),
        float(fc.share),
    )


def premium_tables(p: ScenarioModel) -> tuple:
    """The premium-subsidy rules as arrays for `kernels.premium_pass` (as rules.premium_subsidy)."""
    rules, contribution = p.premium_subsidy, p.financing.resident_individual
    return (
        np.array([int(np.bitwise_or.reduce([CAT_BIT_OF[c] for c in r.categories] or [0])) for r in rules],
                 dtype=np.int64),
        np.array([r.min_age for r in rules], dtype=float),
        np.array([np.inf if r.max_age is None else r.max_age for r in rules], dtype=float),
        np.array([[s in r.schemes for s in SCHEMES] for r in rules], dtype=bool).reshape(-1, len(SCHEMES)),
        np.array([contribution if r.amount == "full" else min(float(r.amount), contribution) for r in rules],
                 dtype=float),
    )  # fmt: skip


def warning_tables(fl) -> tuple:
    """The early-warning rules as arrays for `kernels.warnings_pass` (scheme -1: any)."""
    return (
        np.array([r.threshold for r in fl.warning], dtype=float),
        np.array([-1 if r.scheme is None else SCHEMES.index(r.scheme) for r in fl.warning], dtype=np.int64),
        np.array([r.assistance_objects for r in fl.warning], dtype=bool),
    )


def summary_tables(p: ScenarioModel) -> tuple:
    """Who 大病's premium covers and the supplement's fiscal enrolment, as `kernels.summary_pass`
    takes them: (covered per scheme, category bits, minimum age, disabled)."""
    ci, sup = p.critical_illness, p.supplement
    fiscal_bits = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in sup.fiscal_enrolment_categories] or [0])
    min_age = sup.fiscal_enrolment_min_age
    return (
        np.array([sch in ci.schemes for sch in SCHEMES]), int(fiscal_bits),
        np.inf if min_age is None else float(min_age), bool(sup.fiscal_enrolment_disabled),
    )  # fmt: skip


def _take_up(p: ScenarioModel, a, *, fast: bool) -> np.ndarray:
    """The supplement's expected take-up per person (rules.supplement.uptake, 0 when not enrolled);
    `fast`: one compiled pass, the same values (the numpy rule is four passes over persons)."""
    if not fast:
        return uptake(p.supplement, a.cat_mask, a.age, a.disabled) * a.enrolled
    _, bits, min_age, disabled_on = summary_tables(p)  # the same fiscal-enrolment tables
    return kernels.take_up_pass(
        a.cat_mask, a.age, a.disabled, a.enrolled, bits, min_age, disabled_on, float(p.supplement.uptake)
    )


def _contribution(plans, aid_members, cat_mask, *, fast: bool) -> np.ndarray:
    """The mutual-aid contribution subsidy per person (rules.mutual_aid.contribution_subsidy);
    `fast`: one compiled pass over the plans (a plan paying none has no bits), the same values."""
    bits, amount = contribution_tables(plans)
    if not fast or not bits.any():
        return contribution_subsidy(plans, aid_members, cat_mask)
    members = np.array(aid_members, dtype=bool).reshape(len(plans), len(cat_mask))
    return kernels.contribution_pass(members, cat_mask, bits, amount)


def contribution_tables(plans) -> tuple[np.ndarray, np.ndarray]:
    """Each mutual-aid plan's subsidised category bits and contribution (yuan), 0 and 0.0 for a plan
    paying none (rules.mutual_aid.contribution_subsidy's paying plans)."""
    bits = np.zeros(len(plans), dtype=np.int64)
    amount = np.zeros(len(plans))
    for j, plan in enumerate(plans):
        if plan.subsidised_categories and plan.contribution > 0:
            bits[j] = int(np.bitwise_or.reduce([CAT_BIT_OF[c] for c in plan.subsidised_categories]))
            amount[j] = float(plan.contribution)
    return bits, amount


def _or_inf(x) -> float:
    return np.inf if x is None else float(x)


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


def _person_setting(arrays, values: np.ndarray) -> np.ndarray:
    key = arrays.claim_person * 3 + arrays.claim_setting
    return np.bincount(key, weights=values, minlength=3 * arrays.n_persons).reshape(-1, 3)


def _claims_args(a, offsets, level, tables, hospital_claim, ma) -> tuple:
    """Tier 1's inputs as `kernels.claims_pass` takes them (up to its switches), and the switches
    (any unreferred claim, any hospital cost, the lowest out-of-city code left out of assistance)."""
    lowest = out_of_city_lowest(ma) if a.claim_out_of_city is not None else 3
    ooc = a.claim_out_of_city if lowest < 3 else np.zeros(0, dtype=np.int8)
    args = (
        offsets, a.claim_setting, level, a.claim_chain, a.claim_referred, a.claim_policy, a.claim_total,
        hospital_claim, ooc, lowest, bool(ma.base_includes_below_deductible),
        a.employee, a.age, a.cat_mask, a.enrolled,
        tables.deductible, tables.ratio, tables.per_year, tables.unref_deductible, tables.unref_ratio,
        tables.unref_per_year, tables.setting_cap, tables.scheme_cap, tables.retiree_bonus.astype(float),
        tables.retirement_age.astype(float), tables.level_pays, tables.set_masks, tables.set_schemes,
    )  # fmt: skip
    return args, bool((~a.claim_referred).any()), bool(hospital_claim.any()), lowest


def _basic_fast(a, offsets, level, tables, hospital_claim, ma):
    """Tier 1 and the person x setting sums in one compiled pass over the claims (with the
    out-of-city part of the assistance base when `ma` leaves some out-of-city care outside it)."""
    args, any_unreferred, any_hospital, lowest = _claims_args(a, offsets, level, tables, hospital_claim, ma)
    paid, base, sums = kernels.claims_pass(
        *args, any_unreferred=any_unreferred, any_hospital=any_hospital, any_out_of_city=lowest < 3
    )
    return BasicResult(paid=paid, deductible_part=None, extra=None, base=base), tuple(sums)


IN_BLOCKS = True  # the year in one pass over household blocks when households are contiguous


def _year_in_blocks(pop, p, a, level, tables, hospital_claim, aid_members) -> dict:
    """Every rule of the year in one compiled pass over blocks of whole households
    (kernels.year_pass): the arrays of the passes below, the same operations in the same order."""
    ci, ma, fl = p.critical_illness, p.medical_assistance, p.flags
    args, any_unreferred, any_hospital, lowest = _claims_args(
        a, pop.arrays.claim_offsets, level, tables, hospital_claim, ma
    )
    claims_args = (*args, any_unreferred, any_hospital)
    tt = tier_tables(p)
    settings_on = np.array([s in ci.settings for s in SETTINGS], dtype=float)
    ci_schemes = np.array([s in ci.schemes for s in SCHEMES])
    take_up = _take_up(p, a, fast=True)
    aid_matrix = np.array(aid_members, dtype=bool).reshape(len(aid_members), a.n_persons)
    tiers_args = (
        ci.base_includes_below_deductible, ma.base_includes_below_deductible, settings_on,
        a.enrolled, a.employee, ci_schemes, bool(ci.enabled), bool(ma.requires_enrolment),
        take_up, aid_matrix, *tt.args, tt.code, p.family_cap.out_of_catalogue_reasonable_share,
    )  # fmt: skip
    found_on = bool(fl.policy_finds_people and "expenditure_poor" in p.categories)
    limit = _or_inf(fl.expenditure_poor_income_limit_per_capita)
    found_args = (limit, fl.expenditure_poor_share, fl.dibao_monthly)
    return kernels.year_pass(
        pop.arrays.household_starts, a.household, a.n_households, a.cat_mask, claims_args, tiers_args,
        (a.disabled, a.veteran, a.union_member, *cap_tables(p)),
        any_unreferred=any_unreferred, any_hospital=any_hospital, any_out_of_city=lowest < 3,
        n_claims=len(a.claim_total), sup_on=bool(p.supplement.enabled), n_plans=len(p.mutual_aid),
        code=tt.code, found_on=found_on, found_bit=CAT_BIT_OF["expenditure_poor"], income=a.income,
        found_args=found_args, warn_args=(a.employee, *warning_tables(fl)),
        prem_args=(a.age, a.employee, a.enrolled, *premium_tables(p)),
        aid_args=(aid_matrix, *contribution_tables(p.mutual_aid)),
        sum_args=(a.weight, a.employee, a.enrolled, a.age, a.disabled, *summary_tables(p)),
        hh_args=(fl.catastrophic_threshold, limit, fl.expenditure_poor_share),
    )  # fmt: skip


def run_year(pop: Population, p: ScenarioModel, *, fast: bool = True) -> YearArrays:
    """One year. `fast` runs tiers 1-4 in the compiled kernels (simulation.kernels); `fast=False`
    runs the numpy rules, the readable reference the kernels are tested against."""
    pop = with_enrolment(pop, p.enrolment)  # 毕节 二(二): the new poor identified by the deadline
    a = pop.arrays
    n = a.n_persons
    hospital_claim = kernels.zeros(len(a.claim_total))  # a hospital bears nothing unless the scenario says
    total_in = a.claim_total
    hl = p.hospital_liability
    if hl.disease_quota or hl.out_of_catalogue_share_max is not None:
        if fast:
            quota = disease_quota(hl, a.disease_names) if hl.disease_quota else np.zeros(0)
            share = 0.0 if hl.out_of_catalogue_share_max is None else float(hl.out_of_catalogue_share_max)
            hospital_claim, total, policy = kernels.hospital_pass(
                a.claim_total, a.claim_policy, a.claim_disease, a.claim_person, a.cat_mask, quota,
                out_of_catalogue_bits(hl), share,
            )  # fmt: skip
        else:
            hospital_claim, total, policy = hospital_liability(hl, a)
        a = dataclasses.replace(a, claim_total=total, claim_policy=policy)  # tiers see what is left
    # the scenario's level of each claim, one byte a claim (two past 127 levels: never silently wrapped)
    small = np.int8 if len(p.hospital_levels) < 128 else np.int16
    level = map_levels(a.level_names, p, pop.source).astype(small)[a.claim_level]
    tables = build_tables(p)
    # the term set of each person: in the claims kernel on the fast path
    scheme = None if fast else np.where(a.employee, np.int8(0), np.int8(1))
    tset = None if fast else person_term_set(a.cat_mask, scheme, tables)
    ci, ma = p.critical_illness, p.medical_assistance
    aid_members = [mutual_aid_members(m, a.age, a.employee, a.enrolled) for m in p.mutual_aid]
    if fast and IN_BLOCKS and pop.arrays.household_starts is not None:
        # households contiguous (as generated): the whole year block by block, in the cache
        y = _year_in_blocks(pop, p, a, level, tables, hospital_claim, aid_members)
        basic = BasicResult(paid=y["paid"], deductible_part=None, extra=None, base=y["base"])
        total3, policy3, basic3, extra3, hospital3 = (
            y[k] for k in ("total3", "policy3", "basic3", "extra3", "hospital3")
        )
        tiers = PersonTiers(
            y["crit"], y["asst"], y["sup"], y["sup_out"], y["category"], y["mut"], y["oop_pre"], None
        )
        oop_pre, other_paid, cap_paid, hh_cap = y["oop_pre"], y["other"], y["cap_paid"], y["hh_cap"]
        newly, cat_mask = y["newly"], y["cat_mask"]
        warning_person, warning_after, subsidy = y["warn_before"], y["warn_after"], y["premium"]
        summary_sums, aid = y["summary"], y["aid"]
    else:
        summary_sums = aid = None
        if fast:
            basic, (total3, policy3, basic3, base3, ded3, extra3, hospital3, excl3) = _basic_fast(
                a, pop.arrays.claim_offsets, level, tables, hospital_claim, ma
            )
        else:
            basic = basic_insurance(a, level, tables, tset, a.enrolled)
            hospital3 = _person_setting(a, hospital_claim)
            total3 = _person_setting(a, a.claim_total)
            policy3 = _person_setting(a, a.claim_policy)
            basic3 = _person_setting(a, basic.paid)
            base3 = _person_setting(a, basic.base)
            ded3 = _person_setting(a, basic.deductible_part)
            extra3 = _person_setting(a, basic.extra)
        settings_on = np.array([s in ci.settings for s in SETTINGS], dtype=float)
        out_of_city = ma.out_of_city != "all" and a.claim_out_of_city is not None
        if not fast:
            outside = rowsum(total3 - policy3)
            remaining3 = policy3 - basic3  # policy-range cost borne after basic (incl. unreferred extra)
            ci_base3 = base3 if ci.base_includes_below_deductible else np.maximum(base3 - ded3, 0.0)
            ci_base3 = ci_base3 * settings_on
            ma_base3 = base3 if ma.base_includes_below_deductible else np.maximum(base3 - ded3, 0.0)
            if out_of_city:  # 异地就医 outside the base
                claim_ma = (
                    basic.base if ma.base_includes_below_deductible else basic.base - basic.deductible_part
                )
                excl3 = _person_setting(a, out_of_city_excluded(ma, a.claim_out_of_city, claim_ma))
                ma_base3 = np.maximum(ma_base3 - excl3, 0.0)
        elif not out_of_city:
            excl3 = np.empty((0, 3))  # the compiled pass derives the bases per person itself
        ci_schemes = np.array([s in ci.schemes for s in SCHEMES])
        take_up = _take_up(p, a, fast=fast)

        everyone = np.arange(n)
        cat_mask = a.cat_mask  # 政策找人 makes a new mask, never writes into this one
        if fast:
            tt = tier_tables(p)
            aid_matrix = np.array(aid_members, dtype=bool).reshape(len(aid_members), n)
            # who 大病 and assistance reach is decided per person inside the pass (no arrays for it)
            reach = (a.enrolled, a.employee, ci_schemes, bool(ci.enabled), bool(ma.requires_enrolment))

            def person_tiers(idx, cat_mask, into: PersonTiers | None = None):
                arrays = None if into is None else (
                    into.critical3, into.assistance3, into.supplement3, into.supplement_outside, into.mutual3,
                    into.category, into.oop_pre, into.counted,
                )  # fmt: skip
                crit, asst, sup, sup_out, mut, category, oop_pre, counted = kernels.tiers_pass(
                    None if into is None else idx, cat_mask, total3, policy3, basic3, base3, ded3, excl3,
                    ci.base_includes_below_deductible, ma.base_includes_below_deductible, settings_on,
                    *reach, take_up, aid_matrix, *tt.args, code=tt.code,
                    out_share=p.family_cap.out_of_catalogue_reasonable_share, into=arrays,
                )  # fmt: skip
                return PersonTiers(crit, asst, sup, sup_out, category, mut, oop_pre, counted)
        else:
            ci_ok = a.enrolled & ci_schemes[scheme] & ci.enabled
            ma_ok = np.broadcast_to(a.enrolled | (not ma.requires_enrolment), (n,))

            def person_tiers(idx, cat_mask, into=None):
                return _person_tiers(
                    p,
                    idx,
                    cat_mask,
                    ci_base3,
                    ma_base3,
                    remaining3,
                    outside,
                    ci_ok,
                    ma_ok,
                    take_up,
                    aid_members,
                )

        tiers = person_tiers(everyone, cat_mask)
        cap_args = cap_tables(p) if fast else ()

        def finish(tiers: PersonTiers, cat_mask: np.ndarray):
            if fast:  # OOP and the counted cost come from the tiers pass itself
                oop_pre, counted = tiers.oop_pre, tiers.counted
                other_paid, cap_paid, hh_cap = kernels.cap_pass(
                    counted, cat_mask, a.household, a.n_households, pop.arrays.household_starts, a.disabled,
                    a.veteran, a.union_member,
                    *cap_args,
                )  # fmt: skip
                return oop_pre, other_paid, cap_paid, hh_cap
            oop_pre, counted = _finish_reference(tiers)
            other_paid, counted = other_subsidies(p.other_subsidies, counted, a, cat_mask)
            counted = counted * (1.0 - p.family_cap.negative_list_share)  # 负面清单 items never count
            cap_paid, hh_cap = family_cap_payment(
                p.family_cap, counted, cat_mask, a.household, a.n_households
            )
            return oop_pre, other_paid, cap_paid, hh_cap

        def _finish_reference(tiers: PersonTiers):
            paid_person = (
                rowsum(basic3)
                + rowsum(tiers.critical3)
                + rowsum(tiers.assistance3)
                + rowsum(tiers.supplement3)
                + tiers.supplement_outside
                + rowsum(tiers.mutual3)
            )
            oop_pre = np.maximum(rowsum(total3) - paid_person, 0.0)
            counted = np.maximum(
                rowsum(remaining3 - tiers.critical3 - tiers.mutual3 - tiers.assistance3 - tiers.supplement3),
                0.0,
            ) + p.family_cap.out_of_catalogue_reasonable_share * np.maximum(
                outside - tiers.supplement_outside, 0.0
            )
            return oop_pre, np.minimum(counted, oop_pre)

        oop_pre, other_paid, cap_paid, hh_cap = finish(tiers, cat_mask)
        newly = np.zeros(a.n_households, dtype=bool)
        if p.flags.policy_finds_people and "expenditure_poor" in p.categories:
            # 政策找人: households the type-1/2 tests newly find get the expenditure-poor terms this year
            bit = CAT_BIT_OF["expenditure_poor"]
            fl = p.flags
            if fast:
                limit = _or_inf(fl.expenditure_poor_income_limit_per_capita)
                newly = kernels.found_pass(
                    a.household, a.n_households, oop_pre, other_paid, cap_paid, a.income, cat_mask,
                    limit, fl.expenditure_poor_share, fl.dibao_monthly,
                )  # fmt: skip
            else:
                hh_oop = group_sum(a.household, oop_pre - other_paid - cap_paid, a.n_households)
                hh_size = np.bincount(a.household, minlength=a.n_households)
                hh_income = group_sum(a.household, a.income, a.n_households)
                t2, t1 = expenditure_poor(fl, hh_oop, hh_income, hh_size)
                # only households no assistance category reaches yet are "found" (就高: others keep theirs)
                assisted = group_sum(a.household, (cat_mask != 0).astype(float), a.n_households) > 0
                newly = (t2 | t1) & ~assisted
            if newly.any():
                members = newly[a.household]
                cat_mask = np.where(members, cat_mask | bit, cat_mask)
                idx = np.flatnonzero(members)
                if fast:  # the found persons' rows rewritten in place
                    person_tiers(idx, cat_mask, into=tiers)
                else:
                    again = person_tiers(idx, cat_mask)
                    for name in TIER_FIELDS:
                        if getattr(tiers, name).flags.writeable:  # else a tier that is off: zeros both times
                            getattr(tiers, name)[idx] = getattr(again, name)
                oop_pre = other_paid = cap_paid = hh_cap = None  # freed before finish allocates anew
                base3 = ded3 = excl3 = ma_base3 = ci_base3 = None  # as below, before the second finish
                oop_pre, other_paid, cap_paid, hh_cap = finish(tiers, cat_mask)
        # the tiers' bases are done with: freed now (the closures hold them too), not at return
        base3 = ded3 = excl3 = ma_base3 = ci_base3 = None

        if fast:
            warning_person, warning_after = kernels.warnings_pass(
                oop_pre, other_paid, cap_paid, a.employee, cat_mask, *warning_tables(p.flags)
            )
        else:
            poor = cat_mask != 0
            warning_person = person_warning(p.flags, oop_pre, a.employee, poor)
            warning_after = person_warning(p.flags, oop_pre - other_paid - cap_paid, a.employee, poor)
        if fast:
            subsidy = kernels.premium_pass(cat_mask, a.age, a.employee, a.enrolled, *premium_tables(p))
        else:
            subsidy = premium_subsidy(p, cat_mask, a.age, a.employee, a.enrolled)
    if aid is None:  # (in the year's pass when in blocks)
        aid = _contribution(p.mutual_aid, aid_members, cat_mask, fast=fast)
    return YearArrays(
        scenario=p,
        population=pop,
        cat_mask=cat_mask,
        total3=total3,
        policy3=policy3,
        basic3=basic3,
        critical3=tiers.critical3,
        assistance3=tiers.assistance3,
        supplement3=tiers.supplement3,
        supplement_outside=tiers.supplement_outside,
        extra3=extra3,
        cap_paid=cap_paid,
        other_paid=other_paid,
        mutual3=tiers.mutual3,
        mutual_aid_subsidy=aid,
        hospital3=hospital3,
        claim_hospital=hospital_claim,
        claim_total_in=total_in,
        warning_after=warning_after,
        premium_subsidy=subsidy,
        category=tiers.category,
        oop_before_cap=oop_pre,
        warning_person=warning_person,
        household_cap=hh_cap,
        newly_identified=newly,
        claim_basic=basic.paid,
        claim_base=basic.base,
        ltc=year_long_term_care(p.long_term_care, pop, cat_mask, fast=fast),
        summary_sums=summary_sums,
    )
