"""Cost a hospital must bear, taken off the claim before any tier (毕节 医保扶贫方案):
- 二(四)4 大病专项救治: the 25 major diseases are paid by fixed quota (按病种定(限)额); cost above the
  quota is the hospital's and enters no tier;
- 二(六) the poor's out-of-catalogue spending is held within a share (10%) of the claim; the excess is
  borne by the hospital."""

from __future__ import annotations

import numpy as np

from ..parameters import CAT_BIT_OF, HospitalLiability


def hospital_liability(hl: HospitalLiability, arrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hospital_paid, total left, policy left) per sorted claim."""
    total = arrays.claim_total
    policy = arrays.claim_policy
    paid = np.zeros_like(total)
    if hl.disease_quota:
        quota = disease_quota(hl, arrays.disease_names)
        over = np.maximum(total - quota[arrays.claim_disease], 0.0) if len(total) else paid
        paid = paid + over
        total = total - over
        policy = np.minimum(policy, total)
    bits = out_of_catalogue_bits(hl)
    if bits:
        poor = (arrays.cat_mask[arrays.claim_person] & bits) != 0
        outside = total - policy
        # out-of-catalogue ≤ share × claim: with policy P kept, the claim may carry P·s/(1−s) outside
        s = hl.out_of_catalogue_share_max
        allowed = policy * s / (1.0 - s) if s < 1 else np.inf
        excess = np.where(poor, np.maximum(outside - allowed, 0.0), 0.0)
        paid = paid + excess
        total = total - excess
    return paid, total, policy


def disease_quota(hl: HospitalLiability, disease_names) -> np.ndarray:
    """The quota of each of the population's disease codes (inf: none)."""
    quota = np.full(len(disease_names), np.inf)
    for i, code in enumerate(disease_names):
        if code in hl.disease_quota:
            quota[i] = hl.disease_quota[code].quota
    return quota


def out_of_catalogue_bits(hl: HospitalLiability) -> int:
    """The category bits whose out-of-catalogue share is limited (0: no limit)."""
    if hl.out_of_catalogue_share_max is None or not hl.out_of_catalogue_categories:
        return 0
    return int(np.bitwise_or.reduce([CAT_BIT_OF[c] for c in hl.out_of_catalogue_categories]))
