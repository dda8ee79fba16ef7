"""The loops that run the rules (simulation.kernels) give the same figures however they run: in
blocks of any size, serial or on the cores, on households contiguous or scattered in the table, and
compiled or as plain Python (NUMBA_DISABLE_JIT=1), bit for bit where the order of the sums allows.

The rules themselves are checked by the hand cases (tests/cases), the goldens (tests/golden), the
property tests and the OpenFisca reference of the core chain."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulation import Population, generate_population, kernels, simulate
from simulation.engine import run_year
from tests.golden import differences
from tests.test_properties import PRESETS, SCN

ROOT = Path(__file__).resolve().parents[1]


def assert_same_year(x, y, exact: bool = True) -> None:
    """Every array of two years equal (those of nested arrays too: long-term care's, and each payer
    of `payers`)."""
    for f in dataclasses.fields(x):
        a, b = getattr(x, f.name), getattr(y, f.name)
        if dataclasses.is_dataclass(a) and f.name != "scenario":
            assert_same_year(a, b, exact)
        elif isinstance(a, dict):
            assert list(a) == list(b), f.name
            for k in a:
                _same_array(a[k], b[k], exact, f"{f.name}.{k}")
        elif isinstance(a, np.ndarray):
            _same_array(a, b, exact, f.name)


def _same_array(a, b, exact: bool, name: str) -> None:
    assert a.shape == b.shape, name
    if exact or a.dtype.kind != "f":
        np.testing.assert_array_equal(a, b, err_msg=name)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9, err_msg=name)


def _finding(preset):
    scn = SCN[preset]
    return (
        scn.with_changes({"flags.policy_finds_people": True})
        if "expenditure_poor" in scn.params.categories
        else scn
    )


def _shuffled(pop: Population, seed: int) -> Population:
    rows = np.random.default_rng(seed).permutation(len(pop.persons))
    return Population(pop.persons.iloc[rows].reset_index(drop=True), pop.claims)


@pytest.mark.parametrize("preset", PRESETS)
def test_small_blocks_on_the_cores_equal_the_default_blocks(preset, monkeypatch):
    """However the households are cut into blocks (here blocks of ~16 persons on both cores, against
    the default ~1,024 serially), every array of the year is the same, 政策找人 included, and the
    summary equal (its sums added in another order: to 1e-12)."""
    scn = _finding(preset)
    pop = generate_population(scn, persons=20_000, seed=11)
    default = run_year(pop, scn.params)
    s_default = simulate(pop, scn).summary
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 0)
    monkeypatch.setattr(kernels, "BLOCK", 16)
    assert len(kernels.household_blocks(pop.arrays.household_starts, len(pop.persons))) > 500
    small = run_year(pop, scn.params)
    assert_same_year(default, small, exact=False)
    for name in ("total3", "basic3", "critical3", "assistance3", "cap_paid", "oop_before_cap", "category"):
        np.testing.assert_array_equal(getattr(default, name), getattr(small, name), err_msg=name)
    if "expenditure_poor" in scn.params.categories:
        assert small.newly_identified.sum() > 5  # households found inside the blocks: not vacuous
    s_small = simulate(pop, scn).summary
    for k, v in s_default.items():
        assert v == pytest.approx(s_small[k], rel=1e-12, abs=1e-9), k
    assert s_default["total_cost"] > 0 and s_default["assistance_paid"] > 0


def test_grouping_by_household_is_undone_exactly():
    """`grouped_by_household` puts each household's members together (households in the order of
    their first member, members and claims in their own order) and its permutations undo it."""
    pop = _shuffled(generate_population(SCN["linan_2024"], persons=3_000, seed=5), 1)
    a = pop.arrays
    assert a.household_starts is None
    g, persons, claims = a.grouped_by_household()
    assert g.household_starts is not None and (np.diff(g.household) >= 0).all()
    np.testing.assert_array_equal(g.income, a.income[persons])
    np.testing.assert_array_equal(g.claim_total, a.claim_total[claims])
    np.testing.assert_array_equal(persons[g.claim_person], a.claim_person[claims])  # same persons
    offsets = g.claim_offsets
    for p in range(0, g.n_persons, 97):  # each person's claims in their month order, as before
        assert (np.diff(g.claim_month[offsets[p] : offsets[p + 1]]) >= 0).all()
    for name in ("household", "age", "cat_mask", "weight", "enrolled"):
        back = np.empty_like(getattr(g, name))
        back[persons] = getattr(g, name)
        np.testing.assert_array_equal(back, getattr(a, name), err_msg=name)


@pytest.mark.parametrize("preset", ["shanghai_2023", "bijie_2019"])
def test_scattered_households_equal_contiguous(preset):
    """The same persons in a shuffled order (households not contiguous: run grouped by household and
    put back) get the same figures person by person, bit for bit, and household by household."""
    scn = _finding(preset)
    pop = generate_population(scn, persons=20_000, seed=8)
    shuffled = _shuffled(pop, 0)
    assert pop.arrays.household_starts is not None and shuffled.arrays.household_starts is None
    a, b = simulate(pop, scn), simulate(shuffled, scn)
    pa, pb = a.persons.sort_index(), b.persons.sort_index()
    for col in pa.columns:
        if pa[col].dtype.kind == "f":
            np.testing.assert_array_equal(pa[col].to_numpy(), pb[col].to_numpy(), err_msg=col)
    ha, hb = a.households.sort_index(), b.households.sort_index()
    np.testing.assert_allclose(ha["oop"].to_numpy(), hb["oop"].to_numpy(), rtol=1e-12)
    assert (ha["warning"] == hb["warning"]).all() and (ha["newly_identified"] == hb["newly_identified"]).all()
    for k, v in a.summary.items():
        assert v == pytest.approx(b.summary[k], rel=1e-12, abs=1e-9), k


def test_serial_and_parallel_passes_are_bit_equal(monkeypatch):
    """The year on the cores (blocks of whole households) gives the serial run's bits."""
    scn = _finding("shanghai_2023")
    pop = _shuffled(generate_population(scn, persons=20_000, seed=3), 2)
    serial = run_year(pop, scn.params)
    monkeypatch.setattr(kernels, "PARALLEL_MIN", 0)
    assert_same_year(run_year(pop, scn.params), serial)


def test_household_blocks_hold_whole_households():
    starts = np.array([0, 3, 4, 10, 11, 30, 31], dtype=np.int64)  # one household of 19 persons
    blocks = kernels.household_blocks(starts, 40, size=8)
    assert blocks.tolist() == [0, 10, 30, 40]  # each bound a household's first person
    assert kernels.household_blocks(starts, 40, size=100).tolist() == [0, 40]
    assert kernels.household_blocks(np.zeros(0, dtype=np.int64), 0).tolist() == [0]


def test_district_sums_equal_bincount_exactly():
    """The premium shared per district (kernels.district_sums) is np.bincount of the weighted subsidy
    of the persons holding the sharing categories, bit for bit."""
    rng = np.random.default_rng(4)
    n, k = 5_000, 7
    codes, premium = rng.integers(0, k, n), rng.choice([0.0, 180.0, 380.0, 390.5], n)
    weight, cat_mask = rng.uniform(0.5, 40.0, n), rng.integers(0, 16, n)
    ref = np.bincount(codes, weights=premium * weight * ((cat_mask & 0b0110) != 0), minlength=k)
    got = kernels.district_sums(codes, k, premium, weight, cat_mask, 0b0110)
    np.testing.assert_array_equal(got, ref)
    assert (ref > 0).all()  # every district shares some subsidy: not vacuous


_RUN = """
import json, sys
from tests.golden import run
print(json.dumps({v: run(sys.argv[1], v, 800) for v in ("finds_people", "scattered")}))
"""


@pytest.mark.parametrize("preset", PRESETS)
def test_plain_python_equals_compiled(preset):
    """With compilation switched off (NUMBA_DISABLE_JIT=1) the rules and loops run as plain Python
    and give the compiled run's figures bit for bit: every array digest, every summary value and
    fund cell, with 政策找人 and with scattered households."""
    out = {}
    for jit in ("0", "1"):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if jit == "1":
            env.pop("NUMBA_DISABLE_JIT", None)
        else:
            env["NUMBA_DISABLE_JIT"] = "1"
        proc = subprocess.run(
            [sys.executable, "-c", _RUN, preset],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        out[jit] = json.loads(proc.stdout)
    assert differences(out["0"], out["1"]) == []
    assert out["1"]["finds_people"]["summary"]["total_cost"] != (0.0).hex()  # not vacuous


def test_records_name_the_loops_parameters():
    """Every record of the loops' inputs (simulation.records) names its fields as the parameters of
    the loop that reads them, in their order where they are passed together: a table built by name
    cannot reach another parameter."""
    import inspect

    from simulation import records

    for record, (loop, first) in records.READERS.items():
        params = list(inspect.signature(getattr(kernels, loop).py_func).parameters)
        fields = list(record._fields)
        assert set(fields) <= set(params), (record.__name__, sorted(set(fields) - set(params)))
        if first is not None:
            at = params.index(first)
            assert params[at : at + len(fields)] == fields, record.__name__


def test_terms_builders_give_their_declared_names():
    """Each tier's builder of its loop's tables (`parameters.terms`, beside the tier's rules)
    returns exactly the names it declares, in every preset: the record filled from them
    (records.fill) then holds the loop's parameters by name."""
    from simulation import load_scenario, records

    builders = {b for r in records.READERS for b in r.builders}
    assert len(builders) >= 14
    for preset in ("linan_2024", "shanghai_2023", "bijie_2019", "jiaxing_2025", "shuozhou_2021"):
        p = load_scenario(preset).params
        for build in builders:
            assert tuple(build(p)) == build.fields, (preset, build.__name__)
