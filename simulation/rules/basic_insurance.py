"""Tier 1, basic medical insurance (基本医保): deductible, ratio and fund caps per claim.

Terms are looked up in tables indexed [term set, scheme, setting, hospital level]; term set 0 is the
scheme's own terms and 1+k the scenario's `special_terms[k]` (e.g. Bijie's poor residents).
Unreferred claims are paid on the unreferred terms; what they lose against the referred terms is
kept apart (`extra`) because it is excluded from the critical-illness and assistance bases
(毕节 医保扶贫方案 二(七)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import PopulationError
from ..parameters import (
    CAT_BIT_OF,
    SCHEMES,
    SETTINGS,
    ScenarioModel,
    SettingTerms,
    Terms,
)
from .groups import capped_increments, group_cumsum

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
        set_masks[k] = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in sp.categories] or [0])
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


def person_term_set(cat_mask: np.ndarray, scheme: np.ndarray, tables: TermTables) -> np.ndarray:
    """Index of the term set each person is paid on: the first special set that applies, else 0."""
    out = np.zeros(len(cat_mask), dtype=np.int64)
    for k in range(len(tables.set_masks) - 1, 0, -1):  # reverse so the first listed set wins
        hit = ((cat_mask & tables.set_masks[k]) != 0) & tables.set_schemes[k][scheme]
        out[hit] = k
    return out


@dataclass
class BasicResult:
    paid: np.ndarray  # per claim, basic fund payment
    deductible_part: np.ndarray  # policy cost under the deductible, on the referred terms
    extra: np.ndarray  # what not being referred cost the patient (outside later bases)
    base: np.ndarray  # policy cost left after basic on referred terms (critical/assistance base)


def _deductible_and_ratio_pay(policy, ded, ratio, per_year, run_key):
    """Deductible (per admission, or running within person x setting over the year) then ratio.

    Claims must be grouped by `run_key` (person x setting)."""
    applied = np.minimum(policy, ded)
    if per_year.any():
        earlier = group_cumsum(run_key, policy) - policy  # policy cost earlier in the year
        applied = np.where(per_year, np.clip(ded - earlier, 0.0, policy), applied)
    return ratio * (policy - applied), applied


def chain_deductible(ded: np.ndarray, cp: np.ndarray, chain: np.ndarray, setting: np.ndarray) -> np.ndarray:
    """One deductible per referral chain (毕节 医保扶贫方案 二(四)1): within a person's chain, in month
    order, an admission pays only what its deductible exceeds the highest one already paid: an upward
    transfer tops up the difference, a downward one pays none."""
    inchain = (chain >= 0) & (setting == INPATIENT)
    if not inchain.any():
        return ded
    idx = np.flatnonzero(inchain)
    g = idx[np.lexsort((idx, chain[idx], cp[idx]))]  # grouped by (person, chain), month order kept
    start = np.ones(len(g), dtype=bool)
    start[1:] = (cp[g][1:] != cp[g][:-1]) | (chain[g][1:] != chain[g][:-1])
    gid = np.cumsum(start) - 1
    d = ded[g]
    big = float(d.max()) + 1.0  # offsets keep the running max inside each group
    running = np.maximum.accumulate(d + gid * big) - gid * big
    prior = np.empty_like(running)
    prior[0] = 0.0
    prior[1:] = running[:-1]
    prior[start] = 0.0
    out = ded.copy()
    out[g] = np.maximum(d - prior, 0.0)
    return out


def basic_insurance(
    arrays, level: np.ndarray, tables: TermTables, term_set: np.ndarray, insured: np.ndarray
) -> BasicResult:
    """Tier 1 per claim. `level` is the scenario level index of each (sorted) claim."""
    cp = arrays.claim_person
    setting = arrays.claim_setting.astype(np.int64)
    scheme = np.where(arrays.employee[cp], 0, 1)
    tset = term_set[cp]
    policy = arrays.claim_policy
    facility_pays = tables.level_pays[level]
    fund_pays = facility_pays & insured[cp]
    policy_in = np.where(fund_pays, policy, 0.0)

    bonus = np.where(arrays.age[cp] >= tables.retirement_age[scheme], tables.retiree_bonus[scheme], 0.0)
    idx = (tset, scheme, setting, level)
    ratio_ref = np.minimum(tables.ratio[idx] + bonus, 1.0)
    ded_ref = chain_deductible(tables.deductible[idx], cp, arrays.claim_chain, setting)
    per_year_ref = tables.per_year[tset, scheme, setting]
    setting_cap = tables.setting_cap[tset, scheme, setting]
    scheme_cap = tables.scheme_cap[tset, scheme]
    capped_settings = setting != OUTPATIENT

    # person x setting runs (deductible per year, setting caps) need that grouping
    order, inv = arrays.claim_ps_order, arrays.claim_ps_inverse
    run_key = (cp * 3 + setting)[order]

    def pay(ded, ratio, per_year):
        raw_o, applied_o = _deductible_and_ratio_pay(
            policy_in[order], ded[order], ratio[order], per_year[order], run_key
        )
        if np.isfinite(setting_cap).any():
            raw_o = capped_increments(run_key, raw_o, setting_cap[order])
        raw, applied = raw_o[inv], applied_o[inv]
        # the scheme cap runs over the person's inpatient + chronic claims in month order
        if np.isfinite(scheme_cap).any():
            kept = capped_increments(cp, np.where(capped_settings, raw, 0.0), scheme_cap)
            raw = np.where(capped_settings, kept, raw)
        return raw, applied

    paid_ref, applied_ref = pay(ded_ref, ratio_ref, per_year_ref)
    extra = np.zeros_like(paid_ref)
    paid = paid_ref
    unref = ~arrays.claim_referred
    if unref.any():
        paid_act, _ = pay(
            np.where(
                unref,
                chain_deductible(tables.unref_deductible[idx], cp, arrays.claim_chain, setting),
                ded_ref,
            ),
            np.where(unref, np.minimum(tables.unref_ratio[idx] + bonus, 1.0), ratio_ref),
            np.where(unref, tables.unref_per_year[tset, scheme, setting], per_year_ref),
        )
        paid = np.where(unref, paid_act, paid_ref)
        extra = np.where(unref, np.maximum(paid_ref - paid_act, 0.0), 0.0)
    # a facility the insurance never pays puts nothing in any later policy base either; an
    # uninsured person's policy cost stays in the base (assistance may still apply)
    base = np.where(facility_pays, np.maximum(policy - paid - extra, 0.0), 0.0)
    applied_ref = np.where(facility_pays, np.where(fund_pays, applied_ref, policy), 0.0)
    return BasicResult(paid=paid, deductible_part=applied_ref, extra=extra, base=base)
