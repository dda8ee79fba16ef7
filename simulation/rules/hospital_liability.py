"""Cost a hospital must bear, taken off the claim before any tier (毕节 医保扶贫方案):
- 二(四)4 大病专项救治: the 25 major diseases are paid by fixed quota (按病种定(限)额); cost above the
  quota is the hospital's and enters no tier. The quotas are the poverty plan's: they bind the
  cases of the categories it covers (`disease_quota_categories`), not a non-poor patient's;
- 二(六) the poor's out-of-catalogue spending is held within a share (10%) of the claim; the excess is
  borne by the hospital. The text's share is 总体 (overall, over a hospital's year of the poor's
  care); the claims carry no hospital, so it is read per claim, an assumption whose effect the
  preset states (a claim's own share above 10% is borne even where the hospital's year is under)."""

from __future__ import annotations

import numpy as np

from ..jit import rule
from ..parameters import HospitalLiability, category_bits


def disease_quota(hl: HospitalLiability, disease_names) -> np.ndarray:
    """The quota of each of the population's disease codes (inf: none)."""
    quota = np.full(len(disease_names), np.inf)
    for i, code in enumerate(disease_names):
        if code in hl.disease_quota:
            quota[i] = hl.disease_quota[code].quota
    return quota


def quota_category_bits(hl: HospitalLiability) -> int:
    """The category bits of the cases the disease quotas bind (`disease_quota_categories`; 0: all)."""
    return category_bits(hl.disease_quota_categories)


def out_of_catalogue_bits(hl: HospitalLiability) -> int:
    """The category bits whose out-of-catalogue share is limited (0: no limit)."""
    if hl.out_of_catalogue_share_max is None or not hl.out_of_catalogue_categories:
        return 0
    return category_bits(hl.out_of_catalogue_categories)


# ---------------------------------------------------------------------------- the rules of one claim
@rule
def quota_binds(person_bits, quota_bits):
    """二(四)4: 大病专项救治 is the poverty plan's, so a disease's quota binds the cases of its
    categories (`quota_bits`, 0: every patient's); another patient's claim has no quota."""
    return quota_bits == 0 or (person_bits & quota_bits) != 0


@rule
def quota_excess(total, quota):
    """二(四)4: the cost of a quota disease above its quota, borne by the hospital."""
    return max(total - quota, 0.0)


@rule
def out_of_catalogue_excess(total, policy, share):
    """二(六): a limited person's out-of-catalogue cost above `share` of the claim, borne by the
    hospital. With the policy-range cost P kept, the claim may carry P·s/(1−s) outside it."""
    allowed = policy * share / (1.0 - share) if share < 1 else np.inf
    return max((total - policy) - allowed, 0.0)
