"""Tier 2, critical-illness insurance (大病保险): banded marginal ratios on the year's cumulative
policy-range out-of-pocket left by basic insurance, and the commercial insurer's settlement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..jit import rule
from ..parameters import SCHEMES, SETTINGS, Band, CriticalIllness, ScenarioModel, table_rows, terms


@dataclass(frozen=True)
class BandSchedule:
    threshold: float
    uppers: tuple[float, ...]
    ratios: tuple[float, ...]
    cap: float


def _schedule(threshold: float, bands: list[Band], bonus: float, cap: float | None) -> BandSchedule:
    return BandSchedule(
        threshold=threshold,
        uppers=tuple(np.inf if b.upto is None else b.upto for b in bands),
        ratios=tuple(min(b.ratio + bonus, 1.0) for b in bands),
        cap=np.inf if cap is None else cap,
    )


def schedules_for(ci: CriticalIllness, category: str) -> list[BandSchedule]:
    """The general schedule and every tilt that names `category` (the best one is paid)."""
    t = ci.terms
    out = [_schedule(t.threshold, t.bands, 0.0, t.cap)]
    for tilt in ci.tilts:
        if category in tilt.categories:
            thr = tilt.threshold if tilt.threshold is not None else t.threshold * tilt.threshold_factor
            bands = tilt.bands if tilt.bands is not None else t.bands
            out.append(_schedule(thr, bands, tilt.ratio_bonus, None if tilt.uncapped else t.cap))
    return out


@terms("ci_from_base", "ci_settings", "ci_schemes", "ci_on", "s_lo", "s_hi", "thr", "cap", "b_lo", "b_hi",
       "upper", "ratio")  # fmt: skip
def critical_terms(p: ScenarioModel) -> dict:
    """The schedules of each table row (parameters.table_rows) flattened: row r's schedules are
    s_lo[r]..s_hi[r] (threshold `thr`, `cap`), schedule j's bands b_lo[j]..b_hi[j] (`upper`,
    `ratio`); and who and what the tier covers (kernels._tiers_range)."""
    ci = p.critical_illness
    s_lo, s_hi, thr, cap, b_lo, b_hi, upper, ratio = [], [], [], [], [], [], [], []
    for code in table_rows(p):
        s_lo.append(len(thr))
        for sched in schedules_for(ci, code):
            thr.append(sched.threshold)
            cap.append(sched.cap)
            b_lo.append(len(upper))
            upper.extend(sched.uppers)
            ratio.extend(sched.ratios)
            b_hi.append(len(upper))
        s_hi.append(len(thr))
    return dict(
        ci_from_base=ci.base_includes_below_deductible,
        ci_settings=np.array([s in ci.settings for s in SETTINGS], dtype=float),
        ci_schemes=np.array([s in ci.schemes for s in SCHEMES]),
        ci_on=bool(ci.enabled),
        s_lo=np.array(s_lo, dtype=np.int64),
        s_hi=np.array(s_hi, dtype=np.int64),
        thr=np.array(thr, dtype=float),
        cap=np.array(cap, dtype=float),
        b_lo=np.array(b_lo, dtype=np.int64),
        b_hi=np.array(b_hi, dtype=np.int64),
        upper=np.array(upper, dtype=float),
        ratio=np.array(ratio, dtype=float),
    )


@terms("ci_covered")
def covered_terms(p: ScenarioModel) -> dict:
    """Per scheme, whether 大病's premium covers its enrolled (the summary's count)."""
    return dict(ci_covered=np.array([sch in p.critical_illness.schemes for sch in SCHEMES]))


@dataclass(frozen=True)
class InsurerSettlement:
    premium: float
    claims: float
    margin: float
    margin_rate: float
    surplus_returned: float  # premium beyond claims + ceiling margin, back to the resident pool
    loss_compensation: float  # the fund's share of the loss a policy change caused
    quality_deposit: float  # withheld from the premium until the annual assessment
    deposit_released: bool


def settle_insurer(
    premium: float, claims: float, ci: CriticalIllness, contract_claims: float | None = None
) -> InsurerSettlement:
    """The insurer's year under 保本微利 (朔州 大病保险方案 六(四)): 盈利率 3%-5% is its allowance.

    - a surplus above the ceiling (5%) is returned to the fund (资金结余结转); a margin between 0
      and the ceiling is the insurer's as it is: nothing tops a profit up to the floor;
    - a loss is shared only where 相关政策出现调整: the contract is priced on the policy in force
      when it was signed, whose claims are `contract_claims` (None: this run is that policy). The
      part of the loss the later change caused (claims above the contract's, at most the loss)
      is shared, the fund paying `policy_loss_fund_share` of it; the rest, 经营性亏损, 由承保公司
      全部承担."""
    gross = premium - claims
    surplus = comp = 0.0
    if premium <= 0:
        margin = gross
    elif gross > ci.margin_ceiling * premium:
        surplus = gross - ci.margin_ceiling * premium
        margin = ci.margin_ceiling * premium
    elif gross >= 0.0:
        margin = gross
    else:
        caused = 0.0 if contract_claims is None else max(claims - contract_claims, 0.0)
        comp = ci.policy_loss_fund_share * min(-gross, caused)
        margin = gross + comp
    return InsurerSettlement(
        premium=premium,
        claims=claims,
        margin=margin,
        margin_rate=margin / premium if premium > 0 else 0.0,
        surplus_returned=surplus,
        loss_compensation=comp,
        quality_deposit=ci.quality_deposit_rate * premium,
        deposit_released=ci.deposit_released,
    )


# ---------------------------------------------------------------------------- the rules of one person
@rule
def band_payment(base, lower, upper, ratio):
    """The payment of one band of a schedule: `ratio` of the part of the year's base between the
    band's bounds (分段累进: each band pays its own ratio on the cost that falls in it)."""
    return ratio * min(max(base - lower, 0.0), upper - lower)


@rule
def critical_payment(best_schedule, base, reached):
    """大病 of the year: the best schedule's payment (the general terms or a tilt naming the person's
    category), never more than the base itself; 0 for a person the insurance does not reach."""
    return min(best_schedule, base) * reached
