"""Tier 5, the household out-of-pocket cap (封顶制, paid by the 暖心基金): the household's reasonable
cost still borne above its category's cap is paid at the scenario's share and split back to the
members in proportion to what each counted (临安 封顶制方案 二(二)-(三)).

Who: 二(一) 保障对象 are the certificate holders 的我区基本医疗保险参保人员: with
`requires_enrolment` an uninsured member counts nothing, sets no line and is paid nothing.
Which line: 二(三) 特困人员5000元、低保家庭3万元、低边家庭5万元: the 特困 line is the person's own (the
供养证 is personal; `personal` categories), the 3万/5万 lines the family's; a member holding a
personal line is settled on it alone, outside the family's pool."""

from __future__ import annotations

import numpy as np

from ..jit import rule
from ..parameters import CAT_BIT_OF, ScenarioModel, terms


@rule
def reasonable_cost(left0, left1, left2, outside_left, outside_share, oop):
    """The reasonable cost the cap counts (二(二)): the policy-range cost still borne after every tier,
    plus the assumed reasonable share of the out-of-catalogue cost still borne; never more than the
    person's OOP."""
    counted = max((left0 + left1) + left2, 0.0) + outside_share * max(outside_left, 0.0)
    return min(counted, oop)


@rule
def negative_list_off(still_borne, keep):
    """What counts after the departments' subsidies: the cost left, less the 负面清单 items, which never
    count (`keep` = 1 − their share)."""
    return max(still_borne, 0.0) * keep


@rule
def household_cap_payment(counted, cap, share):
    """二(三): the household's counted cost above its category's cap, paid at the fund's share."""
    return share * max(counted - cap, 0.0)


@rule
def member_part(household_paid, own_counted, household_counted):
    """The household's cap payment split back to a member in proportion to what they counted."""
    return household_paid * (own_counted / household_counted) if household_counted > 0 else 0.0


@rule
def covered(enrolled, requires_enrolment):
    """二(一): whether the cap covers the person (an insured member, where the scenario requires it)."""
    return enrolled or not requires_enrolment


@rule
def person_cap_payment(counted, line, share):
    """二(三) 特困人员5000元: a personal line's holder is paid, at the fund's share, what they alone
    counted above it."""
    return share * max(counted - line, 0.0)


@terms("keep", "cap_bits", "cap_amount", "cap_on", "cap_share", "cap_personal", "cap_needs_enrolment")
def cap_terms(p: ScenarioModel) -> dict:
    """The 负面清单 share kept (1 − share) and per cap line its category bit, amount and whether
    it is the person's own (the household driver, kernels._cap_chunk)."""
    fc = p.family_cap
    return dict(
        keep=1.0 - fc.negative_list_share,
        cap_bits=np.array([CAT_BIT_OF[c] for c in fc.cap], dtype=np.int64),
        cap_amount=np.array(list(fc.cap.values()), dtype=float),
        cap_on=bool(fc.enabled),
        cap_share=float(fc.share),
        cap_personal=np.array([c in fc.personal for c in fc.cap], dtype=bool),
        cap_needs_enrolment=bool(fc.requires_enrolment),
    )


@terms("out_share")
def reasonable_terms(p: ScenarioModel) -> dict:
    """The share of out-of-catalogue cost the cap counts as reasonable (the persons' loop,
    kernels._tiers_range, counts it with `reasonable_cost`)."""
    return dict(out_share=p.family_cap.out_of_catalogue_reasonable_share)
