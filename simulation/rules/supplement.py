"""Tier 4, commercial supplementary insurance (惠民保 / 嘉兴 大病无忧): a deductible on the year's
remaining cost, one ratio inside the catalogue and one outside it, a cap, and the expected payment
at the scenario's uptake (persons enrolled by the government take it up in full)."""

from __future__ import annotations

import numpy as np

from ..parameters import CAT_BIT_OF, Supplement
from .groups import rowsum


def uptake(sup: Supplement, cat_mask: np.ndarray, age=None, disabled=None) -> np.ndarray:
    return np.where(fiscally_enrolled(sup, cat_mask, age, disabled), 1.0, sup.uptake)


def fiscally_enrolled(sup: Supplement, cat_mask: np.ndarray, age=None, disabled=None) -> np.ndarray:
    """Persons the government enrols (premium paid): the named categories and, as options, persons
    of `fiscal_enrolment_min_age` or older and 持证残疾人 (嘉兴 共富方案 二(二)7)."""
    fiscal = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in sup.fiscal_enrolment_categories] or [0])
    out = (cat_mask & fiscal) != 0
    if age is not None and sup.fiscal_enrolment_min_age is not None:
        out = out | (age >= sup.fiscal_enrolment_min_age)
    if disabled is not None and sup.fiscal_enrolment_disabled:
        out = out | disabled
    return out


def supplement_payment(
    policy3: np.ndarray, outside: np.ndarray, sup: Supplement, take_up: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(policy-range payment n x 3, out-of-catalogue payment n) of the supplementary insurance.

    The deductible is taken from out-of-catalogue cost first, then from the policy-range remainder:
    so an earlier tier paying more never moves deductible onto the out-of-catalogue side (which
    would cut this payment by more than it saves, raising the patient's OOP).
    """
    pol = rowsum(policy3)
    ded_out = np.minimum(outside, sup.deductible)
    ded_pol = np.minimum(pol, sup.deductible - ded_out)
    pay_pol = sup.ratio_policy * (pol - ded_pol)
    pay_out = sup.ratio_out_of_catalogue * (outside - ded_out)
    if sup.cap is not None:
        tot = pay_pol + pay_out
        scale = np.where(tot > sup.cap, sup.cap / np.maximum(tot, 1e-300), 1.0)
        pay_pol, pay_out = pay_pol * scale, pay_out * scale
    share = np.divide(policy3, pol[:, None], out=np.zeros_like(policy3), where=pol[:, None] > 0)
    return share * (take_up * pay_pol)[:, None], take_up * pay_out
