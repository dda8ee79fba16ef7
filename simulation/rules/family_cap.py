"""Tier 5, the household out-of-pocket cap (封顶制, paid by the 暖心基金): the household's reasonable
cost still borne above its category's cap is paid at the scenario's share and split back to the
members in proportion to what each counted (临安 封顶制方案 二(二)-(三))."""

from __future__ import annotations

from ..jit import rule


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
