"""The compiled fast path (simulation.kernels) equals the numpy reference rules (engine
`run_year(fast=False)`) in every array the year produces: on a generated population of every
preset, and on random small populations under random valid parameter changes (including referral
chains, unreferred claims, per-year deductibles, caps, tilts and 政策找人)."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import generate_population
from simulation.engine import run_year
from tests.test_properties import PRESETS, SCN, perturbed, populations

# summation order differs (sequential per person vs global cumsum minus offsets): equal to ~1e-9
RTOL, ATOL = 1e-9, 1e-6


def assert_same_year(fast, ref) -> None:
    """Every array of the year equal, and those of nested arrays (long-term care's LtcArrays)."""
    for f in dataclasses.fields(fast):
        x, y = getattr(fast, f.name), getattr(ref, f.name)
        if dataclasses.is_dataclass(x) and f.name != "scenario":
            assert dataclasses.is_dataclass(y), f.name
            assert_same_year(x, y)
            continue
        if not isinstance(x, np.ndarray):
            continue
        assert x.shape == y.shape, f.name
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, rtol=RTOL, atol=ATOL, err_msg=f.name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=f.name)


@pytest.mark.parametrize("preset", PRESETS)
def test_fast_equals_reference_on_generated_population(preset):
    scn = SCN[preset]
    pop = generate_population(scn, persons=10_000, seed=11)
    fast, ref = run_year(pop, scn.params, fast=True), run_year(pop, scn.params, fast=False)
    assert_same_year(fast, ref)
    assert fast.basic3.sum() > 0 and fast.assistance3.sum() > 0  # the comparison is not vacuous


@pytest.mark.parametrize("preset", PRESETS)
def test_fast_equals_reference_with_people_found(preset):
    scn = SCN[preset]
    if "expenditure_poor" not in scn.params.categories:
        pytest.skip("no expenditure_poor category to find")
    scn = scn.with_changes({"flags.policy_finds_people": True})
    pop = generate_population(scn, persons=10_000, seed=5)
    fast = run_year(pop, scn.params, fast=True)
    assert fast.newly_identified.any()
    assert_same_year(fast, run_year(pop, scn.params, fast=False))


@pytest.mark.parametrize("preset", PRESETS)
@settings(max_examples=max(10, settings.default.max_examples))
@given(data=st.data())
def test_fast_equals_reference_random(preset, data):
    base = SCN[preset]
    scn = data.draw(perturbed(base, finds_people=data.draw(st.booleans())))
    pop = data.draw(populations(base))
    assert_same_year(run_year(pop, scn.params, fast=True), run_year(pop, scn.params, fast=False))


def test_a_kernel_difference_would_be_caught():
    """The comparison is sharp enough to see one yuan moved between tiers."""
    scn = SCN["linan_2024"]
    pop = generate_population(scn, persons=5_000, seed=2)
    fast, ref = run_year(pop, scn.params, fast=True), run_year(pop, scn.params, fast=False)
    i = int(np.argmax(fast.assistance3[:, 0]))
    fast.assistance3[i, 0] += 1.0
    with pytest.raises(AssertionError, match="assistance3"):
        assert_same_year(fast, ref)


@pytest.mark.parametrize("cap_enabled", [True, False])
def test_fast_equals_reference_every_subsidy_kind(cap_enabled):
    """Every kind of other-subsidy eligibility, premium rules with age bands and schemes, and a
    household cap switched off: the compiled household pass equals the numpy rules."""
    base = SCN["linan_2024"]
    rules = base.raw["other_subsidies"] + [
        {"label": "all", "eligible": "all", "ratio": 0.02, "annual_limit": 800},
        {"label": "poor", "eligible": "poor", "categories": ["dibao"], "ratio": 0.05},
        {"label": "union", "eligible": "union_member", "ratio": 0.15, "annual_limit": 1500},
    ]
    premium = [
        {"label": "kids", "categories": ["dibao", "dibian"], "amount": 200, "max_age": 17},
        {"label": "old", "categories": ["tekun", "dibao"], "amount": "full", "min_age": 60,
         "schemes": ["resident", "employee"]},
    ]  # fmt: skip
    scn = base.with_changes(
        {"other_subsidies": rules, "premium_subsidy": premium, "family_cap.enabled": cap_enabled}
    )
    pop = generate_population(scn, persons=40_000, seed=5)
    fast, ref = run_year(pop, scn.params, fast=True), run_year(pop, scn.params, fast=False)
    assert_same_year(fast, ref)
    assert fast.other_paid.sum() > 0 and fast.premium_subsidy.sum() > 0
    assert (fast.cap_paid.sum() > 0) == cap_enabled
    assert fast.warning_person.any() and fast.warning_after.sum() < fast.warning_person.sum()


def _assert_parts_equal_reference(pop, scn):
    from simulation import kernels, simulate
    from simulation.result import household_table, summary_parts

    res = simulate(pop, scn)
    y, a = res._y, pop.arrays
    fast_households = res._household_arrays
    fast = res.parts()
    pa = res._person_arrays
    ref_households = household_table(y, *kernels.household_sums(
        a.household, a.n_households, a.income, a.weight, pa["total_cost"], pa["oop_before_cap"],
        pa["other_paid"], pa["cap_paid"], pa["oop"], y.warning_person, y.warning_after,
    ))  # fmt: skip
    ref = summary_parts(y, pa, ref_households)
    assert fast.keys() == ref.keys()
    for k, v in ref.items():
        if isinstance(v, dict):
            assert fast[k] == v, k
        else:  # person-order sums: identical but for numpy's pairwise w.sum() (persons, poor persons)
            assert fast[k] == pytest.approx(v, rel=1e-12, abs=1e-9), k
    for k, v in ref_households.items():
        np.testing.assert_array_equal(fast_households[k], v, err_msg=k)
    assert fast["total_cost"] > 0 and fast["poor_persons"] > 0 and fast["warnings"] > 0  # not vacuous


def _finding(preset):
    scn = SCN[preset]
    return (
        scn.with_changes({"flags.policy_finds_people": True})
        if "expenditure_poor" in scn.params.categories
        else scn
    )


@pytest.mark.parametrize("preset", PRESETS)
def test_summary_pass_equals_reference_parts(preset):
    """`Result.parts()` (one compiled pass over persons, no person columns) equals the numpy
    `summary_parts` over the person columns and `kernels.household_sums`: every part, and every
    household column."""
    scn = _finding(preset)
    _assert_parts_equal_reference(generate_population(scn, persons=20_000, seed=3), scn)


@pytest.mark.parametrize("preset", ["shanghai_2023", "bijie_2019"])
def test_summary_pass_in_parallel_chunks_and_with_scattered_households(preset, monkeypatch):
    """Above PARALLEL_MIN the summary and cap passes run in chunks of whole households on the
    cores; a population whose households are not contiguous (shuffled rows) runs in one chunk.
    Both equal the reference."""
    from simulation import Population, kernels

    scn = _finding(preset)
    pop = generate_population(scn, persons=20_000, seed=8)
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 0)
    assert pop.arrays.household_starts is not None  # generated households are contiguous
    _assert_parts_equal_reference(pop, scn)
    # the household cap in chunks too: every array still equals the numpy reference
    assert_same_year(run_year(pop, scn.params, fast=True), run_year(pop, scn.params, fast=False))
    rows = np.random.default_rng(0).permutation(len(pop.persons))
    shuffled = Population(pop.persons.iloc[rows].reset_index(drop=True), pop.claims)
    assert shuffled.arrays.household_starts is None
    _assert_parts_equal_reference(shuffled, scn)


@pytest.mark.parametrize("preset", ["shanghai_2023", "bijie_2019"])
def test_year_in_blocks_and_in_passes_equal_reference(preset, monkeypatch):
    """Households contiguous (as generated): the year runs in one pass over blocks of whole
    households (kernels.year_pass), here in small blocks on both cores; households scattered, or
    blocks switched off: in separate passes. Every array equals the numpy reference either way,
    政策找人 included."""
    from simulation import Population, engine, kernels

    scn = _finding(preset)
    pop = generate_population(scn, persons=20_000, seed=11)
    ref = run_year(pop, scn.params, fast=False)
    if "expenditure_poor" in scn.params.categories:  # households found inside the blocks
        assert ref.newly_identified.sum() > 5
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 0)
    monkeypatch.setattr(kernels, "BLOCK", 16)
    assert len(kernels.household_blocks(pop.arrays.household_starts, len(pop.persons))) > 500
    assert_same_year(run_year(pop, scn.params), ref)
    # and the summary: the person sums and the households' weighted counts summed block by block
    assert run_year(pop, scn.params).summary_sums is not None
    _assert_parts_equal_reference(pop, scn)
    monkeypatch.setattr(engine, "IN_BLOCKS", False)
    assert_same_year(run_year(pop, scn.params), ref)
    monkeypatch.setattr(engine, "IN_BLOCKS", True)
    rows = np.random.default_rng(1).permutation(len(pop.persons))
    shuffled = Population(pop.persons.iloc[rows].reset_index(drop=True), pop.claims)
    assert shuffled.arrays.household_starts is None  # so the separate passes
    assert_same_year(run_year(shuffled, scn.params), run_year(shuffled, scn.params, fast=False))


def test_household_blocks_hold_whole_households():
    from simulation import kernels

    starts = np.array([0, 3, 4, 10, 11, 30, 31], dtype=np.int64)  # one household of 19 persons
    blocks = kernels.household_blocks(starts, 40, size=8)
    assert blocks.tolist() == [0, 10, 30, 40]  # each bound a household's first person
    assert kernels.household_blocks(starts, 40, size=100).tolist() == [0, 40]
    assert kernels.household_blocks(np.zeros(0, dtype=np.int64), 0).tolist() == [0]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    share=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    with_quota=st.booleans(),
    limited=st.booleans(),
)
def test_hospital_pass_equals_reference_exactly(seed, share, with_quota, limited):
    """kernels.hospital_pass (the fast path) gives rules.hospital_liability's three arrays exactly:
    quotas (some diseases without one), the poor's out-of-catalogue share, both or either."""
    from types import SimpleNamespace

    from simulation import kernels
    from simulation.parameters import CAT_BIT_OF
    from simulation.rules.hospital_liability import disease_quota, hospital_liability, out_of_catalogue_bits

    rng = np.random.default_rng(seed)
    m, n = 300, 60
    total = np.round(rng.gamma(1.0, 8000.0, m), 2) * (rng.random(m) > 0.05)
    policy = np.round(total * rng.uniform(0.5, 1.0, m), 2)
    names = np.array(["A01", "B02", "C03", ""])
    arrays = SimpleNamespace(
        claim_total=total, claim_policy=policy, claim_disease=rng.integers(0, len(names), m),
        claim_person=rng.integers(0, n, m), disease_names=names,
        cat_mask=rng.choice([0, CAT_BIT_OF["dibao"], CAT_BIT_OF["tekun"], CAT_BIT_OF["dibian"]], n),
    )  # fmt: skip
    quota = (
        {"A01": SimpleNamespace(quota=5000.0), "B02": SimpleNamespace(quota=20000.0)} if with_quota else {}
    )
    hl = SimpleNamespace(
        disease_quota=quota,
        out_of_catalogue_share_max=share if limited else None,
        out_of_catalogue_categories=["dibao", "tekun"] if limited else [],
    )
    ref = hospital_liability(hl, arrays)
    fast = kernels.hospital_pass(
        total, policy, arrays.claim_disease, arrays.claim_person, arrays.cat_mask,
        disease_quota(hl, names) if quota else np.zeros(0), out_of_catalogue_bits(hl),
        share if limited else 0.0,
    )  # fmt: skip
    for f, r in zip(fast, ref):
        np.testing.assert_array_equal(f, r)
    if with_quota or (limited and share <= 0.1):  # not vacuous: some claims are shortened
        assert fast[0].sum() > 0 and (fast[1] <= total).all()


def test_district_sums_equal_bincount_exactly():
    """The premium shared per district (kernels.district_sums) is np.bincount of the weighted subsidy
    of the persons holding the sharing categories, bit for bit."""
    from simulation import kernels

    rng = np.random.default_rng(4)
    n, k = 5_000, 7
    codes, premium = rng.integers(0, k, n), rng.choice([0.0, 180.0, 380.0, 390.5], n)
    weight, cat_mask = rng.uniform(0.5, 40.0, n), rng.integers(0, 16, n)
    ref = np.bincount(codes, weights=premium * weight * ((cat_mask & 0b0110) != 0), minlength=k)
    got = kernels.district_sums(codes, k, premium, weight, cat_mask, 0b0110)
    np.testing.assert_array_equal(got, ref)
    assert (ref > 0).all()  # every district shares some subsidy: not vacuous


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    cats=st.lists(st.sampled_from(["dibao", "tekun", "dibian", "orphan", "expenditure_poor"]),
                  max_size=3, unique=True),
    min_age=st.one_of(st.none(), st.integers(0, 100)),
    disabled=st.booleans(),
    rate=st.sampled_from([0.0, 0.35, 0.75, 1.0]),
)  # fmt: skip
def test_take_up_pass_equals_rule_exactly(seed, cats, min_age, disabled, rate):
    """The supplement's take-up in one compiled pass (kernels.take_up_pass, both compiled forms)
    equals rules.supplement.uptake(...) * enrolled bit for bit, for any fiscal-enrolment rule."""
    from simulation import engine, kernels
    from simulation.parameters import CAT_BIT_OF

    rng = np.random.default_rng(seed)
    n = 3_000
    bits = [CAT_BIT_OF[c] for c in ("dibao", "tekun", "dibian", "orphan", "expenditure_poor")]
    cat_mask = np.where(rng.random(n) < 0.3, rng.choice(bits, n), 0).astype(np.int64)
    age, dis, enrolled = rng.integers(0, 100, n).astype(np.int16), rng.random(n) < 0.1, rng.random(n) < 0.9
    sup = SCN["jiaxing_2025"].params.supplement.model_copy(
        update=dict(fiscal_enrolment_categories=cats, fiscal_enrolment_min_age=min_age,
                    fiscal_enrolment_disabled=disabled, uptake=rate)
    )  # fmt: skip
    a = types.SimpleNamespace(cat_mask=cat_mask, age=age, disabled=dis, enrolled=enrolled)
    p = types.SimpleNamespace(supplement=sup, critical_illness=SCN["jiaxing_2025"].params.critical_illness)
    ref = engine._take_up(p, a, fast=False)
    np.testing.assert_array_equal(engine._take_up(p, a, fast=True), ref)
    _, b, m, d = engine.summary_tables(p)
    for kernel in kernels._take_up:  # serial and parallel
        out = np.empty(n)
        kernel(kernels.person_chunks(n), cat_mask, age, dis, enrolled, b, m, d, rate, out)
        np.testing.assert_array_equal(out, ref)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    subsidised=st.lists(
        st.lists(st.sampled_from(["dibao", "tekun", "dibian", "orphan"]), max_size=2, unique=True),
        min_size=2, max_size=2,
    ),
    contribution=st.lists(st.sampled_from([0.0, 60.0, 150.0, 212.5]), min_size=2, max_size=2),
)  # fmt: skip
def test_contribution_pass_equals_rule_exactly(seed, subsidised, contribution):
    """The mutual-aid contribution subsidy in one compiled pass (kernels.contribution_pass, behind
    engine._contribution) equals rules.mutual_aid.contribution_subsidy bit for bit, with one, two or
    no paying plans and members holding several subsidised categories."""
    from simulation import engine, kernels
    from simulation.parameters import CAT_BIT_OF

    rng = np.random.default_rng(seed)
    n = 3_000
    plans = [
        plan.model_copy(update=dict(subsidised_categories=cats, contribution=c))
        for plan, cats, c in zip(SCN["shanghai_2023"].params.mutual_aid, subsidised, contribution)
    ]
    members = [rng.random(n) < 0.6 for _ in plans]
    bits = rng.integers(0, 1 << 6, n) & sum(CAT_BIT_OF[c] for c in ("dibao", "tekun", "dibian", "orphan"))
    ref = engine._contribution(plans, members, bits, fast=False)
    got = engine._contribution(plans, members, bits, fast=True)
    np.testing.assert_array_equal(got, ref)
    pay = [j for j, p in enumerate(plans) if p.subsidised_categories and p.contribution > 0]
    if pay:  # the parallel form too (engine._contribution picks it above PARALLEL_MIN persons)
        m = np.array([members[j] for j in pay])
        b = np.array(
            [sum(CAT_BIT_OF[c] for c in plans[j].subsidised_categories) for j in pay], dtype=np.int64
        )
        out = np.empty(n)
        kernels._contribution[1](
            kernels.person_chunks(n), m, bits, b, np.array([contribution[j] for j in pay]), out
        )
        np.testing.assert_array_equal(out, ref)
    paying = any(cats and c > 0 for cats, c in zip(subsidised, contribution))
    assert (np.asarray(ref) > 0).any() == paying  # not vacuous when a plan pays
