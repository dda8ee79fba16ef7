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
from .parameters import CAT_BIT_OF, CATEGORY_CODES, SCHEMES, SETTINGS, ScenarioModel
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
)
from .rules.basic_insurance import build_tables, map_levels
from .rules.critical_illness import schedules_for
from .rules.enrolment import with_enrolment
from .rules.hospital_liability import disease_quota, out_of_catalogue_bits, quota_tables
from .rules.long_term_care import LtcArrays, monthly_tables, scheme_rates
from .rules.medical_assistance import assistance_ratios, out_of_city_lowest
from .rules.mutual_aid import contribution_tables
from .rules.mutual_aid import members as mutual_aid_members
from .rules.other_subsidies import SUBSIDY_KINDS

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


def tier_tables(p: ScenarioModel) -> dict:
    """Tiers 2-4's terms as `records.TierInputs` names them, one table row per category: row 0 is
    `none`, then the scenario's categories in CATEGORY_CODES order (`code`: each row's index)."""
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
    plans = p.mutual_aid
    return dict(
        cat_bit=np.array([CAT_BIT_OF[c] for c in codes], dtype=np.int64),
        ci_enabled=bool(ci.enabled),
        s_lo=np.array(s_lo, dtype=np.int64),
        s_hi=np.array(s_hi, dtype=np.int64),
        thr=np.array(thr, dtype=float),
        cap=np.array(cap, dtype=float),
        b_lo=np.array(b_lo, dtype=np.int64),
        b_hi=np.array(b_hi, dtype=np.int64),
        upper=np.array(upper, dtype=float),
        ratio=np.array(ratio, dtype=float),
        ma_ratio=np.array([assistance_ratios(ma, c) for c in codes], dtype=float),
        ma_ded=np.array([ma.deductible.get(c, 0.0) for c in codes], dtype=float),
        ma_out_limit=np.array([_or_inf(ma.outpatient_annual_limit.get(c)) for c in codes]),
        ma_limit=np.array([_or_inf(ma.annual_limit.get(c)) for c in codes]),
        plan_on=np.array([[s in pl.settings for s in SETTINGS] for pl in plans], dtype=float).reshape(-1, 3),
        plan_ratio=np.array([pl.ratio for pl in plans], dtype=float),
        plan_ded=np.array([pl.deductible for pl in plans], dtype=float),
        plan_limit=np.array([_or_inf(pl.annual_limit) for pl in plans], dtype=float),
        sup_on=bool(sup.enabled),
        sup_before=sup.order == "before_assistance",
        sup_ded=float(sup.deductible),
        sup_rp=float(sup.ratio_policy),
        sup_ro=float(sup.ratio_out_of_catalogue),
        sup_cap=_or_inf(sup.cap),
        sup_listed=float(sup.listed_share),
        code=np.array([CATEGORY_CODES.index(c) for c in codes], dtype=np.int8),
    )


def cap_tables(p: ScenarioModel) -> dict:
    """The other subsidies, the 负面清单 share and the household cap as `records.CapInputs` names
    them (per cap line: its category bits, amount, whether it is the person's own)."""
    rules, fc = p.other_subsidies, p.family_cap
    bits = [int(np.bitwise_or.reduce([CAT_BIT_OF[c] for c in r.categories] or [0])) for r in rules]
    return dict(
        rule_kind=np.array([SUBSIDY_KINDS.index(r.eligible) for r in rules], dtype=np.int64),
        rule_bits=np.array(bits, dtype=np.int64),
        rule_ratio=np.array([r.ratio for r in rules], dtype=float),
        rule_limit=np.array([_or_inf(r.annual_limit) for r in rules], dtype=float),
        keep=1.0 - fc.negative_list_share,
        cap_bits=np.array([CAT_BIT_OF[c] for c in fc.cap], dtype=np.int64),
        cap_amount=np.array(list(fc.cap.values()), dtype=float),
        cap_on=bool(fc.enabled),
        cap_share=float(fc.share),
        cap_personal=np.array([c in fc.personal for c in fc.cap], dtype=bool),
        cap_needs_enrolment=bool(fc.requires_enrolment),
    )


def premium_tables(p: ScenarioModel) -> dict:
    """The premium-subsidy rules as `records.PremiumInputs` names them (rules.premium_subsidy)."""
    rules, contribution = p.premium_subsidy, p.financing.resident_individual
    return dict(
        bits=np.array([int(np.bitwise_or.reduce([CAT_BIT_OF[c] for c in r.categories] or [0]))
                       for r in rules], dtype=np.int64),
        min_age=np.array([r.min_age for r in rules], dtype=float),
        max_age=np.array([np.inf if r.max_age is None else r.max_age for r in rules], dtype=float),
        scheme_ok=np.array([[s in r.schemes for s in SCHEMES] for r in rules],
                           dtype=bool).reshape(-1, len(SCHEMES)),
        amount=np.array([contribution if r.amount == "full" else min(float(r.amount), contribution)
                         for r in rules], dtype=float),
    )  # fmt: skip


def warning_tables(fl) -> dict:
    """The early-warning rules as `records.WarningInputs` names them (scheme -1: any; inclusive:
    the line itself fires)."""
    return dict(
        threshold=np.array([r.threshold for r in fl.warning], dtype=float),
        scheme=np.array(
            [-1 if r.scheme is None else SCHEMES.index(r.scheme) for r in fl.warning], dtype=np.int64
        ),
        assistance_only=np.array([r.assistance_objects for r in fl.warning], dtype=bool),
        inclusive=np.array([r.inclusive for r in fl.warning], dtype=bool),
    )


def summary_tables(p: ScenarioModel) -> dict:
    """Who 大病's premium covers and the supplement's fiscal enrolment, as `records.SumInputs`
    names them (covered per scheme, category bits, minimum age, disabled)."""
    ci, sup = p.critical_illness, p.supplement
    fiscal_bits = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in sup.fiscal_enrolment_categories] or [0])
    min_age = sup.fiscal_enrolment_min_age
    return dict(
        ci_covered=np.array([sch in ci.schemes for sch in SCHEMES]),
        fiscal_bits=int(fiscal_bits),
        fiscal_min_age=np.inf if min_age is None else float(min_age),
        fiscal_disabled=bool(sup.fiscal_enrolment_disabled),
    )


def _take_up(p: ScenarioModel, a) -> np.ndarray:
    """The supplement's expected take-up per person (rules.supplement.take_up)."""
    f = summary_tables(p)  # the same fiscal-enrolment tables
    return kernels.take_up_pass(
        a.cat_mask, a.age, a.disabled, a.enrolled, f["fiscal_bits"], f["fiscal_min_age"],
        f["fiscal_disabled"], float(p.supplement.uptake),
    )  # fmt: skip


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


def claim_inputs(a, offsets, level, tables, hospital_claim, ma) -> ClaimInputs:
    """Tier 1's inputs (records.ClaimInputs) from the claims, the persons and the basic-insurance
    terms (`tables`: rules.basic_insurance.build_tables)."""
    lowest = out_of_city_lowest(ma) if a.claim_out_of_city is not None else 3
    return ClaimInputs(
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
        ded_t=tables.deductible,
        ratio_t=tables.ratio,
        per_year_t=tables.per_year,
        uded_t=tables.unref_deductible,
        uratio_t=tables.unref_ratio,
        uper_year_t=tables.unref_per_year,
        setting_cap_t=tables.setting_cap,
        scheme_cap_t=tables.scheme_cap,
        retiree_bonus=tables.retiree_bonus.astype(float),
        retirement_age=tables.retirement_age.astype(float),
        level_pays=tables.level_pays,
        set_masks=tables.set_masks,
        set_schemes=tables.set_schemes,
        level_in_city=tables.level_in_city,
        level_referral=tables.level_referral,
        # a superset of the claims paid unreferred (rules.basic_insurance.paid_as_referred): the
        # unreferred terms' running totals are kept whenever one might be
        any_unreferred=bool(tables.level_referral.any() and not a.claim_referred.all()),
        any_hospital=bool(hospital_claim.any()),
    )


def _year_in_blocks(grouped, p, a, level, tables, hospital_claim, aid_members) -> dict:
    """Every rule of the year in one compiled pass over blocks of whole households
    (kernels.year_pass), its inputs built by name (simulation.records); `grouped`: the population's
    arrays with households contiguous, `a` the same with the claims' cost after any hospital's part."""
    ci, ma, fl = p.critical_illness, p.medical_assistance, p.flags
    claims = claim_inputs(a, grouped.claim_offsets, level, tables, hospital_claim, ma)
    tt = tier_tables(p)
    code = tt.pop("code")
    tiers = TierInputs(
        ci_from_base=ci.base_includes_below_deductible,
        ma_from_base=ma.base_includes_below_deductible,
        ci_settings=np.array([s in ci.settings for s in SETTINGS], dtype=float),
        enrolled=a.enrolled,
        employee=a.employee,
        ci_schemes=np.array([s in ci.schemes for s in SCHEMES]),
        ci_on=bool(ci.enabled),
        ma_needs_enrolment=bool(ma.requires_enrolment),
        take_up=_take_up(p, a),
        members=np.array(aid_members, dtype=bool).reshape(len(aid_members), a.n_persons),
        **tt,
        code=code,
        out_share=p.family_cap.out_of_catalogue_reasonable_share,
    )
    limit = _or_inf(fl.expenditure_poor_income_limit_per_capita)
    aid_bits, aid_amount = contribution_tables(p.mutual_aid)
    return kernels.year_pass(
        grouped.household_starts, a.household, a.n_households, a.cat_mask, claims, tiers,
        CapInputs(disabled=a.disabled, veteran=a.veteran, union_member=a.union_member, **cap_tables(p),
                  enrolled=a.enrolled),
        n_claims=len(a.claim_total), sup_on=bool(p.supplement.enabled), n_plans=len(p.mutual_aid),
        found_on=bool(fl.policy_finds_people and "expenditure_poor" in p.categories),
        found_bit=CAT_BIT_OF["expenditure_poor"], income=a.income,
        found=FoundInputs(income_limit=limit, share=fl.expenditure_poor_share,
                          dibao_monthly=fl.dibao_monthly),
        warn=WarningInputs(employee=a.employee, **warning_tables(fl)),
        prem=PremiumInputs(age=a.age, employee=a.employee, enrolled=a.enrolled, **premium_tables(p)),
        aid=AidInputs(members=tiers.members, bits=aid_bits, amount=aid_amount),
        sums=SumInputs(weight=a.weight, employee=a.employee, enrolled=a.enrolled, age=a.age,
                       disabled=a.disabled, **summary_tables(p)),
        households=HouseholdInputs(catastrophic=fl.catastrophic_threshold, income_limit=limit,
                                   share=fl.expenditure_poor_share),
    )  # fmt: skip


def _long_term_care(ltc, pop: Population, cat_mask: np.ndarray) -> LtcArrays | None:
    """The year's long-term-care arrays in one pass (kernels.ltc_pass), or None when the scenario
    has no such fund (嘉兴 共富方案 二(二)6)."""
    if not ltc.enabled:
        return None
    a = pop.arrays
    cost_m, benefit_m = monthly_tables(ltc)
    bits = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in ltc.subsidised_categories] or [0])
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
        quota, disease = quota_tables(hl, quota, a.claim_disease, a.claim_person, a.cat_mask)
        share = 0.0 if hl.out_of_catalogue_share_max is None else float(hl.out_of_catalogue_share_max)
        hospital_claim, total, policy = kernels.hospital_pass(
            a.claim_total, a.claim_policy, disease, a.claim_person, a.cat_mask, quota,
            out_of_catalogue_bits(hl), share,
        )  # fmt: skip
        a = dataclasses.replace(a, claim_total=total, claim_policy=policy)  # tiers see what is left
    # the scenario's level of each claim, one byte a claim (two past 127 levels: never silently wrapped)
    small = np.int8 if len(p.hospital_levels) < 128 else np.int16
    level = map_levels(a.level_names, p, pop.source).astype(small)[a.claim_level]
    aid_members = [mutual_aid_members(m, a.age, a.employee, a.enrolled) for m in p.mutual_aid]
    y = _year_in_blocks(grouped, p, a, level, tables=build_tables(p), hospital_claim=hospital_claim,
                        aid_members=aid_members)  # fmt: skip
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
