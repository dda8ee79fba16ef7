"""Tier 3, medical assistance (医疗救助): category ratios on the policy-range cost still borne,
an optional annual deductible and annual limits (沪府办规〔2022〕19号 二(二)3-4)."""

from __future__ import annotations

import numpy as np

from ..parameters import MedicalAssistance
from .groups import rowsum


def assistance_ratios(ma: MedicalAssistance, category: str) -> np.ndarray:
    """[inpatient, outpatient, chronic] ratios of a category (chronic falls back to outpatient)."""
    out = ma.outpatient_ratio.get(category, 0.0)
    return np.array([ma.inpatient_ratio.get(category, 0.0), out, ma.chronic_ratio.get(category, out)])


def assistance_payment(base3: np.ndarray, ma: MedicalAssistance, category: str) -> np.ndarray:
    """Assistance per person x setting (n x 3) for persons assisted under `category`."""
    ratios = assistance_ratios(ma, category)
    if not ratios.any():
        return np.zeros_like(base3)
    total = rowsum(base3)
    ded = ma.deductible.get(category, 0.0)
    if ded > 0:  # the annual deductible comes off the year's combined base
        keep = np.divide(np.maximum(total - ded, 0.0), total, out=np.zeros_like(total), where=total > 0)
        base3 = base3 * keep[:, None]
    pay = base3 * ratios
    out_limit = ma.outpatient_annual_limit.get(category)
    if out_limit is not None:
        out_pay = pay[:, 1] + pay[:, 2]
        scale = np.where(out_pay > out_limit, out_limit / np.maximum(out_pay, 1e-300), 1.0)
        pay[:, 1:] *= scale[:, None]
    limit = ma.annual_limit.get(category)
    if limit is not None:
        tot = rowsum(pay)
        scale = np.where(tot > limit, limit / np.maximum(tot, 1e-300), 1.0)
        pay *= scale[:, None]
    return pay


def out_of_city_excluded(
    ma: MedicalAssistance, out_of_city: np.ndarray, claim_base: np.ndarray
) -> np.ndarray:
    """Per claim, the part of the assistance base excluded as out-of-city care (异地就医): codes
    0 local, 1 registered, 2 unregistered (population.model.OUT_OF_CITY_CODES). Shanghai counts
    registered out-of-city care only (沪府办规〔2022〕19号 二(二)3)."""
    lowest = out_of_city_lowest(ma)
    if lowest > 2:
        return np.zeros_like(claim_base)
    return np.where(out_of_city >= lowest, claim_base, 0.0)


def out_of_city_lowest(ma: MedicalAssistance) -> int:
    """The lowest out-of-city code whose care is outside the assistance base (3: none)."""
    return {"all": 3, "registered": 2}.get(ma.out_of_city, 1)
