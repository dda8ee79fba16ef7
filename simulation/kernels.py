"""The loops that run the rules of `simulation.rules` over claims, persons and households.

Each rule is a scalar function in `simulation.rules` (compiled inline, `simulation.jit`); these
loops look up its inputs and keep the running totals: `_claims_range` walks a person's claims (sorted
by month) and does tier 1 with every running total (per-year deductibles, referral chains, setting
and scheme caps, the unreferred terms) while summing person x setting totals; `_tiers_range`
evaluates tiers 2-4 under each category a person holds, keeping the best (就高不重复); then the
subsidies and household cap (`_cap_chunk`), 政策找人 (`_found_range`), warnings, premium subsidy and
the summary's sums (`_person_sums`). `year_pass` runs them all block by block of whole households,
in the cache (a population whose households are scattered runs grouped: engine.run_year);
tests/test_drivers.py holds serial equal to parallel and the plain-Python run equal to the compiled.

Compiled with numba (`cache=True`: the machine code is kept on disk in __pycache__, so only the
first run on a machine pays the compile time; `python -m simulation warmup` compiles every variant).
"""

from __future__ import annotations

import os
import types

import numba
import numpy as np
from numba import njit, prange

from .parameters import row_terms
from .rules.basic_insurance import (
    applied_ratio,
    chain_deductible,
    chain_of,
    claim_base,
    claim_payment,
    claim_terms,
    paid_as_referred,
)
from .rules.critical_illness import band_payment, covered_terms, critical_payment, critical_terms
from .rules.family_cap import (
    cap_terms,
    covered,
    household_cap_payment,
    member_part,
    negative_list_off,
    person_cap_payment,
    reasonable_cost,
    reasonable_terms,
)
from .rules.flags import (
    expenditure_poor,
    found_terms,
    household_terms,
    oop_share,
    warned,
    warning_applies,
    warning_terms,
)
from .rules.hospital_liability import out_of_catalogue_excess, quota_binds, quota_excess
from .rules.long_term_care import care_year, contribution, financing_item, insured
from .rules.long_term_care import eligible as care_eligible
from .rules.medical_assistance import assistance_base, assistance_payment, assistance_terms
from .rules.mutual_aid import contribution_subsidy, contribution_terms, plan_payment, plan_terms
from .rules.other_subsidies import eligible, subsidy_payment, subsidy_terms
from .rules.premium_subsidy import premium_terms, rule_met
from .rules.supplement import (
    fiscal_terms,
    fiscally_enrolled,
    listed_cost,
    supplement_payment,
    supplement_terms,
    take_up,
)

INPATIENT, OUTPATIENT, CHRONIC = 0, 1, 2
# Every index here is >= 0 (rows, claims, households, codes: validated on input), but numba adds a
# negative-index fix to each signed array index (shift, and, add per array and row). `i & NONNEG`
# tells the compiler the sign bit is clear, which removes them: 15% fewer instructions in the year
# pass (callgrind, 1e5 persons), 7-9% less time.
NONNEG = np.int64(0x7FFFFFFFFFFFFFFF)


# each loop's tables from the scenario, the tiers' builders (parameters.terms, beside the rules) in
# the order of its parameters: simulation.records composes the loop's record from them
CLAIM_TERMS = (claim_terms,)


@njit(cache=True, nogil=True)
def _claims_range(
    lo,
    hi,
    row0,
    offsets,
    setting,
    level,
    chain,
    referred,
    policy,
    total,
    hospital,
    out_of_city,
    ooc_lowest,
    ma_from_base,
    employee,
    age,
    cat_mask,
    insured,
    ded_t,
    ratio_t,
    per_year_t,
    uded_t,
    uratio_t,
    uper_year_t,
    setting_cap_t,
    scheme_cap_t,
    retiree_bonus,
    retirement_age,
    level_pays,
    set_masks,
    set_schemes,
    level_in_city,
    level_referral,
    any_unreferred,
    any_hospital,
    paid,
    base,
    total3,
    policy3,
    basic3,
    base3,
    ded3,
    extra3,
    hospital3,
    excl3,
    local_share,
):
    """Tier 1 per claim and the person x setting sums; see rules.basic_insurance for each rule.

    Persons lo..hi. Writes `paid` and `base` per claim and the (n, 3) sums
    of total, policy, basic, base, deductible part, extra, hospital cost and the assistance base
    of out-of-city claims at or above code `ooc_lowest` (rules.medical_assistance.out_of_city_excluded;
    3: none); base, deductible part and the out-of-city base at row p - row0 (a block's scratch).
    With such claims, `local_share[p]`: the share of what the person's claims leave after basic
    insurance that is left on the others (rules.flags.expenditure_poor counts that part of the OOP
    for 第二类: 本市定点 only)."""
    any_ooc = ooc_lowest < 3
    # each person's row of every sum is written once, at the end of its claims (no zeroed arrays,
    # no read-modify-write in memory)
    earlier = np.zeros(3)  # policy-range cost earlier in the year, per setting
    used_r = np.zeros(3)  # running raw payment per setting (setting caps), referred terms
    used_a = np.zeros(3)  # the same on the terms actually applied (unreferred claims)
    acc = np.zeros((8, 3))  # the person's sums: total, policy, basic, base, deductible, extra, hospital, excl
    for p in range(lo, hi):
        p &= NONNEG
        i = offsets[p] & NONNEG
        j = offsets[p + 1] & NONNEG
        acc[:, :] = 0.0  # (no claim this year: the loop below is empty, the sums are zeros)
        ooc_left = 0.0  # what the excluded out-of-city claims leave after basic insurance
        sch = 0 if employee[p] else 1
        # the term set: the first special set whose categories and scheme the person has, else 0
        # (rules.basic_insurance.person_term_set)
        ts = 0
        if cat_mask[p] != 0:
            for k in range(1, len(set_masks)):
                if (cat_mask[p] & set_masks[k]) != 0 and set_schemes[k, sch]:
                    ts = k
                    break
        bonus = retiree_bonus[sch] if age[p] >= retirement_age[sch] else 0.0
        scap = scheme_cap_t[ts, sch]
        earlier[:] = 0.0
        used_r[:] = 0.0
        used_a[:] = 0.0
        sch_used_r = 0.0
        sch_used_a = 0.0
        for k in range(i, j):
            k &= NONNEG
            s = setting[k] & NONNEG
            lv = level[k] & NONNEG
            pol = policy[k]
            fp = level_pays[lv]
            pin = pol if (fp and insured[p]) else 0.0
            d_ref = ded_t[ts, sch, s, lv]
            d_un = uded_t[ts, sch, s, lv]
            ck = chain_of(chain[k], level_in_city[lv])
            if ck >= 0 and s == INPATIENT:
                # one deductible per referral chain: only what exceeds the highest one already paid
                prior_r = 0.0
                prior_u = 0.0
                for q in range(i, k):
                    if setting[q] == INPATIENT and chain_of(chain[q], level_in_city[level[q]]) == ck:
                        prior_r = max(prior_r, ded_t[ts, sch, INPATIENT, level[q]])
                        prior_u = max(prior_u, uded_t[ts, sch, INPATIENT, level[q]])
                d_ref = chain_deductible(d_ref, prior_r)
                d_un = chain_deductible(d_un, prior_u)
            ratio_ref = applied_ratio(ratio_t[ts, sch, s, lv], bonus)
            cap_s = setting_cap_t[ts, sch, s]
            capped = s != OUTPATIENT

            # referred terms (what everyone is paid unless unreferred)
            py_r = per_year_t[ts, sch, s]
            paid_ref, a_ref, raw, sch_used_r = claim_payment(
                d_ref, ratio_ref, py_r, earlier[s], pin, used_r[s], cap_s, capped, sch_used_r, scap
            )
            used_r[s] += raw

            paid_k = paid_ref
            ex = 0.0  # the unreferred claim's payment below the referred one
            referred_k = paid_as_referred(referred[k], level_referral[lv]) if any_unreferred else True
            if any_unreferred:
                if referred_k:
                    d_a, r_a, py_a = d_ref, ratio_ref, per_year_t[ts, sch, s]
                else:
                    d_a = d_un
                    r_a = applied_ratio(uratio_t[ts, sch, s, lv], bonus)
                    py_a = uper_year_t[ts, sch, s]
                raw_c, _, raw, sch_used_a = claim_payment(
                    d_a, r_a, py_a, earlier[s], pin, used_a[s], cap_s, capped, sch_used_a, scap
                )
                used_a[s] += raw
                if not referred_k:
                    paid_k = raw_c
                    ex = max(paid_ref - raw_c, 0.0)
            earlier[s] += pin

            paid[k] = paid_k
            if fp:
                bk = claim_base(pol, paid_k, ex)
                ap = a_ref if insured[p] else pol  # the deductible part
            else:
                bk = 0.0
                ap = 0.0
            base[k] = bk
            acc[0, s] += total[k]
            acc[1, s] += pol
            acc[2, s] += paid_k
            acc[3, s] += bk
            acc[4, s] += ap
            if any_unreferred:  # otherwise extra3 and hospital3 are zero views, never written
                acc[5, s] += ex
            if any_hospital:
                acc[6, s] += hospital[k]
            if any_ooc and out_of_city[k] >= ooc_lowest:
                acc[7, s] += bk if ma_from_base else bk - ap
                ooc_left += total[k] - paid_k
        # the person's sums, written here, not in a helper: a compiled call taking the ten arrays
        # counts references to each, twice a person (measured: the claims pass 2x slower)
        q = (p - row0) & NONNEG
        for s in range(3):
            total3[p, s] = acc[0, s]
            policy3[p, s] = acc[1, s]
            basic3[p, s] = acc[2, s]
            base3[q, s] = acc[3, s]
            ded3[q, s] = acc[4, s]
            if any_unreferred:
                extra3[p, s] = acc[5, s]
            if any_hospital:
                hospital3[p, s] = acc[6, s]
            if any_ooc:
                excl3[q, s] = acc[7, s]
        if any_ooc:
            left = ((acc[0, 0] - acc[2, 0]) + (acc[0, 1] - acc[2, 1])) + (acc[0, 2] - acc[2, 2])
            local_share[p] = 1.0 - ooc_left / left if left > 0 else 1.0


@njit(cache=True, nogil=True)
def _hospital_range(lo, hi, total, policy, disease, person, cat_mask, quota, quota_bits, bits, share, paid,
                    total_left, policy_left):  # fmt: skip
    """rules.hospital_liability for claims lo..hi, the same operations in the same order: the cost
    above the disease's quota (where it binds the patient), then the poor's out-of-catalogue cost
    above `share` of the claim."""
    for k in range(lo, hi):
        t = total[k]
        pol = policy[k]
        h = 0.0
        if len(quota) > 0:
            q = quota[disease[k]] if quota_binds(cat_mask[person[k]], quota_bits) else np.inf
            over = quota_excess(t, q)
            h = h + over
            t = t - over
            pol = min(pol, t)
        if bits != 0:
            excess = out_of_catalogue_excess(t, pol, share) if (cat_mask[person[k]] & bits) != 0 else 0.0
            h = h + excess
            t = t - excess
        paid[k] = h
        total_left[k] = t
        policy_left[k] = pol


def _hospital_pass(bounds, args, out):
    """`_hospital_range` over chunks of claims on the cores."""
    for ch in prange(len(bounds) - 1):
        _hospital_range(bounds[ch], bounds[ch + 1], *args, *out)


TIER_TERMS = (row_terms, critical_terms, assistance_terms, plan_terms, supplement_terms, reasonable_terms)


@njit(cache=True, nogil=True)
def _tiers_range(
    lo,
    hi,
    idx,
    row0,
    cat_mask,
    total3,
    policy3,
    basic3,
    base3,
    ded3,
    ma_excl3,
    enrolled,
    employee,
    take_up,
    members,
    cat_bit,
    code,
    ci_from_base,
    ci_settings,
    ci_schemes,
    ci_on,
    s_lo,
    s_hi,
    thr,
    cap,
    b_lo,
    b_hi,
    upper,
    ratio,
    ma_from_base,
    ma_needs_enrolment,
    ma_ratio,
    ma_ded,
    ma_out_limit,
    ma_limit,
    plan_on,
    plan_ratio,
    plan_ded,
    plan_limit,
    sup_on,
    sup_before,
    sup_ded,
    sup_rp,
    sup_ro,
    sup_cap,
    sup_listed,
    out_share,
    crit,
    asst,
    sup,
    sup_out,
    mut,
    category,
    oop,
    counted,
):
    """Tiers 2-4 for persons idx[lo:hi] (persons lo..hi if `idx` is empty) under each held category
    (row 0 of the tables = `none`).

    Order as rules: critical illness, mutual aid, [supplement], assistance, [supplement]; the
    category paying most in total is kept, a real category winning ties against `none`. Writes
    crit, asst, sup, mut (rows, 3), sup_out and category (`code` of the row kept) at the person's
    row; and, for the kept category, OOP before the cap and (at row p - row0, as the bases base3,
    ded3 and ma_excl3 are read) the reasonable cost the cap counts (as the numpy engine's finish,
    the same operations in the same order)."""
    n_cat = len(cat_bit)
    n_plans = len(plan_ratio)
    ma_excl = ma_excl3.shape[0] > 0
    every = len(idx) == 0
    # scalars per setting (x0, x1, x2), not small arrays: they stay in registers (a small array is
    # heap memory the compiler must assume the outputs may alias; measured ~10% slower)
    for t in range(lo, hi):
        p = (t if every else idx[t]) & NONNEG
        r = p
        sr = (p - row0) & NONNEG  # the person's row in the bases' scratch
        # helpers taking arrays are written out here: a compiled call counts references to every
        # array it takes, each person (measured: 2x slower passes)
        cost = False
        for s in range(3):
            if total3[p, s] != 0.0 or policy3[p, s] != 0.0 or basic3[p, s] != 0.0 or base3[sr, s] != 0.0:
                cost = True  # (money is never negative: validated)
        best = 0
        best_oop = 0.0
        best_counted = 0.0
        bc0 = bc1 = bc2 = ba0 = ba1 = ba2 = bs0 = bs1 = bs2 = bm0 = bm1 = bm2 = bso = 0.0
        if not cost:
            # nothing to pay (a fifth of persons a year): every tier is zero, so the rules reduce to
            # the tie rule (the first held real category is kept)
            for c in range(1, n_cat):
                if (cat_mask[p] & cat_bit[c]) != 0:
                    best = c
                    break
        else:
            total_p = (total3[p, 0] + total3[p, 1]) + total3[p, 2]
            # reached by 大病 (enrolled in a covered scheme) and by assistance (enrolled unless not required)
            ci_f = 1.0 if (ci_on and enrolled[p] and ci_schemes[0 if employee[p] else 1]) else 0.0
            ma_f = 1.0 if (enrolled[p] or not ma_needs_enrolment) else 0.0
            basic_p = (basic3[p, 0] + basic3[p, 1]) + basic3[p, 2]
            # the bases (engine.run_year): below-deductible cost in or out, 大病 only on its settings
            outside = (total3[p, 0] - policy3[p, 0]) + (total3[p, 1] - policy3[p, 1])
            outside = outside + (total3[p, 2] - policy3[p, 2])
            rm0 = policy3[p, 0] - basic3[p, 0]
            rm1 = policy3[p, 1] - basic3[p, 1]
            rm2 = policy3[p, 2] - basic3[p, 2]
            ab0 = max(base3[sr, 0] - ded3[sr, 0], 0.0)
            ab1 = max(base3[sr, 1] - ded3[sr, 1], 0.0)
            ab2 = max(base3[sr, 2] - ded3[sr, 2], 0.0)
            cb0 = (base3[sr, 0] if ci_from_base else ab0) * ci_settings[0]
            cb1 = (base3[sr, 1] if ci_from_base else ab1) * ci_settings[1]
            cb2 = (base3[sr, 2] if ci_from_base else ab2) * ci_settings[2]
            mb0 = base3[sr, 0] if ma_from_base else ab0
            mb1 = base3[sr, 1] if ma_from_base else ab1
            mb2 = base3[sr, 2] if ma_from_base else ab2
            if ma_excl:  # out-of-city care outside the assistance base (engine.run_year)
                mb0 = max(mb0 - ma_excl3[sr, 0], 0.0)
                mb1 = max(mb1 - ma_excl3[sr, 1], 0.0)
                mb2 = max(mb2 - ma_excl3[sr, 2], 0.0)
            cib_tot = cb0 + cb1 + cb2
            tk = take_up[p]
            best_total = 0.0
            for c in range(n_cat):
                if c > 0 and (cat_mask[p] & cat_bit[c]) == 0:
                    continue
                # critical illness on the year's base, spread over settings in proportion
                # (rules.critical_illness) the best banded payment over the category's schedules, at
                # most the base; bands not walked at or below the threshold (the common case)
                ci_tot = 0.0
                if ci_on:
                    best_ci = -np.inf
                    for js in range(s_lo[c], s_hi[c]):
                        out = 0.0
                        lo_b = thr[js]
                        if cib_tot > lo_b:
                            for kb in range(b_lo[js], b_hi[js]):
                                hi_b = upper[kb]
                                rb = ratio[kb]
                                if rb > 0:
                                    out += band_payment(cib_tot, lo_b, hi_b, rb)
                                lo_b = hi_b
                        out = min(out, cap[js])
                        if out > best_ci:
                            best_ci = out
                    ci_tot = critical_payment(best_ci, cib_tot, ci_f)
                q = ci_tot / cib_tot if cib_tot > 0 else 0.0
                c0 = cb0 * q
                c1 = cb1 * q
                c2 = cb2 * q
                r0 = max(rm0 - c0, 0.0)
                r1 = max(rm1 - c1, 0.0)
                r2 = max(rm2 - c2, 0.0)
                # mutual-aid plans in order, each on what the earlier ones left
                m0 = m1 = m2 = 0.0
                for j in range(n_plans):
                    if not members[j, p]:
                        continue  # (a plan pays a non-member 0 and adds +0.0: skipped, the same sums)
                    b0 = (r0 - m0) * plan_on[j, 0]
                    b1 = (r1 - m1) * plan_on[j, 1]
                    b2 = (r2 - m2) * plan_on[j, 2]
                    b = b0 + b1 + b2
                    pay = plan_payment(b, plan_ratio[j], plan_ded[j], plan_limit[j], members[j, p])
                    f = pay / b if b > 0 else 0.0
                    m0 += b0 * f
                    m1 += b1 * f
                    m2 += b2 * f
                r0 = r0 - m0
                r1 = r1 - m1
                r2 = r2 - m2
                s0 = s1 = s2 = so = 0.0
                if sup_on and sup_before:
                    s0, s1, s2, so = supplement_payment(
                        r0, r1, r2, listed_cost(outside, sup_listed), sup_ded, sup_rp, sup_ro, sup_cap, tk
                    )
                # assistance on the policy-range cost still borne
                a0 = a1 = a2 = 0.0
                if ma_ratio[c, 0] != 0 or ma_ratio[c, 1] != 0 or ma_ratio[c, 2] != 0:
                    b0 = assistance_base(mb0, c0, m0, s0, r0)
                    b1 = assistance_base(mb1, c1, m1, s1, r1)
                    b2 = assistance_base(mb2, c2, m2, s2, r2)
                    a0, a1, a2 = assistance_payment(
                        b0, b1, b2, ma_ratio[c, 0], ma_ratio[c, 1], ma_ratio[c, 2], ma_ded[c],
                        ma_out_limit[c], ma_limit[c], ma_f,
                    )  # fmt: skip
                if sup_on and not sup_before:
                    s0, s1, s2, so = supplement_payment(
                        r0 - a0, r1 - a1, r2 - a2, listed_cost(outside, sup_listed), sup_ded, sup_rp, sup_ro,
                        sup_cap, tk,
                    )  # fmt: skip
                total = ci_tot + (m0 + m1 + m2) + (a0 + a1 + a2) + (s0 + s1 + s2) + so
                if c == 0 or total > best_total or (total >= best_total and best == 0):
                    best_total = total
                    best = c
                    bc0, bc1, bc2, ba0, ba1, ba2, bs0, bs1, bs2 = c0, c1, c2, a0, a1, a2, s0, s1, s2
                    bm0, bm1, bm2, bso = m0, m1, m2, so
                    paid = basic_p + ((c0 + c1) + c2)
                    paid = paid + ((a0 + a1) + a2)
                    paid = paid + ((s0 + s1) + s2)
                    paid = paid + so
                    paid = paid + ((m0 + m1) + m2)
                    best_oop = max(total_p - paid, 0.0)
                    x0 = (((rm0 - c0) - m0) - a0) - s0
                    x1 = (((rm1 - c1) - m1) - a1) - s1
                    x2 = (((rm2 - c2) - m2) - a2) - s2
                    best_counted = reasonable_cost(x0, x1, x2, outside - so, out_share, best_oop)
        crit[r, 0] = bc0
        crit[r, 1] = bc1
        crit[r, 2] = bc2
        asst[r, 0] = ba0
        asst[r, 1] = ba1
        asst[r, 2] = ba2
        if sup_on:  # otherwise sup, mut and sup_out are left unallocated (zeros)
            sup[r, 0] = bs0
            sup[r, 1] = bs1
            sup[r, 2] = bs2
            sup_out[r] = bso
        if n_plans > 0:
            mut[r, 0] = bm0
            mut[r, 1] = bm1
            mut[r, 2] = bm2
        category[r] = code[best]
        oop[r] = best_oop
        counted[sr] = best_counted


# Each kernel is compiled twice: serial, and parallel over chunks of persons (prange). Threads only
# pay off on large inputs; on small ones (tests, the app's small populations) their start-up costs
# more than the work, and under oversubscription far more.
PARALLEL_MIN = int(os.environ.get("SIMULATION_PARALLEL_MIN", "200000"))


def _compiled(fn, parallel: bool):
    name = fn.__name__.lstrip("_") + ("_parallel" if parallel else "_serial")
    clone = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    clone.__qualname__ = name  # its own on-disk cache entry
    return njit(cache=True, nogil=True, parallel=parallel)(clone)


def _pick(serial, parallel, size: int, scattered: bool = False):
    # rows scattered over the arrays wait on memory, not arithmetic: threads pay off 8x sooner
    least = PARALLEL_MIN // 8 if scattered else PARALLEL_MIN
    return parallel if size >= least and numba.get_num_threads() > 1 else serial


_hospital = (_compiled(_hospital_pass, False), _compiled(_hospital_pass, True))


def hospital_pass(total, policy, disease, person, cat_mask, quota, quota_bits: int, bits: int, share: float):
    """(hospital's part, total left, policy left) per claim in one pass (rules.hospital_liability;
    `quota` per disease code, empty: no quota; `quota_bits` the categories it binds, 0: all; `bits`
    0: no out-of-catalogue limit)."""
    m = len(total)
    out = (np.empty(m), np.empty(m), np.empty(m))
    kernel = _pick(*_hospital, m)
    bounds = person_chunks(m, kernel is _hospital[1])
    kernel(bounds, (total, policy, disease, person, cat_mask, quota, quota_bits, bits, share), out)
    return out


def person_chunks(n: int, parallel: bool = True) -> np.ndarray:
    """Bounds of up to 64 equal chunks of range(n) (one chunk when not `parallel`)."""
    k = max(min(n, 64), 1) if parallel else 1
    return np.arange(k + 1, dtype=np.int64) * n // k


# The wrappers allocate the outputs with numpy, not inside the kernels: numpy's large arrays get
# transparent huge pages (first touch ~6 GB/s here), numba's own allocations fault 4 KiB pages
# (~1.7 GB/s), which at 1e6 persons cost more than the rules themselves.


def zeros3(n: int) -> np.ndarray:
    """A read-only (n, 3) array of zeros taking no memory: a tier that pays nothing this year."""
    return np.broadcast_to(np.zeros(1), (n, 3))


def zeros(n: int) -> np.ndarray:
    """A read-only length-n array of zeros taking no memory."""
    return np.broadcast_to(np.zeros(1), (n,))


@njit(cache=True, nogil=True)
def _person_row(p, total3, basic3, crit3, asst3, sup3, sup_out, hosp3, mut3, payers):
    """A person's result columns from the setting sums: (total, basic, critical, mutual aid,
    assistance, supplement, hospital, oop), the row sums in a fixed order (the identity's: the
    tiers, then each payer of the person's year in `payers`' order, then the hospital's part)."""
    basic = (basic3[p, 0] + basic3[p, 1]) + basic3[p, 2]
    crit = (crit3[p, 0] + crit3[p, 1]) + crit3[p, 2]
    asst = (asst3[p, 0] + asst3[p, 1]) + asst3[p, 2]
    sup = ((sup3[p, 0] + sup3[p, 1]) + sup3[p, 2]) + sup_out[p]
    hospital = (hosp3[p, 0] + hosp3[p, 1]) + hosp3[p, 2]
    mutual = (mut3[p, 0] + mut3[p, 1]) + mut3[p, 2]
    total = ((total3[p, 0] + total3[p, 1]) + total3[p, 2]) + hospital
    paid = basic + crit + mutual + asst + sup
    for x in payers:
        paid = paid + x[p]
    paid = paid + hospital
    return total, basic, crit, mutual, asst, sup, hospital, max(total - paid, 0.0)


@njit(cache=True, nogil=True)
def _person_columns(
    total3, policy3, basic3, crit3, asst3, sup3, sup_out, hosp3, mut3, extra3, payers,
    o_total, o_policy, o_basic, o_crit, o_mut, o_asst, o_sup, o_hosp, o_oop, o_extra,
):  # fmt: skip
    n = total3.shape[0]
    for p in range(n):
        total, basic, crit, mutual, asst, sup, hospital, oop = _person_row(
            p, total3, basic3, crit3, asst3, sup3, sup_out, hosp3, mut3, payers
        )
        o_total[p] = total
        o_policy[p] = (policy3[p, 0] + policy3[p, 1]) + policy3[p, 2]
        o_basic[p] = basic
        o_crit[p] = crit
        o_mut[p] = mutual
        o_asst[p] = asst
        o_sup[p] = sup
        o_hosp[p] = hospital
        o_oop[p] = oop
        o_extra[p] = (extra3[p, 0] + extra3[p, 1]) + extra3[p, 2]


def person_columns(total3, policy3, basic3, crit3, asst3, sup3, sup_out, hosp3, mut3, extra3, payers):
    """The Result's per-person money columns in one pass (same sums, same order as numpy's):
    rows total, policy, basic, critical, mutual aid, assistance, supplement, hospital, oop, extra.
    `payers`: the payers of the person's year (engine.YearArrays.payers' arrays, in settlement
    order), each taken off the OOP after the supplement and before the hospital's part."""
    n = total3.shape[0]
    out = tuple(np.empty(n) for _ in range(10))
    # one array type for all, so the compiled loop iterates the tuple (a zero view would differ)
    payers = tuple(np.ascontiguousarray(x, dtype=np.float64) for x in payers)
    _person_columns(total3, policy3, basic3, crit3, asst3, sup3, sup_out, hosp3, mut3, extra3, payers, *out)
    return out


@njit(cache=True, nogil=True)
def wdot_rows_where(w, x3, code, own):
    """Σ w[p]·((x3[p,0] + x3[p,1]) + x3[p,2]) over the persons whose `code` row of `own` is true, in
    person order, in one sequential pass without gathering them (numpy's dot goes through BLAS
    threads, which cost ~10x on a busy machine for a 1e6 vector)."""
    s = 0.0
    for p in range(len(w)):
        if own[code[p]]:
            s += w[p] * ((x3[p, 0] + x3[p, 1]) + x3[p, 2])
    return s


@njit(cache=True, nogil=True)
def _scheme_cells(weight, employee, enrolled, basic3, out):
    for p in range(len(weight)):
        c = (0 if employee[p] else 2) + (0 if enrolled[p] else 1)
        w = weight[p]
        out[0, c] += w
        out[1, c] += w * ((basic3[p, 0] + basic3[p, 1]) + basic3[p, 2])


def scheme_cells(weight, employee, enrolled, basic3) -> np.ndarray:
    """(2, 4): the summed weight (row 0) and weighted basic payment (row 1) of each scheme x
    enrolment cell (employee enrolled, employee not, resident enrolled, resident not), in one
    sequential pass (the basic payment summed over settings as _person_row sums it)."""
    out = np.zeros((2, 4))
    _scheme_cells(weight, employee, enrolled, basic3, out)
    return out


@njit(cache=True, nogil=True)
def scheme_totals(w, employee):
    """(employee, resident) sums of `w` in person order (grown_weights sums with it: grown by
    nothing, a year's weights are then scaled by exactly 1.0)."""
    te = 0.0
    tr = 0.0
    for p in range(len(w)):
        if employee[p]:
            te += w[p]
        else:
            tr += w[p]
    return te, tr


@njit(cache=True, nogil=True)
def _grown_weights(w0, old, employee, f_old, target_employee, target_resident, out):
    for p in range(len(w0)):
        out[p] = w0[p] * (f_old if old[p] else 1.0)
    te, tr = scheme_totals(out, employee)
    ce = target_employee / te if te > 0 else 1.0
    cr = target_resident / tr if tr > 0 else 1.0
    for p in range(len(w0)):
        out[p] = out[p] * (ce if employee[p] else cr)


def grown_weights(w0, old, employee, f_old: float, target_employee: float, target_resident: float):
    """A projected year's weights: the old grown by `f_old` relative to the rest, then each
    scheme scaled to its target total (left as is where its total is zero), in two passes."""
    out = np.empty(len(w0))
    _grown_weights(w0, old, employee, f_old, target_employee, target_resident, out)
    return out


CAP_TERMS = (subsidy_terms, cap_terms)


@njit(cache=True, nogil=True)
def _cap_chunk(
    lo, hi, row0, counted, cat_mask, household, disabled, veteran, union_member, rule_kind, rule_bits,
    rule_ratio, rule_limit, keep, cap_bits, cap_amount, cap_on, cap_share, cap_personal, cap_needs_enrolment,
    enrolled, other, cap_paid, hh_cap, hh_counted, share, fresh,
):  # fmt: skip
    # fresh: households contiguous, hh_cap and hh_counted set at each one's first member here (the
    # year pass: no serial fill of two household arrays before it); else they come in as inf, 0.
    # hh_cap is the family's line; a member holding a personal line (cap_personal) is settled on it
    # alone and stays out of the family's count; a member the cap does not cover counts nothing
    # the categories holding a personal line, and a family's: a person holding neither (most) skips
    # the lines' loops
    personal_bits = 0
    family_bits = 0
    for j in range(len(cap_bits)):
        if cap_personal[j]:
            personal_bits |= cap_bits[j]
        else:
            family_bits |= cap_bits[j]
    for p in range(lo, hi):  # counted and share at row p - row0 (a block's scratch)
        p &= NONNEG
        if fresh and (p == lo or household[p - 1] != household[p]):
            hh_cap[household[p]] = np.inf
            hh_counted[household[p]] = 0.0
        left = counted[p - row0]
        paid = 0.0
        m = cat_mask[p]
        for r in range(len(rule_kind)):
            named = rule_bits[r] == 0 or (m & rule_bits[r]) != 0
            ok = eligible(rule_kind[r], m != 0, disabled[p], veteran[p], union_member[p], named)
            pay = subsidy_payment(left, rule_ratio[r], rule_limit[r], ok)
            paid = paid + pay
            left = left - pay
        c = negative_list_off(left, keep)
        other[p] = paid
        h = household[p] & NONNEG
        inside = covered(enrolled[p], cap_needs_enrolment)
        own = np.inf
        if inside and (m & personal_bits) != 0:
            for j in range(len(cap_bits)):
                if cap_personal[j] and (m & cap_bits[j]) != 0 and cap_amount[j] < own:
                    own = cap_amount[j]
        share[p - row0] = c if inside else 0.0
        if inside and not np.isfinite(own):
            hh_counted[h] += c
            if (m & family_bits) != 0:
                for j in range(len(cap_bits)):
                    if not cap_personal[j] and (m & cap_bits[j]) != 0 and cap_amount[j] < hh_cap[h]:
                        hh_cap[h] = cap_amount[j]
    for p in range(lo, hi):
        p &= NONNEG
        h = household[p] & NONNEG
        if not cap_on:
            cap_paid[p] = 0.0
            continue
        own = np.inf
        if covered(enrolled[p], cap_needs_enrolment) and (cat_mask[p] & personal_bits) != 0:
            for j in range(len(cap_bits)):
                if cap_personal[j] and (cat_mask[p] & cap_bits[j]) != 0 and cap_amount[j] < own:
                    own = cap_amount[j]
        if np.isfinite(own):
            cap_paid[p] = person_cap_payment(share[p - row0], own, cap_share)
            continue
        if not np.isfinite(hh_cap[h]):
            cap_paid[p] = 0.0
            continue
        tot = hh_counted[h]
        paid_h = household_cap_payment(tot, hh_cap[h], cap_share)
        cap_paid[p] = member_part(paid_h, share[p - row0], tot)


def household_chunks(household_starts, n: int) -> np.ndarray:
    """Bounds of up to 64 chunks of whole households (one chunk, [0, n], when households are not
    contiguous, the input is small or numba has one thread)."""
    if household_starts is None or n < PARALLEL_MIN or numba.get_num_threads() < 2:
        return np.array([0, n], dtype=np.int64)
    at = np.searchsorted(household_starts, np.linspace(0, n, 65)[1:-1]).clip(0, len(household_starts) - 1)
    return np.unique(np.concatenate([[0], household_starts[at], [n]])).astype(np.int64)


WARNING_TERMS = (warning_terms,)


@njit(cache=True, nogil=True)
def _warnings_range(lo, hi, oop, other, cap, employee, cat_mask, threshold, scheme, assistance_only, before,
                    after, inclusive):  # fmt: skip
    """rules.flags.person_warning on the OOP before the cap and on what is left after it."""
    for p in range(lo, hi):
        p &= NONNEG
        o1 = oop[p]
        o2 = (oop[p] - other[p]) - cap[p]
        sch = 0 if employee[p] else 1
        w1 = False
        w2 = False
        for r in range(len(threshold)):
            if not warning_applies(scheme[r], sch, assistance_only[r], cat_mask[p] != 0):
                continue
            w1 = w1 or warned(o1, threshold[r], inclusive[r])
            w2 = w2 or warned(o2, threshold[r], inclusive[r])
        before[p] = w1
        after[p] = w2


PREMIUM_TERMS = (premium_terms,)


@njit(cache=True, nogil=True)
def _premium_range(lo, hi, cat_mask, age, employee, enrolled, bits, min_age, max_age, scheme_ok, amount, out):
    """rules.premium_subsidy: the highest amount among the rules a person meets (就高不重复)."""
    for p in range(lo, hi):
        p &= NONNEG
        best = 0.0
        sch = 0 if employee[p] else 1
        for r in range(len(bits)):
            if rule_met(
                (cat_mask[p] & bits[r]) != 0, age[p], min_age[r], max_age[r], scheme_ok[r, sch], enrolled[p]
            ):
                best = max(best, amount[r])
        out[p] = best


def _take_up_pass(bounds, cat_mask, age, disabled, enrolled, bits, min_age, disabled_on, rate, out):
    """rules.supplement.uptake(...) * enrolled per person: 1 for those the government enrols (the
    fiscal categories, age, 持证残疾人), else the scenario's uptake; 0 when not enrolled."""
    for ch in prange(len(bounds) - 1):
        for p in range(bounds[ch], bounds[ch + 1]):
            p &= NONNEG
            fiscal = fiscally_enrolled((cat_mask[p] & bits) != 0, age[p], min_age, disabled[p], disabled_on)
            out[p] = take_up(fiscal, enrolled[p], rate)


_take_up = (_compiled(_take_up_pass, False), _compiled(_take_up_pass, True))


def take_up_pass(
    cat_mask, age, disabled, enrolled, bits: int, min_age: float, disabled_on: bool, rate: float
):
    """The supplement's expected take-up per person in one compiled pass (the same values as
    `rules.supplement.uptake(...) * enrolled`; `min_age` inf: no age rule)."""
    n = len(cat_mask)
    out = np.empty(n)
    kernel = _pick(*_take_up, n)
    kernel(person_chunks(n, kernel is _take_up[1]), cat_mask, age, disabled, enrolled, bits, min_age,
           disabled_on, rate, out)  # fmt: skip
    return out


AID_TERMS = (contribution_terms,)


@njit(cache=True, nogil=True)
def _contribution_range(lo, hi, members, cat_mask, bits, amount, out):
    """rules.mutual_aid.contribution_subsidy for persons lo..hi: each paying plan's contribution, in
    plan order, for its members holding one of its subsidised categories (bits 0: a plan paying none)."""
    held = 0
    for j in range(len(bits)):
        held |= bits[j]
    for p in range(lo, hi):
        p &= NONNEG
        x = 0.0
        if (cat_mask[p] & held) != 0:  # (most hold no subsidised category)
            for j in range(len(bits)):
                x += contribution_subsidy(members[j, p], (cat_mask[p] & bits[j]) != 0, amount[j])
        out[p] = x


# the weighted person sums of the year's pass (`_person_sums`), in this order (Result.parts's keys)
SUMMARY_SUMS = (
    "persons", "total_cost", "policy_cost", "basic_paid", "critical_paid", "mutual_aid_paid",
    "assistance_paid", "supplement_paid", "other_paid", "cap_paid", "hospital_paid", "oop",
    "premium_subsidy", "total_cost_poor", "oop_poor", "inpatient_policy_cost_employee",
    "inpatient_basic_critical_employee", "inpatient_policy_cost_resident",
    "inpatient_basic_critical_resident", "critical_insured_persons", "mutual_aid_subsidy",
    "poor_persons", "unreferred_extra", "enrolled_persons", "supplement_fiscal_enrollees",
)  # fmt: skip
N_SUMMARY_SUMS = len(SUMMARY_SUMS)


SUM_TERMS = (covered_terms, fiscal_terms)


@njit(cache=True, nogil=True)
def _person_sums(
    lo, hi, total3, policy3, basic3, crit3, asst3, sup3, sup_out, hosp3, mut3, extra3, other, cap, oop_pre,
    premium, aid_subsidy, weight, employee, cat_mask, enrolled, age, disabled, household, income,
    local_share, warn, warn2, ci_covered, fiscal_bits, fiscal_min_age, fiscal_disabled, sup_on, size, hsums,
    counts, fresh,
):  # fmt: skip
    # fresh: households contiguous, their sums zeroed at the first member here (else they come in zeroed)
    # the sums in locals, not an array: a store into the household arrays would order every later
    # read of an array accumulator after it
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = s8 = s9 = s10 = s11 = s12 = 0.0
    s13 = s14 = s15 = s16 = s17 = s18 = s19 = s20 = s21 = s22 = s23 = s24 = 0.0
    for p in range(lo, hi):
        p &= NONNEG
        # the person's columns as _person_row computes them, the same sums in the same order (written
        # out: a compiled call taking ten arrays counts references to each, each person; tests hold
        # the household sums of these equal to those of the person columns, exactly)
        basic = (basic3[p, 0] + basic3[p, 1]) + basic3[p, 2]
        crit = (crit3[p, 0] + crit3[p, 1]) + crit3[p, 2]
        asst = (asst3[p, 0] + asst3[p, 1]) + asst3[p, 2]
        sup = ((sup3[p, 0] + sup3[p, 1]) + sup3[p, 2]) + sup_out[p]
        hospital = (hosp3[p, 0] + hosp3[p, 1]) + hosp3[p, 2]
        mutual = (mut3[p, 0] + mut3[p, 1]) + mut3[p, 2]
        total = ((total3[p, 0] + total3[p, 1]) + total3[p, 2]) + hospital
        oop = max(total - (basic + crit + mutual + asst + sup + other[p] + cap[p] + hospital), 0.0)
        w = weight[p]
        poor = 1.0 if cat_mask[p] != 0 else 0.0
        emp = 1.0 if employee[p] else 0.0
        s0 += w
        s1 += w * total
        s2 += w * ((policy3[p, 0] + policy3[p, 1]) + policy3[p, 2])
        s3 += w * basic
        s4 += w * crit
        s5 += w * mutual
        s6 += w * asst
        s7 += w * sup
        s8 += w * other[p]
        s9 += w * cap[p]
        s10 += w * hospital
        s11 += w * oop
        s12 += w * premium[p]
        s13 += (w * poor) * total
        s14 += (w * poor) * oop
        s15 += (w * emp) * policy3[p, 0]
        s16 += (w * emp) * (basic3[p, 0] + crit3[p, 0])
        s17 += (w * (1.0 - emp)) * policy3[p, 0]
        s18 += (w * (1.0 - emp)) * (basic3[p, 0] + crit3[p, 0])
        covered = ci_covered[0] if employee[p] else ci_covered[1]
        if covered and enrolled[p]:
            s19 += w
        s20 += w * aid_subsidy[p]
        s21 += w * poor
        s22 += w * ((extra3[p, 0] + extra3[p, 1]) + extra3[p, 2])
        if enrolled[p]:
            s23 += w
        fiscal = fiscally_enrolled((cat_mask[p] & fiscal_bits) != 0, age[p], fiscal_min_age, disabled[p],
                                   fiscal_disabled)  # fmt: skip
        if fiscal and enrolled[p] and sup_on:
            s24 += w
        h = household[p] & NONNEG
        if fresh and (p == lo or household[p - 1] != h):
            size[h] = 0
            for k in range(8):
                hsums[k, h] = 0.0
            counts[0, h] = 0.0
            counts[1, h] = 0.0
        size[h] += 1
        hsums[0, h] += income[p]
        hsums[1, h] += w
        hsums[2, h] += total
        hsums[3, h] += oop_pre[p]
        hsums[4, h] += other[p]
        hsums[5, h] += cap[p]
        hsums[6, h] += oop
        hsums[7, h] += oop * local_share[p] if len(local_share) > 0 else oop  # 第二类's count: 本市定点
        counts[0, h] += warn[p]
        counts[1, h] += warn2[p]
    return np.array([s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15, s16, s17, s18,
                     s19, s20, s21, s22, s23, s24])  # fmt: skip


# the households' weighted counts the summary takes, in this order (Result.parts)
HOUSEHOLD_SUMS = (
    "households", "catastrophic_households", "catastrophic_households_25", "warnings", "warnings_cleared",
    "expenditure_poor_households", "newly_identified_households",
)  # fmt: skip


HOUSEHOLD_TERMS = (household_terms,)


@njit(cache=True, nogil=True)
def _household_counts(lo, hi, household, size, hsums, counts, newly, catastrophic, income_limit, share):
    """HOUSEHOLD_SUMS over the households of persons lo..hi (whole and contiguous), each at its first
    member, from the household sums (`_person_sums`): result.household_table's columns (weight,
    oop_share, catastrophic, warning, warning_cleared, expenditure_poor), the same operations."""
    h0 = h1 = h2 = h3 = h4 = h5 = h6 = 0.0
    for p in range(lo, hi):
        p &= NONNEG
        h = household[p] & NONNEG
        if p > lo and household[p - 1] == h:
            continue
        m = max(size[h], 1)
        hw = hsums[1, h] / m
        income = hsums[0, h]
        oop = hsums[6, h]
        ratio = oop_share(oop, income)
        hit = counts[0, h] > 0
        poor2, _ = expenditure_poor(income, oop, hsums[7, h], size[h], income_limit, share, np.inf)
        h0 += hw
        h1 += hw * (1.0 if ratio > catastrophic else 0.0)
        h2 += hw * (1.0 if ratio > 0.25 else 0.0)
        h3 += hw * (1.0 if hit else 0.0)
        h4 += hw * (1.0 if hit and not counts[1, h] > 0 else 0.0)
        h5 += hw * (1.0 if poor2 else 0.0)
        h6 += hw * (1.0 if newly[h] else 0.0)
    return np.array([h0, h1, h2, h3, h4, h5, h6])


@njit(cache=True, nogil=True)
def _household_flags(size, income, oop, counted, income_limit, share, dibao_monthly, ratio, type2, type1):
    for h in range(len(size)):
        ratio[h] = oop_share(oop[h], income[h])
        type2[h], type1[h] = expenditure_poor(
            income[h], oop[h], counted[h], size[h], income_limit, share, dibao_monthly
        )


def household_flags(size, income, oop, counted, income_limit: float, share: float, dibao_monthly: float):
    """Per household: OOP share of income and the 支出型贫困 type-2 (on the OOP `counted`: 本市定点)
    and type-1 tests (rules.flags)."""
    n = len(size)
    out = (np.empty(n), np.empty(n, dtype=bool), np.empty(n, dtype=bool))
    _household_flags(size, income, oop, counted, income_limit, share, dibao_monthly, *out)
    return out


@njit(cache=True, nogil=True)
def _district_sums(codes, premium, weight, cat_mask, bits, out):
    for p in range(len(codes)):
        out[codes[p]] += (premium[p] * weight[p]) * (1.0 if (cat_mask[p] & bits) != 0 else 0.0)


def district_sums(codes, n_districts: int, premium, weight, cat_mask, bits: int) -> np.ndarray:
    """Per district, the weighted premium subsidy of persons holding any of `bits`, summed in
    person order (as np.bincount)."""
    out = np.zeros(n_districts)
    _district_sums(codes, premium, weight, cat_mask, bits, out)
    return out


@njit(cache=True, nogil=True)
def _add_rows(partial: np.ndarray) -> np.ndarray:
    """Chunks' partial sums added in chunk order (the same result for any thread count; compiled:
    ~1,000 blocks at 1e6 persons were a millisecond of Python)."""
    sums = np.zeros(partial.shape[1])
    for r in range(partial.shape[0]):
        for c in range(partial.shape[1]):
            sums[c] += partial[r, c]
    return sums


FOUND_TERMS = (found_terms,)


@njit(cache=True, nogil=True)
def _found_range(
    lo, hi, household, oop_pre, other, cap, income, cat_mask, local_share, income_limit, share, dibao_monthly,
    hh_oop, hh_income, hh_size, hh_assisted, hh_counted, newly, fresh,
):  # fmt: skip
    """政策找人 for the households of persons lo..hi (all their members in the range): `newly` set for
    each; the hh_* scratch comes in zeroed (fresh: households contiguous, zeroed here at each
    one's first member). Returns the number of households found."""
    for p in range(lo, hi):  # per-household sums in person order, as np.bincount
        h = household[p] & NONNEG
        if fresh and (p == lo or household[p - 1] != h):
            hh_oop[h] = 0.0
            hh_income[h] = 0.0
            hh_size[h] = 0
            hh_assisted[h] = 0.0
            hh_counted[h] = 0.0
        left = (oop_pre[p] - other[p]) - cap[p]
        hh_oop[h] += left
        hh_counted[h] += left * local_share[p] if len(local_share) > 0 else left
        hh_income[h] += income[p]
        hh_size[h] += 1
        hh_assisted[h] += 1.0 if cat_mask[p] != 0 else 0.0
    n_found = 0
    for p in range(lo, hi):
        p &= NONNEG
        h = household[p] & NONNEG
        if hh_size[h] == 0:  # decided at its first member
            continue
        type2, type1 = expenditure_poor(
            hh_income[h], hh_oop[h], hh_counted[h], hh_size[h], income_limit, share, dibao_monthly
        )
        hh_size[h] = 0
        newly[h] = (type2 or type1) and not hh_assisted[h] > 0
        n_found += newly[h]
    return n_found


def _ltc_pass(
    bounds, care_need, institution, employee, enrolled, cat_mask, covered, cost_m, benefit_m, months,
    min_level, individual_s, pool_s, fiscal_s, subsidised_bits,
    out_insured, out_eligible, cost, benefit, oop, individual, subsidy, pool, fiscal,
):  # fmt: skip
    top = cost_m.shape[1] - 1
    for ch in prange(len(bounds) - 1):
        for p in range(bounds[ch], bounds[ch + 1]):
            p &= NONNEG
            sch = 0 if employee[p] else 1
            ins = insured(enrolled[p], covered[sch])
            lv = min(max(care_need[p], 0), top)
            st = 1 if institution[p] else 0
            out_insured[p] = ins
            out_eligible[p] = care_eligible(ins, care_need[p], min_level)
            cost[p], benefit[p], oop[p] = care_year(months, cost_m[st, lv], benefit_m[st, lv], ins)
            subsidised = (cat_mask[p] & subsidised_bits) != 0
            individual[p], subsidy[p] = contribution(individual_s[sch], ins, subsidised)
            pool[p] = financing_item(pool_s[sch], ins)
            fiscal[p] = financing_item(fiscal_s[sch], ins)


_ltc = (_compiled(_ltc_pass, False), _compiled(_ltc_pass, True))


def ltc_pass(care_need, institution, employee, enrolled, cat_mask, *tables):
    """Long-term care per person in one pass (the rules of rules.long_term_care): insured,
    eligible, cost, benefit, oop, individual, subsidy, pool transfer, fiscal."""
    n = len(care_need)
    out = (np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_), *(np.empty(n) for _ in range(7)))
    kernel = _pick(*_ltc, n)
    kernel(person_chunks(n, kernel is _ltc[1]), care_need, institution, employee, enrolled, cat_mask, *tables,
           *out)  # fmt: skip
    return out


def _ltc_sums_pass(bounds, w, insured, employee, cost, benefit, oop, individual, pool, subsidy, fiscal, out):
    for ch in prange(len(bounds) - 1):
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = s8 = s9 = 0.0
        for p in range(bounds[ch], bounds[ch + 1]):
            p &= NONNEG
            x = w[p]
            s0 += x * insured[p]
            s1 += x * (benefit[p] > 0)
            s2 += x * cost[p]
            s3 += x * benefit[p]
            s4 += x * oop[p]
            s5 += x * individual[p]
            s6 += x * pool[p]
            s7 += (x * employee[p]) * pool[p]
            s8 += x * subsidy[p]
            s9 += x * fiscal[p]
        out[ch, 0] = s0
        out[ch, 1] = s1
        out[ch, 2] = s2
        out[ch, 3] = s3
        out[ch, 4] = s4
        out[ch, 5] = s5
        out[ch, 6] = s6
        out[ch, 7] = s7
        out[ch, 8] = s8
        out[ch, 9] = s9


_ltc_sums = (_compiled(_ltc_sums_pass, False), _compiled(_ltc_sums_pass, True))


def ltc_sums(w, insured, employee, cost, benefit, oop, individual, pool, subsidy, fiscal) -> np.ndarray:
    """The weighted sums long-term care's summary takes, in one pass: w·insured, w·(benefit > 0),
    w·cost, w·benefit, w·oop, w·individual, w·pool, (w·employee)·pool, w·subsidy, w·fiscal. Summed
    over 64 fixed chunks added in order (serial or on the cores: the same result)."""
    n = len(w)
    bounds = person_chunks(n)
    out = np.zeros((len(bounds) - 1, 10))
    _pick(*_ltc_sums, n)(
        bounds, w, insured, employee, cost, benefit, oop, individual, pool, subsidy, fiscal, out
    )
    return _add_rows(out)


# ---------------------------------------------------------------------------- the year in blocks
# When every household's members are contiguous, the whole year runs block by block: a block of
# whole households (~BLOCK persons) goes through tier 1, tiers 2-4, the subsidies and household cap,
# 政策找人 (and the found households again), the warnings and the premium subsidy while its rows are
# still in the core's cache. The bases (base, deductible part, out-of-city base) and the counted
# cost live in per-thread scratch of one block, never in person-sized arrays.
BLOCK = 1024


def _year_pass(
    blocks, max_block, household, cat_mask, claims_args, tiers_args, cap_args,
    found_on, found_bit, income, found_args, warn_args, prem_args, aid_args, excl_on, views, sum_args,
    hh_args, paid, base, total3, policy3, basic3, extra3, hospital3,
    crit, asst, sup, sup_out, mut, category, oop,
    other, cap_paid, hh_cap, hh_counted, hh_oop, hh_income, hh_size, hh_assisted, hh_local, newly,
    new_mask, warn_before, warn_after, premium, aid, local, sums, size, hsums, counts, hparts,
):  # fmt: skip
    """Every rule of the year for the persons of each block (`blocks`: bounds of whole households),
    and the summary's sums (`_person_sums`, one row of `sums` per block; `views`: the tiers that are
    off as zero views, and the mutual-aid contribution subsidy: `aid`, or zeros when no plan pays
    one (`aid_args`: members, each plan's subsidised bits and contribution; empty `aid`: none))."""
    n_blocks = len(blocks) - 1
    n_chunks = min(n_blocks, 64)
    for ch in prange(n_chunks):
        base3 = np.empty((max_block, 3))
        ded3 = np.empty((max_block, 3))
        excl3 = np.empty((max_block if excl_on else 0, 3))
        counted = np.empty(max_block)
        share = np.empty(max_block)
        found = np.empty(max_block, dtype=np.int64)
        every = np.empty(0, dtype=np.int64)
        for b in range(ch * n_blocks // n_chunks, (ch + 1) * n_blocks // n_chunks):
            lo = blocks[b]
            hi = blocks[b + 1]
            _claims_range(lo, hi, lo, *claims_args, paid, base, total3, policy3, basic3, base3, ded3, extra3,
                          hospital3, excl3, local)  # fmt: skip
            for p in range(lo, hi):
                new_mask[p] = cat_mask[p]
            _tiers_range(lo, hi, every, lo, new_mask, total3, policy3, basic3, base3, ded3, excl3,
                         *tiers_args, crit, asst, sup, sup_out, mut, category, oop, counted)  # fmt: skip
            _cap_chunk(lo, hi, lo, counted, new_mask, household, *cap_args, other, cap_paid, hh_cap,
                       hh_counted, share, True)  # fmt: skip
            if found_on and _found_range(
                lo, hi, household, oop, other, cap_paid, income, new_mask, local, *found_args, hh_oop,
                hh_income, hh_size, hh_assisted, hh_local, newly, True,
            ):  # fmt: skip
                # the found households' members hold expenditure_poor: their tiers again, the cap again
                m = 0
                for p in range(lo, hi):
                    if newly[household[p]]:
                        new_mask[p] = new_mask[p] | found_bit
                        found[m] = p
                        m += 1
                _tiers_range(0, m, found, lo, new_mask, total3, policy3, basic3, base3, ded3, excl3,
                             *tiers_args, crit, asst, sup, sup_out, mut, category, oop, counted)  # fmt: skip
                _cap_chunk(lo, hi, lo, counted, new_mask, household, *cap_args, other, cap_paid, hh_cap,
                           hh_counted, share, True)  # fmt: skip
            _warnings_range(lo, hi, oop, other, cap_paid, warn_args[0], new_mask, warn_args[1], warn_args[2],
                            warn_args[3], warn_before, warn_after, warn_args[4])  # fmt: skip
            _premium_range(lo, hi, new_mask, *prem_args, premium)
            if len(aid) > 0:  # the contribution subsidy on the year's final categories
                _contribution_range(lo, hi, aid_args[0], new_mask, aid_args[1], aid_args[2], aid)
            sup_r, sup_out_r, mut_r, extra_r, hosp_r, aid_r = views
            weight, employee, enrolled, age, disabled, covered, bits, min_age, disabled_in = sum_args
            sums[b, :] = _person_sums(
                lo, hi, total3, policy3, basic3, crit, asst, sup_r, sup_out_r, hosp_r, mut_r, extra_r,
                other, cap_paid, oop, premium, aid_r, weight, employee, new_mask, enrolled, age, disabled,
                household, income, local, warn_before, warn_after, covered, bits, min_age, disabled_in,
                len(sup) > 0, size, hsums, counts, True,
            )  # fmt: skip
            hparts[b, :] = _household_counts(lo, hi, household, size, hsums, counts, newly, *hh_args)


_year = (_compiled(_year_pass, False), _compiled(_year_pass, True))


def household_blocks(household_starts: np.ndarray, n: int, size: int | None = None) -> np.ndarray:
    """Bounds of blocks of whole households, each starting at the first household at or after a
    multiple of `size` persons (BLOCK)."""
    size = size or BLOCK
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    at = np.searchsorted(household_starts, np.arange(size, n, size))
    at = at[at < len(household_starts)]
    return np.unique(np.concatenate([[0], household_starts[at], [n]])).astype(np.int64)


def year_pass(
    household_starts, household, n_households, cat_mask, claims, tiers, cap, *, n_claims, sup_on, n_plans,
    found_on, found_bit, income, found, warn, prem, aid, sums, households,
):  # fmt: skip
    """The year in blocks of whole households (see `_year_pass`). The loops' inputs come as the
    named records of `simulation.records` (`claims`: ClaimInputs, `tiers`: TierInputs, `cap`:
    CapInputs, `found`, `warn`, `prem`, `aid`, `sums`, `households`), handed to the compiled pass as
    plain tuples in their fields' order.

    Returns a dict of the year's arrays: paid and base per claim; total3, policy3, basic3, extra3,
    hospital3; crit, asst, sup, sup_out, mut, category, oop_pre; `payers`: the payers of the
    person's year after tiers 2-4, by their registry names in settlement order (other_paid, the
    departments' subsidies; cap_paid, the household cap: registry.PERSON_PAYERS); hh_cap; newly
    (per household), cat_mask (a new mask if any household was found), warn_before, warn_after,
    premium, aid (the mutual-aid contribution subsidy, 0 for a plan paying none); and `summary`:
    the SUMMARY_SUMS, per household the member count, the seven money sums and the two warning
    counts, and the HOUSEHOLD_SUMS."""
    any_unreferred, any_hospital = claims.any_unreferred, claims.any_hospital
    any_out_of_city = claims.ooc_lowest < 3
    code = tiers.code
    claims_args, tiers_args, cap_args = tuple(claims), tuple(tiers), tuple(cap)
    found_args, warn_args, prem_args, aid_args = tuple(found), tuple(warn), tuple(prem), tuple(aid)
    sum_args, hh_args = tuple(sums), tuple(households)
    n = len(household)
    blocks = household_blocks(household_starts, n)
    max_block = int(np.diff(blocks).max()) if n else 0
    on3 = lambda k: np.empty((n if k else 0, 3))  # noqa: E731  a tier that is off: no memory
    ns, nm = (n if sup_on else 0), (n if n_plans else 0)
    out = dict(
        paid=np.empty(n_claims), base=np.empty(n_claims),
        total3=np.empty((n, 3)), policy3=np.empty((n, 3)), basic3=np.empty((n, 3)),
        extra3=on3(any_unreferred), hospital3=on3(any_hospital),
        crit=np.empty((n, 3)), asst=np.empty((n, 3)), sup=np.empty((ns, 3)), sup_out=np.empty(ns),
        mut=np.empty((nm, 3)), category=np.empty(n, dtype=code.dtype), oop_pre=np.empty(n),
        other=np.empty(n), cap_paid=np.empty(n), hh_cap=np.empty(n_households),
        hh_counted=np.empty(n_households),
    )  # fmt: skip
    # every household's sums, cap and 政策找人 scratch start at its first member inside the pass (each
    # block's own households, in its core's cache), not in a serial fill of ten arrays before it
    nf = n_households if found_on else 0
    found_scratch = (np.empty(nf), np.empty(nf), np.empty(nf, np.int64), np.empty(nf), np.empty(nf))
    newly = np.zeros(n_households, dtype=bool)
    tail = dict(new_mask=np.empty(n, dtype=cat_mask.dtype), warn_before=np.empty(n, dtype=bool),
                warn_after=np.empty(n, dtype=bool), premium=np.empty(n))  # fmt: skip
    aid_on = bool(((aid.bits != 0) & (aid.amount > 0)).any())
    tail["aid"] = np.empty(n if aid_on else 0)
    # each person's share of OOP on care the city settles (第二类 counts it; empty: all of it)
    tail["local"] = np.empty(n if any_out_of_city else 0)
    views = (
        out["sup"] if sup_on else zeros3(n), out["sup_out"] if sup_on else zeros(n),
        out["mut"] if n_plans else zeros3(n), out["extra3"] if any_unreferred else zeros3(n),
        out["hospital3"] if any_hospital else zeros3(n), tail["aid"] if aid_on else zeros(n),
    )  # fmt: skip
    summary = (
        np.zeros((len(blocks) - 1, N_SUMMARY_SUMS)), np.empty(n_households, dtype=np.int64),
        np.empty((8, n_households)), np.empty((2, n_households)), np.zeros((len(blocks) - 1, 7)),
    )  # fmt: skip
    _pick(*_year, n)(
        blocks, max_block, household, cat_mask, claims_args, tiers_args, cap_args, found_on, found_bit,
        income, found_args, warn_args, prem_args, aid_args, any_out_of_city, views, sum_args, hh_args,
        *out.values(),
        *found_scratch, newly, *tail.values(), *summary,
    )  # fmt: skip
    del out["hh_counted"]
    out["summary"] = (_add_rows(summary[0]), *summary[1:4], _add_rows(summary[4]))
    for k, on in (("extra3", any_unreferred), ("hospital3", any_hospital)):
        out[k] = out[k] if on else zeros3(n)
    if not sup_on:
        out["sup"], out["sup_out"] = zeros3(n), zeros(n)
    if not n_plans:
        out["mut"] = zeros3(n)
    out["newly"] = newly
    out["payers"] = {"other_paid": out.pop("other"), "cap_paid": out.pop("cap_paid")}
    out["cat_mask"] = tail.pop("new_mask") if newly.any() else cat_mask
    if not aid_on:
        tail["aid"] = zeros(n)
    out.update(tail)
    return out
