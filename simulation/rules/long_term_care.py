"""Long-term care insurance (长期护理保险), an independent fund beside the medical tiers.

嘉兴 共富方案 二(二)6: 覆盖全民、城乡一体 (employees and residents alike), 多方筹资 (individual,
the medical pool and the government), 重度失能人员 "一个不漏、应享尽享" (everyone at the qualifying
care level is paid), 基础服务项目 (a basic care package paid by the fund). Care is not a medical
claim: its cost, benefit and out-of-pocket part are their own columns (`ltc_*`, none ending in
`_paid`), so the medical identity `total_cost = Σ *_paid + oop` is untouched.

Per person and year, vectorised (table look-ups, no loop over persons):

    insured  = enrolled and the person's scheme is covered
    cost     = months × care_cost[setting][care_need]            (0 without care need)
    benefit  = months × min(ratio[setting] × care_cost, monthly_limit[setting][care_need])
               for insured persons with care_need ≥ min_level, else 0
    oop      = cost − benefit
    individual + subsidy = financing[scheme].individual (the subsidy: the government pays it for
               persons holding a subsidised category, 资助参保)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..parameters import CARE_LEVELS, CARE_SETTINGS, CAT_BIT_OF, SCHEMES, LongTermCare


@dataclass(frozen=True)
class LtcArrays:
    """Per-person long-term-care amounts of one year (yuan, unweighted)."""

    insured: np.ndarray  # bool: contributes to and is covered by the fund
    eligible: np.ndarray  # bool: insured and care_need ≥ min_level
    cost: np.ndarray  # cost of the basic care package over the year
    benefit: np.ndarray  # paid by the fund
    oop: np.ndarray  # cost − benefit, borne by the person
    individual: np.ndarray  # individual contribution the person pays
    subsidy: np.ndarray  # individual contribution the government pays (资助参保)
    pool_transfer: np.ndarray  # transferred from the medical pool for the person
    fiscal: np.ndarray  # fiscal subsidy per person (besides `subsidy`)
    employee: np.ndarray  # bool: the person's scheme is employee (for the pool transfer)


def insured(ltc: LongTermCare, employee: np.ndarray, enrolled: np.ndarray) -> np.ndarray:
    """Enrolled persons of a covered scheme (覆盖全民: both schemes in the Jiaxing preset)."""
    covered = np.array([s in ltc.schemes for s in SCHEMES])
    return enrolled & covered[np.where(employee, 0, 1)]


def monthly_tables(ltc: LongTermCare) -> tuple[np.ndarray, np.ndarray]:
    """(cost, benefit) per month, shape (2 settings, 4 care levels 0-3); level 0 costs nothing."""
    cost = np.zeros((len(CARE_SETTINGS), len(CARE_LEVELS) + 1))
    benefit = np.zeros_like(cost)
    for i, st in enumerate(CARE_SETTINGS):
        terms = ltc.settings.get(st)
        if terms is None:
            continue
        for lv in CARE_LEVELS:
            c = terms.care_cost.get(lv, 0.0)
            limit = terms.monthly_limit.get(lv, np.inf)
            cost[i, int(lv)] = c
            if int(lv) >= ltc.min_level:
                benefit[i, int(lv)] = min(terms.ratio * c, limit)
    return cost, benefit


def care_payment(
    ltc: LongTermCare, care_need: np.ndarray, institution: np.ndarray, is_insured: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(cost, benefit) of each person's year of care."""
    cost_m, benefit_m = monthly_tables(ltc)
    level = np.clip(care_need, 0, len(CARE_LEVELS)).astype(np.int64)
    setting = institution.astype(np.int64)
    cost = ltc.months * cost_m[setting, level]
    benefit = ltc.months * benefit_m[setting, level] * is_insured
    return cost, benefit


def scheme_rates(ltc: LongTermCare, name: str) -> np.ndarray:
    """The financing item `name` (individual, pool_transfer, fiscal) per scheme, yuan a year."""
    return np.array([getattr(ltc.financing[s], name) if s in ltc.financing else 0.0 for s in SCHEMES])


def contributions(
    ltc: LongTermCare, employee: np.ndarray, is_insured: np.ndarray, cat_mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(individual paid by the person, individual paid by the government, pool transfer, fiscal)."""

    def per_scheme(name: str) -> np.ndarray:
        return scheme_rates(ltc, name)[np.where(employee, 0, 1)] * is_insured

    individual = per_scheme("individual")
    bits = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in ltc.subsidised_categories] or [0])
    subsidised = (cat_mask & bits) != 0
    subsidy = np.where(subsidised, individual, 0.0)
    return individual - subsidy, subsidy, per_scheme("pool_transfer"), per_scheme("fiscal")


def long_term_care(
    ltc: LongTermCare,
    care_need: np.ndarray,
    institution: np.ndarray,
    employee: np.ndarray,
    enrolled: np.ndarray,
    cat_mask: np.ndarray,
) -> LtcArrays | None:
    """The year's long-term-care arrays, or None when the scenario has no such fund."""
    if not ltc.enabled:
        return None
    ins = insured(ltc, employee, enrolled)
    cost, benefit = care_payment(ltc, care_need, institution, ins)
    individual, subsidy, pool, fiscal = contributions(ltc, employee, ins, cat_mask)
    return LtcArrays(
        insured=ins,
        eligible=ins & (care_need >= ltc.min_level),
        cost=cost,
        benefit=benefit,
        oop=cost - benefit,
        individual=individual,
        subsidy=subsidy,
        pool_transfer=pool,
        fiscal=fiscal,
        employee=np.asarray(employee, dtype=bool),
    )


def year_long_term_care(ltc: LongTermCare, pop, cat_mask: np.ndarray, *, fast: bool = True):
    """`long_term_care` on a Population (its encoded care_need/care_setting and other arrays);
    `fast`: in one compiled pass (kernels.ltc_pass), held equal to the numpy rules by the tests.
    None when the scenario has no such fund."""
    if not ltc.enabled:
        return None
    a = pop.arrays
    if not fast:
        return long_term_care(ltc, a.care_need, a.institution, a.employee, a.enrolled, cat_mask)
    from .. import kernels

    cost_m, benefit_m = monthly_tables(ltc)
    bits = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in ltc.subsidised_categories] or [0])
    covered = np.array([s in ltc.schemes for s in SCHEMES])
    ins, eligible, cost, benefit, oop, individual, subsidy, pool, fiscal = kernels.ltc_pass(
        a.care_need, a.institution, a.employee, a.enrolled, cat_mask, covered, cost_m, benefit_m,
        float(ltc.months), int(ltc.min_level), scheme_rates(ltc, "individual"),
        scheme_rates(ltc, "pool_transfer"), scheme_rates(ltc, "fiscal"), int(bits),
    )  # fmt: skip
    return LtcArrays(
        insured=ins, eligible=eligible, cost=cost, benefit=benefit, oop=oop, individual=individual,
        subsidy=subsidy, pool_transfer=pool, fiscal=fiscal, employee=np.asarray(a.employee, dtype=bool),
    )  # fmt: skip


LTC_PART_KEYS = (
    "ltc_insured",
    "ltc_beneficiaries",
    "ltc_cost",
    "ltc_benefit",
    "ltc_oop",
    "ltc_individual",
    "ltc_contribution_subsidy",
    "ltc_pool_transfer",
    "ltc_pool_transfer_employee",
    "ltc_fiscal",
)


def ltc_parts(ltc: LtcArrays | None, weight: np.ndarray) -> dict[str, float]:
    """Additive weighted totals (yuan, persons); zeros when the scenario has no such fund.

    `ltc_fiscal` is the government's whole outlay: its per-capita subsidy plus the individual
    contributions it pays for subsidised persons (`ltc_contribution_subsidy`)."""
    out = dict.fromkeys(LTC_PART_KEYS, 0.0)
    if ltc is None:
        return out
    from ..kernels import ltc_sums  # one pass over the arrays, on the cores

    sums = ltc_sums(
        weight, ltc.insured, ltc.employee, ltc.cost, ltc.benefit, ltc.oop, ltc.individual, ltc.pool_transfer,
        ltc.subsidy, ltc.fiscal,
    )  # fmt: skip
    keys = ("insured", "beneficiaries", "cost", "benefit", "oop", "individual", "pool_transfer",
            "pool_transfer_employee", "contribution_subsidy")  # fmt: skip
    out.update((f"ltc_{k}", float(v)) for k, v in zip(keys, sums[:9]))
    out["ltc_fiscal"] = float(sums[9]) + out["ltc_contribution_subsidy"]
    return out


def ltc_figures(parts: dict) -> dict[str, float]:
    """Summary figures from (summed) parts: the totals, `ltc_income` (individual + pool + fiscal)
    and `ltc_benefit_rate` (benefit / cost of care)."""
    out = {k: parts[k] for k in LTC_PART_KEYS}
    out["ltc_income"] = out["ltc_individual"] + out["ltc_pool_transfer"] + out["ltc_fiscal"]
    out["ltc_benefit_rate"] = out["ltc_benefit"] / out["ltc_cost"] if out["ltc_cost"] > 0 else 0.0
    return out
