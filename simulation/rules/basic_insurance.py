"""Tier 1, basic medical insurance (基本医保): deductible, ratio and fund caps per claim.

Terms are looked up in tables indexed [term set, scheme, setting, hospital level]; term set 0 is the
scheme's own terms and 1+k the scenario's `special_terms[k]` (e.g. Bijie's poor residents).
Unreferred claims are paid on the unreferred terms; what they lose against the referred terms is
kept apart (`extra`) because it is excluded from the critical-illness and assistance bases
(毕节 医保扶贫方案 二(七)).

The rules of one claim are the scalar functions at the end (`claim_payment`, `chain_deductible`,
`applied_ratio`, `claim_base`); the claims driver (kernels._claims_range) looks up the terms of
each claim in the tables below and keeps the year's running totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import PopulationError
from ..jit import rule
from ..parameters import (
    SCHEMES,
    SETTINGS,
    ScenarioModel,
    SettingTerms,
    Terms,
    category_bits,
    terms,
)

INPATIENT, OUTPATIENT, CHRONIC = 0, 1, 2


@dataclass(frozen=True)
class TermTables:
    deductible: np.ndarray  # [set, scheme, setting, level]
    ratio: np.ndarray
    per_year: np.ndarray  # [set, scheme, setting] bool
    unref_deductible: np.ndarray
    unref_ratio: np.ndarray
    unref_per_year: np.ndarray
    setting_cap: np.ndarray  # [set, scheme, setting]
    scheme_cap: np.ndarray  # [set, scheme]
    retiree_bonus: np.ndarray  # [scheme]
    retirement_age: np.ndarray  # [scheme]
    set_masks: np.ndarray  # category bit mask of each special set (0 for the base set)
    set_schemes: np.ndarray  # [set, scheme] bool: the set applies to the scheme
    level_pays: np.ndarray  # [level]
    level_in_city: np.ndarray  # [level] bool: a referral chain's deductible credit holds there
    level_referral: np.ndarray  # [level] bool: an admission there needs a referral


def _by_level(v, levels: list[str]) -> np.ndarray:
    if isinstance(v, dict):
        return np.array([float(v[lv]) for lv in levels])
    return np.full(len(levels), float(v))


def build_tables(p: ScenarioModel) -> TermTables:
    levels = list(p.hospital_levels)
    n_sets = 1 + len(p.basic_insurance.special_terms)
    shape = (n_sets, len(SCHEMES), len(SETTINGS), len(levels))
    t = {k: np.zeros(shape) for k in ("ded", "ratio", "uded", "uratio")}
    per_year = np.zeros(shape[:3], dtype=bool)
    uper_year = np.zeros(shape[:3], dtype=bool)
    setting_cap = np.full(shape[:3], np.inf)
    scheme_cap = np.full(shape[:2], np.inf)
    set_masks = np.zeros(n_sets, dtype=np.int64)
    set_schemes = np.zeros((n_sets, len(SCHEMES)), dtype=bool)
    set_schemes[0] = True

    def fill(k: int, j: int, s: int, st: SettingTerms):
        t["ded"][k, j, s] = _by_level(st.deductible, levels)
        t["ratio"][k, j, s] = _by_level(st.ratio, levels)
        per_year[k, j, s] = st.deductible_per == "year"
        un: Terms = st.unreferred or st
        t["uded"][k, j, s] = _by_level(un.deductible, levels)
        t["uratio"][k, j, s] = _by_level(un.ratio, levels)
        uper_year[k, j, s] = un.deductible_per == "year"
        setting_cap[k, j, s] = np.inf if st.annual_cap is None else st.annual_cap

    for j, scheme in enumerate(SCHEMES):
        sch = getattr(p.basic_insurance, scheme)
        for s, setting in enumerate(SETTINGS):
            fill(0, j, s, getattr(sch, setting))
        scheme_cap[0, j] = np.inf if sch.annual_cap is None else sch.annual_cap
    for k, sp in enumerate(p.basic_insurance.special_terms, start=1):
        set_masks[k] = category_bits(sp.categories)
        for j, scheme in enumerate(SCHEMES):
            set_schemes[k, j] = scheme in sp.schemes
            base = getattr(p.basic_insurance, scheme)
            for s, setting in enumerate(SETTINGS):
                fill(k, j, s, getattr(sp, setting) or getattr(base, setting))
            scheme_cap[k, j] = np.inf if sp.uncapped else scheme_cap[0, j]
    return TermTables(
        deductible=t["ded"],
        ratio=t["ratio"],
        per_year=per_year,
        unref_deductible=t["uded"],
        unref_ratio=t["uratio"],
        unref_per_year=uper_year,
        setting_cap=setting_cap,
        scheme_cap=scheme_cap,
        retiree_bonus=np.array([getattr(p.basic_insurance, s).retiree_ratio_bonus for s in SCHEMES]),
        retirement_age=np.array([getattr(p.basic_insurance, s).retirement_age for s in SCHEMES]),
        set_masks=set_masks,
        set_schemes=set_schemes,
        level_pays=np.array([p.hospital_levels[lv].pays for lv in levels]),
        level_in_city=np.array([p.hospital_levels[lv].in_city for lv in levels], dtype=bool),
        level_referral=np.array([p.hospital_levels[lv].referral_required for lv in levels], dtype=bool),
    )


@terms("ded_t", "ratio_t", "per_year_t", "uded_t", "uratio_t", "uper_year_t", "setting_cap_t", "scheme_cap_t",
       "retiree_bonus", "retirement_age", "level_pays", "set_masks", "set_schemes", "level_in_city",
       "level_referral")  # fmt: skip
def claim_terms(p: ScenarioModel) -> dict:
    """`build_tables` as the claims' loop reads them (kernels._claims_range)."""
    t = build_tables(p)
    return dict(
        ded_t=t.deductible,
        ratio_t=t.ratio,
        per_year_t=t.per_year,
        uded_t=t.unref_deductible,
        uratio_t=t.unref_ratio,
        uper_year_t=t.unref_per_year,
        setting_cap_t=t.setting_cap,
        scheme_cap_t=t.scheme_cap,
        retiree_bonus=t.retiree_bonus.astype(float),
        retirement_age=t.retirement_age.astype(float),
        level_pays=t.level_pays,
        set_masks=t.set_masks,
        set_schemes=t.set_schemes,
        level_in_city=t.level_in_city,
        level_referral=t.level_referral,
    )


def map_levels(level_names: np.ndarray, p: ScenarioModel, source: str) -> np.ndarray:
    """Index of each population level name in the scenario's hospital levels."""
    levels = list(p.hospital_levels)
    lookup = {lv: i for i, lv in enumerate(levels)}
    out = np.empty(len(level_names), dtype=np.int64)
    for i, name in enumerate(level_names):
        if name not in lookup:
            raise PopulationError(
                f"{source} claims: column 'hospital_level': level '{name}' is not defined in "
                f"scenario '{p.id}' (defined: {', '.join(levels)})"
            )
        out[i] = lookup[name]
    return out


# ---------------------------------------------------------------------------- the rules of one claim
@rule
def applied_ratio(ratio, retiree_bonus):
    """The claim's ratio: the terms' ratio plus the retiree bonus (退休人员), at most 100%."""
    return min(ratio + retiree_bonus, 1.0)


@rule
def paid_as_referred(referred, required):
    """Whether a claim is paid on the referred terms (毕节 医保扶贫方案 二(七) 参保人员在县级以上定点
    医疗机构住院治疗全部实行电子转诊; 表1 不需转诊起付线同经转诊): an admission at a level needing no
    referral (`required` false, e.g. the township hospitals) keeps its terms without one."""
    return referred or not required


@rule
def chain_of(chain, in_city):
    """The referral chain of a claim as the deductible rule reads it (毕节 医保扶贫方案 二(四)1
    参保患者在市内定点医疗机构间双向转诊，只收一次起付线): an admission at a hospital outside the city
    (`in_city` false: provincial, out-of-province) is in no chain (-1), so it pays its own full
    deductible and gives no credit to the chain's later admissions."""
    return chain if in_city else -1


@rule
def chain_deductible(deductible, highest_paid):
    """One deductible per referral chain (毕节 医保扶贫方案 二(四)1): an admission in a chain pays only
    what its deductible exceeds the highest one already paid in the chain (an upward transfer tops up
    the difference, a downward one pays none). Chains hold the city's hospitals only (`chain_of`)."""
    return max(deductible - highest_paid, 0.0)


@rule
def claim_payment(deductible, ratio, per_year, earlier, insured_cost, used, setting_cap, capped, scheme_used,
                  scheme_cap):  # fmt: skip
    """Tier 1 of one claim on one set of terms: (payment after the setting and scheme caps, the
    deductible part, payment before the caps, the scheme's running total after it).

    The deductible is per admission, or per year (`per_year`: what `earlier` policy cost of the year
    in the setting has not yet paid); the ratio applies above it; the setting's annual cap counts
    the setting's running payment `used`, the scheme's (inpatient and chronic, `capped`) its own."""
    if per_year:
        applied = min(max(deductible - earlier, 0.0), insured_cost)
    else:
        applied = min(insured_cost, deductible)
    raw = ratio * (insured_cost - applied)
    if setting_cap < np.inf:
        paid = min(used + raw, setting_cap) - min(used, setting_cap)
    else:
        paid = raw
    if capped and scheme_cap < np.inf:
        kept = min(scheme_used + paid, scheme_cap) - min(scheme_used, scheme_cap)
        scheme_used += paid
        paid = kept
    return paid, applied, raw, scheme_used


@rule
def claim_base(policy, paid, unreferred_loss):
    """The policy-range cost the claim leaves for the later tiers' bases: what basic insurance did
    not pay, less what not being referred cost (毕节 二(七): outside the 大病 and assistance bases)."""
    return max(policy - paid - unreferred_loss, 0.0)
