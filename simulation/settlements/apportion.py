"""Each settlement's share of every payer, in cents, from one `simulate` run.

The engine pays basic insurance claim by claim (`Result.claim_arrays()["claim_basic"]`) and the
hospital's part claim by claim; the later tiers are paid on a person's year (大病, mutual aid,
assistance and the supplement per person x setting; the supplement's out-of-catalogue part, the
departments' subsidies and the household cap per person). The platform settles them settlement by
settlement, so a person's year is apportioned to their settlements by a stated rule (no rule of the
policy texts is computed here; the amounts come from `simulate`):

- rule A, for 大病, mutual aid, assistance and the supplement's policy-range part: pro rata to each
  claim's eligible remainder (`claim_base`, the policy-range cost basic insurance left for the later
  tiers' bases) within the person x setting; where the person x setting has no base, pro rata to
  the policy-range cost basic insurance did not pay, then to the cost;
- rule B, for the supplement's out-of-catalogue part, the departments' subsidies and the cap: pro
  rata to what each claim still leaves the person after basic insurance and rule A, within the
  person; where nothing is left, pro rata to the cost.

Every payer is rounded to the cent per settlement, as the platform settles (its amounts are 16,2),
and the person's part is the settlement's cost less every payer, in cents: so a settlement adds up
exactly (medfee = funds + person + hospital) and any sum of settlements is a sum of whole cents.

Which aggregates do not depend on the rule (`EXACT_LEVELS`): basic insurance, the hospital's part,
cost and policy-range cost are per claim in the engine: exact at every level. Rule A's payers are
exact at any level that keeps each person x setting whole (setting, category, scheme, and their
combinations), not by hospital level or month. Rule B's payers and the person's part (which takes
what rule B leaves) are exact at levels that keep each person whole (category, scheme), not by
setting, hospital level or month. "Exact" means equal to `simulate`'s per-person columns summed,
within half a cent a settlement (the rounding).
"""

from __future__ import annotations

import numpy as np

from ..registry import PERSON_PAYERS
from ..result import Result

# model column -> the aggregation dimensions at which its apportioned sum is exact
EXACT_LEVELS: dict[str, tuple[str, ...]] = {
    "total_cost": ("hospital_level", "setting", "category", "month"),
    "policy_cost": ("hospital_level", "setting", "category", "month"),
    "basic_paid": ("hospital_level", "setting", "category", "month"),
    "hospital_paid": ("hospital_level", "setting", "category", "month"),
    "critical_paid": ("setting", "category"),
    "mutual_aid_paid": ("setting", "category"),
    "assistance_paid": ("setting", "category"),
    "family_planning_paid": ("setting", "category"),
    "supplement_paid": ("category",),
    # the payers of the person's year (rule B): other_paid, cap_paid, ...
    **{k: ("category",) for k in PERSON_PAYERS},
    "oop": ("category",),
}
MODEL_COLUMNS: tuple[str, ...] = tuple(EXACT_LEVELS)


def shares(weight: np.ndarray, group: np.ndarray, n_groups: int, *fallbacks: np.ndarray) -> np.ndarray:
    """Each row's share of its group: pro rata to `weight` (negative parts count as 0), or to the
    first fallback with a positive sum in a group whose weights sum to 0, else equal shares."""
    share = np.zeros(len(group))
    todo = np.ones(n_groups, dtype=bool)
    for w in (weight, *fallbacks, np.ones(len(group))):
        w = np.maximum(w, 0.0)
        tot = np.bincount(group, weights=w, minlength=n_groups)
        use = todo & (tot > 0)
        rows = use[group]
        share[rows] = w[rows] / tot[group[rows]]
        todo &= ~use
        if not todo.any():
            break
    return share


def cents(x: np.ndarray) -> np.ndarray:
    """Yuan to whole cents (round half to even, as numpy rounds)."""
    return np.rint(np.asarray(x, dtype=float) * 100.0).astype(np.int64)


def claim_payments(res: Result) -> dict[str, np.ndarray]:
    """Every payer's share of each claim, in cents (int64), in the row order of the population's
    claims table: `MODEL_COLUMNS` (cost, policy-range cost, each `*_paid`, `oop`)."""
    c = res.claim_arrays()
    person = c["claim_person"]
    setting = c["claim_setting"].astype(np.int64)
    n_persons = len(c["supplement_outside"])
    ps = person * 3 + setting
    basic = c["claim_basic"]
    total_used = c["claim_total_used"]
    policy_left = c["claim_policy_used"] - basic
    share_a = shares(c["claim_base"], ps, 3 * n_persons, policy_left, total_used)
    a = {
        k: c[k3][person, setting] * share_a
        for k, k3 in (
            ("critical_paid", "critical3"),
            ("mutual_aid_paid", "mutual3"),
            ("assistance_paid", "assistance3"),
            ("family_planning_paid", "family_planning3"),
            ("supplement_paid", "supplement3"),
        )
    }
    left = (
        total_used
        - basic
        - (
            a["critical_paid"]
            + a["mutual_aid_paid"]
            + a["assistance_paid"]
            + a["family_planning_paid"]
            + a["supplement_paid"]
        )
    )
    share_b = shares(left, person, n_persons, total_used)
    out_cents = {
        "total_cost": cents(c["claim_total"]),
        "policy_cost": cents(c["claim_policy"]),
        "basic_paid": cents(basic),
        "critical_paid": cents(a["critical_paid"]),
        "mutual_aid_paid": cents(a["mutual_aid_paid"]),
        "assistance_paid": cents(a["assistance_paid"]),
        "family_planning_paid": cents(a["family_planning_paid"]),
        "supplement_paid": cents(a["supplement_paid"] + c["supplement_outside"][person] * share_b),
        **{k: cents(c[k][person] * share_b) for k in PERSON_PAYERS},
        "hospital_paid": cents(c["claim_hospital"]),
    }
    paid = sum(out_cents[k] for k in MODEL_COLUMNS if k.endswith("_paid"))
    out_cents["oop"] = out_cents["total_cost"] - paid
    # the engine's order (by person, month, row) back to the claims table's rows
    order = c["claim_order"]
    out = {}
    for k in MODEL_COLUMNS:
        v = np.empty(len(order), dtype=np.int64)
        v[order] = out_cents[k]
        out[k] = v
    return out
