"""Property tests of the engine (issue 2) over random small populations and random valid parameter
perturbations, for every preset.

Checked per preset:

* the contract identity per person to 0.01 yuan: total_cost == every ``*_paid`` column + oop;
* no negative payment, oop ≤ total_cost, basic inpatient + chronic ≤ the scheme's annual cap
  (persons without uncapped special terms), each setting's own fund cap, assistance ≤ its
  category's annual (and outpatient) limit, cap_paid only in households with a cap, and a capped
  household's final oop ≤ cap + what the cap does not count;
* monotonicity: raising a ratio (basic, critical-illness band, assistance, supplement,
  family_cap.share, ...) or lowering a deductible, a critical-illness threshold or a family cap
  never raises any person's ``oop_before_cap`` nor any household's final oop; changing only
  family_cap parameters never raises any person's final oop;
* weights scale totals linearly; simulating two halves split by household gives the same
  per-person results and summed money totals as simulating the whole.

Documented exceptions to monotonicity (the tests are built around them):

1. with ``flags.policy_finds_people`` on, identification is a cliff (a more generous tier lowers
   a household's OOP below the 支出型贫困 test and so un-finds it), so monotonicity runs with it off;
2. for unreferred claims, raising the referred-terms ratio enlarges the excluded "extra" by design
   (Bijie 二(七)), so the monotonicity tests draw referred claims only;
3. per-person final oop is not monotone under the proportional household-cap split (a member's
   share rises when another member's OOP falls), hence final oop is compared per household;
4. where a person's basic inpatient + chronic payment reaches the scheme's annual cap, a higher
   ratio in one setting exhausts the shared cap earlier (month order) and moves the fund's payment
   between settings; the later tiers treat settings differently (Shanghai's resident 大病 covers
   门诊大病 only; assistance ratios differ by setting), so their payment can fall by more than the
   patient gains (found by the long profile). Those persons' households are left out of the
   monotonicity comparison.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from simulation import Population, load_scenario, simulate
from simulation.errors import ScenarioError
from simulation.result import PAID_COLUMNS

PRESETS = ("shanghai_2023", "linan_2024", "bijie_2019", "shuozhou_2021", "jiaxing_2025")
SCN = {name: load_scenario(name) for name in PRESETS}
TOL = 0.01
# a quarter of the profile's budget per test ("ci": 10 examples, "long": 500), so the suite stays fast
PROP = settings(max_examples=max(8, settings.default.max_examples // 4))
MONEY_KEYS = (
    "total_cost",
    "basic_paid",
    "critical_paid",
    "assistance_paid",
    "supplement_paid",
    "cap_paid",
    "oop",
)

# ---------------------------------------------------------------- strategies


@st.composite
def populations(draw, scn, referred_only: bool = False, max_claims: int = 60) -> Population:
    p = scn.params
    cats = list(p.categories)
    levels = list(p.hospital_levels)
    n_hh = draw(st.integers(1, 10))
    n = draw(st.integers(max(1, n_hh), 30)) if n_hh <= 30 else 30
    hh = [i % n_hh for i in range(n)]
    hh = draw(st.permutations(hh))
    single = st.sampled_from(cats)
    joined = st.lists(st.sampled_from(cats), min_size=2, max_size=3, unique=True).map("|".join)
    persons = []
    for i in range(n):
        persons.append(
            dict(
                person_id=i + 1,
                household_id=100 + hh[i],
                age=draw(st.integers(0, 100)),
                scheme=draw(st.sampled_from(["employee", "resident"])),
                category=draw(st.one_of(single, single, joined)),
                income=draw(st.one_of(st.just(0.0), st.floats(0, 300_000))),
                weight=draw(st.sampled_from([1.0, 0.5, 2.0, 37.5, 1000.0])),
            )
        )
    n_claims = draw(st.integers(0, max_claims))
    amount = st.one_of(
        st.just(0.0),
        st.floats(0, 5_000),
        st.floats(0, 200_000),
        st.floats(0, 2e6),
        st.just(2e6),
    )
    claims = []
    for _ in range(n_claims):
        total = draw(amount)
        frac = draw(st.one_of(st.just(1.0), st.just(0.0), st.floats(0, 1)))
        claims.append(
            dict(
                person_id=draw(st.integers(1, n)),
                setting=draw(st.sampled_from(["inpatient", "outpatient", "chronic"])),
                hospital_level=draw(st.sampled_from(levels)),
                total_cost=total,
                policy_cost=min(total, total * frac),
                referred=True if referred_only else draw(st.booleans()),
                month=draw(st.integers(0, 12)),
            )
        )
    cols = ["person_id", "setting", "hospital_level", "total_cost", "policy_cost", "referred", "month"]
    return Population(pd.DataFrame(persons), pd.DataFrame(claims, columns=cols))


def numeric_leaves(scn) -> list[tuple[str, float]]:
    return [(k, v) for k, v in scn.leaves() if isinstance(v, (int, float)) and not isinstance(v, bool)]


# paths a "valid perturbation" may touch: the payment levers (not ids, years, financing, targets)
PERTURBABLE = re.compile(
    r"^(basic_insurance|critical_illness\.(terms|tilts)|medical_assistance|supplement|family_cap|"
    r"other_subsidies)\..*(ratio|deductible|threshold|cap|limit|share|bonus|upto)"
)


def perturbable(scn) -> list[tuple[str, float]]:
    return [(k, v) for k, v in numeric_leaves(scn) if PERTURBABLE.search(k) and "retirement_age" not in k]


@st.composite
def perturbed(draw, scn, finds_people: bool | None = None):
    """The preset with 0-4 random valid changes (invalid draws are skipped, not failed)."""
    leaves = perturbable(scn)
    out = scn
    for _ in range(draw(st.integers(0, 4))):
        path, v = draw(st.sampled_from(leaves))
        if re.search(r"ratio|share|bonus|threshold_factor", path.rsplit(".", 1)[-1]) or "ratio" in path:
            new = draw(st.floats(0, 1))
        else:
            new = draw(st.one_of(st.just(0.0), st.floats(0, max(2.0 * v, 1000.0))))
        try:
            out = out.with_changes({path: new})
        except ScenarioError:
            continue
    if finds_people is not None and out.get("flags.policy_finds_people") != finds_people:
        out = out.with_changes({"flags.policy_finds_people": finds_people})
    note(f"changes: {out.changes}")
    return out


def generous_paths(scn) -> list[tuple[str, float, str]]:
    """(path, value, direction) of levers that can only help patients: raise ratios, lower
    deductibles, thresholds and family caps."""
    out = []
    for k, v in numeric_leaves(scn):
        last = k.rsplit(".", 1)[-1]
        sec = k.split(".", 1)[0]
        if sec not in (
            "basic_insurance",
            "critical_illness",
            "medical_assistance",
            "supplement",
            "family_cap",
            "other_subsidies",
        ):
            continue
        if sec == "critical_illness" and not k.startswith(
            ("critical_illness.terms", "critical_illness.tilts")
        ):
            continue
        if "ratio" in k and "retirement" not in k or last == "ratio_bonus" or k == "family_cap.share":
            out.append((k, v, "up"))
        elif "deductible" in k or "threshold" in k or k.startswith("family_cap.cap."):
            out.append((k, v, "down"))
    return out


@st.composite
def generous_change(draw, scn):
    paths = generous_paths(scn)
    path, v, direction = draw(st.sampled_from(paths))
    if direction == "up":
        hi = 1.0
        if v >= hi:
            return path, v
        new = draw(st.floats(v, hi))
    else:
        new = draw(st.one_of(st.just(0.0), st.floats(0, v)))
    return path, new


def _apply(scn, changes):
    try:
        return scn.with_changes(changes)
    except ScenarioError:
        return None


# ---------------------------------------------------------------- invariants of one run


def check_invariants(pop: Population, scn) -> None:
    res = simulate(pop, scn)
    pp = res.persons
    p = scn.params
    paid_cols = [c for c in pp.columns if c.endswith("_paid")]
    assert set(PAID_COLUMNS) <= set(paid_cols)
    # identity
    gap = pp["total_cost"] - pp[paid_cols].sum(axis=1) - pp["oop"]
    assert (gap.abs() <= TOL).all(), gap[gap.abs() > TOL]
    # signs and bounds
    for c in [*paid_cols, "oop", "oop_before_cap", "premium_subsidy"]:
        assert (pp[c] >= -1e-9).all(), (c, pp[c][pp[c] < -1e-9])
    assert (pp["oop"] <= pp["total_cost"] + TOL).all()
    assert (pp["oop"] <= pp["oop_before_cap"] + TOL).all()
    # basic fund caps
    cl = res.claims
    by = cl.groupby(["person_id", "setting"], observed=False)["basic_paid"].sum().unstack(fill_value=0.0)
    by = by.reindex(index=pp.index, columns=["inpatient", "outpatient", "chronic"], fill_value=0.0)
    mask = pop.arrays.cat_mask
    from simulation.parameters import CAT_BIT_OF

    for scheme in ("employee", "resident"):
        sch = getattr(p.basic_insurance, scheme)
        is_s = (pp["scheme"].astype(str) == scheme).to_numpy()
        uncapped = np.zeros(len(pp), bool)
        for sp in p.basic_insurance.special_terms:
            if sp.uncapped and scheme in sp.schemes:
                bits = np.bitwise_or.reduce([CAT_BIT_OF[c] for c in sp.categories])
                uncapped |= (mask & bits) != 0
        if sch.annual_cap is not None:
            sel = is_s & ~uncapped
            ic = (by["inpatient"] + by["chronic"]).to_numpy()[sel]
            assert (ic <= sch.annual_cap + TOL).all(), (scheme, ic.max(), sch.annual_cap)
        for s in ("inpatient", "outpatient", "chronic"):
            cap = getattr(sch, s).annual_cap
            if cap is not None and not p.basic_insurance.special_terms:
                assert (by[s].to_numpy()[is_s] <= cap + TOL).all()
    # assistance limits of the category applied
    ma = p.medical_assistance
    ca = cl.groupby(["person_id", "setting"], observed=False)["assistance_paid"].sum().unstack(fill_value=0.0)
    ca = ca.reindex(index=pp.index, columns=["inpatient", "outpatient", "chronic"], fill_value=0.0)
    for code in set(pp["category_applied"]):
        sel = (pp["category_applied"] == code).to_numpy()
        if code in ma.annual_limit:
            assert (pp["assistance_paid"].to_numpy()[sel] <= ma.annual_limit[code] + TOL).all()
        if code in ma.outpatient_annual_limit:
            oc = (ca["outpatient"] + ca["chronic"]).to_numpy()[sel]
            assert (oc <= ma.outpatient_annual_limit[code] + TOL).all()
    # household cap
    hh = res.households
    fc = p.family_cap
    # who the cap covers (临安 二(一): insured holders, where required) and who is settled on a
    # personal line (二(三) 特困人员5000元) instead of the family's (household_cap is the family's line)
    covered = pop.arrays.enrolled | (not fc.requires_enrolment)
    personal_line = np.full(len(pp), np.inf)
    for code in fc.personal:
        if code in fc.cap:
            held = (mask & CAT_BIT_OF[code]) != 0
            personal_line = np.where(held & covered, np.minimum(personal_line, fc.cap[code]), personal_line)
    on_personal = np.isfinite(personal_line)
    by_hh = (
        pd.DataFrame(
            {
                "household_id": pp["household_id"].to_numpy(),
                "on_personal": on_personal,
                "personal_line": np.where(on_personal, personal_line, 0.0),
                "uncovered_oop": np.where(covered, 0.0, pp["oop"].to_numpy()),
            }
        )
        .groupby("household_id", sort=False)
        .agg({"on_personal": "any", "personal_line": "sum", "uncovered_oop": "sum"})
    )
    by_hh = by_hh.reindex(hh.index)
    no_cap = ~np.isfinite(hh["household_cap"].to_numpy()) & ~by_hh["on_personal"].to_numpy()
    assert (hh["cap_paid"].to_numpy()[no_cap] <= TOL).all()
    if not fc.enabled:
        assert (pp["cap_paid"] <= TOL).all()
    else:
        h = pp.groupby("household_id", sort=False)[["total_cost", "policy_cost"]].sum().reindex(hh.index)
        not_counted = h["total_cost"] - h["policy_cost"]  # out-of-catalogue (and hospital) cost
        cap = hh["household_cap"]
        pre = hh["oop_before_cap"] - hh["other_paid"]
        bound = (
            cap
            + by_hh["personal_line"]  # members on their own line bear up to it, outside the family's
            + by_hh["uncovered_oop"]  # members the cap does not cover
            + (1 - fc.share) * pre.clip(lower=0)
            + fc.negative_list_share * pre.clip(lower=0)
            + not_counted
        )
        capped = np.isfinite(cap)
        assert (hh["oop"][capped] <= bound[capped] + TOL).all(), (hh[capped], bound[capped])
    # summary agrees with the tables
    w = pp["weight"]
    for k in MONEY_KEYS:
        assert res.summary[k] == pytest.approx((pp[k] * w).sum(), rel=1e-9, abs=1e-3), k


@pytest.mark.parametrize("preset", PRESETS)
@PROP
@given(data=st.data())
def test_invariants(preset, data):
    base = SCN[preset]
    scn = data.draw(perturbed(base))
    pop = data.draw(populations(base))
    check_invariants(pop, scn)


@pytest.mark.parametrize("preset", PRESETS)
@PROP
@given(data=st.data())
def test_invariants_finding_people(preset, data):
    base = SCN[preset]
    if "expenditure_poor" not in base.params.categories:
        pytest.skip("the preset has no expenditure_poor category to find")
    scn = data.draw(perturbed(base, finds_people=True))
    check_invariants(data.draw(populations(base)), scn)


# ---------------------------------------------------------------- monotonicity


def _hh_oop(res) -> pd.Series:
    return res.households["oop"]


def _at_scheme_cap(res) -> np.ndarray:
    """Persons whose basic inpatient + chronic payment reaches their scheme's annual cap."""
    y = res._y
    bi = y.scenario.basic_insurance
    caps = [np.inf if s.annual_cap is None else s.annual_cap for s in (bi.employee, bi.resident)]
    cap = np.where(y.population.arrays.employee, caps[0], caps[1])
    return y.basic3[:, 0] + y.basic3[:, 2] >= cap - TOL


@pytest.mark.parametrize("preset", PRESETS)
@PROP
@given(data=st.data())
def test_more_generous_lever_never_raises_oop(preset, data):
    base = SCN[preset]
    scn = data.draw(perturbed(base, finds_people=False))
    pop = data.draw(populations(base, referred_only=True))
    path, new = data.draw(generous_change(scn))
    more = _apply(scn, {path: new})
    assume(more is not None)
    note(f"{path}: {scn.get(path)} -> {new}")
    r0, r1 = simulate(pop, scn), simulate(pop, more)
    # exception 4: households with a member at the scheme's annual cap in either run
    capped = _at_scheme_cap(r0) | _at_scheme_cap(r1)
    hh_capped = np.bincount(pop.arrays.household, weights=capped, minlength=pop.arrays.n_households) > 0
    keep = ~hh_capped[pop.arrays.household]
    d_pre = (r1.persons["oop_before_cap"] - r0.persons["oop_before_cap"])[keep]
    assert (d_pre <= TOL).all(), d_pre[d_pre > TOL]
    d_hh = (_hh_oop(r1) - _hh_oop(r0))[~hh_capped]
    assert (d_hh <= TOL).all(), d_hh[d_hh > TOL]


@pytest.mark.parametrize("preset", PRESETS)
@PROP
@given(data=st.data())
def test_family_cap_changes_never_raise_person_oop(preset, data):
    base = SCN[preset]
    if not base.params.family_cap.cap:
        pytest.skip("the preset has no household cap")
    scn = data.draw(perturbed(base, finds_people=False))
    pop = data.draw(populations(base, referred_only=True))
    fc_paths = [(k, v, d) for k, v, d in generous_paths(scn) if k.startswith("family_cap.")]
    changes = {}
    for k, v, d in data.draw(st.lists(st.sampled_from(fc_paths), min_size=1, max_size=3, unique=True)):
        changes[k] = data.draw(st.floats(v, 1.0)) if d == "up" else data.draw(st.floats(0, v))
    if data.draw(st.booleans()):
        changes["family_cap.enabled"] = True
    more = _apply(scn, changes)
    assume(more is not None)
    r0, r1 = simulate(pop, scn), simulate(pop, more)
    d = r1.persons["oop"] - r0.persons["oop"]
    assert (d <= TOL).all(), d[d > TOL]


# ---------------------------------------------------------------- weights and splitting


def _rate_key(k: str) -> bool:
    return any(
        w in k for w in ("rate", "share", "ratio", "per_capita", "mean", "median", "p10", "p50", "p90")
    )


@pytest.mark.parametrize("preset", PRESETS)
@PROP
@given(data=st.data())
def test_doubling_weights_doubles_money_totals(preset, data):
    base = SCN[preset]
    scn = data.draw(perturbed(base, finds_people=False))
    pop = data.draw(populations(base))
    p2 = pop.persons.copy()
    p2["weight"] = p2["weight"] * 2
    pop2 = Population(
        p2[["person_id", "household_id", "age", "scheme", "category", "income", "weight"]], pop.claims
    )
    s1, s2 = simulate(pop, scn).summary, simulate(pop2, scn).summary
    for k in MONEY_KEYS:
        assert s2[k] == pytest.approx(2 * s1[k], rel=1e-9, abs=1e-6), k
    for k in ("coverage_rate_poor", "catastrophic_rate"):
        if k in s1 and np.isfinite(s1[k]):
            assert s2[k] == pytest.approx(s1[k], rel=1e-9, abs=1e-12), k


@pytest.mark.parametrize("preset", PRESETS)
@PROP
@given(data=st.data())
def test_split_by_household_is_additive(preset, data):
    base = SCN[preset]
    scn = data.draw(perturbed(base, finds_people=data.draw(st.booleans())))
    pop = data.draw(populations(base))
    pp, cc = pop.persons, pop.claims
    hids = sorted(set(pp["household_id"]))
    assume(len(hids) >= 2)
    left = set(data.draw(st.lists(st.sampled_from(hids), min_size=1, max_size=len(hids) - 1, unique=True)))
    cols = ["person_id", "household_id", "age", "scheme", "category", "income", "weight"]
    ccols = ["person_id", "setting", "hospital_level", "total_cost", "policy_cost", "referred", "month"]
    parts = []
    for side in (True, False):
        psel = pp["household_id"].isin(left) == side
        ids = set(pp.loc[psel, "person_id"])
        parts.append(
            Population(
                pp.loc[psel, cols].reset_index(drop=True),
                cc.loc[cc["person_id"].isin(ids), ccols].reset_index(drop=True),
            )
        )
    whole = simulate(pop, scn)
    halves = [simulate(part, scn) for part in parts]
    per = pd.concat([h.persons for h in halves]).reindex(whole.persons.index)
    num = [c for c in whole.persons.columns if pd.api.types.is_float_dtype(whole.persons[c])]
    np.testing.assert_allclose(per[num].to_numpy(), whole.persons[num].to_numpy(), rtol=1e-9, atol=1e-6)
    for k in MONEY_KEYS:
        assert sum(h.summary[k] for h in halves) == pytest.approx(whole.summary[k], rel=1e-9, abs=1e-4), k
