"""Tier 4, commercial supplementary insurance (惠民保 / 嘉兴 大病无忧): a deductible on the year's
remaining cost, one ratio inside the catalogue and one outside it, a cap, and the expected payment
at the scenario's uptake (persons enrolled by the government take it up in full)."""

from __future__ import annotations

import numpy as np

from ..jit import rule
from ..parameters import ScenarioModel, category_bits, or_inf, terms


@rule
def fiscally_enrolled(holds_fiscal_category, age, min_age, disabled, disabled_enrolled):
    """Persons the government enrols (premium paid): the named categories and, as options, persons
    of `fiscal_enrolment_min_age` or older and 持证残疾人 (嘉兴 共富方案 二(二)7)."""
    return holds_fiscal_category or age >= min_age or (disabled_enrolled and disabled)


@rule
def take_up(fiscal, enrolled, uptake):
    """Expected take-up: 1 for those the government enrols, else the scenario's uptake; 0 when not
    enrolled in basic insurance."""
    return (1.0 if fiscal else uptake) * (1.0 if enrolled else 0.0)


@rule
def listed_cost(outside, listed_share):
    """The out-of-catalogue cost the product covers: its listed share (嘉兴 共富方案 二(二)7 将部分非医保
    报销范围内的高价材料和高价药品列入保障范围: a part, not all of it)."""
    return listed_share * outside


@rule
def supplement_payment(
    policy0, policy1, policy2, outside, deductible, ratio_policy, ratio_outside, cap, taken_up
):
    """(policy-range payment per setting, out-of-catalogue payment) of the supplementary insurance,
    expected at the person's take-up.

    The deductible is taken from out-of-catalogue cost first, then from the policy-range remainder:
    so an earlier tier paying more never moves deductible onto the out-of-catalogue side (which
    would cut this payment by more than it saves, raising the patient's OOP). A payment above the
    cap is scaled down on both sides alike; the policy-range payment is spread over the settings in
    proportion to their cost."""
    pol = policy0 + policy1 + policy2
    ded_out = min(outside, deductible)
    ded_pol = min(pol, deductible - ded_out)
    pay_pol = ratio_policy * (pol - ded_pol)
    pay_out = ratio_outside * (outside - ded_out)
    tot = pay_pol + pay_out
    if tot > cap:
        scale = cap / max(tot, 1e-300)
        pay_pol = pay_pol * scale
        pay_out = pay_out * scale
    amount = taken_up * pay_pol
    if pol > 0:
        return (
            (policy0 / pol) * amount,
            (policy1 / pol) * amount,
            (policy2 / pol) * amount,
            taken_up * pay_out,
        )
    return 0.0 * amount, 0.0 * amount, 0.0 * amount, taken_up * pay_out


@terms("sup_on", "sup_before", "sup_ded", "sup_rp", "sup_ro", "sup_cap", "sup_listed")
def supplement_terms(p: ScenarioModel) -> dict:
    """The supplement's terms as the persons' loop reads them (kernels._tiers_range)."""
    sup = p.supplement
    return dict(
        sup_on=bool(sup.enabled),
        sup_before=sup.order == "before_assistance",
        sup_ded=float(sup.deductible),
        sup_rp=float(sup.ratio_policy),
        sup_ro=float(sup.ratio_out_of_catalogue),
        sup_cap=or_inf(sup.cap),
        sup_listed=float(sup.listed_share),
    )


@terms("fiscal_bits", "fiscal_min_age", "fiscal_disabled")
def fiscal_terms(p: ScenarioModel) -> dict:
    """Who the government enrols (`fiscally_enrolled`): category bits, minimum age (inf: none)
    and whether the disabled are (the take-up and the summary's enrolment count read them)."""
    sup = p.supplement
    min_age = sup.fiscal_enrolment_min_age
    return dict(
        fiscal_bits=category_bits(sup.fiscal_enrolment_categories),
        fiscal_min_age=np.inf if min_age is None else float(min_age),
        fiscal_disabled=bool(sup.fiscal_enrolment_disabled),
    )
