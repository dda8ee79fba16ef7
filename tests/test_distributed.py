"""The Dask path (issue 7): a partitioned population simulated on a 2-worker LocalCluster equals the
in-memory `simulate`, per person, per household, in every summary figure and in the first year's
fund accounts; the partition writers keep households whole; the CLI runs it and fails in one line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulation import generate_population, load_scenario, simulate
from simulation.cli import main
from simulation.errors import PopulationError, WorkbenchError
from simulation.population.parquet import (
    generate_partitioned,
    household_partitions,
    open_partitioned,
    save_partitioned,
)
from simulation.projection import project
from simulation.result import add_parts, summary_from_parts

from .conftest import claim, person, population

distributed = pytest.importorskip("dask.distributed")

# bijie: premium sharing by county class (per-district parts); shanghai: mutual aid; linan: the cap
PRESETS = ("linan_2024", "bijie_2019", "shanghai_2023")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _numeric(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if df[c].dtype.kind in "fiu"]


@pytest.mark.parametrize("preset", PRESETS)
def test_dask_run_equals_in_memory(preset, client, tmp_path):
    from simulation.distributed import simulate_partitioned

    scn = load_scenario(preset)
    pop = generate_population(scn, persons=2_400, seed=11, chunk_persons=800)
    # 700 persons a partition does not line up with the generator's chunks: households are cut
    # by the writer, which must keep each one whole
    d = save_partitioned(pop, tmp_path / "pop", persons_per_partition=700)
    pp = open_partitioned(d)
    assert len(pp) >= 3
    res = simulate_partitioned(pp, scn, client, out=tmp_path / "out")
    ref = simulate(pop, scn)

    assert list(res.summary) == list(ref.summary)
    for k, v in ref.summary.items():
        assert res.summary[k] == pytest.approx(v, rel=1e-9, abs=1e-6), k
    assert ref.summary["total_cost"] > 0 and ref.summary["poor_persons"] > 0
    # both reprs tell the rows simulated from the weighted persons they stand for
    weighted = f"weighted to {ref.summary['persons']:,.0f} persons"
    assert f"2,400 rows {weighted}" in repr(ref) and f"2,400 rows {weighted} in {len(pp)}" in repr(res)

    persons = res.read_persons()
    assert len(persons) == len(ref.persons) and persons.index.is_unique
    want = ref.persons.loc[persons.index]
    for c in _numeric(want):
        np.testing.assert_allclose(persons[c].to_numpy(), want[c].to_numpy(), rtol=1e-9, atol=1e-6, err_msg=c)
    for c in ("household_id", "scheme", "category", "category_applied", "warning"):
        assert (persons[c].astype(str).to_numpy() == want[c].astype(str).to_numpy()).all(), c

    hh = res.read_households()
    want_h = ref.households.loc[hh.index]
    for c in _numeric(want_h):
        np.testing.assert_allclose(hh[c].to_numpy(), want_h[c].to_numpy(), rtol=1e-9, atol=1e-6, err_msg=c)
    assert (hh["warning"].to_numpy() == want_h["warning"].to_numpy()).all()

    funds = project(pop, scn, years=1).funds
    pd.testing.assert_frame_equal(res.funds, funds, rtol=1e-9)
    assert funds.equals(ref.funds[ref.funds["year"] == ref.year].reset_index(drop=True))

    marker = json.loads((tmp_path / "out" / "result.json").read_text(encoding="utf-8"))
    assert marker["summary"]["total_cost"] == res.summary["total_cost"]


def test_ratios_are_reduced_from_sums_not_averaged(tmp_path):
    """Why the parts exist: averaging each partition's coverage rate is wrong; summing parts is
    right (and the in-memory summary is the same function of one part)."""
    scn = load_scenario("linan_2024")
    pop = generate_population(scn, persons=3_000, seed=4, chunk_persons=1_000)
    pp = open_partitioned(save_partitioned(pop, tmp_path / "p", persons_per_partition=1_000))
    results = [simulate(pp.load(i), scn) for i in range(len(pp))]
    parts = [r.parts() for r in results]
    total = parts[0]
    for p in parts[1:]:
        total = add_parts(total, p)
    reduced = summary_from_parts(total, scn)
    ref = simulate(pop, scn).summary
    for k in ref:
        assert reduced[k] == pytest.approx(ref[k], rel=1e-9, abs=1e-6), k
    for k in ("coverage_rate_poor", "catastrophic_rate", "policy_reimbursement_rate_resident"):
        averaged = float(np.mean([r.summary[k] for r in results]))
        assert averaged != pytest.approx(ref[k], rel=1e-9), k


def test_generate_partitioned_is_the_chunked_generator(tmp_path):
    scn = load_scenario("bijie_2019")
    d = generate_partitioned(scn, 2_500, tmp_path / "g", seed=9, persons_per_partition=1_000)
    pp = open_partitioned(d)
    assert [p["persons"] for p in pp.partitions] == [834, 833, 833]
    assert pp.manifest["scenario"] == "bijie_2019" and pp.manifest["seed"] == 9
    pop = generate_population(scn, 2_500, seed=9, chunk_persons=1_000)
    whole = pp.load_all()
    pd.testing.assert_frame_equal(whole.persons, pop.persons, check_dtype=False, check_categorical=False)
    pd.testing.assert_frame_equal(whole.claims, pop.claims, check_dtype=False, check_categorical=False)
    ids = [set(pp.load(i).persons["household_id"]) for i in range(len(pp))]
    assert sum(map(len, ids)) == len(set().union(*ids))  # no household in two partitions
    again = open_partitioned(
        generate_partitioned(scn, 2_500, tmp_path / "g", seed=9, persons_per_partition=1_000)
    )
    pd.testing.assert_frame_equal(again.load(2).claims, pp.load(2).claims)  # deterministic; rewritable
    other = open_partitioned(
        generate_partitioned(scn, 2_500, tmp_path / "h", seed=10, persons_per_partition=1_000)
    )
    assert not other.load(0).persons["income"].equals(pp.load(0).persons["income"])


def test_save_partitioned_keeps_interleaved_households_whole(tmp_path):
    # household 1's members are rows 0, 2 and 4: the writer must put them together
    rows = [person(1, 1), person(2, 2), person(3, 1), person(4, 3), person(5, 1), person(6, 2), person(7, 4)]
    pop = population(rows, [claim(3, policy=5_000.0), claim(6, policy=100.0)])
    part = household_partitions(pop.persons["household_id"].to_numpy(), 2)
    # households in order of appearance start at persons 0 (hh 1), 3 (hh 2), 5 (hh 3), 6 (hh 4)
    assert list(part) == [0, 1, 0, 2, 0, 1, 3]
    pp = open_partitioned(save_partitioned(pop, tmp_path / "x", persons_per_partition=2))
    assert [p["persons"] for p in pp.partitions] == [3, 2, 1, 1]
    assert list(pp.load(0).persons["person_id"]) == [1, 3, 5]
    assert list(pp.load(0).claims["person_id"]) == [3] and list(pp.load(1).claims["person_id"]) == [6]
    assert len(pp.load(2).claims) == 0
    big = household_partitions(np.array([1, 1, 1, 1, 1, 2, 3]), 2)  # a household larger than a partition
    assert list(big) == [0, 0, 0, 0, 0, 1, 2]


def test_bad_directories_are_one_clear_error(tmp_path):
    with pytest.raises(PopulationError, match="no such directory"):
        open_partitioned(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("mine")
    with pytest.raises(PopulationError, match="partitions.json"):
        open_partitioned(tmp_path / "plain")
    scn = load_scenario("linan_2024")
    with pytest.raises(PopulationError, match="not empty"):  # never clobbers a foreign directory
        generate_partitioned(scn, 100, tmp_path / "plain", persons_per_partition=50)
    assert (tmp_path / "plain" / "notes.txt").read_text() == "mine"
    d = generate_partitioned(scn, 300, tmp_path / "ok", persons_per_partition=100)
    pop1 = open_partitioned(d).load(1)
    pop1.persons.iloc[:10].to_parquet(d / "persons" / "part-00001.parquet", index=False)
    with pytest.raises(PopulationError, match="rows"):
        open_partitioned(d)
    d2 = generate_partitioned(scn, 300, tmp_path / "ok2", persons_per_partition=100)
    (d2 / "claims" / "part-00002.parquet").unlink()
    with pytest.raises(PopulationError, match="missing"):
        open_partitioned(d2)


def test_unreachable_scheduler_is_a_workbench_error():
    from simulation.distributed import _connect

    with pytest.raises(WorkbenchError, match="cannot reach a Dask scheduler"):
        _connect("tcp://127.0.0.1:1", timeout="1s")


def test_cli_run_on_dask(client, tmp_path, capsys):
    d = tmp_path / "pop"
    assert (
        main(
            [
                "generate",
                "linan_2024",
                "--persons",
                "1500",
                "--partition-persons",
                "500",
                "--population",
                str(d),
            ]
        )
        == 0
    )
    out = tmp_path / "out"
    code = main(
        ["run", "linan_2024", "--population", str(d), "--dask", client.scheduler.address, "--out", str(out)]
    )
    text = capsys.readouterr().out
    assert code == 0, text
    assert "3 partitions" in text and "on Dask" in text and str(out) in text
    scn = load_scenario("linan_2024")
    ref = simulate(open_partitioned(d).load_all(), scn).summary
    from simulation.cli import format_summary

    assert format_summary(ref).splitlines()[2] in text  # the total cost line, as the in-memory run prints it
    assert len(pd.read_parquet(out / "persons" / "part-00002.parquet")) == 500

    for argv, msg in (
        (
            ["run", "linan_2024", "--population", str(tmp_path / "nope"), "--dask", "local"],
            "no such directory",
        ),
        (["run", "linan_2024", "--population", str(d)], "--dask local"),
        (["run", "linan_2024", "--dask", "local"], "--dask needs --population"),
        (["run", "linan_2024", "--population", str(d), "--dask", "bogus://x"], "cannot reach"),
        (
            ["run", "linan_2024", "--population", str(d), "--dask", "local", "--persons", "5"],
            "drop --persons",
        ),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert msg in err and err.count("\n") == 1, err
