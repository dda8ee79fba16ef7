"""The loops' inputs as named records: what `engine` builds, by name, from the validated scenario
and the population's arrays, and `kernels.year_pass` hands to the compiled loops of
`simulation.kernels`.

Each record's fields are named as the parameters of the loop that reads them and stand in their
order (tests/test_drivers.py holds every record's names equal to its loop's parameters), so a
table cannot reach the wrong parameter. The compiled code receives the fields as a plain tuple:
numba's own named tuples were tried and cost a third more compile time on first use.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class ClaimInputs(NamedTuple):
    """Tier 1 per claim (`kernels._claims_range`, after lo, hi, row0): the claims sorted by person
    and month, the persons' attributes, the basic-insurance terms (rules.basic_insurance
    .build_tables) and the two switches."""

    offsets: Any  # each person's first claim, then the number of claims
    setting: Any
    level: Any  # the scenario's level of each claim
    chain: Any  # referral chain as generated (毕节 二(四)1: the loop keeps 市内 chains only)
    referred: Any  # as generated (毕节 二(七): the loop pays a level needing none as referred)
    policy: Any
    total: Any
    hospital: Any  # the part the hospital bears (off the claim before the tiers)
    out_of_city: Any  # codes, empty when no out-of-city care leaves the assistance base
    ooc_lowest: int
    ma_from_base: bool  # the assistance base counts the cost below the basic deductible
    employee: Any
    age: Any
    cat_mask: Any
    insured: Any
    ded_t: Any
    ratio_t: Any
    per_year_t: Any
    uded_t: Any
    uratio_t: Any
    uper_year_t: Any
    setting_cap_t: Any
    scheme_cap_t: Any
    retiree_bonus: Any
    retirement_age: Any
    level_pays: Any
    set_masks: Any
    set_schemes: Any
    level_in_city: Any  # [level]: a referral chain's deductible credit holds there
    level_referral: Any  # [level]: an admission there needs a referral
    any_unreferred: bool  # some claim at a level needing a referral has none
    any_hospital: bool


class TierInputs(NamedTuple):
    """Tiers 2-4 under each held category (`kernels._tiers_range`, after the bases): who each tier
    reaches, the critical-illness schedules, assistance, mutual-aid and supplement terms
    (engine.tier_tables), and the cap's out-of-catalogue share."""

    ci_from_base: bool
    ma_from_base: bool
    ci_settings: Any
    enrolled: Any
    employee: Any
    ci_schemes: Any
    ci_on: bool
    ma_needs_enrolment: bool
    take_up: Any
    members: Any  # mutual-aid plans x persons
    cat_bit: Any
    ci_enabled: bool
    s_lo: Any
    s_hi: Any
    thr: Any
    cap: Any
    b_lo: Any
    b_hi: Any
    upper: Any
    ratio: Any
    ma_ratio: Any
    ma_ded: Any
    ma_out_limit: Any
    ma_limit: Any
    plan_on: Any
    plan_ratio: Any
    plan_ded: Any
    plan_limit: Any
    sup_on: bool
    sup_before: bool
    sup_ded: float
    sup_rp: float
    sup_ro: float
    sup_cap: float
    sup_listed: float
    code: Any  # CATEGORY_CODES index of each table row
    out_share: float


class CapInputs(NamedTuple):
    """Departments' subsidies and the household cap (`kernels._cap_chunk`, after counted, cat_mask,
    household): the persons' attributes and engine.cap_tables."""

    disabled: Any
    veteran: Any
    union_member: Any
    rule_kind: Any
    rule_bits: Any
    rule_ratio: Any
    rule_limit: Any
    keep: float  # 1 − the 负面清单 share
    cap_bits: Any
    cap_amount: Any
    cap_on: bool
    cap_share: float
    cap_personal: Any
    cap_needs_enrolment: bool
    enrolled: Any


class FoundInputs(NamedTuple):
    """政策找人's type-1/2 tests (`kernels._found_range`)."""

    income_limit: float
    share: float
    dibao_monthly: float


class WarningInputs(NamedTuple):
    """The early-warning rules (`kernels._warnings_range`; engine.warning_tables)."""

    employee: Any
    threshold: Any
    scheme: Any
    assistance_only: Any
    inclusive: Any


class PremiumInputs(NamedTuple):
    """The premium-subsidy rules (`kernels._premium_range`; engine.premium_tables)."""

    age: Any
    employee: Any
    enrolled: Any
    bits: Any
    min_age: Any
    max_age: Any
    scheme_ok: Any
    amount: Any


class AidInputs(NamedTuple):
    """The mutual-aid contribution subsidy (`kernels._contribution_range`)."""

    members: Any
    bits: Any
    amount: Any


class SumInputs(NamedTuple):
    """What the summary's sums read beyond the year's arrays (`kernels._person_sums`)."""

    weight: Any
    employee: Any
    enrolled: Any
    age: Any
    disabled: Any
    ci_covered: Any
    fiscal_bits: int
    fiscal_min_age: float
    fiscal_disabled: bool


class HouseholdInputs(NamedTuple):
    """The households' weighted counts (`kernels._household_counts`, after the sums)."""

    catastrophic: float
    income_limit: float
    share: float


# record -> (the loop reading it, the parameter its first field is, or None when its fields are
# passed among others): tests/test_drivers.py checks the names against the loops
READERS: dict[type, tuple[str, str | None]] = {
    ClaimInputs: ("_claims_range", "offsets"),
    TierInputs: ("_tiers_range", "ci_from_base"),
    CapInputs: ("_cap_chunk", "disabled"),
    FoundInputs: ("_found_range", "income_limit"),
    WarningInputs: ("_warnings_range", None),
    PremiumInputs: ("_premium_range", "age"),
    AidInputs: ("_contribution_range", None),
    SumInputs: ("_person_sums", None),
    HouseholdInputs: ("_household_counts", "catastrophic"),
}
