"""The core chain (basic → critical illness → assistance → household cap) written as OpenFisca
variables: an independent reference for the engine's totals and a speed yardstick (issue #7).

OpenFisca (openfisca-core, a dev-only dependency: requirements-dev.txt) has one base entity and
group entities of it. Here the base entity is the **claim**, and the insured **person** and the
**household** are group entities of claims, so the per-claim basic tier (deductible per admission
or per year, ratios by level, the fund cap in month order) is an OpenFisca variable like every later
tier. A person with no claim gets one empty claim (zero cost) so that every person and household has
a member; it changes no amount. Each person's first claim has the role `first`, which counts a
person once in household sums.

The parameters are read from a scenario (`parameter_tree`), dated 1 January of its year. Only the
features of the core chain are implemented; `check_supported` refuses anything else (special term
sets, unreferred terms, referral chains, hospital liability, supplement, mutual aid, other
subsidies, 政策找人). `core_scenario("linan_2024")` switches supplement, mutual aid, other subsidies and
政策找人 off in our engine so the two give the same totals (Bijie, with special terms, unreferred
terms and hospital liability, is refused):

    from benchmarks.openfisca_reference import core_scenario, reference_totals, engine_totals
    scn = core_scenario("linan_2024")
    pop = generate_population(scn, persons=5_000, seed=1)
    ref = reference_totals(pop, scn)     # {"basic_paid": …, …, "build_seconds": …, "compute_seconds": …}
    ours = engine_totals(pop, scn)

OpenFisca has no ordered running sum within a group, so the two running totals of the basic tier
(a per-year deductible, a fund cap over the year's claims in month order) use numpy inside the
formulas. OpenFisca stores `float` variables as float32; the reference sets them to float64 like the
engine, so the totals agree to rounding (about 1e-14 measured; float32 would give about 1e-7).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from simulation import generate_population, simulate
from simulation.parameters import CAT_BIT_OF, CATEGORY_CODES, SCHEMES, SETTINGS

try:  # dev-only dependency
    from openfisca_core.entities import build_entity
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import YEAR
    from openfisca_core.simulations import SimulationBuilder
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable
except ImportError as e:  # pragma: no cover - exercised only without the dev requirements
    raise ImportError(
        "benchmarks.openfisca_reference needs openfisca-core: pip install -r requirements-dev.txt"
    ) from e

TIERS = ("basic_paid", "critical_paid", "assistance_paid", "cap_paid", "oop")

# tiers of our engine outside the core chain, switched off for the comparison
CORE_CHANGES: dict[str, Any] = {
    "supplement.enabled": False,
    "other_subsidies": [],
    "mutual_aid": [],
    "flags.policy_finds_people": False,
}


def core_scenario(name: str = "linan_2024", extra: dict | None = None):
    """The preset with every tier outside the core chain switched off (a `with_changes` diff)."""
    from simulation import load_scenario

    scn = load_scenario(name)
    raw = scn.raw
    changes = {k: v for k, v in CORE_CHANGES.items() if k.split(".")[0] in raw}
    return scn.with_changes({**changes, **(extra or {})})


def check_supported(p) -> None:
    """Raise NotImplementedError for a scenario feature the reference does not implement."""
    bad = []
    bi = p.basic_insurance
    if bi.special_terms:
        bad.append("basic_insurance.special_terms")
    for scheme in SCHEMES:
        for setting in SETTINGS:
            if getattr(getattr(bi, scheme), setting).unreferred is not None:
                bad.append(f"basic_insurance.{scheme}.{setting}.unreferred")
    hl = p.hospital_liability
    if hl.disease_quota or hl.out_of_catalogue_share_max is not None:
        bad.append("hospital_liability")
    if p.supplement.enabled:
        bad.append("supplement.enabled")
    if p.mutual_aid:
        bad.append("mutual_aid")
    if p.other_subsidies:
        bad.append("other_subsidies")
    if p.flags.policy_finds_people:
        bad.append("flags.policy_finds_people")
    if bad:
        raise NotImplementedError("OpenFisca reference: not in the core chain: " + ", ".join(bad))


# ---------------------------------------------------------------------------- parameters


def _v(x, date: str) -> dict:
    return {"values": {date: {"value": x}}}


def _level_key(i: int) -> str:
    return f"level_{i}"


def parameter_tree(p) -> dict:
    """The scenario's core-chain parameters as an OpenFisca parameter tree (plain dict)."""
    date = f"{p.year}-01-01"
    levels = list(p.hospital_levels)

    def by_level(v):
        return {
            _level_key(i): _v(float(v[lv] if isinstance(v, dict) else v), date) for i, lv in enumerate(levels)
        }

    basic = {}
    for scheme in SCHEMES:
        sch = getattr(p.basic_insurance, scheme)
        node = {
            "annual_cap": _v(None if sch.annual_cap is None else float(sch.annual_cap), date),
            "retiree_ratio_bonus": _v(float(sch.retiree_ratio_bonus), date),
            "retirement_age": _v(int(sch.retirement_age), date),
        }
        for setting in SETTINGS:
            st = getattr(sch, setting)
            node[setting] = {
                "deductible": by_level(st.deductible),
                "ratio": by_level(st.ratio),
                "deductible_per_year": _v(st.deductible_per == "year", date),
                "annual_cap": _v(None if st.annual_cap is None else float(st.annual_cap), date),
            }
        basic[scheme] = node

    def bands(bs):
        return {
            f"band_{i}": {
                "upto": _v(None if b.upto is None else float(b.upto), date),
                "ratio": _v(b.ratio, date),
            }
            for i, b in enumerate(bs)
        }

    ci = p.critical_illness
    tilts = {}
    for i, t in enumerate(ci.tilts):
        tilts[f"tilt_{i}"] = {
            "categories": _v(list(t.categories), date),
            "threshold": _v(None if t.threshold is None else float(t.threshold), date),
            "threshold_factor": _v(float(t.threshold_factor), date),
            "ratio_bonus": _v(float(t.ratio_bonus), date),
            "uncapped": _v(bool(t.uncapped), date),
            "own_bands": _v(t.bands is not None, date),
            **({"bands": bands(t.bands)} if t.bands is not None else {}),
        }
    ma = p.medical_assistance
    fc = p.family_cap
    return {
        "hospital_levels": {
            _level_key(i): {"pays": _v(p.hospital_levels[lv].pays, date)} for i, lv in enumerate(levels)
        },
        "basic_insurance": basic,
        "critical_illness": {
            "enabled": _v(bool(ci.enabled), date),
            "schemes": _v(list(ci.schemes), date),
            "settings": _v(list(ci.settings), date),
            "base_includes_below_deductible": _v(bool(ci.base_includes_below_deductible), date),
            "threshold": _v(float(ci.terms.threshold), date),
            "bands": bands(ci.terms.bands),
            "cap": _v(None if ci.terms.cap is None else float(ci.terms.cap), date),
            **({"tilts": tilts} if tilts else {}),
        },
        "medical_assistance": {
            **{
                name: {c: _v(float(x), date) for c, x in getattr(ma, name).items()}
                for name in (
                    "inpatient_ratio",
                    "outpatient_ratio",
                    "chronic_ratio",
                    "deductible",
                    "annual_limit",
                    "outpatient_annual_limit",
                )
                if getattr(ma, name)
            },
            "base_includes_below_deductible": _v(bool(ma.base_includes_below_deductible), date),
            "requires_enrolment": _v(bool(ma.requires_enrolment), date),
        },
        "family_cap": {
            "enabled": _v(bool(fc.enabled), date),
            **({"cap": {c: _v(float(x), date) for c, x in fc.cap.items()}} if fc.cap else {}),
            "share": _v(float(fc.share), date),
            "out_of_catalogue_reasonable_share": _v(float(fc.out_of_catalogue_reasonable_share), date),
            "negative_list_share": _v(float(fc.negative_list_share), date),
            "personal": _v(list(fc.personal), date),
            "requires_enrolment": _v(bool(fc.requires_enrolment), date),
        },
    }


def _num(x) -> float:
    """A parameter value, with None (no cap / no upper end) as +inf."""
    return np.inf if x is None else float(x)


def _children(node) -> dict:
    """The children of a parameter node at an instant ({} for None)."""
    return {k: node[k] for k in node} if node is not None else {}


def _get(node, key, default=None):
    """A child of a node at an instant; `default` when absent (a None value leaves no child)."""
    return node[key] if node is not None and key in node else default


def _basic_tables(P, n_levels: int) -> dict[str, np.ndarray]:
    """Lookup arrays [scheme, setting, level] from the parameters at an instant."""
    bi = P.basic_insurance
    ded = np.zeros((2, 3, n_levels))
    ratio = np.zeros((2, 3, n_levels))
    per_year = np.zeros((2, 3), dtype=bool)
    setting_cap = np.full((2, 3), np.inf)
    out = {"scheme_cap": np.full(2, np.inf), "bonus": np.zeros(2), "retirement_age": np.zeros(2)}
    for j, scheme in enumerate(SCHEMES):
        sch = bi[scheme]
        out["scheme_cap"][j] = _num(_get(sch, "annual_cap"))
        out["bonus"][j] = sch.retiree_ratio_bonus
        out["retirement_age"][j] = sch.retirement_age
        for s, setting in enumerate(SETTINGS):
            st = sch[setting]
            for k in range(n_levels):
                ded[j, s, k] = st.deductible[_level_key(k)]
                ratio[j, s, k] = st.ratio[_level_key(k)]
            per_year[j, s] = bool(st.deductible_per_year)
            setting_cap[j, s] = _num(_get(st, "annual_cap"))
    out.update(deductible=ded, ratio=ratio, per_year=per_year, setting_cap=setting_cap)
    out["level_pays"] = np.array([bool(P.hospital_levels[_level_key(k)].pays) for k in range(n_levels)])
    return out


def _running_before(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running total of `values` before each element within groups of equal `keys`, in array order."""
    order = np.argsort(keys, kind="stable")
    k, v = keys[order], values[order]
    total = np.cumsum(v)
    start = np.empty(len(k), dtype=bool)
    start[:1] = True
    np.not_equal(k[1:], k[:-1], out=start[1:])
    before = np.where(start, total - v, 0.0)
    offsets = before[start][np.cumsum(start) - 1]
    out = np.empty_like(values)
    out[order] = total - v - offsets
    return out


def _capped(keys: np.ndarray, values: np.ndarray, cap) -> np.ndarray:
    """Share of each element that fits under a running cap of its group (first claims first)."""
    before = _running_before(keys, values)
    return np.minimum(before + values, cap) - np.minimum(before, cap)


# ---------------------------------------------------------------------------- the system


def build_system(scenario) -> TaxBenefitSystem:
    """A TaxBenefitSystem of the core chain with the scenario's parameters."""
    p = scenario.params
    check_supported(p)
    n_levels = len(p.hospital_levels)
    categories = [c for c in CATEGORY_CODES if c in p.categories or c == "none"]

    Claim = build_entity(key="claim", plural="claims", label="A medical episode (就诊)", is_person=True)
    Person = build_entity(
        key="person",
        plural="persons",
        label="An insured person (参保人), a group of claims",
        roles=[{"key": "first", "plural": "firsts", "max": 1}, {"key": "further", "plural": "furthers"}],
    )
    Household = build_entity(
        key="household",
        plural="households",
        label="A household (家庭), a group of claims",
        roles=[{"key": "member", "plural": "members"}],
    )
    tbs = TaxBenefitSystem([Claim, Person, Household])
    tbs.parameters = ParameterNode("", data=parameter_tree(p))

    def var(name, entity, value_type=float, formula=None, default=None, label=""):
        attrs = {
            "value_type": value_type,
            "entity": entity,
            "definition_period": YEAR,
            "label": label or name,
        }
        if default is not None:
            attrs["default_value"] = default
        if formula is not None:
            attrs["formula"] = formula
        variable = tbs.add_variable(type(name, (Variable,), attrs))
        if value_type is float:
            # OpenFisca stores `float` as float32; the engine computes in float64 (money to 0.01
            # yuan on totals of 1e10), so the reference does too. At float32 the totals agree only
            # to about 1e-7 (measured) and the timing would flatter OpenFisca.
            variable.dtype = np.float64

    # -- inputs
    var("claim_setting", Claim, int, label="0 inpatient, 1 outpatient, 2 chronic")
    var("claim_level", Claim, int, label="index of the scenario's hospital level")
    var("claim_total_cost", Claim)
    var("claim_policy_cost", Claim)
    var("age", Person, int)
    var("is_employee", Person, bool)
    var("category_mask", Person, int, label="bit mask of the assistance categories held")
    var("is_enrolled", Person, bool, default=True)

    def person_index(claim):
        return claim.simulation.populations["person"].members_entity_id

    # -- tier 1, basic insurance, per claim
    def claim_scheme(claim, period):
        return np.where(claim.person("is_employee", period), 0, 1)

    def claim_facility_pays(claim, period, parameters):
        t = _basic_tables(parameters(period), n_levels)
        return t["level_pays"][claim("claim_level", period)]

    def claim_insured_policy_cost(claim, period):
        pays = claim("claim_facility_pays", period) & claim.person("is_enrolled", period)
        return np.where(pays, claim("claim_policy_cost", period), 0.0)

    def claim_basic_ratio(claim, period, parameters):
        t = _basic_tables(parameters(period), n_levels)
        scheme = claim("claim_scheme", period)
        retired = claim.person("age", period) >= t["retirement_age"][scheme]
        bonus = np.where(retired, t["bonus"][scheme], 0.0)
        idx = (scheme, claim("claim_setting", period), claim("claim_level", period))
        return np.minimum(t["ratio"][idx] + bonus, 1.0)

    def claim_deductible_applied(claim, period, parameters):
        """Per admission, or what is left of the year's deductible in this setting (month order)."""
        t = _basic_tables(parameters(period), n_levels)
        scheme, setting = claim("claim_scheme", period), claim("claim_setting", period)
        policy = claim("claim_insured_policy_cost", period)
        ded = t["deductible"][scheme, setting, claim("claim_level", period)]
        per_year = t["per_year"][scheme, setting]
        applied = np.minimum(policy, ded)
        if per_year.any():
            earlier = _running_before(person_index(claim) * 3 + setting, policy)
            applied = np.where(per_year, np.clip(ded - earlier, 0.0, policy), applied)
        return applied

    def claim_basic_paid(claim, period, parameters):
        """Ratio above the deductible, within the setting's and the scheme's annual fund caps."""
        t = _basic_tables(parameters(period), n_levels)
        scheme, setting = claim("claim_scheme", period), claim("claim_setting", period)
        raw = claim("claim_basic_ratio", period) * (
            claim("claim_insured_policy_cost", period) - claim("claim_deductible_applied", period)
        )
        who = person_index(claim)
        setting_cap = t["setting_cap"][scheme, setting]
        if np.isfinite(setting_cap).any():
            raw = _capped(who * 3 + setting, raw, setting_cap)
        scheme_cap = t["scheme_cap"][scheme]
        if np.isfinite(scheme_cap).any():
            capped = setting != 1  # inpatient + chronic share the scheme cap
            kept = _capped(who, np.where(capped, raw, 0.0), scheme_cap)
            raw = np.where(capped, kept, raw)
        return raw

    def claim_below_deductible(claim, period):
        """Policy cost under the deductible (all of it where the insurance does not pay)."""
        facility = claim("claim_facility_pays", period)
        insured = facility & claim.person("is_enrolled", period)
        applied = np.where(
            insured, claim("claim_deductible_applied", period), claim("claim_policy_cost", period)
        )
        return np.where(facility, applied, 0.0)

    def claim_basic_base(claim, period):
        """Policy cost left after basic insurance (the base of the later tiers)."""
        base = np.maximum(claim("claim_policy_cost", period) - claim("claim_basic_paid", period), 0.0)
        return np.where(claim("claim_facility_pays", period), base, 0.0)

    var("claim_scheme", Claim, int, claim_scheme)
    var("claim_facility_pays", Claim, bool, claim_facility_pays)
    var("claim_insured_policy_cost", Claim, float, claim_insured_policy_cost)
    var("claim_basic_ratio", Claim, float, claim_basic_ratio)
    var("claim_deductible_applied", Claim, float, claim_deductible_applied)
    var("claim_basic_paid", Claim, float, claim_basic_paid)
    var("claim_below_deductible", Claim, float, claim_below_deductible)
    var("claim_basic_base", Claim, float, claim_basic_base)

    # -- per person and setting
    def per_setting(claim_var: str, s: int):
        def f(person, period):
            x = person.members(claim_var, period) * (person.members("claim_setting", period) == s)
            return person.sum(x)

        return f

    for s, setting in enumerate(SETTINGS):
        var(f"total_cost_{setting}", Person, float, per_setting("claim_total_cost", s))
        var(f"policy_cost_{setting}", Person, float, per_setting("claim_policy_cost", s))
        var(f"basic_paid_{setting}", Person, float, per_setting("claim_basic_paid", s))
        var(f"basic_base_{setting}", Person, float, per_setting("claim_basic_base", s))
        var(f"below_deductible_{setting}", Person, float, per_setting("claim_below_deductible", s))

    def rowsum(person, period, stem):
        return sum_3([person(f"{stem}_{s}", period) for s in SETTINGS])

    def sum_3(xs):
        return xs[0] + xs[1] + xs[2]

    var("total_cost", Person, float, lambda person, period: rowsum(person, period, "total_cost"))
    var("policy_cost", Person, float, lambda person, period: rowsum(person, period, "policy_cost"))
    var("basic_paid", Person, float, lambda person, period: rowsum(person, period, "basic_paid"))

    def critical_base(person, period, parameters, s):
        ci = parameters(period).critical_illness
        base = person(f"basic_base_{SETTINGS[s]}", period)
        if not ci.base_includes_below_deductible:
            base = np.maximum(base - person(f"below_deductible_{SETTINGS[s]}", period), 0.0)
        return base * float(SETTINGS[s] in ci.settings)

    def assistance_base(person, period, parameters, s):
        base = person(f"basic_base_{SETTINGS[s]}", period)
        if not parameters(period).medical_assistance.base_includes_below_deductible:
            base = np.maximum(base - person(f"below_deductible_{SETTINGS[s]}", period), 0.0)
        return base

    def at_setting(f, s):
        return lambda person, period, parameters: f(person, period, parameters, s)

    for s, setting in enumerate(SETTINGS):
        var(f"critical_base_{setting}", Person, float, at_setting(critical_base, s))
        var(f"assistance_base_{setting}", Person, float, at_setting(assistance_base, s))

    def critical_eligible(person, period, parameters):
        ci = parameters(period).critical_illness
        ok = np.array([sch in ci.schemes for sch in SCHEMES])[np.where(person("is_employee", period), 0, 1)]
        return person("is_enrolled", period) & ok & bool(ci.enabled)

    def assistance_eligible(person, period, parameters):
        return person("is_enrolled", period) | (not parameters(period).medical_assistance.requires_enrolment)

    var("critical_base", Person, float, lambda person, period: rowsum(person, period, "critical_base"))
    var("critical_eligible", Person, bool, critical_eligible)
    var("assistance_eligible", Person, bool, assistance_eligible)

    # -- tiers 2 and 3 under each category (就高不重复: the one paying most is applied)
    def schedules(ci, code):
        """(threshold, [(upper, ratio)], cap) of the general terms and every tilt naming `code`."""

        def sched(threshold, bands_node, bonus, cap):
            bands = [
                (_num(_get(b, "upto")), min(float(b.ratio) + bonus, 1.0))
                for b in _children(bands_node).values()
            ]
            return threshold, bands, cap

        out = [sched(float(ci.threshold), ci.bands, 0.0, _num(_get(ci, "cap")))]
        for tilt in _children(_get(ci, "tilts")).values():
            if code in tilt.categories:
                thr = _get(tilt, "threshold")
                thr = float(thr) if thr is not None else ci.threshold * tilt.threshold_factor
                bands = tilt.bands if tilt.own_bands else ci.bands
                out.append(
                    sched(
                        thr,
                        bands,
                        float(tilt.ratio_bonus),
                        np.inf if tilt.uncapped else _num(_get(ci, "cap")),
                    )
                )
        return out

    def critical_paid_as(code):
        def f(person, period, parameters):
            ci = parameters(period).critical_illness
            base = person("critical_base", period)
            if not ci.enabled:
                return np.zeros_like(base)
            pays = []
            for lo, bands, cap in schedules(ci, code):
                out = np.zeros_like(base)
                for hi, r in bands:
                    if r > 0:
                        out += r * np.clip(base - lo, 0.0, hi - lo)
                    lo = hi
                pays.append(np.minimum(out, cap))
            return np.minimum(np.maximum.reduce(pays), base) * person("critical_eligible", period)

        return f

    def critical_split(person, period, code):
        """The critical payment under `code` split over settings in proportion to the base."""
        ci_tot = person(f"critical_paid_as_{code}", period)
        cib_tot = person("critical_base", period)
        share = np.divide(ci_tot, cib_tot, out=np.zeros_like(ci_tot), where=cib_tot > 0)
        return [person(f"critical_base_{s}", period) * share for s in SETTINGS]

    def assistance_paid_as(code):
        def f(person, period, parameters):
            ma = parameters(period).medical_assistance
            crit = critical_split(person, period, code)
            base = []
            for s, setting in enumerate(SETTINGS):
                remaining = person(f"policy_cost_{setting}", period) - person(f"basic_paid_{setting}", period)
                rem = np.maximum(remaining - crit[s], 0.0)
                ma_base = person(f"assistance_base_{setting}", period)
                base.append(np.maximum(np.minimum(ma_base - crit[s], rem), 0.0))
            out_ratio = float(_get(_get(ma, "outpatient_ratio"), code, 0.0))
            ratios = [
                float(_get(_get(ma, "inpatient_ratio"), code, 0.0)),
                out_ratio,
                float(_get(_get(ma, "chronic_ratio"), code, out_ratio)),
            ]
            if not any(ratios):
                return np.zeros_like(base[0])
            total = sum_3(base)
            ded = float(_get(_get(ma, "deductible"), code, 0.0))
            if ded > 0:
                keep = np.divide(
                    np.maximum(total - ded, 0.0), total, out=np.zeros_like(total), where=total > 0
                )
                base = [b * keep for b in base]
            pay = [b * r for b, r in zip(base, ratios)]
            out_limit = _get(_get(ma, "outpatient_annual_limit"), code)
            if out_limit is not None:
                out_pay = pay[1] + pay[2]
                scale = np.where(out_pay > out_limit, out_limit / np.maximum(out_pay, 1e-300), 1.0)
                pay = [pay[0], pay[1] * scale, pay[2] * scale]
            limit = _get(_get(ma, "annual_limit"), code)
            if limit is not None:
                tot = sum_3(pay)
                scale = np.where(tot > limit, limit / np.maximum(tot, 1e-300), 1.0)
                pay = [x * scale for x in pay]
            return sum_3(pay) * person("assistance_eligible", period)

        return f

    def tiers_paid_as(code):
        def f(person, period):
            return person(f"critical_paid_as_{code}", period) + person(f"assistance_paid_as_{code}", period)

        return f

    for code in categories:
        var(f"critical_paid_as_{code}", Person, float, critical_paid_as(code))
        var(f"assistance_paid_as_{code}", Person, float, assistance_paid_as(code))
        var(f"tiers_paid_as_{code}", Person, float, tiers_paid_as(code))

    def category_applied(person, period):
        """Index into CATEGORY_CODES: the held category paying most (ties: a real one beats none)."""
        none_i = CATEGORY_CODES.index("none")
        best_total = person("tiers_paid_as_none", period).copy()
        best = np.full(len(best_total), none_i)
        mask = person("category_mask", period)
        for i, code in enumerate(CATEGORY_CODES):
            if code == "none" or code not in categories:
                continue
            holds = (mask & CAT_BIT_OF[code]) != 0
            total = person(f"tiers_paid_as_{code}", period)
            better = holds & ((total > best_total) | ((total >= best_total) & (best == none_i)))
            best_total = np.where(better, total, best_total)
            best = np.where(better, i, best)
        return best

    def applied(stem):
        def f(person, period):
            cat = person("category_applied", period)
            out = np.zeros(len(cat))
            for code in categories:
                out = np.where(cat == CATEGORY_CODES.index(code), person(f"{stem}_as_{code}", period), out)
            return out

        return f

    var("category_applied", Person, int, category_applied)
    var("critical_paid", Person, float, applied("critical_paid"))
    var("assistance_paid", Person, float, applied("assistance_paid"))

    # -- tier 5, the household cap
    def oop_before_cap(person, period):
        paid = (
            person("basic_paid", period) + person("critical_paid", period) + person("assistance_paid", period)
        )
        return np.maximum(person("total_cost", period) - paid, 0.0)

    def cap_counted_cost(person, period, parameters):
        """Reasonable cost still borne that counts towards the household cap (负面清单 excluded)."""
        fc = parameters(period).family_cap
        remaining = person("policy_cost", period) - person("basic_paid", period)
        left = np.maximum(
            remaining - person("critical_paid", period) - person("assistance_paid", period), 0.0
        )
        outside = person("total_cost", period) - person("policy_cost", period)
        counted = left + fc.out_of_catalogue_reasonable_share * np.maximum(outside, 0.0)
        counted = np.minimum(counted, person("oop_before_cap", period))
        return counted * (1.0 - fc.negative_list_share)

    def cap_covered(person, period, parameters):
        """临安 二(一): the cap covers insured certificate holders (where the scenario says so)."""
        fc = parameters(period).family_cap
        return person("is_enrolled", period) | (not fc.requires_enrolment)

    def _lowest_cap(person, period, parameters, personal: bool):
        fc = parameters(period).family_cap
        caps = _children(_get(fc, "cap"))
        mask = person("category_mask", period)
        out = np.full(len(mask), np.inf)
        for code, amount in caps.items():
            if (code in list(fc.personal)) == personal:
                out = np.where((mask & CAT_BIT_OF[code]) != 0, np.minimum(out, float(amount)), out)
        return np.where(person("cap_covered", period), out, np.inf)

    def personal_cap(person, period, parameters):
        """The lowest personal line (临安 二(三) 特困人员5000元) the person holds (inf: none)."""
        return _lowest_cap(person, period, parameters, True)

    def in_family_pool(person, period):
        """Counted in the family's cap: covered and settled on no personal line."""
        return person("cap_covered", period) & ~np.isfinite(person("personal_cap", period))

    def own_family_cap(person, period, parameters):
        """The lowest family line among the categories a pooled member holds (inf: none)."""
        out = _lowest_cap(person, period, parameters, False)
        return np.where(person("in_family_pool", period), out, np.inf)

    def household_cap(household, period):
        return household.min(household.members.person("own_family_cap", period))

    def household_counted_cost(household, period):
        first = household.members.has_role(Person.FIRST)
        pooled = household.members.person("in_family_pool", period)
        return household.sum(household.members.person("cap_counted_cost", period) * first * pooled)

    def household_cap_paid(household, period, parameters):
        fc = parameters(period).family_cap
        cap = household("household_cap", period)
        paid = fc.share * np.maximum(household("household_counted_cost", period) - cap, 0.0)
        return np.where(np.isfinite(cap), paid, 0.0) * bool(fc.enabled)

    def cap_paid(person, period, parameters):
        """The household's cap payment split in proportion to what each pooled member counted; a
        personal line's holder is paid what they alone counted above it."""
        fc = parameters(period).family_cap
        hh_paid = person.value_from_first_person(person.members.household("household_cap_paid", period))
        hh_counted = person.value_from_first_person(
            person.members.household("household_counted_cost", period)
        )
        counted = person("cap_counted_cost", period)
        frac = np.divide(counted, hh_counted, out=np.zeros_like(counted), where=hh_counted > 0)
        pooled = hh_paid * frac * person("in_family_pool", period)
        line = person("personal_cap", period)
        own = fc.share * np.maximum(counted - np.where(np.isfinite(line), line, 0.0), 0.0)
        own = np.where(np.isfinite(line), own, 0.0) * bool(fc.enabled)
        return np.where(np.isfinite(line), own, pooled)

    def oop(person, period):
        paid = (
            person("basic_paid", period)
            + person("critical_paid", period)
            + person("assistance_paid", period)
            + person("cap_paid", period)
        )
        return np.maximum(person("total_cost", period) - paid, 0.0)

    var("oop_before_cap", Person, float, oop_before_cap)
    var("cap_counted_cost", Person, float, cap_counted_cost)
    var("cap_covered", Person, bool, cap_covered)
    var("personal_cap", Person, float, personal_cap)
    var("in_family_pool", Person, bool, in_family_pool)
    var("own_family_cap", Person, float, own_family_cap)
    var("household_cap", Household, float, household_cap)
    var("household_counted_cost", Household, float, household_counted_cost)
    var("household_cap_paid", Household, float, household_cap_paid)
    var("cap_paid", Person, float, cap_paid)
    var("oop", Person, float, oop)
    return tbs


# ---------------------------------------------------------------------------- simulation


def claim_arrays(pop, scenario) -> dict[str, np.ndarray]:
    """The population's encoded arrays as OpenFisca inputs: claims sorted by (person, month), one
    empty claim added for each person without any."""
    a = pop.arrays
    p = scenario.params
    if len(a.claim_chain) and (a.claim_chain >= 0).any():
        raise NotImplementedError("OpenFisca reference: referral chains (one deductible per chain)")
    away = getattr(a, "claim_out_of_city", None)
    if getattr(p.medical_assistance, "out_of_city", "all") != "all" and away is not None and away.any():
        raise NotImplementedError("OpenFisca reference: out-of-city claims (medical_assistance.out_of_city)")
    lookup = {lv: i for i, lv in enumerate(p.hospital_levels)}
    level = np.array([lookup[str(n)] for n in a.level_names], dtype=np.int64)[a.claim_level]
    has = np.zeros(a.n_persons, dtype=bool)
    has[a.claim_person] = True
    empty = np.flatnonzero(~has)
    person = np.concatenate([a.claim_person, empty])
    order = np.argsort(person, kind="stable")  # real claims keep their month order
    person = person[order]
    zeros = np.zeros(len(empty))
    first = np.ones(len(person), dtype=bool)
    first[1:] = person[1:] != person[:-1]
    return {
        "person": person,
        "household": a.household[person],
        "role": np.where(first, 0, 1),
        "claim_setting": np.concatenate([a.claim_setting.astype(np.int64), np.ones(len(empty), np.int64)])[
            order
        ],
        "claim_level": np.concatenate([level, np.zeros(len(empty), np.int64)])[order],
        "claim_total_cost": np.concatenate([a.claim_total, zeros])[order],
        "claim_policy_cost": np.concatenate([a.claim_policy, zeros])[order],
    }


def build_simulation(tbs, pop, scenario):
    """An OpenFisca Simulation of the population (claims, persons, households and the inputs)."""
    a = pop.arrays
    c = claim_arrays(pop, scenario)
    period = str(scenario.params.year)
    sb = SimulationBuilder()
    sb.create_entities(tbs)
    sb.declare_person_entity("claim", np.arange(len(c["person"])))
    persons = sb.declare_entity("person", np.arange(a.n_persons))
    sb.join_with_persons(persons, c["person"], c["role"])
    households = sb.declare_entity("household", np.arange(a.n_households))
    sb.join_with_persons(households, c["household"], np.zeros(len(c["person"]), dtype=np.int64))
    sim = sb.build(tbs)
    for name in ("claim_setting", "claim_level", "claim_total_cost", "claim_policy_cost"):
        sim.set_input(name, period, c[name])
    sim.set_input("age", period, a.age.astype(np.int64))
    sim.set_input("is_employee", period, a.employee)
    sim.set_input("category_mask", period, a.cat_mask)
    sim.set_input("is_enrolled", period, a.enrolled)
    return sim


def person_results(sim, period) -> dict[str, np.ndarray]:
    return {k: sim.calculate(k, period) for k in TIERS}


def reference_totals(pop, scenario, tbs=None) -> dict[str, float]:
    """Weighted totals of the core chain computed by OpenFisca, with build and compute seconds."""
    tbs = tbs or build_system(scenario)
    period = str(scenario.params.year)
    t = time.perf_counter()
    sim = build_simulation(tbs, pop, scenario)
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    res = person_results(sim, period)
    t_compute = time.perf_counter() - t
    w = pop.arrays.weight
    out = {k: float(np.dot(w, v)) for k, v in res.items()}
    out["build_seconds"] = t_build
    out["compute_seconds"] = t_compute
    return out


def engine_totals(pop, scenario) -> dict[str, float]:
    """The same totals from our engine's `simulate`."""
    s = simulate(pop, scenario).summary
    return {k: float(s[k]) for k in TIERS}


def compare(pop, scenario, rtol: float = 1e-9) -> dict[str, tuple[float, float]]:
    """{tier: (openfisca, engine)}; raises AssertionError when a total differs beyond rtol."""
    ref = reference_totals(pop, scenario)
    ours = engine_totals(pop, scenario)
    out = {k: (ref[k], ours[k]) for k in TIERS}
    bad = {k: v for k, v in out.items() if not np.isclose(v[0], v[1], rtol=rtol, atol=0.0)}
    if bad:
        raise AssertionError(f"OpenFisca reference differs from simulate: {bad}")
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="linan_2024")
    ap.add_argument("--persons", type=int, default=100_000)
    args = ap.parse_args()
    scn = core_scenario(args.preset)
    pop = generate_population(scn, persons=args.persons, seed=1)
    ref = reference_totals(pop, scn)
    ours = engine_totals(pop, scn)
    for k in TIERS:
        print(
            f"{k:>16} openfisca {ref[k]:>20,.2f}  simulate {ours[k]:>20,.2f}  rel {ref[k] / ours[k] - 1:+.1e}"
        )
    print(f"openfisca build {ref['build_seconds']:.3f} s, compute {ref['compute_seconds']:.3f} s")
