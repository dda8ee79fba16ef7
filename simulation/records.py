"""The loops' inputs as named records, built once per run from the validated scenario and the
population's arrays: what each loop of simulation.kernels reads, by name, never by position.

- `Claims`, `BasicTerms`: tier 1 over a person's claims (rules.basic_insurance);
- `TierPersons`, `TierTerms`: tiers 2-4 under each held category (大病, mutual aid, supplement,
  assistance; rules.critical_illness, rules.mutual_aid, rules.supplement, rules.medical_assistance);
- `CapPersons`, `CapTerms`: the departments' subsidies and the household cap (rules.other_subsidies,
  rules.family_cap);
- the early-warning, premium-subsidy and summary tables (rules.flags, rules.premium_subsidy).

A record holds arrays and scalars only (numba passes it to the compiled loops as one struct). Row 0
of the tier tables is the general terms (`none`), then the scenario's categories in CATEGORY_CODES
order; `TierTerms.code` maps a row back to its category.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .parameters import CAT_BIT_OF, CATEGORY_CODES, SCHEMES, SETTINGS, ScenarioModel
from .rules.basic_insurance import build_tables
from .rules.critical_illness import schedules_for
from .rules.medical_assistance import assistance_ratios, out_of_city_lowest
from .rules.other_subsidies import SUBSIDY_KINDS


def or_inf(x) -> float:
    return np.inf if x is None else float(x)


def category_bits(categories) -> int:
    return int(np.bitwise_or.reduce([CAT_BIT_OF[c] for c in categories] or [0]))


# ---------------------------------------------------------------------------- tier 1
class Claims(NamedTuple):
    """A person's claims (sorted by person, then month) and the person's own fields tier 1 reads."""

    offsets: np.ndarray  # each person's first claim; last: the number of claims
    setting: np.ndarray
    level: np.ndarray  # the scenario's hospital level of each claim
    chain: np.ndarray  # referral chain id (-1: none)
    referred: np.ndarray
    policy: np.ndarray
    total: np.ndarray
    hospital: np.ndarray  # the hospital's part (a zero view when none bears any)
    out_of_city: np.ndarray  # codes, empty when no out-of-city care is outside assistance
    employee: np.ndarray
    age: np.ndarray
    cat_mask: np.ndarray  # the categories held on entry (the term set is chosen from them)
    insured: np.ndarray


class BasicTerms(NamedTuple):
    """Tier 1's terms by [term set, scheme, setting, level] and the pass's switches."""

    deductible: np.ndarray
    ratio: np.ndarray
    per_year: np.ndarray
    unref_deductible: np.ndarray
    unref_ratio: np.ndarray
    unref_per_year: np.ndarray
    setting_cap: np.ndarray
    scheme_cap: np.ndarray
    retiree_bonus: np.ndarray
    retirement_age: np.ndarray
    level_pays: np.ndarray
    set_masks: np.ndarray
    set_schemes: np.ndarray
    ooc_lowest: int  # the lowest out-of-city code outside the assistance base (3: none)
    ma_from_base: bool  # assistance's base includes the cost below the basic deductible
    any_unreferred: bool  # some claim is unreferred (else the unreferred terms are never read)
    any_hospital: bool  # a hospital bears part of some claim


def claims_records(a, offsets, level, hospital_claim, p: ScenarioModel) -> tuple[Claims, BasicTerms]:
    ma = p.medical_assistance
    lowest = out_of_city_lowest(ma) if a.claim_out_of_city is not None else 3
    ooc = a.claim_out_of_city if lowest < 3 else np.zeros(0, dtype=np.int8)
    t = build_tables(p)
    claims = Claims(
        offsets, a.claim_setting, level, a.claim_chain, a.claim_referred, a.claim_policy, a.claim_total,
        hospital_claim, ooc, a.employee, a.age, a.cat_mask, a.enrolled,
    )  # fmt: skip
    terms = BasicTerms(
        t.deductible, t.ratio, t.per_year, t.unref_deductible, t.unref_ratio, t.unref_per_year, t.setting_cap,
        t.scheme_cap, t.retiree_bonus.astype(float), t.retirement_age.astype(float), t.level_pays,
        t.set_masks, t.set_schemes, lowest, bool(ma.base_includes_below_deductible),
        bool((~a.claim_referred).any()), bool(hospital_claim.any()),
    )  # fmt: skip
    return claims, terms


# ---------------------------------------------------------------------------- tiers 2-4
class TierPersons(NamedTuple):
    enrolled: np.ndarray
    employee: np.ndarray
    take_up: np.ndarray  # the supplement's expected take-up (rules.supplement.take_up)
    members: np.ndarray  # mutual-aid plans x persons: who each plan covers


class TierTerms(NamedTuple):
    ci_from_base: bool  # 大病's base includes the cost below the basic deductible
    ma_from_base: bool  # so does assistance's
    ci_settings: np.ndarray  # 大病 pays on these settings (1.0) or not (0.0)
    ci_schemes: np.ndarray  # [scheme]: 大病 covers it
    ci_enabled: bool
    ma_needs_enrolment: bool
    cat_bit: np.ndarray  # [row] the category's bit (row 0: none)
    s_lo: np.ndarray  # [row] the row's 大病 schedules: s_lo..s_hi
    s_hi: np.ndarray
    thr: np.ndarray  # [schedule] threshold
    cap: np.ndarray  # [schedule] cap
    b_lo: np.ndarray  # [schedule] its bands: b_lo..b_hi
    b_hi: np.ndarray
    upper: np.ndarray  # [band] upper bound
    ratio: np.ndarray  # [band] ratio
    ma_ratio: np.ndarray  # [row, setting]
    ma_ded: np.ndarray  # [row]
    ma_out_limit: np.ndarray  # [row] outpatient and chronic annual limit
    ma_limit: np.ndarray  # [row] annual limit
    plan_on: np.ndarray  # [plan, setting]
    plan_ratio: np.ndarray
    plan_ded: np.ndarray
    plan_limit: np.ndarray
    sup_on: bool
    sup_before: bool  # the supplement pays before assistance
    sup_ded: float
    sup_rp: float  # ratio inside the catalogue
    sup_ro: float  # ratio outside it
    sup_cap: float
    code: np.ndarray  # [row] CATEGORY_CODES index
    out_share: float  # the reasonable share of out-of-catalogue cost the cap counts


def tier_terms(p: ScenarioModel) -> TierTerms:
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
    return TierTerms(
        ci_from_base=bool(ci.base_includes_below_deductible),
        ma_from_base=bool(ma.base_includes_below_deductible),
        ci_settings=np.array([s in ci.settings for s in SETTINGS], dtype=float),
        ci_schemes=np.array([s in ci.schemes for s in SCHEMES]),
        ci_enabled=bool(ci.enabled),
        ma_needs_enrolment=bool(ma.requires_enrolment),
        cat_bit=np.array([CAT_BIT_OF[c] for c in codes], dtype=np.int64),
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
        ma_out_limit=np.array([or_inf(ma.outpatient_annual_limit.get(c)) for c in codes]),
        ma_limit=np.array([or_inf(ma.annual_limit.get(c)) for c in codes]),
        plan_on=np.array([[s in pl.settings for s in SETTINGS] for pl in plans], dtype=float).reshape(-1, 3),
        plan_ratio=np.array([pl.ratio for pl in plans], dtype=float),
        plan_ded=np.array([pl.deductible for pl in plans], dtype=float),
        plan_limit=np.array([or_inf(pl.annual_limit) for pl in plans], dtype=float),
        sup_on=bool(sup.enabled),
        sup_before=sup.order == "before_assistance",
        sup_ded=float(sup.deductible),
        sup_rp=float(sup.ratio_policy),
        sup_ro=float(sup.ratio_out_of_catalogue),
        sup_cap=or_inf(sup.cap),
        code=np.array([CATEGORY_CODES.index(c) for c in codes], dtype=np.int8),
        out_share=float(p.family_cap.out_of_catalogue_reasonable_share),
    )


# ---------------------------------------------------------------------------- subsidies and the cap
class CapPersons(NamedTuple):
    disabled: np.ndarray
    veteran: np.ndarray
    union_member: np.ndarray


class CapTerms(NamedTuple):
    rule_kind: np.ndarray  # [rule] SUBSIDY_KINDS index
    rule_bits: np.ndarray  # [rule] the categories it names (0: any)
    rule_ratio: np.ndarray
    rule_limit: np.ndarray
    keep: float  # 1 − the 负面清单 share
    cap_bits: np.ndarray  # [cap line] its category's bit
    cap_amount: np.ndarray  # [cap line] yuan
    cap_on: bool
    cap_share: float


def cap_terms(p: ScenarioModel) -> CapTerms:
    rules, fc = p.other_subsidies, p.family_cap
    return CapTerms(
        rule_kind=np.array([SUBSIDY_KINDS.index(r.eligible) for r in rules], dtype=np.int64),
        rule_bits=np.array([category_bits(r.categories) for r in rules], dtype=np.int64),
        rule_ratio=np.array([r.ratio for r in rules], dtype=float),
        rule_limit=np.array([or_inf(r.annual_limit) for r in rules], dtype=float),
        keep=1.0 - fc.negative_list_share,
        cap_bits=np.array([CAT_BIT_OF[c] for c in fc.cap], dtype=np.int64),
        cap_amount=np.array(list(fc.cap.values()), dtype=float),
        cap_on=bool(fc.enabled),
        cap_share=float(fc.share),
    )


# ---------------------------------------------------------------------------- flags, premiums, summary
def premium_tables(p: ScenarioModel) -> tuple:
    """The premium-subsidy rules: (category bits, minimum age, maximum age, [rule, scheme] covered,
    amount), as `kernels.premium_pass` takes them."""
    rules, contribution = p.premium_subsidy, p.financing.resident_individual
    return (
        np.array([category_bits(r.categories) for r in rules], dtype=np.int64),
        np.array([r.min_age for r in rules], dtype=float),
        np.array([np.inf if r.max_age is None else r.max_age for r in rules], dtype=float),
        np.array([[s in r.schemes for s in SCHEMES] for r in rules], dtype=bool).reshape(-1, len(SCHEMES)),
        np.array([contribution if r.amount == "full" else min(float(r.amount), contribution) for r in rules],
                 dtype=float),
    )  # fmt: skip


def warning_tables(fl) -> tuple:
    """The early-warning rules: (line, scheme (-1: any), assistance objects only)."""
    return (
        np.array([r.threshold for r in fl.warning], dtype=float),
        np.array([-1 if r.scheme is None else SCHEMES.index(r.scheme) for r in fl.warning], dtype=np.int64),
        np.array([r.assistance_objects for r in fl.warning], dtype=bool),
    )


def summary_tables(p: ScenarioModel) -> tuple:
    """Who 大病's premium covers and the supplement's fiscal enrolment, as `kernels.summary_pass`
    takes them: (covered per scheme, category bits, minimum age, disabled)."""
    ci, sup = p.critical_illness, p.supplement
    min_age = sup.fiscal_enrolment_min_age
    return (
        np.array([sch in ci.schemes for sch in SCHEMES]), category_bits(sup.fiscal_enrolment_categories),
        np.inf if min_age is None else float(min_age), bool(sup.fiscal_enrolment_disabled),
    )  # fmt: skip
