"""Synthetic population calibrated to a region's published statistics (`population:` section).

Everything is vectorised with one numpy Generator per chunk of persons; a loop runs only over
chunks, categories, hospital levels or bisection steps, never over persons or claims.

What is drawn, in order:
1. households: size 1 + Binomial(7, (mean-1)/7); urban or rural; the head's age from the region's
   head-age table; a spouse; further members children (or a parent of the head);
2. scheme: employee with odds by urban/rural and age group (child/working/retired), scaled so the
   expected employee share is the scenario's;
3. categories: household categories drawn per household with odds raised for rural, elderly and
   one-person households, scaled so each reaches its share of persons; person categories
   (e.g. orphans) drawn among eligible ages, more often inside poor households;
4. income: household per-capita disposable income, log-normal by urban/rural, poor households
   inside their band of multiples of the dibao line; the rest is scaled so the person-weighted
   mean equals the published per-capita income exactly; each member carries the per-capita income;
5. frailty g ~ Gamma(k, 1/k) per person: admissions ~ Poisson(λ·g) (negative binomial), λ by
   age, retiree status and category, scaled so the expected rate per scheme is the target;
6. each admission: hospital level by scheme (rural residents less tertiary), cost log-normal
   body spliced with a Pareto tail at the body's (1 - tail_share) quantile, then scaled per level
   so the mean cost per admission equals the target exactly; policy share ~ Beta; referral; month;
7. outpatient and chronic (门诊慢特病): one claim per user and year, users by age (more among the
   poor), spending log-normal with the user's frailty, scaled to the mean per scheme.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import PopulationError
from ..limits import check_persons
from ..parameters import CARE_SETTINGS, CAT_BIT_OF, CATEGORY_CODES, SCHEMES, SETTINGS
from .model import CLAIM_TEXT, OUT_OF_CITY_CODES, PERSON_TEXT, Population, text_column
from .spec import PopulationSpec, band_edges, population_spec

CHUNK_PERSONS = 1_000_000
MAX_PERSONS = 200_000_000
POLICY_SHARE_CONCENTRATION = 40.0  # Beta(a, b) with a + b = 40 around the policy-share mean


# ---------------------------------------------------------------------------- helpers


def _age_lookup(table: dict[str, float]) -> np.ndarray:
    """Value of an age-band table for each age 0..100."""
    lo, hi, val = band_edges(table)
    out = np.zeros(101)
    for a, b, v in zip(lo, hi, val):
        out[a : min(b, 100) + 1] = v
    return out


def _solve_scale(base: np.ndarray, weights: np.ndarray, target: float, cap: float = 1.0) -> float:
    """k with sum(weights * min(k * base, cap)) == target (bisection in log space)."""
    if target <= 0 or not (base > 0).any():
        return 0.0
    # base takes few distinct values (products of a few factors): solve on the grouped form
    codes, uniq = pd.factorize(base)
    if len(uniq) < len(base) // 4:
        weights = np.bincount(codes, weights=weights, minlength=len(uniq))
        base = np.asarray(uniq, dtype=float)
    if float(np.dot(weights, np.full_like(base, cap) * (base > 0))) <= target:
        return float("inf")
    lo, hi = 1e-12, 1.0
    while float(np.dot(weights, np.minimum(hi * base, cap))) < target:
        hi *= 4.0
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        if float(np.dot(weights, np.minimum(mid * base, cap))) < target:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1 + 1e-9:
            break
    return math.sqrt(lo * hi)


def _pick(u: np.ndarray, cum: np.ndarray) -> np.ndarray:
    """Index of the category each uniform draw falls in; `cum` rows are cumulative shares."""
    return (u[:, None] >= cum[:, :-1]).sum(axis=1) if cum.ndim == 2 else np.searchsorted(cum, u, "right")


def _beta_share(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    m = np.clip(mean, 1e-3, 1 - 1e-3)
    c = POLICY_SHARE_CONCENTRATION
    out = rng.beta(m * c, (1 - m) * c)
    return np.where(mean >= 1.0, 1.0, np.where(mean <= 0.0, 0.0, out))


def tail_threshold_z(tail_share: float) -> float:
    return float(stats.norm.ppf(1.0 - tail_share)) if tail_share > 0 else float("inf")


def spliced_costs(rng: np.random.Generator, n: int, sigma: float, tail_share: float, alpha: float):
    """Unit-median log-normal body below its (1 - tail_share) quantile t, Pareto(alpha) above t:
    one uniform per draw, inverse CDF of the spliced distribution (continuous at t)."""
    u = rng.random(n)
    if tail_share <= 0:
        return np.exp(sigma * special.ndtri(u))
    cut = 1.0 - tail_share
    body = u < cut
    x = np.empty(n)
    x[body] = np.exp(sigma * special.ndtri(u[body]))
    t = math.exp(sigma * tail_threshold_z(tail_share))
    v = (u[~body] - cut) / tail_share
    x[~body] = t * (1.0 - v) ** (-1.0 / alpha)
    return x


# ---------------------------------------------------------------------------- one chunk


class _Chunk:
    def __init__(self, spec: PopulationSpec, params, n: int, rng: np.random.Generator):
        self.spec, self.p, self.n, self.rng = spec, params, n, rng

    # -- households and ages
    def households(self):
        spec, rng, n = self.spec, self.rng, self.n
        hs = spec.households
        q = (hs.mean_size - 1.0) / 7.0
        sizes = np.empty(0, dtype=np.int64)
        while sizes.sum() < n:
            more = 1 + rng.binomial(7, q, size=int(n / hs.mean_size * 1.05) + 16)
            sizes = np.concatenate([sizes, more])
        cum = np.cumsum(sizes)
        H = int(np.searchsorted(cum, n) + 1)
        sizes = sizes[:H].copy()
        sizes[-1] -= int(cum[H - 1] - n)
        hh = np.repeat(np.arange(H), sizes)
        start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        pos = np.arange(n) - start[hh]
        urban_h = rng.random(H) < spec.urban_share
        lo, hi, w = band_edges(hs.head_age)
        w = np.asarray(w) / np.sum(w)
        band = rng.choice(len(w), size=H, p=w)
        head = rng.integers(np.asarray(lo)[band], np.asarray(hi)[band] + 1)
        head_p = head[hh]
        spouse = np.clip(head_p + np.rint(rng.normal(0.0, 3.0, n)).astype(np.int64), 18, 100)
        child = np.clip(head_p - 22 - rng.integers(0, 16, n), 0, 100)
        parent = np.clip(head_p + 22 + rng.integers(0, 12, n), 0, 100)
        is_child = (rng.random(n) < hs.child_share) | (head_p >= 65)
        age = np.where(pos == 0, head_p, np.where(pos == 1, spouse, np.where(is_child, child, parent)))
        self.H, self.sizes, self.hh, self.urban_h = H, sizes, hh, urban_h
        self.urban = urban_h[hh]
        self.age = age.astype(np.int64)

    # -- scheme
    def schemes(self):
        sc = self.spec.schemes
        age = self.age
        group = np.where(age < 18, 0, np.where(age < 60, 1, 2))
        prop = np.array(
            [[sc.propensity[a][g] for g in ("child", "working", "retired")] for a in ("rural", "urban")]
        )
        base = prop[self.urban.astype(int), group]
        k = _solve_scale(base, np.ones(self.n), sc.employee_share * self.n, cap=0.98)
        p = np.minimum(k * base, 0.98) if math.isfinite(k) else (base > 0) * 0.98
        self.employee = self.rng.random(self.n) < p

    # -- categories
    def categories(self):
        spec, rng, n, H = self.spec, self.rng, self.n, self.H
        defined = [c for c in spec.categories if c in self.p.categories]
        hh_cats = [c for c in defined if spec.categories[c].unit == "household"]
        per_cats = [c for c in defined if spec.categories[c].unit == "person"]
        elderly_h = np.bincount(self.hh, weights=(self.age >= 60).astype(float), minlength=H) > 0
        single_h = self.sizes == 1
        rural_h = ~self.urban_h
        q = np.zeros((H, len(hh_cats)))
        for j, c in enumerate(hh_cats):
            cs = spec.categories[c]
            risk = (
                np.where(rural_h, cs.rural_risk, 1.0)
                * np.where(elderly_h, cs.elderly_risk, 1.0)
                * np.where(single_h, cs.single_risk, 1.0)
            )
            k = _solve_scale(risk, self.sizes.astype(float), cs.share * n)
            q[:, j] = np.minimum(k * risk, 1.0) if math.isfinite(k) else 1.0
        tot = q.sum(axis=1)
        q = q / np.maximum(tot, 1.0)[:, None]
        u = rng.random(H)
        cum = np.cumsum(q, axis=1)
        choice = (u[:, None] >= cum).sum(axis=1)  # len(hh_cats): no category
        hh_code = np.full(H, -1)
        if hh_cats:
            hh_code = np.where(choice < len(hh_cats), choice, -1)
        mask = np.zeros(n, dtype=np.int64)
        bits = np.array([CAT_BIT_OF[c] for c in hh_cats] + [0], dtype=np.int64)
        mask |= bits[np.where(hh_code >= 0, hh_code, len(hh_cats))][self.hh]
        self.hh_code, self.hh_cats = hh_code, hh_cats
        poor_p = mask != 0
        for c in per_cats:
            cs = spec.categories[c]
            lo, hi = (int(x) for x in (cs.ages or "0-100").split("-"))
            ok = (self.age >= lo) & (self.age <= hi)
            risk = (
                ok
                * np.where(~self.urban, cs.rural_risk, 1.0)
                * np.where(poor_p, cs.poor_risk, 1.0)
                * np.where(elderly_h[self.hh], cs.elderly_risk, 1.0)
                * np.where(single_h[self.hh], cs.single_risk, 1.0)
            )
            k = _solve_scale(risk, np.ones(n), cs.share * n)
            pr = np.minimum(k * risk, 1.0) if math.isfinite(k) else ok * 1.0
            mask |= np.where(rng.random(n) < pr, CAT_BIT_OF[c], 0)
        self.cat_mask = mask
        self.poor = mask != 0

    def category_strings(self) -> pd.Categorical:
        uniq, inv = np.unique(self.cat_mask, return_inverse=True)
        names = []
        for m in uniq:
            parts = [c for c in CATEGORY_CODES[1:] if m & CAT_BIT_OF[c]]
            names.append("|".join(parts) or "none")
        return text_column(names, inv.reshape(-1))

    # -- income
    def incomes(self):
        spec, rng, H = self.spec, self.rng, self.H
        inc = spec.income
        dibao_year = self.p.flags.dibao_monthly * 12.0
        sigma = np.where(self.urban_h, inc.urban_sigma, inc.rural_sigma)
        y = np.exp(rng.standard_normal(H) * sigma - sigma**2 / 2)  # unit mean
        fixed = np.zeros(H, dtype=bool)
        for j, c in enumerate(self.hh_cats):
            band = spec.categories[c].income
            if band is None:
                continue
            sel = self.hh_code == j
            y[sel] = dibao_year * rng.uniform(band[0], band[1], int(sel.sum()))
            fixed |= sel
        w = self.sizes.astype(float)
        for area, target in ((True, inc.urban_mean), (False, inc.rural_mean)):
            a = self.urban_h == area
            free = a & ~fixed
            need = target * w[a].sum() - np.dot(w[a & fixed], y[a & fixed])
            have = np.dot(w[free], y[free])
            if free.any():
                if need <= 0:
                    raise PopulationError(
                        f"population.income: the poor households' incomes alone exceed the "
                        f"{'urban' if area else 'rural'} mean {target:g}; lower their income bands"
                    )
                y[free] *= need / have
        self.income = y[self.hh]

    def disabled(self):
        s = self.spec.disabled_share
        if s <= 0:
            self.disabled_flag = np.zeros(self.n, dtype=bool)
            return
        f = 1.0 + self.poor + (self.age >= 60)
        k = _solve_scale(f, np.ones(self.n), s * self.n)
        self.disabled_flag = self.rng.random(self.n) < np.minimum(k * f, 1.0)

    # -- claims
    def inpatient(self, levels: list[str]):
        spec, rng, n = self.spec, self.rng, self.n
        ip = spec.inpatient
        self.frailty = rng.gamma(ip.dispersion, 1.0 / ip.dispersion, n)
        rel = _age_lookup(ip.age_profile)[np.minimum(self.age, 100)]
        rel = rel * np.where(self.employee & (self.age >= 60), ip.retiree_factor, 1.0)
        rel = rel * np.where(self.poor, ip.poor_factor, 1.0)
        lam = np.zeros(n)
        for s in SCHEMES:
            m = self.employee if s == "employee" else ~self.employee
            if m.any():
                lam[m] = rel[m] * ip.rate[s] * m.sum() / rel[m].sum()
        counts = rng.poisson(lam * self.frailty)
        who = np.repeat(np.arange(n), counts)
        k = len(who)
        # hospital level: 0 employee, 1 urban resident, 2 rural resident
        row = np.where(self.employee, 0, np.where(self.urban, 1, 2))[who]
        shares = np.array([[ip.level_share[s].get(lv, 0.0) for lv in levels] for s in SCHEMES])
        rural = shares[1].copy()
        if "3" in levels and "2" in levels:
            i3, i2 = levels.index("3"), levels.index("2")
            moved = rural[i3] * ip.rural_level_shift
            rural[i3] -= moved
            rural[i2] += moved
        cum = np.cumsum(np.vstack([shares, rural]), axis=1)
        u = rng.random(k)
        lvl = np.minimum((u[:, None] >= cum[row]).sum(axis=1), len(levels) - 1)
        x = spliced_costs(rng, k, ip.sigma, ip.tail_share, ip.tail_alpha)
        emp = self.employee[who]
        fac = np.where(
            emp, ip.scheme_cost_factor.get("employee", 1.0), ip.scheme_cost_factor.get("resident", 1.0)
        )
        x = x * fac
        means = np.array([ip.costs.cost_mean[lv] for lv in levels])
        counts_l = np.bincount(lvl, minlength=len(levels))
        for _ in range(3):  # scale per level to the target mean; the cap bites a little, so repeat
            sums = np.bincount(lvl, weights=x, minlength=len(levels))
            scale = np.divide(means * counts_l, sums, out=np.ones(len(levels)), where=sums > 0)
            x = np.minimum(x * scale[lvl], ip.max_cost)
        pshare = np.array([ip.costs.policy_share[lv] for lv in levels])[lvl]
        policy = x * _beta_share(rng, pshare)
        referred = rng.random(k) < ip.referred_share
        # a level needing no referral (毕节 二(七): below county level) has no unreferred admissions
        needed = np.array([self.p.hospital_levels[lv].referral_required for lv in levels], dtype=bool)
        referred |= ~needed[lvl]
        month = rng.integers(1, 13, k)
        self.claims = [("inpatient", who, lvl, x, policy, referred, month)]

    def spending(self, setting: str, levels: list[str]):
        spec, rng, n = self.spec, self.rng, self.n
        sp = spec.outpatient if setting == "outpatient" else spec.chronic
        pu = _age_lookup(sp.users_by_age)[np.minimum(self.age, 100)]
        pu = np.minimum(pu * np.where(self.poor, sp.poor_factor, 1.0), 1.0)
        if setting == "chronic":  # chronic patients are the frail ones
            pu = np.minimum(pu * self.frailty / self.frailty.mean(), 1.0)
        user = rng.random(n) < pu
        who = np.flatnonzero(user)
        k = len(who)
        emp = self.employee[who]
        x = np.exp(sp.sigma * rng.standard_normal(k)) * np.sqrt(self.frailty[who])
        for flag, s in ((True, "employee"), (False, "resident")):
            m = emp == flag
            if m.any():
                x[m] *= sp.mean[s] / x[m].mean()
        shares = np.array([sp.level_share.get(lv, 0.0) for lv in levels])
        lvl = np.minimum(np.searchsorted(np.cumsum(shares), rng.random(k), "right"), len(levels) - 1)
        policy = x * _beta_share(rng, np.full(k, sp.policy_share))
        month = rng.integers(1, 13, k)
        self.claims.append((setting, who, lvl, x, policy, np.ones(k, dtype=bool), month))


def _care_need(c: _Chunk) -> tuple[np.ndarray, np.ndarray]:
    """care_need 0-3 by age (× the poor's and the disabled's odds) and the institutional setting;
    drawn last from the chunk's generator, so every earlier draw is unchanged."""
    cn = c.spec.care_need
    if cn is None:
        return np.zeros(c.n, dtype=np.int64), np.zeros(c.n, dtype=bool)
    table = np.zeros((101, 3))
    for k, row in cn.prevalence.items():
        lo, hi = (int(x) for x in k.split("-"))
        table[lo : min(hi, 100) + 1] = row
    prev = table[np.minimum(c.age, 100)]
    odds = np.where(c.poor, cn.poor_factor, 1.0) * np.where(c.disabled_flag, cn.disabled_factor, 1.0)
    prev = prev * odds[:, None]
    prev = prev / np.maximum(prev.sum(axis=1), 1.0)[:, None]  # never more than certain
    cum = np.cumsum(prev[:, ::-1], axis=1)  # level 3 first
    u = c.rng.random(c.n)
    level = 3 - (u[:, None] >= cum).sum(axis=1)  # 0 when u is past every level
    level = np.where(u < cum[:, -1], level, 0)
    share = np.array([0.0, *cn.institution_share])
    institution = (level > 0) & (c.rng.random(c.n) < share[level])
    return level.astype(np.int64), institution


def _districts(c: _Chunk) -> np.ndarray | None:
    """District per person (households whole): share × poverty/elderly odds, normalised."""
    ds = c.spec.districts
    if not ds:
        return None
    names = list(ds)
    elderly_h = np.bincount(c.hh, weights=(c.age >= 60).astype(float), minlength=c.H) > 0
    poor_h = np.bincount(c.hh, weights=c.poor.astype(float), minlength=c.H) > 0
    share = np.array([ds[k].share for k in names])
    pr = np.array([ds[k].poverty_risk for k in names])
    er = np.array([ds[k].elderly_risk for k in names])
    w = share[None, :] * np.where(poor_h[:, None], pr, 1.0) * np.where(elderly_h[:, None], er, 1.0)
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    code = np.minimum((c.rng.random(c.H)[:, None] >= cum).sum(axis=1), len(names) - 1)
    return text_column(names, code[c.hh])


def _flags(c: _Chunk) -> tuple[np.ndarray, np.ndarray]:
    """(veteran among adults, union member among working-age employees) at the spec's shares."""
    spec, n = c.spec, c.n
    veteran = np.zeros(n, dtype=bool)
    union = np.zeros(n, dtype=bool)
    if spec.veteran_share > 0:
        adult = c.age >= 18
        p = min(spec.veteran_share * n / max(int(adult.sum()), 1), 1.0)
        veteran = adult & (c.rng.random(n) < p)
    if spec.union_share > 0:
        working = c.employee & (c.age >= 18) & (c.age < 60)
        union = working & (c.rng.random(n) < spec.union_share)
    return veteran, union


def _new_poor(c: _Chunk) -> tuple[np.ndarray, np.ndarray]:
    """(identified_month per person, enrolled) for households newly identified this year."""
    npo = c.spec.new_poor
    month = np.zeros(c.n, dtype=np.int8)
    enrolled = np.ones(c.n, dtype=bool)
    if npo is None or npo.share <= 0:
        return month, enrolled
    cats = npo.categories or [k for k in c.p.categories if k != "none"]
    bits = np.bitwise_or.reduce([CAT_BIT_OF[k] for k in cats if k in CAT_BIT_OF] or [0])
    holds_h = np.bincount(c.hh, weights=((c.cat_mask & bits) != 0).astype(float), minlength=c.H) > 0
    new_h = holds_h & (c.rng.random(c.H) < npo.share)
    month_h = np.where(new_h, c.rng.integers(1, 13, c.H), 0)
    uninsured_h = new_h & (c.rng.random(c.H) < npo.uninsured_share)
    holds = (c.cat_mask & bits) != 0
    month = np.where(holds, month_h[c.hh], 0).astype(np.int8)
    enrolled = ~(holds & uninsured_h[c.hh])
    return month, enrolled


def _claim_extras(c: _Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Inpatient admissions: quota-disease codes (re-costed around the case cost), referral chains
    of persons with several admissions, out-of-city admissions. Returns per inpatient claim
    (disease code, referral chain, out-of-city code or None) and updates the costs in place."""
    spec, rng = c.spec, c.rng
    setting, who, lvl, x, policy, referred, month = c.claims[0]
    k = len(who)
    disease = np.full(k, "", dtype=object)
    if spec.diseases and k:
        quota = c.p.hospital_liability.disease_quota
        coded = np.zeros(k, dtype=bool)
        share = np.divide(policy, x, out=np.ones(k), where=x > 0)
        for code, d in spec.diseases.items():
            lo, hi = (int(v) for v in d.ages.split("-"))
            ok_person = (c.age >= lo) & (c.age <= hi)
            pool = np.flatnonzero(ok_person[who] & ~coded)
            m = min(int(rng.poisson(d.incidence * int(ok_person.sum()))), len(pool))
            if m == 0:
                continue
            pick = rng.choice(pool, size=m, replace=False)
            mean = d.cost_mean if d.cost_mean is not None else quota[code].quota * spec.disease_cost_factor
            sig = spec.disease_sigma
            x[pick] = mean * np.exp(sig * rng.standard_normal(m) - sig**2 / 2)
            policy[pick] = x[pick] * share[pick]
            disease[pick] = code
            coded[pick] = True
        # the other admissions of each level are rescaled so every level keeps its mean cost
        means = np.array([c.spec.inpatient.costs.cost_mean[lv] for lv in c.p.hospital_levels])
        n_l = np.bincount(lvl, minlength=len(means))
        fixed = np.bincount(lvl, weights=np.where(coded, x, 0.0), minlength=len(means))
        free = np.bincount(lvl, weights=np.where(coded, 0.0, x), minlength=len(means))
        need = means * n_l - fixed
        scale = np.divide(need, free, out=np.ones(len(means)), where=(free > 0) & (need > 0))
        f = np.where(coded, 1.0, scale[lvl])
        x *= f
        policy *= f
    chain = np.full(k, -1, dtype=np.int64)
    if spec.referral_chain_share > 0 and k:
        several = np.bincount(who, minlength=c.n) >= 2
        in_chain = several & (rng.random(c.n) < spec.referral_chain_share)
        chain = np.where(in_chain[who], 1, -1).astype(np.int64)
    out = None
    if spec.out_of_city:
        r = spec.out_of_city.get("registered", 0.0)
        un = spec.out_of_city.get("unregistered", 0.0)
        u = rng.random(k)
        out = np.where(u < r, 1, np.where(u < r + un, 2, 0)).astype(np.int8)
    return disease, chain, out


def _chunk_tables(spec, params, n, rng, pid0: int, hid0: int):
    levels = list(params.hospital_levels)
    c = _Chunk(spec, params, n, rng)
    c.households()
    c.schemes()
    c.categories()
    c.incomes()
    c.disabled()
    c.inpatient(levels)
    c.spending("outpatient", levels)
    c.spending("chronic", levels)
    care_need, institution = _care_need(c)
    district = _districts(c)
    veteran, union = _flags(c)
    identified_month, enrolled = _new_poor(c)
    ip_disease, ip_chain, ip_out = _claim_extras(c)
    persons = pd.DataFrame(
        {
            "person_id": np.arange(pid0 + 1, pid0 + n + 1, dtype=np.int64),
            "household_id": (c.hh + hid0 + 1).astype(np.int64),
            "age": c.age.astype(np.int16),
            "scheme": pd.Categorical.from_codes(np.where(c.employee, 0, 1), categories=list(SCHEMES)),
            "category": c.category_strings(),
            "income": c.income,
            "weight": np.ones(n),
            "district": text_column("all", n=n) if district is None else district,
            "disabled": c.disabled_flag,
            "veteran": veteran,
            "union_member": union,
            "enrolled": enrolled,
            "care_need": care_need,
            "care_setting": (
                text_column(CARE_SETTINGS, institution.astype(np.int64))
                if institution.any()
                else text_column("home", n=n)
            ),
            "identified_month": identified_month.astype(np.int64),
            "urban": c.urban,
        }
    )
    setting_code = np.concatenate([np.full(len(t[1]), SETTINGS.index(t[0]), dtype=np.int8) for t in c.claims])
    lvl = np.concatenate([t[2] for t in c.claims])
    claims = pd.DataFrame(
        {
            "person_id": np.concatenate([t[1] for t in c.claims]).astype(np.int64) + pid0 + 1,
            "setting": pd.Categorical.from_codes(setting_code, categories=list(SETTINGS)),
            "hospital_level": text_column(levels, lvl),
            "total_cost": np.concatenate([t[3] for t in c.claims]),
            "policy_cost": np.concatenate([t[4] for t in c.claims]),
            "referred": np.concatenate([t[5] for t in c.claims]),
            "disease": _disease_column(ip_disease, len(lvl)),
            "referral_chain": np.concatenate(
                [ip_chain, np.full(len(lvl) - len(ip_chain), -1, dtype=np.int64)]
            ),
            "month": np.concatenate([t[6] for t in c.claims]).astype(np.int8),
        }
    )
    if ip_out is None:
        claims["out_of_city"] = text_column("local", n=len(lvl))
    else:
        codes = np.concatenate([ip_out, np.zeros(len(lvl) - len(ip_out), dtype=np.int8)])
        claims["out_of_city"] = text_column(OUT_OF_CITY_CODES, codes)
    return persons, claims, c.cat_mask, int(c.H)


def _disease_column(ip_disease: np.ndarray, n_claims: int) -> pd.Categorical:
    """The inpatient claims' disease codes, then "" for the outpatient and chronic claims."""
    codes, names = pd.factorize(ip_disease, sort=False)
    names = [*names, ""]
    rest = np.full(n_claims - len(ip_disease), len(names) - 1, dtype=np.int64)
    return text_column(names, np.concatenate([codes.astype(np.int64), rest]))


def concat_tables(parts: list[pd.DataFrame], text: tuple[str, ...]) -> pd.DataFrame:
    """The chunks' tables as one, the text categoricals on the union of their categories (sorted,
    as `text_column`): pd.concat would turn categoricals with different categories into strings."""
    if len(parts) == 1:
        return parts[0]
    for col in text:
        if col in parts[0]:
            union = sorted(set().union(*(p[col].cat.categories for p in parts)))
            cats = pd.Index(union, dtype=str)
            for p in parts:
                p[col] = p[col].cat.set_categories(cats)
    return pd.concat(parts, ignore_index=True)


def iter_chunks(
    scenario, persons: int, seed: int = 7, chunk_persons: int = CHUNK_PERSONS
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, np.ndarray]]:
    """Yield (persons, claims, category masks) chunk by chunk; weights already set."""
    spec = population_spec(scenario)
    if isinstance(persons, bool) or not isinstance(persons, (int, np.integer)) or persons <= 0:
        raise PopulationError(f"generate_population: persons must be a positive integer, got {persons!r}")
    if persons > MAX_PERSONS:
        raise PopulationError(f"generate_population: at most {MAX_PERSONS:,} persons, got {persons:,}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise PopulationError(f"generate_population: seed must be a non-negative integer, got {seed!r}")
    persons = int(persons)
    n_chunks = max(1, math.ceil(persons / chunk_persons))
    sizes = [persons // n_chunks + (1 if i < persons % n_chunks else 0) for i in range(n_chunks)]
    seqs = np.random.SeedSequence(int(seed)).spawn(n_chunks)
    weight = spec.insured / persons
    pid0 = hid0 = 0
    for size, ss in zip(sizes, seqs):
        rng = np.random.default_rng(ss)
        pp, cc, mask, H = _chunk_tables(spec, scenario.params, size, rng, pid0, hid0)
        pp["weight"] = weight
        pid0 += size
        hid0 += H
        yield pp, cc, mask


def generate_population(
    scenario, persons: int = 100_000, seed: int = 7, *, chunk_persons: int = CHUNK_PERSONS
):
    """A synthetic population of `persons` rows representing the scenario's insured population
    (weights sum to `population.insured`), deterministic for (seed, chunk_persons).

    Raises ScenarioError for a bad or missing `population:` section, PopulationError for bad
    arguments, PopulationTooLargeError for a size that would not fit in memory."""
    check_persons(persons)  # refused up front with an estimate (simulation/limits.py)
    parts_p, parts_c, masks = [], [], []
    for pp, cc, mask in iter_chunks(scenario, persons, seed, chunk_persons):
        parts_p.append(pp)
        parts_c.append(cc)
        masks.append(mask)
    pp = concat_tables(parts_p, PERSON_TEXT)
    cc = concat_tables(parts_c, CLAIM_TEXT)
    mask = masks[0] if len(masks) == 1 else np.concatenate(masks)
    del parts_p, parts_c
    pop = Population.trusted(pp, cc, source=f"generated {scenario.id} seed={seed}")
    pop.__dict__["_cat_mask"] = mask
    return pop
